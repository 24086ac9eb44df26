"""Exact tests behind the verdicts that compare counts or paired seeds, in plain NumPy.

- "Above a bound" (Fig. 6, Eq. (12); the d ≠ 2 question): k of m runs generalized where
  the bound says P ≤ b. Each point gets the exact one-sided binomial p-value
  P(X ≥ k | m, b); the points of one claim are corrected together by Holm's step-down
  procedure, so a claim with many points does not flag a point by chance.
- Paired per-seed differences (Fig. 7's Goldilocks zone, Fig. 3's smallest gap): the
  exact sign-flip test, which enumerates every one of the 2^n sign patterns of the n
  differences. It assumes only that, with no effect, each difference is as likely
  positive as negative; its smallest attainable p-value is 2^-n, so a design is checked
  against its level before it is run (`reachable`): 4 pairs can never reach 0.05.
- The Goldilocks zone (Appendix E): depths that beat both ends of the depth grid, seed
  by seed. The zone is either fixed in advance (the preregistered confirmation, lab/confirm.py)
  or read from the same data (`majority_zone`, exploratory).

Nothing here knows a figure; verdicts.RULES states these rules in the report's words.
"""
import math

import numpy as np

ALPHA = 0.05     # one-sided level of every test here (and of a Holm family)
HOLDS, DOES_NOT_HOLD, INCONCLUSIVE = "holds", "does not hold", "inconclusive"
TOO_FEW = "too few runs"   # the design's smallest attainable p cannot reach its level
MAX_PAIRS = 30             # exact enumeration: 2^15 sums per half at most


# --- Exact binomial tail and Holm's correction ----------------------------------------

def binomial_sf(k, m, b):
    """P(X ≥ k) for X ~ Binomial(m, b), summed exactly (m is a few seeds to a few hundred)."""
    if not 0 <= k <= m:
        raise ValueError(f"k={k!r}, m={m!r} is not allowed: need 0 ≤ k ≤ m")
    b = min(max(float(b), 0.0), 1.0)
    if k == 0:
        return 1.0
    if b == 0.0:
        return 0.0
    if b == 1.0:
        return 1.0
    return float(min(1.0, sum(math.comb(m, j) * b ** j * (1 - b) ** (m - j) for j in range(k, m + 1))))


def holm(pvalues, alpha=ALPHA):
    """Holm's step-down procedure: which hypotheses are rejected at family level alpha.

    Sort p ascending; reject p_(i) while p_(i) ≤ alpha / (N − i) (i from 0); stop at the
    first that is not. Controls the family-wise error rate for any dependence."""
    p = np.asarray(pvalues, dtype=float)
    reject = np.zeros(len(p), dtype=bool)
    for i, idx in enumerate(np.argsort(p, kind="stable")):
        if p[idx] > alpha / (len(p) - i):
            break
        reject[idx] = True
    return reject


def above_bound(points, alpha=ALPHA):
    """points: [(k generalized, m runs, bound b), ...], the points of one claim. Returns
    (p-values, rejected): point i lies significantly above its bound when Holm rejects
    H0: P ≤ b_i on the exact one-sided binomial p-value P(X ≥ k_i | m_i, b_i)."""
    pv = [binomial_sf(k, m, b) for k, m, b in points]
    return pv, holm(pv, alpha)


# --- The exact sign-flip test of paired differences -----------------------------------

def _signed_sums(a):
    """Σ_i s_i a_i for every sign pattern s ∈ {−1, +1}^len(a), as a flat array (2^len(a))."""
    sums = np.zeros(1)
    for x in a:
        sums = np.concatenate([sums + x, sums - x])
    return sums


def sign_flip(diffs):
    """Exact one-sided sign-flip (permutation) test of paired differences d_1 … d_n.

    Under H0 each d_i is symmetric about 0, so its sign is a fair coin given |d_i|: the
    2^n patterns s of signs are equally likely, and T = Σ s_i |d_i| has the exact null
    distribution of Σ d_i. Returns (p_greater, p_less):
        p_greater = #{s : Σ s_i |d_i| ≥ Σ d_i} / 2^n,   p_less = #{s : Σ s_i |d_i| ≤ Σ d_i} / 2^n,
    every pattern enumerated (the two halves of the differences are enumerated apart and
    counted against each other in sorted order, so n = 30 costs 2 × 2^15 sums). A
    pattern ties the observed sum within 1e-12 of Σ|d_i| and counts (conservative). Zero
    differences carry no sign and only raise p. Needs 1 ≤ n ≤ MAX_PAIRS.
    """
    d = np.asarray(diffs, dtype=float).ravel()
    if not 1 <= len(d) <= MAX_PAIRS or not np.isfinite(d).all():
        raise ValueError(f"diffs of length {len(d)} (finite: {bool(np.isfinite(d).all())}) are not "
                         f"allowed: need 1 to {MAX_PAIRS} finite paired differences")
    a, observed = np.abs(d), float(d.sum())
    tol = 1e-12 * max(1.0, float(a.sum()))
    half = len(a) // 2
    low, high = np.sort(_signed_sums(a[:half])), _signed_sums(a[half:])
    at_least = len(low) - np.searchsorted(low, observed - tol - high, side="left")
    at_most = np.searchsorted(low, observed + tol - high, side="right")
    total = 2.0 ** len(a)
    return float(at_least.sum() / total), float(at_most.sum() / total)


