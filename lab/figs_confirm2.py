"""The second preregistered confirmation's figures and report rows (data and rules: lab/confirm2.py).

Each figure shows the runs a registered rule judged, with the rule's thresholds drawn in:
Fig. 3's per-seed 0.9 crossings against twice the theory's fraction, the P(generalized)
of the cells of Figs. 5 and 8, the Fig. 6 points against Eq. (12) and Eq. (12) + δ, and
Theorem 1's cluster ratios against 0.2 and 0.5. The rows name the same first-page lines
as the exploratory figures' (their `group`), so each claim shows both columns.
"""
import numpy as np

import geneft as g
from lab import confirm2 as c2
from lab import figkit, verdicts
from lab.report import Row, with_headline

GROUPS = {   # the exploratory rows' first-page lines (lab/figs_statics.py, figs_dynamics.py, theorem1.py)
    "fig3_gap": ("Fig. 3: the inductive gap is smallest with the right inductive bias (sqdiff, n_h=0 for "
                 "mod3; diff, n_h=0 for greater)", "Fig. 3: the smallest gap with the right inductive bias"),
    "fig3_track": ("Fig. 3: the network tracks the theory bound with a slightly delayed rise",
                   "Fig. 3: tracks the bound with a slightly delayed rise"),
    "fig5_minus1": ("Fig. 5: the generalization/memorization boundary has slope −1",
                    "Fig. 5: the generalization/memorization boundary has slope −1"),
    "fig5_plus1": ("Fig. 5: ... or slope +1, as Eq. (12) (a function of η_x/η_A) implies",
                   "Fig. 5: ... or slope +1, as Eq. (12) (a function of η_x/η_A) implies"),
    "fig5_same": ("Fig. 5: the boundary appears approximately at the same intercept for every relation "
                  "(task-independent)", "Fig. 5: the same boundary for every relation"),
    "fig6_bound": ("Fig. 6: the probability of generalization is upper bounded by Eq. (12) (σ_a = σ_c, the "
                   "black line)", "Fig. 6: P(generalization) ≤ Eq. (12)"),
    "fig8_flat": ("Fig. 8: the memorization–generalization boundary is independent of the decoder's weight "
                  "decay", "Fig. 8: the boundary ignores weight decay"),
    "thm1": ("Theorem 1: representations are grouped by class (same class, same point) — the practical "
             "reading (collapse after generalization)", "Theorem 1, practical reading: classes collapse"),
}


def replayable(data):
    """A registered data function that a partial results file may feed (lab.runner.replay_data):
    missing runs are None, and every rule reads them as pending."""
    def wrapped(p, runner):
        return data(p, runner)
    wrapped.__doc__, wrapped.__name__ = data.__doc__, data.__name__
    wrapped.accepts_missing_runs = True
    return wrapped


fig3_data, fig5_data, fig6_data, fig8_data, thm1_data = (
    replayable(f) for f in (c2.fig3_data, c2.fig5_data, c2.fig6_data, c2.fig8_data, c2.thm1_data))


SETUPS = {   # what each registered design sets, for the report's table of setups
    "fig3_gap": f"fractions 0.08–0.30 (mod3), 0.10–0.22 (greater) by {c2.DELTA_FRAC:g}; "
                f"{len(c2.FIG3_SEEDS)} seeds from {c2.FIG3_SEEDS[0]}",
    "fig5_minus1": f"registered cells A, B; {len(c2.FIG5_SEEDS)} seeds from {c2.FIG5_SEEDS[0]}",
    "fig5_plus1": f"registered cells C, D; {len(c2.FIG5_SEEDS)} seeds from {c2.FIG5_SEEDS[0]}",
    "fig5_same": f"one cell per reading; {len(c2.FIG5_SAME_SEEDS)} seeds from {c2.FIG5_SAME_SEEDS[0]}",
    "fig6_bound": f"the rejected points and neighbours; {len(c2.FIG6_SEEDS)} seeds from {c2.FIG6_SEEDS[0]}",
    "fig8_flat": f"2 cells per relation; {len(c2.FIG8_SEEDS)} seeds from {c2.FIG8_SEEDS[0]}",
    "thm1": f"{len(c2.THM1_SEEDS)} seeds from {c2.THM1_SEEDS[0]} per setting",
}
SETUPS["fig3_track"] = SETUPS["fig3_gap"]


