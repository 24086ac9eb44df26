"""GenEFT Section IV: the interacting repon theory, Eqs. (6)–(13), Theorems 2–3,
Appendix C, and the data behind Fig. 4 — in the order the paper gives them.

Paper: Baek, Liu, Tegmark, "GenEFT: Understanding Statics and Dynamics of Model
Generalization via Physics-Inspired Effective Theory". Everything is float64 NumPy.
Arrays may carry leading batch axes (...), one per independent start, so a
thousand initial conditions integrate in one call. The formulas hold no input checks:
the file closes with the entry points, each formula behind one clear ValueError.

Glossary (paper symbol -> name here)
    ℓ              pair loss, Eq. (6)                -> pair_loss(A, b, x1, x2, y)
    A, b           linearised decoder D(x) ≈ A x + b -> A (..., m, d), b (..., m)
    x1, x2         the two repons (embeddings)       -> x1, x2 (..., d)
    y              their common target               -> y (..., m)
    η_A, η_x       decoder / encoder learning rates  -> eta_A, eta_x  (η_A ↔ η_dec, η_x ↔ η_enc)
    r              half separation (x1 − x2)/2       -> r (..., d)
    s              centre (x1 + x2)/2 (Appendix C)   -> s (..., d)
    a, b(t), c     ansatz coefficients, Eq. (9)      -> a, b9, c  (b9: not the bias b)
    A0, r0         ansatz directions, |r0| = 1       -> A0, r0
    a2             a + b(t), Eq. (10)                -> a2
    C              conserved quantity, Eq. (11)      -> conserved_C(a2, c, eta_A, eta_x)
    a2*, c*        fixed point, Theorem 2            -> fixed_point(...)
    σ_a, σ_c       Gaussian widths of a2(0), c(0)    -> sigma_a, sigma_c
    p_r            collision probability (12), (13)  -> p_collision, p_collision_N
    N              repons in the cluster, Eq. (13)   -> N
    κ              separatrix slope √(η_x/(2η_A))    -> separatrix_slope(eta_A, eta_x)

What the code found where the printed paper and the mathematics differ (each pinned
by a test in test_repons.py):
  * (C1), b line: ∂ℓ/∂b = A(x1 + x2) + 2(b − y), not A(x1 + x2) + b − y; and the
    x line is ∂ℓ/∂x_i, not ∂ℓ/∂r. Appendix C's b(t) = (1 − e^{−2η_A t}) y follows
    from the correct factor 2, so the print is a typo and the appendix used the truth.
  * Appendix C's "without loss of generality x1 + x2 = 0" holds exactly only while
    Aᵀ(b − y) = 0 (e.g. y = 0, or b(0) = y, or y ⟂ the columns of A); otherwise the
    centre s moves (the e^{−2η_A t} Aᵀy term of (C2)) and Eq. (8) is approximate.
  * Eq. (9) solves Eq. (8) only if r0 is an eigenvector of A0ᵀA0 (always so in one
    embedding dimension); Eq. (10) then holds with a2 measured in units of |A0 r0|.
  * Eq. (12)'s region "c/a < √(η_x/2η_A)" is read as |c|/|a2| < √(η_x/2η_A), i.e.
    C > 0; that reading, and only it, gives the printed arctan. (σ_x there is σ_c.)
  * Eq. (13) is exact for N + 1 repons under the same loss, with c the half distance
    from the lone repon to the cluster: η_A is replaced by η_A,N = 2N/(N + 1) η_A.
"""
import functools
from dataclasses import dataclass

import numpy as np

FATE_COLLISION = "collision"        # c → 0: the repons meet (generalisation)
FATE_MEMORIZATION = "memorization"  # a2 → 0 with c ≠ 0: no collision
FATE_UNDECIDED = "undecided"        # on (or numerically at) the separatrix C = 0


# --- The integrator: classical fixed-step RK4 (used by every flow below) ------------

def _axpy(y, k, h):
    """y + h k for an array or a dict of arrays."""
    if isinstance(y, dict):
        return {key: y[key] + h * k[key] for key in y}
    return y + h * k


def rk4(f, y0, dt, n_steps, args=(), t0=0.0, save_every=1):
    """Classical RK4 for dy/dt = f(t, y, *args), fixed step dt, n_steps steps.

    y_{n+1} = y_n + dt/6 (k1 + 2 k2 + 2 k3 + k4),  k1 = f(t, y), k2 = f(t + dt/2, y + dt/2 k1),
    k3 = f(t + dt/2, y + dt/2 k2),  k4 = f(t + dt, y + dt k3).
    y0 is an array (leading axes = a batch of independent starts) or a dict of arrays.
    Returns (t, ys): t (n_saved,) and ys (n_saved, *y0.shape) (a dict of such for a dict
    y0), holding t0, every save_every-th step and always the last step.
    """
    y = y0
    t, ts, ys = float(t0), [float(t0)], [y]
    for n in range(1, n_steps + 1):
        k1 = f(t, y, *args)
        k2 = f(t + dt / 2, _axpy(y, k1, dt / 2), *args)
        k3 = f(t + dt / 2, _axpy(y, k2, dt / 2), *args)
        k4 = f(t + dt, _axpy(y, k3, dt), *args)
        incr = _axpy(_axpy(k1, k2, 2.0), _axpy(k3, k4, 0.5), 2.0)  # k1 + 2k2 + 2k3 + k4
        y = _axpy(y, incr, dt / 6)
        t = float(t0) + n * dt
        if n % save_every == 0 or n == n_steps:
            ts.append(t)
            ys.append(y)
    if isinstance(y0, dict):
        return np.array(ts), {k: np.stack([s[k] for s in ys]) for k in y0}
    return np.array(ts), np.stack(ys)


# --- Section IV, Eqs. (6)–(7) and Appendix C (C1): the pair loss and its gradient flow

def _mv(A, x):    # A x        (..., m, d), (..., d) -> (..., m)
    return np.einsum("...ij,...j->...i", A, x)


def _mtv(A, e):   # Aᵀ e       (..., m, d), (..., m) -> (..., d)
    return np.einsum("...ij,...i->...j", A, e)


def _outer(u, v):  # u vᵀ      (..., p), (..., q) -> (..., p, q)
    return u[..., :, None] * v[..., None, :]


