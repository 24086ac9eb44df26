"""The training step on preallocated buffers: the fast path lab.ensemble.Batch trains with.

geneft.forward / backward / loss_and_grads are the reference, the formulas as written
next to the paper; the functions here compute the same quantities for a block of
ensemble members (tested against geneft.train to 1e-12 in float64, and against central
differences as strictly) with far less memory traffic. Nothing here knows the paper: it
is the numerical engine under lab.ensemble.Batch, kept apart so the model stays readable.
"""
from dataclasses import dataclass

import numpy as np

# --- The training step on preallocated buffers (the fast path) -----------------------------
#
# Why the step is written this way: each choice below, with the CPU time per model-step it
# saved or would have cost (Table III model, float32, K = 64, one BLAS thread, as
# `python run_all.py --bench` times it):
#
#  * Feature-major activations with a row of ones. Layer l's input is the (fan_in + 1, P)
#    array [h_{l−1}; 1], so a_l = [W_l; b_l]ᵀ [h_{l−1}; 1] = W_lᵀ h + b_l is ONE matmul (the
#    pair-major code's broadcast add of b_l took 15 µs per layer), and the backward's
#    [h_{l−1}; 1] δ_lᵀ is [∂W_l; ∂b_l] in one matmul (its sum over pairs for ∂b_l: 15 µs per
#    layer). Its forward and W δ matmuls take 30 µs against 37 pair-major, its [h; 1] δᵀ 48
#    against 40.
#  * Flat parameters. A member's parameters are one row of a (K, size) array in layer_names
#    order; W_l (fan_in, fan_out) followed by b_l (fan_out,) is exactly the block [W_l; b_l], so
#    the matmuls read parameters and write gradients in place, and the optimizer steps two
#    long arrays (encoder, decoder) instead of nine small ones.
#  * Blocks of members sharing one Workspace, preallocated, that fits in L2 (BLOCK_BYTES):
#    0.40 ms per model-step in blocks of 1 to 4 members, 0.61 ms with all 64 in one block.
#  * The loss shares log1p(e^{−|z|}) between the loss and σ(z), with NumPy's SIMD exp and
#    log1p: np.logaddexp is a scalar loop (17 ns per element; 23 µs per model-step for two).
#  * Measured and not taken: the first layer as a gather of per-element products (E W_1a and
#    E W_1b have 30 distinct rows each, not 675). Gathering and adding 675 of those 50-wide rows
#    per member costs 22 µs (pair-major) to 41 µs (feature-major), the gather of x and the
#    k = 2d + 1 matmul 7 µs; its backward, a scatter of the (w, P) δ_1 onto n rows, costs
#    17-28 µs, W_1 δ_1 (k = w) and a bincount of the (2d, P) result 9 µs.

BLOCK_BYTES = 1 << 21   # one block's Workspace at most: a common L2 cache per core (2 MiB)


@dataclass(frozen=True)
class FlatLayout:
    """Where one member's parameters sit in its flat vector (one row of a (K, size) array):
    layer_names order, each array row-major, so [W_l; b_l] is one (fan_in + 1, fan_out) block."""
    shapes: dict        # name -> shape of one member's array (param_shapes)
    offsets: dict       # name -> index of its first entry in the flat vector
    size: int
    mode: str

    @classmethod
    def of(cls, shapes, mode):
        offsets, o = {}, 0
        for name, s in shapes.items():
            offsets[name], o = o, o + int(np.prod(s))
        return cls(dict(shapes), offsets, o, mode)

    @classmethod
    def of_params(cls, params, names, mode):
        """The layout of a params dict {name: (K, ...)}, its arrays taken in `names` order
        (geneft.layer_names)."""
        return cls.of({k: params[k].shape[1:] for k in names}, mode)

    @property
    def depth(self):
        return len(self.shapes) // 2 - 1

    @property
    def n_enc(self):
        """Entries of the encoder group (E); the decoder group is the rest."""
        return int(np.prod(self.shapes["E"]))

    def pack(self, params, dtype):
        """{name: (K, ...)} -> a new (K, size) array."""
        K = params["E"].shape[0]
        flat = np.empty((K, self.size), dtype)
        for name, view in self.views(flat).items():
            view[...] = params[name]
        return flat

    def views(self, flat):
        """{name: (K, *shape) view of flat}: writing a view writes flat."""
        K = flat.shape[0]
        return {name: flat[:, o:o + int(np.prod(s))].reshape((K,) + tuple(s))
                for (name, s), o in zip(self.shapes.items(), self.offsets.values())}

    def layer_blocks(self, flat):
        """[W_l; b_l] of every layer l = 1..L, as (K, fan_in + 1, fan_out) views of flat."""
        K, out = flat.shape[0], []
        for l in range(1, self.depth + 2):
            fan_in, fan_out = self.shapes[f"W{l}"]
            o = self.offsets[f"W{l}"]
            out.append(flat[:, o:o + (fan_in + 1) * fan_out].reshape(K, fan_in + 1, fan_out))
        return out

    def groups(self, flat):
        """The two optimizer groups of flat as views: {"enc": E, "dec": every W_l, b_l}."""
        return {"enc": flat[:, :self.n_enc], "dec": flat[:, self.n_enc:]}


