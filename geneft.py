"""GenEFT in NumPy: the encoder-decoder of Section II, by hand.

Paper: Baek, Liu, Tegmark, "GenEFT: Understanding Statics and Dynamics of Model
Generalization via Physics-Inspired Effective Theory" (2025).
"""
import re

import numpy as np

# --- Section II, Table I: relations and data ---------------------------------

RELATIONS = ("mod3", "mod5", "greater", "bipartite")  # Table I; also any "mod<k>"


def _check_n(n):
    if not isinstance(n, (int, np.integer)) or n < 2:
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


def relation_matrix(name, n, seed=None):
    """Table I by name: 'mod3', 'mod5', 'mod<k>', 'greater' or 'bipartite'; (n, n) int8."""
    _check_n(n)
    m = re.fullmatch(r"mod(\d+)", str(name))
    if m:
        return modk_relation(n, int(m.group(1)))
    if name == "greater":
        return greater_relation(n)
    if name == "bipartite":
        return bipartite_relation(n, seed)
    raise ValueError(
        f"relation={name!r} is not allowed: use one of {RELATIONS} or 'mod<k>'")


def split_pairs(n, frac, seed):
    """Seeded train/test split of all n² ordered pairs (i, j), i == j included.

    Returns (train, test): two sorted int arrays of flat indices i * n + j; the
    training set has round(frac * n²) pairs (DESIGN.md, 'Data').
    """
    _check_n(n)
    if not (isinstance(frac, (int, float, np.floating)) and 0 < frac <= 1):
        raise ValueError(f"frac={frac!r} is not allowed: the training fraction must lie in (0, 1]")
    n_train = int(round(frac * n * n))
    if n_train < 1:
        raise ValueError(f"frac={frac!r} gives no training pair for n={n}: need frac * n² >= 0.5")
    perm = np.random.default_rng(seed).permutation(n * n)
    return np.sort(perm[:n_train]), np.sort(perm[n_train:])
