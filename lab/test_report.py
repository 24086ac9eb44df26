"""Tests of lab/report.py and lab/summary.py: REPORT.md from saved data only, a first page
read in two minutes (its length rules on synthetic verdicts), honest labels, each figure
beside its numbers, the runs behind each column."""
import json
import os
import re
from dataclasses import dataclass

import pytest

from lab import report, summary
from lab import verdicts as v


@dataclass(frozen=True)
class Fig:
    claims: object


FIGS = {"figA": Fig(lambda d: [report.Row("claim a", "paper a", f"a = {d['a']}", "holds")]),
        "figB": Fig(lambda d: [report.Row("claim b", "paper b", "b | c", "does not hold")])}


def save(folder, name, data, png=False):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(data))
    if png:
        (folder / f"{name}.png").write_bytes(b"\x89PNG")


def page_of(text):
    """The text between the title and the first table, as the project's checks read it."""
    body = text.split("\n| claim")[0]
    return body.split("do not edit.\n", 1)[1].strip()


def sentences(text):
    return re.split(r"(?<=\.)\s+(?=[A-Z])", text.strip())


def test_two_columns_and_pending_where_data_are_missing(tmp_path):
    quick, paper = tmp_path / "quick", tmp_path / "paper"
    save(quick, "figA", {"a": 1, "preset": "quick", "budget": 3000, "run_count": 12, "runs_trained": 12,
                         "seconds": 120})
    save(quick, "figB", {"preset": "quick"})
    save(paper, "figA", {"a": 2, "preset": "paper", "budget": 100000, "run_count": 12, "runs_trained": 0})
    errors = report.write_report(str(quick), [("quick", str(quick)), ("paper", str(paper))], FIGS)
    text = (quick / "REPORT.md").read_text()
    assert errors == []
    assert "| figA | 12 runs; 12 trained by the last run (2 min) | 12 runs; all found recorded |" in text
    assert "| figB | runs not counted (data written before counts were kept) | pending |" in text
    assert "| claim a | paper a | a = 1 | holds | a = 2 | holds |" in text
    assert "| claim b | paper b | b \\| c | does not hold | pending | pending |" in text


def test_runs_and_cpu_hours_come_from_the_results_file_never_a_cached_wall_time(tmp_path):
    save(tmp_path, "figA", {"a": 1, "preset": "paper", "seconds": 0.1, "cpu_seconds": 7200.0})
    line = {"configs": [{}, {}, {}], "runs": [{}, {}, {}], "cpu_seconds": 5400.0}
    (tmp_path / "figA.jsonl").write_text(json.dumps(line) + "\n" + json.dumps(dict(line, cpu_seconds=None)) + "\n")
    report.write_report(str(tmp_path), [("paper", str(tmp_path))], {"figA": FIGS["figA"]})
    text = (tmp_path / "REPORT.md").read_text()
    assert "| figA | 6 runs, 1.5 CPU-hours recorded (+ 1 ensembles untimed) |" in text
    assert "0.1" not in text.split("## The runs behind each column")[1].split("## Details")[0]


def test_an_unreadable_data_file_is_reported_and_the_rest_written(tmp_path):
    save(tmp_path, "figA", {"a": 1})
    (tmp_path / "figB.json").write_text("{not json")
    errors = report.write_report(str(tmp_path), [("here", str(tmp_path))], FIGS)
    assert len(errors) == 1 and "figB.json is unreadable" in errors[0]
    text = (tmp_path / "REPORT.md").read_text()
    assert "| figB | data file unreadable |" in text and "| claim a |" in text


def test_a_data_file_of_the_wrong_shape_is_reported_and_the_rest_written(tmp_path):
    save(tmp_path, "figA", {"preset": "smoke"})                  # no "a": claims raise KeyError
    save(tmp_path, "figB", {"preset": "smoke"})
    errors = report.write_report(str(tmp_path), [("here", str(tmp_path))], FIGS)
    assert len(errors) == 1 and "figA.json does not hold this version's data" in errors[0]
    text = (tmp_path / "REPORT.md").read_text()
    assert "| figA | data file of the wrong shape |" in text and "| claim b |" in text


