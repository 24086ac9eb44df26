"""Tests of rules.py on cases whose answer is known: the exact binomial tail and Holm's
correction, the exact sign-flip test against p-values counted by hand, designs too small
to decide, and the Goldilocks zone rule on synthetic seeds."""
import itertools

import numpy as np
import pytest

import geneft as g
from lab import rules

C, M, G = g.CONFUSION, g.MEMORIZATION, g.GENERALIZATION


def test_binomial_sf_hand_values():
    assert rules.binomial_sf(1, 4, 0.045) == pytest.approx(1 - 0.955 ** 4)       # 0.168
    assert rules.binomial_sf(2, 4, 0.14) == pytest.approx(
        1 - 0.86 ** 4 - 4 * 0.14 * 0.86 ** 3)                                     # 0.104
    assert rules.binomial_sf(0, 5, 0.3) == 1.0 and rules.binomial_sf(3, 3, 0.0) == 0.0
    assert rules.binomial_sf(8, 8, 0.5) == pytest.approx(1 / 256)
    with pytest.raises(ValueError, match="k=5"):
        rules.binomial_sf(5, 4, 0.5)


def test_holm_rejects_what_it_should_at_the_stated_level():
    # sorted p: 0.01 ≤ 0.05/4, 0.015 ≤ 0.05/3, 0.03 > 0.05/2: two rejected, the rest kept
    np.testing.assert_array_equal(rules.holm([0.03, 0.01, 0.5, 0.015]), [False, True, False, True])
    assert rules.holm([0.02, 0.01, 0.5, 0.018]).sum() == 1      # 0.018 > 0.05/3 stops it
    assert not rules.holm([0.02] * 3).any()                  # 0.02 > 0.05/3: none
    assert rules.holm([0.04]).all()                          # a family of one is the plain test


def test_above_bound_flags_the_reviews_cases_no_longer_and_a_real_excess_yes():
    """1/4 against 0.045 (p = 0.17) and 2/4 against 0.14 (p = 0.10) are not significant;
    8/8 against 0.3 (p = 6.6e-5) is, even after Holm over ten points."""
    pv, rej = rules.above_bound([(1, 4, 0.045), (2, 4, 0.14)])
    assert pv[0] == pytest.approx(0.168, abs=1e-3) and not rej.any()
    pts = [(8, 8, 0.3)] + [(1, 8, 0.5)] * 9
    _, rej = rules.above_bound(pts)
    assert rej[0] and not rej[1:].any()


def test_false_positive_rate_of_holm_binomial_is_at_most_the_level():
    """Points drawn exactly at their bound: the family rejects in ≤ 5% of trials."""
    rng = np.random.default_rng(0)
    bounds = np.array([0.1, 0.3, 0.5, 0.7, 0.9] * 3)
    hits = sum(rules.above_bound([(int(k), 8, b) for k, b in zip(rng.binomial(8, bounds), bounds)])[1].any()
               for _ in range(400))
    assert hits / 400 <= 0.05


# --- The sign-flip test, counted by hand -----------------------------------------------
# With |d| = 1, 2, ..., n, flipping the signs of a set S of them gives Σ|d| − 2 Σ_S |d|, so
# "at least the observed sum" counts the sets S whose sum is at most the observed one's.

@pytest.mark.parametrize("diffs, p_greater", [
    ([1, 2, 3, 4, 5], 1 / 32),                      # only S = {} : every sign observed
    ([1, 2, 3, 4, -5], 10 / 32),                    # S with ΣS ≤ 5: {}, 1, 2, 3, 4, 5, 12, 13, 14, 23
    ([-1, 2, 3, 4, 5], 2 / 32),                     # S with ΣS ≤ 1: {}, {1}
    ([0, 1, 2, 3, 4], 2 / 32),                      # a zero carries no sign: both of its patterns count
    ([0.1] * 4, 1 / 16),                            # no spread is not p = 0
    ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 1 / 1024),
    ([-1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 2 / 1024),   # S with ΣS ≤ 1
    ([-1, -2, 3, 4, 5, 6, 7, 8, 9, 10], 5 / 1024),  # S with ΣS ≤ 3: {}, 1, 2, 3, 12
    ([-10, 1, 2, 3, 4, 5, 6, 7, 8, 9], 43 / 1024),  # S ⊂ 1..10 with ΣS ≤ 10: distinct-part
                                                    # partitions of 0..10, 1+1+1+2+2+3+4+5+6+8+10
])
def test_sign_flip_p_values_counted_by_hand(diffs, p_greater):
    p_gt, p_lt = rules.sign_flip(diffs)
    assert p_gt == pytest.approx(p_greater, rel=1e-12)
    assert p_lt == pytest.approx(rules.sign_flip([-x for x in diffs])[0], rel=1e-12)   # mirror image


