"""Tests of lab/exact.py on cases whose answer is known: sign tests counted by hand, the
exact unconditional test against brute force and its closed-form extreme, and the level
of every test checked by simulation at the edge of its null hypothesis."""
import itertools
import math

import numpy as np
import pytest

from lab import exact


def test_sign_tests_with_a_margin_counted_by_hand():
    d = [0.05, 0.03, 0.01, -0.01, 0.10]                   # δ = 0.02: 3 above, 0 below −δ, 2 within
    assert exact.median_above(d, 0.02) == pytest.approx(16 / 32)     # P(Bin(5,½) ≥ 3)
    assert exact.median_below(d, 0.02) == 1.0                       # P(Bin(5,½) ≥ 0)
    # TOST: #{d > −δ} = 5 (p 1/32), #{d < δ} = 2 (p 26/32): the larger decides
    assert exact.median_within(d, 0.02) == pytest.approx(26 / 32)
    assert exact.median_within([0.001] * 8, 0.02) == pytest.approx(2 ** -8)
    assert exact.median_above([math.inf] * 6, 0.02) == pytest.approx(2 ** -6)   # never crossing counts
    assert exact.sign_p(0, 0) == 1.0 and exact.smallest_sign_p(10) == 2 ** -10


def brute_force_p(k1, m1, k2, m2, shift, grid=20001):
    """sup over p1 of P(X2/m2 − X1/m1 ≥ t) at p2 = p1 + shift, every outcome summed."""
    t = k2 / m2 - k1 / m1
    best = 0.0
    for p1 in np.linspace(max(0, -shift), min(1, 1 - shift), grid):
        p2 = min(max(p1 + shift, 0.0), 1.0)
        tail = sum(math.comb(m1, x1) * p1 ** x1 * (1 - p1) ** (m1 - x1)
                   * math.comb(m2, x2) * p2 ** x2 * (1 - p2) ** (m2 - x2)
                   for x1 in range(m1 + 1) for x2 in range(m2 + 1) if x2 / m2 - x1 / m1 >= t - 1e-12)
        best = max(best, tail)
    return best


@pytest.mark.parametrize("k1, m1, k2, m2, shift", [(0, 4, 4, 4, 0.2), (1, 4, 3, 4, 0.2), (2, 5, 2, 4, -0.2),
                                                    (0, 3, 2, 3, 0.0)])
def test_the_unconditional_test_equals_brute_force(k1, m1, k2, m2, shift):
    assert exact.difference_above(k1, m1, k2, m2, shift) == pytest.approx(
        brute_force_p(k1, m1, k2, m2, shift, grid=2001), abs=2e-6)


def test_the_extreme_outcome_has_the_closed_form():
    """m of m against 0 of m: max over p1 of (1 − p1)^m (p1 + δ)^m = ((1 + δ)/2)^(2m)."""
    for m, delta in ((8, 0.2), (10, 0.2), (6, 0.1)):
        assert exact.difference_above(0, m, m, m, delta) == pytest.approx(((1 + delta) / 2) ** (2 * m), rel=1e-9)
        assert exact.differ_by_more_than(0, m, m, m, delta)[0] == pytest.approx(
            exact.smallest_difference_p(m, delta), rel=1e-9)


def test_equal_within_is_symmetric_and_needs_many_runs():
    assert exact.equal_within(3, 8, 5, 8, 0.2) == pytest.approx(exact.equal_within(5, 8, 3, 8, 0.2))
    assert exact.equal_within(4, 8, 4, 8, 0.2) > 0.05           # 8 runs cannot show a tie within 0.2
    assert exact.equal_within(40, 80, 40, 80, 0.2) < 0.01       # 80 can


@pytest.mark.parametrize("p1", [0.1, 0.4, 0.6])
def test_the_level_holds_at_the_edge_of_the_null(p1):
    """Runs drawn with p2 − p1 = δ exactly: the one-sided test rejects in ≤ 5% of trials."""
    rng = np.random.default_rng(int(p1 * 10))
    m, delta = 8, 0.2
    k1, k2 = rng.binomial(m, p1, 600), rng.binomial(m, p1 + delta, 600)
    cache = {}
    rejected = 0
    for a, b in zip(k1, k2):
        if (a, b) not in cache:
            cache[(a, b)] = exact.difference_above(int(a), m, int(b), m, delta)
        rejected += cache[(a, b)] <= 0.05
    assert rejected / 600 <= 0.05


def test_a_proportion_against_a_bound():
    assert exact.above_by_more_than(8, 8, 0.14, 0.2) == pytest.approx(0.34 ** 8)
    assert exact.above_by_more_than(8, 8, 0.9, 0.2) == 1.0            # nothing lies above 1.1
    assert exact.below_bound_plus(0, 8, 0.3, 0.2) == pytest.approx(0.5 ** 8)
    assert exact.below_bound_plus(8, 8, 0.3, 0.2) == 1.0
    assert exact.below_bound_plus(3, 8, 0.95, 0.2) == 0.0             # every P lies below 1.15


def test_bad_counts_are_refused():
    with pytest.raises(ValueError, match="k1=5"):
        exact.difference_above(5, 4, 1, 4, 0.2)
    with pytest.raises(ValueError, match="shift"):
        exact.difference_above(1, 4, 1, 4, 1.0)


def test_sign_test_level_by_enumeration():
    """Under H0 with median exactly δ (each sign a fair coin), P(p ≤ 0.05) ≤ 0.05: the
    count of d > δ over all 2^10 patterns."""
    n = 10
    hits = sum(exact.median_above([1.0 if s else -1.0 for s in signs], 0.0) <= 0.05
               for signs in itertools.product((0, 1), repeat=n))
    assert hits / 2 ** n <= 0.05
