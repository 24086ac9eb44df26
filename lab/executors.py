"""Where ensembles train: in this process, on local worker processes, or on a Dask cluster.

Each executor maps ensembles to (summaries, CPU seconds) as they finish. Dask is an
optional extra, imported only when a scheduler is named.
"""
import multiprocessing
import signal
import threading
import time

from lab.ensemble import train_ensemble
from lab.results import RunSummary
from lab.tuning import die_with_parent, keep_freed_memory, pin_blas_threads, subnormals_flushed


def run_chunk(configs):
    """Train one ensemble and summarise every run (what a worker does), with subnormals
    flushed (subnormals_flushed), so every executor computes the same numbers."""
    with subnormals_flushed():
        return [RunSummary.of_history(h) for h in train_ensemble(configs)]


def _worker_init():
    """Set up a worker process once: the main process alone answers Ctrl-C (one line,
    no traceback per worker), the worker dies with its parent, glibc keeps freed memory."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    keep_freed_memory()


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
