"""GenEFT in NumPy, one model: the encoder-decoder of Section II, its backprop by hand,
per-group SGD and Adam, the phases of Table IV, and the reference trainer. Paper: Baek,
Liu, Tegmark, "GenEFT: Understanding Statics and Dynamics of Model Generalization via
Physics-Inspired Effective Theory" (2025); what it leaves open: README.md, "Conventions".

Read it top to bottom next to Section II: the model, loss, backprop, optimizers, Table IV;
the data (Table I), Table III's configuration, train, Theorem 1, Eq. (12). The formulas hold
no input checks: the file closes with the oracle's entry points, the same functions behind
one clear ValueError per mistake. NumPy and the standard library only: copy it alone.

Layout, stated once: W_l is (in, out), so a layer is h @ W + b; torch's nn.Linear.weight
is (out, in). to_state_dict / from_state_dict convert.

Glossary (paper symbol -> name here; P pairs, L = n_h + 1 layers with weights)
    R              relation_matrix(relation, n)   (n, n) of 0/1, R[i, j] = R(x_i, x_j)
    n, d           Config.n, Config.d             elements; embedding dimension
    n_h, w         Config.depth, Config.width     hidden tanh layers; their width
    E              params["E"]                    (n, d) embeddings, one row per element
    h_0            combine(E_i, E_j, mode)        (P, 2d) for concat, (P, d) otherwise
    W_l, b_l       params["W{l}"], params["b{l}"] (in, out), (out,); l = 1 .. L
    W_L, b_L       the output unit                (w, 1) (depth 0: (in, 1)), (1,): z = (h_{L-1} @ W_L + b_L)[:, 0]
    z              forward(...)[0]                (P,) logits of R(i, j) = 1
    η, λ           Config.eta_enc / eta_dec, wd_enc / wd_dec   per group: enc = E, dec = W, b
    σ_enc, σ_dec   Config.init_enc, init_dec      initialisation scales
"""
import dataclasses
import functools
import math
import re
from dataclasses import dataclass

import numpy as np

# --- Section II: the encoder-decoder ------------------------------------------

MODES = ("concat", "diff", "sqdiff")  # Section III's three ways to combine E_x1, E_x2

def layer_names(depth):
    """Parameter names in order: E, then (W1, b1) ... (W{depth+1}, b{depth+1})."""
    return ["E"] + [f"{p}{l}" for l in range(1, depth + 2) for p in ("W", "b")]

def param_shapes(n, d, depth, width, mode):
    """Shape of every parameter: E (n, d); W_l (fan_in, fan_out); b_l (fan_out,)."""
    fan = [2 * d if mode == "concat" else d] + [width] * depth + [1]
    shapes = {"E": (n, d)}
    for l in range(1, depth + 2):
        shapes[f"W{l}"] = (fan[l - 1], fan[l])
        shapes[f"b{l}"] = (fan[l],)
    return shapes

def n_layers(params):
    """L = n_h + 1: the layers with weights W_1 .. W_L, the last the output unit."""
    return sum(name.startswith("W") for name in params)

def combine(Ei, Ej, mode):
    """Section III combine modes: 1 [E_i, E_j]; 2 E_i − E_j; 3 (E_i − E_j)² element-wise."""
    if mode == "concat":
        return np.concatenate([Ei, Ej], axis=-1)  # (P, 2d)
    if mode == "diff":
        return Ei - Ej                             # (P, d)
    return (Ei - Ej) ** 2                          # "sqdiff": (P, d)

def forward(params, I, J, mode):
    """Section II, the encoder-decoder, one layer at a time in the (in, out) layout:

        h_0 = combine(E_i, E_j),   h_l = tanh(h_{l−1} @ W_l + b_l)  (l = 1..L−1),
        z = h_{L−1} @ W_L + b_L    (the logit of R(i, j) = 1; L = depth + 1)
    I, J: (P,) element indices. Returns z (P,) and the cache for backward."""
    Ei, Ej = params["E"][I], params["E"][J]             # (P, d)
    h = combine(Ei, Ej, mode)                           # h_0 (P, d_in)
    hs = [h]                                            # h_0 .. h_{L−1}
    L = n_layers(params)
    for l in range(1, L):
        h = np.tanh(h @ params[f"W{l}"] + params[f"b{l}"])  # (P, w)
        hs.append(h)
    z = (h @ params[f"W{L}"])[:, 0] + params[f"b{L}"]   # (P,)
    return z, (Ei, Ej, hs)

# --- Section II: loss (sigmoid + binary cross-entropy) ------------------------

def bce_with_logits(z, y):
    """Mean BCE over the P pairs, (1/P) Σ_p −[y log σ(z) + (1−y) log(1−σ(z))] =
    mean(softplus(z) − y z); logaddexp(0, z) is softplus without overflow (z = ±1e4 exact)."""
    return float(np.mean(np.logaddexp(0, z) - y * z))

def sigmoid(z):
    """σ(z) = exp(−softplus(−z)): no overflow for any finite z."""
    return np.exp(-np.logaddexp(0, -z))

def bce_grad(z, y):
    """∂ mean BCE / ∂z = (σ(z) − y) / P."""
    return (sigmoid(z) - y) / z.shape[-1]

# --- Section II: backprop by hand ---------------------------------------------

