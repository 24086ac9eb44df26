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
import os
import sys
import time
from dataclasses import dataclass

import numpy as np

import beyond
import figkit
import geneft as g
import repons
import report
import statics
import sweeps
import verdicts

ROOT = os.path.dirname(os.path.abspath(__file__))
FIG_DIR = os.path.join(ROOT, "figures")
DEFAULT_FIG_DIR = FIG_DIR   # README's findings are rewritten only for the repository's own figures
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
    fig3_fracs: tuple           # from below the theory's 0.9 crossing (≈ 0.06 for mod3)
    fig3_seeds: int
    fig3_bound_seeds: int       # samplings of the Monte Carlo bound drawn in Fig. 3
    fig3_bound_orders: int
    fig4_mc_samples: int        # Monte Carlo draws per Eq. (12) check
    lr_grid: tuple              # (log10 lo, log10 hi, points) for Figs. 5 and 8
    fig5_seeds: int             # seeds in every cell within one grid step of a phase change
    depth_conventions: tuple    # readings of Table III's depth run in Figs. 5 and 6
    sgd_eta: float              # SGD controls: η_enc · η_dec = sgd_eta² (Fig. 6)
    sgd_eta_enc: tuple          # Fig. 5 SGD control: one column per η_enc ...
    sgd_ratios: tuple           # ... at these η_dec / η_enc
    sgd_seeds: int
    fig6_init: tuple            # initialization factors s
    fig6_settings: tuple        # (init variant, optimizer, depth reading) per panel
    fig6_ratios: tuple          # η_dec / η_enc
    fig6_seeds: int
    fig7_depths: tuple
    fig7_seeds: int
    thm1_seeds: int             # Theorem 1: runs per learning-rate setting
    wd_grid: tuple              # (log10 lo, log10 hi, points) for Fig. 8's wd_dec ...
    fig8_lr_grid: tuple         # ... and its η_dec
    fig8_eta_enc: float         # paper: 1e-5 at 1e5 steps
    q1_dims: tuple              # Open Question 1: embedding dimensions d
    q1_ratios: tuple
    q1_seeds: int
    gold_relations: tuple       # beyond the paper: Goldilocks zone across relations ...
    gold_depths: tuple
    gold_widths: tuple
    gold_seeds: int
    gold_frac_factor: float     # ... each trained at this multiple of its Eq. (4) p_c
    repon_ratios: tuple         # beyond the paper: Eq. (11) on the network, at these η_dec/η_enc
    repon_seeds: int
    repon_pair_stride: int      # track every k-th same-class pair along training
    repon_track_steps: int
    repon_track_every: int
    chunk: int                  # runs per cached ensemble: what an interrupt can lose
    relations: tuple = ("mod3", "greater", "bipartite")
    results_in_repo: bool = False  # append finished ensembles to figures/<preset>/<fig>.jsonl

    def config(self, **kw):
        """Table III config at the preset's size and budget; kw overrides fields."""
        return dataclasses.replace(g.Config(n=self.n, steps=self.steps, eval_every=self.eval_every,
                                            dtype=self.dtype), **kw)


BOTH_DEPTHS = ("hidden", "linear")
GOLD_RELATIONS = ("mod3", "mod5", "greater", "bipartite", "preorder3")
FIG6_ALL = (("both", "adam", "hidden"), ("embeddings", "adam", "hidden"), ("normal", "adam", "hidden"),
            ("both", "sgd", "hidden"), ("both", "adam", "linear"))

