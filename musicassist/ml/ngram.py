"""Interpolated modified Kneser-Ney n-gram models over token ids: the baselines the LSTM must beat.

Pure numpy (no TensorFlow). An n-gram of token ids is packed into one int64
``sum(tok_i * V**(k-1-i))`` (V <= 1500 keeps a 6-gram inside 63 bits), so
counting is ``np.unique`` and lookup is ``np.searchsorted``: the whole bundled
corpus is counted in seconds, where dicts of tuples would take minutes.

Every piece is left-padded with ``order - 1`` PAD tokens (PAD never occurs
inside a piece), so every occurrence has a full left context and the
continuation counts need no special case at piece starts. The first token
(BOS) is given, never predicted, exactly as for the LSTM.

Smoothing follows Chen & Goodman (1998), interpolated modified KN: three
discounts per order (for counts 1, 2, 3+) estimated from count-of-counts; the
highest order uses raw counts, lower orders continuation counts N1+(. h w);
the unigram level interpolates with the uniform distribution over the vocabulary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

PAD_ID = 0


@dataclass
class _OrderTable:
    """Counts of one order k: sorted n-gram codes, their (raw or continuation) counts, context stats."""

    grams: np.ndarray  # sorted unique k-gram codes
    counts: np.ndarray  # float64 count of each gram
    contexts: np.ndarray  # sorted unique (k-1)-gram context codes
    context_totals: np.ndarray  # sum of counts per context
    context_gamma: np.ndarray  # D1*N1 + D2*N2 + D3*N3+ per context (the mass given to the lower order)
    discounts: np.ndarray  # (D0=0, D1, D2, D3+)


def _codes(padded: np.ndarray, ends: np.ndarray, k: int, vocab_size: int) -> np.ndarray:
    """Codes of the k-grams ending at each index in ``ends``."""
    code = np.zeros(len(ends), dtype=np.int64)
    for offset in range(k - 1, -1, -1):
        code = code * vocab_size + padded[ends - offset]
    return code


def _discounts(counts: np.ndarray) -> np.ndarray:
    """Modified KN discounts from count-of-counts, clipped into a valid range for tiny corpora."""
    n = [int(np.sum(counts == c)) for c in (1, 2, 3, 4)]
    if n[0] == 0 or n[1] == 0:
        return np.array([0.0, 0.5, 1.0, 1.5])
    y = n[0] / (n[0] + 2 * n[1])
    d1 = 1 - 2 * y * n[1] / n[0]
    d2 = 2 - 3 * y * n[2] / n[1]
    d3 = 3 - 4 * y * n[3] / n[2] if n[2] else 1.5
    # Each discount must stay in (0, c] so probabilities remain positive and sum to one.
    return np.array([0.0, min(max(d1, 0.05), 1.0), min(max(d2, 0.05), 2.0), min(max(d3, 0.05), 3.0)])


def _table(grams: np.ndarray, counts: np.ndarray, vocab_size: int) -> _OrderTable:
    discounts = _discounts(counts)
    per_gram_discount = discounts[np.minimum(counts, 3).astype(np.int64)]
    context_of = grams // vocab_size
    contexts, inverse = np.unique(context_of, return_inverse=True)
    totals = np.bincount(inverse, weights=counts, minlength=len(contexts))
    gamma = np.bincount(inverse, weights=per_gram_discount, minlength=len(contexts))
    return _OrderTable(grams, counts.astype(np.float64), contexts, totals, gamma, discounts)


class KneserNey:
    """An interpolated modified Kneser-Ney model of one order, fitted on token sequences."""

    def __init__(self, order: int, vocab_size: int) -> None:
        if order < 1:
            raise ValueError("order must be >= 1")
        if vocab_size ** order >= 2**62:
            raise ValueError("vocabulary too large to pack this order into int64 codes")
        self.order = order
        self.vocab_size = vocab_size
        self.tables: list[_OrderTable] = []

    def _pad(self, sequences: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Concatenate left-padded sequences; return them and the indices of the predicted tokens."""
        pad = self.order - 1
        parts, targets, start = [], [], 0
        for seq in sequences:
            seq = np.asarray(seq, dtype=np.int64)
            parts.append(np.concatenate([np.full(pad, PAD_ID, dtype=np.int64), seq]))
            if len(seq) > 1:
                targets.append(np.arange(start + pad + 1, start + pad + len(seq)))
            start += pad + len(seq)
        padded = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        ends = np.concatenate(targets) if targets else np.zeros(0, dtype=np.int64)
        return padded, ends

    def fit(self, sequences: Sequence[np.ndarray]) -> KneserNey:
        padded, ends = self._pad(sequences)
        if len(ends) == 0:
            raise ValueError("no tokens to count")
        v = self.vocab_size
        tables: list[_OrderTable] = []
        for k in range(1, self.order + 1):
            if k == self.order:
                grams, counts = np.unique(_codes(padded, ends, k, v), return_counts=True)
            else:
                # Continuation count: how many distinct tokens precede this k-gram.
                longer = np.unique(_codes(padded, ends, k + 1, v))
                grams, counts = np.unique(longer % (v**k), return_counts=True)
            tables.append(_table(grams, counts, v))
        self.tables = tables
        return self

    @staticmethod
    def _lookup(sorted_codes: np.ndarray, values: np.ndarray, queries: np.ndarray) -> np.ndarray:
        """values[code] for each query, 0 where the code was never seen."""
        if len(sorted_codes) == 0:
            return np.zeros(len(queries))
        idx = np.minimum(np.searchsorted(sorted_codes, queries), len(sorted_codes) - 1)
        found = sorted_codes[idx] == queries
        return np.where(found, values[idx], 0.0)

    def _prob_of_codes(self, gram_codes: list[np.ndarray]) -> np.ndarray:
        """P(w | h) for k-gram codes given per order (index k-1), interpolated bottom-up."""
        p = np.full(len(gram_codes[0]), 1.0 / self.vocab_size)
        for table, codes in zip(self.tables, gram_codes, strict=True):
            count = self._lookup(table.grams, table.counts, codes)
            contexts = codes // self.vocab_size
            total = self._lookup(table.contexts, table.context_totals, contexts)
            gamma = self._lookup(table.contexts, table.context_gamma, contexts)
            discount = table.discounts[np.minimum(count, 3).astype(np.int64)]
            seen = total > 0
            safe_total = np.where(seen, total, 1.0)
            interpolated = (np.maximum(count - discount, 0.0) + gamma * p) / safe_total
            p = np.where(seen, interpolated, p)
        return p

    def token_log_probs(self, sequences: Sequence[np.ndarray]) -> np.ndarray:
        """Natural-log probability of every predicted token (all but the first of each sequence)."""
        padded, ends = self._pad(sequences)
        if len(ends) == 0:
            return np.zeros(0)
        codes = [_codes(padded, ends, k, self.vocab_size) for k in range(1, self.order + 1)]
        return np.log(self._prob_of_codes(codes))

    def distribution(self, context: Sequence[int]) -> np.ndarray:
        """P(. | context) over the whole vocabulary (context = preceding tokens, oldest first)."""
        history = [PAD_ID] * (self.order - 1) + [int(t) for t in context]
        history = history[len(history) - (self.order - 1):] if self.order > 1 else []
        candidates = np.arange(self.vocab_size, dtype=np.int64)
        codes = []
        for k in range(1, self.order + 1):
            prefix = 0
            for token in history[len(history) - (k - 1):] if k > 1 else []:
                prefix = prefix * self.vocab_size + token
            codes.append(prefix * self.vocab_size + candidates)
        return self._prob_of_codes(codes)

    def predictions(self, sequences: Sequence[np.ndarray], chunk: int = 4096) -> np.ndarray:
        """Most probable next token at every predicted position (for next-token accuracy)."""
        padded, ends = self._pad(sequences)
        v = self.vocab_size
        candidates = np.arange(v, dtype=np.int64)
        best = np.zeros(len(ends), dtype=np.int64)
        for lo in range(0, len(ends), chunk):
            part = ends[lo:lo + chunk]
            codes = []
            for k in range(1, self.order + 1):
                prefix = _codes(padded, part - 1, k - 1, v) if k > 1 else np.zeros(len(part), np.int64)
                codes.append((prefix[:, None] * v + candidates[None, :]).ravel())
            probs = self._prob_of_codes(codes).reshape(len(part), v)
            best[lo:lo + chunk] = probs.argmax(axis=1)
        return best


@dataclass(frozen=True)
class NgramScore:
    order: int
    nll_per_token: float
    tokens: int
    accuracy: float | None = None


def evaluate_orders(train: Sequence[np.ndarray], test: Sequence[np.ndarray], vocab_size: int,
                    orders: Sequence[int] = (1, 2, 3, 4, 5, 6), accuracy_for_best: bool = True
                    ) -> list[NgramScore]:
    """Fit one KN model per order on ``train``; mean NLL (nats/token) on ``test``; accuracy for the best."""
    scores: list[NgramScore] = []
    models: dict[int, KneserNey] = {}
    for order in orders:
        model = KneserNey(order, vocab_size).fit(train)
        log_probs = model.token_log_probs(test)
        scores.append(NgramScore(order, float(-log_probs.mean()), len(log_probs)))
        models[order] = model
    if accuracy_for_best and scores:
        best = min(scores, key=lambda s: s.nll_per_token)
        predicted = models[best.order].predictions(test)
        targets = np.concatenate([np.asarray(s[1:]) for s in test if len(s) > 1])
        accuracy = float(np.mean(predicted == targets))
        scores = [NgramScore(s.order, s.nll_per_token, s.tokens, accuracy if s is best else None)
                  for s in scores]
    return scores
