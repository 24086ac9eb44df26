"""Tests of lab/report.py: REPORT.md's columns and rows from saved data only, the cost
sentence, which folders stand side by side."""
import json
from dataclasses import dataclass

from lab import report


@dataclass(frozen=True)
class Fig:
    claims: object


FIGS = {"figA": Fig(lambda d: [report.Row("claim a", "paper a", f"a = {d['a']}", "holds")]),
        "figB": Fig(lambda d: [report.Row("claim b", "paper b", "b | c", "does not hold")])}


def save(folder, name, data):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(data))


def test_report_has_a_column_pair_per_folder_and_pending_where_data_is_missing(tmp_path):
    quick, paper = tmp_path / "quick", tmp_path / "paper"
    save(quick, "figA", {"a": 1, "preset": "quick", "budget": 3000, "seconds": 5})
    save(quick, "figB", {"preset": "quick"})
    save(paper, "figA", {"a": 2, "preset": "paper", "budget": 100000, "seconds": 9})
    errors = report.write_report(str(quick), [("quick", str(quick)), ("paper", str(paper))], FIGS)
    text = (quick / "REPORT.md").read_text()
    assert errors == []
    assert "| figA | quick, 3000, 5 | paper, 100000, 9 |" in text
    assert "| figB | quick, -, None | pending |" in text
    assert "| claim a | paper a | a = 1 | holds | a = 2 | holds |" in text
    assert "| claim b | paper b | b \\| c | does not hold | pending | pending |" in text


def test_a_claim_the_preset_did_not_run_is_not_called_pending(tmp_path):
    """figA is there in both columns, but only the first has its setting 'extra'."""
    figs = {"figA": Fig(lambda d: [(f"claim {k}", "p", "ours", "holds") for k in d["settings"]])}
    quick, paper = tmp_path / "quick", tmp_path / "paper"
    save(quick, "figA", {"settings": ["main", "extra"]})
    save(paper, "figA", {"settings": ["main"], "cpu_seconds": 3600.0, "untimed_ensembles": 0})
    report.write_report(str(quick), [("quick", str(quick)), ("paper", str(paper))], figs)
    text = (quick / "REPORT.md").read_text()
    assert "| claim extra | p | ours | holds | not in this preset | — |" in text
    assert "| claim main | p | ours | holds | ours | holds |" in text
    assert "figA 1.0 CPU-hours" in text


def test_an_unreadable_data_file_is_reported_and_the_rest_written(tmp_path):
    save(tmp_path, "figA", {"a": 1})
    (tmp_path / "figB.json").write_text("{not json")
    errors = report.write_report(str(tmp_path), [("here", str(tmp_path))], FIGS)
    assert len(errors) == 1 and "figB.json is unreadable" in errors[0]
    text = (tmp_path / "REPORT.md").read_text()
    assert "| figB | data file unreadable |" in text and "| claim a |" in text


def test_md_cell_escapes_every_bar_once():
    assert report.md_cell("a | b") == "a \\| b"
    assert report.md_cell("a \\| b") == "a \\| b"


def test_cost_text_says_how_many_ensembles_carry_no_time():
    assert report.cost_text("figA", {"cpu_seconds": 5400.0, "untimed_ensembles": 3}) == \
        "figA 1.5 CPU-hours (+ 3 ensembles trained before times were kept)"
    assert report.cost_text("figB", {"cpu_seconds": 0, "untimed_ensembles": 68}) == \
        "figB not timed (68 ensembles trained before times were kept)"
    assert report.cost_text("figC", {"cpu_seconds": 720.0, "untimed_ensembles": 0}) == "figC 0.2 CPU-hours"


def test_report_columns_put_quick_beside_the_paper_budget(tmp_path):
    figs = str(tmp_path / "figures")
    assert report.report_columns(figs, figs) == [("quick", figs), ("paper budget", f"{figs}/paper")]
    assert report.report_columns(f"{figs}/smoke", figs) == [("smoke", f"{figs}/smoke")]


def test_a_data_file_of_the_wrong_shape_is_reported_and_the_rest_written(tmp_path):
    """A well-formed JSON that lacks what a figure's claims read (an older version's file)
    gives one error naming the file; the other figures' rows are still written."""
    save(tmp_path, "figA", {"preset": "smoke"})                  # no "a": claims raise KeyError
    save(tmp_path, "figB", {"preset": "smoke"})
    errors = report.write_report(str(tmp_path), [("here", str(tmp_path))], FIGS)
    assert len(errors) == 1 and "figA.json does not hold this version's data" in errors[0]
    text = (tmp_path / "REPORT.md").read_text()
    assert "| figA | data file of the wrong shape |" in text and "| claim b |" in text
    (tmp_path / "figA.json").write_text("[1, 2]")
    errors = report.write_report(str(tmp_path), [("here", str(tmp_path))], FIGS)
    assert "holds a list" in errors[0]