PRESETS = {
    "smoke": Preset("smoke", n=6, steps=60, eval_every=2, dtype="float64",
                    fig2_fracs=(0.2, 0.6), fig2_seeds=2, fig2_orders=20,
                    fig3_fracs=(0.3, 0.8), fig3_seeds=2, fig3_bound_seeds=2,
                    fig3_bound_orders=20, fig4_mc_samples=2000, lr_grid=(-3, -1, 3), fig5_seeds=2,
                    depth_conventions=BOTH_DEPTHS, sgd_eta=1.0, sgd_eta_enc=(1.0,),
                    sgd_ratios=(0.1, 10.0), sgd_seeds=2,
                    fig6_init=(1.0,), fig6_settings=FIG6_ALL, fig6_ratios=(0.1, 10.0), fig6_seeds=2,
                    fig7_depths=(0, 1, 2), fig7_seeds=2, thm1_seeds=1, wd_grid=(-3, -1, 2), fig8_lr_grid=(-3, -1, 3),
                    fig8_eta_enc=1e-3, q1_dims=(1, 3), q1_ratios=(0.1, 10.0), q1_seeds=1,
                    gold_relations=("mod3", "preorder3"), gold_depths=(0, 1, 3), gold_widths=(5, 10),
                    gold_seeds=1, gold_frac_factor=3.0, repon_ratios=(0.1, 10.0), repon_seeds=1,
                    repon_pair_stride=3, repon_track_steps=20, repon_track_every=10, chunk=4),
    "quick": Preset("quick", n=30, steps=3000, eval_every=6, dtype="float32",
                    fig2_fracs=(0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9), fig2_seeds=5,
                    fig2_orders=200,
                    fig3_fracs=(0.02, 0.05, 0.08, 0.12, 0.2, 0.3, 0.5, 0.7, 0.9), fig3_seeds=5,
                    fig3_bound_seeds=5, fig3_bound_orders=200, fig4_mc_samples=20000,
                    lr_grid=(-4, -1, 6), fig5_seeds=3, depth_conventions=BOTH_DEPTHS,
                    sgd_eta=1.0, sgd_eta_enc=(0.3, 1.0), sgd_ratios=(0.1, 1.0, 10.0, 100.0), sgd_seeds=4,
                    fig6_init=(0.3, 1.0, 3.0), fig6_settings=FIG6_ALL,
                    fig6_ratios=(0.1, 1.0, 10.0, 100.0), fig6_seeds=8,
                    fig7_depths=(0, 1, 2, 3, 5, 8), fig7_seeds=3, thm1_seeds=3, wd_grid=(-4, -1, 4),
                    fig8_lr_grid=(-4, -1, 6),
                    fig8_eta_enc=1e-5 * 100_000 / 3000, q1_dims=(1, 2, 3, 5, 8),
                    q1_ratios=(0.1, 1.0, 10.0, 100.0), q1_seeds=4, gold_relations=GOLD_RELATIONS,
                    gold_depths=(0, 1, 2, 4, 8), gold_widths=(5, 10, 50), gold_seeds=2,
                    gold_frac_factor=3.0, repon_ratios=(0.1, 1.0, 10.0, 100.0), repon_seeds=3,
                    repon_pair_stride=5, repon_track_steps=600, repon_track_every=50, chunk=16),
    "paper": Preset("paper", n=30, steps=100_000, eval_every=100, dtype="float32",
                    fig2_fracs=tuple(np.round(np.arange(0.05, 1.0, 0.05), 2)), fig2_seeds=20,
                    fig2_orders=1000,
                    fig3_fracs=(0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3), fig3_seeds=5,
                    fig3_bound_seeds=20, fig3_bound_orders=1000, fig4_mc_samples=20000,
                    lr_grid=(-5, -1, 7), fig5_seeds=3, depth_conventions=BOTH_DEPTHS,
                    sgd_eta=1.0, sgd_eta_enc=(0.3, 1.0), sgd_ratios=(0.01, 0.1, 1.0, 10.0, 100.0),
                    sgd_seeds=2, fig6_init=(0.3, 1.0, 3.0),
                    fig6_settings=(("both", "adam", "hidden"), ("both", "sgd", "hidden")),
                    fig6_ratios=(0.01, 0.1, 1.0, 10.0, 100.0), fig6_seeds=8,
                    fig7_depths=tuple(range(0, 11)), fig7_seeds=5, thm1_seeds=5,
                    wd_grid=(-5, -2, 5), fig8_lr_grid=(-4, -1, 5), fig8_eta_enc=1e-5, q1_dims=(1, 2, 3, 5, 8),
                    q1_ratios=(0.1, 1.0, 10.0, 100.0), q1_seeds=4, gold_relations=GOLD_RELATIONS,
                    gold_depths=(0, 1, 2, 4, 8), gold_widths=(5, 10, 50), gold_seeds=2,
                    gold_frac_factor=3.0, repon_ratios=(0.1, 1.0, 10.0, 100.0), repon_seeds=3,
                    repon_pair_stride=3, repon_track_steps=5000, repon_track_every=250, chunk=4,
                    results_in_repo=True),
}


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
    figkit.save_figure(fig, path)


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
                     f"{d['seeds']} samplings", verdicts.graded(abs(diff[k]) <= 0.1, abs(diff[k]) <= 0.2)))
    return rows


# --- Fig. 3: network accuracy vs training fraction ----------------------------------

FIG3_VARIANTS = (  # Fig. 3 legend: (label, mode, n_h, w)
    ("concat, n_h=3, w=50", "concat", 3, 50),
    ("diff, n_h=0", "diff", 0, 50),
    ("diff, n_h=1, w=10", "diff", 1, 10),
    ("sqdiff, n_h=0", "sqdiff", 0, 50),
    ("sqdiff, n_h=1, w=10", "sqdiff", 1, 10),
)
FIG3_EXPECTED = {"mod3": "sqdiff, n_h=0", "greater": "diff, n_h=0"}  # smallest gap, per the text


def fig3_data(p, runner):
    """Fig. 3: accuracy over all n² pairs vs training fraction, mod3 and greater.

    Variants as the paper's legend: concat with Table III's decoder; diff and
    sqdiff with no hidden layer and with one of width 10. The theory is the
    Appendix D Monte Carlo bound; the vertical line is b/n² with b exact. Each
    variant's 0.9 crossing gets a bootstrap interval over seeds (verdicts.crossing_interval);
    a crossing outside the grid is censored ("below" / "above"), never clamped.
    """
    fr = list(p.fig3_fracs)
    out = {"fracs": fr, "seeds": p.fig3_seeds, "budget": p.steps, "n": p.n,
           "variants": [v[0] for v in FIG3_VARIANTS], "relations": {}}
    rels = ("mod3", "greater")
    cfgs = [[p.config(relation=rel, mode=mode, depth=nh, width=w, frac=f, seed=s)
             for _, mode, nh, w in FIG3_VARIANTS for f in fr for s in range(p.fig3_seeds)]
            for rel in rels]
    for rel, res in zip(rels, runner.run_groups("fig3", cfgs)):
        acc = np.array([r.all_acc for r in res]).reshape(len(FIG3_VARIANTS), len(fr), p.fig3_seeds)
        bound = [statics.mc_accuracy_bound_stats(rel, p.n, f, seeds=range(p.fig3_bound_seeds),
                                                 n_orders=p.fig3_bound_orders).mean for f in fr]
        b = statics.description_length(g.relation_matrix(rel, p.n))
        crossings = [[c.to_json() for c in verdicts.crossing_interval(fr, a, seed=k)]
                     for k, a in enumerate(acc)]               # (point, lo, hi) per variant
        out["relations"][rel] = {"mean": acc.mean(2).tolist(), "sd": acc.std(2).tolist(),
                                 "bound": bound, "b": b, "b_over_n2": b / p.n ** 2,
                                 "f90_theory": verdicts.crossing(fr, bound).to_json(),
                                 "f90": crossings}
    return out


