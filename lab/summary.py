"""The report's first page: the answer in a few sentences, one compact table, notes that
say each thing once, and the setups that differ between columns in one small table.

Every detail row of REPORT.md (report.Row) names the first-page line it belongs to
(`group`; a row without one is its own line), the line's short name (`short`), the one
number that decides it (`number`, or `headline` for a line of several rows), the few
words the opening sentences quote (`key`), the rule's reason (`why`) and, where a budget
changes what is measured, the `setup`. Everything here is generated from those rows:
nothing computes a statistic or holds a number of its own.
"""
import re
from collections import Counter

from lab import confirm2 as c2
from lab import verdicts as v

BEYOND = "Beyond the paper"
NO_DESIGN = "—"                                  # a column that does not run this claim
COMPUTED = "computed"
MISSING = "not in the saved data"
NOT_TESTED = "not tested (too few runs)"
SHOWN = "shown, not judged"
WAITING = ("pending", MISSING, NO_DESIGN)
EXACT = {"fig2", "fig4"}       # exact computations of Sections III and IV: no seeds, no training

# The page's limits (the issue that asked for a report read in two minutes):
OPENING_CHARS, SENTENCE_CHARS, SENTENCES = 1580, 250, 8
CLAIM_CHARS, CELL_CHARS, STATISTIC_CHARS, NOTE_CHARS = 60, 30, 100, 300


def md(text):
    return str(text).replace("\\|", "|").replace("|", "\\|")


def slug(heading):
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def label_of(row):
    """What distinguishes a row within its line: the part of its number before ':'."""
    return row.number.split(":")[0] if ":" in row.number else row.claim


def clip(text, limit, sep="; "):
    """text cut at its last separator that keeps it within limit characters (never mid-word)."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 2]
    k = cut.rfind(sep)
    return (cut[:k] if k > 0 else cut[:cut.rfind(" ")]).rstrip(",;: ") + " …"


# --- Lines and their cells -------------------------------------------------------------------

class Line:
    """One first-page line: its members [(figure, {column: Row})]."""

    def __init__(self, title, members):
        self.title, self.members = title, members
        first = members[0][1][next(iter(members[0][1]))]
        self.short = first.short or title
        self.figures = {name for name, _ in members}
        self.beyond = title.startswith(BEYOND)

    def rows(self, col):
        return [by_col[col] for _, by_col in self.members if col in by_col]


def lines_of(claims):
    """[Line] in the report's order (claims as report.collect gives them)."""
    out = {}
    for name, first, by_col in claims.values():
        out.setdefault(first.group or first.claim, []).append((name, by_col))
    lines = [Line(title, members) for title, members in out.items()]
    seen = Counter(line.short for line in lines)
    for line in lines:                                    # anchors must be unique
        if seen[line.short] > 1:
            line.short = line.title
    return lines


def reading(verdicts):
    """A line's verdicts in one column, in at most 30 characters: the registered summary
    layer (lab/confirm2.claim_reading) over its rows, and the words of rows that are shown
    rather than judged (computed, vacuous, exploratory)."""
    pend = [re.match(r"pending \((\d+) of (\d+) runs", x) for x in verdicts]
    if any(x.startswith("pending") for x in verdicts):
        if all(pend):
            return f"pending ({sum(int(m[1]) for m in pend)}/{sum(int(m[2]) for m in pend)} runs)"
        return "pending"
    for kind, label in ((COMPUTED, COMPUTED), (v.VACUOUS, v.VACUOUS), (v.EXPLORATORY, SHOWN)):
        if all(x == kind for x in verdicts):
            return label
    if v.PARTLY in verdicts:
        return v.PARTLY
    label = c2.claim_reading([c2.PENDING if x.startswith("pending") else x for x in verdicts])[0]
    return NOT_TESTED if label == c2.TOO_FEW else label


def cell(line, col, present, registered):
    """A line's verdict in one column (reading), or why there is none: '—' where the column
    does not run or judge it, 'pending' where its data are not there yet."""
    rows = line.rows(col)
    if rows:
        return reading([r.verdict for r in rows])
    there = any(col in present.get(name, ()) for name in line.figures)
    if col in registered and (there or not line.figures & registered[col]):
        return NO_DESIGN
    return MISSING if there else "pending"


