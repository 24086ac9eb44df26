"""Exact tests behind the verdicts that compare counts or paired seeds, in plain NumPy.

- "Above a bound" (Fig. 6, Eq. (12); the d ≠ 2 question): k of m runs generalized where
  the bound says P ≤ b. Each point gets the exact one-sided binomial p-value
  P(X ≥ k | m, b); the points of one claim are corrected together by Holm's step-down
  procedure, so a claim with many points does not flag a point by chance.
- Paired per-seed differences (Fig. 7's Goldilocks zone): a one-sided paired t-test on
  the per-seed differences, its p-value from Student's t through the regularised
  incomplete beta function.
- The Goldilocks zone (Appendix E): the interior depths where most seeds generalize,
  against both ends of the depth grid, seed by seed.

Nothing here knows a figure; verdicts.RULES states these rules in the report's words.
"""
import math

import numpy as np

ALPHA = 0.05     # one-sided level of every test here (and of a Holm family)


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


# --- Student's t from the regularised incomplete beta ---------------------------------

def _betacf(a, b, x, iters=300, eps=1e-15):
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, iters + 1):
        m2 = 2 * m
        for num in (m * (b - m) * x / ((qam + m2) * (a + m2)),
                    -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < eps:
            break
    return h


def betainc(a, b, x):
    """Regularised incomplete beta I_x(a, b), 0 ≤ x ≤ 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_sf(t, df):
    """P(T > t) for Student's t with df degrees of freedom."""
    tail = 0.5 * betainc(df / 2.0, 0.5, df / (df + t * t))
    return tail if t >= 0 else 1.0 - tail


def paired_t(diffs):
    """One-sided paired t-test of mean(diffs) > 0: (mean, p_greater, p_less); p's are None
    with fewer than 2 differences. Differences that are all equal give p = 0 or 1 (or ½
    at 0): no spread, the sign decides."""
    d = np.asarray(diffs, dtype=float)
    if len(d) < 2:
        return (float(d.mean()) if len(d) else None), None, None
    mean, sd = float(d.mean()), float(d.std(ddof=1))
    if sd == 0.0:
        p = 0.0 if mean > 0 else 1.0 if mean < 0 else 0.5
        return mean, p, (1.0 - p if mean != 0 else 0.5)
    t = mean / (sd / math.sqrt(len(d)))
    return mean, t_sf(t, len(d) - 1), t_sf(-t, len(d) - 1)


# --- The Goldilocks zone (Appendix E, Fig. 7) -----------------------------------------

def goldilocks_zone(depths, test_runs, phases, generalized, confusion, memorization, alpha=ALPHA):
    """Appendix E: "a (sweet spot) where generalization occurs, degrading on both sides":
    confusion when the decoder is too shallow, memorization when too deep.

    The zone Z is the set of interior depths (neither end of the grid) where most seeds
    generalized (Table IV: `generalized` phases). For each seed, the mean test accuracy
    over Z minus that seed's test accuracy at the shallowest depth, and likewise at the
    deepest, are paired differences; each end gets a one-sided paired t-test (mean > 0).
    HOLDS when Z is not empty, most seeds at the shallowest depth are `confusion` and at
    the deepest `memorization`, and both tests give p ≤ alpha (both must hold, an
    intersection–union test, so no multiplicity correction); DOES_NOT_HOLD when Z is
    empty, an end's phases are not the claimed ones, or a difference is significantly
    negative; INCONCLUSIVE otherwise (too few seeds to decide, or not significant).

    test_runs: (depths, seeds) test accuracy per run; phases: (depths, seeds).
    Returns a dict: verdict, zone (depths), why, and the two ends' (mean, p)."""
    from lab.verdicts import HOLDS, DOES_NOT_HOLD, INCONCLUSIVE
    acc = np.asarray(test_runs, dtype=float)
    most = lambda ph, ok: sum(p in ok for p in ph) > len(ph) / 2
    zone = [k for k in range(1, len(depths) - 1) if most(phases[k], generalized)]
    out = {"zone": [depths[k] for k in zone], "shallow": None, "deep": None}
    if not zone:
        return dict(out, verdict=DOES_NOT_HOLD, why="no interior depth generalizes in most seeds")
    ends_ok = most(phases[0], {confusion}) and most(phases[-1], {memorization})
    zmean = acc[zone].mean(axis=0)
    for name, end in (("shallow", 0), ("deep", len(depths) - 1)):
        mean, p_gt, p_lt = paired_t(zmean - acc[end])
        out[name] = (mean, p_gt, p_lt)
    if not ends_ok:
        return dict(out, verdict=DOES_NOT_HOLD,
                    why="the ends are not confusion (shallowest) and memorization (deepest) in most seeds")
    ps = [out[e][1] for e in ("shallow", "deep")]
    if any(out[e][2] is not None and out[e][2] <= alpha for e in ("shallow", "deep")):
        return dict(out, verdict=DOES_NOT_HOLD, why="an end beats the zone, seed by seed")
    if all(p is not None and p <= alpha for p in ps):
        return dict(out, verdict=HOLDS, why="the zone beats both ends, seed by seed")
    return dict(out, verdict=INCONCLUSIVE,
                why="the zone does not beat both ends significantly, seed by seed")
