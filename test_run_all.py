"""Tests of run_all.py: the smoke preset end to end, the cache through the command
line, bad input, the report's columns, where a run writes, and faults met mid-run (a full
disk, a file size limit, an unreadable results file, a second run on one folder, --force,
--replot of damaged data, Ctrl-C), each one line and exit 2 (130 on Ctrl-C).
"""
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

import run_all as ra
from lab import executors
from lab.presets import run_bounds


def test_smoke_preset_end_to_end_cached_and_replotted(tmp_path, monkeypatch, capsys):
    out, cache = tmp_path / "fig", tmp_path / "cache"
    args = ["--preset", "smoke", "--out", str(out), "--cache", str(cache), "--jobs", "1"]
    assert ra.main(args) == 0
    trained = {}
    for line in capsys.readouterr().out.splitlines():     # "  [fig5-mod3] 12/12 runs (...), ..."
        if line.startswith("  [") and " runs (" in line:
            label, count = line.split("]")[0][3:], line.split("] ")[1].split("/")[1].split(" ")[0]
            fig = {"fig3": "fig3", "fig5": "fig5", "fig6": "fig6", "fig7": "fig7", "fig8": "fig8",
                   "theorem1": "theorem1", "openq1": "open_q1",
                   "goldilocks": "goldilocks", "repons": "repons_net"}.get(label.split("-")[0])
            if fig:
                trained.setdefault(fig, {})[label] = int(count)
    bounds = run_bounds(ra.PRESETS["smoke"])
    counts = {f: sum(v.values()) for f, v in trained.items()}
    assert set(counts) == set(bounds)
    for fig, (lo, hi) in bounds.items():
        assert lo <= counts[fig] <= hi, fig     # Fig. 6: shared settings counted once
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


def test_report_puts_exploratory_confirmatory_and_quick_side_by_side(tmp_path, monkeypatch):
    monkeypatch.setattr(ra, "FIG_DIR", str(tmp_path / "figures"))
    args = ["--preset", "smoke", "--jobs", "1", "--cache", str(tmp_path / "cache"), "--only", "fig7"]
    assert ra.main(args + ["--out", str(tmp_path / "figures")]) == 0
    report = (tmp_path / "figures" / "REPORT.md").read_text()
    assert "| claim | paper | exploratory: this code | exploratory: verdict | confirmatory: this code | " \
           "confirmatory: verdict | quick: this code | quick: verdict |" in report
    assert "| pending | pending |" in report                    # no paper-budget data yet
    assert ra.main(args + ["--out", str(tmp_path / "figures" / "paper")]) == 0
    report = (tmp_path / "figures" / "REPORT.md").read_text()     # the one report of every column
    fig7 = [ln for ln in report.splitlines() if ln.startswith("| Fig. 7: a Goldilocks")][0]
    assert fig7.split(" | ")[1] != "pending"                      # the exploratory column
    assert not (tmp_path / "figures" / "paper" / "REPORT.md").exists()


def test_a_run_writes_only_under_its_output_and_cache_folders(tmp_path):
    """run_all writes figures, data and REPORT.md under --out and runs under --cache, and
    nothing else in the checkout (it no longer rewrites README.md)."""
    readme = os.path.join(os.path.dirname(os.path.abspath(ra.__file__)), "README.md")
    before = os.stat(readme).st_mtime_ns
    assert ra.main(smoke_args(tmp_path, "--only", "fig7")) == 0
    assert os.stat(readme).st_mtime_ns == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "out"]


# --- Nothing computed is lost or silently replaced -----------------------------------

@pytest.fixture
def results_kept(monkeypatch):
    """The smoke preset writing results files, as the paper preset does."""
    monkeypatch.setitem(ra.PRESETS, "smoke", dataclasses.replace(ra.PRESETS["smoke"], results_in_repo=True))


def fig7_runs(path):
    """test_acc of every run in a results file, line by line."""
    return [[r["test_acc"] for r in json.loads(line)["runs"]] for line in path.read_text().splitlines()]


def test_force_replaces_the_recorded_runs(tmp_path, capsys, results_kept):
    """test_acc edited in line 1, then --force: the results file holds the recomputed
    values (once each), and the next normal run shows them, not the edit."""
    args = smoke_args(tmp_path, "--only", "fig7")
    assert ra.main(args) == 0
    path = tmp_path / "out" / "fig7.jsonl"
    truth = fig7_runs(path)
    lines = path.read_text().splitlines()
    rec = json.loads(lines[0])
    rec["runs"][0]["test_acc"] = 0.123
    path.write_text("\n".join([json.dumps(rec)] + lines[1:]) + "\n")
    assert ra.main(args + ["--force"]) == 0
    assert sorted(fig7_runs(path)) == sorted(truth)
    assert ra.main(args) == 0
    assert "0.123" not in (tmp_path / "out" / "fig7.json").read_text()
    assert sorted(fig7_runs(path)) == sorted(truth)


