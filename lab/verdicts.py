"""The statistics behind every network verdict, and the rules that turn them into words.

A verdict here is one of HOLDS, DOES_NOT_HOLD, INCONCLUSIVE (or PARTLY where a rule
says so), decided by a rule written down before the numbers are seen:

- A phase boundary (Figs. 5 and 8) is a logistic regression of "generalized" on the
  log learning rates, fitted to every run (not to a colour per cell); its slope gets a
  bootstrap 95% interval. A claimed slope *holds* when it lies in the interval and the
  competing value does not, is *inconclusive* when both lie in it (or the fit has too
  little data), and *does not hold* when it lies outside.
- A crossing of a level (Fig. 3's 0.9) is linearly interpolated between grid points and
  never clamped: a curve that starts above the level crosses "below" the first grid
  point, one that never reaches it crosses "above" the last.

Nothing here trains a network or knows a figure; run_all.py calls it.
"""
from dataclasses import dataclass

import numpy as np

HOLDS, PARTLY, DOES_NOT_HOLD, INCONCLUSIVE = "holds", "partly", "does not hold", "inconclusive"
N_BOOT = 1000    # bootstrap resamples behind every interval
LEVEL = 0.95     # two-sided coverage of every interval


def _check_runs(*columns):
    n = len(columns[0])
    for c in columns:
        if len(c) != n:
            raise ValueError(f"columns of lengths {[len(c) for c in columns]} are not allowed: "
                             "every run needs one value in each")
    return n


# --- The rules as the report states them ---------------------------------------------

RULES = (
    "Every interval is a 95% interval: bootstrap (1,000 resamples of the runs or seeds) for "
    "fitted slopes, ratios and crossings; Wilson score for a proportion P(generalized) at one point.",
    "'Generalized' is Table IV's generalization or grokking. A phase boundary is fitted to the "
    "generalized and memorizing runs (confusion, which trains nothing, sits on neither side) as a "
    "logistic regression of 'generalized' on the log learning rates; its slope is −β1/β2.",
    "A claimed slope holds when it lies in the slope's interval and the rival value (−1 against "
    "+1) does not; inconclusive when both do, or the fit has no interval; does not hold when it "
    "lies outside. Fig. 8's slope 0 holds when 0 lies in the interval unless the interval also "
    "holds both ±1 (inconclusive).",
    "The boundary's place is the critical ratio η_dec/η_enc where P(generalized) = ½ with the "
    "slope held at +1. 'The same for every relation' holds when the relations' intervals share a "
    "value, does not hold when two are disjoint; 'ratio ≲ 10' holds when every interval lies "
    "within half a decade of 10, does not hold when one lies wholly outside.",
    "Eq. (12) is an upper bound: it holds when no measured P(generalized) lies significantly "
    "above it (Wilson interval wholly above); it does not hold otherwise.",
    "Fig. 3: a crossing outside the grid is reported as 'below'/'above' the grid edge, never "
    "clamped. The smallest-gap variant holds when it is the expected one and its interval "
    "overlaps no other variant's; does not hold when another variant's interval lies wholly "
    "below the expected one's; inconclusive otherwise.",
    "Fig. 3's 'network under the bound' holds when no (variant, fraction) mean exceeds the "
    "Monte Carlo bound by more than 0.01; partly when at most a quarter do.",
    "Fig. 7: the peak depth must be interior, generalize in most of its seeds, and exceed each "
    "neighbour's mean test accuracy by more than 2√(se_peak² + se_neighbour²); the shallowest "
    "depth must be confusion and the deepest memorization in most seeds. Only the separation "
    "failing makes it inconclusive.",
    "Theorem 1 holds when generalized runs have median cluster ratio < 0.2 and memorized runs "
    "> 0.5, with median embedding displacements within a factor 3 of each other "
    "(inconclusive otherwise, with an empty group, or when a generalized run's final training "
    "loss is ≥ 0.05: the theorem speaks of zero-loss runs only).",
    "Statics and the repon theory (exact computations): Monte Carlo agrees within 3 standard "
    "errors; Eq. (5) agrees roughly with the Monte Carlo bound within 0.1 (partly: 0.2).",
)


# --- Logistic regression by Newton's method ------------------------------------------

