"""Tests of lab/migrate.py: an older results line gets today's names and its key
recomputed, everything else kept; running it twice changes nothing; a damaged line is
kept for the runner to report and retrain."""
import json

import pytest

import geneft as g
from lab import migrate
from lab.results import ResultsFile, chunk_key


def old_line(seed=0):
    cfg = {k: v for k, v in g.Config(n=6, steps=10, eval_every=5, seed=seed).__dict__.items()}
    cfg["lr_enc"], cfg["lr_dec"] = cfg.pop("eta_enc"), cfg.pop("eta_dec")
    run = {"phase": "confusion", "step_train_90": None, "step_test_90": None, "diverged_at": None,
           "stopped_at": 10, "train_acc": 0.5, "test_acc": 0.5, "all_acc": 0.5, "final_E": []}
    return json.dumps({"key": "old-key", "configs": [cfg], "runs": [run], "cpu_seconds": 1.5})


def test_migrate_renames_the_rates_and_recomputes_the_key_once(tmp_path):
    path = tmp_path / "fig.jsonl"
    path.write_text(old_line(0) + "\n" + "{not json\n" + old_line(1) + "\n")
    assert migrate.migrate_file(str(path)) == 2
    lines = path.read_text().splitlines()
    assert lines[1] == "{not json"                              # kept: the runner retrains it
    rec = json.loads(lines[0])
    assert "eta_enc" in rec["configs"][0] and "lr_enc" not in rec["configs"][0]
    assert rec["key"] == chunk_key([g.Config(**rec["configs"][0])])
    assert rec["runs"][0]["stopped_at"] == 10 and rec["cpu_seconds"] == 1.5
    before = path.read_text()
    assert migrate.migrate_file(str(path)) == 0 and path.read_text() == before
    with pytest.warns(UserWarning, match="line 2 is unreadable"):
        stored = ResultsFile(str(path))
    assert len(stored.by_run) == 2 and stored.bad_lines == 1


def test_migrate_command_line_names_a_missing_file(tmp_path, capsys):
    assert migrate.main([str(tmp_path / "nope.jsonl")]) == 2
    assert "is not a file" in capsys.readouterr().err


def test_migrate_keeps_a_line_nested_too_deeply_to_parse(tmp_path):
    """A line of 100,000 `[`: kept as it is (it once stopped migrate with a RecursionError)."""
    path = tmp_path / "fig.jsonl"
    path.write_text(old_line(0) + "\n" + "[" * 100_000 + "\n")
    assert migrate.migrate_file(str(path)) == 1
    assert path.read_text().splitlines()[1] == "[" * 100_000