def test_a_full_output_disk_is_one_line_and_keeps_what_finished(tmp_path, capsys, results_kept):
    """--out on a 40 KB disk: the PNG does not fit. One line naming it and the cause,
    exit 2, no temporary file; the runs and the figure's data are kept."""
    from lab.test_results import tiny_disk
    with tiny_disk(tmp_path / "out", "40k") as out:
        assert ra.main(smoke_args(tmp_path, "--only", "fig7")) == 2
        line = one_error_line(capsys)
        assert line.startswith(f"error: cannot write {out / 'fig7.png'} (No space left on device)")
        assert sorted(os.listdir(out)) == ["fig7.json", "fig7.jsonl"]
        assert len(fig7_runs(out / "fig7.jsonl")) == 3


def test_a_full_cache_disk_is_one_line_and_leaves_no_temporary_file(tmp_path, capsys, results_kept):
    from lab.test_results import tiny_disk
    with tiny_disk(tmp_path / "cache", "16k") as cache:
        assert ra.main(smoke_args(tmp_path, "--only", "fig7")) == 2
        assert "(No space left on device)" in one_error_line(capsys)
        assert not [p for p in cache.rglob("*") if ".tmp" in p.name]
    assert len(fig7_runs(tmp_path / "out" / "fig7.jsonl")) >= 1      # recorded before the cache


LIMITED_RUN = """
import dataclasses, resource, sys
import run_all as ra
ra.PRESETS["smoke"] = dataclasses.replace(ra.PRESETS["smoke"], results_in_repo=True)
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))
sys.exit(ra.main(sys.argv[2:]))
"""


def test_a_file_size_limit_is_one_line_and_no_half_line(tmp_path):
    """ulimit -f: the results file's second line crosses the limit: one line, exit 2,
    and the file holds its whole first line only."""
    root = os.path.dirname(os.path.abspath(ra.__file__))
    done = subprocess.run([sys.executable, "-c", LIMITED_RUN, "2500", *smoke_args(tmp_path, "--only", "fig7")],
                          cwd=root, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, MPLBACKEND="Agg"))
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    path = tmp_path / "out" / "fig7.jsonl"
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert lines[0].startswith(f"error: cannot write {path} (File too large)")
    assert len(fig7_runs(path)) == 1 and path.read_bytes().endswith(b"\n")


def test_a_results_file_this_user_cannot_read_is_one_line(tmp_path, capsys, monkeypatch, results_kept):
    from lab.test_results import deny_reading
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "fig7.jsonl").write_text("")
    deny_reading(monkeypatch, "fig7.jsonl")
    assert ra.main(smoke_args(tmp_path, "--only", "fig7")) == 2
    assert one_error_line(capsys).startswith(
        f"error: cannot read {tmp_path / 'out' / 'fig7.jsonl'} (Permission denied)")


def test_a_second_run_on_one_folder_waits_for_the_first(tmp_path, capsys, results_kept):
    """Another run holds the output folder: this one says once for whom it waits, starts
    when that one ends, and writes each results line once."""
    from lab.test_results import hold_lock, release_later
    out = tmp_path / "out"
    release_later(out, hold_lock(out), 1.0)
    t0 = time.time()
    assert ra.main(smoke_args(tmp_path, "--only", "fig7")) == 0
    assert time.time() - t0 >= 0.9
    assert capsys.readouterr().err.count("waiting: another run (PID 4242 on otherhost)") == 1
    keys = [json.loads(line)["key"] for line in (out / "fig7.jsonl").read_text().splitlines()]
    assert len(keys) == len(set(keys)) == 3
    assert not (out / ".lock").exists()


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """An output folder holding smoke fig4 and fig7 (data and PNGs), made once."""
    folder = tmp_path_factory.mktemp("drawn")
    assert ra.main(["--preset", "smoke", "--jobs", "1", "--only", "fig4,fig7", "--out",
                    str(folder / "out"), "--cache", str(folder / "cache")]) == 0
    return folder / "out"


def copy_of(drawn, tmp_path):
    shutil.copytree(drawn, tmp_path / "out")
    return tmp_path / "out"


def test_replot_of_a_wrongly_shaped_data_file_is_one_line_and_draws_the_rest(tmp_path, capsys, drawn):
    out = copy_of(drawn, tmp_path)
    (out / "fig7.json").write_text('{"preset": "smoke"}')
    (out / "fig4.png").unlink()
    assert ra.main(smoke_args(tmp_path, "--only", "fig7,fig4", "--replot")) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"error: {out / 'fig7.json'} does not hold this version's data (KeyError")
    assert (out / "fig4.png").stat().st_size > 0 and (out / "REPORT.md").exists()


def test_replot_without_only_redraws_what_has_data_and_says_what_it_skipped(tmp_path, capsys, drawn):
    out = copy_of(drawn, tmp_path)
    (out / "fig4.png").unlink()
    assert ra.main(smoke_args(tmp_path, "--replot")) == 0
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    skipped = [n for n in ra.FIGURES if n not in ("fig4", "fig7")]
    assert err == [f"note: --replot skips {', '.join(skipped)}: no saved data in {out} "
                   "(compute them without --replot)"]
    assert (out / "fig4.png").stat().st_size > 0
    empty = tmp_path / "empty"
    assert ra.main(["--preset", "smoke", "--replot", "--out", str(empty), "--cache", str(tmp_path / "c")]) == 2
    assert "no figure has saved data" in one_error_line(capsys)


