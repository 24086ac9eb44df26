"""Tests of the second preregistration (lab/confirm2.py): every registered constant is what
its stated rule reads off the exploratory data, the seeds are fresh, the design can reach
its level, the data functions build exactly the registered runs, and each rule decides
synthetic data as registered."""
import glob
import json
import math
import os

import numpy as np
import pytest

import geneft as g
from lab import confirm, confirm2 as c2, figkit, rules
from lab import figs_dynamics as dyn, figs_statics as stat
from lab.presets import PRESETS
from lab.results import RunSummary
from lab.theorem1 import THM1_RUNS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAPER = os.path.join(ROOT, "figures", "paper")
G, K, M, C = g.GENERALIZATION, g.GROKKING, g.MEMORIZATION, g.CONFUSION


def paper_data(name):
    with open(os.path.join(PAPER, f"{name}.json"), encoding="utf-8") as f:
        return json.load(f)


# --- The registered constants, re-derived from the exploratory data -------------------------

def test_fig3_design_is_read_off_the_exploratory_data():
    """Variants and named variants as the exploratory figure; the theory's crossing as it
    computed; the fraction grid in steps of δ from below the named variant's earliest
    per-seed crossing to above its latest one and twice the theory's crossing."""
    d = paper_data("fig3")
    assert c2.FIG3_VARIANTS == stat.FIG3_VARIANTS and c2.FIG3_NAMED == stat.FIG3_EXPECTED
    for rel, fracs in c2.FIG3_FRACS.items():
        r = d["relations"][rel]
        assert r["f90_theory"]["censored"] is None and c2.FIG3_THEORY[rel] == r["f90_theory"]["value"]
        runs = np.array(r["runs"])[d["variants"].index(c2.FIG3_NAMED[rel])]
        crossings = [c2.crossing(d["fracs"], runs[:, s]) for s in range(runs.shape[1])]
        lo = math.floor(min(crossings) / c2.DELTA_FRAC + 1e-9) * c2.DELTA_FRAC
        hi = math.ceil(max(max(crossings), c2.SLIGHT * c2.FIG3_THEORY[rel]) / c2.DELTA_FRAC - 1e-9) * c2.DELTA_FRAC
        assert fracs == tuple(round(lo + c2.DELTA_FRAC * k, 2) for k in range(round((hi - lo) / c2.DELTA_FRAC) + 1))


def nearest_row(ys, y):
    return int(np.argmin(np.abs(np.asarray(ys) - y)))


def test_fig5_cells_are_read_off_the_exploratory_boundaries():
    """Each fit's centre: the grid cell (i, j), both in 2..4 so that every cell FIG5_STEP
    away lies in the grid, whose η_dec is nearest the exploratory fitted line at its η_enc
    (ties: nearest the grid's centre). The common cell of a reading: the central η_enc and
    the η_dec row nearest the mean of the three relations' lines there."""
    d = paper_data("fig5")
    lx = np.log10(d["eta"])
    assert np.allclose(c2.FIG5_ETA, figkit.log_grid(PRESETS["paper"].eta_grid), rtol=1e-12)
    for (reading, rel), centre in c2.FIG5_CENTRES.items():
        s, b = d["conventions"][reading]["relations"][rel]["line"]
        inner = range(c2.FIG5_STEP, len(lx) - c2.FIG5_STEP)
        best = min(((abs(lx[j] - (s * lx[i] + b)), abs(i - 3) + abs(j - 3), (i, j)) for i in inner for j in inner))
        assert best[2] == centre, (reading, rel)
    for reading, (i, j) in c2.FIG5_SAME_CELLS.items():
        assert i == len(lx) // 2
        lines = [r["line"] for r in d["conventions"][reading]["relations"].values()]
        assert j == nearest_row(lx, np.mean([s * lx[i] + b for s, b in lines]))


