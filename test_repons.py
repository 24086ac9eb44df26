"""Tests of repons.py: Section IV (Eqs. (6)-(13), Theorems 2-3, Appendix C, Fig. 4)
against central differences, conservation laws, closed forms and Monte Carlo.
"""
import functools
import re

import numpy as np
import pytest

import repons as rp
from conftest import central_differences, rel_error


def _repons_fd_grads(params, y):
    """Central differences of Eq. (6) with respect to every entry of every parameter."""
    return central_differences(lambda p: rp.pair_loss(**p, y=y), {k: v.copy() for k, v in params.items()})


def _repons_random_pair(rng, m, d):
    return ({"A": rng.standard_normal((m, d)), "b": rng.standard_normal(m),
             "x1": rng.standard_normal(d), "x2": rng.standard_normal(d)}, rng.standard_normal(m))


# --- Eq. (6) and (C1) ---------------------------------------------------------------

@pytest.mark.parametrize("m, d", [(1, 1), (3, 2), (2, 5)])
def test_repons_C1_matches_finite_differences(m, d):
    params, y = _repons_random_pair(np.random.default_rng(10 * m + d), m, d)
    grads = rp.pair_loss_grads(**params, y=y)
    fd = _repons_fd_grads(params, y)
    for key in params:
        assert rel_error(grads[key], fd[key]) < 1e-7, key


def test_repons_C1_batched_equals_one_by_one():
    rng = np.random.default_rng(0)
    A, b, x1, x2, y = (rng.standard_normal(s) for s in [(4, 3, 2), (4, 3), (4, 2), (4, 2), (4, 3)])
    batched = rp.pair_loss_grads(A, b, x1, x2, y)
    for k in range(4):
        single = rp.pair_loss_grads(A[k], b[k], x1[k], x2[k], y[k])
        for key in single:
            np.testing.assert_allclose(batched[key][k], single[key], rtol=1e-14)


def test_repons_printed_C1_b_line_is_a_typo():
    """(C1) prints ∂ℓ/∂b = A(x1 + x2) + b − y; Eq. (6) gives A(x1 + x2) + 2(b − y)."""
    params, y = _repons_random_pair(np.random.default_rng(1), 3, 2)
    fd = _repons_fd_grads(params, y)["b"]
    A, b, x1, x2 = params["A"], params["b"], params["x1"], params["x2"]
    printed = A @ (x1 + x2) + b - y
    assert rel_error(A @ (x1 + x2) + 2 * (b - y), fd) < 1e-7
    np.testing.assert_allclose(fd - printed, b - y, atol=1e-7)   # the print misses one (b − y)


# --- Appendix C: the reduction to Eq. (8) ------------------------------------------

def test_repons_full_flow_matches_eq8_on_the_invariant_set():
    """x1 = −x2 and Aᵀ(b − y) = 0 at t = 0: b(t), A(t), r(t) follow Appendix C exactly."""
    rng = np.random.default_rng(2)
    A0, r0 = rng.standard_normal((3, 2)), rng.standard_normal(2)
    y_perp = np.cross(A0[:, 0], A0[:, 1])             # y ⟂ columns of A: Aᵀy = 0
    for y, b0 in [(np.zeros(3), None), (rng.standard_normal(3), "y"), (2.0 * y_perp, None)]:
        check = rp.reduction_check(A0, r0, y, 1.0, 0.7, t_max=20.0, n_steps=2000,
                                   b0=y if b0 == "y" else None)
        # b: RK4 (dt = 0.01) against the exact exponential; A, r: the two flows coincide
        assert check.err_b < 1e-8 and check.err_A < 1e-12 and check.err_r < 1e-12
        assert check.max_s < 1e-12


def test_repons_appendix_c_b_formula_is_approximate_when_A_sees_y():
    """From b(0) = 0 with Aᵀy ≠ 0 the centre drifts and Eq. (8) is only approximate.

    Measured (seed 1 below, η_A = η_x = 1, t ≤ 20; |y| = 0.47, ‖A0‖ = 1.90, |r0| = 0.79):
    b off the formula by 4.0e-2, A off Eq. (8) by 1.4e-2, the centre |s| up to 0.11.
    """
    rng = np.random.default_rng(1)
    A0, r0, y = rng.standard_normal((3, 2)), rng.standard_normal(2), rng.standard_normal(3)
    check = rp.reduction_check(A0, r0, y, 1.0, 1.0, t_max=20.0, n_steps=2000)
    assert 1e-2 < check.err_b < 1e-1 and 1e-3 < check.err_A < 1e-1 and 1e-2 < check.max_s < 1


