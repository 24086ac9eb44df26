"""What a run leaves behind: its summary, the local cache and the committed results files.

A finished ensemble is stored twice: as one JSON file in the cache (.cache/<preset>/,
local, keyed by chunk_key) and, for presets that keep results in the repository, as one
line of figures/<preset>/<figure>.jsonl (ResultsFile). Both are read before anything is
computed, so an interrupted sweep resumes where it stopped.
"""
import dataclasses
import hashlib
import json
import os
import warnings
from dataclasses import dataclass

import numpy as np

import geneft as g


# --- The record of one run ------------------------------------------------------------

def _last(values):
    """Last recorded value of a metric (NaN marks steps after a run left its batch)."""
    v = values[~np.isnan(values)]
    return float(v[-1]) if v.size else None


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
        """Inverse of to_json; ValueError naming what is missing or unknown. Fields with a
        default (added later) may be missing from an older record."""
        fields = dataclasses.fields(cls)
        names = {f.name for f in fields}
        required = {f.name for f in fields if f.default is dataclasses.MISSING}
        if not isinstance(d, dict) or not required <= set(d) <= names:
            got = sorted(d) if isinstance(d, dict) else type(d).__name__
            raise ValueError(f"run summary {got} is not allowed: needs the keys {sorted(required)}"
                             f" and may have {sorted(names - required)}")
        if d["phase"] not in g.PHASES:
            raise ValueError(f"phase={d['phase']!r} is not allowed: use one of {g.PHASES}")
        return cls(**d)


# --- The cache: one file per finished ensemble ----------------------------------------

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
    """A field's value as the key hashes it: floats rounded to KEY_DIGITS digits."""
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
    blob = json.dumps([key_fields(c) for c in configs], sort_keys=True)
    return hashlib.sha1(blob.encode()).hexdigest()[:20]


def write_json(path, obj):
    """Write atomically: a crash leaves the old file or the new one, never half."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(obj, f)
    os.replace(tmp, path)


def read_cached(path, n_runs):
    """The summaries cached at path, or None (absent, or unreadable: warned, recomputed)."""
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            records = json.load(f)
        if not isinstance(records, list) or len(records) != n_runs:
            raise ValueError(f"holds {len(records) if isinstance(records, list) else 'no list of'} "
                             f"runs, expected {n_runs}")
        return [RunSummary.from_json(r) for r in records]
    except (OSError, ValueError) as err:
        warnings.warn(f"cache file {path} is unreadable ({err}); recomputing it")
        return None


# --- Results that accumulate in the repository ----------------------------------------

class ResultsFile:
    """Finished ensembles appended to a committed JSON-lines file, one ensemble a line:

        {"key": chunk_key, "configs": [Config fields, ...], "runs": [RunSummary, ...]}

    A rerun on any machine reads it first and computes only what is missing. The key is
    recomputed from the stored configs (a Config field added later takes its default),
    so a line written before a new field existed still matches. Every run is also found
    on its own (`get_runs`): how a sweep is cut into ensembles depends on the number of
    workers, and a rerun on another machine may cut it differently; each member trains
    from its own seed (geneft.member_rng) whatever ensemble it shares. A line that fails
    to parse is reported and its ensemble recomputed, never silently used; a line cut by
    a kill is such a line, and the next append starts on a fresh line after it.
    """

    def __init__(self, path):
        self.path, self.found, self.by_run, self.bad_lines = path, {}, {}, 0
        self.cpu_seconds = {}           # ensemble key -> CPU seconds of its training, or None
        if os.path.exists(path):
            with open(path) as f:
                for number, line in enumerate(f, 1):
                    if line.strip():
                        self._read_line(number, line)

    def _read_line(self, number, line):
        try:
            rec = json.loads(line)
            configs = [g.validate(g.Config(**c)) for c in rec["configs"]]
            runs = [RunSummary.from_json(r) for r in rec["runs"]]
            if len(runs) != len(configs):
                raise ValueError(f"{len(runs)} runs for {len(configs)} configs")
        except (ValueError, TypeError, KeyError) as err:
            self.bad_lines += 1
            warnings.warn(f"{self.path} line {number} is unreadable ({type(err).__name__}: {err}); "
                          "its ensemble will be recomputed")
            return
        self._add(chunk_key(configs), configs, runs, rec.get("cpu_seconds"))

    def _add(self, key, configs, runs, cpu_seconds):
        if key not in self.found:
            self.cpu_seconds[key] = cpu_seconds
        self.found[key] = list(runs)
        for c, r in zip(configs, runs):
            self.by_run[chunk_key([c])] = r

    def get(self, key):
        return self.found.get(key)

    def get_runs(self, configs):
        """The stored summary of every config, whatever ensembles they trained in, or None."""
        runs = [self.by_run.get(chunk_key([c])) for c in configs]
        return None if any(r is None for r in runs) else runs

    def append(self, key, configs, runs, cpu_seconds=None):
        """Add one finished ensemble: one line, flushed and synced before returning, with
        the CPU seconds its training took when known (absent for one found in a cache)."""
        rec = {"key": key, "configs": [dataclasses.asdict(c) for c in configs],
               "runs": [r.to_json() for r in runs]}
        if cpu_seconds is not None:
            rec["cpu_seconds"] = round(cpu_seconds, 3)
        line = json.dumps(rec)
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        with open(self.path, "a+b") as f:
            f.seek(0, os.SEEK_END)
            if f.tell() > 0:
                f.seek(-1, os.SEEK_END)
                if f.read(1) != b"\n":      # a line cut by a kill: start after it
                    f.write(b"\n")
            f.write(line.encode() + b"\n")
            f.flush()
            os.fsync(f.fileno())
        self._add(key, configs, runs, rec.get("cpu_seconds"))

    def cost(self):
        """(CPU seconds of the timed ensembles, ensembles without a time: those written
        before times were kept, or found in a local cache)."""
        times = list(self.cpu_seconds.values())
        return sum(t for t in times if t is not None), sum(t is None for t in times)
