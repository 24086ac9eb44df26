"""GenEFT in NumPy, one model: the encoder-decoder of Section II, its backprop by
hand, per-group SGD and Adam, the reference trainer, and the phases of Table IV.

Paper: Baek, Liu, Tegmark, "GenEFT: Understanding Statics and Dynamics of Model
Generalization via Physics-Inspired Effective Theory" (2025). Conventions the
paper leaves open are pinned in README.md, section "Conventions".

Read it top to bottom next to Section II: relations, Config, the model, its backprop,
the optimizers, Table IV, the reference train, Theorem 1 and Eq. (12)'s σ's; what closes
the file (torch's state_dict layout, the input checks) serves oracle users. It imports
NumPy and the standard library only, so it can be copied alone and used as an oracle:
loss_and_grads, sgd_step and adam_step are the formulas, and tests check them entry by
entry.

Layout, stated once: W_l is (in, out), so a layer is h @ W + b; torch's
nn.Linear.weight is (out, in). to_state_dict / from_state_dict convert.

Glossary (paper symbol -> name here; shapes of one model; P = number of pairs)
    R, R_ij        relation matrix          -> relation_matrix(relation, n)   (n, n) int8
    n              number of elements       -> Config.n
    d              embedding dimension      -> Config.d
    E, E_x         embedding table          -> params["E"]                    (n, d)
    n_h            decoder hidden layers    -> Config.depth
    w              decoder width            -> Config.width
    W_l, b_l       decoder layer l          -> params["W{l}"] (in, out), params["b{l}"] (out,),
                                               l = 1..depth+1 (depth+1: the linear output unit)
    z              logit of R(i, j) = 1     -> forward(...)[0]                (P,)
    η_enc, η_dec   learning rates           -> Config.eta_enc, Config.eta_dec
    λ_enc, λ_dec   weight decays            -> Config.wd_enc, Config.wd_dec
    σ_enc, σ_dec   initialisation scales    -> Config.init_enc, Config.init_dec
"""
import dataclasses
import math
import re
from dataclasses import dataclass

import numpy as np

# --- Section II, Table I: relations and data ---------------------------------

RELATIONS = ("mod3", "mod5", "greater", "bipartite")  # Table I; also any "mod<k>"
# Beyond Table I: "preorder<k>", a total preorder (transitive and reflexive, not symmetric).
MAX_K = 10 ** 9  # largest k of "mod<k>" / "preorder<k>" (any k >= n already separates all)


def _bad(name, value, allowed):
    raise ValueError(f"{name}={value!r} is not allowed: {allowed}")


def _is_int(v):   # not a bool: True would otherwise pass as 1
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _is_real(v):  # not a bool or a string: '0.01' would otherwise reach NumPy
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _check_int(name, v, low, high=None):
    if not _is_int(v) or v < low or (high is not None and v > high):
        _bad(name, v, f"must be an integer >= {low}" + (f" and <= {high}" if high else ""))


def _check_n(n):
    _check_int("n", n, 2)


def modk_relation(n, k):
    """Table I, 'equal modulo k': R[x, y] = 1 iff x ≡ y (mod k)."""
    _check_n(n)
    _check_int("k", k, 1, MAX_K)
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
    _check_int("k", k, 1, MAX_K)
    x = np.arange(n) % k
    return (x[:, None] <= x[None, :]).astype(np.int8)


def relation_kind(name):
    """Table I name -> (kind, k): ('equivalence', k) for 'mod<k>', ('bipartite', 2),
    ('total_order', None) for 'greater'. The one place a relation name is parsed."""
    allowed = (f"use one of {RELATIONS}, 'mod<k>' (1 <= k <= {MAX_K}) or 'preorder<k>' "
               f"(2 <= k <= {MAX_K}), or an n×n matrix of 0/1")
    m = re.fullmatch(r"(mod|preorder)(\d{1,12})", str(name))
    if m and (1 if m.group(1) == "mod" else 2) <= int(m.group(2)) <= MAX_K:
        return ("equivalence" if m.group(1) == "mod" else "total_preorder"), int(m.group(2))
    if name == "bipartite":
        return "bipartite", 2
    if name == "greater":
        return "total_order", None
    _bad("relation", name, allowed)