def pair_loss(A, b, x1, x2, y):
    """Eq. (6): ℓ = ½ (|A x1 + b − y|² + |A x2 + b − y|²).  Returns (...,)."""
    e1, e2 = _mv(A, x1) + b - y, _mv(A, x2) + b - y
    return 0.5 * (np.sum(e1 ** 2, axis=-1) + np.sum(e2 ** 2, axis=-1))


def pair_loss_grads(A, b, x1, x2, y):
    """(C1): the gradients of ℓ of Eq. (6), one line per line of Appendix C.

    ∂ℓ/∂A  = A (x1 x1ᵀ + x2 x2ᵀ) + (b − y)(x1 + x2)ᵀ        (as printed)
    ∂ℓ/∂b  = A (x1 + x2) + 2 (b − y)                          (printed: A(x1 + x2) + b − y)
    ∂ℓ/∂x_i = Aᵀ (A x_i + b − y),  i = 1, 2                   (printed with the label ∂ℓ/∂r)
    The printed b line drops the factor 2 of the two equal (b − y) terms; the finite-
    difference test decides for the 2 (test_repons_printed_C1_b_line_is_a_typo), and the
    appendix's own b(t) = (1 − e^{−2η_A t}) y needs it. Returns a dict keyed A, b, x1, x2.
    """
    g_A = A @ (_outer(x1, x1) + _outer(x2, x2)) + _outer(b - y, x1 + x2)
    g_b = _mv(A, x1 + x2) + 2.0 * (b - y)
    g_x1 = _mtv(A, _mv(A, x1) + b - y)
    g_x2 = _mtv(A, _mv(A, x2) + b - y)
    return {"A": g_A, "b": g_b, "x1": g_x1, "x2": g_x2}


def full_flow_rhs(t, state, eta_A, eta_x, y):
    """Eq. (7) with (C1): dA/dt = −η_A ∂ℓ/∂A,  db/dt = −η_A ∂ℓ/∂b,  dx_i/dt = −η_x ∂ℓ/∂x_i.

    state = {"A": (..., m, d), "b": (..., m), "x1": (..., d), "x2": (..., d)}; for rk4.
    """
    g = pair_loss_grads(state["A"], state["b"], state["x1"], state["x2"], y)
    return {"A": -eta_A * g["A"], "b": -eta_A * g["b"],
            "x1": -eta_x * g["x1"], "x2": -eta_x * g["x2"]}


def appendix_c_b(t, y, eta_A, b0=0.0):
    """Appendix C: b(t) = (1 − e^{−2η_A t}) y for b(0) = 0; here b(t) = y + (b0 − y) e^{−2η_A t}.

    Derived from Eq. (6): write s = (x1 + x2)/2, r = (x1 − x2)/2 and m = A s + b − y.
    Then exactly
        db/dt = −2η_A m,  ds/dt = −η_x Aᵀ m,  dr/dt = −η_x AᵀA r,
        dA/dt = −2η_A (A r rᵀ + m sᵀ).
    With s = 0, m = b − y and db/dt = −2η_A (b − y) gives the formula above (the factor 2
    is the one (C1)'s print drops). But s = 0 persists only while Aᵀ(b − y) = 0: the set
    {s = 0, Aᵀ(b − y) = 0} is invariant (y = 0, b(0) = y, or y ⟂ the columns of A), and
    on it b(t), Eq. (8) and (C3) are exact. From the appendix's b(0) = 0 with Aᵀy ≠ 0,
    ds/dt = −η_x Aᵀ(b − y) = η_x Aᵀy ≠ 0 at t = 0 (the term (C2) writes as
    η_x e^{−2η_A t} Aᵀy, and which cancels only in the difference dr/dt), so s drifts,
    b leaves the formula and A leaves Eq. (8) by the m sᵀ term: "without loss of
    generality x1 + x2 = 0" is an approximation there. Measured by reduction_check
    (random A0 (3×2), r0, y, seed 1; η_A = 1, t ≤ 20): η_x/η_A = 0.1, 1, 10 give
    |b − b(t)|/|y| = 0.006, 0.040, 0.17 and ‖A − A_Eq8‖/‖A0‖ = 0.0008, 0.014, 0.038.
    """
    t = t[..., None]                                      # (..., 1): one time per row of y
    return y + (b0 - y) * np.exp(-2.0 * eta_A * t)


# --- Section IV, Eq. (8) / (C3): the reduced matrix flow --------------------------

def reduced_flow_rhs(t, state, eta_A, eta_x):
    """Eq. (8) = (C3): dA/dt = −2η_A A r rᵀ,  dr/dt = −η_x AᵀA r.

    state = {"A": (..., m, d), "r": (..., d)}; r = (x1 − x2)/2 is half the separation.
    """
    A, r = state["A"], state["r"]
    Ar = _mv(A, r)
    return {"A": -2.0 * eta_A * _outer(Ar, r), "r": -eta_x * _mtv(A, Ar)}


@dataclass(frozen=True)
class ReductionCheck:
    """How far the full (C1) flow is from Appendix C's reduction, over a trajectory."""
    t: np.ndarray        # (n_saved,) the times compared
    err_b: float         # max |b − appendix_c_b(t)| / max(|y|, 1)
    err_A: float         # max ‖A_full − A_Eq8‖ / ‖A0‖
    err_r: float         # max |r_full − r_Eq8| / |r0|
    max_s: float         # max |(x1 + x2)/2| / |r0|  (0 if "x1 + x2 = 0" held)


def reduction_check(A0, r0, y, eta_A, eta_x, t_max, n_steps, b0=None):
    """Appendix C, checked: integrate (C1) from x1 = r0, x2 = −r0, b(0) = b0 (default 0)
    and Eq. (8) from (A0, r0) with the same RK4 steps; compare b with b(t), A and r."""
    b0 = np.zeros_like(y) if b0 is None else b0
    dt = t_max / n_steps
    full0 = {"A": A0, "b": b0, "x1": r0, "x2": -r0}
    t, full = rk4(full_flow_rhs, full0, dt, n_steps, args=(eta_A, eta_x, y))
    _, red = rk4(reduced_flow_rhs, {"A": A0, "r": r0}, dt, n_steps, args=(eta_A, eta_x))
    r_full = (full["x1"] - full["x2"]) / 2
    s_full = (full["x1"] + full["x2"]) / 2
    ny, nA, nr = max(np.linalg.norm(y), 1.0), np.linalg.norm(A0), np.linalg.norm(r0)
    return ReductionCheck(
        t=t,
        err_b=float(np.max(np.abs(full["b"] - appendix_c_b(t, y, eta_A, b0))) / ny),
        err_A=float(np.max(np.linalg.norm(full["A"] - red["A"], axis=(-2, -1))) / nA),
        err_r=float(np.max(np.linalg.norm(r_full - red["r"], axis=-1)) / nr),
        max_s=float(np.max(np.linalg.norm(s_full, axis=-1)) / nr))


