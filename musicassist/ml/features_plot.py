"""The continuation check's figure: real vs generated feature distributions, one panel per feature."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from musicassist.io.atomic import atomic_writer

from .features import SCALAR_FEATURES, _kde

_NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def plot_comparison(real: list[dict[str, Any]], generated: list[dict[str, Any]],
                    report: dict[str, dict[str, float]], path: Path,
                    title: str = "Continuation check: 4 generated bars vs the real next 4 bars (held-out seeds)"
                    ) -> None:
    """Pitch-class histograms as bars, every scalar feature as two KDE curves; written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 4, figsize=(14, 6), dpi=90)
    ax = axes[0, 0]
    width = 0.4
    x = np.arange(12)
    ax.bar(x - width / 2, np.mean([f["pitch_class_histogram"] for f in real], axis=0), width, label="real")
    ax.bar(x + width / 2, np.mean([f["pitch_class_histogram"] for f in generated], axis=0), width,
           label="generated")
    ax.set_xticks(x, _NOTE_NAMES, fontsize=7)
    ax.set_title(f"pitch classes (YL overlap {report['pitch_class_histogram']['yang_lerch_overlap']:.2f})",
                 fontsize=9)
    ax.legend(fontsize=7)
    for ax, name in zip(axes.ravel()[1:], SCALAR_FEATURES, strict=True):
        r = np.array([f[name] for f in real], dtype=float)
        g = np.array([f[name] for f in generated], dtype=float)
        spread = max(float(np.std(np.concatenate([r, g]))), 1e-3)
        grid = np.linspace(min(r.min(), g.min()) - spread, max(r.max(), g.max()) + spread, 256)
        ax.plot(grid, _kde(r, grid), label="real")
        ax.plot(grid, _kde(g, grid), label="generated")
        ax.set_title(f"{name.replace('_', ' ')} (overlap {report[name]['value_overlap']:.2f})", fontsize=9)
        ax.tick_params(labelsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    try:
        with atomic_writer(path) as handle:  # io.atomic: no half-written picture, no .tmp file left on failure
            fig.savefig(handle, format="png")
    finally:
        plt.close(fig)
