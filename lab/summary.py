"""The report's first page: does the paper hold up? Plain sentences, then one row per claim.

Every detail row of REPORT.md (report.Row) names the first-page line it belongs to
(`group`; a row without one is its own line), a short name for that line (`short`), the
one number that decides it (`number`, or `headline` for a line of several rows), the
rule's reason for its verdict (`why`) and, where a budget changes what is measured,
the `setup`. A line shows each column's verdict in words, the statistic that decided the
answer, and a link to its details; where the columns disagree, or measure different
setups, a numbered note says why. The sentences above the table are generated from the
same verdicts: nothing here computes a statistic or holds a number of its own.
"""
import re
from collections import Counter

from lab import verdicts as v

BEYOND = "Beyond the paper"
ANSWER_ORDER = ("confirmatory", "exploratory")    # which column answers the paper, first
NO_DESIGN = "—"                                    # a column that does not run this claim
NOT_TESTED = "not tested (too few runs)"
COMPUTED = "computed"
WAITING = ("pending", "not in the saved data", NO_DESIGN)


def md(text):
    return str(text).replace("\\|", "|").replace("|", "\\|")


def slug(heading):
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def label_of(row):
    """What distinguishes a row within its line (its relation, reading or setting): the part
    of its number before the first ':', else its claim."""
    return row.number.split(":")[0] if ":" in row.number else row.claim


# --- Lines and their cells ---------------------------------------------------------------

class Line:
    """One first-page line: its members [(figure, {column: Row})] and each column's rows."""

    def __init__(self, title, members):
        self.title, self.members = title, members
        first = members[0][1][next(iter(members[0][1]))]
        self.short = first.short or title
        self.figures = {name for name, _ in members}
        self.beyond = title.startswith(BEYOND)

    def rows(self, col):
        return [by_col[col] for _, by_col in self.members if col in by_col]


def lines_of(claims):
    """[Line] in the report's order (claims: as report.write_report collects them,
    claim -> (figure, first Row, {column: Row}))."""
    out = {}
    for name, first, by_col in claims.values():
        out.setdefault(first.group or first.claim, []).append((name, by_col))
    lines = [Line(title, members) for title, members in out.items()]
    seen = Counter(line.short for line in lines)
    for line in lines:                                    # anchors must be unique
        if seen[line.short] > 1:
            line.short = line.title
    return lines


def cell(line, col, present, registered):
    """A line's verdict in one column, in words: one verdict, or the commonest with where
    the others fall ('does not hold at 5 of 6 (holds: mod3 linear)'); 'not tested (too
    few runs)' where the design cannot decide; '—' for a column that does not run it."""
    rows = line.rows(col)
    if not rows:
        there = any(col in present.get(name, ()) for name in line.figures)
        if col == "confirmatory" and (not line.figures & (registered or set()) or there):
            return NO_DESIGN              # not registered, or a row its registration does not judge
        return "not in the saved data" if there else "pending"
    counts = Counter(r.verdict for r in rows)
    if len(counts) == 1:
        return NOT_TESTED if rows[0].verdict == v.TOO_FEW else rows[0].verdict
    pend = [re.match(r"pending \((\d+) of (\d+) runs", r.verdict) for r in rows]
    if all(pend):
        return (f"pending ({sum(int(m[1]) for m in pend)} of {sum(int(m[2]) for m in pend)} runs "
                "in the unfinished cells)")
    (top, k), (_, k2) = counts.most_common(2)
    where = {}
    for r in rows:
        where.setdefault(r.verdict, []).append(label_of(r))
    if k == k2:                                           # no majority: every verdict with its rows
        return "mixed: " + "; ".join(f"{w}: {', '.join(ls)}" for w, ls in where.items())
    return f"{top} at {k} of {len(rows)} (" + "; ".join(
        f"{w}: {', '.join(ls)}" for w, ls in where.items() if w != top) + ")"


def decided(text):
    return not text.startswith(WAITING) and text != NOT_TESTED


def statistic(line, col):
    """The one statistic that decided a line in a column: a row's headline, else the
    number of a line with one row, else the rows' numbers joined."""
    rows = line.rows(col)
    for r in rows:
        if r.headline:
            return r.headline
    return "; ".join(r.number for r in rows if r.number) or "—"


