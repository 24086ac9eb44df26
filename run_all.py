"""Every figure of the paper from one command, and a report of what we measured.

    python run_all.py                      # quick preset: Figs. 2-8 + figures/REPORT.md
    python run_all.py --preset paper       # the paper's scale; resumable
    python run_all.py --only fig5,fig6     # some figures
    python run_all.py --replot             # redraw from saved data, no training
    python run_all.py --bench              # speed of one training step
    python run_all.py --relation my.csv    # the per-relation figures on your own relation

This file is the command line and the one figure registry (FIGURES): the door from the
book (geneft, statics, repons) into the lab (lab/), where each figure is a triple:
`data(preset, runner)` computes what the figure shows (saved as figures/<fig>.json),
`plot(data, path)` draws it (figures/<fig>.png), and `claims(data)` turns it into the
rows of figures/REPORT.md. Network runs go through lab.runner.Runner.
"""
from lab.console import faults_while_importing

with faults_while_importing(__name__ == "__main__"):   # a Ctrl-C in the second these take: one line
    import argparse
    import contextlib
    import errno
    import logging
    import os
    import re
    import sys
    import time
    import warnings
    from dataclasses import dataclass

    import geneft as g
    import statics
    from lab import beyond, executors, registration, report, results
    from lab import figs_confirm2 as fc2
    from lab import figs_dynamics as dyn
    from lab import figs_statics as stat
    from lab.bench import bench
    from lab.console import (INTERRUPTED, interrupted_exit_code, kept_going_streams, one_line_warning,
                             sigterm_as_interrupt, silence_output)
    from lab.presets import (PRESETS, baseline_note, figures_for_relation, relation_cost_note,
                             relation_preset, relation_size_problem)
    from lab.results import FolderLock, ResultsFile, write_json
    from lab.runner import ConfigError, Runner, replay_data
    from lab.tuning import cap_workers, few_malloc_arenas, keep_freed_memory, usable_cores

ROOT = os.path.dirname(os.path.abspath(__file__))
FIG_DIR = os.path.join(ROOT, "figures")
DEFAULT_PRESET = "quick"   # its figures are the ones in figures/; other presets write below it
CACHE_DIR = os.path.join(ROOT, ".cache")


# --- The registry: every figure once, in the paper's order --------------------------

@dataclass(frozen=True)
class Figure:
    """One figure of the paper: compute its data, draw it, state its claims."""
    data: object     # (preset, runner) -> dict, saved as figures/<name>.json
    plot: object     # (data, path) -> None, writes figures/<name>.png
    claims: object   # data -> [report.Row], the rows of REPORT.md


FIGURES = {
    "fig2": Figure(stat.fig2_data, stat.fig2_plot, stat.fig2_claims),
    "fig3": Figure(stat.fig3_data, stat.fig3_plot, stat.fig3_claims),
    "fig4": Figure(dyn.fig4_data, dyn.fig4_plot, dyn.fig4_claims),
    "fig5": Figure(dyn.fig5_data, dyn.fig5_plot, dyn.fig5_claims),
    "fig6": Figure(dyn.fig6_data, dyn.fig6_plot, dyn.fig6_claims),
    "fig7": Figure(dyn.fig7_data, dyn.fig7_plot, dyn.fig7_claims),
    "fig8": Figure(dyn.fig8_data, dyn.fig8_plot, dyn.fig8_claims),
    "theorem1": Figure(beyond.theorem1_data, beyond.theorem1_plot, beyond.theorem1_claims),
    "open_q1": Figure(beyond.open_q1_data, beyond.open_q1_plot, beyond.open_q1_claims),
    "repons_net": Figure(beyond.repon_network_data, beyond.repon_network_plot,
                         beyond.repon_network_claims),
    "goldilocks": Figure(beyond.goldilocks_data, beyond.goldilocks_plot, beyond.goldilocks_claims),
}


# The second preregistration's figures (figures/paper/PREREGISTRATION-2.md): designs of
# their own, judged by the rules of lab/confirm2.py; --preset confirm2 runs them.
REGISTERED = {
    "confirm2": {
        "theorem1": Figure(fc2.thm1_data, fc2.thm1_plot, fc2.thm1_claims),
        "fig8": Figure(fc2.fig8_data, fc2.fig8_plot, fc2.fig8_claims),
        "fig6": Figure(fc2.fig6_data, fc2.fig6_plot, fc2.fig6_claims),
        "fig5": Figure(fc2.fig5_data, fc2.fig5_plot, fc2.fig5_claims),
        "fig3": Figure(fc2.fig3_data, fc2.fig3_plot, fc2.fig3_claims),
    },
}


