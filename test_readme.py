"""Every ```python block of README.md runs as written, and prints what its `# → ` lines say.

Each block runs alone in a fresh interpreter in this folder, as a reader would paste it; a
block that imports torch or jax is skipped, with the reason, where that does not import.
"""
import importlib.util
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.abspath(__file__))
README = os.path.join(ROOT, "README.md")
OPTIONAL = ("torch", "jax")     # frameworks a block may import; the book itself needs NumPy alone


def python_blocks():
    """(line number, code) of every ```python block of README.md."""
    text = open(README, encoding="utf-8").read()
    return [(text.count("\n", 0, m.start()) + 2, m.group(1))
            for m in re.finditer(r"^```python\n(.*?)^```", text, re.S | re.M)]


def test_readme_has_python_blocks():
    assert len(python_blocks()) >= 2


@pytest.mark.parametrize("line, code", python_blocks(), ids=[f"line{n}" for n, _ in python_blocks()])
def test_readme_block_runs_as_written(line, code):
    for name in OPTIONAL:
        if re.search(rf"^\s*(import|from) {name}\b", code, re.M) and importlib.util.find_spec(name) is None:
            pytest.skip(f"README.md line {line} needs {name}, which is not installed")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=600, env={**os.environ, "PYTHONPATH": ROOT})
    assert out.returncode == 0, f"README.md line {line}:\n{out.stderr}"
    expected = [m.group(1) for m in re.finditer(r"^# → (.*)$", code, re.M)]
    assert out.stdout.splitlines() == expected, f"README.md line {line}"


def report_answers():
    """{claim's short name: the report's answer} from figures/REPORT.md's tables: the
    confirmatory column's verdict where it has one, else the exploratory's."""
    out = {}
    with open(os.path.join(ROOT, "figures", "REPORT.md"), encoding="utf-8") as f:
        for line in f:
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            if len(cells) == 6 and cells[0] != "claim" and not cells[0].startswith("---"):
                waiting = cells[2].startswith(("pending", "—", "not in the saved data"))
                out[cells[0].replace("\\|", "|")] = cells[1] if waiting else cells[2]
    return out


def test_the_gallery_shows_the_results_with_the_reports_verdicts():
    """Each gallery row: a figure at the paper's budget or from a retest that exists, and the
    verdict figures/REPORT.md gives its claim (so the README cannot go stale beside it)."""
    text = open(README, encoding="utf-8").read()
    rows = re.findall(r"^\| !\[\]\((figures/paper/[^)]+\.png)\) \| (.+?) \| (.+?) \|$", text, re.M)
    assert len(rows) >= 10 and any("/confirm/" in path for path, _, _ in rows)
    answers = report_answers()
    for path, claim, verdict in rows:
        assert os.path.exists(os.path.join(ROOT, path)), path
        assert answers.get(claim) == verdict, (claim, answers.get(claim))
