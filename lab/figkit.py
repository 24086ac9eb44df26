"""What several figures share: plotting helpers, the phase grid of Figs. 5 and 8, and the
P(generalized) curve of Fig. 6 and Open Question 1 (each drawn against Eq. (12)).

run_all.py and beyond.py build their figures from these; nothing here imports either.
"""
import json

import numpy as np

import geneft as g
import repons
from lab import rules, verdicts
from lab.report import Row
from lab.results import KEY_DIGITS

# --- Plotting and report helpers ----------------------------------------------------

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


def fmt(x, spec=".3f"):
    """A number for a report cell, 'n/a' when there is none."""
    return "n/a" if x is None else format(x, spec)


# --- The phase grid over two log-spaced axes (Fig. 5: learning rates; Fig. 8: wd, η) ---

def log_grid(spec):
    """The grid (log10 lo, log10 hi, points) of a preset field: np.logspace(lo, hi, points),
    each value rounded to the KEY_DIGITS significant digits a run's key hashes: NumPy's
    last bit differs between versions (0.1 or 0.09999999999999999), the keys, the configs
    and the figures' data do not."""
    lo, hi, num = spec
    return np.array([float(f"{v:.{KEY_DIGITS}g}") for v in np.logspace(lo, hi, num)])


def grid_runs(xs, ys, phases):
    """Every generalized or memorizing run of a grid as (log10 x, log10 y, generalized):
    the runs a generalization/memorization boundary is fitted to (confusion, which
    trains nothing, sits on neither side)."""
    rows = [(np.log10(xs[i]), np.log10(ys[j]), ph in g.GENERALIZED)
            for i in range(len(xs)) for j in range(len(ys)) for ph in phases[i][j]
            if ph in g.GENERALIZED or ph == g.MEMORIZATION]
    return tuple(np.array(col, dtype=float) for col in zip(*rows)) if rows else (np.zeros(0),) * 3


def grid_summary(xs, ys, phases, seed=0):
    """P(generalized) per cell, runs per cell, and the boundary's fitted slope and
    critical ratio (verdicts.boundary_slope, verdicts.critical_log_ratio) with intervals.
    The claims recompute these from the phases (boundary_of), so a saved summary made
    under an older rule never decides a verdict."""
    b = boundary_of(xs, ys, phases, seed=seed)
    return {"phases": phases,
            "p_gen": [[float(np.mean([ph in g.GENERALIZED for ph in cell])) for cell in col]
                      for col in phases],
            "slope": b["slope"].to_json(), "line": b["line"],
            "critical_log_ratio": b["critical"].to_json()}


_BOUNDARIES = {}     # the bootstraps of one grid, shared by its plot and its claims


def boundary_of(xs, ys, phases, x0=None, seed=0, place_seed=0):
    """Every boundary statistic of one phase grid, from its phases alone: the fitted slope,
    line and critical ratio at slope +1 (each refused without verdicts.support), the
    critical ratio of each x column on its own, and, given x0 (log10 of the x where the
    boundary's place is compared), the place's value and bootstrap samples (drawn with
    place_seed, so two relations compared are resampled independently)."""
    key = json.dumps([list(map(float, xs)), list(map(float, ys)), phases, seed])
    if key not in _BOUNDARIES:
        x, y, gen = grid_runs(xs, ys, phases)
        _BOUNDARIES[key] = {"runs": (x, y, gen), "slope": verdicts.boundary_slope(x, y, gen, seed=seed),
                            "line": verdicts.boundary_line(x, y, gen),
                            "critical": verdicts.critical_log_ratio(x, y, gen, seed=seed),
                            "columns": verdicts.column_transitions(x, y, gen, seed=seed)}
    out = dict(_BOUNDARIES[key])
    if x0 is not None:
        pkey = key + json.dumps([x0, place_seed])
        if pkey not in _BOUNDARIES:
            place = verdicts.place_samples(*out["runs"], x0, seed=place_seed)
            off = "passes above" in place[2] or "passes below" in place[2]
            _BOUNDARIES[pkey] = place, (verdicts.place_samples(*out["runs"], x0, seed=place_seed,
                                                               extrapolate=True) if off else None)
        out["place"], out["place_extrapolated"] = _BOUNDARIES[pkey]
    return out


