"""The paper's Section IV figures and appendices: Fig. 4 (the repon phase portrait), Fig. 5
(phases over the learning rates), Fig. 6 (P(generalized) against Eq. (12)), Fig. 7 (the
Goldilocks zone of depth, Appendix E), Fig. 8 (phases vs weight decay, Appendix F). Each
figure is a data / plot / claims triple, with a finding sentence for the headline ones."""
import dataclasses

import numpy as np

import geneft as g
import repons
from lab import figkit, verdicts
from lab.report import Row
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
             verdicts.graded(agree == len(d["fate"])))]
    for m in d["eq12_mc"]:
        z = abs(m["p_sign"] - m["formula"]) / max(m["se_sign"], 1e-12)
        rows.append(Row(f"Eq. (12) at σ_a/σ_c = {m['sigma_ratio']:g}, η_x/η_A = {m['eta_ratio']:g}",
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
    etas = figkit.log_grid(p.eta_grid)
    out = {"eta": etas.tolist(), "budget": p.steps, "gap": p.config().gap,
           "seeds_near_change": p.fig5_seeds, "conventions": {}}
    for conv in p.depth_conventions:
        depth, rels = g.DEPTH_CONVENTIONS[conv], {}
        for rel in p.relations:
            def make(eta_enc, eta_dec, s, rel=rel, depth=depth):
                return p.config(relation=rel, depth=depth, eta_enc=float(eta_enc), eta_dec=float(eta_dec),
                                seed=s, stop_when_decided=True)
            label = f"fig5-{rel}" if conv == g.DEFAULT_DEPTH_CONVENTION else f"fig5-{conv}-{rel}"
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
        cfgs = [p.config(relation="mod3", optimizer="sgd", eta_enc=eta_enc, eta_dec=eta_enc * r, seed=s,
                         stop_when_decided=True) for r in p.sgd_ratios for s in range(p.sgd_seeds)]
        res = runner.run(f"fig5-sgd-{eta_enc:g}", cfgs)
        phases = [[s.phase for s in res[k * p.sgd_seeds:(k + 1) * p.sgd_seeds]]
                  for k in range(len(p.sgd_ratios))]
        x, y, gen = figkit.grid_runs([eta_enc], [eta_enc * r for r in p.sgd_ratios], [phases])
        cols.append({"eta_enc": eta_enc, "phases": phases,
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
    return [Row(f"Fig. 5 {where}: the boundary sits at about the same place for every relation "
             "(critical ratio at slope +1)", "task-independent", text, same),
            Row(f"Fig. 5 {where}: generalization requires η_dec/η_enc ≲ 10 (critical ratio within "
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
    rows.append(Row("Fig. 5, SGD control (mod3): the boundary sits at one ratio η_dec/η_enc whatever "
                 "η_enc (slope +1, as Eq. (12) says for gradient flow)", "(control)",
                 f"critical ratio per column {text} ({sgd['seeds']} seeds per point); phases: {seen}",
                 verdicts.INCONCLUSIVE if len(ivs) < 2 or any(i.lo is None for i in ivs) else
                 verdicts.HOLDS if verdicts.intervals_overlap(ivs) else verdicts.DOES_NOT_HOLD))
    return rows


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
        rows += [Row(f"Fig. 6 [{name}]: P(generalization) is bounded above by Eq. (12) with σ_a = σ_c "
                  "(the paper's single curve)", "all points under the bound",
                  f"{pts - over_eq}/{pts} points not significantly above ({d['seeds']} seeds each, "
                  f"{d['budget']} steps)", figkit.bound_verdict(over_eq)),
                 Row(f"Fig. 6 [{name}]: ... and with σ_a, σ_c read off the network (σ_c = σ_enc/√2; "
                  "σ_a = RMS of ∂z/∂E_i at init)", "all points under the bound",
                  f"{pts - over_net}/{pts} points not significantly above; {how}",
                  figkit.bound_verdict(over_net))]
    return rows


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
    return [Row("Fig. 7: test accuracy peaks at an intermediate depth (Goldilocks zone): confusion "
             "when too shallow, memorization when too deep", "interior peak",
             f"peak at depth {deps[k]} (n_h hidden layers; {deps[k] + 1} linear layers under the "
             f"linear reading, which only shifts the curve), {d['seeds']} seeds, {d['budget']} steps; "
             + "; ".join(describe(j) for j in sorted({0, max(k - 1, 0), k, min(k + 1, len(deps) - 1),
                                                      len(deps) - 1})), verdict)]


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


def boundary_movement(d, r):
    """Where the fitted boundary sits (log10 η_dec) at the smallest and largest wd, and
    whether it stays inside the η_dec grid."""
    if r["line"] is None:
        return "no generalization/memorization boundary in the grid"
    slope, intercept = r["line"]
    log_wd, log_eta = np.log10(d["wd"]), np.log10(d["eta"])
    ends = [slope * x + intercept for x in (lw[0], lw[-1])]
    inside = all(le[0] - 0.5 <= y <= le[-1] + 0.5 for y in ends)
    return (f"boundary at log10 η_dec {ends[0]:+.2f} (wd {d['wd'][0]:.0e}) → {ends[1]:+.2f} "
            f"(wd {d['wd'][-1]:.0e})" + ("" if inside else ", leaving the η_dec grid"))


def fig8_claims(d):
    rows = []
    for rel, r in d["relations"].items():
        s = verdicts.Interval(**r["slope"])
        rows.append(Row(f"Fig. 8 {rel}: the boundary in η_dec does not move with wd_dec (slope 0 in "
                     "log wd_dec vs log η_dec)", "independent of wd",
                     f"slope {s.text()} ({s.runs} runs, 95% bootstrap); {boundary_movement(d, r)}; "
                     f"η_enc = {d['eta_enc']:.2g}, {d['budget']} steps", verdicts.judge_flat(s)))
    return rows
