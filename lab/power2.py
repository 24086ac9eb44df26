"""Power and cost of the second preregistration's design, from the exploratory data alone.

    python -m lab.power2            # the table of figures/paper/PREREGISTRATION-2.md

For each claim: the probability that the registered design decides it (its verdict is
'holds' or 'does not hold', not 'inconclusive' or 'too few runs'), estimated by running
the registered rules (lab/confirm2.py) on simulated confirmations drawn from the
exploratory data at 1e5 steps (figures/paper/):
- Fig. 3 and Theorem 1: seeds (Fig. 3) or runs (Theorem 1) resampled with replacement
  from the exploratory ones, to the registered number; a Fig. 3 seed's accuracy curve is
  carried onto the registered fractions by linear interpolation;
- Figs. 5 and 8: each exploratory phase grid's runs resampled (a bootstrap), a logistic
  boundary fitted to them (lab/verdicts.logistic_fit, on the log rates), and each cell's
  runs drawn as Binomial(m, P(cell));
- Fig. 6: each registered point's exploratory runs resampled to the registered number.
Its cost: the registered runs times the CPU seconds the exploratory files recorded for
runs like them (a full-budget run of Table III's decoder: FULL_RUN_SECONDS; a run that
generalizes leaves its ensemble early, at the step recorded for its exploratory cell).
"""
import json
import os
import sys

import numpy as np

import geneft as g
from lab import confirm2 as c2
from lab import verdicts

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAPER = os.path.join(ROOT, "figures", "paper")
SIMULATIONS = 1000
FULL_RUN_SECONDS = 108.0   # fig8.jsonl: CPU seconds of an ensemble ≈ 108 × Σ(stopped_at / steps)
THM1_RUN_SECONDS = 108.5   # theorem1.jsonl: every run trains the whole budget
DECIDED = (c2.HOLDS, c2.DOES_NOT_HOLD)


def load(name):
    with open(os.path.join(PAPER, f"{name}.json"), encoding="utf-8") as f:
        return json.load(f)


def lines(name):
    with open(os.path.join(PAPER, f"{name}.jsonl"), encoding="utf-8") as f:
        return [json.loads(x) for x in f if x.strip()]


def decided(label):
    return label in DECIDED or label.startswith(("partly", "does not hold at", "holds at"))


# --- Fig. 3 ---------------------------------------------------------------------------------

def fig3_power(n_seeds=len(c2.FIG3_SEEDS), sims=SIMULATIONS, rng=None):
    """{relation: (P(gap decided), P(tracking decided))} by resampling exploratory seeds."""
    rng = rng or np.random.default_rng(0)
    d = load("fig3")
    out = {}
    for rel in c2.FIG3_FRACS:
        runs = np.array(d["relations"][rel]["runs"])                    # (variants, fracs, seeds)
        curves = np.stack([[np.interp(c2.FIG3_FRACS[rel], d["fracs"], runs[v, :, s])
                            for s in range(runs.shape[2])] for v in range(runs.shape[0])])
        gap = track = 0
        for _ in range(sims):
            pick = rng.integers(0, runs.shape[2], n_seeds)
            acc = curves[:, pick, :].transpose(0, 2, 1).tolist()      # (variants, fracs, seeds)
            r = {"fracs": list(c2.FIG3_FRACS[rel]), "theory": c2.FIG3_THEORY[rel],
                 "named": c2.FIG3_NAMED[rel], "all_acc": acc}
            gap += c2.fig3_gap_verdict(r)["verdict"] in DECIDED
            track += decided(c2.fig3_track_verdict(r)["verdict"])
        out[rel] = (gap / sims, track / sims)
    return out


def fig3_cost():
    """CPU seconds: each variant's mean recorded per-run cost × its registered runs."""
    per = {}
    for line in lines("fig3"):
        if line.get("cpu_seconds") is None:
            continue
        for c in line["configs"]:
            key = (c["relation"], c["mode"], c["depth"], c["width"])
            per.setdefault(key, []).append(line["cpu_seconds"] / len(line["configs"]))
    total = 0.0
    for rel, fracs in c2.FIG3_FRACS.items():
        for _, mode, nh, w in c2.FIG3_VARIANTS:
            total += np.mean(per[(rel, mode, nh, w)]) * len(fracs) * len(c2.FIG3_SEEDS)
    runs = sum(len(f) for f in c2.FIG3_FRACS.values()) * len(c2.FIG3_VARIANTS) * len(c2.FIG3_SEEDS)
    return runs, total


