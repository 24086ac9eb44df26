"""Tests of verdicts.py: the logistic boundary fit recovers known slopes and says
inconclusive on noise; crossings are never clamped; intervals have their coverage."""
import numpy as np
import pytest

from lab import verdicts as v


def synthetic_grid(slope, intercept, seeds, sharpness=3.0, seed=0, points=7):
    """Runs on a points × points grid of log10 rates in [−5, −1]: generalized with
    probability σ(sharpness · (slope·x + intercept − y)), i.e. below the line y = slope x + c."""
    rng = np.random.default_rng(seed)
    g = np.linspace(-5, -1, points)
    x, y = np.meshgrid(g, g, indexing="ij")
    x, y = np.repeat(x.ravel(), seeds), np.repeat(y.ravel(), seeds)
    p = 1 / (1 + np.exp(-sharpness * (slope * x + intercept - y)))
    return x, y, (rng.random(len(x)) < p).astype(int)


def test_logistic_fit_solves_its_first_order_condition_and_recovers_beta():
    rng = np.random.default_rng(1)
    X = np.column_stack([np.ones(20000), rng.standard_normal((20000, 2))])
    beta = np.array([0.5, -1.5, 2.0])
    y = (rng.random(20000) < 1 / (1 + np.exp(-X @ beta))).astype(float)
    b = v.logistic_fit(X, y, ridge=1e-2)
    p = 1 / (1 + np.exp(-X @ b))
    grad = X.T @ (y - p) - np.r_[0.0, 1e-2 * b[1:]]
    assert np.max(np.abs(grad)) < 1e-8                      # the penalised likelihood's maximum
    np.testing.assert_allclose(b, beta, atol=0.08)          # ~4 standard errors at N = 20000


@pytest.mark.parametrize("slope", [+1.0, -1.0])
def test_boundary_slope_recovers_plus_and_minus_one_within_its_interval(slope):
    x, y, gen = synthetic_grid(slope, intercept=1.0 if slope > 0 else -6.0, seeds=3)
    assert 0 < gen.mean() < 1
    fit = v.boundary_slope(x, y, gen)
    assert fit.contains(slope) and not fit.contains(-slope)
    assert fit.runs == 147
    assert v.judge(fit, slope, rival=-slope) == v.HOLDS
    assert v.judge(fit, -slope, rival=slope) == v.DOES_NOT_HOLD


def test_boundary_slope_on_pure_noise_is_inconclusive():
    rng = np.random.default_rng(3)
    g = np.linspace(-5, -1, 7)
    x, y = (a.ravel().repeat(3) for a in np.meshgrid(g, g, indexing="ij"))
    gen = (rng.random(len(x)) < 0.5).astype(int)
    fit = v.boundary_slope(x, y, gen)
    assert v.judge(fit, +1.0, rival=-1.0) == v.INCONCLUSIVE
    assert v.judge(fit, -1.0, rival=+1.0) == v.INCONCLUSIVE


def test_boundary_slope_with_one_class_has_no_fit():
    fit = v.boundary_slope([0, 1, 2], [0, 1, 2], [1, 1, 1])
    assert fit.value is None and "0 memorizing runs" in fit.note and v.judge(fit, 1.0) == v.INCONCLUSIVE
    with pytest.raises(ValueError, match="lengths"):
        v.boundary_slope([0, 1], [0, 1, 2], [1, 0, 1])


def test_critical_log_ratio_finds_the_ratio_of_a_slope_one_boundary():
    x, y, gen = synthetic_grid(1.0, intercept=1.0, seeds=3, sharpness=6.0)  # P = ½ at y − x = 1
    crit = v.critical_log_ratio(x, y, gen)
    assert crit.contains(1.0) and crit.hi - crit.lo < 0.6