# --- Eq. (9): the ansatz stays an ansatz --------------------------------------------

def test_repons_ansatz_9_is_preserved_and_gives_eq10():
    rng = np.random.default_rng(3)
    A0 = rng.standard_normal((3, 2))
    _, S, Vt = np.linalg.svd(A0)
    r0, A0 = Vt[0], A0 / S[0]                           # A0ᵀA0 r0 ∥ r0 and |A0 r0| = 1
    eta_A, eta_x, c0 = 0.7, 1.3, 0.9
    A_start, r_start = rp.ansatz_state(1.0, 0.0, c0, A0, r0)
    t, traj = rp.rk4(rp.reduced_flow_rhs, {"A": A_start, "r": r_start}, 0.01, 3000,
                     args=(eta_A, eta_x), save_every=10)
    a, b9, c, resid = rp.ansatz_residual(traj["A"], traj["r"], A0, r0)
    assert resid.max() < 1e-12 and np.abs(a - 1).max() < 1e-12   # da/dt = 0
    a2_cf, c_cf = rp.closed_form_flow(1.0, c0, eta_A, eta_x, t)
    assert np.abs(a + b9 - a2_cf).max() < 1e-8 and np.abs(c - c_cf).max() < 1e-8


def test_repons_ansatz_9_needs_r0_an_eigenvector_of_A0tA0():
    A0 = np.random.default_rng(3).standard_normal((3, 2))
    r0 = np.array([np.cos(0.5), np.sin(0.5)])
    _, traj = rp.rk4(rp.reduced_flow_rhs, {"A": A0, "r": 0.9 * r0}, 0.01, 3000,
                     args=(0.7, 1.3), save_every=100)
    assert rp.ansatz_residual(traj["A"], traj["r"], A0, r0)[3].max() > 1e-2


# --- Eqs. (10)–(11), Theorem 2 ------------------------------------------------------

REPONS_RATES = [(1.0, 1.0), (0.5, 2.0), (2.0, 0.5)]
REPONS_A2_START = np.array([1.0, 0.9, -1.1, 1.0, -0.9, 0.8])
REPONS_F_START = np.array([0.5, 1.5, -0.6, -1.5, 0.4, -1.6])  # c(0) = F κ |a2(0)|, |F| ≠ 1


def _repons_starts(eta_A, eta_x):
    c0 = REPONS_F_START * rp.separatrix_slope(eta_A, eta_x) * np.abs(REPONS_A2_START)
    return np.stack([REPONS_A2_START, c0], -1)


@functools.lru_cache(maxsize=None)
def _repons_long_rk4(eta_A, eta_x):
    """RK4 of Eq. (10), dt = 0.005/η_x, until every start is within 1e-8 of its fixed point
    (the final decay rate is 2 η_A η_x |C| = η_x a2(0)² |1 − F²|)."""
    starts = _repons_starts(eta_A, eta_x)
    C = rp.conserved_C(starts[:, 0], starts[:, 1], eta_A, eta_x)
    t_max = 25.0 / (2 * eta_A * eta_x * np.abs(C).min())
    dt = 0.005 / eta_x
    return rp.rk4(rp.scalar_flow_rhs, starts, dt, int(np.ceil(t_max / dt)), args=(eta_A, eta_x),
                  save_every=20)


@pytest.mark.parametrize("eta_A, eta_x", REPONS_RATES)
def test_repons_C_is_conserved_along_rk4_to_the_fixed_point(eta_A, eta_x):
    """Measured max relative drift over t ≤ t_max: see the closing note in repons.py."""
    t, traj = _repons_long_rk4(eta_A, eta_x)
    C = rp.conserved_C(traj[..., 0], traj[..., 1], eta_A, eta_x)
    assert np.max(np.abs(C - C[0]) / np.abs(C[0])) < 1e-9
    starts = _repons_starts(eta_A, eta_x)
    a2_star, c_star = rp.fixed_point(starts[:, 0], starts[:, 1], eta_A, eta_x)
    np.testing.assert_allclose(traj[-1], np.stack([a2_star, c_star], -1), rtol=0, atol=1e-8)