def _matrix_relation(relation, n):
    """An array-like relation checked to be an (n, n) matrix of 0/1, as int8."""
    try:
        R = np.asarray(relation)
        ok = R.dtype != object and R.ndim == 2 and np.isin(R, (0, 1)).all()
    except (ValueError, TypeError):
        R, ok = None, False
    shape = getattr(R, "shape", "ragged")
    if not ok or shape != (n, n):
        short = relation if getattr(R, "size", 0) <= 16 else f"<matrix of shape {shape}>"
        _bad("relation", short, f"a matrix must have shape (n, n) = ({n}, {n}) with entries "
             f"0 or 1; found shape {shape}")
    return R.astype(np.int8)


def relation_matrix(relation, n, seed=None):
    """R as an (n, n) int8 matrix: a Table I name ('mod3', 'mod5', 'mod<k>', 'greater',
    'bipartite', or 'preorder<k>'), or any n×n array-like of 0/1 taken as R itself."""
    _check_n(n)
    if not isinstance(relation, str):
        return _matrix_relation(relation, n)
    kind, k = relation_kind(relation)
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
    if not (_is_real(frac) and 0 < frac <= 1):
        _bad("frac", frac, "the training fraction must lie in (0, 1]")
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
GROUPS = ("enc", "dec")               # encoder = E; decoder = every W_l, b_l
# Upper limits validate enforces: past them a config is a typo, not an experiment, and would
# only exhaust memory or time; evaluations count steps // eval_every + 2.
MAX_DEPTH, MAX_WIDTH, MAX_STEPS, MAX_EVALS = 64, 4096, 10 ** 7, 10 ** 6

# Table III's "Decoder Depth 3", read two ways (README.md, Conventions: depth). Config.depth
# always counts hidden tanh layers; a reading maps Table III's 3 onto it:
#   "hidden": 3 hidden layers (the paper's own n_h, "the number of hidden layers", Fig. 3)
#   "linear": 3 linear layers = 2 hidden (how ref. [27]'s code counts depth)
DEPTH_CONVENTIONS = {"hidden": 3, "linear": 2}
DEFAULT_DEPTH_CONVENTION = "hidden"


@dataclass(frozen=True)
class Config:
    """Every knob of one run; defaults are Table III (and Table IV's budget)."""
    relation: str | tuple = "mod3"  # R: Table I name, "mod<k>", or an n×n 0/1 matrix
    n: int = 30                 # number of elements (Section II: n = 30)
    d: int = 2                  # embedding dimension (Table III)
    depth: int = 3              # n_h, hidden tanh layers (Table III "Decoder Depth 3")
    width: int = 50             # w, hidden width (Table III)
    mode: str = "concat"        # combine: [E_i, E_j] | E_i − E_j | (E_i − E_j)² (Section III)
    frac: float = 0.75          # training data fraction (Table III)
    optimizer: str = "adam"     # "adam" (torch.optim.Adam rule) or "sgd"
    eta_enc: float = 1e-3       # η_enc (Table III learning rate)
    eta_dec: float = 1e-3       # η_dec
    wd_enc: float = 0.0         # λ_enc, encoder weight decay (Table III: 0)
    wd_dec: float = 0.0         # λ_dec, decoder weight decay, wd_dec of Fig. 8
    init_enc: float = 1.0       # σ_enc: E ~ N(0, σ_enc²)
    init_dec: float = 1.0       # σ_dec: decoder ~ σ_dec · U(±1/√fan_in)
    init_scheme: str = "uniform"  # decoder init: "uniform" σ_dec·U(±1/√fan_in) | "normal" N(0, σ_dec²)
    steps: int = 100_000        # budget (Table IV: 1e5 steps)
    eval_every: int = 100       # steps between evaluations
    grok_gap: int | None = None # Table IV gap (1e3 at 1e5 steps); None: steps / 100
    seed: int = 0               # split and initialisation
    dtype: str = "float64"      # "float64" (oracle) or "float32" (speed)
    stop_when_decided: bool = False  # leave training once the phase cannot change

    def __post_init__(self):
        # A matrix relation is kept as a tuple of tuples, so Config stays hashable and
        # JSON-friendly; entries that are not whole numbers are kept for validate to name.
        if not isinstance(self.relation, str):
            try:
                rows = np.asarray(self.relation).tolist()
                rows = tuple(tuple(int(v) if float(v).is_integer() else v for v in r) for r in rows)
            except (TypeError, ValueError):
                return
            object.__setattr__(self, "relation", rows)

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