def test_judge_rules():
    i = v.Interval(0.9, 0.5, 1.2, 10)
    assert v.judge(i, 1.0, rival=-1.0) == v.HOLDS
    assert v.judge(i, -1.0, rival=1.0) == v.DOES_NOT_HOLD
    assert v.judge(v.Interval(0.0, -2.0, 2.0, 10), 1.0, rival=-1.0) == v.INCONCLUSIVE
    assert v.intervals_overlap([v.Interval(0, -1, 1, 1), v.Interval(0.5, 0.9, 2, 1)])
    assert not v.intervals_overlap([v.Interval(0, -1, 0.5, 1), v.Interval(1, 0.9, 2, 1)])


def test_judge_flat_and_graded():
    assert v.judge_flat(v.Interval(0.1, -0.4, 0.6, 30)) == v.HOLDS
    assert v.judge_flat(v.Interval(2.2, 1.5, 3.0, 30)) == v.DOES_NOT_HOLD
    assert v.judge_flat(v.Interval(0.0, -1.5, 1.5, 30)) == v.INCONCLUSIVE     # also ±1
    assert v.judge_flat(v.Interval(None, None, None, 3, "one class")) == v.INCONCLUSIVE
    assert [v.graded(True), v.graded(False, True), v.graded(False)] == [v.HOLDS, v.PARTLY, v.DOES_NOT_HOLD]


def test_crossing_is_never_clamped_to_the_grid():
    assert v.crossing([0.1, 0.2, 0.3], [0.5, 0.8, 1.0]).value == pytest.approx(0.25)
    below = v.crossing([0.02, 0.05], [0.95, 0.99])
    assert below.censored == "below" and below.text(".2f") == "below 0.02"
    above = v.crossing([0.1, 0.2], [0.5, 0.6])
    assert above.censored == "above" and above.text(".1f") == "above 0.2"


def test_crossing_interval_brackets_the_crossing_and_censors_at_the_edges():
    x = np.array([0.1, 0.2, 0.3, 0.4])
    Y = np.array([[0.5, 0.6, 0.55], [0.85, 0.95, 0.88], [0.97, 0.99, 0.98], [1.0, 1.0, 1.0]])
    point, lo, hi = v.crossing_interval(x, Y)
    assert lo.value <= point.value <= hi.value and point.censored is None
    assert 0.1 < lo.value and hi.value < 0.3
    _, lo, _ = v.crossing_interval(x, np.full((4, 5), 0.95))
    assert lo.censored == "below"
    assert v.crossing_ranges_overlap((v.Crossing(0.1, "below"), v.Crossing(0.2)),
                                     (v.Crossing(0.15), v.Crossing(0.3)))
    assert not v.crossing_ranges_overlap((v.Crossing(0.1), v.Crossing(0.2)),
                                         (v.Crossing(0.25), v.Crossing(0.4, "above")))


def test_wilson_interval_hand_values():
    lo, hi = v.wilson_interval(5, 10)
    assert (round(lo, 4), round(hi, 4)) == (0.2366, 0.7634)
    lo, hi = v.wilson_interval(0, 8)
    assert lo == 0.0 and hi == pytest.approx(0.3244, abs=1e-4)
    for k, m in ((8, 8), (3, 3), (0, 5), (7, 9)):         # always brackets k/m, also at k = m
        lo, hi = v.wilson_interval(k, m)
        assert lo <= k / m <= hi
    with pytest.raises(ValueError, match="m=0"):
        v.wilson_interval(0, 0)


def stored_crossings(point, lo, hi):
    return [v.Crossing(point).to_json(), v.Crossing(lo).to_json(), v.Crossing(hi).to_json()]


def test_crossing_range_text():
    assert v.crossing_range_text(stored_crossings(0.05, 0.04, 0.06)) == "0.050 [0.040, 0.060]"


# Fig. 3's paired seeds: per-seed curves on the grid X whose crossings are known by hand.
X = [0.1, 0.2, 0.3, 0.4]
AT_02 = [0.5, 0.9, 1.0, 1.0]       # reaches 0.9 exactly at 0.2
AT_028 = [0.5, 0.7, 0.95, 1.0]     # 0.2 + 0.1 · (0.9 − 0.7)/(0.95 − 0.7) = 0.28
NEVER = [0.5, 0.6, 0.7, 0.8]       # 'above' 0.4
ALREADY = [0.95, 1.0, 1.0, 1.0]    # 'below' 0.1


