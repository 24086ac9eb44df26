"""Running many training configs: ensembles, the runner, grids that add seeds where it matters.

    with Runner(jobs=2, cache_dir=".cache/quick") as runner:
        summaries = runner.run("fig5-mod3", configs)     # one RunSummary per config

Configs that share an architecture are cut into ensembles (lab.ensemble.train_ensemble
trains each as one vectorised computation); ensembles run on an executor (lab.executors),
and every finished ensemble is written to the results file when there is one and to the
cache, at once (lab.results), so an interrupted sweep resumes where it stopped.
"""
import dataclasses
import os
import time

import numpy as np

import geneft as g
from lab import provenance
from lab.ensemble import MEMBER_FIELDS
from lab.executors import make_executor
from lab.results import Cache, FolderLock, ResultsFile, chunk_key, run_key


def chunks(configs, size):
    """Group configs by shared architecture, then cut each group into ensembles of ≤ size.

    Returns lists of indices into configs.
    """
    groups = {}
    for i, c in enumerate(configs):
        key = tuple(getattr(c, f.name) for f in dataclasses.fields(c) if f.name not in MEMBER_FIELDS)
        groups.setdefault(key, []).append(i)
    return [idx[k:k + size] for idx in groups.values() for k in range(0, len(idx), size)]


# --- The runner -----------------------------------------------------------------------

class Progress:
    """Progress a person can follow: per call and over the whole invocation, finished/total
    runs, runs that left early because their phase was decided, elapsed time, and an ETA
    from the rate measured so far. Times are read off a monotonic clock: a change of the
    wall clock (a jump back of an hour, NTP) changes none of them.

    Over the invocation (overall=True) the total counts the runs of the sweeps submitted
    so far, each of which trains or is found recorded: it grows as sweeps come, since how
    many will come is not known in advance (an adaptive grid, Figs. 5 and 8, adds seeds
    only near a phase change), and never counts a run that will not run. `to_come` names
    what is still to come (the caller sets it, e.g. the figures not started yet)."""

    def __init__(self, overall=False):
        self.t0, self.overall, self.to_come = time.monotonic(), overall, ()
        self.submitted_all, self.done_all, self.computed_all = 0, 0, 0

    def line(self, label, done, total, early, t_label, computed):
        """Print one progress line of sweep `label`, started at t_label (time.monotonic)."""
        el = time.monotonic() - t_label
        parts = [f"  [{label}] {done}/{total} runs ({early} left early)", f"{_duration(el)} elapsed"]
        if computed:
            parts.append(f"ETA {_duration((total - done) * el / computed)}")
        elif done == total:
            parts.append("cached")
        text = ", ".join(parts)
        if self.overall:
            all_el = time.monotonic() - self.t0
            left = max(0, self.submitted_all - self.done_all)
            text += (f"; all: {self.done_all}/{self.submitted_all} runs so far"
                     + (f", ETA {_duration(left * all_el / self.computed_all)}"
                        if self.computed_all and left else "")
                     + (f"; to come: {', '.join(self.to_come)}" if self.to_come else ""))
        print(text, flush=True)


