"""The paper's Section IV figures and appendices: Fig. 4 (the repon phase portrait), Fig. 5
(phases over the learning rates), Fig. 6 (P(generalized) against Eq. (12)), Fig. 7 (the
Goldilocks zone of depth, Appendix E), Fig. 8 (phases vs weight decay, Appendix F). Each
figure is a data / plot / claims triple, with a finding sentence for the headline ones."""
import dataclasses

import numpy as np

import geneft as g
import repons
from lab import confirm, figkit, rules, verdicts
from lab.places import SAME_PLACE_MARGIN, place_headline, ratio_claims, sgd_row
from lab.report import Row, span, with_headline
from lab.runner import adaptive_phase_grid


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
    rows = [Row("Theorem 2 / Fig. 4: the fate of a start is set by the sign of C (Eq. 11)",
             "C > 0 collision, C < 0 memorization",
             f"{agree}/{len(d['fate'])} portrait trajectories integrated to their end agree",
             verdicts.graded(agree == len(d["fate"])), number=f"{agree}/{len(d['fate'])} agree",
             key=f"{agree}/{len(d['fate'])} agree",
             short="Theorem 2: the sign of C sets the fate (Fig. 4)",
             why="every integrated start ends as the sign of C says" if agree == len(d["fate"])
             else "a start ends against the sign of C")]
    for m in d["eq12_mc"]:
        z = abs(m["p_sign"] - m["formula"]) / max(m["se_sign"], 1e-12)
        rows.append(Row(f"Eq. (12) at σ_a/σ_c = {m['sigma_ratio']:g}, η_x/η_A = {m['eta_ratio']:g}",
                     f"p_r = {m['formula']:.4f}",
                     f"MC sign of C {m['p_sign']:.4f} ± {m['se_sign']:.4f}; integrated "
                     f"{m['p_integrated']:.4f} ± {m['se_integrated']:.4f} ({m['n_sign']} draws)",
                     verdicts.graded(z <= 3),
                     group="Theorem 3: Eq. (12) is the probability of collision for normal starts "
                           "(Monte Carlo of Eq. (10))", short="Theorem 3: Eq. (12) is P(collision)",
                     number=f"σ_a/σ_c {m['sigma_ratio']:g}, η_x/η_A {m['eta_ratio']:g}: {z:.1f} s.e.",
                     why=f"|MC − Eq. (12)| = {z:.1f} standard errors (≤ 3 agrees)"))
    zs = [abs(m["p_sign"] - m["formula"]) / max(m["se_sign"], 1e-12) for m in d["eq12_mc"]]
    return with_headline(rows, rows[-1].group, f"largest \\|MC − Eq. (12)\\| {max(zs):.1f} s.e. over "
                         f"{len(zs)} settings (≤ 3 agrees)", key=f"within {max(zs):.1f} s.e.") if zs else rows


# --- Fig. 5: phases over the learning rates (and the grid tools Fig. 8 shares) -------

DEFAULT_DEPTH_CONVENTION = "hidden"   # Config.depth's default reading: its sweeps keep their first labels

def fig5_data(p, runner):
    """Fig. 5: phases over (η_enc, η_dec) for mod3, greater, bipartite, under each reading of
    Table III's "Decoder Depth 3" (geneft.DEPTH_CONVENTIONS), with ≥ fig5_seeds seeds where
    the phase changes; plus an SGD control on mod3: columns at fixed η_enc, η_dec = ratio · η_enc.
    """
    etas = figkit.log_grid(p.eta_grid)
    out = {"eta": etas.tolist(), "budget": p.steps, "gap": p.config().gap,
           "seeds_near_change": p.fig5_seeds, "conventions": {}}
    for conv in p.depth_conventions:
        depth, rels = g.DEPTH_CONVENTIONS[conv], {}
        for rel in p.relations:
            def make(eta_enc, eta_dec, s, rel=rel, depth=depth):
                return p.config(relation=rel, depth=depth, eta_enc=float(eta_enc), eta_dec=float(eta_dec),
                                seed=s, stop_when_decided=True)
            label = f"fig5-{rel}" if conv == DEFAULT_DEPTH_CONVENTION else f"fig5-{conv}-{rel}"
            runs = adaptive_phase_grid(runner, label, make, etas, etas, p.fig5_seeds)
            rels[rel] = figkit.grid_summary(etas, etas, runs)
        out["conventions"][conv] = {"depth": depth, "relations": rels}
    out["sgd"] = sgd_columns(p, runner)
    return out