def fig3_plot(data, path):
    rels = list(data["relations"])
    fig, panels = figkit.relation_axes(rels, 5.5, 4.6)
    for ax, rel in panels:
        r = data["relations"][rel]
        for k, lab in enumerate(data["variants"]):
            ax.errorbar(data["fracs"], r["mean"][k], yerr=r["sd"][k], fmt="o-", ms=4, capsize=2,
                        label=lab)
        ax.plot(data["fracs"], r["bound"], "k-", lw=2, label="Monte Carlo bound")
        ax.axvline(r["b_over_n2"], color="k", ls=":", label="b / n²")
        ax.axhline(0.9, color="0.6", lw=0.8)
        ax.set(title=f"({'ab'[rels.index(rel)]}) {rel}", xlabel="training fraction", xscale="log",
               ylabel="accuracy (all n² pairs)", ylim=(0.3, 1.02))
        ax.minorticks_off()                     # the log axis's minor labels overlap
        ax.set_xticks(data["fracs"], [f"{f:g}" for f in data["fracs"]], fontsize=7)
    handles, labels = panels[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.suptitle(f"Fig. 3: n = {data['n']}, mean ± sd over {data['seeds']} seeds, "
                 f"{data['budget']} steps, d = 2")
    figkit.save_figure(fig, path, rect=(0, 0.12, 1, 1))


def fig3_claims(d):
    rows = []
    for rel, r in d["relations"].items():
        expect = FIG3_EXPECTED[rel]
        best, verdict = verdicts.smallest_crossing_verdict(d["variants"], r["f90"], expect)
        listed = "; ".join(f"{v}: {verdicts.crossing_range_text(c)}" for v, c in zip(d["variants"], r["f90"]))
        theory = verdicts.Crossing(**r["f90_theory"]).text(".3f")
        rows.append((f"Fig. 3 {rel}: the inductive gap (NN 0.9-crossing minus theory's) is smallest "
                     f"for {expect}", expect,
                     f"smallest: {best}; 0.9 crossings [95% bootstrap over seeds]: {listed}; theory "
                     f"crosses at {theory} ({d['seeds']} seeds, {d['budget']} steps)", verdict))
        above = sum(m > bnd + 0.01 for row in r["mean"] for m, bnd in zip(row, r["bound"]))
        total = len(r["mean"]) * len(r["bound"])
        rows.append((f"Fig. 3 {rel}: network accuracy tracks the theory bound with a delayed rise "
                     "(stays under it)", "NN curves under the bound",
                     f"{above}/{total} (variant, fraction) means exceed the bound by > 0.01; "
                     f"b/n² = {r['b_over_n2']:.3f}", verdicts.graded(above == 0, above <= total // 4)))
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
    figkit.save_figure(fig, path)


def fig4_claims(d):
    agree = sum(a == b for a, b in zip(d["fate"], d["fate_from_C"]))
    rows = [("Theorem 2 / Fig. 4: the fate of a start is set by the sign of C (Eq. 11)",
             "C > 0 collision, C < 0 memorization",
             f"{agree}/{len(d['fate'])} portrait trajectories integrated to their end agree",
             verdicts.graded(agree == len(d["fate"])))]
    for m in d["eq12_mc"]:
        z = abs(m["p_sign"] - m["formula"]) / max(m["se_sign"], 1e-12)
        rows.append((f"Eq. (12) at σ_a/σ_c = {m['sigma_ratio']:g}, η_x/η_A = {m['eta_ratio']:g}",
                     f"p_r = {m['formula']:.4f}",
                     f"MC sign of C {m['p_sign']:.4f} ± {m['se_sign']:.4f}; integrated "
                     f"{m['p_integrated']:.4f} ± {m['se_integrated']:.4f} ({m['n_sign']} draws)",
                     verdicts.graded(z <= 3)))
    return rows


# --- Fig. 5: phases over the learning rates (and the grid tools Fig. 8 shares) -------


def fig5_data(p, runner):
    """Fig. 5: phases over (η_enc, η_dec) for mod3, greater, bipartite, under each reading of
    Table III's "Decoder Depth 3" (geneft.DEPTH_CONVENTIONS), with ≥ fig5_seeds seeds where
    the phase changes; plus an SGD control on mod3: columns at fixed η_enc, η_dec = ratio · η_enc.
    """
    lrs = figkit.log_grid(p.lr_grid)
    out = {"eta": lrs.tolist(), "budget": p.steps, "gap": p.config().gap,
           "seeds_near_change": p.fig5_seeds, "conventions": {}}
    for conv in p.depth_conventions:
        depth, rels = g.DEPTH_CONVENTIONS[conv], {}
        for rel in p.relations:
            def make(le, ld, s, rel=rel, depth=depth):
                return p.config(relation=rel, depth=depth, lr_enc=float(le), lr_dec=float(ld),
                                seed=s, stop_when_decided=True)
            label = f"fig5-{rel}" if conv == g.DEFAULT_DEPTH_CONVENTION else f"fig5-{conv}-{rel}"
            runs = sweeps.adaptive_phase_grid(runner, label, make, lrs, lrs, p.fig5_seeds)
            rels[rel] = figkit.grid_summary(lrs, lrs, runs)
        out["conventions"][conv] = {"depth": depth, "relations": rels}
    out["sgd"] = sgd_columns(p, runner)
    return out


def sgd_columns(p, runner):
    """SGD control for Fig. 5 (mod3): at each η_enc of p.sgd_eta_enc, η_dec = ratio · η_enc
    over p.sgd_ratios, p.sgd_seeds seeds; P(generalized) and the critical ratio per column."""
    cols = []
    for le in p.sgd_eta_enc:
        cfgs = [p.config(relation="mod3", optimizer="sgd", lr_enc=le, lr_dec=le * r, seed=s,
                         stop_when_decided=True) for r in p.sgd_ratios for s in range(p.sgd_seeds)]
        res = runner.run(f"fig5-sgd-{le:g}", cfgs)
        phases = [[s.phase for s in res[k * p.sgd_seeds:(k + 1) * p.sgd_seeds]]
                  for k in range(len(p.sgd_ratios))]
        x, y, gen = figkit.grid_runs([le], [le * r for r in p.sgd_ratios], [phases])
        cols.append({"eta_enc": le, "phases": phases,
                     "p_gen": [float(np.mean([ph in g.GENERALIZED for ph in c])) for c in phases],
                     "critical_log_ratio": verdicts.critical_log_ratio(x, y, gen).to_json()})
    return {"ratios": list(p.sgd_ratios), "seeds": p.sgd_seeds, "columns": cols}


def fig5_plot(data, path):
    import matplotlib.pyplot as plt
    convs, rels = list(data["conventions"]), list(next(iter(data["conventions"].values()))["relations"])
    fig, axes = plt.subplots(len(convs), len(rels) + 1, figsize=(4.2 * (len(rels) + 1), 4.1 * len(convs)),
                             squeeze=False)
    eta = np.array(data["eta"])
    for row, conv in zip(axes, convs):
        c = data["conventions"][conv]
        for ax, rel in zip(row, rels):
            figkit.plot_phase_grid(ax, eta, eta, c["relations"][rel], "log10 η_enc",
                                   f"{rel}, depth {c['depth']} hidden ({conv} reading)")
            ax.set_ylabel("log10 η_dec")
        row[-1].axis("off")
    ax = axes[0][-1]
    ax.axis("on")
    sgd = data["sgd"]
    for k, col in enumerate(sgd["columns"]):
        n = sgd["seeds"]
        lo_hi = np.array([verdicts.wilson_interval(round(pg * n), n) for pg in col["p_gen"]])
        ax.errorbar(sgd["ratios"], col["p_gen"], yerr=[np.array(col["p_gen"]) - lo_hi[:, 0],
                    lo_hi[:, 1] - np.array(col["p_gen"])], fmt="o-", capsize=3, color=f"C{k}",
                    label=f"η_enc = {col['eta_enc']:g}")
    ax.set(xscale="log", xlabel="η_dec / η_enc", ylabel="P(generalized), 95% Wilson",
           ylim=(-0.05, 1.05), title=f"SGD control, mod3 ({sgd['seeds']} seeds per point)")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, frameon=False)
    figkit.phase_legend(fig)
    fig.suptitle(f"Fig. 5: phases vs learning rates (Adam, {data['budget']} steps, gap {data['gap']}); "
                 f"one seed per cell, {data['seeds_near_change']} where the phase changes (k/m: "
                 "generalized runs); dashed: logistic boundary, slope with 95% bootstrap interval")
    figkit.save_figure(fig, path, rect=(0, 0.05, 1, 0.96))


def ratio_claims(where, crits):
    """Rows for the critical ratio η_dec/η_enc (boundary at slope +1) of several fits."""
    text = "; ".join(f"{k}: {figkit.ratio_text(c)}" for k, c in crits.items())
    ivs = [verdicts.Interval(**c) for c in crits.values()]
    same = (verdicts.INCONCLUSIVE if any(i.lo is None for i in ivs) else
            verdicts.HOLDS if verdicts.intervals_overlap(ivs) else verdicts.DOES_NOT_HOLD)
    near10 = [verdicts.INCONCLUSIVE if i.lo is None else verdicts.HOLDS if 0.5 <= i.lo and i.hi <= 1.5
              else verdicts.DOES_NOT_HOLD if i.hi < 0.5 or i.lo > 1.5 else verdicts.INCONCLUSIVE
              for i in ivs]
    rule10 = (verdicts.HOLDS if all(v == verdicts.HOLDS for v in near10) else verdicts.DOES_NOT_HOLD
              if any(v == verdicts.DOES_NOT_HOLD for v in near10) else verdicts.INCONCLUSIVE)
    return [(f"Fig. 5 {where}: the boundary sits at about the same place for every relation "
             "(critical ratio at slope +1)", "task-independent", text, same),
            (f"Fig. 5 {where}: generalization requires η_dec/η_enc ≲ 10 (critical ratio within "
             "half a decade of 10)", "ratio ≲ 10", text, rule10)]


def fig5_claims(d):
    rows = []
    for conv, c in d["conventions"].items():
        where = f"[depth {c['depth']}, {conv} reading]"
        for rel, r in c["relations"].items():
            rows += figkit.slope_rows("Fig. 5", f"{rel} {where}", r, d["budget"])
        rows += ratio_claims(where, {rel: r["critical_log_ratio"] for rel, r in c["relations"].items()})
    sgd = d["sgd"]
    crits = {f"η_enc {col['eta_enc']:g}": col["critical_log_ratio"] for col in sgd["columns"]}
    ivs = [verdicts.Interval(**c) for c in crits.values()]
    text = "; ".join(f"{k}: {figkit.ratio_text(c)}" for k, c in crits.items())
    seen = "; ".join(f"η_enc {col['eta_enc']:g}: " + ", ".join(
        f"ratio {r:g} {figkit.phase_counts(ph)}" for r, ph in zip(sgd["ratios"], col["phases"]))
        for col in sgd["columns"])
    rows.append(("Fig. 5, SGD control (mod3): the boundary sits at one ratio η_dec/η_enc whatever "
                 "η_enc (slope +1, as Eq. (12) says for gradient flow)", "(control)",
                 f"critical ratio per column {text} ({sgd['seeds']} seeds per point); phases: {seen}",
                 verdicts.INCONCLUSIVE if len(ivs) < 2 or any(i.lo is None for i in ivs) else
                 verdicts.HOLDS if verdicts.intervals_overlap(ivs) else verdicts.DOES_NOT_HOLD))
    return rows


def fig5_finding(d):
    """Fig. 5's README sentence: the boundary slope per relation and depth reading."""
    return " ".join(f"Fig. 5 boundary slopes, depth {c['depth']} ({conv} reading), with 95% intervals: "
                    + ", ".join(f"{rel} {verdicts.Interval(**r['slope']).text()}"
                                for rel, r in c["relations"].items())
                    + " (the text says −1, Eq. (12) implies +1)." for conv, c in d["conventions"].items())


# --- Fig. 6: probability of generalization vs learning-rate ratio -------------------

FIG6_INIT_VARIANTS = {  # how the initialization factor s enters a config (README, Conventions)
    "both": lambda s: {"init_enc": s, "init_dec": s},          # σ_enc and σ_dec × s, uniform decoder
    "embeddings": lambda s: {"init_enc": s},                   # only E × s (ref. [27]'s code)
    "normal": lambda s: {"init_enc": s, "init_dec": s, "init_scheme": "normal"},  # all N(0, s²)
}


def fig6_data(p, runner):
    """Fig. 6: P(generalized) vs η_dec/η_enc for several initialization factors, mod3, in
    each setting of p.fig6_settings: (init variant, optimizer, depth reading).

    The caption says every initialization is a standard normal times the factor; the
    predecessor code (ref. [27]) scales the embeddings only; our default scales σ_enc and
    σ_dec of the uniform decoder init. Each is a variant (FIG6_INIT_VARIANTS); SGD is the
    control for Eq. (12)'s gradient flow. Eq. (12) is drawn with σ_a = σ_c (the paper's
    single black line) and with σ_a, σ_c read off the network.
    """
    out = {"ratios": list(p.fig6_ratios), "seeds": p.fig6_seeds, "budget": p.steps,
           "sgd_eta": p.sgd_eta, "settings": [],
           "bound_equal_sigmas": [float(repons.p_collision(1.0, 1.0, eta_A=r, eta_x=1.0))
                                  for r in p.fig6_ratios]}
    variants = [{"optimizer": optimizer, "relation": "mod3", "depth": g.DEPTH_CONVENTIONS[conv],
                 **FIG6_INIT_VARIANTS[variant](scale)}
                for variant, optimizer, conv in p.fig6_settings for scale in p.fig6_init]
    curves = figkit.p_gen_curves(p, runner, "fig6", p.fig6_ratios, p.fig6_seeds, variants)
    per = len(p.fig6_init)                       # curves come setting by setting, init by init
    for k, (variant, optimizer, conv) in enumerate(p.fig6_settings):
        out["settings"].append({"variant": variant, "optimizer": optimizer, "convention": conv,
                                "depth": g.DEPTH_CONVENTIONS[conv],
                                "curves": [{"init": scale, **c} for scale, c in
                                           zip(p.fig6_init, curves[k * per:(k + 1) * per])]})
    return out


def setting_name(s):
    init = {"both": "σ_enc, σ_dec × s", "embeddings": "σ_enc × s only", "normal": "all N(0, s²)"}
    return f"{s['optimizer'].upper() if s['optimizer'] == 'sgd' else 'Adam'}, {init[s['variant']]}, depth {s['depth']}"


def fig6_plot(data, path):
    import matplotlib.pyplot as plt
    sets = data["settings"]
    cols = min(len(sets), 3)
    rows = -(-len(sets) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.8 * cols, 4.2 * rows + 0.6), squeeze=False)
    for ax, s in zip(axes.ravel(), sets):
        ratios_text = ", ".join(f"{c['sigma_a'] / c['sigma_c']:.2f}" for c in s["curves"])
        figkit.draw_p_gen_curves(ax, data["ratios"], s["curves"], [f"s = {c['init']:g}" for c in s["curves"]],
                                 f"{setting_name(s)}\nnetwork σ_a/σ_c: {ratios_text}")
    for ax in axes.ravel()[len(sets):]:
        ax.axis("off")
    figkit.legend_below(fig, axes[0][0])
    fig.suptitle(f"Fig. 6: mod3, {data['seeds']} seeds per point, {data['budget']} steps "
                 f"(SGD: η_enc·η_dec = {data['sgd_eta']:g}²)")
    figkit.save_figure(fig, path, rect=(0, 0.06, 1, 1))


def fig6_claims(d):
    rows = []
    for s in d["settings"]:
        pts, over_eq, over_net = figkit.count_over_bounds(s["curves"], d["bound_equal_sigmas"])
        how = "; ".join(f"s = {c['init']:g}: σ_a {c['sigma_a']:.3g}, σ_c {c['sigma_c']:.3g}"
                        for c in s["curves"])
        name = setting_name(s)
        rows += [(f"Fig. 6 [{name}]: P(generalization) is bounded above by Eq. (12) with σ_a = σ_c "
                  "(the paper's single curve)", "all points under the bound",
                  f"{pts - over_eq}/{pts} points not significantly above ({d['seeds']} seeds each, "
                  f"{d['budget']} steps)", figkit.bound_verdict(over_eq)),
                 (f"Fig. 6 [{name}]: ... and with σ_a, σ_c read off the network (σ_c = σ_enc/√2; "
                  "σ_a = RMS of ∂z/∂E_i at init)", "all points under the bound",
                  f"{pts - over_net}/{pts} points not significantly above; {how}",
                  figkit.bound_verdict(over_net))]
    return rows


def fig6_finding(d):
    """Fig. 6's README sentence: points not significantly above Eq. (12), per setting."""
    parts = []
    for s in d["settings"]:
        pts, over_eq, _ = figkit.count_over_bounds(s["curves"], d["bound_equal_sigmas"])
        parts.append(f"{setting_name(s)}: {pts - over_eq}/{pts}")
    return "Fig. 6 points not significantly above Eq. (12) (σ_a = σ_c): " + "; ".join(parts) + "."


# --- Fig. 7: the Goldilocks zone of decoder depth (Appendix E) ----------------------

def fig7_data(p, runner):
    """Fig. 7 (Appendix E): test accuracy vs decoder depth, mod3, w = 10, frac 0.3, with
    every run's Table IV phase."""
    out = {"depths": list(p.fig7_depths), "seeds": p.fig7_seeds, "budget": p.steps,
           "train": [], "test": [], "test_sd": [], "train_sd": [], "test_runs": [], "phases": []}
    cfgs = [p.config(relation="mod3", width=10, frac=0.3, depth=dep, seed=s)
            for dep in p.fig7_depths for s in range(p.fig7_seeds)]
    res = runner.run("fig7", cfgs)
    for k in range(len(p.fig7_depths)):
        chunk = res[k * p.fig7_seeds:(k + 1) * p.fig7_seeds]
        for key in ("train", "test"):
            acc = [getattr(c, f"{key}_acc") for c in chunk]
            out[key].append(float(np.mean(acc)))
            out[f"{key}_sd"].append(float(np.std(acc)))
        out["test_runs"].append([c.test_acc for c in chunk])
        out["phases"].append([c.phase for c in chunk])
    return out


def fig7_plot(data, path):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4.4))
    ax.errorbar(data["depths"], data["test"], yerr=data["test_sd"], fmt="o-", capsize=3,
                color="k", label="test, mean ± sd")
    ax.errorbar(data["depths"], data["train"], yerr=data["train_sd"], fmt="s--", capsize=3,
                color="0.5", label="train, mean ± sd")
    offsets = np.linspace(-0.15, 0.15, data["seeds"]) if data["seeds"] > 1 else [0.0]
    for dep, accs, phases in zip(data["depths"], data["test_runs"], data["phases"]):
        for dx, acc, ph in zip(offsets, accs, phases):
            ax.plot(dep + dx, acc, "o", ms=6, color=g.PHASE_COLORS[ph], mec="k", mew=0.4)
    handles = [plt.Line2D([], [], marker="o", ls="", color=g.PHASE_COLORS[ph], mec="k", label=ph)
               for ph in g.PHASES]
    ax.legend(handles=ax.get_legend_handles_labels()[0] + handles, fontsize=7,
              loc="upper left", bbox_to_anchor=(1.01, 1.0), title="each run's test acc. by phase",
              title_fontsize=7)
    ax.set(xlabel="decoder depth n_h (hidden layers)", ylabel="accuracy", ylim=(0, 1.05),
           title=f"Fig. 7: mod3, w=10, frac 0.3 ({data['seeds']} seeds, {data['budget']} steps)")
    figkit.save_figure(fig, path)


