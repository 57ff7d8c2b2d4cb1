"""Training throughput: tokens per second and model FLOPs utilisation (MFU) for every run.

MFU = model FLOPs per second / peak dense bf16 FLOPs of the device (PaLM, Chowdhery et al. 2022, appendix B).
Model FLOPs count the work the model needs, not what the run executes: recomputation by gradient
checkpointing and 4-bit de-quantisation are left out (that would be hardware FLOPs utilisation).

Per token, with N the weights that take part in a matmul (every linear layer plus the vocab x hidden output
projection, counted even when tied to the input embedding, whose lookup costs no FLOPs):

- full fine-tuning (CPT): 6·N (forward 2N, backward 4N: input and weight gradients);
- LoRA / QLoRA: 4·N_frozen + 6·N_adapter — a frozen weight needs its forward and input gradient but no
  weight gradient;
- attention: 12·L·d_attn·T per token of a T-token sequence (PaLM's non-causal convention: QK^T and AV, 2·2·d·T
  forward, twice that backward), summed exactly over the real sequences of each batch (padding and the other
  documents of a padding-free row excluded);
- DPO adds the reference forward (the base with the adapter off): 2·N + 4·L·d_attn·T per token.

The output projection is counted at every position, although completion-only SFT and DPO project only the
label positions (`lm_head_on_labels_only`; for SmolLM2-135M the head is 21% of N), so MFU there is an upper
bound.

Tokens are the non-padding tokens of each micro-batch (attention_mask, or the flattened row of a
padding-free batch), observed through `Trainer.floating_point_ops`, which the Trainer calls once per
micro-batch of training (never in evaluation). Rates are per device (multiply by the world size for the
job); time is the wall clock between optimizer steps, minus evaluation and checkpoint saving, and skips the
first step (CUDA initialisation, compilation) when the run has more than one.

Learned from: PaLM appendix B, nanoGPT's `estimate_mfu`, torchtitan's MFU logging. No code was copied.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from transformers import TrainerCallback

log = logging.getLogger("telecomgpt.finetune")

PEAK_BF16_TFLOPS = {
    "H200": 989.0,
    "H100": 989.0,  # SXM; the PCIe card is ~756, pass --peak_tflops for it
    "GH200": 989.0,
    "A100": 312.0,
    "L40S": 362.0,
    "L4": 121.0,
    "A10G": 125.0,
    "RTX 4090": 165.0,
}
"""Dense (no sparsity) bf16 tensor-core peaks in TFLOP/s, matched on `torch.cuda.get_device_name()`."""


def device_peak_tflops(device_name: str | None) -> float | None:
    """Peak bf16 TFLOP/s of a CUDA device by name (longest matching key wins), or None when unknown."""
    if not device_name:
        return None
    name = device_name.upper()
    matches = [key for key in PEAK_BF16_TFLOPS if key.upper() in name]
    return PEAK_BF16_TFLOPS[max(matches, key=len)] if matches else None


@dataclass(frozen=True)
class FlopsModel:
    """Model FLOPs of one token, split into the weight term and the attention coefficient."""

    matmul_params: int
    """N: weights in matmuls (linear layers + output projection)."""
    layers: int
    attention_width: int
    """d_attn = attention heads x head dimension."""
    trainable_matmul_params: int | None = None
    """Adapter weights for LoRA (4·N_frozen + 6·N_adapter); None = full fine-tuning (6·N)."""
    reference_forward: bool = False
    """DPO: add the frozen reference model's forward pass."""

    @property
    def weight_flops_per_token(self) -> int:
        if self.trainable_matmul_params is None:
            flops = 6 * self.matmul_params
        else:
            flops = 4 * self.matmul_params + 6 * self.trainable_matmul_params
        return flops + (2 * self.matmul_params if self.reference_forward else 0)

    @property
    def attention_flops_per_token_per_context(self) -> int:
        """Multiply by the sequence length T: 12·L·d_attn (plus 4·L·d_attn for a DPO reference forward)."""
        return (12 + (4 if self.reference_forward else 0)) * self.layers * self.attention_width

    def sequence_flops(self, length: int) -> int:
        """Model FLOPs of training on one sequence of `length` tokens."""
        return (length * self.weight_flops_per_token
                + length * length * self.attention_flops_per_token_per_context)


