"""Where ensembles train: in this process, on local worker processes, or on a Dask cluster.

Each executor maps ensembles to (summaries, CPU seconds) as they finish. Dask is an
optional extra, imported only when a scheduler is named (lab.cluster); its address is
checked here, before Dask is needed. What stops a sweep from starting (a scheduler that
cannot be reached, a script that would start workers forever) is a SetupError: one line,
no traceback.
"""
import ast
import multiprocessing
import os
import re
import signal
import socket
import sys
import threading
import time

from lab.ensemble import train_ensemble
from lab.results import RunSummary
from lab.tuning import (blas_on_one_thread, die_with_parent, keep_freed_memory, pin_blas_threads,
                         subnormals_flushed)


class SetupError(SystemExit):
    """An executor cannot start: its message is one line naming the value and what is
    allowed or what to do. A SystemExit, so a user's script ends with that line and no
    traceback; run_all catches it and exits with 2."""


def run_chunk(configs):
    """Train one ensemble and summarise every run (what a worker does), with subnormals
    flushed (subnormals_flushed), so every executor computes the same numbers."""
    with subnormals_flushed():
        return [RunSummary.of_history(h) for h in train_ensemble(configs)]


def _worker_init(parent):
    """Set up a worker process once: the main process alone answers Ctrl-C (one line,
    no traceback per worker); the worker dies with its parent (`parent`, its PID), also
    if the parent died before the worker could ask for that; a result sent to a parent
    that has gone ends the worker quietly (SIGPIPE's default action: between a killed
    parent's closing its pipe and the kernel's killing the worker, the worker would
    print a BrokenPipeError traceback per result); glibc keeps freed memory."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    die_with_parent()
    if os.getppid() != parent:
        os._exit(0)
    keep_freed_memory()


def start_pool(jobs):
    """`jobs` spawned worker processes set up by _worker_init, BLAS pinned to one thread.
    SetupError when called from the top level of a script without a main guard
    (unguarded_main_line), where every worker would start workers of its own, or when the
    pool cannot start (a thread or process that the memory left cannot hold, as under
    ulimit -v): the workers already started are ended, so none prints a traceback."""
    refuse_unguarded_main(f"{jobs} worker processes", "jobs=1")
    pin_blas_threads()
    try:
        _try_threads(3)      # the pool's own (handlers of workers, tasks, results), before any worker
        return multiprocessing.get_context("spawn").Pool(jobs, _worker_init, (os.getpid(),))
    except (RuntimeError, MemoryError, OSError) as err:
        for child in multiprocessing.active_children():
            child.terminate()
            child.join()
        raise SetupError(f"{jobs} worker processes cannot start ({type(err).__name__}: {err}): if "
                         f"this process's memory is limited (ulimit -v), allow it more; or use one "
                         f"job (--jobs 1)") from None


def _try_threads(n):
    """Start n threads that wait, then end them; RuntimeError if one cannot start. A pool
    whose third thread cannot start has started its workers already, and its first
    thread replaces them as they end: they would print a traceback each when this
    process exits."""
    stop, started = threading.Event(), []
    try:
        for _ in range(n):
            started.append(threading.Thread(target=stop.wait, daemon=True))
            started[-1].start()
    finally:
        stop.set()
        for thread in started:
            if thread.ident is not None:
                thread.join()


def refuse_unguarded_main(what, instead):
    """SetupError when `what` (worker processes) would start from the top level of a
    script without a main guard (unguarded_main_line), naming the fix."""
    line = unguarded_main_line()
    if line is not None:
        path, number = line
        raise SetupError(
            f"{what} cannot start from line {number} of {path}: each worker re-runs that "
            f"script from the top (multiprocessing's spawn) and would start workers again: put "
            f"the script's code under `if __name__ == \"__main__\":`, or use {instead}")


def _main_guard_lines(path):
    """The line ranges of the `if __name__ == "__main__":` blocks at the top level of the
    script at path, or None if it cannot be read or parsed (then nothing is refused)."""
    try:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
    except (OSError, SyntaxError, ValueError):
        return None
    guards = []
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Compare):
            names = [node.test.left, *node.test.comparators]
            if any(isinstance(x, ast.Name) and x.id == "__name__" for x in names) and any(
                    isinstance(x, ast.Constant) and x.value == "__main__" for x in names):
                guards.append((node.lineno, node.end_lineno))
    return guards


def unguarded_main_line():
    """(script, line) when this call comes from a line of the script run as __main__ that
    is outside an `if __name__ == "__main__":` block, else None.

    A spawned worker process starts by running the main script again (as __mp_main__) to
    find what it may need; code at its top level without the guard would start the pool
    again inside every worker, which multiprocessing refuses with a RuntimeError in each,
    while the pool keeps replacing the dead workers: the parent never finishes. A main
    without a file (python -c, an interactive session) is not re-run, nor is a call from
    inside the guard."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path or not path.endswith(".py"):
        return None
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") == "__main__":
            guards = _main_guard_lines(frame.f_code.co_filename)
            if guards is None or any(lo <= frame.f_lineno <= hi for lo, hi in guards):
                return None
            return frame.f_code.co_filename, frame.f_lineno
        frame = frame.f_back
    return None


