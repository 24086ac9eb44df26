"""What a run leaves behind: its summary, the local cache and the committed results files.

A finished ensemble is stored twice: in the cache (.cache/<preset>/, local: one JSON file
per ensemble, keyed by chunk_key, and one per run, so a sweep cut into other ensembles
still finds it) and, for presets that keep results in the repository, as one line of
figures/<preset>/<figure>.jsonl (ResultsFile). Both are read before anything is computed,
so an interrupted sweep resumes where it stopped. Every write is atomic or undone when it
fails (StorageError names the file and the cause), and one run at a time works in a
folder (FolderLock).
"""
import dataclasses
import errno
import hashlib
import json
import math
import os
import re
import socket
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np

import geneft as g

try:
    import fcntl
except ImportError:                 # not POSIX: FolderLock then locks nothing
    fcntl = None


# --- Faults of the disk ---------------------------------------------------------------

class StorageError(OSError):
    """A file of the run cannot be read or written (disk full, file too large, no
    permission): one line naming the file and the cause. An OSError, so code that already
    handles OSError still does."""

    def __init__(self, action, path, err):
        cause = getattr(err, "strerror", None) or str(err) or type(err).__name__
        super().__init__(getattr(err, "errno", None), cause, path)
        self.message = f"cannot {action} {path} ({cause})"

    def __str__(self):
        return self.message


def remove_quietly(path):
    """Remove a temporary file if it is there (a failed write must leave no debris)."""
    try:
        os.remove(path)
    except OSError:
        pass


def _json_default(value):
    """What json cannot write by itself: NumPy scalars and arrays (a Config built from
    np.arange holds np.int64 seeds), written as the Python numbers they equal."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def parse_json(text):
    """json.loads, with JSON nested too deeply for the parser (a file of 100,000 `[`)
    refused as a ValueError like any other bad JSON, not a RecursionError."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply to read") from None


def to_json_text(obj):
    """obj as JSON text, NumPy scalars included (_json_default)."""
    return json.dumps(obj, default=_json_default)


def write_bytes_atomically(path, data, sync=False):
    """Write atomically: a crash leaves the old file or the new one, never half, and a
    failure (disk full, file too large) leaves the old file and no temporary file; then
    StorageError. sync: on disk (fsync) before the rename, for files that are a record."""
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            if sync:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as err:
        remove_quietly(tmp)
        raise StorageError("write", path, err) from None
    except BaseException:
        remove_quietly(tmp)
        raise


def write_json(path, obj):
    """Write obj as JSON atomically (write_bytes_atomically; NumPy scalars allowed)."""
    write_bytes_atomically(path, to_json_text(obj).encode())


# --- The record of one run ------------------------------------------------------------

def _last(values):
    """Last recorded value of a metric (NaN marks steps after a run left its batch)."""
    v = values[~np.isnan(values)]
    return float(v[-1]) if v.size else None


