"""The presets: the sizes of every experiment, from seconds (smoke) to the paper's scale.

smoke runs every figure function on tiny settings in seconds (the tests use it); quick
shows the paper's shapes in minutes on two cores (its figures are the ones in figures/);
paper is the paper's scale, n = 30 and 1e5 steps per run, resumable from the results
files it keeps in figures/paper/.
"""
import dataclasses
import os
from dataclasses import dataclass

import numpy as np

import geneft as g
import statics
from lab import confirm
from lab.beyond import THM1_RUNS
from lab.figs_statics import FIG3_VARIANTS


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
    eta_grid: tuple             # (log10 lo, log10 hi, points) for Figs. 5 and 8
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
    fig8_eta_grid: tuple        # ... and its η_dec
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
    relations: tuple = ("mod3", "greater", "bipartite")   # Figs. 5 and 8
    results_in_repo: bool = False  # append finished ensembles to figures/<preset>/<fig>.jsonl
    fig3_relations: tuple = ("mod3", "greater")          # Fig. 3's panels
    focus: str = "mod3"         # the relation of Figs. 6, 7, Theorem 1 and the SGD control
    matrices: tuple = ()        # ((name, R as a tuple of tuples), ...): relations given as matrices
    fig7_first_seed: int = 0    # Fig. 7 runs seeds fig7_first_seed, ... (+ fig7_seeds)
    gold_first_seed: int = 0    # the Goldilocks map likewise
    registered: bool = False    # judged by the preregistered rules (lab.confirm), not read off the data
    figures: tuple = ()         # the figures the preset runs (empty: every figure)
    folder: str = ""            # under figures/, where it writes (default: its name)

    def __post_init__(self):
        if not self.folder:
            object.__setattr__(self, "folder", self.name)

    def relation(self, name):
        """What Config.relation holds for a relation name: the matrix the preset was given
        under that name (so run keys hash its content), else the name itself (Table I)."""
        return dict(self.matrices).get(name, name)

    def matrix(self, name):
        """The (n, n) relation matrix of a relation name."""
        return g.relation_matrix(self.relation(name), self.n)

    def config(self, **kw):
        """Table III config at the preset's size and budget; kw overrides fields (a relation
        is given by name)."""
        if "relation" in kw:
            kw["relation"] = self.relation(kw["relation"])
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
                    fig3_bound_orders=20, fig4_mc_samples=2000, eta_grid=(-3, -1, 3), fig5_seeds=2,
                    depth_conventions=BOTH_DEPTHS, sgd_eta=1.0, sgd_eta_enc=(1.0,),
                    sgd_ratios=(0.1, 10.0), sgd_seeds=2,
                    fig6_init=(1.0,), fig6_settings=FIG6_ALL, fig6_ratios=(0.1, 10.0), fig6_seeds=2,
                    fig7_depths=(0, 1, 2), fig7_seeds=2, thm1_seeds=1, wd_grid=(-3, -1, 2), fig8_eta_grid=(-3, -1, 3),
                    fig8_eta_enc=1e-3, q1_dims=(1, 3), q1_ratios=(0.1, 10.0), q1_seeds=1,
                    gold_relations=("mod3", "preorder3"), gold_depths=(0, 1, 3), gold_widths=(5, 10),
                    gold_seeds=1, gold_frac_factor=3.0, repon_ratios=(0.1, 10.0), repon_seeds=1,
                    repon_pair_stride=3, repon_track_steps=20, repon_track_every=10, chunk=4),
    "quick": Preset("quick", n=30, steps=3000, eval_every=6, dtype="float32",
                    fig2_fracs=(0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9), fig2_seeds=5,
                    fig2_orders=200,
                    fig3_fracs=(0.02, 0.05, 0.08, 0.12, 0.2, 0.3, 0.5, 0.7, 0.9), fig3_seeds=5,
                    fig3_bound_seeds=5, fig3_bound_orders=200, fig4_mc_samples=20000,
                    eta_grid=(-4, -1, 6), fig5_seeds=3, depth_conventions=BOTH_DEPTHS,
                    sgd_eta=1.0, sgd_eta_enc=(0.3, 1.0), sgd_ratios=(0.1, 1.0, 10.0, 100.0), sgd_seeds=4,
                    fig6_init=(0.3, 1.0, 3.0), fig6_settings=FIG6_ALL,
                    fig6_ratios=(0.1, 1.0, 10.0, 100.0), fig6_seeds=8,
                    fig7_depths=(0, 1, 2, 3, 5, 8), fig7_seeds=3, thm1_seeds=3, wd_grid=(-4, -1, 4),
                    fig8_eta_grid=(-4, -1, 6),
                    fig8_eta_enc=1e-5 * 100_000 / 3000, q1_dims=(1, 2, 3, 5, 8),
                    q1_ratios=(0.1, 1.0, 10.0, 100.0), q1_seeds=4, gold_relations=GOLD_RELATIONS,
                    gold_depths=(0, 1, 2, 4, 8), gold_widths=(5, 10, 50), gold_seeds=2,
                    gold_frac_factor=3.0, repon_ratios=(0.1, 1.0, 10.0, 100.0), repon_seeds=3,
                    repon_pair_stride=5, repon_track_steps=600, repon_track_every=50, chunk=16),
    "paper": Preset("paper", n=30, steps=100_000, eval_every=100, dtype="float32",
                    fig2_fracs=tuple(np.round(np.arange(0.05, 1.0, 0.05), 2)), fig2_seeds=20,
                    fig2_orders=1000,
                    fig3_fracs=(0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 0.9), fig3_seeds=5,
                    fig3_bound_seeds=20, fig3_bound_orders=1000, fig4_mc_samples=20000,
                    eta_grid=(-5, -1, 7), fig5_seeds=3, depth_conventions=BOTH_DEPTHS,
                    sgd_eta=1.0, sgd_eta_enc=(0.3, 1.0), sgd_ratios=(0.01, 0.1, 1.0, 10.0, 100.0),
                    sgd_seeds=2, fig6_init=(0.3, 1.0, 3.0),
                    fig6_settings=(("both", "adam", "hidden"), ("both", "sgd", "hidden"),
                                   ("normal", "adam", "hidden")),     # the caption's N(0, s²) too
                    fig6_ratios=(0.01, 0.1, 1.0, 10.0, 100.0), fig6_seeds=8,
                    fig7_depths=tuple(range(0, 11)), fig7_seeds=5, thm1_seeds=5,
                    wd_grid=(-5, -2, 5), fig8_eta_grid=(-4, -1, 5), fig8_eta_enc=1e-5, q1_dims=(1, 2, 3, 5, 8),
                    q1_ratios=(0.1, 1.0, 10.0, 100.0), q1_seeds=4, gold_relations=GOLD_RELATIONS,
                    gold_depths=(0, 1, 2, 4, 8), gold_widths=(5, 10, 50), gold_seeds=2,
                    gold_frac_factor=3.0, repon_ratios=(0.1, 1.0, 10.0, 100.0), repon_seeds=3,
                    repon_pair_stride=3, repon_track_steps=5000, repon_track_every=250, chunk=4,
                    results_in_repo=True),
}

