"""Experiments beyond the paper, each a data / plot / claims triple that run_all registers.

1. Eq. (11) measured on the trained network: the sign of C predicted from a same-class
   pair's linearised decoder at initialization, against what the pair actually does.
2. The Goldilocks zone (Appendix E, Fig. 7) across relations: test accuracy and Table IV
   phase over decoder depth and width for several relations, each at a training fraction
   set by its own Eq. (4) p_c.
3. Theorem 1 shown: the embeddings of trained mod3 networks, grouped by the phase they
   ended in, with their cluster ratio and how far they moved.
4. Open Question 1 answered: the Fig. 6 experiment for embedding dimensions d ≠ 2,
   against Eq. (12).

Like run_all's figures, every function takes the preset `p` (its fields and `p.config()`)
and a lab.runner.Runner; nothing here imports run_all.
"""
import numpy as np

import geneft as g
import repons
import statics
from lab import confirm, figkit, rules, verdicts
from lab.ensemble import Batch
from lab.report import Row, with_headline

ALPHA = 0.9   # Eq. (4)'s accuracy level


# --- 1. Eq. (11) on the network: a same-class pair's linearised decoder ------------------

def pair_input_jacobians(params, I, J, mode):
    """Logit z_p of every pair and its gradients with respect to the pair's two embeddings,
    ∂z_p/∂E_{I_p} and ∂z_p/∂E_{J_p}, each (P, d), by the model's own backprop: each pair
    gets private copies of its two embeddings, so the scatter onto E keeps them apart."""
    P = len(I)
    E = params["E"]
    private = dict(params, E=np.concatenate([E[I], E[J]], axis=0))      # (2P, d)
    I2, J2 = np.arange(P), P + np.arange(P)
    z, cache = g.forward(private, I2, J2, mode)
    grads = g.backward(private, cache, np.ones_like(z), I2, J2, mode)
    return z, grads["E"][:P], grads["E"][P:]


def partner_jacobian(params, x, partners, mode):
    """The decoder seen by one repon at position x (d,): the logits z(x, E_k) and
    z(E_k, x) for every partner k, and their Jacobian A_raw = ∂z/∂x, (2m, d)."""
    n, d = params["E"].shape
    m = len(partners)
    E = np.concatenate([params["E"], x[None, :]], axis=0)            # x is row n
    I = np.r_[np.full(m, n), partners]
    J = np.r_[partners, np.full(m, n)]
    z, dI, dJ = pair_input_jacobians(dict(params, E=E), I, J, mode)
    jac = np.concatenate([dI[:m], dJ[m:]], axis=0)                    # ∂z/∂x in either slot
    return z, jac


def linearised_A(params, x, partners, mode, frac, n_train):
    """Eq. (6)'s A for the network at x: the Gauss–Newton factor of the expected training
    loss, A = diag(√w) ∂z/∂x with w_k = σ'(z_k) · frac / P.

    Mean BCE over P training pairs, expanded to second order in x, is
    ½ (x − x̄)ᵀ [Σ_k w_k J_kᵀ J_k] (x − x̄) + linear terms, where σ' = σ(1 − σ) is BCE's
    curvature in the logit and each partner pair trains with probability frac; that is
    Eq. (6)'s ½|A x + b − y|² with AᵀA = Σ_k w_k J_kᵀ J_k. Returns (2m, d)."""
    z, jac = partner_jacobian(params, x, partners, mode)
    s = g.sigmoid(z)
    w = s * (1 - s) * frac / n_train
    return np.sqrt(w)[:, None] * jac


def pair_state(params, i, j, mode, frac, n_train):
    """Eq. (9)'s a2 and c for the same-class pair (i, j): the decoder is linearised at the
    midpoint x̄ = (E_i + E_j)/2 over the partners k ∉ {i, j}; r = (E_i − E_j)/2, c = |r|,
    a2 = |A r̂| (so a2² c² = rᵀAᵀA r, the pair's potential)."""
    E = params["E"]
    n = E.shape[0]
    partners = np.array([k for k in range(n) if k not in (i, j)])
    x_mid, r = (E[i] + E[j]) / 2, (E[i] - E[j]) / 2
    c = float(np.linalg.norm(r))
    A = linearised_A(params, x_mid, partners, mode, frac, n_train)
    a2 = float(np.linalg.norm(np.einsum("pd,d->p", A, r / c)))
    return a2, c