def _duration(seconds):
    seconds = int(round(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class ConfigError(ValueError):
    """A config of a sweep is not valid (geneft.validate): one line naming the sweep, the
    config and the field, raised before anything trains."""


class Runner:
    """Runs configs as ensembles on an executor, recording every finished ensemble at once.

    jobs: local worker processes (1: in this process); scheduler: a Dask scheduler
    address instead (see lab.cluster.DaskCluster; worker_timeout: seconds to wait for
    a worker there). Finished ensembles go to the results file when
    `results` is set (a ResultsFile: the committed record, written first) and to the
    cache in `cache_dir` (lab.results.Cache); both are read before anything is computed,
    run by run, so a sweep cut into other ensembles (another worker count) finds them.
    force: recompute every run and replace what was recorded about it. overall: each
    progress line also counts the runs of every call so far (Progress). One Runner at a
    time works in a cache folder (lab.results.FolderLock): a second waits for the first.
    """

    def __init__(self, jobs, cache_dir, force=False, chunk=16, scheduler=None, overall=False,
                 worker_timeout=None):
        self.jobs, self.cache_dir, self.force, self.chunk = jobs, cache_dir, force, chunk
        self.scheduler, self.worker_timeout, self.results = scheduler, worker_timeout, None
        self.cache = Cache(cache_dir)
        self.progress = Progress(overall)
        self.executor, self.lock = None, None

    def __enter__(self):
        self.lock = FolderLock(self.cache_dir)
        self.lock.acquire()
        try:
            self.executor = make_executor(self.jobs, self.scheduler, self.worker_timeout)
        except BaseException:
            self.lock.release()
            raise
        return self

    def __exit__(self, *exc):
        try:
            if self.executor is not None:
                self.executor.close(failed=exc[0] is not None)
                self.executor = None
        finally:
            if self.lock is not None:
                self.lock.release()
                self.lock = None

    def _stored(self, label, configs, size):
        """Each config's recorded summary, None where there is none: the results file's,
        else the cache's (runs found only in the cache join the results file)."""
        out = [None] * len(configs)
        for idx in chunks(configs, size):              # the cut the cache's ensemble files have
            part = [configs[i] for i in idx]
            kept = [self.results.by_run.get(run_key(c)) if self.results is not None else None
                    for c in part]
            holes = [j for j, r in enumerate(kept) if r is None]
            if holes:
                cached = self.cache.get_runs(label, part)
                joining = [j for j in holes if cached[j] is not None]
                if joining and self.results is not None:
                    self.results.append(chunk_key([part[j] for j in joining]), [part[j] for j in joining],
                                        [cached[j] for j in joining])
                for j in joining:
                    kept[j] = cached[j]
            for i, r in zip(idx, kept):
                out[i] = r
        return out

    def _record(self, label, part, summaries, cpu_seconds):
        """A computed ensemble, recorded before it is used: the results file first (with
        --force replacing what it held about these runs), then the cache."""
        if self.results is not None:
            if self.force:
                self.results.replace(part, summaries, cpu_seconds, provenance.stamp())
            else:
                self.results.append(chunk_key(part), part, summaries, cpu_seconds, provenance.stamp())
        self.cache.put(label, part, summaries)

    def _cut(self, configs, indices, workers):
        """The runs at `indices` cut into ensembles sized so every worker has one (a lone
        leftover ensemble would leave the others idle): lists of indices into configs."""
        size = max(1, min(self.chunk, -(-len(indices) // workers)))
        return [[indices[k] for k in sub] for sub in chunks([configs[i] for i in indices], size)]

    def run(self, label, configs):
        """RunSummary of every config, in order; each finished ensemble is recorded at once."""
        configs = checked_configs(label, configs)
        workers = self.executor.workers if self.executor else self.jobs
        size = max(1, min(self.chunk, -(-len(configs) // workers)))  # keep every worker busy
        out = [None] * len(configs) if self.force else self._stored(label, configs, size)
        todo = self._cut(configs, [i for i, s in enumerate(out) if s is None], workers)
        total, t0, computed = len(configs), time.monotonic(), 0
        done = total - sum(len(idx) for idx in todo)
        self.progress.submitted_all += total
        self.progress.done_all += done
        self.progress.line(label, done, total, _left_early(configs, out), t0, computed)

        def heartbeat():   # a paper-budget ensemble can take many minutes: say it is alive
            try:
                print(f"  [{label}] {total - done} run(s) still training, "
                      f"{_duration(time.monotonic() - t0)} elapsed", flush=True)
            except BrokenPipeError:
                pass       # the next progress line meets the closed pipe and ends the sweep
        parts = [[configs[i] for i in idx] for idx in todo]
        for k, (summaries, cpu_seconds) in self.executor.map_unordered(parts, heartbeat):
            self._record(label, parts[k], summaries, cpu_seconds)
            for i, s in zip(todo[k], summaries):
                out[i] = s
            done, computed = done + len(todo[k]), computed + len(todo[k])
            self.progress.done_all += len(todo[k])
            self.progress.computed_all += len(todo[k])
            self.progress.line(label, done, total, _left_early(configs, out), t0, computed)
        return out

    def run_groups(self, label, groups):
        """run() over several independent sweeps at once, results split back per group.

        One call submits every group's ensembles together, so no worker waits for the
        slowest ensemble of one group while the next group's are still queued (a sweep
        whose memorizing runs take the whole budget otherwise ends with one worker busy
        and the others idle)."""
        groups = [list(grp) for grp in groups]
        flat = self.run(label, [c for grp in groups for c in grp])
        ends = np.cumsum([0] + [len(grp) for grp in groups])
        return [flat[a:b] for a, b in zip(ends[:-1], ends[1:])]


def checked_configs(label, configs):
    """configs as a list, each valid (geneft.validate), else ConfigError naming the sweep,
    the config and its bad field, before anything trains (not from inside a worker)."""
    configs = list(configs)
    for i, c in enumerate(configs):
        try:
            g.validate(c)
        except (ValueError, TypeError) as err:
            raise ConfigError(f"sweep {label!r}, config {i}: {err}") from None
    return configs


def _left_early(configs, summaries):
    """Runs that left their ensemble before the budget because their phase was decided."""
    return sum(1 for c, s in zip(configs, summaries)
               if s is not None and s.diverged_at is None and s.stopped_at < c.steps)


# --- Grids that add seeds where the phase changes (Figs. 5 and 8) ----------------------

def near_change(generalized):
    """Cells within one grid step of a change: the cell or a 4-neighbour differs in
    'generalized' (a (nx, ny) bool array in, the same shape out)."""
    gen = np.asarray(generalized, dtype=bool)
    near = np.zeros_like(gen)
    near[1:, :] |= gen[1:, :] != gen[:-1, :]
    near[:-1, :] |= gen[1:, :] != gen[:-1, :]
    near[:, 1:] |= gen[:, 1:] != gen[:, :-1]
    near[:, :-1] |= gen[:, 1:] != gen[:, :-1]
    return near


def adaptive_phase_grid(runner, label, make_config, xs, ys, seeds):
    """Phases of every run on an (xs, ys) grid: seed 0 in every cell, then seeds
    1 .. seeds−1 in every cell within one grid step of a change of 'generalized'.

    make_config(x, y, seed) -> Config. Returns phases[i][j] = [phase of each seed].
    """
    first = runner.run(label, [make_config(x, y, 0) for x in xs for y in ys])
    gen = np.array([s.generalized for s in first]).reshape(len(xs), len(ys))
    phases = [[[first[i * len(ys) + j].phase] for j in range(len(ys))] for i in range(len(xs))]
    cells = [tuple(c) for c in np.argwhere(near_change(gen))] if seeds > 1 else []
    extra = runner.run(f"{label}-seeds", [make_config(xs[i], ys[j], s) for i, j in cells
                                          for s in range(1, seeds)]) if cells else []
    for k, (i, j) in enumerate(cells):
        phases[i][j] += [s.phase for s in extra[k * (seeds - 1):(k + 1) * (seeds - 1)]]
    return phases


# --- Data of a figure still being computed, from its results file ----------------------

class Replay:
    """A runner that trains nothing: each config's stored run, None where it is missing."""

    def __init__(self, stored):
        self.stored, self.found, self.asked = stored, 0, 0

    def run(self, label, cfgs):
        out = [self.stored.by_run.get(chunk_key([c])) for c in cfgs]
        self.found, self.asked = self.found + sum(r is not None for r in out), self.asked + len(out)
        return out

    def run_groups(self, label, groups):
        return [self.run(label, grp) for grp in groups]


def replay_data(figure, preset, path):
    """The data of a figure whose JSON is not written yet but whose results file (path)
    holds some of its runs, for a data function that accepts missing runs (it marks them,
    e.g. the Goldilocks map); None otherwise. Trains nothing."""
    if preset is None or not os.path.exists(path) or \
            not getattr(getattr(figure, "data", None), "accepts_missing_runs", False):
        return None
    stored = ResultsFile(path)
    replay = Replay(stored)
    d = figure.data(preset, replay)
    d.update(preset=preset.name, seconds=None, partial=True)
    d.setdefault("runs_done", replay.found)
    d.setdefault("runs_planned", replay.asked)
    d["cpu_seconds"], d["untimed_ensembles"] = stored.cost()
    return d
