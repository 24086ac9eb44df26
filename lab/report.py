"""figures/REPORT.md, written from the figures' saved data only.

run_all.py says which figures (its registries) and which folders stand side by side
(`report_columns`, `Source`); this module reads their JSON, lays the claims out (the first
page: lab/summary.py), puts each figure beside its numbers, and writes atomically.
"""
import json
import os
from typing import NamedTuple

from lab import rulebook


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
    short: str = ""     # the line's name on the first page, at most 60 characters (default: the group)
    headline: str = ""  # for a line of several rows: the statistic that decides the line (≤ 100 chars)
    setup: str = ""     # what this budget's preset sets that another's may not (e.g. η_enc = 1e-05)
    key: str = ""       # the few words (≤ ~45 characters) the opening sentences quote for the line


def with_headline(rows, group, text, key=""):
    """rows with `headline` (and the opening's `key`) set on the first row of `group`: the
    statistic that decides a first-page line of several rows (summary.statistic)."""
    rows, k = list(rows), next(i for i, r in enumerate(rows) if r.group == group)
    rows[k] = rows[k]._replace(headline=text, key=key or rows[k].key)
    return rows


def span(values, spec="+.2f"):
    """'+1.17 to +1.96': the range of some numbers, for a headline."""
    return f"{min(values):{spec}} to {max(values):{spec}}"


class Source(NamedTuple):
    """A folder of saved figure data and the column it fills: the figures it runs (None:
    every figure of the registry given), with its own registry where its designs are
    its own (the second preregistration's)."""
    column: str
    folder: str
    names: frozenset | None = None
    figures: dict | None = None


MAIN_COLUMNS = (("exploratory", "paper"), ("confirmatory", os.path.join("paper", "confirm")),
                ("confirmatory", os.path.join("paper", "confirm2")), ("quick", ""))


def report_columns(out_dir, fig_dir, preset=None):
    """The folders a report shows side by side, [(column, folder)]. The main report
    (figures/REPORT.md, written by a run in any of its folders) puts the exploratory data
    at the paper's budget (the rules were written after them), the two preregistered
    confirmations on fresh seeds (one column) and the quick preset beside each other; any
    other folder shows its own, named by its preset."""
    main = [(key, os.path.join(fig_dir, sub) if sub else fig_dir) for key, sub in MAIN_COLUMNS]
    if os.path.abspath(out_dir) in [os.path.abspath(f) for _, f in main]:
        return main
    return [(preset or os.path.basename(os.path.normpath(out_dir)), out_dir)]


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


def as_sources(cols, figures):
    return [c if isinstance(c, Source) else Source(c[0], c[1]) for c in cols]


def results_runs(folder, name):
    """(runs recorded in folder/<name>.jsonl, CPU seconds, ensembles without a time), or None."""
    path = os.path.join(folder, f"{name}.jsonl")
    if not os.path.exists(path):
        return None
    runs, cpu, untimed = 0, 0.0, 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            try:
                rec = json.loads(raw)
                runs += len(rec["configs"])
            except (ValueError, KeyError, TypeError):
                continue
            if rec.get("cpu_seconds") is None:
                untimed += 1
            else:
                cpu += rec["cpu_seconds"]
    return runs, cpu, untimed


def data_cell(name, d, folder):
    """What the data table says of one figure in one column: the runs behind it (recorded in
    its results file, or counted when it was computed), the CPU-hours recorded for them,
    and how many the invocation that wrote the data trained, with its wall time only then."""
    if d.get("partial"):
        return f"partial: {d.get('runs_done')} of {d.get('runs_planned')} runs in {name}.jsonl"
    recorded = results_runs(folder, name)
    runs = d.get("run_count", recorded[0] if recorded else None)
    if runs is None:
        return "runs not counted (data written before counts were kept)"
    text = f"{runs:,} runs" if runs else "no network runs"
    if recorded and recorded[1]:
        text += f", {recorded[1] / 3600:.1f} CPU-hours recorded" + (
            f" (+ {recorded[2]} ensembles untimed)" if recorded[2] else "")
    trained = d.get("runs_trained")
    if trained:
        text += f"; {trained:,} trained by the last run ({d.get('seconds', 0) / 60:.0f} min)"
    elif trained == 0 and runs:
        text += "; all found recorded"
    return text


def collect(sources, figures, partial):
    """Every figure's rows in every column, from the saved data (or a partial results file).
    Returns (claims, present, budgets, data table cells, images, errors): claims maps a
    claim to (figure, its first Row, {column: Row}); present maps a figure to the columns
    holding its data; images maps a figure to [(column, folder)] with a PNG."""
    errors, present, budgets, claims, cells, images = [], {}, {}, {}, {}, {}
    for src in sources:
        registry = src.figures or figures
        for name, figure in registry.items():
            if src.names is not None and name not in src.names:
                continue
            try:
                d = load_figure_data(src.folder, name)
                if d is None:
                    d = partial(name, figure, src.folder) if partial else None
            except DataFileError as err:
                errors.append(str(err))
                cells[(name, src.column)] = "data file unreadable"
                continue
            if d is None:
                cells.setdefault((name, src.column), "pending")
                continue
            try:
                rows = [as_row(r) for r in figure_rows(figure, d, os.path.join(src.folder, f"{name}.json"))]
            except DataFileError as err:
                errors.append(str(err))
                cells[(name, src.column)] = "data file of the wrong shape"
                continue
            cells[(name, src.column)] = data_cell(name, d, src.folder)
            present.setdefault(name, set()).add(src.column)
            budgets[(name, src.column)] = d.get("budget")
            if os.path.exists(os.path.join(src.folder, f"{name}.png")):
                images.setdefault(name, []).append((src.column, src.folder))
            for row in rows:
                claims.setdefault(row.claim, (name, row, {}))[2][src.column] = row
    return claims, present, budgets, cells, images, errors