def goldilocks_verdict(d):
    """Fig. 7 rule: the peak (highest mean test accuracy) must be interior, generalize
    (Table IV) in most of its seeds, and exceed each neighbour by more than twice the
    combined standard error (√(se_peak² + se_nb²)); shallow must be confusion and deep
    memorization in most seeds. HOLDS if all; INCONCLUSIVE if only the separation from a
    neighbour fails; DOES_NOT_HOLD otherwise."""
    test, sd, deps = np.array(d["test"]), np.array(d["test_sd"]), d["depths"]
    se = sd / np.sqrt(max(d["seeds"] - 1, 1))
    k = int(np.argmax(test))
    most = lambda phases, ok: sum(ph in ok for ph in phases) > len(phases) / 2
    interior = 0 < k < len(deps) - 1
    peak_generalizes = most(d["phases"][k], g.GENERALIZED)
    ends = most(d["phases"][0], {g.CONFUSION}) and most(d["phases"][-1], {g.MEMORIZATION})
    separated = interior and all(test[k] - test[j] > 2 * np.hypot(se[k], se[j]) for j in (k - 1, k + 1))
    if interior and peak_generalizes and ends:
        return k, (verdicts.HOLDS if separated else verdicts.INCONCLUSIVE)
    return k, verdicts.DOES_NOT_HOLD


