"""``musicassist evaluate`` on a tuned model: real vs prior vs tuned, KL to the prior, and the verdict.

A tuned model's card names its prior (``rl_tuning.prior``). The comparison
takes the tuned model's figures from this evaluation (realism report, held-out
NLL), the prior's from the prior's card when it was measured on the same split
and number of seeds (the realism seeds are chosen deterministically, so the
seeds are the same), and computes KL(tuned || prior) per token teacher-forced
on held-out pieces (raw network distributions, temperature 1, no masks).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import model_store
from .tune_card import HIGHER_IS_BETTER

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from musicassist.codec import Vocabulary

KL_PIECES = 200  # held-out pieces for the KL estimate (bounded: two forward passes over them)
MOVE_SHARE = 0.7  # issue 16: rules the prior breaks must move at least 70% of the way to the real rate
TOLERANCE = 0.02  # and no rule may end more than this much worse than real music
NLL_RISE = 0.05
# The rule rates the verdict judges (the development measures the issue names, and every rule).
JUDGED = ("out_of_key_rate", "long_repetition", "leap_resolution", "ends_on_tonic_or_dominant", "register_jump",
          "repeated_note_rate", "seed_bar_reuse", "recurring_motif_4")


def prior_dir_of(model_dir: Path) -> Path | None:
    """The prior's folder of a tuned model (None for a model that was not tuned)."""
    tuning = model_store.read_config(model_dir).get("tuning")
    if not isinstance(tuning, dict) or not tuning.get("prior"):
        return None
    return model_store.resolve_model_dir(str(tuning["prior"]))


def kl_per_token(model: keras.Model, prior: keras.Model, vocab: Vocabulary, sequences: Sequence[np.ndarray],
                 max_batch_tokens: int = 16384) -> dict[str, float]:
    """Mean KL(model || prior) per predicted token and both models' NLL per token on the same tokens."""
    from .dataset import length_batches, padded_batch
    from .evaluate import model_inputs
    from .lstm_numpy import log_softmax

    kl = nll_model = nll_prior = 0.0
    tokens = 0
    sequences = [np.asarray(s, dtype=np.int32) for s in sequences if len(s) > 1]
    for batch in length_batches([len(s) for s in sequences], max_batch_tokens):
        block = padded_batch([sequences[i] for i in batch])
        inputs = model_inputs(model, block[:, :-1], vocab)
        ours = log_softmax(np.asarray(model.predict_on_batch(inputs), dtype=np.float64))
        theirs = log_softmax(np.asarray(prior.predict_on_batch(inputs), dtype=np.float64))
        valid = np.zeros(block[:, 1:].shape, dtype=bool)
        for row, index in enumerate(batch):
            valid[row, :len(sequences[index]) - 1] = True
        targets = block[:, 1:, None].astype(np.int64)
        kl += float((np.exp(ours) * (ours - theirs)).sum(axis=-1)[valid].sum())
        nll_model -= float(np.take_along_axis(ours, targets, axis=-1)[..., 0][valid].sum())
        nll_prior -= float(np.take_along_axis(theirs, targets, axis=-1)[..., 0][valid].sum())
        tokens += int(valid.sum())
    tokens = max(tokens, 1)
    return {"kl_per_token": kl / tokens, "nll_tuned": nll_model / tokens, "nll_prior": nll_prior / tokens,
            "tokens": float(tokens)}


def _prior_realism(prior_card: dict[str, Any], realism: dict[str, Any]) -> dict[str, Any] | None:
    theirs = prior_card.get("realism")
    if not isinstance(theirs, dict) or not realism:
        return None
    same = all(theirs.get(k) == realism.get(k) for k in ("split", "seeds", "continuations_per_seed"))
    return theirs if same else None


def verdict(rates: dict[str, dict[str, float]], nll: dict[str, float], *aucs: dict[str, Any]) -> dict[str, Any]:
    """Issue 16's done-when checks, rule by rule; every classifier's AUC must be no worse than the prior's."""
    real, prior, tuned = rates.get("real", {}), rates.get("prior", {}), rates.get("tuned", {})
    checks: dict[str, Any] = {}
    for name in JUDGED:
        if not all(isinstance(d.get(name), float) and math.isfinite(d[name]) for d in (real, prior, tuned)):
            continue
        sign = 1.0 if name in HIGHER_IS_BETTER else -1.0  # so that larger is better below
        gap = sign * (real[name] - prior[name])  # > 0: the prior breaks the rule more than real music
        entry: dict[str, Any] = {"real": real[name], "prior": prior[name], "tuned": tuned[name]}
        if gap > 0:
            target = prior[name] + sign * MOVE_SHARE * gap
            entry["target"] = target
            entry["moved_enough"] = sign * (tuned[name] - target) >= 0
        entry["within_tolerance"] = sign * (tuned[name] - real[name]) >= -TOLERANCE - 1e-9
        checks[name] = entry
    out: dict[str, Any] = {"rules": checks}
    if nll.get("prior") and nll.get("tuned"):
        out["nll_rise"] = nll["tuned"] / nll["prior"] - 1.0
        out["nll_ok"] = out["nll_rise"] <= NLL_RISE
    if aucs and all(a.get("prior") is not None and a.get("tuned") is not None for a in aucs):
        out["auc_ok"] = all(a["tuned"] <= a["prior"] for a in aucs)
    out["passed"] = (all(c.get("moved_enough", True) and c["within_tolerance"] for c in checks.values())
                     and out.get("nll_ok", False) and out.get("auc_ok", False))
    return out


