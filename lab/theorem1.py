"""Theorem 1 shown on trained networks (beyond the paper's figures): the embeddings of
trained mod3 networks, grouped by the phase they ended in, with their cluster ratio and
how far they moved. A data / plot / claims triple that run_all registers through
lab.beyond, which re-exports it."""
import numpy as np

import geneft as g
from lab import figkit, verdicts
from lab.report import Row


# --- 3. Theorem 1 shown on trained networks ---------------------------------------

THM1_RUNS = (("equal rates", 1e-3, 1e-3), ("η_dec = 100 η_enc", 1e-4, 1e-2))  # (label, η_enc, η_dec)
THM1_ZERO_LOSS = 0.05   # a training loss below this counts as Theorem 1's "zero training loss"


def embedding_displacement(cfg, final_E):
    """RMS over elements of |E_final − E_init|, in units of the init's RMS |E_init|."""
    E0 = g.init_params(cfg, g.member_rng(cfg))["E"].astype(float)
    return float(np.sqrt(np.mean(np.sum((np.asarray(final_E) - E0) ** 2, axis=1)))
                 / np.sqrt(np.mean(np.sum(E0 ** 2, axis=1))))


def theorem1_cannot_serve(R):
    """Why Theorem 1 has nothing to show on the equivalence R (its cluster ratio compares
    same-class with different-class embeddings: it needs two classes and a class of two),
    or None; None too for a relation that is no equivalence (skipped for that reason)."""
    sizes = np.bincount(g.class_labels(R))
    if len(sizes) == 1:
        return ("Theorem 1 compares embeddings within and between classes; this relation "
                "has one class")
    if sizes.max() == 1:
        return ("Theorem 1 compares embeddings within and between classes; every class of "
                "this relation has one member")
    return None