def fig7_claims(d):
    test, train, deps = np.array(d["test"]), np.array(d["train"]), d["depths"]
    k, verdict = goldilocks_verdict(d)
    describe = lambda j: (f"depth {deps[j]}: train {train[j]:.2f} / test {test[j]:.2f} ± "
                          f"{d['test_sd'][j]:.2f}, phases {', '.join(d['phases'][j])}")
    return [("Fig. 7: test accuracy peaks at an intermediate depth (Goldilocks zone): confusion "
             "when too shallow, memorization when too deep", "interior peak",
             f"peak at depth {deps[k]} (n_h hidden layers; {deps[k] + 1} linear layers under the "
             f"linear reading, which only shifts the curve), {d['seeds']} seeds, {d['budget']} steps; "
             + "; ".join(describe(j) for j in sorted({0, max(k - 1, 0), k, min(k + 1, len(deps) - 1),
                                                      len(deps) - 1})), verdict)]


def fig7_finding(d):
    """Fig. 7's README sentence: the peak depth, its phases, the Goldilocks verdict."""
    k, verdict = goldilocks_verdict(d)
    return (f"Fig. 7 peaks at depth {d['depths'][k]} (hidden layers; phases there: "
            f"{', '.join(d['phases'][k])}); "
            f"Goldilocks verdict: {verdict}.")


