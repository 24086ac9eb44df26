"""Tests of run_all.py: the smoke preset end to end, the cache through the command
line, bad input, the report's columns, and where a run writes.
"""
import json
import os

import pytest

import geneft as g
import run_all as ra
from lab import executors, results, tuning
from lab.runner import Runner, near_change
from lab.ensemble import init_ensemble, train_ensemble

SMALL = g.Config(n=8, d=2, depth=1, width=8, frac=0.75, steps=60, eval_every=10, seed=0)



def test_smoke_preset_end_to_end_cached_and_replotted(tmp_path, monkeypatch, capsys):
    out, cache = tmp_path / "fig", tmp_path / "cache"
    args = ["--preset", "smoke", "--out", str(out), "--cache", str(cache), "--jobs", "1"]
    assert ra.main(args) == 0
    trained = {}
    for line in capsys.readouterr().out.splitlines():     # "  [fig5-mod3] 12/12 runs, ..."
        if line.startswith("  [") and " runs, " in line:
            label, count = line.split("]")[0][3:], line.split("] ")[1].split("/")[1].split(" ")[0]
            fig = {"fig3": "fig3", "fig5": "fig5", "fig6": "fig6", "fig7": "fig7", "fig8": "fig8",
                   "theorem1": "theorem1", "openq1": "open_q1",
                   "goldilocks": "goldilocks", "repons": "repons_net"}.get(label.split("-")[0])
            if fig:
                trained.setdefault(fig, {})[label] = int(count)
    bounds = ra.run_bounds(ra.PRESETS["smoke"])
    counts = {f: sum(v.values()) for f, v in trained.items()}
    assert set(counts) == set(bounds)
    for fig, (lo, hi) in bounds.items():
        assert lo <= counts[fig] <= hi, fig
    for name in ra.FIGURES:
        assert (out / f"{name}.png").stat().st_size > 0
        assert json.loads((out / f"{name}.json").read_text())["preset"] == "smoke"
    report = (out / "REPORT.md").read_text()
    for claim in ("Fig. 2 mod3", "Fig. 3 greater", "Eq. (12) at", "Fig. 5 bipartite", "Fig. 6",
                  "Fig. 7", "Fig. 8 mod3", "Theorem 1", "Open Question 1, greater"):
        assert claim in report
    # A second run trains nothing: every ensemble comes from the cache.
    monkeypatch.setattr(executors, "run_chunk", lambda configs: pytest.fail("retrained a cached run"))
    assert ra.main(args + ["--only", "fig5,fig7"]) == 0
    assert ra.main(args + ["--replot"]) == 0


def test_bad_command_line_is_refused(capsys):
    with pytest.raises(SystemExit):
        ra.parse_args(["--only", "fig9"])
    assert "fig9" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        ra.parse_args(["--preset", "huge"])
    with pytest.raises(SystemExit):
        ra.parse_args(["--only", ""])                     # not "every figure"
    assert "names no figure" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        ra.parse_args(["--only", " , "])


def test_jobs_are_capped_at_the_cores_with_a_note(capsys, monkeypatch):
    monkeypatch.setattr(ra.os, "cpu_count", lambda: 2)
    assert ra.parse_args(["--jobs", "1000"]).jobs == 2
    assert "--jobs 1000 is more than the 2 cores" in capsys.readouterr().err
    assert ra.parse_args(["--jobs", "1"]).jobs == 1


def test_non_default_presets_write_under_their_own_folder():
    assert ra.parse_args([]).out == ra.FIG_DIR
    assert ra.parse_args(["--preset", "smoke"]).out == os.path.join(ra.FIG_DIR, "smoke")
    assert ra.parse_args(["--preset", "paper"]).out == os.path.join(ra.FIG_DIR, "paper")


def figure_data(out):
    """Every figure's JSON in a folder, without the wall times."""
    data = {}
    for path in sorted(out.glob("*.json")):
        d = json.loads(path.read_text())
        d.pop("seconds")
        for r in (d.get("relations") or {}).values():
            if isinstance(r, dict):
                r.pop("seconds", None)
        data[path.name] = d
    return data