def category(label):
    """One word of a reading for the opening: holds, partly, does not hold, undecided,
    vacuous, computed, shown or waiting."""
    if label.startswith(WAITING):
        return "waiting"
    if label in (COMPUTED, v.VACUOUS, SHOWN):
        return {COMPUTED: "computed", v.VACUOUS: "vacuous", SHOWN: "shown"}[label]
    if label == v.HOLDS:
        return "holds"
    if label == v.DOES_NOT_HOLD or label.startswith("does not hold at"):
        return "does not hold"
    if label.startswith(("partly", "holds at")):
        return "partly"
    return "undecided"


def answer_column(line, cols, present, registered):
    """The column that answers the paper for this line: the confirmatory one wherever it
    has a verdict, else the exploratory (the paper's budget), else the first with one."""
    keys = [c for c, _ in cols]
    for col in [c for c in ("confirmatory", "exploratory") if c in keys] + keys:
        if not cell(line, col, present, registered).startswith(WAITING):
            return col
    return None


def statistic(line, col):
    """The one statistic that decided a line in a column, at most 100 characters: a row's
    headline, else the rows' numbers."""
    rows = line.rows(col)
    text = next((r.headline for r in rows if r.headline), "") or "; ".join(r.number for r in rows if r.number)
    return clip(text or "—", STATISTIC_CHARS)


def key_of(line, col):
    """The few words the opening quotes for a line: a row's key, else its statistic's first clause."""
    rows = line.rows(col)
    return next((r.key for r in rows if r.key), "") or statistic(line, col).split("; ")[0]


# --- The opening: the answer in a few sentences --------------------------------------------

def brief(short):
    """A line's name as the opening says it: without a trailing remark in brackets
    ('(computed)', '(Fig. 4)'); an equation's number stays."""
    return re.sub(r" \((?!\d)[^()]*\)$", "", short)


def _pack(prefix, items):
    """prefix + items joined by '; ', one sentence per SENTENCE_CHARS (later ones open with
    'Also: ')."""
    out, current = [], prefix
    for item in items:
        trial = current + ("; " if current != prefix else "") + item
        if len(trial) + 1 <= SENTENCE_CHARS or current == prefix:
            current = trial
        else:
            out.append(current + ".")
            current = "Also: " + item
    return out + [current + "."]


MORE = "more (see the table)"


def _fit(prefix, items, room):
    """_pack within `room` sentences: the items that do not fit are summed up as 'and k more'."""
    for keep in range(len(items), 0, -1):
        more = [f"and {len(items) - keep} {MORE}"] if keep < len(items) else []
        packed = _pack(prefix, items[:keep] + more)
        if len(packed) <= room:
            return packed
    return _pack(prefix, [f"{len(items)} claims (see the table)"])


KIND_WORDS = {"does not hold": "these do not hold", "holds": "these hold",
              "partly": "these hold in part or stay undecided", "waiting": "these are still waiting for data",
              "computed": "these are computed, not judged"}


def _prefix(kind, col, first):
    """How the opening introduces a group of claims of one kind, answered by one column."""
    if kind == "exact":
        return "The exact computations check out: "
    if col == "confirmatory":
        where = "Retested on new seeds under rules fixed in advance" if first else "Retested"
    elif col == "exploratory":
        where = "On the exploratory data at the paper's budget" if first else "On the exploratory data"
    else:
        where = f"In the {col} run"
    return f"{where}, {KIND_WORDS[kind]}: "


def opening(lines, cols, present, registered):
    """At most 8 sentences and 1,580 characters, each claim of the paper once with its
    deciding number, grouped by what answered it (a retest on new seeds, or the exploratory
    data) and by its outcome; a claim vacuous as stated closes them, beside the caveat that
    unregistered verdicts are exploratory. Where the numbers make it too long, the claims
    that hold lose theirs first, then those that hold in part, then the rest."""
    for quiet in ((), ("exact", "holds"), ("exact", "holds", "partly"),
                  ("exact", "holds", "partly", "does not hold")):
        out = _opening(lines, cols, present, registered, quiet)
        if len(" ".join(out)) <= OPENING_CHARS and not any(MORE in s for s in out):
            break
    return out