def conserved_C_of_pair(a2, c, eta_dec, eta_enc):
    """Eq. (11) for a network pair, mapping η_A = η_dec (decoder) and η_x = η_enc (encoder):
    C = a2²/(2η_dec) − c²/η_enc. The mapping treats A as free parameters, as Eq. (7) does;
    in the network A moves through the decoder's weights, so it is exact for no decoder
    deeper than a linear one, and Adam rescales each parameter's step (see the report)."""
    return a2 ** 2 / (2.0 * eta_dec) - c ** 2 / eta_enc


def same_class_pairs(R, limit=None):
    """Unordered same-class pairs (i < j) of an equivalence relation matrix."""
    pairs = [(i, j) for i in range(len(R)) for j in range(i + 1, len(R)) if R[i, j]]
    return pairs[:limit] if limit else pairs


def together(E, i, j, labels):
    """Did the pair end up together? |E_i − E_j| below a tenth of the median distance
    between elements of different classes (Theorem 1's clustering, per pair)."""
    E = np.asarray(E, dtype=float)
    diff = labels[:, None] != labels[None, :]
    between = np.median(np.linalg.norm(E[:, None] - E[None, :], axis=-1)[diff])
    return bool(np.linalg.norm(E[i] - E[j]) < 0.1 * between)


def flow_departure(params, R, i, j, mode, frac, n_train, scales):
    """Where Eq. (8) stops describing the network: at separations s·r̂ around the pair's
    midpoint, the relative difference between the network's dr/dt (its expected-loss
    gradients at x̄ ± s r̂, in units of η_x) and Eq. (8)'s −AᵀA r. Returns one value per s."""
    E = params["E"]
    n = E.shape[0]
    partners = np.array([k for k in range(n) if k not in (i, j)])
    x_mid, r = (E[i] + E[j]) / 2, (E[i] - E[j]) / 2
    r_hat = r / np.linalg.norm(r)
    A = linearised_A(params, x_mid, partners, mode, frac, n_train)
    y = np.r_[R[i, partners], R[partners, i]].astype(float)   # same class: j's labels too
    out = []
    for s in scales:
        grads = []
        for sign in (1, -1):
            z, jac = partner_jacobian(params, x_mid + sign * s * r_hat, partners, mode)
            grads.append(np.einsum("p,pd->d", (g.sigmoid(z) - y) * frac / n_train, jac))
        measured = -(grads[0] - grads[1]) / 2                              # dr/dt / η_x
        predicted = -np.einsum("pd,pe,e->d", A, A, s * r_hat)             # −AᵀA r
        out.append(float(np.linalg.norm(measured - predicted) / np.linalg.norm(predicted)))
    return out


def repon_config(p, optimizer, ratio, seed):
    """mod3, Table III, at learning-rate ratio η_dec/η_enc, trained for the whole budget."""
    eta_enc, eta_dec = figkit.ratio_learning_rates(optimizer, ratio, p.sgd_eta)
    return p.config(relation="mod3", optimizer=optimizer, eta_enc=eta_enc, eta_dec=eta_dec, seed=seed)


def pair_states(params, pairs, cfg):
    """(a2, c) of every listed pair of one model (params without an ensemble axis)."""
    n_train = round(cfg.frac * cfg.n ** 2)
    one = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    st = [pair_state(one, i, j, cfg.mode, cfg.frac, n_train) for i, j in pairs]
    return np.array([a for a, _ in st]), np.array([c for _, c in st])


def track_C(cfg, pairs, steps, every):
    """C of each pair along the real training trajectory (first `steps` steps), with
    η_A = η_dec, η_x = η_enc; also c(t). Returns (t, C (T, pairs), c (T, pairs))."""
    batch = Batch.start([cfg])
    ts, Cs, cs = [], [], []
    for step in range(steps + 1):
        if step % every == 0:
            a2, c = pair_states({k: v[0] for k, v in batch.params.items()}, pairs, cfg)
            ts.append(step)
            Cs.append(conserved_C_of_pair(a2, c, cfg.eta_dec, cfg.eta_enc))
            cs.append(c)
        if step < steps:
            batch.update(batch.loss_and_grads()[1])
    return ts, np.array(Cs), np.array(cs)