# --- Section IV, Eq. (9): the ansatz that reduces Eq. (8) to two scalars -----------

def ansatz_state(a, b9, c, A0, r0):
    """Eq. (9): A(t) = a(t) A0 + b(t) A0 r0 r0ᵀ,  r(t) = c(t) r0   (|r0| = 1).

    It solves Eq. (8) exactly iff A0ᵀA0 r0 = λ r0 (r0 a right singular vector of A0;
    automatic when d = 1): then da/dt = 0, db/dt = −2η_A λ (a + b) c², dc/dt =
    −η_x λ (a + b)² c, which is Eq. (10) for a2 = (a + b)|A0 r0| (λ = |A0 r0|²). For
    other r0, AᵀA r leaves the r0 direction and r(t) turns away (tested).
    """
    a, b9, c = a[..., None], b9[..., None], c[..., None]
    A = a[..., None] * A0 + b9[..., None] * _outer(_mv(A0, r0), r0)
    return A, c * r0


def ansatz_residual(A, r, A0, r0):
    """Distance of (A, r) from the Eq. (9) family: fit a, b, c by projection, return
    (a, b9, c, residual) with residual = ‖A − A(a, b9)‖ + |r − c r0| (0 inside the family)."""
    P = np.eye(r0.shape[-1]) - np.outer(r0, r0)        # projector off r0
    M = A0 @ P
    a = np.sum(A @ P * M, axis=(-2, -1)) / np.sum(M * M)   # A P = a A0 P
    a2_raw = np.sum(_mv(A, r0) * _mv(A0, r0), axis=-1) / np.sum(_mv(A0, r0) ** 2)
    c = r @ r0
    A_fit, r_fit = ansatz_state(a, a2_raw - a, c, A0, r0)
    resid = np.linalg.norm(A - A_fit, axis=(-2, -1)) + np.linalg.norm(r - r_fit, axis=-1)
    return a, a2_raw - a, c, resid


# --- Section IV, Eqs. (10)–(11) and Theorem 2: the (a2, c) flow --------------------

def scalar_flow_rhs(t, state, eta_A, eta_x):
    """Eq. (10): da2/dt = −2 η_A c² a2,  dc/dt = −η_x a2² c.   state[..., 0] = a2, [..., 1] = c."""
    a2, c = state[..., 0], state[..., 1]
    return np.stack([-2.0 * eta_A * c ** 2 * a2, -eta_x * a2 ** 2 * c], axis=-1)


def conserved_C(a2, c, eta_A, eta_x):
    """Eq. (11): C = a2²/(2η_A) − c²/η_x;  dC/dt = −2a2²c² + 2a2²c² = 0 along Eq. (10)."""
    return a2 ** 2 / (2.0 * eta_A) - c ** 2 / eta_x


def separatrix_slope(eta_A, eta_x):
    """Fig. 4 / Eq. (12): C = 0 on the lines c = ±κ a2 with κ = √(η_x/(2η_A))."""
    return float(np.sqrt(eta_x / (2.0 * eta_A)))


def fixed_point(a2, c, eta_A, eta_x):
    """Theorem 2: C > 0 → c* = 0, a2* = ±√(2η_A C);  C < 0 → a2* = 0, c* = ±√(−η_x C).

    Signs are those of a2(0) and c(0) (neither a2 nor c changes sign under Eq. (10)).
    C = 0 (the separatrix) → (0, 0). Returns (a2*, c*) broadcast over the inputs.
    """
    C = conserved_C(a2, c, eta_A, eta_x)
    a2, c = np.broadcast_arrays(a2, c)
    a2_star = np.where(C > 0, np.sign(a2) * np.sqrt(np.maximum(2.0 * eta_A * C, 0.0)), 0.0)
    c_star = np.where(C < 0, np.sign(c) * np.sqrt(np.maximum(-eta_x * C, 0.0)), 0.0)
    return a2_star, c_star


def fate_from_C(a2, c, eta_A, eta_x):
    """Theorem 2's verdict: collision if C > 0, memorization if C < 0, undecided if C = 0."""
    C = conserved_C(a2, c, eta_A, eta_x)
    return np.where(C > 0, FATE_COLLISION, np.where(C < 0, FATE_MEMORIZATION, FATE_UNDECIDED))


def _bernoulli(u0, k, q, t):
    """u(t) for du/dt = −k u − q u², u(0) = u0 ≥ 0, q > 0, written so nothing overflows.

    With w = 1/u: dw/dt = k w + q, so w = w0 e^{kt} + q (e^{kt} − 1)/k. Writing
    E = e^{−|k|t} and g = (1 − E)/|k| (g = t at k = 0):
    k ≥ 0: u = u0 E / (1 + q u0 g);   k < 0: u = u0 / (E + q u0 g).
    """
    kt = np.abs(k) * t
    E = np.exp(-kt)
    safe_k = np.where(k == 0, 1.0, np.abs(k))
    g = np.where(k == 0, t, -np.expm1(-kt) / safe_k)
    return np.where(k >= 0, u0 * E / (1.0 + q * u0 * g), u0 / (E + q * u0 * g))


