"""Exact tests with a minimum meaningful difference δ, for the second preregistration
(figures/paper/PREREGISTRATION-2.md, lab/confirm2.py).

A difference smaller than δ is a tie, not an effect: every test here asks whether a
difference lies beyond ±δ (the claim does not hold), or within ±δ (the two are the same,
an equivalence shown by two one-sided tests, TOST), never merely whether it is nonzero.

- Paired seeds (Fig. 3's crossings, Theorem 1's cluster ratios): the exact sign test of
  a shifted median. Under H0: median(d) ≤ δ a difference exceeds δ with probability at
  most ½, so the count of seeds with d > δ is at most Binomial(n, ½):
      p = P(Bin(n, ½) ≥ #{d_s > δ}).
  It needs no symmetry and takes infinite values (a curve that never crosses) as they are.
- Two proportions (Figs. 5 and 8: P(generalized) at two cells): the exact unconditional
  test of H0: p2 − p1 ≤ s against H1: p2 − p1 > s, with statistic T = k2/m2 − k1/m1:
      p = sup over p1 of P_{p1, p1 + s}(T ≥ t_observed),
  every outcome (x1, x2) of the two binomials enumerated. P(T ≥ t) rises with p2 and
  falls with p1, so the supremum over H0 lies on its edge p2 = p1 + s; it is taken over
  a grid of 2,001 values of p1, then refined around the best one by golden sections.
- One proportion against a bound (Fig. 6, Eq. (12)): the exact binomial tail at b + δ.

The family-wise corrections use Holm's procedure of lab/rules.py.
"""
import functools
import math

import numpy as np

from lab.rules import ALPHA, binomial_sf, holm  # noqa: F401  (one name each, re-exported)


# --- Paired seeds: the sign test of a shifted median -----------------------------------

def sign_p(successes, n):
    """P(Bin(n, ½) ≥ successes): the exact sign test's one-sided p-value (1 with n = 0)."""
    return binomial_sf(successes, n, 0.5) if n else 1.0


def median_above(d, delta):
    """H1: median(d) > δ. Exact sign test, p = P(Bin(n, ½) ≥ #{d_s > δ})."""
    d = np.asarray(d, dtype=float)
    return sign_p(int(np.sum(d > delta)), len(d))


def median_below(d, delta):
    """H1: median(d) < −δ. Exact sign test, p = P(Bin(n, ½) ≥ #{d_s < −δ})."""
    d = np.asarray(d, dtype=float)
    return sign_p(int(np.sum(d < -delta)), len(d))


def median_within(d, delta):
    """H1: −δ < median(d) < δ (a tie within δ), by two one-sided sign tests (TOST): the
    larger of P(Bin(n, ½) ≥ #{d_s > −δ}) and P(Bin(n, ½) ≥ #{d_s < δ})."""
    d = np.asarray(d, dtype=float)
    return max(sign_p(int(np.sum(d > -delta)), len(d)), sign_p(int(np.sum(d < delta)), len(d)))


def smallest_sign_p(n):
    """The smallest p the sign test can give n seeds: 2^-n (every seed on the tested side)."""
    return 2.0 ** -n


# --- Two proportions: the exact unconditional test of a shifted difference --------------