def scatter_rows(dEi, dEj, I, J, n):
    """∂ℓ/∂E[a] = Σ_p [I_p = a] ∂ℓ/∂E_i,p + [J_p = a] ∂ℓ/∂E_j,p: (n, d), summed in float64
    (I's terms, then J's, in order) and cast to the gradients' dtype."""
    dE = np.zeros((n, dEi.shape[1]))
    np.add.at(dE, I, dEi)
    np.add.at(dE, J, dEj)
    return dE.astype(dEi.dtype)

def combine_backward(dx, Ei, Ej, mode):
    """Chain rule through combine: returns (∂ℓ/∂E_i, ∂ℓ/∂E_j), each (P, d)."""
    if mode == "concat":
        d = Ei.shape[-1]
        return dx[..., :d], dx[..., d:]
    if mode == "diff":
        return dx, -dx
    dEi = 2.0 * (Ei - Ej) * dx                    # d/dE_i (E_i − E_j)² = 2 (E_i − E_j)
    return dEi, -dEi

def backward(params, cache, dz, I, J, mode):
    """Gradients of every parameter from ∂ℓ/∂z, layer by layer (same keys as params),
    for h_l = tanh(h_{l−1} @ W_l + b_l) and z = h_{L−1} @ W_L + b_L:

    Output layer:  ∂W_L = h_{L−1}ᵀ dz,   ∂b_L = Σ_p dz,   dh_{L−1} = dz W_Lᵀ
    Hidden layer:  da_l = dh_l ⊙ (1 − h_l²)  (tanh' = 1 − tanh²),  l = L−1 .. 1
                   ∂W_l = h_{l−1}ᵀ da_l,  ∂b_l = Σ_p da_l,  dh_{l−1} = da_l W_lᵀ
    Encoder:       dh_0 = ∂ℓ/∂h_0 → combine_backward → scatter onto the rows of E.
    cache = (E_i, E_j, [h_0, ..., h_{L−1}]) from forward.
    """
    Ei, Ej, hs = cache
    L = len(hs)                                          # h_0 .. h_{L−1}: L layers with weights
    grads = {}
    dz = dz[:, None]                                     # (P, 1): z's one output unit
    grads[f"W{L}"] = hs[L - 1].T @ dz                    # (w, 1)
    grads[f"b{L}"] = dz.sum(axis=0)                      # (1,)
    dh = dz @ params[f"W{L}"].T                          # dh_{L−1} (P, w)
    for l in range(L - 1, 0, -1):
        da = dh * (1.0 - hs[l] * hs[l])                  # da_l (P, w)
        grads[f"W{l}"] = hs[l - 1].T @ da                # (fan_in, w)
        grads[f"b{l}"] = da.sum(axis=0)                  # (w,)
        dh = da @ params[f"W{l}"].T                      # dh_{l−1} (P, fan_in)
    dEi, dEj = combine_backward(dh, Ei, Ej, mode)        # from dh_0: (P, d) each
    grads["E"] = scatter_rows(dEi, dEj, I, J, params["E"].shape[0])
    return {name: grads[name] for name in params}

def loss_and_grads(params, I, J, y, mode):
    """Mean BCE over the pairs (I_p, J_p) with labels y_p (a float), and the gradient dict."""
    z, cache = forward(params, I, J, mode)
    return bce_with_logits(z, y), backward(params, cache, bce_grad(z, y), I, J, mode)

# --- Per-group optimizers (torch.optim semantics): encoder = E, decoder = every W_l, b_l ---

