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
    assert fit.value is None and "one side" in fit.note and v.judge(fit, 1.0) == v.INCONCLUSIVE
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


def test_smallest_crossing_verdict_rules():
    names = ["x", "y"]
    clear = [stored_crossings(0.05, 0.04, 0.06), stored_crossings(0.2, 0.15, 0.25)]
    assert v.smallest_crossing_verdict(names, clear, expected="x") == ("x", v.HOLDS)
    assert v.smallest_crossing_verdict(names, clear, expected="y") == ("x", v.DOES_NOT_HOLD)
    overlap = [stored_crossings(0.05, 0.04, 0.16), stored_crossings(0.2, 0.15, 0.25)]
    assert v.smallest_crossing_verdict(names, overlap, expected="x") == ("x", v.INCONCLUSIVE)
    assert v.smallest_crossing_verdict(names, overlap, expected="y") == ("x", v.INCONCLUSIVE)
    never = [[v.Crossing(0.3, "above").to_json()] * 3] * 2
    assert v.smallest_crossing_verdict(names, never, expected="x")[1] == v.INCONCLUSIVE
    assert v.crossing_range_text(clear[0]) == "0.050 [0.040, 0.060]"

