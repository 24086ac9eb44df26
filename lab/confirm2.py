"""The second preregistered confirmation: its design and its rules, fixed before its data.

figures/paper/PREREGISTRATION-2.md states them in words, with each claim's power and cost,
and records the sha256 of this file and of the test files it uses (lab/exact.py,
lab/rules.py). Every configuration below is built from constants fixed here from the
exploratory data (figures/paper/*.json, 1e5 steps), never from the data it then judges;
lab/test_confirm2.py re-derives each of them from the committed exploratory files.

Claims (the paper's words are in the preregistration):
  fig3_gap     Fig. 3: the inductive gap is smallest for sqdiff n_h=0 (mod3), diff n_h=0 (greater)
  fig3_track   Fig. 3: the networks track the bound with a slightly delayed rise (every variant)
  fig5_minus1  Fig. 5: the generalization/memorization boundary has slope −1
  fig5_plus1   Fig. 5: ... or slope +1 (Eq. (12) depends on η_dec/η_enc alone)
  fig5_same    Fig. 5: the boundary sits at the same place for every relation
  fig6_bound   Fig. 6: P(generalization) ≤ Eq. (12)
  fig8_flat    Fig. 8: the boundary does not move with the decoder's weight decay
  thm1         Theorem 1, practical reading: same-class embeddings collapse after generalizing
Each verdict is one of HOLDS, DOES_NOT_HOLD, INCONCLUSIVE, TOO_FEW ("too few runs": the
design cannot reach its level), NO_SUPPORT ("not tested (no support)"), or PENDING while
runs are missing; `claim_reading` turns a claim's member verdicts into its first-page words.
"""
import math

import numpy as np

import geneft as g
import repons
from lab.exact import (ALPHA, differ_by_more_than, equal_within, holm, median_above, median_below,
                       median_within, sign_p, smallest_difference_p, smallest_sign_p,
                       above_by_more_than, below_bound_plus)

HOLDS, DOES_NOT_HOLD, INCONCLUSIVE = "holds", "does not hold", "inconclusive"
TOO_FEW, NO_SUPPORT, PENDING = "too few runs", "not tested (no support)", "pending"

# --- Minimum meaningful differences ------------------------------------------------------
DELTA_P = 0.2          # P(generalized): a fifth of the probability scale (PREREGISTRATION-2.md)
DELTA_FRAC = 0.02      # Fig. 3 crossings: 18 of 900 pairs, the exploratory grid's finest step
SLIGHT = 2.0           # 'slightly delayed': the 0.9 crossing by twice the theory's fraction
COLLAPSED, APART = 0.2, 0.5   # Theorem 1: cluster ratio of a collapsed / an unclustered embedding
DISPLACEMENT_FACTOR = 3.0     # Theorem 1: the two groups' embeddings moved comparably

GENERALIZED = g.GENERALIZED
DEPTHS = {"hidden": 3, "linear": 2}          # Table III's "Decoder Depth 3", both readings

# --- Fig. 3 -------------------------------------------------------------------------------
FIG3_SEEDS = tuple(range(3000, 3010))
FIG3_VARIANTS = (("concat, n_h=3, w=50", "concat", 3, 50), ("diff, n_h=0", "diff", 0, 50),
                 ("diff, n_h=1, w=10", "diff", 1, 10), ("sqdiff, n_h=0", "sqdiff", 0, 50),
                 ("sqdiff, n_h=1, w=10", "sqdiff", 1, 10))
FIG3_NAMED = {"mod3": "sqdiff, n_h=0", "greater": "diff, n_h=0"}
FIG3_FRACS = {"mod3": tuple(round(0.08 + 0.02 * k, 2) for k in range(12)),      # 0.08 … 0.30
              "greater": tuple(round(0.10 + 0.02 * k, 2) for k in range(7))}    # 0.10 … 0.22
FIG3_THEORY = {"mod3": 0.06251403299880931, "greater": 0.1029473202321114}     # bound's 0.9 crossing