def sgd_step(params, grads, eta, wd=0.0):
    """SGD with coupled weight decay, in place: p ← p − η (g + λ p), η and λ per group
    ({"enc": float, "dec": float}; the entry point also takes one float). grads unchanged."""
    for name, p in params.items():
        grp = "enc" if name == "E" else "dec"
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
    formula, rounded as the committed results were. η, λ per group as in sgd_step; state:
    adam_init(params). Python-float bias corrections keep float32 in float32; grads unchanged."""
    b1, b2 = betas
    state["t"] += 1
    t = state["t"]
    for name, p in params.items():
        grp = "enc" if name == "E" else "dec"
        m, v = state["m"][name], state["v"][name]
        g = grads[name] + wd[grp] * p
        m[...] = b1 * m + (1 - b1) * g
        v[...] = b2 * v + (1 - b2) * (g * g)
        step = eta[grp] / (1 - b1 ** t)                     # η / (1 − β1ᵗ)
        denom = np.sqrt(v) / math.sqrt(1 - b2 ** t) + eps   # √v̂ + ε
        p -= step * (m / denom)

# --- Appendix B, Table IV: phases ----------------------------------------------

GENERALIZATION, GROKKING, MEMORIZATION, CONFUSION = (
    "generalization", "grokking", "memorization", "confusion")
PHASES = (GENERALIZATION, GROKKING, MEMORIZATION, CONFUSION)
# P(generalization) of Figs. 5, 6, 8 counts these (Fig. 8: grokking is delayed generalization)
GENERALIZED = frozenset({GENERALIZATION, GROKKING})
PHASE_COLORS = {GENERALIZATION: "#4caf50", GROKKING: "#ffd54f",   # Fig. 5's colours
                MEMORIZATION: "#7e57c2", CONFUSION: "#bdbdbd"}
ACC_THRESHOLD = 0.9  # Table IV

def classify_phase(step_train, step_test, budget, gap, diverged=False):
    """Table IV. step_train / step_test: first step with train / test acc > 0.9, or None.
    Generalization: both within the budget and step_test − step_train < gap.
    Grokking:       both within the budget, gap not met (a gap exactly at the threshold
                    is grokking: the table's inequality is strict).
    Memorization:   train within the budget, test not.
    Confusion:      train never > 0.9 within the budget (also when test did: Table IV
                    has no such row), or the run diverged."""
    if diverged or step_train is None or step_train > budget:
        return CONFUSION
    if step_test is None or step_test > budget:
        return MEMORIZATION
    return GENERALIZATION if step_test - step_train < gap else GROKKING

# --- Section II, Table I: relations and data ---------------------------------

RELATIONS = ("mod3", "mod5", "greater", "bipartite")  # Table I; also any "mod<k>", "preorder<k>"
# Directions, as Table I writes them: R[x, y] = 1 iff ... ; "greater" is 1 where x < y (y is the
# greater one), so row x of R marks the elements greater than x.
MAX_K = 10 ** 9  # largest k of "mod<k>" / "preorder<k>" (any k >= n already separates all)

def relation_kind(name):
    """Table I name -> (kind, k): ('equivalence', k) for 'mod<k>', ('bipartite', 2),
    ('total_order', None) for 'greater', ('total_preorder', k) for 'preorder<k>'. The one
    place a relation name is parsed: any other name is a ValueError naming it."""
    m = re.fullmatch(r"(mod|preorder)(\d{1,12})", str(name))
    if m and (1 if m.group(1) == "mod" else 2) <= int(m.group(2)) <= MAX_K:
        return ("equivalence" if m.group(1) == "mod" else "total_preorder"), int(m.group(2))
    if name in ("bipartite", "greater"):
        return ("bipartite", 2) if name == "bipartite" else ("total_order", None)
    _bad("relation", name, f"use one of {RELATIONS}, 'mod<k>' (1 <= k <= {MAX_K}) or "
         f"'preorder<k>' (2 <= k <= {MAX_K}), or an n×n matrix of 0/1")

def relation_matrix(relation, n, seed=None):
    """R as an (n, n) int8 matrix, R[x, y] = 1 iff (Table I):
        'mod<k>'       x ≡ y (mod k): an equivalence of k classes ('mod3', 'mod5')
        'greater'      x < y: 1 where y is greater than x, 0 on and below the diagonal;
                       a strict total order (R[0, 1] = 1, R[1, 0] = 0)
        'bipartite'    x, y on opposite sides of S, |S| = n // 2: K_{|S|,n−|S|} (S the first
                       half, or a random half for an integer seed: not aligned with the order)
        'preorder<k>'  x mod k ≤ y mod k: beyond Table I, a total preorder of k tiers
    or any n×n array-like of 0/1, taken as R itself."""
    if not isinstance(relation, str):
        return np.asarray(relation).astype(np.int8)
    kind, k = relation_kind(relation)
    x = np.arange(n)
    if kind == "equivalence":
        R = x[:, None] % k == x[None, :] % k
    elif kind == "total_order":
        R = x[:, None] < x[None, :]
    elif kind == "total_preorder":
        R = x[:, None] % k <= x[None, :] % k
    else:
        S = x[: n // 2] if seed is None else np.random.default_rng(seed).permutation(n)[: n // 2]
        side = np.isin(x, S)
        R = side[:, None] != side[None, :]
    return R.astype(np.int8)

def split_pairs(n, frac, seed):
    """Seeded train/test split of all n² ordered pairs (i, j), i == j included: two sorted
    arrays of flat indices i * n + j, round(frac * n²) of them training (README: data)."""
    n_train = int(round(frac * n * n))
    perm = np.random.default_rng(seed).permutation(n * n)
    return np.sort(perm[:n_train]), np.sort(perm[n_train:])

def pair_labels(R, idx):
    """Rows (i, j) and labels R[i, j] of the flat pair indices idx = i * n + j."""
    return idx // len(R), idx % len(R), R.reshape(-1)[idx]

# --- Appendix A, Table III: the configuration ---------------------------------

INIT_SCHEMES = ("uniform", "normal")  # decoder init (README.md, Conventions: init)
OPTIMIZERS, DTYPES = ("adam", "sgd"), ("float64", "float32")
# Past these limits a config is a typo, not an experiment (evaluations: steps // eval_every + 2).
MAX_DEPTH, MAX_WIDTH, MAX_STEPS, MAX_EVALS = 64, 4096, 10 ** 7, 10 ** 6
# Table III's "Decoder Depth 3" as Config.depth's hidden tanh layers (README: depth): "hidden",
# 3 (the paper's n_h, Fig. 3); "linear", 3 linear layers = 2 hidden (ref. [27]'s code).
DEPTH_CONVENTIONS = {"hidden": 3, "linear": 2}

@dataclass(frozen=True)
class Config:
    """Every knob of one run; defaults are Table III (and Table IV's budget)."""
    relation: str | tuple = "mod3"  # R: Table I name, "mod<k>", or an n×n 0/1 matrix
    n: int | None = None        # elements (Section II: n = 30); None: 30, or the matrix's n
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
    dtype: str = "float64"      # "float64" (oracle) or "float32" (speed); np.float64 reads as "float64"
    stop_when_decided: bool = False  # leave training once the phase cannot change

    def __post_init__(self):
        # A matrix relation as a tuple of tuples (hashable, JSON); non-integers kept for validate
        if not isinstance(self.relation, str):
            try:
                rows = np.asarray(self.relation).tolist()
                rows = tuple(tuple(int(v) if float(v).is_integer() else v for v in r) for r in rows)
                object.__setattr__(self, "relation", rows)
            except (TypeError, ValueError):
                pass
        if not isinstance(self.dtype, str):     # np.float64, np.dtype("float32"), torch.float64
            name = str(self.dtype).removeprefix("torch.")
            try:
                name = np.dtype(self.dtype).name if self.dtype is not None else name
            except (TypeError, ValueError):
                pass
            if name in DTYPES:
                object.__setattr__(self, "dtype", name)
        if self.n is None:        # a matrix says its n; validate names a given n that differs
            object.__setattr__(self, "n", len(self.relation) if isinstance(self.relation, tuple) else 30)

    @property
    def gap(self):
        """Table IV grokking gap, scaled with the budget when not given."""
        return self.grok_gap if self.grok_gap is not None else max(1, round(self.steps / 100))

def member_rng(cfg):
    """A run's init generator, seeded (seed, 1): independent of the split's (seed alone)."""
    return np.random.default_rng((cfg.seed, 1))

def init_params(cfg, rng=None):
    """Init (README.md, Conventions): E ~ N(0, σ_enc²); every decoder W_l, b_l drawn by
    cfg.init_scheme: "uniform" σ_dec · U(±1/√fan_in) (torch.nn.Linear's default, scaled),
    or "normal" N(0, σ_dec²) (Fig. 6's caption: "a standard normal scaled by the factor").
    Drawn in float64, then cast: float32 and float64 runs start alike. rng=None: member_rng(cfg)."""
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

# --- Training: the reference trainer ---------------------------------------------

METRICS = ("train_loss", "test_loss", "train_acc", "test_acc", "all_acc")

def eval_steps(steps, eval_every):
    """Evaluation steps 0, e, 2e, ... and always the final step."""
    s = list(range(0, steps + 1, eval_every))
    return np.array(s if s[-1] == steps else s + [steps])

def evaluate(params, R, train_mask, mode):
    """Loss and accuracy on the training pairs (train_mask (n²,) True, flat index i·n + j),
    the test pairs, and accuracy on all n² pairs (Fig. 3); prediction z > 0, label R > 1/2."""
    n = R.shape[0]
    idx = np.arange(n * n)
    z, _ = forward(params, idx // n, idx % n, mode)        # (n²,)
    y = R.reshape(-1).astype(z.dtype)
    loss = np.logaddexp(0, z) - y * z                      # per-pair BCE
    correct = (z > 0) == (y > 0.5)
    return {"train_loss": float(loss[train_mask].mean()), "test_loss": float(loss[~train_mask].mean()),
            "train_acc": float(correct[train_mask].mean()), "test_acc": float(correct[~train_mask].mean()),
            "all_acc": float(correct.mean())}

@dataclass
class History:
    """What one run recorded at its evaluation steps (arrays (T,), NaN once it stopped)."""
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

def _one_blas_thread():
    """BLAS on one thread while a small model trains (optional threadpoolctl; restored on exit):
    its matrices are too small to share, and idle OpenBLAS threads slow a busy machine."""
    try:
        return __import__("threadpoolctl").threadpool_limits(1, user_api="blas")
    except ImportError:
        return np.errstate()         # a context that changes nothing

def train(cfg, params=None):
    """Full-batch training of one model (Section II, Table III) on its split. At each evaluation
    step, before that step's update: record the metrics and the first step with train / test
    accuracy > 0.9; with stop_when_decided, stop once both are set (Table IV cannot change).
    A non-finite training loss at step s freezes the run at its last finite parameters:
    diverged_at = stopped_at = s. params: start there (copied, cast to cfg.dtype)."""
    n, dt = cfg.n, np.dtype(cfg.dtype)
    if params is None:
        params = init_params(cfg)
    else:
        params = {k: np.array(params[k], dtype=dt) for k in layer_names(cfg.depth)}
    R = relation_matrix(cfg.relation, n)
    train_idx, _ = split_pairs(n, cfg.frac, cfg.seed)
    I, J, y = pair_labels(R, train_idx)
    y = y.astype(dt)
    train_mask = np.isin(np.arange(n * n), train_idx)
    eta, wd = {"enc": cfg.eta_enc, "dec": cfg.eta_dec}, {"enc": cfg.wd_enc, "dec": cfg.wd_dec}
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
    """Theorem 1, measured: mean distance between same-class embeddings over the mean
    distance between different-class ones. A zero-loss injective decoder forces same-class
    points together (ratio → 0); an unstructured embedding (at init, memorized) gives ≈ 1.
    E (n, d), labels (n,): one class label per element (class_labels(R))."""
    dist = np.linalg.norm(E[:, None, :] - E[None, :, :], axis=-1)    # (n, n)
    same, off_diag = labels[:, None] == labels[None, :], ~np.eye(len(labels), dtype=bool)
    return float(dist[same & off_diag].mean() / dist[~same].mean())

# --- Section IV, Eq. (12): the network's σ_a and σ_c -----------------------------

def sigma_a_of_network(cfg, samples=256):
    """σ_a of Eq. (12) read off the network at initialisation. The repon theory linearises
    the decoder around an embedding, z ≈ A x + b; A = ∂z/∂E_i is the Jacobian with respect to
    the first embedding of a pair, a2 its component along the repon separation, so σ_a is the
    RMS of one Jacobian entry over `samples` inits (seeds 0..samples−1) and pairs i ≠ j: with
    rng = default_rng(12345), I = rng.integers(0, n, (samples, 1)), then J = (I +
    rng.integers(1, n, (samples, 1))) % n; each init in float64, ∂z/∂E_i from backward."""
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
    """params -> the state_dict of nn.Embedding "E" and nn.Sequential "decoder" (Linear, Tanh,
    ..., Linear): "E.weight" (n, d); layer l is decoder index 2(l−1), "decoder.{2(l−1)}.weight"
    (out, in) = W_lᵀ and "decoder.{2(l−1)}.bias" = b_l."""
    sd = {"E.weight": params["E"].copy()}
    for l in range(1, n_layers(params) + 1):
        sd[f"decoder.{2 * (l - 1)}.weight"] = np.ascontiguousarray(params[f"W{l}"].T)
        sd[f"decoder.{2 * (l - 1)}.bias"] = params[f"b{l}"].copy()
    return sd

def from_state_dict(sd):
    """The inverse of to_state_dict: W_l = "decoder.{2(l−1)}.weight"ᵀ. Pass NumPy arrays:
    {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}."""
    params, l = {"E": sd["E.weight"].copy()}, 1
    while f"decoder.{2 * (l - 1)}.weight" in sd:
        params[f"W{l}"] = sd[f"decoder.{2 * (l - 1)}.weight"].T.copy()
        params[f"b{l}"] = sd[f"decoder.{2 * (l - 1)}.bias"].copy()
        l += 1
    return params

# --- Input checks: one ValueError per natural mistake (a batch axis, torch's layout, a tensor,
# float32 beside float64), one line of at most 200 characters naming the argument as the caller
# passed it, what was found and what is expected. The formulas above hold none (an exercise is
# rewritten without them): the entry points at the end of the file run these first.

def _bad(name, value, allowed):
    raise ValueError(f"{name}={value!r} is not allowed: {allowed}")

def _expected(arg, found, expected):
    raise ValueError(f"{arg} {found}; expected {expected}")

def _type_name(v):  # 'list', 'torch.Tensor', 'torch.nn.parameter.Parameter'
    t = type(v)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"

def _some(names, k=3):  # "['a', 'b', 'c', ... (9 keys)]": a list short enough for one line
    names = [str(x)[:24] for x in names]
    return str(names) if len(names) <= k else f"[{', '.join(map(repr, names[:k]))}, ... ({len(names)} keys)]"

def _found(v):  # 'is None', 'is a torch.Tensor', "is a dict with keys ['E', 'W1', ...]"
    if v is None:
        return "is None"
    if isinstance(v, dict) and v and not all(isinstance(k, str) for k in v):
        return f"is a dict keyed by {_type_name(next(iter(v)))}"      # torch's opt.state: by Parameter
    return f"is a dict with keys {_some(sorted(v))}" if isinstance(v, dict) else f"is a {_type_name(v)}"

def _is_int(v):   # not a bool: True would otherwise pass as 1
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))

