"""The preregistered confirmation: its design and its rules, fixed before its data existed.

figures/paper/PREREGISTRATION.md states them in words and records the sha256 of this file
and of lab/rules.py; the report compares those with the files it runs (`rule_files_changed`)
and names the commit that registered them.

Everything a rule would otherwise read off the data is fixed here from the exploratory
data (figures/paper/fig7.json, seeds 0-4; figures/paper/goldilocks.json, seeds 0-1), so
no confirmatory seed picks what it then tests:
- the zone of each (relation, width): the interior depths where most exploratory seeds
  generalized (rules.majority_zone), or, where none did, the interior depth with the
  highest exploratory mean test accuracy;
- the ends: the shallowest and the deepest depth of the grid, as before.
The confirmatory seeds are fresh: no committed results file uses them at any budget.
"""
import hashlib
import os

import geneft as g
from lab import rules

ALPHA = rules.ALPHA

# --- Fig. 7: mod3, w = 10, frac 0.3, depths 0-10, Adam, 1e5 steps ----------------------
FIG7_SEEDS = tuple(range(1000, 1012))      # 12 fresh seeds: smallest p 2^-12
FIG7_ZONE = (1, 2, 3)                      # exploratory: 3/5 seeds generalized at each
FIG7_SHALLOW, FIG7_DEEP = 0, 10            # the grid's ends

# --- The Goldilocks map: 5 relations x widths (5, 10, 50) x depths (0, 1, 2, 4, 8) ------
GOLD_SEEDS = tuple(range(2000, 2006))      # 6 fresh seeds: smallest p 2^-6 = 0.0156 ≤ 0.05/3
GOLD_SHALLOW, GOLD_DEEP = 0, 8
GOLD_ZONES = {                             # (relation, width) -> zone depths, from the exploratory data
    ("mod3", 5): (1,), ("mod3", 10): (1,), ("mod3", 50): (1,),                  # no majority: best mean
    ("mod5", 5): (2,), ("mod5", 10): (1,), ("mod5", 50): (1,),                  # no majority: best mean
    ("greater", 5): (1, 2, 4), ("greater", 10): (1, 2, 4), ("greater", 50): (1, 2, 4),
    ("bipartite", 5): (1, 2), ("bipartite", 10): (1,), ("bipartite", 50): (1,),
    ("preorder3", 5): (1, 2, 4), ("preorder3", 10): (1, 2, 4), ("preorder3", 50): (1, 2),
}

RULE_FILES = ("lab/rules.py", "lab/confirm.py")   # what the preregistration's hashes cover
PENDING = "pending"


def registered_zone(depths, test_means, phases):
    """How GOLD_ZONES were read off the exploratory data of one (relation, width): the
    majority zone, else the interior depth of highest mean test accuracy (depth values)."""
    zone = rules.majority_zone(phases, g.GENERALIZED)
    if not zone:
        inner = range(1, len(depths) - 1)
        zone = [max(inner, key=lambda k: test_means[k])]
    return tuple(depths[k] for k in zone)


def _judged(stats_list, planned):
    """rules.zone_verdicts on a family, with any member short of its planned seeds pending."""
    if any(s["pairs"] < planned for s in stats_list):
        return [dict(s, verdict=PENDING, why=f"{s['pairs']} of {planned} seeds finished")
                for s in stats_list]
    return [dict(s, verdict=v, why=why) for s, (v, why) in zip(stats_list, rules.zone_verdicts(stats_list, ALPHA))]


def design_problem(d, seeds, depths):
    """Why data d is not the registered design (its first seed, seed count or depths), or ''."""
    if d.get("first_seed") != seeds[0] or d.get("seeds") != len(seeds):
        return (f"seeds {d.get('first_seed')}… ({d.get('seeds')}) are not the registered "
                f"{seeds[0]}–{seeds[-1]}")
    missing = [dep for dep in depths if dep not in d["depths"]]
    return f"depths {missing} are not in the data" if missing else ""


def fig7_verdict(d):
    """The registered Fig. 7 rule on the confirmatory data d (lab.figs_dynamics.fig7_data):
    zone FIG7_ZONE against depths FIG7_SHALLOW and FIG7_DEEP, seed by seed (exact
    sign-flip tests, intersection–union, alpha 0.05, a family of one), with the phases
    the claim names (rules.zone_statistics, rules.zone_verdicts)."""
    problem = design_problem(d, FIG7_SEEDS, FIG7_ZONE + (FIG7_SHALLOW, FIG7_DEEP))
    if problem:
        raise ValueError(f"Fig. 7 confirmatory data: {problem}")
    at = d["depths"].index
    s = rules.zone_statistics(d["test_runs"], d["phases"], [at(z) for z in FIG7_ZONE], at(FIG7_SHALLOW),
                              at(FIG7_DEEP), g.GENERALIZED, g.CONFUSION, g.MEMORIZATION)
    return _judged([s], len(FIG7_SEEDS))[0]


def goldilocks_verdicts(d):
    """The registered Goldilocks-map rule on the confirmatory data d
    (lab.beyond.goldilocks_data): per relation, each width's zone GOLD_ZONES[(relation,
    width)] against depths GOLD_SHALLOW and GOLD_DEEP, seed by seed, Holm's procedure
    over the relation's widths at alpha 0.05. Returns {relation: [dict per width]}."""
    problem = design_problem(d, GOLD_SEEDS, (GOLD_SHALLOW, GOLD_DEEP))
    if problem:
        raise ValueError(f"Goldilocks confirmatory data: {problem}")
    at = d["depths"].index
    out = {}
    for rel, r in d["relations"].items():
        stats = [rules.zone_statistics(r["test_runs"][w], r["phases"][w],
                                       [at(z) for z in GOLD_ZONES[(rel, width)]], at(GOLD_SHALLOW),
                                       at(GOLD_DEEP), g.GENERALIZED, g.CONFUSION, g.MEMORIZATION)
                 for w, width in enumerate(d["widths"])]
        out[rel] = _judged(stats, len(GOLD_SEEDS))
    return out


# --- Did the registered rules change? --------------------------------------------------

def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def registered_hashes(text):
    """{file: sha256} from the preregistration's lines '`lab/rules.py` sha256 `<64 hex>`'."""
    out = {}
    for line in text.splitlines():
        for name in RULE_FILES:
            if f"`{name}`" in line and "sha256" in line:
                digest = line.rsplit("`", 2)[-2]
                if len(digest) == 64:
                    out[name] = digest
    return out


def rule_files_changed(root):
    """{file: (registered sha256, current sha256)} for each rule file whose content differs
    from what figures/paper/PREREGISTRATION.md registered; None when there is none."""
    path = os.path.join(root, "figures", "paper", "PREREGISTRATION.md")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        registered = registered_hashes(f.read())
    current = {name: sha256_of(os.path.join(root, name)) for name in RULE_FILES}
    return {n: (registered.get(n), current[n]) for n in RULE_FILES if registered.get(n) != current[n]}
