"""Tests of lab/tuning.py: what makes a worker fast and tidy changes no result, and how
many workers a process may start."""
import os
import platform
import sys

import numpy as np
import pytest

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


ARENAS = """
import sys, threading
sys.path.insert(0, {root!r})
from lab import tuning
if sys.argv[1] == "capped":
    assert tuning.few_malloc_arenas()
def vm_kb():
    return int([l for l in open("/proc/self/status") if l.startswith("VmSize")][0].split()[1])
before, go, held = vm_kb(), threading.Event(), []
def allocate():
    held.append(bytearray(200_000))    # a thread's first allocation: glibc may give it an arena
    go.wait()
threads = [threading.Thread(target=allocate) for _ in range(4)]
for t in threads:
    t.start()
grown = vm_kb() - before
go.set()
for t in threads:
    t.join()
print(grown)
"""


def test_few_malloc_arenas_keeps_threads_from_reserving_64_mb_each():
    """Four threads that each allocate once reserve an arena of 64 MB of address space each
    by default; capped at two arenas, at most one more (what let a pool start under
    ulimit -v 400000, where its handler threads could not)."""
    import subprocess
    if not (sys.platform.startswith("linux") and os.path.exists("/proc/self/status")):
        pytest.skip("reads /proc/self/status (Linux)")
    root = os.path.dirname(os.path.dirname(os.path.abspath(tuning.__file__)))
    grown = {how: int(subprocess.run([sys.executable, "-c", ARENAS.format(root=root), how],
                                     capture_output=True, text=True, timeout=60, check=True).stdout)
             for how in ("default", "capped")}
    if grown["default"] < 4 * 60_000:
        pytest.skip("this C library gives threads no arena of their own: nothing to cap")
    assert grown["capped"] < grown["default"] - 2 * 60_000
