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


def test_report_columns_put_exploratory_confirmatory_and_quick_side_by_side(tmp_path):
    figs = str(tmp_path / "figures")
    main = [("exploratory", f"{figs}/paper"), ("confirmatory", f"{figs}/paper/confirm"), ("quick", figs)]
    assert report.report_columns(figs, figs) == main
    assert report.report_columns(f"{figs}/paper", figs) == main
    assert report.report_columns(f"{figs}/paper/confirm", figs) == main
    assert report.report_columns(f"{figs}/smoke", figs, "smoke") == [("smoke", f"{figs}/smoke")]
    # a relation of your own is named by its preset, whatever its folder is called
    assert report.report_columns(f"{figs}/popcount", figs, "quick") == [("quick", f"{figs}/popcount")]
    assert report.report_columns(f"{figs}/popcount/smoke", figs, "smoke") == [("smoke", f"{figs}/popcount/smoke")]


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


def grouped_claims(d):
    return [report.Row(f"claim {k}", "p", "ours", d["verdicts"][k], group="the grouped claim",
                       number=f"rel{k}: {d['verdicts'][k]}", why=f"reason {d['preset']} {k}", short="grouped")
            for k in range(2)] + [report.Row("Beyond the paper: own row", "-", "o", "holds", short="own")]


def three_columns(tmp_path, verdicts_by_column, registered=("figA",)):
    cols = [(c, str(tmp_path / c)) for c in ("exploratory", "confirmatory", "quick")]
    for (c, folder), vs in zip(cols, verdicts_by_column):
        if vs is not None:
            save(tmp_path / c, "figA", {"verdicts": vs, "preset": c, "budget": 3000 if c == "quick" else 100000})
    report.write_report(cols[0][1], cols, {"figA": Fig(grouped_claims)}, registered=registered,
                        prereg=["**Preregistration.** registered."])
    return (tmp_path / "exploratory" / "REPORT.md").read_text()


def test_first_page_answers_in_sentences_then_one_row_per_claim_with_three_columns(tmp_path):
    text = three_columns(tmp_path, [["holds", "does not hold"], ["holds", "holds"], ["holds", "holds"]])
    page = text[:text.index("## The rules")]
    assert page.index("## Does the paper hold up?") < page.index("| claim |")
    # the answer comes from the confirmatory column where it has decided: both rows hold
    assert "Of the paper's 1 claims checked here" in page and ": 1 hold, 0 hold in part, 0 do not hold" in page
    assert "On fresh seeds, under rules registered before the data existed" in page and "confirmed: grouped" in page
    row = [ln for ln in page.splitlines() if ln.startswith("| grouped")][0]
    assert "| mixed: holds: rel0; does not hold: rel1 | holds | holds |" in row
    assert "[details](#grouped)" in row and "### grouped" in text       # the link finds its section
    # the exploratory column disagrees with the others: a numbered note says why, row by row
    assert row.startswith("| grouped (1) |")
    assert "(1) grouped: rel1: exploratory (100000 steps) does not hold because reason exploratory 1; " \
           "confirmatory (100000 steps) holds because reason confirmatory 1" in page
    assert "### Beyond the paper" in page and "| own (" not in page.split("### Beyond the paper")[0]
    assert "**Preregistration.** registered." in text


def test_a_claim_no_column_can_test_says_not_tested_and_an_unregistered_one_a_dash(tmp_path):
    text = three_columns(tmp_path, [["too few runs"] * 2, None, ["too few runs"] * 2], registered=())
    row = [ln for ln in text.splitlines() if ln.startswith("| grouped")][0]
    assert "| not tested (too few runs) | — | not tested (too few runs) |" in row
    assert "0 do not hold, 1 are undecided" in text


def test_cell_words_and_anchors():
    from lab import summary
    assert summary.slug("Fig. 5: η_dec/η_enc ≲ 10") == "fig-5-η_decη_enc--10"
    assert summary.slug("Theorem 1, practical reading") == "theorem-1-practical-reading"


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