def test_md_cell_escapes_every_bar_once():
    assert report.md_cell("a | b") == "a \\| b"
    assert report.md_cell("a \\| b") == "a \\| b"


def test_report_columns_put_exploratory_both_confirmations_and_quick_side_by_side(tmp_path):
    figs = str(tmp_path / "figures")
    main = [("exploratory", f"{figs}/paper"), ("confirmatory", f"{figs}/paper/confirm"),
            ("confirmatory", f"{figs}/paper/confirm2"), ("quick", figs)]
    for out in (figs, f"{figs}/paper", f"{figs}/paper/confirm", f"{figs}/paper/confirm2"):
        assert report.report_columns(out, figs) == main
    assert report.report_columns(f"{figs}/smoke", figs, "smoke") == [("smoke", f"{figs}/smoke")]
    assert report.report_columns(f"{figs}/popcount", figs, "quick") == [("quick", f"{figs}/popcount")]


# --- The first page on synthetic verdicts ------------------------------------------------------

LONG = "a claim whose name runs to the limit of sixty"           # "Claim 14: " + LONG: 57 characters


def many_claims(d):
    """15 claims of every kind, with long names, numbers and reasons."""
    kinds = d["kinds"]
    rows = []
    for k, kind in enumerate(kinds):
        for member in range(3):
            rows.append(report.Row(f"claim {k}.{member}", "p", "ours " * 40, kind, group=f"Claim {k}: {LONG}",
                                   short=f"Claim {k}: {LONG}", number=f"m{member}: " + "a number " * 8,
                                   why=f"reason {d['col']} {k} " + " ".join(f"{d['col']}{k}w{i}" for i in range(30)), key="a deciding number " * 3,
                                   headline="a statistic " * 12))
    rows.append(report.Row("Beyond the paper: own", "-", "o", v.NO_SUPPORT, short="own question", why="nothing"))
    return rows


KINDS = [v.HOLDS, v.DOES_NOT_HOLD, v.INCONCLUSIVE, v.PARTLY, summary.COMPUTED, v.TOO_FEW, v.VACUOUS,
         v.DOES_NOT_HOLD, v.HOLDS, v.DOES_NOT_HOLD, v.NO_SUPPORT, v.DOES_NOT_HOLD, v.HOLDS, v.INCONCLUSIVE,
         v.DOES_NOT_HOLD]


def three_columns(tmp_path, kinds_by_column):
    cols = [(c, str(tmp_path / c)) for c in ("exploratory", "confirmatory", "quick")]
    for c, folder in cols:
        if kinds_by_column.get(c):
            save(tmp_path / c, "figA", {"kinds": kinds_by_column[c], "col": c, "preset": c,
                                        "budget": 3000 if c == "quick" else 100000}, png=True)
    report.write_report(cols[0][1], cols, {"figA": Fig(many_claims)}, registered={"confirmatory": {"figA"}},
                        prereg=["**The first preregistration** registered."])
    return (tmp_path / "exploratory" / "REPORT.md").read_text()


@pytest.mark.parametrize("confirmed", [False, True])
def test_the_opening_is_read_at_once(tmp_path, confirmed):
    """At most 8 sentences and 1,600 characters, no sentence over 250, each claim named once,
    whatever the verdicts and however long the names and numbers."""
    cols = {"exploratory": KINDS, "quick": KINDS[::-1]}
    if confirmed:
        cols["confirmatory"] = [v.DOES_NOT_HOLD] * 8 + KINDS[8:]
    text = three_columns(tmp_path, cols)
    page = page_of(text)
    assert len(page) <= 1600 and len(sentences(page)) <= 8
    assert max(len(s) for s in sentences(page)) <= 250
    for k in range(len(KINDS)):
        assert page.count(f"Claim {k}: ") == 1, k                 # every claim once, none twice
    assert ("Retested on new seeds" in page) == confirmed