def closed_form_flow(a2_0, c_0, eta_A, eta_x, t):
    """Eq. (10) solved in closed form with the help of C (Eq. (11)).

    With u = c² and a2² = 2η_A C + (2η_A/η_x) u (that is Eq. (11)), Eq. (10) gives the
    logistic-type (Bernoulli) equation
        du/dt = −2η_x a2² u = −k u − 4η_A u²,   k = 4 η_A η_x C,
    whose solution is u(t) = u0 k / ((k + 4η_A u0) e^{kt} − 4η_A u0)  (u0/(1 + 4η_A u0 t)
    at C = 0). Likewise v = a2² obeys dv/dt = +k v − 2η_x v². Both are evaluated by
    _bernoulli (no cancellation near either fixed point); a2 and c keep their signs.
    t → ∞: C > 0 gives v → 2η_A C, u → 0; C < 0 gives u → −η_x C, v → 0 (Theorem 2).
    Returns (a2(t), c(t)) broadcast over a2_0, c_0, t.
    """
    C = conserved_C(a2_0, c_0, eta_A, eta_x)
    k = 4.0 * eta_A * eta_x * C
    u = _bernoulli(c_0 ** 2, k, 4.0 * eta_A, t)
    v = _bernoulli(a2_0 ** 2, -k, 2.0 * eta_x, t)
    return np.sign(a2_0) * np.sqrt(v), np.sign(c_0) * np.sqrt(u)


def _clock_rhs(s, z, eta_A, eta_x):
    """Eq. (10) on the clock ds = R dt, R = 2η_A c² + η_x a2²; z[..., 2] carries t(s)."""
    a2, c = z[..., 0], z[..., 1]
    R = 2.0 * eta_A * c ** 2 + eta_x * a2 ** 2
    R = np.where(R > 0, R, 1.0)
    d = scalar_flow_rhs(s, z[..., :2], eta_A, eta_x) / R[..., None]
    return np.concatenate([d, (1.0 / R)[..., None]], axis=-1)


def fate_by_integration(a2_0, c_0, eta_A, eta_x, s_max=60.0, ds=0.2, tol=1e-6):
    """Theorem 2 by integration: run Eq. (10) with RK4 to a long time and read the end state.

    Starts of size ρ relax on a time scale 1/ρ², so no single dt and t_max suits a
    Gaussian batch. We therefore integrate on the clock ds = R dt, R = 2η_A c² + η_x a2²
    (the total decay rate): the same trajectories, only the clock differs, and t(s) =
    ∫ ds/R is integrated alongside (returned, often 1e3–1e20). On this clock ln|a2 c|
    falls by exactly 1 per unit s, so s_max = 60 is very long. The end state decides,
    relative to ρ = √(a2(0)² + c(0)²): collision if |c| ≤ tol ρ < |a2|, memorization if
    |a2| ≤ tol ρ < |c|, undecided otherwise (starts within ~1e-12 of the separatrix).
    C is not used. Returns (fate, t_reached, a2_end, c_end), each of the batch shape.
    """
    a2_0, c_0 = np.broadcast_arrays(a2_0, c_0)
    z0 = np.stack([a2_0, c_0, np.zeros_like(a2_0)], axis=-1)
    n_steps = int(np.ceil(s_max / ds))
    _, z = rk4(_clock_rhs, z0, s_max / n_steps, n_steps, args=(eta_A, eta_x), save_every=n_steps)
    a2, c, t = z[-1, ..., 0], z[-1, ..., 1], z[-1, ..., 2]
    rho = np.hypot(a2_0, c_0)
    fate = _fate_from_end_state(np.abs(a2), np.abs(c), tol * rho)
    return fate, t, a2, c


def _fate_from_end_state(size_a2, size_c, small):
    collided = (size_c <= small) & (size_a2 > small)
    frozen = (size_a2 <= small) & (size_c > small)
    return np.where(collided, FATE_COLLISION, np.where(frozen, FATE_MEMORIZATION, FATE_UNDECIDED))


# --- Section IV, Fig. 4: the (a2, c) phase portrait --------------------------------

@dataclass(frozen=True)
class PhasePortrait:
    """What Fig. 4 draws. Grid arrays are (n_grid, n_grid), indexed [i_c, i_a2]."""
    a2_grid: np.ndarray        # a2 at grid points
    c_grid: np.ndarray         # c at grid points
    da2: np.ndarray            # Eq. (10) da2/dt at grid points
    dc: np.ndarray             # Eq. (10) dc/dt at grid points
    collides: np.ndarray       # bool: C > 0 (green area) at grid points
    slope: float               # separatrix c = ±slope · a2, slope = √(η_x/(2η_A))
    starts: np.ndarray         # (n_starts, 2) the (a2(0), c(0)) of each trajectory
    t: np.ndarray              # (n_saved,) times of the trajectories
    trajectories: np.ndarray   # (n_saved, n_starts, 2) RK4 solutions of Eq. (10)
    C: np.ndarray              # (n_starts,) Eq. (11) at each start
    fate: np.ndarray           # (n_starts,) fate_by_integration's verdict
    fate_from_C: np.ndarray    # (n_starts,) Theorem 2's verdict (sign of C)