# The preregistered confirmation (figures/paper/PREREGISTRATION.md): the paper preset's
# Fig. 7 and Goldilocks map on fresh seeds, judged by the rules registered in lab.confirm.
#   python run_all.py --preset confirm          (writes figures/paper/confirm/)
PRESETS["confirm"] = dataclasses.replace(
    PRESETS["paper"], name="confirm", fig7_seeds=len(confirm.FIG7_SEEDS),
    fig7_first_seed=confirm.FIG7_SEEDS[0], gold_seeds=len(confirm.GOLD_SEEDS),
    gold_first_seed=confirm.GOLD_SEEDS[0], registered=True, figures=("fig7", "goldilocks"),
    folder=os.path.join("paper", "confirm"))

# The second preregistered confirmation (figures/paper/PREREGISTRATION-2.md): designs of
# their own (lab.confirm2) at the paper's budget, fresh seeds from 3000; run_all.REGISTERED
# names its figures, cheapest first, Fig. 3 (the costliest) last.
#   python run_all.py --preset confirm2         (writes figures/paper/confirm2/)
PRESETS["confirm2"] = dataclasses.replace(
    PRESETS["paper"], name="confirm2", registered=True,
    figures=("theorem1", "fig8", "fig6", "fig5", "fig3"), folder=os.path.join("paper", "confirm2"))