@pytest.mark.parametrize("eta_A, eta_x", REPONS_RATES)
def test_repons_closed_form_matches_rk4(eta_A, eta_x):
    """Max |closed form − RK4| / max(|a2(0)|, |c(0)|) along the whole trajectory."""
    t, traj = _repons_long_rk4(eta_A, eta_x)
    starts = _repons_starts(eta_A, eta_x)
    a2, c = rp.closed_form_flow(starts[:, 0], starts[:, 1], eta_A, eta_x, t[:, None])
    scale = np.abs(starts).max(axis=1)
    err = np.maximum(np.abs(a2 - traj[..., 0]), np.abs(c - traj[..., 1])) / scale
    assert err.max() < 1e-8


def test_repons_fixed_points_of_theorem2():
    eta_A, eta_x = 0.5, 2.0
    starts = _repons_starts(eta_A, eta_x)
    a2, c = rp.closed_form_flow(starts[:, 0], starts[:, 1], eta_A, eta_x, 1e6)
    a2_star, c_star = rp.fixed_point(starts[:, 0], starts[:, 1], eta_A, eta_x)
    np.testing.assert_allclose(a2, a2_star, atol=1e-12)
    np.testing.assert_allclose(c, c_star, atol=1e-12)
    C = rp.conserved_C(starts[:, 0], starts[:, 1], eta_A, eta_x)
    np.testing.assert_allclose(np.where(C > 0, a2_star ** 2, c_star ** 2),
                               np.where(C > 0, 2 * eta_A * C, -eta_x * C), rtol=1e-14)
    assert np.all((C > 0) == (c_star == 0)) and np.all((C < 0) == (a2_star == 0))
    # on the separatrix both decay to 0, algebraically: u = u0 / (1 + 4 η_A u0 t)
    # (rtol 1e-9: κ² = 2 is not exact in float64, so C = −2.2e-16 there, not 0)
    a2, c = rp.closed_form_flow(1.0, np.sqrt(eta_x / (2 * eta_A)), eta_A, eta_x, 1e4)
    np.testing.assert_allclose(c ** 2, 2.0 / (1 + 4 * eta_A * 2.0 * 1e4), rtol=1e-9)


@pytest.mark.parametrize("eta_A, eta_x", [(1.0, 1.0), (0.3, 3.0)])
def test_repons_fate_by_integration_equals_sign_of_C_for_1000_starts(eta_A, eta_x):
    rng = np.random.default_rng(4)
    a2, c = rng.standard_normal((2, 3000))
    kinetic, potential = a2 ** 2 / (2 * eta_A), c ** 2 / eta_x
    away = np.abs(kinetic - potential) > 0.05 * (kinetic + potential)  # off the separatrix
    a2, c = a2[away][:1000], c[away][:1000]
    assert a2.size == 1000
    fate, t_end, _, _ = rp.fate_by_integration(a2, c, eta_A, eta_x)
    np.testing.assert_array_equal(fate, rp.fate_from_C(a2, c, eta_A, eta_x))
    assert np.all(t_end * (2 * eta_A * c ** 2 + eta_x * a2 ** 2) >= 60.0)


def test_repons_integration_clock_traces_the_physical_flow():
    """fate_by_integration's end state at its t(s) is the closed-form solution at that t."""
    a2_0, c_0 = np.array([1.0, -0.4, 0.2]), np.array([0.3, 0.9, -0.05])
    _, t_end, a2, c = rp.fate_by_integration(a2_0, c_0, 0.7, 1.3, s_max=20.0, ds=0.02)
    a2_cf, c_cf = rp.closed_form_flow(a2_0, c_0, 0.7, 1.3, t_end)
    assert np.abs(a2 - a2_cf).max() < 1e-9 and np.abs(c - c_cf).max() < 1e-9


def test_repons_rk4_is_fourth_order():
    errs = [abs(rp.rk4(lambda t, y: -y + np.cos(t), 1.0, 1.0 / n, n)[1][-1] -
                (0.5 * (np.cos(1) + np.sin(1)) + 0.5 * np.exp(-1))) for n in (10, 20)]
    assert 14 < errs[0] / errs[1] < 18


# --- Fig. 4 -------------------------------------------------------------------------