def phase_portrait_data(eta_A, eta_x, lim=2.0, n_grid=21, starts=None,
                        t_max=20.0, n_steps=2000):
    """Fig. 4: flow vectors of Eq. (10) on [−lim, lim]², the separatrix c/a2 = ±√(η_x/2η_A),
    and RK4 trajectories (t ∈ [0, t_max]) from `starts` (default: 16 points on a circle
    of radius 0.9 lim), each with its fate by integration and by the sign of C."""
    slope = separatrix_slope(eta_A, eta_x)
    g = np.linspace(-lim, lim, n_grid)
    a2_grid, c_grid = np.meshgrid(g, g)
    flow = scalar_flow_rhs(0.0, np.stack([a2_grid, c_grid], axis=-1), eta_A, eta_x)
    if starts is None:
        th = (np.arange(16) + 0.5) * 2 * np.pi / 16
        starts = 0.9 * lim * np.stack([np.cos(th), np.sin(th)], axis=-1)
    t, traj = rk4(scalar_flow_rhs, starts, t_max / n_steps, n_steps, args=(eta_A, eta_x),
                  save_every=max(1, n_steps // 400))
    fate, _, _, _ = fate_by_integration(starts[:, 0], starts[:, 1], eta_A, eta_x)
    return PhasePortrait(
        a2_grid=a2_grid, c_grid=c_grid, da2=flow[..., 0], dc=flow[..., 1],
        collides=conserved_C(a2_grid, c_grid, eta_A, eta_x) > 0, slope=slope,
        starts=starts, t=t, trajectories=traj,
        C=conserved_C(starts[:, 0], starts[:, 1], eta_A, eta_x), fate=fate,
        fate_from_C=fate_from_C(starts[:, 0], starts[:, 1], eta_A, eta_x))


# --- Section IV, Theorem 3, Eq. (12): the probability of repon collision -----------

def p_collision(sigma_a, sigma_c, eta_A, eta_x):
    """Eq. (12): p_r = P(C > 0) = (2/π) arctan((σ_a/σ_c) √(η_x/(2η_A))).

    Printed: ∬_{c/a < √(η_x/2η_A)} (1/(2π σ_a σ_x)) exp(−½[(a/σ_a)² + (c/σ_c)²]) da dc.
    Read here as the region |c|/|a2| < √(η_x/(2η_A)), which is exactly C > 0 (Theorem 2's
    collision set); in z = (a/σ_a, c/σ_c) it is the double cone |z_c| < m |z_a|,
    m = (σ_a/σ_c)κ, of angle 4 arctan m out of 2π — the printed arctan. The signed region
    c/a < κ would instead give ½ + (1/π) arctan m. σ_x in the print is σ_c.
    """
    return 2.0 / np.pi * np.arctan(sigma_a / sigma_c * separatrix_slope(eta_A, eta_x))


@dataclass(frozen=True)
class MCResult:
    """Monte Carlo collision probability, by the sign of C and by integration."""
    p_sign: float           # fraction with C > 0 (Theorem 2 applied to each draw)
    se_sign: float          # its binomial standard error √(p(1 − p)/n)
    n_sign: int
    p_integrated: float     # fraction whose integrated end state is a collision
    se_integrated: float    # (undecided draws count ½; the SE includes that)
    n_integrated: int       # the first n_integrated draws are also integrated
    n_undecided: int
    n_disagree: int         # integrated draws whose two verdicts differ
    relax_median: float     # median over integrated draws of t_end · R(0): the run length
                            # in units of each draw's initial relaxation time 1/R(0) (≥ s_max)


def _binomial(hits, n):
    p = hits / n
    return float(p), float(np.sqrt(max(p * (1 - p), 0.0) / n))


def mc_collision_probability(sigma_a, sigma_c, eta_A, eta_x, n_samples, seed,
                             n_integrate=None, s_max=60.0, ds=0.2):
    """Monte Carlo for Eq. (12): draw a2(0) ~ N(0, σ_a²), c(0) ~ N(0, σ_c²) with
    rng = np.random.default_rng(seed); decide every draw by the sign of C, and the first
    n_integrate draws (default min(n_samples, 20000)) by fate_by_integration."""
    n_int = min(n_samples, 20000) if n_integrate is None else n_integrate
    rng = np.random.default_rng(seed)
    a2, c = sigma_a * rng.standard_normal(n_samples), sigma_c * rng.standard_normal(n_samples)
    by_C = fate_from_C(a2, c, eta_A, eta_x)
    fate, t, _, _ = fate_by_integration(a2[:n_int], c[:n_int], eta_A, eta_x, s_max, ds)
    R0 = 2.0 * eta_A * c[:n_int] ** 2 + eta_x * a2[:n_int] ** 2
    return _mc_result(by_C, fate, t * R0)


def _mc_result(by_C, fate, relax):
    p_s, se_s = _binomial(np.sum(by_C == FATE_COLLISION), by_C.size)
    undecided = fate == FATE_UNDECIDED
    p_i, se_i = _binomial(np.sum(fate == FATE_COLLISION) + 0.5 * np.sum(undecided), fate.size)
    return MCResult(p_sign=p_s, se_sign=se_s, n_sign=by_C.size, p_integrated=p_i,
                    se_integrated=se_i, n_integrated=fate.size, n_undecided=int(undecided.sum()),
                    n_disagree=int(np.sum(fate != by_C[:fate.size])),
                    relax_median=float(np.median(relax)))


# --- Section IV, Discussions, Eq. (13): one repon and a cluster of N ---------------

def p_collision_N(sigma_a, sigma_c, eta_A, eta_x, N):
    """Eq. (13): p_r = (2/π) arctan((σ_a/σ_c) √(η_x / ((4/(1 + 1/N)) η_A))); N = 1 is Eq. (12).

    Derivation (n_repon_flow_rhs): N + 1 repons under ℓ_N = ½ Σ_i |A x_i + b − y|², the
    lone x_0 at s + 2N/(N+1) r and the N others at s − 2/(N+1) r, s their mean, r half the
    lone-to-cluster separation. On s = 0, b = y (invariant, as for N = 1): the cluster
    stays together, db/dt = 0, dr/dt = −η_x AᵀA r and dA/dt = −η_A (4N/(N+1)²)(N + 1)
    A r rᵀ = −2 η_A,N A r rᵀ with η_A,N = 2N/(N + 1) η_A. So Eq. (8)–(12) hold with
    η_A → η_A,N, which is exactly Eq. (13). (A mean instead of a sum over repons rescales
    time only.) Pinned by MC of the full (N + 1)-body flow within 3 SE for N = 2 and 5.
    """
    return p_collision(sigma_a, sigma_c, 2.0 * N / (N + 1) * eta_A, eta_x)


def n_repon_flow_rhs(t, state, eta_A, eta_x, y):
    """Eq. (7) for N + 1 repons with ℓ_N = ½ Σ_i |A x_i + b − y|² (Eq. (6) summed over all):
    dA/dt = −η_A Σ_i e_i x_iᵀ,  db/dt = −η_A Σ_i e_i,  dx_i/dt = −η_x Aᵀ e_i,  e_i = A x_i + b − y.

    state = {"A": (..., m, d), "b": (..., m), "x": (..., N + 1, d)}.
    """
    A, b, x = state["A"], state["b"], state["x"]
    e = np.einsum("...ij,...nj->...ni", A, x) + (b - y)[..., None, :]   # (..., N+1, m)
    return {"A": -eta_A * np.einsum("...ni,...nj->...ij", e, x),
            "b": -eta_A * e.sum(axis=-2),
            "x": -eta_x * np.einsum("...ij,...ni->...nj", A, e)}


def n_repon_initial_state(a2, c, N, y=0.0):
    """Eq. (13)'s set-up in one embedding and one output dimension: A = a2, b = y, the lone
    repon at 2N/(N+1) c and N repons at −2/(N+1) c (mean 0; half separation r = c)."""
    a2, c = np.broadcast_arrays(a2, c)
    x0, xN = 2.0 * N / (N + 1) * c, -2.0 / (N + 1) * c
    x = np.stack([x0] + [xN] * N, axis=-1)[..., None]                     # (..., N+1, 1)
    return {"A": a2[..., None, None], "b": np.full(a2.shape + (1,), float(y)), "x": x}


def _n_repon_clock_rhs(s, state, eta_A, eta_x):
    """n_repon_flow_rhs on the clock ds = R dt, R = η_x ‖A‖² + η_A Σ_i |x_i − x̄|²; "t" = t(s).

    b is held at y (= 0 here) and x̄ at 0, the values the flow keeps on this set-up (tested
    in physical time by test_repons_n_repon_flow_is_eq10_with_eta_A_N). Their mode decays
    at the fixed rate ≈ (N + 1)η_A, which on this clock grows without bound as R → 0, so
    explicit RK4 would amplify rounding noise in it; holding them removes only that noise.
    """
    x = state["x"]
    spread2 = np.sum((x - x.mean(axis=-2, keepdims=True)) ** 2, axis=(-2, -1))
    R = eta_x * np.sum(state["A"] ** 2, axis=(-2, -1)) + eta_A * spread2
    R = np.where(R > 0, R, 1.0)
    zero = np.zeros(state["A"].shape[:-1])
    d = n_repon_flow_rhs(s, {"A": state["A"], "b": zero, "x": x}, eta_A, eta_x, zero)
    dx = d["x"] - d["x"].mean(axis=-2, keepdims=True)
    return {"A": d["A"] / R[..., None, None], "x": dx / R[..., None, None], "t": 1.0 / R}


def mc_collision_probability_N(sigma_a, sigma_c, eta_A, eta_x, N, n_samples, seed,
                               s_max=60.0, ds=0.2, tol=1e-6):
    """Monte Carlo for Eq. (13): draw a2 ~ N(0, σ_a²), c ~ N(0, σ_c²), build the
    (N + 1)-repon state (n_repon_initial_state), integrate n_repon_flow_rhs with RK4 on
    the clock of fate_by_integration, and read the end state: collision if the repons'
    spread ≤ tol ρ < ‖A‖. The sign-of-C verdict uses η_A,N = 2N/(N + 1) η_A."""
    rng = np.random.default_rng(seed)
    a2, c = sigma_a * rng.standard_normal(n_samples), sigma_c * rng.standard_normal(n_samples)
    x = n_repon_initial_state(a2, c, N)["x"]
    x = x - x.mean(axis=-2, keepdims=True)                                # mean exactly ~0
    state = {"A": a2[:, None, None], "x": x, "t": np.zeros(n_samples)}
    n_steps = int(np.ceil(s_max / ds))
    _, end = rk4(_n_repon_clock_rhs, state, s_max / n_steps, n_steps, args=(eta_A, eta_x),
                 save_every=n_steps)
    x = end["x"][-1]
    spread = np.sqrt(np.sum((x - x.mean(axis=-2, keepdims=True)) ** 2, axis=(-2, -1)))
    fate = _fate_from_end_state(np.abs(end["A"][-1, :, 0, 0]), spread, tol * np.hypot(a2, c))
    eta_AN = 2.0 * N / (N + 1) * eta_A
    by_C = fate_from_C(a2, c, eta_AN, eta_x)
    return _mc_result(by_C, fate, end["t"][-1] * (2.0 * eta_AN * c ** 2 + eta_x * a2 ** 2))


# --- Closing note: what the tests measured (float64, this module's RK4) -----------
# C of Eq. (11) along RK4 of Eq. (10): max relative drift 2.5e-10 over 6 starts × 3
#   (η_A, η_x) ∈ {(1, 1), (0.5, 2), (2, 0.5)}, dt = 0.005/η_x, t up to 18–74, i.e. until
#   every start is within 2e-10 of its Theorem 2 fixed point (test bound 1e-9).
# closed_form_flow vs that RK4: max error 9.5e-11 × max(|a2(0)|, |c(0)|) (bound 1e-8).
# Eq. (12) vs Monte Carlo (seed 1; 200,000 draws by sign of C, first 20,000 integrated):
#   σ_a/σ_c  η_x/η_A  Eq. (12)   sign of C          integrated
#   1        1        0.3918     0.3929 ± 0.0011    0.3940 ± 0.0035
#   1        10       0.7323     0.7312 ± 0.0010    0.7374 ± 0.0031
#   2        0.1      0.2677     0.2678 ± 0.0010    0.2681 ± 0.0031
#   0.25     20       0.4259     0.4272 ± 0.0011    0.4294 ± 0.0035
#   no integrated draw undecided, none disagreeing with its sign of C.
# Eq. (13) vs Monte Carlo of the full (N + 1)-repon flow (10,000 draws, seed 2, all σ, η = 1):
#   N = 2: 0.3557 ± 0.0048 vs 0.3498;  N = 5: 0.3244 ± 0.0047 vs 0.3190 (Eq. (12): 0.3918).


# --- Entry points: each formula above behind its argument checks ---------------------
# The formulas hold no checks (an exercise is rewritten without them); each public one is
# rebound below to its entry point, which checks its arguments in the signature's order and
# raises one ValueError in one shape, "name=value is not allowed: what is allowed", naming
# the argument as the caller passed it (state['A'], not A). Inside, calls skip the checks.

def _check_real(name, value, what, above=None, at_least=None):
    """Every entry of value a finite real number (bool, complex, str, None refused),
    > above and >= at_least when given. Returns value as a float array. The message names
    the first offending entry as name=value (with its index when value is an array)."""
    v = np.asarray(value)
    if v.dtype.kind not in "iuf":
        raise ValueError(f"{name}={value!r} is not allowed: {what} must be real numbers "
                         f"(got {type(value).__name__} of dtype {v.dtype})")
    v = v.astype(float)
    ok = np.isfinite(v)
    rule = "finite"
    if above is not None:
        ok, rule = ok & (v > above), f"finite and > {above:g}"
    if at_least is not None:
        ok, rule = ok & (v >= at_least), f"finite and >= {at_least:g}"
    if not ok.all():
        idx = np.unravel_index(np.argmin(ok), v.shape)
        where = f" (entry {tuple(int(i) for i in idx)} of shape {v.shape})" if v.ndim else ""
        raise ValueError(f"{name}={np.asarray(value)[idx].item()!r}{where} is not allowed: "
                         f"{what} must be {rule}")
    return v


def _check_positive(name, value, what):
    """Finite and > 0 (a rate, a width, a step, a length), scalar or every entry."""
    return _check_real(name, value, what, above=0.0)


def _check_finite(name, value):
    """A state variable (a2, c, A, x, t, ...): every entry finite; returns a float array."""
    return _check_real(name, value, name)


def _check_rates(eta_A, eta_x):
    """Eq. (7)'s two learning rates, η_A (decoder) and η_x (encoder): finite and > 0."""
    _check_positive("eta_A", eta_A, "learning rates")
    _check_positive("eta_x", eta_x, "learning rates")


def _check_widths(sigma_a, sigma_c):
    """Theorem 3's Gaussian widths σ_a, σ_c of a2(0), c(0): finite and > 0."""
    _check_positive("sigma_a", sigma_a, "widths")
    _check_positive("sigma_c", sigma_c, "widths")


def _check_int(name, value, minimum):
    """An integer count >= minimum; bool (an int subclass) and 3.0 are refused."""
    if (not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_))
            or value < minimum):
        raise ValueError(f"{name}={value!r} is not allowed: {name} must be an integer >= {minimum}")