def test_fig8_cells_are_read_off_the_exploratory_boundaries():
    """Per relation with a boundary: the lowest wd, the highest wd at which no exploratory
    run of the relation ended in confusion, and the η_dec row nearest the fitted line's
    midpoint between those two wd. A relation without a fitted boundary is not tested."""
    d = paper_data("fig8")
    assert np.allclose(c2.FIG8_ETA, figkit.log_grid(PRESETS["paper"].fig8_eta_grid), rtol=1e-12)
    assert np.allclose(c2.FIG8_WD, figkit.log_grid(PRESETS["paper"].wd_grid), rtol=1e-12)
    assert c2.FIG8_ETA_ENC == PRESETS["paper"].fig8_eta_enc
    lw, le = np.log10(d["wd"]), np.log10(d["eta"])
    for rel, r in d["relations"].items():
        if r["line"] is None:
            assert rel in c2.FIG8_NO_SUPPORT and rel not in c2.FIG8_CELLS
            continue
        clean = [i for i in range(len(lw)) if all(C not in ph for ph in r["phases"][i])]
        lo, hi = 0, max(clean)
        s, b = r["line"]
        assert c2.FIG8_CELLS[rel] == (nearest_row(le, (s * lw[lo] + b + s * lw[hi] + b) / 2), lo, hi)


def exploratory_rejected_points(setting):
    d = paper_data("fig6")
    s = next(x for x in d["settings"] if (x["variant"], x["optimizer"], x["convention"]) == setting)
    pts, keys = [], []
    for c in s["curves"]:
        for r, ratio in enumerate(d["ratios"]):
            k = sum(ph in g.GENERALIZED for ph in c["phases"][r])
            pts.append((k, len(c["phases"][r]), d["bound_equal_sigmas"][r]))
            keys.append((c["init"], ratio))
    _, rejected = rules.above_bound(pts)
    return [key for key, rej in zip(keys, rejected) if rej], d["ratios"]


def test_fig6_points_are_the_rejected_ones_and_their_neighbours():
    """Per setting: every point Holm rejected in the exploratory data, and its neighbours on
    the ratio axis at the same init factor."""
    for setting, points in c2.FIG6_POINTS.items():
        rejected, ratios = exploratory_rejected_points(setting)
        want = set(rejected)
        for init, ratio in rejected:
            k = ratios.index(ratio)
            want |= {(init, ratios[j]) for j in (k - 1, k + 1) if 0 <= j < len(ratios)}
        assert set(points) == want and len(points) == len(want), setting


def test_fig6_and_theorem1_runs_are_the_exploratory_figures_runs():
    p = PRESETS["confirm2"]
    for (variant, opt, reading), pts in c2.FIG6_POINTS.items():
        ratios = [r for _, r in pts]
        for init, ratio in pts:
            want = figkit.p_gen_configs(p, [ratio], 1, optimizer=opt, relation="mod3", depth=g.DEPTH_CONVENTIONS[reading],
                                        **dyn.FIG6_INIT_VARIANTS[variant](init))[0]
            assert c2.fig6_config(p, variant, opt, reading, init, ratio, 0) == want
        assert ratios
    assert c2.THM1_SETTINGS == THM1_RUNS and c2.DEPTHS == g.DEPTH_CONVENTIONS


# --- Fresh seeds, a design that can decide ---------------------------------------------------

def test_the_seeds_are_fresh():
    """No committed results file but the confirmation's own holds a run with a registered
    seed, and the claims share none."""
    seeds = c2.ALL_SEEDS
    assert len(set(seeds)) == len(seeds) and min(seeds) >= 3000
    assert not set(seeds) & (set(confirm.FIG7_SEEDS) | set(confirm.GOLD_SEEDS))
    files = [f for f in glob.glob(os.path.join(ROOT, "figures", "**", "*.jsonl"), recursive=True)
             if os.sep + "confirm2" + os.sep not in f]
    assert files
    for path in files:
        with open(path, encoding="utf-8") as f:
            used = {c["seed"] for line in f if line.strip() for c in json.loads(line)["configs"]}
        assert not used & set(seeds), path