def data_table(sources, figures, cells):
    keys = list(dict.fromkeys(s.column for s in sources))
    names = list(dict.fromkeys(n for s in sources for n in (s.figures or figures)))
    out = ["| figure | " + " | ".join(f"{c}: runs, CPU-hours recorded" for c in keys) + " |",
           "|---" * (len(keys) + 1) + "|"]
    for name in names:
        out.append(f"| {name} | " + " | ".join(md_cell(cells.get((name, c), "—")) for c in keys) + " |")
    return out


def image_link(out_dir, folder, name):
    """A PNG's link relative to the report, with '/' on every system (GitHub renders it)."""
    return os.path.relpath(os.path.join(folder, f"{name}.png"), out_dir).replace(os.sep, "/")


def details(lines, cols, present, registered, images, out_dir):
    """One section per first-page line: its figures (every column's), then its rows in
    every column."""
    from lab import summary
    out = ["## Details", "",
           "One section per line of the first page: its figures, then every detail row (relation, "
           "reading, setting) with what this code measured and its verdict in each column."]
    for line in lines:
        out += ["", f"### {line.short}", "", f"Claim: {line.title}."]
        pictures = [f"![{col}: {name}]({image_link(out_dir, folder, name)})"
                    for name in sorted(line.figures) for col, folder in images.get(name, ())
                    if line.rows(col)]
        if pictures:
            out += [""] + [" ".join(pictures)]
        out += ["", "| claim | paper | " + " | ".join(f"{c}: this code | {c}: verdict" for c, _ in cols) + " |",
                "|---|---" + "|---|---" * len(cols) + "|"]
        for name, by_col in line.members:
            first = by_col[next(iter(by_col))]
            row_cells = []
            for c, _ in cols:
                if c in by_col:
                    row_cells.append(f"{md_cell(by_col[c].ours)} | {md_cell(by_col[c].verdict)}")
                else:       # a row another design measures: '—' where this column has the figure's data
                    text = "—" if c in present.get(name, ()) else summary.cell(
                        summary.Line(line.title, [(name, by_col)]), c, present, registered)
                    row_cells.append(f"{text} | {text}")
            out.append(f"| {md_cell(first.claim)} | {md_cell(first.paper)} | " + " | ".join(row_cells) + " |")
    return out


def rules_section(prereg):
    """Each rule as the report applies it, and when it was written: every rule of the
    exploratory and quick columns after their data were seen; the confirmatory column's
    registered before its data (prereg: the preregistrations' status sentences)."""
    out = ["## The rules, and when each was written", ""]
    if prereg:
        out += [p for line in prereg for p in (line, "")]
    out += ["Every rule below was written, or last rewritten, after the exploratory data at the paper's "
            "budget had been seen, so the verdicts it gives are exploratory"
            + (", except the confirmatory column's, which follow the registered rules above." if prereg
               else "."), ""]
    return out + [f"- {r}" for r in rulebook.RULES]


def write_report(out_dir, cols, figures, notes=(), partial=None, registered=None, prereg=()):
    """out_dir/REPORT.md from the saved figure data, never by hand: the opening sentences,
    the paper's claims in one table with notes and setups (summary.py), this project's own
    questions in a second table, the rules and when each was written, the runs behind each
    column, then one section per claim with its figures and detail rows.
    cols: [(column, folder)] or [Source]; `figures` maps a name to its Figure (claims(data)
    gives the rows). partial(name, figure, folder): data for a figure whose JSON is not
    written yet (lab.runner.replay_data), or None. registered: {column: figures it runs}
    for a column that runs only some ('—' for the others); prereg: the preregistrations'
    status sentences. notes: sentences under the title (a relation of your own: what it is,
    which figures were skipped, its majority baseline). Written atomically. Returns the
    unreadable data files."""
    from lab import summary
    sources = as_sources(cols, figures)
    columns = [(c, None) for c in dict.fromkeys(s.column for s in sources)]
    claims, present, budgets, cells, images, errors = collect(sources, figures, partial)
    lines = ["# What this code measured, claim by claim", "",
             "Generated by `python run_all.py` from the data files beside it; do not edit.", ""]
    lines += [f"- {note}" for note in notes] + ([""] if notes else [])
    page, order = summary.first_page(claims, columns, present, budgets, registered or {})
    lines += page + rules_section(list(prereg))
    lines += ["", "## The runs behind each column", "",
              "Runs recorded in each figure's results file (or counted when its data were computed), "
              "the CPU-hours recorded for them, and how many the run that wrote the data trained.", ""]
    lines += data_table(sources, figures, cells)
    lines += [""] + details(order, columns, present, registered or {}, images, out_dir)
    path = os.path.join(out_dir, "REPORT.md")
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)
    return errors
