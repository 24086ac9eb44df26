"""What the report says of the preregistrations (figures/paper/PREREGISTRATION*.md).

For each registration: the commit that registered its rules (the first commit of its
document, from git), whether every commit holding its data descends from it, whether the
rule files are still the registered ones (sha256), and, line by line, whether each of its
results lines was trained by registered code (lab/provenance.py: lines written before
provenance was kept read "provenance not recorded"). If a rule file of the first
registration changed after registration, the confirmatory verdicts under the registered
rules (the files as committed then, read back from git) stay on the page beside the
current ones, labelled as such.
"""
import hashlib
import json
import os
import sys
import types
from typing import NamedTuple

from lab import provenance
from lab.provenance import git


class Registration(NamedTuple):
    name: str           # how the report names it
    doc: str            # its document, relative to the checkout
    data_dir: str       # its results files (*.jsonl)
    rule_files: tuple   # the files whose sha256 it registered


REGISTRATIONS = (
    Registration("the first preregistration", os.path.join("figures", "paper", "PREREGISTRATION.md"),
                 os.path.join("figures", "paper", "confirm"), ("lab/rules.py", "lab/confirm.py")),
    Registration("the second preregistration", os.path.join("figures", "paper", "PREREGISTRATION-2.md"),
                 os.path.join("figures", "paper", "confirm2"), ("lab/rules.py", "lab/exact.py", "lab/confirm2.py")),
)
PREREG, CONFIRM_DIR = REGISTRATIONS[0].doc, REGISTRATIONS[0].data_dir


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def registered_hashes(text, rule_files):
    """{file: sha256} from a document's lines '`lab/rules.py` sha256 `<64 hex>`'."""
    out = {}
    for line in text.splitlines():
        for name in rule_files:
            if f"`{name}`" in line and "sha256" in line:
                digest = line.rsplit("`", 2)[-2]
                if len(digest) == 64:
                    out[name] = digest
    return out


def read_hashes(root, reg):
    with open(os.path.join(root, reg.doc), encoding="utf-8") as f:
        return registered_hashes(f.read(), reg.rule_files)


def rule_files_changed(root, reg):
    """{file: (registered sha256, current sha256)} for each rule file that differs."""
    registered = read_hashes(root, reg)
    current = {n: sha256_of(os.path.join(root, n)) for n in reg.rule_files}
    return {n: (registered.get(n), current[n]) for n in reg.rule_files if registered.get(n) != current[n]}


def registering_commit(root, doc=PREREG):
    """(full hash, subject) of the first commit of a registration's document, or None."""
    log = git(root, "log", "--reverse", "--format=%H%x09%s", "--", doc)
    if not log:
        return None
    first = log.splitlines()[0].split("\t", 1)
    return first[0], first[1] if len(first) > 1 else ""


def data_commits_descend(root, commit, data_dir=CONFIRM_DIR):
    """(commits touching the registration's results files, <data_dir>/*.jsonl, how many of
    them descend from commit and are not it). The figures drawn from them are not data."""
    log = git(root, "log", "--format=%H", "--", os.path.join(data_dir, "*.jsonl")) or ""
    commits = log.split()
    after = sum(c != commit and git(root, "merge-base", "--is-ancestor", commit, c) is not None for c in commits)
    return len(commits), after


def results_records(root, data_dir):
    """[(file:line, parsed record)] of every readable line of a registration's results files."""
    out = []
    folder = os.path.join(root, data_dir)
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if not name.endswith(".jsonl"):
            continue
        with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as f:
            for number, raw in enumerate(f, 1):
                try:
                    rec = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(rec, dict) and "configs" in rec:
                    out.append((f"{name}:{number}", rec))
    return out


def line_check(root, reg, commit):
    """(lines trained by the registered code, [(file:line, why not)], lines in all)."""
    records = results_records(root, reg.data_dir)
    good, bad = provenance.registered_lines(root, records, commit, read_hashes(root, reg))
    return good, bad, len(records)


def line_check_text(good, bad, total):
    """One sentence on the lines' provenance; the lines that fail named (at most five)."""
    if not total:
        return "No results line yet."
    if not bad:
        return f"All {total} results lines record that the registered code trained them."
    unrecorded = sum(why == provenance.NOT_RECORDED for _, why in bad)
    if unrecorded == len(bad):
        return (f"{unrecorded} of {total} results lines were written before lines recorded the code that "
                f"trained them ({provenance.NOT_RECORDED})" + (f"; {good} record the registered code." if good else "."))
    named = "; ".join(f"{where}: {why}" for where, why in bad if why != provenance.NOT_RECORDED)
    return (f"{good} of {total} results lines record the registered code; not: {named[:200]}"
            + (f"; {unrecorded} without provenance." if unrecorded else "."))