def _row(claim_id, claim, paper, ours, verdict, number, why):
    group, short = GROUPS[claim_id]
    return Row(claim, paper, ours, verdict, group=group, number=number, why=why, short=short,
               setup=SETUPS[claim_id])


def _p(x):
    return "—" if x is None else f"{x:.2g}"


def _gen(phases):
    k, m = c2.generalized_count(phases)
    return f"{k}/{m}"


# --- Fig. 3 -------------------------------------------------------------------------------

def fig3_plot(data, path):
    import matplotlib.pyplot as plt
    rels = list(data["relations"])
    fig, axes = plt.subplots(1, len(rels), figsize=(6.2 * len(rels), 4.4), squeeze=False)
    for ax, rel in zip(axes[0], rels):
        r = data["relations"][rel]
        cross = c2.fig3_crossings(r)
        edge = r["fracs"][-1] + 0.02
        for k, (v, cs) in enumerate(cross.items()):
            xs = [edge if c is None or c == np.inf else r["fracs"][0] - 0.02 if c == -np.inf else c for c in cs]
            ax.plot(xs, k + np.linspace(-0.25, 0.25, len(xs)), "o", ms=4,
                    color="C3" if v == r["named"] else "C0", mec="k", mew=0.3)
        ax.axvline(r["theory"], color="k", lw=1, label=f"theory's 0.9 crossing {r['theory']:.3f}")
        ax.axvline(c2.SLIGHT * r["theory"], color="k", ls="--", lw=1, label=f"{c2.SLIGHT:g}× the theory's")
        ax.axvline(edge, color="0.6", ls=":", lw=1, label="never reached 0.9 in the grid")
        ax.set_yticks(range(len(cross)), list(cross), fontsize=8)
        ax.set_ylim(-2.1, len(cross) - 0.5)  # room under the last row, so the legend hides no point
        ax.set(xlabel="training fraction of each seed's first 0.9 crossing (all n² pairs)",
               title=f"{rel}: {len(data['seeds'])} seeds; red: the paper's smallest gap ({r['named']})")
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle(f"Confirmation, Fig. 3: 0.9 crossings per seed ({data['budget']} steps)")
    figkit.save_figure(fig, path)


def ratio_text(x, r, spec, where=True):
    """Fig. 3's delay ratio: a variant's median 0.9 crossing over the theory's (the Monte Carlo
    bound's, Appendix D), as 'r×'; a median crossing outside the registered grid (±∞ under
    the rule) reads as the bound the grid's edge gives."""
    ratio = x["median_ratio"]
    if ratio == np.inf:
        return f"> {r['fracs'][-1] / r['theory']:{spec}}×" + (" (beyond the grid)" if where else "")
    if ratio == -np.inf:
        return f"< {r['fracs'][0] / r['theory']:{spec}}×" + (" (before the grid)" if where else "")
    return f"{ratio:{spec}}×"


def gap_text(rel, gap):
    """Fig. 3's smallest gap for one relation, in the registered first-page words."""
    c, named = gap.get("deciding") or {}, gap["named"]
    if gap["verdict"] == c2.PENDING:
        return f"{rel}: pending"
    if gap["verdict"] == c2.TOO_FEW:
        return f"{rel}: too few seeds"
    if gap["verdict"] == c2.HOLDS:
        return f"{rel}: {named} first by > {c2.DELTA_FRAC:g} vs all"
    if gap["verdict"] == c2.DOES_NOT_HOLD and "ties" in gap["why"]:
        return f"{rel}: {named} ties {c['other']} within {c2.DELTA_FRAC:g} in {c['within']}/{gap['seeds']} seeds"
    if gap["verdict"] == c2.DOES_NOT_HOLD:
        return f"{rel}: {c['other']} first by > {c2.DELTA_FRAC:g} in {c['later']}/{gap['seeds']} seeds"
    return f"{rel}: vs {c['other']} median d {c['median']:+.3f}, undecided"


