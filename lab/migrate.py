"""Bring results files written by an older version up to today's names, once.

    python -m lab.migrate figures/paper/*.jsonl

Older versions named the learning rates lr_enc / lr_dec; the book names them as the
paper writes them, eta_enc / eta_dec (η). A line's key hashes its configs' fields, so
renaming a field changes the key: each line gets its fields renamed and its key
recomputed (lab.results.chunk_key), everything else kept as it was, runs and CPU
seconds included. A line already in today's names is left alone, so running it twice
changes nothing. The file is replaced atomically; a line that does not parse is kept
as it is (the runner reports it and retrains its ensemble). The runner reads a line in
the older names as it is (lab.results renames its fields in memory and says so once per
file); this makes the file itself say today's names.
"""
import json
import os
import sys

import geneft as g
from lab.results import chunk_key, in_todays_names, parse_json


def migrate_line(line):
    """One results line in today's names (the same text if nothing needed renaming, or if
    the line cannot be read: the runner reports that one)."""
    try:
        rec = parse_json(line)
        configs = [in_todays_names(c) for c in rec["configs"]]
        if configs == rec["configs"]:
            return line
        key = chunk_key([g.Config(**c) for c in configs])
    except (ValueError, TypeError, KeyError):
        return line
    rec["configs"], rec["key"] = configs, key
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
