"""Tests of the preregistered confirmation (lab/confirm.py): its zones and ends are what
the exploratory data give, its seeds are fresh, its design can reach its level, and its
rules decide synthetic data as registered."""
import glob
import json
import os
import types

import numpy as np
import pytest

import geneft as g
from lab import beyond, confirm, rules
from lab import figs_dynamics as dyn
from lab.presets import PRESETS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAPER = os.path.join(ROOT, "figures", "paper")
C, M, G = g.CONFUSION, g.MEMORIZATION, g.GENERALIZATION


def paper_data(name):
    with open(os.path.join(PAPER, f"{name}.json"), encoding="utf-8") as f:
        return json.load(f)


def test_the_registered_zones_and_ends_are_read_off_the_exploratory_data():
    d = paper_data("fig7")
    assert d.get("first_seed", 0) == 0              # the exploratory seeds, 0-4
    zone = rules.majority_zone(d["phases"], g.GENERALIZED)
    assert tuple(d["depths"][k] for k in zone) == confirm.FIG7_ZONE
    assert (confirm.FIG7_SHALLOW, confirm.FIG7_DEEP) == (d["depths"][0], d["depths"][-1])
    gd = paper_data("goldilocks")
    assert (confirm.GOLD_SHALLOW, confirm.GOLD_DEEP) == (gd["depths"][0], gd["depths"][-1])
    for rel, r in gd["relations"].items():
        for w, width in enumerate(gd["widths"]):
            assert confirm.registered_zone(gd["depths"], r["test"][w], r["phases"][w]) == \
                confirm.GOLD_ZONES[(rel, width)], (rel, width)


def test_the_confirmatory_seeds_are_fresh():
    """No results file other than the confirmation's own uses a confirmatory seed, and the
    two confirmations share none."""
    fresh = set(confirm.FIG7_SEEDS) | set(confirm.GOLD_SEEDS)
    assert not set(confirm.FIG7_SEEDS) & set(confirm.GOLD_SEEDS)
    files = glob.glob(os.path.join(PAPER, "*.jsonl"))
    assert files
    for path in files:
        with open(path, encoding="utf-8") as f:
            used = {c["seed"] for line in f if line.strip() for c in json.loads(line)["configs"]}
        assert not used & fresh, path


def test_the_design_can_reach_its_level():
    assert rules.reachable(len(confirm.FIG7_SEEDS), confirm.ALPHA, family=1)
    assert rules.reachable(len(confirm.GOLD_SEEDS), confirm.ALPHA, family=3)


class Recorder:
    """A runner that records the configs it is given and trains nothing (every run a
    confusion at chance)."""

    def __init__(self):
        self.configs = []

    def run(self, label, cfgs):
        self.configs += cfgs
        return [types.SimpleNamespace(train_acc=0.5, test_acc=0.5, phase=C) for _ in cfgs]

    def run_groups(self, label, groups):
        return [self.run(label, grp) for grp in groups]


def test_the_confirm_preset_is_the_paper_preset_on_fresh_seeds():
    """The same configs as the exploratory runs (budget 1e5, sizes, rates), seeds aside."""
    paper, conf = PRESETS["paper"], PRESETS["confirm"]
    for data in (beyond.goldilocks_data,):
        ra, rb = Recorder(), Recorder()
        data(paper, ra), data(conf, rb)
        strip = lambda cs: {c.__class__(**{**c.__dict__, "seed": 0}) for c in cs}
        assert strip(ra.configs) == strip(rb.configs)
        assert {c.seed for c in rb.configs} == set(confirm.GOLD_SEEDS)
        assert {c.steps for c in rb.configs} == {100_000}
    ra, rb = Recorder(), Recorder()
    dyn.fig7_data(paper, ra), dyn.fig7_data(conf, rb)
    assert {c.seed for c in rb.configs} == set(confirm.FIG7_SEEDS)
    assert len(rb.configs) == 11 * len(confirm.FIG7_SEEDS)
    assert {(c.relation, c.width, c.frac, c.depth, c.steps) for c in ra.configs} == \
        {(c.relation, c.width, c.frac, c.depth, c.steps) for c in rb.configs}


