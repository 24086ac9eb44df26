"""Tests of lab/executors.py: where ensembles train (in process, a local pool, Dask), what
a worker computes, the scheduler's address, and what Ctrl-C, kill -9 and a script without
a main guard leave."""
import contextlib
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

import geneft as g
from lab import executors, results
from lab.ensemble import train_ensemble
from lab.test_runner import ROOT, SMALL, small_configs, start_sweep, wait_for_lines


def children_of(pid):
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        kids.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return kids


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc, uses prctl")
def test_workers_die_with_their_parent_on_kill_9(tmp_path):
    proc = start_sweep(tmp_path, jobs=2)
    wait_for_lines(tmp_path / "fig.jsonl", 1, proc)
    workers = children_of(proc.pid)
    assert workers, "the pool has worker processes"
    proc.kill()
    proc.wait()
    t0 = time.time()
    while any(alive(w) for w in workers) and time.time() - t0 < 10:
        time.sleep(0.05)
    assert not any(alive(w) for w in workers)


BROKEN_PIPE_TO_A_DEAD_PARENT = """
import os, sys
sys.path.insert(0, {root!r})
from lab import executors
executors._worker_init(os.getppid())
read, write = os.pipe()
os.close(read)                                  # the parent has gone: nobody reads the results
os.write(write, b"a result")
print("still here", file=sys.stderr)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGPIPE"), reason="needs SIGPIPE")
def test_a_worker_whose_parent_has_gone_ends_quietly_on_its_next_result():
    """A worker sending a result into the pipe of a parent killed a moment before (kill -9;
    the kernel kills the worker a moment later): it ends at once, silently (it once
    printed a BrokenPipeError traceback, about 20 lines per worker)."""
    done = subprocess.run([sys.executable, "-c", BROKEN_PIPE_TO_A_DEAD_PARENT.format(root=ROOT)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == -signal.SIGPIPE and done.stderr == ""


def test_a_worker_whose_parent_died_before_it_started_leaves_at_once():
    """A worker that starts after its parent died (a kill -9 during the pool's start) does
    not wait for work that never comes: it leaves in its set-up."""
    code = f"import sys; sys.path.insert(0, {ROOT!r}); from lab import executors; " \
           "executors._worker_init(-1); print('went on')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""


def test_ctrl_c_prints_one_line_and_keeps_finished_work(tmp_path):
    cmd = [sys.executable, os.path.join(ROOT, "run_all.py"), "--preset", "smoke", "--jobs", "2",
           "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache"), "--only", "fig5"]
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    for line in proc.stdout:                                 # wait until it is training
        if "fig5-mod3" in line:
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.skip("the smoke fig5 finished before the signal arrived")
    assert proc.returncode == 130
    assert "Traceback" not in err
    assert [ln for ln in err.splitlines() if ln.strip()] == [
        "interrupted: every finished ensemble is saved; run the same command again to resume"]


def test_sigterm_prints_one_line_and_keeps_finished_work(tmp_path):
    """`kill PID` (SIGTERM, as a batch system's stop): the run ends as on Ctrl-C, one line
    and exit 143, workers stopped, the lock released (it once ended with no line of its
    own, only multiprocessing's warning of leaked semaphores, or the workers' tracebacks)."""
    cmd = [sys.executable, os.path.join(ROOT, "run_all.py"), "--preset", "smoke", "--jobs", "2",
           "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache"), "--only", "fig5"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, MPLBACKEND="Agg"))
    for line in proc.stdout:
        if "fig5-mod3" in line:
            break
    workers = children_of(proc.pid)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.skip("the smoke fig5 finished before the signal arrived")
    assert proc.returncode == 143
    assert [ln for ln in err.splitlines() if ln.strip()] == [
        "interrupted: every finished ensemble is saved; run the same command again to resume"]
    t0 = time.time()
    while any(alive(w) for w in workers) and time.time() - t0 < 10:    # the pool's and its tracker's
        time.sleep(0.05)
    assert not any(alive(w) for w in workers)
    assert not (tmp_path / "cache" / "smoke" / ".lock").exists()


def test_ctrl_c_under_a_local_dask_cluster_is_one_line(tmp_path):
    """Ctrl-C reaches the whole foreground process group, the cluster's workers included:
    they ignore it, the main process prints one line and closes the cluster (it once
    printed a traceback per worker)."""
    pytest.importorskip("distributed")
    cmd = [sys.executable, os.path.join(ROOT, "run_all.py"), "--preset", "smoke", "--scheduler", "local:2",
           "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache"), "--only", "fig5"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, MPLBACKEND="Agg"), start_new_session=True)
    for line in proc.stdout:
        if "fig5-mod3" in line:
            break
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=90)
    if proc.returncode == 0:
        pytest.skip("the smoke fig5 finished before the signal arrived")
    assert proc.returncode == 130, err
    assert [ln for ln in err.splitlines() if ln.strip()] == [
        "interrupted: every finished ensemble is saved; run the same command again to resume"]


def test_missing_dask_is_one_clear_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)    # import distributed -> ImportError
    with pytest.raises(SystemExit, match="pip install -r requirements-cluster.txt"):
        executors.make_executor(1, scheduler="local:1")


@pytest.mark.parametrize("bad", ["local:0", "local:x", "http://host:8786"])
def test_bad_scheduler_is_refused(bad):
    pytest.importorskip("distributed")
    with pytest.raises(SystemExit, match="is not allowed"):
        executors.make_executor(1, scheduler=bad)


@pytest.mark.parametrize("bad, words", [
    ("tcp://127.0.0.1", "needs a host and a port"), ("tcp://:8786", "needs a host and a port"),
    ("tcp://host:99999", "needs a host and a port"), ("local:-2", "whole number >= 1")])
def test_a_scheduler_address_is_checked_before_dask_is_needed(monkeypatch, bad, words):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(SystemExit, match=words):
        executors.make_executor(1, scheduler=bad)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_scheduler_is_one_line_at_once():
    pytest.importorskip("distributed")
    address = f"tcp://127.0.0.1:{free_port()}"
    t0 = time.time()
    with pytest.raises(SystemExit, match=f"{address}: cannot reach a Dask scheduler there"):
        executors.make_executor(1, scheduler=address)
    assert time.time() - t0 < 10


def test_a_local_cluster_has_at_most_one_worker_per_core_of_the_affinity(monkeypatch, capsys):
    distributed = pytest.importorskip("distributed")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    started = []

    class Cluster:
        def __init__(self, n_workers, **kwargs):
            started.append(n_workers)

        def close(self):
            pass

    class Client:
        def __init__(self, cluster):
            pass

        def nthreads(self):
            return {"w": 1}

        def register_plugin(self, plugin):
            pass

        def close(self):
            pass
    monkeypatch.setattr(distributed, "LocalCluster", Cluster)
    monkeypatch.setattr(distributed, "Client", Client)
    executors.make_executor(1, scheduler="local:6").close()
    assert started == [1]
    assert "--scheduler local:6 is more than the 1 core this process may run on" in capsys.readouterr().err


SCRIPT = """import sys
sys.path.insert(0, {root!r})
import geneft as g
from lab.runner import Runner
{head}with Runner(jobs=2, cache_dir={cache!r}) as r:
{indent}    print(len(r.run("t", [g.Config(n=6, d=2, depth=1, width=8, steps=20, eval_every=10)])))
"""


def test_workers_from_a_script_without_a_main_guard_are_one_clear_error(tmp_path):
    """Runner(jobs=2) at the top level of a script: one line naming the line and the fix
    (it once started workers that each failed and were replaced, forever); under the
    guard the same code runs."""
    script = tmp_path / "sweep.py"
    script.write_text(SCRIPT.format(root=ROOT, cache=str(tmp_path / "c"), head="", indent=""))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=30)
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert done.returncode != 0 and len(lines) == 1, done.stderr
    assert f"line 5 of {script}" in lines[0] and 'if __name__ == "__main__":' in lines[0]
    assert "jobs=1" in lines[0]
    script.write_text(SCRIPT.format(root=ROOT, cache=str(tmp_path / "c"),
                                    head='if __name__ == "__main__":\n    ', indent="    "))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.splitlines()[-1] == "1", done.stderr


def test_flushing_leaves_a_run_without_subnormals_bit_identical():
    cfgs = [dataclasses.replace(c, dtype="float32") for c in small_configs(3)]
    plain = [results.RunSummary.of_history(h) for h in train_ensemble(cfgs)]
    assert executors.run_chunk(cfgs) == plain


def test_a_long_ensemble_in_process_still_says_it_is_alive(capsys, monkeypatch):
    def slow(part):
        time.sleep(0.35)
        return [results.RunSummary(g.CONFUSION, None, None, None, 0, None, None, None, [])] * len(part)
    monkeypatch.setattr(executors, "run_chunk", slow)
    beats = []
    out = list(executors.InProcess().map_unordered([[SMALL]], lambda: beats.append(1), every=0.1))
    assert len(out) == 1 and 2 <= len(beats) <= 4


# --- A scheduler address that reaches something else -----------------------------------

@contextlib.contextmanager
def listener(answer):
    """A TCP listener on 127.0.0.1 that accepts every connection and sends `answer` (None:
    says nothing, keeping the connection open); yields its port."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held, stop = [], threading.Event()

    def serve():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            held.append(conn)
            if answer is not None:
                conn.sendall(answer)
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()


HTTP_ANSWER = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


@pytest.mark.parametrize("answer, words", [
    (None, "something there accepts connections but said nothing in 0.5 s (a Dask scheduler "
           "greets at once; an HTTP server, such as Dask's dashboard, waits), not a Dask scheduler"),
    (HTTP_ANSWER, "an HTTP server answers there ('HTTP/1.1 400 Bad Request'), not a Dask scheduler"),
    (b"SSH-2.0-OpenSSH_9.6\r\n", "something there answers in another protocol (its first bytes: "
                                 "b'SSH-2.0-'), not a Dask scheduler")])
def test_a_scheduler_address_that_reaches_something_else_is_one_line(monkeypatch, answer, words):
    """A listener that never answers (python -m http.server: the run once waited forever)
    or answers HTTP (the run once died allocating 3.07 EiB): one line naming the address
    and what is there, within the timeout, before Dask connects."""
    distributed = pytest.importorskip("distributed")
    monkeypatch.setattr(executors, "SCHEDULER_TIMEOUT", 0.5)
    monkeypatch.setattr(distributed, "Client", lambda *a, **k: pytest.fail("Dask was let connect"))
    with listener(answer) as port:
        address = f"tcp://127.0.0.1:{port}"
        t0 = time.time()
        with pytest.raises(executors.SetupError) as exit_:
            executors.make_executor(1, scheduler=address)
    assert str(exit_.value).startswith(f"--scheduler {address}: {words}: name the scheduler's address")
    assert "\n" not in str(exit_.value)
    assert time.time() - t0 < 30                              # a hang guard only


def test_a_real_dask_scheduler_passes_the_greeting_check():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=0, processes=False, protocol="tcp://", dashboard_address=None,
                                  scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as cluster:
        host, port = cluster.scheduler_address.replace("tcp://", "").rsplit(":", 1)
        executors.check_scheduler_or_exit(host, int(port), cluster.scheduler_address)


CTRL_C_DURING_START = """
import os, signal, sys, time
sys.path.insert(0, {root!r})
signal.signal(signal.SIGINT, signal.default_int_handler)   # as in a terminal, even under nohup
import distributed
import run_all as ra


class CtrlCWhileStarting(distributed.LocalCluster):
    def __init__(self, *args, **kwargs):
        os.killpg(0, signal.SIGINT)               # Ctrl-C: the whole foreground process group
        time.sleep(0.2)
        super().__init__(*args, **kwargs)


distributed.LocalCluster = CtrlCWhileStarting
if __name__ == "__main__":
    sys.exit(ra.main(sys.argv[1:]))
"""


def test_ctrl_c_while_a_local_cluster_starts_stops_the_run(tmp_path):
    """Ctrl-C in the first seconds of --scheduler local:2, while the cluster starts (when
    this process ignores SIGINT, so its workers inherit ignoring it): one line, exit 130,
    nothing trained, no worker left (it was once ignored and the run went on to exit 0)."""
    pytest.importorskip("distributed")
    script = tmp_path / "ctrl_c.py"
    script.write_text(CTRL_C_DURING_START.format(root=ROOT))
    proc = subprocess.Popen([sys.executable, str(script), "--preset", "smoke", "--only", "fig7",
                             "--scheduler", "local:2", "--out", str(tmp_path / "out"),
                             "--cache", str(tmp_path / "cache")],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, MPLBACKEND="Agg"), start_new_session=True)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert [ln for ln in err.splitlines() if ln.strip()] == [
        "interrupted: every finished ensemble is saved; run the same command again to resume"]
    assert "fig7: computing" not in out
    assert not os.path.exists(tmp_path / "out" / "fig7.json")


def test_a_pool_whose_threads_cannot_start_is_one_line_and_starts_no_worker(monkeypatch):
    """As under an address-space limit (ulimit -v) too small for the pool's own threads:
    one line naming the cause and what to do, and no worker process left to print a
    traceback when this process ends (the pool once started its workers, then failed
    at its third thread, and went on replacing them)."""
    import multiprocessing

    def cannot(self):
        raise RuntimeError("can't start new thread")
    monkeypatch.setattr(threading.Thread, "start", cannot)
    with pytest.raises(executors.SetupError) as exit_:
        executors.start_pool(2)
    assert str(exit_.value) == ("2 worker processes cannot start (RuntimeError: can't start new "
                                "thread): if this process's memory is limited (ulimit -v), allow it "
                                "more; or use one job (--jobs 1)")
    assert multiprocessing.active_children() == []


def test_a_sweep_in_this_process_trains_with_one_blas_thread(monkeypatch):
    """--jobs 1 trains in the main process, whose NumPy is loaded before any variable could pin
    it: BLAS is limited to one thread around each ensemble (ten times faster on a busy machine)."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from lab import executors
    seen = []
    monkeypatch.setattr(executors, "_run_task", lambda part: seen.append(
        [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]) or ([], 0.0))
    list(executors.InProcess().map_unordered([["a"], ["b"]], heartbeat=lambda: None))
    assert len(seen) == 2 and all(t and set(t) == {1} for t in seen)
