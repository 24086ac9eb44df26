"""The second confirmation's figures and report rows draw and read every shape of its data:
all runs in, some missing (a partial results file), and mixed phases."""
import os

import pytest

import geneft as g
import run_all
from lab import confirm2 as c2
from lab.presets import PRESETS
from lab.test_confirm2 import Recorder

PHASES = (g.GENERALIZATION, g.MEMORIZATION, g.GROKKING, g.CONFUSION)


class Mixed(Recorder):
    """Runs whose phase cycles through Table IV's four, and whose accuracies climb."""

    def run(self, label, cfgs):
        out = super().run(label, cfgs)
        return [r.__class__(**{**r.to_json(), "phase": PHASES[k % 4], "all_acc": min(1.0, 0.5 + c.frac * 2)})
                for k, (r, c) in enumerate(zip(out, cfgs))]


@pytest.mark.parametrize("runner", [Recorder(), Recorder(phase=None), Mixed()], ids=["all", "none", "mixed"])
@pytest.mark.parametrize("name", list(run_all.REGISTERED["confirm2"]))
def test_every_confirmation_figure_draws_and_reads_its_data(tmp_path, name, runner):
    fig = run_all.REGISTERED["confirm2"][name]
    data = fig.data(PRESETS["confirm2"], runner)
    path = os.path.join(tmp_path, f"{name}.png")
    fig.plot(data, path)
    assert os.path.getsize(path) > 1000
    rows = fig.claims(data)
    assert rows and all(r.verdict for r in rows)
    if runner.phase is None:
        assert all(r.verdict in (c2.PENDING, c2.NO_SUPPORT) for r in rows)


def test_the_confirm2_preset_runs_the_registered_figures_cheapest_first():
    p = PRESETS["confirm2"]
    assert p.registered and p.folder == os.path.join("paper", "confirm2") and p.steps == 100_000
    assert p.figures == ("theorem1", "fig8", "fig6", "fig5", "fig3") == tuple(run_all.REGISTERED["confirm2"])
    assert run_all.figures_of("confirm2") is run_all.REGISTERED["confirm2"]
    assert run_all.figures_of("paper") is run_all.FIGURES


def test_a_median_crossing_outside_the_grid_reads_as_the_grids_edge_over_the_theory():
    """A median crossing of +∞ (never 0.9 in the grid) is more than the last fraction over the
    theory's crossing, −∞ less than the first; a finite one is its ratio."""
    from lab.figs_confirm2 import ratio_text
    r = {"fracs": [0.08, 0.10, 0.30], "theory": 0.0625}
    assert ratio_text({"median_ratio": float("inf")}, r, ".2f") == "> 4.80× (beyond the grid)"
    assert ratio_text({"median_ratio": float("-inf")}, r, ".1f", where=False) == "< 1.3×"
    assert ratio_text({"median_ratio": 1.68}, r, ".1f") == "1.7×"