def _is_real(v):  # not a bool or a string: '0.01' would otherwise reach NumPy
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))

def _check_int(name, v, low, high=None):
    if not _is_int(v) or v < low or (high is not None and v > high):
        _bad(name, v, f"must be an integer >= {low}" + (f" and <= {high}" if high else ""))

def _matrix_relation(relation, n):
    """An array-like relation checked to be an (n, n) matrix of 0/1, as int8."""
    try:
        R = np.asarray(relation)
        ok = R.dtype != object and R.ndim == 2
    except (ValueError, TypeError):
        R, ok = None, False
    short = relation if getattr(R, "size", 0) <= 16 else f"<matrix of shape {R.shape}>"
    if ok and R.shape[0] == R.shape[1] != n:
        _bad("n", n, f"relation is a {len(R)} × {len(R)} matrix, so n is {len(R)} (Config reads n "
             "from the matrix: leave n out)")
    if not ok or R.shape != (n, n):
        _bad("relation", short, f"a matrix must have shape (n, n) = ({n}, {n}) with entries 0 or 1; "
             f"found {f'shape {R.shape}' if ok else 'a ragged or non-numeric array'}")
    for i, j in np.argwhere(~np.isin(R, (0, 1)))[:1]:
        _bad("relation", short, f"entries must be 0 or 1; found {R[i, j].item()!r} at row {i}, column {j}")
    return R.astype(np.int8)