def fig3_claims(d):
    rows, gaps, tracks = [], [], []
    for rel, r in d["relations"].items():
        gap, track = c2.fig3_gap_verdict(r), c2.fig3_track_verdict(r)
        gaps.append((rel, gap))
        comps = "; ".join(f"{c['other']}: {c['earlier']} later / {c['later']} earlier by > δ / {c['within']} within δ "
                          f"of {gap['seeds']}, median d {c['median']:+.3f} (p_earlier {_p(c['p_earlier'])}, "
                          f"p_later {_p(c['p_later'])}, p_tie {_p(c['p_tie'])})" for c in gap.get("comparisons", []))
        rows.append(_row("fig3_gap", f"Fig. 3 {rel} (confirmation): the smallest gap for {r['named']}",
                         r["named"], f"per seed d = other's 0.9 crossing − {r['named']}'s, δ = {c2.DELTA_FRAC:g}: "
                         f"{comps or 'runs still training'}", gap["verdict"], gap_text(rel, gap), gap["why"]))
        tracks.append((rel, track))
        for x in track["variants"] or [{"variant": v[0], "verdict": c2.PENDING} for v in c2.FIG3_VARIANTS]:
            done = "seeds" in x
            rows.append(_row("fig3_track", f"Fig. 3 {rel}, {x['variant']} (confirmation): reaches 0.9 by "
                             f"{c2.SLIGHT:g}× the theory's fraction", "slightly delayed rise",
                             (f"{x['within']} seeds within, {x['beyond']} beyond {track['limit']:.3f} of {x['seeds']} "
                              f"(median crossing / the theory's: {ratio_text(x, r, '.2f')}; p within {_p(x['p_within'])}, "
                              f"beyond {_p(x['p_beyond'])})") if done else "runs still training",
                             x["verdict"], f"{rel} {x['variant']}: " + (ratio_text(x, r, '.1f') if done else "pending"),
                             {c2.HOLDS: "most seeds within 2×", c2.DOES_NOT_HOLD: "most seeds beyond 2×"}.get(
                                 x["verdict"], "undecided")))
    decided = [text for text in (gap_text(rel, g_) for rel, g_ in gaps) if "undecided" not in text]
    rows = with_headline(rows, GROUPS["fig3_gap"][0], "; ".join(gap_text(rel, g_) for rel, g_ in gaps),
                         key=(decided or [gap_text(*gaps[0])])[0])
    parts, table3 = [], []
    for rel, t in tracks:
        vs, r = t["variants"], d["relations"][rel]
        parts.append(f"{rel} {sum(x['verdict'] == c2.HOLDS for x in vs)}/{len(vs)} within 2×, "
                     f"{sum(x['verdict'] == c2.DOES_NOT_HOLD for x in vs)} beyond" if vs else f"{rel} pending")
        table3 += [ratio_text(x, r, '.1f', where=False) for x in vs if x["variant"] == c2.FIG3_VARIANTS[0][0]]
    text = "; ".join(parts) + (f"; Table III's decoder {', '.join(table3)}" if table3 else "")
    return with_headline(rows, GROUPS["fig3_track"][0], text,
                         key=f"Table III's decoder at {', '.join(table3)} the theory's data" if table3 else "")


# --- Fig. 5 -------------------------------------------------------------------------------

def _p_gen(phases):
    k, m = c2.generalized_count(phases)
    return k / m if m else np.nan