def _is_count(v):
    """A whole number >= 0 as JSON gives it (not a bool, not a float)."""
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _is_number(v):
    """A number as JSON gives it (an int or a float, not a bool)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_fraction(v):
    """A number from 0 to 1 (an accuracy; NaN is not one)."""
    return _is_number(v) and 0 <= v <= 1


def _is_matrix(v):
    """A list of lists of numbers (an embedding; empty for a run that recorded none)."""
    return isinstance(v, list) and all(isinstance(r, list) and all(_is_number(x) for x in r) for r in v)


# What each field of a stored RunSummary may hold, so a damaged record (a hand edit, a
# garbled line) is refused when read, not when a figure compares its values.
SUMMARY_FIELD_TYPES = {
    "step_train_90": (lambda v: v is None or _is_count(v), "a whole number >= 0 or null"),
    "step_test_90": (lambda v: v is None or _is_count(v), "a whole number >= 0 or null"),
    "diverged_at": (lambda v: v is None or _is_count(v), "a whole number >= 0 or null"),
    "stopped_at": (_is_count, "a whole number >= 0"),
    "train_acc": (lambda v: v is None or _is_fraction(v), "a number from 0 to 1 or null"),
    "test_acc": (lambda v: v is None or _is_fraction(v), "a number from 0 to 1 or null"),
    "all_acc": (lambda v: v is None or _is_fraction(v), "a number from 0 to 1 or null"),
    "final_E": (_is_matrix, "a list of rows of numbers"),
    "train_loss": (lambda v: v is None or _is_number(v), "a number or null"),
}


@dataclass(frozen=True)
class RunSummary:
    """What the figures need of one run (geneft.History without the per-step arrays)."""
    phase: str                   # Table IV phase (geneft.PHASES)
    step_train_90: int | None    # first evaluated step with train accuracy > 0.9
    step_test_90: int | None     # ... with test accuracy > 0.9
    diverged_at: int | None      # step whose loss was non-finite
    stopped_at: int              # last step trained
    train_acc: float | None      # last recorded accuracies
    test_acc: float | None
    all_acc: float | None        # over all n² pairs (Fig. 3)
    final_E: list                # (n, d) embedding when the run stopped, 6 decimals
    train_loss: float | None = None  # last recorded training loss (None in older records)

    @property
    def generalized(self):
        """Table IV generalization or grokking (geneft.GENERALIZED)."""
        return self.phase in g.GENERALIZED

    @classmethod
    def of_history(cls, h):
        return cls(phase=h.phase, step_train_90=h.step_train_90, step_test_90=h.step_test_90,
                   diverged_at=h.diverged_at, stopped_at=h.stopped_at,
                   train_acc=_last(h.train_acc), test_acc=_last(h.test_acc), all_acc=_last(h.all_acc),
                   final_E=np.asarray(h.final_E, dtype=float).round(6).tolist(),
                   train_loss=_last(h.train_loss))

    def to_json(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, d):
        """Inverse of to_json; ValueError naming what is missing, unknown or of the wrong
        type. Fields with a default (added later) may be missing from an older record."""
        fields = dataclasses.fields(cls)
        names = {f.name for f in fields}
        required = {f.name for f in fields if f.default is dataclasses.MISSING}
        if not isinstance(d, dict) or not required <= set(d) <= names:
            got = sorted(d) if isinstance(d, dict) else type(d).__name__
            raise ValueError(f"run summary {got} is not allowed: needs the keys {sorted(required)}"
                             f" and may have {sorted(names - required)}")
        if not isinstance(d["phase"], str) or d["phase"] not in g.PHASES:
            raise ValueError(f"phase={d['phase']!r} is not allowed: use one of {g.PHASES}")
        for name, (ok, allowed) in SUMMARY_FIELD_TYPES.items():
            if name in d and not ok(d[name]):
                raise ValueError(f"{name}={d[name]!r} is not allowed: needs {allowed}")
        return cls(**d)

    def check_budget(self, cfg):
        """self, or ValueError naming the first step that lies beyond the budget of the
        config it was recorded for (cfg.steps): such a record is not this run's."""
        for name in ("stopped_at", "step_train_90", "step_test_90", "diverged_at"):
            step = getattr(self, name)
            if step is not None and step > cfg.steps:
                raise ValueError(f"{name}={step} is not allowed: beyond the run's budget of "
                                 f"steps={cfg.steps}")
        return self


# --- Keys -----------------------------------------------------------------------------

# Config fields added after results were first stored, each with the value every earlier
# run had: a field enters the key only when it differs from that value, so the cache and
# the committed results files keep their keys when the model gains an option.
FIELDS_ADDED_LATER = {"init_scheme": "uniform"}


# Significant digits of a float field that enter the key. Grids come from np.logspace,
# whose last bit differs between machines (1e-05 on one, 9.999999999999999e-06 on
# another): keyed at full precision, results committed on one machine would be
# recomputed on the next. Twelve digits still tell apart any two
# settings a preset asks for.
KEY_DIGITS = 12