class Workspace:
    """The buffers of one training step for B members on P pairs, feature-major.

    h[0] = [xᵀ; 1] (B, d_in + 1, P), h[l] = [h_lᵀ; 1] (B, w + 1, P): the ones rows are written
    here once and never again. z (B, 1, P) logits; dh (B, w, P) ∂ℓ/∂h of one layer; Wl a
    scaled copy of one weight matrix; e (B, 2d, P) [E_iᵀ; E_jᵀ] of every pair, then their
    gradients; diff (B, d, P) E_i − E_j (sqdiff); t0, t1, t2 (B, P) for the loss.
    """

    def __init__(self, layout, B, P, dtype):
        d_in, w = layout.shapes["W1"][0], layout.shapes["W1"][1]
        d = layout.shapes["E"][1]
        self.h = [np.ones((B, d_in + 1, P), dtype)]
        self.h += [np.ones((B, w + 1, P), dtype) for _ in range(layout.depth)]
        self.z = np.empty((B, 1, P), dtype)
        self.dh = np.empty((B, w, P), dtype)
        self.Wl = np.empty((B, max(d_in, w), w), dtype)   # W_{L−1} diag(w_L) (backward_fast)
        self.e = np.empty((B, 2 * d, P), dtype)
        self.diff = np.empty((B, d, P), dtype) if layout.mode == "sqdiff" else None
        self.t0, self.t1, self.t2 = (np.empty((B, P), dtype) for _ in range(3))


