"""Kneser-Ney baselines: proper distributions, consistent scoring, and more context helps on patterned music."""

from __future__ import annotations

import numpy as np
import pytest

from musicassist.codec import default_vocabulary
from musicassist.ml.ngram import KneserNey, evaluate_orders

from .tiny_music import tiny_corpus

VOCAB = default_vocabulary()


@pytest.fixture(scope="module")
def pieces() -> tuple[list[np.ndarray], list[np.ndarray]]:
    return tiny_corpus(60, seed=1), tiny_corpus(10, seed=2)


@pytest.mark.parametrize("order", [1, 2, 3, 4, 6])
def test_distribution_sums_to_one_over_the_vocabulary(pieces, order: int) -> None:
    train, test = pieces
    model = KneserNey(order, VOCAB.size).fit(train)
    contexts = [[], list(test[0][:1]), list(test[0][:9]), list(test[1][:40]), [VOCAB.id("VEL_7")] * 5]
    for context in contexts:
        distribution = model.distribution(context)
        assert distribution.shape == (VOCAB.size,)
        assert np.all(distribution > 0)  # never zero: unseen tokens keep some mass
        assert distribution.sum() == pytest.approx(1.0, abs=1e-9)


def test_token_log_probs_match_the_distribution(pieces) -> None:
    train, test = pieces
    model = KneserNey(4, VOCAB.size).fit(train)
    log_probs = model.token_log_probs(test[:1])
    sequence = test[0]
    assert len(log_probs) == len(sequence) - 1  # BOS is given, every later token is predicted
    for index in (1, 5, 20, len(sequence) - 1):
        expected = np.log(model.distribution(list(sequence[:index]))[sequence[index]])
        assert log_probs[index - 1] == pytest.approx(expected, abs=1e-9)


def test_longer_context_lowers_cross_entropy_on_patterned_music(pieces) -> None:
    train, test = pieces
    scores = {s.order: s.nll_per_token for s in evaluate_orders(train, test, VOCAB.size, (1, 2, 4))}
    assert scores[1] > scores[2] > scores[4]
    assert scores[1] < np.log(VOCAB.size)  # even unigrams beat the uniform guess


def test_best_order_gets_an_accuracy(pieces) -> None:
    train, test = pieces
    scores = evaluate_orders(train, test, VOCAB.size, (1, 3))
    best = min(scores, key=lambda s: s.nll_per_token)
    assert best.accuracy is not None and 0.3 < best.accuracy <= 1.0
    assert all(s.accuracy is None for s in scores if s is not best)


def test_predictions_are_the_argmax_of_the_distribution(pieces) -> None:
    train, test = pieces
    model = KneserNey(3, VOCAB.size).fit(train)
    predicted = model.predictions(test[:1], chunk=7)
    for index in (1, 10, 30):
        assert predicted[index - 1] == int(np.argmax(model.distribution(list(test[0][:index]))))


def test_fit_without_tokens_is_refused() -> None:
    with pytest.raises(ValueError):
        KneserNey(2, VOCAB.size).fit([np.array([1])])
