"""Make TRL's fused LM head project only the positions that carry a label on CPU too.

TRL computes per-token log-probabilities with a chunked LM head (`trl.trainer.utils.add_fused_lm_head`).
On CUDA/XPU it projects only the positions whose label is not -100; on every other device it projects all
positions and masks afterwards, so that tile shapes stay fixed for graph compilers (Neuron). Eager CPU
training recompiles nothing, and there the prompt and padding positions of completion-only SFT (and DPO) were
~40% of a QLoRA step on SmolLM2-135M (torch.profiler: `ChunkedLogProbFunction` forward + backward, 49k-token
vocabulary). This switch only widens TRL's own choice of its compact path to CPU; the kernel and the loss are
TRL's, and the result is the same loss (masked positions contribute zero either way). There is no public
option for it in TRL 1.x, hence the patch of one private name, checked by tests/finetune/test_lm_head.py.
"""

from __future__ import annotations

import logging

log = logging.getLogger("telecomgpt.finetune")
_trl_default = None
"""TRL's own device test (`trl.trainer.utils._use_triton`), kept so the switch can be turned off again."""


def score_label_positions_only(enabled: bool) -> None:
    """Turn the compact (label positions only) LM head on CPU on or off."""
    global _trl_default
    import trl.trainer.utils as trl_utils

    _trl_default = _trl_default or getattr(trl_utils, "_use_triton", None)
    if _trl_default is None:  # a TRL without the switch: keep its behaviour
        log.warning("this TRL version has no fused-LM-head device switch; every position is projected on CPU")
        return
    trl_default = _trl_default
    trl_utils._use_triton = ((lambda device: device.type == "cpu" or trl_default(device)) if enabled
                             else trl_default)