def test_repons_phase_portrait_data():
    pp = rp.phase_portrait_data(1.0, 0.5, lim=2.0, n_grid=11, t_max=20.0, n_steps=2000)
    assert pp.slope == pytest.approx(0.5)
    assert pp.a2_grid.shape == pp.dc.shape == pp.collides.shape == (11, 11)
    assert pp.trajectories.shape == (pp.t.size, 16, 2)
    np.testing.assert_array_equal(pp.fate, pp.fate_from_C)
    np.testing.assert_array_equal(pp.collides, np.abs(pp.c_grid) < pp.slope * np.abs(pp.a2_grid))
    assert set(pp.fate) == {rp.FATE_COLLISION, rp.FATE_MEMORIZATION}
    # trajectories never cross the separatrix: the sign of C is kept along each
    C = rp.conserved_C(pp.trajectories[..., 0], pp.trajectories[..., 1], 1.0, 0.5)
    assert np.all(np.sign(C) == np.sign(pp.C))


# --- Theorem 3, Eq. (12) ------------------------------------------------------------

def test_repons_eq12_is_the_integral_over_abs_c_below_kappa_abs_a2():
    """Quadrature of the Gaussian over |c| < κ|a2| gives Eq. (12); the signed c/a < κ does not."""
    sigma_a, sigma_c, eta_A, eta_x = 1.5, 0.8, 1.0, 0.6
    kappa = rp.separatrix_slope(eta_A, eta_x)
    g = np.linspace(-12, 12, 2401)
    a, c = np.meshgrid(sigma_a * g, sigma_c * g)
    w = np.exp(-0.5 * (g[None, :] ** 2 + g[:, None] ** 2)) / (2 * np.pi) * (g[1] - g[0]) ** 2
    p = rp.p_collision(sigma_a, sigma_c, eta_A, eta_x)
    assert np.sum(w * (np.abs(c) < kappa * np.abs(a))) == pytest.approx(p, abs=2e-3)
    signed = np.sum(w * (c * np.sign(a) < kappa * np.abs(a)))   # c/a < κ read literally
    m = sigma_a / sigma_c * kappa
    assert signed == pytest.approx(0.5 + np.arctan(m) / np.pi, abs=2e-3)
    assert abs(signed - p) > 0.1


@pytest.mark.parametrize("sigma_a, sigma_c, eta_A, eta_x",
                         [(1.0, 1.0, 1.0, 1.0), (1.0, 1.0, 1.0, 10.0),
                          (2.0, 1.0, 1.0, 0.1), (0.5, 2.0, 0.2, 4.0)])
def test_repons_eq12_matches_monte_carlo(sigma_a, sigma_c, eta_A, eta_x):
    res = rp.mc_collision_probability(sigma_a, sigma_c, eta_A, eta_x, n_samples=200_000,
                                      seed=1, n_integrate=20_000)
    p = rp.p_collision(sigma_a, sigma_c, eta_A, eta_x)
    assert abs(res.p_sign - p) < 3 * res.se_sign
    assert abs(res.p_integrated - p) < 3 * res.se_integrated
    assert res.n_disagree == 0 and res.n_undecided == 0


def test_repons_monte_carlo_same_seed_same_result():
    r1 = rp.mc_collision_probability(1.0, 1.0, 1.0, 2.0, 1000, seed=7, n_integrate=200)
    r2 = rp.mc_collision_probability(1.0, 1.0, 1.0, 2.0, 1000, seed=7, n_integrate=200)
    assert r1 == r2


# --- Eq. (13): one repon and a cluster of N -----------------------------------------

def test_repons_eq13_with_N1_is_eq12():
    for args in [(1.0, 1.0, 1.0, 1.0), (2.0, 0.5, 0.3, 7.0)]:
        assert rp.p_collision_N(*args, N=1) == rp.p_collision(*args)
    assert rp.p_collision_N(1.0, 1.0, 1.0, 1.0, 5) < rp.p_collision_N(1.0, 1.0, 1.0, 1.0, 2)