def plot_phase_grid(ax, xs, ys, r, xlabel, title):
    """One panel: each cell coloured by the phase most of its runs had, 'k/m generalized'
    written in cells with more than one run, the fitted boundary dashed."""
    from matplotlib.colors import ListedColormap
    x, y = np.log10(xs), np.log10(ys)
    cmap = ListedColormap([g.PHASE_COLORS[ph] for ph in g.PHASES])
    major = [[max(g.PHASES, key=cell.count) for cell in col] for col in r["phases"]]
    codes = np.array([[g.PHASES.index(ph) for ph in col] for col in major]).T
    ax.pcolormesh(_edges(x), _edges(y), codes, cmap=cmap, vmin=-0.5, vmax=3.5)
    for i, col in enumerate(r["phases"]):
        for j, cell in enumerate(col):
            if len(cell) > 1:
                k = sum(ph in g.GENERALIZED for ph in cell)
                ax.text(x[i], y[j], f"{k}/{len(cell)}", ha="center", va="center", fontsize=6)
    b = boundary_of(xs, ys, r["phases"])
    s = b["slope"]
    if b["line"] is not None:
        slope, intercept = b["line"]
        ax.plot(x, slope * x + intercept, "k--", lw=1)
    fitted = f"slope {s.text()}" if s.value is not None else "no boundary (too little support)"
    ax.set(title=f"{title}\n{fitted}", xlabel=xlabel, xlim=_lims(x), ylim=_lims(y))


def phase_legend(fig):
    import matplotlib.pyplot as plt
    handles = [plt.Rectangle((0, 0), 1, 1, color=g.PHASE_COLORS[ph]) for ph in g.PHASES]
    fig.legend(handles, list(g.PHASES), loc="lower center", ncol=4, frameon=False)


def _edges(v):
    step = v[1] - v[0] if len(v) > 1 else 1.0
    return np.concatenate([v - step / 2, [v[-1] + step / 2]])


def _lims(v):
    e = _edges(v)
    return e[0], e[-1]


def phase_counts(phases):
    """'2 gen, 1 grok, 1 mem' style counts of a list of Table IV phases."""
    short = {g.GENERALIZATION: "gen", g.GROKKING: "grok", g.MEMORIZATION: "mem", g.CONFUSION: "conf"}
    return ", ".join(f"{phases.count(ph)} {short[ph]}" for ph in g.PHASES if ph in phases)


def slope_rows(fig, where, s, budget, setup="", label=""):
    """Two report rows for one fitted boundary (an Interval): the text's slope −1, Eq. (12)'s +1."""
    measured = (f"slope {s.text()} (logistic fit to {s.runs} generalized/memorizing runs, 95% "
                f"bootstrap); {budget} steps{setup}")
    number = (f"{label}: " if label else "") + (f"slope {s.text()}" if s.value is not None
                                                else "no boundary (support)")
    return [Row(f"{fig} {where}: the generalization/memorization boundary has slope −1 (the text)",
                "slope −1", measured, verdicts.judge(s, -1.0, rival=+1.0),
                group=f"{fig}: the generalization/memorization boundary has slope −1",
                short=f"{fig}: the phase boundary has slope −1",
                number=number, why=slope_why(s, -1.0, +1.0)),
            Row(f"{fig} {where}: ... or slope +1 (Eq. (12) depends on the ratio η_x/η_A)",
                "slope +1 (Eq. 12)", measured, verdicts.judge(s, +1.0, rival=-1.0),
                group=f"{fig}: ... or slope +1, as Eq. (12) (a function of η_x/η_A) implies",
                short=f"{fig}: ... or slope +1, as Eq. (12) implies",
                number=number, why=slope_why(s, +1.0, -1.0))]


