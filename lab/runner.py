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
import platform
import signal
import sys
import threading
import time
import warnings
from dataclasses import dataclass

import numpy as np

import fastpath
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
    train_loss: float | None = None  # last recorded training loss (None in older records)

    @property
    def generalized(self):
        """Table IV generalization or grokking (geneft.GENERALIZED)."""
        return self.phase in g.GENERALIZED

    @classmethod
    def of_history(cls, h):
        return cls(phase=h.phase, step_train_90=h.step_train_90, step_test_90=h.step_test_90,
                   diverged_at=h.diverged_at, stopped_at=h.stopped_at,
                   train_acc=_last(h.train_acc), test_acc=_last(h.test_acc), all_acc=_last(h.all_acc),
                   final_E=np.asarray(h.final_E, dtype=float).round(6).tolist(),
                   train_loss=_last(h.train_loss))

    def to_json(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, d):
        """Inverse of to_json; ValueError naming what is missing or unknown. Fields with a
        default (added later) may be missing from an older record."""
        fields = dataclasses.fields(cls)
        names = {f.name for f in fields}
        required = {f.name for f in fields if f.default is dataclasses.MISSING}
        if not isinstance(d, dict) or not required <= set(d) <= names:
            got = sorted(d) if isinstance(d, dict) else type(d).__name__
            raise ValueError(f"run summary {got} is not allowed: needs the keys {sorted(required)}"
                             f" and may have {sorted(names - required)}")
        if d["phase"] not in g.PHASES:
            raise ValueError(f"phase={d['phase']!r} is not allowed: use one of {g.PHASES}")
        return cls(**d)


class subnormals_flushed:
    """Context manager: inside it, this thread's x86-64 SSE unit flushes subnormal results
    and operands to zero (MXCSR's FTZ and DAZ bits, what torch.set_flush_denormal does).

    Why: a decoder that weight decay has nearly zeroed (Fig. 8, large wd_dec) makes its
    matmuls produce numbers below 1.2e-38 in float32, and each such number costs the CPU
    a slow microcode assist: a 675×50·50×50 matmul went from 0.18 to 8.7 ms. Flushing
    them changes a result only where the exact result is itself below that size, so a
    run that never meets one is bit-identical (tested). Elsewhere (not x86-64 Linux)
    it does nothing. The previous state is restored on exit.
    """
    MXCSR_OFFSET, FTZ_DAZ = 28, 0x8040     # glibc's x86-64 fenv_t: mxcsr is its last field

    def __enter__(self):
        self.saved = None
        if sys.platform.startswith("linux") and platform.machine() in ("x86_64", "AMD64"):
            try:
                self.libm = ctypes.CDLL("libm.so.6")
            except OSError:
                return self
            self.saved = ctypes.create_string_buffer(64)
            if self.libm.fegetenv(self.saved) != 0:
                self.saved = None
                return self
            env = bytearray(self.saved.raw)
            o = self.MXCSR_OFFSET
            mxcsr = int.from_bytes(env[o:o + 4], "little") | self.FTZ_DAZ
            env[o:o + 4] = mxcsr.to_bytes(4, "little")
            self.libm.fesetenv(ctypes.create_string_buffer(bytes(env), 64))
        return self

    def __exit__(self, *exc):
        if self.saved is not None:
            self.libm.fesetenv(self.saved)


def run_chunk(configs):
    """Train one ensemble and summarise every run (what a worker does), with subnormals
    flushed (subnormals_flushed), so every executor computes the same numbers."""
    with subnormals_flushed():
        return [RunSummary.of_history(h) for h in g.train_ensemble(configs)]


# --- The cache: one file per finished ensemble ----------------------------------------

# Config fields added after results were first stored, each with the value every earlier
# run had: a field enters the key only when it differs from that value, so the cache and
# the committed results files keep their keys when the model gains an option.
FIELDS_ADDED_LATER = {"init_scheme": "uniform"}