@pytest.mark.parametrize("N", [1, 2, 5])
def test_repons_n_repon_flow_is_eq10_with_eta_A_N(N):
    """The full (N + 1)-repon flow, b = y ≠ 0, in physical time: the cluster stays
    together, b and the mean stay put, and (A, half separation) follow Eq. (10) with
    η_A,N = 2N/(N + 1) η_A."""
    eta_A, eta_x = 0.8, 1.1
    a2_0, c_0 = np.array([1.0, 0.4, -0.7]), np.array([0.5, 1.0, 0.6])
    state = rp.n_repon_initial_state(a2_0, c_0, N, y=0.7)
    t, traj = rp.rk4(rp.n_repon_flow_rhs, state, 0.01, 2000, args=(eta_A, eta_x, 0.7),
                     save_every=50)
    x = traj["x"][..., 0]                                           # (T, 3, N+1)
    assert np.abs(x[..., 1:] - x[..., 1:2]).max() == 0.0
    assert np.abs(x.mean(axis=-1)).max() < 1e-14 and np.abs(traj["b"] - 0.7).max() < 1e-14
    a2_cf, c_cf = rp.closed_form_flow(a2_0, c_0, 2 * N / (N + 1) * eta_A, eta_x, t[:, None])
    assert np.abs(traj["A"][..., 0, 0] - a2_cf).max() < 1e-8
    assert np.abs((x[..., 0] - x[..., 1]) / 2 - c_cf).max() < 1e-8


@pytest.mark.parametrize("N", [2, 5])
def test_repons_eq13_matches_monte_carlo_of_the_n_repon_flow(N):
    """Measured (10,000 draws, seed 2, σ's and η's = 1): N = 2: 0.3557 ± 0.0048 vs
    Eq. (13) 0.3498; N = 5: 0.3244 ± 0.0047 vs 0.3190 — within 3 SE, as derived."""
    res = rp.mc_collision_probability_N(1.0, 1.0, 1.0, 1.0, N, n_samples=10_000, seed=2)
    p = rp.p_collision_N(1.0, 1.0, 1.0, 1.0, N)
    assert abs(res.p_integrated - p) < 3 * res.se_integrated
    assert res.n_disagree == 0 and res.n_undecided == 0
    assert abs(res.p_integrated - rp.p_collision(1.0, 1.0, 1.0, 1.0)) > 5 * res.se_integrated


# --- Bad input ----------------------------------------------------------------------

def numbered(cases):
    """Bad-input cases with ids case0, case1, ...: ids built from the argument names
    (sigma_a=0.0, ...) would put these tests in the exercises' -k selections."""
    return [pytest.param(*c, id=f"case{k}") for k, c in enumerate(cases)]


@pytest.mark.parametrize("call, name", numbered([
    (lambda: rp.conserved_C(1.0, 1.0, 0.0, 1.0), "eta_A=0.0"),
    (lambda: rp.closed_form_flow(1.0, 1.0, 1.0, -2.0, 1.0), "eta_x=-2.0"),
    (lambda: rp.p_collision(0.0, 1.0, 1.0, 1.0), "sigma_a=0.0"),
    (lambda: rp.p_collision(1.0, -1.0, 1.0, 1.0), "sigma_c=-1.0"),
    (lambda: rp.p_collision_N(1.0, 1.0, 1.0, 1.0, 0), "N=0"),
    (lambda: rp.mc_collision_probability(1.0, 1.0, 1.0, 1.0, 0, seed=0), "n_samples=0"),
    (lambda: rp.pair_loss(np.ones((3, 2)), np.ones(3), np.ones(2), np.ones(3), np.ones(3)),
     "x2.shape=(3,)"),
    (lambda: rp.pair_loss_grads(np.ones((3, 2)), np.ones(2), np.ones(2), np.ones(2), np.ones(3)),
     "b.shape=(2,)"),
    (lambda: rp.closed_form_flow(1.0, 1.0, 1.0, 1.0, -1.0), "t="),
    (lambda: rp.fate_by_integration(1.0, 1.0, 1.0, 1.0, ds=0.0), "ds=0.0"),
    (lambda: rp.phase_portrait_data(1.0, 1.0, lim=-1.0), "lim=-1.0"),
    (lambda: rp.rk4(rp.scalar_flow_rhs, np.ones(2), -0.1, 3, args=(1.0, 1.0)), "dt=-0.1"),
]))
def test_repons_bad_input_raises_naming_the_value(call, name):
    with pytest.raises(ValueError, match=re.escape(name)):
        call()


REPONS_NAN = float("nan")