def _check_frac(frac, n, test=True):
    """A training fraction of the n² pairs: at least one training pair; with test (a run, whose
    Table IV phases read test accuracy), at least one test pair too. split_pairs alone takes
    frac = 1 (Appendix D's bound at full data is 1)."""
    if not (_is_real(frac) and (0 < frac < 1 or frac == 1 and not test)):
        _bad("frac", frac, "the training fraction must lie in (0, 1): Table IV's phases need a test set"
             if test else "the training fraction must lie in (0, 1]")
    if round(frac * n * n) < 1:
        _bad("frac", frac, f"gives no training pair for n={n}: need frac · n² >= 0.5")
    if test and round(frac * n * n) >= n * n:
        _bad("frac", frac, f"leaves no test pair for n={n} (round(frac·n²) = n²): Table IV needs one")

def validate(cfg):
    """Raise ValueError naming the first bad field of cfg and what is allowed."""
    _check_relation(cfg.relation, cfg.n)
    for name, allowed in (("mode", MODES), ("optimizer", OPTIMIZERS), ("dtype", DTYPES),
                          ("init_scheme", INIT_SCHEMES)):
        if getattr(cfg, name) not in allowed:
            _bad(name, getattr(cfg, name), f"use one of {allowed}")
    for name, low, high in (("d", 1, None), ("width", 1, MAX_WIDTH), ("steps", 1, MAX_STEPS),
                            ("eval_every", 1, None), ("depth", 0, MAX_DEPTH), ("seed", 0, None)):
        _check_int(name, getattr(cfg, name), low, high)
    if cfg.steps // cfg.eval_every + 2 > MAX_EVALS:
        _bad("eval_every", cfg.eval_every, f"steps // eval_every + 2 evaluations must be <= {MAX_EVALS}")
    _check_frac(cfg.frac, cfg.n)
    for name in ("eta_enc", "eta_dec", "wd_enc", "wd_dec", "init_enc", "init_dec"):
        v, low = getattr(cfg, name), ">" if name.startswith("init") else ">="
        if not (_is_real(v) and np.isfinite(v) and (v > 0 or low == ">=" and v == 0)):
            _bad(name, v, f"must be a finite number {low} 0")
    if cfg.grok_gap is not None and (not _is_int(cfg.grok_gap) or cfg.grok_gap < 1):
        _bad("grok_gap", cfg.grok_gap, "must be None or an integer >= 1")
    if not isinstance(cfg.stop_when_decided, (bool, np.bool_)):
        _bad("stop_when_decided", cfg.stop_when_decided, "must be True or False")
    return cfg

