"""The realism report as words: one summary line, a text table for the terminal, Markdown for the card, a plot.

The report itself is computed by ``realism.realism_report``; this module only
reads its dict (also a card's ``realism`` entry), so it renders old reports too.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Any

# Measure name -> how it reads in a table; the order is the table's.
MEASURE_LABELS = {
    "seed_bar_reuse": "bars repeating a seed bar (or its transposition)",
    "seed_rhythm_reuse": "bars repeating a seed bar's rhythm",
    "recurring_motif_3": "segments with a recurring 3-note interval motif",
    "recurring_motif_4": "segments with a recurring 4-note interval motif",
    "seed_motif_4": "segments carrying a 4-note motif of the seed",
    "out_of_key_rate": "notes out of the seed's key",
    "long_repetition": "segments with a note struck more than 4 times in a row",
    "repeated_note_rate": "melodic steps repeating the note",
    "leap_rate": "melodic steps leaping more than a fifth",
    "leap_resolution": "such leaps resolved by a step back",
    "ends_on_tonic_or_dominant": "segments ending on tonic or dominant",
    "register_jump": "segments jumping more than an octave",
    "interval_semitone": "melodic steps of a semitone",
    "interval_whole_tone": "melodic steps of a whole tone",
    "interval_third": "melodic steps of a third",
    "interval_fourth_fifth": "melodic steps of a fourth or fifth",
    "interval_sixth_to_octave": "melodic steps of a sixth to an octave",
}
AUC_ROWS = ("lr", "gb", "gb_pitch_only", "gb_rhythm_only")


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:.{digits}f}"


def _auc(report: dict[str, Any], setting: str, kind: str) -> float | None:
    row = report.get("auc", {}).get(setting, {}).get(kind)
    return row.get("auc") if row else None


def _generated(report: dict[str, Any]) -> list[str]:
    return [s for s in report.get("settings", []) if s in report.get("measures", {})]


def summary_line(report: dict[str, Any]) -> str:
    """One line: classifier AUCs per setting against the null, and the two development figures."""
    if "auc" not in report:
        return str(report.get("summary", "no realism report"))
    measures = report["measures"]
    parts = [f"{s} AUC {_fmt(_auc(report, s, 'lr'), 2)} (LR) / {_fmt(_auc(report, s, 'gb'), 2)} (GB)"
             for s in _generated(report)]
    parts.append(f"real-vs-real {_fmt(_auc(report, 'real_vs_real', 'lr'), 2)} / "
                 f"{_fmt(_auc(report, 'real_vs_real', 'gb'), 2)}, "
                 f"shuffled seed {_fmt(_auc(report, 'shuffled_seed', 'gb'), 2)}")
    for name in ("seed_bar_reuse", "recurring_motif_4"):
        values = ", ".join(f"{s} {_fmt(measures[s].get(name), 3)}" for s in _generated(report))
        parts.append(f"{name.replace('_', ' ')}: real {_fmt(measures['real'].get(name), 3)}, {values}")
    return f"{report['seeds']} {report['split']} seeds: " + "; ".join(parts)


def report_lines(report: dict[str, Any]) -> list[str]:
    """The terminal rendering: AUC table, most separating features, measures real vs generated."""
    if "auc" not in report:
        return [summary_line(report)]
    settings = _generated(report)
    lines = [f"Realism on {report['seeds']} {report['split']} seeds "
             f"({', '.join(f'{k} {v}' for k, v in report['per_source'].items())}), "
             f"{report['continuations_per_seed']} continuations per seed and setting.",
             "Classifier AUC, real vs generated (0.5 = indistinguishable):",
             f"  {'':<16}" + "".join(f"{s:>14}" for s in (*settings, "real_vs_real", "shuffled_seed"))]
    for kind in AUC_ROWS:
        lines.append(f"  {kind:<16}" + "".join(f"{_fmt(_auc(report, s, kind)):>14}"
                                               for s in (*settings, "real_vs_real", "shuffled_seed")))
    for setting in settings:
        top = report.get("top_features", {}).get(setting, [])[:5]
        lines.append(f"Most separating ({setting}, GB): " + ", ".join(
            f"{t['feature']} (real {t['real_mean']:.2f}, generated {t['generated_mean']:.2f})" for t in top))
    lines.append(f"  {'measure':<58}{'real':>9}" + "".join(f"{s:>9}" for s in settings))
    measures = report["measures"]
    for name, label in MEASURE_LABELS.items():
        if name in measures["real"]:
            lines.append(f"  {label:<58}{_fmt(measures['real'][name]):>9}"
                         + "".join(f"{_fmt(measures[s].get(name)):>9}" for s in settings))
    return lines


def realism_markdown(report: dict[str, Any]) -> str:
    """Markdown for a model's README: the AUC table and the measures, real vs generated side by side."""
    if "auc" not in report:
        return f"Realism: {summary_line(report)}\n"
    settings = _generated(report)
    columns = (*settings, "real_vs_real", "shuffled_seed")
    out = [f"Realism on {report['seeds']} held-out ({report['split']}) seeds: bars 1-4 as the seed, bars 5-8 as the "
           f"real continuation, {report['continuations_per_seed']} generated continuations per seed with the "
           "assistant panel's defaults. A classifier tries to tell real from generated 4-bar segments "
           "(5-fold cross-validation grouped by piece; AUC 0.5 = indistinguishable).", "",
           "| classifier AUC | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    names = {"lr": "logistic regression", "gb": "gradient boosting", "gb_pitch_only": "GB, pitch features only",
             "gb_rhythm_only": "GB, rhythm features only"}
    for kind in AUC_ROWS:
        out.append(f"| {names[kind]} | " + " | ".join(_fmt(_auc(report, s, kind), 2) for s in columns) + " |")
    out += ["", "| measure | real | " + " | ".join(settings) + " |", "|---|---:|" + "---:|" * len(settings)]
    measures = report["measures"]
    for name, label in MEASURE_LABELS.items():
        if name in measures["real"]:
            out.append(f"| {label} | {_fmt(measures['real'][name])} | "
                       + " | ".join(_fmt(measures[s].get(name)) for s in settings) + " |")
    for setting in settings[:1]:
        top = report.get("top_features", {}).get(setting, [])[:5]
        if top:
            out += ["", f"Features that separate {setting} from real most (gradient boosting): " + ", ".join(
                f"{t['feature']} (real {t['real_mean']:.2f}, generated {t['generated_mean']:.2f})" for t in top) + "."]
    return "\n".join(out) + "\n"