def validate(cfg):
    """Raise ValueError naming the first bad field of cfg and what is allowed."""
    relation_matrix(cfg.relation, cfg.n)  # checks relation and n
    for name, allowed in (("mode", MODES), ("optimizer", OPTIMIZERS), ("dtype", DTYPES),
                          ("init_scheme", INIT_SCHEMES)):
        if getattr(cfg, name) not in allowed:
            _bad(name, getattr(cfg, name), f"use one of {allowed}")
    for name, low, high in (("d", 1, None), ("width", 1, MAX_WIDTH), ("steps", 1, MAX_STEPS),
                            ("eval_every", 1, None), ("depth", 0, MAX_DEPTH), ("seed", 0, None)):
        _check_int(name, getattr(cfg, name), low, high)
    if cfg.steps // cfg.eval_every + 2 > MAX_EVALS:
        _bad("eval_every", cfg.eval_every, f"steps // eval_every + 2 evaluations must be <= {MAX_EVALS}")
    if not (_is_real(cfg.frac) and 0 < cfg.frac < 1):
        _bad("frac", cfg.frac, "the training fraction must lie in (0, 1): Table IV's phases "
             "need a test set")
    if round(cfg.frac * cfg.n ** 2) >= cfg.n ** 2:
        _bad("frac", cfg.frac, f"leaves no test pair for n={cfg.n} (round(frac·n²) = n²): Table "
             "IV's phases need a test accuracy")
    for name in ("eta_enc", "eta_dec", "wd_enc", "wd_dec"):
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


# --- Section II: the encoder-decoder ------------------------------------------

def layer_names(depth):
    """Parameter names in order: E, then (W1, b1) ... (W{depth+1}, b{depth+1})."""
    return ["E"] + [f"{p}{l}" for l in range(1, depth + 2) for p in ("W", "b")]


def param_shapes(n, d, depth, width, mode):
    """Shape of every parameter: E (n, d); W_l (fan_in, fan_out); b_l (fan_out,)."""
    d_in = 2 * d if mode == "concat" else d
    fan = [d_in] + [width] * depth + [1]
    shapes = {"E": (n, d)}
    for l in range(1, depth + 2):
        shapes[f"W{l}"] = (fan[l - 1], fan[l])
        shapes[f"b{l}"] = (fan[l],)
    return shapes


def member_rng(cfg):
    """The generator that draws a run's initial parameters: seeded by (seed, 1), so it is
    independent of the split's generator (seeded by seed alone)."""
    return np.random.default_rng((cfg.seed, 1))


def init_params(cfg, rng=None):
    """Init (README.md, Conventions): E ~ N(0, σ_enc²); every decoder W_l, b_l drawn by
    cfg.init_scheme: "uniform" σ_dec · U(±1/√fan_in) (torch.nn.Linear's default, scaled),
    or "normal" N(0, σ_dec²) (Fig. 6's caption: "a standard normal scaled by the factor").

    Drawn in float64 and cast, so float32 and float64 runs start from the same point.
    rng=None: member_rng(cfg), the generator train() uses.
    """
    rng = member_rng(cfg) if rng is None else rng
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


# --- Section II: forward -------------------------------------------------------