def repon_network_data(p, runner):
    """Eq. (11) tested on the trained network (mod3, Table III; Adam, and SGD where the
    encoder's mapping η_x = η_enc is exact): for every same-class pair, sign(C) at init
    from its linearised decoder vs whether the pair ends up together; C along the real
    trajectory; and the separation at which Eq. (8) stops describing the network's flow."""
    R = g.relation_matrix("mod3", p.n)
    labels = g.class_labels(R)
    pairs = same_class_pairs(R)
    out = {"ratios": list(p.repon_ratios), "seeds": p.repon_seeds, "budget": p.steps,
           "pairs": len(pairs), "optimizers": {}}
    optimizers = ("adam", "sgd")
    all_cfgs = [[repon_config(p, opt, r, s) for r in p.repon_ratios for s in range(p.repon_seeds)]
                for opt in optimizers]
    for opt, cfgs, res in zip(optimizers, all_cfgs, runner.run_groups("repons", all_cfgs)):
        table = []
        for k, r in enumerate(p.repon_ratios):
            counts = {"C>0 together": 0, "C>0 apart": 0, "C<0 together": 0, "C<0 apart": 0}
            for cfg, s in zip(cfgs[k * p.repon_seeds:(k + 1) * p.repon_seeds],
                              res[k * p.repon_seeds:(k + 1) * p.repon_seeds]):
                a2, c = pair_states(g.init_params(cfg), pairs, cfg)
                C0 = conserved_C_of_pair(a2, c, cfg.eta_dec, cfg.eta_enc)
                for (i, j), Cij in zip(pairs, C0):
                    key = f"C{'>' if Cij > 0 else '<'}0 {'together' if together(s.final_E, i, j, labels) else 'apart'}"
                    counts[key] += 1
            table.append({"ratio": r, **counts,
                          "phases": [x.phase for x in res[k * p.repon_seeds:(k + 1) * p.repon_seeds]]})
        track = []
        for r in p.repon_ratios:
            cfg = repon_config(p, opt, r, 0)
            ts, Cs, cs = track_C(cfg, pairs[::p.repon_pair_stride], p.repon_track_steps,
                                 p.repon_track_every)
            track.append({"ratio": r, "t": ts, "C_rel": (Cs / Cs[0]).tolist(), "c": cs.tolist()})
        out["optimizers"][opt] = {"confusion": table, "track": track}
    cfg = repon_config(p, "adam", 1.0, 0)
    params0 = {k: v.astype(float) for k, v in g.init_params(cfg).items()}
    n_train = round(cfg.frac * cfg.n ** 2)
    scales = np.geomspace(0.01, 3.0, 12)
    dep = [flow_departure(params0, R, i, j, cfg.mode, cfg.frac, n_train, scales)
           for i, j in pairs[::p.repon_pair_stride]]
    out["validity"] = {"scales": scales.tolist(), "departure": dep,
                       "c0": pair_states(params0, pairs[::p.repon_pair_stride], cfg)[1].tolist()}
    return out


def first_above(scales, values, level=0.1):
    """The first scale whose value exceeds level (None if none does)."""
    for s, v in zip(scales, values):
        if v > level:
            return s
    return None


def repon_network_plot(data, path):
    import matplotlib.pyplot as plt
    opts = list(data["optimizers"])
    fig, axes = plt.subplots(1, len(opts) + 1, figsize=(5 * (len(opts) + 1), 4.8), squeeze=False)
    for ax, opt in zip(axes[0], opts):
        for k, tr in enumerate(data["optimizers"][opt]["track"]):
            C = np.array(tr["C_rel"])
            ax.plot(tr["t"], np.median(C, axis=1), color=f"C{k}", label=f"η_dec/η_enc = {tr['ratio']:g}")
            ax.fill_between(tr["t"], *np.quantile(C, [0.25, 0.75], axis=1), color=f"C{k}", alpha=0.2)
        ax.axhline(1.0, color="k", lw=0.8)
        ax.axhline(0.0, color="0.5", lw=0.8, ls=":")
        ax.set(xlabel="training step", ylabel="C(t) / C(0) (median, quartiles over pairs)",
               title=f"{opt.upper() if opt == 'sgd' else 'Adam'}: is C of Eq. (11) conserved?")
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    ax = axes[0][-1]
    v = data["validity"]
    for dep, c0 in zip(v["departure"], v["c0"]):
        ax.plot(np.array(v["scales"]), dep, color="0.4", lw=0.8)
    ax.axhline(0.1, color="r", lw=1, ls="--", label="10%")
    ax.set(xscale="log", yscale="log", xlabel="half-separation s (embedding units)",
           ylabel="|network dr/dt − Eq. (8)| / |Eq. (8)|", title="where Eq. (8) holds (init, Adam, ratio 1)")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False)
    fig.suptitle(f"Eq. (11) on the network: mod3, Table III, {data['budget']} steps, "
                 f"{data['pairs']} same-class pairs × {data['seeds']} seeds per ratio")
    figkit.save_figure(fig, path)