# --- Fig. 5 -------------------------------------------------------------------------------
FIG5_ETA = tuple(np.logspace(-5, -1, 7))     # the exploratory grid of η_enc and η_dec
FIG5_STEP = 2                                # cells lie 2 grid steps (4/3 decade) from the centre
FIG5_CENTRES = {("hidden", "mod3"): (2, 3), ("hidden", "greater"): (2, 3), ("hidden", "bipartite"): (2, 4),
                ("linear", "mod3"): (2, 4), ("linear", "greater"): (2, 4), ("linear", "bipartite"): (2, 4)}
FIG5_SAME_CELLS = {"hidden": (3, 5), "linear": (3, 6)}
FIG5_SEEDS = tuple(range(3100, 3108))
FIG5_SAME_SEEDS = tuple(range(3500, 3510))

# --- Fig. 6 -------------------------------------------------------------------------------
FIG6_SEEDS = tuple(range(3200, 3208))
FIG6_POINTS = {   # (init variant, optimizer, depth reading) -> ((init factor s, η_dec/η_enc), ...)
    ("both", "adam", "hidden"): ((0.3, 0.1), (0.3, 1.0), (0.3, 10.0), (0.3, 100.0), (1.0, 1.0),
                                 (1.0, 10.0), (1.0, 100.0)),
    ("both", "sgd", "hidden"): ((0.3, 0.1), (0.3, 1.0), (0.3, 10.0), (1.0, 0.1), (1.0, 1.0),
                                (1.0, 10.0), (1.0, 100.0)),
    ("normal", "adam", "hidden"): ((0.3, 0.1), (0.3, 1.0), (0.3, 10.0), (0.3, 100.0)),
}
FIG6_INIT = {"both": lambda s: {"init_enc": s, "init_dec": s},
             "normal": lambda s: {"init_enc": s, "init_dec": s, "init_scheme": "normal"}}
SGD_ETA = 1.0     # SGD runs centre the pair on it: η_enc = η/√r, η_dec = η√r

# --- Fig. 8 -------------------------------------------------------------------------------
FIG8_ETA = tuple(np.logspace(-4, -1, 5))
FIG8_WD = tuple(np.logspace(-5, -2, 5))
FIG8_ETA_ENC = 1e-5
FIG8_CELLS = {"mod3": (3, 0, 3), "greater": (4, 0, 4)}   # (η_dec index, low wd index, high wd index)
FIG8_NO_SUPPORT = {"bipartite": "its exploratory runs have no generalization/memorization boundary "
                                "(1 memorizing run): no cells to place"}
FIG8_SEEDS = tuple(range(3300, 3308))

# --- Theorem 1 ----------------------------------------------------------------------------
THM1_SETTINGS = (("equal rates", 1e-3, 1e-3), ("η_dec = 100 η_enc", 1e-4, 1e-2))
THM1_SEEDS = tuple(range(3400, 3408))

ALL_SEEDS = FIG3_SEEDS + FIG5_SEEDS + FIG5_SAME_SEEDS + FIG6_SEEDS + FIG8_SEEDS + THM1_SEEDS


# --- The configurations ---------------------------------------------------------------------

def fig3_configs(p, rel):
    """Every variant at every registered fraction and seed: (variants, fracs, seeds) in order."""
    return [p.config(relation=rel, mode=mode, depth=nh, width=w, frac=f, seed=s)
            for _, mode, nh, w in FIG3_VARIANTS for f in FIG3_FRACS[rel] for s in FIG3_SEEDS]


def fig5_cells(centre, step=FIG5_STEP):
    """The four cells (i, j) of a fit: A and B on the anti-diagonal through the centre (equal
    η_enc·η_dec: slope −1), C and D on its diagonal (equal η_dec/η_enc: slope +1)."""
    i, j = centre
    return {"A": (i - step, j + step), "B": (i + step, j - step),
            "C": (i - step, j - step), "D": (i + step, j + step)}


def phase_config(p, rel, depth, eta_enc, eta_dec, seed, wd_dec=0.0):
    """A Fig. 5 / Fig. 8 run: Table III but for the relation, depth, rates and weight decay,
    leaving its ensemble once its phase is decided."""
    return p.config(relation=rel, depth=depth, eta_enc=float(eta_enc), eta_dec=float(eta_dec),
                    wd_dec=float(wd_dec), seed=int(seed), stop_when_decided=True)


