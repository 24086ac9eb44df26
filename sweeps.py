"""Running many training configs: ensembles, worker processes, the cache, the benchmark.

    with sweeps.Runner(jobs=2, cache_dir=".cache/quick") as runner:
        summaries = runner.run("fig5-mod3", configs)     # one RunSummary per config

Configs that share an architecture are cut into ensembles (geneft.train_ensemble
trains each as one vectorised computation); ensembles run on worker processes,
and every finished ensemble is written to the cache at once, keyed by its full
configuration, so an interrupted sweep resumes where it stopped. Workers import
this module and geneft only, never the figure script.
"""
import ctypes
import dataclasses
import hashlib
import json
import multiprocessing
import os
import time
import warnings
from dataclasses import dataclass

import numpy as np

import geneft as g

BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


# --- The record of one run ------------------------------------------------------------

def _last(values):
    """Last recorded value of a metric (NaN marks steps after a run left its batch)."""
    v = values[~np.isnan(values)]
    return float(v[-1]) if v.size else None


@dataclass(frozen=True)
class RunSummary:
    """What the figures need of one run (geneft.History without the per-step arrays)."""
    phase: str                   # Table IV phase (geneft.PHASES)
    step_train_90: int | None    # first evaluated step with train accuracy > 0.9
    step_test_90: int | None     # ... with test accuracy > 0.9
    diverged_at: int | None      # step whose loss was non-finite
    stopped_at: int              # last step trained
    train_acc: float | None      # last recorded accuracies
    test_acc: float | None
    all_acc: float | None        # over all n² pairs (Fig. 3)
    final_E: list                # (n, d) embedding when the run stopped, 6 decimals

    @property
    def generalized(self):
        """Table IV generalization or grokking (geneft.GENERALIZED)."""
        return self.phase in g.GENERALIZED

    @classmethod
    def of_history(cls, h):
        return cls(phase=h.phase, step_train_90=h.step_train_90, step_test_90=h.step_test_90,
                   diverged_at=h.diverged_at, stopped_at=h.stopped_at,
                   train_acc=_last(h.train_acc), test_acc=_last(h.test_acc), all_acc=_last(h.all_acc),
                   final_E=np.asarray(h.final_E, dtype=float).round(6).tolist())

    def to_json(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, d):
        """Inverse of to_json; ValueError naming what is missing or unknown."""
        names = {f.name for f in dataclasses.fields(cls)}
        if not isinstance(d, dict) or set(d) != names:
            got = sorted(d) if isinstance(d, dict) else type(d).__name__
            raise ValueError(f"run summary {got} is not allowed: needs exactly the keys {sorted(names)}")
        if d["phase"] not in g.PHASES:
            raise ValueError(f"phase={d['phase']!r} is not allowed: use one of {g.PHASES}")
        return cls(**d)


def run_chunk(configs):
    """Train one ensemble and summarise every run (what a worker does)."""
    return [RunSummary.of_history(h) for h in g.train_ensemble(configs)]


# --- The cache: one file per finished ensemble ----------------------------------------

def chunk_key(configs):
    """The cache key of an ensemble: a hash of every field of every config, in order."""
    blob = json.dumps([dataclasses.asdict(c) for c in configs], sort_keys=True)
    return hashlib.sha1(blob.encode()).hexdigest()[:20]


def write_json(path, obj):
    """Write atomically: a crash leaves the old file or the new one, never half."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(obj, f)
    os.replace(tmp, path)


def read_cached(path, n_runs):
    """The summaries cached at path, or None (absent, or unreadable: warned, recomputed)."""
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            records = json.load(f)
        if not isinstance(records, list) or len(records) != n_runs:
            raise ValueError(f"holds {len(records) if isinstance(records, list) else 'no list of'} "
                             f"runs, expected {n_runs}")
        return [RunSummary.from_json(r) for r in records]
    except (OSError, ValueError) as err:
        warnings.warn(f"cache file {path} is unreadable ({err}); recomputing it")
        return None


def chunks(configs, size):
    """Group configs by shared architecture, then cut each group into ensembles of ≤ size.

    Returns lists of indices into configs.
    """
    groups = {}
    for i, c in enumerate(configs):
        key = tuple(getattr(c, f.name) for f in dataclasses.fields(c) if f.name not in g.MEMBER_FIELDS)
        groups.setdefault(key, []).append(i)
    return [idx[k:k + size] for idx in groups.values() for k in range(0, len(idx), size)]


# --- Worker processes ------------------------------------------------------------------

def keep_freed_memory():
    """Ask glibc to keep freed memory for reuse instead of returning it to the OS.

    A training step allocates temporaries of a few MB; by default glibc maps each
    one fresh and unmaps it when freed, so every step pays its page faults again
    (measured: 0.95 -> 0.80 ms per model-step, K = 16, float32, one thread).
    Results are unchanged. Returns False where the C library is not glibc.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3   # <malloc.h>
    return bool(libc.mallopt(m_mmap_threshold, 1 << 25) and libc.mallopt(m_trim_threshold, 1 << 30)
                and libc.mallopt(m_top_pad, 1 << 26))


def _worker_init():
    keep_freed_memory()


def start_pool(jobs):
    """`jobs` spawned worker processes, each with BLAS pinned to one thread (one worker per
    core beats threads inside one step: the matmuls are too small to split) and glibc
    keeping freed memory. The only place a worker is set up."""
    for var in BLAS_THREAD_VARS:
        os.environ[var] = "1"          # read by each spawned worker's numpy at import
    return multiprocessing.get_context("spawn").Pool(jobs, _worker_init)


