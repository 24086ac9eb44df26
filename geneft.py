"""GenEFT in NumPy: the encoder-decoder of Section II, its backprop by hand,
per-group optimizers, training, and the phases of Table IV.

Paper: Baek, Liu, Tegmark, "GenEFT: Understanding Statics and Dynamics of Model
Generalization via Physics-Inspired Effective Theory" (2025). Conventions the
paper leaves open are pinned in README.md, section "Conventions".

Everything carries a leading ensemble axis K: a single model is an ensemble of
one, so there is one code path. Shapes are written (K, P, w): K members, P pairs,
w hidden width.

Glossary (paper symbol -> name here)
    R, R_ij        relation matrix          -> relation_matrix(name, n)  (n, n) int8
    n              number of elements       -> Config.n
    d              embedding dimension      -> Config.d
    E, E_x         embedding table          -> params["E"]              (K, n, d)
    n_h            decoder hidden layers    -> Config.depth
    w              decoder width            -> Config.width
    W_l, b_l       decoder layer l          -> params["W{l}"], params["b{l}"], l = 1..depth+1
                                               (layer depth+1 is the linear output unit)
    η_enc, η_dec   learning rates           -> Config.lr_enc, Config.lr_dec
    wd_enc, wd_dec weight decays            -> Config.wd_enc, Config.wd_dec
    σ_enc, σ_dec   initialisation scales    -> Config.init_enc, Config.init_dec
"""
import dataclasses
import math
import re
from dataclasses import dataclass

import numpy as np

from fastpath import (FlatLayout, Workspace, backward_fast, bce_and_grad, block_size,
                      forward_fast, pair_index, pair_input_grads, pair_inputs, scatter_pairs,
                      softplus)

# --- Section II, Table I: relations and data ---------------------------------

RELATIONS = ("mod3", "mod5", "greater", "bipartite")  # Table I; also any "mod<k>"
# Beyond Table I: "preorder<k>", a total preorder (transitive and reflexive, not symmetric).


def _check_n(n):
    if not isinstance(n, (int, np.integer)) or isinstance(n, (bool, np.bool_)) or n < 2:
        raise ValueError(f"n={n!r} is not allowed: n must be an integer >= 2")


def modk_relation(n, k):
    """Table I, 'equal modulo k': R[x, y] = 1 iff x ≡ y (mod k)."""
    _check_n(n)
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k={k!r} is not allowed: k must be an integer >= 1")
    x = np.arange(n)
    return (x[:, None] % k == x[None, :] % k).astype(np.int8)


def greater_relation(n):
    """Table I, 'greater-than': R[x, y] = 1 iff x < y (the paper's convention)."""
    _check_n(n)
    x = np.arange(n)
    return (x[:, None] < x[None, :]).astype(np.int8)