def fig6_config(p, variant, optimizer, reading, init, ratio, seed):
    """A Fig. 6 run: mod3, the setting's init and optimizer, η_dec/η_enc = ratio (Adam keeps
    η_enc = 1e-3; SGD centres the pair on SGD_ETA)."""
    eta_enc, eta_dec = ((1e-3, 1e-3 * ratio) if optimizer == "adam"
                        else (SGD_ETA / np.sqrt(ratio), SGD_ETA * np.sqrt(ratio)))
    return p.config(relation="mod3", optimizer=optimizer, depth=DEPTHS[reading], eta_enc=float(eta_enc),
                    eta_dec=float(eta_dec), seed=int(seed), stop_when_decided=True,
                    **FIG6_INIT[variant](init))


def thm1_config(p, eta_enc, eta_dec, seed):
    return p.config(relation="mod3", eta_enc=eta_enc, eta_dec=eta_dec, seed=int(seed))


# --- The data: what the figures of the confirmation save --------------------------------------

def _phases(runs):
    return [None if r is None else r.phase for r in runs]


def fig3_data(p, runner):
    """All-pairs accuracy of every variant at every registered fraction and seed."""
    rels = tuple(FIG3_FRACS)
    res = runner.run_groups("fig3", [fig3_configs(p, rel) for rel in rels])
    out = {"registration": 2, "budget": p.steps, "seeds": list(FIG3_SEEDS),
           "variants": [v[0] for v in FIG3_VARIANTS], "relations": {}}
    for rel, runs in zip(rels, res):
        acc = [None if r is None else r.all_acc for r in runs]
        shape = (len(FIG3_VARIANTS), len(FIG3_FRACS[rel]), len(FIG3_SEEDS))
        out["relations"][rel] = {"fracs": list(FIG3_FRACS[rel]), "theory": FIG3_THEORY[rel],
                                 "named": FIG3_NAMED[rel],
                                 "all_acc": np.array(acc, dtype=object).reshape(shape).tolist()}
    return out


def fig5_data(p, runner):
    """Phases of every run at the four cells of each fit, and at each reading's common cell."""
    eta, fits, same = FIG5_ETA, [], []
    groups = []
    for (reading, rel), centre in FIG5_CENTRES.items():
        for name, (i, j) in fig5_cells(centre).items():
            groups.append([phase_config(p, rel, DEPTHS[reading], eta[i], eta[j], s) for s in FIG5_SEEDS])
    for reading, (i, j) in FIG5_SAME_CELLS.items():
        for rel in ("mod3", "greater", "bipartite"):
            groups.append([phase_config(p, rel, DEPTHS[reading], eta[i], eta[j], s) for s in FIG5_SAME_SEEDS])
    res = iter(runner.run_groups("fig5", groups))
    for (reading, rel), centre in FIG5_CENTRES.items():
        cells = {name: {"cell": list(ij), "eta_enc": eta[ij[0]], "eta_dec": eta[ij[1]],
                        "phases": _phases(next(res))} for name, ij in fig5_cells(centre).items()}
        fits.append({"reading": reading, "relation": rel, "centre": list(centre), "cells": cells})
    for reading, (i, j) in FIG5_SAME_CELLS.items():
        same.append({"reading": reading, "cell": [i, j], "eta_enc": eta[i], "eta_dec": eta[j],
                     "relations": {rel: _phases(next(res)) for rel in ("mod3", "greater", "bipartite")}})
    return {"registration": 2, "budget": p.steps, "seeds": list(FIG5_SEEDS), "eta": list(eta),
            "fits": fits, "same": same}