# --- Figs. 5 and 8: a logistic boundary fitted to resampled exploratory runs -------------

def grid_runs(xs, ys, phases):
    """(log x, log y, generalized) per run of a phase grid that generalized or memorized:
    confusion sits on neither side of a boundary, as in the exploratory fits (the registered
    cells lie where the exploratory runs did not end in confusion)."""
    out = []
    for i, x in enumerate(xs):
        for j, y in enumerate(ys):
            for ph in phases[i][j]:
                if ph != g.CONFUSION:
                    out.append((np.log10(x), np.log10(y), float(ph in g.GENERALIZED)))
    return np.array(out)


def boundary_models(runs, sims, rng):
    """β of a logistic fit of 'generalized' on (1, log x, log y), one per bootstrap resample."""
    idx = rng.integers(0, len(runs), (sims, len(runs)))
    X = np.stack([np.c_[np.ones(len(runs)), runs[i, 0], runs[i, 1]] for i in idx])
    return verdicts.logistic_fit_many(X, runs[idx, 2])


def p_at(beta, x, y):
    return 1.0 / (1.0 + np.exp(-(beta[:, 0] + beta[:, 1] * np.log10(x) + beta[:, 2] * np.log10(y))))


def _draw(p, m, rng):
    """Phases of m runs at a cell of generalization probability p (one value per simulation)."""
    k = rng.binomial(m, p)
    return [[g.GENERALIZATION] * int(kk) + [g.MEMORIZATION] * (m - int(kk)) for kk in k]


def fig5_power(m=len(c2.FIG5_SEEDS), m_same=len(c2.FIG5_SAME_SEEDS), sims=SIMULATIONS, rng=None):
    """{'minus1': [P(decided) per fit], 'plus1': [...], 'same': [P(decided) per reading]}."""
    rng = rng or np.random.default_rng(0)
    d = load("fig5")
    eta = c2.FIG5_ETA
    models = {(conv, rel): boundary_models(grid_runs(d["eta"], d["eta"], r["phases"]), sims, rng)
              for conv, c in d["conventions"].items() for rel, r in c["relations"].items()}
    draws = {}
    for (reading, rel), centre in c2.FIG5_CENTRES.items():
        for name, (i, j) in c2.fig5_cells(centre).items():
            draws[(reading, rel, name)] = _draw(p_at(models[(reading, rel)], eta[i], eta[j]), m, rng)
    for reading, (i, j) in c2.FIG5_SAME_CELLS.items():
        for rel in ("mod3", "greater", "bipartite"):
            draws[(reading, rel, "same")] = _draw(p_at(models[(reading, rel)], eta[i], eta[j]), m_same, rng)
    fits = list(c2.FIG5_CENTRES)
    minus = np.zeros(len(fits))
    plus = np.zeros(len(fits))
    same = np.zeros(len(c2.FIG5_SAME_CELLS))
    for t in range(sims):
        sim = {"fits": [{"reading": r, "relation": rel, "cells": {n: {"phases": draws[(r, rel, n)][t]}
                                                                  for n in "ABCD"}} for r, rel in fits],
               "same": [{"reading": r, "cell": list(c), "relations": {rel: draws[(r, rel, "same")][t]
                                                                      for rel in ("mod3", "greater", "bipartite")}}
                        for r, c in c2.FIG5_SAME_CELLS.items()]}
        v = c2.fig5_verdicts(sim)
        minus += [x["verdict"] in DECIDED for x in v["minus1"]]
        plus += [x["verdict"] in DECIDED for x in v["plus1"]]
        same += [x["verdict"] in DECIDED for x in c2.fig5_same_verdicts(sim)]
    return {"minus1": (minus / sims).tolist(), "plus1": (plus / sims).tolist(), "same": (same / sims).tolist()}


def stopped_share(phases_of_cell, stops_of_cell):
    """The mean share of the budget a cell's exploratory runs trained (1 for a cell without runs)."""
    return float(np.mean(stops_of_cell)) if stops_of_cell else 1.0