def logistic_fit(X, y, ridge=1e-2, iters=100, tol=1e-10):
    """Maximum of Σ_k [y_k log σ(β·x_k) + (1 − y_k) log(1 − σ(β·x_k))] − (ridge/2) Σ_{j≥1} β_j².

    X: (N, p) with a first column of ones (the intercept, not penalised); y: (N,) in {0, 1}.
    The small ridge keeps β finite when the classes are separable, as a phase diagram's
    usually are; the direction of β then tends to the maximum-margin separator.
    Returns β (p,).
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    pen = np.full(X.shape[1], ridge)
    pen[0] = 0.0
    beta = np.zeros(X.shape[1])
    for _ in range(iters):
        z = X @ beta
        p = 0.5 * (1.0 + np.tanh(z / 2))                    # σ(z) without overflow
        grad = X.T @ (y - p) - pen * beta
        hess = (X * (p * (1 - p))[:, None]).T @ X + np.diag(pen) + 1e-12 * np.eye(len(beta))
        step = np.linalg.solve(hess, grad)
        beta += step
        if np.max(np.abs(step)) < tol:
            break
    return beta


@dataclass(frozen=True)
class Interval:
    """An estimate with its bootstrap interval; lo/hi are None when it could not be fitted."""
    value: float | None
    lo: float | None
    hi: float | None
    runs: int              # runs behind it
    note: str = ""         # why there is no value, when there is none

    def contains(self, v):
        return self.lo is not None and self.lo <= v <= self.hi

    def to_json(self):
        return {"value": self.value, "lo": self.lo, "hi": self.hi, "runs": self.runs, "note": self.note}

    def text(self, spec="+.2f"):
        if self.value is None:
            return f"no fit ({self.note})"
        return f"{self.value:{spec}} [{self.lo:{spec}}, {self.hi:{spec}}]"


def _bootstrap(stat, n, seed, n_boot=N_BOOT):
    """stat(indices) on n_boot resamples of range(n) with replacement; NaN where undefined."""
    rng = np.random.default_rng(seed)
    return np.array([stat(rng.integers(0, n, n)) for _ in range(n_boot)])


def _interval(value, samples, runs):
    ok = samples[np.isfinite(samples)]
    if len(ok) < 0.5 * len(samples):
        return Interval(float(value), None, None, runs, "most resamples could not be fitted")
    lo, hi = np.quantile(ok, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    return Interval(float(value), float(lo), float(hi), runs)


def _both_classes(y):
    return 0 < np.sum(y) < len(y)


def _fit_interval(X, gen, statistic, seed):
    """statistic(β) of the logistic fit to every run, with its bootstrap interval (runs
    resampled with replacement and refitted); NaN where a resample has one class only."""
    n = len(gen)
    if not _both_classes(gen):
        return Interval(None, None, None, n, "every run on one side: no boundary in the grid")

    def stat(idx):
        return statistic(logistic_fit(X[idx], gen[idx])) if _both_classes(gen[idx]) else np.nan
    return _interval(stat(np.arange(n)), _bootstrap(stat, n, seed), n)


def _neg_ratio(num, den):
    return -num / den if abs(den) > 1e-12 else np.nan


def boundary_slope(x, y, generalized, seed=0):
    """Slope of the generalization boundary in the (x, y) plane of log learning rates.

    Logistic regression P(generalized) = σ(β0 + β1 x + β2 y) over every run; the
    boundary P = 1/2 is the line y = −(β1/β2) x − β0/β2, so the slope is −β1/β2.
    """
    n = _check_runs(x, y, generalized)
    X = np.column_stack([np.ones(n), np.asarray(x, dtype=float), np.asarray(y, dtype=float)])
    return _fit_interval(X, np.asarray(generalized, dtype=float), lambda b: _neg_ratio(b[1], b[2]), seed)


def boundary_line(x, y, generalized):
    """(slope, intercept) of the P = 1/2 line y = slope·x + intercept of the logistic fit to
    all runs (boundary_slope's point estimate), or None without both classes."""
    x, y, gen = (np.asarray(v, dtype=float) for v in (x, y, generalized))
    if not _both_classes(gen):
        return None
    b = logistic_fit(np.column_stack([np.ones(len(x)), x, y]), gen)
    return (-b[1] / b[2], -b[0] / b[2]) if abs(b[2]) > 1e-12 else None


def critical_log_ratio(x, y, generalized, seed=0):
    """log10 of the learning-rate ratio where P(generalized) = 1/2, with the slope held at +1.

    Logistic regression on r = y − x = log10(η_dec/η_enc): P = σ(β0 + β1 r), so the
    critical r* = −β0/β1 (Eq. (12) predicts the boundary at a fixed ratio).
    """
    n = _check_runs(x, y, generalized)
    X = np.column_stack([np.ones(n), np.asarray(y, dtype=float) - np.asarray(x, dtype=float)])
    return _fit_interval(X, np.asarray(generalized, dtype=float), lambda b: _neg_ratio(b[0], b[1]), seed)


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


def smallest_crossing_verdict(variants, crossings, expected):
    """Fig. 3 rule: the variant with the smallest 0.9 crossing (smallest inductive gap) is
    `best`; HOLDS if best is the expected one and its interval overlaps no other variant's,
    DOES_NOT_HOLD if best is another variant whose interval misses the expected one's,
    INCONCLUSIVE otherwise (intervals overlap)."""
    ranges = {v: tuple(Crossing(**x) for x in c[1:]) for v, c in zip(variants, crossings)}
    points = {v: Crossing(**c[0]) for v, c in zip(variants, crossings)}
    order = lambda v: (-np.inf if points[v].censored == "below" else
                       np.inf if points[v].censored == "above" else points[v].value)
    best = min(variants, key=order)
    if points[best].censored == "above":
        return best, INCONCLUSIVE                   # no variant reached 0.9
    if best == expected:
        clear = not any(crossing_ranges_overlap(ranges[best], ranges[v])
                        for v in variants if v != best)
        return best, HOLDS if clear else INCONCLUSIVE
    clear = not crossing_ranges_overlap(ranges[best], ranges[expected])
    return best, DOES_NOT_HOLD if clear else INCONCLUSIVE
