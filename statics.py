"""GenEFT statics in NumPy: Section III (Table II, Eqs. (1)-(5)) and Appendix D.

Paper: Baek, Liu, Tegmark, "GenEFT: Understanding Statics and Dynamics of Model
Generalization via Physics-Inspired Effective Theory" (2025).  Nothing here trains
a network: description lengths, the balls-in-buckets estimate of how much data
generalization needs, and the Monte Carlo upper bound on the attainable accuracy.
The formulas hold no input checks: after them come the command line (python statics.py
FILE.csv | mod3 --n 30 | --table), then the entry points that close the file, each
formula behind one clear ValueError.

Glossary (paper symbol -> name here)
    n             n              number of elements x_1 ... x_n
    R_ij          R              the (n, n) 0/1 relation matrix, R[i, j] = R(x_i, x_j)
    |Aut G|       aut            size of the automorphism group of the digraph of R
    b             b              description length in bits, Section III / Table II
    k, ⟨k⟩, ⟨d⟩   k, k_avg, d_avg  classes; mean transitive chain length; mean tree depth
    m             m              number of training samples
    N = n²        N              number of ordered pairs
    f(m)          f_inferable    Eq. (3), inferable fraction
    α             alpha          target accuracy, Eq. (4)
    p_c           p_critical     critical training fraction, Eq. (4)
    p_*           p_star         P(R_ij = 1) for a non-inferable entry, Eq. (5)
    f_UB          f_upper_bound  Eq. (5)
    pos[i]        pos            candidate classes of element i, Appendix D
    p_u           p1             P(R_ij = 1) for an undetermined entry, Appendix D
    (frac)        frac           training fraction, m = round(frac * n²)
    (1000 orders) n_orders       linear extensions sampled per split, Appendix D
    ε, τ(ε)       eps, bubley_dyer_steps  total-variation target and chain length
    known         known          (n, n) int8: 0/1 where known, -1 where not

Convention (as the paper's Fig. 2): accuracies count all n² ordered pairs; a
training pair or an inferred pair counts 1, an undetermined one max(p_u, 1 - p_u).
"""
import argparse
import functools
import itertools
import math
import os
import stat
import sys
from dataclasses import dataclass

import numpy as np

import geneft

LN2 = math.log(2.0)


# --- Section III, Table II: bits required to describe a relation -------------

def b_generic(n):
    """Table II, row 'Generic': b = n²."""
    return float(n * n)


def b_symmetric(n):
    """Table II, row 'Symmetric': b = n(n+1)/2."""
    return n * (n + 1) / 2


def b_antisymmetric(n):
    """Table II, row 'Antisymmetric': b = n(n-1)/2.

    Table II's count: one bit per unordered pair i != j (which direction holds).
    Counting every antisymmetric relation would give n + log2(3) n(n-1)/2.
    """
    return n * (n - 1) / 2


def b_reflexive(n):
    """Table II, row 'Reflexive': b = n(n-1) (the diagonal is fixed)."""
    return float(n * (n - 1))


def b_transitive(n, k_avg):
    """Table II, row 'Transitive': b ≈ n² / (⟨k⟩-1)!, ⟨k⟩ = mean transitive chain length.

    (⟨k⟩-1)! = Γ(⟨k⟩), so a non-integer mean length is allowed; ⟨k⟩ >= 1.
    """
    return n * n / math.gamma(k_avg)


def b_equivalence(n, k):
    """Table II, row 'Equivalence Relation with k Classes': b ≈ n log2 k."""
    return n * math.log2(k)


def b_total_order(n):
    """Table II, row 'Total Ordering', exact form: b = log2 n!."""
    return math.lgamma(n + 1) / LN2


def b_total_order_stirling(n, c=math.e):
    """Table II, row 'Total Ordering', Stirling form: b ≈ n log2(n / c).

    Table II leaves c open; Stirling's leading terms give c = e (the default).
    Section III's text writes n log2(n/2), i.e. c = 2.
    """
    return n * math.log2(n / c)


def b_complete_bipartite(n):
    """Table II, row 'Complete Bipartite Graph': b = n (one side bit per element)."""
    return float(n)


def b_incomplete_bipartite(s1, s2):
    """Table II, row 'Incomplete Bipartite Graph G = (S1, S2)': b = |S1| |S2|."""
    return float(s1 * s2)


def b_tree(n, d_avg):
    """Table II, row 'Tree Graph': b ≈ n log2 ⟨d⟩, ⟨d⟩ = mean node depth (>= 1)."""
    return n * math.log2(d_avg)


# --- Section III: b = log2(n! / |Aut G|) for any relation ---------------------

# Size limits: refuse before allocating, never grow without bound. What each limit costs
# on two cores (/usr/bin/time -v, max RSS of the whole process):
#   closed forms (any Table I relation): CLI mod3 --n 10000 in 1.0 s, 265 MB;
#     --n 20000 in 3.6 s, 0.96 GB (relation_matrix's n² bool + n² int8, one n² bool copy)
#   general search (_aut_search): memory ~n³ (a colouring and a k×k invariant per level):
#     twin-rich input (mod3 with one entry flipped) 187 MB at n = 300, 388 MB at 400;
#     time depends on structure: random digraph n = 300 0.05 s; undirected cycle n = 100
#     0.3 s, n = 300 15 s; twin-rich n = 60 0.9 s, 90 6 s, 150 93 s (~n^5: use a closed form)
#   CSV reader: comma-separated n = 4096 (32 MB) in 2.1 s, 245 MB
#   Appendix D Monte Carlo (frac 0.2): mod3 n = 3000 3.0 s, 297 MB; bipartite n = 3000
#     4.8 s, 737 MB; greater with 1000 orders n = 30 1.9 s, 60 24 s, 100 54 s
MAX_N_MATRIX = 20_000     # an (n, n) int8 relation: n² bytes, 400 MB at the limit
MAX_N_SEARCH = 300        # general search: memory ~190 MB at the limit
MAX_CSV_BYTES = 32 << 20  # the CLI's text reader: 32 MB, a comma-separated n = 4096
MAX_N_MC_CLASSES = 3_000  # Appendix D bound for mod<k>, bipartite: ~80 n² bytes
MAX_N_MC_ORDER = 100      # Appendix D bound for greater: Bubley-Dyer runs n³ ln n steps
MAX_N_CLI_SEARCH = 100    # the CLI's named relations without a closed form of |Aut G|
                          # (preorder<k>): the general search grows as n⁴ on a total
                          # preorder, seconds at n = 100, most of an hour at n = 300