def _run_task(part):
    """run_chunk and the CPU seconds it took in this process (BLAS pinned to one thread:
    the ensemble's whole cost), which the results file keeps beside the runs."""
    t0 = time.process_time()
    summaries = run_chunk(part)
    return summaries, time.process_time() - t0


def run_task_dask(part):
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
                with blas_on_one_thread():
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


def import_distributed():
    """Dask's distributed package, or SetupError saying how to install it."""
    try:
        import distributed
    except ImportError:
        raise SetupError(f"--scheduler needs Dask's distributed package, which is not installed: "
                         f"run `{CLUSTER_INSTALL}`") from None
    return distributed


SCHEDULER_FORMS = "use tcp://HOST:PORT (a running scheduler) or local:N (N local workers)"


def parse_scheduler(text):
    """("local", N) for local:N, ("tcp", HOST, PORT) for tcp://HOST:PORT, else SetupError
    naming the value and the allowed forms. Needs nothing installed, so the command line
    checks it before anything starts."""
    if text.startswith("local:"):
        return "local", _positive_int_or_exit("--scheduler local:N", text[len("local:"):])
    m = re.fullmatch(r"tcp://(\[[^\]]+\]|[^:/\s]+):(\d{1,5})", text)
    if m and 1 <= int(m.group(2)) <= 65535:
        return "tcp", m.group(1).strip("[]"), int(m.group(2))
    if text.startswith("tcp://"):
        raise SetupError(f"--scheduler {text!r} is not allowed: a scheduler address needs a host "
                         f"and a port from 1 to 65535, e.g. tcp://HOST:8786")
    raise SetupError(f"--scheduler {text!r} is not allowed: {SCHEDULER_FORMS}")


SCHEDULER_TIMEOUT = 5.0    # seconds to reach a scheduler and hear its greeting
GREETING_MAX_BYTES = 1 << 20   # a Dask greeting is a few dozen bytes


def check_scheduler_or_exit(host, port, address, timeout=None):
    """Connect to the scheduler and hear its greeting, so a wrong address is one line
    naming it and what was found there, within the timeout: a scheduler that is not
    running (not Dask's retries and traceback), or something else listening there (not a
    hang, nor Dask reading an HTTP answer as a frame length of 3 EiB)."""
    timeout = SCHEDULER_TIMEOUT if timeout is None else timeout
    deadline = time.monotonic() + timeout
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as err:
        cause = getattr(err, "strerror", None) or str(err) or "timed out"
        raise SetupError(f"--scheduler {address}: cannot reach a Dask scheduler there ({cause}): "
                         f"start one (`dask scheduler`) or name the right address") from None
    with sock:
        found = _not_a_dask_greeting(sock, deadline, timeout)
    if found is not None:
        raise SetupError(f"--scheduler {address}: {found}, not a Dask scheduler: name the "
                         f"scheduler's address (`dask scheduler` listens on port 8786 by default; "
                         f"8787 is its dashboard)")


def _not_a_dask_greeting(sock, deadline, timeout):
    """None if the peer greets as a Dask scheduler does, else what it did instead.

    A scheduler speaks first, at once: one message framed as an 8-byte little-endian
    length and that many bytes. An HTTP server (Dask's dashboard among them) waits
    for a request and says nothing; other servers answer in their own protocol."""
    head, closed = _read_until(sock, 8, deadline)
    if head.startswith(b"HTTP/"):
        status = (head + _read_until(sock, 64, deadline, until=b"\r\n")[0]).split(b"\r\n")[0]
        return f"an HTTP server answers there ({status.decode('ascii', 'replace')!r})"
    if not head:
        return ("something there closes connections without a word" if closed else
                f"something there accepts connections but said nothing in {timeout:g} s (a Dask "
                f"scheduler greets at once; an HTTP server, such as Dask's dashboard, waits)")
    size = int.from_bytes(head, "little")
    if len(head) < 8 or not 0 < size <= GREETING_MAX_BYTES:
        return f"something there answers in another protocol (its first bytes: {head!r})"
    if len(_read_until(sock, size, deadline)[0]) < size:
        return "something there stopped short in the middle of its greeting"
    return None


def _read_until(sock, n, deadline, until=None):
    """(up to n bytes from sock, whether it closed): fewer if it closes or the deadline
    passes first, or once they hold `until`."""
    data = b""
    while len(data) < n and not (until and until in data):
        left = deadline - time.monotonic()
        if left <= 0:
            return data, False
        sock.settimeout(left)
        try:
            chunk = sock.recv(n - len(data))
        except socket.timeout:
            return data, False
        except OSError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def _positive_int_or_exit(what, text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise SetupError(f"{what}: {text!r} is not allowed: need a whole number >= 1")
    return value


def make_executor(jobs, scheduler=None, worker_timeout=None):
    """The executor for a sweep: Dask when a scheduler is named (lab.cluster; worker_timeout:
    seconds to wait for a worker, its default if None), else local processes."""
    if scheduler:
        from lab.cluster import WORKER_TIMEOUT, DaskCluster
        return DaskCluster(scheduler, WORKER_TIMEOUT if worker_timeout is None else worker_timeout)
    return LocalPool(jobs) if jobs > 1 else InProcess()
