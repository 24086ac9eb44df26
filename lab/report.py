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
    may return plain 4-tuples; the other fields feed the first page (summary.py)."""
    claim: str      # the paper's claim, in its words where it has them
    paper: str      # the paper's value or statement
    ours: str       # what this code measured, with its support (seeds, intervals)
    verdict: str    # verdicts.HOLDS / PARTLY / DOES_NOT_HOLD / INCONCLUSIVE / TOO_FEW, or "computed"
    group: str = ""     # the first page's line this row belongs to (default: its own claim)
    number: str = ""    # 'label: value': the one number that decides this row, with its interval
    why: str = ""       # the rule's reason for this verdict, in a few words
    short: str = ""     # the line's name on the first page, a few words (default: the group)
    headline: str = ""  # for a line of several rows: the statistic that decides the line (≤ ~100 chars)
    setup: str = ""     # what this budget's preset sets that another's may not (e.g. η_enc = 1e-05)


def with_headline(rows, group, text):
    """rows with `headline` set on the first row of `group`: the statistic that decides a
    first-page line of several rows (summary.statistic)."""
    rows, k = list(rows), next(i for i, r in enumerate(rows) if r.group == group)
    rows[k] = rows[k]._replace(headline=text)
    return rows


def span(values, spec="+.2f"):
    """'+1.17 to +1.96': the range of some numbers, for a headline."""
    return f"{min(values):{spec}} to {max(values):{spec}}"


class Column(NamedTuple):
    """One column of a report: its name and the folder whose saved data it reads."""
    key: str
    folder: str


MAIN_COLUMNS = (("exploratory", "paper"), ("confirmatory", os.path.join("paper", "confirm")),
                ("quick", ""))


def report_columns(out_dir, fig_dir, preset=None):
    """The measurements a report shows side by side. The main report (figures/REPORT.md,
    written by a run in any of its column folders) puts the exploratory data
    at the paper's budget (the rules were written after them), the preregistered
    confirmation on fresh seeds, and the quick preset beside each other; any other
    folder shows its own, named by its preset."""
    main = [Column(key, os.path.join(fig_dir, sub) if sub else fig_dir) for key, sub in MAIN_COLUMNS]
    if os.path.abspath(out_dir) in [os.path.abspath(c.folder) for c in main]:
        return main
    return [Column(preset or os.path.basename(os.path.normpath(out_dir)), out_dir)]


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


def collect(cols, figures, partial, registered=None):
    """Every figure's rows in every column, from the saved data (or a partial results file).
    Returns (claims, present, budgets, cost table rows, errors): claims maps a claim to
    (figure, its first Row, {column: Row}); present maps a figure to the columns holding
    its data; budgets maps (figure, column) to its steps per run. A confirmatory column
    reads only the figures it registered (registered), '—' for the others."""
    errors, present, budgets, claims, table = [], {}, {}, {}, []
    for name, figure in figures.items():
        cells = []
        for label, folder in cols:
            if label == "confirmatory" and registered is not None and name not in registered:
                cells.append("—")
                continue
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
    return claims, present, budgets, table, errors


def details(lines, cols, present, registered, budgets):
    """One section per first-page line: its rows in every column, and why the columns
    differ where they do (summary.difference_note)."""
    from lab import summary
    out = ["## Details", "",
           "One section per line of the first page: every detail row (relation, reading, setting) "
           "with what this code measured and its verdict in each column."]
    for line in lines:
        out += ["", f"### {line.short}", "", f"Claim: {line.title}."]
        note = summary.difference_note(line, cols, present, registered, budgets) if len(cols) > 1 else ""
        if note:
            out += ["", f"Why the columns differ: {note}"]
        out += ["", "| claim | paper | " + " | ".join(f"{c}: this code | {c}: verdict" for c, _ in cols) + " |",
                "|---|---" + "|---|---" * len(cols) + "|"]
        for name, by_col in line.members:
            first = by_col[next(iter(by_col))]
            cells = [f"{md_cell(by_col[c].ours)} | {md_cell(by_col[c].verdict)}" if c in by_col
                     else "not in the saved data | —" if c in present.get(name, ())
                     else (f"{summary.NO_DESIGN} | {summary.NO_DESIGN}" if registered is not None
                           and c == "confirmatory" and name not in registered else "pending | pending")
                     for c, _ in cols]
            out.append(f"| {md_cell(first.claim)} | {md_cell(first.paper)} | " + " | ".join(cells) + " |")
    return out


def rules_section(cols, prereg):
    """Each rule as the report applies it, and when it was written: every rule of the
    exploratory and quick columns after their data were seen; the confirmatory column's
    registered before its data (prereg: the preregistration's status lines)."""
    out = ["## The rules, and when each was written", ""]
    if prereg:
        out += prereg + [""]
    out += ["Every rule below was written, or last rewritten, after the exploratory data at the "
            "paper's budget had been seen: the verdicts it gives are exploratory"
            + (", except the confirmatory column's, which follow the registered rules above." if prereg
               else ".") + " A rule is never changed to move a verdict; where one was rewritten after its "
            "data, the confirmation on fresh seeds is what tests it.", ""]
    return out + [f"- {r}" for r in verdicts.RULES]


def write_report(out_dir, cols, figures, notes=(), partial=None, registered=None, prereg=()):
    """out_dir/REPORT.md from the saved figure data, never by hand: the first page
    (summary.py: the plain answer and one line per claim), the rules and when each was
    written, the data behind each column, then one section of detail rows per line.
    cols: [(label, folder)]; a column's cell is 'pending' where its figure is not there yet
    (a figure that can be read from a partial results file says how many of its runs are
    in), 'not in the saved data' where the figure is there but lacks that claim's setting;
    `figures` maps a name to its Figure (claims(data) gives the rows). partial(name,
    figure, folder): data for a figure whose JSON is not written yet (lab.runner.replay_data),
    or None. registered: the figures a 'confirmatory' column runs ('—' elsewhere); prereg:
    lines saying what was registered and whether the rule files changed since. notes:
    sentences shown under the title (a relation of your own: what it is, which figures
    were skipped and why, its majority baseline). Written atomically. Returns the
    unreadable data files."""
    from lab import summary
    registered = set(registered) if registered is not None else None
    claims, present, budgets, table, errors = collect(cols, figures, partial, registered)
    lines = ["# What this code measured, claim by claim", "",
             "Generated by `python run_all.py` from the data files beside it; do not edit.", ""]
    lines += [f"- {note}" for note in notes] + ([""] if notes else [])
    page, order = summary.first_page(claims, cols, present, budgets, registered)
    lines += page + rules_section(cols, list(prereg))
    lines += ["", "## The data behind each column", "",
              "| figure | " + " | ".join(f"{c}: preset, budget (steps), wall time of the last invocation "
                                        "(s; cached runs cost nothing), CPU time of the trained "
                                        "ensembles where kept" for c, _ in cols) + " |",
              "|---" * (len(cols) + 1) + "|"] + table
    lines += [""] + details(order, cols, present, registered, budgets)
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