def fig5_plot(data, path):
    import matplotlib.pyplot as plt
    fits = data["fits"]
    fig, axes = plt.subplots(2, 4, figsize=(17, 8.4), squeeze=False)
    lx = np.log10(data["eta"])
    for ax, f in zip(axes.ravel(), fits):
        for (a, b), style in ((("A", "B"), "-"), (("C", "D"), ":")):      # the pairs each slope compares
            (ia, ja), (ib, jb) = f["cells"][a]["cell"], f["cells"][b]["cell"]
            ax.plot([lx[ia], lx[ib]], [lx[ja], lx[jb]], color="0.5", lw=0.8, ls=style, zorder=0)
        for name, c in f["cells"].items():
            i, j = c["cell"]
            p = _p_gen(c["phases"])
            ax.scatter(lx[i], lx[j], s=500, c=[[1 - p, p, 0.3]] if np.isfinite(p) else "0.8", edgecolors="k")
            ax.annotate(f"{name}\n{_gen(c['phases'])}", (lx[i], lx[j]), ha="center", va="center", fontsize=7)
        ax.set(xlim=(lx[0] - 0.4, lx[-1] + 0.4), ylim=(lx[0] - 0.4, lx[-1] + 0.4),
               xlabel="log10 η_enc", ylabel="log10 η_dec", title=f"{f['relation']}, {f['reading']} reading")
    for ax, s in zip(axes.ravel()[len(fits):], data["same"]):
        rels = list(s["relations"])
        ax.bar(rels, [_p_gen(s["relations"][r]) for r in rels], color="C2")
        for k, r in enumerate(rels):
            ax.annotate(_gen(s["relations"][r]), (k, 0.02), ha="center", fontsize=8)
        ax.set(ylim=(0, 1), ylabel="P(generalized)", title=f"the same place? {s['reading']} reading,\n"
               f"η_enc {s['eta_enc']:.1e}, η_dec {s['eta_dec']:.1e}")
    fig.suptitle("Confirmation, Fig. 5: generalized runs at the registered cells (slope −1: A vs B, equal "
                 f"η_enc·η_dec; slope +1: C vs D, equal ratio; green: all generalized; {data['budget']} steps)")
    figkit.save_figure(fig, path)


def fig5_claims(d):
    rows = []
    v = c2.fig5_verdicts(d)
    for claim, (a, b), slope, what in (("fig5_minus1", ("A", "B"), "−1", "η_enc·η_dec"),
                                       ("fig5_plus1", ("C", "D"), "+1", "η_dec/η_enc")):
        found = v[claim.split("_")[1]]
        for f, x in zip(d["fits"], found):
            label = f"{f['relation']} {f['reading']}"
            counts = f"{a} {_gen(f['cells'][a]['phases'])} vs {b} {_gen(f['cells'][b]['phases'])}"
            rows.append(_row(claim, f"Fig. 5 {label} (confirmation): cells {a} and {b} (equal {what}) generalize "
                             f"alike (slope {slope})", f"slope {slope}", f"{counts} generalized; two-sided p(differ by "
                             f"> {c2.DELTA_P:g}) {_p(x.get('p_differ'))}, TOST p {_p(x.get('p_same'))}",
                             x["verdict"], f"{label}: {counts}", x["why"]))
        differ = [(f, x) for f, x in zip(d["fits"], found) if x["verdict"] == c2.DOES_NOT_HOLD]
        big = max(differ, key=lambda fx: abs(fx[1]["difference"]), default=None)
        text = (f"cells of equal {what} differ by > {c2.DELTA_P:g} in {len(differ)} of {len(found)} fits"
                + (f" (largest: {big[0]['relation']} {big[0]['reading']}, {_gen(big[0]['cells'][a]['phases'])} vs "
                   f"{_gen(big[0]['cells'][b]['phases'])})" if big else ""))
        rows = with_headline(rows, GROUPS[claim][0], text, key=text.split(" (")[0])
    same = c2.fig5_same_verdicts(d)
    for s in same:
        pairs = "; ".join(f"{'−'.join(x['pair'])}: p(differ) {_p(x.get('p_differ'))} → {x['verdict']}"
                          for x in s["pairs"])
        counts = ", ".join(f"{r} {_gen(ph)}" for r, ph in next(z for z in d["same"] if z["reading"] ==
                                                               s["reading"])["relations"].items())
        rows.append(_row("fig5_same", f"Fig. 5 {s['reading']} reading (confirmation): every relation "
                         "generalizes alike at one cell", "same intercept", f"{counts}; {pairs}",
                         s["verdict"], f"{s['reading']}: {counts}", s["verdict"]))
    text = "; ".join(f"{s['reading']}: " + ", ".join(f"{r} {_gen(ph)}" for r, ph in z["relations"].items())
                     for s, z in zip(same, d["same"]))
    return with_headline(rows, GROUPS["fig5_same"][0], text, key=text.split("; ")[0])