def _run_indexed(item):
    idx, part, path = item
    return idx, path, run_chunk(part)


class Runner:
    """Runs configs as cached ensembles on `jobs` worker processes (1: in this process)."""

    def __init__(self, jobs, cache_dir, force=False, chunk=16):
        self.jobs, self.cache_dir, self.force, self.chunk = jobs, cache_dir, force, chunk
        self.pool = None

    def __enter__(self):
        if self.jobs > 1:
            self.pool = start_pool(self.jobs)
        return self

    def __exit__(self, *exc):
        if self.pool is not None:
            self.pool.terminate() if exc[0] else self.pool.close()
            self.pool.join()

    def run(self, label, configs):
        """RunSummary of every config, in order; each finished ensemble is cached at once."""
        configs = list(configs)
        out = [None] * len(configs)
        todo = []
        size = max(1, min(self.chunk, -(-len(configs) // self.jobs)))  # keep every worker busy
        for idx in chunks(configs, size):
            part = [configs[i] for i in idx]
            path = os.path.join(self.cache_dir, label, chunk_key(part) + ".json")
            cached = None if self.force else read_cached(path, len(idx))
            if cached is not None:
                for i, s in zip(idx, cached):
                    out[i] = s
            else:
                todo.append((idx, part, path))
        done_runs, total, t0 = len(configs) - sum(len(t[0]) for t in todo), len(configs), time.time()
        self._progress(label, done_runs, total, t0, done_runs)
        started = done_runs
        results = (self.pool.imap_unordered(_run_indexed, todo) if self.pool
                   else map(_run_indexed, todo))
        for idx, path, summaries in results:
            write_json(path, [s.to_json() for s in summaries])
            for i, s in zip(idx, summaries):
                out[i] = s
            done_runs += len(idx)
            self._progress(label, done_runs, total, t0, started)
        return out

    @staticmethod
    def _progress(label, done, total, t0, started):
        el = time.time() - t0
        rate = (done - started) / el if el > 0 and done > started else 0
        left = f"~{(total - done) / rate:.0f} s left" if rate else ("cached" if done == total else "")
        print(f"  [{label}] {done}/{total} runs, {el:.0f} s elapsed {left}", flush=True)


# --- Benchmark: one training step (python run_all.py --bench) --------------------------

def _median_ms(fn, reps, warm=5):
    for _ in range(warm):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(ts))


def bench_step_ms(K, dtype, reps=40):
    """Median ms per model-step (forward + backward + Adam update), Table III on n = 30."""
    batch = g.Batch.start([g.Config(dtype=dtype, seed=s) for s in range(K)])

    def step():
        batch.update(batch.loss_and_grads()[1])
    return _median_ms(step, reps) / K


def step_flops(cfg=g.Config()):
    """Matmul FLOPs of one model-step: forward 2·P·Σ fan_in·fan_out, backward twice that."""
    P = round(cfg.frac * cfg.n ** 2)
    shapes = g.param_shapes(cfg.n, cfg.d, cfg.depth, cfg.width, cfg.mode)
    macs = sum(np.prod(s) for k, s in shapes.items() if k.startswith("W"))
    return 3 * 2 * P * macs


def machine_rates(reps=30):
    """This machine's own rates: GFLOP/s of a (675×50)·(50×50) matmul, M tanh/s."""
    rng = np.random.default_rng(0)
    out = {}
    for dt in ("float32", "float64"):
        a, b = rng.random((675, 50)).astype(dt), rng.random((50, 50)).astype(dt)
        x = rng.standard_normal(675 * 50 * 3).astype(dt)
        out[f"matmul GFLOP/s {dt}"] = 2 * 675 * 50 * 50 / _median_ms(lambda: a @ b, reps) / 1e6
        out[f"tanh M/s {dt}"] = x.size / _median_ms(lambda: np.tanh(x), reps) / 1e3
    return out


def _bench_worker(args):
    K, dtype = args
    return bench_step_ms(K, dtype)


def bench_throughput(jobs, K=64, dtype="float32"):
    """ms per model-step with one worker per core running K-member ensembles at once."""
    with start_pool(jobs) as pool:
        per_worker = pool.map(_bench_worker, [(K, dtype)] * jobs)
    return 1.0 / sum(1.0 / ms for ms in per_worker)


def bench(jobs):
    """`python run_all.py --bench`: ms per model-step in each setting (medians)."""
    flops = step_flops()
    keep_freed_memory()
    print(f"Table III model, n = 30, 675 training pairs, Adam; {flops / 1e6:.1f} MFLOP per model-step "
          f"(matmuls); numpy {np.__version__}, {os.cpu_count()} cores")
    print(f"{'setting':46s} {'ms/model-step':>14s} {'GFLOP/s':>9s}")
    rows = [(f"{dt}, K = {K}", bench_step_ms(K, dt)) for dt in ("float32", "float64") for K in (1, 16, 64)]
    rows.append((f"float32, K = 64, {jobs} workers (1 BLAS thread)", bench_throughput(jobs)))
    for label, ms in rows:
        print(f"{label:46s} {ms:14.3f} {flops / ms / 1e6:9.1f}")
    print("machine:", ", ".join(f"{k} {v:.0f}" for k, v in machine_rates().items()))