def _opening(lines, cols, present, registered, quiet):
    groups = {}
    for line in (ln for ln in lines if not ln.beyond):
        col = answer_column(line, cols, present, registered)
        label = cell(line, col, present, registered) if col else "pending"
        kind = category(label)
        exact = bool(line.figures) and line.figures <= EXACT
        if exact and kind in ("computed", "holds"):
            kind = "exact"
        kind = "partly" if kind == "undecided" else kind
        name = brief(line.short)
        item = f"{name} ({key_of(line, col)})" if kind not in ("vacuous", "waiting", "computed") + quiet else name
        if exact and label == COMPUTED:
            item = f"{name} (computed)"
        groups.setdefault((kind, col or "exploratory"), []).append(item)
    vacuous = [x for (kind, _), items in groups.items() if kind == "vacuous" for x in items]
    keys = [c for c, _ in cols]
    caveat = ("apart from the retests, every verdict used a rule written after its data: read them as exploratory"
              if "confirmatory" in keys else
              "every verdict here used a rule written after its data: read them as exploratory")
    closing = (f"{'; '.join(vacuous)} {'is' if len(vacuous) == 1 else 'are'} vacuous (the premise never "
               f"holds); {caveat}." if vacuous else caveat[0].upper() + caveat[1:] + ".")
    order = [c for c in ("confirmatory", "exploratory") if c in keys] + [c for c in keys if c not in
                                                                          ("confirmatory", "exploratory")]
    todo, seen = [], set()
    for kind in ("exact", "computed", "does not hold", "holds", "partly", "waiting"):
        for col in order:
            if groups.get((kind, col)):
                todo.append((_prefix(kind, col, col not in seen), groups[(kind, col)]))
                seen.add(col if kind != "exact" else None)
    need = [len(_pack(prefix, items)) for prefix, items in todo]
    while sum(need) > SENTENCES - 1 and max(need) > 1:
        need[need.index(max(need))] -= 1
    out = [s for (prefix, items), room in zip(todo, need) for s in _fit(prefix, items, room)]
    return out + [closing]


# --- Notes: why the columns differ, each reason once ------------------------------------

def column_reasons(line, col):
    """{reason: [labels of the rows it covers]} of one column's rows of a line."""
    out = {}
    for r in line.rows(col):
        out.setdefault(r.why or r.verdict, []).append(label_of(r))
    return out


SHARED_WORDS = 8          # a clause this long said once in the notes is not said again
SUBJECT_WORDS = 2         # what a shortened reason keeps of its own, at least ('diff, n_h=0')


def shared_tail(why, earlier):
    """How many words at the end of why an earlier reason ends with too (leaving why its
    first SUBJECT_WORDS), when there are at least SHARED_WORDS of them, else 0. Two rules'
    reasons built on one template share their end: 'sqdiff, n_h=0 is not significantly
    earlier than every other variant' and 'diff, n_h=0 is ...'."""
    words, best = why.split(), 0
    for other in earlier:
        theirs, k = other.split(), 0
        while k < min(len(words), len(theirs)) and words[-1 - k] == theirs[-1 - k]:
            k += 1
        best = max(best, k)
    best = min(best, len(words) - SUBJECT_WORDS)
    return best if best >= SHARED_WORDS else 0


def column_reason(reasons, said, here, hidden=()):
    """A column's reason for its verdict, in a few words (reasons: {reason: [row labels]}):
    its one reason, or two with the rows each covers, or how many there are (the details
    give them). A reason said before points to where (said: reason -> (note number,
    column, its words as written), filled here; here: this note's number and column); a
    reason that ends as an earlier one does keeps its own words and says 'likewise' for the
    rest. A reason in hidden (one its note had no room for) is written but never pointed to."""
    if len(reasons) > 2:
        return f"{len(reasons)} reasons, one per row (see the details)"
    parts = []
    for why, labels in reasons.items():
        cover = "" if len(reasons) == 1 else f" ({clip(', '.join(labels), 40, ', ')})"
        if why in said:
            number, col, _ = said[why]
            parts.append(f"as {col}" if number == here[0] else f"as note {number}")
            parts[-1] += cover
            continue
        tail = shared_tail(why, said)
        text = " ".join(why.split()[:-tail]).rstrip(",;: ") + " likewise" if tail else why
        parts.append(clip(text, 120 if len(reasons) == 1 else 90) + cover)
        if why not in hidden:
            said[why] = here + (parts[-1],)
    return "; ".join(parts)


