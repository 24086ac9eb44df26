"""The statistics behind every network verdict, and the rules that turn them into words.

A verdict here is one of HOLDS, DOES_NOT_HOLD, INCONCLUSIVE (or PARTLY where a rule
says so; EXPLORATORY and VACUOUS for rows that are shown, not judged), decided by a rule
stated in the report's words in lab/rulebook.py (printed in every report):

- A phase boundary (Figs. 5 and 8) is a logistic regression of "generalized" on the
  log learning rates, fitted to every run (not to a colour per cell), and only when both
  sides have support (`support`: ≥ 3 runs in ≥ 2 cells each) and the fitted line lies in
  the grid; its slope gets a bootstrap 95% interval in which a resample that loses a
  class counts against the interval (`open_interval`). A claimed slope *holds* when it
  lies in the interval and the competing value does not, is *inconclusive* when both lie
  in it (or there is no boundary), and *does not hold* when it lies outside.
- Where a boundary sits (Fig. 5's "same intercept") is compared as pairwise differences
  against a stated margin (`equal_within`), never by overlapping intervals.
- A crossing of a level (Fig. 3's 0.9) is linearly interpolated between grid points and
  never clamped: a curve that starts above the level crosses "below" the first grid
  point, one that never reaches it crosses "above" the last.

Nothing here trains a network or knows a figure; run_all.py calls it.
"""
from dataclasses import dataclass

import numpy as np

from lab.rules import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, TOO_FEW  # noqa: F401  (one name each)
from lab.rules import ALPHA as SIGN_ALPHA, reachable, sign_flip, smallest_p  # Fig. 3's paired seeds

PARTLY = "partly"
NO_SUPPORT = "not tested (no support)"     # nothing to test: the data hold no case of the claim
EXPLORATORY = "exploratory (no verdict)"   # a reading of our own, shown but not judged
VACUOUS = "vacuous premise"                # a statement whose premise can never hold
N_BOOT = 1000    # bootstrap resamples behind every interval
LEVEL = 0.95     # two-sided coverage of every interval


def _check_runs(*columns):
    n = len(columns[0])
    for c in columns:
        if len(c) != n:
            raise ValueError(f"columns of lengths {[len(c) for c in columns]} are not allowed: "
                             "every run needs one value in each")
    return n


# --- Logistic regression by Newton's method ------------------------------------------

def logistic_fit_many(X, y, ridge=1e-2, iters=100, tol=1e-10):
    """logistic_fit for a batch of data sets at once: X (B, N, p), y (B, N) → β (B, p).

    Each set is fitted by its own Newton iteration (the batch only shares the arithmetic),
    so a resample's β equals what logistic_fit gives it alone."""
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    B, _, p_dim = X.shape
    pen = np.full(p_dim, ridge)
    pen[0] = 0.0
    beta = np.zeros((B, p_dim))
    active = np.ones(B, dtype=bool)
    eye = np.diag(pen) + 1e-12 * np.eye(p_dim)
    for _ in range(iters):
        Xa, ya, ba = X[active], y[active], beta[active]
        z = np.einsum("bnp,bp->bn", Xa, ba)
        p = 0.5 * (1.0 + np.tanh(z / 2))                    # σ(z) without overflow
        grad = np.einsum("bnp,bn->bp", Xa, ya - p) - pen * ba
        hess = np.einsum("bn,bnp,bnq->bpq", p * (1 - p), Xa, Xa) + eye
        step = np.linalg.solve(hess, grad[..., None])[..., 0]
        beta[active] = ba + step
        done = np.max(np.abs(step), axis=1) < tol
        active[np.flatnonzero(active)[done]] = False
        if not active.any():
            break
    return beta


