"""Tests of lab/runner.py, lab/results.py, lab/executors.py: the cache, the committed results file, executors (local and Dask),
progress, and what survives Ctrl-C and kill -9."""
import dataclasses
import json
import os
import platform
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import geneft as g
from lab import executors, results, tuning
from lab.runner import Runner, near_change
from lab.ensemble import init_ensemble, train_ensemble

SMALL = g.Config(n=8, d=2, depth=1, width=8, frac=0.75, steps=60, eval_every=10, seed=0)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # the checkout


def small_configs(k):
    return [dataclasses.replace(SMALL, seed=s, eta_dec=1e-3 * (1 + s)) for s in range(k)]


def no_training(monkeypatch):
    monkeypatch.setattr(executors, "run_chunk", lambda configs: pytest.fail("retrained a finished run"))


def test_run_summary_round_trips_and_rejects_bad_records():
    s = executors.run_chunk([SMALL])[0]
    assert results.RunSummary.from_json(json.loads(json.dumps(s.to_json()))) == s
    with pytest.raises(ValueError, match="keys"):
        results.RunSummary.from_json({"phase": "generalization"})
    with pytest.raises(ValueError, match="phase='grokked'"):
        results.RunSummary.from_json({**s.to_json(), "phase": "grokked"})


def test_corrupt_cache_file_is_recomputed_with_a_warning(tmp_path):
    cfgs = small_configs(2)
    with Runner(jobs=1, cache_dir=str(tmp_path)) as runner:
        first = runner.run("t", cfgs)
        files = list((tmp_path / "t").glob("*.json"))
        assert len(files) == 1
        files[0].write_text('[{"phase": "gen')              # a run killed mid-write
        with pytest.warns(UserWarning, match="unreadable"):
            again = runner.run("t", cfgs)
    assert again == first


def run_with_results(cache_dir, results_path, cfgs, chunk=2):
    with Runner(jobs=1, cache_dir=str(cache_dir), chunk=chunk) as runner:
        runner.results = results.ResultsFile(str(results_path))
        return runner.run("t", cfgs)


def test_results_file_resumes_on_a_fresh_clone_without_recomputing(tmp_path, monkeypatch):
    cfgs, path = small_configs(6), tmp_path / "repo" / "fig.jsonl"
    first = run_with_results(tmp_path / "cache-a", path, cfgs)
    lines = path.read_text().splitlines()
    assert len(lines) == 3                                   # 3 ensembles of 2 runs
    rec = json.loads(lines[0])
    assert set(rec) == {"key", "configs", "runs", "cpu_seconds"} and len(rec["runs"]) == 2
    no_training(monkeypatch)                                 # a fresh clone: no .cache at all
    assert run_with_results(tmp_path / "cache-b", path, cfgs) == first
    assert len(path.read_text().splitlines()) == 3           # nothing appended twice


