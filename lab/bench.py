"""`python run_all.py --bench`: one training step against the machine's limit for it.

Each row times one training step (forward + backward + Adam update, lab.ensemble.Batch) of
the Table III model on n = 30 and puts beside it the machine's limit for that step: every
matmul the step performs, timed alone at its own shape and operand layout (median),
plus the step's tanh evaluations at np.tanh's measured rate, in the
row's dtype. The step and its limit are timed in turn, in a worker process with one BLAS
thread (start_pool), so both see the same load. Times are wall time and this thread's CPU
time (time.thread_time); on a loaded machine only the CPU time leaves out the time other
processes hold the core, so the ratio to the limit is taken in CPU time.
"""
import time

import numpy as np

import geneft as g
from lab import ensemble, fastpath
from lab.executors import start_pool
from lab.tuning import keep_freed_memory, usable_cores

CLOCKS = {"wall": time.perf_counter, "cpu": time.thread_time}


def _median_ms(fn, reps, warm=5, clock=time.perf_counter):
    for _ in range(warm):
        fn()
    ts = []
    for _ in range(reps):
        t0 = clock()
        fn()
        ts.append(clock() - t0)
    return 1e3 * float(np.median(ts))


def bench_batch(K, dtype):
    """A Table III ensemble of K members on n = 30 (seeds 0..K−1), ready to step."""
    return ensemble.Batch.start([g.Config(dtype=dtype, seed=s) for s in range(K)])


def _step(batch):
    batch.update(batch.loss_and_grads()[1])


def bench_step_ms(K, dtype, reps=40, clock=time.perf_counter):
    """Median ms per model-step (forward + backward + Adam update), Table III on n = 30."""
    batch = bench_batch(K, dtype)
    return _median_ms(lambda: _step(batch), reps, clock=clock) / K


class StepRecorder:
    """Stands in for numpy inside lab.ensemble and lab.fastpath while one training step runs: every
    call passes through to numpy, and each np.matmul (per-member shapes and operand
    layouts, members) and np.tanh (elements) is recorded."""

    def __init__(self):
        self.matmuls, self.tanh_sizes = {}, []

    def __getattr__(self, name):
        return getattr(np, name)

    def matmul(self, a, b, *args, **kwargs):
        sig = (_layout(a), _layout(b))
        self.matmuls[sig] = self.matmuls.get(sig, 0) + (a.shape[0] if a.ndim == 3 else 1)
        return np.matmul(a, b, *args, **kwargs)

    def tanh(self, x, *args, **kwargs):
        self.tanh_sizes.append(x.size)
        return np.tanh(x, *args, **kwargs)


def _layout(a):
    """(rows, cols, transposed) of one member's matrix: transposed when its columns, not its
    rows, are contiguous (a transposed view, which BLAS reads with its trans flag)."""
    rows, cols = a.shape[-2:]
    return rows, cols, bool(a.strides[-1] != a.itemsize and cols > 1)


def step_work(dtype, K=4):
    """What one model-step does, recorded from a real step (StepRecorder): {((m, k, tA),
    (k, n, tB)): matmuls per model-step}, tanh evaluations per model-step, and the size of
    one np.tanh call."""
    batch, rec = bench_batch(K, dtype), StepRecorder()
    ensemble.np = fastpath.np = rec     # the step's numpy calls live in both modules
    try:
        _step(batch)
    finally:
        ensemble.np = fastpath.np = np
    return ({sig: c / K for sig, c in rec.matmuls.items()}, sum(rec.tanh_sizes) / K,
            rec.tanh_sizes[0] if rec.tanh_sizes else 1)


def matmul_flops(sig):
    (m, k, _), (_, n, _) = sig
    return 2 * m * k * n


def shape_label(sig):
    (m, k, ta), (_, n, tb) = sig
    return f"({m}x{k}{'ᵀ' if ta else ''})·({k}x{n}{'ᵀ' if tb else ''})"