def repeated_clauses(notes):
    """The clauses of 8 words that appear more than once in the notes."""
    clauses = [" ".join(w) for n in notes for w in zip(*[n.split()[i:] for i in range(8)])]
    return {c for c in clauses if clauses.count(c) > 1}


def test_a_reason_said_before_points_back_and_a_shared_ending_is_said_once():
    said = {}
    first = summary.column_reason({"sqdiff, n_h=0 is not significantly earlier than every other variant": ["mod3"],
                                   "diff, n_h=1 crosses first": ["greater"]}, said, (1, "exploratory"))
    again = summary.column_reason({"sqdiff, n_h=0 is not significantly earlier than every other variant": ["mod3"],
                                   "diff, n_h=0 is not significantly earlier than every other variant": ["greater"]},
                                  said, (1, "quick"))
    assert first.startswith("sqdiff, n_h=0 is not significantly earlier than every other variant (mod3)")
    assert again == "as exploratory (mod3); diff, n_h=0 likewise (greater)"
    later = summary.column_reason({"diff, n_h=1 crosses first": ["greater"]}, said, (2, "quick"))
    assert later == "as note 1"
    assert not repeated_clauses([first + " " + again + " " + later])


def test_table_cells_keep_their_lengths_and_notes_say_each_thing_once(tmp_path):
    text = three_columns(tmp_path, {"exploratory": KINDS, "confirmatory": KINDS[::-1], "quick": KINDS[3:] + KINDS[:3]})
    head = text.split("## The rules")[0]
    table = [ln for ln in head.splitlines() if ln.startswith("| Claim ")]
    assert len(table) == len(KINDS)
    for ln in table:
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", ln)[1:-1]]
        assert len(cells[0]) <= 60 and all(len(c) <= 30 for c in cells[1:4]) and len(cells[4]) <= 100
    notes = [ln for ln in head.splitlines() if re.match(r"\d+\. ", ln)]
    assert notes and all(len(n) <= 300 for n in notes)
    assert not repeated_clauses(notes)
    # the beyond-the-paper rows are a table of their own, after the paper's
    assert head.index("## Beyond the paper") > head.index("| Claim 14")


def test_honest_labels(tmp_path):
    text = three_columns(tmp_path, {"exploratory": KINDS})
    own = [ln for ln in text.splitlines() if ln.startswith("| own question")][0]
    assert "| not tested (no support) |" in own
    page = page_of(text)
    assert "A rule is never changed" not in text
    # a computed line is never counted among the claims that hold
    held = page.split("these hold:")[1].split(".")[0] if "these hold:" in page else ""
    assert "Claim 4:" not in held and "Claim 4:" in page


def test_each_details_section_shows_its_figures_with_links_that_resolve(tmp_path):
    text = three_columns(tmp_path, {"exploratory": KINDS, "confirmatory": KINDS, "quick": KINDS})
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert {"../confirmatory/figA.png", "figA.png", "../quick/figA.png"} <= set(links)
    for link in links:
        assert os.path.exists(os.path.join(tmp_path, "exploratory", link)), link


def test_an_own_relation_report_counts_nothing_computed_as_holding(tmp_path):
    """A relation of your own (one preset column): its Fig. 3 row is computed, not judged."""
    figs = {"fig3": Fig(lambda d: [report.Row("Fig. 3 popcount: the 0.9 crossing of each variant", "—", "none",
                                              summary.COMPUTED, short="Fig. 3 on popcount")]),
            "fig7": Fig(lambda d: [report.Row("Fig. 7", "zone", "z", v.DOES_NOT_HOLD, short="Fig. 7 zone",
                                              key="no zone")])}
    save(tmp_path, "fig3", {"preset": "quick"})
    save(tmp_path, "fig7", {"preset": "quick"})
    report.write_report(str(tmp_path), [("quick", str(tmp_path))], figs, notes=["relation 'popcount'"])
    page = page_of((tmp_path / "REPORT.md").read_text())
    assert "In the quick run, these are computed, not judged: Fig. 3 on popcount." in page
    assert "In the quick run, these do not hold: Fig. 7 zone (no zone)." in page
    assert "check out" not in page and "these hold:" not in page