# --- Fig. 6 -------------------------------------------------------------------------------

NUDGE = 1.15      # Fig. 6's points of the next init scale s drawn this factor to the right, so none hides another


def fig6_plot(data, path):
    import matplotlib.pyplot as plt
    sets = data["settings"]
    fig, axes = plt.subplots(1, len(sets), figsize=(5.2 * len(sets), 4.4), squeeze=False)
    fine = np.logspace(-2.5, 2.5, 200)
    for ax, s in zip(axes[0], sets):
        b = np.array([c2.eq12_bound(r) for r in fine])
        ax.plot(fine, b, "k", lw=1.2, label="Eq. (12), σ_a = σ_c")
        ax.plot(fine, np.minimum(1, b + c2.DELTA_P), "k--", lw=0.8, label=f"Eq. (12) + δ ({c2.DELTA_P:g})")
        for k, init in enumerate(sorted({pt["init"] for pt in s["points"]})):
            pts = [pt for pt in s["points"] if pt["init"] == init]
            for pt in pts:
                k_, m = c2.generalized_count(pt["phases"])
                if m:
                    lo, hi = verdicts.wilson_interval(k_, m)
                    ax.errorbar(pt["ratio"] * NUDGE ** k, k_ / m, yerr=[[k_ / m - lo], [hi - k_ / m]], fmt="o",
                                color=f"C{k}", capsize=3, label=f"s = {init:g}" if pt is pts[0] else None)
        ax.set(xscale="log", ylim=(-0.03, 1.03), xlabel="η_dec / η_enc (each s nudged right of the last)",
               ylabel="P(generalized)", title=f"{s['optimizer']}, init {s['variant']}, {s['reading']} reading")
        ax.legend(fontsize=7, loc="lower left")
    fig.suptitle(f"Confirmation, Fig. 6: the registered points, {len(data['seeds'])} seeds each "
                 f"(95% Wilson; {data['budget']} steps)")
    figkit.save_figure(fig, path)


def fig6_claims(d):
    rows = []
    for s in c2.fig6_verdicts(d):
        name = ", ".join(s["setting"])
        pts = "; ".join(f"s = {x['init']:g}, r = {x['ratio']:g}: {x['k']}/{x['m']} vs bound {x['bound']:.2f} "
                        f"(p {_p(x['p_above'])}{', above' if x['above'] else ''})" for x in s["points"])
        rows.append(_row("fig6_bound", f"Fig. 6 [{name}] (confirmation): no registered point lies above "
                         f"Eq. (12) by more than {c2.DELTA_P:g}", "P ≤ Eq. (12)", pts or "runs still training",
                         s["verdict"], f"{name}: {s.get('above', 0)}/{len(s['points'])} above",
                         f"{s.get('above', 0)} point(s) above Eq. (12) + δ after Holm"))
    text = ", ".join(f"{s.get('above', 0)}/{len(s['points'])}" for s in c2.fig6_verdicts(d))
    return with_headline(rows, GROUPS["fig6_bound"][0], f"{text} registered points above Eq. (12) + "
                         f"{c2.DELTA_P:g} (Holm), in the {len(d['settings'])} settings",
                         key=f"{text} points above it by more than {c2.DELTA_P:g}")


# --- Fig. 8 -------------------------------------------------------------------------------

