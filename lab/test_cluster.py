"""Tests of lab/cluster.py and lab/shipped.py: the code reaches workers that cannot import
it, a worker without NumPy is one line naming it, a cluster without a worker (or one that
loses them all mid-run) is one line after --worker-timeout. The end-to-end tests start real
`dask scheduler` and `dask worker` processes on 127.0.0.1, from a folder other than the
checkout, with README's "At scale" recipe as written."""
import json
import os
import pickle
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile

import pytest

pytest.importorskip("distributed", reason="Dask's distributed is not installed (pip install -r "
                                          "requirements-cluster.txt)")
from lab import cluster, shipped  # noqa: E402
from lab.test_runner import ROOT  # noqa: E402

README = os.path.join(ROOT, "README.md")


# --- The code a worker takes -----------------------------------------------------------

def test_the_code_zip_holds_the_book_and_the_lab_without_tests_and_is_named_by_content(tmp_path):
    name, data = cluster.code_zip()
    assert (name, data) == cluster.code_zip()                  # the same code, the same bytes
    assert re.fullmatch(r"geneft-code-[0-9a-f]{16}\.zip", name)
    (tmp_path / "code.zip").write_bytes(data)
    held = zipfile.ZipFile(tmp_path / "code.zip").namelist()
    assert {"geneft.py", "statics.py", "repons.py", "lab/__init__.py", "lab/executors.py",
            "lab/ensemble.py", "lab/shipped.py"} <= set(held)
    assert not [n for n in held if "test_" in n or n.startswith("figures")]
    copy = tmp_path / "copy"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".git", "figures", ".cache"))
    (copy / "geneft.py").write_text((copy / "geneft.py").read_text() + "\n# edited\n")
    assert cluster.code_zip(str(copy))[0] != name              # other code, another name


def test_numpy_min_is_the_one_requirements_txt_names():
    text = open(os.path.join(ROOT, "requirements.txt")).read()
    assert re.search(r"^numpy>=(\d+)\.(\d+)", text, re.M).groups() == tuple(map(str, cluster.NUMPY_MIN))


SETUP_ON_A_BARE_WORKER = """
import pickle, sys, types
import geneft                                  # an older checkout's geneft, already imported
plugin = pickle.load(open(sys.argv[1], "rb"))
worker = types.SimpleNamespace(local_directory=sys.argv[2], address="tcp://10.0.0.7:4242")
try:
    plugin.setup(worker)
except RuntimeError as err:
    print("error:", err)
    sys.exit(0)
import geneft, lab.executors
print(geneft.__file__)
print(lab.executors.__file__)
"""