def category(rows):
    """What a line's rows say, in one word: holds, partly, does not hold, undecided,
    vacuous, or shown (exploratory rows carry no verdict)."""
    vs = [r.verdict for r in rows if r.verdict != v.EXPLORATORY]
    if not vs:
        return "shown"
    if all(x == v.VACUOUS for x in vs):
        return "vacuous"
    if all(x in (v.HOLDS, COMPUTED) for x in vs):
        return "holds"
    good, bad = any(x in (v.HOLDS, v.PARTLY) for x in vs), any(x == v.DOES_NOT_HOLD for x in vs)
    if (good and bad) or all(x == v.PARTLY for x in vs):
        return "partly"
    return "does not hold" if bad else "undecided"


def answer_column(line, cols, present, registered):
    """The column that answers the paper for this line: the confirmatory one where it has
    decided, else the exploratory (paper budget), else the first decided column."""
    keys = [c for c, _ in cols]
    for col in [c for c in ANSWER_ORDER if c in keys] + keys:
        text = cell(line, col, present, registered)
        if decided(text) or text == NOT_TESTED:
            return col
    return None


# --- Why the columns differ ----------------------------------------------------------------

def difference_note(line, cols, present, registered, budgets):
    """Why a line's columns disagree, or measure different setups: each differing row's
    reason in each column, the settings one column runs and another does not, and the
    setups (Row.setup) that differ. '' when the columns agree on the same setup."""
    keys = [c for c, _ in cols]
    cells = {c: cell(line, c, present, registered) for c in keys}
    parts = []
    live = [c for c in keys if decided(cells[c]) or cells[c] == NOT_TESTED]
    for i, a in enumerate(live):
        for b in live[i + 1:]:
            if cells[a] == cells[b]:
                continue
            for name, by_col in line.members:
                ra, rb = by_col.get(a), by_col.get(b)
                if ra and rb and ra.verdict != rb.verdict:
                    lab = f"{label_of(ra)}: " if len(line.members) > 1 else ""
                    parts.append(f"{lab}{a} ({budgets.get((name, a))} steps) {_said(ra)}; "
                                 f"{b} ({budgets.get((name, b))} steps) {_said(rb)}")
    for c in keys:
        others = [o for o in keys if o != c and decided(cells[o])]
        only = [label_of(by_col[c]) for _, by_col in line.members
                if c in by_col and others and not any(o in by_col for o in others)]
        if only and len(only) < len(line.members):
            parts.append(f"only {c} runs {', '.join(only)}")
    setups = {c: sorted({r.setup for r in line.rows(c) if r.setup}) for c in keys}
    shown = {c: s for c, s in setups.items() if s}
    if len({tuple(s) for s in shown.values()}) > 1:
        parts.append("the setups differ: " + "; ".join(f"{c}: {', '.join(s)}" for c, s in shown.items()))
    return "; ".join(parts) + ("." if parts else "")


def _said(row):
    if row.verdict == v.TOO_FEW:
        return f"cannot test it ({row.why or 'too few runs'})"
    return f"{row.verdict} because {row.why or 'see the row'}"


# --- The plain answer --------------------------------------------------------------------

def _items(entries, with_stat=True):
    return "; ".join(f"{line.short} ({stat})" if with_stat and stat and stat != "—" else line.short
                     for line, stat in entries)


def plain_answer(lines, cols, present, registered):
    """5-8 sentences answering 'does the paper hold up?', generated from the verdicts: the
    count per answer, then what holds, holds in part, does not hold, is undecided or is
    vacuous (each with its deciding statistic), what the confirmation found, and which
    verdicts are only exploratory."""
    paper = [line for line in lines if not line.beyond]
    groups = {}
    for line in paper:
        col = answer_column(line, cols, present, registered)
        if col is None:
            groups.setdefault("waiting", []).append((line, ""))
            continue
        stat = statistic(line, col)
        groups.setdefault(category(line.rows(col)), []).append(
            (line, f"on fresh seeds: {stat}" if col == "confirmatory" else stat))
    n = {k: len(x) for k, x in groups.items()}
    keys = [c for c, _ in cols]
    where = ("on fresh seeds under preregistered rules where a confirmation exists, else on the "
             "exploratory data at the paper's budget" if "confirmatory" in keys else
             "at the paper's budget" if "exploratory" in keys else f"in the {keys[0]} column")
    out = [f"Of the paper's {len(paper)} claims checked here, judged {where}: {n.get('holds', 0)} hold, "
           f"{n.get('partly', 0)} hold in part, {n.get('does not hold', 0)} do not hold, "
           f"{n.get('undecided', 0)} are undecided and {n.get('vacuous', 0)} "
           f"{'is' if n.get('vacuous', 0) == 1 else 'are'} vacuous as stated"
           + (f" ({n['waiting']} still waiting for data)" if n.get("waiting") else "") + "."]
    if groups.get("holds"):
        out.append(f"What holds: {_items(groups['holds'], with_stat=False)}.")
    if groups.get("partly"):
        out.append(f"What holds only in part: {_items(groups['partly'])}.")
    if groups.get("does not hold"):
        out.append(f"What does not hold: {_items(groups['does not hold'])}.")
    if groups.get("undecided"):
        out.append(f"Undecided (the statistic cannot decide, or too few runs): "
                   f"{_items(groups['undecided'], with_stat=False)}.")
    if groups.get("vacuous"):
        out.append(f"Vacuous as stated: {_items(groups['vacuous'], with_stat=False)}; its premise can "
                   "never hold, so the statement is true of no trained network (its practical reading "
                   "is judged on its own line).")
    out += confirmation_sentences(lines, cols, present, registered)
    return out