def tuning_comparison(model_dir: Path, report: dict[str, Any], split: str,
                      model: keras.Model | None = None, held_out: Sequence[np.ndarray] = (),
                      vocab: Vocabulary | None = None) -> dict[str, Any] | None:
    """The ``tuning`` section of an evaluation of a tuned model (None for other models)."""
    prior_dir = prior_dir_of(model_dir)
    if prior_dir is None:
        return None
    prior_card = model_store.read_card(prior_dir)
    realism = report.get("realism") or {}
    prior_realism = _prior_realism(prior_card, realism)
    measures = realism.get("measures", {})
    setting = "curated"
    rates = {"real": measures.get("real", {}), "tuned": measures.get(setting, {}),
             "prior": (prior_realism or {}).get("measures", {}).get(setting, {})}
    out: dict[str, Any] = {
        "prior": prior_dir.name, "split": split,
        "setting": (f"{realism.get('seeds')} {split} seeds, {realism.get('continuations_per_seed')} continuations "
                    f"each, the window's settings ({setting})") if realism else "",
        "rule_rates": {k: {n: v[n] for n in JUDGED if n in v} for k, v in rates.items()},
    }
    nll = {"tuned": report.get("nll_per_token"),
           "prior": (prior_card.get("metrics", {}).get(split) or {}).get("nll_per_token")}
    if model is not None and vocab is not None and held_out:
        prior_model, _, _ = model_store.load_model(prior_dir)
        pieces = list(held_out)[:: max(1, len(held_out) // KL_PIECES)][:KL_PIECES]
        out["kl"] = kl_per_token(model, prior_model, vocab, pieces)
        out["kl_per_token"] = {"tuned": out["kl"]["kl_per_token"]}
    out["nll_per_token"] = {k: v for k, v in nll.items() if v is not None}
    for kind in ("lr", "gb"):
        ours = realism.get("auc", {}).get(setting, {}).get(kind, {}).get("auc")
        theirs = (prior_realism or {}).get("auc", {}).get(setting, {}).get(kind, {}).get("auc")
        out[f"auc_{kind}"] = {"prior": theirs, "tuned": ours}
    out["verdict"] = verdict(rates, out["nll_per_token"], out["auc_lr"], out["auc_gb"])
    return out


def merge(parts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One comparison from evaluations run separately (e.g. the realism report and the likelihood in parallel):
    later parts fill what earlier ones lack, then the verdict is taken again."""
    merged: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**value, **{k: v for k, v in merged[key].items() if v not in (None, {}, "")}}
            elif merged.get(key) in (None, {}, ""):
                merged[key] = value
    merged["verdict"] = verdict(merged.get("rule_rates", {}), merged.get("nll_per_token", {}),
                                merged.get("auc_lr", {}), merged.get("auc_gb", {}))
    return merged


def main(argv: Sequence[str] | None = None) -> int:
    """Record ``evaluate --json`` outputs of a tuned model in its card and README."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m musicassist.ml.tune_evaluate", description=main.__doc__)
    parser.add_argument("--model", required=True, help="the tuned model folder or name")
    parser.add_argument("reports", nargs="+", type=Path, help="evaluate --json outputs of that model")
    args = parser.parse_args(argv)
    from .tune_report import write_card

    model_dir = model_store.resolve_model_dir(args.model)
    reports = [json.loads(path.read_text(encoding="utf-8")) for path in args.reports]
    comparison = merge([r["tuning"] for r in reports if isinstance(r.get("tuning"), dict)])
    card = model_store.read_card(model_dir)
    card["tuning_evaluation"] = comparison
    for report in reports:
        if report.get("realism"):
            card["realism"] = report["realism"]
        if report.get("nll_per_token") is not None:
            card.setdefault("metrics", {})[report.get("split", "test")] = {
                k: v for k, v in report.items() if k not in ("continuation_check", "model", "realism", "tuning")}
    write_card(model_dir, card)
    print(json.dumps(comparison["verdict"], indent=1))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
