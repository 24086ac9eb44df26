"""Every figure of the paper from one command, and a report of what we measured.

    python run_all.py                      # quick preset: Figs. 2-8 + figures/REPORT.md
    python run_all.py --preset paper       # the paper's scale; resumable
    python run_all.py --only fig5,fig6     # some figures
    python run_all.py --replot             # redraw from saved data, no training
    python run_all.py --bench              # speed of one training step

The presets come first, then one section per figure in the paper's order, each a
triple: `<fig>_data(preset, runner)` computes what the figure shows (saved as
figures/<fig>.json), `<fig>_plot(data, path)` draws it (figures/<fig>.png), and
`<fig>_claims(data)` turns it into the rows of figures/REPORT.md. FIGURES at the
end registers each triple once. Network runs go through sweeps.Runner.
"""
import argparse
import dataclasses
import json
import os
import sys
import time
from dataclasses import dataclass

import numpy as np

import geneft as g
import repons
import statics
import sweeps

ROOT = os.path.dirname(os.path.abspath(__file__))
FIG_DIR = os.path.join(ROOT, "figures")
DEFAULT_PRESET = "quick"   # its figures are the ones in figures/; other presets write below it
CACHE_DIR = os.path.join(ROOT, ".cache")


# --- Presets ------------------------------------------------------------------------

@dataclass(frozen=True)
class Preset:
    """Sizes of every experiment. The network settings are Table III unless named."""
    name: str
    n: int                      # elements (paper: 30)
    steps: int                  # budget per run (paper: 1e5)
    eval_every: int             # at most a fifth of the scaled grokking gap
    dtype: str
    fig2_fracs: tuple
    fig2_seeds: int
    fig2_orders: int            # linear extensions per greater-than sampling
    fig3_fracs: tuple
    fig3_seeds: int
    fig3_bound_seeds: int       # samplings of the Monte Carlo bound drawn in Fig. 3
    fig3_bound_orders: int
    fig4_mc_samples: int        # Monte Carlo draws per Eq. (12) check
    lr_grid: tuple              # (log10 lo, log10 hi, points) for Figs. 5 and 8
    fig5_seeds: int
    fig6_init: tuple            # init scale factors (multiply σ_enc and σ_dec)
    fig6_ratios: tuple          # η_dec / η_enc
    fig6_seeds: int
    fig7_depths: tuple
    fig7_seeds: int
    thm1_seeds: int             # Theorem 1: runs per learning-rate setting
    wd_grid: tuple              # (log10 lo, log10 hi, points) for Fig. 8
    fig8_eta_enc: float         # paper: 1e-5 at 1e5 steps
    q1_dims: tuple              # Open Question 1: embedding dimensions d
    q1_ratios: tuple
    q1_seeds: int
    chunk: int                  # runs per cached ensemble: what an interrupt can lose
    relations: tuple = ("mod3", "greater", "bipartite")
    results_in_repo: bool = False  # append finished ensembles to figures/<preset>/<fig>.jsonl


PRESETS = {
    "smoke": Preset("smoke", n=6, steps=60, eval_every=2, dtype="float64",
                    fig2_fracs=(0.2, 0.6), fig2_seeds=2, fig2_orders=20,
                    fig3_fracs=(0.3, 0.8), fig3_seeds=1, fig3_bound_seeds=2,
                    fig3_bound_orders=20, fig4_mc_samples=2000, lr_grid=(-3, -1, 2), fig5_seeds=1,
                    fig6_init=(1.0,), fig6_ratios=(0.1, 10.0), fig6_seeds=2,
                    fig7_depths=(0, 2), fig7_seeds=1, thm1_seeds=1, wd_grid=(-3, -1, 2),
                    fig8_eta_enc=1e-3, q1_dims=(1, 3), q1_ratios=(0.1, 10.0), q1_seeds=1, chunk=4),
    "quick": Preset("quick", n=30, steps=3000, eval_every=6, dtype="float32",
                    fig2_fracs=(0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9), fig2_seeds=5,
                    fig2_orders=200,
                    fig3_fracs=(0.1, 0.2, 0.3, 0.5, 0.7, 0.9), fig3_seeds=2,
                    fig3_bound_seeds=5, fig3_bound_orders=200, fig4_mc_samples=20000,
                    lr_grid=(-4, -1, 6), fig5_seeds=1,
                    fig6_init=(0.3, 1.0, 3.0), fig6_ratios=(0.1, 1.0, 10.0, 100.0), fig6_seeds=8,
                    fig7_depths=(0, 1, 2, 3, 5, 8), fig7_seeds=3, thm1_seeds=3, wd_grid=(-4, -1, 4),
                    fig8_eta_enc=1e-5 * 100_000 / 3000, q1_dims=(1, 2, 3, 5, 8),
                    q1_ratios=(0.1, 1.0, 10.0, 100.0), q1_seeds=4, chunk=16),
    "paper": Preset("paper", n=30, steps=100_000, eval_every=100, dtype="float32",
                    fig2_fracs=tuple(np.round(np.arange(0.05, 1.0, 0.05), 2)), fig2_seeds=20,
                    fig2_orders=1000,
                    fig3_fracs=tuple(np.round(np.arange(0.1, 1.0, 0.1), 1)), fig3_seeds=3,
                    fig3_bound_seeds=20, fig3_bound_orders=1000, fig4_mc_samples=20000,
                    lr_grid=(-5, -1, 7), fig5_seeds=1,
                    fig6_init=(0.3, 1.0, 3.0), fig6_ratios=(0.01, 0.1, 1.0, 10.0, 100.0, 1000.0),
                    fig6_seeds=16, fig7_depths=tuple(range(0, 11)), fig7_seeds=5, thm1_seeds=5,
                    wd_grid=(-5, -1, 9), fig8_eta_enc=1e-5, q1_dims=(1, 2, 3, 5, 8),
                    q1_ratios=(0.01, 0.1, 1.0, 10.0, 100.0, 1000.0), q1_seeds=16, chunk=8,
                    results_in_repo=True),
}


def base_config(p, **kw):
    """Table III config at the preset's size; kw overrides fields."""
    return dataclasses.replace(g.Config(n=p.n, steps=p.steps, eval_every=p.eval_every,
                                        dtype=p.dtype), **kw)


def log_grid(spec):
    lo, hi, num = spec
    return np.logspace(lo, hi, num)


# --- Plotting helpers ----------------------------------------------------------------