def figures_of(preset_name):
    """The figure registry a preset runs: its registered designs, else FIGURES."""
    return REGISTERED.get(preset_name, FIGURES)


def write_report(out_dir, own=None, preset=DEFAULT_PRESET):
    """out_dir/REPORT.md: the main report (exploratory, confirmatory and quick columns, the
    confirmatory one filled by both preregistrations, with what each registered), a folder's
    own report (a preset outside the main columns), or, for a relation of your own (own: an
    OwnRelation), its figures only, with what it is and what was skipped."""
    cols = report.report_columns(out_dir, FIG_DIR, preset)
    if own is not None:
        figures = {n: f for n, f in FIGURES.items() if n not in own.skipped}
        return report.write_report(out_dir, cols, figures, notes=own.notes())
    if "confirmatory" not in [c for c, _ in cols]:
        return report.write_report(out_dir, cols, figures_of(preset), partial=partial_data)
    sources = [main_source(c, folder) for c, folder in cols]
    registered = {"confirmatory": set(PRESETS["confirm"].figures) | set(REGISTERED["confirm2"])}
    return report.write_report(out_dir, sources, FIGURES, partial=partial_data, registered=registered,
                               prereg=registration.status_lines(ROOT))


def main_source(column, folder):
    """A folder of the main report as a report.Source: the first confirmation's folder runs
    its registered figures, the second's its own designs (REGISTERED)."""
    preset = PRESETS.get(os.path.basename(os.path.normpath(folder)))
    if preset is not None and preset.name in REGISTERED:
        return report.Source(column, folder, None, REGISTERED[preset.name])
    if preset is not None and preset.registered:
        return report.Source(column, folder, frozenset(preset.figures))
    return report.Source(column, folder)


def partial_data(name, figure, folder):
    """A figure still being computed, read from its results file in folder (the preset is
    the folder's name): lab.runner.replay_data, which trains nothing."""
    preset = PRESETS.get(os.path.basename(os.path.normpath(folder)))
    return replay_data(figure, preset, os.path.join(folder, f"{name}.jsonl"))


# --- Your own relation: --relation FILE.csv or NAME ----------------------------------

@dataclass(frozen=True)
class OwnRelation:
    """A relation given on the command line: its name (the folder figures/<name>/), matrix,
    kind (statics.matrix_kind) and the figures that do not apply, each with its reason."""
    name: str
    source: str
    R: object
    kind: str | None
    skipped: dict

    def notes(self):
        kind = self.kind or "none of Section III's kinds"
        return ([f"relation {self.name!r} from {self.source}: n = {self.R.shape[0]}, kind: {kind}",
                 baseline_note(self.R)]
                + [f"{fig} skipped: {why}" for fig, why in self.skipped.items()])


def own_relation(ap, spec, n, out_given=False):
    """--relation: a CSV file of a 0/1 matrix (named by the file's stem) or a Table I name
    at the preset's n. One line and exit 2 for a bad file or name, a relation too large
    to train on (lab.presets.relation_size_problem), or a name that cannot name the
    default folder figures/<name>/ (with --out given, any name will do)."""
    is_file = os.path.exists(spec) or spec.endswith(".csv") or os.sep in spec
    try:
        R = statics.load_relation_csv(spec) if is_file else g.relation_matrix(spec, n)
        R = g.relation_matrix(R, R.shape[0])              # a square 0/1 matrix, n >= 2
    except ValueError as err:
        ap.error(f"--relation {spec!r}: {err}")
    too_large = relation_size_problem(R.shape[0])
    if too_large:
        ap.error(f"--relation {spec!r}: {too_large}")
    name = os.path.splitext(os.path.basename(spec))[0] if is_file else spec
    if not out_given and (not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name) or name in PRESETS):
        ap.error(f"--relation {spec!r}: {name!r} cannot name the folder figures/{name}/: use letters, "
                 f"digits, '_', '-' or '.', and none of the preset names {sorted(PRESETS)}; or "
                 f"name the output folder with --out")
    return relation_named(name, spec, R)