def _check_array(arg, a, expected):
    if not isinstance(a, np.ndarray):
        _expected(arg, _found(a) + (" that requires grad" if getattr(a, "requires_grad", False) else ""),
                  f"{expected} as a NumPy array (torch: .detach().cpu().numpy(); JAX: np.asarray)")

def _check_tree(arg, tree, params=None):
    """A dict of float arrays of one dtype (params), or of params' keys, shapes and dtype."""
    if not isinstance(tree, dict) or not tree or (params is not None and set(tree) != set(params)):
        _expected(arg, _found(tree), f"a dict of float arrays with keys {_some(params or ['E', 'W1', 'b1'])}")
    first = next(iter(tree))
    for name in tree if params is None else params:     # params' order, whatever order tree has
        a, like = tree[name], tree[first] if params is None else params[name]
        _check_array(f"{arg}[{name!r}]", a, "float32 or float64")
        if a.shape != like.shape and params is not None:
            _expected(f"{arg}[{name!r}]", f"has shape {a.shape}", f"{like.shape}, the shape of params")
        if a.dtype not in (np.float32, np.float64) or a.dtype != like.dtype:
            _expected(f"{arg}[{name!r}]", f"has dtype {a.dtype}", "float32 or float64" if a is like
                      else f"{like.dtype}, the dtype of params" + (f"[{first!r}]" if params is None else ""))

def _torch_name(name):
    """geneft's name -> to_state_dict's: E -> E.weight, W{l} / b{l} -> decoder.{2(l−1)}.weight / .bias."""
    if name == "E":
        return "E.weight"
    return f"decoder.{2 * (int(name[1:]) - 1)}.{'weight' if name[0] == 'W' else 'bias'}"

def _shape_words(name, depth, mode, sd=False):
    """A parameter's shape in symbols: E (n, d); W_l (in, out), or (out, in) as in a state_dict; b_l (out,)."""
    if name == "E":
        return "(n, d): one model, no leading ensemble axis"
    l, fan_in = int(name[1:]), "2d" if mode == "concat" else "d" if mode else "d or 2d"
    shape = (fan_in if l == 1 else "w", "1" if l == depth + 1 else "w")
    words = f"({', '.join(shape[::-1] if sd else shape)})" if name[0] == "W" else f"({shape[1]},)"
    return words + (": the output unit" if l == depth + 1 else "")