def fig6_settings_trained(p):
    """How many (setting, init factor) curves of Fig. 6 train runs of their own: settings
    that make the same configs (at s = 1, σ_enc alone or σ_enc and σ_dec scaled) share."""
    from lab.figs_dynamics import FIG6_INIT_VARIANTS
    return len({p.config(optimizer=opt, relation=p.focus, depth=g.DEPTH_CONVENTIONS[conv],
                         **FIG6_INIT_VARIANTS[variant](scale))
                for variant, opt, conv in p.fig6_settings for scale in p.fig6_init})


def run_bounds(p):
    """Network runs of each figure of a preset: {name: (fewest, most)}, each ≤ p.steps steps.

    Counted from the preset's fields as each <fig>_data builds its configs; Figs. 5 and 8
    add seeds only where the phase changes, so they lie between one seed per cell and
    fig5_seeds per cell. A test checks a smoke run against these bounds.
    """
    cells5 = len(p.relations) * p.eta_grid[2] ** 2
    cells8 = len(p.relations) * p.wd_grid[2] * p.fig8_eta_grid[2]
    sgd = len(p.sgd_eta_enc) * len(p.sgd_ratios) * p.sgd_seeds
    fixed = {"fig3": len(p.fig3_relations) * len(FIG3_VARIANTS) * len(p.fig3_fracs) * p.fig3_seeds,
             "fig6": fig6_settings_trained(p) * len(p.fig6_ratios) * p.fig6_seeds,
             "fig7": len(p.fig7_depths) * p.fig7_seeds,
             "theorem1": len(THM1_RUNS) * p.thm1_seeds,
             "open_q1": 2 * len(p.q1_dims) * len(p.q1_ratios) * p.q1_seeds,
             "repons_net": 2 * len(p.repon_ratios) * p.repon_seeds,
             "goldilocks": len(p.gold_relations) * len(p.gold_depths) * len(p.gold_widths) * p.gold_seeds}
    bounds = {k: (v, v) for k, v in fixed.items()}
    n_conv = len(p.depth_conventions)
    bounds["fig5"] = (n_conv * cells5 + sgd, n_conv * cells5 * p.fig5_seeds + sgd)
    bounds["fig8"] = (cells8, cells8 * p.fig5_seeds)
    return bounds


# --- Your own relation: the per-relation figures on one matrix -------------------------

PER_RELATION = ("fig3", "fig5", "fig6", "fig7", "fig8", "theorem1")
NOT_PER_RELATION = {
    "fig2": "Fig. 2 compares Table I's four relations (for yours: python statics.py FILE.csv)",
    "fig4": "Fig. 4 is the repon flow of Eq. (10), which has no relation",
    "open_q1": "Open Question 1 is asked of mod3 and greater",
    "repons_net": "Eq. (11) on the network follows mod3's same-class pairs",
    "goldilocks": "the Goldilocks map compares Table I's relations",
}


def relation_preset(p, name, R):
    """Preset p with every per-relation figure (PER_RELATION) run on the matrix R, named
    `name`: n is R's size; Figs. 3, 5 and 8 show R alone, and Figs. 6, 7, Theorem 1 and
    Fig. 5's SGD control run on R instead of mod3. Run keys hash R's entries, so an edited
    matrix is a new experiment. The preregistered confirmation (p.registered) is not
    a preset to move onto another relation: ValueError."""
    if p.registered:
        raise ValueError(f"preset {p.name!r} is the preregistered confirmation on Table I's "
                         "relations; it does not run on a relation of your own")
    R = g.relation_matrix(np.asarray(R), np.asarray(R).shape[0])      # checks shape and 0/1
    return dataclasses.replace(p, n=R.shape[0], relations=(name,), fig3_relations=(name,),
                               focus=name, matrices=((name, tuple(map(tuple, R.tolist()))),))


