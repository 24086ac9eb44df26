"""Bring results files written by an older version up to today's names, once.

    python -m lab.migrate figures/paper/*.jsonl

Older versions named the learning rates lr_enc / lr_dec; the book names them as the
paper writes them, eta_enc / eta_dec (η). A line's key hashes its configs' fields, so
renaming a field changes the key: each line gets its fields renamed and its key
recomputed (lab.results.chunk_key), everything else kept as it was, runs and CPU
seconds included. A line already in today's names is left alone, so running it twice
changes nothing. The file is replaced atomically; a line that does not parse is kept
as it is (the runner reports it and retrains its ensemble).
"""
import json
import os
import sys

import geneft as g
from lab.results import chunk_key

RENAMED = {"lr_enc": "eta_enc", "lr_dec": "eta_dec"}


def migrate_line(line):
    """One results line in today's names (the same text if nothing needed renaming)."""
    try:
        rec = json.loads(line)
        configs = rec["configs"]
    except (ValueError, TypeError, KeyError):
        return line
    if not any(old in c for c in configs for old in RENAMED):
        return line
    rec["configs"] = [{RENAMED.get(k, k): v for k, v in c.items()} for c in configs]
    rec["key"] = chunk_key([g.Config(**c) for c in rec["configs"]])
    return json.dumps(rec)


def migrate_file(path):
    """Rewrite path in today's names; returns the number of lines changed."""
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        lines = f.read().splitlines()
    new = [migrate_line(ln) if ln.strip() else ln for ln in lines]
    changed = sum(a != b for a, b in zip(lines, new))
    if changed:
        tmp = f"{path}.tmp{os.getpid()}"
        with open(tmp, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write("\n".join(new) + "\n")
        os.replace(tmp, path)
    return changed


def main(argv=None):
    paths = sys.argv[1:] if argv is None else argv
    if not paths:
        print("usage: python -m lab.migrate RESULTS.jsonl [...]", file=sys.stderr)
        return 2
    for path in paths:
        if not os.path.isfile(path):
            print(f"error: {path} is not a file: name a results file (figures/<preset>/<figure>.jsonl)",
                  file=sys.stderr)
            return 2
        print(f"{path}: {migrate_file(path)} lines renamed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
