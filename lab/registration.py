"""What the report says of the preregistration (figures/paper/PREREGISTRATION.md).

It names the commit that registered the confirmation's rules (the first commit of the
preregistration, from git), checks that every commit holding confirmation data descends
from it, and compares the rule files' sha256 with the registered ones (lab.confirm). If
a rule file changed after registration, the confirmatory verdicts under the registered
rules (the files as committed then, read back from git) stay on the page beside the
current ones, labelled as such.
"""
import os
import subprocess
import sys
import types

PREREG = os.path.join("figures", "paper", "PREREGISTRATION.md")
CONFIRM_DIR = os.path.join("figures", "paper", "confirm")


def git(root, *args):
    """stdout of a git command in root, or None where git or the history is unavailable."""
    try:
        out = subprocess.run(["git", "-C", root, *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


def registering_commit(root):
    """(short hash, subject) of the first commit of the preregistration, or None."""
    log = git(root, "log", "--reverse", "--format=%h%x09%s", "--", PREREG)
    if not log:
        return None
    first = log.splitlines()[0].split("\t", 1)
    return first[0], first[1] if len(first) > 1 else ""


def data_commits_descend(root, commit):
    """(commits touching the confirmation's results files, figures/paper/confirm/*.jsonl,
    how many of them descend from commit). The figures drawn from them are not data."""
    log = git(root, "log", "--format=%h", "--", os.path.join(CONFIRM_DIR, "*.jsonl")) or ""
    commits = log.split()
    after = sum(git(root, "merge-base", "--is-ancestor", commit, c) is not None for c in commits)
    return len(commits), after


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
    """'Fig. 7: holds (p = …)' lines under the rules as registered at commit, for the
    confirmation data present (fig7.json, goldilocks.json in figures/paper/confirm/)."""
    from lab import report
    module = registered_module(root, commit)
    if module is None:
        return ["the registered rules could not be read back from git, so the verdicts under them "
                "are not shown: run `git show " + commit + ":lab/confirm.py`"]
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


def status_lines(root):
    """The report's sentences on the preregistration: which commit registered what, whether
    the data came after it, whether the rule files are still the registered ones."""
    from lab import confirm
    if not os.path.exists(os.path.join(root, PREREG)):
        return ["No preregistration is committed: every verdict is exploratory."]
    first = registering_commit(root)
    where = (f"commit {first[0]} (\u201c{first[1]}\u201d)" if first else
             "the first commit of figures/paper/PREREGISTRATION.md (git log --reverse)")
    lines = [f"**Preregistration.** The confirmatory column's rules (`lab/rules.py`, `lab/confirm.py`: "
             f"the exact sign-flip test, the zones and ends fixed from the exploratory data, the fresh "
             f"seeds) were registered in {where}, with figures/paper/PREREGISTRATION.md, before any "
             "confirmation run existed."]
    if first:
        total, after = data_commits_descend(root, first[0])
        lines.append(f"Commits holding confirmation data (its results files, *.jsonl): {total}, of which "
                     f"{after} descend from the registering commit." if total else
                     "No confirmation data are committed yet.")
    changed = confirm.rule_files_changed(root)
    if changed == {}:
        lines.append("The rule files are byte for byte the registered ones (sha256 compared).")
    elif changed:
        lines.append("Changed since registration (sha256 differs): " + ", ".join(f"`{n}`" for n in changed)
                     + ". The confirmatory column shows the current rules' verdicts; under the rules as "
                     "registered: " + "; ".join(registered_verdicts(root, first[0]) if first else
                                                ["(no registering commit found)"]) + ".")
    return [" ".join(lines)]