def test_the_43_sets_are_really_43():
    """The last hand count above, by brute force over the 1,024 subsets."""
    assert sum(sum(S) <= 10 for k in range(11) for S in itertools.combinations(range(1, 11), k)) == 43


def test_sign_flip_equals_brute_force_enumeration_on_random_differences():
    rng = np.random.default_rng(3)
    for n in (1, 2, 5, 7, 11):
        d = rng.normal(0.1, 1.0, n)
        sums = np.array([np.dot(s, np.abs(d)) for s in itertools.product((1, -1), repeat=n)])
        assert rules.sign_flip(d)[0] == np.mean(sums >= d.sum() - 1e-12)
        assert rules.sign_flip(d)[1] == np.mean(sums <= d.sum() + 1e-12)


def test_sign_flip_agrees_with_scipy_permutation_test():
    stats = pytest.importorskip("scipy.stats", reason="scipy is an independent check, not a dependency")
    d = np.array([0.32, 0.1, -0.05, 0.2, 0.3, 0.01, -0.2, 0.4, 0.05, 0.06, 0.11])
    ref = stats.permutation_test((d,), lambda x, axis: np.sum(x, axis=axis), permutation_type="samples",
                                 alternative="greater", n_resamples=np.inf)
    assert rules.sign_flip(d)[0] == pytest.approx(ref.pvalue, rel=1e-12)


def test_sign_flip_refuses_what_it_cannot_enumerate():
    for bad in ([], [1.0] * (rules.MAX_PAIRS + 1), [0.1, np.nan]):
        with pytest.raises(ValueError, match="paired differences"):
            rules.sign_flip(bad)


def test_smallest_p_and_which_designs_can_reach_their_level():
    assert rules.smallest_p(5) == 1 / 32 and rules.smallest_p(10) == 1 / 1024
    assert not rules.reachable(4) and rules.reachable(5)                 # 1/16 > 0.05 ≥ 1/32
    assert not rules.reachable(2) and not rules.reachable(0)
    assert rules.reachable(6, family=3) and not rules.reachable(5, family=3)     # 1/64 ≤ 0.0167 < 1/32
    assert rules.fewest_pairs() == 5 and rules.fewest_pairs(family=3) == 6 and rules.fewest_pairs(family=15) == 9


def test_the_false_positive_rate_of_the_sign_flip_test_is_at_most_its_level():
    rng = np.random.default_rng(5)
    hits = sum(rules.sign_flip(rng.normal(0, 1, 8))[0] <= 0.05 for _ in range(2000))
    assert hits / 2000 <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / 2000)


# --- The zone rule on synthetic seeds --------------------------------------------------

def judged(acc, phases, zone=None, shallow=0, deep=None):
    zone = rules.majority_zone(phases, g.GENERALIZED) if zone is None else zone
    deep = len(acc) - 1 if deep is None else deep
    s = rules.zone_statistics(acc, phases, zone, shallow, deep, g.GENERALIZED, g.CONFUSION, g.MEMORIZATION)
    return s, rules.zone_verdicts([s])[0]


def test_a_clear_zone_on_five_seeds_passes_at_the_smallest_p():
    rng = np.random.default_rng(1)
    acc = np.array([[0.5] * 5, [0.95] * 5, [0.96] * 5, [0.95] * 5, [0.65] * 5]) + rng.normal(0, 0.01, (5, 5))
    phases = [[C] * 5, [G] * 5, [G] * 5, [G] * 5, [M] * 5]
    s, (verdict, _) = judged(acc, phases)
    assert verdict == rules.HOLDS and s["zone"] == [1, 2, 3]
    assert s["shallow"][1] == s["deep"][1] == s["p"] == 1 / 32


def test_a_zone_on_four_seeds_is_too_few_runs_never_does_not_hold():
    acc = np.array([[0.5] * 4, [0.95] * 4, [0.65] * 4])
    for phases in ([[C] * 4, [G] * 4, [M] * 4], [[M] * 4, [G] * 4, [M] * 4]):     # right ends, wrong ends
        assert judged(acc, phases)[1][0] == rules.TOO_FEW