def recorded_stops(name, match):
    """{cell key: [stopped_at / steps, ...]} of an exploratory results file, keyed by match(config)."""
    out = {}
    for line in lines(name):
        for c, r in zip(line["configs"], line["runs"]):
            out.setdefault(match(c), []).append(r["stopped_at"] / c["steps"])
    return out


def _key(*values):
    return tuple(round(float(v), 9) for v in values)


def fig5_cost():
    """(runs, CPU seconds) of Fig. 5's cells and common cells."""
    stops = recorded_stops("fig5", lambda c: (c["relation"], c["depth"]) + _key(c["eta_enc"], c["eta_dec"]))
    runs, total = 0, 0.0
    cells = [((rel, c2.DEPTHS[reading]), ij, len(c2.FIG5_SEEDS)) for (reading, rel), centre in c2.FIG5_CENTRES.items()
             for ij in c2.fig5_cells(centre).values()]
    cells += [((rel, c2.DEPTHS[reading]), ij, len(c2.FIG5_SAME_SEEDS)) for reading, ij in c2.FIG5_SAME_CELLS.items()
              for rel in ("mod3", "greater", "bipartite")]
    for (rel, depth), (i, j), m in cells:
        share = stops.get((rel, depth) + _key(c2.FIG5_ETA[i], c2.FIG5_ETA[j]), [1.0])
        runs, total = runs + m, total + m * FULL_RUN_SECONDS * float(np.mean(share))
    return runs, total


def fig8_power(m=len(c2.FIG8_SEEDS), sims=SIMULATIONS, rng=None):
    """[P(decided) per tested relation]."""
    rng = rng or np.random.default_rng(1)
    d = load("fig8")
    draws = {}
    for rel, (j, lo, hi) in c2.FIG8_CELLS.items():
        beta = boundary_models(grid_runs(d["wd"], d["eta"], d["relations"][rel]["phases"]), sims, rng)
        draws[rel] = [_draw(p_at(beta, c2.FIG8_WD[i], c2.FIG8_ETA[j]), m, rng) for i in (lo, hi)]
    hits = np.zeros(len(c2.FIG8_CELLS))
    for t in range(sims):
        sim = {"relations": {rel: {"low": draws[rel][0][t], "high": draws[rel][1][t]} for rel in c2.FIG8_CELLS}}
        hits += [x["verdict"] in DECIDED for x in c2.fig8_verdicts(sim)]
    return (hits / sims).tolist()


def fig8_cost():
    stops = recorded_stops("fig8", lambda c: (c["relation"],) + _key(c["wd_dec"], c["eta_dec"]))
    runs, total = 0, 0.0
    for rel, (j, lo, hi) in c2.FIG8_CELLS.items():
        for i in (lo, hi):
            share = stops.get((rel,) + _key(c2.FIG8_WD[i], c2.FIG8_ETA[j]), [1.0])
            runs += len(c2.FIG8_SEEDS)
            total += len(c2.FIG8_SEEDS) * FULL_RUN_SECONDS * float(np.mean(share))
    return runs, total


# --- Fig. 6 and Theorem 1: resampled runs -------------------------------------------------

FIG6_SETTING = {("both", "adam", "hidden"): 0, ("both", "sgd", "hidden"): 1, ("normal", "adam", "hidden"): 2}


def fig6_exploratory_phases(d, setting, init, ratio):
    s = d["settings"][FIG6_SETTING[setting]]
    curve = next(c for c in s["curves"] if c["init"] == init)
    return curve["phases"][d["ratios"].index(ratio)]


def fig6_power(m=len(c2.FIG6_SEEDS), sims=SIMULATIONS, rng=None):
    """[P(decided) per setting]."""
    rng = rng or np.random.default_rng(2)
    d = load("fig6")
    hits = np.zeros(len(c2.FIG6_POINTS))
    for _ in range(sims):
        settings = []
        for setting, pts in c2.FIG6_POINTS.items():
            points = []
            for init, ratio in pts:
                ph = fig6_exploratory_phases(d, setting, init, ratio)
                points.append({"init": init, "ratio": ratio, "bound": c2.eq12_bound(ratio),
                               "phases": [ph[k] for k in rng.integers(0, len(ph), m)]})
            settings.append({"variant": setting[0], "optimizer": setting[1], "reading": setting[2],
                             "points": points})
        hits += [x["verdict"] in DECIDED for x in c2.fig6_verdicts({"settings": settings})]
    return (hits / sims).tolist()