def paired_runs(*variants):
    """variants: per variant, its per-seed curves → runs of shape (variants, fracs, seeds)."""
    return np.array(variants, dtype=float).transpose(0, 2, 1)


def test_seed_crossings_and_their_signs_with_censored_ties():
    cs = v.seed_crossings(X, paired_runs([AT_02, AT_028, NEVER, ALREADY])[0])
    assert [c.text(".2f") for c in cs] == ["0.20", "0.28", "above 0.40", "below 0.10"]
    assert cs[1].value == pytest.approx(0.28)
    expected = v.seed_crossings(X, paired_runs([AT_02, AT_02, NEVER, ALREADY])[0])
    #      other: 0.2 vs 0.2 tie, 0.28 later, 'above' vs 'above' tie, 'below' vs 'below' tie
    assert v.crossing_signs(cs, expected) == [0, 1, 0, 0]
    assert v.crossing_signs(expected, cs) == [0, -1, 0, 0]
    assert v.crossing_signs([cs[2]], [cs[0]]) == [1]          # 'above' is later than any value
    assert v.crossing_signs([cs[0], None], [cs[1], cs[1]]) == [-1]   # a missing seed is not paired


def test_smallest_gap_by_paired_seeds_hand_counted_sign_tests():
    names = ["x", "y"]
    # 5 seeds, y later in every one: p = 1/32
    verdict, _, comps, p = v.smallest_crossing_verdict(names, paired_runs([AT_02] * 5, [AT_028] * 5), X, "x")
    assert verdict == v.HOLDS and p == 1 / 32
    assert comps[0].counts() == (5, 0, 0) and comps[0].p_earlier == 1.0
    # 4 seeds: 1/16 > 0.05 can never be reached
    verdict, why, _, p = v.smallest_crossing_verdict(names, paired_runs([AT_02] * 4, [AT_028] * 4), X, "x")
    assert verdict == v.TOO_FEW and p == 1 / 16 and "4 paired seeds" in why and "0.0625" in why
    # one seed earlier (y 'below' the grid): #{patterns with sum ≥ 3} = 1 + 5 → 6/32
    verdict, _, comps, p = v.smallest_crossing_verdict(
        names, paired_runs([AT_02] * 5, [AT_028] * 4 + [ALREADY]), X, "x")
    assert verdict == v.INCONCLUSIVE and p == 6 / 32 and comps[0].p_earlier == 31 / 32
    # censored ties: both 'above' in 2 seeds (zeros), later in 3: 1/8 of the 3 signs × 4 → 4/32
    verdict, _, comps, p = v.smallest_crossing_verdict(
        names, paired_runs([AT_02] * 3 + [NEVER] * 2, [AT_028] * 3 + [NEVER] * 2), X, "x")
    assert verdict == v.INCONCLUSIVE and p == 4 / 32 and comps[0].counts() == (3, 0, 2)
    # the other variant earlier in all 5: the reverse p = 1/32
    verdict, why, comps, p = v.smallest_crossing_verdict(names, paired_runs([AT_028] * 5, [AT_02] * 5), X, "x")
    assert verdict == v.DOES_NOT_HOLD and comps[0].p_earlier == 1 / 32 and p == 1.0 and why.startswith("y ")
    # the expected variant never crosses, the other does in every seed: does not hold
    verdict, _, _, _ = v.smallest_crossing_verdict(names, paired_runs([NEVER] * 5, [AT_028] * 5), X, "x")
    assert verdict == v.DOES_NOT_HOLD


