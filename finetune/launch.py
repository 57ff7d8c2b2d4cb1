"""Entry point for launchers: `accelerate launch [--config_file ...] -m finetune.launch STAGE --config FILE
[--key v]`.

The same code path as `telecomgpt train STAGE`, without the typer layer, so multi-GPU launchers
(accelerate, torchrun, deepspeed) can start one process per device.
"""

from __future__ import annotations

import sys

from finetune.recipes import STAGES
from finetune.train import run_stage
from telecomgpt.errors import UserError


def main(argv: list[str] | None = None) -> int:
    """`STAGE --config FILE [--key value ...]`; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in STAGES:
        print(f"usage: python -m finetune.launch {{{','.join(STAGES)}}} --config FILE [--key value ...]",
              file=sys.stderr)
        return 2
    stage, rest = argv[0], argv[1:]
    config = None
    if "--config" in rest:
        at = rest.index("--config")
        config, rest = rest[at + 1], rest[:at] + rest[at + 2:]
    try:
        summary = run_stage(stage, config, rest)
    except UserError as exc:
        print(f"error: {exc.one_line()}", file=sys.stderr)
        return exc.exit_code
    from finetune.throughput import describe  # lazy: torch (keeps the usage error fast)

    print(f"{stage} done: {summary['steps']} steps, train loss {summary['train_loss']:.4f}, "
          f"{describe(summary.get('throughput'))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