def check_params(params, mode=None, shapes=None, sd=False):
    """params: float arrays of one dtype, named and shaped as param_shapes (n, d from E, w where
    most parameters agree, so the one that disagrees is named, unless shapes); returns depth.
    sd: params were read from a state_dict, so a message names its keys and (out, in) shapes."""
    if mode is not None and mode not in MODES:
        _bad("mode", mode, f"use one of {MODES}")
    if not isinstance(params, dict) or "E" not in params:
        _expected("params", _found(params), "a dict with keys E, W1, b1, ..." + (
            " (torch's state_dict names: from_state_dict converts them)"
            if isinstance(params, dict) and "E.weight" in params else ""))
    depth = max([int(k[1:]) for k in params if re.fullmatch(r"[Wb]\d+", str(k))], default=1) - 1
    names = layer_names(depth)
    missing, extra = [k for k in names if k not in params], sorted(set(map(str, params)) - set(names))
    if missing or extra:
        _expected("params", f"is missing {_some(missing)}" if missing else f"has unexpected keys {_some(extra)}",
                  f"keys {_some(names, 6)}")
    _check_tree("params", params)
    if shapes is None:
        E, W1 = params["E"], params["W1"]
        if E.ndim != 2:
            _expected("sd['E.weight']" if sd else "params['E']", f"has shape {E.shape}", _shape_words("E", 0, 0))
        votes = [a.shape[i] for l in range(1, depth + 1) for a, i in
                 ((params[f"b{l}"], 0), (params[f"W{l}"], 1), (params[f"W{l + 1}"], 0)) if a.ndim > i]
        shapes = param_shapes(*E.shape, depth, max(votes, key=votes.count, default=1), mode or "concat")
        d = E.shape[1]
        if mode is None and W1.ndim == 2:     # the decoder's input is d or 2d wide: the one W1 has
            fan_in = next((f for f in (W1.shape[0], W1.shape[1]) if f in (d, 2 * d)), 2 * d)
            shapes["W1"] = (fan_in, shapes["W1"][1])
    w = shapes[f"b{depth}"][0] if depth else None
    for name, shape in shapes.items():
        found, W = params[name].shape, name[0] == "W"
        if found == shape:
            continue
        transposed = W and found == shape[::-1]
        if sd:      # in the caller's terms: sd's key, and nn.Linear.weight's (out, in)
            arg, found, shape = f"sd[{_torch_name(name)!r}]", found[::-1] if W else found, shape[::-1] if W else shape
            hint = "nn.Linear.weight is (out, in); this one is (in, out), geneft's layout: transpose it"
        else:
            arg, hint = f"params[{name!r}]", "W is (in, out); torch's nn.Linear.weight is (out, in): use from_state_dict"
        words = _shape_words(name, depth, mode, sd)
        words += f", w = {w}" if w and "w" in words.split(":")[0] else ""
        words = words.removeprefix(str(shape)) if words.startswith(str(shape)) else f" = {words}"
        _expected(arg, f"has shape {found}", f"{shape}: {hint}" if transposed else f"{shape}{words}")
    return depth

def check_data(I, J, y, n, dtype=None):
    """I, J (P,) integers in [0, n); y (unless None) (P,) labels: bool, integer, or of dtype (the
    parameters'). Returns y in dtype."""
    for arg, a in (("I", I), ("J", J)):
        _check_array(arg, a, "(P,) of integers")
        if not (a.ndim == 1 and a.dtype.kind in "iu"):
            _expected(arg, f"has shape {a.shape}, dtype {a.dtype}", "(P,) of integers: one index per pair")
        if a.size and (a.min() < 0 or a.max() >= n):
            _expected(arg, f"has entries in [{a.min()}, {a.max()}]", f"[0, {n - 1}]: rows of E (n, d) = ({n}, ...)")
    if J.shape != I.shape:
        _expected("J", f"has shape {J.shape}", f"{I.shape}, the shape of I")
    if y is not None:
        _check_array("y", y, f"labels of shape {I.shape}")
        if y.shape != I.shape:
            _expected("y", f"has shape {y.shape}", f"{I.shape}, the shape of I")
        if y.dtype.kind not in "biuf" or (y.dtype.kind == "f" and y.dtype != dtype):
            _expected("y", f"has dtype {y.dtype}", f"{dtype}, the dtype of params (or 0/1 as bool or "
                      "integers): NumPy would mix the two silently")
        return y.astype(dtype, copy=False)

def _per_group(value, arg):
    """η or λ as {"enc": float, "dec": float} of Python floats (float32 stays float32)."""
    if _is_real(value):
        return {"enc": float(value), "dec": float(value)}
    if isinstance(value, dict) and set(value) == {"enc", "dec"} and all(map(_is_real, value.values())):
        return {k: float(v) for k, v in value.items()}
    _bad(arg, value, "a float (both groups) or a dict {'enc': float, 'dec': float}")

def _torch_state_hint(state):
    """What a torch user passes as state by habit, named: opt.state_dict() or opt.state."""
    if isinstance(state, dict) and "param_groups" in state:
        return " (a torch optimizer's state_dict is not one: start both at zero)"
    if isinstance(state, dict) and state and not all(isinstance(k, str) for k in state):
        return " (torch's opt.state is not one: start both at zero)"
    if type(state).__name__ == "defaultdict" and not state:      # opt.state before its first step
        return " (an empty defaultdict, as torch's opt.state before a step, is not one)"
    return ""

# --- The oracle's entry points: each formula above behind its checks ---------------

class _Trusted:
    """Inside, calls skip the entry points' checks: their arguments were checked once (by the
    entry point being run, or by train for its own loop). One thread at a time."""
    depth = 0
    def __enter__(self):
        _Trusted.depth += 1
    def __exit__(self, *exc):
        _Trusted.depth -= 1

def _checked(formula, check):
    """formula behind check, which takes formula's arguments, raises one ValueError for a
    wrong one, and returns them normalised (η and λ as dicts, labels in the parameters' dtype)."""
    @functools.wraps(formula)
    def entry_point(*args, **kwargs):
        if _Trusted.depth:
            return formula(*args, **kwargs)
        args = check(*args, **kwargs)
        with _Trusted():
            return formula(*args)
    return entry_point

def _in_place(step):
    """An optimizer's entry point updates params in place (torch's opt.step()) and returns
    them too, so JAX's habit params = step(params, ...) keeps them."""
    @functools.wraps(step)
    def entry_point(params, *args, **kwargs):
        step(params, *args, **kwargs)
        return params
    return entry_point