def test_smallest_gap_is_an_intersection_union_over_every_other_variant():
    """x beats y in 5/5 seeds (1/32) but only ties z in one seed (4 later, 1 tie: 2/32):
    p = max = 0.0625, inconclusive, though each comparison leans the same way."""
    runs = paired_runs([AT_02] * 5, [AT_028] * 5, [AT_028] * 4 + [AT_02])
    verdict, _, comps, p = v.smallest_crossing_verdict(["x", "y", "z"], runs, X, "x")
    assert [c.other for c in comps] == ["y", "z"]
    assert [c.p_later for c in comps] == [1 / 32, 2 / 32] and p == 2 / 32
    assert verdict == v.INCONCLUSIVE
    runs = paired_runs([AT_02] * 5, [AT_028] * 5, [AT_028] * 5)
    assert v.smallest_crossing_verdict(["x", "y", "z"], runs, X, "x")[0] == v.HOLDS


def test_smallest_gap_without_per_seed_curves_is_not_tested():
    verdict, why, comps, p = v.smallest_crossing_verdict(["x", "y"], None, X, "x")
    assert (verdict, why, comps, p) == (v.TOO_FEW, v.NOT_PAIRED, [], None)
    assert why == "per-seed curves not saved: seeds not paired"


def test_smallest_gap_drops_an_unfinished_seed():
    """6 seeds, one curve with a missing point: 5 pairs remain, all later: 1/32."""
    nan = [0.5, np.nan, 1.0, 1.0]
    runs = paired_runs([AT_02] * 6, [AT_028] * 5 + [nan])
    verdict, _, comps, p = v.smallest_crossing_verdict(["x", "y"], runs, X, "x")
    assert comps[0].pairs == 5 and p == 1 / 32 and verdict == v.HOLDS



# --- Support before fit, open intervals, equality, per-column transitions -------------

def test_a_one_point_boundary_is_refused():
    """Thirty generalized runs and one memorizing run: the fit's direction would be set by
    its ridge penalty, so there is no boundary and every verdict on it is inconclusive."""
    g = np.linspace(-5, -1, 7)
    x, y = (a.ravel() for a in np.meshgrid(g, g[:5], indexing="ij"))
    gen = np.ones(len(x))
    gen[7] = 0                                        # one memorizing run in one cell
    for fit in (v.boundary_slope(x, y, gen), v.critical_log_ratio(x, y, gen)):
        assert fit.value is None and "1 memorizing run in 1 cell" in fit.note
        assert v.judge(fit, 1.0, rival=-1.0) == v.INCONCLUSIVE and v.judge_flat(fit) == v.INCONCLUSIVE
    assert v.boundary_line(x, y, gen) is None
    gen[[8, 14]] = 0                                  # three runs but still in two cells? 7, 8, 14
    assert v.support(x, y, gen)[0]
    gen[[8, 14]] = 1
    gen[7] = 0
    x2, y2, g2 = np.r_[x, x[7], x[7]], np.r_[y, y[7], y[7]], np.r_[gen, 0, 0]   # 3 runs, 1 cell
    assert not v.support(x2, y2, g2)[0]


def test_support_passes_a_real_boundary_and_the_fit_is_unchanged():
    x, y, gen = synthetic_grid(1.0, intercept=1.0, seeds=3)
    assert v.support(x, y, gen) == (True, "")
    assert v.boundary_slope(x, y, gen).value is not None


def test_resamples_that_lose_a_class_count_against_the_interval():
    vals = np.r_[np.linspace(0, 1, 900), np.full(100, np.nan)]       # 10% lost: both ends open
    i = v.open_interval(0.5, vals, 10)
    assert i.lo == -np.inf and i.hi == np.inf and i.lost == 0.1
    assert v.judge(i, 1.0, rival=-1.0) == v.INCONCLUSIVE
    few = np.r_[np.linspace(0, 1, 990), np.full(10, np.nan)]         # 1% lost: ends close in
    j = v.open_interval(0.5, few, 10)
    assert np.isfinite(j.lo) and np.isfinite(j.hi) and j.lo < 0.05 and j.hi > 0.95
    assert "1.0% of resamples lost a side" in j.text()
    assert v.Interval(**i.to_json()).hi == np.inf                    # saved as "inf", read back
    clean = v.open_interval(0.5, np.linspace(0, 1, 1000), 10)
    assert clean.lost == 0.0 and clean.lo == pytest.approx(0.025, abs=1e-3)