def test_dask_local_cluster_gives_the_local_results_bit_for_bit(tmp_path):
    pytest.importorskip("distributed")
    common = ["--preset", "smoke", "--only", "fig3,fig5,fig6,fig7"]
    assert ra.main(common + ["--jobs", "1", "--out", str(tmp_path / "a"), "--cache", str(tmp_path / "ca")]) == 0
    assert ra.main(common + ["--scheduler", "local:2", "--out", str(tmp_path / "b"),
                             "--cache", str(tmp_path / "cb")]) == 0
    a, b = figure_data(tmp_path / "a"), figure_data(tmp_path / "b")
    assert len(a) == 4 and a == b


def smoke_args(tmp_path, *more):
    return ["--preset", "smoke", "--jobs", "1", "--out", str(tmp_path / "out"),
            "--cache", str(tmp_path / "cache"), *more]


def one_error_line(capsys):
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert "Traceback" not in err and len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def test_cache_that_is_a_file_is_refused_before_computing(tmp_path, capsys, monkeypatch):
    (tmp_path / "cache").write_text("not a folder")
    monkeypatch.setattr(executors, "run_chunk", lambda configs: pytest.fail("computed anyway"))
    assert ra.main(smoke_args(tmp_path, "--only", "fig5")) == 2
    assert "is a file, not a folder" in one_error_line(capsys)


def test_unwritable_output_folder_is_refused_before_computing(tmp_path, capsys, monkeypatch):
    (tmp_path / "blocker").write_text("")
    monkeypatch.setattr(executors, "run_chunk", lambda configs: pytest.fail("computed anyway"))
    args = smoke_args(tmp_path, "--only", "fig5")
    args[args.index("--out") + 1] = str(tmp_path / "blocker" / "figs")   # a folder inside a file
    assert ra.main(args) == 2
    assert "is not writable" in one_error_line(capsys)


@pytest.mark.parametrize("content, words", [(None, "is missing"), ('{"eta": [1, 2', "is unreadable")])
def test_replot_without_good_data_is_one_error_line(tmp_path, capsys, content, words):
    (tmp_path / "out").mkdir()
    if content is not None:
        (tmp_path / "out" / "fig5.json").write_text(content)
    assert ra.main(smoke_args(tmp_path, "--only", "fig5", "--replot")) == 2
    assert words in one_error_line(capsys)


def test_corrupt_data_of_another_figure_leaves_a_whole_report(tmp_path, capsys):
    assert ra.main(smoke_args(tmp_path, "--only", "fig4,fig5")) == 0
    (tmp_path / "out" / "fig5.json").write_text('{"conventions": ')        # cut mid-write
    capsys.readouterr()
    assert ra.main(smoke_args(tmp_path, "--only", "fig4")) == 2
    assert "fig5.json is unreadable" in one_error_line(capsys)
    report = (tmp_path / "out" / "REPORT.md").read_text()
    assert "| fig5 | data file unreadable |" in report and "Eq. (12) at" in report
    assert report.endswith("\n") and not list((tmp_path / "out").glob("*.tmp*"))


def test_report_puts_quick_and_paper_budget_side_by_side(tmp_path, monkeypatch):
    monkeypatch.setattr(ra, "FIG_DIR", str(tmp_path / "figures"))
    args = ["--preset", "smoke", "--jobs", "1", "--cache", str(tmp_path / "cache"), "--only", "fig7"]
    assert ra.main(args + ["--out", str(tmp_path / "figures")]) == 0
    report = (tmp_path / "figures" / "REPORT.md").read_text()
    assert "| claim | paper | quick: this code | quick: verdict | paper budget: this code | " \
           "paper budget: verdict |" in report
    assert "| pending | pending |" in report                    # no paper-budget data yet
    assert ra.main(args + ["--out", str(tmp_path / "figures" / "paper")]) == 0
    report = (tmp_path / "figures" / "REPORT.md").read_text()
    fig7 = [ln for ln in report.splitlines() if ln.startswith("| Fig. 7")][0]
    assert "pending" not in fig7


def test_a_run_writes_only_under_its_output_and_cache_folders(tmp_path):
    """run_all writes figures, data and REPORT.md under --out and runs under --cache, and
    nothing else in the checkout (it no longer rewrites README.md)."""
    readme = os.path.join(os.path.dirname(os.path.abspath(ra.__file__)), "README.md")
    before = os.stat(readme).st_mtime_ns
    assert ra.main(smoke_args(tmp_path, "--only", "fig7")) == 0
    assert os.stat(readme).st_mtime_ns == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "out"]