def logistic_fit(X, y, ridge=1e-2, iters=100, tol=1e-10):
    """Maximum of Σ_k [y_k log σ(β·x_k) + (1 − y_k) log(1 − σ(β·x_k))] − (ridge/2) Σ_{j≥1} β_j².

    X: (N, p) with a first column of ones (the intercept, not penalised); y: (N,) in {0, 1}.
    The small ridge keeps β finite when the classes are separable, as a phase diagram's
    usually are; the direction of β then tends to the maximum-margin separator (which
    is why a boundary needs support on both sides before it is fitted: `support`).
    Returns β (p,).
    """
    return logistic_fit_many(np.asarray(X, dtype=float)[None], np.asarray(y, dtype=float)[None],
                             ridge, iters, tol)[0]


def _json_float(v):
    return None if v is None else ("inf" if v == np.inf else "-inf" if v == -np.inf else v)


@dataclass(frozen=True)
class Interval:
    """An estimate with its bootstrap interval; lo/hi are None when it could not be fitted,
    ±inf when more resamples lost their support than the interval's tail can absorb; `lost` is
    the fraction of resamples that lost their support (`support`) (they count against the interval)."""
    value: float | None
    lo: float | None
    hi: float | None
    runs: int              # runs behind it
    note: str = ""         # why there is no value, when there is none
    lost: float = 0.0

    def __post_init__(self):
        for f in ("lo", "hi"):                               # "inf" / "-inf" as saved in JSON
            if isinstance(getattr(self, f), str):
                object.__setattr__(self, f, float(getattr(self, f)))

    def contains(self, v):
        return self.lo is not None and self.lo <= v <= self.hi

    def to_json(self):
        return {"value": self.value, "lo": _json_float(self.lo), "hi": _json_float(self.hi),
                "runs": self.runs, "note": self.note, "lost": self.lost}

    def text(self, spec="+.2f"):
        if self.value is None:
            return f"no fit ({self.note})"
        end = lambda v: "−∞" if v == -np.inf else "+∞" if v == np.inf else format(v, spec)
        lost = (f"; {self.lost:.1%} of resamples lost a side, counted against the interval"
                if self.lost else "")
        return f"{self.value:{spec}} [{end(self.lo)}, {end(self.hi)}{lost}]"


