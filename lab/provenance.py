"""Which code trained a results line, and when.

Every ensemble the runner trains is recorded with its provenance (lab/results.py):

    "trained_by": {"commit": "<git HEAD>", "dirty": false, "code": "<sha256>"},
    "utc": "2026-01-01T12:00:00Z"

- commit: the checkout's git HEAD when the run started (null outside a git checkout);
- dirty: whether the files that train (TRAINING_FILES) differed from that commit (null
  without git), so a line trained by uncommitted code says so;
- code: the sha256 of the files that train, as they were read when the run started, which
  identifies the code without git (a copied folder, a cluster's upload);
- utc: when the line was written.
Lines written before provenance was kept have none and read "provenance not recorded".
A preregistration checks its data with `registered_lines`: every line trained by a
commit that descends from the registering one, not dirty, with the rule files byte for
byte the registered ones at that commit.
"""
import datetime
import functools
import hashlib
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The files whose code turns a config into a run: the book, the ensemble trainer and its
# fast step, and the presets that build the configs.
TRAINING_FILES = ("geneft.py", "statics.py", "repons.py", "lab/ensemble.py", "lab/fastpath.py",
                  "lab/presets.py")
NOT_RECORDED = "provenance not recorded"


def git(root, *args):
    """stdout of a git command in root, or None where git or the history is unavailable."""
    try:
        out = subprocess.run(["git", "-C", root, *args], capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.decode("utf-8", "replace") if out.returncode == 0 else None


def code_hash(read):
    """sha256 over the files that train, each as 'path NUL content NUL'; read(path) gives
    a file's bytes (from the working tree, or from a commit)."""
    h = hashlib.sha256()
    for name in TRAINING_FILES:
        h.update(name.encode() + b"\0" + read(name) + b"\0")
    return h.hexdigest()


def _read_file(root, name):
    with open(os.path.join(root, name), "rb") as f:
        return f.read()


def _read_at(root, commit, name):
    """A file's bytes at a commit, or None."""
    try:
        out = subprocess.run(["git", "-C", root, "show", f"{commit}:{name}"], capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


@functools.lru_cache(maxsize=None)
def trained_by(root=ROOT):
    """This process's provenance, read once (the code a running process trains with is the
    code it loaded): {'commit', 'dirty', 'code'}."""
    head = git(root, "rev-parse", "HEAD")
    commit = head.strip() if head else None
    dirty = None
    if commit:
        status = git(root, "status", "--porcelain", "--", *TRAINING_FILES)
        dirty = None if status is None else bool(status.strip())
    return {"commit": commit, "dirty": dirty, "code": code_hash(lambda n: _read_file(root, n))}


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def stamp():
    """What a new results line records of its provenance."""
    return {"trained_by": trained_by(), "utc": utc_now()}


def is_stamp(rec):
    """Does a results line's record hold a well-formed provenance?"""
    t = rec.get("trained_by")
    return (isinstance(t, dict) and isinstance(t.get("code"), str) and len(t["code"]) == 64
            and (t.get("commit") is None or isinstance(t["commit"], str))
            and t.get("dirty") in (None, True, False) and isinstance(rec.get("utc"), str))


# --- Checking a preregistration's data ------------------------------------------------------

def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


@functools.lru_cache(maxsize=None)
def _commit_matches(root, commit, registering, rule_hashes):
    """'' when commit descends from registering (or is it) and holds the rule files with the
    registered sha256 (rule_hashes: ((file, sha256), ...)); else why not."""
    if git(root, "cat-file", "-e", f"{commit}^{{commit}}") is None:
        return f"its commit {commit[:7]} is not in this repository's history"
    if git(root, "merge-base", "--is-ancestor", registering, commit) is None:
        return f"its commit {commit[:7]} does not descend from the registering commit {registering[:7]}"
    for name, digest in rule_hashes:
        data = _read_at(root, commit, name)
        if data is None or sha256_bytes(data) != digest:
            return f"{name} at its commit {commit[:7]} is not the registered file"
    return ""


@functools.lru_cache(maxsize=None)
def code_at(root, commit):
    """The code hash of the files that train as committed at commit, or None."""
    files = {n: _read_at(root, commit, n) for n in TRAINING_FILES}
    return None if None in files.values() else code_hash(files.__getitem__)


def line_problem(root, rec, registering, rule_hashes):
    """Why one results line was not trained by the registered code ('' when it was):
    no provenance, an unknown or non-descendant commit, uncommitted changes to the files
    that train, rule files that differ from the registered ones, or a code hash that is not
    the commit's."""
    if not is_stamp(rec):
        return NOT_RECORDED
    t = rec["trained_by"]
    if not t["commit"]:
        return "trained outside a git checkout (no commit recorded)"
    if t["dirty"] is not False:
        return "trained with uncommitted changes to the files that train"
    why = _commit_matches(root, t["commit"], registering, tuple(sorted(rule_hashes.items())))
    if why:
        return why
    if code_at(root, t["commit"]) != t["code"]:
        return f"its code hash is not that of commit {t['commit'][:7]}"
    return ""


def registered_lines(root, records, registering, rule_hashes):
    """Check a confirmation's results lines (records: [(line number, parsed record)]).
    Returns (lines that match, [(line number, why not), ...])."""
    good, bad = 0, []
    for number, rec in records:
        why = line_problem(root, rec, registering, rule_hashes)
        if why:
            bad.append((number, why))
        else:
            good += 1
    return good, bad
