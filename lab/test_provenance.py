"""Tests of lab/provenance.py: every results line the runner writes records the code that
trained it and when; a preregistration's check names the lines that were not trained by
code descending from its registering commit with its rule files unchanged."""
import dataclasses
import json
import os
import shutil
import subprocess

import pytest

import geneft as g
from lab import provenance, results
from lab.runner import Runner

ROOT = provenance.ROOT
SMALL = g.Config(n=8, d=2, depth=1, width=8, frac=0.75, steps=40, eval_every=10, seed=0)
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def sh(cwd, *args):
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True, text=True).stdout.strip()


def make_repo(path):
    """A git repository holding copies of the files that train and one rule file."""
    for name in provenance.TRAINING_FILES:
        os.makedirs(os.path.dirname(path / name) or str(path), exist_ok=True)
        shutil.copy(os.path.join(ROOT, name), path / name)
    (path / "rule.py").write_text("ALPHA = 0.05\n")
    sh(path, "init", "-q")
    sh(path, "-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
    sh(path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "register")
    return sh(path, "rev-parse", "HEAD")


def commit_all(path, message):
    sh(path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-am", message)
    return sh(path, "rev-parse", "HEAD")


@needs_git
def test_trained_by_names_the_commit_the_dirty_flag_and_the_code(tmp_path):
    head = make_repo(tmp_path)
    t = provenance.trained_by.__wrapped__(str(tmp_path))
    assert t == {"commit": head, "dirty": False, "code": provenance.code_at(str(tmp_path), head)}
    with open(tmp_path / "geneft.py", "a") as f:
        f.write("\n# an uncommitted edit\n")
    t2 = provenance.trained_by.__wrapped__(str(tmp_path))
    assert t2["commit"] == head and t2["dirty"] is True and t2["code"] != t["code"]


def test_outside_git_the_code_hash_alone_identifies_the_code(tmp_path):
    for name in provenance.TRAINING_FILES:
        os.makedirs(os.path.dirname(tmp_path / name) or str(tmp_path), exist_ok=True)
        shutil.copy(os.path.join(ROOT, name), tmp_path / name)
    t = provenance.trained_by.__wrapped__(str(tmp_path))
    assert t["commit"] is None and t["dirty"] is None and len(t["code"]) == 64
    assert t["code"] == provenance.trained_by.__wrapped__(ROOT)["code"]


def test_the_runner_records_provenance_on_every_line_it_trains(tmp_path):
    path = tmp_path / "fig.jsonl"
    with Runner(jobs=1, cache_dir=str(tmp_path / "cache"), chunk=2) as runner:
        runner.results = results.ResultsFile(str(path))
        runner.run("fig", [dataclasses.replace(SMALL, seed=s) for s in range(3)])
    recs = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(recs) == 2 and all(provenance.is_stamp(r) for r in recs)
    assert all(r["trained_by"] == provenance.trained_by() and r["utc"].endswith("Z") for r in recs)
    # a line found only in the cache joins the results file without a provenance of its own
    path.unlink()
    with Runner(jobs=1, cache_dir=str(tmp_path / "cache"), chunk=2) as runner:
        runner.results = results.ResultsFile(str(path))
        runner.run("fig", [dataclasses.replace(SMALL, seed=s) for s in range(3)])
    assert not any(provenance.is_stamp(json.loads(x)) for x in path.read_text().splitlines())


def test_force_keeps_the_provenance_of_the_runs_it_does_not_replace(tmp_path):
    path = tmp_path / "fig.jsonl"
    f = results.ResultsFile(str(path))
    cfgs = [dataclasses.replace(SMALL, seed=s) for s in range(2)]
    runs = [results.RunSummary.of_history(g.train(c)) for c in cfgs]
    old = {"trained_by": {"commit": "a" * 40, "dirty": False, "code": "b" * 64}, "utc": "2020-01-01T00:00:00Z"}
    f.append(results.chunk_key(cfgs), cfgs, runs, 1.0, old)
    f.replace(cfgs[:1], runs[:1], 0.5, provenance.stamp())
    recs = [json.loads(x) for x in path.read_text().splitlines()]
    assert recs[0]["trained_by"] == old["trained_by"] and len(recs[0]["configs"]) == 1
    assert recs[1]["trained_by"] == provenance.trained_by()
    assert results.ResultsFile(str(path)).lines[0].extra == old


@needs_git
def test_the_registration_check_names_each_line_that_was_not_trained_by_registered_code(tmp_path):
    reg = make_repo(tmp_path)
    rules = {"rule.py": provenance.sha256_bytes(b"ALPHA = 0.05\n")}
    code = provenance.code_at(str(tmp_path), reg)

    def line(commit, dirty=False, code_hash=code):
        return {"trained_by": {"commit": commit, "dirty": dirty, "code": code_hash}, "utc": "2026-01-01T00:00:00Z"}

    with open(tmp_path / "README", "w") as f:
        f.write("data came later\n")
    sh(tmp_path, "add", "README")
    later = commit_all(tmp_path, "a later commit, rules unchanged")
    (tmp_path / "rule.py").write_text("ALPHA = 0.10\n")
    changed = commit_all(tmp_path, "the rule changed")
    records = [(1, line(reg)), (2, line(later)), (3, {}), (4, line(reg, dirty=True)), (5, line(changed)),
               (6, line("f" * 40)), (7, line(reg, code_hash="0" * 64))]
    good, bad = provenance.registered_lines(str(tmp_path), records, reg, rules)
    assert good == 2
    why = dict(bad)
    assert why[3] == provenance.NOT_RECORDED
    assert "uncommitted" in why[4] and "rule.py" in why[5] and "not in this repository" in why[6]
    assert "code hash" in why[7]
    sh(tmp_path, "checkout", "-q", "-b", "side", reg + "~0")
    assert provenance.line_problem(str(tmp_path), line(reg), later, rules).startswith("its commit")
