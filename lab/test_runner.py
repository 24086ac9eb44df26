"""Tests of lab/runner.py: ensembles, what a sweep finds recorded (results file and cache,
run by run, whatever the cut), --force, invalid configs, progress, and what survives
kill -9. Shared helpers (SMALL, small_configs, run_with_results, the sweep script) live
here for lab/test_results.py and lab/test_executors.py too."""
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import geneft as g
from lab import executors, results
from lab.runner import Runner, near_change
from lab.ensemble import train_ensemble

SMALL = g.Config(n=8, d=2, depth=1, width=8, frac=0.75, steps=60, eval_every=10, seed=0)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # the checkout


def small_configs(k):
    return [dataclasses.replace(SMALL, seed=s, eta_dec=1e-3 * (1 + s)) for s in range(k)]


def no_training(monkeypatch):
    monkeypatch.setattr(executors, "run_chunk", lambda configs: pytest.fail("retrained a finished run"))


def count_training(monkeypatch):
    """Train for real, noting the size of every ensemble trained (a list, filled as it goes)."""
    calls, real = [], executors.run_chunk
    monkeypatch.setattr(executors, "run_chunk", lambda part: calls.append(len(part)) or real(part))
    return calls


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


def test_a_damaged_cache_file_is_read_from_its_other_copy_or_recomputed(tmp_path, monkeypatch):
    """Each run is cached twice (its own file and its ensemble's): a damaged copy is
    warned about, read from the other and rewritten; with both damaged, recomputed."""
    cfgs = small_configs(2)
    with Runner(jobs=1, cache_dir=str(tmp_path)) as runner:
        first = runner.run("t", cfgs)
    ensemble, = (tmp_path / "t").glob("*.json")
    own = sorted((tmp_path / "t" / "runs").glob("*.json"))
    own[0].write_text('[{"phase": "gen')
    calls = count_training(monkeypatch)
    with Runner(jobs=1, cache_dir=str(tmp_path)) as runner:
        with pytest.warns(UserWarning, match="unreadable .*read from their other copy"):
            assert runner.run("t", cfgs) == first
    assert calls == [] and len(json.loads(own[0].read_text())) == 1
    for path in [ensemble, *own]:
        path.write_text('[{"phase": "gen')
    with Runner(jobs=1, cache_dir=str(tmp_path)) as runner:
        with pytest.warns(UserWarning, match="unreadable .*recomputing it"):
            assert runner.run("t", cfgs) == first
    assert calls == [2]


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
    assert set(rec) == {"key", "configs", "runs", "cpu_seconds", "trained_by", "utc"} and len(rec["runs"]) == 2
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


def test_the_cache_finds_runs_cut_into_other_ensembles(tmp_path, monkeypatch):
    """A cache filled with one worker (ensembles of 4 and 2) serves a run cut for two
    (3 and 3) without training anything, as the results file does; a cache written before
    runs had files of their own is still read by ensemble, and then gets them."""
    cfgs = small_configs(6)
    with Runner(jobs=1, cache_dir=str(tmp_path), chunk=4) as runner:
        first = runner.run("t", cfgs)
    no_training(monkeypatch)
    with Runner(jobs=1, cache_dir=str(tmp_path), chunk=4) as runner:
        runner.executor.workers = 2
        assert runner.run("t", cfgs) == first
    shutil.rmtree(tmp_path / "t" / "runs")                   # as an earlier version left it
    with Runner(jobs=1, cache_dir=str(tmp_path), chunk=4) as runner:
        assert runner.run("t", cfgs) == first
    assert len(list((tmp_path / "t" / "runs").glob("*.json"))) == 6


def tamper(path):
    """Set test_acc to 0.123 in every run a cache file or results file holds."""
    text = path.read_text()
    if path.suffix == ".jsonl":
        recs = [json.loads(line) for line in text.splitlines()]
        for rec in recs:
            for r in rec["runs"]:
                r["test_acc"] = 0.123
        path.write_text("".join(json.dumps(rec) + "\n" for rec in recs))
    else:
        path.write_text(json.dumps([dict(r, test_acc=0.123) for r in json.loads(text)]))


def test_force_replaces_what_was_recorded_whatever_the_cut(tmp_path):
    """--force cut for two workers (3 + 3) after a run cut for one (4 + 2), every record of
    the first edited: a later normal run in the first cut gets the recomputed values, from
    the results file and from the cache alike, and the results file holds each run once."""
    cfgs, path, cache = small_configs(6), tmp_path / "fig.jsonl", tmp_path / "cache"
    first = run_with_results(cache, path, cfgs, chunk=4)
    for p in [path, *cache.rglob("*.json")]:
        tamper(p)
    with Runner(jobs=1, cache_dir=str(cache), chunk=4, force=True) as runner:
        runner.executor.workers = 2
        runner.results = results.ResultsFile(str(path))
        assert runner.run("t", cfgs) == first
    assert run_with_results(cache, path, cfgs, chunk=4) == first
    with Runner(jobs=1, cache_dir=str(cache), chunk=4) as runner:
        assert runner.run("t", cfgs) == first
    keys = [results.run_key(g.Config(**c)) for line in path.read_text().splitlines()
            for c in json.loads(line)["configs"]]
    assert sorted(keys) == sorted(results.run_key(c) for c in cfgs)
    assert "0.123" not in path.read_text()


