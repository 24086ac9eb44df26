"""Tests of figkit.py: the grid, the boundary's report rows, P(generalized) against
Eq. (12) point by point, crossings on log axes."""
import numpy as np
import pytest

from lab import figkit
import geneft as g
from lab import verdicts


def test_log_grid_is_logspace_of_the_preset_spec():
    np.testing.assert_allclose(figkit.log_grid((-5, -1, 5)), [1e-5, 1e-4, 1e-3, 1e-2, 1e-1])


def test_log_grid_is_the_same_whatever_numpys_last_bit(monkeypatch):
    """NumPy 2.4's logspace gives 0.09999999999999999 where 1.26's gives 0.1 (and the paper
    grid's 9.999999999999999e-06): the grid holds the decimals both round to, so the
    figures' data agree across versions, and every run keeps its key."""
    from lab.results import key_value
    exact = figkit.log_grid((-5, -1, 7))
    real = np.logspace
    monkeypatch.setattr(np, "logspace", lambda *a, **k: np.nextafter(real(*a, **k), 0))
    assert figkit.log_grid((-5, -1, 7)).tolist() == exact.tolist()
    assert exact[0] == 1e-5 and exact[-1] == 0.1 and exact[3] == 0.001
    assert [key_value(x) for x in exact] == [key_value(x) for x in real(-5, -1, 7)]


def test_grid_runs_keep_generalized_and_memorizing_runs_only():
    """Confusion trains nothing, so it sits on neither side of the boundary."""
    phases = [[[g.GENERALIZATION, g.CONFUSION], [g.MEMORIZATION]],
              [[g.GROKKING], [g.CONFUSION]]]
    x, y, gen = figkit.grid_runs([1e-3, 1e-2], [1e-4, 1e-1], phases)
    np.testing.assert_allclose(x, [-3, -3, -2])
    np.testing.assert_allclose(y, [-4, -1, -4])
    np.testing.assert_array_equal(gen, [1, 0, 1])
    assert all(len(c) == 0 for c in figkit.grid_runs([1.0], [1.0], [[[g.CONFUSION]]]))


def test_slope_rows_test_the_texts_minus_one_and_eq12s_plus_one():
    near_plus = verdicts.Interval(1.1, 0.8, 1.4, 60)
    minus, plus = figkit.slope_rows("Fig. 5", "mod3", near_plus, 100, label="mod3")
    assert minus.verdict == verdicts.DOES_NOT_HOLD and plus.verdict == verdicts.HOLDS
    assert plus.number == "mod3: slope +1.10 [+0.80, +1.40]" and "+1 lies in the interval" in plus.why
    wide = verdicts.Interval(0.0, -1.5, 1.5, 60)
    assert {row.verdict for row in figkit.slope_rows("Fig. 5", "mod3", wide, 100)} == {verdicts.INCONCLUSIVE}
    refused = verdicts.Interval(None, None, None, 31, "1 memorizing run in 1 cell")
    rows = figkit.slope_rows("Fig. 8", "bipartite", refused, 100)
    assert {r.verdict for r in rows} == {verdicts.INCONCLUSIVE} and rows[0].why == refused.note


def test_a_point_counts_over_eq12_when_holm_rejects_its_exact_binomial_test():
    """1/4 over a bound of 0.045 (p = 0.17) is not above; 8/8 over 0.05 is, also after Holm
    over the claim's four points; the network's bounds are tested as their own family."""
    curves = [{"seeds": 4, "p_gen": [0.25, 0.5], "bound": [0.5, 0.5]},
              {"seeds": 8, "p_gen": [1.0, 0.125], "bound": [0.9, 0.01]}]
    pts, over_eq, over_net, p_min = figkit.count_over_bounds(curves, bound_equal_sigmas=[0.045, 0.05])
    # σ_a = σ_c: 1/4 vs 0.045 (p 0.17), 2/4 vs 0.05 (p 0.014), 8/8 vs 0.045 (p ~ 1e-11),
    # 1/8 vs 0.05 (p 0.34): Holm rejects the 8/8 and then 2/4 (0.014 ≤ 0.05/3)
    assert (pts, over_eq) == (4, 2) and p_min < 1e-10
    # network bounds: 1/4 vs 0.5, 2/4 vs 0.5, 8/8 vs 0.9 (p 0.43), 1/8 vs 0.01 (p 0.077): none
    assert over_net == 0
    assert figkit.bound_verdict(0) == verdicts.HOLDS
    assert figkit.bound_verdict(over_eq) == verdicts.DOES_NOT_HOLD