# --- Fig. 8 (Appendix F): phases vs decoder weight decay -----------------------------

def fig8_data(p, runner):
    """Fig. 8 (Appendix F): phases over (wd_dec, η_dec) at fixed η_enc, ≥ fig5_seeds seeds
    where the phase changes; does the boundary move with wd?

    The paper fixes η_enc = 1e-5 for 1e5 steps. Under Adam a parameter moves at
    most about η per step, so a preset with a shorter budget scales η_enc up by
    1e5 / budget (same largest encoder displacement) and says so.
    """
    lrs, wds = figkit.log_grid(p.fig8_lr_grid), figkit.log_grid(p.wd_grid)
    out = {"eta": lrs.tolist(), "wd": wds.tolist(), "eta_enc": p.fig8_eta_enc, "budget": p.steps,
           "seeds_near_change": p.fig5_seeds, "relations": {}}
    for rel in p.relations:
        def make(wd, ld, s, rel=rel):
            return p.config(relation=rel, lr_enc=p.fig8_eta_enc, lr_dec=float(ld),
                            wd_dec=float(wd), seed=s, stop_when_decided=True)
        out["relations"][rel] = figkit.grid_summary(wds, lrs, sweeps.adaptive_phase_grid(
            runner, f"fig8-{rel}", make, wds, lrs, p.fig5_seeds))
    return out