def test_the_design_can_reach_its_levels():
    assert c2.smallest_sign_p(len(c2.FIG3_SEEDS)) <= c2.ALPHA / (len(c2.FIG3_VARIANTS) - 1)
    assert c2.smallest_difference_p(len(c2.FIG5_SEEDS), c2.DELTA_P) <= c2.ALPHA / len(c2.FIG5_CENTRES)
    assert c2.smallest_difference_p(len(c2.FIG5_SAME_SEEDS), c2.DELTA_P) <= c2.ALPHA / 3
    assert c2.smallest_difference_p(len(c2.FIG8_SEEDS), c2.DELTA_P) <= c2.ALPHA / len(c2.FIG8_CELLS)
    assert c2.smallest_sign_p(len(c2.THM1_SEEDS) - 2) <= c2.ALPHA / 2      # even with 2 runs of a group lost
    for pts in c2.FIG6_POINTS.values():
        assert any(c2.above_by_more_than(8, 8, c2.eq12_bound(r), c2.DELTA_P) <= c2.ALPHA / len(pts) for _, r in pts)


class Recorder:
    """A runner that records the configs it is given and trains nothing: every run
    generalizes at once (or, with phase=None, is missing)."""

    def __init__(self, phase=G):
        self.configs, self.phase = [], phase

    def run(self, label, cfgs):
        self.configs += list(cfgs)
        if self.phase is None:
            return [None] * len(cfgs)
        return [RunSummary(self.phase, 0, 0, None, 10, 1.0, 1.0, 1.0,
                           g.init_params(c, g.member_rng(c))["E"].astype(float).round(6).tolist(), 0.0)
                for c in cfgs]

    def run_groups(self, label, groups):
        return [self.run(label, grp) for grp in groups]


PLANNED = {"fig3": (12 + 7) * 5 * 10, "fig5": 6 * 4 * 8 + 2 * 3 * 10, "fig6": 18 * 8, "fig8": 2 * 2 * 8,
           "thm1": 2 * 8}


@pytest.mark.parametrize("name", list(PLANNED))
def test_the_data_functions_train_the_registered_runs(name):
    p = PRESETS["confirm2"]
    rec = Recorder()
    data = getattr(c2, f"{name}_data")(p, rec)
    assert len(rec.configs) == len({c for c in rec.configs}) == PLANNED[name]
    assert all(c.steps == 100_000 and c.eval_every == 100 and c.dtype == "float32" and c.n == 30
               for c in rec.configs)
    assert {c.seed for c in rec.configs} <= set(c2.ALL_SEEDS)
    assert data["registration"] == 2 and json.dumps(data)          # saved as JSON


def test_missing_runs_leave_every_verdict_pending():
    p = PRESETS["confirm2"]
    empty = {name: getattr(c2, f"{name}_data")(p, Recorder(phase=None)) for name in PLANNED}
    assert all(c2.fig3_gap_verdict(r)["verdict"] == c2.PENDING for r in empty["fig3"]["relations"].values())
    assert all(c2.fig3_track_verdict(r)["verdict"] == c2.PENDING for r in empty["fig3"]["relations"].values())
    assert all(x["verdict"] == c2.PENDING for v in c2.fig5_verdicts(empty["fig5"]).values() for x in v)
    assert all(x["verdict"] == c2.PENDING for x in c2.fig5_same_verdicts(empty["fig5"]))
    assert all(x["verdict"] == c2.PENDING for x in c2.fig6_verdicts(empty["fig6"]))
    assert all(x["verdict"] in (c2.PENDING, c2.NO_SUPPORT) for x in c2.fig8_verdicts(empty["fig8"]))
    assert c2.thm1_verdict(empty["thm1"])["verdict"] == c2.PENDING
    assert c2.claim_reading([c2.HOLDS, c2.PENDING])[0] == c2.PENDING


# --- The rules on synthetic data ----------------------------------------------------------------

def fig3_relation(crossings, fracs=tuple(round(0.08 + 0.02 * k, 2) for k in range(12)), theory=0.0625):
    """A relation's data whose seeds cross 0.9 at the given fractions (a step curve at each
    crossing: 0.5 before, 1.0 from the grid point at or after it); None never crosses."""
    acc = [[[1.0 if c is not None and f >= c - 1e-12 else 0.5 for c in cs] for f in fracs]
           for cs in crossings]
    return {"fracs": list(fracs), "theory": theory, "named": "sqdiff, n_h=0", "all_acc": acc}