def _bootstrap_indices(n, seed, n_boot=N_BOOT):
    """n_boot resamples of range(n) with replacement, one per row."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, n, (n_boot, n))


def open_interval(value, samples, runs):
    """The 95% interval of bootstrap samples in which a NaN (a resample without `support`,
    so has no fit) counts against the interval: it is placed below every value for the
    lower end and above every value for the upper end. With no NaN this is the usual
    percentile interval; with more than 2.5% NaN an end is ±∞."""
    samples = np.asarray(samples, dtype=float)
    ok = np.sort(samples[np.isfinite(samples)])
    lost = 1.0 - len(ok) / len(samples)
    if lost == 0.0:
        lo, hi = np.quantile(ok, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
        return Interval(float(value), float(lo), float(hi), runs)
    n, n_lost = len(samples), len(samples) - len(ok)
    low = np.r_[np.full(n_lost, -np.inf), ok]
    high = np.r_[ok, np.full(n_lost, np.inf)]
    lo = low[int(np.floor((1 - LEVEL) / 2 * (n - 1)))]
    hi = high[int(np.ceil((1 + LEVEL) / 2 * (n - 1)))]
    return Interval(float(value), float(lo), float(hi), runs, lost=round(float(lost), 4))


def _supported_resamples(x, y, gen, idx):
    """Which bootstrap resamples (rows of idx) still satisfy `support`: a resample that
    loses a side's runs or cells has no boundary to fit, as the data would not, and counts
    against the interval like one that lost a class."""
    return np.array([support(x[i], y[i], gen[i])[0] for i in idx], dtype=bool)


# --- Support before fit ----------------------------------------------------------------

MIN_RUNS, MIN_CELLS = 3, 2   # a boundary needs this many runs of each side, in this many cells


def support(x, y, generalized):
    """Is there a boundary to fit? Each side (generalized, memorizing) needs at least
    MIN_RUNS runs spread over at least MIN_CELLS distinct cells (x, y). Without it the
    logistic fit's direction is set by its ridge penalty, not by the data (one memorizing
    run beside thirty generalized ones is a fit to one point). Returns (ok, why)."""
    x, y, gen = (np.asarray(v, dtype=float) for v in (x, y, generalized))
    for cls, name in ((1.0, "generalized"), (0.0, "memorizing")):
        m = gen == cls
        runs, cells = int(m.sum()), len(set(zip(x[m].tolist(), y[m].tolist())))
        if runs < MIN_RUNS or cells < MIN_CELLS:
            return False, (f"{runs} {name} run{'s' if runs != 1 else ''} in {cells} "
                           f"cell{'s' if cells != 1 else ''}; a boundary needs ≥ {MIN_RUNS} runs "
                           f"of each side in ≥ {MIN_CELLS} cells: no boundary")
    return True, ""


def _line_in_box(b, x, y):
    """Does the P = ½ line β0 + β1 x + β2 y = 0 cross the box of the fitted runs?"""
    if abs(b[2]) < 1e-12:
        x0 = -b[0] / b[1] if abs(b[1]) > 1e-12 else np.inf
        return bool(x.min() <= x0 <= x.max())
    ys = [-(b[0] + b[1] * xv) / b[2] for xv in (x.min(), x.max())]
    return bool(min(ys) <= y.max() and max(ys) >= y.min())


def _fitted(X, x, y, gen, statistic, seed, inside):
    """statistic(β) of the logistic fit to every run, with its bootstrap interval, once the
    runs (cells x, y) support a boundary (`support`, checked by the caller) and the fitted
    boundary lies inside the grid (`inside(β)`); resamples without support count against
    the interval."""
    n = len(gen)
    beta = logistic_fit(X, gen)
    if not inside(beta):
        return Interval(None, None, None, n, "the fitted boundary lies outside the grid: no boundary")
    idx = _bootstrap_indices(n, seed)
    ok = _supported_resamples(x, y, gen, idx)
    samples = np.full(len(idx), np.nan)
    if ok.any():
        betas = logistic_fit_many(X[idx[ok]], gen[idx[ok]])
        samples[ok] = [statistic(b) for b in betas]
    return open_interval(statistic(beta), samples, n)


def _no_fit(x, y, gen):
    ok, why = support(x, y, gen)
    return None if ok else Interval(None, None, None, len(gen), why)


def _neg_ratio(num, den):
    return -num / den if abs(den) > 1e-12 else np.nan


def _design(x, y):
    return np.column_stack([np.ones(len(x)), x, y])


def boundary_slope(x, y, generalized, seed=0):
    """Slope of the generalization boundary in the (x, y) plane of log learning rates.

    Logistic regression P(generalized) = σ(β0 + β1 x + β2 y) over every run; the
    boundary P = 1/2 is the line y = −(β1/β2) x − β0/β2, so the slope is −β1/β2.
    No fit without `support` or with the line outside the runs' box.
    """
    n = _check_runs(x, y, generalized)
    x, y, gen = (np.asarray(v, dtype=float) for v in (x, y, generalized))
    refused = _no_fit(x, y, gen)
    if refused or n == 0:
        return refused
    return _fitted(_design(x, y), x, y, gen, lambda b: _neg_ratio(b[1], b[2]), seed,
                   lambda b: _line_in_box(b, x, y))


def boundary_line(x, y, generalized):
    """(slope, intercept) of the P = 1/2 line y = slope·x + intercept of the logistic fit to
    all runs (boundary_slope's point estimate), or None without support."""
    x, y, gen = (np.asarray(v, dtype=float) for v in (x, y, generalized))
    if len(gen) == 0 or not support(x, y, gen)[0]:
        return None
    b = logistic_fit(_design(x, y), gen)
    return (-b[1] / b[2], -b[0] / b[2]) if abs(b[2]) > 1e-12 and _line_in_box(b, x, y) else None


def critical_log_ratio(x, y, generalized, seed=0):
    """log10 of the learning-rate ratio where P(generalized) = 1/2, with the slope held at +1.

    Logistic regression on r = y − x = log10(η_dec/η_enc): P = σ(β0 + β1 r), so the
    critical r* = −β0/β1 (Eq. (12) predicts the boundary at a fixed ratio). No fit without
    `support` or with r* outside the runs' range of r.
    """
    _check_runs(x, y, generalized)
    x, y, gen = (np.asarray(v, dtype=float) for v in (x, y, generalized))
    refused = _no_fit(x, y, gen)
    if refused:
        return refused
    r = y - x
    X = np.column_stack([np.ones(len(r)), r])
    inside = lambda b: abs(b[1]) > 1e-12 and r.min() <= -b[0] / b[1] <= r.max()
    return _fitted(X, x, y, gen, lambda b: _neg_ratio(b[0], b[1]), seed, inside)


def _place(b, x0):
    """log10 ratio on the fitted line at log10 η_enc = x0: y*(x0) − x0."""
    return -(b[0] + b[1] * x0) / b[2] - x0 if abs(b[2]) > 1e-12 else np.nan


def place_samples(x, y, generalized, x0, seed=0, extrapolate=False):
    """The boundary's place at one η_enc: log10 η_dec/η_enc on the relation's own fitted
    line (any slope) at log10 η_enc = x0, and its bootstrap samples (NaN where a resample
    lost its support). (None, None, why) without support or when the place leaves the grid,
    the why saying on which side (above or below the η_dec grid). extrapolate: give the
    place and samples even off the grid, (value, samples, 'above'/'below'/''), for a text
    that marks them as extrapolated; no verdict reads them."""
    x, y, gen = (np.asarray(v, dtype=float) for v in (x, y, generalized))
    ok, why = support(x, y, gen)
    if not ok:
        return None, None, why
    X = _design(x, y)
    b = logistic_fit(X, gen)
    value = _place(b, x0)
    side = ("" if not np.isfinite(value) or y.min() <= value + x0 <= y.max() else
            "above" if value + x0 > y.max() else "below")
    if not np.isfinite(value) or (side and not extrapolate):
        return None, None, (f"the fitted boundary passes {side} the η_dec grid at that η_enc: no boundary"
                            if side else "the fitted boundary is parallel to the η_dec axis: no boundary")
    idx = _bootstrap_indices(len(gen), seed)
    good = _supported_resamples(x, y, gen, idx)
    samples = np.full(len(idx), np.nan)
    if good.any():
        samples[good] = [_place(bb, x0) for bb in logistic_fit_many(X[idx[good]], gen[idx[good]])]
    return float(value), samples, side if extrapolate else ""


def ratio_samples(x, y, generalized, seed=0):
    """critical_log_ratio's value and bootstrap samples (NaN where a resample lost its support),
    for differences between columns: (value, samples, why), (None, None, why) without a fit."""
    crit = critical_log_ratio(x, y, generalized, seed=seed)
    if crit.value is None:
        return None, None, crit.note
    x, y, gen = (np.asarray(v, dtype=float) for v in (x, y, generalized))
    r = y - x
    X = np.column_stack([np.ones(len(r)), r])
    idx = _bootstrap_indices(len(gen), seed)
    good = _supported_resamples(x, y, gen, idx)
    samples = np.full(len(idx), np.nan)
    if good.any():
        samples[good] = [_neg_ratio(b[0], b[1]) for b in logistic_fit_many(X[idx[good]], gen[idx[good]])]
    return crit.value, samples, ""


def samples_interval(value_samples_why, runs=0):
    """An Interval from (value, samples, why) as place_samples / ratio_samples give them."""
    value, samples, why = value_samples_why
    return Interval(None, None, None, runs, why) if value is None else open_interval(value, samples, runs)


def place_difference(a, b):
    """Difference of two relations' places (place_samples outputs), each resampled on its
    own, as an Interval: a resample where either lost its support counts against it."""
    (va, sa, why_a), (vb, sb, why_b) = a, b
    if va is None or vb is None:
        return Interval(None, None, None, 0, why_a or why_b)
    return open_interval(va - vb, sa - sb, 0)


def equal_within(diffs, margin):
    """'The same place' as an equivalence test: HOLDS when every pairwise difference's
    interval lies within ±margin; DOES_NOT_HOLD when one lies wholly outside it;
    INCONCLUSIVE otherwise (or when a difference has no fit)."""
    if not diffs or any(d.lo is None for d in diffs):
        return INCONCLUSIVE
    if all(-margin <= d.lo and d.hi <= margin for d in diffs):
        return HOLDS
    if any(d.lo > margin or d.hi < -margin for d in diffs):
        return DOES_NOT_HOLD
    return INCONCLUSIVE


def column_transitions(x, y, generalized, seed=0):
    """Per distinct x (an η_enc column): the critical log10 η_dec/η_enc of that column's
    runs alone (critical_log_ratio, with the same support rule). [(x, Interval), ...]"""
    x, y, gen = (np.asarray(v, dtype=float) for v in (x, y, generalized))
    return [(float(xv), critical_log_ratio(x[x == xv], y[x == xv], gen[x == xv], seed=seed))
            for xv in np.unique(x)]


def judge(interval, claim, rival=None):
    """HOLDS if claim lies in the interval and rival does not; INCONCLUSIVE if both do or
    there is no interval; DOES_NOT_HOLD if claim lies outside."""
    if interval.lo is None:
        return INCONCLUSIVE
    if not interval.contains(claim):
        return DOES_NOT_HOLD
    if rival is not None and interval.contains(rival):
        return INCONCLUSIVE
    return HOLDS


def judge_flat(interval):
    """Slope 0 (Fig. 8: the boundary does not move): HOLDS when 0 lies in the interval,
    unless the interval is so wide that it also holds both ±1 (then INCONCLUSIVE);
    DOES_NOT_HOLD when 0 lies outside."""
    verdict = judge(interval, 0.0)
    if verdict == HOLDS and interval.contains(1.0) and interval.contains(-1.0):
        return INCONCLUSIVE
    return verdict


def graded(ok, partly=False):
    """HOLDS when ok, else PARTLY when partly, else DOES_NOT_HOLD (rules with a tolerance
    and a looser one, e.g. Fig. 2's |MC − Eq. (5)| ≤ 0.1, ≤ 0.2)."""
    return HOLDS if ok else (PARTLY if partly else DOES_NOT_HOLD)


def intervals_overlap(intervals):
    """True when one value lies in every interval (all fitted), i.e. max(lo) ≤ min(hi)."""
    return all(i.lo is not None for i in intervals) and max(i.lo for i in intervals) <= min(
        i.hi for i in intervals)


# --- Crossings of a level, never clamped ---------------------------------------------

@dataclass(frozen=True)
class Crossing:
    """Where a curve first reaches a level: `value` when inside the grid; otherwise
    `censored` says "below" (already at the level at the first point x[0]) or "above"
    (never reaches it; x[-1] is the last point) and `value` is that grid edge."""
    value: float
    censored: str | None = None

    def text(self, spec=".3f"):
        if self.censored == "below":
            return f"below {self.value:{spec}}"
        if self.censored == "above":
            return f"above {self.value:{spec}}"
        return format(self.value, spec)

    def to_json(self):
        return {"value": self.value, "censored": self.censored}


def crossing(x, y, level=0.9):
    """First x where y reaches level, linearly interpolated between grid points."""
    if y[0] >= level:
        return Crossing(float(x[0]), "below")
    for k in range(1, len(x)):
        if y[k] >= level:
            t = (level - y[k - 1]) / (y[k] - y[k - 1])
            return Crossing(float(x[k - 1] + t * (x[k] - x[k - 1])))
    return Crossing(float(x[-1]), "above")


def crossing_interval(x, Y, level=0.9, seed=0):
    """Crossing of the seed-mean curve of Y (len(x), seeds), with a bootstrap interval over
    seeds (resampled per grid point). Returns (Crossing, lo, hi); lo/hi are Crossings too,
    censored where the resampled curves cross outside the grid."""
    Y = np.asarray(Y, dtype=float)
    point = crossing(x, Y.mean(axis=1), level)
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(N_BOOT):
        pick = rng.integers(0, Y.shape[1], Y.shape)
        boots.append(crossing(x, np.take_along_axis(Y, pick, axis=1).mean(axis=1), level))
    # order censored crossings at the edges: below x[0] first, above x[-1] last
    key = [(-np.inf if c.censored == "below" else np.inf if c.censored == "above" else c.value)
           for c in boots]
    order = np.argsort(key, kind="stable")
    lo = boots[order[int(np.floor((1 - LEVEL) / 2 * N_BOOT))]]
    hi = boots[order[int(np.ceil((1 + LEVEL) / 2 * N_BOOT)) - 1]]
    return point, lo, hi


def crossing_ranges_overlap(a, b):
    """Do two crossing intervals (lo, hi) overlap? Censored ends extend to ±∞."""
    def bounds(lo, hi):
        return (-np.inf if lo.censored == "below" else lo.value,
                np.inf if hi.censored == "above" else hi.value)
    (a0, a1), (b0, b1) = bounds(*a), bounds(*b)
    return max(a0, b0) <= min(a1, b1)


# --- Proportions ---------------------------------------------------------------------

def wilson_interval(k, m, z=1.959964):
    """Wilson score 95% interval of a binomial proportion k/m (defined at k = 0 and k = m)."""
    if m < 1:
        raise ValueError(f"m={m!r} is not allowed: need at least one trial")
    p = k / m
    centre = (p + z * z / (2 * m)) / (1 + z * z / m)
    half = z * np.sqrt(p * (1 - p) / m + z * z / (4 * m * m)) / (1 + z * z / m)
    # clamp so that lo ≤ k/m ≤ hi also after rounding (k = m gave hi = 1 − 1e-16)
    return float(max(0.0, min(p, centre - half))), float(min(1.0, max(p, centre + half)))


# --- Which variant crosses first (Fig. 3) ----------------------------------------------

def crossing_range_text(c):
    """'0.061 [0.050, 0.074]' for a (point, lo, hi) crossing as stored (crossing_interval)."""
    point, lo, hi = (Crossing(**x) for x in c)
    return f"{point.text('.3f')} [{lo.text('.3f')}, {hi.text('.3f')}]"


def crossing_key(c):
    """A Crossing as a number that orders crossings: 'below' the grid → −∞, 'above' → +∞
    (censoring matters only through the order; two 'above's, or two 'below's, tie)."""
    if c.censored == "below":
        return -np.inf
    if c.censored == "above":
        return np.inf
    return c.value


def seed_crossings(x, Y, level=0.9):
    """Each seed's own first crossing of level (`crossing`): Y is (len(x), seeds), one
    column per seed; None for a seed whose curve misses a point (an unfinished run)."""
    Y = np.asarray(Y, dtype=float)
    return [crossing(x, Y[:, s], level) if np.isfinite(Y[:, s]).all() else None
            for s in range(Y.shape[1])]


def crossing_signs(other, expected):
    """Per seed, sign(other's crossing − expected's): +1 where the other variant crosses
    later, −1 earlier, 0 a tie (equal values, or both censored on the same side). Seeds
    missing in either list are left out, so both lists must be paired by seed."""
    signs = []
    for a, b in zip(other, expected):
        if a is None or b is None:
            continue
        ka, kb = crossing_key(a), crossing_key(b)
        signs.append(0 if ka == kb else 1 if ka > kb else -1)
    return signs


@dataclass(frozen=True)
class SeedComparison:
    """The expected variant against one other, seed by seed (`smallest_crossing_verdict`):
    p_later tests 'the other crosses later' (the expected variant's gap is smaller),
    p_earlier the reverse; both exact one-sided sign tests on `signs`."""
    other: str
    signs: tuple
    p_later: float
    p_earlier: float

    @property
    def pairs(self):
        return len(self.signs)

    def counts(self):
        """(later, earlier, tied) seeds of the other variant."""
        return (sum(s > 0 for s in self.signs), sum(s < 0 for s in self.signs),
                sum(s == 0 for s in self.signs))


def compare_by_seed(variants, runs, x, expected, level=0.9):
    """Fig. 3: every other variant's per-seed 0.9 crossings against the expected one's.

    runs: (variants, len(x), seeds) accuracy curves, a seed being one training split
    shared by every variant at a fraction. Per seed each variant's own first crossing
    (`seed_crossings`); the signs of (other − expected) go to the exact sign-flip test
    (rules.sign_flip on signs is the exact sign test; ties are zeros, which only raise p).
    Returns [SeedComparison, ...] in the variants' order, the expected one left out."""
    runs = np.asarray(runs, dtype=float)
    per_seed = {v: seed_crossings(x, Y, level) for v, Y in zip(variants, runs)}
    out = []
    for v in variants:
        if v == expected:
            continue
        signs = crossing_signs(per_seed[v], per_seed[expected])
        p_later, p_earlier = sign_flip(signs) if signs else (1.0, 1.0)
        out.append(SeedComparison(v, tuple(signs), p_later, p_earlier))
    return out


NOT_PAIRED = "per-seed curves not saved: seeds not paired"


def smallest_crossing_verdict(variants, runs, x, expected, alpha=SIGN_ALPHA):
    """Fig. 3 (Section III): 'the inductive gap is the smallest' for the expected variant,
    tested seed by seed. The expected variant must cross 0.9 earlier than every other one:
    an intersection–union test, each comparison (`compare_by_seed`) one-sided at alpha with
    no correction, p = the largest p_later. In order:
      TOO_FEW        without per-seed curves (runs None: NOT_PAIRED);
      DOES_NOT_HOLD  when another variant crosses significantly earlier (p_earlier ≤ alpha)
                     on seeds that can reach alpha;
      TOO_FEW        when some comparison's seeds cannot reach alpha (rules.reachable);
      HOLDS          when every comparison has p_later ≤ alpha;
      INCONCLUSIVE   otherwise.
    Returns (verdict, why, comparisons, p); p is None when nothing was tested."""
    if runs is None:
        return TOO_FEW, NOT_PAIRED, [], None
    comps = compare_by_seed(variants, runs, x, expected)
    p = max(c.p_later for c in comps)
    testable = [c for c in comps if reachable(c.pairs, alpha)]
    earlier = [c for c in testable if c.p_earlier <= alpha]
    if earlier:
        worst = min(earlier, key=lambda c: c.p_earlier)
        return (DOES_NOT_HOLD, f"{worst.other} crosses 0.9 earlier than {expected} "
                f"(p = {worst.p_earlier:.3g})", comps, p)
    if len(testable) < len(comps):
        fewest = min(c.pairs for c in comps)
        return (TOO_FEW, f"{fewest} paired seeds: the exact sign test's smallest p, "
                f"{smallest_p(fewest):.3g}, cannot reach {alpha:g}", comps, p)
    if p <= alpha:
        return HOLDS, f"{expected} crosses 0.9 earlier than every other variant, seed by seed", comps, p
    return (INCONCLUSIVE, f"{expected} is not significantly earlier than every other variant", comps, p)