def fig8_plot(data, path):
    rels = list(data["relations"])
    fig, panels = figkit.relation_axes(rels, 4.2, 4.3)
    for ax, rel in panels:
        figkit.plot_phase_grid(ax, np.array(data["wd"]), np.array(data["eta"]), data["relations"][rel],
                               "log10 wd_dec", rel)
        ax.set_ylabel("log10 η_dec")
    figkit.phase_legend(fig)
    fig.suptitle(f"Fig. 8: phases vs decoder weight decay, η_enc = {data['eta_enc']:.2g} "
                 f"({data['budget']} steps; {data['seeds_near_change']} seeds where the phase changes)")
    figkit.save_figure(fig, path, rect=(0, 0.07, 1, 1))


def boundary_movement(d, r):
    """Where the fitted boundary sits (log10 η_dec) at the smallest and largest wd, and
    whether it stays inside the η_dec grid."""
    if r["line"] is None:
        return "no generalization/memorization boundary in the grid"
    slope, intercept = r["line"]
    lw, le = np.log10(d["wd"]), np.log10(d["eta"])
    ends = [slope * x + intercept for x in (lw[0], lw[-1])]
    inside = all(le[0] - 0.5 <= y <= le[-1] + 0.5 for y in ends)
    return (f"boundary at log10 η_dec {ends[0]:+.2f} (wd {d['wd'][0]:.0e}) → {ends[1]:+.2f} "
            f"(wd {d['wd'][-1]:.0e})" + ("" if inside else ", leaving the η_dec grid"))


def fig8_claims(d):
    rows = []
    for rel, r in d["relations"].items():
        s = verdicts.Interval(**r["slope"])
        rows.append((f"Fig. 8 {rel}: the boundary in η_dec does not move with wd_dec (slope 0 in "
                     "log wd_dec vs log η_dec)", "independent of wd",
                     f"slope {s.text()} ({s.runs} runs, 95% bootstrap); {boundary_movement(d, r)}; "
                     f"η_enc = {d['eta_enc']:.2g}, {d['budget']} steps", verdicts.judge_flat(s)))
    return rows


def fig8_finding(d):
    """Fig. 8's README sentence: the boundary slope in (log wd_dec, log η_dec) per relation."""
    slopes = ", ".join(f"{rel} {verdicts.Interval(**r['slope']).text()}" for rel, r in d["relations"].items())
    return f"Fig. 8 boundary slope in (log wd_dec, log η_dec): {slopes} (the paper: 0)."


# --- The registry: every figure once, in the paper's order --------------------------

@dataclass(frozen=True)
class Figure:
    """One figure of the paper: compute its data, draw it, state its claims."""
    data: object     # (preset, runner) -> dict, saved as figures/<name>.json
    plot: object     # (data, path) -> None, writes figures/<name>.png
    claims: object   # data -> [(claim, paper, this code, verdict)], rows of REPORT.md
    finding: object = None   # data -> a sentence for README's findings (headline figures)


FIGURES = {
    "fig2": Figure(fig2_data, fig2_plot, fig2_claims),
    "fig3": Figure(fig3_data, fig3_plot, fig3_claims),
    "fig4": Figure(fig4_data, fig4_plot, fig4_claims),
    "fig5": Figure(fig5_data, fig5_plot, fig5_claims, fig5_finding),
    "fig6": Figure(fig6_data, fig6_plot, fig6_claims, fig6_finding),
    "fig7": Figure(fig7_data, fig7_plot, fig7_claims, fig7_finding),
    "fig8": Figure(fig8_data, fig8_plot, fig8_claims, fig8_finding),
    "theorem1": Figure(beyond.theorem1_data, beyond.theorem1_plot, beyond.theorem1_claims,
                       beyond.theorem1_finding),
    "open_q1": Figure(beyond.open_q1_data, beyond.open_q1_plot, beyond.open_q1_claims),
    "repons_net": Figure(beyond.repon_network_data, beyond.repon_network_plot,
                         beyond.repon_network_claims),
    "goldilocks": Figure(beyond.goldilocks_data, beyond.goldilocks_plot, beyond.goldilocks_claims),
}