NAMES = [v[0] for v in c2.FIG3_VARIANTS]          # concat, diff0, diff1, sqdiff0 (named), sqdiff1


def test_crossing_interpolates_and_is_never_clamped():
    assert c2.crossing([0.1, 0.2], [0.8, 1.0]) == pytest.approx(0.15)
    assert c2.crossing([0.1, 0.2], [0.95, 1.0]) == -math.inf
    assert c2.crossing([0.1, 0.2], [0.5, 0.6]) == math.inf
    assert c2.crossing_difference(math.inf, math.inf) == 0.0


def test_fig3_gap_holds_when_the_named_variant_is_earlier_by_more_than_delta():
    cs = [[0.30] * 10, [None] * 10, [0.26] * 10, [0.10] * 10, [0.14] * 10]
    v = c2.fig3_gap_verdict(fig3_relation(cs))
    assert v["verdict"] == c2.HOLDS and v["deciding"]["other"] == "sqdiff, n_h=1, w=10"


def test_fig3_gap_a_difference_under_delta_is_a_tie_not_a_win():
    """The referee's case: sqdiff n_h=1 crosses one grid step (0.02 = δ) after the named one
    in every seed: not 'earlier by more than δ', but a tie: the gap is not the smallest."""
    cs = [[0.30] * 10, [None] * 10, [0.26] * 10, [0.12] * 10, [0.12] * 10]
    v = c2.fig3_gap_verdict(fig3_relation(cs))
    assert v["verdict"] == c2.DOES_NOT_HOLD and "ties" in v["why"]


def test_fig3_gap_does_not_hold_when_another_variant_is_earlier():
    cs = [[0.30] * 10, [None] * 10, [0.10] * 10, [0.20] * 10, [0.28] * 10]
    v = c2.fig3_gap_verdict(fig3_relation(cs))
    assert v["verdict"] == c2.DOES_NOT_HOLD and "diff, n_h=1" in v["why"]


def test_fig3_gap_mixed_seeds_are_inconclusive_and_few_seeds_too_few():
    named = [0.10, 0.12, 0.10, 0.14, 0.10, 0.20, 0.10, 0.22, 0.10, 0.12]
    other = [0.16, 0.12, 0.18, 0.12, 0.16, 0.14, 0.18, 0.16, 0.16, 0.20]
    cs = [[0.30] * 10, [None] * 10, [0.28] * 10, named, other]
    assert c2.fig3_gap_verdict(fig3_relation(cs))["verdict"] == c2.INCONCLUSIVE
    few = [c[:5] for c in [[0.30] * 10, [None] * 10, [0.28] * 10, [0.10] * 10, [0.20] * 10]]
    assert c2.fig3_gap_verdict(fig3_relation(few))["verdict"] == c2.TOO_FEW


def test_fig3_tracking_counts_seeds_within_twice_the_theory():
    """2 × 0.0625 = 0.125: a variant crossing at 0.10 in every seed is within, one at 0.20 or
    never is beyond; one split half and half is undecided."""
    cs = [[0.20] * 10, [None] * 10, [0.10, 0.20] * 5, [0.10] * 10, [0.10] * 10]
    v = c2.fig3_track_verdict(fig3_relation(cs))
    status = {x["variant"]: x["verdict"] for x in v["variants"]}
    assert status == {NAMES[0]: c2.DOES_NOT_HOLD, NAMES[1]: c2.DOES_NOT_HOLD, NAMES[2]: c2.INCONCLUSIVE,
                      NAMES[3]: c2.HOLDS, NAMES[4]: c2.HOLDS}
    assert v["verdict"] == "partly (holds at 2 of 5)"


def cells(k1, m1, k2, m2):
    return ([G] * k1 + [M] * (m1 - k1), [K] * k2 + [C] * (m2 - k2))