def test_crossing_down_interpolates_on_log_axes():
    assert figkit.crossing_down([1.0, 100.0], [1.0, 0.0]) == pytest.approx(10.0)
    assert figkit.crossing_down([1.0, 100.0], [1.0, 0.9]) is None


def test_phase_counts_and_ratio_text():
    phases = [g.GENERALIZATION, g.MEMORIZATION, g.GENERALIZATION]
    assert figkit.phase_counts(phases) == "2 gen, 1 mem"
    assert figkit.ratio_text(verdicts.Interval(0.8, 0.5, 1.1, 40).to_json()) == "10^0.80 [0.50, 1.10]"
    assert figkit.fmt(None) == "n/a" and figkit.fmt(0.12345, ".2f") == "0.12"


def test_p_gen_curves_give_one_curve_per_variant_in_order_from_one_sweep():
    """Each variant's runs come back as its own curve: P(generalized) per ratio over its
    seeds, its network σ's, the Eq. (12) bound they give."""
    import repons
    from lab.presets import PRESETS
    p = PRESETS["smoke"]
    ratios, seeds = (0.1, 10.0), 2
    calls = []

    class FakeRunner:
        def run_groups(self, label, groups):
            calls.append((label, [len(grp) for grp in groups]))
            won = lambda c: c.d == 1 and c.eta_dec < c.eta_enc     # d = 1 generalizes at ratio 0.1 only
            return [[type("S", (), {"generalized": won(c), "phase": g.GENERALIZATION if won(c)
                                    else g.MEMORIZATION})() for c in grp] for grp in groups]

    curves = figkit.p_gen_curves(p, FakeRunner(), "q", ratios, seeds, [{"d": 1}, {"d": 3}])
    assert calls == [("q", [4, 4])]
    assert [c["p_gen"] for c in curves] == [[1.0, 0.0], [0.0, 0.0]]
    cfg = figkit.p_gen_configs(p, ratios, seeds, d=3)[0]
    assert curves[1]["sigma_a"] == g.sigma_a_of_network(cfg)
    assert curves[1]["bound"][1] == pytest.approx(float(repons.p_collision(
        curves[1]["sigma_a"], curves[1]["sigma_c"], eta_A=10.0, eta_x=1.0)))


def test_a_bound_with_no_generalized_run_is_not_tested():
    """On a relation where no run generalizes, every point is 0 and under any bound: the
    claim has no support and reads inconclusive, never 'holds'."""
    curves = [{"seeds": 4, "p_gen": [0.0, 0.0, 0.0]}]
    assert figkit.generalized_runs(curves) == 0
    assert figkit.bound_verdict(0, figkit.generalized_runs(curves)) == verdicts.INCONCLUSIVE
    assert "not tested" in figkit.bound_why(0, 0)
    assert figkit.generalized_runs([{"seeds": 4, "p_gen": [0.25, 0.5]}]) == 3
    assert figkit.bound_verdict(0, 3) == verdicts.HOLDS


def test_ratio_learning_rates():
    assert figkit.ratio_learning_rates("adam", 10) == (1e-3, 1e-2)
    enc, dec = figkit.ratio_learning_rates("sgd", 4, sgd_eta=0.5)
    assert (enc, dec) == pytest.approx((0.25, 1.0)) and dec / enc == pytest.approx(4)
