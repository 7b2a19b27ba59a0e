"""Classifier two-sample test: can a classifier tell real 4-bar continuations from generated ones?

Logistic regression (standardised features) and gradient boosting, 5-fold
cross-validation grouped by piece (a seed's real and generated continuations
never sit on both sides of a split, so the classifier cannot learn the piece
instead of the music). The figure is the area under the ROC curve of the
out-of-fold scores: 0.5 = indistinguishable, 1 = always told apart. A fold
with one class only is skipped. scikit-learn is imported here and only here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

FOLDS = 5
TOP_FEATURES = 8
MODELS = ("lr", "gb")
GB_TREES = 150  # boosting rounds (depth 3, rate 0.05): enough for ~1,000 segments of ~50 features


def _classifier(kind: str, seed: int) -> Any:
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if kind == "lr":
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    if kind == "gb":
        return GradientBoostingClassifier(n_estimators=GB_TREES, max_depth=3, learning_rate=0.05, subsample=0.8,
                                          random_state=seed)
    raise ValueError(f"unknown classifier {kind!r}")


def _importances(model: Any, kind: str) -> np.ndarray:
    if kind == "gb":
        return np.asarray(model.feature_importances_, dtype=float)
    coefficients = np.abs(model[-1].coef_[0])  # standardised inputs: comparable magnitudes
    return coefficients / max(float(coefficients.sum()), 1e-12)


def two_sample_test(real: np.ndarray, fake: np.ndarray, real_groups: np.ndarray, fake_groups: np.ndarray,
                    kind: str, names: Sequence[str], folds: int = FOLDS, seed: int = 0) -> dict[str, Any]:
    """AUC of real (label 0) vs fake (label 1) out of fold, per-fold AUCs, and the most separating features."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GroupKFold

    x = np.concatenate([real, fake]).astype(float)
    y = np.concatenate([np.zeros(len(real)), np.ones(len(fake))])
    groups = np.concatenate([np.asarray(real_groups), np.asarray(fake_groups)])
    splits = min(folds, len(np.unique(groups)))
    if splits < 2 or len(real) < 2 or len(fake) < 2:
        return {"auc": float("nan"), "fold_aucs": [], "top_features": []}
    scores = np.full(len(y), np.nan)
    fold_aucs: list[float] = []
    importance = np.zeros(x.shape[1])
    for train, test in GroupKFold(n_splits=splits, shuffle=True, random_state=seed).split(x, y, groups):
        if len(np.unique(y[train])) < 2 or len(np.unique(y[test])) < 2:
            continue
        model = _classifier(kind, seed).fit(x[train], y[train])
        scores[test] = model.predict_proba(x[test])[:, 1]
        fold_aucs.append(float(roc_auc_score(y[test], scores[test])))
        importance += _importances(model, kind)
    scored = ~np.isnan(scores)
    auc = float(roc_auc_score(y[scored], scores[scored])) if len(np.unique(y[scored])) == 2 else float("nan")
    importance /= max(len(fold_aucs), 1)
    top = np.argsort(-importance)[:TOP_FEATURES]
    return {
        "auc": auc,
        "fold_aucs": fold_aucs,
        "fold_auc_std": float(np.std(fold_aucs)) if fold_aucs else float("nan"),
        "top_features": [{"feature": names[i], "importance": float(importance[i]),
                          "real_mean": float(real[:, i].mean()), "generated_mean": float(fake[:, i].mean())}
                         for i in top],
    }


def real_vs_real(real: np.ndarray, groups: np.ndarray, kind: str, names: Sequence[str],
                 seed: int = 0) -> dict[str, Any]:
    """The null: real segments split at random (by piece) into two groups; a fair test gives about 0.5."""
    groups = np.asarray(groups)
    unique = np.unique(groups)
    chosen = set(np.random.default_rng(seed + 1).permutation(unique)[: len(unique) // 2].tolist())
    first = np.array([g in chosen for g in groups.tolist()])
    return two_sample_test(real[first], real[~first], groups[first], groups[~first], kind, names, seed=seed)


def column_subset(names: Sequence[str], wanted: Sequence[str]) -> np.ndarray:
    return np.array([names.index(n) for n in wanted], dtype=np.intp)
