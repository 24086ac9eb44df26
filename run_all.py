"""Every figure of the paper from one command, and a report of what we measured.

    python run_all.py                      # quick preset: Figs. 2-8 + figures/REPORT.md
    python run_all.py --preset paper       # the paper's scale; resumable
    python run_all.py --only fig5,fig6     # some figures
    python run_all.py --replot             # redraw from saved data, no training
    python run_all.py --bench              # speed of one training step

This file is the command line and the one figure registry (FIGURES): the door from the
book (geneft, statics, repons) into the lab (lab/), where each figure is a triple:
`data(preset, runner)` computes what the figure shows (saved as figures/<fig>.json),
`plot(data, path)` draws it (figures/<fig>.png), and `claims(data)` turns it into the
rows of figures/REPORT.md. Network runs go through lab.runner.Runner.
"""
import argparse
import os
import sys
import time
from dataclasses import dataclass

from lab import beyond, executors, report
from lab import figs_dynamics as dyn
from lab import figs_statics as stat
from lab.bench import bench
from lab.presets import PRESETS, run_bounds
from lab.results import ResultsFile, write_json
from lab.runner import Runner
from lab.tuning import keep_freed_memory

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


def write_report(out_dir):
    """out_dir/REPORT.md, one column pair per report.report_columns entry."""
    return report.write_report(out_dir, report.report_columns(out_dir, FIG_DIR), FIGURES)


# --- Main ---------------------------------------------------------------------------

def out_dir_of(preset_name):
    """Where a preset's figures go: figures/ for the default preset, figures/<preset>/ else,
    so a smoke or paper run never overwrites the committed quick figures."""
    return FIG_DIR if preset_name == DEFAULT_PRESET else os.path.join(FIG_DIR, preset_name)


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", choices=list(PRESETS), default=DEFAULT_PRESET)
    ap.add_argument("--only", default=None, help="comma-separated figures, e.g. fig5,fig6")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="local worker processes (at most the number of cores)")
    ap.add_argument("--scheduler", default=None,
                    help="run on a Dask cluster: tcp://HOST:8786, or local:N for a LocalCluster "
                         f"of N workers (needs `{executors.CLUSTER_INSTALL}`)")
    ap.add_argument("--force", action="store_true", help="recompute, ignoring the cache")
    ap.add_argument("--replot", action="store_true", help="redraw from saved data, no training")
    ap.add_argument("--bench", action="store_true", help="time one training step and exit")
    ap.add_argument("--out", default=None, help="where figures and REPORT.md go "
                    "(default figures/, or figures/<preset>/ for a preset other than quick)")
    ap.add_argument("--cache", default=CACHE_DIR, help="where finished runs are cached")
    args = ap.parse_args(argv)
    if args.only is None:
        names = list(FIGURES)
    else:
        names = [s.strip() for s in args.only.split(",") if s.strip()]
        if not names:
            ap.error(f"--only {args.only!r}: names no figure; choose from {','.join(FIGURES)}")
    bad = [s for s in names if s not in FIGURES]
    if bad:
        ap.error(f"--only {','.join(bad)}: unknown figure; choose from {','.join(FIGURES)}")
    if args.jobs < 1:
        ap.error(f"--jobs {args.jobs}: must be >= 1")
    cores = os.cpu_count() or 1
    if args.jobs > cores:
        print(f"note: --jobs {args.jobs} is more than the {cores} cores here; using {cores} "
              "(one worker per core is the fastest)", file=sys.stderr)
        args.jobs = cores
    args.names = names
    args.out = args.out or out_dir_of(args.preset)
    return args


def check_folders(args):
    """Before any computing: the output and cache folders must be writable folders, and
    --replot needs every selected figure's data. Returns an error line, or None."""
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
    if args.replot:
        for name in args.names:
            try:
                if report.load_figure_data(args.out, name) is None:
                    return (f"--replot: {os.path.join(args.out, name + '.json')} is missing: "
                            f"compute it first (without --replot)")
            except report.DataFileError as err:
                return f"--replot: {err}: compute it again (without --replot)"
    return None


def run_figures(args, preset):
    """Compute (or reload, with --replot) and draw each selected figure, then the report."""
    t_all = time.time()
    planned = sum(hi for f, (lo, hi) in run_bounds(preset).items() if f in args.names)
    with Runner(args.jobs, os.path.join(args.cache, preset.name), args.force, preset.chunk,
                scheduler=args.scheduler, planned_total=planned) as runner:
        for name in args.names:
            figure = FIGURES[name]
            data_path = os.path.join(args.out, f"{name}.json")
            t0 = time.time()
            if args.replot:
                data = report.load_figure_data(args.out, name)        # checked by check_folders
            else:
                print(f"{name}: computing ({preset.name} preset)", flush=True)
                runner.results = (ResultsFile(os.path.join(args.out, f"{name}.jsonl"))
                                  if preset.results_in_repo else None)
                data = figure.data(preset, runner)
                data["preset"], data["seconds"] = preset.name, round(time.time() - t0, 1)
                if runner.results is not None:     # the cost over every invocation, not this one's
                    data["cpu_seconds"], data["untimed_ensembles"] = runner.results.cost()
                write_json(data_path, data)
            figure.plot(data, os.path.join(args.out, f"{name}.png"))
            print(f"{name}: done in {time.time() - t0:.1f} s -> {name}.png", flush=True)
    errors = write_report(args.out)
    main_report = [os.path.abspath(folder) for _, folder in report.report_columns(FIG_DIR, FIG_DIR)]
    if os.path.abspath(args.out) in main_report[1:] and os.path.isdir(FIG_DIR):
        errors += write_report(FIG_DIR)       # the main report shows quick and paper side by side
    print(f"all done in {time.time() - t_all:.1f} s; report: {os.path.join(args.out, 'REPORT.md')}")
    return errors


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    keep_freed_memory()
    if args.bench:
        bench(args.jobs)
        return 0
    import matplotlib
    matplotlib.use("Agg")
    problem = check_folders(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        errors = run_figures(args, PRESETS[args.preset])
    except KeyboardInterrupt:
        print("interrupted: every finished ensemble is saved; run the same command again to resume",
              file=sys.stderr)
        return 130
    for err in errors:
        print(f"error: {err}: its rows say so in the report; rerun that figure", file=sys.stderr)
    return 2 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
