"""Tests of rules.py on cases whose answer is known: the exact binomial tail and Holm's
correction, Student's t against table values, and the Goldilocks zone rule."""
import numpy as np
import pytest

import geneft as g
from lab import rules
from lab import verdicts as v


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


@pytest.mark.parametrize("t, df, p", [(2.132, 4, 0.05), (2.015, 5, 0.05), (6.314, 1, 0.05),
                                      (3.747, 4, 0.01), (0.0, 3, 0.5), (1.96, 10_000, 0.025)])
def test_t_sf_matches_table_values(t, df, p):
    assert rules.t_sf(t, df) == pytest.approx(p, abs=2e-4)
    assert rules.t_sf(-t, df) == pytest.approx(1 - p, abs=2e-4)


def test_paired_t_hand_value():
    mean, p_gt, p_lt = rules.paired_t([0.1, 0.2, 0.3])       # t = 0.2 / (0.1/√3) = 3.464, df 2
    assert mean == pytest.approx(0.2) and p_gt == pytest.approx(0.0371, abs=1e-3)
    assert p_lt == pytest.approx(1 - p_gt)
    assert rules.paired_t([0.3])[1] is None


def zone_data(acc, phases):
    return rules.goldilocks_zone(list(range(len(acc))), acc, phases, g.GENERALIZED, g.CONFUSION,
                                 g.MEMORIZATION)


C, M, G = g.CONFUSION, g.MEMORIZATION, g.GENERALIZATION


def test_a_flat_zone_passes():
    rng = np.random.default_rng(1)
    acc = np.array([[0.5] * 5, [0.95] * 5, [0.96] * 5, [0.95] * 5, [0.65] * 5]) + rng.normal(0, 0.01, (5, 5))
    phases = [[C] * 5, [G] * 5, [G] * 5, [G] * 5, [M] * 5]
    z = zone_data(acc, phases)
    assert z["verdict"] == v.HOLDS and z["zone"] == [1, 2, 3]
    assert z["shallow"][1] < 0.05 and z["deep"][1] < 0.05


def test_a_single_spike_fails():
    """One seed at one depth generalizes with a high accuracy (the highest mean of all);
    nowhere do most seeds generalize: no zone."""
    acc = np.full((5, 5), 0.6)
    acc[0] = 0.5
    acc[2, 3] = 1.0
    phases = [[C] * 5] + [[M] * 5 for _ in range(4)]
    phases[2][3] = G
    assert zone_data(acc, phases)["verdict"] == v.DOES_NOT_HOLD


def test_the_zone_needs_its_ends_and_enough_seeds():
    acc = np.array([[0.5] * 3, [0.95] * 3, [0.65] * 3]) + np.array([0.0, 0.01, 0.02])
    good = [[C] * 3, [G] * 3, [M] * 3]
    assert zone_data(acc, good)["verdict"] == v.HOLDS
    assert zone_data(acc, [[M] * 3, [G] * 3, [M] * 3])["verdict"] == v.DOES_NOT_HOLD   # no confusion end
    noisy = np.array([[0.5, 0.9], [0.95, 0.6], [0.65, 0.7]])      # one seed each way
    assert zone_data(noisy, [[C] * 2, [G] * 2, [M] * 2])["verdict"] == v.INCONCLUSIVE
    worse = np.array([[0.5] * 4, [0.6, 0.62, 0.61, 0.6], [0.9, 0.92, 0.91, 0.93]])
    assert zone_data(worse, [[C] * 4, [G] * 4, [M] * 4])["verdict"] == v.DOES_NOT_HOLD  # the deep end beats it
