"""Tests of examples/: the PyTorch oracle example runs and agrees to 1e-12 when torch is
installed (skipped otherwise); the same oracle API is exercised with NumPy alone in
test_geneft.py, so CI tests it either way."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.abspath(__file__))


@pytest.mark.parametrize("flags", [[], ["--mode", "sqdiff", "--depth", "1", "--optimizer", "sgd",
                                        "--wd-dec", "0.01"]])
def test_torch_example_agrees_with_the_oracle(flags):
    pytest.importorskip("torch", reason="torch is not installed: the example needs it")
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "torch_oracle.py"), *flags],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    diffs = [float(line.split()[-1]) for line in out.stdout.splitlines()[1:]]
    assert len(diffs) == 3 and max(diffs) <= 1e-12
