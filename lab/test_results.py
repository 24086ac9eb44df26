"""Tests of lab/results.py: the record of a run and its field types, keys, the committed
results file (damaged lines of every kind, --force's rewrite, faults of the disk) and the
folder lock that keeps two runs from doing the same work."""
import contextlib
import dataclasses
import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import geneft as g
from lab import executors, results
from lab.test_runner import ROOT, SMALL, count_training, run_with_results, small_configs

FAKE = results.RunSummary(g.CONFUSION, 10, None, None, 60, 0.5, 0.25, 0.4, [[0.1, 0.2]], 0.7)


@contextlib.contextmanager
def tiny_disk(folder, size):
    """A tmpfs of `size` (e.g. "40k") mounted at folder: a disk that fills up. Skips
    where mounting is not allowed (it needs root)."""
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def deny_reading(monkeypatch, suffix):
    """open() in lab.results refuses files ending in suffix (PermissionError), as for a
    file this user may not read (root reads anything, so chmod cannot show it)."""
    real = open

    def guarded(path, *args, **kwargs):
        if str(path).endswith(suffix):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args, **kwargs)
    monkeypatch.setattr(results, "open", guarded, raising=False)


def test_run_summary_round_trips_and_rejects_bad_records():
    s = executors.run_chunk([SMALL])[0]
    assert results.RunSummary.from_json(json.loads(json.dumps(s.to_json()))) == s
    with pytest.raises(ValueError, match="keys"):
        results.RunSummary.from_json({"phase": "generalization"})
    with pytest.raises(ValueError, match="phase='grokked'"):
        results.RunSummary.from_json({**s.to_json(), "phase": "grokked"})


@pytest.mark.parametrize("field, value", [
    ("stopped_at", "abc"), ("stopped_at", -1), ("step_test_90", 2.5), ("diverged_at", True),
    ("test_acc", "0.9"), ("train_loss", [1]), ("final_E", [[1, "x"]]), ("final_E", 3), ("phase", 7)])
def test_run_summary_with_a_field_of_the_wrong_type_is_refused_naming_it(field, value):
    with pytest.raises(ValueError, match=f"{field}="):
        results.RunSummary.from_json({**FAKE.to_json(), field: value})


def test_results_line_with_a_field_of_the_wrong_type_is_reported_and_recomputed(tmp_path, monkeypatch):
    """stopped_at: "abc" in line 1: reported and that ensemble retrained (it once passed and
    broke the sweep later with a TypeError)."""
    cfgs, path = small_configs(4), tmp_path / "fig.jsonl"
    first = run_with_results(tmp_path / "c1", path, cfgs)
    lines = path.read_text().splitlines()
    rec = json.loads(lines[0])
    rec["runs"][0]["stopped_at"] = "abc"
    path.write_text("\n".join([json.dumps(rec)] + lines[1:]) + "\n")
    calls = count_training(monkeypatch)
    with pytest.warns(UserWarning, match="line 1 is unreadable .*stopped_at='abc'"):
        again = run_with_results(tmp_path / "c2", path, cfgs)
    assert again == first and calls == [2]


def test_results_line_with_bytes_that_are_not_utf8_is_reported_and_recomputed(tmp_path, monkeypatch):
    """One byte that is not UTF-8 in line 2: that line is reported and its ensemble
    retrained; the file is read (it once stopped the run before anything started) and the
    damaged line kept as it was."""
    cfgs, path = small_configs(4), tmp_path / "fig.jsonl"
    first = run_with_results(tmp_path / "c1", path, cfgs)
    good, second = path.read_bytes().splitlines()
    path.write_bytes(good + b"\n" + second.replace(b'"phase"', b'"ph\xffase"', 1) + b"\n")
    calls = count_training(monkeypatch)
    with pytest.warns(UserWarning, match="line 2 is unreadable \\(UnicodeDecodeError"):
        again = run_with_results(tmp_path / "c2", path, cfgs)
    assert again == first and calls == [2]
    assert path.read_bytes().count(b"\xff") == 1


