"""What training shows while it runs: a per-epoch progress bar, a status file, and the loss curve PNG."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from musicassist.io.atomic import atomic_writer

from .model_store import atomic_write_text


class StepProgress:
    """A per-epoch bar ``epoch 3/8 [#####.....] 52% loss 1.234 12.0 k tok/s ETA 3:10`` on stderr.

    On a terminal the bar redraws in place; in a log file it prints a line every 5% (and mirrors
    it to the status file, for people watching a background run).
    """

    def __init__(self, epoch: int, epochs: int, steps: int, status_file: Path | None, elapsed_before: float,
                 tokens_per_step: int, enabled: bool = True) -> None:
        self.epoch, self.epochs, self.total = epoch, epochs, max(steps, 1)
        self.status_file = status_file
        self.elapsed_before = elapsed_before
        self.tokens_per_step = tokens_per_step
        self.enabled = enabled
        self.started = time.monotonic()
        self.last_printed = -1
        self.tty = sys.stderr.isatty()

    def update(self, done: int, loss: float) -> None:
        if not self.enabled:
            return
        percent = int(100 * done / self.total)
        if not self.tty and percent // 5 == self.last_printed // 5 and done != self.total:
            return
        self.last_printed = percent
        spent = time.monotonic() - self.started
        eta = spent / done * (self.total - done)
        speed = f" {self.tokens_per_step * done / spent / 1000:.1f} k tok/s" if spent > 0 else ""
        filled = int(30 * done / self.total)
        line = (f"epoch {self.epoch}/{self.epochs} [{'#' * filled}{'.' * (30 - filled)}] {percent:3d}% "
                f"loss {loss:.4f}{speed} ETA {int(eta // 60)}:{int(eta % 60):02d}")
        if self.tty:
            print("\r" + line, end="\n" if done == self.total else "", file=sys.stderr, flush=True)
        else:
            print(line, file=sys.stderr, flush=True)
        if self.status_file is not None and not self.tty:
            atomic_write_text(self.status_file, f"# Training status\n\nrunning: {line}\n"
                              f"total time so far: {(self.elapsed_before + spent) / 60:.1f} min\n")


def write_status(status_file: Path | None, history: list[dict[str, float]], epochs: int, elapsed_s: float,
                 phase: str) -> None:
    """A small Markdown summary of the run so far (for people watching a background run)."""
    if status_file is None:
        return
    lines = [f"# Training status: {phase}", "", f"updated {time.strftime('%H:%M:%S')}, "
             f"elapsed {elapsed_s / 60:.1f} min", ""]
    if history:
        per_epoch = sum(h["seconds"] for h in history) / len(history)
        remaining = max(epochs - int(history[-1]["epoch"]), 0) * per_epoch
        lines.append(f"epoch {int(history[-1]['epoch'])}/{epochs}, about {per_epoch / 60:.1f} min per epoch, "
                     f"at most {remaining / 60:.0f} min left")
        lines += ["", "| epoch | train loss | val nats/token | val bits/note | val acc | lr | tok/s |",
                  "|---|---|---|---|---|---|---|"]
        lines += [f"| {int(h['epoch'])} | {h['train_loss']:.4f} | {h['val_nll_per_token']:.4f} | "
                  f"{h['val_bits_per_note']:.3f} | {h['val_accuracy']:.3f} | {h['learning_rate']:.1e} | "
                  f"{h['tokens_per_second']:.0f} |" for h in history]
    atomic_write_text(status_file, "\n".join(lines) + "\n")


def plot_curve(history: list[dict[str, float]], path: Path) -> None:
    """Training loss and validation nats/token per epoch, written atomically as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    ax.plot(epochs, [h["train_loss"] for h in history], "o-", label="training loss (windows, augmented)")
    ax.plot(epochs, [h["val_nll_per_token"] for h in history], "s-", label="validation (whole pieces)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy (nats/token)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    try:
        with atomic_writer(path) as handle:  # io.atomic: no half-written picture, no .tmp file left on failure
            fig.savefig(handle, format="png")
    finally:
        plt.close(fig)