def sgd_columns(p, runner):
    """SGD control for Fig. 5 (mod3): at each η_enc of p.sgd_eta_enc, η_dec = ratio · η_enc
    over p.sgd_ratios, p.sgd_seeds seeds; P(generalized) and the critical ratio per column."""
    cols = []
    for eta_enc in p.sgd_eta_enc:
        cfgs = [p.config(relation=p.focus, optimizer="sgd", eta_enc=eta_enc, eta_dec=eta_enc * r, seed=s,
                         stop_when_decided=True) for r in p.sgd_ratios for s in range(p.sgd_seeds)]
        res = runner.run(f"fig5-sgd-{eta_enc:g}", cfgs)
        phases = [[s.phase for s in res[k * p.sgd_seeds:(k + 1) * p.sgd_seeds]]
                  for k in range(len(p.sgd_ratios))]
        x, y, gen = figkit.grid_runs([eta_enc], [eta_enc * r for r in p.sgd_ratios], [phases])
        cols.append({"eta_enc": eta_enc, "phases": phases,
                     "p_gen": [float(np.mean([ph in g.GENERALIZED for ph in c])) for c in phases],
                     "critical_log_ratio": verdicts.critical_log_ratio(x, y, gen).to_json()})
    return {"ratios": list(p.sgd_ratios), "seeds": p.sgd_seeds, "columns": cols, "relation": p.focus}


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
           ylim=(-0.05, 1.05), title=f"SGD control, {sgd.get('relation', 'mod3')} ({sgd['seeds']} seeds per point)")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, frameon=False)
    figkit.phase_legend(fig)
    fig.suptitle(f"Fig. 5: phases vs learning rates (Adam, {data['budget']} steps, gap {data['gap']}); "
                 f"one seed per cell, {data['seeds_near_change']} where the phase changes (k/m: "
                 "generalized runs); dashed: logistic boundary, slope with 95% bootstrap interval")
    figkit.save_figure(fig, path, rect=(0, 0.05, 1, 0.96))


def fig5_claims(d):
    rows, places, near = [], {}, {}
    eta = d["eta"]
    x0 = float(np.mean(np.log10(eta)))            # the grid's central η_enc
    for conv, c in d["conventions"].items():
        where = f"[Adam, depth {c['depth']}, {conv} reading of Table III]"
        fits = {}
        for k, (rel, r) in enumerate(c["relations"].items()):
            fits[rel] = figkit.boundary_of(eta, eta, r["phases"], x0=x0, place_seed=k + 1)
            rows += figkit.slope_rows("Fig. 5", f"{rel} {where}", fits[rel]["slope"], d["budget"],
                                      label=f"{rel} {conv}")
        found, places[conv], near[conv] = ratio_claims(where, fits, x0, label=conv)
        rows += found
    rows.append(sgd_row(d["sgd"]))
    grid = f"η grid 10^{np.log10(eta[0]):.0f}–10^{np.log10(eta[-1]):.0f}, {len(eta)} × {len(eta)}"
    rows = [r._replace(setup=grid) if r.claim.startswith("Fig. 5 ") else r for r in rows]
    same = [k for k, r in enumerate(rows) if r.group.startswith("Fig. 5: the boundary appears approximately")]
    ten = [k for k, r in enumerate(rows) if r.group.startswith("Fig. 5: generalization requires")]
    for k in same + ten:
        rows[k] = rows[k]._replace(headline="", key="")
    if same:
        rows[same[0]] = rows[same[0]]._replace(headline=place_headline(places), key={
            verdicts.HOLDS: f"places within ±{SAME_PLACE_MARGIN} decade",
            verdicts.DOES_NOT_HOLD: f"a place differs by more than {SAME_PLACE_MARGIN} decade"}.get(
            rows[same[0]].verdict, f"differences straddle ±{SAME_PLACE_MARGIN} decade"))
    if ten:
        rows[ten[0]] = rows[ten[0]]._replace(
            headline="deciding intervals within 10^[0.5, 1.5]: " + "; ".join(
                f"{conv} {i}/{n} within, {o} outside" for conv, (i, n, o) in near.items()),
            key=f"{sum(i for i, _, _ in near.values())} of {sum(n for _, n, _ in near.values())} "
                "deciding intervals near 10")
    return slope_headlines(rows)