def fig6_cost():
    """Each registered point's runs × FULL_RUN_SECONDS × the share of the budget its
    exploratory runs trained (they leave once their phase is decided)."""
    stops = recorded_stops("fig6", lambda c: (c["optimizer"], c["init_scheme"], c["init_enc"], c["init_dec"])
                           + _key(c["eta_dec"] / c["eta_enc"]))
    runs, total = 0, 0.0
    for (variant, opt, _), pts in c2.FIG6_POINTS.items():
        for init, ratio in pts:
            scheme = "normal" if variant == "normal" else "uniform"
            share = stops.get((opt, scheme, init, init) + _key(ratio), [1.0])
            runs += len(c2.FIG6_SEEDS)
            total += len(c2.FIG6_SEEDS) * FULL_RUN_SECONDS * float(np.mean(share))
    return runs, total


def thm1_power(m=len(c2.THM1_SEEDS), sims=SIMULATIONS, rng=None):
    rng = rng or np.random.default_rng(3)
    d = load("theorem1")
    by = {}
    for r in d["runs"]:
        by.setdefault(r["setting"], []).append(r)
    hits = 0
    for _ in range(sims):
        runs = [by[s][k] for s, _, _ in c2.THM1_SETTINGS for k in rng.integers(0, len(by[s]), m)]
        hits += c2.thm1_verdict({"runs": runs})["verdict"] in DECIDED
    return hits / sims


def thm1_cost():
    runs = len(c2.THM1_SETTINGS) * len(c2.THM1_SEEDS)
    return runs, runs * THM1_RUN_SECONDS


# --- The table -----------------------------------------------------------------------------

def table(sims=SIMULATIONS):
    """Markdown rows: claim, member, P(decided), runs, CPU-hours."""
    rows = []
    f3 = fig3_power(sims=sims)
    n3, s3 = fig3_cost()
    for rel, (gap, track) in f3.items():
        rows.append(("Fig. 3 smallest gap", rel, gap))
        rows.append(("Fig. 3 tracking (per variant)", rel, track))
    rows.append(("Fig. 3 (both claims)", "runs", n3, s3))
    f5 = fig5_power(sims=sims)
    for claim, name in (("minus1", "Fig. 5 slope −1"), ("plus1", "Fig. 5 slope +1")):
        for (reading, rel), p in zip(c2.FIG5_CENTRES, f5[claim]):
            rows.append((name, f"{rel} {reading}", p))
    for reading, p in zip(c2.FIG5_SAME_CELLS, f5["same"]):
        rows.append(("Fig. 5 same place", reading, p))
    rows.append(("Fig. 5 (all three claims)", "runs", *fig5_cost()))
    for (setting, p) in zip(c2.FIG6_POINTS, fig6_power(sims=sims)):
        rows.append(("Fig. 6 bound", " ".join(setting), p))
    rows.append(("Fig. 6", "runs", *fig6_cost()))
    for rel, p in zip(c2.FIG8_CELLS, fig8_power(sims=sims)):
        rows.append(("Fig. 8 flat boundary", rel, p))
    rows.append(("Fig. 8", "runs", *fig8_cost()))
    rows.append(("Theorem 1 practical", "both groups", thm1_power(sims=sims)))
    rows.append(("Theorem 1", "runs", *thm1_cost()))
    return rows


def main(argv=None):
    sims = int((argv or sys.argv[1:] or [SIMULATIONS])[0])
    total_runs, total_cpu = 0, 0.0
    print("| claim | member | P(decided) | runs | CPU-hours |\n|---|---|---|---|---|")
    for row in table(sims):
        if len(row) == 3:
            print(f"| {row[0]} | {row[1]} | {row[2]:.2f} | | |")
        else:
            total_runs, total_cpu = total_runs + row[2], total_cpu + row[3]
            print(f"| {row[0]} | | | {row[2]} | {row[3] / 3600:.2f} |")
    print(f"| all | | | {total_runs} | {total_cpu / 3600:.2f} |")


if __name__ == "__main__":
    main()