def _row_blocks(n, entries=1 << 22):
    """Slices of about `entries` matrix entries, so a blockwise check needs no n² temporary."""
    step = max(1, entries // n)
    return (slice(s, min(s + step, n)) for s in range(0, n, step))


def _class_labels(E):
    """Class labels 0..m-1 if the bool matrix E is an equivalence relation, else None.

    E is reflexive, symmetric and transitive iff E_ij = [row i of E == row j of E] for
    all i, j: in an equivalence row i is the indicator of i's class, so two rows agree
    exactly when the classes do; conversely equality of rows is itself an equivalence.
    Rows are compared as packed bytes (n²/8 bytes), the identity blockwise.
    """
    n = E.shape[0]
    rows = np.ascontiguousarray(np.packbits(E, axis=1))                 # (n, ⌈n/8⌉) uint8
    labels = np.unique(rows.view(np.dtype((np.void, rows.shape[1]))).ravel(),
                       return_inverse=True)[1].ravel()
    for s in _row_blocks(n):
        if not np.array_equal(E[s], labels[s, None] == labels[None, :]):
            return None
    return labels


def _equivalence_aut(sizes):
    """|Aut G| of an equivalence with classes of sizes s_1..s_m (not printed in the paper,
    whose Section III gives only the total order and K_{a,c}; the wreath-product count):
        |Aut G| = Π_i s_i! · Π_s (number of classes of size s)!
    (permute inside every class, then permute whole classes of equal size)."""
    aut = 1
    for s in sizes:
        aut *= math.factorial(int(s))
    for count in np.bincount(sizes)[1:]:
        aut *= math.factorial(int(count))
    return aut


def _is_strict_total_order(T):
    """True iff the bool matrix T (zero diagonal) is a strict total order.

    Landau: a tournament (exactly one of T_ij, T_ji for i != j) is transitive iff its
    scores (row sums) are 0, 1, ..., n-1. With those scores T has n(n-1)/2 ones, so it
    is a tournament iff no pair has both T_ij and T_ji. |Aut G| = 1 then: automorphisms
    keep every score, and all scores differ.
    """
    n = T.shape[0]
    if not np.array_equal(np.sort(T.sum(axis=1)), np.arange(n)):
        return False
    return not any((T[s] & T[:, s].T).any() for s in _row_blocks(n))


def _aut_closed_form(A):
    """Section III: |Aut G| in closed form when the matrix has one of Table I's structures.

    Section III prints two: "for a graph with total ordering, |Aut(G)| = 1" and "for a
    complete bipartite graph K_{a,c} (a != c, a + c = n), |Aut(G)| = a!c!".

    Aut G does not change (a) when every entry is complemented, R -> 1 - R, nor (b) when
    a constant diagonal is replaced by another constant (a permutation maps loops to
    loops). Up to (a) and (b) we recognise, from the matrix alone:
      equivalence, classes s_1..s_m:   |Aut G| = Π s_i! · Π_s (#classes of size s)!
      complete multipartite graph = the complement of an equivalence; in particular
      K_{a,c} (two sides, zero or full diagonal): a! c! · (2 if a = c)
      strict (or non-strict) total order:  |Aut G| = 1.
    Returns the exact int, or None (then automorphism_count runs the general search).
    """
    diag = np.diagonal(A)
    if not (diag == diag[0]).all():
        return None
    E = A.astype(bool)                           # the one n² copy, reused below
    np.fill_diagonal(E, True)                    # (b): an equivalence is reflexive
    labels = _class_labels(E)                    # R an equivalence?
    if labels is None:
        np.logical_not(E, out=E)                 # (a): 1 - R, its diagonal now 0
        if _is_strict_total_order(E):            # 1 - R strict total order <=> R total order
            return 1
        np.fill_diagonal(E, True)
        labels = _class_labels(E)                # 1 - R an equivalence: R multipartite, K_{a,c}
    return None if labels is None else _equivalence_aut(np.bincount(labels))


def _refine(A, colors):
    """Equitable refinement of an ordered vertex colouring of the digraph A.

    A vertex's signature is (its colour, #out-neighbours per colour, #in-neighbours
    per colour); cells split by signature and new cells are ordered by sorted
    signature, so the result depends only on the graph, not on vertex labels.
    """
    k = colors.max() + 1
    while True:
        onehot = np.eye(k, dtype=np.int64)[colors]                          # (n, k)
        sig = np.concatenate([colors[:, None], A @ onehot, A.T @ onehot], axis=1)
        colors = np.unique(sig, axis=0, return_inverse=True)[1].ravel()
        if colors.max() + 1 == k:
            return colors
        k = colors.max() + 1


def _individualize(A, colors, v):
    c = 2 * colors + 1
    c[v] -= 1  # v becomes a singleton cell just before the rest of its cell
    return _refine(A, np.unique(c, return_inverse=True)[1].ravel())


def _invariant(A, colors):
    """Cell sizes and quotient matrix of an equitable colouring (label-free)."""
    k = colors.max() + 1
    reps = np.unique(colors, return_index=True)[1]
    quotient = (A @ np.eye(k, dtype=np.int64)[colors])[reps]                # (k, k)
    return np.bincount(colors).tobytes() + quotient.tobytes()


def _target_cell(colors):
    sizes = np.bincount(colors)
    big = np.flatnonzero(sizes > 1)
    return None if big.size == 0 else np.flatnonzero(colors == big[0])


def automorphism_count(R):
    """Section III: |Aut G| of the digraph with adjacency R (loops allowed), exactly.

    First the closed forms of _aut_closed_form (equivalences, complete multipartite
    graphs such as K_{a,c}, total orders: any n up to MAX_N_MATRIX, in O(n²)); any other
    relation goes to the general search _aut_search, for n <= MAX_N_SEARCH. Returns a
    Python int (it can exceed 2^64). R: a square 0/1 matrix (the entry point checks it).
    """
    aut = _aut_closed_form(R)
    return aut if aut is not None else _aut_search(R)


def _aut_search(R):
    """Section III: |Aut G| for any 0/1 matrix R by individualisation-refinement.

    The method of nauty/saucy with orbit pruning: follow one path of the search tree,
    individualising the first vertex v of the first non-singleton cell until the
    colouring is discrete; then, level by level from the bottom, |Aut_π| = |orbit of v
    in Aut_π| · |Aut_{π,v}| (orbit-stabiliser). A vertex w of v's cell joins the orbit
    if the generators found so far reach it, or if a search below (π, w) finds a leaf
    that maps the first leaf by an automorphism (a new generator).
    """
    A = np.asarray(R, dtype=np.int64)              # counts in A @ onehot need more than int8
    n = A.shape[0]
    colors = _refine(A, np.unique(np.diag(A), return_inverse=True)[1].ravel())
    path, invs = [], [_invariant(A, colors)]
    while (cell := _target_cell(colors)) is not None:
        path.append((colors, cell))
        colors = _individualize(A, colors, cell[0])
        invs.append(_invariant(A, colors))
    first_leaf = np.argsort(colors)                  # vertex at each position

    def search(colors, depth):                       # leaf of this subtree ≅ first leaf?
        if _invariant(A, colors) != invs[depth]:
            return None
        cell = _target_cell(colors)
        if cell is None:
            g = np.empty(n, dtype=np.int64)
            g[first_leaf] = np.argsort(colors)
            return g if (A[np.ix_(g, g)] == A).all() else None
        for u in cell:
            g = search(_individualize(A, colors, u), depth + 1)
            if g is not None:
                return g
        return None

    edges, orbit = [], np.arange(n)          # orbits of the generators found so far
    aut = 1
    for level in range(len(path) - 1, -1, -1):
        colors, cell = path[level]
        v = cell[0]
        for w in cell[1:]:
            if orbit[w] != orbit[v]:
                g = search(_individualize(A, colors, w), level + 1)
                if g is not None:                # a new generator: merge along its cycles
                    edges += zip(range(n), g)
                    orbit = _components(n, edges)
        aut *= int((orbit[cell] == orbit[v]).sum())
    return aut


def description_length(R):
    """Section III: b = log2(n! / |Aut G|) in bits (n!/|Aut G| computed exactly)."""
    return math.log2(math.factorial(R.shape[0]) // automorphism_count(R))


def table_i_b(name, n):
    """Section III vs Table II for a Table I relation: (b from |Aut G|, Table II value).

    Table II rows used: 'mod<k>' -> n log2 k; 'bipartite' -> n; 'greater' -> log2 n!
    (the row's exact form; its Stirling form is b_total_order_stirling).
    """
    return description_length(geneft.relation_matrix(name, n)), table_ii_b(name, n)


SECTION_III_KINDS = ("equivalence", "bipartite", "total_order")   # Table I's classes


def matrix_kind(R):
    """Which of Table I's kinds a 0/1 matrix is, read off the matrix alone (so a relation
    from a file gets Section III's Table II row, p* and Appendix D bound):
      ("equivalence", k)   reflexive, symmetric, transitive, k classes (Table I's mod k);
      ("bipartite", 2)     a complete bipartite graph K_{a,c}, empty diagonal (Table I's S, S̄);
      ("total_order", None) a strict total order (Table I's greater-than, in any labelling);
      (None, None)         anything else."""
    A = R.astype(bool)
    diag = np.diagonal(A)
    if diag.all():
        labels = _class_labels(A)
        return ("equivalence", int(labels.max()) + 1) if labels is not None else (None, None)
    if diag.any():
        return None, None
    if _is_strict_total_order(A):
        return "total_order", None
    np.logical_not(A, out=A)                      # K_{a,c} <=> its complement is 2 classes
    labels = _class_labels(A)
    return ("bipartite", 2) if labels is not None and labels.max() == 1 else (None, None)


def _kind_of(relation):
    """(kind, k) of a Table I name (geneft.relation_kind) or of a matrix (matrix_kind)."""
    return geneft.relation_kind(relation) if isinstance(relation, str) else matrix_kind(relation)


def table_ii_b(name, n):
    """Table II's row for a Table I relation (a name, or a matrix of that kind): 'mod<k>' ->
    n log2 k (equivalence with k classes); 'bipartite' -> n (complete bipartite); 'greater'
    -> log2 n! (total order)."""
    kind, k = _kind_of(name)
    if kind == "equivalence":
        return b_equivalence(n, k)
    return b_complete_bipartite(n) if kind == "bipartite" else b_total_order(n)


# --- Section III: Eqs. (1)-(5) and p* ------------------------------------------

def expected_empty_buckets(m, b):
    """Eq. (1): E Σ_i Z_i = b (1 - 1/b)^m empty buckets after m balls (elementwise in m)."""
    return b * (1 - f_inferable(m, b))


def expected_filled_buckets(m, b):
    """Eq. (2): E Σ_i (1 - Z_i) = b [1 - (1 - 1/b)^m]."""
    return b * f_inferable(m, b)


def f_inferable(m, b):
    """Eq. (3): f(m) = 1 - (1 - 1/b)^m, the expected fraction of the b buckets hit by m balls.

    Works elementwise on an array of m (m >= 0 need not be an integer).
    """
    if b == 1:
        return np.where(m > 0, 1.0, 0.0)
    return -np.expm1(m * np.log1p(-1.0 / b))        # accurate also for large b


def p_critical(alpha, b, N):
    """Eq. (4): p_c = (1/N) log2(1 - α) / log2(1 - 1/b), the solution of f(N p_c) = α."""
    return math.log1p(-alpha) / (N * math.log1p(-1.0 / b))


def f_upper_bound(m, b, p_star):
    """Eq. (5): f_UB(m) = f(m) + max(p*, 1 - p*) (1 - f(m))."""
    f = f_inferable(m, b)
    return f + max(p_star, 1 - p_star) * (1 - f)


def p_star(name):
    """Section III, after Eq. (5): p* = 1/k for 'mod<k>' (an equivalence of k classes), 1/2 for
    'bipartite', 1/3 for 'greater' (a total order); a name or a matrix of that kind."""
    kind, k = _kind_of(name)
    return 1 / 3 if kind == "total_order" else 1 / k              # bipartite: k = 2


def p_star_greater_module(n_samples=100_000, seed=0):
    """Section III: the three-symbol module {x, y, z} behind p* ≈ 1/3, by Monte Carlo.

    Draws uniform orderings of (x, y, z), keeps those with x < y, and returns
    (estimate, standard error) of P(z < x | x < y), which is exactly 1/3.
    """
    rng = np.random.default_rng(seed)
    rank = np.argsort(np.argsort(rng.random((n_samples, 3)), axis=1), axis=1)  # ranks of x, y, z
    keep = rank[:, 0] < rank[:, 1]
    p = np.mean(rank[keep, 2] < rank[keep, 0])
    return float(p), float(math.sqrt(p * (1 - p) / keep.sum()))


# --- Appendix D, step 1: inference closure -------------------------------------

def known_matrix(R, train):
    """The training data as an (n, n) int8 matrix: R at the flat indices `train`, -1 elsewhere."""
    known = np.full(R.shape, -1, dtype=np.int8)
    known.flat[train] = np.asarray(R).flat[train]
    return known


def _components(n, edges):
    """Union-find labels 0..c-1 (in order of first appearance) for undirected edges (i, j)."""
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i
    for i, j in edges:
        parent[find(i)] = find(j)
    return np.unique([find(i) for i in range(n)], return_inverse=True)[1].ravel()


def _class_components(K):
    """Components of the known 1s of an equivalence, and which pairs of them a known 0 keeps apart."""
    comp = _components(K.shape[0], zip(*np.nonzero(K == 1)))
    apart = np.zeros((comp.max() + 1,) * 2, dtype=bool)
    i, j = np.nonzero(K == 0)
    apart[comp[i], comp[j]] = apart[comp[j], comp[i]] = True
    if apart.diagonal().any():
        raise ValueError("known is inconsistent with an equivalence relation")
    return comp, apart


def inference_closure(known, kind):
    """Appendix D: every entry that follows from the training data and the class's properties.

    kind 'equivalence': reflexive, symmetric, transitive (any number of classes) ->
        1 inside a component of known 1s, 0 between components joined by a known 0.
    kind 'bipartite': complete bipartite graphs (S, S̄), i.e. 1 - R an equivalence with
        at most 2 classes -> the side parity inside each component of known entries.
    kind 'total_order': strict total orders (irreflexive; for i != j exactly one of
        R_ij, R_ji is 1 - the paper's antisymmetry; transitive) -> the transitive
        closure of the known comparisons, so the diagonal is always 0.
    Each closure is complete for its class: an entry left -1 takes both values
    among the class members consistent with the data. Inconsistent data raise ValueError.
    """
    K = np.asarray(known, dtype=np.int8)
    n = K.shape[0]
    off = ~np.eye(n, dtype=bool)
    if kind == "equivalence":
        comp, apart = _class_components(K)
        out = np.where(comp[:, None] == comp[None, :], 1, np.where(apart[comp][:, comp], 0, -1))
    elif kind == "bipartite":
        # union-find on the 2n "i is on side s" nodes: R_ij = 1 ties (i,0)~(j,1), R_ij = 0 ties (i,0)~(j,0)
        i, j = np.nonzero(K >= 0)
        r = K[i, j].astype(np.int64)
        ties = list(zip(2 * i, 2 * j + r)) + list(zip(2 * i + 1, 2 * j + 1 - r))
        node = _components(2 * n, ties)
        side0, side1 = node[0::2], node[1::2]
        if (side0 == side1).any():
            raise ValueError("known is inconsistent with a complete bipartite graph")
        out = np.where(side0[:, None] == side0[None, :], 0, np.where(side0[:, None] == side1[None, :], 1, -1))
    else:                                           # "total_order"
        less = ((K == 1) | (K == 0).T) & off        # known i < j
        for k in range(n):                          # Warshall's transitive closure
            less |= less[:, k:k + 1] & less[k:k + 1, :]
        if (less & less.T).any() or (np.diag(K) == 1).any():
            raise ValueError("known is inconsistent with a strict total order")
        out = np.where(less, 1, np.where(less.T, 0, -1))
        np.fill_diagonal(out, 0)
    return out.astype(np.int8)


# --- Appendix D, step 2: uniform linear extensions (total orders) --------------

def bubley_dyer_steps(m, eps=0.01):
    """Steps of the Bubley-Dyer chain on m elements for total variation <= eps.

    Bubley & Dyer (1999), "Faster random generation of linear extensions": path
    coupling gives O(m³ log(m/ε)); we run τ(ε) = ⌈K ln(m²/(4ε))⌉ steps with
    K = Σ_p p(m - p) = (m³ - m)/6, the normaliser of the chain's position law.
    test_statics_bubley_dyer_bound_exact_on_small_posets checks τ against the exact
    transition matrix for m <= 6 (the true mixing times there are ~2/3 of it).
    """
    return 0 if m < 2 else math.ceil((m ** 3 - m) / 6 * math.log(m * m / (4 * eps)))


def _bubley_dyer_block(less, n_samples, n_steps, rng):
    """n_samples independent runs of the Bubley-Dyer chain on one poset `less` (m, m).

    One step: pick position p in 1..m-1 with probability ∝ p(m - p), toss a fair
    coin; on heads swap the elements at positions p, p+1 if they are incomparable.
    Every move is its own inverse with equal probability, so the chain is symmetric
    and its stationary law is uniform on the linear extensions.
    """
    m = less.shape[0]
    start = np.argsort(less.sum(axis=0), kind="stable")  # by #predecessors: a linear extension
    orders = np.tile(start, (n_samples, 1))               # (S, m) element at each position
    if m < 2:
        return orders
    flat = orders.ravel()
    comparable = (less | less.T).ravel()
    p = np.arange(1, m)
    q = p * (m - p) / (p * (m - p)).sum()
    base = np.arange(n_samples) * m
    done = 0
    while done < n_steps:
        chunk = min(2048, n_steps - done)
        at = base + rng.choice(m - 1, size=(chunk, n_samples), p=q)   # (chunk, S)
        heads = rng.random((chunk, n_samples)) < 0.5
        for t in range(chunk):
            i = at[t]
            a, b = flat[i], flat[i + 1]
            swap = heads[t] & ~comparable[a * m + b]
            flat[i] = np.where(swap, b, a)
            flat[i + 1] = np.where(swap, a, b)
        done += chunk
    return orders


def sample_linear_extensions(less, n_samples, rng, eps=0.01, n_steps=None):
    """Appendix D: uniform samples of the total orders compatible with a partial order.

    less: (n, n) bool, less[i, j] = "i < j is known" (closed transitively here).
    The poset is cut into its series blocks (components of the incomparability
    graph; every extension lists them in the same order), and each block of m > 1
    elements is sampled independently by the Bubley-Dyer chain run for
    bubley_dyer_steps(m, eps) steps (or n_steps). Returns (n_samples, n) int:
    orders[s, t] is the element at position t (position 0 = smallest).
    """
    L = np.array(less, dtype=bool)
    n = L.shape[0]
    for k in range(n):
        L |= L[:, k:k + 1] & L[k:k + 1, :]
    if (L & L.T).any():
        raise ValueError("less is not allowed: it has a cycle, so no total order extends it")
    incomparable = ~(L | L.T) & ~np.eye(n, dtype=bool)
    block = _components(n, zip(*np.nonzero(incomparable)))
    nb = block.max() + 1
    # blocks form a chain; a block's rank is its first element's number of predecessors
    rank = np.argsort([L[:, np.flatnonzero(block == b)[0]].sum() for b in range(nb)])
    pieces = []
    for b in rank:
        idx = np.flatnonzero(block == b)
        steps = bubley_dyer_steps(idx.size, eps) if n_steps is None else n_steps
        pieces.append(idx[_bubley_dyer_block(L[np.ix_(idx, idx)], n_samples, steps, rng)])
    return np.concatenate(pieces, axis=1)


# --- Appendix D, step 3: the Monte Carlo upper bound on the accuracy -----------

@dataclass(frozen=True)
class MCBound:
    """Appendix D for one training sampling; fractions are over all n² ordered pairs."""
    accuracy: float       # (#determined + Σ_undetermined max(p_u, 1 - p_u)) / n²
    inferred_frac: float  # pairs fixed by the training data and inference_closure, / n²
    p_star_eff: float     # mean of min(p_u, 1 - p_u) over undetermined pairs (nan if none)
    std_err: float        # Monte Carlo standard error of accuracy (0.0 for a closed form)
    n_samples: int        # linear extensions drawn (0 for the closed form)


def equivalence_bound(known, labels, k):
    """Appendix D, 'Equivalence Classes': the paper's candidate-class accuracy "upper bound".

    known: (n, n) training data already closed by inference_closure; labels: the
    reference class of every element (j mod k for 'mod k'). For j != i,
        pos[i] = {labels[j]}                         if some R_ij = 1 is known,
        pos[i] = {0..k-1} minus {labels[j] : R_ij = 0 known}   otherwise
    (the paper writes "j mod n" and does not exclude j = i; with the reflexive
    R_ii = 1 every class would be known). "Each number equally likely to belong
    to one of its candidate classes", independently of the others, gives
    p_1 = |pos_i ∩ pos_j| / (|pos_i| |pos_j|) in closed form: the limit of the
    paper's Monte Carlo draws. pos[i] uses the reference labels of i's partners,
    which the data alone do not reveal, so this is not a bound on the exact Bayes
    accuracy (exact_posterior) for k >= 3: it can lie above or below it (hand-worked
    in test_statics_mc_equivalence_is_not_an_upper_bound_hand_worked). For k = 2 it
    is >= the exact value (test_statics_mc_bipartite_is_an_upper_bound_proved).
    """
    n = known.shape[0]
    onehot = np.eye(k, dtype=np.int64)[np.asarray(labels)]          # (n, k)
    off = ~np.eye(n, dtype=bool)
    ones = ((known == 1) & off).astype(np.int64) @ onehot > 0        # (n, k)
    zeros = ((known == 0) & off).astype(np.int64) @ onehot > 0
    pos = np.where(ones.any(axis=1, keepdims=True), ones, ~zeros).astype(np.float64)
    size = pos.sum(axis=1)
    p1 = (pos @ pos.T) / np.outer(size, size)                        # (n, n)
    q = np.minimum(p1, 1 - p1)[known < 0]                            # min(p_u, 1 - p_u)
    q_mean = float(q.mean()) if q.size else math.nan
    return MCBound(float(1 - q.sum() / known.size), float((known >= 0).mean()), q_mean, 0.0, 0)


def total_order_bound(known, rng, n_orders=1000, eps=0.01):
    """Appendix D, 'Total Orderings': sample orders compatible with the data, count.

    The known comparisons are closed (inference_closure 'total_order'); n_orders
    uniform linear extensions of that partial order give p_u for each undetermined
    pair. Uniform extensions are exactly the Bayes posterior of a uniform prior on
    the n! orders, so E[accuracy] >= the exact Bayes accuracy (max is convex) and
    exceeds it by at most (undetermined fraction) · 0.5/√n_orders, plus the chain's
    total-variation error eps per pair. std_err: delta method, the spread over
    samples of Σ_u sign(p_u - 1/2)·[sample says R_u = 1] / n², over √n_orders
    (conservative where p_u is near 1/2).
    """
    closed = inference_closure(known, "total_order")
    unknown = np.argwhere(closed < 0)                                # (U, 2)
    if unknown.size == 0:
        return MCBound(1.0, 1.0, math.nan, 0.0, n_orders)
    orders = sample_linear_extensions(closed == 1, n_orders, rng, eps)
    rank = np.argsort(orders, axis=1)                                # (S, n) position of each element
    below = rank[:, unknown[:, 0]] < rank[:, unknown[:, 1]]          # (S, U)
    p1 = below.mean(axis=0)
    q = np.minimum(p1, 1 - p1)
    acc = 1.0 - q.sum() / closed.size
    per_sample = below @ np.sign(p1 - 0.5) / closed.size             # (S,)
    se = float(per_sample.std(ddof=1) / math.sqrt(n_orders)) if n_orders > 1 else math.nan
    return MCBound(float(acc), 1.0 - len(unknown) / closed.size, float(q.mean()), se, n_orders)


def mc_accuracy_bound(name, n, frac, seed, n_orders=1000, eps=0.01, relation_seed=None):
    """Appendix D / Fig. 2 (solid): the accuracy upper bound for one training sampling.

    The training pairs are geneft.split_pairs(n, frac, seed), the same split the
    network sees; the relation is geneft.relation_matrix(name, n, relation_seed): a Table I
    name, or a matrix whose kind matrix_kind detects.
    'mod<k>' uses equivalence_bound, 'bipartite' the same on 1 - R with k = 2
    ("isomorphic to an equivalence relation with two classes"), 'greater'
    total_order_bound with its own stream rng = default_rng(SeedSequence(seed).spawn(1)[0]).
    Counts all n² pairs; training pairs count as known (= 1).
    """
    kind, k = _kind_of(name)
    R = geneft.relation_matrix(name, n, relation_seed)
    known = known_matrix(R, geneft.split_pairs(n, frac, seed)[0])
    if kind == "total_order":
        rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
        return total_order_bound(known, rng, n_orders, eps)
    closed = inference_closure(known, kind)
    if kind == "bipartite":
        R, closed = 1 - R, np.where(closed >= 0, 1 - closed, -1)
    labels = np.unique(R, axis=0, return_inverse=True)[1].ravel()   # equal rows <=> same class
    return equivalence_bound(closed, labels, k)


@dataclass(frozen=True)
class BoundStats:
    """mc_accuracy_bound over several training samplings (seeds)."""
    mean: float
    std: float            # sample standard deviation over seeds (ddof = 1; 0 for one seed)
    values: tuple


def mc_accuracy_bound_stats(name, n, frac, seeds, n_orders=1000, eps=0.01, relation_seed=None):
    """Appendix D: the bound averaged over samplings (the paper: 20 seeds, 3 for 'greater')."""
    values = tuple(mc_accuracy_bound(name, n, frac, int(s), n_orders, eps, relation_seed).accuracy
                   for s in seeds)
    std = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    return BoundStats(float(np.mean(values)), std, values)


def mc_accuracy_curve(name, n, fracs, seeds, n_orders=1000, eps=0.01, relation_seed=None):
    """Fig. 2 (solid line): mean and std over seeds of the bound at each training fraction."""
    stats = [mc_accuracy_bound_stats(name, n, f, seeds, n_orders, eps, relation_seed) for f in fracs]
    return np.array([s.mean for s in stats]), np.array([s.std for s in stats])


# --- Appendix D, check: the exact Bayes accuracy by enumeration --------------

def exact_posterior(known, name, max_states=500_000):
    """P(R_ij = 1 | training data), (n, n), exactly: the posterior of the class's prior.

    Priors (the counting behind Table II's b): 'mod<k>' - every element's class
    i.i.d. uniform in {0..k-1}, R_ij = [c_i = c_j] (b = n log2 k); 'bipartite' -
    sides i.i.d. uniform, R_ij = [c_i != c_j] (b = n); 'greater' - uniform on the
    n! strict total orders (b = log2 n!). The posterior is uniform on the members
    that agree with every known entry. Total orders: all n! are enumerated (n <= 9).
    Classes: the components of the closed known 1s (of 1 - R for 'bipartite') get
    classes that respect the known 0s; these are enumerated up to renaming the
    classes, each weighted by its k(k-1)...(k-b+1) namings (b classes used), so
    n = 30 is within reach when the data leave few components. More than
    max_states partial assignments raise ValueError.
    """
    kind, k = _kind_of(name)
    known = np.asarray(known)
    n = known.shape[0]
    if kind == "total_order":
        rank = np.array(list(itertools.permutations(range(n))), dtype=np.int8)
        rel = rank[:, :, None] < rank[:, None, :]                    # (n!, n, n)
        mask = known >= 0
        agree = (rel[:, mask] == (known[mask] == 1)).all(axis=1)
        if not agree.any():
            raise ValueError(f"known is inconsistent with every strict total order on n={n}")
        return rel[agree].mean(axis=0)
    closed = inference_closure(known, kind)
    E = closed if kind == "equivalence" else np.where(closed >= 0, 1 - closed, -1)
    comp, apart = _class_components(E)
    c = comp.max() + 1
    rows, used = np.zeros((1, 0), dtype=np.int8), np.zeros(1, dtype=np.int64)   # (S, v), (S,)
    for v in range(c):                       # component v joins an old class or opens one
        lab = np.tile(np.arange(min(k, v + 1)), len(rows))
        rows, u = np.repeat(rows, min(k, v + 1), axis=0), np.repeat(used, min(k, v + 1))
        ok = lab <= u
        for w in np.flatnonzero(apart[v, :v]):
            ok &= rows[:, w] != lab
        rows, used = np.concatenate([rows[ok], lab[ok, None]], axis=1), np.maximum(u[ok], lab[ok] + 1)
        if len(rows) > max_states:
            raise ValueError(f"known leaves {len(rows)} > max_states={max_states} class assignments for '{name}'")
    if len(rows) == 0:
        raise ValueError(f"known is inconsistent with every '{name}' relation on n={n}")
    weight = np.array([math.perm(k, b) for b in range(c + 1)], dtype=np.float64)[used]
    weight /= weight.sum()
    same = sum((x.T * weight) @ x for x in ((rows == t).astype(np.float64) for t in range(k)))
    p_same = same[comp][:, comp]                                     # (n, n)
    return p_same if kind == "equivalence" else 1 - p_same


def exact_bayes_accuracy(name, n, frac, seed, relation_seed=None, max_states=500_000):
    """Exact Bayes-optimal accuracy over all n² pairs for the split split_pairs(n, frac, seed).

    = mean over entries of max(P(R_ij = 1 | data), 1 - P(...)); the expected
    accuracy of the best predictor when the relation is drawn from the prior.
    Raises ValueError where exact_posterior would need more than max_states.
    """
    R = geneft.relation_matrix(name, n, relation_seed)
    p1 = exact_posterior(known_matrix(R, geneft.split_pairs(n, frac, seed)[0]), name, max_states)
    return float(np.maximum(p1, 1 - p1).mean())


# --- Command line: python statics.py FILE.csv | mod3 --n 30 | --table ----------------

def load_relation_csv(path):
    """A 0/1 matrix from a text file, read as np.savetxt (any fmt: 1 or 1.000000000000000000e+00,
    commas or spaces), pandas' to_csv(index=False) (its first row, the column names, skipped)
    and a spreadsheet's "save as CSV" (',' or ';', 1.0 or 1,0, a UTF-8 byte-order mark, CRLF)
    write it; lines starting with '#' are comments. Anything else is one ValueError naming
    the cause: an index column, a trailing separator, UTF-16 text, True/False entries, an
    entry other than 0 and 1, a ragged or a non-square file.

    Only a regular file is read (a device such as /dev/zero never ends), and one over
    MAX_CSV_BYTES is refused before reading: the parse holds every entry as a Python list
    item (~8 bytes per entry on top of the text).
    """
    return _read_relation_csv(path)[0]


def _read_relation_csv(path):
    """(R, header): the matrix, and the first row if it was skipped as column names (else None)."""
    text = _read_text(path)
    lines = [(k, line) for k, line in enumerate(text.splitlines(), 1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise ValueError(f"{path} is empty: expected an n x n matrix of 0 and 1")
    data = "\n".join(line for _, line in lines)                     # comments may hold any sign
    sep = next((c for c in (";", ",", "\t") if c in data), None)   # else runs of spaces
    rows = [line.split() if sep is None else [t.strip().strip('"') for t in line.split(sep)]
            for _, line in lines]
    numbers = [k for k, _ in lines]                                 # the file's line of each row
    header = rows[0] if _is_header(rows, sep) else None
    if header is not None:
        rows, numbers = rows[1:], numbers[1:]
    _check_layout(path, rows, numbers, sep, header)
    return _entries(path, rows, numbers, sep), header


def _read_text(path):
    """The file's text, UTF-8 (a byte-order mark skipped); UTF-16 and binary files named."""
    too_large = (f"the reader is limited to {MAX_CSV_BYTES} bytes "
                 f"(about n = {math.isqrt(MAX_CSV_BYTES // 2)})")
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{path} is not a regular file: give a text file holding an n x n "
                             "matrix of 0 and 1")
        if info.st_size > MAX_CSV_BYTES:
            raise ValueError(f"{path} is too large: {info.st_size} bytes, {too_large}")
        with open(path, "rb") as fh:
            data = fh.read(MAX_CSV_BYTES + 1)        # bounded, should the file grow meanwhile
    except OSError as err:
        raise ValueError(f"cannot read {path}: {err.strerror or err}") from None
    if len(data) > MAX_CSV_BYTES:
        raise ValueError(f"{path} is too large: over {MAX_CSV_BYTES} bytes, {too_large}")
    save_as = "save it as CSV in UTF-8 (Python: open(path, 'w', encoding='utf-8'))"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ValueError(f"{path} is UTF-16 text (it starts with the byte-order mark "
                         f"{data[:2].hex(' ').upper()}): {save_as}")
    if b"\x00" in data:
        what = ("UTF-16 text without a byte-order mark (a NUL byte beside every character)"
                if data[1::2].count(0) > len(data) // 4 or data[0::2].count(0) > len(data) // 4
                else "not text (it holds NUL bytes)")
        raise ValueError(f"{path} is {what}: {save_as}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ValueError(f"{path} is not UTF-8 text (byte 0x{data[err.start]:02X} at offset "
                         f"{err.start}): {save_as}") from None


def _value(tok, sep):
    """0 or 1 for a token whose number is exactly 0 or 1 (1, 1.0, 1e0, 1.000000000000000000e+00;
    1,0 where ';' separates), else None."""
    try:
        v = float(tok.replace(",", ".") if sep == ";" else tok)
    except ValueError:
        return None
    return int(v) if v in (0.0, 1.0) else None


def _is_header(rows, sep):
    """The first row names the columns: pandas' to_csv writes 0, 1, ..., n-1 (after an empty
    cell when it writes an index too), a spreadsheet writes names. A first row of 0/1 entries
    is data (unless it reads 0, 1 above a 2 x 2 matrix), as is one holding True or False, an
    empty entry after its first, or one not as wide as the row below it."""
    first = rows[0]
    labels = [str(i) for i in range(len(first))]
    if (len(rows) < 2 or len(rows[1]) != len(first) or "" in first[1:]
            or any(t.lower() in ("true", "false") for t in first)):
        return False
    if first == labels and len(rows) == len(first) + 1:
        return True
    return (any(_value(t, sep) is None for t in first)
            and (first[:1] == [""] or first == labels or not all(map(_is_number, first))))


def _check_layout(path, rows, numbers, sep, header):
    """One line naming what keeps rows from being an n x n matrix: a trailing separator, ragged
    rows, an index column (pandas writes one unless index=False), a non-square shape."""
    if not rows:
        raise ValueError(f"{path} holds only a header row: expected an n x n matrix of 0 and 1 below it")
    ends = [k for k, row in zip(numbers, rows) if sep is not None and len(row) > 1 and row[-1] == ""]
    if ends:
        every = " as every row does" if len(ends) == len(rows) else ""
        raise ValueError(f"{path}: line {ends[0]} ends with {sep!r}{every} (an empty last entry): "
                         "remove the trailing separator")
    widths = [len(row) for row in rows]
    if len(set(widths)) > 1:
        k = next(i for i, w in enumerate(widths) if w != widths[0])
        raise ValueError(f"{path} is ragged: line {numbers[k]} has {widths[k]} entries, line "
                         f"{numbers[0]} has {widths[0]}; all rows need the same number")
    n, w = len(rows), widths[0]
    first = [row[0] for row in rows]
    counts = n >= 3 and first == [str(i) for i in range(n)]       # 0, 1 alone could be data
    if w == n + 1 and (header is not None and header[0] == "" or counts
                       or any(_value(t, sep) is None for t in first)):
        raise ValueError(f"{path} has an index column: its first column holds {', '.join(first[:3])}, "
                         f"... (pandas writes one unless to_csv(index=False)): remove it")
    if n != w:
        raise ValueError(f"{path} is not square: {n} rows of {w} entries"
                         + (" below its header row" if header is not None else ""))


def _entries(path, rows, numbers, sep):
    """The rows as an int8 matrix; the first entry that is not 0 or 1 named, with its line."""
    distinct = set(itertools.chain.from_iterable(rows))
    if distinct <= {"0", "1"}:
        return np.array(rows, dtype=np.int8)
    value = {t: _value(t, sep) for t in distinct}
    if None in value.values():
        k, c, tok = next((k, c, t) for k, row in zip(numbers, rows) for c, t in enumerate(row, 1)
                         if value[t] is None)
        if tok.lower() in ("true", "false"):
            raise ValueError(f"{path}: entries are True/False (line {k}, entry {c} is {tok!r}): write "
                             "1 and 0 (NumPy: R.astype(int); pandas: df.astype(int))")
        what = "is empty" if tok == "" else f"{tok!r} is not 0 or 1"
        raise ValueError(f"{path}: line {k}, entry {c} {what}")
    return np.array([[value[t] for t in row] for row in rows], dtype=np.int8)


def _is_number(tok):
    try:
        float(tok)
        return True
    except ValueError:
        return False


def _format_big_int(x, max_digits=1000):
    """'= x' exactly up to max_digits digits, else '≈ m.mmmme+E (D digits)': Python refuses
    str() beyond 4300 digits, and |Aut G| of mod3 at n = 10^4 has ~35 000."""
    if x < 10 ** max_digits:
        return f"= {x}"
    e = math.log10(x)                             # math.log10 takes any size of int
    return f"≈ {10 ** (e - math.floor(e)):.4f}e+{math.floor(e)} ({math.floor(e) + 1} digits)"


KIND_WORDS = {"equivalence": "an equivalence of {k} classes (Table I's mod k kind)",
              "bipartite": "a complete bipartite graph (Table I's bipartite kind)",
              "total_order": "a strict total order (Table I's greater-than kind)"}
NO_KIND = ("none of Section III's (an equivalence, a complete bipartite graph, a strict total "
           "order): no Table II row, p* or Appendix D bound")
CLI_FRACS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.8)   # the training fractions the report shows
CLI_BOUND_SEEDS, CLI_BOUND_ORDERS = 3, 200   # the command line's Appendix D: seconds, not minutes


def describe(R, kind, alpha=0.9, p_star_value=None, fracs=CLI_FRACS, bound=False):
    """The CLI report of a relation, its kind first: kind = (kind, k) as matrix_kind gives it;
    |Aut G|, b = log2(n!/|Aut G|) (the one b used below), p_c (Eq. 4) and f_UB (Eq. 5) at a
    few fractions with the kind's p* (or p_star_value); with bound, for Section III's kinds,
    Appendix D's Monte Carlo bound (mean over CLI_BOUND_SEEDS splits)."""
    if not 0 < alpha < 1:                     # checked even where b <= 1 leaves p_c undefined
        raise ValueError(f"alpha={alpha!r} is not allowed: alpha must lie in (0, 1)")
    A = _as_relation(R)
    n = A.shape[0]
    known = kind[0] in SECTION_III_KINDS
    aut = automorphism_count(A)
    b = math.log2(math.factorial(n) // aut)
    ps = p_star_value if p_star_value is not None else 1 / 3 if kind[0] == "total_order" else (
        1 / kind[1] if known else None)
    lines = [f"kind: {KIND_WORDS[kind[0]].format(k=kind[1]) if known else NO_KIND}",
             f"|Aut G| {_format_big_int(aut)}",
             f"b = log2(n!/|Aut G|) = {b:.4f} bits (Section III's b; statics.py --table sets Table II's beside it)",
             f"p_c(alpha={alpha}) = {_p_critical_at_most_one(alpha, b, n * n):.4f} (Eq. 4 with this b)"
             if b > 1 else f"p_c(alpha={alpha}) undefined: Eq. (4) needs b > 1"]
    if b >= 1 and ps is None:
        lines.append(f"f_UB (Eq. 5) needs p*, which only Section III's kinds have: give --p-star "
                     f"(this matrix's edge density is {float(A.mean()):.4f})")
    elif b >= 1:
        whose = "" if p_star_value is not None else ", the kind's"
        lines.append(f"f_UB (Eq. 5, p* = {ps:.4f}{whose}):")
        for f in fracs:
            lines.append(f"  frac {f:4.2f}  m = {f * n * n:7.1f}  f_UB = {float(f_upper_bound(f * n * n, b, ps)):.4f}")
    if bound and known:
        lines += _appendix_d_lines(A, kind[0], fracs)
    return "\n".join(lines)


def _appendix_d_lines(A, kind, fracs):
    """Appendix D's Monte Carlo bound at each fraction (mean of CLI_BOUND_SEEDS splits)."""
    n = A.shape[0]
    limit = MAX_N_MC_ORDER if kind == "total_order" else MAX_N_MC_CLASSES
    if n > limit:
        return [f"Appendix D bound: not computed, n = {n} > {limit} for this kind"]
    lines = [f"Appendix D Monte Carlo bound (mean of {CLI_BOUND_SEEDS} splits):"]
    for f in fracs:
        stats = mc_accuracy_bound_stats(A, n, f, range(CLI_BOUND_SEEDS), n_orders=CLI_BOUND_ORDERS)
        lines.append(f"  frac {f:4.2f}  accuracy <= {stats.mean:.4f}")
    return lines


TABLE_N, TABLE_RELATIONS = 30, ("mod3", "mod5", "greater", "bipartite")   # Section II's n; Table I
TABLE_II_ROWS = {"equivalence": "n log2 k", "total_order": "log2 n!", "bipartite": "n"}


def table_ii_text(n=TABLE_N, alpha=0.9):
    """`python statics.py --table`: Table II beside Section III's b for Table I's relations at n.
    For each: |Aut G| (a product of factorials), b = log2(n!/|Aut G|), Table II's row for its
    kind and that row's value, and p_c of Eq. (4) with the first b; then why the two differ."""
    head = f"{'relation':<10} {'|Aut G|':<16} {'b = log2(n!/|Aut G|)':>21}   {'Table II row':<13} {'its value':>9}   p_c"
    lines = [f"Table II for Table I's relations at n = {n}; p_c at alpha = {alpha} (Eq. 4)", head]
    for name in TABLE_RELATIONS:
        R = geneft.relation_matrix(name, n)
        kind, k = matrix_kind(R)
        b = description_length(R)
        lines.append(f"{name:<10} {_aut_product(R, kind):<16} {b:>21.4f}   {TABLE_II_ROWS[kind]:<13} "
                     f"{table_ii_b(name, n):>9.4f}   {p_critical(alpha, b, n * n):.4f}")
    lines += [f"Stirling's form of the total order's row, n log2(n/c): {b_total_order_stirling(n):.4f} "
              f"(c = e), {b_total_order_stirling(n, 2):.4f} (c = 2, Section III's text)",
              "p_c uses b = log2(n!/|Aut G|): the bits that pick this relation among its relabellings "
              "(Section III). Table II counts a wider class, every labelled assignment of n elements "
              "(k^n for k classes of any sizes, 2^n for two sides), so its b is larger, except for the "
              "total order, where both are log2 n!."]
    return "\n".join(lines)


def _aut_product(R, kind):
    """|Aut G| of an equivalence or a complete bipartite graph as a product of factorials
    ("10!^3 * 3!": permute inside classes, then equal-size classes); 1 for a total order."""
    if kind == "total_order":
        return "1"
    labels = _class_labels(R.astype(bool) if kind == "equivalence" else ~R.astype(bool))
    sizes, counts = np.unique(np.bincount(labels), return_counts=True)     # class sizes, how many
    parts = [f"{s}!" + (f"^{c}" if c > 1 else "") for s, c in zip(sizes[::-1], counts[::-1])]
    return " * ".join(parts + [f"{c}!" for c in counts[::-1] if c > 1])


def _p_critical_at_most_one(alpha, b, N):
    """Eq. (4)'s p_c, or ValueError naming alpha and the largest allowed when p_c > 1: a
    fraction of more than all N pairs (alpha so close to 1 that no data set reaches it)."""
    p_c = p_critical(alpha, b, N)
    if p_c > 1:
        alpha_max = min(-math.expm1(N * math.log1p(-1.0 / b)), alpha)   # p_c(alpha_max) = 1
        for _ in range(1000):                  # rounding: step down to the last alpha with p_c <= 1
            if p_critical(alpha_max, b, N) <= 1:
                break
            alpha_max = math.nextafter(alpha_max, 0.0)
        raise ValueError(f"alpha={alpha!r} is not allowed here: Eq. (4) gives p_c = {p_c:.4f} > 1 "
                         f"(more than all n² pairs); for this relation use alpha <= {alpha_max!r}")
    return p_c


def _check_search_cost(name, n, R):
    """Refuse a named relation with no closed form of |Aut G| (a total preorder) above
    MAX_N_CLI_SEARCH before the general search starts, naming its cost and the limit."""
    if n > MAX_N_CLI_SEARCH and _aut_closed_form(R) is None:
        raise ValueError(f"--n {n} is too large for {name}: |Aut G| has no closed form here and "
                         f"its general search grows as n⁴ (most of an hour at n = 300); the "
                         f"command line allows n <= {MAX_N_CLI_SEARCH}")


def _cli_named_kind(arg):
    """geneft.relation_kind(arg) for a relation name, None for a file to read.

    An unknown name that cannot be a file (no '.', no '/', not on disk, e.g. 'mod0')
    keeps relation_kind's error naming it, rather than becoming "cannot read mod0".
    """
    try:
        return geneft.relation_kind(arg)
    except ValueError:
        if os.path.exists(arg) or "." in arg or "/" in arg:
            return None
        raise


def main(argv=None):
    """`python statics.py FILE.csv`, `python statics.py mod3 --n 30` or `python statics.py
    --table`; returns the exit code."""
    parser = argparse.ArgumentParser(prog="statics.py", description="Section III statics of a relation.")
    parser.add_argument("relation", nargs="?", help="a CSV file holding a 0/1 matrix, or mod<k> | greater | bipartite")
    parser.add_argument("--n", type=int, default=30, help="elements of a named relation (default 30)")
    parser.add_argument("--alpha", type=float, default=0.9, help="target accuracy of Eq. (4) (default 0.9)")
    parser.add_argument("--p-star", type=float, default=None, help="p* of Eq. (5) (default: the kind's)")
    parser.add_argument("--table", action="store_true",
                        help="Table II beside b = log2(n!/|Aut G|) for Table I's relations at --n")
    args = parser.parse_args(argv)
    try:
        if args.table == (args.relation is not None):
            raise ValueError("give a relation (a CSV file or a name such as mod3) or --table, not both"
                             if args.table else "give a relation (a CSV file or a name such as mod3), or --table")
        if args.table:
            _check_int("--n", args.n, 2)
            _check_size(f"--n {args.n}", args.n, MAX_N_SEARCH, "the table")
            _check_open_unit("--alpha", args.alpha)
            return _print_to_a_pipe_that_may_close(table_ii_text(args.n, args.alpha))
        named = _cli_named_kind(args.relation)
        if named is not None:
            # checked before relation_matrix allocates its n² bytes
            _check_size(f"--n {args.n}", args.n, MAX_N_MATRIX,
                        "building the (n, n) relation matrix")
            R = geneft.relation_matrix(args.relation, args.n)
            _check_search_cost(args.relation, args.n, R)
            head, text = f"relation: {args.relation}, n = {args.n}", describe(R, named, args.alpha, args.p_star)
        else:
            R, header = _read_relation_csv(args.relation)
            fracs, note = _cli_fracs(R)
            skipped = "" if header is None else (
                f" (first row {','.join(header[:4])}{',...' if len(header) > 4 else ''} skipped: column names)")
            head = f"relation: {args.relation}, n = {len(R)}{skipped}"
            text = describe(R, matrix_kind(R), args.alpha, args.p_star, fracs, bound=True) + note
    except ValueError as err:
        print(f"statics.py: error: {err}", file=sys.stderr)
        return 2
    return _print_to_a_pipe_that_may_close(f"{head}\n{text}")


def _cli_fracs(R):
    """(the CLI_FRACS at which a split of R's n² pairs has a training pair and a test pair,
    a line naming those left out of Appendix D's bound, or ""): a small matrix (2 × 2: 4
    pairs) has no split at frac 0.05, a setting nobody gave. For n < 2, where none has,
    all of them (the relation's own check names what is wrong)."""
    n = np.shape(R)[0]
    kept = tuple(f for f in CLI_FRACS if 1 <= round(f * n * n) < n * n)
    if not kept:
        return CLI_FRACS, ""
    left = [f"{f:g}" for f in CLI_FRACS if f not in kept]
    if not left or matrix_kind(R)[0] not in SECTION_III_KINDS:   # no bound drawn: nothing left out
        return kept, ""
    return kept, (f"\n(Appendix D bound at frac {', '.join(left)} left out: no split of the "
                  f"{n * n} pairs has a training and a test pair there)")


def _print_to_a_pipe_that_may_close(text):
    """Print text; the exit code: 0, or 141 (as a process ended by SIGPIPE) when stdout is
    a pipe its reader closed (`| head -1`), quietly, as Unix tools end; 2, with one line on
    stderr, when stdout cannot be written (a full disk, /dev/full)."""
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:
        _stdout_to_null_device()
        return 141
    except OSError as err:
        _stdout_to_null_device()
        print(f"statics.py: error: cannot write the output ({err.strerror or err})", file=sys.stderr)
        return 2
    return 0


def _stdout_to_null_device():
    """What is still buffered for stdout goes nowhere at exit (else Python reports it)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _escape_what_the_terminal_lacks():
    """stdout and stderr write characters their encoding lacks (PYTHONIOENCODING=ascii, a C
    locale: a file named relé.csv) as backslash escapes instead of failing."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):
            pass


# --- Entry points: each formula above behind its checks -----------------------------
# The formulas hold no checks (an exercise is rewritten without them); each public one is
# rebound below to its entry point, which checks its arguments in the signature's order and
# raises one ValueError naming the first bad one ("name=value is not allowed: ..."). What a
# computation itself finds (data inconsistent with every relation of a kind, a poset with a
# cycle, more than max_states assignments) is its result, raised where it is found.

def _bad(name, value, allowed):
    raise ValueError(f"{name}={value!r} is not allowed: {allowed}")


def _check_int(name, value, low=1):
    if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)) or value < low:
        _bad(name, value, f"{name} must be an integer >= {low}")


def _check_real(name, value, low, why, strict=False):
    """A real number >= low (> low if strict), not a bool or a string."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if not (ok and (value > low if strict else value >= low)):
        _bad(name, value, f"{name} must be a number {'>' if strict else '>='} {low}: {why}")


def _check_open_unit(name, value):
    if not (isinstance(value, (int, float, np.number)) and 0 < value < 1):
        _bad(name, value, f"{name} must lie in (0, 1)")


def _check_size(label, n, limit, what):
    """Refuse an n above limit before anything of size n² is allocated."""
    if n > limit:
        raise ValueError(f"{label} is too large: {what} is limited to n <= {limit}")


def _as_relation(R):
    """R as an (n, n) int8 0/1 matrix (n² bytes; a bool or integer R is checked without
    an n² temporary, since min/max suffice there)."""
    A = np.asarray(R)
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape[0] < 1:
        raise ValueError(f"R of shape {A.shape} is not allowed: R must be a square (n, n) matrix, n >= 1")
    _check_size(f"n={A.shape[0]}", A.shape[0], MAX_N_MATRIX, "an (n, n) relation matrix")
    if A.dtype.kind in "biu":
        ok = A.dtype.kind == "b" or (A.min() >= 0 and A.max() <= 1)
    else:
        ok = np.isin(A, (0, 1)).all()
    if not ok:
        raise ValueError("R has entries other than 0 and 1: R must be a 0/1 matrix")
    return A.astype(np.int8, copy=False)


def _as_known(known):
    """Training data as a square int8 matrix of -1 (unknown), 0 and 1."""
    K = np.asarray(known)
    if K.ndim != 2 or K.shape[0] != K.shape[1] or not np.isin(K, (-1, 0, 1)).all():
        raise ValueError("known is not allowed: it must be a square matrix of -1 (unknown), 0 and 1")
    return K.astype(np.int8, copy=False)


def _check_kind(relation):
    """A Table I name or a 0/1 matrix (returned as int8) of one of Section III's kinds: Table II
    has a row and the text a p* only for Table I's three kinds."""
    if isinstance(relation, str):
        kind, label = geneft.relation_kind(relation)[0], repr(relation)
    else:
        relation = _as_relation(relation)
        kind, label = matrix_kind(relation)[0], "the matrix"
    if kind not in SECTION_III_KINDS:
        what = f"its kind {kind!r}" if kind else ("it is none of an equivalence, a complete "
                                                 "bipartite graph and a strict total order, so it")
        raise ValueError(f"relation={label} is not allowed here: {what} has no Table II row, "
                         f"p* or Appendix D bound in Section III (only {SECTION_III_KINDS})")
    return relation


class _Trusted:
    """Inside, calls skip the entry points' checks: their arguments were checked once, by the
    entry point being run (whose check covers what its formula passes on). One thread at a time."""
    depth = 0

    def __enter__(self):
        _Trusted.depth += 1

    def __exit__(self, *exc):
        _Trusted.depth -= 1


def _checked(formula, check):
    """formula behind check, which takes formula's arguments, raises one ValueError for a
    wrong one, and returns them normalised (a relation as an int8 matrix, m as an array)."""
    @functools.wraps(formula)
    def entry_point(*args, **kwargs):
        if _Trusted.depth:
            return formula(*args, **kwargs)
        args = check(*args, **kwargs)
        with _Trusted():
            return formula(*args)
    return entry_point


def _check_n(n):
    _check_int("n", n)
    return (n,)


def _check_transitive(n, k_avg):
    _check_int("n", n)
    _check_real("k_avg", k_avg, 1, "the mean length of a transitive chain")
    return n, k_avg


def _check_equivalence(n, k):
    _check_int("n", n)
    _check_int("k", k)
    return n, k


def _check_stirling(n, c=math.e):
    _check_int("n", n)
    _check_real("c", c, 0, "Stirling's n log2(n/c)", strict=True)
    return n, c


def _check_incomplete_bipartite(s1, s2):
    _check_int("s1", s1)
    _check_int("s2", s2)
    return s1, s2


def _check_tree(n, d_avg):
    _check_int("n", n)
    _check_real("d_avg", d_avg, 1, "the mean node depth")
    return n, d_avg


def _check_automorphisms(R):
    """A 0/1 matrix; above MAX_N_SEARCH, only one whose |Aut G| has a closed form (the general
    search would run for hours: refused before it starts)."""
    A = _as_relation(R)
    if A.shape[0] > MAX_N_SEARCH and _aut_closed_form(A) is None:
        _check_size(f"n={A.shape[0]}", A.shape[0], MAX_N_SEARCH,
                    "the automorphism search for a relation without a closed form")
    return (A,)


def _check_table_i_b(name, n):
    _check_kind(name)
    _check_int("n", n, 2)
    _check_size(f"n={n}", n, MAX_N_MATRIX, "an (n, n) relation matrix")
    return name, n


def _check_matrix(R):
    return (_as_relation(R),)


def _check_table_ii_b(name, n):
    _check_int("n", n)
    return _check_kind(name), n


def _check_m_b(m, b):
    """Eqs. (1)-(3): b >= 1 buckets, m >= 0 balls (any shape; returned as a float array)."""
    _check_real("b", b, 1, "Eqs. (1)-(5) count b buckets")
    m = np.asarray(m, dtype=np.float64)
    if (m < 0).any():
        _bad("m", m, "the number of samples must be >= 0")
    return m, b


def _check_p_critical(alpha, b, N):
    _check_open_unit("alpha", alpha)
    _check_real("b", b, 1, "Eq. (4) divides by log(1 - 1/b)", strict=True)
    _check_int("N", N)
    return alpha, b, N


def _check_f_upper_bound(m, b, p_star):
    m, b = _check_m_b(m, b)
    if not (isinstance(p_star, (int, float, np.number)) and 0 <= p_star <= 1):
        _bad("p_star", p_star, "p_star must lie in [0, 1]")
    return m, b, p_star


def _check_p_star(name):
    return (_check_kind(name),)


def _check_module(n_samples=100_000, seed=0):
    _check_int("n_samples", n_samples)
    return n_samples, seed


def _check_closure(known, kind):
    K = _as_known(known)
    if kind not in SECTION_III_KINDS:
        _bad("kind", kind, f"use one of {SECTION_III_KINDS}")
    return K, kind


def _check_bubley_dyer(m, eps=0.01):
    _check_int("m", m)
    _check_open_unit("eps", eps)
    return m, eps


def _check_linear_extensions(less, n_samples, rng, eps=0.01, n_steps=None):
    L = np.asarray(less)
    if L.ndim != 2 or L.shape[0] != L.shape[1]:
        raise ValueError(f"less of shape {L.shape} is not allowed: less must be a square (n, n) matrix")
    _check_int("n_samples", n_samples)
    _check_open_unit("eps", eps)
    if n_steps is not None:
        _check_int("n_steps", n_steps, 0)
    return L, n_samples, rng, eps, n_steps


def _check_total_order_bound(known, rng, n_orders=1000, eps=0.01):
    _check_int("n_orders", n_orders)
    _check_open_unit("eps", eps)
    return _as_known(known), rng, n_orders, eps


def _check_mc_bound(name, n, frac, seed, n_orders=1000, eps=0.01, relation_seed=None):
    """Appendix D's bound: a Section III kind, n within its limit (checked before any n² array;
    measurements at MAX_N_MATRIX), n_orders and eps; geneft checks frac, seed, relation_seed."""
    name = _check_kind(name)
    _check_int("n", n, 2)
    limit = MAX_N_MC_ORDER if _kind_of(name)[0] == "total_order" else MAX_N_MC_CLASSES
    _check_size(f"n={n}", n, limit, f"the Appendix D Monte Carlo for {name!r}"
                if isinstance(name, str) else "the Appendix D Monte Carlo")
    _check_int("n_orders", n_orders)
    _check_open_unit("eps", eps)
    return name, n, frac, seed, n_orders, eps, relation_seed


def _check_mc_stats(name, n, frac, seeds, n_orders=1000, eps=0.01, relation_seed=None):
    name, n, frac, _, n_orders, eps, relation_seed = _check_mc_bound(name, n, frac, 0, n_orders, eps,
                                                                     relation_seed)
    if not (seeds := tuple(seeds)):
        _bad("seeds", seeds, "give at least one seed")
    return name, n, frac, seeds, n_orders, eps, relation_seed


def _check_mc_curve(name, n, fracs, seeds, n_orders=1000, eps=0.01, relation_seed=None):
    name, n, _, seeds, n_orders, eps, relation_seed = _check_mc_stats(name, n, None, seeds, n_orders, eps,
                                                                      relation_seed)
    return name, n, tuple(fracs), seeds, n_orders, eps, relation_seed


def _check_posterior(known, name, max_states=500_000):
    name, K = _check_kind(name), _as_known(known)
    _check_enumerable(name, K.shape[0])
    _check_int("max_states", max_states)
    return K, name, max_states


def _check_enumerable(name, n):
    if _kind_of(name)[0] == "total_order" and n > 9:
        _bad("n", n, f"enumerating the n! orders of {name!r} needs n <= 9" if isinstance(name, str)
             else "enumerating the n! total orders needs n <= 9")


def _check_bayes(name, n, frac, seed, relation_seed=None, max_states=500_000):
    name = _check_kind(name)
    _check_int("n", n, 2)
    _check_enumerable(name, n)
    _check_int("max_states", max_states)
    return name, n, frac, seed, relation_seed, max_states


b_generic = _checked(b_generic, _check_n)
b_symmetric = _checked(b_symmetric, _check_n)
b_antisymmetric = _checked(b_antisymmetric, _check_n)
b_reflexive = _checked(b_reflexive, _check_n)
b_transitive = _checked(b_transitive, _check_transitive)
b_equivalence = _checked(b_equivalence, _check_equivalence)
b_total_order = _checked(b_total_order, _check_n)
b_total_order_stirling = _checked(b_total_order_stirling, _check_stirling)
b_complete_bipartite = _checked(b_complete_bipartite, _check_n)
b_incomplete_bipartite = _checked(b_incomplete_bipartite, _check_incomplete_bipartite)
b_tree = _checked(b_tree, _check_tree)
automorphism_count = _checked(automorphism_count, _check_automorphisms)
description_length = _checked(description_length, _check_automorphisms)
table_i_b = _checked(table_i_b, _check_table_i_b)
matrix_kind = _checked(matrix_kind, _check_matrix)
table_ii_b = _checked(table_ii_b, _check_table_ii_b)
expected_empty_buckets = _checked(expected_empty_buckets, _check_m_b)
expected_filled_buckets = _checked(expected_filled_buckets, _check_m_b)
f_inferable = _checked(f_inferable, _check_m_b)
p_critical = _checked(p_critical, _check_p_critical)
f_upper_bound = _checked(f_upper_bound, _check_f_upper_bound)
p_star = _checked(p_star, _check_p_star)
p_star_greater_module = _checked(p_star_greater_module, _check_module)
inference_closure = _checked(inference_closure, _check_closure)
bubley_dyer_steps = _checked(bubley_dyer_steps, _check_bubley_dyer)
sample_linear_extensions = _checked(sample_linear_extensions, _check_linear_extensions)
total_order_bound = _checked(total_order_bound, _check_total_order_bound)
mc_accuracy_bound = _checked(mc_accuracy_bound, _check_mc_bound)
mc_accuracy_bound_stats = _checked(mc_accuracy_bound_stats, _check_mc_stats)
mc_accuracy_curve = _checked(mc_accuracy_curve, _check_mc_curve)
exact_posterior = _checked(exact_posterior, _check_posterior)
exact_bayes_accuracy = _checked(exact_bayes_accuracy, _check_bayes)


if __name__ == "__main__":
    _escape_what_the_terminal_lacks()
    sys.exit(main())