def _repons_pair_state(bad_key=None):
    """A (3, 2) pair state for full_flow_rhs with a NaN in state[bad_key], if given."""
    state = {"A": np.ones((3, 2)), "b": np.ones(3), "x1": np.ones(2), "x2": -np.ones(2)}
    if bad_key is not None:
        state[bad_key] = state[bad_key].copy()
        state[bad_key].flat[-1] = REPONS_NAN
    return state


# one NaN in one argument of every public function: a ValueError naming it, never a
# silent NaN or a plausible answer (fixed_point(nan, 1, 1, 1) used to return (0, 0))
REPONS_NAN_CALLS = [
    (lambda: rp.rk4(rp.scalar_flow_rhs, np.array([1.0, REPONS_NAN]), 0.1, 3, args=(1.0, 1.0)),
     "y0=nan (entry (1,) of shape (2,))"),
    (lambda: rp.rk4(rp.scalar_flow_rhs, np.ones(2), REPONS_NAN, 3, args=(1.0, 1.0)), "dt=nan"),
    (lambda: rp.pair_loss(np.ones((3, 2)), np.ones(3), np.array([1.0, REPONS_NAN]), np.ones(2),
                          np.ones(3)), "x1=nan"),
    (lambda: rp.pair_loss_grads(np.ones((3, 2)), np.ones(3), np.ones(2), np.ones(2),
                                np.array([0.0, 0.0, REPONS_NAN])), "y=nan"),
    (lambda: rp.full_flow_rhs(0.0, _repons_pair_state("A"), 1.0, 1.0, np.zeros(3)), "state['A']=nan"),
    (lambda: rp.full_flow_rhs(0.0, _repons_pair_state(), 1.0, REPONS_NAN, np.zeros(3)),
     "eta_x=nan"),
    (lambda: rp.appendix_c_b(REPONS_NAN, np.ones(3), 1.0), "t=nan"),
    (lambda: rp.reduced_flow_rhs(0.0, {"A": np.ones((3, 2)), "r": np.array([REPONS_NAN, 0.0])},
                                 1.0, 1.0), "state['r']=nan"),
    (lambda: rp.reduction_check(np.ones((3, 2)), np.array([1.0, REPONS_NAN]), np.zeros(3),
                                1.0, 1.0, 1.0, 10), "r0=nan"),
    (lambda: rp.ansatz_state(1.0, 0.0, REPONS_NAN, np.ones((3, 2)), np.array([1.0, 0.0])), "c=nan"),
    (lambda: rp.ansatz_residual(np.ones((3, 2)), np.array([REPONS_NAN, 0.0]), np.ones((3, 2)),
                                np.array([1.0, 0.0])), "r=nan"),
    (lambda: rp.scalar_flow_rhs(0.0, np.array([REPONS_NAN, 1.0]), 1.0, 1.0), "state=nan"),
    (lambda: rp.conserved_C(REPONS_NAN, 1.0, 1.0, 1.0), "a2=nan"),
    (lambda: rp.conserved_C(np.array([1.0, np.inf, 2.0]), 1.0, 1.0, 1.0),
     "a2=inf (entry (1,) of shape (3,))"),
    (lambda: rp.separatrix_slope(1.0, REPONS_NAN), "eta_x=nan"),
    (lambda: rp.fixed_point(REPONS_NAN, 1.0, 1.0, 1.0), "a2=nan"),
    (lambda: rp.fixed_point(1.0, 1.0, REPONS_NAN, 1.0), "eta_A=nan"),
    (lambda: rp.fate_from_C(1.0, REPONS_NAN, 1.0, 1.0), "c=nan"),
    (lambda: rp.closed_form_flow(np.array([1.0, REPONS_NAN]), 1.0, 1.0, 1.0, 1.0), "a2_0=nan"),
    (lambda: rp.closed_form_flow(1.0, 1.0, 1.0, 1.0, REPONS_NAN), "t=nan"),
    (lambda: rp.fate_by_integration(1.0, REPONS_NAN, 1.0, 1.0), "c_0=nan"),
    (lambda: rp.phase_portrait_data(REPONS_NAN, 1.0), "eta_A=nan"),
    (lambda: rp.phase_portrait_data(1.0, 1.0, lim=REPONS_NAN), "lim=nan"),
    (lambda: rp.phase_portrait_data(1.0, 1.0, starts=[[REPONS_NAN, 1.0]]), "starts=nan"),
    (lambda: rp.p_collision(REPONS_NAN, 1.0, 1.0, 1.0), "sigma_a=nan"),
    (lambda: rp.mc_collision_probability(1.0, REPONS_NAN, 1.0, 1.0, 100, seed=0), "sigma_c=nan"),
    (lambda: rp.mc_collision_probability(1.0, 1.0, REPONS_NAN, 1.0, 100, seed=0), "eta_A=nan"),
    (lambda: rp.p_collision_N(1.0, 1.0, REPONS_NAN, 1.0, 2), "eta_A=nan"),
    (lambda: rp.n_repon_flow_rhs(0.0, {"A": np.ones((1, 1)), "b": np.zeros(1),
                                       "x": np.array([[1.0], [REPONS_NAN]])}, 1.0, 1.0, 0.0),
     "state['x']=nan"),
    (lambda: rp.n_repon_initial_state(REPONS_NAN, 1.0, 2), "a2=nan"),
    (lambda: rp.mc_collision_probability_N(1.0, 1.0, 1.0, REPONS_NAN, 2, 100, seed=0), "eta_x=nan"),
]


