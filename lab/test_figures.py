"""Tests of the figures' claims on synthetic data whose answer is known: Fig. 3's
tracking rule against a chance-level control, Fig. 7's zone, Fig. 8's support rule."""
import numpy as np

import geneft as g
from lab import figs_dynamics as dyn
from lab import figs_statics as stat
from lab import verdicts as v


def crossing(point, lo, hi, censored=(None, None, None)):
    return [v.Crossing(x, c).to_json() for x, c in zip((point, lo, hi), censored)]


def fig3_relation(f90, mean, bound):
    return {"f90": f90, "mean": mean, "bound": bound, "f90_theory": v.Crossing(0.06).to_json()}


def test_fig3_a_flat_chance_level_curve_does_not_pass_for_tracking():
    """Under the bound everywhere but never rising above chance: no variant tracks,
    so the claim is inconclusive, not 'holds' (the old rule passed it)."""
    fracs = [0.02, 0.1, 0.3]
    flat = fig3_relation([crossing(0.3, 0.3, 0.3, ("above",) * 3)], [[0.51, 0.52, 0.55]], [0.7, 0.95, 1.0])
    q, control = stat.chance_level("greater", 30)
    assert 0.5 < q < 0.52 and 0.75 < control < 0.8
    verdict, why, tracking, _, _ = stat.tracking_verdict(flat, fracs, control)
    assert verdict == v.INCONCLUSIVE and tracking == []


def test_fig3_tracking_needs_a_delay_whose_interval_lies_above_zero():
    fracs = [0.02, 0.1, 0.3]
    late = fig3_relation([crossing(0.12, 0.1, 0.15)], [[0.6, 0.85, 0.95]], [0.7, 0.95, 1.0])
    verdict, _, tracking, above, delays = stat.tracking_verdict(late, fracs, 0.7)
    assert verdict == v.HOLDS and tracking == [0] and above == 0
    assert np.allclose(delays[0], (0.06, 0.04, 0.09))
    close = fig3_relation([crossing(0.07, 0.05, 0.1)], [[0.6, 0.9, 0.95]], [0.7, 0.95, 1.0])
    assert stat.tracking_verdict(close, fracs, 0.7)[0] == v.INCONCLUSIVE       # delay reaches 0
    over = fig3_relation([crossing(0.12, 0.1, 0.15)], [[0.8, 0.99, 1.0]], [0.7, 0.95, 1.0])
    assert stat.tracking_verdict(over, fracs, 0.7)[0] == v.DOES_NOT_HOLD      # 2/3 points above


def test_fig7_row_reads_the_zone_and_fig8_refuses_a_one_point_boundary():
    C, M, G = g.CONFUSION, g.MEMORIZATION, g.GENERALIZATION
    runs = [[0.5] * 5, [0.9, 0.95, 0.92, 0.94, 0.9], [0.93, 0.9, 0.95, 0.91, 0.96], [0.66] * 5]
    d = {"depths": [0, 1, 2, 8], "seeds": 5, "budget": 100, "test_runs": runs,
         "test": [np.mean(r) for r in runs], "test_sd": [np.std(r) for r in runs],
         "train": [0.7, 1, 1, 1], "phases": [[C] * 5, [G] * 5, [G] * 5, [M] * 5]}
    row = dyn.fig7_claims(d)[0]
    assert row.verdict == v.HOLDS and row.number.startswith("zone depths 1, 2;")
    eta, wd = [1e-4, 1e-3, 1e-2], [1e-5, 1e-4, 1e-3, 1e-2]
    phases = [[[G] for _ in eta] for _ in wd]
    phases[3][2] = [M]                                   # one memorizing run beside the rest
    row = dyn.fig8_claims({"eta": eta, "wd": wd, "eta_enc": 1e-5, "budget": 100,
                           "relations": {"bipartite": {"phases": phases}}})[0]
    assert row.verdict == v.INCONCLUSIVE and "1 memorizing run in 1 cell" in row.ours