def matmul_params_from_config(config) -> tuple[int, int, int] | None:
    """(N, layers, d_attn) of a decoder-only transformer with a gated MLP (Llama, Qwen2, Mistral, SmolLM2).

    N = L·(attention q,k,v,o + 3·hidden·intermediate) + vocab·hidden; biases and norms are ignored (no
    matmul). Returns None for configs this formula does not describe (mixture of experts, no gated MLP).
    """
    config = config.get_text_config() if hasattr(config, "get_text_config") else config
    needed = ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "vocab_size")
    if any(getattr(config, key, None) is None for key in needed) or getattr(config, "num_local_experts",
                                                                            None) \
            or getattr(config, "num_experts", None):
        return None
    d, layers, heads = config.hidden_size, config.num_hidden_layers, config.num_attention_heads
    head_dim = getattr(config, "head_dim", None) or d // heads
    kv_heads = getattr(config, "num_key_value_heads", None) or heads
    attention = d * heads * head_dim * 2 + d * kv_heads * head_dim * 2  # q and o; k and v
    mlp = 3 * d * config.intermediate_size  # gate, up, down
    return layers * (attention + mlp) + config.vocab_size * d, layers, heads * head_dim


def flops_model(model, *, lora: bool, dpo_reference: bool) -> FlopsModel | None:
    """The FLOPs model of a (possibly PEFT-wrapped) model about to train, or None if its config is unknown."""
    counts = matmul_params_from_config(model.config)
    if counts is None:
        return None
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad) if lora else None
    return FlopsModel(*counts, trainable_matmul_params=trainable, reference_forward=dpo_reference)


def sequence_lengths(inputs: dict) -> list[int]:
    """Real (non-padding) sequence lengths of one collated micro-batch.

    Padded batches: attention_mask row sums. Padding-free batches (TRL's bfd packing: one flattened row, no
    mask): lengths from the position_ids restarts at 0. Otherwise every row counts in full.
    """
    mask = inputs.get("attention_mask")
    if mask is not None and getattr(mask, "dim", lambda: 0)() == 2:
        return [int(n) for n in mask.sum(dim=1).tolist()]
    positions = inputs.get("position_ids")
    if positions is not None and "input_ids" in inputs and inputs["input_ids"].shape[0] == 1:
        starts = (positions[0] == 0).nonzero().flatten().tolist() + [positions.shape[1]]
        return [end - start for start, end in zip(starts, starts[1:], strict=False) if end > start]
    ids = inputs.get("input_ids")
    return [ids.shape[1]] * ids.shape[0] if ids is not None else []