def test_cell_readings():
    assert summary.reading([v.HOLDS, v.DOES_NOT_HOLD]) == "partly (holds at 1 of 2)"
    assert summary.reading([v.TOO_FEW, v.TOO_FEW]) == summary.NOT_TESTED
    assert summary.reading([v.NO_SUPPORT]) == v.NO_SUPPORT
    assert summary.reading([summary.COMPUTED] * 2) == summary.COMPUTED
    assert summary.reading(["pending (3 of 8 runs in the unfinished cells)", "pending (0 of 8 runs)"]) == \
        "pending (3/16 runs)"
    assert summary.slug("Fig. 5: η_dec/η_enc ≲ 10") == "fig-5-η_decη_enc--10"
    assert summary.clip("a; b; c", 5) == "a …"


def test_a_partial_results_file_gives_pending_cells_with_run_counts(tmp_path):
    """A figure whose data function accepts missing runs is read from its .jsonl before its
    JSON exists; each unfinished cell reads 'pending (k of N runs)'."""
    import geneft as g
    from lab import beyond, results
    from lab.presets import PRESETS
    from lab.results import ResultsFile, RunSummary
    from lab.runner import replay_data
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
    partial = lambda name, figure, where: replay_data(figure, p, f"{where}/{name}.jsonl")
    report.write_report(str(folder), [("smoke", str(folder))], {"goldilocks": fig}, partial=partial)
    text = (folder / "REPORT.md").read_text()
    per_width = len(p.gold_depths) * p.gold_seeds
    assert f"w={p.gold_widths[0]}: pending (1 of {per_width} runs)" in text
    planned = len(p.gold_relations) * len(p.gold_widths) * per_width
    assert f"partial: 1 of {planned} runs in goldilocks.jsonl" in text


def test_the_committed_report_keeps_every_length_rule():
    """figures/REPORT.md as committed: the opening, the table cells, the notes, the images."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    text = open(os.path.join(root, "figures", "REPORT.md"), encoding="utf-8").read()
    page = page_of(text)
    assert len(page) <= 1600 and len(sentences(page)) <= 8 and max(map(len, sentences(page))) <= 250
    head = text.split("## The rules")[0]
    for ln in head.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", ln)[1:-1]]
        if len(cells) == 6 and cells[0] not in ("claim", "---"):
            assert len(cells[0]) <= 60 and all(len(c) <= 30 for c in cells[1:4]), ln
            assert len(cells[4].replace("\\|", "|")) <= 100 and not cells[4].endswith("…"), ln
    notes = [ln for ln in head.splitlines() if re.match(r"\d+\. ", ln)]
    assert all(len(n) <= 300 for n in notes) and not repeated_clauses(notes)
    for link in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text):
        assert os.path.exists(os.path.join(root, "figures", link)), link


def test_a_long_note_keeps_every_column_s_reason():
    parts = ["exploratory: " + "a long reason; " * 30, "confirmatory: short", "quick: " + "another; " * 40]
    out = summary.shared_fairly(parts, 300, " — ")
    assert len(" — ".join(out)) <= 300
    assert out[1] == "confirmatory: short"                       # a short part is kept whole
    assert out[0].startswith("exploratory: a long reason") and out[2].startswith("quick: another")
    assert out == summary.shared_fairly(out, 300, " — ")           # what fits is left alone


def test_a_reason_its_note_had_no_room_for_is_never_pointed_to():
    said, why = {}, "1 memorizing run in 1 cell; a boundary needs ≥ 3 runs of each side in ≥ 2 cells"
    summary.column_reason({why: ["bipartite"]}, said, (3, "exploratory"), hidden={why})
    assert why not in said
    later = summary.column_reason({why: ["bipartite"]}, said, (3, "quick"))
    assert later.startswith("1 memorizing run") and "as exploratory" not in later