def relation_named(name, source, R):
    """The OwnRelation of matrix R: its kind, and the figures that do not apply to it, each
    with its reason: lab.presets' (by kind and size), and those with nothing to show on
    this matrix (figures_cannot_serve)."""
    kind = statics.matrix_kind(R)[0]
    skipped = figures_for_relation(kind, R.shape[0])
    for fig, why in figures_cannot_serve(R, kind).items():
        skipped.setdefault(fig, why)
    return OwnRelation(name, source, R, kind, skipped)


def figures_cannot_serve(R, kind):
    """{figure: why} for the figures of a kind that has them but with nothing to show on R:
    Fig. 3 on one label, Theorem 1 on an equivalence of one class or of singletons."""
    why = {"fig3": stat.fig3_cannot_serve(R)}
    if kind == "equivalence":
        why["theorem1"] = beyond.theorem1_cannot_serve(R)
    return {fig: reason for fig, reason in why.items() if reason}


RELATION_FILE = ".relation"   # beside its figures: which relation they show (JSON; not figure data)


def save_relation(out_dir, own):
    """out_dir/.relation: the relation's name, source and matrix, so a --replot of the
    folder without --relation still knows what its figures show."""
    write_json(os.path.join(out_dir, RELATION_FILE),
               {"name": own.name, "source": own.source, "R": own.R.tolist()})


