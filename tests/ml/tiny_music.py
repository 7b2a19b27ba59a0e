"""Small grammatical token sequences for fast ML tests (no parsing, no corpus cache).

Each piece is a folk-like tune in 4/4 or 3/4: a few bars of a repeating melodic
figure in a random key, so a model can learn something in seconds.
"""

from __future__ import annotations

import numpy as np

from musicassist.codec import BOS, EOS, Vocabulary, default_vocabulary

FIGURES = ((0, 2, 4, 5), (7, 5, 4, 2), (0, 4, 7, 4), (2, 4, 5, 7))


def tiny_piece(rng: np.random.Generator, vocab: Vocabulary | None = None, bars: int | None = None) -> np.ndarray:
    vocab = vocab or default_vocabulary()
    meter = "4/4" if rng.random() < 0.7 else "3/4"
    beats = 4 if meter == "4/4" else 3
    tonic = int(rng.integers(55, 67))
    tokens = [BOS, vocab.id("STYLE_folk")]
    bar_count = bars if bars is not None else int(rng.integers(6, 12))
    figure = FIGURES[int(rng.integers(len(FIGURES)))]
    for bar in range(bar_count):
        tokens.append(vocab.id(f"BAR_{meter}"))
        for beat in range(beats):
            tokens.append(vocab.id(f"POS_{beat * 12}"))
            pitch = tonic + figure[(bar + beat) % len(figure)]
            if beat == 0 and bar % 2 == 0:  # a chord now and then: polyphony in the stream
                tokens += [vocab.id(f"PITCH_{pitch - 12}"), vocab.id("DUR_12"), vocab.id("VEL_3")]
            tokens += [vocab.id(f"PITCH_{pitch}"), vocab.id("DUR_12"), vocab.id("VEL_4")]
    tokens.append(EOS)
    return np.array(tokens, dtype=np.int32)


def tiny_corpus(count: int, seed: int = 0, bars: int | None = None) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [tiny_piece(rng, bars=bars) for _ in range(count)]