def slope_headlines(rows):
    """The first page's statistic for Fig. 5's two slope lines: the range of the fitted
    slopes, and where the claimed slope lies inside the interval."""
    fits = [r for r in rows if r.group.endswith("has slope −1")]
    plus = [r for r in rows if r.group.startswith("Fig. 5: ... or slope +1")]
    values = [float(r.number.split("slope ")[1].split(" ")[0]) for r in fits if "slope " in r.number]
    if not values:
        return rows
    outside = sum(r.verdict == verdicts.DOES_NOT_HOLD for r in fits)
    rows = with_headline(rows, fits[0].group, f"slopes {span(values)} over {len(values)} fits; −1 outside "
                                              f"{outside} of {len(fits)} intervals",
                         key=f"slopes {span(values, '+.1f')} in {len(values)} fits")
    held = [label_of(r) for r in plus if r.verdict == verdicts.HOLDS]
    return with_headline(rows, plus[0].group, f"slopes {span(values)}; +1 inside the interval of {len(held)} "
                                              f"of {len(plus)} fits" + (f" ({', '.join(held)})" if held else ""),
                         key=f"+1 inside {len(held)} of {len(plus)} slope intervals")


def label_of(row):
    return row.number.split(":")[0]


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
    out["relation"] = p.focus            # data saved before the field existed: mod3
    variants = [{"optimizer": optimizer, "relation": p.focus, "depth": g.DEPTH_CONVENTIONS[conv],
                 **FIG6_INIT_VARIANTS[variant](scale)}
                for variant, optimizer, conv in p.fig6_settings for scale in p.fig6_init]
    # Variants that make the same runs (at s = 1, scaling σ_enc alone or σ_enc and σ_dec is
    # the same init) train once and give each its curve.
    runs = [tuple(figkit.p_gen_configs(p, p.fig6_ratios, p.fig6_seeds, **v)) for v in variants]
    distinct = list(dict.fromkeys(runs))
    found = figkit.p_gen_curves(p, runner, "fig6", p.fig6_ratios, p.fig6_seeds,
                                [variants[runs.index(r)] for r in distinct])
    curves = [found[distinct.index(r)] for r in runs]
    per = len(p.fig6_init)                       # curves come setting by setting, init by init
    for k, (variant, optimizer, conv) in enumerate(p.fig6_settings):
        out["settings"].append({"variant": variant, "optimizer": optimizer, "convention": conv,
                                "depth": g.DEPTH_CONVENTIONS[conv],
                                "curves": [{"init": scale, **c} for scale, c in
                                           zip(p.fig6_init, curves[k * per:(k + 1) * per])]})
    return out


def setting_name(s):
    """The optimizer, init reading and depth reading of one Fig. 6 setting."""
    init = {"both": "init σ_enc, σ_dec × s", "embeddings": "init σ_enc × s only",
            "normal": "init all N(0, s²) (the caption)"}
    opt = "SGD" if s["optimizer"] == "sgd" else "Adam"
    return f"{opt}, {init[s['variant']]}, depth {s['depth']} ({s['convention']} reading)"


