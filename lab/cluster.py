"""Training on a Dask cluster: a running scheduler (tcp://HOST:PORT) or a LocalCluster (local:N).

The workers need none of this checkout: before any training, run_all sends them its
code (lab.shipped, a worker plugin carrying a zip of the modules, which also reaches a
worker that joins later), and every worker is checked to import it and the NumPy it
needs. A task reaches the scheduler as bytes (TaskCall), so the scheduler, which unpickles
every task it is given, needs none of the code either. A cluster without a worker is
waited for, with a line saying so, for worker_timeout seconds; then, as when every worker
is lost mid-run, one line (SetupError). Dask is imported only here.
"""
import asyncio
import concurrent.futures
import contextlib
import hashlib
import io
import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
import zipfile

from lab import executors
from lab.console import first_line
from lab.executors import SetupError
from lab.tuning import cap_workers, pin_blas_threads

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # the checkout
BOOK = ("geneft.py", "statics.py", "repons.py")
NUMPY_MIN = (1, 24)          # requirements.txt's numpy>=1.24 (a test checks they agree)
WORKER_TIMEOUT = 120.0       # seconds to wait for a worker, at the start or after losing all
CHECK_EVERY = 2.0            # seconds between looks at the cluster while tasks run
CANCELLED = (concurrent.futures.CancelledError, asyncio.CancelledError)   # what Dask raises for them


# --- The code the workers import ------------------------------------------------------

def code_files(root=ROOT):
    """(name in the zip, path) of every module a worker may import: the book and the lab,
    without the tests."""
    lab = os.path.join(root, "lab")
    files = [(name, os.path.join(root, name)) for name in BOOK]
    files += [(f"lab/{name}", os.path.join(lab, name)) for name in sorted(os.listdir(lab))
              if name.endswith(".py") and not name.startswith("test_")]
    return files


def code_zip(root=ROOT):
    """(file name, bytes) of a zip of code_files, named by its content's hash: the same
    code always gives the same bytes and name, other code another name (so a worker's
    import machinery never meets a changed file under an old name)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, path in code_files(root):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as f:
                z.writestr(info, f.read())
    data = buf.getvalue()
    from lab.shipped import ZIP_PREFIX          # needs distributed: imported once it is known there
    return f"{ZIP_PREFIX}{hashlib.sha256(data).hexdigest()[:16]}.zip", data


def ship_code(client, address):
    """Send the code to every worker of the client's cluster (and to those that join
    later) and check each imports it: SetupError naming the first worker that cannot,
    and what it lacks."""
    import cloudpickle
    from lab import shipped
    cloudpickle.register_pickle_by_value(shipped)     # unpickles where no lab/ is importable
    zip_name, data = code_zip()
    try:
        client.register_plugin(shipped.ShippedCode(zip_name, data, NUMPY_MIN))
    except Exception as err:            # a worker's error in ShippedCode.setup, re-raised by Dask
        text = " ".join(str(err).split())
        if isinstance(err, RuntimeError) and text.startswith("worker "):
            raise SetupError(f"--scheduler {address}: {text}: install what it lacks there "
                             f"(`{executors.CLUSTER_INSTALL}` in its Python)") from None
        raise SetupError(f"--scheduler {address}: the workers cannot take this checkout's code "
                         f"({type(err).__name__}: {text})") from None


class TaskCall:
    """A task as the scheduler sees it: stdlib's pickle.loads of bytes which, unpickled
    on a worker (where ShippedCode has put the code), call func(*args). The scheduler
    unpickles each task it is given: a task holding our function and Configs would need
    our code and NumPy there."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args

    def submit(self, client):
        return client.submit(pickle.loads, pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL),
                             pure=False)


# --- The cluster ----------------------------------------------------------------------