def save_figure(fig, path, rect=None):
    """Lay out, write the PNG, and free the figure."""
    import matplotlib.pyplot as plt
    fig.tight_layout(rect=rect)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def relation_axes(rels, width, height):
    """One panel per relation side by side: (figure, [(axes, relation), ...])."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(rels), figsize=(width * len(rels), height), squeeze=False)
    return fig, list(zip(axes[0], rels))


# --- Report helpers: verdicts fixed before measuring ---------------------------------
def _verdict(ok, partly=False):
    return "holds" if ok else ("partly" if partly else "does not hold")


def _fmt(x, spec=".3f"):
    return "n/a" if x is None else format(x, spec)


# --- Fig. 2: the statics bound ------------------------------------------------------

FIG2_RELATIONS = ("mod3", "mod5", "greater", "bipartite")


ALPHA = 0.9  # the accuracy level of Eq. (4)


def fig2_data(p, runner):
    """Fig. 2: Appendix D Monte Carlo bound (solid) and Eq. (5) (dotted) vs training fraction.

    Eq. (5) uses b from the automorphism count, b = log2(n!/|Aut G|); Table II's
    approximation and Eq. (4)'s p_c at α = 0.9 are recorded beside it.
    """
    fr = list(p.fig2_fracs)
    out = {"fracs": fr, "n": p.n, "seeds": p.fig2_seeds, "orders": p.fig2_orders, "relations": {}}
    for rel in FIG2_RELATIONS:
        t0 = time.time()
        stats = [statics.mc_accuracy_bound_stats(rel, p.n, f, range(p.fig2_seeds),
                                                 n_orders=p.fig2_orders) for f in fr]
        b_exact, b_table = statics.table_i_b(rel, p.n)
        ps = statics.p_star(rel)
        out["relations"][rel] = {
            "mc_mean": [s.mean for s in stats], "mc_std": [s.std for s in stats],
            "eq5": [float(statics.f_upper_bound(f * p.n ** 2, b_exact, ps)) for f in fr],
            "b": b_exact, "b_table_ii": b_table, "p_star": ps,
            "p_c": statics.p_critical(ALPHA, b_exact, p.n ** 2),
            "p_c_table_ii": statics.p_critical(ALPHA, b_table, p.n ** 2),
            "seconds": round(time.time() - t0, 1)}
        print(f"  [fig2-{rel}] {len(fr)} fractions x {p.fig2_seeds} seeds, "
              f"{time.time() - t0:.0f} s", flush=True)
    return out


def fig2_plot(data, path):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4.4))
    for k, (rel, r) in enumerate(data["relations"].items()):
        ax.errorbar(data["fracs"], r["mc_mean"], yerr=r["mc_std"], color=f"C{k}", capsize=2,
                    label=f"{rel}: Monte Carlo")
        ax.plot(data["fracs"], r["eq5"], ":", color=f"C{k}", lw=2, label=f"{rel}: Eq. (5), b = {r['b']:.1f}")
    ax.set(xlabel="training fraction", ylabel="accuracy upper bound", ylim=(0.3, 1.02),
           title=f"Fig. 2: n = {data['n']}, {data['seeds']} samplings per point")
    ax.legend(fontsize=7)
    save_figure(fig, path)


def fig2_claims(d):
    rows = []
    for rel, r in d["relations"].items():
        rows.append((f"Table II / Section III {rel}: description length b and p_c (Eq. 4, α = 0.9)",
                     f"Table II b = {r['b_table_ii']:.1f}",
                     f"b = log2(n!/\\|Aut G\\|) = {r['b']:.1f}; p_c = {r['p_c']:.3f} "
                     f"(Table II b: {r['p_c_table_ii']:.3f})", "computed"))
        diff = np.array(r["mc_mean"]) - np.array(r["eq5"])
        k = int(np.argmax(np.abs(diff)))
        rows.append((f"Fig. 2 {rel}: Eq. (5) roughly agrees with the Monte Carlo bound",
                     "rough agreement", f"largest \\|MC − Eq. (5)\\| = {abs(diff[k]):.3f} at fraction "
                     f"{d['fracs'][k]} (MC {'above' if diff[k] > 0 else 'below'}); "
                     f"{d['seeds']} samplings", _verdict(abs(diff[k]) <= 0.1, abs(diff[k]) <= 0.2)))
    return rows


# --- Fig. 3: network accuracy vs training fraction ----------------------------------

FIG3_VARIANTS = (  # Fig. 3 legend: (label, mode, n_h, w)
    ("concat, n_h=3, w=50", "concat", 3, 50),
    ("diff, n_h=0", "diff", 0, 50),
    ("diff, n_h=1, w=10", "diff", 1, 10),
    ("sqdiff, n_h=0", "sqdiff", 0, 50),
    ("sqdiff, n_h=1, w=10", "sqdiff", 1, 10),
)


def crossing(x, y, level=0.9):
    """First x where y reaches level, linearly interpolated; None if it never does."""
    for k in range(len(x)):
        if y[k] >= level:
            if k == 0:
                return float(x[0])
            t = (level - y[k - 1]) / (y[k] - y[k - 1])
            return float(x[k - 1] + t * (x[k] - x[k - 1]))
    return None


def fig3_data(p, runner):
    """Fig. 3: accuracy over all n² pairs vs training fraction, mod3 and greater.

    Variants as the paper's legend: concat with Table III's decoder; diff and
    sqdiff with no hidden layer and with one of width 10. The theory is the
    Appendix D Monte Carlo bound; the vertical line is b/n² with b exact.
    """
    fr = list(p.fig3_fracs)
    out = {"fracs": fr, "seeds": p.fig3_seeds, "budget": p.steps, "n": p.n,
           "variants": [v[0] for v in FIG3_VARIANTS], "relations": {}}
    for rel in ("mod3", "greater"):
        cfgs = [base_config(p, relation=rel, mode=mode, depth=nh, width=w, frac=f, seed=s)
                for _, mode, nh, w in FIG3_VARIANTS for f in fr for s in range(p.fig3_seeds)]
        res = runner.run(f"fig3-{rel}", cfgs)
        acc = np.array([r.all_acc for r in res]).reshape(len(FIG3_VARIANTS), len(fr), p.fig3_seeds)
        bound = [statics.mc_accuracy_bound_stats(rel, p.n, f, seeds=range(p.fig3_bound_seeds),
                                                 n_orders=p.fig3_bound_orders).mean for f in fr]
        b = statics.description_length(g.relation_matrix(rel, p.n))
        f_theory = crossing(fr, bound)
        gaps = [None if (f_nn := crossing(fr, a)) is None or f_theory is None else f_nn - f_theory
                for a in acc.mean(axis=2)]
        out["relations"][rel] = {"mean": acc.mean(2).tolist(), "sd": acc.std(2).tolist(),
                                 "bound": bound, "b": b, "b_over_n2": b / p.n ** 2,
                                 "f90_theory": f_theory, "inductive_gap": gaps}
    return out


def fig3_plot(data, path):
    rels = list(data["relations"])
    fig, panels = relation_axes(rels, 5.5, 4.2)
    for ax, rel in panels:
        r = data["relations"][rel]
        for k, lab in enumerate(data["variants"]):
            ax.errorbar(data["fracs"], r["mean"][k], yerr=r["sd"][k], fmt="o-", ms=4, capsize=2,
                        label=lab)
        ax.plot(data["fracs"], r["bound"], "k-", lw=2, label="Monte Carlo bound")
        ax.axvline(r["b_over_n2"], color="k", ls=":", label="b / n²")
        ax.set(title=f"({'ab'[rels.index(rel)]}) {rel}", xlabel="training fraction",
               ylabel="accuracy (all n² pairs)", ylim=(0.3, 1.02))
        ax.legend(fontsize=7)
    fig.suptitle(f"Fig. 3: n = {data['n']}, {data['seeds']} seeds, {data['budget']} steps, d = 2")
    save_figure(fig, path)


def fig3_claims(d):
    rows = []
    expect = {"mod3": "sqdiff, n_h=0", "greater": "diff, n_h=0"}
    for rel, r in d["relations"].items():
        gaps = {v: gp for v, gp in zip(d["variants"], r["inductive_gap"]) if gp is not None}
        best = min(gaps, key=gaps.get) if gaps else None
        listed = "; ".join(f"{v}: {gp:+.2f}" for v, gp in gaps.items()) or "no variant reached 0.9"
        rows.append((f"Fig. 3 {rel}: the inductive gap (NN 0.9-crossing minus theory's) is smallest "
                     f"for {expect[rel]}", expect[rel],
                     f"smallest: {best}; gaps: {listed} (theory crosses 0.9 at "
                     f"{_fmt(r['f90_theory'], '.2f')}; {d['seeds']} seeds, {d['budget']} steps)",
                     "not measurable" if best is None else _verdict(best == expect[rel])))
        above = sum(m > bnd + 0.01 for row in r["mean"] for m, bnd in zip(row, r["bound"]))
        total = len(r["mean"]) * len(r["bound"])
        rows.append((f"Fig. 3 {rel}: network accuracy tracks the theory bound with a delayed rise "
                     "(stays under it)", "NN curves under the bound",
                     f"{above}/{total} (variant, fraction) means exceed the bound by > 0.01; "
                     f"b/n² = {r['b_over_n2']:.3f}", _verdict(above == 0, above <= total // 4)))
    return rows


# --- Fig. 4: the repon phase portrait, and Eq. (12) against Monte Carlo -------------

FIG4_MC_CASES = ((1.0, 1.0), (1.0, 0.1), (1.0, 10.0), (2.0, 1.0), (0.5, 4.0))  # (σ_a/σ_c, η_x/η_A)


def fig4_data(p, runner):
    """Fig. 4: the (a2, c) flow of Eq. (10) at η_A = η_x = 1, regions by the sign of C
    (Eq. 11), the separatrix, trajectories and their fates; plus Eq. (12) vs Monte Carlo."""
    pp = repons.phase_portrait_data(eta_A=1.0, eta_x=1.0)
    keep = slice(None, None, max(1, len(pp.t) // 100))       # 100 points per trajectory draw well
    fields = dataclasses.asdict(pp)
    fields["t"], fields["trajectories"] = pp.t[keep], pp.trajectories[keep]
    out = {k: (np.round(v, 5).tolist() if isinstance(v, np.ndarray) and v.dtype.kind == "f"
               else v.tolist() if isinstance(v, np.ndarray) else v) for k, v in fields.items()}
    out["eq12_mc"] = []
    for ratio_sigma, ratio_eta in FIG4_MC_CASES:
        mc = repons.mc_collision_probability(ratio_sigma, 1.0, eta_A=1.0, eta_x=ratio_eta,
                                             n_samples=p.fig4_mc_samples, seed=0)
        out["eq12_mc"].append({"sigma_ratio": ratio_sigma, "eta_ratio": ratio_eta,
                               "formula": float(repons.p_collision(ratio_sigma, 1.0, 1.0, ratio_eta)),
                               **dataclasses.asdict(mc)})
    return out


def fig4_plot(data, path):
    import matplotlib.pyplot as plt
    a2, c = np.array(data["a2_grid"]), np.array(data["c_grid"])
    fig, ax = plt.subplots(figsize=(5.2, 5))
    lim, k = a2.max(), data["slope"]
    ax.set_facecolor("#ef9a9a")                    # C < 0: memorization
    for sgn in (1, -1):                            # C > 0 wedges |c| < k |a2|: collision
        ax.fill([0, sgn * lim, sgn * lim], [0, k * lim, -k * lim], color="#a5d6a7", lw=0)
    ax.streamplot(a2, c, np.array(data["da2"]), np.array(data["dc"]), color="0.35", density=0.9,
                  linewidth=0.6)
    xs = np.array([-lim, lim])
    for sgn in (1, -1):
        ax.plot(xs, sgn * k * xs, "k--", lw=1.2)
    traj = np.array(data["trajectories"])
    for k, fate in enumerate(data["fate"]):
        ax.plot(traj[:, k, 0], traj[:, k, 1], color="#1b5e20" if fate == "collision" else "#b71c1c", lw=1.5)
        ax.plot(*traj[0, k], "ko", ms=3)
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim), xlabel="a2 (decoder)", ylabel="c (repon separation)",
           title="Fig. 4: repon flow, η_A = η_x; green: C > 0 (collision)")
    save_figure(fig, path)


def fig4_claims(d):
    agree = sum(a == b for a, b in zip(d["fate"], d["fate_from_C"]))
    rows = [("Theorem 2 / Fig. 4: the fate of a start is set by the sign of C (Eq. 11)",
             "C > 0 collision, C < 0 memorization",
             f"{agree}/{len(d['fate'])} portrait trajectories integrated to their end agree", 
             _verdict(agree == len(d["fate"])))]
    for m in d["eq12_mc"]:
        z = abs(m["p_sign"] - m["formula"]) / max(m["se_sign"], 1e-12)
        rows.append((f"Eq. (12) at σ_a/σ_c = {m['sigma_ratio']:g}, η_x/η_A = {m['eta_ratio']:g}",
                     f"p_r = {m['formula']:.4f}",
                     f"MC sign of C {m['p_sign']:.4f} ± {m['se_sign']:.4f}; integrated "
                     f"{m['p_integrated']:.4f} ± {m['se_integrated']:.4f} ({m['n_sign']} draws)",
                     _verdict(z <= 3)))
    return rows


# --- Fig. 5: phases over the learning rates (and the grid tools Fig. 8 shares) -------

PHASE_COLORS = {g.GENERALIZATION: "#4caf50", g.GROKKING: "#ffd54f",
                g.MEMORIZATION: "#7e57c2", g.CONFUSION: "#bdbdbd"}  # Fig. 5's colours


def phase_grid(runner, label, configs, shape):
    """Run a grid of configs and return their phases as a nested list of `shape`."""
    res = runner.run(label, configs)
    return np.array([r.phase for r in res], dtype=object).reshape(shape).tolist()


def boundary_points(x, y, phases, across=("x", "y")):
    """Points on the generalization/memorization boundary of a (len(x), len(y)) grid.

    Every pair of neighbouring cells, one generalizing (generalization or grokking)
    and one memorizing, contributes the midpoint of their shared edge on log axes:
    across "y" compares cells above each other (same x), across "x" side by side.
    """
    lx, ly = np.log10(x), np.log10(y)
    pts = []

    def pair(p, q):
        return (p in g.GENERALIZED and q == g.MEMORIZATION) or (q in g.GENERALIZED and p == g.MEMORIZATION)
    for i in range(len(x)):
        for j in range(len(y)):
            if "y" in across and j + 1 < len(y) and pair(phases[i][j], phases[i][j + 1]):
                pts.append((float(10 ** lx[i]), float(10 ** ((ly[j] + ly[j + 1]) / 2))))
            if "x" in across and i + 1 < len(x) and pair(phases[i][j], phases[i + 1][j]):
                pts.append((float(10 ** ((lx[i] + lx[i + 1]) / 2)), float(10 ** ly[j])))
    return pts


def fit_loglog_line(pts):
    """Line log10 y = slope · log10 x + intercept through boundary points, by total least
    squares (both coordinates carry the grid's error). None with < 2 points or vertical."""
    if len(pts) < 2:
        return None
    P = np.log10(np.array(pts))
    centre = P.mean(axis=0)
    _, _, vt = np.linalg.svd(P - centre)
    dx, dy = vt[0]
    if abs(dx) < 1e-12:
        return None
    slope = dy / dx
    return {"slope": float(slope), "intercept": float(centre[1] - slope * centre[0]),
            "points": len(pts)}


def plot_phase_grids(data, xkey, xlabel, title, path):
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    rels = list(data["relations"])
    fig, panels = relation_axes(rels, 4.2, 4)
    cmap = ListedColormap([PHASE_COLORS[ph] for ph in g.PHASES])
    x, y = np.log10(data[xkey]), np.log10(data["eta"])
    for ax, rel in panels:
        r = data["relations"][rel]
        codes = np.array([[g.PHASES.index(ph) for ph in col] for col in r["phases"]]).T
        ax.pcolormesh(_edges(x), _edges(y), codes, cmap=cmap, vmin=-0.5, vmax=3.5)
        if r["boundary"]:
            bx, by = np.log10(np.array(r["boundary"])).T
            ax.plot(bx, by, "k.", ms=8)
        if r["fit"]:
            f = r["fit"]
            ax.plot(x, f["slope"] * x + f["intercept"], "k--", lw=1)
            ax.text(0.03, 0.97, f"slope {f['slope']:+.2f}\nintercept {f['intercept']:+.2f}",
                    transform=ax.transAxes, va="top", fontsize=9,
                    bbox=dict(facecolor="white", alpha=0.8))
        ax.set(title=rel, xlabel=xlabel, ylabel="log10 η_dec", xlim=_lims(x), ylim=_lims(y))
    handles = [plt.Rectangle((0, 0), 1, 1, color=PHASE_COLORS[ph]) for ph in g.PHASES]
    fig.legend(handles, g.PHASES, loc="lower center", ncol=4, frameon=False)
    fig.suptitle(title)
    save_figure(fig, path, rect=(0, 0.07, 1, 1))


def _edges(v):
    step = v[1] - v[0] if len(v) > 1 else 1.0
    return np.concatenate([v - step / 2, [v[-1] + step / 2]])


def _lims(v):
    e = _edges(v)
    return e[0], e[-1]


def _grid_step(d):
    e = np.log10(d["eta"])
    return float(e[1] - e[0]) if len(e) > 1 else float("nan")


def fig5_data(p, runner):
    """Fig. 5: phases over (η_enc, η_dec) for mod3, greater, bipartite; boundary fit."""
    lrs = log_grid(p.lr_grid)
    out = {"eta": lrs.tolist(), "budget": p.steps, "gap": base_config(p).gap, "relations": {}}
    for rel in p.relations:
        cfgs = [base_config(p, relation=rel, lr_enc=float(le), lr_dec=float(ld), seed=s,
                            stop_when_decided=True)
                for le in lrs for ld in lrs for s in range(p.fig5_seeds)]
        grid = phase_grid(runner, f"fig5-{rel}", cfgs, (len(lrs), len(lrs), p.fig5_seeds))
        phases = [[cell[0] for cell in row] for row in grid]  # seed 0 colours the cell
        pts = boundary_points(lrs, lrs, phases)
        out["relations"][rel] = {"phases": phases, "boundary": pts, "fit": fit_loglog_line(pts)}
    return out


def fig5_plot(data, path):
    plot_phase_grids(data, "eta", "log10 η_enc",
                     f"Fig. 5: phases vs learning rates ({data['budget']} steps, gap {data['gap']})", path)


def fig5_claims(d):
    rows, intercepts = [], []
    for rel, r in d["relations"].items():
        f = r["fit"]
        if f is None:
            rows.append((f"Fig. 5 {rel}: generalization/memorization boundary has slope −1",
                         "slope −1", f"no line: {len(r['boundary'])} generalization/memorization "
                         "edge(s) in the grid",
                         "not measurable"))
            continue
        intercepts.append(f["intercept"])
        near = "−1" if abs(f["slope"] + 1) < abs(f["slope"] - 1) else "+1 (Eq. (12)'s ratio)"
        rows.append((f"Fig. 5 {rel}: generalization/memorization boundary has slope −1 "
                     "(Eq. (12) implies +1)", "slope −1",
                     f"slope {f['slope']:+.2f}, intercept {f['intercept']:+.2f} (log10 η_dec = slope · "
                     f"log10 η_enc + intercept) from {f['points']} boundary edges; nearer {near}; "
                     f"{d['budget']} steps", _verdict(abs(f["slope"] + 1) <= 0.3)))
    if len(intercepts) > 1:
        spread = float(np.ptp(intercepts))
        rows.append(("Fig. 5: the boundary sits at about the same intercept for every relation",
                     "task-independent", f"intercepts spread over {spread:.2f} decades "
                     f"(grid step {_grid_step(d):.2f})", _verdict(spread <= _grid_step(d))))
    eta = np.array(d["eta"])
    gen_ratio, over, n_over = [], 0, 0
    for r in d["relations"].values():
        for a, col in enumerate(r["phases"]):
            for b, ph in enumerate(col):
                ratio = eta[b] / eta[a]
                good = ph in g.GENERALIZED
                if good:
                    gen_ratio.append(ratio)
                if ratio > 10 * 1.0001:
                    n_over += 1
                    over += good
    if gen_ratio:
        top = max(gen_ratio)
        rows.append(("Fig. 5: generalization requires η_dec/η_enc ≲ 10", "ratio ≲ 10",
                     f"largest generalizing ratio {top:.3g}; {over}/{n_over} cells with ratio > 10 "
                     "generalize", _verdict(over == 0, over <= n_over // 4)))
    return rows


# --- Fig. 6: probability of generalization vs learning-rate ratio -------------------

def binomial_se(k, m):
    p = k / m
    return float(np.sqrt(max(p * (1 - p), 1.0 / m) / m))  # floor: no zero-width bar at 0 or 1


def p_gen_curve(p, runner, label, ratios, seeds, **overrides):
    """P(generalization) ± binomial SE at each η_dec/η_enc ratio (η_enc = 1e-3), with the
    σ_a, σ_c of Eq. (12) read off the network and the bound they give.

    Generalization counts Table IV's generalization and grokking (both end
    generalized; Fig. 8's caption calls grokking delayed generalization).
    """
    cfgs = [base_config(p, lr_enc=1e-3, lr_dec=1e-3 * r, seed=s, stop_when_decided=True, **overrides)
            for r in ratios for s in range(seeds)]
    res = runner.run(label, cfgs)
    sig_a, sig_c = g.sigma_a_of_network(cfgs[0]), g.sigma_c_of_network(cfgs[0])
    curve = {"sigma_a": sig_a, "sigma_c": sig_c, "p_gen": [], "se": [], "bound": []}
    for k, r in enumerate(ratios):
        wins = sum(c.generalized for c in res[k * seeds:(k + 1) * seeds])
        curve["p_gen"].append(wins / seeds)
        curve["se"].append(binomial_se(wins, seeds))
        curve["bound"].append(float(repons.p_collision(sig_a, sig_c, eta_A=r, eta_x=1.0)))
    return curve


def fig6_data(p, runner):
    """Fig. 6: P(generalization) vs η_dec/η_enc for several initialisation scales, mod3.

    The paper draws every initialisation from a standard normal times one factor,
    so both init scales (σ_enc and σ_dec) are multiplied by the factor here.
    Eq. (12) is evaluated two ways: with σ_a = σ_c (one curve, as the paper's
    single black line implies) and with σ_a, σ_c read off the network.
    """
    out = {"ratios": list(p.fig6_ratios), "eta_enc": 1e-3, "seeds": p.fig6_seeds,
           "budget": p.steps, "curves": [],
           "bound_equal_sigmas": [float(repons.p_collision(1.0, 1.0, eta_A=r, eta_x=1.0))
                                  for r in p.fig6_ratios]}
    for scale in p.fig6_init:
        curve = p_gen_curve(p, runner, f"fig6-init{scale:g}", p.fig6_ratios, p.fig6_seeds,
                            relation="mod3", init_enc=scale, init_dec=scale)
        out["curves"].append({"init": scale, **curve})
    return out


def draw_p_gen_curves(ax, ratios, curves, labels, title):
    """Measured P(generalization) ± SE per curve, Eq. (12) with each curve's network σ's
    (dashed, same colour) and with σ_a = σ_c (black): Fig. 6 and Open Question 1."""
    fine = np.logspace(np.log10(min(ratios)) - 0.5, np.log10(max(ratios)) + 0.5, 200)
    for k, (c, label) in enumerate(zip(curves, labels)):
        ax.errorbar(ratios, c["p_gen"], yerr=c["se"], fmt="o-", color=f"C{k}", capsize=3, label=label)
        ax.plot(fine, [repons.p_collision(c["sigma_a"], c["sigma_c"], eta_A=r, eta_x=1.0) for r in fine],
                color=f"C{k}", lw=1, ls="--")
    ax.plot(fine, [repons.p_collision(1.0, 1.0, eta_A=r, eta_x=1.0) for r in fine], "k-", lw=2,
            label="Eq. (12), σ_a = σ_c")
    ax.set(xscale="log", xlabel="η_dec / η_enc", ylabel="P(generalization)", ylim=(-0.05, 1.05),
           title=title)
    ax.legend(fontsize=7)


def fig6_plot(data, path):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    labels = [f"init × {c['init']:g} (dashed: Eq. (12), network σ_a/σ_c = "
              f"{c['sigma_a'] / c['sigma_c']:.3f})" for c in data["curves"]]
    draw_p_gen_curves(ax, data["ratios"], data["curves"], labels,
                      f"Fig. 6: mod3, {data['seeds']} seeds per point, {data['budget']} steps")
    save_figure(fig, path)


def count_under_bounds(curves, bound_equal_sigmas):
    """Points, and how many sit under Eq. (12) (σ_a = σ_c; network σ's) within 2 SE."""
    pts = under_eq = under_net = 0
    for c in curves:
        for p, se, b_net, b_eq in zip(c["p_gen"], c["se"], c["bound"], bound_equal_sigmas):
            pts += 1
            under_eq += p - 2 * se <= b_eq
            under_net += p - 2 * se <= b_net
    return pts, under_eq, under_net


def fig6_claims(d):
    pts, under_eq, under_net = count_under_bounds(d["curves"], d["bound_equal_sigmas"])
    how = "; ".join(f"init × {c['init']:g}: σ_a {c['sigma_a']:.3g}, σ_c {c['sigma_c']:.3g}"
                    for c in d["curves"])
    return [("Fig. 6: P(generalization) is bounded above by Eq. (12) with σ_a = σ_c (the "
             "paper's single curve)", "all points under the bound",
             f"{under_eq}/{pts} points under (within 2 binomial SE; {d['seeds']} seeds each, "
             f"{d['budget']} steps)", _verdict(under_eq == pts, under_eq >= 0.75 * pts)),
            ("Fig. 6: ... and with σ_a, σ_c read off the network (σ_c = σ_enc/√2 for "
             "r = (E_i − E_j)/2; σ_a = RMS of the decoder Jacobian ∂z/∂E_i at init)",
             "all points under the bound", f"{under_net}/{pts} points under; {how}",
             _verdict(under_net == pts, under_net >= 0.75 * pts))]


# --- Fig. 7: the Goldilocks zone of decoder depth (Appendix E) ----------------------

def fig7_data(p, runner):
    """Fig. 7 (Appendix E): test accuracy vs decoder depth, mod3, w = 10, frac 0.3."""
    out = {"depths": list(p.fig7_depths), "seeds": p.fig7_seeds, "budget": p.steps,
           "train": [], "test": [], "test_sd": [], "train_sd": [], "phases": []}
    cfgs = [base_config(p, relation="mod3", width=10, frac=0.3, depth=dep, seed=s)
            for dep in p.fig7_depths for s in range(p.fig7_seeds)]
    res = runner.run("fig7", cfgs)
    for k in range(len(p.fig7_depths)):
        chunk = res[k * p.fig7_seeds:(k + 1) * p.fig7_seeds]
        for key in ("train", "test"):
            acc = [getattr(c, f"{key}_acc") for c in chunk]
            out[key].append(float(np.mean(acc)))
            out[f"{key}_sd"].append(float(np.std(acc)))
        out["phases"].append([c.phase for c in chunk])
    return out


def fig7_plot(data, path):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.errorbar(data["depths"], data["test"], yerr=data["test_sd"], fmt="o-", capsize=3, label="test")
    ax.errorbar(data["depths"], data["train"], yerr=data["train_sd"], fmt="s--", capsize=3, label="train")
    ax.set(xlabel="decoder depth n_h", ylabel="accuracy", ylim=(0, 1.05),
           title=f"Fig. 7: mod3, w=10, frac 0.3 ({data['seeds']} seeds, {data['budget']} steps)")
    ax.legend()
    save_figure(fig, path)


def fig7_claims(d):
    test, train, deps = np.array(d["test"]), np.array(d["train"]), d["depths"]
    k = int(np.argmax(test))
    interior = 0 < k < len(deps) - 1
    ends = (f"depth {deps[0]}: train {train[0]:.2f} / test {test[0]:.2f}; depth {deps[k]}: "
            f"{train[k]:.2f} / {test[k]:.2f}; depth {deps[-1]}: {train[-1]:.2f} / {test[-1]:.2f}")
    shape = train[0] < 0.9 and train[-1] >= 0.9 and test[-1] < test[k]
    return [("Fig. 7: test accuracy peaks at an intermediate depth (Goldilocks zone): confusion "
             "when too shallow, memorization when too deep", "interior peak",
             f"peak at depth {deps[k]} ({d['seeds']} seeds, {d['budget']} steps); {ends}",
             _verdict(interior and shape, interior or shape))]


# --- Fig. 8 (Appendix F): phases vs decoder weight decay -----------------------------

def fig8_data(p, runner):
    """Fig. 8 (Appendix F): phases over (wd_dec, η_dec) at fixed η_enc; does the boundary move?

    The paper fixes η_enc = 1e-5 for 1e5 steps. Under Adam a parameter moves at
    most about η per step, so a preset with a shorter budget scales η_enc up by
    1e5 / budget (same largest encoder displacement) and says so.
    """
    lrs, wds = log_grid(p.lr_grid), log_grid(p.wd_grid)
    out = {"eta": lrs.tolist(), "wd": wds.tolist(), "eta_enc": p.fig8_eta_enc, "budget": p.steps,
           "relations": {}}
    for rel in p.relations:
        cfgs = [base_config(p, relation=rel, lr_enc=p.fig8_eta_enc, lr_dec=float(ld), wd_dec=float(wd),
                            stop_when_decided=True) for wd in wds for ld in lrs]
        phases = [[c[0] for c in row] for row in
                  phase_grid(runner, f"fig8-{rel}", cfgs, (len(wds), len(lrs), 1))]
        pts = boundary_points(wds, lrs, phases, across=("y",))
        out["relations"][rel] = {"phases": phases, "boundary": pts, "fit": fit_loglog_line(pts)}
    return out


def fig8_plot(data, path):
    plot_phase_grids(data, "wd", "log10 wd_dec",
                     f"Fig. 8: phases vs decoder weight decay, η_enc = {data['eta_enc']:.2g} "
                     f"({data['budget']} steps)", path)


def fig8_claims(d):
    rows = []
    step = _grid_step(d)
    for rel, r in d["relations"].items():
        pts = r["boundary"]
        setting = f"η_enc = {d['eta_enc']:.2g}, {d['budget']} steps"
        n_wd = len({x for x, _ in pts})
        if n_wd < 2:
            rows.append((f"Fig. 8 {rel}: the boundary in η_dec does not move with wd_dec",
                         "independent of wd", f"a generalization/memorization boundary at {n_wd} wd "
                         f"value(s); phases seen {sorted({ph for col in r['phases'] for ph in col})} "
                         f"({setting})", "not measurable"))
            continue
        spread = float(np.ptp(np.log10([y for _, y in pts])))
        rows.append((f"Fig. 8 {rel}: the boundary in η_dec does not move with wd_dec",
                     "independent of wd", f"boundary log10 η_dec spreads {spread:.2f} decades over "
                     f"{n_wd} wd values (grid step {step:.2f}; {setting})", _verdict(spread <= step)))
    return rows


# --- Beyond the paper: Theorem 1 shown, Open Question 1 answered --------------------

THM1_RUNS = (("generalizing", 1e-3, 1e-3), ("memorizing", 1e-4, 1e-2))  # (label, η_enc, η_dec)


def theorem1_data(p, runner):
    """Theorem 1 on trained mod3 networks (Table III): embeddings of a run with equal
    learning rates and of one with η_dec = 100 η_enc, and their cluster ratios."""
    cfgs = [base_config(p, relation="mod3", lr_enc=le, lr_dec=ld, seed=s)
            for _, le, ld in THM1_RUNS for s in range(p.thm1_seeds)]
    res = runner.run("theorem1", cfgs)
    labels = g.class_labels(g.relation_matrix("mod3", p.n)).tolist()
    out = {"budget": p.steps, "labels": labels, "runs": []}
    for k, (name, le, ld) in enumerate(THM1_RUNS):
        chunk = res[k * p.thm1_seeds:(k + 1) * p.thm1_seeds]
        out["runs"].append({"name": name, "eta_enc": le, "eta_dec": ld,
                            "phases": [c.phase for c in chunk],
                            "test_acc": [c.test_acc for c in chunk],
                            "ratios": [g.cluster_ratio(c.final_E, labels) for c in chunk],
                            "E": chunk[0].final_E})
    return out


def theorem1_plot(data, path):
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(data["runs"]), figsize=(5 * len(data["runs"]), 4.4))
    for ax, r in zip(axes, data["runs"]):
        E = np.array(r["E"])
        for cls in sorted(set(data["labels"])):
            m = np.array(data["labels"]) == cls
            ax.scatter(E[m, 0], E[m, 1], s=25, label=f"class {cls}")
        ax.set(title=f"{r['name']} (η_enc {r['eta_enc']:g}, η_dec {r['eta_dec']:g}): {r['phases'][0]},\n"
                     f"test acc {r['test_acc'][0]:.2f}, cluster ratio {r['ratios'][0]:.2f}",
               xlabel="E[:, 0]", ylabel="E[:, 1]")
        ax.legend(fontsize=7)
    fig.suptitle(f"Theorem 1: mod3 embeddings after {data['budget']} steps (seed 0)")
    save_figure(fig, path)


def theorem1_claims(d):
    parts = [f"{r['name']}: phases {', '.join(r['phases'])}; cluster ratio "
             f"{np.mean(r['ratios']):.2f} ± {np.std(r['ratios']):.2f}" for r in d["runs"]]
    gen, mem = (np.mean(r["ratios"]) for r in d["runs"])
    return [("Theorem 1: same-class embeddings coincide after generalization, not after "
             "memorization (cluster ratio = within / between class distance)",
             "ratio → 0 (zero loss, injective decoder)", "; ".join(parts),
             _verdict(gen < 0.2 and mem > 0.5, gen < mem))]


def crossing_down(x, y, level=0.5):
    """First x (log-interpolated) where y falls below level; None if it never does."""
    lx = np.log10(x)
    for k in range(1, len(x)):
        if y[k - 1] >= level > y[k]:
            return float(10 ** (lx[k - 1] + (level - y[k - 1]) / (y[k] - y[k - 1]) * (lx[k] - lx[k - 1])))
    return None


def open_q1_data(p, runner):
    """Open Question 1: the Fig. 6 experiment (Table III init) for several embedding
    dimensions d, mod3 and greater, against Eq. (12)."""
    out = {"ratios": list(p.q1_ratios), "seeds": p.q1_seeds, "budget": p.steps,
           "bound_equal_sigmas": [float(repons.p_collision(1.0, 1.0, eta_A=r, eta_x=1.0))
                                  for r in p.q1_ratios], "relations": {}}
    for rel in ("mod3", "greater"):
        out["relations"][rel] = []
        for d in p.q1_dims:
            curve = p_gen_curve(p, runner, f"openq1-{rel}-d{d}", p.q1_ratios, p.q1_seeds,
                                relation=rel, d=d)
            curve["crossover"] = crossing_down(p.q1_ratios, curve["p_gen"])
            out["relations"][rel].append({"d": d, **curve})
    return out


def open_q1_plot(data, path):
    rels = list(data["relations"])
    fig, panels = relation_axes(rels, 5.8, 4.4)
    for ax, rel in panels:
        curves = data["relations"][rel]
        draw_p_gen_curves(ax, data["ratios"], curves, [f"d = {c['d']}" for c in curves],
                          f"Open Question 1: {rel}, {data['seeds']} seeds per point "
                          "(dashed: network σ's)")
    save_figure(fig, path)


def open_q1_claims(d):
    rows = []
    for rel, curves in d["relations"].items():
        pts, under_eq, under_net = count_under_bounds(curves, d["bound_equal_sigmas"])
        cross = "; ".join(f"d={c['d']}: {_fmt(c['crossover'], '.3g')}" for c in curves)
        rows.append((f"Open Question 1, {rel}: Eq. (12) still bounds P(generalization) for d ≠ 2; "
                     "where P crosses 0.5 (η_dec/η_enc)", "(open question)",
                     f"points under the σ_a = σ_c bound: {under_eq}/{pts}; under the network-σ bound: "
                     f"{under_net}/{pts}; crossover ratio {cross} ({d['seeds']} seeds, "
                     f"{d['budget']} steps)", _verdict(under_eq == pts, under_eq >= 0.75 * pts)))
    return rows


# --- The registry: every figure once, in the paper's order --------------------------

@dataclass(frozen=True)
class Figure:
    """One figure of the paper: compute its data, draw it, state its claims."""
    data: object     # (preset, runner) -> dict, saved as figures/<name>.json
    plot: object     # (data, path) -> None, writes figures/<name>.png
    claims: object   # data -> [(claim, paper, this code, verdict)], rows of REPORT.md


FIGURES = {
    "fig2": Figure(fig2_data, fig2_plot, fig2_claims),
    "fig3": Figure(fig3_data, fig3_plot, fig3_claims),
    "fig4": Figure(fig4_data, fig4_plot, fig4_claims),
    "fig5": Figure(fig5_data, fig5_plot, fig5_claims),
    "fig6": Figure(fig6_data, fig6_plot, fig6_claims),
    "fig7": Figure(fig7_data, fig7_plot, fig7_claims),
    "fig8": Figure(fig8_data, fig8_plot, fig8_claims),
    "theorem1": Figure(theorem1_data, theorem1_plot, theorem1_claims),
    "open_q1": Figure(open_q1_data, open_q1_plot, open_q1_claims),
}


def planned_runs(p):
    """Network runs of each figure of a preset: {name: number of runs} (each ≤ p.steps steps).

    Counted from the preset's fields as each <fig>_data builds its configs; a test
    checks it against what a smoke run actually trains.
    """
    grid, n_rel = p.lr_grid[2], len(p.relations)
    return {"fig3": 2 * len(FIG3_VARIANTS) * len(p.fig3_fracs) * p.fig3_seeds,
            "fig5": n_rel * grid * grid * p.fig5_seeds,
            "fig6": len(p.fig6_init) * len(p.fig6_ratios) * p.fig6_seeds,
            "fig7": len(p.fig7_depths) * p.fig7_seeds,
            "fig8": n_rel * p.wd_grid[2] * grid,
            "theorem1": len(THM1_RUNS) * p.thm1_seeds,
            "open_q1": 2 * len(p.q1_dims) * len(p.q1_ratios) * p.q1_seeds}


# --- figures/REPORT.md: the paper's claims against our numbers ----------------------

def write_report(out_dir):
    """figures/REPORT.md from the saved figure data: one row per claim, never by hand."""
    lines = ["# What this code measured, claim by claim", "",
             "Generated by `python run_all.py` from the data files beside it; do not edit.", "",
             "| figure | preset | budget (steps) | wall time of the last invocation (s; cached runs cost nothing) |", "|---|---|---|---|"]
    rows = []
    for name, figure in FIGURES.items():
        path = os.path.join(out_dir, f"{name}.json")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            d = json.load(f)
        lines.append(f"| {name} | {d.get('preset')} | {d.get('budget', '-')} | {d.get('seconds')} |")
        rows += figure.claims(d)
    lines += ["", "Verdicts, fixed before measuring: a slope holds within ±0.3 of the claim; a "
              "boundary is the same across relations or weight decays within one grid step; a "
              "bound holds if every point is under it within 2 binomial standard errors (partly: "
              "3 in 4); Monte Carlo agrees within 3 standard errors; Eq. (5) agrees roughly "
              "within 0.1 (partly: 0.2). 'not measurable' means the grid holds no such boundary "
              "at this budget.", "",
              "| claim | paper | this code | verdict |", "|---|---|---|---|"]
    lines += [f"| {c} | {p} | {o} | {v} |" for c, p, o, v in rows]
    with open(os.path.join(out_dir, "REPORT.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


# --- Main ---------------------------------------------------------------------------

def out_dir_of(preset_name):
    """Where a preset's figures go: figures/ for the default preset, figures/<preset>/ else,
    so a smoke or paper run never overwrites the committed quick figures."""
    return FIG_DIR if preset_name == DEFAULT_PRESET else os.path.join(FIG_DIR, preset_name)


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", choices=list(PRESETS), default=DEFAULT_PRESET)
    ap.add_argument("--only", default=None, help="comma-separated figures, e.g. fig5,fig6")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="local worker processes (at most the number of cores)")
    ap.add_argument("--scheduler", default=None,
                    help="run on a Dask cluster: tcp://HOST:8786, or local:N for a LocalCluster "
                         f"of N workers (needs `{sweeps.CLUSTER_INSTALL}`)")
    ap.add_argument("--force", action="store_true", help="recompute, ignoring the cache")
    ap.add_argument("--replot", action="store_true", help="redraw from saved data, no training")
    ap.add_argument("--bench", action="store_true", help="time one training step and exit")
    ap.add_argument("--out", default=None, help="where figures and REPORT.md go "
                    "(default figures/, or figures/<preset>/ for a preset other than quick)")
    ap.add_argument("--cache", default=CACHE_DIR, help="where finished runs are cached")
    args = ap.parse_args(argv)
    if args.only is None:
        names = list(FIGURES)
    else:
        names = [s.strip() for s in args.only.split(",") if s.strip()]
        if not names:
            ap.error(f"--only {args.only!r}: names no figure; choose from {','.join(FIGURES)}")
    bad = [s for s in names if s not in FIGURES]
    if bad:
        ap.error(f"--only {','.join(bad)}: unknown figure; choose from {','.join(FIGURES)}")
    if args.jobs < 1:
        ap.error(f"--jobs {args.jobs}: must be >= 1")
    cores = os.cpu_count() or 1
    if args.jobs > cores:
        print(f"note: --jobs {args.jobs} is more than the {cores} cores here; using {cores} "
              "(one worker per core is the fastest)", file=sys.stderr)
        args.jobs = cores
    args.names = names
    args.out = args.out or out_dir_of(args.preset)
    return args


def run_figures(args, preset):
    """Compute (or reload, with --replot) and draw each selected figure, then the report."""
    t_all = time.time()
    planned = sum(n for f, n in planned_runs(preset).items() if f in args.names)
    with sweeps.Runner(args.jobs, os.path.join(args.cache, preset.name), args.force, preset.chunk,
                       scheduler=args.scheduler, planned_total=planned) as runner:
        for name in args.names:
            figure = FIGURES[name]
            data_path = os.path.join(args.out, f"{name}.json")
            t0 = time.time()
            if args.replot:
                with open(data_path) as f:
                    data = json.load(f)
            else:
                print(f"{name}: computing ({preset.name} preset)", flush=True)
                runner.results = (sweeps.ResultsFile(os.path.join(args.out, f"{name}.jsonl"))
                                  if preset.results_in_repo else None)
                data = figure.data(preset, runner)
                data["preset"], data["seconds"] = preset.name, round(time.time() - t0, 1)
                sweeps.write_json(data_path, data)
            figure.plot(data, os.path.join(args.out, f"{name}.png"))
            print(f"{name}: done in {time.time() - t0:.1f} s -> {name}.png", flush=True)
    write_report(args.out)
    print(f"all done in {time.time() - t_all:.1f} s; report: {os.path.join(args.out, 'REPORT.md')}")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    sweeps.keep_freed_memory()
    if args.bench:
        sweeps.bench(args.jobs)
        return 0
    import matplotlib
    matplotlib.use("Agg")
    os.makedirs(args.out, exist_ok=True)
    try:
        run_figures(args, PRESETS[args.preset])
    except KeyboardInterrupt:
        print("interrupted: every finished ensemble is saved; run the same command again to resume",
              file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
