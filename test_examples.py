"""Tests of examples/: the PyTorch and JAX oracle examples run and agree to 1e-12 when torch
or jax is installed (each skipped, with the reason, otherwise); the same oracle API is
exercised with NumPy alone in test_geneft.py, so CI tests it either way."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.abspath(__file__))


def run_example(name, flags):
    """Run examples/<name> with flags; returns the differences it printed, one per line
    indented under each setting's header, after checking it exited 0."""
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", name), *flags],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    return [float(line.split()[-1]) for line in out.stdout.splitlines() if line.startswith("  ")], out.stdout


@pytest.mark.parametrize("flags", [[], ["--mode", "sqdiff", "--depth", "1", "--optimizer", "sgd",
                                        "--wd-dec", "0.01"]])
def test_torch_example_agrees_with_the_oracle(flags):
    pytest.importorskip("torch", reason="torch is not installed: the example needs it")
    diffs, _ = run_example("torch_oracle.py", flags)
    assert len(diffs) == 3 and max(diffs) <= 1e-12


@pytest.mark.parametrize("flags, settings", [(["--all"], 9),
                                             (["--mode", "sqdiff", "--depth", "1", "--optimizer",
                                               "sgd", "--wd-dec", "0.01"], 1)])
def test_jax_example_agrees_with_the_oracle(flags, settings):
    """--all: the three combine modes at depths 0, 1 and 3, 20 Adam steps each, float64."""
    pytest.importorskip("jax", reason="jax is not installed: the example needs it")
    diffs, stdout = run_example("jax_oracle.py", flags)
    assert stdout.count("largest difference between geneft and jax") == settings
    assert len(diffs) == 3 * settings and max(diffs) <= 1e-12
