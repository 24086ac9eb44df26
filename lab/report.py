"""figures/REPORT.md, written from the figures' saved data only.

run_all.py says which figures (its FIGURES registry); report_columns says which folders
stand side by side; this module reads their JSON, lays the claims out and writes atomically.
"""
import json
import os
from typing import NamedTuple

from lab import verdicts


class Row(NamedTuple):
    """One claim of the report, as a figure's claims(data) states it. A claims function
    may return plain 4-tuples; the last three fields feed the first page (summary.py)."""
    claim: str      # the paper's claim, in its words where it has them
    paper: str      # the paper's value or statement
    ours: str       # what this code measured, with its support (seeds, intervals)
    verdict: str    # verdicts.HOLDS / PARTLY / DOES_NOT_HOLD / INCONCLUSIVE, or "computed"
    group: str = ""     # the first page's line this row belongs to (default: its own claim)
    number: str = ""    # the one number that decides it, with its interval
    why: str = ""       # the rule's reason for this verdict, in a few words


def report_columns(out_dir, fig_dir):
    """The measurements a report shows side by side: fig_dir/REPORT.md and
    fig_dir/paper/REPORT.md both put the quick preset's beside the paper budget's (the
    first page compares them); any other folder shows its own."""
    paper = os.path.join(fig_dir, "paper")
    if os.path.abspath(out_dir) in (os.path.abspath(fig_dir), os.path.abspath(paper)):
        return [("quick", fig_dir), ("paper budget", paper)]
    return [(os.path.basename(os.path.normpath(out_dir)), out_dir)]


class DataFileError(Exception):
    """A figure's saved data cannot be read (missing, or not valid JSON)."""


def load_figure_data(folder, name):
    """A figure's saved JSON from folder; None if absent; DataFileError if unreadable."""
    path = os.path.join(folder, f"{name}.json")
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError, RecursionError) as err:     # RecursionError: JSON nested too deeply
        raise DataFileError(f"{path} is unreadable ({err})") from None
    if not isinstance(data, dict):
        raise DataFileError(f"{path} is unreadable (holds a {type(data).__name__}, not a figure's data)")
    return data


def figure_rows(figure, d, path):
    """figure.claims(d), or DataFileError when the saved data lacks what the claims read (a
    file left by an older version, or edited by hand): one bad file must not stop the report."""
    try:
        return list(figure.claims(d))
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as err:
        raise DataFileError(f"{path} does not hold this version's data ({type(err).__name__}: "
                            f"{err})") from None


def md_cell(text):
    """Text for one Markdown table cell: every '|' escaped (once)."""
    return str(text).replace("\\|", "|").replace("|", "\\|")


def as_row(r):
    """A claims function's row as a Row (plain 4-tuples get the defaults)."""
    return r if isinstance(r, Row) else Row(*r)


def write_report(out_dir, cols, figures, notes=(), partial=None):
    """out_dir/REPORT.md from the saved figure data: the first page (summary.py: one line
    per claim, the verdict in each column, the number that decides it, why the columns
    differ), then one row per claim, never by hand; one (measured, verdict) pair of
    columns per (label, folder) of cols, 'pending' where a column's figure is not there
    yet (a figure that can be read from a partial results file says how many of its runs
    are in), 'not in the saved data' where the figure is there but its data lacks that
    claim's setting; `figures` maps a name to its Figure (claims(data) gives the rows).
    partial(name, figure, folder): data for a figure whose JSON is not written yet, read
    from a partial results file (lab.runner.replay_data), or None.
    notes: sentences shown under the title (a relation of your own: what it is, which
    figures were skipped and why, its majority baseline). Written atomically. Returns the
    unreadable data files."""
    from lab import summary
    errors, present = [], {}                      # present: figure -> columns holding its data
    budgets = {}                                  # (figure, column) -> budget (steps)
    table = ["| figure | " + " | ".join(f"{c}: preset, budget (steps), wall time of the last "
                                        "invocation (s; cached runs cost nothing), CPU time of "
                                        "the trained ensembles where kept" for c, _ in cols)
             + " |", "|---" * (len(cols) + 1) + "|"]
    claims = {}                   # claim -> (figure, Row of the first column, {column: Row})
    for name, figure in figures.items():
        cells = []
        for label, folder in cols:
            try:
                d = load_figure_data(folder, name)
                if d is None:
                    d = partial(name, figure, folder) if partial else None
            except DataFileError as err:
                errors.append(str(err))
                cells.append("data file unreadable")
                continue
            if d is None:
                cells.append("pending")
                continue
            try:
                rows = [as_row(r) for r in figure_rows(figure, d, os.path.join(folder, f"{name}.json"))]
            except DataFileError as err:
                errors.append(str(err))
                cells.append("data file of the wrong shape")
                continue
            cpu = f", {cost_text(name, d)}" if d.get("cpu_seconds") is not None else ""
            if d.get("partial"):
                cells.append(f"{d.get('preset')}, {d.get('budget', '-')}, partial: "
                             f"{d.get('runs_done')} of {d.get('runs_planned')} runs in {name}.jsonl{cpu}")
            else:
                cells.append(f"{d.get('preset')}, {d.get('budget', '-')}, {d.get('seconds')}{cpu}")
            present.setdefault(name, set()).add(label)
            budgets[(name, label)] = d.get("budget")
            for row in rows:
                claims.setdefault(row.claim, (name, row, {}))[2][label] = row
        table.append(f"| {name} | " + " | ".join(cells) + " |")
    lines = ["# What this code measured, claim by claim", "",
             "Generated by `python run_all.py` from the data files beside it; do not edit.", ""]
    lines += [f"- {note}" for note in notes] + ([""] if notes else [])
    lines += summary.first_page(claims, cols, present, budgets)
    lines += ["", "## The data behind each column", ""] + table
    lines += ["", "## Verdict rules, fixed before measuring", ""] + [f"- {r}" for r in verdicts.RULES]
    lines += ["", "## Claims", "",
              "| claim | paper | " + " | ".join(f"{c}: this code | {c}: verdict" for c, _ in cols) + " |",
              "|---|---" + "|---|---" * len(cols) + "|"]
    for claim, (name, first, by_col) in claims.items():
        cells = [f"{md_cell(by_col[c].ours)} | {md_cell(by_col[c].verdict)}" if c in by_col
                 else "not in the saved data | —" if c in present.get(name, ())
                 else "pending | pending" for c, _ in cols]
        lines.append(f"| {md_cell(claim)} | {md_cell(first.paper)} | " + " | ".join(cells) + " |")
    path = os.path.join(out_dir, "REPORT.md")
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)
    return errors


def cost_text(name, d):
    """'fig6 3.2 CPU-hours' for a figure's data, saying how many ensembles carry no time
    (trained before the results file kept times, or found in a local cache)."""
    untimed = d.get("untimed_ensembles") or 0
    if untimed and not d["cpu_seconds"]:
        return f"{name} not timed ({untimed} ensembles trained before times were kept)"
    text = f"{name} {d['cpu_seconds'] / 3600:.1f} CPU-hours"
    return text + (f" (+ {untimed} ensembles trained before times were kept)" if untimed else "")