def theorem1_data(p, runner):
    """Theorem 1 on trained mod3 networks (Table III), runs grouped by the phase they ended
    in: each run's cluster ratio, how far its embeddings moved, its final training loss."""
    cfgs = [p.config(relation=p.focus, eta_enc=eta_enc, eta_dec=eta_dec, seed=s)
            for _, eta_enc, eta_dec in THM1_RUNS for s in range(p.thm1_seeds)]
    res = runner.run("theorem1", cfgs)
    labels = g.class_labels(p.matrix(p.focus)).tolist()
    runs = [{"setting": THM1_RUNS[k // p.thm1_seeds][0], "seed": c.seed, "phase": s.phase,
             "test_acc": s.test_acc, "train_loss": s.train_loss,
             "ratio": g.cluster_ratio(s.final_E, labels),
             "displacement": embedding_displacement(c, s.final_E), "E": s.final_E}
            for k, (c, s) in enumerate(zip(cfgs, res))]
    return {"budget": p.steps, "labels": labels, "runs": runs, "relation": p.focus}


def theorem1_groups(d):
    """Runs that generalized and runs that memorized (confusion belongs to neither)."""
    gen = [r for r in d["runs"] if r["phase"] in g.GENERALIZED]
    mem = [r for r in d["runs"] if r["phase"] == g.MEMORIZATION]
    return gen, mem


def theorem1_plot(data, path):
    import matplotlib.pyplot as plt
    gen, mem = theorem1_groups(data)
    shown = [(name, grp[0]) for name, grp in (("generalized", gen), ("memorized", mem)) if grp]
    fig, axes = plt.subplots(1, len(shown) + 1, figsize=(4.8 * (len(shown) + 1), 4.4), squeeze=False)
    for ax, (name, r) in zip(axes[0], shown):
        E = np.array(r["E"])
        for cls in sorted(set(data["labels"])):
            m = np.array(data["labels"]) == cls
            ax.scatter(E[m, 0], E[m, 1], s=25, label=f"class {cls}")
        ax.set(title=f"a {name} run ({r['setting']}, seed {r['seed']}):\n{r['phase']}, test acc "
                     f"{r['test_acc']:.2f}, cluster ratio {r['ratio']:.2f}",
               xlabel="E[:, 0]", ylabel="E[:, 1]")
    if shown:                       # no run generalized or memorized: no embedding panel to label
        axes[0][0].legend(fontsize=7, loc="best", framealpha=0.9)
    ax = axes[0][-1]
    for r in data["runs"]:
        ax.plot(r["displacement"], r["ratio"], "o", color=g.PHASE_COLORS[r["phase"]], mec="k", mew=0.4)
    phases = [ph for ph in g.PHASES if any(r["phase"] == ph for r in data["runs"])]
    ax.legend(handles=[plt.Line2D([], [], marker="o", ls="", color=g.PHASE_COLORS[ph], mec="k", label=ph)
                       for ph in phases], fontsize=7, loc="best")
    ax.axhline(0.0, color="k", lw=0.8, ls=":")           # Theorem 1's prediction after generalizing
    ax.set_ylim(bottom=-0.05)
    ax.set(xlabel="embedding displacement |E − E_init| / |E_init|", ylabel="cluster ratio",
           title=f"every run ({len(data['runs'])}; dotted: Theorem 1's 0), by phase")
    fig.suptitle(f"Theorem 1: {data.get('relation', 'mod3')} embeddings after {data['budget']} steps")
    figkit.save_figure(fig, path)


def group_median(runs, key):
    """Median of one field over a group of Theorem 1 runs; None for an empty group."""
    return float(np.median([r[key] for r in runs])) if runs else None


def theorem1_verdict(d):
    """The practical reading of Theorem 1, judged on its own: after generalization
    same-class embeddings collapse, after memorization they do not. HOLDS if the
    generalized runs' median cluster ratio is < 0.2 and the memorized runs' > 0.5 while
    their median displacements agree within a factor 3 (so the contrast is not just who
    moved); INCONCLUSIVE if a group is empty or the displacements are not comparable;
    DOES_NOT_HOLD otherwise. (The theorem as stated is judged by theorem1_premise.)
    Returns (verdict, why)."""
    gen, mem = theorem1_groups(d)
    if not gen or not mem:
        return verdicts.INCONCLUSIVE, "a group (generalized or memorized) is empty"
    disp = group_median(gen, "displacement"), group_median(mem, "displacement")
    comparable = max(disp) <= 3 * min(disp)
    ratios = group_median(gen, "ratio"), group_median(mem, "ratio")
    if not (ratios[0] < 0.2 and ratios[1] > 0.5):
        return verdicts.DOES_NOT_HOLD, (f"generalized runs' median cluster ratio {ratios[0]:.2f} "
                                        f"(< 0.2 needed), memorized {ratios[1]:.2f} (> 0.5 needed)")
    if not comparable:
        return verdicts.INCONCLUSIVE, "the groups' displacements differ by more than a factor 3"
    return verdicts.HOLDS, "generalized runs collapse by class, memorized runs do not"


def theorem1_premise(d):
    """Theorem 1 as stated: "for an injective decoder with zero training loss". A decoder
    that is continuous in the concatenated embedding (R^{2d} → R) is never injective for
    d ≥ 1, so the premise never holds and the statement is vacuous: VACUOUS, whatever the
    runs show. The zero-loss half is reported (largest final training loss of a
    generalized run, zero taken as < THM1_ZERO_LOSS)."""
    gen, _ = theorem1_groups(d)
    losses = [r["train_loss"] for r in gen if r.get("train_loss") is not None]
    zero = (f"zero training loss {'met' if losses and max(losses) < THM1_ZERO_LOSS else 'not met'}: "
            f"largest final training loss of a generalized run {max(losses):.3g} (zero taken as "
            f"< {THM1_ZERO_LOSS})" if losses else "training loss not recorded")
    return verdicts.VACUOUS, ("a continuous decoder R^{2d} → R is never injective, so the premise "
                              f"never holds and the theorem says nothing about these runs; {zero}")


def theorem1_claims(d):
    """Theorem 1's rows of REPORT.md: the statement (its premise is vacuous:
    theorem1_premise) and the practical reading, judged on its own (theorem1_verdict).
    Beside the rule's groups it gives the runs that classify every one of the n² pairs
    correctly (test accuracy 1), the reading of "zero loss" the theorem's proof uses (it
    compares Y_ik with Y_jk for every k, trained on or not)."""
    gen, mem = theorem1_groups(d)
    text = "; ".join(f"{name}: {len(grp)} runs, median cluster ratio {figkit.fmt(group_median(grp, 'ratio'), '.2f')}, "
                     f"median displacement {figkit.fmt(group_median(grp, 'displacement'), '.2f')}"
                     for name, grp in (("generalized", gen), ("memorized", mem)))
    perfect = [r for r in d["runs"] if r.get("test_acc") == 1.0]
    text += (f"; every pair right (test acc 1): {len(perfect)} runs, cluster ratios "
             + (", ".join(f"{r['ratio']:.2f}" for r in perfect) or "none"))
    setup = f"{d.get('relation', 'mod3')}, Adam, depth 3 hidden reading, Table III init"
    premise, premise_why = theorem1_premise(d)
    verdict, why = theorem1_verdict(d)
    group = "Theorem 1: representations are grouped by class (same class, same point)"
    return [Row("Theorem 1 as stated: for an injective decoder with zero training loss, same-class "
                "nodes are embedded at the same point", "(a theorem)", premise_why + f" ({setup})",
                premise, group=group + " — as stated", number="premise never holds", why=premise_why,
                short="Theorem 1 as stated"),
            Row("Theorem 1, practical reading: same-class embeddings coincide after generalization, "
                "not after memorization (cluster ratio = within / between class distance)",
                "ratio → 0 after generalizing", f"{text} ({setup}, {d.get('budget', '-')} steps)", verdict,
                group=group + " — the practical reading (collapse after generalization)",
                number=f"median cluster ratio: generalized {figkit.fmt(group_median(gen, 'ratio'), '.2f')}, "
                       f"memorized {figkit.fmt(group_median(mem, 'ratio'), '.2f')}", why=why,
                key=f"median cluster ratio {figkit.fmt(group_median(gen, 'ratio'), '.2f')} after generalizing",
                short="Theorem 1, practical reading: classes collapse",
                setup=f"{len(d['runs']) // len(THM1_RUNS)} seeds from 0 per setting")]