def fig6_plot(data, path):
    import matplotlib.pyplot as plt
    sets = data["settings"]
    cols = min(len(sets), 3)
    rows = -(-len(sets) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.8 * cols, 4.2 * rows + 0.6), squeeze=False)
    for ax, s in zip(axes.ravel(), sets):
        ratios_text = ", ".join(f"{c['sigma_a'] / c['sigma_c']:.2f}" for c in s["curves"])
        figkit.draw_p_gen_curves(ax, data["ratios"], s["curves"], [f"s = {c['init']:g}" for c in s["curves"]],
                                 setting_name(s).replace(", depth", ",\ndepth")
                                 + f"\nnetwork σ_a/σ_c: {ratios_text}")
    for ax in axes.ravel()[len(sets):]:
        ax.axis("off")
    figkit.legend_below(fig, axes[0][0])
    fig.suptitle(f"Fig. 6: {data.get('relation', 'mod3')}, {data['seeds']} seeds per point, {data['budget']} steps "
                 f"(SGD: η_enc·η_dec = {data['sgd_eta']:g}²)")
    figkit.save_figure(fig, path, rect=(0, 0.06, 1, 1))


NETWORK_SIGMA_CAVEAT = (
    "exploratory, not judged: Eq. (12)'s η_A is the rate of a free matrix A (Eq. 7), while "
    "the network's A is a product of depth + 1 decoder weight matrices, whose effective rate "
    "grows with the init roughly as s^(2·depth), so η_A = η_dec is not a defensible mapping; "
    "σ_a here is the RMS of ∂z/∂E_i at init, not the a2 of the Eq. (11) rows beyond the paper "
    "(which weight each pair by √(σ'(z)·frac/P), a factor ≈ √(¼ · 0.75/675) ≈ 0.017 at "
    "Table III)")


def fig6_claims(d):
    """Eq. (12) as an upper bound on P(generalized): a point lies significantly above the
    bound when Holm's correction over the setting's points rejects P ≤ bound on the exact
    one-sided binomial p-value (rules.above_bound). With σ_a = σ_c (the paper's black
    line) this is the paper's claim; with σ_a, σ_c read off the network it is exploratory
    (NETWORK_SIGMA_CAVEAT) and carries no verdict."""
    rows = []
    for s in d["settings"]:
        pts, over_eq, over_net, p_min = figkit.count_over_bounds(s["curves"], d["bound_equal_sigmas"])
        how = "; ".join(f"s = {c['init']:g}: σ_a {c['sigma_a']:.3g}, σ_c {c['sigma_c']:.3g}"
                        for c in s["curves"])
        name = setting_name(s)
        short = f"{'SGD' if s['optimizer'] == 'sgd' else 'Adam'}, {s['variant']} init, {s['convention']}"
        rows += [Row(f"Fig. 6 [{name}]: P(generalization) is bounded above by Eq. (12) with σ_a = σ_c "
                     "(the paper's single curve)", "all points under the bound",
                     f"{over_eq}/{pts} points significantly above (exact binomial, Holm over the "
                     f"{pts} points; smallest raw p = {figkit.fmt(p_min, '.3g')}; {d['seeds']} seeds each, "
                     f"{d['budget']} steps)", figkit.bound_verdict(over_eq, figkit.generalized_runs(s["curves"])),
                     group="Fig. 6: the probability of generalization is upper bounded by Eq. (12) "
                           "(σ_a = σ_c, the black line)", short="Fig. 6: P(generalization) ≤ Eq. (12)",
                     number=f"{short}: {over_eq}/{pts} above",
                     why=figkit.bound_why(over_eq, figkit.generalized_runs(s["curves"]))),
                 Row(f"Fig. 6 [{name}]: ... and with σ_a, σ_c read off the network (σ_c = σ_enc/√2; "
                     "σ_a = RMS of ∂z/∂E_i at init; η_A = η_dec)", "(not in the paper)",
                     f"{over_net}/{pts} points significantly above (exact binomial, Holm); {how}; "
                     + NETWORK_SIGMA_CAVEAT, verdicts.EXPLORATORY,
                     group="Beyond the paper: Fig. 6 against Eq. (12) with σ_a, σ_c read off the "
                           "network (exploratory)", short="Fig. 6 with σ_a, σ_c of the network (exploratory)",
                     number=f"{short}: {over_net}/{pts} above", why="exploratory: no verdict")]
    if not rows:
        return rows
    points = len(d["ratios"]) * max(len(s["curves"]) for s in d["settings"])
    rows = [r._replace(setup=f"{points} points per setting; {d['seeds']} seeds from 0") for r in rows]
    counts = [figkit.count_over_bounds(s["curves"], d["bound_equal_sigmas"]) for s in d["settings"]]
    rows = with_headline(rows, rows[0].group, ", ".join(f"{c[1]}/{c[0]}" for c in counts)
                         + f" points significantly above the bound (Holm), in the {len(counts)} settings",
                         key=(f"{counts[0][1]} of {counts[0][0]} points above it in each setting"
                              if len({c[:2] for c in counts}) == 1 else
                              ", ".join(f"{c[1]}/{c[0]}" for c in counts) + " points above it"))
    return with_headline(rows, rows[1].group, ", ".join(f"{c[2]}/{c[0]}" for c in counts)
                         + f" points above the network-σ bound, in the {len(counts)} settings")