def fig6_data(p, runner):
    """Phases of every run at each registered (setting, init factor, ratio) point, with the
    point's Eq. (12) bound at σ_a = σ_c (the paper's black line)."""
    keys = list(FIG6_POINTS)
    groups = [[fig6_config(p, *setting, init, ratio, s) for init, ratio in FIG6_POINTS[setting]
               for s in FIG6_SEEDS] for setting in keys]
    out = {"registration": 2, "budget": p.steps, "seeds": list(FIG6_SEEDS), "settings": []}
    for setting, runs in zip(keys, runner.run_groups("fig6", groups)):
        points, m = [], len(FIG6_SEEDS)
        for k, (init, ratio) in enumerate(FIG6_POINTS[setting]):
            points.append({"init": init, "ratio": ratio, "bound": eq12_bound(ratio),
                           "phases": _phases(runs[k * m:(k + 1) * m])})
        out["settings"].append({"variant": setting[0], "optimizer": setting[1], "reading": setting[2],
                                "points": points})
    return out


def eq12_bound(ratio):
    """Eq. (12) with σ_a = σ_c at η_A/η_x = η_dec/η_enc = ratio: (2/π) arctan(√(1/(2 ratio)))."""
    return float(repons.p_collision(1.0, 1.0, eta_A=ratio, eta_x=1.0))


def fig8_data(p, runner):
    """Phases of every run at each relation's two cells: one η_dec, the low and the high wd."""
    rels = list(FIG8_CELLS)
    groups = []
    for rel in rels:
        j, lo, hi = FIG8_CELLS[rel]
        for i in (lo, hi):
            groups.append([phase_config(p, rel, DEPTHS["hidden"], FIG8_ETA_ENC, FIG8_ETA[j], s, FIG8_WD[i])
                           for s in FIG8_SEEDS])
    res = iter(runner.run_groups("fig8", groups))
    out = {"registration": 2, "budget": p.steps, "seeds": list(FIG8_SEEDS), "eta_enc": FIG8_ETA_ENC,
           "relations": {}}
    for rel in rels:
        j, lo, hi = FIG8_CELLS[rel]
        out["relations"][rel] = {"eta_dec": FIG8_ETA[j], "wd": [FIG8_WD[lo], FIG8_WD[hi]],
                                 "low": _phases(next(res)), "high": _phases(next(res))}
    out["not_tested"] = dict(FIG8_NO_SUPPORT)
    return out


def embedding_displacement(cfg, final_E):
    """RMS over elements of |E_final − E_init|, in units of the init's RMS |E_init|."""
    E0 = g.init_params(cfg, g.member_rng(cfg))["E"].astype(float)
    return float(np.sqrt(np.mean(np.sum((np.asarray(final_E) - E0) ** 2, axis=1)))
                 / np.sqrt(np.mean(np.sum(E0 ** 2, axis=1))))