def test_configs_holding_numpy_scalars_train_and_are_recorded(tmp_path, monkeypatch):
    """Configs built from np.arange hold np.int64 seeds (np.float32 rates): they train,
    go to the results file as plain numbers, and are found again by equal plain configs."""
    cfgs = [dataclasses.replace(SMALL, seed=s, eta_enc=np.float32(2e-3), eta_dec=np.float64(1e-3))
            for s in np.arange(2)]
    path = tmp_path / "fig.jsonl"
    first = run_with_results(tmp_path / "c", path, cfgs)
    assert [c["seed"] for c in json.loads(path.read_text())["configs"]] == [0, 1]
    plain = [dataclasses.replace(c, seed=int(c.seed), eta_enc=float(c.eta_enc), eta_dec=1e-3)
             for c in cfgs]
    no_training(monkeypatch)
    assert run_with_results(tmp_path / "c2", path, plain) == first


def test_an_invalid_config_is_one_error_before_anything_trains(tmp_path, monkeypatch):
    no_training(monkeypatch)
    cfgs = small_configs(2) + [dataclasses.replace(SMALL, depth=10 ** 6)]
    with Runner(jobs=1, cache_dir=str(tmp_path)) as runner:
        with pytest.raises(ValueError, match="sweep 't', config 2: depth=1000000 is not allowed"):
            runner.run("t", cfgs)


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


def test_progress_says_runs_left_early_and_eta(tmp_path, capsys):
    cfgs = [dataclasses.replace(c, stop_when_decided=True, eta_enc=1e-2, eta_dec=1e-2, steps=400)
            for c in small_configs(4)]
    with Runner(jobs=1, cache_dir=str(tmp_path), chunk=2, overall=True) as runner:
        runner.progress.to_come = ("fig8",)
        res = runner.run("t", cfgs)
    early = sum(s.stopped_at < 400 for s in res)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("  [t]")]
    assert lines[0].startswith("  [t] 0/4 runs (0 left early)")
    assert lines[0].endswith("; all: 0/4 runs so far; to come: fig8")
    assert lines[-1].startswith(f"  [t] 4/4 runs ({early} left early)")
    assert lines[-1].endswith("; all: 4/4 runs so far; to come: fig8")
    assert "ETA" in lines[1]


def test_progress_times_ignore_the_wall_clock(tmp_path, capsys, monkeypatch):
    """The wall clock set back an hour at every look (a clock jump, NTP): elapsed times and
    ETAs are read off a monotonic clock, so none is negative, and runs trained now are not
    called "cached" (they once read "-3599 s elapsed" and "cached")."""
    real, looks = time.time, []

    def set_back():
        looks.append(1)
        return real() - 3600 * len(looks)
    monkeypatch.setattr(time, "time", set_back)
    with Runner(jobs=1, cache_dir=str(tmp_path), chunk=1, overall=True) as runner:
        runner.run("t", small_configs(2))
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("  [t]")]
    assert len(lines) == 3 and not [ln for ln in lines if " -" in ln or "cached" in ln]
    assert re.match(r"  \[t\] 2/2 runs \(0 left early\), \d+ s elapsed, ETA 0 s; all: 2/2", lines[-1]), lines[-1]


def test_a_progress_line_without_an_eta_has_no_empty_field(tmp_path, capsys):
    """Before the first ensemble ends there is no rate, hence no ETA: the line says nothing
    of it (it once read "0 s elapsed, ; all:")."""
    with Runner(jobs=1, cache_dir=str(tmp_path), chunk=2, overall=True) as runner:
        runner.run("t", small_configs(2))
    first = capsys.readouterr().out.splitlines()[0]
    assert first == "  [t] 0/2 runs (0 left early), 0 s elapsed; all: 0/2 runs so far"


def test_the_total_over_calls_grows_as_sweeps_come_and_counts_only_runs_that_run(tmp_path, capsys):
    """Two calls, the second one's size unknown until the first ends (as an adaptive
    grid's seeds): the overall total is 2, then 2 + 3, never a run that does not come."""
    with Runner(jobs=1, cache_dir=str(tmp_path), chunk=2, overall=True) as runner:
        runner.run("a", small_configs(2))
        runner.run("b", small_configs(5)[2:])
    totals = [ln.split("; all: ")[1].split(" runs")[0] for ln in capsys.readouterr().out.splitlines()
              if "; all: " in ln]
    assert totals == ["0/2", "2/2", "2/5", "4/5", "5/5"]


def test_near_change_marks_both_sides_of_every_edge():
    gen = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 1]], dtype=bool)
    near = near_change(gen)
    np.testing.assert_array_equal(near, [[0, 1, 1], [1, 1, 1], [0, 1, 1]])
    assert not near_change(np.ones((3, 3), dtype=bool)).any()