def bipartite_set(n, seed=None):
    """Table I's S for the complete bipartite graph: |S| = n // 2.

    seed=None takes the first half {0, ..., n//2 - 1}; an integer seed takes a
    seeded random half, so the relation is not aligned with the index order.
    """
    _check_n(n)
    if seed is None:
        return np.arange(n // 2)
    return np.sort(np.random.default_rng(seed).permutation(n)[: n // 2])


def bipartite_relation(n, seed=None):
    """Table I, complete bipartite G = (S, S̄): R[x, y] = 1 iff x, y on opposite sides."""
    in_s = np.zeros(n, dtype=bool)
    in_s[bipartite_set(n, seed)] = True
    return (in_s[:, None] != in_s[None, :]).astype(np.int8)


def preorder_relation(n, k):
    """Beyond Table I, a total preorder of k tiers: R[x, y] = 1 iff x mod k ≤ y mod k.
    Reflexive and transitive but not symmetric; elements of one tier are interchangeable,
    so |Aut G| = Π (tier size)! (no tier can move: the tiers are ordered)."""
    _check_n(n)
    x = np.arange(n) % k
    return (x[:, None] <= x[None, :]).astype(np.int8)


def relation_kind(name):
    """Table I name -> (kind, k): ('equivalence', k) for 'mod<k>', ('bipartite', 2),
    ('total_order', None) for 'greater'. The one place a relation name is parsed."""
    m = re.fullmatch(r"mod(\d+)", str(name))
    if m and int(m.group(1)) >= 1:
        return "equivalence", int(m.group(1))
    if name == "bipartite":
        return "bipartite", 2
    if name == "greater":
        return "total_order", None
    m = re.fullmatch(r"preorder(\d+)", str(name))
    if m and int(m.group(1)) >= 2:
        return "total_preorder", int(m.group(1))
    raise ValueError(f"relation={name!r} is not allowed: use one of {RELATIONS}, 'mod<k>' (k >= 1) "
                     "or 'preorder<k>' (k >= 2)")


def relation_matrix(name, n, seed=None):
    """Table I by name: 'mod3', 'mod5', 'mod<k>', 'greater' or 'bipartite'; (n, n) int8."""
    kind, k = relation_kind(name)
    _check_n(n)
    if kind == "equivalence":
        return modk_relation(n, k)
    if kind == "total_order":
        return greater_relation(n)
    if kind == "total_preorder":
        return preorder_relation(n, k)
    return bipartite_relation(n, seed)


def split_pairs(n, frac, seed):
    """Seeded train/test split of all n² ordered pairs (i, j), i == j included.

    Returns (train, test): two sorted int arrays of flat indices i * n + j; the
    training set has round(frac * n²) pairs (README.md, Conventions: data).
    """
    _check_n(n)
    if not (isinstance(frac, (int, float, np.floating)) and 0 < frac <= 1):
        raise ValueError(f"frac={frac!r} is not allowed: the training fraction must lie in (0, 1]")
    n_train = int(round(frac * n * n))
    if n_train < 1:
        raise ValueError(f"frac={frac!r} gives no training pair for n={n}: need frac * n² >= 0.5")
    perm = np.random.default_rng(seed).permutation(n * n)
    return np.sort(perm[:n_train]), np.sort(perm[n_train:])


def pair_labels(R, idx):
    """Rows (i, j) and labels R[i, j] of the flat pair indices idx = i * n + j."""
    n = R.shape[0]
    return idx // n, idx % n, R.reshape(-1)[idx]


# --- Appendix A, Table III: the configuration ---------------------------------

INIT_SCHEMES = ("uniform", "normal")  # decoder init (README.md, Conventions: init)
MODES = ("concat", "diff", "sqdiff")  # Section III's three ways to combine E_x1, E_x2
OPTIMIZERS = ("adam", "sgd")
DTYPES = ("float64", "float32")


# Table III's "Decoder Depth 3", read two ways (README.md, Conventions: depth). Config.depth
# always counts hidden tanh layers; a reading maps Table III's 3 onto it:
#   "hidden": 3 hidden layers (the paper's own n_h, "the number of hidden layers", Fig. 3)
#   "linear": 3 linear layers = 2 hidden (how ref. [27]'s code counts depth)
DEPTH_CONVENTIONS = {"hidden": 3, "linear": 2}
DEFAULT_DEPTH_CONVENTION = "hidden"


@dataclass(frozen=True)
class Config:
    """Every knob of one run; defaults are Table III (and Table IV's budget)."""
    relation: str = "mod3"      # R: Table I name, or "mod<k>"
    n: int = 30                 # number of elements (Section II: n = 30)
    d: int = 2                  # embedding dimension (Table III)
    depth: int = 3              # n_h, hidden tanh layers (Table III "Decoder Depth 3")
    width: int = 50             # w, hidden width (Table III)
    mode: str = "concat"        # combine: [E_i, E_j] | E_i − E_j | (E_i − E_j)² (Section III)
    frac: float = 0.75          # training data fraction (Table III)
    optimizer: str = "adam"     # "adam" (torch.optim.Adam rule) or "sgd"
    lr_enc: float = 1e-3        # η_enc (Table III learning rate)
    lr_dec: float = 1e-3        # η_dec
    wd_enc: float = 0.0         # encoder weight decay (Table III: 0)
    wd_dec: float = 0.0         # decoder weight decay, wd_dec of Fig. 8
    init_enc: float = 1.0       # σ_enc: E ~ N(0, σ_enc²)
    init_dec: float = 1.0       # σ_dec: decoder ~ σ_dec · U(±1/√fan_in)
    init_scheme: str = "uniform"  # decoder init: "uniform" σ_dec·U(±1/√fan_in) | "normal" N(0, σ_dec²)
    steps: int = 100_000        # budget (Table IV: 1e5 steps)
    eval_every: int = 100       # steps between evaluations
    grok_gap: int | None = None # Table IV gap (1e3 at 1e5 steps); None: steps / 100
    seed: int = 0               # split and initialisation
    dtype: str = "float64"      # "float64" (oracle) or "float32" (speed)
    stop_when_decided: bool = False  # leave training once the phase cannot change

    @property
    def gap(self):
        """Table IV grokking gap, scaled with the budget when not given."""
        return self.grok_gap if self.grok_gap is not None else max(1, round(self.steps / 100))


def ratio_learning_rates(optimizer, ratio, sgd_eta=1.0):
    """(η_enc, η_dec) of an experiment at ratio η_dec/η_enc (README.md, Conventions). Adam
    keeps Table III's η_enc = 1e-3. SGD centres the pair on sgd_eta geometrically
    (η_enc = η/√r, η_dec = η√r): SGD's step is η times the gradient, so only a band of η
    trains at all within the budget without diverging."""
    if optimizer == "adam":
        return 1e-3, 1e-3 * ratio
    return sgd_eta / np.sqrt(ratio), sgd_eta * np.sqrt(ratio)


def _bad(name, value, allowed):
    raise ValueError(f"{name}={value!r} is not allowed: {allowed}")


def _is_int(v):
    """A whole number that is not a bool (True would otherwise pass as 1)."""
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _is_real(v):
    """A real number that is not a bool or a string ('0.01' would otherwise reach NumPy)."""
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def validate(cfg):
    """Raise ValueError naming the first bad field of cfg and what is allowed."""
    relation_matrix(cfg.relation, cfg.n)  # checks relation and n
    for name, allowed in (("mode", MODES), ("optimizer", OPTIMIZERS), ("dtype", DTYPES),
                          ("init_scheme", INIT_SCHEMES)):
        if getattr(cfg, name) not in allowed:
            _bad(name, getattr(cfg, name), f"use one of {allowed}")
    for name in ("d", "width", "steps", "eval_every"):
        v = getattr(cfg, name)
        if not _is_int(v) or v < 1:
            _bad(name, v, "must be an integer >= 1")
    if not _is_int(cfg.depth) or cfg.depth < 0:
        _bad("depth", cfg.depth, "must be an integer >= 0 (hidden layers)")
    if not _is_int(cfg.seed) or cfg.seed < 0:
        _bad("seed", cfg.seed, "must be an integer >= 0")
    if not (_is_real(cfg.frac) and 0 < cfg.frac < 1):
        _bad("frac", cfg.frac, "the training fraction must lie in (0, 1): Table IV's phases "
             "need a test set")
    if round(cfg.frac * cfg.n ** 2) >= cfg.n ** 2:
        _bad("frac", cfg.frac, f"leaves no test pair for n={cfg.n} (round(frac·n²) = n²): Table "
             "IV's phases need a test accuracy")
    for name in ("lr_enc", "lr_dec", "wd_enc", "wd_dec"):
        v = getattr(cfg, name)
        if not (_is_real(v) and np.isfinite(v) and v >= 0):
            _bad(name, v, "must be a finite number >= 0")
    for name in ("init_enc", "init_dec"):
        v = getattr(cfg, name)
        if not (_is_real(v) and np.isfinite(v) and v > 0):
            _bad(name, v, "must be a finite number > 0")
    if cfg.grok_gap is not None and (not _is_int(cfg.grok_gap) or cfg.grok_gap < 1):
        _bad("grok_gap", cfg.grok_gap, "must be None or an integer >= 1")
    if not isinstance(cfg.stop_when_decided, (bool, np.bool_)):
        _bad("stop_when_decided", cfg.stop_when_decided, "must be True or False")
    return cfg


# --- Section II: the encoder-decoder, forward ---------------------------------

def layer_names(depth):
    """Parameter names in order: E, then (W1, b1) ... (W{depth+1}, b{depth+1})."""
    return ["E"] + [f"{p}{l}" for l in range(1, depth + 2) for p in ("W", "b")]


def param_shapes(n, d, depth, width, mode):
    """Shapes of one member's parameters (prepend K for an ensemble)."""
    d_in = 2 * d if mode == "concat" else d
    fan = [d_in] + [width] * depth + [1]
    shapes = {"E": (n, d)}
    for l in range(1, depth + 2):
        shapes[f"W{l}"] = (fan[l - 1], fan[l])
        shapes[f"b{l}"] = (fan[l],)
    return shapes


def init_params(cfg, rng):
    """Init (README.md, Conventions): E ~ N(0, σ_enc²); every decoder W_l, b_l drawn by
    cfg.init_scheme: "uniform" σ_dec · U(±1/√fan_in) (torch.nn.Linear's default, scaled),
    or "normal" N(0, σ_dec²) (Fig. 6's caption: "a standard normal scaled by the factor").

    Drawn in float64 and cast, so float32 and float64 runs start from the same point.
    """
    shapes = param_shapes(cfg.n, cfg.d, cfg.depth, cfg.width, cfg.mode)
    params = {"E": cfg.init_enc * rng.standard_normal(shapes["E"])}
    for l in range(1, cfg.depth + 2):
        for name in (f"W{l}", f"b{l}"):
            if cfg.init_scheme == "normal":
                params[name] = cfg.init_dec * rng.standard_normal(shapes[name])
            else:
                bound = cfg.init_dec / np.sqrt(shapes[f"W{l}"][0])
                params[name] = rng.uniform(-bound, bound, shapes[name])
    return {k: v.astype(cfg.dtype) for k, v in params.items()}


def member_rng(cfg):
    """The generator that draws a run's initial parameters: seeded by (seed, 1), so it is
    independent of the split's generator (seeded by seed alone)."""
    return np.random.default_rng((cfg.seed, 1))


def init_ensemble(configs):
    """Initial parameters of every member, stacked on a leading axis: {name: (K, ...)}.

    Member k is init_params(configs[k], member_rng(configs[k])), so an ensemble starts
    exactly where its members would start alone.
    """
    members = [init_params(c, member_rng(c)) for c in configs]
    return {k: np.stack([m[k] for m in members]) for k in members[0]}


def combine(Ei, Ej, mode):
    """Section III combine modes: 1 [E_i, E_j]; 2 E_i − E_j; 3 (E_i − E_j)² element-wise."""
    if mode == "concat":
        return np.concatenate([Ei, Ej], axis=-1)  # (K, P, 2d)
    if mode == "diff":
        return Ei - Ej                             # (K, P, d)
    if mode == "sqdiff":
        return (Ei - Ej) ** 2                      # (K, P, d)
    _bad("mode", mode, f"use one of {MODES}")


def combine_backward(dx, Ei, Ej, mode):
    """Chain rule through combine: returns (∂ℓ/∂E_i, ∂ℓ/∂E_j), each (K, P, d)."""
    if mode == "concat":
        d = Ei.shape[-1]
        return dx[..., :d], dx[..., d:]
    if mode == "diff":
        return dx, -dx
    dEi = 2.0 * (Ei - Ej) * dx                    # d/dE_i (E_i − E_j)² = 2 (E_i − E_j)
    return dEi, -dEi


def forward(params, I, J, mode):
    """Section II: logit z = W_L·tanh(...tanh(W_1 x + b_1)...) + b_L, x = combine(E_i, E_j).

    I, J: (K, P) element indices. Returns z (K, P) and the cache for backward.
    """
    E = params["E"]
    k = np.arange(E.shape[0])[:, None]
    Ei, Ej = E[k, I], E[k, J]                           # (K, P, d)
    h = combine(Ei, Ej, mode)                           # (K, P, d_in)
    hs = [h]
    L = len(params) // 2                                # layers incl. output
    for l in range(1, L):
        h = np.tanh(h @ params[f"W{l}"] + params[f"b{l}"][:, None, :])  # (K, P, w)
        hs.append(h)
    z = (h @ params[f"W{L}"])[..., 0] + params[f"b{L}"]  # (K, P)
    return z, (Ei, Ej, hs)


# --- Section II: loss (sigmoid + binary cross-entropy) ------------------------

def bce_with_logits(z, y):
    """Mean BCE of σ(z) against y: −[y log σ(z) + (1−y) log(1−σ(z))] = softplus(z) − y z.

    logaddexp(0, z) is softplus without overflow, so logits of ±1e4 are exact.
    """
    return np.mean(np.logaddexp(0, z) - y * z, axis=-1)   # (K,)


def sigmoid(z):
    """σ(z) = exp(−softplus(−z)): no overflow for any finite z."""
    return np.exp(-np.logaddexp(0, -z))


def bce_grad(z, y):
    """∂ mean BCE / ∂z = (σ(z) − y) / P."""
    return (sigmoid(z) - y) / z.shape[-1]


# --- Section II: backprop by hand ---------------------------------------------

def scatter_rows(dEi, dEj, I, J, n):
    """∂ℓ/∂E[k, a] = Σ_p [I_p = a] ∂ℓ/∂E_i,p + [J_p = a] ∂ℓ/∂E_j,p, per member k."""
    K, _, d = dEi.shape
    rows = np.concatenate([I, J], axis=1) + n * np.arange(K)[:, None]       # (K, 2P)
    flat = (rows[..., None] * d + np.arange(d)).ravel()
    w = np.concatenate([dEi, dEj], axis=1).ravel()
    return np.bincount(flat, weights=w, minlength=K * n * d).reshape(K, n, d).astype(dEi.dtype)


def backward(params, cache, dz, I, J, mode):
    """Gradients of every parameter from ∂ℓ/∂z, layer by layer (same keys as params).

    Output layer:  ∂W_L = h_{L−1}ᵀ dz,   ∂b_L = Σ_p dz,   dh_{L−1} = dz W_Lᵀ
    Hidden layer:  da_l = dh_l ⊙ (1 − h_l²)  (tanh' = 1 − tanh²)
                   ∂W_l = h_{l−1}ᵀ da_l,  ∂b_l = Σ_p da_l,  dh_{l−1} = da_l W_lᵀ
    Encoder:       dh_0 = ∂ℓ/∂x → combine_backward → scatter onto the rows of E.
    """
    Ei, Ej, hs = cache
    L = len(params) // 2
    grads = {}
    da = dz[..., None]                                   # (K, P, 1)
    for l in range(L, 0, -1):
        h_in = hs[l - 1]                                 # (K, P, fan_in)
        grads[f"W{l}"] = h_in.transpose(0, 2, 1) @ da    # (K, fan_in, fan_out)
        grads[f"b{l}"] = da.sum(axis=1)                  # (K, fan_out)
        dh = da @ params[f"W{l}"].transpose(0, 2, 1)     # (K, P, fan_in)
        if l > 1:
            da = dh * (1.0 - h_in * h_in)
    dEi, dEj = combine_backward(dh, Ei, Ej, mode)
    grads["E"] = scatter_rows(dEi, dEj, I, J, params["E"].shape[1])
    return {name: grads[name] for name in params}


def loss_and_grads(params, I, J, y, mode):
    """Mean BCE (K,) of every member and the gradient dict of every parameter."""
    z, cache = forward(params, I, J, mode)
    return bce_with_logits(z, y), backward(params, cache, bce_grad(z, y), I, J, mode)


# --- Per-group optimizers (README.md, Conventions): encoder = E, decoder = every W_l, b_l ---

def group_of(name):
    """Parameter group of a parameter name: 'enc' for E, 'dec' for the decoder."""
    return "enc" if name == "E" else "dec"


def _per_member(x, p):
    """(K,) per-member setting reshaped to broadcast against p (K, ...)."""
    return x.reshape((-1,) + (1,) * (p.ndim - 1))


def _scratch(work, key, like):
    """A buffer shaped like `like` for in-place arithmetic: work[key], made on first use and
    kept between steps (work=None: a fresh buffer)."""
    if work is None:
        return np.empty_like(like)
    buf = work.get(key)
    if buf is None or buf.shape != like.shape or buf.dtype != like.dtype:
        buf = work[key] = np.empty_like(like)
    return buf


def decayed_grad(g, p, wd, out):
    """g + λ p (weight decay coupled to the gradient, as torch.optim does), written to out.
    When λ = 0 for every member this returns g itself: g + 0·p = g exactly for finite p, and
    the two passes are saved (Table III has no weight decay)."""
    if not np.any(wd):
        return g
    np.multiply(_per_member(wd, p), p, out=out)
    out += g
    return out


def sgd_step(params, grads, lr, wd, work=None):
    """SGD with weight decay, in place: p ← p − η (g + λ p), η, λ per group and member.

    lr, wd: {"enc": (K,), "dec": (K,)}. work: a dict of scratch buffers reused between
    steps (None: temporaries). grads are not modified.
    """
    for name, p in params.items():
        grp = group_of(name)
        s = _scratch(work, name, p)
        g = decayed_grad(grads[name], p, wd[grp], out=s)
        np.multiply(_per_member(lr[grp], p), g, out=s)       # η (g + λ p)
        p -= s


def adam_init(params):
    """Adam state: step count t and first/second moments m, v (zeros, like params)."""
    return {"t": 0, "m": {k: np.zeros_like(v) for k, v in params.items()},
            "v": {k: np.zeros_like(v) for k, v in params.items()}}


def adam_step(params, grads, state, lr, wd, betas=(0.9, 0.999), eps=1e-8):
    """Adam as torch.optim.Adam (coupled weight decay), in place, per group and member.

        g ← g + λ p
        m ← β1 m + (1 − β1) g,    v ← β2 v + (1 − β2) g²
        p ← p − (η / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)

    Every intermediate goes to two scratch buffers per parameter kept in state["work"]
    (no temporaries); the operations and their order are the formula's, so a float64 step
    is bit for bit the formula written with temporaries (tested). The bias corrections are
    Python floats, so float32 parameters are updated in float32 throughout (np.sqrt(bc2),
    a float64 scalar, used to promote the last four operations to float64). grads are not
    modified.
    """
    b1, b2 = betas
    state["t"] += 1
    t = state["t"]
    bc1, sqrt_bc2 = 1.0 - b1 ** t, math.sqrt(1.0 - b2 ** t)   # Python floats: no upcast of float32
    work = state.setdefault("work", {})
    for name, p in params.items():
        grp = group_of(name)
        m, v = state["m"][name], state["v"][name]
        s, u = _scratch(work, (name, 0), p), _scratch(work, (name, 1), p)
        g = decayed_grad(grads[name], p, wd[grp], out=u)
        m *= b1
        np.multiply(g, 1.0 - b1, out=s)
        m += s                                               # β1 m + (1 − β1) g
        v *= b2
        np.multiply(g, g, out=s)
        s *= 1.0 - b2
        v += s                                               # β2 v + (1 − β2) g²
        np.sqrt(v, out=s)
        s /= sqrt_bc2
        s += eps                                             # √v / √(1 − β2ᵗ) + ε
        np.divide(m, s, out=s)
        s *= _per_member(lr[grp] / bc1, p)                   # (η / (1 − β1ᵗ)) · m / (...)
        p -= s


# --- Appendix B, Table IV: phases ----------------------------------------------

GENERALIZATION, GROKKING, MEMORIZATION, CONFUSION = (
    "generalization", "grokking", "memorization", "confusion")
PHASES = (GENERALIZATION, GROKKING, MEMORIZATION, CONFUSION)
# Runs that end generalized: Table IV's generalization and grokking (Fig. 8's caption
# calls grokking delayed generalization). P(generalization) in Figs. 5, 6 and 8 counts these.
GENERALIZED = frozenset({GENERALIZATION, GROKKING})
PHASE_COLORS = {GENERALIZATION: "#4caf50", GROKKING: "#ffd54f",   # Fig. 5's colours
                MEMORIZATION: "#7e57c2", CONFUSION: "#bdbdbd"}
ACC_THRESHOLD = 0.9  # Table IV


def classify_phase(step_train, step_test, budget, gap, diverged=False):
    """Table IV. step_train / step_test: first step with train / test acc > 0.9, or None.

    Generalization: both within the budget and step_test − step_train < gap.
    Grokking:       both within the budget, gap not met (a gap exactly at the
                    threshold is grokking: the table's inequality is strict).
    Memorization:   train within the budget, test not.
    Confusion:      train never > 0.9 within the budget (also when test did: Table
                    IV has no such row), or the run diverged.
    """
    if diverged or step_train is None or step_train > budget:
        return CONFUSION
    if step_test is None or step_test > budget:
        return MEMORIZATION
    return GENERALIZATION if step_test - step_train < gap else GROKKING


@dataclass
class History:
    """What one run recorded at its evaluation steps (metric arrays are (T,))."""
    config: Config
    steps: np.ndarray            # evaluation steps (number of updates done)
    train_loss: np.ndarray
    test_loss: np.ndarray        # on the held-out pairs (validate demands at least one)
    train_acc: np.ndarray
    test_acc: np.ndarray
    all_acc: np.ndarray          # accuracy over all n² pairs (Fig. 3)
    step_train_90: int | None    # first evaluated step with train acc > 0.9
    step_test_90: int | None     # first evaluated step with test acc > 0.9
    diverged_at: int | None      # step whose loss was non-finite; the run froze there
    stopped_at: int              # last step trained: the budget, or earlier if decided
    final_E: np.ndarray          # (n, d) embedding when the run stopped

    @property
    def diverged(self):
        return self.diverged_at is not None

    @property
    def phase(self):
        """Table IV phase with the config's budget and (scaled) grokking gap."""
        c = self.config
        return classify_phase(self.step_train_90, self.step_test_90, c.steps, c.gap, self.diverged)


# --- Training: the ensemble trainer (a single run is an ensemble of one) -------

MEMBER_FIELDS = ("relation", "seed", "lr_enc", "lr_dec", "wd_enc", "wd_dec",
                 "init_enc", "init_dec")  # what ensemble members may vary


def check_ensemble(configs):
    """Validate every config and that all share the non-member fields (architecture)."""
    if len(configs) == 0:
        raise ValueError("configs=[] is not allowed: an ensemble needs at least one Config")
    for c in configs:
        validate(c)
    shared = [f.name for f in dataclasses.fields(Config) if f.name not in MEMBER_FIELDS]
    c0 = configs[0]
    for i, c in enumerate(configs[1:], 1):
        for f in shared:
            if getattr(c, f) != getattr(c0, f):
                raise ValueError(
                    f"configs[{i}].{f}={getattr(c, f)!r} differs from configs[0].{f}="
                    f"{getattr(c0, f)!r}: ensemble members must share {shared}; "
                    f"they may differ only in {MEMBER_FIELDS}")


def eval_steps(steps, eval_every):
    """Evaluation steps 0, e, 2e, ... and always the final step."""
    s = list(range(0, steps + 1, eval_every))
    return np.array(s if s[-1] == steps else s + [steps])


def _take(tree, rows):
    """Keep the given ensemble rows of every array in a nested dict."""
    if isinstance(tree, dict):
        return {k: _take(v, rows) for k, v in tree.items()}
    return tree[rows] if isinstance(tree, np.ndarray) else tree


def ensemble_data(configs, dt):
    """Training pairs (K, P), all-pairs labels (K, n²) and the train mask (K, n²)."""
    n = configs[0].n
    I, J, y, y_all, mask = [], [], [], [], []
    for c in configs:
        R = relation_matrix(c.relation, n)
        train_idx, _ = split_pairs(n, c.frac, c.seed)
        i, j, lab = pair_labels(R, train_idx)
        I.append(i), J.append(j), y.append(lab)
        y_all.append(R.reshape(-1))
        m = np.zeros(n * n, dtype=bool)
        m[train_idx] = True
        mask.append(m)
    return {"I": np.array(I), "J": np.array(J), "y": np.array(y, dtype=dt),
            "y_all": np.array(y_all, dtype=dt), "mask": np.array(mask)}


def logits_all_pairs(flat, layout, n):
    """Logits (K, n²) of every member (rows of flat) on every ordered pair (i, j), flat
    index i·n + j: forward_fast block by block."""
    K, dt, P, d = flat.shape[0], flat.dtype, n * n, layout.shapes["E"][1]
    B = max(1, min(K, block_size(layout, P, dt.itemsize)))
    idx = np.broadcast_to(np.arange(P), (B, P))
    src = pair_index(idx // n, idx % n, n, d, layout.size)
    z, spaces = np.empty((K, P), dt), {}
    for k0 in range(0, K, B):
        rows = slice(k0, min(K, k0 + B))
        b = rows.stop - k0
        if b not in spaces:
            spaces[b] = Workspace(layout, b, P, dt)
        pair_inputs(flat[rows], src[:b], layout.mode, spaces[b])
        z[rows] = forward_fast(layout.layer_blocks(flat[rows]), spaces[b])
    return z


def evaluate(params, data, mode):
    """Train/test loss and accuracy, and accuracy over all n² pairs, per member (K,).

    Together the metrics need the logit of every one of the n² pairs, each once: one
    forward pass (logits_all_pairs), no backward, no cache kept.
    """
    n = params["E"].shape[1]
    layout = FlatLayout.of_params(params, layer_names(len(params) // 2 - 1), mode)
    z = logits_all_pairs(layout.pack(params, params["E"].dtype), layout, n)   # (K, n²)
    y, mask = data["y_all"], data["mask"]
    loss = softplus(z, out=np.empty_like(z), work=np.empty_like(z)) - y * z
    correct = (z > 0) == (y > 0.5)
    n_tr = mask.sum(axis=1)
    n_te = n * n - n_tr
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"train_loss": (loss * mask).sum(1) / n_tr,
                "test_loss": (loss * ~mask).sum(1) / n_te,
                "train_acc": (correct & mask).sum(1) / n_tr,
                "test_acc": (correct & ~mask).sum(1) / n_te,
                "all_acc": correct.mean(1)}


@dataclass
class _Block:
    """Rows of a Batch that one Workspace processes together, with views of their numbers."""
    rows: slice
    ws: Workspace
    flat: np.ndarray       # (B, size) parameters
    Wx: list               # [W_l; b_l] views of flat (FlatLayout.layer_blocks)
    gWx: list              # [∂W_l; ∂b_l] views of the gradient rows
    gE: np.ndarray         # (B, n·d) view of the gradient rows: ∂E
    y: np.ndarray          # (B, P) training labels
    src: np.ndarray        # pair_index into flat: where E_i, E_j of every pair are
    tgt: np.ndarray        # pair_index into gE, raveled: where their gradients go


class Batch:
    """The members still training, as one vectorised computation (K' ≤ K rows).

    Every array has the members on its leading axis; ids[r] is the config index of
    row r. Members leave with drop(rows) (diverged, or decided), which touches no
    other member's numbers.

    Member r's parameters are row r of flat (K', size), laid out by FlatLayout; params
    and grads are views of flat and of its gradient rows by name. loss_and_grads runs
    the fast path (forward_fast, bce_and_grad, backward_fast) in blocks of block_size
    members that share one Workspace; the optimizer steps the two groups (E, decoder)
    as two long arrays.
    """

    def __init__(self, ids, params, data, lr, wd, mode, optimizer):
        self.ids, self.data, self.lr, self.wd = ids, data, lr, wd   # data: ensemble_data rows
        self.mode, self.optimizer = mode, optimizer                 # lr, wd: {"enc", "dec"}: (K',)
        self.layout = FlatLayout.of_params(params, layer_names(len(params) // 2 - 1), mode)
        flat = self.layout.pack(params, params["E"].dtype)
        zeros = np.zeros_like(flat)
        self._setup(flat, (0, zeros, zeros.copy()) if optimizer == "adam" else None)

    @classmethod
    def start(cls, configs):
        """Every member at its initialisation (init_ensemble), with its data and settings."""
        c0, dt = configs[0], np.dtype(configs[0].dtype)
        per_group = lambda enc, dec: {"enc": np.array([getattr(c, enc) for c in configs], dt),
                                      "dec": np.array([getattr(c, dec) for c in configs], dt)}
        return cls(ids=np.arange(len(configs)), params=init_ensemble(configs),
                   data=ensemble_data(configs, dt), lr=per_group("lr_enc", "lr_dec"),
                   wd=per_group("wd_enc", "wd_dec"), mode=c0.mode, optimizer=c0.optimizer)

    def _setup(self, flat, moments):
        """Take flat (K', size) as the parameters and moments = (t, m, v) as the Adam state
        (None for SGD); make the views, the gradient rows and the blocks."""
        self.flat, self.grad = flat, np.zeros_like(flat)
        self.params, self.grads = self.layout.views(flat), self.layout.views(self.grad)
        self._groups = self.layout.groups(flat), self.layout.groups(self.grad)
        self.opt, self._work = None, {}
        if moments is not None:      # adam_step's state, on the same two groups
            t, self._m, self._v = moments
            self.opt = {"t": t, "m": self.layout.groups(self._m), "v": self.layout.groups(self._v)}
        self.blocks = self._blocks()

    def _blocks(self):
        I, J, (n, d) = self.data["I"], self.data["J"], self.layout.shapes["E"]
        P, dt = I.shape[1], self.flat.dtype
        B, spaces, blocks = block_size(self.layout, P, dt.itemsize), {}, []
        for k0 in range(0, self.size, B):
            rows = slice(k0, min(self.size, k0 + B))
            b = rows.stop - k0
            if b not in spaces:                     # one Workspace per block size, shared
                spaces[b] = Workspace(self.layout, b, P, dt)
            blocks.append(_Block(
                rows=rows, ws=spaces[b],
                flat=self.flat[rows], Wx=self.layout.layer_blocks(self.flat[rows]),
                gWx=self.layout.layer_blocks(self.grad[rows]), gE=self.grad[rows, :n * d],
                y=self.data["y"][rows], src=pair_index(I[rows], J[rows], n, d, self.layout.size),
                tgt=pair_index(I[rows], J[rows], n, d, n * d).ravel()))
        return blocks

    @property
    def size(self):
        return len(self.ids)

    def loss_and_grads(self):
        """Training loss (K',) and gradients of every member on its training pairs (what
        loss_and_grads computes, by the fast path). grads are views of this batch's
        gradient rows: the next call overwrites them."""
        loss = np.empty(self.size, self.flat.dtype)
        for blk in self.blocks:
            ws = blk.ws
            pair_inputs(blk.flat, blk.src, self.mode, ws)
            z = forward_fast(blk.Wx, ws)
            loss[blk.rows], dz = bce_and_grad(z, blk.y, ws)
            backward_fast(blk.Wx, blk.gWx, dz, ws)
            pair_input_grads(self.mode, ws)
            scatter_pairs(ws.e, blk.tgt, blk.gE)
        return loss, self.grads

    def update(self, grads):
        """One optimizer step of every member (per-group learning rates and weight decays)."""
        if grads is not self.grads:     # e.g. train_ensemble's finite rows after a drop
            for name, g in grads.items():
                self.grads[name][...] = g
        params, grads = self._groups
        if self.opt is None:
            sgd_step(params, grads, self.lr, self.wd, work=self._work)
        else:
            adam_step(params, grads, self.opt, self.lr, self.wd)

    def drop(self, rows):
        """Remove the members in `rows` (row positions, not config ids) from the batch."""
        keep = np.setdiff1d(np.arange(self.size), rows)
        self.ids, self.data = self.ids[keep], _take(self.data, keep)
        self.lr, self.wd = _take(self.lr, keep), _take(self.wd, keep)
        # the step count t is shared: every member took every step
        moments = None if self.opt is None else (self.opt["t"], self._m[keep], self._v[keep])
        self._setup(self.flat[keep], moments)


METRICS = ("train_loss", "test_loss", "train_acc", "test_acc", "all_acc")


class Recorder:
    """Metric histories at the evaluation steps, each member's 0.9 milestones, and how
    and when each member ended; makes the History of every config at the end."""

    def __init__(self, K, ev):
        self.ev, self.e = ev, 0                       # evaluation steps; index of the next
        self.values = {k: np.full((K, len(ev)), np.nan) for k in METRICS}
        self.first = {"train_acc": [None] * K, "test_acc": [None] * K}   # first step > 0.9
        self.ended = {}                               # config id -> (stopped_at, diverged_at, E)

    def due(self, step):
        return step == self.ev[self.e]

    def record(self, step, batch):
        """Evaluate every member still training and note first passes of 0.9."""
        for k, val in evaluate(batch.params, batch.data, batch.mode).items():
            self.values[k][batch.ids, self.e] = val
        for k, first in self.first.items():
            for i in batch.ids:
                if first[i] is None and self.values[k][i, self.e] > ACC_THRESHOLD:
                    first[i] = step
        self.e += 1

    def decided(self, batch):
        """Rows whose train and test accuracy have both passed 0.9: Table IV is settled."""
        return np.array([r for r, i in enumerate(batch.ids) if self.first["train_acc"][i] is not None
                         and self.first["test_acc"][i] is not None], dtype=int)

    def end(self, batch, rows, step, diverged):
        """Members in `rows` stop at `step` (frozen at their last finite state if diverged)."""
        for r in rows:
            self.ended[batch.ids[r]] = (step, step if diverged else None, batch.params["E"][r].copy())
        if len(rows):
            batch.drop(rows)

    def histories(self, configs):
        out = []
        for i, c in enumerate(configs):
            stopped, div, E = self.ended[i]
            out.append(History(c, self.ev, *(self.values[k][i] for k in METRICS),
                               self.first["train_acc"][i], self.first["test_acc"][i], div, stopped, E))
        return out


def train_ensemble(configs):
    """Full-batch training of K configs sharing an architecture, as one computation.

    Members differ only in MEMBER_FIELDS. A member whose loss turns non-finite is
    frozen and leaves the batch (diverged → confusion); with stop_when_decided a
    member leaves once both accuracies have passed 0.9, when Table IV can no
    longer change. Neither touches the other members' arithmetic.
    Returns one History per config, in order.
    """
    configs = list(configs)
    check_ensemble(configs)
    c0 = configs[0]
    batch = Batch.start(configs)
    log = Recorder(len(configs), eval_steps(c0.steps, c0.eval_every))
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(c0.steps + 1):
            if log.due(step):
                log.record(step, batch)
                if c0.stop_when_decided:
                    log.end(batch, log.decided(batch), step, diverged=False)
            if step == c0.steps or batch.size == 0:
                break
            loss, grads = batch.loss_and_grads()
            finite = np.isfinite(loss)
            if not finite.all():
                log.end(batch, np.flatnonzero(~finite), step, diverged=True)
                if batch.size == 0:
                    break
                grads = _take(grads, np.flatnonzero(finite))
            batch.update(grads)
    log.end(batch, np.arange(batch.size), c0.steps, diverged=False)
    return log.histories(configs)


def train(cfg):
    """Train one model: the ensemble of one."""
    return train_ensemble([cfg])[0]


# --- Section IV, Theorem 1: same-class embeddings coincide ----------------------

def class_labels(R):
    """Class of every element of an equivalence relation: equal rows of R, same class."""
    return np.unique(np.asarray(R), axis=0, return_inverse=True)[1].ravel()


def cluster_ratio(E, labels):
    """Theorem 1, measured: mean distance between same-class embeddings divided by
    the mean distance between different-class ones.

    A zero-loss injective decoder forces same-class points together (ratio → 0);
    an unstructured embedding (at initialisation, or memorized) gives ratio ≈ 1.
    """
    E, labels = np.asarray(E, dtype=float), np.asarray(labels)
    if E.ndim != 2 or labels.shape != (E.shape[0],):
        raise ValueError(f"E.shape={E.shape}, labels.shape={labels.shape}: need (n, d) and (n,)")
    dist = np.linalg.norm(E[:, None, :] - E[None, :, :], axis=-1)    # (n, n)
    same = labels[:, None] == labels[None, :]
    off_diag = ~np.eye(len(labels), dtype=bool)
    if not (same & off_diag).any() or same.all():
        raise ValueError("labels need at least one class with two members and two classes")
    return float(dist[same & off_diag].mean() / dist[~same].mean())


# --- Section IV, Eq. (12): the network's σ_a and σ_c -----------------------------

def sigma_a_of_network(cfg, samples=256):
    """σ_a of Eq. (12) read off the network at initialisation.

    The repon theory linearises the decoder around an embedding: z ≈ A x + b.
    A = ∂z/∂E_i is the decoder's Jacobian with respect to the first embedding of a
    pair; a2 is its component along the repon separation, so σ_a is the RMS of one
    Jacobian entry over `samples` initialisations (seeds 0..samples−1) and pairs i ≠ j.
    """
    cfgs = [dataclasses.replace(cfg, seed=s) for s in range(samples)]
    params = {k: v.astype(np.float64) for k, v in init_ensemble(cfgs).items()}  # the run's values
    rng = np.random.default_rng(12345)
    I = rng.integers(0, cfg.n, (samples, 1))
    J = (I + rng.integers(1, cfg.n, (samples, 1))) % cfg.n     # j ≠ i
    z, cache = forward(params, I, J, cfg.mode)
    grads = backward(params, cache, np.ones_like(z), I, J, cfg.mode)  # dz = 1: ∂z/∂E
    A = grads["E"][np.arange(samples), I[:, 0]]                       # (samples, d), i ≠ j
    return float(np.sqrt(np.mean(A ** 2)))


def sigma_c_of_network(cfg):
    """σ_c of Eq. (12): r = (E_i − E_j)/2 with E ~ N(0, σ_enc²) has N(0, σ_enc²/2) components."""
    return cfg.init_enc / np.sqrt(2)