def fig8_plot(data, path):
    import matplotlib.pyplot as plt
    rels = list(data["relations"])
    fig, axes = plt.subplots(1, len(rels), figsize=(4.6 * len(rels), 4.0), squeeze=False)
    for ax, rel in zip(axes[0], rels):
        r = data["relations"][rel]
        ps = [_p_gen(r["low"]), _p_gen(r["high"])]
        ax.bar([f"wd {r['wd'][0]:.0e}", f"wd {r['wd'][1]:.0e}"], ps, color="C2")
        for k, ph in enumerate((r["low"], r["high"])):
            ax.annotate(_gen(ph), (k, 0.02), ha="center")
        ax.set(ylim=(0, 1), ylabel="P(generalized)", title=f"{rel}, η_dec {r['eta_dec']:.1e}")
    fig.suptitle(f"Confirmation, Fig. 8: the same η_dec at a low and a high weight decay "
                 f"(η_enc = {data['eta_enc']:g}, {data['budget']} steps)")
    figkit.save_figure(fig, path)


def fig8_claims(d):
    rows = []
    for x in c2.fig8_verdicts(d):
        rel = x["relation"]
        r = d["relations"].get(rel)
        counts = f"wd {r['wd'][0]:.0e} {_gen(r['low'])} vs wd {r['wd'][1]:.0e} {_gen(r['high'])}" if r else "—"
        rows.append(_row("fig8_flat", f"Fig. 8 {rel} (confirmation): the same η_dec generalizes alike at a "
                         "low and a high wd", "independent of wd", (f"{counts} generalized; p(differ by > "
                         f"{c2.DELTA_P:g}) {_p(x.get('p_differ'))}, TOST p {_p(x.get('p_same'))}") if r else x["why"],
                         x["verdict"], f"{rel}: {counts}", x["why"]))
    text = "; ".join(r.number for r in rows)
    return with_headline(rows, GROUPS["fig8_flat"][0], text, key=text.split("; ")[0])


# --- Theorem 1 -----------------------------------------------------------------------------

def thm1_plot(data, path):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4.2))
    for k, ph in enumerate(g.PHASES):
        rs = [r["ratio"] for r in data["runs"] if r.get("phase") == ph and "ratio" in r]
        ax.plot(np.full(len(rs), k) + np.linspace(-0.15, 0.15, len(rs)), rs, "o", color=g.PHASE_COLORS[ph], mec="k")
    ax.axhline(c2.COLLAPSED, color="k", ls="--", lw=0.8, label=f"collapsed below {c2.COLLAPSED:g}")
    ax.axhline(c2.APART, color="k", ls=":", lw=0.8, label=f"apart above {c2.APART:g}")
    ax.set_xticks(range(len(g.PHASES)), g.PHASES)
    ax.set_ylim(0, max([1.1] + [r["ratio"] * 1.05 for r in data["runs"] if "ratio" in r]))
    ax.set(ylabel="cluster ratio", title=f"Confirmation, Theorem 1: mod3, {len(data['runs'])} runs, "
                                         f"{data['budget']} steps")
    ax.legend(fontsize=7)
    figkit.save_figure(fig, path)


def thm1_claims(d):
    x = c2.thm1_verdict(d)
    number = (f"median cluster ratio: generalized {figkit.fmt(x.get('median_generalized'), '.2f')} "
              f"({x.get('generalized', 0)} runs), memorized {figkit.fmt(x.get('median_memorized'), '.2f')} "
              f"({x.get('memorized', 0)} runs)")
    return [_row("thm1", "Theorem 1, practical reading (confirmation): generalized runs' cluster ratios "
                 f"< {c2.COLLAPSED:g}, memorized runs' > {c2.APART:g}", "ratio → 0 after generalizing",
                 f"{x.get('generalized', 0)} generalized, {x.get('memorized', 0)} memorized runs; {number}"
                 + (f"; sign tests: generalized above {c2.COLLAPSED:g} p = {_p(x['p_not'][0])}, memorized below "
                    f"{c2.APART:g} p = {_p(x['p_not'][1])}" if x.get("p_not") else ""), x["verdict"], number,
                 x["why"])._replace(
        key=f"median cluster ratio {figkit.fmt(x.get('median_generalized'), '.2f')} after generalizing")]