def repon_network_claims(d):
    """Rows: the sign(C) confusion table per optimizer and ratio (does C > 0 predict that a
    pair ends together, as Theorem 2 says?), C's drift, and Eq. (8)'s range of validity.
    Rule for the prediction: HOLDS if, pooled over ratios, P(together | C>0) exceeds
    P(together | C<0) and their 95% Wilson intervals are disjoint; DOES_NOT_HOLD if they
    are disjoint the other way; INCONCLUSIVE otherwise."""
    rows = []
    for opt, o in d["optimizers"].items():
        tab = o["confusion"]
        text = "; ".join(f"ratio {t['ratio']:g}: C>0 {t['C>0 together']} together / {t['C>0 apart']} "
                         f"apart, C<0 {t['C<0 together']} / {t['C<0 apart']}" for t in tab)
        pos = [sum(t["C>0 together"] for t in tab), sum(t["C>0 together"] + t["C>0 apart"] for t in tab)]
        neg = [sum(t["C<0 together"] for t in tab), sum(t["C<0 together"] + t["C<0 apart"] for t in tab)]
        if pos[1] == 0 or neg[1] == 0:
            verdict = verdicts.NO_SUPPORT       # one sign of C never occurs: nothing to compare
            side, (k, m) = ("C > 0", pos) if neg[1] == 0 else ("C < 0", neg)
            text += (f"; every pair has {side} under this mapping (a2 ~ √(frac/P) because the mean "
                     f"loss weights each pair by 1/P), and {k} of its {m} ended together")
        else:
            ip, ineg = verdicts.wilson_interval(*pos), verdicts.wilson_interval(*neg)
            verdict = (verdicts.HOLDS if ip[0] > ineg[1] else verdicts.DOES_NOT_HOLD if ineg[0] > ip[1]
                       else verdicts.INCONCLUSIVE)
        how = ("η_A = η_dec and η_x = η_enc as set; Adam divides every parameter's step by its "
               "running RMS gradient, so its effective rates are not these (SGD is the control "
               "where the encoder's rate is exact)" if opt == "adam" else
               "η_A = η_dec, η_x = η_enc, exact for the encoder; A moves through the decoder's "
               "weights, not as the free matrix of Eq. (7)")
        rows.append(Row(f"Beyond the paper, Eq. (11) on the network ({opt}): a same-class pair with "
                     "C > 0 at init ends up together (Theorem 2's collision)", "C > 0 → collision",
                     f"{text} (pairs × {d['seeds']} seeds; together = distance < 0.1 × median "
                     f"between-class distance; mod3, depth 3 hidden reading, Table III init; {how})",
                     verdict, number=f"C>0: {pos[0]}/{pos[1]} together; C<0: {neg[0]}/{neg[1]}",
                     short=f"Eq. (11) on the network ({'Adam' if opt == 'adam' else 'SGD'}): C > 0 pairs collide",
                     why=("every pair has one sign of C, so nothing is compared" if pos[1] == 0 or neg[1] == 0
                          else "Wilson intervals of P(together | sign of C) compared")))
        drift = [np.median(np.abs(np.array(tr["C_rel"])[-1] - 1.0)) for tr in o["track"]]
        flips = [float(np.mean(np.array(tr["C_rel"])[-1] < 0)) for tr in o["track"]]
        rows.append(Row(f"Beyond the paper ({opt}): C of Eq. (11) is conserved along real training "
                     "(HOLDS if every ratio's median |C(t)/C(0) − 1| < 0.1)",
                     "dC/dt = 0", f"median |C(t)/C(0) − 1| at step {o['track'][0]['t'][-1]}: " + "; ".join(
                         f"ratio {tr['ratio']:g}: {dr:.2f} (sign flipped for {fl:.0%} of pairs)"
                         for tr, dr, fl in zip(o["track"], drift, flips)),
                     verdicts.HOLDS if max(drift) < 0.1 else verdicts.DOES_NOT_HOLD,
                     number=f"largest median drift {max(drift):.2f}",
                     short=f"C of Eq. (11) conserved in training ({'Adam' if opt == 'adam' else 'SGD'})",
                     why=f"largest ratio's median |C(t)/C(0) − 1| = {max(drift):.2f} (< 0.1 holds)"))
    v = d["validity"]
    valid = [first_above(v["scales"], dep) for dep in v["departure"]]
    at_zero = sum(s == v["scales"][0] for s in valid)
    rel = [s / c0 for s, c0 in zip(valid, v["c0"]) if s is not None and s != v["scales"][0]]
    rows.append(Row("Beyond the paper: Eq. (8) describes the network's pair flow (within 10%), "
                 "measured at initialisation (mod3, Adam, ratio 1, seed 0)",
                 "(the linearisation behind Theorems 2-3)",
                 f"{at_zero}/{len(valid)} pairs depart by > 10% already at the smallest separation "
                 f"({v['scales'][0]:g}: BCE's residual times the decoder's curvature, absent from "
                 f"Eq. (6))" + (f"; the others up to a half-separation of median {np.median(rel):.2f} × "
                               "their initial one" if rel else ""),
                 verdicts.HOLDS if at_zero == 0 and rel and np.median(rel) >= 1 else verdicts.DOES_NOT_HOLD,
                 number=f"{at_zero}/{len(valid)} pairs off by > 10% at the smallest separation",
                 short="Eq. (8) describes the network's pair flow",
                 why="pairs depart from Eq. (8) at the smallest separation" if at_zero else
                 "the flow departs before the pairs' own separation" if not (rel and np.median(rel) >= 1)
                 else "Eq. (8) holds out to the pairs' separation"))
    return rows