def figures_for_relation(kind, n=None):
    """{figure: why it is skipped} for a relation of this kind (statics.matrix_kind) and
    size n: the figures that are not per relation, Fig. 3 unless Appendix D has a bound
    for the kind at this n, Theorem 1 unless it is an equivalence (its classes are what
    should cluster)."""
    skip = dict(NOT_PER_RELATION)
    if kind not in ("equivalence", "bipartite", "total_order"):
        skip["fig3"] = ("Fig. 3 draws Appendix D's bound, which exists for an equivalence, a "
                        "complete bipartite graph or a total order; this relation is none of them")
    elif n is not None and (too_large := appendix_d_too_large(kind, n)):
        skip["fig3"] = too_large
    if kind != "equivalence":
        skip["theorem1"] = "Theorem 1 is about the classes of an equivalence; this relation has none"
    return skip


def appendix_d_too_large(kind, n):
    """Why Fig. 3's Appendix D Monte Carlo cannot run at this n for this kind (statics'
    limits, and what the sampling would cost), or None when it can."""
    limit = statics.MAX_N_MC_ORDER if kind == "total_order" else statics.MAX_N_MC_CLASSES
    if n <= limit:
        return None
    if kind == "total_order":
        cost = (n / limit) ** 3 * np.log(n) / np.log(limit)
        how = (f"its Bubley-Dyer chain runs ~n³ ln n steps for each sampled order, {cost:.0f}× "
               f"those at n = {limit}")
    else:
        how = f"it holds ~80 n² bytes per sampling, {80 * n * n / 1e9:.1f} GB here"
    return (f"Fig. 3 draws Appendix D's Monte Carlo bound, limited for this kind to n <= {limit} "
            f"({how}); this relation has n = {n} (python statics.py FILE.csv gives the rest of "
            f"Section III)")


# The per-relation figures train every run on frac·n² pairs and evaluate it on all n²
# pairs, so a run's time and memory grow as n² (the paper's n = 30 has 900 pairs). One
# worker's ensemble of 4 runs of Table III's decoder (float64) peaked at 66 MB at
# n = 100, 295 MB at n = 300 and 2.9 GB at n = 1000 (/usr/bin/time -v), where one training
# step of one run took ~14 s on a core of a busy two-core machine (the smoke preset's
# ~120 runs of 60 steps: about a day). Beyond, a worker would need tens of GB (n = 3000:
# ~26 GB), so such a relation is refused before anything starts.
MAX_N_RELATION = 1000
NOTE_N_RELATION = 100      # above this, a relation's cost is said before anything trains


def relation_size_problem(n):
    """Why a relation of n elements cannot run the per-relation figures (n above
    MAX_N_RELATION), or None."""
    if n <= MAX_N_RELATION:
        return None
    return (f"n = {n} is too large: the per-relation figures train on all n² pairs and are "
            f"limited to n <= {MAX_N_RELATION} (one worker holds ~3 GB at n = {MAX_N_RELATION}, "
            f"and memory and time grow as n²: ~{2.9 * (n / 1000) ** 2:.0f} GB here)")


def relation_cost_note(n):
    """What a relation of n elements costs against the paper's n = 30, for n above
    NOTE_N_RELATION (else None): a run's time and a worker's memory grow as n²."""
    if n <= NOTE_N_RELATION:
        return None
    return (f"n = {n}: every run trains on {(n / 30) ** 2:.0f}× the pairs of the paper's n = 30, "
            f"so expect each run to take about that many times as long, and each worker to "
            f"hold ~{max(0.1, 2.9 * (n / 1000) ** 2):.1f} GB")


BASELINE_MARGIN = 0.05   # a majority baseline this close to Table IV's 0.9 makes it uninformative


def majority_baseline(R):
    """The accuracy of always answering the majority label, over all n² pairs."""
    mean = float(np.mean(R))
    return max(mean, 1.0 - mean)


def baseline_note(R):
    """The report's sentence on the majority baseline: a test accuracy above Table IV's 0.9
    means little where guessing the majority label alone scores within BASELINE_MARGIN of
    it (a test set drawn at random then often passes 0.9 by guessing)."""
    q = majority_baseline(R)
    text = f"majority baseline: answering the commoner label scores {q:.3f} over all n² pairs"
    if q >= g.ACC_THRESHOLD - BASELINE_MARGIN:
        return (text + f", within {BASELINE_MARGIN} of Table IV's {g.ACC_THRESHOLD} threshold: the "
                "phases (generalization, memorization) cannot tell learning from guessing here, so "
                "read the accuracies against this baseline, not against 0.9")
    return text + f", well below Table IV's {g.ACC_THRESHOLD} threshold"