# Significant digits of a float field that enter the key. Grids come from np.logspace,
# whose last bit differs between machines (1e-05 on one, 9.999999999999999e-06 on
# another): keyed at full precision, results committed on one machine would be
# recomputed on the next. Twelve digits still tell apart any two
# settings a preset asks for.
KEY_DIGITS = 12


def key_value(value):
    """A field's value as the key hashes it: floats rounded to KEY_DIGITS digits."""
    if isinstance(value, float):
        return float(f"{value:.{KEY_DIGITS}g}")
    return value


def key_fields(cfg):
    """The fields of a config that its key hashes (see FIELDS_ADDED_LATER, KEY_DIGITS)."""
    fields = {name: key_value(v) for name, v in dataclasses.asdict(cfg).items()}
    for name, earlier in FIELDS_ADDED_LATER.items():
        if fields.get(name) == earlier:
            del fields[name]
    return fields


def chunk_key(configs):
    """The cache key of an ensemble: a hash of every field of every config, in order."""
    blob = json.dumps([key_fields(c) for c in configs], sort_keys=True)
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


# --- Results that accumulate in the repository ----------------------------------------

class ResultsFile:
    """Finished ensembles appended to a committed JSON-lines file, one ensemble a line:

        {"key": chunk_key, "configs": [Config fields, ...], "runs": [RunSummary, ...]}

    A rerun on any machine reads it first and computes only what is missing. The key is
    recomputed from the stored configs (a Config field added later takes its default),
    so a line written before a new field existed still matches. Every run is also found
    on its own (`get_runs`): how a sweep is cut into ensembles depends on the number of
    workers, and a rerun on another machine may cut it differently; each member trains
    from its own seed (geneft.member_rng) whatever ensemble it shares. A line that fails
    to parse is reported and its ensemble recomputed, never silently used; a line cut by
    a kill is such a line, and the next append starts on a fresh line after it.
    """

    def __init__(self, path):
        self.path, self.found, self.by_run, self.bad_lines = path, {}, {}, 0
        self.cpu_seconds = {}           # ensemble key -> CPU seconds of its training, or None
        if os.path.exists(path):
            with open(path) as f:
                for number, line in enumerate(f, 1):
                    if line.strip():
                        self._read_line(number, line)

    def _read_line(self, number, line):
        try:
            rec = json.loads(line)
            configs = [g.validate(g.Config(**c)) for c in rec["configs"]]
            runs = [RunSummary.from_json(r) for r in rec["runs"]]
            if len(runs) != len(configs):
                raise ValueError(f"{len(runs)} runs for {len(configs)} configs")
        except (ValueError, TypeError, KeyError) as err:
            self.bad_lines += 1
            warnings.warn(f"{self.path} line {number} is unreadable ({type(err).__name__}: {err}); "
                          "its ensemble will be recomputed")
            return
        self._add(chunk_key(configs), configs, runs, rec.get("cpu_seconds"))

    def _add(self, key, configs, runs, cpu_seconds):
        if key not in self.found:
            self.cpu_seconds[key] = cpu_seconds
        self.found[key] = list(runs)
        for c, r in zip(configs, runs):
            self.by_run[chunk_key([c])] = r

    def get(self, key):
        return self.found.get(key)

    def get_runs(self, configs):
        """The stored summary of every config, whatever ensembles they trained in, or None."""
        runs = [self.by_run.get(chunk_key([c])) for c in configs]
        return None if any(r is None for r in runs) else runs

    def append(self, key, configs, runs, cpu_seconds=None):
        """Add one finished ensemble: one line, flushed and synced before returning, with
        the CPU seconds its training took when known (absent for one found in a cache)."""
        rec = {"key": key, "configs": [dataclasses.asdict(c) for c in configs],
               "runs": [r.to_json() for r in runs]}
        if cpu_seconds is not None:
            rec["cpu_seconds"] = round(cpu_seconds, 3)
        line = json.dumps(rec)
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        with open(self.path, "a+b") as f:
            f.seek(0, os.SEEK_END)
            if f.tell() > 0:
                f.seek(-1, os.SEEK_END)
                if f.read(1) != b"\n":      # a line cut by a kill: start after it
                    f.write(b"\n")
            f.write(line.encode() + b"\n")
            f.flush()
            os.fsync(f.fileno())
        self._add(key, configs, runs, rec.get("cpu_seconds"))

    def cost(self):
        """(CPU seconds of the timed ensembles, ensembles without a time: those written
        before times were kept, or found in a local cache)."""
        times = list(self.cpu_seconds.values())
        return sum(t for t in times if t is not None), sum(t is None for t in times)