# --- 2. The Goldilocks zone across relations --------------------------------------------

def goldilocks_fraction(rel, n, factor):
    """The training fraction factor · p_c, with p_c from Eq. (4) at α = 0.9 and
    b = log2(n!/|Aut G|) of the relation (capped at 0.9 so a test set remains)."""
    b = statics.description_length(g.relation_matrix(rel, n))
    return b, min(0.9, factor * statics.p_critical(ALPHA, b, n * n))


def _none_for_nan(a):
    return [[None if np.isnan(v) else float(v) for v in row] for row in a]


def goldilocks_data(p, runner):
    """Test accuracy and Table IV phase over decoder depth × width for every relation of
    p.gold_relations, each trained at gold_frac_factor × its own p_c (Eq. 4); every
    run's test accuracy is kept (the zone rule pairs seeds). A run the runner returns as
    None (not finished: lab.runner.replay_data reads a results file still being written) is
    counted as missing, cell by cell, never guessed."""
    out = {"depths": list(p.gold_depths), "widths": list(p.gold_widths), "seeds": p.gold_seeds,
           "first_seed": p.gold_first_seed, "registered": p.registered, "budget": p.steps, "factor": p.gold_frac_factor, "relations": {}}
    fracs = {rel: goldilocks_fraction(rel, p.n, p.gold_frac_factor) for rel in p.gold_relations}
    groups = runner.run_groups("goldilocks", [
        [p.config(relation=rel, frac=round(fracs[rel][1], 4), depth=dep, width=w, seed=s)
         for w in p.gold_widths for dep in p.gold_depths
         for s in range(p.gold_first_seed, p.gold_first_seed + p.gold_seeds)]
        for rel in p.gold_relations])
    shape = (len(p.gold_widths), len(p.gold_depths), p.gold_seeds)
    done = 0
    for rel, res in zip(p.gold_relations, groups):
        b, frac = fracs[rel]
        test = np.array([np.nan if r is None or r.test_acc is None else r.test_acc for r in res],
                        dtype=float).reshape(shape)
        phases = np.array([None if r is None else r.phase for r in res], dtype=object).reshape(shape)
        runs = (phases != None).sum(2)                                         # noqa: E711
        done += int(runs.sum())
        with np.errstate(invalid="ignore"):
            mean = np.where(runs > 0, np.nansum(test, 2) / np.maximum(runs, 1), np.nan)
            sd = np.array([[np.nanstd(c) if np.isfinite(c).any() else np.nan for c in row] for row in test])
        out["relations"][rel] = {"b": b, "frac": round(frac, 4), "test": _none_for_nan(mean),
                                 "test_sd": _none_for_nan(sd),
                                 "test_runs": [_none_for_nan(row) for row in test],
                                 "phases": phases.tolist(), "runs": runs.tolist()}
    out["runs_done"], out["runs_planned"] = done, int(np.prod(shape)) * len(p.gold_relations)
    return out


goldilocks_data.accepts_missing_runs = True     # lab.runner.replay_data may call it on a partial file