class DaskCluster:
    """Runs ensembles on a Dask cluster: `tcp://HOST:PORT` connects to a running scheduler,
    `local:N` starts a LocalCluster of N one-thread worker processes here (at most one per
    core this process may run on). Before any training it waits for a worker (at most
    worker_timeout seconds) and sends the code to every worker (ship_code)."""

    def __init__(self, scheduler, worker_timeout=WORKER_TIMEOUT):
        form = executors.parse_scheduler(scheduler)
        distributed = executors.import_distributed()
        self.cluster, self.distributed, self.client = None, distributed, None
        self.address, self.worker_timeout, self.none_since = scheduler, worker_timeout, None
        self.quiet = contextlib.ExitStack()
        self.quiet.enter_context(_loop_errors_silenced())
        try:
            if form[0] == "local":
                self._start_local(scheduler, form[1])
            else:
                self._connect(form[1], form[2])
            self.wait_for_workers()
            ship_code(self.client, scheduler)
            self.workers = max(1, sum(self.client.nthreads().values()))
        except BaseException:
            self.close(failed=True)
            raise

    def _connect(self, host, port):
        """A client of the running scheduler at self.address, checked first (SetupError)."""
        executors.check_scheduler_or_exit(host, port, self.address)
        try:
            self.client = self.distributed.Client(self.address, timeout="20s")
        except (OSError, TimeoutError) as err:
            raise SetupError(f"--scheduler {self.address}: cannot connect to the Dask scheduler "
                             f"({err})") from None

    def _start_local(self, scheduler, asked):
        """A LocalCluster of `asked` workers (at most one per core) and its client."""
        executors.refuse_unguarded_main(f"--scheduler {scheduler}", "jobs=1 without a scheduler")
        n = cap_workers(asked, f"--scheduler {scheduler}")
        pin_blas_threads()                 # the cluster's worker processes inherit it
        with _quiet_workers_started() as stop:
            self.cluster = self.distributed.LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})   # not 8787, often taken
            stop.append(lambda: self._close_cluster(failed=True))
        self.client = self.distributed.Client(self.cluster)

    def live_threads(self):
        """Threads of the workers the scheduler knows now (0: none is left); SetupError
        if the scheduler cannot be reached any more."""
        try:
            return sum(self.client.nthreads().values())
        except (Exception, *CANCELLED) as err:        # a closed client raises its own kinds
            raise self.scheduler_lost(err) from None

    def scheduler_lost(self, err):
        """The SetupError of a scheduler that cannot be reached any more (err: what Dask
        raised)."""
        why = "Dask cancelled the unfinished tasks" if isinstance(err, CANCELLED) else first_line(err)
        return SetupError(f"--scheduler {self.address}: lost the connection to the scheduler "
                          f"({why}): every finished ensemble is saved; run the same command "
                          "again once it is back")

    def wait_for_workers(self):
        """Return once a worker is there; else say so (one line), look again every half
        second, and after worker_timeout seconds, SetupError."""
        if self.live_threads():
            return
        print(f"waiting for workers at {self.address} (up to {self.worker_timeout:g} s; "
              "--worker-timeout changes it)", flush=True)
        deadline = time.monotonic() + self.worker_timeout
        while not self.live_threads():
            if time.monotonic() >= deadline:
                raise SetupError(f"--scheduler {self.address}: no worker joined in "
                                 f"{self.worker_timeout:g} s: start workers (`dask worker "
                                 f"{self.address}`), or wait longer with --worker-timeout")
            time.sleep(0.5)

    def map_unordered(self, parts, heartbeat, every=60.0):
        """(k, result of run_task_dask(parts[k])) as each task finishes; between them,
        heartbeat() every `every` seconds and a look at the workers every CHECK_EVERY."""
        futures = {TaskCall(executors.run_task_dask, part).submit(self.client): k
                   for k, part in enumerate(parts)}
        pending, last_beat = set(futures), time.monotonic()
        while pending:
            try:
                done, pending = self.distributed.wait(pending, timeout=CHECK_EVERY,
                                                      return_when="FIRST_COMPLETED")
            except self.distributed.TimeoutError:
                done = set()
            except CANCELLED as err:       # the client lost the scheduler and cancelled them
                raise self.scheduler_lost(err) from None
            for fut in done:
                yield futures[fut], self._result(fut)
            if not done:
                self._check_workers_left(len(pending))
                if time.monotonic() - last_beat >= every:
                    heartbeat()
                    last_beat = time.monotonic()

    def _check_workers_left(self, unfinished):
        """While tasks wait: with no worker left, one line saying so, and after
        worker_timeout seconds without one, SetupError (the finished ensembles are
        recorded already)."""
        if self.live_threads():
            self.none_since = None
            return
        if self.none_since is None:
            self.none_since = time.monotonic()
            print(f"  no worker left at {self.address}: waiting up to {self.worker_timeout:g} s "
                  "for one to join (--worker-timeout changes it)", flush=True)
        elif time.monotonic() - self.none_since >= self.worker_timeout:
            remedy = (f"start workers (`dask worker {self.address}`)" if self.cluster is None
                      else "see whether memory ran out")
            raise SetupError(f"--scheduler {self.address}: lost all workers, and none joined in "
                             f"{self.worker_timeout:g} s ({unfinished} ensemble(s) unfinished; every "
                             f"finished one is saved): {remedy} and run the same command again")

    def _result(self, fut):
        """A finished task's result; a worker that could not run it (a missing module,
        no memory left, a worker that died with it each time it was tried: KilledWorker)
        is SetupError, one line. Any other error is a fault of the code: raised."""
        if fut.status == "finished":
            return fut.result()
        err = fut.exception() if fut.status == "error" else None
        if err is None:
            raise SetupError(f"--scheduler {self.address}: the scheduler dropped a task "
                             f"({fut.status}); every finished ensemble is saved: run the same "
                             "command again")
        if isinstance(err, (ImportError, MemoryError)) or type(err).__name__ == "KilledWorker":
            raise SetupError(f"--scheduler {self.address}: a worker could not train an ensemble "
                             f"({first_line(err)}); every finished ensemble is saved: fix that "
                             "worker, then run the same command again") from None
        raise err

    def close(self, failed=False):
        """Close the client and the local cluster; after a failure or an interrupt quietly
        (the exception already says what happened; Dask would log every cancelled task)."""
        try:
            if self.client is not None:
                with _dask_logs_silenced() if failed else contextlib.nullcontext():
                    self.client.close()
                self.client = None
            self._close_cluster(failed)
        finally:
            self.quiet.close()

    def _close_cluster(self, failed=False):
        """Close the local cluster, if any (quietly after a failure, as close says)."""
        if self.cluster is not None:
            with _dask_logs_silenced() if failed else contextlib.nullcontext():
                self.cluster.close()
            self.cluster = None