def smallest_p(pairs):
    """The smallest p-value the sign-flip test can give n pairs: 2^-n (every difference
    nonzero and of the tested sign)."""
    return 2.0 ** -pairs


def reachable(pairs, alpha=ALPHA, family=1):
    """Can a sign-flip test on `pairs` pairs ever reject at the first (strictest) step of
    Holm's procedure over `family` tests at level alpha, i.e. is 2^-n ≤ alpha / family?"""
    return pairs >= 1 and smallest_p(pairs) <= alpha / family


def fewest_pairs(alpha=ALPHA, family=1):
    """The fewest pairs a sign-flip design needs to reach alpha / family (e.g. 5 for 0.05)."""
    return math.ceil(math.log2(family / alpha))


# --- The Goldilocks zone (Appendix E, Fig. 7) -----------------------------------------

def majority_zone(phases, generalized):
    """The exploratory zone: the interior depths (indices 1 … len − 2, neither end of the
    grid) where most seeds generalized (Table IV: `generalized` phases)."""
    return [k for k in range(1, len(phases) - 1)
            if sum(p in generalized for p in phases[k]) > len(phases[k]) / 2]


def zone_statistics(test_runs, phases, zone, shallow, deep, generalized, confusion, memorization):
    """The Goldilocks statistics on (depths, seeds) arrays, with the zone and the two ends
    given as depth indices:

    - per seed, the zone's mean test accuracy minus that seed's test accuracy at the
      shallow end (d_shallow) and at the deep end (d_deep), each tested one-sided by the
      exact sign-flip test (`sign_flip`);
    - the claim needs both ends beaten, an intersection–union test whose p-value is the
      larger of the two: p = max(p_shallow, p_deep);
    - the phases the claim names: most seeds `confusion` at the shallow end, most seeds
      `memorization` at the deep end, and more than half of the zone's runs generalized.

    Only seeds with a finished run at every depth used are paired; the rest are dropped.
    Returns a dict: zone, pairs, p, and per end (mean, p_greater, p_less), phases_ok, why."""
    acc = np.asarray(test_runs, dtype=float)
    used = sorted(set(zone) | {shallow, deep})
    seeds = [s for s in range(acc.shape[1]) if np.isfinite(acc[used, s]).all()
             and all(phases[k][s] is not None for k in used)]
    out = {"zone": list(zone), "pairs": len(seeds), "p": None, "shallow": None, "deep": None}
    most = lambda runs, ok: sum(p in ok for p in runs) > len(runs) / 2
    zone_runs = [phases[k][s] for k in zone for s in seeds]
    checks = ((most([phases[shallow][s] for s in seeds], {confusion}), "the shallow end is not confusion in most seeds"),
              (most([phases[deep][s] for s in seeds], {memorization}), "the deep end is not memorization in most seeds"),
              (most(zone_runs, generalized), "the zone's runs do not generalize in most cases"))
    failed = [why for ok, why in checks if not ok]
    out["phases_ok"], out["phases_why"] = not failed, "; ".join(failed)
    if not seeds or not zone:
        return out
    zmean = acc[np.ix_(zone, seeds)].mean(axis=0)
    for name, end in (("shallow", shallow), ("deep", deep)):
        diff = zmean - acc[end, seeds]
        out[name] = (float(diff.mean()),) + sign_flip(diff)
    out["p"] = max(out["shallow"][1], out["deep"][1])
    return out


def zone_verdicts(stats, alpha=ALPHA):
    """Verdicts for a family of zone_statistics (one claim: Fig. 7; or one relation's
    widths in the Goldilocks map), Holm's procedure over the family's intersection–union
    p-values. In order, for each member:
      TOO_FEW        when its pairs cannot reach alpha / len(family) (`reachable`);
      DOES_NOT_HOLD  when the zone is empty, the phases are not the claimed ones, or an
                     end beats the zone (its p_less ≤ alpha / len(family));
      HOLDS          when Holm rejects its null hypothesis;
      INCONCLUSIVE   otherwise.
    Returns [(verdict, why), ...] in the family's order."""
    m = len(stats)
    reject = holm([1.0 if s["p"] is None else s["p"] for s in stats], alpha)
    out = []
    for s, rejected in zip(stats, reject):
        if not reachable(s["pairs"], alpha, m):
            out.append((TOO_FEW, f"{s['pairs']} paired seeds: the exact test's smallest p, "
                                 f"{smallest_p(s['pairs']):.3g}, cannot reach {alpha / m:.3g}"))
        elif not s["zone"]:
            out.append((DOES_NOT_HOLD, "no interior depth generalizes in most seeds"))
        elif not s["phases_ok"]:
            out.append((DOES_NOT_HOLD, s["phases_why"]))
        elif min(s["shallow"][2], s["deep"][2]) <= alpha / m:
            out.append((DOES_NOT_HOLD, "an end beats the zone, seed by seed"))
        elif rejected:
            out.append((HOLDS, "the zone beats both ends, seed by seed"))
        else:
            out.append((INCONCLUSIVE, "the zone does not beat both ends significantly, seed by seed"))
    return out