# --- Fig. 7: the Goldilocks zone of decoder depth (Appendix E) ----------------------

def fig7_data(p, runner):
    """Fig. 7 (Appendix E): test accuracy vs decoder depth, mod3, w = 10, frac 0.3, with
    every run's Table IV phase."""
    out = {"depths": list(p.fig7_depths), "seeds": p.fig7_seeds, "first_seed": p.fig7_first_seed,
           "registered": p.registered, "budget": p.steps,
           "train": [], "test": [], "test_sd": [], "train_sd": [], "test_runs": [], "phases": []}
    out["relation"] = p.focus            # data saved before the field existed: mod3
    R = p.matrix(p.focus)
    out["majority"] = float(max(R.mean(), 1 - R.mean()))     # the accuracy of guessing
    cfgs = [p.config(relation=p.focus, width=10, frac=0.3, depth=dep, seed=s)
            for dep in p.fig7_depths for s in range(p.fig7_first_seed, p.fig7_first_seed + p.fig7_seeds)]
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
           title=f"Fig. 7: {data.get('relation', 'mod3')}, w=10, frac 0.3 ({data['seeds']} seeds, {data['budget']} steps)")
    figkit.save_figure(fig, path)


def goldilocks_verdict(d):
    """Fig. 7's zone rule on data d. Exploratory data: the zone is the interior depths where
    most seeds generalize (rules.majority_zone), read off the same seeds, against the
    shallowest and the deepest depth. Confirmatory data (d['registered']): the zone and the
    ends registered in advance (lab.confirm.fig7_verdict). Either way the zone must beat
    both ends seed by seed (exact sign-flip tests, p ≤ 0.05 at both ends), with the phases
    the claim names (rules.zone_statistics). Returns the statistics with verdict and why."""
    if d.get("registered"):
        return confirm.fig7_verdict(d)
    zone = rules.majority_zone(d["phases"], g.GENERALIZED)
    s = rules.zone_statistics(d["test_runs"], d["phases"], zone, 0, len(d["depths"]) - 1,
                              g.GENERALIZED, g.CONFUSION, g.MEMORIZATION)
    (verdict, why), = rules.zone_verdicts([s])
    return dict(s, verdict=verdict, why=why)


def zone_text(z, deps, phases=None):
    """'zone 1, 2, 3 − depth 0: +0.30 (p = 0.031); − depth 10: ...; 9/15 zone runs
    generalized' of a goldilocks_verdict dict (zone and ends as depth indices into deps;
    the p-values are the exact sign-flip test's; phases: the runs' phases, to count the
    zone's generalized runs)."""
    if not z["zone"]:
        return "no zone"
    ends = (("shallow", 0), ("deep", len(deps) - 1)) if "ends" not in z else z["ends"]
    end = lambda name, k: (f"− depth {deps[k]}: {z[name][0]:+.2f} (p = {z[name][1]:.2g})"
                           if z[name] else f"− depth {deps[k]}: no paired seeds")
    runs = [ph for k in z["zone"] for ph in (phases[k] if phases else []) if ph is not None]
    gen = (f"; {sum(ph in g.GENERALIZED for ph in runs)}/{len(runs)} zone runs generalized"
           if runs else "")
    return f"zone {', '.join(str(deps[k]) for k in z['zone'])} " + "; ".join(
        end(name, k) for name, k in ends) + gen


