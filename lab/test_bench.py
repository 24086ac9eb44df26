"""Tests of lab/bench.py without timing anything (timings come from `python run_all.py
--bench`): the work it counts for one Table III step is the step's own."""
import pytest

from lab import bench


def test_step_work_counts_the_table_iii_steps_matmuls_and_tanh():
    """Forward: one matmul per layer (4); backward: [h; 1] δᵀ per layer (4) and W δ for the
    three layers below the output (3): 11. tanh: 675 pairs × 50 units × 3 hidden layers."""
    counts, tanh_count, tanh_size = bench.step_work("float64", K=2)
    assert sum(counts.values()) == pytest.approx(11)
    assert tanh_count == pytest.approx(675 * 50 * 3)
    assert bench.matmul_flops(((50, 51, False), (51, 675, False))) == 2 * 50 * 51 * 675