def _binomial_pmf(m, p):
    """P(X = x), x = 0..m, for X ~ Binomial(m, p), as an array (p a scalar or a column)."""
    p = np.asarray(p, dtype=float)[..., None]
    x = np.arange(m + 1)
    comb = np.array([math.comb(m, k) for k in x], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = comb * np.where(x == 0, 1.0, p ** x) * np.where(x == m, 1.0, (1 - p) ** (m - x))
    return out


def _tail_at(p1, shift, m1, m2, region):
    """P_{p1, p1 + shift}((X1, X2) in region), region a (m1+1, m2+1) 0/1 array."""
    a, b = _binomial_pmf(m1, p1), _binomial_pmf(m2, np.clip(p1 + shift, 0.0, 1.0))
    return np.einsum("...i,ij,...j->...", a, region, b)


GRID = 2001        # values of the nuisance p1 searched before the refinement
REFINE = 60        # golden-section steps around the best grid value


@functools.lru_cache(maxsize=None)      # a design's few outcomes recur across its members
def difference_above(k1, m1, k2, m2, shift):
    """Exact unconditional p-value of H0: p2 − p1 ≤ shift against H1: p2 − p1 > shift,
    from k1 of m1 and k2 of m2 (independent binomials), statistic T = k2/m2 − k1/m1:
        p = sup_{p1} P_{p1, p1 + shift}(T ≥ t_obs),  p1 over [max(0, −shift), min(1, 1 − shift)].
    shift may be negative (H1: p2 − p1 > −δ, one half of an equivalence test)."""
    if not (0 <= k1 <= m1 and 0 <= k2 <= m2 and m1 >= 1 and m2 >= 1):
        raise ValueError(f"k1={k1}, m1={m1}, k2={k2}, m2={m2} are not allowed: need 0 ≤ k ≤ m, m ≥ 1")
    if not -1.0 < shift < 1.0:
        raise ValueError(f"shift={shift!r} is not allowed: need −1 < shift < 1")
    t = k2 / m2 - k1 / m1
    T = np.arange(m2 + 1)[None, :] / m2 - np.arange(m1 + 1)[:, None] / m1
    region = (T >= t - 1e-12).astype(float)
    lo, hi = max(0.0, -shift), min(1.0, 1.0 - shift)
    grid = np.linspace(lo, hi, GRID)
    values = _tail_at(grid, shift, m1, m2, region)
    best = int(np.argmax(values))
    a, b = grid[max(best - 1, 0)], grid[min(best + 1, GRID - 1)]
    golden = (math.sqrt(5) - 1) / 2
    for _ in range(REFINE):                       # the tail is smooth in p1: refine its maximum
        c, d = b - golden * (b - a), a + golden * (b - a)
        if _tail_at(c, shift, m1, m2, region) >= _tail_at(d, shift, m1, m2, region):
            b = d
        else:
            a = c
    return float(min(1.0, max(values[best], _tail_at((a + b) / 2, shift, m1, m2, region))))


def differ_by_more_than(k1, m1, k2, m2, delta):
    """Two-sided: do p1 and p2 differ by more than δ? Twice the smaller of the one-sided
    p-values of H1: p2 − p1 > δ and H1: p1 − p2 > δ (at most 1). Returns (p, direction):
    direction +1 where p2 is the larger in the data, −1 where p1 is."""
    up, down = difference_above(k1, m1, k2, m2, delta), difference_above(k2, m2, k1, m1, delta)
    return min(1.0, 2 * min(up, down)), (1 if k2 / m2 >= k1 / m1 else -1)


def equal_within(k1, m1, k2, m2, delta):
    """TOST: are p1 and p2 within δ of each other? The larger of the p-values of
    H1: p2 − p1 > −δ and H1: p1 − p2 > −δ."""
    return max(difference_above(k1, m1, k2, m2, -delta), difference_above(k2, m2, k1, m1, -delta))


def smallest_difference_p(m, delta):
    """The smallest two-sided p differ_by_more_than can give m runs per cell (m of m
    against 0 of m): 2 · max_{p1} (1 − p1)^m (p1 + δ)^m = 2 ((1 + δ)/2)^(2m)."""
    return min(1.0, 2 * ((1 + delta) / 2) ** (2 * m))


# --- One proportion against a bound ----------------------------------------------------

def above_by_more_than(k, m, bound, delta):
    """H1: P > bound + δ, from k of m: the exact binomial tail P(X ≥ k | m, bound + δ)
    (1 where bound + δ ≥ 1: nothing can lie that far above)."""
    level = bound + delta
    return 1.0 if level >= 1.0 else binomial_sf(k, m, level)


def below_bound_plus(k, m, bound, delta):
    """H1: P < bound + δ, from k of m: the exact binomial lower tail P(X ≤ k | m, bound + δ)
    (0 where bound + δ > 1: every P lies below it)."""
    level = bound + delta
    if level > 1.0:
        return 0.0
    return 1.0 if k >= m else 1.0 - binomial_sf(k + 1, m, level)