def fig7_claims(d):
    test, train, deps = np.array(d["test"]), np.array(d["train"]), d["depths"]
    z = goldilocks_verdict(d)
    if d.get("registered"):
        z["ends"] = (("shallow", deps.index(confirm.FIG7_SHALLOW)), ("deep", deps.index(confirm.FIG7_DEEP)))
    gen = lambda j: sum(ph in g.GENERALIZED for ph in d["phases"][j] if ph is not None)
    describe = lambda j: (f"depth {deps[j]}: train {train[j]:.2f} / test {test[j]:.2f} ± "
                          f"{d['test_sd'][j]:.2f}, {gen(j)}/{len(d['phases'][j])} generalized "
                          f"({figkit.phase_counts(d['phases'][j])})")
    seeds = d.get("first_seed", 0)
    design = ("registered zone and ends (figures/paper/PREREGISTRATION.md)" if d.get("registered")
              else "zone read off these seeds (exploratory)")
    return [Row("Fig. 7: test accuracy peaks in a zone of intermediate depth (Goldilocks zone): "
                "confusion when too shallow, memorization when too deep",
                "a zone, degrading on both sides",
                f"{zone_text(z, deps)}; {z['pairs']} paired seeds, {design} ({d.get('relation', 'mod3')}, "
                f"Adam, w = 10, frac 0.3, n_h hidden layers; the linear reading adds one to each depth, "
                f"which only shifts the curve; seeds {seeds}–{seeds + d['seeds'] - 1}, {d['budget']} steps); "
                + "; ".join(describe(j) for j in range(len(deps)))
                + (f"; majority baseline {d['majority']:.3f}" if "majority" in d else ""),
                z["verdict"], number=zone_text(z, deps, d["phases"]), why=z["why"], short="Fig. 7: a Goldilocks zone of depth",
                setup=f"{d['seeds']} seeds from {seeds}", **zone_headline(z, d))]


def zone_headline(z, d):
    """Fig. 7's deciding statistic (≤ 100 characters) and the opening's words: how many of
    the zone's runs generalized against the majority the rule needs, the zone's margin over
    each end with the seeds it wins in, and, where the verdict failed on one condition while
    the accuracy test passed, that condition beside what held."""
    if not z["zone"] or not z.get("shallow") or not z.get("deep"):
        return {}
    ends = [k for _, k in z.get("ends", (("shallow", 0), ("deep", len(d["depths"]) - 1)))]
    acc = np.array(d["test_runs"], dtype=float)
    zmean = acc[z["zone"]].mean(axis=0)
    wins = int(np.sum((zmean > acc[ends[0]]) & (zmean > acc[ends[1]])))
    runs = [ph for k in z["zone"] for ph in d["phases"][k] if ph is not None]
    gen, needed = sum(ph in g.GENERALIZED for ph in runs), len(runs) // 2 + 1
    margin = f"zone − ends {z['shallow'][0]:+.2f}/{z['deep'][0]:+.2f}"
    won = f"{wins}/{acc.shape[1]} seeds"
    headline = (f"{gen}/{len(runs)} zone runs generalized ({needed} needed); {margin}, {won} "
                f"(p = {z['shallow'][1]:.2g}/{z['deep'][1]:.2g})")
    if z["verdict"] == verdicts.DOES_NOT_HOLD and z.get("p") is not None and z["p"] <= rules.ALPHA and gen < needed:
        key = f"the zone beats both ends in {won}, but only {gen} of {len(runs)} of its runs generalize ({needed} needed)"
    else:
        key = f"{margin} in {won}, {gen}/{len(runs)} zone runs generalized"
    return {"headline": clip_text(headline), "key": key}


def clip_text(text, limit=100):
    return text if len(text) <= limit else text[:text.rfind(" (p =")]


# --- Fig. 8 (Appendix F): phases vs decoder weight decay -----------------------------