def _check_seed(seed):
    """np.random.default_rng's seed as used here: None or an integer >= 0 (not bool)."""
    if seed is not None:
        _check_int("seed", seed, 0)


def _check_clock(s_max, ds, tol=None):
    """The clock of fate_by_integration: its length s_max, step ds and end-state tolerance."""
    _check_positive("s_max", s_max, "the clock length s_max")
    _check_positive("ds", ds, "the clock step ds")
    if tol is not None:
        _check_positive("tol", tol, "the end-state tolerance tol")


def _check_state(state, keys):
    """A flow's state: a dict holding keys, each entry finite; returned as float arrays."""
    if not (isinstance(state, dict) and set(keys) <= set(state)):
        found = f"with keys {sorted(map(str, state))}" if isinstance(state, dict) else f"of type {type(state).__name__}"
        raise ValueError(f"state {found} is not allowed: state must be a dict with keys {list(keys)}")
    return {k: _check_finite(f"state[{k!r}]", v) for k, v in state.items()}


def _check_pair_shapes(A, b, x1, x2, y, names=("A", "b", "x1", "x2", "y")):
    """Raise unless A is (..., m, d), b and y end in m, x1 and x2 in d, all entries finite;
    return float arrays. names: the arguments as the caller gave them."""
    A = _check_finite(names[0], A)
    if A.ndim < 2:
        raise ValueError(f"{names[0]}.shape={A.shape} is not allowed: {names[0]} must be (..., m, d)")
    m, d = A.shape[-2:]
    rest = tuple(zip(names[1:], (b, x1, x2, y), (m, d, d, m)))
    for name, v, n in rest:
        if np.ndim(v) < 1 or np.shape(v)[-1] != n:
            raise ValueError(f"{name}.shape={np.shape(v)} is not allowed: needs last axis {n} to match "
                             f"{names[0]}.shape={A.shape} (m={m} outputs, d={d} embedding dims)")
    return (A,) + tuple(_check_finite(name, v) for name, v, _ in rest)