def confirmation_sentences(lines, cols, present, registered):
    """What the preregistered confirmation found, and which verdicts are exploratory."""
    if "confirmatory" not in [c for c, _ in cols]:
        return ["Every verdict here is exploratory: its rule was written after its data were seen."]
    found = {}
    for line in lines:
        text = cell(line, "confirmatory", present, registered)
        if text == NO_DESIGN:
            continue
        rows = line.rows("confirmatory")
        kind = ("still running" if text.startswith("pending") else
                {"holds": "confirmed", "does not hold": "not confirmed, the registered rule reads "
                 "'does not hold'", "partly": "confirmed in part"}.get(category(rows),
                                                                      "not confirmed (undecided)"))
        why = rows[0].why if len(rows) == 1 and rows[0].verdict != v.HOLDS else ""
        stat = (text if kind == "still running" else
                statistic(line, "confirmatory") + (f"; because {why}" if why else ""))
        found.setdefault(kind, []).append((line, stat))
    said = "; ".join(f"{kind}: {_items(items)}" for kind, items in found.items())
    return [f"On fresh seeds, under rules registered before the data existed "
            f"(figures/paper/PREREGISTRATION.md), {said or 'nothing is registered yet'}.",
            "Every other verdict is exploratory: its rule was written after its data were seen."]


# --- The page ------------------------------------------------------------------------------

def header(cols, budgets):
    """Column headers with the budgets found in the data ('exploratory (100000 steps)')."""
    out = []
    for c, _ in cols:
        steps = sorted({b for (_, col), b in budgets.items() if col == c and b})
        out.append(f"{c} ({', '.join(f'{s:,}' for s in steps)} steps)" if steps else c)
    return out


def first_page(claims, cols, present, budgets, registered=None):
    """The first page: the plain answer, then one compact table for the paper's claims and
    one for this project's own questions, numbered notes where the columns differ.
    registered: the figures the confirmatory column runs (None: there is no such column).
    Returns (lines of Markdown, [Line]) — the Lines give the details' order and anchors."""
    lines = lines_of(claims)
    keys = [c for c, _ in cols]
    page = ["## Does the paper hold up?", ""] + [" ".join(plain_answer(lines, cols, present, registered)), ""]
    page += ["One row per claim; each column's verdict (the columns' budgets are in their headers; "
             "'—' where a column does not run the claim); the statistic that decided the answer "
             "(the confirmatory column where it has decided, else the exploratory); the details "
             "follow the rules below. A number in brackets points to a note under the table.", ""]
    notes = []
    for title, beyond in (("### The paper's claims", False),
                          ("### Beyond the paper (this project's own questions and controls)", True)):
        body = []
        for line in lines:
            if line.beyond != beyond:
                continue
            cells = [cell(line, c, present, registered) for c in keys]
            col = answer_column(line, cols, present, registered) or keys[0]
            note = difference_note(line, cols, present, registered, budgets) if len(keys) > 1 else ""
            mark = ""
            if note:
                notes.append(f"({len(notes) + 1}) {line.short}: {note}")
                mark = f" ({len(notes)})"
            body.append(f"| {md(line.short)}{mark} | " + " | ".join(md(c) for c in cells)
                        + f" | {md(statistic(line, col))} | [details](#{slug(line.short)}) |")
        if body:
            page += [title, "", "| claim | " + " | ".join(md(h) for h in header(cols, budgets))
                     + " | deciding statistic | |", "|---" * (len(keys) + 3) + "|"] + body + [""]
    if notes:
        page += ["**Why the columns differ.**", ""] + [f"{n}  " for n in notes[:-1]] + notes[-1:] + [""]
    return page, lines