def registered_module(root, commit):
    """lab.confirm as registered at commit, bound to lab.rules as registered then (both read
    back from git), or None where git cannot give them."""
    sources = {name: git(root, "show", f"{commit}:{name}") for name in ("lab/rules.py", "lab/confirm.py")}
    if None in sources.values():
        return None
    rules = types.ModuleType("registered_rules")
    exec(compile(sources["lab/rules.py"], f"{commit}:lab/rules.py", "exec"), rules.__dict__)
    confirm = types.ModuleType("registered_confirm")
    confirm.__dict__["__builtins__"] = __builtins__
    sys.modules["registered_rules"] = rules
    text = sources["lab/confirm.py"].replace("from lab import rules", "import registered_rules as rules")
    exec(compile(text, f"{commit}:lab/confirm.py", "exec"), confirm.__dict__)
    return confirm


def registered_verdicts(root, commit):
    """'Fig. 7: holds (p = …)' lines under the first registration's rules as registered at
    commit, for its confirmation data present (fig7.json, goldilocks.json)."""
    from lab import report
    module = registered_module(root, commit)
    if module is None:
        return ["the registered rules could not be read back from git, so the verdicts under them "
                "are not shown: run `git show " + commit[:7] + ":lab/confirm.py`"]
    out = []
    for name, judge in (("fig7", lambda d: [("Fig. 7", module.fig7_verdict(d))]),
                        ("goldilocks", lambda d: [(f"{rel}, w={w}", z) for rel, zs in
                                                  module.goldilocks_verdicts(d).items()
                                                  for w, z in zip(d["widths"], zs)])):
        try:
            data = report.load_figure_data(os.path.join(root, CONFIRM_DIR), name)
        except report.DataFileError as err:
            out.append(f"{name}: {err}")
            continue
        if data is not None:
            for what, z in judge(data):
                p = f" (p = {z['p']:.3g})" if z.get("p") is not None else ""
                out.append(f"{what}: {z['verdict']}{p} under the registered rules")
    return out


def status_of(root, reg):
    """The sentences on one registration, or [] when its document is not in the checkout."""
    if not os.path.exists(os.path.join(root, reg.doc)):
        return []
    first = registering_commit(root, reg.doc)
    where = (f"commit {first[0][:7]}" if first else
             f"the first commit of {reg.doc} (git log --reverse)")
    lines = [f"**{reg.name[0].upper()}{reg.name[1:]}** (`{reg.doc}`): its rules "
             f"({', '.join(f'`{n}`' for n in reg.rule_files)}) were registered in {where}, before its data."]
    if first:
        total, after = data_commits_descend(root, first[0], reg.data_dir)
        lines.append(f"Commits holding its data ({reg.data_dir}/*.jsonl): {total}, of which {after} descend "
                     "from the registering commit." if total else "No data of it are committed yet.")
        lines.append(line_check_text(*line_check(root, reg, first[0])))
    changed = rule_files_changed(root, reg)
    if not changed:
        lines.append("The rule files are byte for byte the registered ones (sha256 compared).")
    else:
        lines.append("Changed since registration (sha256 differs): " + ", ".join(f"`{n}`" for n in changed) + ".")
        if reg is REGISTRATIONS[0] and first:
            lines.append("Under the rules as registered: " + "; ".join(registered_verdicts(root, first[0])) + ".")
    return [" ".join(lines)]


def status_lines(root):
    """The report's sentences on every preregistration, one paragraph each."""
    out = [line for reg in REGISTRATIONS for line in status_of(root, reg)]
    return out or ["No preregistration is committed: every verdict is exploratory."]


def check_of_folder(root, folder):
    """After a run in a preregistration's data folder: one line saying whether each of its
    results lines records the registered code (none for any other folder)."""
    for reg in REGISTRATIONS:
        if os.path.abspath(os.path.join(root, reg.data_dir)) != os.path.abspath(folder):
            continue
        first = registering_commit(root, reg.doc)
        return [f"registration check ({reg.doc}): " + (line_check_text(*line_check(root, reg, first[0])) if first
                                                        else "its document was never committed")]
    return []