def zone_of(r, depths, seeds):
    """Per width of one relation: Fig. 7's zone rule on that width's runs, Holm's procedure
    over the relation's widths (rules.zone_verdicts), the zone read off the same seeds
    (rules.majority_zone: exploratory) against the shallowest and deepest depth; a width
    with missing runs is {'pending': (runs in, runs planned)}. Data saved before every
    run's accuracy was kept (no 'test_runs') cannot pair seeds: 'too few runs'."""
    planned = len(depths) * seeds
    have = [sum(ph is not None for cell in phases for ph in cell) for phases in r["phases"]]
    if any(h < planned for h in have):
        return [{"pending": (h, planned)} for h in have]
    if "test_runs" not in r:
        return [{"zone": rules.majority_zone(phases, g.GENERALIZED), "pairs": 0, "verdict": rules.TOO_FEW,
                 "why": "per-seed accuracies not saved: seeds not paired", "shallow": None, "deep": None}
                for phases in r["phases"]]
    stats = []
    for acc, phases in zip(r["test_runs"], r["phases"]):
        acc = np.array(acc, dtype=float)
        stats.append(rules.zone_statistics(acc, phases, rules.majority_zone(phases, g.GENERALIZED), 0,
                                           len(depths) - 1, g.GENERALIZED, g.CONFUSION, g.MEMORIZATION))
    return [dict(s, verdict=v, why=why) for s, (v, why) in zip(stats, rules.zone_verdicts(stats))]


def zones_of(d):
    """{relation: [zone dict per width]}: the registered rule (lab.confirm) on confirmatory
    data, zone_of on exploratory data."""
    planned = len(d["depths"]) * d["seeds"]
    missing = {rel: [sum(ph is not None for cell in phases for ph in cell) for phases in r["phases"]]
               for rel, r in d["relations"].items()}
    judged = confirm.goldilocks_verdicts(d) if d.get("registered") else {}
    return {rel: ([{"pending": (h, planned)} for h in missing[rel]] if min(missing[rel]) < planned
                  else judged[rel] if d.get("registered") else zone_of(r, d["depths"], d["seeds"]))
            for rel, r in d["relations"].items()}


def goldilocks_plot(data, path):
    import matplotlib.pyplot as plt
    rels = list(data["relations"])
    fig, axes = plt.subplots(1, len(rels), figsize=(3.4 * len(rels) + 1.2, 4.0), squeeze=False,
                             constrained_layout=True)
    letter = {g.GENERALIZATION: "G", g.GROKKING: "K", g.MEMORIZATION: "M", g.CONFUSION: "C"}
    for ax, rel in zip(axes[0], rels):
        r = data["relations"][rel]
        acc = np.array(r["test"], dtype=float)             # None (no run yet) → NaN, left blank
        im = ax.imshow(acc, origin="lower", cmap="viridis", vmin=0.3, vmax=1.0, aspect="auto")
        for i, row in enumerate(r["phases"]):
            for j, cell in enumerate(row):
                ran = [ph for ph in cell if ph is not None]
                major = letter[max(g.PHASES, key=ran.count)] if ran else "·"
                ax.text(j, i, major, ha="center", va="center", fontsize=7,
                        color="w" if not acc[i, j] >= 0.7 else "k")
        ax.set(xticks=range(len(data["depths"])), xticklabels=data["depths"],
               yticks=range(len(data["widths"])), yticklabels=data["widths"],
               xlabel="decoder depth n_h", ylabel="width w",
               title=f"{rel}\nb = {r['b']:.1f} bits, frac {r['frac']:.2f}")
    fig.colorbar(im, ax=axes[0].tolist(), shrink=0.8, label="mean test accuracy")
    fig.suptitle(f"Goldilocks zone across relations (frac = {data['factor']:g} × p_c of Eq. (4); "
                 f"{data['seeds']} seeds; letter: majority phase, G generalization, K grokking, "
                 f"M memorization, C confusion; {data['budget']} steps)", fontsize=10)
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


def _zone_cell(w, z, depths, ends):
    if "pending" in z:
        return f"w={w}: pending ({z['pending'][0]} of {z['pending'][1]} runs)"
    text = "; ".join(f"zone − depth {depths[k]}: {z[name][0]:+.2f} (sign-flip p = {z[name][1]:.2g})"
                     for name, k in ends if z.get(name))
    zone = ", ".join(str(depths[k]) for k in z["zone"]) or "none"
    return f"w={w}: zone depths {zone}{'; ' + text if text else ''} → {z['verdict']} ({z['why']})"


