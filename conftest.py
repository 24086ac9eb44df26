"""Helpers shared by every test file: one relative error, one central difference.

pytest puts this folder on sys.path, so test files import them by name:
    from conftest import rel_error, central_differences
"""
import numpy as np


def rel_error(x, y):
    """CS231n gradient check: max over entries of |x − y| / max(1e-8, |x| + |y|)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def central_differences(loss, params, h=1e-3):
    """Fourth-order central differences of loss for every entry k of every array in params:

        ∂L/∂p_k ≈ [−L(p + 2h e_k) + 8 L(p + h e_k) − 8 L(p − h e_k) + L(p − 2h e_k)] / 12h

    Its error is O(h⁴) + O(ε/h); at h = 1e-3 in float64 both are ~1e-13, so even
    gradient entries of 1e-6 are checked to a relative 1e-7, entry by entry (the
    two-point rule's O(h²) error could not pass rel_error < 1e-6 on such entries).
    loss: a function of the params dict returning a float. Each entry is
    perturbed in place and restored, so params is unchanged afterwards.
    """
    num = {}
    for name, p in params.items():
        num[name] = np.zeros_like(p)
        for ix in np.ndindex(p.shape):
            old = p[ix]
            values = []
            for shift in (2, 1, -1, -2):
                p[ix] = old + shift * h
                values.append(loss(params))
            p[ix] = old
            l2, l1, m1, m2 = values
            num[name][ix] = (-l2 + 8 * l1 - 8 * m1 + m2) / (12 * h)
    return num
