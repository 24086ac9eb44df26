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
    assert "| claim extra | p | ours | holds | not in the saved data | — |" in text
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
    assert report.report_columns(f"{figs}/paper", figs) == report.report_columns(figs, figs)
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


def test_first_page_has_one_line_per_claim_and_says_why_columns_differ(tmp_path):
    """Rows sharing a group make one line; a line whose verdicts differ between the quick
    and paper columns carries each column's reason; the paper budget's verdict comes first."""
    def claims(d):
        return [report.Row(f"claim {k}", "p", "ours", d["verdicts"][k], group="the grouped claim",
                           number=f"{k}: {d['verdicts'][k]}", why=f"reason {d['preset']} {k}")
                for k in range(2)] + [report.Row("Beyond the paper: own row", "-", "o", "holds")]
    figs = {"figA": Fig(claims)}
    quick, paper = tmp_path / "quick", tmp_path / "paper"
    save(quick, "figA", {"verdicts": ["holds", "holds"], "preset": "quick", "budget": 3000})
    save(paper, "figA", {"verdicts": ["holds", "does not hold"], "preset": "paper", "budget": 100000})
    report.write_report(str(quick), [("quick", str(quick)), ("paper budget", str(paper))], figs)
    text = (quick / "REPORT.md").read_text()
    assert text.index("## Which of the paper's claims hold?") < text.index("## Claims")
    line = [ln for ln in text.splitlines() if "| the grouped claim |" in ln]
    assert len(line) == 1
    assert "| mixed: 1 holds, 1 does not hold | holds |" in line[0]
    assert "1: paper budget (100000 steps) does not hold because reason paper 1; quick (3000 " \
           "steps) holds because reason quick 1." in line[0]
    assert "### Beyond the paper" in text and "| Beyond the paper: own row | holds | holds |" in text


def test_a_partial_results_file_gives_pending_cells_with_run_counts(tmp_path, monkeypatch):
    """A figure whose data function accepts missing runs is read from its .jsonl before its
    JSON exists; each unfinished cell reads 'pending (k of N runs)'."""
    import geneft as g
    from lab import beyond, results
    from lab.presets import PRESETS
    from lab.results import ResultsFile, RunSummary
    p = PRESETS["smoke"]
    folder = tmp_path / "smoke"
    folder.mkdir()
    cfg = p.config(relation="mod3", frac=round(beyond.goldilocks_fraction("mod3", p.n, p.gold_frac_factor)[1], 4),
                   depth=p.gold_depths[0], width=p.gold_widths[0], seed=0)
    run = RunSummary(phase=g.CONFUSION, step_train_90=None, step_test_90=None, diverged_at=None,
                     stopped_at=p.steps, train_acc=0.6, test_acc=0.5, all_acc=0.55, final_E=[])
    ResultsFile(str(folder / "goldilocks.jsonl")).append(results.chunk_key([cfg]), [cfg], [run])
    fig = type("F", (), {"data": staticmethod(beyond.goldilocks_data),
                         "claims": staticmethod(beyond.goldilocks_claims)})()
    from lab.runner import replay_data
    partial = lambda name, figure, where: replay_data(figure, p, f"{where}/{name}.jsonl")
    report.write_report(str(folder), [("smoke", str(folder))], {"goldilocks": fig}, partial=partial)
    text = (folder / "REPORT.md").read_text()
    per_width = len(p.gold_depths) * p.gold_seeds
    assert f"w={p.gold_widths[0]}: pending (1 of {per_width} runs)" in text
    assert f"w={p.gold_widths[1]}: pending (0 of {per_width} runs)" in text
    planned = len(p.gold_relations) * len(p.gold_widths) * per_width
    assert f"partial: 1 of {planned} runs in goldilocks.jsonl" in text
    assert "| pending | pending |" not in text