def _check_combine(Ei, Ej, mode):
    if mode not in MODES:
        _bad("mode", mode, f"use one of {MODES}")
    return Ei, Ej, mode

def _check_forward(params, I, J, mode):
    check_params(params, mode)
    check_data(I, J, None, len(params["E"]))
    return params, I, J, mode

def _check_loss(params, I, J, y, mode):
    check_params(params, mode)
    return params, I, J, check_data(I, J, y, len(params["E"]), params["E"].dtype), mode

def _check_sgd(params, grads, eta, wd=0.0):
    _check_tree("params", params)
    _check_tree("grads", grads, params)
    return params, grads, _per_group(eta, "eta"), _per_group(wd, "wd")

def _check_adam_init(params):
    _check_tree("params", params)
    return (params,)

def _check_adam(params, grads, state, eta, wd=0.0, betas=(0.9, 0.999), eps=1e-8):
    _check_tree("params", params)                  # in the signature's order: params first
    _check_tree("grads", grads, params)
    if not (isinstance(state, dict) and set(state) == {"t", "m", "v"}):
        _expected("state", _found(state), "adam_init(params), a dict {'t': 0, 'm': {...}, 'v': {...}}"
                  + _torch_state_hint(state))
    _check_int("state['t']", state["t"], 0)
    _check_tree("state['m']", state["m"], params)
    _check_tree("state['v']", state["v"], params)
    eta, wd = _per_group(eta, "eta"), _per_group(wd, "wd")
    if not (isinstance(betas, (tuple, list)) and len(betas) == 2
            and all(_is_real(b) and 0 <= b < 1 for b in betas)):
        _bad("betas", betas, "two numbers in [0, 1), (β1, β2)")
    if not (_is_real(eps) and eps > 0):
        _bad("eps", eps, "a number > 0")
    return params, grads, state, eta, wd, betas, eps

def _check_relation(relation, n, seed=None):
    _check_int("n", n, 2)
    if isinstance(relation, str):
        relation_kind(relation)                    # a Table I name, or one ValueError naming it
        return relation, n, seed
    return _matrix_relation(relation, n), n, seed

def _check_split(n, frac, seed):
    _check_int("n", n, 2)
    _check_frac(frac, n, test=False)
    return n, frac, seed

def _check_train(cfg, params=None):
    validate(cfg)
    if params is not None:
        check_params(params, cfg.mode, param_shapes(cfg.n, cfg.d, cfg.depth, cfg.width, cfg.mode))
    return cfg, params

def _check_cluster_ratio(E, labels):
    E, labels = np.asarray(E, dtype=float), np.asarray(labels)
    if E.ndim != 2 or labels.shape != (E.shape[0],):
        _expected("E, labels", f"have shapes {E.shape}, {labels.shape}", "(n, d) and (n,)")
    sizes = np.unique(labels, return_counts=True)[1]
    if len(sizes) < 2 or sizes.max() < 2:
        _expected("labels", f"has classes of sizes {_some(sizes.tolist())}", "two classes, one with two members")
    return E, labels

def _check_sigma_a(cfg, samples=256):
    _check_int("samples", samples, 1)
    return validate(cfg), samples

def _check_to_state_dict(params):
    check_params(params)
    return (params,)

def _check_from_state_dict(sd):
    if not isinstance(sd, dict) or "E.weight" not in sd:
        _expected("sd", _found(sd), "a state_dict with 'E.weight', 'decoder.0.weight', ... (to_state_dict's names)"
                  + (": this is params already" if isinstance(sd, dict) and "E" in sd else ""))
    for k, v in sd.items():
        _check_array(f"sd[{k!r}]", v, "its values")
    L = next(l for l in range(len(sd) + 1) if f"decoder.{2 * l}.weight" not in sd)    # linear layers
    names = layer_names(L - 1)
    missing = [_torch_name(k) for k in names if _torch_name(k) not in sd]
    extra = sorted(set(map(str, sd)) - set(map(_torch_name, names)))
    if missing or extra:
        _expected("sd", f"is missing {_some(missing)}" if missing else f"has unexpected keys {_some(extra)}",
                  f"E.weight and decoder.{{0, 2, ..., {2 * L - 2}}}.weight and .bias")
    _check_tree("sd", sd)
    check_params({k: sd[_torch_name(k)].T if k[0] == "W" else sd[_torch_name(k)] for k in names}, sd=True)
    return (sd,)

combine = _checked(combine, _check_combine)
forward = _checked(forward, _check_forward)
loss_and_grads = _checked(loss_and_grads, _check_loss)
sgd_step = _in_place(_checked(sgd_step, _check_sgd))
adam_init = _checked(adam_init, _check_adam_init)
adam_step = _in_place(_checked(adam_step, _check_adam))
relation_matrix = _checked(relation_matrix, _check_relation)
split_pairs = _checked(split_pairs, _check_split)
train = _checked(train, _check_train)
cluster_ratio = _checked(cluster_ratio, _check_cluster_ratio)
sigma_a_of_network = _checked(sigma_a_of_network, _check_sigma_a)
to_state_dict = _checked(to_state_dict, _check_to_state_dict)
from_state_dict = _checked(from_state_dict, _check_from_state_dict)