def key_value(value):
    """A field's value as the key hashes it: NumPy scalars as the Python numbers they
    equal (np.int64(1) keys as 1, np.float64(1e-3) as 1e-3), floats rounded to KEY_DIGITS
    digits."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return float(f"{value:.{KEY_DIGITS}g}")
    return value


def key_fields(cfg):
    """The fields of a config that its key hashes (see FIELDS_ADDED_LATER, KEY_DIGITS)."""
    fields = {name: key_value(v) for name, v in dataclasses.asdict(cfg).items()}
    for name, earlier in FIELDS_ADDED_LATER.items():
        if fields.get(name) == earlier:
            del fields[name]
    return fields


def chunk_key(configs):
    """The cache key of an ensemble: a hash of every field of every config, in order."""
    blob = json.dumps([key_fields(c) for c in configs], sort_keys=True, default=_json_default)
    return hashlib.sha1(blob.encode()).hexdigest()[:20]


def run_key(cfg):
    """The key of one run: the key of the ensemble of that run alone."""
    return chunk_key([cfg])


# --- The cache: one file per finished ensemble and one per run ------------------------

def _read_summaries(path, configs):
    """(summaries, None) from the cache file of these configs' runs, (None, None) if it is
    absent, (None, the reason) if it is unreadable (cut by a kill, damaged, of the wrong
    length, a step beyond a run's budget)."""
    if not os.path.exists(path):
        return None, None
    try:
        with open(path, encoding="utf-8") as f:
            records = parse_json(f.read())
        if not isinstance(records, list) or len(records) != len(configs):
            raise ValueError(f"holds {len(records) if isinstance(records, list) else 'no list of'} "
                             f"runs, expected {len(configs)}")
        return [RunSummary.from_json(r).check_budget(c) for r, c in zip(records, configs)], None
    except (OSError, ValueError) as err:
        return None, err


class Cache:
    """The local cache of one preset: <label>/<ensemble key>.json holds an ensemble's
    summaries, <label>/runs/<run key>.json each run's alone. A run's own file is what a
    lookup trusts first: how a sweep is cut into ensembles depends on the number of
    workers, and a run recomputed with --force in another cut rewrites its own file but
    not the ensemble files of earlier cuts. An ensemble file fills in the runs without a
    readable file of their own (caches written before runs had one), which then get one."""

    def __init__(self, folder):
        self.folder = folder

    def ensemble_path(self, label, configs):
        return os.path.join(self.folder, label, chunk_key(configs) + ".json")

    def run_path(self, label, cfg):
        return os.path.join(self.folder, label, "runs", run_key(cfg) + ".json")

    def get_runs(self, label, configs):
        """Each config's cached summary, None where there is none; an unreadable file is
        warned about, saying whether its runs have another copy or are recomputed."""
        paths = [self.run_path(label, c) for c in configs]
        own = [_read_summaries(p, [c]) for p, c in zip(paths, configs)]
        runs = [r[0] if r else None for r, _ in own]
        problems = [(p, err, [j]) for j, (p, (_, err)) in enumerate(zip(paths, own)) if err is not None]
        holes = [j for j, r in enumerate(runs) if r is None]
        path = self.ensemble_path(label, configs)
        whole, err = _read_summaries(path, configs)
        if err is not None:
            problems.append((path, err, range(len(configs))))
        if whole is not None:
            for j in holes:
                runs[j] = whole[j]
        self._repair(label, configs, runs, holes if whole is not None else [], err is not None)
        for path, err, affected in problems:
            then = ("recomputing it" if any(runs[j] is None for j in affected)
                    else "its runs are read from their other copy in the cache")
            warnings.warn(f"cache file {path} is unreadable ({err}); {then}")
        return runs

    def _repair(self, label, configs, runs, from_ensemble, ensemble_damaged):
        """Rewrite what a lookup found missing or damaged from the copy it used: the runs'
        own files filled from the ensemble file, a damaged ensemble file from the runs'
        own files. Only a shortcut for later lookups: a cache that cannot be written is
        still read."""
        try:
            self.put_runs(label, [configs[j] for j in from_ensemble], [runs[j] for j in from_ensemble])
            if ensemble_damaged and all(r is not None for r in runs):
                write_json(self.ensemble_path(label, configs), [r.to_json() for r in runs])
        except StorageError:
            pass

    def put_runs(self, label, configs, summaries):
        """Each run in a file of its own (atomically)."""
        for c, s in zip(configs, summaries):
            write_json(self.run_path(label, c), [s.to_json()])

    def put(self, label, configs, summaries):
        """A finished ensemble: each run's file, then the ensemble's (read by earlier
        versions of this code, and by this one for the runs whose own file is lost)."""
        self.put_runs(label, configs, summaries)
        write_json(self.ensemble_path(label, configs), [s.to_json() for s in summaries])


# --- Results that accumulate in the repository ----------------------------------------

# Config fields an older version named otherwise (today's names are the paper's): a
# results line written with them is read in today's names, and `python -m lab.migrate`
# rewrites a file so once.
OLDER_FIELD_NAMES = {"lr_enc": "eta_enc", "lr_dec": "eta_dec"}
PROVENANCE_FIELDS = ("trained_by", "utc")     # what a line records of its training (lab/provenance.py)

# What git writes around the two sides of a merge conflict ("<<<<<<< HEAD", "=======",
# ">>>>>>> branch", and "||||||| base" in diff3 style).
CONFLICT_MARKER = re.compile(rb"(<{7}|={7}|>{7}|\|{7})(\s.*)?")


def in_todays_names(fields):
    """A stored config's fields with the older names (OLDER_FIELD_NAMES) renamed; anything
    that is not a dict is returned as it is (Config refuses it). ValueError for a config
    holding a field under both names."""
    if not isinstance(fields, dict):
        return fields
    both = [old for old, new in OLDER_FIELD_NAMES.items() if old in fields and new in fields]
    if both:
        raise ValueError(f"a config holds both {both[0]} and {OLDER_FIELD_NAMES[both[0]]}")
    return {OLDER_FIELD_NAMES.get(k, k): v for k, v in fields.items()}


@dataclass
class _Line:
    """One line of a results file as read: its bytes, and what it holds when readable."""
    raw: bytes
    configs: list | None = None
    runs: list | None = None
    cpu_seconds: float | None = None
    extra: dict | None = None      # the line's provenance (lab/provenance.py), as written


class ResultsFile:
    """Finished ensembles appended to a committed JSON-lines file, one ensemble a line:

        {"key": chunk_key, "configs": [Config fields, ...], "runs": [RunSummary, ...]}

    A rerun on any machine reads it first and computes only what is missing. The key is
    recomputed from the stored configs (a Config field added later takes its default),
    so a line written before a new field existed still matches. Every run is also found
    on its own (`get_runs`): how a sweep is cut into ensembles depends on the number of
    workers, and a rerun on another machine may cut it differently; each member trains
    from its own seed (geneft.member_rng) whatever ensemble it shares. A line that cannot
    be read (cut by a kill, bad JSON, bytes that are not UTF-8, fields of the wrong type)
    is reported and its ensemble recomputed, never silently used, and kept as it is; the
    next append starts on a fresh line after it. A line in an older version's field names
    (OLDER_FIELD_NAMES) is read in today's, and the conflict markers a git merge leaves
    are skipped, each said once per file. A recomputed run (--force) replaces what the
    file held about it (`replace`): the file never holds two truths about one run.
    """

    def __init__(self, path):
        self.path, self.bad_lines, self.lines = path, 0, []
        markers, older = [], 0
        for number, raw in enumerate(self._read_bytes().split(b"\n"), 1):
            if not raw.strip():
                continue
            if CONFLICT_MARKER.fullmatch(raw.rstrip()):
                markers.append(number)          # kept as they are, like an unreadable line
                self.lines.append(_Line(raw))
                continue
            line, was_older = self._read_line(number, raw)
            self.lines.append(line)
            older += was_older
        self._index()
        if markers:
            warnings.warn(f"{self.path} lines {', '.join(map(str, markers))} are git conflict "
                          "markers (a merge of two versions of the file left them): they are "
                          "skipped, and the lines on both sides of them read like any other; "
                          "delete the marker lines to tidy the file")
        if older:
            warnings.warn(f"{self.path}: {older} line(s) name the learning rates "
                          f"{'/'.join(OLDER_FIELD_NAMES)} as an older version did: read as "
                          f"{'/'.join(OLDER_FIELD_NAMES.values())}, nothing of them is retrained; "
                          f"`python -m lab.migrate {self.path}` rewrites the file in today's names")

    def _read_bytes(self):
        try:
            with open(self.path, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return b""
        except OSError as err:
            raise StorageError("read", self.path, err) from None

    def _read_line(self, number, raw):
        """(the _Line, whether its configs used an older version's field names)."""
        try:
            rec = parse_json(raw.decode("utf-8"))
            if not isinstance(rec, dict):
                raise ValueError(f"holds a {type(rec).__name__}, not an ensemble")
            fields = [in_todays_names(c) for c in rec["configs"]]
            configs = [g.validate(g.Config(**c)) for c in fields]
            if not isinstance(rec["runs"], list) or len(rec["runs"]) != len(configs):
                raise ValueError(f"{len(rec['runs']) if isinstance(rec['runs'], list) else 'no list of'} "
                                 f"runs for {len(configs)} configs")
            runs = [RunSummary.from_json(r).check_budget(c) for r, c in zip(rec["runs"], configs)]
            cpu = rec.get("cpu_seconds")
            if cpu is not None and not (_is_number(cpu) and math.isfinite(cpu) and cpu >= 0):
                raise ValueError(f"cpu_seconds={cpu!r} is not allowed: needs a number >= 0")
        except (ValueError, TypeError, KeyError) as err:
            self.bad_lines += 1
            warnings.warn(f"{self.path} line {number} is unreadable ({type(err).__name__}: {err}); "
                          "its ensemble will be recomputed")
            return _Line(raw), False
        extra = {k: rec[k] for k in PROVENANCE_FIELDS if k in rec}
        return _Line(raw, configs, runs, cpu, extra), fields != rec["configs"]

    def _index(self):
        """found (ensemble key -> runs), by_run (run key -> run) and cpu_seconds (ensemble
        key -> CPU seconds, or None) from the readable lines, a later line winning."""
        self.found, self.by_run, self.cpu_seconds = {}, {}, {}
        for line in self.lines:
            self._add_to_index(line)

    def _add_to_index(self, line):
        if line.configs is None:
            return
        key = chunk_key(line.configs)
        if key not in self.found:
            self.cpu_seconds[key] = line.cpu_seconds
        self.found[key] = list(line.runs)
        for c, r in zip(line.configs, line.runs):
            self.by_run[run_key(c)] = r

    def get(self, key):
        return self.found.get(key)

    def get_runs(self, configs):
        """The stored summary of every config, whatever ensembles they trained in, or None."""
        runs = [self.by_run.get(run_key(c)) for c in configs]
        return None if any(r is None for r in runs) else runs

    @staticmethod
    def _encode(configs, runs, cpu_seconds, key=None, extra=None):
        rec = {"key": key or chunk_key(configs), "configs": [dataclasses.asdict(c) for c in configs],
               "runs": [r.to_json() for r in runs]}
        if cpu_seconds is not None:
            rec["cpu_seconds"] = round(float(cpu_seconds), 3)
        rec.update(extra or {})
        return to_json_text(rec).encode()

    def append(self, key, configs, runs, cpu_seconds=None, extra=None):
        """Add one finished ensemble: one line, flushed and synced before returning, with
        the CPU seconds its training took when known (absent for one found in a cache) and
        its provenance (extra: which code trained it, when; lab/provenance.py).
        A write that fails (disk full, file too large) is undone, the file cut back to its
        old length, so no half line is left: StorageError."""
        data = self._encode(configs, runs, cpu_seconds, key, extra)
        try:
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as err:
            raise StorageError("write", self.path, err) from None
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":   # a line cut by a kill: start after it
                data = b"\n" + data
            try:
                _write_all(fd, data + b"\n")
                os.fsync(fd)
            except OSError:
                os.ftruncate(fd, size)
                raise
        except OSError as err:
            raise StorageError("write", self.path, err) from None
        finally:
            os.close(fd)
        line = _Line(data.lstrip(b"\n"), list(configs), list(runs),
                     None if cpu_seconds is None else round(float(cpu_seconds), 3), extra)
        self.lines.append(line)
        self._add_to_index(line)

    def replace(self, configs, runs, cpu_seconds=None, extra=None):
        """Record a recomputed ensemble (--force) as the only truth about its runs: the
        file is rewritten atomically (temp file, fsync, os.replace) without what it held
        about them, and with the new line at the end. A line all of whose runs were
        recomputed goes; a line holding others too keeps those (with its CPU seconds
        scaled to the share it keeps); an unreadable line is kept as it is."""
        new = {run_key(c) for c in configs}
        kept = []
        for line in self.lines:
            if line.configs is None:
                kept.append(line)
                continue
            keep = [j for j, c in enumerate(line.configs) if run_key(c) not in new]
            if len(keep) == len(line.configs):
                kept.append(line)
            elif keep:
                cfgs, rs = [line.configs[j] for j in keep], [line.runs[j] for j in keep]
                cpu = (None if line.cpu_seconds is None
                       else round(line.cpu_seconds * len(keep) / len(line.configs), 3))
                kept.append(_Line(self._encode(cfgs, rs, cpu, extra=line.extra), cfgs, rs, cpu, line.extra))
        line = _Line(self._encode(configs, runs, cpu_seconds, extra=extra), list(configs), list(runs),
                     None if cpu_seconds is None else round(float(cpu_seconds), 3), extra)
        kept.append(line)
        write_bytes_atomically(self.path, b"".join(ln.raw + b"\n" for ln in kept), sync=True)
        self.lines = kept
        self._index()

    def cost(self):
        """(CPU seconds of the timed ensembles, ensembles without a time: those written
        before times were kept, or found in a local cache)."""
        times = list(self.cpu_seconds.values())
        return sum(t for t in times if t is not None), sum(t is None for t in times)


def _write_all(fd, data):
    """os.write until every byte is written (a write may stop short, e.g. at a size limit)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


# --- One run at a time in a folder ----------------------------------------------------

class FolderLock:
    """Hold a folder for one run at a time: a second run on the same folder waits, saying
    once for whom, and then finds everything the first one finished (never do both train
    the same runs, nor write every results line twice).

    The lock is <folder>/.lock, holding the holder's PID and host, locked with flock: the
    kernel releases it when its holder ends in any way, kill -9 included, so a lock file
    left by a dead run is free (a stale lock is never waited for). Re-entrant within a
    process. Where flock is unavailable (not POSIX, some network filesystems) nothing is
    locked and a note says so.
    """
    _held = {}                     # absolute folder -> [FolderLock, depth] in this process
    POLL_SECONDS = 0.5

    def __init__(self, folder):
        self.folder = os.path.abspath(folder)
        self.path, self.fd = os.path.join(self.folder, ".lock"), None

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()

    def acquire(self):
        held = FolderLock._held.get(self.folder)
        if held is not None:
            held[1] += 1
            return
        self.fd = self._lock() if fcntl is not None else None
        FolderLock._held[self.folder] = [self, 1]

    def _lock(self):
        """The locked file's descriptor, waiting while another run holds it."""
        waiting = False
        while True:
            try:
                os.makedirs(self.folder, exist_ok=True)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as err:
                raise StorageError("write", self.path, err) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 200, 0).decode("utf-8", "replace").split()
                os.close(fd)
                if not waiting:
                    who = f"PID {holder[0]} on {holder[1]}" if len(holder) >= 2 else "another process"
                    print(f"waiting: another run ({who}) is working in {self.folder} (it holds "
                          f"{self.path}); this one goes on when it ends", file=sys.stderr, flush=True)
                    waiting = True
                time.sleep(self.POLL_SECONDS)
                continue
            except OSError as err:
                os.close(fd)
                if err.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
                    print(f"note: {self.folder} cannot be locked ({err.strerror}): do not start "
                          "a second run on it while this one works", file=sys.stderr)
                    return None
                raise StorageError("lock", self.path, err) from None
            if self._still_named(fd):
                break
            os.close(fd)          # its holder removed it while we waited: lock the new one
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {socket.gethostname()}\n".encode(), 0)
        except OSError:
            pass                  # the PID only makes the waiting line clearer
        return fd

    def _still_named(self, fd):
        """True if the path still names the file fd locks (a releasing holder unlinks it)."""
        try:
            return os.stat(self.path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            return False

    def release(self):
        held = FolderLock._held.get(self.folder)
        if held is None:
            return
        held[1] -= 1
        if held[1] > 0:
            return
        del FolderLock._held[self.folder]
        owner = held[0]
        if owner.fd is not None:
            remove_quietly(owner.path)      # unlinked while still locked: see _still_named
            os.close(owner.fd)
            owner.fd = None
