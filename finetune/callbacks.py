"""Trainer callbacks for the faults a long run meets: NaN loss, Ctrl-C, and a loss-curve PNG at every save.

Each is a `transformers.TrainerCallback`; the stage runner adds all three.
"""

from __future__ import annotations

import math
import signal
from pathlib import Path

from transformers import TrainerCallback


class NanGuard(TrainerCallback):
    """Stop at the first non-finite loss or gradient norm, before that step can be checkpointed.

    `Trainer._maybe_log_save_evaluate` logs before it saves, so turning `should_save` off in `on_log`
    keeps the last good checkpoint as the newest one. The runner raises `TrainingDiverged` afterwards.
    """

    def __init__(self) -> None:
        self.bad_step: int | None = None
        self.bad_value: str = ""

    def on_log(self, args, state, control, logs=None, **kwargs):
        for key in ("loss", "grad_norm"):
            value = (logs or {}).get(key)
            if isinstance(value, (int, float)) and not math.isfinite(value):
                self.bad_step, self.bad_value = state.global_step, f"{key}={value}"
                control.should_save = False
                control.should_evaluate = False
                control.should_training_stop = True
                break
        return control


class GracefulInterrupt(TrainerCallback):
    """First Ctrl-C: finish the current step, save a checkpoint and stop; a second Ctrl-C aborts at once.

    Resuming with the same command continues from that checkpoint; the Trainer replays the same seeded
    sampler and skips the batches already seen, so the data order is unchanged.
    """

    def __init__(self) -> None:
        self.interrupted_at: int | None = None
        self._requested = False
        self._previous = None

    def _handler(self, signum, frame):
        if self._requested:  # second Ctrl-C: give up immediately
            signal.signal(signal.SIGINT, self._previous or signal.default_int_handler)
            raise KeyboardInterrupt
        self._requested = True

    def on_train_begin(self, args, state, control, **kwargs):
        try:
            self._previous = signal.signal(signal.SIGINT, self._handler)
        except ValueError:  # not the main thread: leave the default behaviour
            self._previous = None

    def on_step_end(self, args, state, control, **kwargs):
        if self._requested:
            self.interrupted_at = state.global_step
            control.should_save = True
            control.should_training_stop = True
        return control

    def on_train_end(self, args, state, control, **kwargs):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


class LossCurve(TrainerCallback):
    """Write `loss_curve.png` (train and eval loss against step) into output_dir at each save and at the
    end."""

    def on_save(self, args, state, control, **kwargs):
        plot_loss(state.log_history, Path(args.output_dir) / "loss_curve.png")

    def on_train_end(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            plot_loss(state.log_history, Path(args.output_dir) / "loss_curve.png")


def plot_loss(history: list[dict], path: Path) -> Path | None:
    """Plot train/eval loss from a Trainer log history; returns the PNG path, or None if nothing to plot."""
    train = [(h["step"], h["loss"]) for h in history if "loss" in h and math.isfinite(h["loss"])]
    evals = [(h["step"], h["eval_loss"]) for h in history if "eval_loss" in h]
    if not train and not evals:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    for points, label, style in ((train, "train", "-"), (evals, "eval", "o--")):
        if points:
            ax.plot(*zip(*points, strict=True), style, label=label)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(path.parent.name)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