def zones_why(widths, zones):
    """Which widths pass Fig. 7's zone rule, and the other widths' reasons, each reason once
    with the widths it covers, in a few words."""
    reasons = {}
    for w, z in zip(widths, zones):
        why = "zone holds" if z.get("verdict") == verdicts.HOLDS else z.get("why") or z.get("verdict") or "pending"
        reasons.setdefault(why, []).append(f"w={w}")
    if len(reasons) == 1:
        return next(iter(reasons))
    return "; ".join(f"{', '.join(ws)}: {why}" for why, ws in reasons.items())


def zones_verdict(zones):
    """A relation's verdict over its widths: HOLDS when the zone holds at every width,
    PARTLY at some, DOES_NOT_HOLD when every width does not hold, INCONCLUSIVE otherwise;
    TOO_FEW when no width could be tested; pending while runs are missing."""
    if any("pending" in z for z in zones):
        have = sum(z["pending"][0] for z in zones if "pending" in z)
        planned = sum(z["pending"][1] for z in zones if "pending" in z)
        return f"pending ({have} of {planned} runs in the unfinished cells)"
    found = [z["verdict"] for z in zones]
    if all(x == rules.TOO_FEW for x in found):
        return rules.TOO_FEW
    held = found.count(verdicts.HOLDS)
    return (verdicts.HOLDS if held == len(found) else verdicts.PARTLY if held else
            verdicts.DOES_NOT_HOLD if all(x == verdicts.DOES_NOT_HOLD for x in found) else
            verdicts.INCONCLUSIVE)


def goldilocks_claims(d):
    """Where each relation's zone sits, by the Fig. 7 rule at each width (zones_of), and
    whether its depth tracks b. Beyond the paper: the paper shows mod3 only. Cells whose
    runs are not all in read 'pending (k of N runs)'. The rank correlation is over the
    relations (|ρ| = 1 is needed for significance at 5% with 5 relations)."""
    rows, peaks, bs, cells = [], [], [], []
    at = d["depths"].index
    ends = ((("shallow", at(confirm.GOLD_SHALLOW)), ("deep", at(confirm.GOLD_DEEP))) if d.get("registered")
            else (("shallow", 0), ("deep", len(d["depths"]) - 1)))
    design = ("registered zones and ends (figures/paper/PREREGISTRATION.md)" if d.get("registered")
              else "zones read off these seeds (exploratory)")
    first = d.get("first_seed", 0)
    for rel, zones in zones_of(d).items():
        r = d["relations"][rel]
        text = "; ".join(_zone_cell(w, z, d["depths"], ends) for w, z in zip(d["widths"], zones))
        verdict = zones_verdict(zones)
        held = [w for w, z in zip(d["widths"], zones) if z.get("verdict") == verdicts.HOLDS]
        cells.append((rel, held, len(zones)))
        rows.append(Row(f"Beyond the paper, Goldilocks zone of {rel} (b = {r['b']:.1f}, frac {r['frac']:.2f})",
                        "(Appendix E shows mod3 only)",
                        f"{text} (Adam; Holm over the {len(zones)} widths; {design}; seeds {first}–"
                        f"{first + d['seeds'] - 1}, {d['budget']} steps)", verdict,
                        group="Beyond the paper: the Goldilocks zone (Fig. 7's rule) across relations and widths",
                        short="The Goldilocks map across relations",
                        number=f"{rel}: zone holds at {len(held)}/{len(zones)} widths", why=zones_why(d["widths"], zones)))
        mid = len(zones) // 2
        if "pending" not in zones[mid]:
            acc = np.array(r["test"][mid], dtype=float)
            peaks.append(d["depths"][int(np.nanargmax(acc))])
            bs.append(r["b"])
    complete = len(bs) == len(d["relations"])
    rho = spearman(bs, peaks) if complete else None
    waiting = zones_verdict([z for zs in zones_of(d).values() for z in zs]) if not complete else ""
    verdict = (waiting if not complete else
               verdicts.NO_SUPPORT if rho is None else
               verdicts.INCONCLUSIVE if abs(rho) < 1.0 else
               "tracks b" if rho > 0 else "tracks b inversely")
    where = "; ".join(f"{rel} w={', '.join(map(str, held))}" for rel, held, _ in cells if held)
    rows = with_headline(rows, rows[0].group, f"zone holds at {sum(len(h) for _, h, _ in cells)} of "
                         f"{sum(n for *_, n in cells)} (relation, width) cells" + (f" ({where})" if where else ""))
    if d.get("registered"):              # the registration judges the zones, not how they track b
        return rows
    rows.append(Row("Beyond the paper: the Goldilocks depth tracks the description length b",
                    "(open)", f"peak depth at w = {d['widths'][len(d['widths']) // 2]} vs b over "
                    f"{len(bs)} relations: Spearman ρ = {_fmt_rho(rho)}", verdict,
                    number=f"ρ = {_fmt_rho(rho)}", short="The Goldilocks depth tracks b",
                    why="every relation peaks at one depth: no spread to rank" if rho is None else
                    f"|ρ| = 1 is needed for p < 0.05 with {len(bs)} relations"))
    return rows


