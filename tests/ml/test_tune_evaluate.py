"""Issue 16's done-when verdict and the merging of separately run evaluations (pure: no model)."""

from __future__ import annotations

import pytest

from musicassist.ml.tune_evaluate import merge, verdict

RATES = {
    "real": {"leap_resolution": 0.28, "repeated_note_rate": 0.124, "out_of_key_rate": 0.025},
    "prior": {"leap_resolution": 0.20, "repeated_note_rate": 0.138, "out_of_key_rate": 0.025},
    "tuned": {"leap_resolution": 0.265, "repeated_note_rate": 0.130, "out_of_key_rate": 0.040},
}


def test_rules_the_prior_breaks_must_move_seventy_percent_of_the_way():
    checks = verdict(RATES, {"prior": 0.60, "tuned": 0.62}, {"prior": 0.8, "tuned": 0.79})
    leap = checks["rules"]["leap_resolution"]
    assert leap["target"] == pytest.approx(0.20 + 0.7 * 0.08) and leap["moved_enough"]  # higher is better
    repeats = checks["rules"]["repeated_note_rate"]
    assert repeats["target"] == pytest.approx(0.138 - 0.7 * 0.014) and not repeats["moved_enough"]  # lower is better
    assert "target" not in checks["rules"]["out_of_key_rate"]  # the prior did not break it more than real music
    assert checks["rules"]["out_of_key_rate"]["within_tolerance"]  # 0.015 worse: inside 0.02
    assert checks["nll_ok"] and checks["auc_ok"] and not checks["passed"]  # one rule did not move enough


def test_limits_on_nll_and_auc():
    moved = {**RATES, "tuned": {**RATES["tuned"], "repeated_note_rate": 0.125, "out_of_key_rate": 0.05}}
    checks = verdict(moved, {"prior": 0.60, "tuned": 0.64}, {"prior": 0.8, "tuned": 0.81})
    assert not checks["rules"]["out_of_key_rate"]["within_tolerance"]
    assert checks["nll_rise"] == pytest.approx(0.04 / 0.60) and not checks["nll_ok"] and not checks["auc_ok"]
    good = {**RATES, "tuned": {**RATES["tuned"], "repeated_note_rate": 0.125}}
    assert verdict(good, {"prior": 0.60, "tuned": 0.61}, {"prior": 0.8, "tuned": 0.8})["passed"]


def test_merging_fills_what_each_run_lacks():
    realism_run = {"rule_rates": RATES, "auc_gb": {"prior": 0.8, "tuned": 0.79}, "nll_per_token": {"prior": 0.6}}
    likelihood_run = {"rule_rates": {"real": {}, "prior": {}, "tuned": {}}, "auc_gb": {"prior": 0.8, "tuned": None},
                      "nll_per_token": {"prior": 0.6, "tuned": 0.61}, "kl_per_token": {"tuned": 0.01}}
    for parts in ([realism_run, likelihood_run], [likelihood_run, realism_run]):
        merged = merge(parts)
        assert merged["rule_rates"] == RATES and merged["auc_gb"] == {"prior": 0.8, "tuned": 0.79}
        assert merged["nll_per_token"] == {"prior": 0.6, "tuned": 0.61} and merged["kl_per_token"] == {"tuned": 0.01}
        assert merged["verdict"]["nll_ok"]


def test_the_window_describes_tuned_models_by_their_rules(tmp_path):
    import json

    from musicassist.ml.tune_card import model_summary

    tuned, plain = tmp_path / "tuned", tmp_path / "plain"
    for folder, extra in ((tuned, {"tuning": {"prior": "default", "rules": {"resolve_leaps": 2.0}, "kl": 0.3}}),
                          (plain, {})):
        folder.mkdir()
        (folder / "config.json").write_text(json.dumps({"model": {}, **extra}))
    assert model_summary(tuned) == "Tuned from 'default' towards rules: resolve_leaps 2 (KL coefficient 0.3)"
    assert model_summary(plain) == "" and model_summary(tmp_path / "missing") == ""