class _Trusted:
    """Inside, calls skip the entry points' checks: their arguments were checked once, by the
    entry point being run (whose check covers what its formula passes on). One thread at a time."""
    depth = 0

    def __enter__(self):
        _Trusted.depth += 1

    def __exit__(self, *exc):
        _Trusted.depth -= 1


def _checked(formula, check, trust=True):
    """formula behind check, which takes formula's arguments, raises one ValueError for a
    wrong one, and returns them normalised (float arrays). trust=False (rk4): the formula
    calls a function the caller gave, so the entry points it calls check their arguments."""
    @functools.wraps(formula)
    def entry_point(*args, **kwargs):
        if _Trusted.depth:
            return formula(*args, **kwargs)
        args = check(*args, **kwargs)
        if not trust:
            return formula(*args)
        with _Trusted():
            return formula(*args)
    return entry_point


def _check_rk4(f, y0, dt, n_steps, args=(), t0=0.0, save_every=1):
    y0 = ({k: _check_finite(f"y0[{k!r}]", v) for k, v in y0.items()} if isinstance(y0, dict)
          else _check_finite("y0", y0))
    _check_positive("dt", dt, "the step dt")
    _check_int("n_steps", n_steps, 0)
    _check_finite("t0", t0)
    _check_int("save_every", save_every, 1)
    return f, y0, dt, n_steps, args, t0, save_every


def _check_pair(A, b, x1, x2, y):
    return _check_pair_shapes(A, b, x1, x2, y)


def _check_full_flow(t, state, eta_A, eta_x, y):
    _check_state(state, ("A", "b", "x1", "x2"))
    _check_rates(eta_A, eta_x)
    A, b, x1, x2, y = _check_pair_shapes(state["A"], state["b"], state["x1"], state["x2"], y,
                                         ("state['A']", "state['b']", "state['x1']", "state['x2']", "y"))
    return t, {"A": A, "b": b, "x1": x1, "x2": x2}, eta_A, eta_x, y


def _check_appendix_c_b(t, y, eta_A, b0=0.0):
    t, y = _check_finite("t", t), _check_finite("y", y)
    _check_positive("eta_A", eta_A, "learning rates")
    return t, y, eta_A, _check_finite("b0", b0)


def _check_reduced_flow(t, state, eta_A, eta_x):
    state = _check_state(state, ("A", "r"))
    _check_rates(eta_A, eta_x)
    return t, state, eta_A, eta_x


def _check_reduction(A0, r0, y, eta_A, eta_x, t_max, n_steps, b0=None):
    b = np.zeros(np.shape(y)) if b0 is None else b0
    A0, b, r0, _, y = _check_pair_shapes(A0, b, r0, r0, y, ("A0", "b0", "r0", "r0", "y"))
    _check_rates(eta_A, eta_x)
    _check_positive("t_max", t_max, "the duration t_max")
    _check_int("n_steps", n_steps, 1)
    return A0, r0, y, eta_A, eta_x, t_max, n_steps, None if b0 is None else b


def _check_ansatz_state(a, b9, c, A0, r0):
    return tuple(_check_finite(name, v) for name, v in (("a", a), ("b9", b9), ("c", c), ("A0", A0), ("r0", r0)))