def relation_of_folder(out_dir):
    """The OwnRelation whose figures out_dir holds (its .relation), None if it holds
    none; ValueError naming the file if it cannot be read."""
    path = os.path.join(out_dir, RELATION_FILE)
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            saved = results.parse_json(f.read())
        R = g.relation_matrix(saved["R"], len(saved["R"]))
        return relation_named(str(saved["name"]), str(saved["source"]), R)
    except (OSError, ValueError, TypeError, KeyError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is unreadable ({type(err).__name__}: {err})") from None


# --- Main ---------------------------------------------------------------------------

def out_dir_of(preset_name, own=None):
    """Where a preset's figures go: figures/ for the default preset, figures/<preset>/ else,
    so a smoke or paper run never overwrites the committed quick figures; a relation of
    your own goes to figures/<name>/ the same way."""
    base = FIG_DIR if own is None else os.path.join(FIG_DIR, own.name)
    return base if preset_name == DEFAULT_PRESET else os.path.join(base, PRESETS[preset_name].folder)


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad value is one line (no usage block above it) and exit 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def parse_args(argv):
    """The command line, checked: one line and exit 2 for a bad value."""
    ap = OneLineParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", choices=list(PRESETS), default=DEFAULT_PRESET)
    ap.add_argument("--only", default=None, help="comma-separated figures, e.g. fig5,fig6")
    ap.add_argument("--jobs", type=int, default=None,
                    help="local worker processes (default and maximum: the cores this process "
                         "may run on)")
    ap.add_argument("--scheduler", default=None,
                    help="run on a Dask cluster: tcp://HOST:8786, or local:N for a LocalCluster "
                         f"of N workers (needs `{executors.CLUSTER_INSTALL}`)")
    ap.add_argument("--worker-timeout", type=float, default=None, metavar="SECONDS",
                    help="with --scheduler: how long to wait for a worker, at the start and "
                         "whenever none is left (default 120)")
    ap.add_argument("--force", action="store_true",
                    help="recompute, replacing what the cache and the results files hold")
    ap.add_argument("--replot", action="store_true", help="redraw from saved data, no training")
    ap.add_argument("--bench", action="store_true", help="time one training step and exit")
    ap.add_argument("--out", default=None, help="where figures and REPORT.md go "
                    "(default figures/, or figures/<preset>/ for a preset other than quick)")
    ap.add_argument("--cache", default=CACHE_DIR, help="where finished runs are cached")
    ap.add_argument("--relation", default=None,
                    help="run the per-relation figures (Figs. 3, 5-8, Theorem 1) on your own "
                         "relation: a CSV file of an n x n 0/1 matrix, or a Table I name; "
                         "writes figures/<name>/ (figures/<name>/<preset>/ for a preset "
                         "other than quick)")
    args = ap.parse_args(argv)
    args.names, args.explicit_only = figure_names(ap, args.only, args.preset), args.only is not None
    if not args.explicit_only and PRESETS[args.preset].figures:      # a preset of a few figures
        args.names = list(PRESETS[args.preset].figures)
    args.own = None
    if args.relation is not None and PRESETS[args.preset].registered:
        ap.error(f"--relation with --preset {args.preset} is not allowed: that preset is the "
                 "preregistered confirmation on Table I's relations (figures/paper/PREREGISTRATION.md); "
                 "use --preset smoke, quick or paper")
    if args.relation is not None:
        args.own = own_relation(ap, args.relation, PRESETS[args.preset].n, args.out is not None)
        for name in [n for n in args.names if n in args.own.skipped]:
            print(f"note: {name} skipped: {args.own.skipped[name]}", file=sys.stderr)
        cost = relation_cost_note(args.own.R.shape[0])
        if cost and not args.replot:
            print(f"note: {cost}", file=sys.stderr)
        args.names = [n for n in args.names if n not in args.own.skipped]
        if not args.names:
            ap.error(f"--only {args.only}: none of these figures applies to a relation of your own")
    args.jobs = worker_count(ap, args.jobs)
    if args.scheduler is not None and not (args.replot or args.bench):   # those start no workers
        args.scheduler = checked_scheduler(ap, args.scheduler)
    if args.worker_timeout is not None and not 0 < args.worker_timeout < float("inf"):
        ap.error(f"--worker-timeout {args.worker_timeout:g}: must be a number of seconds > 0")
    for what, folder in (("--out", args.out), ("--cache", args.cache)):
        if folder is not None and not folder.strip():
            ap.error(f"{what} {folder!r} names no folder: name one, or omit {what} for "
                     "its default")
    args.out = args.out or out_dir_of(args.preset, args.own)
    return args


def figure_names(ap, only, preset=DEFAULT_PRESET):
    """The figures --only names, each once in the order given (every figure without it)."""
    figures = figures_of(preset)
    if only is None:
        return list(figures)
    names = list(dict.fromkeys(s.strip() for s in only.split(",") if s.strip()))
    if not names:
        ap.error(f"--only {only!r}: names no figure; choose from {','.join(FIGURES)}")
    bad = [s for s in names if s not in figures]
    if bad:
        ap.error(f"--only {','.join(bad)}: unknown figure; choose from {','.join(figures)}")
    return names


def worker_count(ap, jobs):
    """--jobs: by default, and at most (with a note), the cores this process may run on
    (its CPU affinity, not every core of the machine)."""
    if jobs is None:
        return usable_cores()
    if jobs < 1:
        ap.error(f"--jobs {jobs}: must be >= 1")
    return cap_workers(jobs, f"--jobs {jobs}")


def checked_scheduler(ap, scheduler):
    """--scheduler checked before anything starts (its form, Dask installed); local:N
    capped at the cores this process may run on, with a note."""
    try:
        form = executors.parse_scheduler(scheduler)
        executors.import_distributed()
    except executors.SetupError as err:
        ap.error(str(err))
    if form[0] == "local":
        return f"local:{cap_workers(form[1], f'--scheduler {scheduler}')}"
    return scheduler


def check_folders(args):
    """Before any computing: the output and cache folders must be writable folders, and
    --replot needs the selected figures' data (see replot_selection). Returns an error
    line, or None."""
    for what, folder in (("--out", args.out), ("--cache", args.cache)):
        if os.path.exists(folder) and not os.path.isdir(folder):
            return f"{what} {folder} is a file, not a folder: move it away or name another {what}"
        try:
            os.makedirs(folder, exist_ok=True)
            probe = os.path.join(folder, f".write-test-{os.getpid()}")
            with open(probe, "w"):
                pass
            os.remove(probe)
        except OSError as err:
            return f"{what} {folder} is not writable ({err.strerror}): name a folder you can write to"
    return relation_problem(args) or (replot_selection(args) if args.replot else other_preset(args))


def relation_problem(args):
    """A relation's folder says which relation its figures show (.relation): a --replot
    of it without --relation takes that relation (args.own); figures of another relation,
    or of Table I's, are refused there (the folder's one REPORT.md describes one
    relation): an error line. None if all is well."""
    try:
        held = relation_of_folder(args.out)
    except ValueError as err:
        return f"{err}: remove it, or name another --out"
    if args.replot and args.own is None:
        args.own = held
        if held is not None:
            args.names = [n for n in args.names if n not in held.skipped]
            if not args.names:
                return f"--only {args.only}: none of these figures applies to relation {held.name!r}"
    elif held is not None and (args.own is None or args.own.name != held.name):
        mine = "Table I's relations" if args.own is None else f"relation {args.own.name!r}"
        return (f"--out {args.out} holds the figures of relation {held.name!r} (from "
                f"{held.source}), not of {mine}: name another --out"
                + (f", or add --relation {held.source}" if args.own is None else ""))
    return None


def other_preset(args):
    """The error line when out_dir holds data of a selected figure computed by another
    preset (a smoke run into figures/paper/ would replace the 1e5-step figures), unless
    --force; None otherwise."""
    if args.force:
        return None
    for name in args.names:
        try:
            data = report.load_figure_data(args.out, name)
        except report.DataFileError:
            continue                      # unreadable: recomputing it loses nothing
        held = data.get("preset") if isinstance(data, dict) else None
        if held is not None and held != args.preset:
            return (f"--out {args.out} holds {name}.json of the {held} preset, not the "
                    f"{args.preset} preset's: name another --out, or add --force to replace it")
    return None


def replot_selection(args):
    """--replot: with --only, every named figure needs readable data (else an error line);
    without it, args.names becomes the figures whose data file exists, and one line says
    which were skipped and why (an error line if none has data)."""
    if args.explicit_only:
        for name in args.names:
            try:
                if report.load_figure_data(args.out, name) is None:
                    return (f"--replot: {os.path.join(args.out, name + '.json')} is missing: "
                            f"compute it first (without --replot)")
            except report.DataFileError as err:
                return f"--replot: {err}: compute it again (without --replot)"
        return None
    have = [n for n in args.names if os.path.exists(os.path.join(args.out, f"{n}.json"))]
    if not have:
        return f"--replot: no figure has saved data in {args.out}: compute them first (without --replot)"
    skipped = [n for n in args.names if n not in have]
    if skipped:
        print(f"note: --replot skips {', '.join(skipped)}: no saved data in {args.out} "
              f"(compute them without --replot)", file=sys.stderr)
    args.names = have
    return None


def save_plot(figure, data, path):
    """figure.plot(data, path) written atomically: drawn to a temporary file, then renamed,
    so a full disk leaves the old PNG and no partial one (StorageError)."""
    root, ext = os.path.splitext(path)
    tmp = f"{root}.tmp{os.getpid()}{ext}"          # keeps .png: matplotlib reads the format from it
    try:
        figure.plot(data, tmp)
        os.replace(tmp, path)
    except OSError as err:
        raise results.StorageError("write", path, err) from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def report_folder(out_dir, own=None):
    """Where a run's REPORT.md goes: figures/ when out_dir is a column of the main report
    (the quick, paper and confirm folders: one report shows them side by side), else
    out_dir itself."""
    main_report = [os.path.abspath(folder) for _, folder in report.report_columns(FIG_DIR, FIG_DIR)]
    return FIG_DIR if own is None and os.path.abspath(out_dir) in main_report else out_dir


def write_reports(out_dir, own=None, preset=DEFAULT_PRESET):
    """REPORT.md of out_dir, or the main one when out_dir is one of its columns (not for a
    relation of your own, own: an OwnRelation). Returns the unreadable data files;
    StorageError if a report cannot be written."""
    folder = report_folder(out_dir, own)
    path = os.path.join(folder, "REPORT.md")
    try:
        return write_report(folder, own, preset)
    except results.StorageError:
        raise
    except OSError as err:
        results.remove_quietly(f"{path}.tmp{os.getpid()}")   # report.py's temporary file
        raise results.StorageError("write", path, err) from None


def compute_figures(args, preset):
    """Compute each selected figure (runs through the Runner, recorded as they finish),
    save its data and draw it. Returns no errors (a fault raises)."""
    if args.own is not None:
        save_relation(args.out, args.own)
    with Runner(args.jobs, os.path.join(args.cache, preset.name), args.force, preset.chunk,
                scheduler=args.scheduler, overall=True, worker_timeout=args.worker_timeout) as runner:
        for k, name in enumerate(args.names):
            runner.progress.to_come = args.names[k + 1:]
            t0 = time.monotonic()
            print(f"{name}: computing ({preset.name} preset)", flush=True)
            runner.results = (ResultsFile(results_path(args.out, name))
                              if preset.results_in_repo else None)
            figure = figures_of(preset.name)[name]
            submitted, computed = runner.progress.submitted_all, runner.progress.computed_all
            data = figure.data(preset, runner)
            data["preset"], data["seconds"] = preset.name, round(time.monotonic() - t0, 1)
            data["run_count"] = runner.progress.submitted_all - submitted      # the runs behind it ...
            data["runs_trained"] = runner.progress.computed_all - computed     # ... and how many trained now
            if runner.results is not None:     # the cost over every invocation, not this one's
                data["cpu_seconds"], data["untimed_ensembles"] = runner.results.cost()
            write_json(os.path.join(args.out, f"{name}.json"), data)
            save_plot(figure, data, os.path.join(args.out, f"{name}.png"))
            print(f"{name}: done in {time.monotonic() - t0:.1f} s -> {name}.png", flush=True)
    return []


def results_path(out_dir, name):
    """A figure's results file: out_dir/<name>.jsonl, or the file it links to (a
    symbolic link stays one when --force rewrites the file)."""
    path = os.path.join(out_dir, f"{name}.jsonl")
    return os.path.realpath(path) if os.path.islink(path) else path


# What a figure's plot raises on data it cannot read (a file of an older version, or
# edited by hand); as report.figure_rows catches for the claims.
WRONG_SHAPE = (KeyError, TypeError, ValueError, IndexError, AttributeError)


def replot_figures(args):
    """Redraw each selected figure from its saved data, no runner (no pool, no scheduler).
    A data file that cannot be read or drawn is an error naming it; the others are drawn."""
    errors = []
    for name in args.names:
        path, t0 = os.path.join(args.out, f"{name}.json"), time.monotonic()
        try:
            data = report.load_figure_data(args.out, name)
            if data is None:
                continue                             # removed since replot_selection looked
            save_plot(figures_of(args.preset)[name], data, os.path.join(args.out, f"{name}.png"))
        except report.DataFileError as err:
            errors.append(str(err))
            continue
        except WRONG_SHAPE as err:
            errors.append(f"{path} does not hold this version's data ({type(err).__name__}: {err})")
            continue
        print(f"{name}: done in {time.monotonic() - t0:.1f} s -> {name}.png", flush=True)
    return errors


def once_per_file(errors):
    """The errors, one per data file named at their start (the replot and the report may
    both fail on one file), in order."""
    seen, kept = set(), []
    for err in errors:
        path = err.split(" ", 1)[0]
        if path not in seen:
            seen.add(path)
            kept.append(err)
    return kept


def run_figures(args, preset):
    """Compute (or reload, with --replot) and draw each selected figure, then the report.
    One computing run at a time in an output folder: a second waits for the first, then
    finds its runs recorded. A replot trains nothing and writes each file atomically, so
    it does not wait (a paper-budget run may hold the folder for days). Returns the error
    lines."""
    t_all = time.monotonic()
    with contextlib.nullcontext() if args.replot else FolderLock(args.out):
        errors = replot_figures(args) if args.replot else compute_figures(args, preset)
        errors = once_per_file(errors + write_reports(args.out, args.own, args.preset))
    print(f"all done in {time.monotonic() - t_all:.1f} s; report: "
          f"{os.path.join(report_folder(args.out, args.own), 'REPORT.md')}")
    for line in registration.check_of_folder(ROOT, args.out):
        print(line)
    return errors


def storage_remedy(err):
    """What to do about a file that cannot be read or written, by its cause."""
    if err.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return "make room (or name another --out / --cache)"
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "give this user access to it (or name another --out / --cache)"
    return "fix or move that file"


def run_bench(jobs):
    """--bench; Ctrl-C (or SIGTERM) is one line and exit 130 (143) (the benchmark saves
    nothing)."""
    try:
        bench(jobs)
    except KeyboardInterrupt as interrupt:
        print("interrupted: --bench stopped (it saves nothing)", file=sys.stderr)
        return interrupted_exit_code(interrupt)
    return 0


def load_matplotlib():
    """matplotlib and its Agg drawing library loaded now, before any run trains, so one
    that cannot load (too small an address-space limit, ulimit -v; a broken install) is
    one line at once, not a traceback at the first figure after the training. What it
    logs while loading (a config folder it cannot write: two lines of its own) is one
    line (matplotlib_notes). Returns the error line, or None."""
    logger, caught = logging.getLogger("matplotlib"), _Records()
    asked = os.environ.get("MPLCONFIGDIR")            # matplotlib sets it to the folder it took
    logger.addHandler(caught)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot  # noqa: F401
        import matplotlib.backends.backend_agg  # noqa: F401
    except (ImportError, MemoryError, OSError) as err:
        return (f"cannot load matplotlib, which draws the figures ({type(err).__name__}: {err}): "
                f"if this process's memory is limited (ulimit -v), allow it more; else reinstall "
                f"it (pip install -r requirements.txt)")
    finally:
        logger.removeHandler(caught)
    for note in matplotlib_notes(caught.messages, asked):
        print(note, file=sys.stderr)
    return None


class _Records(logging.Handler):
    """A logging handler that keeps the messages of warnings and worse (the logger then
    prints nothing of its own)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(" ".join(record.getMessage().split()))


def matplotlib_notes(messages, asked):
    """What matplotlib logged while loading, as lines of ours: one note for a config and
    cache folder it cannot write (its own two lines: the folder it tried, the temporary
    one it took; asked: MPLCONFIGDIR as it was), which also covers the font cache it then
    builds in that temporary folder (logged when the build takes over 5 s); a note for a
    font cache built on a first run; a warning line for anything else."""
    about_folder = [m for m in messages if "MPLCONFIGDIR" in m or "mkdir -p failed" in m]
    font_cache = [m for m in messages if "building the font cache" in m]
    notes = [f"warning: matplotlib: {m}" for m in messages if m not in about_folder + font_cache]
    if about_folder:
        where = asked or "~/.config/matplotlib"
        notes.insert(0, f"note: matplotlib cannot write its config and cache folder ({where}): "
                        "it uses a temporary one for this run; set MPLCONFIGDIR to a folder "
                        "you can write to")
    elif font_cache:
        notes.insert(0, f"note: matplotlib: {font_cache[0]}")
    return notes


def main(argv=None):
    """The command line; returns the exit code: 0, 2 for bad input or a fault (one line
    naming it), 130 on Ctrl-C and 143 on SIGTERM (one line: finished runs are saved), 141
    when its output goes to a pipe whose reader has closed (`| head -1`): it stops there
    quietly, as Unix tools do, with every finished run saved. Printing never stops a run
    otherwise (lab.console.KeepGoingStream: a full disk, characters the terminal's
    encoding lacks). Every warning is one line."""
    with kept_going_streams(), sigterm_as_interrupt():
        try:
            with warnings.catch_warnings():
                warnings.showwarning = one_line_warning
                return run_command(sys.argv[1:] if argv is None else argv)
        except BrokenPipeError:
            silence_output()
            return 141
        except KeyboardInterrupt as interrupt:     # while it starts: importing Dask or matplotlib takes seconds
            print(INTERRUPTED, file=sys.stderr)
            return interrupted_exit_code(interrupt)


def run_command(argv):
    """What main does, inside its handling of a closed pipe, Ctrl-C and warnings."""
    args = parse_args(argv)
    keep_freed_memory()
    few_malloc_arenas()
    if args.bench:
        return run_bench(args.jobs)
    problem = load_matplotlib() or check_folders(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        preset = PRESETS[args.preset]
        if args.own is not None:
            preset = relation_preset(preset, args.own.name, args.own.R)
        errors = run_figures(args, preset)
    except KeyboardInterrupt as interrupt:
        print(INTERRUPTED, file=sys.stderr)
        return interrupted_exit_code(interrupt)
    except results.StorageError as err:
        print(f"error: {err}: everything finished before it is saved; {storage_remedy(err)}, "
              "then run the same command again", file=sys.stderr)
        return 2
    except (executors.SetupError, ConfigError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for err in errors:
        print(f"error: {err}: its rows say so in the report; rerun that figure", file=sys.stderr)
    return 2 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