# --- Worker processes and executors ----------------------------------------------------

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


def die_with_parent():
    """Linux: have the kernel kill this process when its parent dies (PR_SET_PDEATHSIG),
    so a killed main process (SIGTERM, SIGKILL) leaves no worker training on."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return False
    pr_set_pdeathsig = 1                                       # <sys/prctl.h>
    return libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0) == 0


def _worker_init():
    """Set up a worker process once: the main process alone answers Ctrl-C (one line,
    no traceback per worker), the worker dies with its parent, glibc keeps freed memory."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    keep_freed_memory()


def pin_blas_threads():
    """One BLAS thread per worker: one worker per core beats threads inside one step (the
    matmuls are too small to split). Set before workers start; their numpy reads it."""
    for var in BLAS_THREAD_VARS:
        os.environ[var] = "1"


def start_pool(jobs):
    """`jobs` spawned worker processes set up by _worker_init, BLAS pinned to one thread."""
    pin_blas_threads()
    return multiprocessing.get_context("spawn").Pool(jobs, _worker_init)


def _run_task(part):
    """run_chunk and the CPU seconds it took in this process (BLAS pinned to one thread:
    the ensemble's whole cost), which the results file keeps beside the runs."""
    t0 = time.process_time()
    summaries = run_chunk(part)
    return summaries, time.process_time() - t0


def _run_task_dask(part):
    """A Dask task: the worker is a long-lived process of the cluster's, set up on first use."""
    global _DASK_WORKER_READY
    if not _DASK_WORKER_READY:
        keep_freed_memory()
        _DASK_WORKER_READY = True
    return _run_task(part)


_DASK_WORKER_READY = False


class InProcess:
    """Runs ensembles one after another in this process (jobs = 1)."""
    workers = 1

    def map_unordered(self, parts, heartbeat, every=60.0):
        for k, part in enumerate(parts):
            stop = threading.Event()
            beat = threading.Thread(target=_beat_until, args=(stop, heartbeat, every), daemon=True)
            beat.start()
            try:
                result = _run_task(part)
            finally:
                stop.set()
                beat.join()
            yield k, result

    def close(self, failed=False):
        pass


class LocalPool:
    """Runs ensembles on `jobs` local worker processes (multiprocessing, spawn)."""

    def __init__(self, jobs):
        self.workers, self.pool = jobs, start_pool(jobs)

    def map_unordered(self, parts, heartbeat, every=60.0):
        results = self.pool.imap_unordered(_indexed_task, list(enumerate(parts)))
        while True:
            try:
                yield results.next(timeout=every)
            except multiprocessing.TimeoutError:
                heartbeat()
            except StopIteration:
                return

    def close(self, failed=False):
        self.pool.terminate() if failed else self.pool.close()
        self.pool.join()


def _beat_until(stop, heartbeat, every):
    """Call heartbeat every `every` seconds until stop is set (a long ensemble in this
    process would otherwise leave the terminal silent for many minutes)."""
    while not stop.wait(every):
        heartbeat()


def _indexed_task(item):
    k, part = item
    return k, _run_task(part)


