"""Tests of report.py: REPORT.md's columns and rows from saved data only, README's
marked paragraph replaced and nothing else, the cost sentence."""
import json
from dataclasses import dataclass

import report


@dataclass(frozen=True)
class Fig:
    claims: object
    finding: object = None


FIGS = {"figA": Fig(lambda d: [("claim a", "paper a", f"a = {d['a']}", "holds")],
                    lambda d: f"A found {d['a']}."),
        "figB": Fig(lambda d: [("claim b", "paper b", "b | c", "does not hold")])}


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


def test_replace_marked_touches_only_the_text_between_its_markers(tmp_path):
    path = tmp_path / "README.md"
    path.write_text("top\n<!-- begin x findings -->\nold\n<!-- end x findings -->\nbottom\n")
    report.replace_marked(str(path), "x", "new")
    assert path.read_text() == "top\n<!-- begin x findings -->\nnew\n<!-- end x findings -->\nbottom\n"
    report.replace_marked(str(path), "y", "other")                  # no such markers: unchanged
    assert "other" not in path.read_text()


def test_findings_join_each_figures_sentence_and_the_cost(tmp_path):
    save(tmp_path, "figA", {"a": 7, "cpu_seconds": 5400.0, "untimed_ensembles": 3})
    text = report.findings(str(tmp_path), FIGS)
    assert text.startswith("A found 7. ")
    assert "figA 1.5 CPU-hours (+ 3 ensembles trained before times were kept)" in text
    assert report.cost_text("figB", {"cpu_seconds": 0, "untimed_ensembles": 68}) == \
        "figB not timed (68 ensembles trained before times were kept)"
    assert report.cost_text("figC", {"cpu_seconds": 720.0, "untimed_ensembles": 0}) == "figC 0.2 CPU-hours"
    assert "pending" in report.findings(str(tmp_path / "empty"), FIGS)
