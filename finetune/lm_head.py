"""Make TRL's fused LM head project only the positions that carry a label on CPU too.

TRL computes per-token log-probabilities with a chunked LM head (`trl.trainer.utils.add_fused_lm_head`).
On CUDA/XPU it projects only the positions whose label is not -100; on every other device it projects all
positions and masks afterwards, so that tile shapes stay fixed for graph compilers (Neuron). Eager CPU training
recompiles nothing, and there the prompt and padding positions of completion-only SFT (and DPO) were ~40% of
a QLoRA step on SmolLM2-135M (torch.profiler: `ChunkedLogProbFunction` forward + backward, 49k-token vocabulary).
This switch only widens TRL's own choice of its compact path to CPU; the kernel and the loss are TRL's,
and the result is the same loss (masked positions contribute zero either way). There is no public option
for it in TRL 1.x, hence the patch of one private name, checked by tests/test_finetune_speed.py.
"""

from __future__ import annotations

import logging

log = logging.getLogger("telecomgpt.finetune")
_TRL_DEFAULT = None


def score_label_positions_only(enabled: bool) -> bool:
    """Turn the compact (label positions only) LM head on CPU on or off; returns whether it is on."""
    global _TRL_DEFAULT
    import trl.trainer.utils as trl_utils

    if _TRL_DEFAULT is None:
        _TRL_DEFAULT = getattr(trl_utils, "_use_triton", None)
    if _TRL_DEFAULT is None:  # a TRL without the switch: keep its behaviour, say so once
        log.warning("this TRL version has no fused-LM-head device switch; every position is projected on CPU")
        return False
    trl_default = _TRL_DEFAULT

    def compact_on(device) -> bool:
        return device.type == "cpu" or trl_default(device)

    trl_utils._use_triton = compact_on if enabled else trl_default
    return enabled
