"""Running many training configs: ensembles, the runner, grids that add seeds where it matters.

    with Runner(jobs=2, cache_dir=".cache/quick") as runner:
        summaries = runner.run("fig5-mod3", configs)     # one RunSummary per config

Configs that share an architecture are cut into ensembles (lab.ensemble.train_ensemble
trains each as one vectorised computation); ensembles run on an executor (lab.executors),
and every finished ensemble is written to the cache, and to the results file when there
is one, at once (lab.results), so an interrupted sweep resumes where it stopped.
"""
import dataclasses
import os
import time

import numpy as np

from lab.ensemble import MEMBER_FIELDS
from lab.executors import make_executor
from lab.results import chunk_key, read_cached, write_json


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
    from the rate measured so far."""

    def __init__(self, planned_total=None):
        self.t0, self.planned, self.done_all, self.computed_all = time.time(), planned_total, 0, 0

    def line(self, label, done, total, early, t_label, computed):
        el = time.time() - t_label
        rate = computed / el if computed and el > 0 else 0.0
        eta = f"ETA {_duration((total - done) / rate)}" if rate else ("cached" if done == total else "")
        text = f"  [{label}] {done}/{total} runs ({early} left early), {_duration(el)} elapsed, {eta}"
        if self.planned:
            all_el = time.time() - self.t0
            all_rate = self.computed_all / all_el if self.computed_all and all_el > 0 else 0.0
            left = max(0, self.planned - self.done_all)
            text += (f"; all: {self.done_all}/{self.planned} runs"
                     + (f", ETA {_duration(left / all_rate)}" if all_rate else ""))
        print(text, flush=True)


def _duration(seconds):
    seconds = int(round(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class Runner:
    """Runs configs as ensembles on an executor, caching every finished ensemble at once.

    jobs: local worker processes (1: in this process); scheduler: a Dask scheduler
    address instead (see DaskCluster). Finished ensembles go to `cache_dir` (one JSON
    file each) and, when `results` is set, to that ResultsFile as well; both are read
    before anything is computed.
    """

    def __init__(self, jobs, cache_dir, force=False, chunk=16, scheduler=None, planned_total=None):
        self.jobs, self.cache_dir, self.force, self.chunk = jobs, cache_dir, force, chunk
        self.scheduler, self.results = scheduler, None
        self.progress = Progress(planned_total)
        self.executor = None

    def __enter__(self):
        self.executor = make_executor(self.jobs, self.scheduler)
        return self

    def __exit__(self, *exc):
        if self.executor is not None:
            self.executor.close(failed=exc[0] is not None)
            self.executor = None

    def _lookup(self, key, part, path):
        """Finished summaries from the results file (the ensemble, else each of its runs)
        or the cache, or None."""
        if self.force:
            return None
        if self.results is not None:
            found = self.results.get(key) or self.results.get_runs(part)
            if found is not None and len(found) == len(part):
                return found
        return read_cached(path, len(part))

    def _keep_result(self, key, part, summaries, cpu_seconds=None):
        """Append an ensemble to the results file unless it, or each of its runs, is there."""
        if (self.results is not None and self.results.get(key) is None
                and self.results.get_runs(part) is None):
            self.results.append(key, part, summaries, cpu_seconds)

    def _recut_missing(self, label, configs, out, todo, workers):
        """With a results file: fill in the runs it holds one by one (a part of an ensemble
        may be stored, from another cut) and cut only the missing runs into ensembles, sized
        so every worker has one (a lone leftover ensemble would leave the others idle).
        Only here: a results file finds runs whatever the cut, the cache only by ensemble."""
        missing = []
        for idx, part, _, _ in todo:
            for i, c in zip(idx, part):
                found = self.results.get_runs([c])
                if found is None:
                    missing.append(i)
                else:
                    out[i] = found[0]
        size = max(1, min(self.chunk, -(-len(missing) // workers)))
        recut = []
        for sub in chunks([configs[i] for i in missing], size):
            idx = [missing[k] for k in sub]
            part = [configs[i] for i in idx]
            key = chunk_key(part)
            recut.append((idx, part, key, os.path.join(self.cache_dir, label, key + ".json")))
        return recut

    def run(self, label, configs):
        """RunSummary of every config, in order; each finished ensemble is stored at once."""
        configs = list(configs)
        out, todo = [None] * len(configs), []
        workers = self.executor.workers if self.executor else self.jobs
        size = max(1, min(self.chunk, -(-len(configs) // workers)))  # keep every worker busy
        for idx in chunks(configs, size):
            part = [configs[i] for i in idx]
            key = chunk_key(part)
            path = os.path.join(self.cache_dir, label, key + ".json")
            found = self._lookup(key, part, path)
            if found is not None:
                self._keep_result(key, part, found)     # a cached ensemble joins the results file
                for i, s in zip(idx, found):
                    out[i] = s
            else:
                todo.append((idx, part, key, path))
        if self.results is not None and not self.force:
            todo = self._recut_missing(label, configs, out, todo, workers)
        total, t0, computed = len(configs), time.time(), 0
        done = total - sum(len(t[0]) for t in todo)
        self.progress.done_all += done
        self.progress.line(label, done, total, _left_early(configs, out), t0, computed)

        def heartbeat():   # a paper-budget ensemble can take many minutes: say it is alive
            print(f"  [{label}] {total - done} run(s) still training, "
                  f"{_duration(time.time() - t0)} elapsed", flush=True)
        for k, (summaries, cpu_seconds) in self.executor.map_unordered([t[1] for t in todo], heartbeat):
            idx, part, key, path = todo[k]
            write_json(path, [s.to_json() for s in summaries])
            self._keep_result(key, part, summaries, cpu_seconds)
            for i, s in zip(idx, summaries):
                out[i] = s
            done, computed = done + len(idx), computed + len(idx)
            self.progress.done_all += len(idx)
            self.progress.computed_all += len(idx)
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