def thm1_data(p, runner):
    """Every Theorem 1 run's phase, cluster ratio and embedding displacement (mod3, Table III)."""
    cfgs = [thm1_config(p, eta_enc, eta_dec, s) for _, eta_enc, eta_dec in THM1_SETTINGS for s in THM1_SEEDS]
    labels = g.class_labels(p.matrix("mod3")).tolist()
    runs = []
    for k, (c, r) in enumerate(zip(cfgs, runner.run("theorem1", cfgs))):
        row = {"setting": THM1_SETTINGS[k // len(THM1_SEEDS)][0], "seed": c.seed,
               "phase": None if r is None else r.phase}
        if r is not None:
            row.update(ratio=g.cluster_ratio(r.final_E, labels), displacement=embedding_displacement(c, r.final_E),
                       test_acc=r.test_acc, E=r.final_E)
        runs.append(row)
    return {"registration": 2, "budget": p.steps, "labels": labels, "runs": runs}


# --- Statistics shared by the rules ------------------------------------------------------

def crossing(fracs, acc, level=0.9):
    """A seed's first crossing of `level` by its all-pairs accuracy over the fractions,
    linearly interpolated; −inf when the first fraction already reaches it, +inf when no
    fraction does (never clamped to the grid)."""
    if acc[0] >= level:
        return -math.inf
    for k in range(1, len(fracs)):
        if acc[k] >= level:
            t = (level - acc[k - 1]) / (acc[k] - acc[k - 1])
            return float(fracs[k - 1] + t * (fracs[k] - fracs[k - 1]))
    return math.inf


def crossing_difference(a, b):
    """a − b for two crossings; two on the same side of the grid (both ±inf) tie at 0."""
    return 0.0 if a == b else a - b


def generalized_count(phases):
    """(runs that generalized, runs with a phase): Table IV's generalization or grokking."""
    done = [ph for ph in phases if ph is not None]
    return sum(ph in GENERALIZED for ph in done), len(done)


def two_cell_verdicts(pairs, delta=DELTA_P, alpha=ALPHA):
    """Members of one family, each two cells' runs (phases1, phases2) under a claim that
    they generalize alike. Per member: the two-sided exact test that P differs by more than
    δ (does not hold, Holm over the family), the TOST that the two are within δ (holds, Holm
    over the family, and only when the two cells' pooled P lies in [δ, 1 − δ], i.e. they sit
    at the boundary rather than both deep inside one phase); too few runs when m of m
    against 0 of m cannot reach α over the family. Returns [dict] in order."""
    if any(ph is None for a, b in pairs for ph in list(a) + list(b)):
        return [{"verdict": PENDING, "why": "runs still missing"} for _ in pairs]
    counts = [generalized_count(a) + generalized_count(b) for a, b in pairs]
    p_diff = [differ_by_more_than(k1, m1, k2, m2, delta)[0] if m1 and m2 else 1.0 for k1, m1, k2, m2 in counts]
    p_same = [equal_within(k1, m1, k2, m2, delta) if m1 and m2 else 1.0 for k1, m1, k2, m2 in counts]
    differ, same = holm(p_diff, alpha), holm(p_same, alpha)
    out = []
    for (k1, m1, k2, m2), pd, ps, dif, eq in zip(counts, p_diff, p_same, differ, same):
        row = {"counts": [k1, m1, k2, m2], "p_differ": pd, "p_same": ps,
               "difference": (k2 / m2 - k1 / m1) if m1 and m2 else None}
        pooled = (k1 + k2) / (m1 + m2) if m1 + m2 else None
        if smallest_difference_p(min(m1, m2), delta) > alpha / len(pairs):
            row.update(verdict=TOO_FEW, why=f"{min(m1, m2)} runs per cell cannot reach {alpha / len(pairs):.3g}")
        elif dif:
            row.update(verdict=DOES_NOT_HOLD, why=f"P(generalized) differs by more than {delta:g}")
        elif eq and delta <= pooled <= 1 - delta:
            row.update(verdict=HOLDS, why=f"P(generalized) equal within {delta:g}, at the boundary")
        elif eq:
            row.update(verdict=INCONCLUSIVE, why=f"equal within {delta:g}, but the cells missed the "
                                                 f"boundary (pooled P {pooled:.2f})")
        else:
            row.update(verdict=INCONCLUSIVE, why=f"neither a difference beyond {delta:g} nor equality within it")
        out.append(row)
    return out


# --- The rules, claim by claim -----------------------------------------------------------

def fig3_crossings(r):
    """{variant: [each seed's crossing]} of one relation (None for a seed with a missing run)."""
    acc = r["all_acc"]
    out = {}
    for v, curves in zip((v[0] for v in FIG3_VARIANTS), acc):
        out[v] = [None if any(c[s] is None for c in curves) else crossing(r["fracs"], [c[s] for c in curves])
                  for s in range(len(curves[0]))]
    return out


def closest(comps):
    """The comparison that decides a win or an undecided gap: the largest p_earlier, and of
    those the other variant whose crossings lie nearest the named one's (smallest median d)."""
    return max(comps, key=lambda c: (c["p_earlier"], -c["median"]))


def fig3_gap_verdict(r, delta=DELTA_FRAC, alpha=ALPHA):
    """Fig. 3's smallest inductive gap for one relation: the named variant against each other
    one, seed by seed, d_s = (other's crossing − named's). Exact sign tests with the margin δ:
    the other crosses earlier by more than δ (p_later), the two tie within δ (p_tie, TOST),
    the named one crosses earlier by more than δ (p_earlier). In order:
      TOO_FEW        2^-n > α/(variants − 1);
      DOES_NOT_HOLD  Holm over the others rejects a p_later (another variant is earlier),
                     or a p_tie (the named variant's gap is not smaller: a tie);
      HOLDS          every p_earlier ≤ α (an intersection–union test);
      INCONCLUSIVE   otherwise."""
    cross = fig3_crossings(r)
    if any(x is None for c in cross.values() for x in c):
        return {"named": r["named"], "verdict": PENDING, "why": "runs still missing"}
    seeds = range(len(cross[r["named"]]))
    named = [cross[r["named"]][s] for s in seeds]
    comps = []
    for v, c in cross.items():
        if v == r["named"]:
            continue
        d = [crossing_difference(c[s], x) for s, x in zip(seeds, named)]
        comps.append({"other": v, "d": d, "median": float(np.median(d)) if d else None,
                      "earlier": int(np.sum(np.array(d) > delta)), "later": int(np.sum(np.array(d) < -delta)),
                      "within": int(np.sum(np.abs(np.array(d)) <= delta)),
                      "p_earlier": median_above(d, delta), "p_later": median_below(d, delta),
                      "p_tie": median_within(d, delta)})
    n, m = len(seeds), len(comps)
    out = {"named": r["named"], "seeds": n, "comparisons": comps, "delta": delta}
    later, tie = holm([c["p_later"] for c in comps], alpha), holm([c["p_tie"] for c in comps], alpha)
    if smallest_sign_p(n) > alpha / m:
        return dict(out, verdict=TOO_FEW, why=f"{n} seeds cannot reach {alpha / m:.3g}")
    if later.any():
        c = min((c for c, x in zip(comps, later) if x), key=lambda c: c["p_later"])
        return dict(out, verdict=DOES_NOT_HOLD, deciding=c, why=f"{c['other']} crosses 0.9 earlier by more "
                    f"than {delta:g} in {c['later']}/{n} seeds")
    if tie.any():
        c = min((c for c, x in zip(comps, tie) if x), key=lambda c: c["p_tie"])
        return dict(out, verdict=DOES_NOT_HOLD, deciding=c, why=f"{r['named']} ties {c['other']} within "
                    f"{delta:g}: its gap is not the smallest")
    if all(c["p_earlier"] <= alpha for c in comps):
        c = closest(comps)
        return dict(out, verdict=HOLDS, deciding=c, why=f"{r['named']} crosses 0.9 earlier than every other "
                    f"variant by more than {delta:g}")
    c = closest(comps)
    return dict(out, verdict=INCONCLUSIVE, deciding=c, why=f"{r['named']} is not earlier than {c['other']} "
                f"by more than {delta:g} significantly, nor tied with it")


def fig3_track_verdict(r, alpha=ALPHA):
    """Fig. 3's 'tracks the bound with a slightly delayed rise', every variant of one relation:
    per seed, does the variant's 0.9 crossing come before SLIGHT (2) × the theory's (the
    Monte Carlo bound's 0.9 crossing, FIG3_THEORY)? Exact sign tests, Holm over the
    variants: 'within 2×' when most seeds are (p_within), 'beyond 2×' when most are not
    (p_beyond), else 'undecided'. The relation's verdict is claim_reading of the variants'."""
    cross = fig3_crossings(r)
    if any(x is None for c in cross.values() for x in c):
        return {"verdict": PENDING, "variants": []}
    limit = SLIGHT * r["theory"]
    rows = []
    for v, c in cross.items():
        rows.append({"variant": v, "seeds": len(c), "within": sum(x < limit for x in c),
                     "beyond": sum(x > limit for x in c), "median_ratio": float(np.median(c)) / r["theory"] if c else None})
    p_in = [sign_p(x["within"], x["seeds"]) for x in rows]
    p_out = [sign_p(x["beyond"], x["seeds"]) for x in rows]
    within, beyond = holm(p_in, alpha), holm(p_out, alpha)
    for x, pi, po, wi, be in zip(rows, p_in, p_out, within, beyond):
        too_few = smallest_sign_p(x["seeds"]) > alpha / len(rows)
        x.update(p_within=pi, p_beyond=po, verdict=TOO_FEW if too_few else HOLDS if wi else
                 DOES_NOT_HOLD if be else INCONCLUSIVE)
    label, _ = claim_reading([x["verdict"] for x in rows])
    return {"limit": limit, "variants": rows, "verdict": label}


def fig5_verdicts(d):
    """Fig. 5's slope claims, each fit a member of a Holm family of six: slope −1 compares
    cells A and B (equal η_enc·η_dec), slope +1 cells C and D (equal η_dec/η_enc), each by
    two_cell_verdicts. Returns {'minus1': [...], 'plus1': [...]} in the fits' order."""
    out = {}
    for claim, (a, b) in (("minus1", ("A", "B")), ("plus1", ("C", "D"))):
        rows = two_cell_verdicts([(f["cells"][a]["phases"], f["cells"][b]["phases"]) for f in d["fits"]])
        out[claim] = [dict(r, reading=f["reading"], relation=f["relation"]) for r, f in zip(rows, d["fits"])]
    return out


def fig5_same_verdicts(d):
    """Fig. 5's 'the same place for every relation': at each reading's common cell, every pair
    of relations generalizes alike (two_cell_verdicts, Holm over the reading's three pairs).
    A reading holds when every pair does, does not hold when a pair does not. Returns
    [{'reading', 'pairs': [...], 'verdict'}]."""
    out = []
    for s in d["same"]:
        rels = list(s["relations"])
        pairs = [(a, b) for i, a in enumerate(rels) for b in rels[i + 1:]]
        rows = two_cell_verdicts([(s["relations"][a], s["relations"][b]) for a, b in pairs])
        rows = [dict(r, pair=[a, b]) for r, (a, b) in zip(rows, pairs)]
        vs = [r["verdict"] for r in rows]
        verdict = (PENDING if PENDING in vs else DOES_NOT_HOLD if DOES_NOT_HOLD in vs else HOLDS if all(v == HOLDS for v in vs)
                   else TOO_FEW if TOO_FEW in vs else INCONCLUSIVE)
        out.append({"reading": s["reading"], "cell": s["cell"], "pairs": rows, "verdict": verdict})
    return out


def fig6_verdicts(d, delta=DELTA_P, alpha=ALPHA):
    """Fig. 6's bound, one member per setting: each registered point's k of m generalized runs
    against Eq. (12)'s b. Does not hold when Holm over the setting's points rejects P ≤ b + δ
    (exact binomial upper tail); holds when Holm rejects P ≥ b + δ at every point; else
    inconclusive."""
    if any(ph is None for s in d["settings"] for pt in s["points"] for ph in pt["phases"]):
        return [{"setting": [s["variant"], s["optimizer"], s["reading"]], "verdict": PENDING, "points": []}
                for s in d["settings"]]
    out = []
    for s in d["settings"]:
        pts = []
        for pt in s["points"]:
            k, m = generalized_count(pt["phases"])
            pts.append(dict(pt, k=k, m=m, p_above=above_by_more_than(k, m, pt["bound"], delta) if m else 1.0,
                            p_below=below_bound_plus(k, m, pt["bound"], delta) if m else 1.0))
        above, below = holm([x["p_above"] for x in pts], alpha), holm([x["p_below"] for x in pts], alpha)
        for x, a in zip(pts, above):
            x["above"] = bool(a)
        if all(above_by_more_than(x["m"], x["m"], x["bound"], delta) > alpha / len(pts) for x in pts):
            verdict = TOO_FEW               # no point could be flagged, even with every run generalized
        else:
            verdict = DOES_NOT_HOLD if above.any() else HOLDS if below.all() else INCONCLUSIVE
        out.append({"setting": [s["variant"], s["optimizer"], s["reading"]], "points": pts,
                    "above": int(above.sum()), "verdict": verdict})
    return out


def fig8_verdicts(d):
    """Fig. 8's flat boundary: per tested relation, the low-wd and the high-wd cell at one
    η_dec generalize alike (two_cell_verdicts, Holm over the relations tested); relations
    without an exploratory boundary are NO_SUPPORT."""
    rels = list(d["relations"])
    rows = two_cell_verdicts([(d["relations"][r]["low"], d["relations"][r]["high"]) for r in rels])
    out = [dict(r, relation=rel) for r, rel in zip(rows, rels)]
    return out + [{"relation": rel, "verdict": NO_SUPPORT, "why": why} for rel, why in d.get("not_tested", {}).items()]


def thm1_verdict(d, alpha=ALPHA):
    """Theorem 1's practical reading: generalized runs' cluster ratios lie below COLLAPSED
    (0.2), memorized runs' above APART (0.5). Exact sign tests on each group's median, Holm
    over the two groups: DOES_NOT_HOLD when the generalized runs' median lies above 0.2 or
    the memorized runs' below 0.5; HOLDS when both lie on their side and the groups' median
    displacements agree within DISPLACEMENT_FACTOR; TOO_FEW when a group has too few runs
    to reach α/2; else INCONCLUSIVE."""
    if any(r.get("phase") is None for r in d["runs"]):
        return {"verdict": PENDING, "why": "runs still missing"}
    gen = [r for r in d["runs"] if r.get("phase") in GENERALIZED and "ratio" in r]
    mem = [r for r in d["runs"] if r.get("phase") == g.MEMORIZATION and "ratio" in r]
    rg, rm = [r["ratio"] for r in gen], [r["ratio"] for r in mem]
    out = {"generalized": len(gen), "memorized": len(mem),
           "median_generalized": float(np.median(rg)) if rg else None,
           "median_memorized": float(np.median(rm)) if rm else None}
    if min(len(gen), len(mem)) == 0:
        return dict(out, verdict=NO_SUPPORT, why="a group (generalized or memorized) is empty")
    if smallest_sign_p(min(len(gen), len(mem))) > alpha / 2:
        return dict(out, verdict=TOO_FEW, why=f"{min(len(gen), len(mem))} runs in a group cannot reach {alpha / 2:g}")
    p_not = [sign_p(sum(x > COLLAPSED for x in rg), len(rg)), sign_p(sum(x < APART for x in rm), len(rm))]
    p_yes = [sign_p(sum(x < COLLAPSED for x in rg), len(rg)), sign_p(sum(x > APART for x in rm), len(rm))]
    out.update(p_not=p_not, p_yes=p_yes)
    refuted, shown = holm(p_not, alpha), holm(p_yes, alpha)
    disp = [float(np.median([r["displacement"] for r in grp])) for grp in (gen, mem)]
    if refuted.any():
        return dict(out, verdict=DOES_NOT_HOLD, why=("generalized runs' cluster ratios lie above "
                    f"{COLLAPSED:g}" if refuted[0] else f"memorized runs' cluster ratios lie below {APART:g}"))
    if shown.all() and max(disp) <= DISPLACEMENT_FACTOR * min(disp):
        return dict(out, verdict=HOLDS, why="generalized runs collapse by class, memorized runs do not")
    return dict(out, verdict=INCONCLUSIVE, why="neither side shown")


# --- The summary layer: what each outcome reads on the first page ----------------------------

def claim_reading(verdicts):
    """A claim's first-page label from its members' verdicts (registered, PREREGISTRATION-2.md):
      every member holds                       -> 'holds'
      every member does not hold               -> 'does not hold'
      some hold and some do not                -> 'partly (holds at k of m)'
      some do not, none holds                  -> 'does not hold at j of m'
      some hold, none fails                    -> 'holds at k of m'
      none decided: all too few / all no support / else -> TOO_FEW / NO_SUPPORT / 'inconclusive'
    A pending member makes the claim PENDING. Returns (label, counts)."""
    m = len(verdicts)
    k, j = verdicts.count(HOLDS), verdicts.count(DOES_NOT_HOLD)
    counts = {"holds": k, "does_not_hold": j, "members": m}
    if PENDING in verdicts:
        return PENDING, counts
    if k == m:
        return HOLDS, counts
    if j == m:
        return DOES_NOT_HOLD, counts
    if k and j:
        return f"partly (holds at {k} of {m})", counts
    if j:
        return f"does not hold at {j} of {m}", counts
    if k:
        return f"holds at {k} of {m}", counts
    for label in (TOO_FEW, NO_SUPPORT):
        if all(v == label for v in verdicts):
            return label, counts
    return INCONCLUSIVE, counts