def test_replace_leaves_one_truth_per_run_and_keeps_everything_else(tmp_path):
    """--force's rewrite of runs 1 and 2: the lines (0, 1) and (2, 3) keep runs 0 and 3
    (their CPU time scaled to the share kept), the unreadable line stays as it was, the new
    line comes last, and no temporary file is left."""
    cfgs, path = small_configs(4), tmp_path / "fig.jsonl"
    runs = [dataclasses.replace(FAKE, stopped_at=k) for k in range(4)]
    stored = results.ResultsFile(str(path))
    stored.append(results.chunk_key(cfgs[:2]), cfgs[:2], runs[:2], 10.0)
    stored.append(results.chunk_key(cfgs[2:]), cfgs[2:], runs[2:], 4.0)
    with path.open("ab") as f:
        f.write(b"{not json\n")
    with pytest.warns(UserWarning, match="line 3 is unreadable"):
        stored = results.ResultsFile(str(path))
    stored.replace(cfgs[1:3], [dataclasses.replace(r, stopped_at=55) for r in runs[1:3]], 7.0)
    lines = path.read_bytes().splitlines()
    assert len(lines) == 4 and lines[2] == b"{not json"
    assert [len(json.loads(lines[k])["configs"]) for k in (0, 1, 3)] == [1, 1, 2]
    with pytest.warns(UserWarning, match="line 3 is unreadable"):
        again = results.ResultsFile(str(path))
    assert [again.by_run[results.run_key(c)].stopped_at for c in cfgs] == [0, 55, 55, 3]
    assert again.cost() == (pytest.approx(5.0 + 2.0 + 7.0), 0)
    assert sorted(os.listdir(tmp_path)) == ["fig.jsonl"]


FSIZE_SCRIPT = textwrap.dedent('''
    import dataclasses, resource, sys
    import geneft as g
    from lab import results
    cfg = g.Config(n=8, d=2, depth=1, width=8, steps=60, eval_every=10)
    run = results.RunSummary(g.CONFUSION, None, None, None, 0, None, None, None, [[0.5, 0.5]] * 8)
    stored = results.ResultsFile(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[2]), int(sys.argv[2])))
    for s in range(10):
        c = dataclasses.replace(cfg, seed=s)
        try:
            stored.append(results.chunk_key([c]), [c], [run])
        except OSError as err:
            print(type(err).__name__, err)
            break
''')