def test_logistic_fit_many_equals_fitting_one_at_a_time():
    x, y, gen = synthetic_grid(1.0, intercept=1.0, seeds=2)
    X = np.column_stack([np.ones(len(x)), x, y])
    idx = np.random.default_rng(0).integers(0, len(x), (5, len(x)))
    many = v.logistic_fit_many(X[idx], gen[idx])
    for b, i in zip(many, idx):
        np.testing.assert_allclose(b, v.logistic_fit(X[i], gen[i]), rtol=1e-8, atol=1e-10)


def relation_runs(shift, seed):
    """A slope +1 boundary at log10 η_dec/η_enc = 1 + shift, sharp, 3 seeds per cell."""
    return synthetic_grid(1.0, intercept=1.0 + shift, seeds=3, sharpness=8.0, seed=seed)


def test_equal_boundaries_pass_the_equality_test_and_shifted_ones_fail_it():
    x0 = -3.0
    same = [v.place_samples(*relation_runs(0.0, s), x0, seed=s + 1) for s in range(3)]
    diffs = [v.place_difference(same[i], same[j]) for i in range(3) for j in range(i + 1, 3)]
    assert all(abs(d.value) < 0.2 for d in diffs)
    assert v.equal_within(diffs, 0.5) == v.HOLDS
    shifted = [same[0], v.place_samples(*relation_runs(-1.5, 7), x0, seed=9)]   # 1.5 decades lower
    d = v.place_difference(*shifted)
    assert d.value > 1.0 and d.lo > 0.5 and v.equal_within([d], 0.5) == v.DOES_NOT_HOLD
    refused = v.place_samples([0, 0, 1], [0, 1, 1], [1, 1, 0], 0.5)
    assert refused[0] is None and v.equal_within([v.place_difference(refused, same[0])], 0.5) == v.INCONCLUSIVE


def test_column_transitions_follow_a_boundary_of_slope_two():
    """y = 2x + 7: the transition ratio log10 η_dec/η_enc = x + 7 moves with the column."""
    x, y, gen = synthetic_grid(2.0, intercept=7.0, seeds=4, sharpness=8.0, points=7)
    cols = v.column_transitions(x, y, gen)
    fitted = [(xv, c) for xv, c in cols if c.value is not None]
    assert len(fitted) >= 2
    for xv, c in fitted:
        assert c.contains(xv + 7.0)
    assert all(c.value is None for xv, c in cols if xv >= -3.0)     # boundary above the grid there


def test_resamples_are_held_to_the_support_rule():
    """Exactly 3 memorizing runs in 2 cells: the data have support, but most resamples draw
    fewer than 3 of them (P(Binomial(N, 3/N) ≥ 3) ≈ 0.58), lose their support and count
    against the interval, which is then open at both ends."""
    x, y, gen = synthetic_grid(1.0, intercept=1.0, seeds=1)
    mem = np.flatnonzero(gen == 0)
    keep = np.r_[np.flatnonzero(gen == 1), mem[:2], mem[:1]]            # 3 memorizing runs, 2 cells
    x, y, gen = x[keep], y[keep], gen[keep]
    assert v.support(x, y, gen)[0] and (gen == 0).sum() == 3
    idx = v._bootstrap_indices(len(gen), 0)
    ok = v._supported_resamples(x, y, gen, idx)
    both = np.array([0 < gen[i].sum() < len(i) for i in idx])
    assert both.mean() > 0.9 and ok.mean() < 0.7                   # a class kept is not support kept
    s = v.boundary_slope(x, y, gen)
    assert s.lost == pytest.approx(1 - ok.mean(), abs=1e-4) and s.lo == -np.inf and s.hi == np.inf
