"""The ensemble trainer: K configs that share an architecture trained as one computation.

geneft.train is the reference: one model, the formulas as written next to the paper.
train_ensemble computes the same thing for many members at once on the fast path
(lab.fastpath): flat parameters, feature-major activations, blocks of members that fit
in the L2 cache, the optimizer over two long arrays. Tested equal to geneft.train in
float64 to 1e-12, every mode and depth, both optimizers (lab/test_ensemble.py).

Shapes carry the ensemble axis first: (K, P, w) is K members, P pairs, width w.
Members may differ only in MEMBER_FIELDS; a member whose loss turns non-finite is
frozen and leaves (diverged → confusion), and with stop_when_decided a member leaves
once both accuracies have passed 0.9. Neither touches the other members' numbers.
"""
import dataclasses
import math
from dataclasses import dataclass

import numpy as np

import geneft as g
from lab.fastpath import (FlatLayout, Workspace, backward_fast, bce_and_grad, block_size,
                          forward_fast, pair_index, pair_input_grads, pair_inputs, scatter_pairs,
                          softplus)

MEMBER_FIELDS = ("relation", "seed", "eta_enc", "eta_dec", "wd_enc", "wd_dec",
                 "init_enc", "init_dec")  # what ensemble members may vary


def check_ensemble(configs):
    """Validate every config and that all share the non-member fields (architecture)."""
    if len(configs) == 0:
        raise ValueError("configs=[] is not allowed: an ensemble needs at least one Config")
    for c in configs:
        g.validate(c)
    shared = [f.name for f in dataclasses.fields(g.Config) if f.name not in MEMBER_FIELDS]
    c0 = configs[0]
    for i, c in enumerate(configs[1:], 1):
        for f in shared:
            if getattr(c, f) != getattr(c0, f):
                raise ValueError(
                    f"configs[{i}].{f}={getattr(c, f)!r} differs from configs[0].{f}="
                    f"{getattr(c0, f)!r}: ensemble members must share {shared}; "
                    f"they may differ only in {MEMBER_FIELDS}")


def init_ensemble(configs):
    """Initial parameters of every member, stacked on a leading axis: {name: (K, ...)}.

    Member k is geneft.init_params(configs[k]), so an ensemble starts exactly where its
    members would start alone.
    """
    members = [g.init_params(c, g.member_rng(c)) for c in configs]
    return {k: np.stack([m[k] for m in members]) for k in members[0]}


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
        R = g.relation_matrix(c.relation, n)
        train_idx, _ = g.split_pairs(n, c.frac, c.seed)
        i, j, lab = g.pair_labels(R, train_idx)
        I.append(i), J.append(j), y.append(lab)
        y_all.append(R.reshape(-1))
        m = np.zeros(n * n, dtype=bool)
        m[train_idx] = True
        mask.append(m)
    return {"I": np.array(I), "J": np.array(J), "y": np.array(y, dtype=dt),
            "y_all": np.array(y_all, dtype=dt), "mask": np.array(mask)}


# --- The optimizers over the two groups, per member, in place -------------------------------
#
# geneft.sgd_step / adam_step are the formulas with temporaries, for one model. These do the
# same arithmetic in the same order on (K, size) group arrays with per-member (K,) settings,
# writing every intermediate to scratch buffers kept between steps; in float64 they are bit
# for bit torch.optim's order of operations, the book's as written (lab/test_ensemble.py).

def _per_member(x, p):
    """(K,) per-member setting reshaped to broadcast against p (K, ...)."""
    return x.reshape((-1,) + (1,) * (p.ndim - 1))


def _scratch(work, key, like):
    """A buffer shaped like `like`: work[key], made on first use and kept between steps."""
    buf = work.get(key)
    if buf is None or buf.shape != like.shape or buf.dtype != like.dtype:
        buf = work[key] = np.empty_like(like)
    return buf


def decayed_grad(grad, p, wd, out):
    """g + λ p (weight decay coupled to the gradient, as torch.optim does), written to out.
    When λ = 0 for every member this returns g itself: g + 0·p = g exactly for finite p, and
    the two passes are saved (Table III has no weight decay)."""
    if not np.any(wd):
        return grad
    np.multiply(_per_member(wd, p), p, out=out)
    out += grad
    return out


def sgd_update(groups, grads, eta, wd, work):
    """geneft.sgd_step per member, in place: p ← p − η (g + λ p)."""
    for grp, p in groups.items():
        s = _scratch(work, grp, p)
        gt = decayed_grad(grads[grp], p, wd[grp], out=s)
        np.multiply(_per_member(eta[grp], p), gt, out=s)
        p -= s


def adam_update(groups, grads, state, eta, wd, betas=(0.9, 0.999), eps=1e-8):
    """geneft.adam_step per member, in place, on two scratch buffers per group, in its
    order of operations: p ← p − (η / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)."""
    b1, b2 = betas
    state["t"] += 1
    t = state["t"]
    bc1, sqrt_bc2 = 1.0 - b1 ** t, math.sqrt(1.0 - b2 ** t)   # Python floats: no upcast of float32
    work = state.setdefault("work", {})
    for grp, p in groups.items():
        m, v = state["m"][grp], state["v"][grp]
        s, u = _scratch(work, (grp, 0), p), _scratch(work, (grp, 1), p)
        gt = decayed_grad(grads[grp], p, wd[grp], out=u)
        m *= b1
        np.multiply(gt, 1.0 - b1, out=s)
        m += s                                               # β1 m + (1 − β1) g
        v *= b2
        np.multiply(gt, gt, out=s)
        s *= 1.0 - b2
        v += s                                               # β2 v + (1 − β2) g²
        np.sqrt(v, out=s)
        s /= sqrt_bc2
        s += eps                                             # √v / √(1 − β2ᵗ) + ε
        np.divide(m, s, out=s)
        s *= _per_member(eta[grp] / bc1, p)                  # (η / (1 − β1ᵗ)) · m / (...)
        p -= s