def slope_why(s, claim, rival):
    """The reason behind verdicts.judge(s, claim, rival), in a few words."""
    if s.value is None:
        return s.note
    if s.lo is None or not np.isfinite(s.lo) or not np.isfinite(s.hi):
        return "the interval is open: resamples lost a side"
    if not s.contains(claim):
        return f"{claim:+g} lies outside the slope's interval"
    if s.contains(rival):
        return f"the interval holds both {claim:+g} and {rival:+g}"
    return f"{claim:+g} lies in the interval and {rival:+g} does not"


def ratio_text(crit):
    """'10^0.80 [0.51, 1.13]' for a fitted critical log-ratio, else why there is none."""
    i = verdicts.Interval(**crit)
    return f"10^{i.text('.2f')}" if i.value is not None else i.text()


# --- P(generalized) against Eq. (12) (Fig. 6, Open Question 1) -----------------------

def ratio_learning_rates(optimizer, ratio, sgd_eta=1.0):
    """(η_enc, η_dec) at ratio r = η_dec/η_enc: Adam keeps Table III's η_enc = 1e-3; SGD, whose
    step is η times the gradient, centres the pair on sgd_eta (η_enc = η/√r, η_dec = η√r)."""
    if optimizer == "adam":
        return 1e-3, 1e-3 * ratio
    return sgd_eta / np.sqrt(ratio), sgd_eta * np.sqrt(ratio)


def p_gen_configs(p, ratios, seeds, optimizer="adam", **overrides):
    """The runs behind one P(generalized) curve: `seeds` runs at each η_dec/η_enc ratio
    (ratio_learning_rates), each leaving its ensemble once its phase is decided."""
    return [p.config(optimizer=optimizer, seed=s, stop_when_decided=True, **overrides,
                     **dict(zip(("eta_enc", "eta_dec"), ratio_learning_rates(optimizer, r, p.sgd_eta))))
            for r in ratios for s in range(seeds)]


def p_gen_summary(cfgs, res, ratios, seeds):
    """P(generalized) with its 95% Wilson interval at each η_dec/η_enc ratio, with the
    σ_a, σ_c of Eq. (12) read off the network and the bound they give.

    Generalized counts Table IV's generalization and grokking (geneft.GENERALIZED).
    """
    sig_a, sig_c = g.sigma_a_of_network(cfgs[0]), g.sigma_c_of_network(cfgs[0])
    curve = {"sigma_a": sig_a, "sigma_c": sig_c, "seeds": seeds, "p_gen": [], "interval": [],
             "bound": [], "phases": []}
    for k, r in enumerate(ratios):
        runs = res[k * seeds:(k + 1) * seeds]
        wins = sum(c.generalized for c in runs)
        curve["p_gen"].append(wins / seeds)
        curve["interval"].append(verdicts.wilson_interval(wins, seeds))
        curve["bound"].append(float(repons.p_collision(sig_a, sig_c, eta_A=r, eta_x=1.0)))
        curve["phases"].append([c.phase for c in runs])
    return curve


def p_gen_curves(p, runner, label, ratios, seeds, variants):
    """One P(generalized) curve per variant (a dict of p_gen_configs' keyword arguments:
    optimizer and Config overrides), all trained in one sweep (Runner.run_groups)."""
    cfgs = [p_gen_configs(p, ratios, seeds, **v) for v in variants]
    return [p_gen_summary(c, res, ratios, seeds)
            for c, res in zip(cfgs, runner.run_groups(label, cfgs))]


