"""Tests of lab/presets.py: run_bounds against a smoke run's counts is in test_run_all.py;
here, a relation of your own: its preset, which figures apply, the majority baseline."""
import json

import numpy as np
import pytest

import geneft as g
from lab.presets import (NOT_PER_RELATION, PER_RELATION, PRESETS, baseline_note,
                         figures_for_relation, majority_baseline, relation_preset)
from lab.results import chunk_key


def shuffled(name, n, seed=1):
    """A Table I relation with its elements relabelled: no preset knows it by name."""
    perm = np.random.default_rng(seed).permutation(n)
    R = g.relation_matrix(name, n)
    return R[np.ix_(perm, perm)]


def test_relation_preset_puts_the_matrix_into_every_config():
    R = shuffled("mod3", 7)
    p = relation_preset(PRESETS["smoke"], "mine", R)
    assert p.n == 7 and p.relations == ("mine",) and p.fig3_relations == ("mine",) and p.focus == "mine"
    cfg = p.config(relation="mine", seed=2)
    np.testing.assert_array_equal(g.relation_matrix(cfg.relation, 7), R)
    assert p.config(relation="greater").relation == "greater"          # Table I names pass through
    json.dumps(cfg.relation)                                            # results files store it


def test_run_keys_hash_the_matrix_not_its_name():
    """An edited matrix under the same name is a new experiment; the same matrix under
    another name is the same one."""
    R = shuffled("mod3", 6)
    key = lambda name, M: chunk_key([relation_preset(PRESETS["smoke"], name, M).config(relation=name)])
    edited = R.copy()
    edited[0, 1] = edited[1, 0] = 1 - edited[0, 1]
    assert key("mine", R) != key("mine", edited)
    assert key("mine", R) == key("other", R)


@pytest.mark.parametrize("kind, skipped", [
    ("equivalence", set()), ("bipartite", {"theorem1"}), ("total_order", {"theorem1"}),
    (None, {"fig3", "theorem1"})])
def test_figures_for_relation_skip_what_does_not_apply_with_a_reason(kind, skipped):
    skip = figures_for_relation(kind)
    assert set(skip) == set(NOT_PER_RELATION) | skipped
    assert set(PER_RELATION) - skipped == set(PER_RELATION) - set(skip)
    assert all(isinstance(why, str) and len(why) > 20 for why in skip.values())


def test_majority_baseline_is_the_share_of_the_commoner_label():
    assert majority_baseline(g.relation_matrix("mod3", 30)) == pytest.approx(1 - 300 / 900)
    divides = np.array([[int(j % i == 0) for j in range(1, 31)] for i in range(1, 31)])
    assert majority_baseline(divides) == pytest.approx(1 - divides.mean()) and majority_baseline(divides) > 0.85

    assert "cannot tell learning from guessing" in baseline_note(divides)
    assert "well below" in baseline_note(g.relation_matrix("mod3", 30))


def test_the_confirm_preset_is_not_moved_onto_a_relation_of_your_own():
    R = g.relation_matrix("mod3", 12)
    with pytest.raises(ValueError, match="preregistered confirmation"):
        relation_preset(PRESETS["confirm"], "mine", R)
    assert PRESETS["confirm"].folder == "paper/confirm" and PRESETS["confirm"].figures == ("fig7", "goldilocks")
    assert PRESETS["paper"].folder == "paper" and PRESETS["paper"].figures == ()
