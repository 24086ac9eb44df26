"""Every ```python block of README.md runs as written, and prints what its `# → ` lines say.

Each block runs alone in a fresh interpreter in this folder, as a reader would paste it; a
block that imports torch or jax is skipped, with the reason, where that does not import.
"""
import ast
import importlib.util
import os
import re
import shutil
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


def two_commands():
    """The README's two commands: the lines of the bash block under "## Two commands"."""
    text = open(README, encoding="utf-8").read()
    return re.search(r"^## Two commands\n.*?^```bash\n(.*?)^```", text, re.S | re.M).group(1).splitlines()


def test_readme_two_commands_share_their_set_up_and_ci_runs_them_on_a_fresh_clone():
    """Both commands start with the same set-up (a virtual environment, then requirements.txt),
    one runs run_all.py, the other the tests; .ci/run clones the checkout and runs that set-up
    and the test command, each line exactly as the README writes it."""
    run, test = two_commands()
    *set_up, last_run = run.split(" && ")
    *set_up_test, last_test = test.split(" && ")
    assert set_up == set_up_test and set_up[0] == "python3 -m venv .venv" and set_up[-1] == "pip install -r requirements.txt"
    assert (last_run, last_test) == ("python run_all.py", "python -m pytest -q")
    ci = [line for line in open(os.path.join(ROOT, ".ci", "run")).read().splitlines()
          if line.strip() and not line.startswith("#")]
    clone = next(k for k, line in enumerate(ci) if line.startswith("git clone"))
    assert clone < ci.index(" && ".join(set_up)) < ci.index(last_test) == len(ci) - 1
    assert ".venv/" in open(os.path.join(ROOT, ".gitignore")).read().split()


def exercises():
    """(module, function, -k selections) of each numbered item under README's "## Exercises"."""
    section = open(README, encoding="utf-8").read().split("\n## Exercises", 1)[1].split("\n## ", 1)[0]
    items = re.split(r"\n(?=\d+\. )", section)[1:]
    return [(*re.search(r"[Rr]ewrite\s+`(\w+)\.(\w+)`", item).groups(),
             [sel.strip('"') for sel in re.findall(r"`-k ([^`]+)`", item)]) for item in items]


def blank(source, function):
    """source with function's body (after its docstring) replaced by raise NotImplementedError."""
    node = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == function)
    lines = source.splitlines(keepends=True)
    first = node.body[1].lineno if ast.get_docstring(node) and len(node.body) > 1 else node.body[0].lineno
    indent = " " * node.body[0].col_offset
    return "".join(lines[:first - 1] + [f"{indent}raise NotImplementedError\n"] + lines[node.end_lineno:])


@pytest.mark.parametrize("module, function, selections", exercises(),
                         ids=[f"item{k}" for k in range(1, len(exercises()) + 1)])   # no -k word in an id
def test_readme_each_blanked_function_fails_its_graded_selection(tmp_path, module, function, selections):
    """The grader of README's Exercises: with the named function blanked out, each of its -k
    selections fails (run on the module's own test file, which the whole suite contains)."""
    assert len(exercises()) == 10 and selections
    for name in ("geneft.py", "statics.py", "repons.py", "conftest.py", f"test_{module}.py"):
        shutil.copy(os.path.join(ROOT, name), tmp_path)
    path = tmp_path / f"{module}.py"
    path.write_text(blank(path.read_text(encoding="utf-8"), function), encoding="utf-8")
    for selection in selections:
        out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                              f"test_{module}.py", "-k", selection], cwd=tmp_path, capture_output=True,
                             text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(tmp_path),
                                                          "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})  # 3x faster
        assert out.returncode == 1 and "NotImplementedError" in out.stdout, (selection, out.stdout[-2000:])