def _check_ansatz_residual(A, r, A0, r0):
    return tuple(_check_finite(name, v) for name, v in (("A", A), ("r", r), ("A0", A0), ("r0", r0)))


def _check_scalar_flow(t, state, eta_A, eta_x):
    state = _check_finite("state", state)
    _check_rates(eta_A, eta_x)
    return t, state, eta_A, eta_x


def _check_a2_c(a2, c, eta_A, eta_x):
    a2, c = _check_finite("a2", a2), _check_finite("c", c)
    _check_rates(eta_A, eta_x)
    return a2, c, eta_A, eta_x


def _check_rates_only(eta_A, eta_x):
    _check_rates(eta_A, eta_x)
    return eta_A, eta_x


def _check_closed_form(a2_0, c_0, eta_A, eta_x, t):
    a2_0, c_0 = _check_finite("a2_0", a2_0), _check_finite("c_0", c_0)
    _check_rates(eta_A, eta_x)
    return a2_0, c_0, eta_A, eta_x, _check_real("t", t, "times", at_least=0.0)


def _check_fate_by_integration(a2_0, c_0, eta_A, eta_x, s_max=60.0, ds=0.2, tol=1e-6):
    a2_0, c_0 = _check_finite("a2_0", a2_0), _check_finite("c_0", c_0)
    _check_rates(eta_A, eta_x)
    _check_clock(s_max, ds, tol)
    return a2_0, c_0, eta_A, eta_x, s_max, ds, tol


def _check_portrait(eta_A, eta_x, lim=2.0, n_grid=21, starts=None, t_max=20.0, n_steps=2000):
    _check_rates(eta_A, eta_x)
    _check_positive("lim", lim, "the plot half-width")
    _check_int("n_grid", n_grid, 2)
    if starts is not None:
        starts = _check_finite("starts", starts)
        if starts.ndim != 2 or starts.shape[1] != 2:
            raise ValueError(f"starts.shape={starts.shape} is not allowed: need (n_starts, 2)")
    _check_positive("t_max", t_max, "the duration t_max")
    _check_int("n_steps", n_steps, 1)
    return eta_A, eta_x, lim, n_grid, starts, t_max, n_steps


def _check_p_collision(sigma_a, sigma_c, eta_A, eta_x):
    sigma_a, sigma_c = _check_positive("sigma_a", sigma_a, "widths"), _check_positive("sigma_c", sigma_c, "widths")
    _check_rates(eta_A, eta_x)
    return sigma_a, sigma_c, eta_A, eta_x


def _check_mc(sigma_a, sigma_c, eta_A, eta_x, n_samples, seed, n_integrate=None, s_max=60.0, ds=0.2):
    _check_widths(sigma_a, sigma_c)
    _check_rates(eta_A, eta_x)
    _check_int("n_samples", n_samples, 1)
    _check_seed(seed)
    if n_integrate is not None:
        _check_int("n_integrate", n_integrate, 1)
        if n_integrate > n_samples:   # else a2[:n_int] would quietly integrate only n_samples draws
            raise ValueError(f"n_integrate={n_integrate!r} is not allowed: "
                             f"n_integrate must be <= n_samples={n_samples}")
    _check_clock(s_max, ds)
    return sigma_a, sigma_c, eta_A, eta_x, n_samples, seed, n_integrate, s_max, ds


def _check_p_collision_N(sigma_a, sigma_c, eta_A, eta_x, N):
    _check_int("N", N, 1)
    return _check_p_collision(sigma_a, sigma_c, eta_A, eta_x) + (N,)


def _check_n_repon_flow(t, state, eta_A, eta_x, y):
    state = _check_state(state, ("A", "b", "x"))
    _check_rates(eta_A, eta_x)
    return t, state, eta_A, eta_x, _check_finite("y", y)


def _check_n_repon_state(a2, c, N, y=0.0):
    a2, c = _check_finite("a2", a2), _check_finite("c", c)
    _check_int("N", N, 1)
    _check_finite("y", y)
    return a2, c, N, y


def _check_mc_N(sigma_a, sigma_c, eta_A, eta_x, N, n_samples, seed, s_max=60.0, ds=0.2, tol=1e-6):
    _check_widths(sigma_a, sigma_c)
    _check_rates(eta_A, eta_x)
    _check_int("N", N, 1)
    _check_int("n_samples", n_samples, 1)
    _check_seed(seed)
    _check_clock(s_max, ds, tol)
    return sigma_a, sigma_c, eta_A, eta_x, N, n_samples, seed, s_max, ds, tol


rk4 = _checked(rk4, _check_rk4, trust=False)
pair_loss = _checked(pair_loss, _check_pair)
pair_loss_grads = _checked(pair_loss_grads, _check_pair)
full_flow_rhs = _checked(full_flow_rhs, _check_full_flow)
appendix_c_b = _checked(appendix_c_b, _check_appendix_c_b)
reduced_flow_rhs = _checked(reduced_flow_rhs, _check_reduced_flow)
reduction_check = _checked(reduction_check, _check_reduction)
ansatz_state = _checked(ansatz_state, _check_ansatz_state)
ansatz_residual = _checked(ansatz_residual, _check_ansatz_residual)
scalar_flow_rhs = _checked(scalar_flow_rhs, _check_scalar_flow)
conserved_C = _checked(conserved_C, _check_a2_c)
separatrix_slope = _checked(separatrix_slope, _check_rates_only)
fixed_point = _checked(fixed_point, _check_a2_c)
fate_from_C = _checked(fate_from_C, _check_a2_c)
closed_form_flow = _checked(closed_form_flow, _check_closed_form)
fate_by_integration = _checked(fate_by_integration, _check_fate_by_integration)
phase_portrait_data = _checked(phase_portrait_data, _check_portrait)
p_collision = _checked(p_collision, _check_p_collision)
mc_collision_probability = _checked(mc_collision_probability, _check_mc)
p_collision_N = _checked(p_collision_N, _check_p_collision_N)
n_repon_flow_rhs = _checked(n_repon_flow_rhs, _check_n_repon_flow)
n_repon_initial_state = _checked(n_repon_initial_state, _check_n_repon_state)
mc_collision_probability_N = _checked(mc_collision_probability_N, _check_mc_N)