CLUSTER_INSTALL = "pip install -r requirements-cluster.txt"


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise SystemExit(f"--scheduler needs Dask's distributed package, which is not installed: "
                         f"run `{CLUSTER_INSTALL}`") from None
    return distributed


class DaskCluster:
    """Runs ensembles on a Dask cluster: `tcp://HOST:PORT` connects to a running scheduler,
    `local:N` starts a LocalCluster of N one-thread worker processes here. Dask is imported
    only here, so nobody who does not ask for it needs it."""

    def __init__(self, scheduler):
        distributed = _import_distributed()
        self.cluster = None
        if scheduler.startswith("local:"):
            n = _positive_int_or_exit("--scheduler local:N", scheduler[len("local:"):])
            pin_blas_threads()                 # the cluster's worker processes inherit it
            self.cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1,
                                                    processes=True, dashboard_address=None)
            self.client = distributed.Client(self.cluster)
        elif scheduler.startswith("tcp://"):
            self.client = distributed.Client(scheduler, timeout="20s")
        else:
            raise SystemExit(f"--scheduler {scheduler!r} is not allowed: use tcp://HOST:PORT or local:N")
        self.workers = max(1, sum(w.get("nthreads", 1) for w in
                                  self.client.scheduler_info()["workers"].values()))
        self.distributed = distributed

    def map_unordered(self, parts, heartbeat, every=60.0):
        futures = {self.client.submit(_run_task_dask, part, pure=False): k for k, part in enumerate(parts)}
        pending = set(futures)
        while pending:
            try:
                done, pending = self.distributed.wait(pending, timeout=every, return_when="FIRST_COMPLETED")
            except self.distributed.TimeoutError:
                done = set()
            if not done:
                heartbeat()
            for fut in done:
                yield futures[fut], fut.result()

    def close(self, failed=False):
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _positive_int_or_exit(what, text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise SystemExit(f"{what}: {text!r} is not allowed: need a whole number >= 1")
    return value


def make_executor(jobs, scheduler=None):
    """The executor for a sweep: Dask when a scheduler is named, else local processes."""
    if scheduler:
        return DaskCluster(scheduler)
    return LocalPool(jobs) if jobs > 1 else InProcess()


# --- The runner -----------------------------------------------------------------------

class Progress:
    """Progress a person can follow: per call and over the whole invocation, finished/total
    runs, runs that left early because their phase was decided, elapsed time, and an ETA
    from the rate measured so far."""

    def __init__(self, planned_total=None):
        self.t0, self.planned, self.done_all, self.computed_all = time.time(), planned_total, 0, 0

    def line(self, label, done, total, early, t_label, computed):
        el = time.time() - t_label
        rate = computed / el if computed and el > 0 else 0.0
        eta = f"ETA {_duration((total - done) / rate)}" if rate else ("cached" if done == total else "")
        text = f"  [{label}] {done}/{total} runs ({early} left early), {_duration(el)} elapsed, {eta}"
        if self.planned:
            all_el = time.time() - self.t0
            all_rate = self.computed_all / all_el if self.computed_all and all_el > 0 else 0.0
            left = max(0, self.planned - self.done_all)
            text += (f"; all: {self.done_all}/{self.planned} runs"
                     + (f", ETA {_duration(left / all_rate)}" if all_rate else ""))
        print(text, flush=True)


def _duration(seconds):
    seconds = int(round(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class Runner:
    """Runs configs as ensembles on an executor, caching every finished ensemble at once.

    jobs: local worker processes (1: in this process); scheduler: a Dask scheduler
    address instead (see DaskCluster). Finished ensembles go to `cache_dir` (one JSON
    file each) and, when `results` is set, to that ResultsFile as well; both are read
    before anything is computed.
    """

    def __init__(self, jobs, cache_dir, force=False, chunk=16, scheduler=None, planned_total=None):
        self.jobs, self.cache_dir, self.force, self.chunk = jobs, cache_dir, force, chunk
        self.scheduler, self.results = scheduler, None
        self.progress = Progress(planned_total)
        self.executor = None

    def __enter__(self):
        self.executor = make_executor(self.jobs, self.scheduler)
        return self

    def __exit__(self, *exc):
        if self.executor is not None:
            self.executor.close(failed=exc[0] is not None)
            self.executor = None

    def _lookup(self, key, part, path):
        """Finished summaries from the results file (the ensemble, else each of its runs)
        or the cache, or None."""
        if self.force:
            return None
        if self.results is not None:
            found = self.results.get(key) or self.results.get_runs(part)
            if found is not None and len(found) == len(part):
                return found
        return read_cached(path, len(part))

    def _keep_result(self, key, part, summaries, cpu_seconds=None):
        """Append an ensemble to the results file unless it, or each of its runs, is there."""
        if (self.results is not None and self.results.get(key) is None
                and self.results.get_runs(part) is None):
            self.results.append(key, part, summaries, cpu_seconds)

    def _recut_missing(self, label, configs, out, todo, workers):
        """With a results file: fill in the runs it holds one by one (a part of an ensemble
        may be stored, from another cut) and cut only the missing runs into ensembles, sized
        so every worker has one (a lone leftover ensemble would leave the others idle).
        Only here: a results file finds runs whatever the cut, the cache only by ensemble."""
        missing = []
        for idx, part, _, _ in todo:
            for i, c in zip(idx, part):
                found = self.results.get_runs([c])
                if found is None:
                    missing.append(i)
                else:
                    out[i] = found[0]
        size = max(1, min(self.chunk, -(-len(missing) // workers)))
        recut = []
        for sub in chunks([configs[i] for i in missing], size):
            idx = [missing[k] for k in sub]
            part = [configs[i] for i in idx]
            key = chunk_key(part)
            recut.append((idx, part, key, os.path.join(self.cache_dir, label, key + ".json")))
        return recut

    def run(self, label, configs):
        """RunSummary of every config, in order; each finished ensemble is stored at once."""
        configs = list(configs)
        out, todo = [None] * len(configs), []
        workers = self.executor.workers if self.executor else self.jobs
        size = max(1, min(self.chunk, -(-len(configs) // workers)))  # keep every worker busy
        for idx in chunks(configs, size):
            part = [configs[i] for i in idx]
            key = chunk_key(part)
            path = os.path.join(self.cache_dir, label, key + ".json")
            found = self._lookup(key, part, path)
            if found is not None:
                self._keep_result(key, part, found)     # a cached ensemble joins the results file
                for i, s in zip(idx, found):
                    out[i] = s
            else:
                todo.append((idx, part, key, path))
        if self.results is not None and not self.force:
            todo = self._recut_missing(label, configs, out, todo, workers)
        total, t0, computed = len(configs), time.time(), 0
        done = total - sum(len(t[0]) for t in todo)
        self.progress.done_all += done
        self.progress.line(label, done, total, _left_early(configs, out), t0, computed)

        def heartbeat():   # a paper-budget ensemble can take many minutes: say it is alive
            print(f"  [{label}] {total - done} run(s) still training, "
                  f"{_duration(time.time() - t0)} elapsed", flush=True)
        for k, (summaries, cpu_seconds) in self.executor.map_unordered([t[1] for t in todo], heartbeat):
            idx, part, key, path = todo[k]
            write_json(path, [s.to_json() for s in summaries])
            self._keep_result(key, part, summaries, cpu_seconds)
            for i, s in zip(idx, summaries):
                out[i] = s
            done, computed = done + len(idx), computed + len(idx)
            self.progress.done_all += len(idx)
            self.progress.computed_all += len(idx)
            self.progress.line(label, done, total, _left_early(configs, out), t0, computed)
        return out

    def run_groups(self, label, groups):
        """run() over several independent sweeps at once, results split back per group.

        One call submits every group's ensembles together, so no worker waits for the
        slowest ensemble of one group while the next group's are still queued (a sweep
        whose memorizing runs take the whole budget otherwise ends with one worker busy
        and the others idle)."""
        groups = [list(grp) for grp in groups]
        flat = self.run(label, [c for grp in groups for c in grp])
        ends = np.cumsum([0] + [len(grp) for grp in groups])
        return [flat[a:b] for a, b in zip(ends[:-1], ends[1:])]


def _left_early(configs, summaries):
    """Runs that left their ensemble before the budget because their phase was decided."""
    return sum(1 for c, s in zip(configs, summaries)
               if s is not None and s.diverged_at is None and s.stopped_at < c.steps)


# --- Grids that add seeds where the phase changes (Figs. 5 and 8) ----------------------

def near_change(generalized):
    """Cells within one grid step of a change: the cell or a 4-neighbour differs in
    'generalized' (a (nx, ny) bool array in, the same shape out)."""
    gen = np.asarray(generalized, dtype=bool)
    near = np.zeros_like(gen)
    near[1:, :] |= gen[1:, :] != gen[:-1, :]
    near[:-1, :] |= gen[1:, :] != gen[:-1, :]
    near[:, 1:] |= gen[:, 1:] != gen[:, :-1]
    near[:, :-1] |= gen[:, 1:] != gen[:, :-1]
    return near


def adaptive_phase_grid(runner, label, make_config, xs, ys, seeds):
    """Phases of every run on an (xs, ys) grid: seed 0 in every cell, then seeds
    1 .. seeds−1 in every cell within one grid step of a change of 'generalized'.

    make_config(x, y, seed) -> Config. Returns phases[i][j] = [phase of each seed].
    """
    first = runner.run(label, [make_config(x, y, 0) for x in xs for y in ys])
    gen = np.array([s.generalized for s in first]).reshape(len(xs), len(ys))
    phases = [[[first[i * len(ys) + j].phase] for j in range(len(ys))] for i in range(len(xs))]
    cells = [tuple(c) for c in np.argwhere(near_change(gen))] if seeds > 1 else []
    extra = runner.run(f"{label}-seeds", [make_config(xs[i], ys[j], s) for i, j in cells
                                          for s in range(1, seeds)]) if cells else []
    for k, (i, j) in enumerate(cells):
        phases[i][j] += [s.phase for s in extra[k * (seeds - 1):(k + 1) * (seeds - 1)]]
    return phases


# --- Benchmark: one training step (python run_all.py --bench) --------------------------
#
# Each row times one training step (forward + backward + Adam update, geneft.Batch) of the
# Table III model on n = 30 and puts beside it the machine's limit for that step: every
# matmul the step performs, timed alone at its own shape and operand layout on this
# machine (median), plus the step's tanh evaluations at np.tanh's measured rate, in the
# row's dtype. The step and its limit are timed in turn, in a worker process with one BLAS
# thread (start_pool), so both see the same load. Times are wall time and this thread's CPU
# time (time.thread_time); on a loaded machine only the CPU time leaves out the time other
# processes hold the core, so the ratio to the limit is taken in CPU time.

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
    return g.Batch.start([g.Config(dtype=dtype, seed=s) for s in range(K)])


def _step(batch):
    batch.update(batch.loss_and_grads()[1])


def bench_step_ms(K, dtype, reps=40, clock=time.perf_counter):
    """Median ms per model-step (forward + backward + Adam update), Table III on n = 30."""
    batch = bench_batch(K, dtype)
    return _median_ms(lambda: _step(batch), reps, clock=clock) / K


class StepRecorder:
    """Stands in for numpy inside geneft and fastpath while one training step runs: every
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
    g.np = fastpath.np = rec            # the step's numpy calls live in both modules
    try:
        _step(batch)
    finally:
        g.np = fastpath.np = np
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
          f"{limit32.tanh_count:,.0f} tanh; numpy {np.__version__}, {os.cpu_count()} cores")
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