def combine(Ei, Ej, mode):
    """Section III combine modes: 1 [E_i, E_j]; 2 E_i − E_j; 3 (E_i − E_j)² element-wise."""
    if mode == "concat":
        return np.concatenate([Ei, Ej], axis=-1)  # (P, 2d)
    if mode == "diff":
        return Ei - Ej                             # (P, d)
    if mode == "sqdiff":
        return (Ei - Ej) ** 2                      # (P, d)
    _bad("mode", mode, f"use one of {MODES}")


def combine_backward(dx, Ei, Ej, mode):
    """Chain rule through combine: returns (∂ℓ/∂E_i, ∂ℓ/∂E_j), each (P, d)."""
    if mode == "concat":
        d = Ei.shape[-1]
        return dx[..., :d], dx[..., d:]
    if mode == "diff":
        return dx, -dx
    dEi = 2.0 * (Ei - Ej) * dx                    # d/dE_i (E_i − E_j)² = 2 (E_i − E_j)
    return dEi, -dEi


def forward(params, I, J, mode):
    """Section II: logit z = W_L·tanh(...tanh(W_1 x + b_1)...) + b_L, x = combine(E_i, E_j).

    I, J: (P,) element indices. Returns z (P,) and the cache for backward.
    """
    check_params(params, mode)
    check_data(I, J, None, params["E"].shape[0])
    E = params["E"]
    Ei, Ej = E[I], E[J]                                 # (P, d)
    h = combine(Ei, Ej, mode)                           # (P, d_in)
    hs = [h]
    L = len(params) // 2                                # layers incl. output
    for l in range(1, L):
        h = np.tanh(h @ params[f"W{l}"] + params[f"b{l}"])  # (P, w)
        hs.append(h)
    z = (h @ params[f"W{L}"])[:, 0] + params[f"b{L}"]   # (P,)
    return z, (Ei, Ej, hs)


# --- Section II: loss (sigmoid + binary cross-entropy) ------------------------

def bce_with_logits(z, y):
    """Mean BCE of σ(z) against y: −[y log σ(z) + (1−y) log(1−σ(z))] = softplus(z) − y z.

    logaddexp(0, z) is softplus without overflow, so logits of ±1e4 are exact.
    """
    return float(np.mean(np.logaddexp(0, z) - y * z))


def sigmoid(z):
    """σ(z) = exp(−softplus(−z)): no overflow for any finite z."""
    return np.exp(-np.logaddexp(0, -z))


def bce_grad(z, y):
    """∂ mean BCE / ∂z = (σ(z) − y) / P."""
    return (sigmoid(z) - y) / z.shape[-1]


# --- Section II: backprop by hand ---------------------------------------------

def scatter_rows(dEi, dEj, I, J, n):
    """∂ℓ/∂E[a] = Σ_p [I_p = a] ∂ℓ/∂E_i,p + [J_p = a] ∂ℓ/∂E_j,p: (n, d).

    Summed in float64 (I's terms, then J's, in order) and cast to the gradients' dtype.
    """
    dE = np.zeros((n, dEi.shape[1]))
    np.add.at(dE, I, dEi)
    np.add.at(dE, J, dEj)
    return dE.astype(dEi.dtype)


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
    da = dz[:, None]                                     # (P, 1)
    for l in range(L, 0, -1):
        h_in = hs[l - 1]                                 # (P, fan_in)
        grads[f"W{l}"] = h_in.T @ da                     # (fan_in, fan_out)
        grads[f"b{l}"] = da.sum(axis=0)                  # (fan_out,)
        dh = da @ params[f"W{l}"].T                      # (P, fan_in)
        if l > 1:
            da = dh * (1.0 - h_in * h_in)
    dEi, dEj = combine_backward(dh, Ei, Ej, mode)        # (P, d) each
    grads["E"] = scatter_rows(dEi, dEj, I, J, params["E"].shape[0])
    return {name: grads[name] for name in params}