def draw_p_gen_curves(ax, ratios, curves, labels, title):
    """Measured P(generalized) with 95% Wilson intervals per curve, Eq. (12) with each
    curve's network σ's (dashed, same colour) and with σ_a = σ_c (black): Fig. 6 and
    Open Question 1."""
    fine = np.logspace(np.log10(min(ratios)) - 0.5, np.log10(max(ratios)) + 0.5, 200)
    for k, (c, label) in enumerate(zip(curves, labels)):
        pg, iv = np.array(c["p_gen"]), np.array(c["interval"])
        ax.errorbar(ratios, pg, yerr=[pg - iv[:, 0], iv[:, 1] - pg], fmt="o-", color=f"C{k}",
                    capsize=3, label=label)
        ax.plot(fine, [repons.p_collision(c["sigma_a"], c["sigma_c"], eta_A=r, eta_x=1.0) for r in fine],
                color=f"C{k}", lw=1, ls="--")
    ax.plot(fine, [repons.p_collision(1.0, 1.0, eta_A=r, eta_x=1.0) for r in fine], "k-", lw=2,
            label="Eq. (12), σ_a = σ_c")
    ax.set(xscale="log", xlabel="η_dec / η_enc", ylabel="P(generalized), 95% Wilson interval",
           ylim=(-0.05, 1.05), title=title)


def legend_below(fig, ax):
    """One legend for the whole figure, under the panels, so no legend sits on data."""
    handles, labels = ax.get_legend_handles_labels()
    from matplotlib.lines import Line2D
    handles.append(Line2D([], [], color="0.3", ls="--"))
    labels.append("dashed: Eq. (12) with the network's σ_a, σ_c (same colour)")
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 5), fontsize=8, frameon=False)


def count_over_bounds(curves, bound_equal_sigmas):
    """Points, and which lie significantly above Eq. (12), with σ_a = σ_c and with the
    network's σ's: exact one-sided binomial test per point (P(X ≥ k | m, bound)), Holm
    over the points of the curves given (one claim). Returns (points, over_eq, over_net,
    smallest Holm-rejected or smallest p with σ_a = σ_c)."""
    eq, net = [], []
    for c in curves:
        m = c["seeds"] if "seeds" in c else None
        for k, (pg, b_net, b_eq) in enumerate(zip(c["p_gen"], c["bound"], bound_equal_sigmas)):
            runs = m if m is not None else len(c["phases"][k])
            wins = int(round(pg * runs))
            eq.append((wins, runs, b_eq))
            net.append((wins, runs, b_net))
    p_eq, rej_eq = rules.above_bound(eq)
    _, rej_net = rules.above_bound(net)
    return len(eq), int(rej_eq.sum()), int(rej_net.sum()), (min(p_eq) if p_eq else None)


def generalized_runs(curves):
    """How many runs generalized over a claim's curves (the support of 'P ≤ bound')."""
    return sum(int(round(pg * (c["seeds"] if "seeds" in c else len(c["phases"][k]))))
               for c in curves for k, pg in enumerate(c["p_gen"]))


def bound_verdict(over, generalized=None):
    """Eq. (12) is an upper bound: it holds when no point lies significantly above it
    (exact binomial, Holm over the claim's points). A claim where no run generalized has
    no support: every point is 0, under any bound, so nothing was tested (INCONCLUSIVE)."""
    if over == 0 and generalized == 0:
        return verdicts.INCONCLUSIVE
    return verdicts.HOLDS if over == 0 else verdicts.DOES_NOT_HOLD


def bound_why(over, generalized=None):
    """bound_verdict's reason, in a few words."""
    if over == 0 and generalized == 0:
        return "no run generalized: every point is 0, under any bound, so the bound is not tested"
    return ("no point significantly above after Holm" if over == 0 else
            f"{over} point(s) significantly above after Holm")


def crossing_down(x, y, level=0.5):
    """First x (log-interpolated) where y falls below level; None if it never does."""
    lx = np.log10(x)
    for k in range(1, len(x)):
        if y[k - 1] >= level > y[k]:
            return float(10 ** (lx[k - 1] + (level - y[k - 1]) / (y[k] - y[k - 1]) * (lx[k] - lx[k - 1])))
    return None

