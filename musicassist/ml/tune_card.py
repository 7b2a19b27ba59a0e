"""The README of a tuned model: what was tuned, how, and the before/after table (RL Tuner style)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

# Each rule in a composer's words (the card and the project README share these sentences).
RULE_WORDS: dict[str, str] = {
    "out_of_key_rate": "stay in the key of the sketch: notes outside its scale are rare colour, not the rule",
    "long_repetition": "do not strike one note more than four times in a row in the tune",
    "leap_resolution": "after a leap larger than a fifth, step back the other way (a leap up of a sixth is "
                       "answered by a step down)",
    "register_jump": "no jump of more than an octave in the tune, including the join from the sketch",
    "repeated_note_rate": "do not let the tune stand still: repeated notes as often as in real tunes, no more",
    "ends_on_tonic_or_dominant": "end the four-bar phrase on a stable degree: the tonic or the dominant in the bass",
    "seed_bar_reuse": "develop the sketch: bring back one of its bars (or a transposed copy) now and then",
    "recurring_motif_4": "state a four-note figure and bring it back (the same intervals) within the phrase",
    "parallel_perfects": "chorale writing: no parallel fifths or octaves between bass and soprano",
    "wide_spacing": "chorale writing: no more than an octave between neighbouring upper voices",
}
# Which way is better for each rule rate.
HIGHER_IS_BETTER = {"leap_resolution", "ends_on_tonic_or_dominant", "seed_bar_reuse", "recurring_motif_4",
                    "recurring_motif_3", "seed_motif_4", "seed_rhythm_reuse"}


def _fmt(value: Any, digits: int = 3) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def comparison_rows(evaluation: dict[str, Any]) -> list[str]:
    """Markdown table rows: rule | real | prior | tuned (curated setting) from an evaluation's rule rates."""
    rates = evaluation.get("rule_rates", {})
    real, prior, tuned = rates.get("real", {}), rates.get("prior", {}), rates.get("tuned", {})
    rows = ["| measure | real | prior | tuned |", "|---|---|---|---|"]
    for name in RULE_WORDS:
        if name in real or name in tuned:
            rows.append(f"| {name} | {_fmt(real.get(name))} | {_fmt(prior.get(name))} | {_fmt(tuned.get(name))} |")
    for key, label, digits in (("nll_per_token", "held-out NLL (nats/token)", 4),
                               ("kl_per_token", "KL(tuned, prior) per token (nats)", 4),
                               ("auc_lr", "realism AUC, logistic regression", 3),
                               ("auc_gb", "realism AUC, gradient boosting", 3)):
        figures = evaluation.get(key, {})
        if figures:
            rows.append(f"| {label} | | {_fmt(figures.get('prior'), digits)} | {_fmt(figures.get('tuned'), digits)} |")
    return rows


def verdict_lines(verdict: dict[str, Any]) -> list[str]:
    """Issue 16's checks in words: which rules moved 70% of the way, which ended within 0.02 of real music."""
    if not verdict:
        return []
    lines = []
    for name, check in verdict.get("rules", {}).items():
        parts = []
        if "target" in check:
            parts.append(f"the prior breaks it more than real music; target {_fmt(check['target'])}: "
                         + ("reached" if check["moved_enough"] else "NOT reached"))
        parts.append("within 0.02 of real" if check["within_tolerance"] else "MORE than 0.02 worse than real")
        lines.append(f"- {name}: {'; '.join(parts)}.")
    if "nll_rise" in verdict:
        lines.append(f"- held-out NLL {100 * verdict['nll_rise']:+.1f}% over the prior (limit +5%): "
                     + ("ok" if verdict["nll_ok"] else "NOT ok") + ".")
    if "auc_ok" in verdict:
        lines.append("- realism AUC no worse than the prior's: " + ("yes" if verdict["auc_ok"] else "NO") + ".")
    lines.append("")
    lines.append("All of issue 16's done-when figures met." if verdict.get("passed")
                 else "Not every done-when figure is met (see above).")
    return [*lines, ""]


def render_tuned_readme(card: dict[str, Any]) -> str:
    tuning = card.get("rl_tuning", {})
    rules = tuning.get("rules", {})
    lines = [f"# Model `{card.get('name')}`: `{tuning.get('prior')}` tuned towards music-theory rules", "",
             f"Fine-tuned from `{tuning.get('prior')}` (weights sha256 `{tuning.get('prior_weights_sha256')}`) "
             f"by reinforcement learning with music-theory rewards (`musicassist tune`, issue 16). Same "
             f"architecture, codec `{card.get('codec_version')}`, weights {card.get('weights_megabytes')} MB "
             f"(sha256 `{card.get('weights_sha256')}`).", "",
             "## Rules and weights", ""]
    from .tune_rewards import TERM_RULE

    for term, weight in rules.items():
        rule = TERM_RULE.get(term, term)
        lines.append(f"- `{term}` (weight {weight}): {RULE_WORDS.get(rule, rule)}.")
    lines += ["", "## Method", "",
              f"{tuning.get('method')}. KL coefficient {tuning.get('kl')}, Adam learning rate "
              f"{tuning.get('learning_rate')}, {tuning.get('seeds_per_iteration')} seeds x "
              f"{tuning.get('continuations_per_seed')} continuations per iteration, {tuning.get('iterations')} "
              f"iterations in {float(tuning.get('seconds') or 0) / 60:.0f} min. Why: {tuning.get('why')}.", "",
              f"Curve: `{tuning.get('curve')}`.", ""]
    sessions = tuning.get("sessions") or []
    if len(sessions) > 1:  # resumed with other settings: say which iterations ran with which
        described = [f"from iteration {s.get('from_iteration')}: "
                     + ", ".join(f"{k} {v:g}" for k, v in s.get("weights", {}).items())
                     + f", KL {s.get('kl')}, lr {s.get('learning_rate')}" for s in sessions]
        lines += ["Sessions (Adam's moments restart with each): " + "; ".join(described) + ".", ""]
    first, last = tuning.get("first_10_iterations", {}), tuning.get("last_10_iterations", {})
    if first and last:
        lines += ["During tuning (training-split seeds, first vs last 10 iterations): reward "
                  f"{_fmt(first.get('reward'))} -> {_fmt(last.get('reward'))}, KL per token "
                  f"{_fmt(first.get('kl'), 4)} -> {_fmt(last.get('kl'), 4)}.", ""]
    evaluation = card.get("tuning_evaluation")
    if isinstance(evaluation, dict) and evaluation:
        lines += ["## Before and after", "", str(evaluation.get("setting", "")), "", *comparison_rows(evaluation), ""]
        lines += verdict_lines(evaluation.get("verdict") or {})
    return "\n".join(lines) + "\n"


def model_summary(model_dir: Path) -> str:
    """One line for the window's model list: a tuned model's prior and rules ("" for other models)."""
    try:
        tuning = json.loads((model_dir / "config.json").read_text(encoding="utf-8")).get("tuning")
    except (OSError, ValueError, AttributeError):
        return ""
    if not isinstance(tuning, dict) or not isinstance(tuning.get("rules"), dict):
        return ""
    rules = ", ".join(f"{name} {weight:g}" for name, weight in tuning["rules"].items()
                      if isinstance(weight, int | float))
    return f"Tuned from '{tuning.get('prior')}' towards rules: {rules} (KL coefficient {tuning.get('kl')})"
