"""Tests of lab/registration.py on a git repository of its own: the registering commit is
named, the data commits are checked to descend from it, and a rule file changed after
registration leaves the registered rules' verdicts on the page beside the new ones."""
import json
import os
import shutil
import subprocess

import numpy as np
import pytest

import geneft as g
from lab import confirm, registration

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sh(repo, *args):
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                   check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    (tmp_path / "lab").mkdir()
    for name in confirm.RULE_FILES:
        shutil.copy(os.path.join(ROOT, name), tmp_path / name)
    prereg = tmp_path / registration.PREREG
    prereg.parent.mkdir(parents=True)
    prereg.write_text("".join(f"- `{n}` sha256 `{registration.sha256_of(str(tmp_path / n))}`\n"
                              for n in confirm.RULE_FILES))
    sh(tmp_path, "init", "-q")
    sh(tmp_path, "add", ".")
    sh(tmp_path, "commit", "-q", "-m", "Preregistration")
    return tmp_path


def clear_fig7():
    acc = np.full((11, 12), 0.6) + np.linspace(0, 0.01, 12)
    acc[0], acc[1:4] = 0.5, 0.95
    phases = [[g.CONFUSION] * 12] + [[g.GENERALIZATION] * 12] * 3 + [[g.MEMORIZATION] * 12] * 7
    return {"depths": list(range(11)), "seeds": 12, "first_seed": 1000, "registered": True,
            "test_runs": acc.tolist(), "phases": phases}


def test_the_registering_commit_is_named_and_nothing_has_changed(repo):
    text = registration.status_lines(str(repo))[0]
    commit = registration.registering_commit(str(repo))
    assert commit[1] == "Preregistration" and f"commit {commit[0][:7]}" in text
    assert "No data of it are committed yet" in text and "byte for byte the registered ones" in text


def test_data_committed_after_registration_descend_from_it(repo):
    data = repo / registration.CONFIRM_DIR / "fig7.jsonl"
    data.parent.mkdir(parents=True)
    data.write_text('{"configs": [], "runs": []}\n')
    sh(repo, "add", ".")
    sh(repo, "commit", "-q", "-m", "data")
    (data.parent / "fig7.json").write_text(json.dumps(clear_fig7()))     # drawn from it: not data
    sh(repo, "add", ".")
    sh(repo, "commit", "-q", "-m", "figure")
    text = registration.status_lines(str(repo))[0]
    assert "(figures/paper/confirm/*.jsonl): 1, of which 1 descend" in text
    assert "1 of 1 results lines were written before lines recorded" in text   # it records no provenance


def test_a_rule_changed_after_registration_keeps_the_registered_verdict_on_the_page(repo):
    data = repo / registration.CONFIRM_DIR / "fig7.json"
    data.parent.mkdir(parents=True)
    data.write_text(json.dumps(clear_fig7()))
    with open(repo / "lab" / "confirm.py", "a") as f:
        f.write("\nFIG7_ZONE = (5, 6)   # a change after the data\n")
    text = registration.status_lines(str(repo))[0]
    assert "Changed since registration (sha256 differs): `lab/confirm.py`" in text
    assert f"Fig. 7: holds (p = {2.0 ** -12:.3g}) under the registered rules" in text


def test_without_a_preregistration_everything_is_exploratory(tmp_path):
    assert registration.status_lines(str(tmp_path)) == [
        "No preregistration is committed: every verdict is exploratory."]


def test_a_run_in_the_registrations_folder_ends_with_its_line_check(repo):
    data = repo / registration.CONFIRM_DIR
    data.mkdir(parents=True)
    (data / "fig7.jsonl").write_text('{"configs": [], "runs": []}\n')
    lines = registration.check_of_folder(str(repo), str(data))
    assert lines == [f"registration check ({registration.PREREG}): 1 of 1 results lines were written before "
                     "lines recorded the code that trained them (provenance not recorded)."]
    assert registration.check_of_folder(str(repo), str(repo / "figures")) == []
