"""The grammar: scalar and batched machines agree, and random walks decode with nothing skipped."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from musicassist.codec import BatchGrammar, GrammarState, decode_with_stats, default_vocabulary, encode
from musicassist.codec.grammar import END

V = default_vocabulary()


def ids(*names):
    return [V.id(n) for n in names]


def test_phases_allow_what_the_grammar_says():
    state = GrammarState()
    assert {V.name(i) for i in np.flatnonzero(state.allowed_mask())} >= {"BOS", "EOS", "BAR_4/4", "STYLE_folk"}
    state = GrammarState.from_prefix(ids("BOS", "STYLE_folk", "BAR_3/4", "POS_12", "PITCH_60"))
    assert [V.name(i) for i in np.flatnonzero(state.allowed_mask())] == [f"DUR_{d}" for d in V.duration_bins]
    state.advance(V.id("DUR_6"))
    state.advance(V.id("VEL_3"))
    allowed = {V.name(i) for i in np.flatnonzero(state.allowed_mask())}
    assert "PITCH_61" in allowed and "PITCH_60" not in allowed
    assert "POS_13" in allowed and "POS_12" not in allowed and "POS_35" in allowed and "POS_36" not in allowed
    assert "EOS" in allowed and "BAR_6/8" in allowed and "BOS" not in allowed
    assert state.bars == 1 and state.skipped == 0


def test_max_bars_and_bar_token_restriction():
    state = GrammarState.from_prefix(ids("BOS", "BAR_4/4", "BAR_4/4"), max_bars=2)
    mask = state.allowed_mask()
    assert not mask[V.bar_ids].any() and mask[V.id("EOS")]
    only_44 = GrammarState(bar_token_ids=ids("BAR_4/4"))
    assert only_44.allows(V.id("BAR_4/4")) and not only_44.allows(V.id("BAR_3/4"))
    batch = BatchGrammar(2, max_bars=1, bar_token_ids=ids("BAR_4/4"))
    masks = batch.masks()
    assert masks[:, V.id("BAR_4/4")].all() and not masks[:, V.id("BAR_3/4")].any()
    batch.advance(np.array(ids("BAR_4/4", "BAR_4/4")))
    assert not batch.masks()[:, V.bar_ids].any()


def test_after_eos_only_pad():
    state = GrammarState.from_prefix(ids("BOS", "EOS"))
    assert state.finished and np.flatnonzero(state.allowed_mask()).tolist() == [0]


def test_batch_advance_skips_disallowed_tokens_per_row():
    batch = BatchGrammar(3)
    fits = batch.advance(np.array(ids("BOS", "PITCH_60", "BAR_4/4")))
    assert fits.tolist() == [True, False, True]
    assert batch.skipped.tolist() == [0, 1, 0]
    assert batch.bars.tolist() == [0, 0, 1]
    fits = batch.advance(np.array([V.size + 3, -1, V.id("POS_0")]))
    assert fits.tolist() == [False, False, True]


def test_from_prefixes_and_repeat_match_scalar_states():
    seeds = [np.array(ids("BOS", "BAR_4/4", "POS_0", "PITCH_60")), np.array(ids("BOS", "STYLE_user"))]
    batch = BatchGrammar.from_prefixes(seeds)
    for i, seed in enumerate(seeds):
        assert (batch.masks()[i] == GrammarState.from_prefix(seed).allowed_mask()).all()
    repeated = BatchGrammar.repeat(GrammarState.from_prefix(seeds[0]), 4)
    assert (repeated.masks() == GrammarState.from_prefix(seeds[0]).allowed_mask()).all()


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1), st.integers(min_value=1, max_value=6),
       st.one_of(st.none(), st.integers(min_value=1, max_value=5)))
def test_random_walks_agree_with_scalar_rules_and_decode_with_nothing_skipped(seed, rows, max_bars):
    rng = np.random.default_rng(seed)
    batch = BatchGrammar(rows, max_bars=max_bars)
    scalars = [GrammarState(max_bars=max_bars) for _ in range(rows)]
    sequences: list[list[int]] = [[] for _ in range(rows)]
    # Bias away from EOS and BAR so walks reach deep into bars before ending.
    weights = np.ones(V.size)
    weights[V.EOS] = 0.02
    weights[V.bar_ids] = 0.05
    for step in range(250):
        masks = batch.masks()
        if step % 10 == 0:  # the pure-Python reference is slow: compare every token now and then
            for i, state in enumerate(scalars):
                assert (masks[i] == [state.allows(t) for t in range(V.size)]).all()
        assert masks.any(axis=1).all()
        probs = masks * weights
        choice = np.array([rng.choice(V.size, p=p / p.sum()) for p in probs])
        assert batch.advance(choice).all()
        for i, token in enumerate(choice.tolist()):
            assert scalars[i].advance(token)
            if token != V.PAD:
                sequences[i].append(token)
        if (batch.phase == END).all():
            break
    assert (batch.skipped == 0).all()
    for sequence, state in zip(sequences, scalars, strict=True):
        score, stats = decode_with_stats(sequence)
        assert stats.skipped == 0
        assert stats.bars == state.bars
        if max_bars is not None:
            assert state.bars <= max_bars
        # One round of encode/decode is stable: the walk's music survives re-encoding.
        again = encode(score, bos=False, eos=False)
        assert decode_with_stats(again)[0].notes == score.notes
