"""Tests of figkit.py: the grid, the boundary's report rows, P(generalized) against
Eq. (12) point by point, crossings on log axes."""
import numpy as np
import pytest

from lab import figkit
import geneft as g
from lab import verdicts


def test_log_grid_is_logspace_of_the_preset_spec():
    np.testing.assert_allclose(figkit.log_grid((-5, -1, 5)), [1e-5, 1e-4, 1e-3, 1e-2, 1e-1])


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
    near_plus = {"slope": verdicts.Interval(1.1, 0.8, 1.4, 60).to_json()}
    minus, plus = figkit.slope_rows("Fig. 5", "mod3", near_plus, 100)
    assert minus[3] == verdicts.DOES_NOT_HOLD and plus[3] == verdicts.HOLDS
    wide = {"slope": verdicts.Interval(0.0, -1.5, 1.5, 60).to_json()}
    assert {row[3] for row in figkit.slope_rows("Fig. 5", "mod3", wide, 100)} == {verdicts.INCONCLUSIVE}


def test_a_point_counts_over_eq12_only_when_its_whole_interval_is_above():
    curves = [{"interval": [(0.10, 0.60), (0.55, 0.90)], "bound": [0.5, 0.5]},
              {"interval": [(0.00, 0.20), (0.30, 0.70)], "bound": [0.1, 0.2]}]
    pts, over_eq, over_net = figkit.count_over_bounds(curves, bound_equal_sigmas=[0.05, 0.5])
    # σ_a = σ_c: the first curve's two points (lo 0.10 > 0.05, 0.55 > 0.5); the network's
    # σ's: each curve's second point (0.55 > 0.5, 0.30 > 0.2)
    assert (pts, over_eq, over_net) == (4, 2, 2)
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
