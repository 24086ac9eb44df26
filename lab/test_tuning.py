"""Tests of lab/tuning.py: what makes a worker fast and tidy changes no result, and how
many workers a process may start."""
import os
import platform
import sys

import numpy as np

from lab import tuning


def test_subnormals_are_flushed_inside_and_restored_after():
    tiny = np.float32(1e-30) * np.float32(1e-10)                # 1e-40: subnormal in float32
    assert tiny != 0
    with tuning.subnormals_flushed():
        if sys.platform.startswith("linux") and platform.machine() in ("x86_64", "AMD64"):
            assert np.float32(1e-30) * np.float32(1e-10) == 0
            x = np.full((7, 5), 1e-20, np.float32)
            assert not (x @ x.T).any()                         # 5e-40 per entry: flushed
        assert np.float32(1e-20) * np.float32(1e-10) == np.float32(1e-30)   # normal: untouched
    assert np.float32(1e-30) * np.float32(1e-10) == tiny      # restored


def test_usable_cores_follow_the_cpu_affinity(monkeypatch, capsys):
    """Under `taskset -c 0` (or a cluster job's cpuset) one core, whatever os.cpu_count()
    says; never more than os.cpu_count()."""
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert tuning.usable_cores() == 1
    assert tuning.cap_workers(3, "--jobs 3") == 1 and tuning.cap_workers(1, "--jobs 1") == 1
    assert capsys.readouterr().err.count("note: --jobs 3 is more than the 1 core this process") == 1
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)))
    assert tuning.usable_cores() == 8