def fig7_confirm_data(acc, phases):
    return {"depths": list(range(11)), "seeds": 12, "first_seed": 1000, "registered": True,
            "test_runs": acc, "phases": phases}


def clear_fig7(seeds=12):
    acc = np.full((11, seeds), 0.6) + np.linspace(0, 0.01, seeds)
    acc[0], acc[1:4] = 0.5, 0.95
    phases = [[C] * seeds] + [[G] * seeds] * 3 + [[M] * seeds] * 7
    return acc, phases


def test_fig7_registered_rule_holds_on_a_clear_effect_at_its_smallest_p():
    acc, phases = clear_fig7()
    z = confirm.fig7_verdict(fig7_confirm_data(acc.tolist(), phases))
    assert z["verdict"] == rules.HOLDS and z["p"] == 2.0 ** -12 and z["pairs"] == 12


def test_fig7_registered_rule_does_not_pick_its_zone_from_the_data():
    """Fresh seeds whose best depths are 5-6 instead: the registered zone (1-3) is still
    the one tested, and it does not beat the deep end."""
    acc, phases = clear_fig7()
    acc[1:4], acc[5:7] = 0.6, 0.97
    phases = [[C] * 12] + [[M] * 12] * 4 + [[G] * 12] * 2 + [[M] * 12] * 4
    z = confirm.fig7_verdict(fig7_confirm_data(acc.tolist(), phases))
    assert z["zone"] == [1, 2, 3] and z["verdict"] == rules.DOES_NOT_HOLD


def test_fig7_registered_rule_waits_for_missing_runs_and_refuses_other_seeds():
    acc, phases = clear_fig7()
    acc[2, 5] = np.nan
    phases[2] = phases[2][:5] + [None] + phases[2][6:]
    assert confirm.fig7_verdict(fig7_confirm_data(acc.tolist(), phases))["verdict"] == confirm.PENDING
    with pytest.raises(ValueError, match="not the registered 1000–1011"):
        confirm.fig7_verdict(dict(fig7_confirm_data(*clear_fig7()), first_seed=0))


def test_goldilocks_registered_rule_per_relation_with_holm_over_widths():
    depths, widths = [0, 1, 2, 4, 8], [5, 10, 50]
    zone_acc = lambda zone: [[0.95 if dep in zone else 0.5 if dep == 0 else 0.6] * 6 for dep in depths]
    zone_ph = lambda zone: [[G if dep in zone else C if dep == 0 else M] * 6 for dep in depths]
    rel = {"test_runs": [], "phases": []}
    for w in widths:
        rel["test_runs"].append((np.array(zone_acc(confirm.GOLD_ZONES[("bipartite", w)]))
                                 + np.linspace(0, 0.01, 6)).tolist())
        rel["phases"].append(zone_ph(confirm.GOLD_ZONES[("bipartite", w)]))
    d = {"depths": depths, "widths": widths, "seeds": 6, "first_seed": 2000, "registered": True,
         "relations": {"bipartite": rel}}
    out = confirm.goldilocks_verdicts(d)["bipartite"]
    assert [z["verdict"] for z in out] == [rules.HOLDS] * 3 and all(z["p"] == 1 / 64 for z in out)


def test_the_preregistration_records_the_hashes_of_the_rule_files(tmp_path):
    for name in confirm.RULE_FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(f"# {name}\n")
    prereg = tmp_path / "figures" / "paper" / "PREREGISTRATION.md"
    assert confirm.rule_files_changed(str(tmp_path)) is None        # nothing registered yet
    prereg.parent.mkdir(parents=True)
    prereg.write_text("".join(f"- `{n}` sha256 `{confirm.sha256_of(str(tmp_path / n))}`\n"
                              for n in confirm.RULE_FILES))
    assert confirm.rule_files_changed(str(tmp_path)) == {}
    (tmp_path / "lab" / "rules.py").write_text("# changed\n")
    changed = confirm.rule_files_changed(str(tmp_path))
    assert list(changed) == ["lab/rules.py"] and changed["lab/rules.py"][1] == confirm.sha256_of(
        str(tmp_path / "lab" / "rules.py"))
