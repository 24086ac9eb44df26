"""Tests of run_all.py and sweeps.py: boundary fits, crossings, the smoke preset end
to end, the cache, the command line.
"""
import dataclasses
import json

import numpy as np
import pytest

import geneft as g
import run_all as ra

SMALL = g.Config(n=8, d=2, depth=1, width=8, frac=0.75, steps=60, eval_every=10, seed=0)



def test_boundary_fit_recovers_a_known_line():
    eta = np.logspace(-4, -1, 7)
    # generalization below η_dec = 5 η_enc, memorization above: on this half-decade grid
    # every generalizing/memorizing edge midpoint lies on log η_dec = log η_enc + 0.75
    phases = [[g.GENERALIZATION if yd < 5 * xe else g.MEMORIZATION for yd in eta] for xe in eta]
    pts = ra.boundary_points(eta, eta, phases)
    assert len(pts) == 10                        # 5 vertical and 5 horizontal edges
    fit = ra.fit_loglog_line(pts)
    assert fit["slope"] == pytest.approx(1.0, abs=1e-12)
    assert fit["intercept"] == pytest.approx(0.75, abs=1e-12)
    assert ra.fit_loglog_line(pts[:1]) is None
    # A boundary that ignores x (Fig. 8's claim) has slope 0.
    flat = [[g.GROKKING if yd < 1e-2 else g.MEMORIZATION for yd in eta] for _ in eta]
    fit = ra.fit_loglog_line(ra.boundary_points(eta, eta, flat, across=("y",)))
    assert fit["slope"] == pytest.approx(0.0, abs=1e-12)
    assert fit["intercept"] == pytest.approx(-2.25, abs=1e-12)


def test_crossings_interpolate():
    assert ra.crossing([0.1, 0.2, 0.3], [0.5, 0.8, 1.0]) == pytest.approx(0.25)
    assert ra.crossing([0.1, 0.2], [0.5, 0.6]) is None
    assert ra.crossing_down([1.0, 100.0], [1.0, 0.0]) == pytest.approx(10.0)
    assert ra.crossing_down([1.0, 100.0], [1.0, 0.9]) is None


def test_sigma_a_of_a_linear_decoder_is_its_init_scale():
    """diff mode, no hidden layer: ∂z/∂E_i = W1 ~ σ_dec · U(±1/√d), RMS σ_dec / √(3d)."""
    cfg = g.Config(n=10, d=4, depth=0, mode="diff", init_dec=2.0)
    assert ra.sigma_a_of_network(cfg, samples=4000) == pytest.approx(2.0 / np.sqrt(12), rel=0.03)


def test_smoke_preset_end_to_end_cached_and_replotted(tmp_path, monkeypatch, capsys):
    out, cache = tmp_path / "fig", tmp_path / "cache"
    args = ["--preset", "smoke", "--out", str(out), "--cache", str(cache), "--jobs", "1"]
    assert ra.main(args) == 0
    for name in ra.FIGURES:
        assert (out / f"{name}.png").stat().st_size > 0
        assert json.loads((out / f"{name}.json").read_text())["preset"] == "smoke"
    report = (out / "REPORT.md").read_text()
    for claim in ("Fig. 2 mod3", "Fig. 3 greater", "Eq. (12) at", "Fig. 5 bipartite", "Fig. 6",
                  "Fig. 7", "Fig. 8 mod3", "Theorem 1", "Open Question 1, greater"):
        assert claim in report
    # A second run trains nothing: every ensemble comes from the cache.
    monkeypatch.setattr(ra, "_run_chunk", lambda configs: pytest.fail("retrained a cached run"))
    assert ra.main(args + ["--only", "fig5,fig7"]) == 0
    assert ra.main(args + ["--replot"]) == 0


def test_corrupt_cache_file_is_recomputed_with_a_warning(tmp_path):
    cfgs = [dataclasses.replace(SMALL, seed=s) for s in range(2)]
    with ra.Runner(jobs=1, cache_dir=str(tmp_path)) as runner:
        first = runner.run("t", cfgs)
        files = list((tmp_path / "t").glob("*.json"))
        assert len(files) == 1
        files[0].write_text('[{"phase": "gen')              # a run killed mid-write
        with pytest.warns(UserWarning, match="unreadable"):
            again = runner.run("t", cfgs)
    assert again == first


def test_bad_command_line_is_refused(capsys):
    with pytest.raises(SystemExit):
        ra.parse_args(["--only", "fig9"])
    assert "fig9" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        ra.parse_args(["--preset", "huge"])