def bare_worker_setup(tmp_path, extra_path=()):
    """ShippedCode pickled as the client pickles it, set up in a fresh Python that has none
    of the checkout (run from tmp_path, no PYTHONPATH but extra_path) but an older
    geneft.py of its own. Returns its stdout lines."""
    import cloudpickle
    cloudpickle.register_pickle_by_value(shipped)
    zip_name, data = cluster.code_zip()
    blob = tmp_path / "plugin.pickle"
    blob.write_bytes(cloudpickle.dumps(shipped.ShippedCode(zip_name, data, cluster.NUMPY_MIN)))
    old = tmp_path / "old"
    old.mkdir(exist_ok=True)
    (old / "geneft.py").write_text("VERSION = 'old'\n")
    (tmp_path / "local").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = os.pathsep.join([*extra_path, str(old)])
    done = subprocess.run([sys.executable, "-c", SETUP_ON_A_BARE_WORKER, str(blob), str(tmp_path / "local")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines(), os.path.join(str(tmp_path / "local"), zip_name)


def test_a_worker_without_the_checkout_imports_the_shipped_code_not_its_own(tmp_path):
    """The plugin unpickles where no lab/ is importable, and what a task imports then comes
    from the zip, also where an older geneft was imported before."""
    lines, zip_path = bare_worker_setup(tmp_path)
    assert lines == [os.path.join(zip_path, "geneft.py"), os.path.join(zip_path, "lab", "executors.py")]


def fake_numpy(folder):
    """A folder whose numpy cannot be imported, as on a machine without it."""
    (folder / "numpy").mkdir(parents=True)
    (folder / "numpy" / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'numpy'\", name='numpy')\n")
    return str(folder)


def test_a_worker_without_numpy_is_named_with_what_it_lacks(tmp_path):
    lines, _ = bare_worker_setup(tmp_path, [fake_numpy(tmp_path / "nonumpy")])
    assert lines == ["error: worker tcp://10.0.0.7:4242 cannot import numpy (ModuleNotFoundError: "
                     "No module named 'numpy')"]


def test_a_task_reaches_the_scheduler_as_stdlib_bytes():
    """What the scheduler unpickles is pickle.loads and bytes; the bytes call the task."""
    call = cluster.TaskCall(divmod, 17, 5)
    sent = pickle.dumps(call)
    assert pickle.loads(sent) == (3, 2)


# --- Real `dask scheduler` and `dask worker` processes ----------------------------------

def recipe():
    """README's "At scale" commands: (scheduler, worker, run_all) lines."""
    text = open(README, encoding="utf-8").read()
    section = text[text.index("## At scale"):text.index("\n## ", text.index("## At scale") + 1)]
    block = re.search(r"```\n(dask scheduler.*?)```", section, re.S).group(1)
    lines = [ln for ln in block.splitlines() if ln.strip()]
    assert len(lines) == 3 and lines[2].startswith("python run_all.py ")
    return lines


def dask_executable():
    """The `dask` command of this Python's environment, or skip."""
    pytest.importorskip("distributed")
    beside = os.path.join(os.path.dirname(sys.executable), "dask")
    found = beside if os.path.exists(beside) else shutil.which("dask")
    if not found:
        pytest.skip("no `dask` command installed beside this Python")
    return found


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """Processes started from a folder other than the checkout, each in its own session,
    all ended (with their children) by stop()."""

    def __init__(self, folder):
        self.folder, self.started = folder, []

    def start(self, line, port, env_extra=None, log="log"):
        """A README command line as written, on 127.0.0.1:port; `VAR=value` words at its
        start set the environment, as a shell does."""
        words = shlex.split(line.replace("SCHEDULER", "127.0.0.1").replace("8786", str(port)))
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        while "=" in words[0]:
            key, value = words.pop(0).split("=", 1)
            env[key] = value
        env.update(env_extra or {})
        if words[:2] == ["dask", "scheduler"]:
            words += ["--host", "127.0.0.1"]              # README: on one machine, add this
        words[0] = dask_executable()
        out = open(self.folder / f"{log}.txt", "w")
        proc = subprocess.Popen(words, cwd=self.folder, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.started.append(proc)
        return proc

    def stop(self, proc=None):
        for p in [proc] if proc else list(self.started):
            with_children_gone(p)
            if p in self.started:
                self.started.remove(p)


def with_children_gone(proc):
    """End proc's session (a `dask worker` and the processes it started)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)          # any child left behind
    except (ProcessLookupError, PermissionError):
        pass


def wait_for_port(port, proc, timeout=60):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        assert proc.poll() is None, "the scheduler ended at once"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"no scheduler on port {port} within {timeout} s")


@pytest.fixture
def processes(tmp_path):
    procs = Processes(tmp_path)
    try:
        yield procs
    finally:
        procs.stop()


def scheduler_at(processes):
    """A scheduler started as README says; returns its port."""
    port = free_port()
    wait_for_port(port, processes.start(recipe()[0], port, log="scheduler"))
    return port


def run_all(folder, *args, script=None, timeout=300):
    """run_all.py (or a script calling its main) from folder, as a user elsewhere would."""
    cmd = [sys.executable, script or os.path.join(ROOT, "run_all.py"), *args]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update({"MPLBACKEND": "Agg", **({"PYTHONPATH": ROOT} if script else {})})
    return subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True, timeout=timeout)


def lines_of(text):
    return [ln for ln in text.splitlines() if ln.strip()]


def test_the_readme_recipe_trains_on_workers_started_from_another_folder(tmp_path, processes):
    """The recipe as written (scheduler on 127.0.0.1): a smoke figure trains on the workers,
    which never saw the checkout, and gives the JSON of --jobs 1 (the `dask` command put
    its own bin/ on sys.path: the workers once could not import geneft, and the run ended
    in two tracebacks)."""
    import run_all as ra
    from test_run_all import figure_data
    port = scheduler_at(processes)
    processes.start(recipe()[1], port, log="worker")
    done = run_all(tmp_path, "--preset", "smoke", "--only", "fig7", "--scheduler", f"tcp://127.0.0.1:{port}",
                   "--out", str(tmp_path / "dask"), "--cache", str(tmp_path / "dask-cache"))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert ra.main(["--preset", "smoke", "--only", "fig7", "--jobs", "1", "--out", str(tmp_path / "local"),
                    "--cache", str(tmp_path / "local-cache")]) == 0
    local, dask = figure_data(tmp_path / "local"), figure_data(tmp_path / "dask")
    assert list(local) == ["fig7.json"] and local == dask


def test_no_worker_then_a_worker_without_numpy_are_one_line_each(tmp_path, processes):
    """A scheduler without a worker: a line saying whom it waits for, then one error line
    after --worker-timeout (it once waited silently, forever). A worker that cannot import
    NumPy: one line naming it and NumPy, before any training (it once hung forever)."""
    port = scheduler_at(processes)
    address = f"tcp://127.0.0.1:{port}"

    def args(timeout):
        return ["--preset", "smoke", "--only", "fig7", "--scheduler", address, "--worker-timeout",
                timeout, "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")]
    done = run_all(tmp_path, *args("1"), timeout=120)
    assert done.returncode == 2
    assert lines_of(done.stdout) == [f"waiting for workers at {address} (up to 1 s; --worker-timeout "
                                     "changes it)"]
    assert lines_of(done.stderr) == [f"error: --scheduler {address}: no worker joined in 1 s: start "
                                     f"workers (`dask worker {address}`), or wait longer with --worker-timeout"]
    worker = recipe()[1].replace("--nworkers auto", "--nworkers 1")
    processes.start(worker, port, {"PYTHONPATH": fake_numpy(tmp_path / "nonumpy")}, log="worker")
    done = run_all(tmp_path, *args("60"), timeout=120)
    err = lines_of(done.stderr)
    assert done.returncode == 2 and len(err) == 1, done.stderr
    assert re.fullmatch(rf"error: --scheduler {address}: worker tcp://127\.0\.0\.1:\d+ cannot import "
                        r"numpy \(ModuleNotFoundError: No module named 'numpy'\): install what it lacks "
                        r"there \(`pip install -r requirements-cluster.txt` in its Python\)", err[0]), err[0]
    assert not (tmp_path / "out" / "fig7.json").exists()


LONG_FIG7 = """
import dataclasses, sys
import run_all as ra
ra.PRESETS["smoke"] = dataclasses.replace(ra.PRESETS["smoke"], results_in_repo=True, steps=3000, chunk=1)
sys.exit(ra.main(sys.argv[1:]))
"""


@pytest.mark.parametrize("lost", ["workers", "scheduler"])
def test_losing_the_workers_or_the_scheduler_mid_run_is_one_line_and_keeps_what_finished(
        tmp_path, processes, lost):
    """Every worker (or the scheduler) killed after the first ensemble is recorded: one
    line, exit 2 (after --worker-timeout for the workers; the run once waited for ever,
    saying "still training", or ended in Dask's tracebacks); the results file keeps every
    finished ensemble."""
    port = scheduler_at(processes)
    scheduler = processes.started[-1]
    worker = processes.start(recipe()[1].replace("--nworkers auto", "--nworkers 1"), port, log="worker")
    script = tmp_path / "long_fig7.py"
    script.write_text(LONG_FIG7)
    address, results = f"tcp://127.0.0.1:{port}", tmp_path / "out" / "fig7.jsonl"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.Popen([sys.executable, str(script), "--preset", "smoke", "--only", "fig7",
                             "--scheduler", address, "--worker-timeout", "2", "--out", str(tmp_path / "out"),
                             "--cache", str(tmp_path / "cache")],
                            cwd=tmp_path, env=dict(env, MPLBACKEND="Agg", PYTHONPATH=ROOT),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        t0 = time.monotonic()
        while not (results.exists() and results.read_text().count("\n") >= 1):
            assert proc.poll() is None and time.monotonic() - t0 < 120, proc.communicate()
            time.sleep(0.02)
        processes.stop(worker if lost == "workers" else scheduler)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    if proc.returncode == 0:
        pytest.skip("every ensemble finished before it was stopped")
    assert proc.returncode == 2 and len(lines_of(err)) == 1, err
    if lost == "workers":
        assert lines_of(err)[0].startswith(f"error: --scheduler {address}: lost all workers, and none "
                                           "joined in 2 s (")
        assert f"  no worker left at {address}: waiting up to 2 s for one to join" in out
    else:
        assert lines_of(err)[0] == (f"error: --scheduler {address}: lost the connection to the scheduler "
                                    "(Dask cancelled the unfinished tasks): every finished ensemble is "
                                    "saved; run the same command again once it is back")
    kept = [json.loads(line) for line in results.read_text().splitlines()]
    assert 1 <= len(kept) < 6 and all(len(k["runs"]) == 1 for k in kept)