def test_an_append_past_the_file_size_limit_leaves_no_half_line(tmp_path):
    """ulimit -f: the append that crosses the limit fails with one line naming the file
    and the cause, and the file holds only whole lines (it once kept a cut one)."""
    path = tmp_path / "fig.jsonl"
    done = subprocess.run([sys.executable, "-c", FSIZE_SCRIPT, str(path), "2500"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"StorageError cannot write {path} (File too large)"
    data = path.read_bytes()
    assert data.endswith(b"\n") and len(data) <= 2500
    assert all(json.loads(line)["runs"] for line in data.splitlines())


def test_a_results_file_that_cannot_be_read_is_one_storage_error(tmp_path, monkeypatch):
    path = tmp_path / "fig.jsonl"
    path.write_text("")
    deny_reading(monkeypatch, ".jsonl")
    with pytest.raises(results.StorageError, match=f"^cannot read {path} \\(Permission denied\\)$"):
        results.ResultsFile(str(path))


def test_a_write_that_fails_leaves_the_old_file_and_no_temporary_one(tmp_path):
    with tiny_disk(tmp_path / "disk", "8k") as disk:
        path = disk / "a.json"
        results.write_json(str(path), [1])
        with pytest.raises(results.StorageError, match=r"a.json \(No space left on device\)$"):
            results.write_json(str(path), ["x" * 20000])
        assert json.loads(path.read_text()) == [1] and os.listdir(disk) == ["a.json"]


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


def test_numpy_scalars_key_as_the_numbers_they_equal():
    cfg = dataclasses.replace(SMALL, seed=1, eta_enc=1e-3)
    same = dataclasses.replace(cfg, seed=np.int64(1), eta_enc=np.float64(1e-3))
    assert results.chunk_key([same]) == results.chunk_key([cfg])
    f32 = dataclasses.replace(cfg, eta_enc=np.float32(1e-3))    # another number: another key
    assert results.chunk_key([f32]) == results.chunk_key([dataclasses.replace(cfg, eta_enc=float(f32.eta_enc))])
    assert results.chunk_key([f32]) != results.chunk_key([cfg])


def hold_lock(folder, holder=b"4242 otherhost\n"):
    """Lock folder as another run's FolderLock would (flock on folder/.lock); the fd."""
    fcntl = pytest.importorskip("fcntl")
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.write(fd, holder)
    return fd


def release_later(folder, fd, seconds):
    """Release hold_lock's lock after `seconds`, as its holder ending would."""
    def release():
        os.unlink(folder / ".lock")
        os.close(fd)
    threading.Timer(seconds, release).start()


def test_folder_lock_waits_for_its_holder_and_says_for_whom(tmp_path, capsys):
    release_later(tmp_path, hold_lock(tmp_path), 0.6)
    t0 = time.time()
    with results.FolderLock(tmp_path):
        waited = time.time() - t0
        assert (tmp_path / ".lock").read_text().split()[0] == str(os.getpid())
        with results.FolderLock(tmp_path):                  # re-entrant in one process
            pass
    assert waited >= 0.5 and not (tmp_path / ".lock").exists()
    err = capsys.readouterr().err
    assert err.count("waiting: another run (PID 4242 on otherhost) is working in") == 1


def test_a_lock_left_by_a_dead_run_is_taken_at_once(tmp_path, capsys):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / ".lock").write_text(f"{dead.pid} {socket.gethostname()}\n")   # killed holding it
    t0 = time.time()
    with results.FolderLock(tmp_path):
        pass
    assert time.time() - t0 < 0.4 and "waiting" not in capsys.readouterr().err
    assert not (tmp_path / ".lock").exists()


# --- Files from elsewhere: an older version, a merge, a hostile edit ------------------

def in_older_names(line):
    """A results line as the previous version wrote it: the rates named lr_enc / lr_dec."""
    rec = json.loads(line)
    rec["configs"] = [{{"eta_enc": "lr_enc", "eta_dec": "lr_dec"}.get(k, k): v for k, v in c.items()}
                      for c in rec["configs"]]
    return json.dumps(rec)


def test_lines_in_an_older_versions_names_are_read_and_name_the_migrate_command(tmp_path, monkeypatch):
    """Every line in lr_enc / lr_dec: read in today's names, nothing retrained, one warning
    naming the file and `python -m lab.migrate` (every line was once unreadable and its
    ensemble retrained)."""
    cfgs, path = small_configs(4), tmp_path / "fig.jsonl"
    first = run_with_results(tmp_path / "c1", path, cfgs)
    path.write_text("".join(in_older_names(ln) + "\n" for ln in path.read_text().splitlines()))
    assert "lr_enc" in path.read_text() and "eta_enc" not in path.read_text()
    calls = count_training(monkeypatch)
    with pytest.warns(UserWarning) as caught:
        again = run_with_results(tmp_path / "c2", path, cfgs)
    assert again == first and calls == []
    said = [str(w.message) for w in caught]
    assert said == [f"{path}: 2 line(s) name the learning rates lr_enc/lr_dec as an older version "
                    f"did: read as eta_enc/eta_dec, nothing of them is retrained; "
                    f"`python -m lab.migrate {path}` rewrites the file in today's names"]


def test_a_config_with_a_rate_under_both_names_is_unreadable(tmp_path):
    cfgs, path = small_configs(2), tmp_path / "fig.jsonl"
    run_with_results(tmp_path / "c", path, cfgs)
    rec = json.loads(path.read_text())
    rec["configs"][0]["lr_enc"] = 0.5
    path.write_text(json.dumps(rec) + "\n")
    with pytest.warns(UserWarning, match="line 1 is unreadable \\(ValueError: a config holds both "
                                         "lr_enc and eta_enc\\)"):
        assert results.ResultsFile(str(path)).by_run == {}


DEEP = "[" * 100_000


def test_json_nested_100000_deep_in_a_results_line_is_unreadable_not_a_recursion_error(tmp_path, monkeypatch):
    cfgs, path = small_configs(4), tmp_path / "fig.jsonl"
    first = run_with_results(tmp_path / "c1", path, cfgs)
    good, second = path.read_text().splitlines()
    path.write_text(good + "\n" + DEEP + "\n")
    calls = count_training(monkeypatch)
    with pytest.warns(UserWarning, match="line 2 is unreadable \\(ValueError: JSON nested too deeply to read\\)"):
        again = run_with_results(tmp_path / "c2", path, cfgs)
    assert again == first and calls == [2]


def test_json_nested_100000_deep_in_a_cache_file_is_unreadable_not_a_recursion_error(tmp_path, monkeypatch):
    from lab.runner import Runner
    cfgs = small_configs(2)
    with Runner(jobs=1, cache_dir=str(tmp_path)) as runner:
        first = runner.run("t", cfgs)
    for f in (tmp_path / "t").rglob("*.json"):
        f.write_text(DEEP)
    calls = count_training(monkeypatch)
    with pytest.warns(UserWarning, match="is unreadable \\(JSON nested too deeply to read\\); recomputing it"):
        with Runner(jobs=1, cache_dir=str(tmp_path)) as runner:
            again = runner.run("t", cfgs)
    assert again == first and calls == [2]


@pytest.mark.parametrize("field, value, words", [
    ("test_acc", float("nan"), "test_acc=nan is not allowed: needs a number from 0 to 1 or null"),
    ("all_acc", 1.5, "all_acc=1.5 is not allowed: needs a number from 0 to 1 or null"),
    ("train_acc", -0.1, "train_acc=-0.1 is not allowed"),
    ("stopped_at", 61, "stopped_at=61 is not allowed: beyond the run's budget of steps=60"),
    ("step_test_90", 10 ** 9, "step_test_90=1000000000 is not allowed: beyond the run's budget")])
def test_a_recorded_summary_out_of_range_is_unreadable_and_retrained(tmp_path, monkeypatch, field, value, words):
    """A NaN accuracy or a step past the budget in a results line: that line is reported
    and its ensemble retrained, never handed to a figure (a NaN once reached fig7.json);
    the same in the cache."""
    cfgs, path = small_configs(4), tmp_path / "fig.jsonl"
    first = run_with_results(tmp_path / "c1", path, cfgs)
    lines = path.read_text().splitlines()
    rec = json.loads(lines[0])
    rec["runs"][0][field] = value
    path.write_text("\n".join([json.dumps(rec)] + lines[1:]) + "\n")
    calls = count_training(monkeypatch)
    with pytest.warns(UserWarning, match=f"line 1 is unreadable \\(ValueError: {words}"):
        again = run_with_results(tmp_path / "c2", path, cfgs)
    assert again == first and calls == [2]
    for f in (tmp_path / "c2" / "t").rglob("*.json"):           # the same in every cache file
        runs = json.loads(f.read_text())
        runs[0][field] = value
        f.write_text(json.dumps(runs))
    with pytest.warns(UserWarning, match="cache file .* is unreadable .*recomputing it"):
        again = run_with_results(tmp_path / "c2", tmp_path / "none.jsonl", cfgs)
    assert again == first and calls == [2, 2, 2]


def test_git_conflict_markers_are_named_as_such_and_both_sides_read(tmp_path, monkeypatch):
    """A results file merged by git from two clones, its conflict left in: the markers
    are named as conflict markers in one warning (not as damaged ensembles "to be
    recomputed"), the lines on both sides are read, nothing retrains, and --force's
    rewrite keeps the markers for the person resolving the merge."""
    cfgs, path = small_configs(6), tmp_path / "fig.jsonl"
    first = run_with_results(tmp_path / "c1", path, cfgs)
    a, b, c = path.read_text().splitlines()
    path.write_text("\n".join([a, "<<<<<<< HEAD", b, "||||||| base", "=======", c,
                               ">>>>>>> other-clone"]) + "\n")
    calls = count_training(monkeypatch)
    with pytest.warns(UserWarning) as caught:
        again = run_with_results(tmp_path / "c2", path, cfgs)
    assert again == first and calls == []
    assert [str(w.message) for w in caught] == [
        f"{path} lines 2, 4, 5, 7 are git conflict markers (a merge of two versions of the file "
        "left them): they are skipped, and the lines on both sides of them read like any other; "
        "delete the marker lines to tidy the file"]
    with pytest.warns(UserWarning, match="conflict markers"):
        stored = results.ResultsFile(str(path))
    stored.replace(cfgs[:2], [FAKE, FAKE])
    assert path.read_text().count("<<<<<<< HEAD\n") == 1