def block_size(layout, P, itemsize, budget=None):
    """Members per block: as many as keep one Workspace within `budget` bytes (default
    BLOCK_BYTES), at least 1."""
    d_in, w = layout.shapes["W1"]
    per_member = itemsize * P * ((d_in + 1) + layout.depth * (w + 1) + w + 3 * layout.shapes["E"][1] + 3)
    return max(1, (BLOCK_BYTES if budget is None else budget) // per_member)


def pair_index(I, J, n, d, row_stride):
    """Flat positions, per member k of a block, of E_i[c] and E_j[c] for every pair p, shaped
    (B, 2d, P) like Workspace.e: k·row_stride + (I or J)·d + c. With row_stride = the flat
    vector's size they index a block of flat parameters (E is its first n·d entries); with
    row_stride = n·d they index the block's ∂E."""
    c = np.arange(d)[None, :, None]
    k = row_stride * np.arange(I.shape[0])[:, None, None]
    return np.concatenate([k + I[:, None, :] * d + c, k + J[:, None, :] * d + c], axis=1)


def pair_inputs(flat, src, mode, ws):
    """Section III's x = combine(E_i, E_j) of every pair (see combine), feature-major, into
    ws.h[0][:, :d_in]: gather [E_iᵀ; E_jᵀ], then concat (already in place), E_i − E_j or (E_i − E_j)²."""
    x, d = ws.h[0], ws.e.shape[1] // 2
    if mode == "concat":
        np.take(flat, src, out=x[:, :2 * d], mode="clip")    # [E_i; E_j] is the gather itself
        return                                                # (mode="raise" would buffer out)
    np.take(flat, src, out=ws.e, mode="clip")
    Ei, Ej = ws.e[:, :d], ws.e[:, d:]
    if mode == "diff":
        np.subtract(Ei, Ej, out=x[:, :d])
    else:
        np.subtract(Ei, Ej, out=ws.diff)
        np.square(ws.diff, out=x[:, :d])


def forward_fast(Wx, ws):
    """Section II's decoder (see forward) on ws.h[0] = [xᵀ; 1]:
    h_l = tanh([W_l; b_l]ᵀ [h_{l−1}; 1]) for l < L, z = [W_L; b_L]ᵀ [h_{L−1}; 1]. Returns z (B, P)."""
    L = len(Wx)
    for l in range(1, L):
        a = ws.h[l][:, :-1]
        np.matmul(Wx[l - 1].transpose(0, 2, 1), ws.h[l - 1], out=a)
        np.tanh(a, out=a)
    np.matmul(Wx[L - 1].transpose(0, 2, 1), ws.h[L - 1], out=ws.z)
    return ws.z[:, 0]


def softplus(z, out, work):
    """softplus(z) = log(1 + e^z) = max(z, 0) + log1p(e^{−|z|}), no overflow for any z (the
    formula np.logaddexp(0, z) uses). work: a buffer like z holding log1p(e^{−|z|}) on return."""
    np.abs(z, out=work)
    np.negative(work, out=work)
    np.exp(work, out=work)
    np.log1p(work, out=work)
    np.maximum(z, 0, out=out)
    out += work
    return out


def bce_and_grad(z, y, ws):
    """Mean BCE (bce_with_logits) and its gradient (bce_grad) from shared terms:

        loss = mean(softplus(z) − y z),   ∂loss/∂z = (σ(z) − y) / P,   σ(z) = exp(−softplus(−z)),

    with softplus(z) = max(z, 0) + l, −softplus(−z) = min(z, 0) − l, l = log1p(e^{−|z|}) and
    −|z| = min(z, 0) − max(z, 0) (all exact rewritings of softplus above). z, y: (B, P).
    Returns the loss (B,) and ∂loss/∂z as a (B, 1, P) view of ws.t1.
    """
    P = z.shape[-1]
    hi, lo, l = ws.t0, ws.t1, ws.t2
    np.maximum(z, 0, out=hi)
    np.minimum(z, 0, out=lo)
    np.subtract(lo, hi, out=l)                    # −|z|
    np.exp(l, out=l)
    np.log1p(l, out=l)                            # l = log1p(e^{−|z|})
    hi += l                                       # softplus(z)
    lo -= l                                       # −softplus(−z)
    np.multiply(y, z, out=l)
    hi -= l
    loss = np.add.reduce(hi, axis=-1) / P         # mean BCE (B,), as np.mean computes it
    dz = np.exp(lo, out=lo)                       # σ(z)
    dz -= y
    dz /= P
    return loss, dz[:, None, :]


def backward_fast(Wx, gWx, dz, ws):
    """backward's layer loop (chain rule by hand), feature-major, from δ_L = ∂ℓ/∂z (B, 1, P):

        [∂W_l; ∂b_l] = [h_{l−1}; 1] δ_lᵀ                 (into gWx[l − 1], the gradient's flat row)
        δ_{l−1}      = (W_l δ_l) ⊙ (1 − h_{l−1}²)        (tanh' = 1 − tanh², written over h_{l−1})
        ∂ℓ/∂x        = W_1 δ_1                           (into ws.e[:, :d_in])

    The output unit has one row w_Lᵀ, so δ_{L−1} = diag(w_L) u with u = δ_L ⊙ (1 − h_{L−1}²): u is
    stored, and diag(w_L) is applied to the two small matrices it meets instead of the (w, P)
    array, [h; 1] δ_{L−1}ᵀ = ([h; 1] uᵀ) diag(w_L) and W_{L−1} δ_{L−1} = (W_{L−1} diag(w_L)) u.
    """
    L = len(Wx)
    delta, scale = dz, None         # scale: diag(w_L) still to apply to δ's rows, as (B, 1, w)
    for l in range(L, 0, -1):
        h_in, W = ws.h[l - 1], Wx[l - 1][:, :-1]
        np.matmul(h_in, delta.transpose(0, 2, 1), out=gWx[l - 1])
        if scale is not None:
            gWx[l - 1] *= scale                           # ([h; 1] uᵀ) diag(w_L)
            W = np.multiply(W, scale, out=ws.Wl[:, :W.shape[1]])   # W_{L−1} diag(w_L)
        if l == 1:
            np.matmul(W, delta, out=ws.e[:, :W.shape[1]])
            return
        h = h_in[:, :-1]
        np.multiply(h, h, out=h)
        np.subtract(1, h, out=h)                          # 1 − h_{l−1}²
        if l == L:
            h *= delta                                    # u = δ_L ⊙ (1 − h²), δ_L (B, 1, P)
            scale = W.transpose(0, 2, 1)                  # w_Lᵀ (B, 1, w)
        else:
            np.matmul(W, delta, out=ws.dh)
            h *= ws.dh
            scale = None
        delta = h


def pair_input_grads(mode, ws):
    """Chain rule through combine (combine_backward), feature-major: ws.e[:, :d_in] holds ∂ℓ/∂x
    on entry and [∂ℓ/∂E_iᵀ; ∂ℓ/∂E_jᵀ] on return (concat: the same thing; diff: ∂x, −∂x; sqdiff:
    2 (E_i − E_j) ∂x and its negative)."""
    d = ws.e.shape[1] // 2
    if mode == "concat":
        return
    dEi = ws.e[:, :d]
    if mode == "sqdiff":
        dEi *= ws.diff
        dEi *= 2.0
    np.negative(dEi, out=ws.e[:, d:])


def scatter_pairs(dE_pairs, tgt, out):
    """∂ℓ/∂E[k, a] = Σ_p [I_p = a] ∂ℓ/∂E_i,p + [J_p = a] ∂ℓ/∂E_j,p (scatter_rows), from the
    feature-major (B, 2d, P) pair gradients, accumulated in float64 by bincount. out: (B, n·d)."""
    acc = np.bincount(tgt, weights=dE_pairs.ravel(), minlength=out.size)
    np.copyto(out, acc.reshape(out.shape), casting="same_kind")