def run_bounds(p):
    """Network runs of each figure of a preset: {name: (fewest, most)}, each ≤ p.steps steps.

    Counted from the preset's fields as each <fig>_data builds its configs; Figs. 5 and 8
    add seeds only where the phase changes, so they lie between one seed per cell and
    fig5_seeds per cell. A test checks a smoke run against these bounds.
    """
    cells5 = len(p.relations) * p.lr_grid[2] ** 2
    cells8 = len(p.relations) * p.wd_grid[2] * p.fig8_lr_grid[2]
    sgd = len(p.sgd_eta_enc) * len(p.sgd_ratios) * p.sgd_seeds
    fixed = {"fig3": 2 * len(FIG3_VARIANTS) * len(p.fig3_fracs) * p.fig3_seeds,
             "fig6": len(p.fig6_settings) * len(p.fig6_init) * len(p.fig6_ratios) * p.fig6_seeds,
             "fig7": len(p.fig7_depths) * p.fig7_seeds,
             "theorem1": len(beyond.THM1_RUNS) * p.thm1_seeds,
             "open_q1": 2 * len(p.q1_dims) * len(p.q1_ratios) * p.q1_seeds,
             "repons_net": 2 * len(p.repon_ratios) * p.repon_seeds,
             "goldilocks": len(p.gold_relations) * len(p.gold_depths) * len(p.gold_widths) * p.gold_seeds}
    bounds = {k: (v, v) for k, v in fixed.items()}
    n_conv = len(p.depth_conventions)
    bounds["fig5"] = (n_conv * cells5 + sgd, n_conv * cells5 * p.fig5_seeds + sgd)
    bounds["fig8"] = (cells8, cells8 * p.fig5_seeds)
    return {name: bounds[name] for name in FIGURES if name in bounds}


# --- figures/REPORT.md: the paper's claims against our numbers (report.py) ---------

def report_columns(out_dir):
    """The measurements a report shows side by side: figures/REPORT.md puts the quick
    preset's beside the paper budget's (figures/paper/); any other folder shows its own."""
    if os.path.abspath(out_dir) == os.path.abspath(FIG_DIR):
        return [("quick", FIG_DIR), ("paper budget", os.path.join(FIG_DIR, "paper"))]
    return [(os.path.basename(os.path.normpath(out_dir)), out_dir)]


def write_report(out_dir):
    """out_dir/REPORT.md, one column pair per report_columns entry (report.write_report)."""
    return report.write_report(out_dir, report_columns(out_dir), FIGURES)


# --- README: what each run found, generated from the same data --------------------------

README = os.path.join(ROOT, "README.md")


def findings(folder):
    """README's sentences for a preset's folder (report.findings over FIGURES)."""
    return report.findings(folder, FIGURES)


def update_readme_findings(label, folder, readme=README):
    """Replace the text between the README's markers for `label` by findings(folder)."""
    report.replace_marked(readme, label, findings(folder))


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


def check_folders(args):
    """Before any computing: the output and cache folders must be writable folders, and
    --replot needs every selected figure's data. Returns an error line, or None."""
    for what, folder in (("--out", args.out), ("--cache", args.cache)):
        if os.path.exists(folder) and not os.path.isdir(folder):
            return f"{what} {folder} is a file, not a folder: move it away or name another {what}"
        try:
            os.makedirs(folder, exist_ok=True)
            probe = os.path.join(folder, f".write-test-{os.getpid()}")
            with open(probe, "w"):
                pass
            os.remove(probe)
        except OSError as err:
            return f"{what} {folder} is not writable ({err.strerror}): name a folder you can write to"
    if args.replot:
        for name in args.names:
            try:
                if report.load_figure_data(args.out, name) is None:
                    return (f"--replot: {os.path.join(args.out, name + '.json')} is missing: "
                            f"compute it first (without --replot)")
            except report.DataFileError as err:
                return f"--replot: {err}: compute it again (without --replot)"
    return None


def run_figures(args, preset):
    """Compute (or reload, with --replot) and draw each selected figure, then the report."""
    t_all = time.time()
    planned = sum(hi for f, (lo, hi) in run_bounds(preset).items() if f in args.names)
    with sweeps.Runner(args.jobs, os.path.join(args.cache, preset.name), args.force, preset.chunk,
                       scheduler=args.scheduler, planned_total=planned) as runner:
        for name in args.names:
            figure = FIGURES[name]
            data_path = os.path.join(args.out, f"{name}.json")
            t0 = time.time()
            if args.replot:
                data = report.load_figure_data(args.out, name)        # checked by check_folders
            else:
                print(f"{name}: computing ({preset.name} preset)", flush=True)
                runner.results = (sweeps.ResultsFile(os.path.join(args.out, f"{name}.jsonl"))
                                  if preset.results_in_repo else None)
                data = figure.data(preset, runner)
                data["preset"], data["seconds"] = preset.name, round(time.time() - t0, 1)
                if runner.results is not None:     # the cost over every invocation, not this one's
                    data["cpu_seconds"], data["untimed_ensembles"] = runner.results.cost()
                sweeps.write_json(data_path, data)
            figure.plot(data, os.path.join(args.out, f"{name}.png"))
            print(f"{name}: done in {time.time() - t0:.1f} s -> {name}.png", flush=True)
    errors = write_report(args.out)
    main_report = [os.path.abspath(folder) for _, folder in report_columns(FIG_DIR)]
    if os.path.abspath(args.out) in main_report[1:] and os.path.isdir(FIG_DIR):
        errors += write_report(FIG_DIR)       # the main report shows quick and paper side by side
    if os.path.abspath(args.out) in main_report and os.path.abspath(FIG_DIR) == DEFAULT_FIG_DIR:
        for (label, folder) in report_columns(FIG_DIR):
            update_readme_findings(label, folder)
    print(f"all done in {time.time() - t_all:.1f} s; report: {os.path.join(args.out, 'REPORT.md')}")
    return errors


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    sweeps.keep_freed_memory()
    if args.bench:
        sweeps.bench(args.jobs)
        return 0
    import matplotlib
    matplotlib.use("Agg")
    problem = check_folders(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        errors = run_figures(args, PRESETS[args.preset])
    except KeyboardInterrupt:
        print("interrupted: every finished ensemble is saved; run the same command again to resume",
              file=sys.stderr)
        return 130
    for err in errors:
        print(f"error: {err}: its rows say so in the report; rerun that figure", file=sys.stderr)
    return 2 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