def test_results_file_line_that_fails_to_parse_is_reported_and_recomputed(tmp_path, monkeypatch):
    cfgs, path = small_configs(4), tmp_path / "fig.jsonl"
    first = run_with_results(tmp_path / "c1", path, cfgs)
    good, bad = path.read_text().splitlines()
    path.write_text(good + "\n" + bad[: len(bad) // 2])      # the last line cut by a kill
    calls = []
    real = executors.run_chunk
    monkeypatch.setattr(executors, "run_chunk", lambda part: calls.append(len(part)) or real(part))
    with pytest.warns(UserWarning, match="line 2 is unreadable"):
        again = run_with_results(tmp_path / "c2", path, cfgs)
    assert again == first and calls == [2]                   # only the lost ensemble
    lines = path.read_text().splitlines()
    assert len(lines) == 3 and json.loads(lines[2])["key"] == json.loads(bad)["key"]
    # a line whose configs are not valid is refused too, naming the field
    path.write_text(good.replace('"n": 8', '"n": -8') + "\n")
    with pytest.warns(UserWarning, match="n=-8"):
        assert results.ResultsFile(str(path)).found == {}


def test_results_file_is_found_run_by_run_when_the_ensembles_are_cut_differently(tmp_path, monkeypatch):
    """Another worker count cuts a sweep into other ensembles (Runner.run): the runs stored
    under the old cut are used, nothing is retrained and no line is added."""
    cfgs, path = small_configs(6), tmp_path / "fig.jsonl"
    first = run_with_results(tmp_path / "cache-a", path, cfgs, chunk=2)
    before = path.read_text()
    no_training(monkeypatch)
    again = run_with_results(tmp_path / "cache-b", path, cfgs, chunk=4)
    assert [r.to_json() for r in again] == [r.to_json() for r in first]
    assert path.read_text() == before


def test_missing_runs_are_cut_so_every_worker_has_an_ensemble(tmp_path, monkeypatch):
    """Two of six runs stored: the four missing ones train as two ensembles of two on two
    workers (not one of four), and nothing stored is retrained."""
    cfgs, path = small_configs(6), tmp_path / "fig.jsonl"
    run_with_results(tmp_path / "c", path, cfgs[:2])
    parts = []
    monkeypatch.setattr(executors, "run_chunk", lambda part: parts.append(part) or
                        [results.RunSummary.of_history(h) for h in train_ensemble(part)])
    with Runner(jobs=1, cache_dir=str(tmp_path / "c2"), chunk=8) as runner:
        runner.executor.workers = 2                  # cut as for two workers, run in-process
        runner.results = results.ResultsFile(str(path))
        runner.run("t", cfgs)
    assert sorted(len(p) for p in parts) == [2, 2]
    assert {c.seed for p in parts for c in p} == {2, 3, 4, 5}


def test_run_groups_submits_every_group_at_once_and_splits_the_results_back(tmp_path):
    """Two sweeps of 3 and 2 runs: one submission holding all their ensembles (no worker
    waits for one sweep's slowest ensemble), results in each group's order, as run() gives."""
    first = small_configs(3)
    second = [dataclasses.replace(c, seed=9 + k) for k, c in enumerate(small_configs(2))]
    with Runner(jobs=1, cache_dir=str(tmp_path / "alone"), chunk=2) as runner:
        alone = [runner.run("a", first), runner.run("b", second)]
    submissions = []
    with Runner(jobs=1, cache_dir=str(tmp_path / "together"), chunk=2) as runner:
        submit = runner.executor.map_unordered
        runner.executor.map_unordered = lambda parts, beat: submissions.append(len(parts)) or submit(parts, beat)
        together = runner.run_groups("ab", [first, second])
    assert submissions == [3]                       # 5 runs in ensembles of ≤ 2, one call
    assert [[r.to_json() for r in grp] for grp in together] == [[r.to_json() for r in grp] for grp in alone]


def test_results_file_keeps_each_ensembles_cpu_time(tmp_path):
    """Each computed ensemble's line carries the CPU seconds of its training; cost() sums
    them over the file and counts ensembles without a time (found in a cache)."""
    cfgs, path = small_configs(4), tmp_path / "fig.jsonl"
    run_with_results(tmp_path / "c", path, cfgs)
    times = [json.loads(line)["cpu_seconds"] for line in path.read_text().splitlines()]
    assert len(times) == 2 and all(t > 0 for t in times)
    total, untimed = results.ResultsFile(str(path)).cost()
    assert total == pytest.approx(sum(times)) and untimed == 0
    run_with_results(tmp_path / "c", tmp_path / "other.jsonl", cfgs)     # both from the cache
    assert "cpu_seconds" not in (tmp_path / "other.jsonl").read_text()
    assert results.ResultsFile(str(tmp_path / "other.jsonl")).cost() == (0, 2)


def test_results_file_key_survives_a_config_field_added_later(tmp_path):
    """A line written before a Config field existed still matches: the key is recomputed
    from the stored fields, the missing one taking its default."""
    cfgs, path = small_configs(2), tmp_path / "fig.jsonl"
    run_with_results(tmp_path / "c", path, cfgs)
    rec = json.loads(path.read_text())
    for c in rec["configs"]:
        del c["stop_when_decided"]                           # as if written by an older version
    path.write_text(json.dumps(rec) + "\n")
    assert results.ResultsFile(str(path)).get(results.chunk_key(cfgs)) is not None


SWEEP_SCRIPT = textwrap.dedent('''
    import dataclasses, sys
    import geneft as g
    from lab import results
    from lab.runner import Runner
    cfg = g.Config(n=8, d=2, depth=1, width=8, steps=4000, eval_every=100)
    cfgs = [dataclasses.replace(cfg, seed=s) for s in range(8)]
    with Runner(jobs=int(sys.argv[2]), cache_dir=sys.argv[1] + "/cache", chunk=1) as r:
        r.results = results.ResultsFile(sys.argv[1] + "/fig.jsonl")
        r.run("t", cfgs)
''')


def start_sweep(tmp_path, jobs):
    return subprocess.Popen([sys.executable, "-c", SWEEP_SCRIPT, str(tmp_path), str(jobs)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_lines(path, k, proc, timeout=60):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if path.exists() and len(path.read_text().splitlines()) >= k:
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    pytest.fail(f"no {k} results lines within {timeout} s")


def test_kill_9_loses_at_most_the_ensembles_in_flight(tmp_path, monkeypatch):
    proc = start_sweep(tmp_path, jobs=1)
    path = tmp_path / "fig.jsonl"
    wait_for_lines(path, 2, proc)
    proc.kill()
    proc.wait()
    kept = {json.loads(line)["key"] for line in path.read_text().splitlines() if line.endswith("}")}
    assert 2 <= len(kept) < 8
    calls = []

    def count_and_fake(part):            # what the rerun still has to compute
        calls.append(part)
        return [results.RunSummary(g.CONFUSION, None, None, None, 0, None, None, None, [])] * len(part)
    monkeypatch.setattr(executors, "run_chunk", count_and_fake)
    cfg = g.Config(n=8, d=2, depth=1, width=8, steps=4000, eval_every=100)
    cfgs = [dataclasses.replace(cfg, seed=s) for s in range(8)]
    with Runner(jobs=1, cache_dir=str(tmp_path / "fresh"), chunk=1) as r:
        r.results = results.ResultsFile(str(path))
        r.run("t", cfgs)
    assert len(calls) == 8 - len(kept)                       # every finished ensemble was kept


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


def test_progress_says_runs_left_early_and_eta(tmp_path, capsys):
    cfgs = [dataclasses.replace(c, stop_when_decided=True, eta_enc=1e-2, eta_dec=1e-2, steps=400)
            for c in small_configs(4)]
    with Runner(jobs=1, cache_dir=str(tmp_path), chunk=2, planned_total=4) as runner:
        res = runner.run("t", cfgs)
    early = sum(s.stopped_at < 400 for s in res)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("  [t]")]
    assert lines[0].startswith("  [t] 0/4 runs (0 left early)")
    assert lines[-1].startswith(f"  [t] 4/4 runs ({early} left early)") and "all: 4/4 runs" in lines[-1]
    assert "ETA" in lines[1]


def test_missing_dask_is_one_clear_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)    # import distributed -> ImportError
    with pytest.raises(SystemExit, match="pip install -r requirements-cluster.txt"):
        executors.make_executor(1, scheduler="local:1")


@pytest.mark.parametrize("bad", ["local:0", "local:x", "http://host:8786"])
def test_bad_scheduler_is_refused(bad):
    pytest.importorskip("distributed")
    with pytest.raises(SystemExit, match="is not allowed"):
        executors.make_executor(1, scheduler=bad)


def test_a_config_field_added_later_keeps_the_earlier_keys():
    """init_scheme came after results were stored: at its earlier value it is not hashed."""
    import hashlib
    cfg = dataclasses.replace(SMALL, seed=3)
    fields = dataclasses.asdict(cfg)
    del fields["init_scheme"]
    earlier = hashlib.sha1(json.dumps([fields], sort_keys=True).encode()).hexdigest()[:20]
    assert results.chunk_key([cfg]) == earlier
    assert results.chunk_key([dataclasses.replace(cfg, init_scheme="normal")]) != earlier


def test_a_grid_value_differing_in_its_last_bit_keeps_its_key():
    """np.logspace gave 1e-05 on one machine and 9.999999999999999e-06 on another:
    the same setting, so the same key; a setting one part in 1e9 away is another key."""
    cfg = dataclasses.replace(SMALL, eta_enc=1e-05, eta_dec=1e-3)
    same = dataclasses.replace(cfg, eta_enc=9.999999999999999e-06)
    assert same.eta_enc != cfg.eta_enc
    assert results.chunk_key([same]) == results.chunk_key([cfg])
    assert results.chunk_key([dataclasses.replace(cfg, eta_enc=1.000000001e-05)]) != results.chunk_key([cfg])


def test_subnormals_are_flushed_inside_and_restored_after():
    tiny = np.float32(1e-30) * np.float32(1e-10)                # 1e-40: subnormal in float32
    assert tiny != 0
    with tuning.subnormals_flushed():
        if sys.platform.startswith("linux") and platform.machine() in ("x86_64", "AMD64"):
            assert np.float32(1e-30) * np.float32(1e-10) == 0
            x = np.full((7, 5), 1e-20, np.float32)
            assert not (x @ x.T).any()                         # 5e-40 per entry: flushed
        assert np.float32(1e-20) * np.float32(1e-10) == np.float32(1e-30)   # normal: untouched
    assert np.float32(1e-30) * np.float32(1e-10) == tiny      # restored


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


def test_near_change_marks_both_sides_of_every_edge():
    gen = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 1]], dtype=bool)
    near = near_change(gen)
    np.testing.assert_array_equal(near, [[0, 1, 1], [1, 1, 1], [0, 1, 1]])
    assert not near_change(np.ones((3, 3), dtype=bool)).any()