def test_replot_starts_no_workers_and_reaches_no_scheduler(tmp_path, monkeypatch, drawn):
    out = copy_of(drawn, tmp_path)
    monkeypatch.setattr(executors, "make_executor", lambda *a, **k: pytest.fail("started an executor"))
    args = ["--preset", "smoke", "--out", str(out), "--cache", str(tmp_path / "c"), "--replot"]
    assert ra.main(args + ["--jobs", "2", "--scheduler", "tcp://127.0.0.1:1"]) == 0


def test_jobs_follow_the_cpu_affinity(capsys, monkeypatch):
    """Under `taskset -c 0`: one worker by default, --jobs 2 capped with a note."""
    monkeypatch.setattr(ra.os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert ra.parse_args([]).jobs == 1
    assert ra.parse_args(["--jobs", "2"]).jobs == 1
    assert "--jobs 2 is more than the 1 core this process may run on" in capsys.readouterr().err


@pytest.mark.parametrize("bad, words", [
    ("tcp://127.0.0.1", "needs a host and a port"), ("local:0", "'0' is not allowed"),
    ("udp://host:1", "use tcp://HOST:PORT")])
def test_a_bad_scheduler_is_one_line_and_exit_2(capsys, bad, words):
    with pytest.raises(SystemExit) as exit_:
        ra.parse_args(["--scheduler", bad])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert exit_.value.code == 2 and len(err) == 1 and words in err[0]


def test_an_unreachable_scheduler_is_one_line_and_exit_2(tmp_path, capsys):
    pytest.importorskip("distributed")
    from lab.test_executors import free_port
    assert ra.main(smoke_args(tmp_path, "--only", "fig7", "--scheduler", f"tcp://127.0.0.1:{free_port()}")) == 2
    assert "cannot reach a Dask scheduler there" in one_error_line(capsys)


def test_only_computes_each_figure_once_in_the_order_given():
    assert ra.parse_args(["--only", "fig7,fig4,fig7,fig7"]).names == ["fig7", "fig4"]


@pytest.mark.parametrize("change, words", [({"fig7_depths": (10 ** 6,)}, "depth=1000000 is not allowed"),
                                           ({"steps": 10 ** 18}, "steps=1000000000000000000 is not allowed")])
def test_a_preset_beyond_the_models_limits_is_one_line(tmp_path, capsys, monkeypatch, change, words):
    monkeypatch.setitem(ra.PRESETS, "smoke", dataclasses.replace(ra.PRESETS["smoke"], **change))
    assert ra.main(smoke_args(tmp_path, "--only", "fig7")) == 2
    assert words in one_error_line(capsys)


def test_ctrl_c_during_bench_is_one_line():
    """A shell starts a background job (`cmd &`, nohup, some CI runners) with SIGINT ignored,
    and a child inherits that: Python then installs no KeyboardInterrupt handler, and Ctrl-C
    would be ignored. The child gets SIGINT's default back before exec, as a terminal gives it."""
    if os.name != "posix":
        pytest.skip("needs POSIX process groups to send Ctrl-C to the run and its workers")
    root = os.path.dirname(os.path.abspath(ra.__file__))
    proc = subprocess.Popen([sys.executable, os.path.join(root, "run_all.py"), "--bench", "--jobs", "1"],
                            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    for line in proc.stdout:
        if line.startswith("setting"):              # the table's header: the pool is timing
            break
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert [ln for ln in err.splitlines() if ln.strip()] == ["interrupted: --bench stopped (it saves nothing)"]


# --- Your own relation: --relation FILE.csv -----------------------------------------------

def write_csv(path, R):
    path.write_text("\n".join(",".join(str(int(v)) for v in row) for row in R) + "\n")


def relabelled_mod3(n=6):
    import numpy as np
    import geneft as g
    perm = np.random.default_rng(4).permutation(n)
    return g.relation_matrix("mod3", n)[np.ix_(perm, perm)]


def test_own_relation_runs_its_figures_says_what_it_skipped_and_reruns_when_edited(
        tmp_path, monkeypatch, capsys):
    """--relation FILE.csv: the per-relation figures on the matrix, a report of its own that
    names the relation and each skipped figure's reason; a rerun trains nothing, and an
    edited file is a new experiment (the keys hash the matrix, not its name)."""
    csv = tmp_path / "mine.csv"
    R = relabelled_mod3()
    write_csv(csv, R)
    args = smoke_args(tmp_path, "--relation", str(csv), "--only", "fig2,fig5,fig7,theorem1")
    assert ra.main(args) == 0
    err = capsys.readouterr().err
    assert "note: fig2 skipped: Fig. 2 compares Table I's four relations" in err
    out = tmp_path / "out"
    assert sorted(p.name for p in out.glob("*.json")) == ["fig5.json", "fig7.json", "theorem1.json"]
    assert json.loads((out / "fig7.json").read_text())["relation"] == "mine"
    report = (out / "REPORT.md").read_text()
    assert "relation 'mine' from" in report and "kind: equivalence" in report
    assert "majority baseline" in report and "fig2 skipped" in report
    assert "| fig2 |" not in report and "| goldilocks |" not in report   # skipped: no pending row
    monkeypatch.setattr(executors, "run_chunk", lambda configs: pytest.fail("retrained a cached run"))
    assert ra.main(args) == 0
    R[0, 1] = R[1, 0] = 1 - R[0, 1]                      # edit the file: a new relation
    write_csv(csv, R)
    trained = []
    monkeypatch.setattr(executors, "run_chunk", lambda configs: trained.append(len(configs)) or
                        [executors.RunSummary(ra.g.CONFUSION, None, None, None, 0, 0.5, 0.5, 0.5, [])]
                        * len(configs))
    assert ra.main(smoke_args(tmp_path, "--relation", str(csv), "--only", "fig7")) == 0
    assert sum(trained) == 6                             # every Fig. 7 run of the edited matrix


def test_own_relation_of_no_section_iii_kind_skips_fig3_and_theorem1(tmp_path, capsys):
    import numpy as np
    divides = np.array([[int(j % i == 0) for j in range(1, 9)] for i in range(1, 9)])
    write_csv(tmp_path / "divides.csv", divides)
    assert ra.main(smoke_args(tmp_path, "--relation", str(tmp_path / "divides.csv"),
                              "--only", "fig3,theorem1,fig7")) == 0
    err = capsys.readouterr().err
    assert "fig3 skipped: Fig. 3 draws Appendix D's bound" in err
    assert "theorem1 skipped: Theorem 1 is about the classes of an equivalence" in err
    assert sorted(p.name for p in (tmp_path / "out").glob("*.json")) == ["fig7.json"]


@pytest.mark.parametrize("spec, words", [
    ("nosuch.csv", "--relation 'nosuch.csv': cannot read"),
    ("mod_three", "--relation 'mod_three': relation='mod_three' is not allowed"),
    ("paper", "--relation 'paper'"),
])
def test_own_relation_bad_input_is_one_line(tmp_path, capsys, spec, words):
    if spec == "paper":                                   # a folder name the presets use
        write_csv(tmp_path / "paper.csv", relabelled_mod3())
        spec = str(tmp_path / "paper.csv")
        words = f"--relation {spec!r}: 'paper' cannot name the folder"
    with pytest.raises(SystemExit) as exit_:
        ra.parse_args(["--relation", spec])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err


# --- The last faults: totals, other schedulers, large relations, closed pipes, older files --

def overall_totals(out):
    """(done, total) of every progress line's "all: done/total runs so far"."""
    return [tuple(map(int, ln.split("; all: ")[1].split(" runs")[0].split("/")))
            for ln in out.splitlines() if "; all: " in ln]


def test_the_overall_total_counts_only_runs_that_run(tmp_path, capsys):
    """Figs. 7 and 8 (an adaptive grid, whose seeds come only near a phase change): the
    total over the invocation never counts a run that does not run, and ends equal to
    the runs done (it once ended "all: 24/42", counting every seed Fig. 8 might add)."""
    assert ra.main(smoke_args(tmp_path, "--only", "fig7,fig8")) == 0
    out = capsys.readouterr().out
    ran = sum(int(ln.split("/")[1].split(" ")[0]) for ln in out.splitlines()
              if ln.startswith("  [") and ln.split("] ")[1].split("/")[0] == "0")   # each sweep's first line
    totals = overall_totals(out)
    assert ran == 6 + 18                           # smoke: 3 depths x 2 seeds; 3 x 6 cells, 1 seed
    assert all(total <= ran and done <= total for done, total in totals)
    assert totals[-1] == (ran, ran)
    assert [ln.endswith("; to come: fig8") for ln in out.splitlines() if ln.startswith("  [fig7]")] == [True] * 4


def test_a_scheduler_address_where_http_answers_is_one_line_and_exit_2(tmp_path, capsys):
    """--scheduler at a port where an HTTP server answers (the dashboard's 8787, typed by
    mistake): one line naming the address and what is there, exit 2 (it once ended in a
    55-line traceback allocating 3.07 EiB)."""
    pytest.importorskip("distributed")
    from lab.test_executors import HTTP_ANSWER, listener
    with listener(HTTP_ANSWER) as port:
        assert ra.main(smoke_args(tmp_path, "--only", "fig7", "--scheduler", f"tcp://127.0.0.1:{port}")) == 2
    assert one_error_line(capsys) == (
        f"error: --scheduler tcp://127.0.0.1:{port}: an HTTP server answers there ('HTTP/1.1 400 "
        "Bad Request'), not a Dask scheduler: name the scheduler's address (`dask scheduler` "
        "listens on port 8786 by default; 8787 is its dashboard)")


HEAD_OF_A_RUN = """
import dataclasses, sys
import run_all as ra
ra.PRESETS["smoke"] = dataclasses.replace(ra.PRESETS["smoke"], results_in_repo=True)
sys.exit(ra.main(sys.argv[1:]))
"""


def test_a_closed_pipe_ends_the_run_quietly_and_keeps_what_finished(tmp_path):
    """`run_all.py ... | head -3`: the reader closes after three lines; the run stops at
    its next line, exit 141 as a Unix tool ended by SIGPIPE, nothing on stderr (it once
    printed a 23-line BrokenPipeError traceback), and the ensembles finished so far are
    in the results file."""
    proc = subprocess.Popen([sys.executable, "-c", HEAD_OF_A_RUN, *smoke_args(tmp_path, "--only", "fig7")],
                            cwd=os.path.dirname(os.path.abspath(ra.__file__)), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=dict(os.environ, MPLBACKEND="Agg"))
    head = [proc.stdout.readline() for _ in range(3)]
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141 and err == ""
    assert head[2].startswith(b"  [fig7] 2/6 runs")
    assert len(fig7_runs(tmp_path / "out" / "fig7.jsonl")) >= 1


def total_order(n):
    import numpy as np
    return (np.arange(n)[:, None] > np.arange(n)[None, :]).astype(int)


def test_a_total_order_beyond_appendix_d_skips_fig3_before_any_training(tmp_path, capsys, monkeypatch):
    """n = 101 > the Appendix D Monte Carlo's limit for a total order (100): Fig. 3 is
    skipped up front with the reason and the cost, and the cost of n = 101 is said (it
    once trained Fig. 3's runs, then ended in a ValueError traceback)."""
    write_csv(tmp_path / "gt101.csv", total_order(101))
    monkeypatch.setattr(executors, "run_chunk", lambda configs: pytest.fail("trained"))
    with pytest.raises(SystemExit) as exit_:
        ra.main(smoke_args(tmp_path, "--relation", str(tmp_path / "gt101.csv"), "--only", "fig3"))
    assert exit_.value.code == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert err[0] == ("note: fig3 skipped: Fig. 3 draws Appendix D's Monte Carlo bound, limited for "
                      "this kind to n <= 100 (its Bubley-Dyer chain runs ~n³ ln n steps for each "
                      "sampled order, 1× those at n = 100); this relation has n = 101 (python "
                      "statics.py FILE.csv gives the rest of Section III)")
    assert err[1].startswith("note: n = 101: every run trains on 11× the pairs of the paper's n = 30")
    assert "none of these figures applies" in err[2] and len(err) == 3


def test_a_relation_beyond_the_size_limit_is_refused_at_once(tmp_path, capsys):
    """n = 1001: one line naming n, the limit and the memory it would take, exit 2, before
    anything starts (an n = 3000 run was once still going after 120 s at 2.4 GB)."""
    write_csv(tmp_path / "gt1001.csv", total_order(1001))
    with pytest.raises(SystemExit) as exit_:
        ra.parse_args(["--relation", str(tmp_path / "gt1001.csv")])
    err = capsys.readouterr().err.strip()
    assert exit_.value.code == 2 and len(err.splitlines()) == 1
    assert (f"--relation '{tmp_path / 'gt1001.csv'}': n = 1001 is too large: the per-relation "
            "figures train on all n² pairs and are limited to n <= 1000") in err


@pytest.mark.parametrize("stem", ["my relation", "relação"])
def test_a_relation_file_of_any_name_runs_with_out(tmp_path, capsys, stem):
    """A name with a space or a non-ASCII letter cannot name figures/<name>/, and only
    that: with --out it is taken (it was once refused either way)."""
    write_csv(tmp_path / f"{stem}.csv", relabelled_mod3())
    args = ra.parse_args(["--relation", str(tmp_path / f"{stem}.csv"), "--out", str(tmp_path / "out")])
    assert args.own.name == stem and args.out == str(tmp_path / "out")
    with pytest.raises(SystemExit):
        ra.parse_args(["--relation", str(tmp_path / f"{stem}.csv")])
    assert capsys.readouterr().err.strip().endswith("or name the output folder with --out (see --help)")


def test_a_results_file_in_an_older_versions_names_is_read_in_one_warning_line(
        tmp_path, capsys, monkeypatch, results_kept):
    """fig7.jsonl written with lr_enc / lr_dec: nothing retrains, and the one line said is
    the warning naming `python -m lab.migrate` (every line was once unreadable and
    retrained, each warning printed with a second line quoting warnings.warn)."""
    from lab.test_results import in_older_names
    args = smoke_args(tmp_path, "--only", "fig7")
    assert ra.main(args) == 0
    path = tmp_path / "out" / "fig7.jsonl"
    path.write_text("".join(in_older_names(ln) + "\n" for ln in path.read_text().splitlines()))
    capsys.readouterr()
    monkeypatch.setattr(executors, "run_chunk", lambda configs: pytest.fail("retrained a recorded run"))
    assert ra.main(args) == 0
    assert [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()] == [
        f"warning: {path}: 3 line(s) name the learning rates lr_enc/lr_dec as an older version did: "
        f"read as eta_enc/eta_dec, nothing of them is retrained; `python -m lab.migrate {path}` "
        "rewrites the file in today's names"]


def test_a_figure_json_nested_too_deeply_is_unreadable_in_one_line(tmp_path, capsys, drawn):
    out = copy_of(drawn, tmp_path)
    (out / "fig7.json").write_text("[" * 100_000)
    assert ra.main(smoke_args(tmp_path, "--only", "fig7", "--replot")) == 2
    assert "is unreadable" in one_error_line(capsys)


def test_identical_fig6_settings_train_once_and_are_drawn_twice(tmp_path, results_kept):
    """Smoke's "both" and "embeddings" settings at s = 1 are the same runs: each is recorded
    once (they were trained and recorded twice), and both settings show the same curve."""
    from collections import Counter
    import geneft as g
    from lab.results import run_key
    assert ra.main(smoke_args(tmp_path, "--only", "fig6")) == 0
    keys = Counter(run_key(g.Config(**c)) for line in (tmp_path / "out" / "fig6.jsonl").read_text().splitlines()
                   for c in json.loads(line)["configs"])
    assert len(keys) == 16 and set(keys.values()) == {1}
    settings = json.loads((tmp_path / "out" / "fig6.json").read_text())["settings"]
    both, embeddings = [s["curves"] for s in settings if s["optimizer"] == "adam" and s["convention"] == "hidden"
                        and s["variant"] in ("both", "embeddings")]
    assert both == embeddings


def test_matplotlib_that_cannot_load_is_one_line_before_any_training(tmp_path, capsys, monkeypatch):
    """As under `ulimit -v 400000 --jobs 2`, where its drawing library failed to map after
    the training, with a traceback: one line naming it, exit 2, nothing trained."""
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)   # import -> ImportError
    monkeypatch.setattr(executors, "run_chunk", lambda configs: pytest.fail("trained"))
    assert ra.main(smoke_args(tmp_path, "--only", "fig7")) == 2
    assert one_error_line(capsys).startswith("error: cannot load matplotlib, which draws the figures "
                                             "(ModuleNotFoundError: import of matplotlib.backends.backend_agg")


def test_the_confirm_preset_refuses_a_relation_of_your_own(capsys):
    with pytest.raises(SystemExit) as exit_:
        ra.parse_args(["--preset", "confirm", "--relation", "mod3"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--relation with --preset confirm is not allowed" in err


# --- Printing that must not stop a run, and faults while it starts ---------------------

def full_stdout_run(tmp_path, *more):
    root = os.path.dirname(os.path.abspath(ra.__file__))
    with open("/dev/full", "w") as full:
        return subprocess.run([sys.executable, os.path.join(root, "run_all.py"), *more],
                              cwd=root, stdout=full, stderr=subprocess.PIPE, text=True, timeout=300,
                              env=dict(os.environ, MPLBACKEND="Agg"))


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full, a device always full")
def test_a_full_stdout_leaves_the_run_going_with_one_line(tmp_path):
    """stdout on a full disk (> /dev/full, or a log file whose disk fills): one warning line,
    and the run trains, saves and reports as usual (it once stopped at its first progress
    line with an OSError traceback)."""
    done = full_stdout_run(tmp_path, *smoke_args(tmp_path, "--only", "fig7")[:2], "--jobs", "2",
                           "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache"), "--only", "fig7")
    assert done.returncode == 0, done.stderr
    assert [ln for ln in done.stderr.splitlines() if ln.strip()] == [
        "warning: cannot write to stdout (No space left on device): the run goes on without its "
        "progress lines"]
    assert json.loads((tmp_path / "out" / "fig7.json").read_text())["preset"] == "smoke"
    assert (tmp_path / "out" / "REPORT.md").exists()


def test_an_ascii_only_terminal_gets_escapes_not_a_traceback(tmp_path):
    """PYTHONIOENCODING=ascii and an output folder named with an é: the last line escapes
    it, exit 0 (it once saved everything, then ended in a UnicodeEncodeError traceback)."""
    root = os.path.dirname(os.path.abspath(ra.__file__))
    out = tmp_path / "résumé"
    done = subprocess.run([sys.executable, os.path.join(root, "run_all.py"), "--preset", "smoke", "--jobs", "1",
                           "--only", "fig7", "--out", str(out), "--cache", str(tmp_path / "cache")],
                          cwd=root, capture_output=True, timeout=300,
                          env=dict(os.environ, MPLBACKEND="Agg", PYTHONIOENCODING="ascii"))
    assert done.returncode == 0 and done.stderr == b"", done.stderr
    last = done.stdout.decode("ascii").splitlines()[-1]
    assert last.endswith(f"; report: {tmp_path}/r\\xe9sum\\xe9/REPORT.md")
    assert (out / "fig7.json").exists()


@pytest.mark.parametrize("raised, code, line", [
    ("KeyboardInterrupt", 130,
     "interrupted: every finished ensemble is saved; run the same command again to resume"),
    ("MemoryError", 2, "error: cannot start (MemoryError): if this process's memory is limited "
                       "(ulimit -v), allow it more; else reinstall what it needs (pip install -r "
                       "requirements.txt)"),
    ("ImportError('libgfortran.so.5: failed to map segment from shared object')", 2,
     "error: cannot start (ImportError: libgfortran.so.5: failed to map segment from shared "
     "object): if this process's memory is limited (ulimit -v), allow it more; else reinstall "
     "what it needs (pip install -r requirements.txt)")])
def test_a_fault_while_it_imports_is_one_line(tmp_path, raised, code, line):
    """What NumPy's import raises under Ctrl-C in the first half second (the run once
    printed a KeyboardInterrupt traceback), or an address-space limit (ulimit -v: a
    MemoryError, or a library that cannot map its code): one line and its exit code."""
    (tmp_path / "numpy").mkdir()
    (tmp_path / "numpy" / "__init__.py").write_text(f"raise {raised}\n")
    root = os.path.dirname(os.path.abspath(ra.__file__))
    done = subprocess.run([sys.executable, os.path.join(root, "run_all.py"), "--preset", "smoke"],
                          cwd=root, capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(tmp_path)))
    assert done.returncode == code
    assert [ln for ln in done.stderr.splitlines() if ln.strip()] == [line]



# --- How long a run waits for a Dask worker ----------------------------------------------

@pytest.mark.parametrize("bad", ["0", "-5", "nan", "inf"])
def test_a_worker_timeout_that_is_no_positive_time_is_refused(capsys, bad):
    with pytest.raises(SystemExit) as exit_:
        ra.parse_args(["--worker-timeout", bad])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1
    assert f"--worker-timeout {float(bad):g}: must be a number of seconds > 0" in err



# --- Relations the figures cannot serve, and folders that hold other figures -------------

def test_a_relation_of_one_class_skips_fig3_and_theorem1_up_front(tmp_path, capsys, monkeypatch):
    """Every pair 1 (or mod1): Fig. 3 and Theorem 1 are skipped before anything trains, with
    their reasons, and the other figures run into a report (Fig. 3 once trained, then died
    dividing by zero in its chance level, and no REPORT.md was written)."""
    import numpy as np
    write_csv(tmp_path / "ones.csv", np.ones((6, 6), dtype=int))
    assert ra.main(smoke_args(tmp_path, "--relation", str(tmp_path / "ones.csv"),
                              "--only", "fig3,theorem1,fig7")) == 0
    err = capsys.readouterr().err
    assert ("note: fig3 skipped: Fig. 3 needs both labels: every pair of this relation is 1, so the "
            "network, Appendix D's bound and guessing the majority all score 1 at every training "
            "fraction") in err
    assert ("note: theorem1 skipped: Theorem 1 compares embeddings within and between classes; this "
            "relation has one class") in err
    out = tmp_path / "out"
    assert sorted(p.name for p in out.glob("*.json")) == ["fig7.json"]
    assert "fig3 skipped: Fig. 3 needs both labels" in (out / "REPORT.md").read_text()
    assert "theorem1 skipped" in ra.parse_args(["--preset", "smoke", "--relation", "mod1"]).own.notes()[-1]


@pytest.mark.parametrize("spec", ["eye.csv", "mod7"])
def test_an_equivalence_of_singletons_skips_theorem1_up_front(tmp_path, capsys, monkeypatch, spec):
    """An identity matrix, or mod7 at the smoke preset's n = 6: every class has one member,
    so Theorem 1 is skipped before anything trains (it once trained, then died in
    geneft.cluster_ratio with a ValueError, writing neither theorem1.json nor REPORT.md)."""
    import numpy as np
    write_csv(tmp_path / "eye.csv", np.eye(6, dtype=int))
    spec = str(tmp_path / spec) if spec.endswith(".csv") else spec
    monkeypatch.setattr(executors, "run_chunk", lambda configs: pytest.fail("trained"))
    with pytest.raises(SystemExit) as exit_:
        ra.main(smoke_args(tmp_path, "--relation", spec, "--only", "theorem1"))
    assert exit_.value.code == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert err[0] == ("note: theorem1 skipped: Theorem 1 compares embeddings within and between "
                      "classes; every class of this relation has one member")
    assert "none of these figures applies" in err[1] and len(err) == 2


@pytest.mark.parametrize("option", ["--out", "--cache"])
def test_an_empty_folder_name_is_refused(capsys, option):
    """--out "" once wrote silently to figures/smoke/, while --cache "" was refused."""
    with pytest.raises(SystemExit) as exit_:
        ra.parse_args(["--preset", "smoke", option, ""])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1
    assert f"{option} '' names no folder: name one, or omit {option} for its default" in err


def test_a_folder_of_another_presets_figures_is_refused_unless_forced(tmp_path, capsys, monkeypatch):
    """--preset smoke --out figures/paper once replaced the 1e5-step fig7.json, its PNG and
    REPORT.md with 60-step data, silently: one line naming the preset there, nothing
    trained; --force replaces it."""
    root = os.path.dirname(os.path.abspath(ra.__file__))
    out = tmp_path / "paper"
    out.mkdir()
    shutil.copy(os.path.join(root, "figures", "paper", "fig7.json"), out / "fig7.json")
    before = (out / "fig7.json").read_bytes()
    monkeypatch.setattr(executors, "run_chunk", lambda configs: pytest.fail("trained"))
    args = ["--preset", "smoke", "--jobs", "1", "--only", "fig7", "--out", str(out),
            "--cache", str(tmp_path / "cache")]
    assert ra.main(args) == 2
    assert one_error_line(capsys) == (f"error: --out {out} holds fig7.json of the paper preset, not the "
                                      "smoke preset's: name another --out, or add --force to replace it")
    assert (out / "fig7.json").read_bytes() == before and not (out / "REPORT.md").exists()
    monkeypatch.undo()
    assert ra.main(args + ["--force"]) == 0
    assert json.loads((out / "fig7.json").read_text())["preset"] == "smoke"


def test_force_on_a_results_file_that_is_a_link_keeps_the_link(tmp_path, results_kept):
    """--force rewrites a results file atomically: through a symbolic link, the file it
    names is rewritten and the link stays (it was once replaced by a regular file)."""
    assert ra.main(smoke_args(tmp_path, "--only", "fig7")) == 0
    store = tmp_path / "store.jsonl"
    (tmp_path / "out" / "fig7.jsonl").rename(store)
    (tmp_path / "out" / "fig7.jsonl").symlink_to(store)
    assert ra.main(smoke_args(tmp_path, "--only", "fig7", "--force")) == 0
    assert (tmp_path / "out" / "fig7.jsonl").is_symlink()
    assert len(fig7_runs(store)) == 3


def test_replot_of_a_relations_folder_keeps_what_it_says_of_the_relation(tmp_path, capsys):
    """--replot of a relation's folder without --relation: the report still names the
    relation, its kind and the skipped figures, and shows no skipped figure as pending (it
    once lost all three); figures of Table I's relations are refused there."""
    write_csv(tmp_path / "mine.csv", relabelled_mod3())
    assert ra.main(smoke_args(tmp_path, "--relation", str(tmp_path / "mine.csv"), "--only", "fig7")) == 0
    report = (tmp_path / "out" / "REPORT.md").read_text()
    capsys.readouterr()
    assert ra.main(smoke_args(tmp_path, "--replot")) == 0
    again = (tmp_path / "out" / "REPORT.md").read_text()
    assert again == report
    assert "relation 'mine' from" in again and "fig2 skipped" in again and "| fig2 |" not in again
    assert "note: --replot skips fig3, fig5, fig6, fig8, theorem1: no saved data" in capsys.readouterr().err
    assert ra.main(smoke_args(tmp_path, "--only", "fig7")) == 2
    assert one_error_line(capsys) == (
        f"error: --out {tmp_path / 'out'} holds the figures of relation 'mine' (from "
        f"{tmp_path / 'mine.csv'}), not of Table I's relations: name another --out, or add "
        f"--relation {tmp_path / 'mine.csv'}")



# --- matplotlib's own lines ----------------------------------------------------------------

def test_matplotlib_s_font_cache_is_a_note_and_folds_into_the_folder_note():
    """A font cache built slowly (matplotlib logs it after 5 s) is not a warning: it is part of
    the unwritable folder's note, or a note of its own on a first run."""
    cache = "Matplotlib is building the font cache; this may take a moment."
    folder = ["mkdir -p failed for path /dev/null/mpl: [Errno 20] Not a directory: '/dev/null/mpl'",
              "Matplotlib created a temporary cache directory at /tmp/x because there was an issue with "
              "MPLCONFIGDIR (/dev/null/mpl)"]
    notes = ra.matplotlib_notes(folder + [cache], "/dev/null/mpl")
    assert len(notes) == 1 and notes[0].startswith("note: matplotlib cannot write its config and cache folder")
    assert ra.matplotlib_notes([cache], None) == [f"note: matplotlib: {cache}"]
    assert ra.matplotlib_notes(["something else"], None) == ["warning: matplotlib: something else"]


def test_matplotlib_without_a_writable_config_folder_is_one_line_of_ours(tmp_path):
    """HOME and MPLCONFIGDIR where nothing can be written: one note naming the folder and
    the fix (matplotlib once printed two lines of its own)."""
    root = os.path.dirname(os.path.abspath(ra.__file__))
    done = subprocess.run([sys.executable, os.path.join(root, "run_all.py"), "--preset", "smoke", "--jobs", "1",
                           "--only", "fig4", "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")],
                          cwd=root, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, MPLBACKEND="Agg", HOME="/dev/null/home",
                                   MPLCONFIGDIR="/dev/null/mpl", XDG_CONFIG_HOME="/dev/null/config",
                                   XDG_CACHE_HOME="/dev/null/cache"))
    assert done.returncode == 0, done.stderr
    assert [ln for ln in done.stderr.splitlines() if ln.strip()] == [
        "note: matplotlib cannot write its config and cache folder (/dev/null/mpl): it uses a "
        "temporary one for this run; set MPLCONFIGDIR to a folder you can write to"]