def difference_notes(lines, cols, present, registered):
    """{line short: note} for the lines whose columns reach different verdicts: each
    column's reason, the columns with the same reasons named together, a reason an earlier
    note gave pointing to it; each note at most 300 characters, shared fairly between its
    columns, and never pointing to a reason it had no room to show."""
    keys, said, notes = [c for c, _ in cols], {}, {}
    for line in lines:
        cells = {c: cell(line, c, present, registered) for c in keys}
        live = [c for c in keys if not cells[c].startswith(WAITING)]
        if len({cells[c] for c in live}) < 2:
            continue
        same = {}
        for c in live:
            reasons = column_reasons(line, c)
            same.setdefault(tuple((k, tuple(x)) for k, x in reasons.items()), (reasons, []))[1].append(c)
        hidden, number = set(), len(notes) + 1
        while True:
            mine = dict(said)
            parts = [f"{' and '.join(cs)}: {column_reason(reasons, mine, (number, cs[0]), hidden)}"
                     for reasons, cs in same.values()]
            note = " — ".join(shared_fairly(parts, NOTE_CHARS - len(f"{number}. "), " — "))
            lost = {why for why, (k, _, words) in mine.items() if k == number and words not in note}
            if not lost:
                break
            hidden |= lost
        said, notes[line.short] = mine, note
    return notes


def shared_fairly(parts, limit, sep):
    """parts clipped so that, joined by sep, they fit in limit characters: a part shorter
    than its fair share keeps all of it and leaves the rest to the longer ones, so no
    column's reason is cut off the end of a note."""
    room, out = limit - len(sep) * (len(parts) - 1), list(parts)
    order = sorted(range(len(parts)), key=lambda k: len(parts[k]))
    for done, k in enumerate(order):
        out[k] = clip(parts[k], room // (len(parts) - done), "; ")
        room -= len(out[k])
    return out


def setups_table(lines, cols, budgets):
    """One small table of what each column sets: the budget per run, then each group of
    lines whose setups (Row.setup) differ between the columns, stated once."""
    keys = [c for c, _ in cols]
    rows, seen = [], {}
    steps = {c: sorted({b for (_, col), b in budgets.items() if col == c and b}) for c in keys}
    rows.append("| steps per run | " + " | ".join(", ".join(f"{s:,}" for s in steps[c]) or "—" for c in keys) + " |")
    for line in lines:
        setups = tuple(", ".join(sorted({r.setup for r in line.rows(c) if r.setup})) or "—" for c in keys)
        if len({s for s in setups if s != "—"}) < 2:
            continue
        seen.setdefault(setups, []).append(line.short.split(":")[0])
    for setups, names in seen.items():
        rows.append(f"| {md(', '.join(dict.fromkeys(names)))} | " + " | ".join(md(s) for s in setups) + " |")
    return ["| what each column sets | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"] + rows


# --- The page ---------------------------------------------------------------------------------

def table(lines, cols, present, registered, notes, numbers):
    keys = [c for c, _ in cols]
    out = ["| claim | " + " | ".join(keys) + " | deciding statistic | |", "|---" * (len(keys) + 3) + "|"]
    for line in lines:
        col = answer_column(line, cols, present, registered) or keys[0]
        mark = f" (note {numbers[line.short]})" if line.short in numbers else ""
        out.append(f"| {md(clip(line.short, CLAIM_CHARS, ' '))} | "
                   + " | ".join(md(cell(line, c, present, registered)) for c in keys)
                   + f" | {md(statistic(line, col))} | [details](#{slug(line.short)}){mark} |")
    return out


def first_page(claims, cols, present, budgets, registered=None):
    """The opening sentences, the paper's claims in one table, the notes and the setups;
    then this project's own questions in a table of their own, further down. registered:
    {column: figures it runs} for columns that run only some figures. Returns (Markdown
    lines, [Line]) — the Lines give the details' order and anchors."""
    registered = registered or {}
    lines = lines_of(claims)
    paper = [ln for ln in lines if not ln.beyond]
    beyond = [ln for ln in lines if ln.beyond]
    notes = difference_notes(lines, cols, present, registered)
    numbers = {short: k + 1 for k, short in enumerate(notes)}
    page = [" ".join(opening(lines, cols, present, registered)), ""]
    page += table(paper, cols, present, registered, notes, numbers) + [""]
    page += ["Each column's verdict on the claim ('—': the column does not run or judge it); the "
             "statistic that decided the answer, from the confirmatory column where it has a verdict, "
             "else the exploratory. The details follow the rules below.", ""]
    if notes:
        page += ["**Notes.**", ""] + [f"{numbers[s]}. {md(n)}" for s, n in notes.items()] + [""]
    page += setups_table(lines, cols, budgets) + [""]
    if beyond:
        page += ["## Beyond the paper (this project's own questions and controls)", ""]
        page += table(beyond, cols, present, registered, notes, numbers) + [""]
    return page, lines