def test_two_cells_differ_tie_or_miss_the_boundary():
    rows = c2.two_cell_verdicts([cells(0, 8, 8, 8), cells(4, 8, 4, 8)])
    assert [r["verdict"] for r in rows] == [c2.DOES_NOT_HOLD, c2.INCONCLUSIVE]
    tie, missed = c2.two_cell_verdicts([cells(40, 80, 40, 80), cells(80, 80, 80, 80)])
    assert tie["verdict"] == c2.HOLDS and missed["verdict"] == c2.INCONCLUSIVE and "missed" in missed["why"]
    assert c2.two_cell_verdicts([cells(0, 3, 3, 3)])[0]["verdict"] == c2.TOO_FEW
    # grokking counts as generalized and confusion does not (Table IV)
    assert rows[0]["counts"] == [0, 8, 8, 8]


def test_fig5_slope_claims_read_the_anti_diagonal_and_the_diagonal():
    fits = [{"reading": "hidden", "relation": "mod3", "cells": {
        "A": {"phases": [M] * 8}, "B": {"phases": [G] * 8}, "C": {"phases": [G] * 4 + [M] * 4},
        "D": {"phases": [G] * 4 + [M] * 4}}}]
    v = c2.fig5_verdicts({"fits": fits})
    assert v["minus1"][0]["verdict"] == c2.DOES_NOT_HOLD and v["plus1"][0]["verdict"] == c2.INCONCLUSIVE


def test_fig6_a_point_far_above_the_bound_refutes_it():
    pts = [{"init": 0.3, "ratio": 10.0, "bound": c2.eq12_bound(10.0), "phases": [G] * 8},
           {"init": 0.3, "ratio": 0.1, "bound": c2.eq12_bound(0.1), "phases": [G] * 8}]
    v = c2.fig6_verdicts({"settings": [{"variant": "both", "optimizer": "adam", "reading": "hidden", "points": pts}]})
    assert v[0]["verdict"] == c2.DOES_NOT_HOLD and v[0]["above"] == 1
    pts[0]["phases"] = [M] * 8
    v = c2.fig6_verdicts({"settings": [{"variant": "both", "optimizer": "adam", "reading": "hidden", "points": pts}]})
    assert v[0]["verdict"] == c2.INCONCLUSIVE           # 8/8 at 0.73 cannot be shown under 0.93


def thm1_runs(gen_ratios, mem_ratios, disp=(0.5, 0.5)):
    return {"runs": [{"phase": G, "ratio": r, "displacement": disp[0]} for r in gen_ratios]
            + [{"phase": M, "ratio": r, "displacement": disp[1]} for r in mem_ratios]}


def test_theorem1_reading():
    assert c2.thm1_verdict(thm1_runs([0.7] * 8, [0.95] * 8))["verdict"] == c2.DOES_NOT_HOLD
    assert c2.thm1_verdict(thm1_runs([0.05] * 8, [0.95] * 8))["verdict"] == c2.HOLDS
    assert c2.thm1_verdict(thm1_runs([0.05] * 8, [0.95] * 8, disp=(0.5, 0.05)))["verdict"] == c2.INCONCLUSIVE
    assert c2.thm1_verdict(thm1_runs([0.05] * 3, [0.95] * 8))["verdict"] == c2.TOO_FEW
    assert c2.thm1_verdict(thm1_runs([], [0.95] * 8))["verdict"] == c2.NO_SUPPORT


@pytest.mark.parametrize("members, label", [
    ([c2.HOLDS] * 3, c2.HOLDS), ([c2.DOES_NOT_HOLD] * 2, c2.DOES_NOT_HOLD),
    ([c2.HOLDS, c2.DOES_NOT_HOLD, c2.INCONCLUSIVE], "partly (holds at 1 of 3)"),
    ([c2.DOES_NOT_HOLD, c2.INCONCLUSIVE, c2.NO_SUPPORT], "does not hold at 1 of 3"),
    ([c2.HOLDS, c2.INCONCLUSIVE], "holds at 1 of 2"), ([c2.TOO_FEW] * 2, c2.TOO_FEW),
    ([c2.NO_SUPPORT], c2.NO_SUPPORT), ([c2.INCONCLUSIVE, c2.TOO_FEW], c2.INCONCLUSIVE)])
def test_the_summary_layer(members, label):
    assert c2.claim_reading(members)[0] == label
