"""The report's first page: which of the paper's claims hold, one line per claim.

Every detail row of REPORT.md (report.Row) names the first-page line it belongs to
(`group`; a row without one is its own line), the one number that decides it (`number`)
and the rule's reason for its verdict (`why`). A line shows each column's verdict (the
paper budget first, then quick), the deciding numbers, and, where the columns' verdicts
differ, one sentence saying why: each differing row's reason in each column, with the
budgets they were measured at. Nothing here computes a statistic.
"""
import re
from collections import Counter

BEYOND = "Beyond the paper"


def md(text):
    return str(text).replace("\\|", "|").replace("|", "\\|")


def aggregate(verdicts):
    """One verdict for a line: the rows' common verdict, else 'mixed: 2 holds, 1 does not
    hold' (counts, most common first)."""
    counts = Counter(verdicts)
    if len(counts) == 1:
        return verdicts[0]
    if all(v.startswith("pending") for v in verdicts):     # 'pending (k of N runs ...)' summed
        runs = [re.match(r"pending \((\d+) of (\d+) runs", v) for v in verdicts]
        if all(runs):
            return (f"pending ({sum(int(m[1]) for m in runs)} of {sum(int(m[2]) for m in runs)} "
                    "runs in the unfinished cells)")
    return "mixed: " + ", ".join(f"{n} {v}" for v, n in counts.most_common())


def groups_of(claims):
    """{line: [(figure, {column: Row}), ...]} in the report's order (claims: as
    report.write_report collects them, claim -> (figure, first Row, {column: Row}))."""
    out = {}
    for name, first, by_col in claims.values():
        out.setdefault(first.group or first.claim, []).append((name, by_col))
    return out


def column_cell(members, label, present):
    """(verdict, number) of one line in one column."""
    rows = [by_col[label] for _, by_col in members if label in by_col]
    if not rows:
        there = any(label in present.get(name, ()) for name, _ in members)
        return ("not in the saved data" if there else "pending"), "—"
    numbers = [r.number for r in rows if r.number]
    return aggregate([r.verdict for r in rows]), "; ".join(numbers) or "—"


def why_differs(members, order, budgets):
    """One sentence for a line whose verdicts differ between the first two columns."""
    (a, _), (b, _) = order[0], order[1]
    parts = []
    for name, by_col in members:
        if a in by_col and b in by_col and by_col[a].verdict != by_col[b].verdict:
            ra, rb = by_col[a], by_col[b]
            label = ra.number.split(":")[0] if len(members) > 1 and ":" in ra.number else ""
            parts.append((f"{label}: " if label else "") + f"{a} ({budgets.get((name, a))} steps) "
                         f"{ra.verdict} because {ra.why or 'see the row'}; {b} "
                         f"({budgets.get((name, b))} steps) {rb.verdict} because {rb.why or 'see the row'}")
    return "; ".join(parts) + "." if parts else ""


def first_page(claims, cols, present, budgets):
    """The lines of the first page: one table for the paper's claims, one for this
    project's own rows (beyond the paper)."""
    order = list(reversed(cols))            # the paper budget first, then quick
    head = ("| figure | claim | " + " | ".join(f"verdict: {c}" for c, _ in order) + " | "
            + " | ".join(f"deciding number: {c}" for c, _ in order)
            + (" | why the columns differ |" if len(order) > 1 else " |"))
    rule = "|---" * (2 + 2 * len(order) + (len(order) > 1)) + "|"
    lines = ["## Which of the paper's claims hold?", "",
             "One line per claim, in the paper's words; the verdict in each column (paper budget: "
             "1e5 steps as the paper; quick: 3000 steps, the minutes-long preset), the number that "
             "decides it with its 95% interval, and why two columns disagree where they do. "
             "'mixed' counts the verdicts of the line's detail rows (relations, readings, settings). "
             "The rules are listed below the first page; the detail rows follow them.", ""]
    for title, beyond in (("### The paper's claims", False), ("### Beyond the paper (this project's "
                                                                "own questions and controls)", True)):
        body = []
        for line, members in groups_of(claims).items():
            if line.startswith(BEYOND) != beyond:
                continue
            cells = [column_cell(members, c, present) for c, _ in order]
            row = (f"| {md(members[0][0])} | {md(line)} | " + " | ".join(md(v) for v, _ in cells)
                   + " | " + " | ".join(md(n) for _, n in cells))
            if len(order) > 1:
                differ = (cells[0][0] != cells[1][0] and not any(
                    v.startswith(("pending", "not in the saved data")) for v, _ in cells[:2]))
                row += " | " + (md(why_differs(members, order, budgets)) if differ else "")
            body.append(row + " |")
        if body:
            lines += [title, "", head, rule] + body + [""]
    return lines