def loss_and_grads(params, I, J, y, mode):
    """Mean BCE (a float) on the pairs (I_p, J_p) with labels y_p, and the gradient dict."""
    z, cache = forward(params, I, J, mode)
    check_data(I, J, y, params["E"].shape[0])
    return bce_with_logits(z, y), backward(params, cache, bce_grad(z, y), I, J, mode)


# --- Per-group optimizers (torch.optim semantics): encoder = E, decoder = every W_l, b_l ---

def group_of(name):
    """Parameter group of a parameter name: 'enc' for E, 'dec' for the decoder."""
    return "enc" if name == "E" else "dec"


def sgd_step(params, grads, eta, wd=0.0):
    """SGD with coupled weight decay, in place: p ← p − η (g + λ p).

    eta, wd: a float (both groups) or {"enc": float, "dec": float}. grads are not modified.
    """
    eta, wd = _per_group(eta, "eta"), _per_group(wd, "wd")
    _check_like("grads", grads, params)
    for name, p in params.items():
        grp = group_of(name)
        p -= eta[grp] * (grads[name] + wd[grp] * p)


def adam_init(params):
    """Adam state: step count t and first/second moments m, v (zeros, like params)."""
    return {"t": 0, "m": {k: np.zeros_like(v) for k, v in params.items()},
            "v": {k: np.zeros_like(v) for k, v in params.items()}}


def adam_step(params, grads, state, eta, wd=0.0, betas=(0.9, 0.999), eps=1e-8):
    """torch.optim.Adam (weight decay coupled to the gradient), in place, per group:

        g ← g + λ p
        m ← β1 m + (1 − β1) g,      v ← β2 v + (1 − β2) g²
        m̂ = m / (1 − β1ᵗ),          v̂ = v / (1 − β2ᵗ)
        p ← p − η m̂ / (√v̂ + ε)

    The last line is computed as torch does, η/(1 − β1ᵗ) · m / (√v/√(1 − β2ᵗ) + ε): the same
    formula, rounded the same way as the runs the committed results came from.
    eta, wd: a float (both groups) or {"enc": float, "dec": float}. The bias corrections
    are Python floats, so float32 parameters are updated in float32. grads are not modified.
    """
    eta, wd = _per_group(eta, "eta"), _per_group(wd, "wd")
    _check_like("grads", grads, params)
    _check_like("state['m']", state["m"], params)
    _check_like("state['v']", state["v"], params)
    b1, b2 = betas
    state["t"] += 1
    t = state["t"]
    for name, p in params.items():
        grp = group_of(name)
        m, v = state["m"][name], state["v"][name]
        g = grads[name] + wd[grp] * p
        m[...] = b1 * m + (1 - b1) * g
        v[...] = b2 * v + (1 - b2) * (g * g)
        # η m̂ / (√v̂ + ε) with the bias corrections folded into two scalars, in the order
        # torch.optim.Adam computes it: η/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)
        step = eta[grp] / (1 - b1 ** t)                     # η / (1 − β1ᵗ)
        denom = np.sqrt(v) / math.sqrt(1 - b2 ** t) + eps   # √v̂ + ε
        p -= step * (m / denom)


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


# --- Training: the reference trainer ---------------------------------------------

METRICS = ("train_loss", "test_loss", "train_acc", "test_acc", "all_acc")


def eval_steps(steps, eval_every):
    """Evaluation steps 0, e, 2e, ... and always the final step."""
    s = list(range(0, steps + 1, eval_every))
    return np.array(s if s[-1] == steps else s + [steps])