def _fmt_rho(x):
    return "undefined (no spread)" if x is None else f"{x:+.2f}"


# --- 3. Theorem 1 shown on trained networks: lab/theorem1.py ----------------------------

from lab.theorem1 import (THM1_RUNS, THM1_ZERO_LOSS, embedding_displacement,  # noqa: E402,F401
                          group_median, theorem1_cannot_serve, theorem1_claims, theorem1_data,
                          theorem1_groups, theorem1_plot, theorem1_premise, theorem1_verdict)


# --- 4. Open Question 1: Eq. (12) for embedding dimensions d ≠ 2 --------------------

def open_q1_data(p, runner):
    """Open Question 1: the Fig. 6 experiment (Table III init) for several embedding
    dimensions d, mod3 and greater, against Eq. (12)."""
    out = {"ratios": list(p.q1_ratios), "seeds": p.q1_seeds, "budget": p.steps,
           "bound_equal_sigmas": [float(repons.p_collision(1.0, 1.0, eta_A=r, eta_x=1.0))
                                  for r in p.q1_ratios], "relations": {}}
    cells = [(rel, d) for rel in ("mod3", "greater") for d in p.q1_dims]
    curves = figkit.p_gen_curves(p, runner, "openq1", p.q1_ratios, p.q1_seeds,
                                 [{"relation": rel, "d": d} for rel, d in cells])
    for (rel, d), curve in zip(cells, curves):
        curve["crossover"] = figkit.crossing_down(p.q1_ratios, curve["p_gen"])
        out["relations"].setdefault(rel, []).append({"d": d, **curve})
    return out


def open_q1_plot(data, path):
    rels = list(data["relations"])
    fig, panels = figkit.relation_axes(rels, 5.8, 4.4)
    for ax, rel in panels:
        curves = data["relations"][rel]
        figkit.draw_p_gen_curves(ax, data["ratios"], curves, [f"d = {c['d']}" for c in curves],
                                 f"Open Question 1: {rel}, {data['seeds']} seeds per point")
    figkit.legend_below(fig, panels[0][0])
    figkit.save_figure(fig, path, rect=(0, 0.1, 1, 1))


def open_q1_claims(d):
    """This project's question (not the paper's): does Eq. (12) still bound P(generalized)
    when the embedding dimension d ≠ 2? Same test as Fig. 6 (exact binomial, Holm over the
    relation's points), with σ_a = σ_c."""
    rows = []
    for rel, curves in d["relations"].items():
        pts, over_eq, over_net, p_min = figkit.count_over_bounds(curves, d["bound_equal_sigmas"])
        cross = "; ".join(f"d={c['d']}: {figkit.fmt(c['crossover'], '.3g')}" for c in curves)
        rows.append(Row(f"Beyond the paper, Open Question 1, {rel} (this project's question, not the "
                        "paper's): Eq. (12) with σ_a = σ_c still bounds P(generalization) for d ≠ 2; "
                        "where P crosses 0.5 (η_dec/η_enc)", "(not asked by the paper)",
                        f"points significantly above the σ_a = σ_c bound (exact binomial, Holm over "
                        f"{pts} points): {over_eq}/{pts} (smallest raw p = {figkit.fmt(p_min, '.3g')}); above "
                        f"the network-σ bound (exploratory, see Fig. 6): {over_net}/{pts}; crossover "
                        f"ratio {cross} (mod3/greater, Adam, depth 3 hidden reading, Table III init; "
                        f"{d['seeds']} seeds, {d['budget']} steps)", figkit.bound_verdict(over_eq, figkit.generalized_runs(curves)),
                        group="Beyond the paper, Open Question 1 (this project's, not the paper's): "
                              "Eq. (12) for embedding dimensions d ≠ 2",
                        short="Open Question 1: Eq. (12) for d ≠ 2",
                        number=f"{rel}: {over_eq}/{pts} above",
                        why=figkit.bound_why(over_eq, figkit.generalized_runs(curves))))
    return rows