@pytest.mark.parametrize("call, name", numbered(REPONS_NAN_CALLS))
def test_repons_nan_input_raises_naming_the_argument(call, name):
    # an array names its first bad entry: "a2=inf (entry (1,) of shape (3,)) is not allowed"
    pattern = "^" + re.escape(name) + r"[^:]* is not allowed: .* must be finite"
    with pytest.raises(ValueError, match=pattern):
        call()


@pytest.mark.parametrize("call, name", numbered([
    (lambda: rp.mc_collision_probability(1.0, 1.0, 1.0, 1.0, True, seed=0), "n_samples=True"),
    (lambda: rp.mc_collision_probability(1.0, 1.0, 1.0, 1.0, 10, seed=1.5), "seed=1.5"),
    (lambda: rp.mc_collision_probability(1.0, 1.0, 1.0, 1.0, 10, seed=0, n_integrate=20),
     "n_integrate=20"),
    (lambda: rp.mc_collision_probability_N(1.0, 1.0, 1.0, 1.0, 0, 10, seed=0), "N=0"),
    (lambda: rp.p_collision_N(1.0, 1.0, 1.0, 1.0, 2.0), "N=2.0"),
    (lambda: rp.rk4(rp.scalar_flow_rhs, np.ones(2), 0.1, True, args=(1.0, 1.0)), "n_steps=True"),
    (lambda: rp.phase_portrait_data(1.0, 1.0, n_grid=True), "n_grid=True"),
    (lambda: rp.conserved_C(1.0, 1.0, True, 1.0), "eta_A=True"),
    (lambda: rp.fixed_point("1", 1.0, 1.0, 1.0), "a2='1'"),
    (lambda: rp.conserved_C(None, 1.0, 1.0, 1.0), "a2=None"),
    (lambda: rp.p_collision(1j, 1.0, 1.0, 1.0), "sigma_a=1j"),
    (lambda: rp.fate_by_integration(1.0, 1.0, 1.0, 1.0, tol=0.0), "tol=0.0"),
    (lambda: rp.fate_by_integration(1.0, 1.0, 1.0, 1.0, s_max=np.inf), "s_max=inf"),
    (lambda: rp.reduction_check(np.ones((3, 2)), np.ones(2), np.zeros(3), 1.0, 1.0, 1.0, 0),
     "n_steps=0"),
]))
def test_repons_bad_types_and_ranges_raise_in_one_shape(call, name):
    """Every checker says "name=value is not allowed: ... must be ..." (one message shape;
    before, eta_A=True passed as 1.0, tol=0 and n_integrate > n_samples passed silently)."""
    with pytest.raises(ValueError, match="^" + re.escape(name) + r" is not allowed: \S.* must be "):
        call()


# --- README exercise 9 ---------------------------------------------------------------

def test_exercise_eq12_at_equal_rates_and_widths():
    """σ_a = σ_c, η_x = η_A: p_r = (2/π) arctan(1/√2) = 0.3918..."""
    assert rp.p_collision(1.0, 1.0, 1.0, 1.0) == pytest.approx(2 / np.pi * np.arctan(np.sqrt(0.5)), rel=1e-15)
    assert round(rp.p_collision(1.0, 1.0, 1.0, 1.0), 4) == 0.3918