def evaluate(params, R, train_mask, mode):
    """Loss and accuracy on the training pairs, the test pairs, and accuracy on all n² pairs
    (Fig. 3). train_mask: bool (n²,), True for training pairs (flat index i·n + j).
    One forward pass over the n² pairs; prediction z > 0, label R > 1/2."""
    n = R.shape[0]
    idx = np.arange(n * n)
    z, _ = forward(params, idx // n, idx % n, mode)        # (n²,)
    y = R.reshape(-1).astype(z.dtype)
    loss = np.logaddexp(0, z) - y * z                      # per-pair BCE
    correct = (z > 0) == (y > 0.5)
    test_mask = ~train_mask
    return {"train_loss": float(loss[train_mask].mean()), "test_loss": float(loss[test_mask].mean()),
            "train_acc": float(correct[train_mask].mean()), "test_acc": float(correct[test_mask].mean()),
            "all_acc": float(correct.mean())}


@dataclass
class History:
    """What one run recorded at its evaluation steps (metric arrays are (T,), NaN where
    the run had stopped)."""
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
    final_E: np.ndarray          # (n, d) embedding when the run stopped: params["E"]
    params: dict | None = None   # every parameter when the run stopped

    @property
    def diverged(self):
        return self.diverged_at is not None

    @property
    def phase(self):
        """Table IV phase with the config's budget and (scaled) grokking gap."""
        c = self.config
        return classify_phase(self.step_train_90, self.step_test_90, c.steps, c.gap, self.diverged)


class _Unlimited:
    """A context that changes nothing (threadpoolctl absent)."""
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _one_blas_thread():
    """A context pinning BLAS to one thread while a single small model trains: its matrices
    are too small to share, and OpenBLAS's threads wait on each other on a busy machine
    (several times slower). Uses the optional package threadpoolctl if it is installed
    (`pip install threadpoolctl`), so this file still needs NumPy alone; restored on exit."""
    try:
        return __import__("threadpoolctl").threadpool_limits(1, user_api="blas")
    except ImportError:
        return _Unlimited()


def train(cfg, params=None):
    """Full-batch training of one model (Section II, Table III) on its split.

    At each evaluation step, before that step's update: record the metrics and the first
    step with train / test accuracy > 0.9. With stop_when_decided, stop once both are set
    (Table IV can no longer change). A non-finite training loss at step s freezes the run at
    its last finite parameters: diverged_at = stopped_at = s. params: start here instead of
    init_params(cfg) (checked, copied and cast to cfg.dtype).
    """
    validate(cfg)
    n, dt = cfg.n, np.dtype(cfg.dtype)
    if params is None:
        params = init_params(cfg)
    else:
        check_params(params, cfg.mode, param_shapes(n, cfg.d, cfg.depth, cfg.width, cfg.mode))
        params = {k: np.array(params[k], dtype=dt) for k in layer_names(cfg.depth)}
    R = relation_matrix(cfg.relation, n)
    train_idx, _ = split_pairs(n, cfg.frac, cfg.seed)
    I, J, y = pair_labels(R, train_idx)
    y = y.astype(dt)
    train_mask = np.zeros(n * n, dtype=bool)
    train_mask[train_idx] = True
    eta = {"enc": cfg.eta_enc, "dec": cfg.eta_dec}
    wd = {"enc": cfg.wd_enc, "dec": cfg.wd_dec}
    state = adam_init(params)
    ev = eval_steps(cfg.steps, cfg.eval_every)
    values = {k: np.full(len(ev), np.nan) for k in METRICS}
    first = {"train_acc": None, "test_acc": None}            # first step with acc > 0.9
    e, diverged_at, stopped_at = 0, None, cfg.steps
    with _one_blas_thread(), np.errstate(over="ignore", invalid="ignore"):
        for step in range(cfg.steps + 1):
            if step == ev[e]:
                for k, v in evaluate(params, R, train_mask, cfg.mode).items():
                    values[k][e] = v
                for k in first:
                    if first[k] is None and values[k][e] > ACC_THRESHOLD:
                        first[k] = step
                e += 1
                if cfg.stop_when_decided and None not in first.values():
                    stopped_at = step
                    break
            if step == cfg.steps:
                break
            loss, grads = loss_and_grads(params, I, J, y, cfg.mode)
            if not np.isfinite(loss):
                diverged_at = stopped_at = step
                break
            if cfg.optimizer == "adam":
                adam_step(params, grads, state, eta, wd)
            else:
                sgd_step(params, grads, eta, wd)
    return History(cfg, ev, *(values[k] for k in METRICS), first["train_acc"], first["test_acc"],
                   diverged_at, stopped_at, params["E"], params)


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
    rng = np.random.default_rng(12345)
    I = rng.integers(0, cfg.n, (samples, 1))
    J = (I + rng.integers(1, cfg.n, (samples, 1))) % cfg.n     # j ≠ i
    A = np.empty((samples, cfg.d))
    for s in range(samples):
        params = init_params(dataclasses.replace(cfg, seed=s))  # the run's values, then float64
        params = {k: v.astype(np.float64) for k, v in params.items()}
        z, cache = forward(params, I[s], J[s], cfg.mode)
        grads = backward(params, cache, np.ones_like(z), I[s], J[s], cfg.mode)  # dz = 1: ∂z/∂E
        A[s] = grads["E"][I[s, 0]]                            # i ≠ j: only E_i's term
    return float(np.sqrt(np.mean(A ** 2)))


def sigma_c_of_network(cfg):
    """σ_c of Eq. (12): r = (E_i − E_j)/2 with E ~ N(0, σ_enc²) has N(0, σ_enc²/2) components."""
    return cfg.init_enc / np.sqrt(2)


# --- Oracle conveniences: torch's state_dict layout ------------------------------

def to_state_dict(params):
    """params -> the state_dict of nn.Embedding "E" and nn.Sequential "decoder"
    (Linear, Tanh, ..., Linear): "E.weight" (n, d); layer l is decoder index 2(l−1),
    "decoder.{2(l−1)}.weight" (out, in) = W_lᵀ and "decoder.{2(l−1)}.bias" = b_l."""
    depth = check_params(params)
    sd = {"E.weight": params["E"].copy()}
    for l in range(1, depth + 2):
        sd[f"decoder.{2 * (l - 1)}.weight"] = np.ascontiguousarray(params[f"W{l}"].T)
        sd[f"decoder.{2 * (l - 1)}.bias"] = params[f"b{l}"].copy()
    return sd


def from_state_dict(sd):
    """The inverse of to_state_dict. Pass NumPy arrays: {k: v.detach().cpu().numpy()}."""
    if not isinstance(sd, dict) or "E.weight" not in sd:
        raise ValueError("sd must be a dict with 'E.weight' and 'decoder.{0,2,...}.weight/bias'")
    params = {"E": np.array(sd["E.weight"])}
    l = 1
    while f"decoder.{2 * (l - 1)}.weight" in sd:
        params[f"W{l}"] = np.array(sd[f"decoder.{2 * (l - 1)}.weight"]).T.copy()
        params[f"b{l}"] = np.array(sd[f"decoder.{2 * (l - 1)}.bias"])
        l += 1
    if len(params) != len(sd):
        known = {"E.weight"} | {f"decoder.{2 * i}.{w}" for i in range(l - 1) for w in ("weight", "bias")}
        raise ValueError(f"sd has keys {sorted(set(sd) - known)}; expected {sorted(known)}")
    check_params(params)
    return params


# --- Oracle input checks: one clear ValueError per natural mistake --------------
#
# forward, loss_and_grads and the optimizers call these first, so a framework user's
# natural mistakes (a batch axis, torch's (out, in) layout, a float where a dict was
# meant) get one line naming the argument; a student can read the model above without them.

def _shape_error(arg, found, expected, hint=""):
    raise ValueError(f"{arg} has shape {found}; expected {expected}" + (f": {hint}" if hint else ""))


def check_params(params, mode=None, shapes=None):
    """Check params is a dict of float arrays named and shaped like param_shapes; returns
    depth. The architecture is read off params (n, d from E, w from b1) unless shapes given."""
    if mode is not None and mode not in MODES:
        _bad("mode", mode, f"use one of {MODES}")
    if isinstance(params, dict) and any("." in str(k) for k in params):
        raise ValueError(f"params has torch-style keys {list(params)[:2]}...: use from_state_dict")
    if not isinstance(params, dict) or "E" not in params:
        raise ValueError(f"params must be a dict with keys E, W1, b1, ...; got {type(params).__name__}"
                         f" with keys {list(params) if isinstance(params, dict) else None}")
    depth = max([int(k[1:]) for k in params if re.fullmatch(r"[Wb]\d+", str(k))], default=1) - 1
    names = layer_names(depth)
    for name in names:
        if name not in params:
            raise ValueError(f"params is missing {name!r}: expected keys {names}")
    if len(params) != len(names):
        raise ValueError(f"params has unexpected keys {sorted(set(params) - set(names))}: expected {names}")
    _check_like("params", params, params)      # float arrays
    if shapes is None:
        E, b1 = params["E"], params["b1"]
        if E.ndim != 2:
            _shape_error("params['E']", E.shape, "(n, d)", "one model, no leading ensemble axis")
        width = b1.shape[-1] if depth > 0 and b1.ndim else 1
        shapes = param_shapes(E.shape[0], E.shape[1], depth, width, mode or "concat")
        if mode is None:     # the decoder's input width is unknown: accept W1's
            shapes["W1"] = (params["W1"].shape[0], shapes["W1"][1])
    for name, shape in shapes.items():
        found = params[name].shape
        if found != shape:
            hint = ("W is (in, out); torch's nn.Linear.weight is (out, in): use from_state_dict"
                    if name[0] == "W" and found == shape[::-1] else f"shapes {shapes}")
            _shape_error(f"params[{name!r}]", found, shape, hint)
    return depth


def check_data(I, J, y, n):
    """Check I, J are 1-D integer arrays of equal length P with entries in [0, n), and y
    (unless None) a 1-D numeric array of length P."""
    for arg, a in (("I", I), ("J", J)):
        if not (isinstance(a, np.ndarray) and a.ndim == 1 and a.dtype.kind in "iu"):
            _shape_error(arg, getattr(a, "shape", type(a).__name__), "(P,) of integers",
                         f"dtype {getattr(a, 'dtype', None)}; one model, one index per pair")
        if a.size and (a.min() < 0 or a.max() >= n):
            raise ValueError(f"{arg} has entries in [{a.min()}, {a.max()}]; expected [0, {n - 1}]: "
                             f"indices into E of shape (n, d) = ({n}, ...)")
    if J.shape != I.shape:
        _shape_error("J", J.shape, f"{I.shape}, the shape of I")
    if y is not None and not (isinstance(y, np.ndarray) and y.shape == I.shape
                              and y.dtype.kind in "biuf"):
        _shape_error("y", getattr(y, "shape", type(y).__name__), f"{I.shape}, the shape of I")


def _per_group(value, arg):
    """η or λ as {"enc": float, "dec": float}: a plain float applies to both groups. Python
    floats, so float32 parameters stay float32."""
    if _is_real(value):
        return {"enc": float(value), "dec": float(value)}
    if isinstance(value, dict) and set(value) == set(GROUPS) and all(map(_is_real, value.values())):
        return {k: float(v) for k, v in value.items()}
    _bad(arg, value, "a float (both groups) or a dict {'enc': float, 'dec': float}")


def _check_like(arg, tree, params):
    """params must be float arrays, and tree (grads, or Adam's m or v) like params."""
    for name, p in params.items():
        if not (isinstance(p, np.ndarray) and p.dtype in (np.float32, np.float64)):
            raise ValueError(f"params[{name!r}] must be a float32 or float64 ndarray; got "
                             f"{type(p).__name__} of dtype {getattr(p, 'dtype', None)}")
    if not isinstance(tree, dict) or set(tree) != set(params):
        raise ValueError(f"{arg} must be a dict with the keys of params {list(params)}; got "
                         f"{list(tree) if isinstance(tree, dict) else type(tree).__name__}")
    for name, p in params.items():
        if np.shape(tree[name]) != p.shape:
            _shape_error(f"{arg}[{name!r}]", np.shape(tree[name]), p.shape, "the shape of params")