def plot_realism(report: dict[str, Any], path: Path) -> Path:
    """Three panels: AUC per setting, the measures side by side, the melodic-interval histogram."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    settings = _generated(report)
    columns = (*settings, "real_vs_real", "shuffled_seed")
    fig, axes = plt.subplots(1, 3, figsize=(17, 5.5), gridspec_kw={"width_ratios": [1, 2, 1.4]})
    x = np.arange(len(columns))
    for offset, kind in ((-0.2, "lr"), (0.2, "gb")):
        axes[0].bar(x + offset, [_auc(report, c, kind) or 0.0 for c in columns], 0.4, label=kind.upper())
    axes[0].axhline(0.5, color="grey", linestyle="--", linewidth=1)
    axes[0].set_xticks(x, [c.replace("_", "\n") for c in columns])
    axes[0].set_ylim(0, 1)
    axes[0].set_title("classifier AUC (0.5 = indistinguishable)")
    axes[0].legend()
    names = [n for n in MEASURE_LABELS if n in report["measures"]["real"]]
    y = np.arange(len(names))
    rows = ("real", *settings)
    height = 0.8 / len(rows)
    for i, row in enumerate(rows):
        values = [report["measures"][row].get(n) for n in names]
        axes[1].barh(y + i * height, [v if v is not None and math.isfinite(v) else 0.0 for v in values], height,
                     label=row)
    axes[1].set_yticks(y + 0.4 - height / 2, [n.replace("_", " ") for n in names], fontsize=8)
    axes[1].invert_yaxis()
    axes[1].set_title("rules and development of the seed")
    axes[1].legend()
    bins = report["intervals"]["bins"]
    for row in rows:
        axes[2].plot(range(len(bins)), report["intervals"][row], marker="o", label=row)
    axes[2].set_xticks(range(len(bins)), bins)
    axes[2].set_xlabel("melodic interval (semitones)")
    axes[2].set_title("melodic-interval shares")
    axes[2].legend()
    fig.suptitle(textwrap.fill(summary_line(report), 190), fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