class StepLimit:
    """The machine's limit for one model-step in one dtype: Σ over the step's matmuls of the
    median time of that matmul alone (same shapes, operands laid out as in the step, data in
    cache), plus the step's tanh count at the median np.tanh rate."""

    def __init__(self, dtype):
        self.counts, self.tanh_count, tanh_size = step_work(dtype)
        rng = np.random.default_rng(0)

        def operand(rows, cols, transposed):
            x = (0.1 * rng.standard_normal((cols, rows) if transposed else (rows, cols))).astype(dtype)
            return x.T if transposed else x
        self.calls = {}
        for sig in self.counts:
            a, b = operand(*sig[0]), operand(*sig[1])
            out = np.empty((a.shape[0], b.shape[1]), dtype)
            self.calls[sig] = lambda a=a, b=b, out=out: np.matmul(a, b, out=out)
        x = rng.standard_normal(tanh_size).astype(dtype)
        y = np.empty_like(x)
        self.tanh_call, self.tanh_size = (lambda: np.tanh(x, out=y)), tanh_size
        self.flops = sum(c * matmul_flops(sig) for sig, c in self.counts.items())

    def measure(self, reps=20, clock=time.thread_time):
        """{sig: ms of one matmul}, ms per tanh, and the limit in ms per model-step."""
        ms = {sig: _median_ms(call, reps, clock=clock) for sig, call in self.calls.items()}
        tanh_ms = _median_ms(self.tanh_call, reps, clock=clock) / self.tanh_size
        limit = sum(self.counts[sig] * t for sig, t in ms.items()) + self.tanh_count * tanh_ms
        return ms, tanh_ms, limit


def bench_row(K, dtype, rounds=5, steps=8):
    """One setting: {"wall", "cpu"} ms per model-step, the limit (CPU ms per model-step), and
    StepLimit.measure's parts of the last round; medians over `rounds` rounds that each time
    the step (both clocks) and then its limit."""
    batch, limit = bench_batch(K, dtype), StepLimit(dtype)
    times, limits = {"wall": [], "cpu": []}, []
    for _ in range(rounds):
        for name, clock in CLOCKS.items():
            times[name].append(_median_ms(lambda: _step(batch), steps, warm=2, clock=clock) / K)
        parts = limit.measure()
        limits.append(parts[2])
    return {k: float(np.median(v)) for k, v in times.items()}, float(np.median(limits)), parts


def _bench_worker(args):
    K, dtype = args
    return bench_row(K, dtype)


def bench_throughput(jobs, K=64, dtype="float32"):
    """({"wall", "cpu"} ms per model-step, limit) with one worker per core (start_pool: one
    BLAS thread each), every worker stepping its own K-member ensemble and measuring its own
    limit at the same time: the rates add, 1/ms = Σ_workers 1/ms_w, and so do the limits'."""
    with start_pool(jobs) as pool:
        per_worker = pool.map(_bench_worker, [(K, dtype)] * jobs)
    add = lambda ms: 1.0 / sum(1.0 / m for m in ms)
    return ({k: add([w[0][k] for w in per_worker]) for k in CLOCKS}, add([w[1] for w in per_worker]))


def bench(jobs):
    """`python run_all.py --bench`: ms per model-step in each setting (medians), the
    machine's limit for that step and their ratio; then the limit's parts."""
    keep_freed_memory()
    limit32 = StepLimit("float32")
    print(f"Table III model, n = 30, 675 training pairs, Adam; per model-step "
          f"{limit32.flops / 1e6:.1f} MFLOP in {sum(limit32.counts.values()):.0f} matmuls and "
          f"{limit32.tanh_count:,.0f} tanh; numpy {np.__version__}, {usable_cores()} cores "
          f"this process may run on")
    print("limit: every matmul of the step timed alone at its shape, plus the tanh count at "
          "np.tanh's rate (same dtype; CPU time, medians); ratio = CPU ms / limit")
    print(f"{'setting':42s} {'wall ms':>8s} {'CPU ms':>8s} {'limit ms':>9s} {'ratio':>6s} {'GFLOP/s':>8s}")
    settings = [(K, dt) for dt in ("float32", "float64") for K in (1, 16, 64)]
    with start_pool(1) as pool:                       # one BLAS thread, like every training worker
        results = pool.map(_bench_worker, settings)
    rows = [(f"{dt}, K = {K}", ms, lim) for (K, dt), (ms, lim, _) in zip(settings, results)]
    rows.append((f"float32, K = 64, {jobs} workers (1 BLAS thread)", *bench_throughput(jobs)))
    for label, ms, lim in rows:
        print(f"{label:42s} {ms['wall']:8.3f} {ms['cpu']:8.3f} {lim:9.3f} {ms['cpu'] / lim:6.2f} "
              f"{limit32.flops / ms['cpu'] / 1e6:8.1f}")
    for (K, dt), (_, _, (ms, tanh_ms, _)) in zip(settings, results):
        if K != 64:
            continue
        print(f"the limit's parts, {dt}, K = 64 row (per model-step: count × CPU time of one alone):")
        for sig, t in ms.items():
            print(f"  {shape_label(sig):24s} ×{limit32.counts[sig]:<4g} {1e3 * t:7.1f} µs "
                  f"{matmul_flops(sig) / t / 1e6:6.0f} GFLOP/s")
        print(f"  tanh ×{limit32.tanh_count:,.0f} at {1e-3 / tanh_ms:,.0f} M/s")
