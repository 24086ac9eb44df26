"""Experiments beyond the paper, each a data / plot / claims triple that run_all registers.

1. Eq. (11) measured on the trained network: the sign of C predicted from a same-class
   pair's linearised decoder at initialization, against what the pair actually does.
2. The Goldilocks zone (Appendix E, Fig. 7) across relations: test accuracy and Table IV
   phase over decoder depth and width for several relations, each at a training fraction
   set by its own Eq. (4) p_c.

Like run_all's figures, every function takes the preset `p` (its fields and `p.config()`)
and a sweeps.Runner; nothing here imports run_all.
"""
import numpy as np

import geneft as g
import statics
import verdicts

ALPHA = 0.9   # Eq. (4)'s accuracy level


# --- 2. The Goldilocks zone across relations --------------------------------------------

def goldilocks_fraction(rel, n, factor):
    """The training fraction factor · p_c, with p_c from Eq. (4) at α = 0.9 and
    b = log2(n!/|Aut G|) of the relation (capped at 0.9 so a test set remains)."""
    b = statics.description_length(g.relation_matrix(rel, n))
    return b, min(0.9, factor * statics.p_critical(ALPHA, b, n * n))


def goldilocks_data(p, runner):
    """Test accuracy and Table IV phase over decoder depth × width for every relation of
    p.gold_relations, each trained at gold_frac_factor × its own p_c (Eq. 4)."""
    out = {"depths": list(p.gold_depths), "widths": list(p.gold_widths), "seeds": p.gold_seeds,
           "budget": p.steps, "factor": p.gold_frac_factor, "relations": {}}
    for rel in p.gold_relations:
        b, frac = goldilocks_fraction(rel, p.n, p.gold_frac_factor)
        cfgs = [p.config(relation=rel, frac=round(frac, 4), depth=dep, width=w, seed=s)
                for w in p.gold_widths for dep in p.gold_depths for s in range(p.gold_seeds)]
        res = runner.run(f"goldilocks-{rel}", cfgs)
        shape = (len(p.gold_widths), len(p.gold_depths), p.gold_seeds)
        test = np.array([r.test_acc for r in res], dtype=float).reshape(shape)
        phases = np.array([r.phase for r in res], dtype=object).reshape(shape)
        out["relations"][rel] = {"b": b, "frac": round(frac, 4), "test": test.mean(2).tolist(),
                                 "test_sd": test.std(2).tolist(), "phases": phases.tolist()}
    return out


def zone_of(r, depths):
    """Per width: the depth of highest mean test accuracy, and whether that peak is a zone
    (interior, generalized in most seeds, and above both depth ends)."""
    zones = []
    for acc, phases in zip(r["test"], r["phases"]):
        k = int(np.argmax(acc))
        most_gen = sum(ph in g.GENERALIZED for ph in phases[k]) > len(phases[k]) / 2
        zones.append({"peak": depths[k], "acc": acc[k], "interior": 0 < k < len(depths) - 1,
                      "generalizes": most_gen, "ends": (acc[0], acc[-1])})
    return zones


def goldilocks_plot(data, path):
    import matplotlib.pyplot as plt
    rels = list(data["relations"])
    fig, axes = plt.subplots(1, len(rels), figsize=(3.6 * len(rels), 3.8), squeeze=False)
    letter = {g.GENERALIZATION: "G", g.GROKKING: "K", g.MEMORIZATION: "M", g.CONFUSION: "C"}
    for ax, rel in zip(axes[0], rels):
        r = data["relations"][rel]
        acc = np.array(r["test"])
        im = ax.imshow(acc, origin="lower", cmap="viridis", vmin=0.3, vmax=1.0, aspect="auto")
        for i, row in enumerate(r["phases"]):
            for j, cell in enumerate(row):
                major = max(g.PHASES, key=list(cell).count)
                ax.text(j, i, letter[major], ha="center", va="center", fontsize=7,
                        color="w" if acc[i, j] < 0.7 else "k")
        ax.set(xticks=range(len(data["depths"])), xticklabels=data["depths"],
               yticks=range(len(data["widths"])), yticklabels=data["widths"],
               xlabel="decoder depth n_h", ylabel="width w",
               title=f"{rel}: b = {r['b']:.1f} bits, frac {r['frac']:.2f}")
    fig.colorbar(im, ax=axes[0].tolist(), shrink=0.8, label="mean test accuracy")
    fig.suptitle(f"Goldilocks zone across relations (frac = {data['factor']:g} × p_c of Eq. (4); "
                 f"{data['seeds']} seeds; letter: majority phase G/K/M/C; {data['budget']} steps)")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def spearman(a, b):
    """Spearman rank correlation of two equal-length sequences (average ranks for ties)."""
    def ranks(v):
        v = np.asarray(v, dtype=float)
        order = np.argsort(v, kind="stable")
        r = np.empty(len(v))
        r[order] = np.arange(len(v))
        for x in np.unique(v):                      # ties share their average rank
            r[v == x] = r[v == x].mean()
        return r
    ra, rb = ranks(a), ranks(b)
    if ra.std() == 0 or rb.std() == 0:
        return None
    return float(np.corrcoef(ra, rb)[0, 1])


def goldilocks_claims(d):
    """Where each relation's zone sits, and whether it tracks b. Exploratory: the paper
    makes no such claim, so the verdict says what was seen, with a rank correlation
    over the relations (|ρ| = 1 is needed for significance at 5% with 5 relations)."""
    rows, peaks, bs = [], [], []
    for rel, r in d["relations"].items():
        zones = zone_of(r, d["depths"])
        text = "; ".join(f"w={w}: peak depth {z['peak']} (test {z['acc']:.2f}; ends "
                         f"{z['ends'][0]:.2f}/{z['ends'][1]:.2f}){'' if z['generalizes'] else ', not generalized'}"
                         for w, z in zip(d["widths"], zones))
        has_zone = [z["interior"] and z["generalizes"] and z["acc"] > max(z["ends"]) for z in zones]
        rows.append((f"Beyond the paper, Goldilocks zone of {rel} (b = {r['b']:.1f}, frac {r['frac']:.2f})",
                     "(Appendix E shows mod3 only)", f"{text} ({d['seeds']} seeds, {d['budget']} steps)",
                     f"zone at {sum(has_zone)}/{len(zones)} widths"))
        mid = zones[len(zones) // 2]
        peaks.append(mid["peak"])
        bs.append(r["b"])
    rho = spearman(bs, peaks)
    verdict = (verdicts.INCONCLUSIVE if rho is None or abs(rho) < 1.0 else
               "tracks b" if rho > 0 else "tracks b inversely")
    rows.append(("Beyond the paper: the Goldilocks depth tracks the description length b",
                 "(open)", f"peak depth at w = {d['widths'][len(d['widths']) // 2]} vs b over "
                 f"{len(bs)} relations: Spearman ρ = {_fmt_rho(rho)}", verdict))
    return rows


def _fmt_rho(x):
    return "undefined (no spread)" if x is None else f"{x:+.2f}"