def test_one_seed_against_the_zone_at_one_end_leaves_it_undecided_with_five_seeds():
    acc = np.array([[0.5, 0.5, 0.5, 0.5, 0.99], [0.95] * 5, [0.65] * 5])
    s, (verdict, why) = judged(acc, [[C] * 5, [G] * 5, [M] * 5])
    assert s["shallow"][1] == 2 / 32 and verdict == rules.INCONCLUSIVE


def test_a_single_spike_has_no_zone():
    """One seed at one depth generalizes with the highest accuracy of all; nowhere do most
    seeds generalize: no zone, does not hold."""
    acc = np.full((5, 5), 0.6)
    acc[0] = 0.5
    acc[2, 3] = 1.0
    phases = [[C] * 5] + [[M] * 5 for _ in range(4)]
    phases[2][3] = G
    assert judged(acc, phases)[1][0] == rules.DOES_NOT_HOLD


def test_wrong_end_phases_or_a_deep_end_that_beats_the_zone_do_not_hold():
    acc = np.array([[0.5] * 6, [0.95] * 6, [0.65] * 6]) + np.linspace(0, 0.01, 6)
    assert judged(acc, [[M] * 6, [G] * 6, [M] * 6])[1] == (rules.DOES_NOT_HOLD,
                                                          "the shallow end is not confusion in most seeds")
    worse = np.array([[0.5] * 6, [0.6, 0.62, 0.61, 0.6, 0.63, 0.6], [0.9, 0.92, 0.91, 0.93, 0.9, 0.95]])
    assert judged(worse, [[C] * 6, [G] * 6, [M] * 6])[1] == (rules.DOES_NOT_HOLD,
                                                            "an end beats the zone, seed by seed")


def test_a_registered_zone_that_no_longer_generalizes_does_not_hold():
    acc = np.array([[0.5] * 6, [0.8] * 6, [0.7] * 6]) + np.linspace(0, 0.01, 6)
    phases = [[C] * 6, [M] * 4 + [G] * 2, [M] * 6]
    assert judged(acc, phases, zone=[1])[1] == (rules.DOES_NOT_HOLD, "the zone's runs do not generalize in most cases")


def test_holm_over_a_family_of_widths():
    """Three widths, six seeds each. A clear zone has p = 1/64 ≤ 0.05/3 (Holm's first step);
    a width with one seed against the zone at one end has p = 2/64 = 0.031: after one
    rejection the next step needs ≤ 0.05/2, so it stays undecided, and three such widths
    reject nothing. Five seeds (1/32 > 0.05/3) cannot decide at all."""
    clear = np.array([[0.5] * 6, [0.95] * 6, [0.65] * 6]) + np.linspace(0, 0.01, 6)
    one_off = clear.copy()
    one_off[2, 0] = 0.99
    phases = [[C] * 6, [G] * 6, [M] * 6]
    stat = lambda a: rules.zone_statistics(a, phases, [1], 0, 2, g.GENERALIZED, g.CONFUSION, g.MEMORIZATION)
    assert stat(clear)["p"] == 1 / 64 and stat(one_off)["p"] == 2 / 64
    verdicts = lambda arrays: [v for v, _ in rules.zone_verdicts([stat(a) for a in arrays])]
    assert verdicts([clear, one_off, one_off]) == [rules.HOLDS, rules.INCONCLUSIVE, rules.INCONCLUSIVE]
    assert verdicts([one_off] * 3) == [rules.INCONCLUSIVE] * 3
    assert verdicts([clear, clear, one_off]) == [rules.HOLDS] * 3      # 2/64 ≤ 0.05 at the last step
    five = [rules.zone_statistics(clear[:, :5], [p[:5] for p in phases], [1], 0, 2, g.GENERALIZED,
                                  g.CONFUSION, g.MEMORIZATION)] * 3
    assert {v for v, _ in rules.zone_verdicts(five)} == {rules.TOO_FEW}


def test_seeds_with_a_missing_run_are_not_paired():
    acc = np.array([[0.5] * 6, [0.95] * 5 + [np.nan], [0.65] * 6])
    phases = [[C] * 6, [G] * 5 + [None], [M] * 6]
    s, _ = judged(acc, phases, zone=[1])
    assert s["pairs"] == 5 and s["p"] == 1 / 32


def test_there_is_no_t_test_left():
    assert not any(hasattr(rules, name) for name in ("paired_t", "t_sf", "betainc"))