# --- Starting a LocalCluster quietly ---------------------------------------------------

WORKER_LOG_VAR = "DASK_LOGGING__DISTRIBUTED"


@contextlib.contextmanager
def _quiet_workers_started():
    """Around the start of a LocalCluster, what its worker processes inherit: SIGINT
    ignored (an ignored signal stays ignored in a child), so a Ctrl-C reaches the main
    process alone, which prints one line and closes the cluster, instead of a traceback
    per worker; and Dask's log level `error` in them (DASK_LOGGING__DISTRIBUTED, read when
    a worker imports Dask), so closing after an interrupt does not log a warning per
    cancelled task. A Ctrl-C that comes meanwhile is not lost: it is raised as a
    KeyboardInterrupt when the block ends (CtrlCWatch), and the block's `stop` (a list)
    runs its callables first, so the cluster started meanwhile is closed."""
    previous_env = os.environ.get(WORKER_LOG_VAR)
    os.environ[WORKER_LOG_VAR] = "error"
    in_main = threading.current_thread() is threading.main_thread()
    watch = CtrlCWatch() if in_main else None          # started while SIGINT still acts
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if in_main else None
    stop, came = [], False
    try:
        yield stop
    finally:
        if in_main:
            signal.signal(signal.SIGINT, previous)
            came = watch.end()
        if previous_env is None:
            del os.environ[WORKER_LOG_VAR]
        else:
            os.environ[WORKER_LOG_VAR] = previous_env
    if came:
        for close in stop:
            close()
        raise KeyboardInterrupt


class CtrlCWatch:
    """Tells whether a Ctrl-C came while this process ignored SIGINT.

    A Ctrl-C at the terminal signals the whole foreground process group. A child started
    before SIGINT is ignored keeps its default action and ends on it (its output goes
    nowhere), so its end is the news; it also ends when its stdin closes, which `end`
    does, as does the end of this process in any way. Where no child can be started (or
    SIGINT was ignored already, as under nohup) nothing is noticed, as before."""

    def __init__(self):
        try:
            self.child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                                          stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL)
        except OSError:
            self.child = None

    def end(self):
        """True if a Ctrl-C came since the watch started; the child is gone after."""
        if self.child is None:
            return False
        came = self.child.poll() is not None
        self.child.stdin.close()
        self.child.wait()
        return came


@contextlib.contextmanager
def _loggers_silenced(*names):
    """The named loggers say nothing for the duration, their levels restored after."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def _loop_errors_silenced():
    """Errors that the client's side of Dask logs in this process, with a traceback, not
    logged: tornado's "Exception in callback" (a Ctrl-C as a call to the scheduler starts
    makes Dask's own clean-up callback fail: distributed.utils.sync cancels a future it
    has not made yet) and the client's own on losing the scheduler. What a task or the
    cluster does wrong reaches this process as an exception, said in one line."""
    return _loggers_silenced("tornado.application", "distributed.client")


def _dask_logs_silenced():
    """Dask's loggers silenced for the duration (its shutdown after an interrupt logs
    errors about the tasks it cancels)."""
    return _loggers_silenced("distributed", "tornado", "asyncio")