# --- Evaluation over all n² pairs ----------------------------------------------------------

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
    """geneft.evaluate per member (K,): train/test loss and accuracy, and accuracy over all
    n² pairs, from one forward pass over the n² pairs (logits_all_pairs)."""
    n = params["E"].shape[1]
    layout = FlatLayout.of_params(params, g.layer_names(len(params) // 2 - 1), mode)
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


# --- The batch of members still training ---------------------------------------------------

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
    members that share one Workspace; the optimizer steps the two groups (enc, dec)
    as two long arrays.
    """

    def __init__(self, ids, params, data, eta, wd, mode, optimizer):
        self.ids, self.data, self.eta, self.wd = ids, data, eta, wd   # data: ensemble_data rows
        self.mode, self.optimizer = mode, optimizer                   # eta, wd: {"enc", "dec"}: (K',)
        self.layout = FlatLayout.of_params(params, g.layer_names(len(params) // 2 - 1), mode)
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
                   data=ensemble_data(configs, dt), eta=per_group("eta_enc", "eta_dec"),
                   wd=per_group("wd_enc", "wd_dec"), mode=c0.mode, optimizer=c0.optimizer)

    def _setup(self, flat, moments):
        """Take flat (K', size) as the parameters and moments = (t, m, v) as the Adam state
        (None for SGD); make the views, the gradient rows and the blocks."""
        self.flat, self.grad = flat, np.zeros_like(flat)
        self.params, self.grads = self.layout.views(flat), self.layout.views(self.grad)
        self._groups = self.layout.groups(flat), self.layout.groups(self.grad)
        self.opt, self._work = None, {}
        if moments is not None:      # adam_update's state, on the same two groups
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
        geneft.loss_and_grads computes, by the fast path). grads are views of this batch's
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
            for name, grad in grads.items():
                self.grads[name][...] = grad
        params, grads = self._groups
        if self.opt is None:
            sgd_update(params, grads, self.eta, self.wd, self._work)
        else:
            adam_update(params, grads, self.opt, self.eta, self.wd)

    def drop(self, rows):
        """Remove the members in `rows` (row positions, not config ids) from the batch."""
        keep = np.setdiff1d(np.arange(self.size), rows)
        self.ids, self.data = self.ids[keep], _take(self.data, keep)
        self.eta, self.wd = _take(self.eta, keep), _take(self.wd, keep)
        # the step count t is shared: every member took every step
        moments = None if self.opt is None else (self.opt["t"], self._m[keep], self._v[keep])
        self._setup(self.flat[keep], moments)


# --- Recording, and the trainer ----------------------------------------------------------------

METRICS = ("train_loss", "test_loss", "train_acc", "test_acc", "all_acc")


class Recorder:
    """Metric histories at the evaluation steps, each member's 0.9 milestones, and how
    and when each member ended; makes the geneft.History of every config at the end."""

    def __init__(self, K, ev):
        self.ev, self.e = ev, 0                       # evaluation steps; index of the next
        self.values = {k: np.full((K, len(ev)), np.nan) for k in METRICS}
        self.first = {"train_acc": [None] * K, "test_acc": [None] * K}   # first step > 0.9
        self.ended = {}                               # config id -> (stopped_at, diverged_at, params)

    def due(self, step):
        return step == self.ev[self.e]

    def record(self, step, batch):
        """Evaluate every member still training and note first passes of 0.9."""
        for k, val in evaluate(batch.params, batch.data, batch.mode).items():
            self.values[k][batch.ids, self.e] = val
        for k, first in self.first.items():
            for i in batch.ids:
                if first[i] is None and self.values[k][i, self.e] > g.ACC_THRESHOLD:
                    first[i] = int(step)
        self.e += 1

    def decided(self, batch):
        """Rows whose train and test accuracy have both passed 0.9: Table IV is settled."""
        return np.array([r for r, i in enumerate(batch.ids) if self.first["train_acc"][i] is not None
                         and self.first["test_acc"][i] is not None], dtype=int)

    def end(self, batch, rows, step, diverged):
        """Members in `rows` stop at `step` (frozen at their last finite state if diverged)."""
        for r in rows:
            params = {k: v[r].copy() for k, v in batch.params.items()}
            self.ended[batch.ids[r]] = (int(step), int(step) if diverged else None, params)
        if len(rows):
            batch.drop(rows)

    def histories(self, configs):
        out = []
        for i, c in enumerate(configs):
            stopped, div, params = self.ended[i]
            out.append(g.History(c, self.ev, *(self.values[k][i] for k in METRICS),
                                 self.first["train_acc"][i], self.first["test_acc"][i], div, stopped,
                                 params["E"], params))
        return out


def train_ensemble(configs):
    """geneft.train for K configs sharing an architecture, as one computation.

    Returns one geneft.History per config, in order, equal to geneft.train(config)'s.
    """
    configs = list(configs)
    check_ensemble(configs)
    c0 = configs[0]
    batch = Batch.start(configs)
    log = Recorder(len(configs), g.eval_steps(c0.steps, c0.eval_every))
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