def fig8_data(p, runner):
    """Fig. 8 (Appendix F): phases over (wd_dec, η_dec) at fixed η_enc, ≥ fig5_seeds seeds
    where the phase changes; does the boundary move with wd?

    The paper fixes η_enc = 1e-5 for 1e5 steps. Under Adam a parameter moves at
    most about η per step, so a preset with a shorter budget scales η_enc up by
    1e5 / budget (same largest encoder displacement) and says so.
    """
    etas, wds = figkit.log_grid(p.fig8_eta_grid), figkit.log_grid(p.wd_grid)
    out = {"eta": etas.tolist(), "wd": wds.tolist(), "eta_enc": p.fig8_eta_enc, "budget": p.steps,
           "seeds_near_change": p.fig5_seeds, "relations": {}}
    for rel in p.relations:
        def make(wd, eta_dec, s, rel=rel):
            return p.config(relation=rel, eta_enc=p.fig8_eta_enc, eta_dec=float(eta_dec),
                            wd_dec=float(wd), seed=s, stop_when_decided=True)
        out["relations"][rel] = figkit.grid_summary(wds, etas, adaptive_phase_grid(
            runner, f"fig8-{rel}", make, wds, etas, p.fig5_seeds))
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


def boundary_movement(d, line):
    """Where the fitted boundary sits (log10 η_dec) at the smallest and largest wd, and
    whether it stays inside the η_dec grid."""
    if line is None:
        return "no generalization/memorization boundary with support in the grid"
    slope, intercept = line
    log_wd, log_eta = np.log10(d["wd"]), np.log10(d["eta"])
    ends = [slope * x + intercept for x in (log_wd[0], log_wd[-1])]
    inside = all(log_eta[0] - 0.5 <= y <= log_eta[-1] + 0.5 for y in ends)
    return (f"boundary at log10 η_dec {ends[0]:+.2f} (wd {d['wd'][0]:.0e}) → {ends[1]:+.2f} "
            f"(wd {d['wd'][-1]:.0e})" + ("" if inside else ", leaving the η_dec grid"))


def fig8_claims(d):
    """Fig. 8: slope 0 of the boundary in (log wd_dec, log η_dec), fitted only with support
    (verdicts.support: ≥ 3 runs of each side in ≥ 2 cells), judged by verdicts.judge_flat."""
    rows = []
    fitted = [b for b in (figkit.boundary_of(d["wd"], d["eta"], r["phases"]) for r in d["relations"].values())
              if b["slope"].value is not None]
    for rel, r in d["relations"].items():
        b = figkit.boundary_of(d["wd"], d["eta"], r["phases"])
        s = b["slope"]
        verdict = verdicts.NO_SUPPORT if s.value is None and "boundary needs" in s.note else verdicts.judge_flat(s)
        why = (s.note if s.value is None else "the interval is open: resamples lost a side"
               if not (np.isfinite(s.lo) and np.isfinite(s.hi)) else
               "0 lies outside the slope's interval" if not s.contains(0.0) else
               "the interval holds 0 and both ±1" if verdict == verdicts.INCONCLUSIVE else
               "0 lies in the slope's interval")
        rows.append(Row(f"Fig. 8 {rel}: the boundary in η_dec does not move with wd_dec (slope 0 in "
                        "log wd_dec vs log η_dec)", "independent of wd",
                        f"slope {s.text()} ({s.runs} generalized/memorizing runs, 95% bootstrap); "
                        f"{boundary_movement(d, b['line'])}; Adam, depth 3 hidden reading, "
                        f"η_enc = {d['eta_enc']:.2g}, {d['budget']} steps", verdict,
                        group="Fig. 8: the memorization–generalization boundary is independent of the "
                              "decoder's weight decay", short="Fig. 8: the boundary ignores weight decay",
                        setup=f"η_enc = {d['eta_enc']:.2g}",
                        number=f"{rel}: " + (f"slope {s.text()}" if s.value is not None else "no boundary"),
                        key="boundary slopes " + ", ".join(f"{b['slope'].value:+.2f}" for b in fitted) + ", not 0"
                        if fitted else "",
                        why=why))
    return rows