class ThroughputMeter(TrainerCallback):
    """Tokens/s and MFU of a training run; `attach(trainer)` before `train()`, read `summary()` after.

    Adds `tokens_per_second` (and `mfu` when the peak is known) to every log line and to the log history.
    """

    def __init__(self, flops: FlopsModel | None = None, peak_tflops: float | None = None) -> None:
        self.flops = flops
        self.peak_tflops = peak_tflops
        self.tokens = 0
        self.model_flops = 0
        self.steps = 0
        self._pending = (0, 0)  # tokens, FLOPs of the micro-batches of the step in progress
        self._timed = [0, 0, 0.0]  # tokens, FLOPs, seconds inside the timing window
        self._first = (0, 0, 0.0)
        self._since_log = [0, 0, 0.0]
        self._mark: float | None = None
        self._cuda = False

    def attach(self, trainer) -> ThroughputMeter:
        """Observe each training micro-batch through `trainer.floating_point_ops` and register as a
        callback."""
        original = trainer.floating_point_ops

        def counted(inputs):
            lengths = sequence_lengths(inputs)
            tokens, flops = self._pending
            batch_flops = sum(self.flops.sequence_flops(n) for n in lengths) if self.flops else 0
            self._pending = (tokens + sum(lengths), flops + batch_flops)
            return original(inputs)

        trainer.floating_point_ops = counted
        # First in line, so the progress printer shows the fields this callback adds to the log dict.
        trainer.callback_handler.callbacks.insert(0, self)
        self._cuda = trainer.args.device.type == "cuda"
        if self.peak_tflops is None and self._cuda:
            import torch

            self.peak_tflops = device_peak_tflops(torch.cuda.get_device_name(trainer.args.device))
        return self

    def _now(self) -> float:
        if self._cuda:  # the step's kernels are queued asynchronously: wait for them before reading the clock
            import torch

            torch.cuda.synchronize()
        return time.perf_counter()

    def on_train_begin(self, args, state, control, **kwargs):
        self._mark = self._now()

    def on_step_end(self, args, state, control, **kwargs):
        now = self._now()
        tokens, flops = self._pending
        self._pending = (0, 0)
        self.tokens += tokens
        self.model_flops += flops
        self.steps += 1
        seconds = now - (self._mark if self._mark is not None else now)
        self._mark = now
        if self.steps == 1:  # the warm-up step: kept only if the run has no other
            self._first = (tokens, flops, seconds)
        else:
            self._timed = [self._timed[0] + tokens, self._timed[1] + flops, self._timed[2] + seconds]
        self._since_log = [self._since_log[0] + tokens, self._since_log[1] + flops,
                           self._since_log[2] + seconds]

    def on_evaluate(self, args, state, control, **kwargs):
        self._mark = self._now()  # evaluation is not training time

    def on_save(self, args, state, control, **kwargs):
        self._mark = self._now()  # nor is writing a checkpoint

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs is None or "loss" not in logs or self._since_log[2] <= 0:
            return
        tokens, flops, seconds = self._since_log
        self._since_log = [0, 0, 0.0]
        fields = {"tokens_per_second": round(tokens / seconds, 1)}
        mfu = self._mfu(flops / seconds if self.flops else None)
        if mfu is not None:
            fields["mfu"] = round(mfu, 6)
        logs.update(fields)
        if state.log_history and state.log_history[-1].get("step") == state.global_step:
            state.log_history[-1].update(fields)

    def _mfu(self, flops_per_second: float | None) -> float | None:
        if flops_per_second is None or not self.peak_tflops:
            return None
        return flops_per_second / (self.peak_tflops * 1e12)

    def summary(self) -> dict:
        """tokens, tokens_per_second, model_tflops_per_second, mfu (null without a known peak), and how
        measured."""
        tokens, flops, seconds = self._timed
        if self.steps == 1 or seconds <= 0:
            tokens, flops, seconds = self._first
        rate = tokens / seconds if seconds > 0 else None
        flops_rate = flops / seconds if seconds > 0 and self.flops else None
        mfu = self._mfu(flops_rate)
        return {
            "tokens": self.tokens,
            "tokens_per_second": round(rate, 1) if rate else None,
            "model_tflops_per_second": round(flops_rate / 1e12, 6) if flops_rate else None,
            "mfu": round(mfu, 6) if mfu is not None else None,
            "peak_tflops": self.peak_tflops,
            "flops_per_token": (round(self.model_flops / self.tokens) if self.tokens and self.flops
                                else None),
            "timed_steps": self.steps - 1 if self.steps > 1 else self.steps,
            "per_device": True,
            **self._peak_memory(),
        }

    def _peak_memory(self) -> dict:
        """Peak memory of this process: CUDA memory allocated by tensors on a GPU, resident set size on
        CPU."""
        if self._cuda:
            import torch

            return {"peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2), "memory": "cuda"}
        import resource

        return {"peak_memory_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
                "memory": "cpu_rss"}


def describe(throughput: dict | None) -> str:
    """`12,345 tokens/s, MFU 14.1%` for the `telecomgpt train` line (MFU `n/a` without a known device
    peak)."""
    if not throughput or not throughput.get("tokens_per_second"):
        return "throughput n/a"
    mfu = throughput.get("mfu")
    return (f"{throughput['tokens_per_second']:,.0f} tokens/s, MFU "
            f"{f'{100 * mfu:.1f}%' if mfu is not None else 'n/a'}")
