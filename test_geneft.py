"""The test suite: every equation checked against finite differences, a closed
form, or an exact count. Run: python -m pytest -q
"""
import dataclasses
import functools
import itertools
import json
import math
import re
import warnings

import numpy as np
import pytest

import geneft as g
import repons as rp
import statics

# === geneft: model, backprop, optimizers, training, phases ====================


def rel_error(x, y):
    """CS231n relative error of two arrays: max|x − y| / max(1e-8, max(|x| + |y|))."""
    return np.max(np.abs(x - y)) / max(1e-8, np.max(np.abs(x) + np.abs(y)))


def tiny_problem(mode, depth, n=5, d=3, width=4, seed=0):
    """Seeded one-member problem on all n² mod3 pairs (labels 0 and 1 both present)."""
    cfg = g.Config(n=n, d=d, depth=depth, width=width, mode=mode, seed=seed)
    params = {k: v[None] for k, v in g.init_params(cfg, np.random.default_rng(seed)).items()}
    I, J, y = g.pair_labels(g.relation_matrix("mod3", n), np.arange(n * n))
    assert 0 < y.sum() < y.size
    return params, I[None], J[None], y[None].astype(float)


def numerical_grads(params, I, J, y, mode, h=1e-6):
    """Central differences (L(p + h) − L(p − h)) / 2h of every parameter entry."""
    num = {}
    for name, p in params.items():
        num[name] = np.zeros_like(p)
        for ix in np.ndindex(p.shape):
            old = p[ix]
            p[ix] = old + h
            lp = g.loss_and_grads(params, I, J, y, mode)[0][0]
            p[ix] = old - h
            lm = g.loss_and_grads(params, I, J, y, mode)[0][0]
            p[ix] = old
            num[name][ix] = (lp - lm) / (2 * h)
    return num


@pytest.mark.parametrize("mode", g.MODES)
@pytest.mark.parametrize("depth", [0, 1, 3])
def test_backprop_matches_finite_differences(mode, depth):
    params, I, J, y = tiny_problem(mode, depth)
    _, grads = g.loss_and_grads(params, I, J, y, mode)
    num = numerical_grads(params, I, J, y, mode)
    assert set(grads) == set(params)
    for name in params:
        assert grads[name].shape == params[name].shape
        assert rel_error(grads[name], num[name]) < 1e-6, name


def test_loss_is_bce_and_stable_at_huge_logits():
    z = np.array([[1e4, -1e4, 1e4, -1e4, 0.0, 2.0]])
    y = np.array([[1.0, 0.0, 0.0, 1.0, 1.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = g.bce_with_logits(z, y)
        grad = g.bce_grad(z, y)
    # Right answers cost 0, wrong ones |z|; σ(0) = 1/2; softplus(2) = log(1 + e²).
    expected = (0 + 0 + 1e4 + 1e4 + np.log(2) + np.log1p(np.exp(2.0))) / 6
    assert loss[0] == pytest.approx(expected, rel=1e-15)
    s2 = 1 / (1 + np.exp(-2.0))
    np.testing.assert_allclose(grad, [[0, 0, 1 / 6, -1 / 6, -1 / 12, s2 / 6]], rtol=1e-15, atol=0)


def test_combine_modes_are_section_iii():
    Ei = np.array([[[1.0, 2.0]]])
    Ej = np.array([[[4.0, -1.0]]])
    np.testing.assert_array_equal(g.combine(Ei, Ej, "concat"), [[[1, 2, 4, -1]]])
    np.testing.assert_array_equal(g.combine(Ei, Ej, "diff"), [[[-3, 3]]])
    np.testing.assert_array_equal(g.combine(Ei, Ej, "sqdiff"), [[[9, 9]]])


def test_param_shapes_follow_the_depth_convention():
    shapes = g.param_shapes(n=30, d=2, depth=3, width=50, mode="concat")
    assert list(shapes) == g.layer_names(3) == ["E", "W1", "b1", "W2", "b2", "W3", "b3", "W4", "b4"]
    assert shapes["E"] == (30, 2) and shapes["W1"] == (4, 50) and shapes["W4"] == (50, 1)
    assert g.param_shapes(30, 2, 0, 50, "diff") == {"E": (30, 2), "W1": (2, 1), "b1": (1,)}


def test_init_scales_follow_design():
    cfg = g.Config(n=400, d=5, width=200, init_enc=0.5, init_dec=3.0)
    p = g.init_params(cfg, np.random.default_rng(0))
    assert np.std(p["E"]) == pytest.approx(0.5, rel=0.03)
    bound = 3.0 / np.sqrt(200)  # W2: fan_in = width
    assert np.max(np.abs(p["W2"])) <= bound and np.max(np.abs(p["W2"])) > 0.99 * bound


def one_member(values):
    return {k: np.array([v], dtype=float) for k, v in values.items()}


def test_sgd_step_by_hand():
    params = {"E": np.array([[[1.0, -2.0]]]), "W1": np.array([[[0.5], [0.25]]]), "b1": np.array([[0.1]])}
    grads = {"E": np.array([[[0.3, 0.4]]]), "W1": np.array([[[-1.0], [2.0]]]), "b1": np.array([[0.5]])}
    lr, wd = one_member({"enc": 0.1, "dec": 0.01}), one_member({"enc": 0.5, "dec": 2.0})
    g.sgd_step(params, grads, lr, wd)
    # p − η (g + λ p): encoder η = 0.1, λ = 0.5; decoder η = 0.01, λ = 2
    np.testing.assert_allclose(params["E"], [[[1 - 0.1 * (0.3 + 0.5), -2 - 0.1 * (0.4 - 1.0)]]], rtol=1e-15)
    np.testing.assert_allclose(params["W1"], [[[0.5 - 0.01 * (-1 + 1.0)], [0.25 - 0.01 * (2 + 0.5)]]], rtol=1e-15)
    np.testing.assert_allclose(params["b1"], [[0.1 - 0.01 * (0.5 + 0.2)]], rtol=1e-15)


def test_adam_steps_by_hand_with_weight_decay():
    """Two Adam steps on a scalar, written out: catches a missing bias correction."""
    p0, g0, g1, lam, eta = 1.0, 0.2, -0.1, 0.3, 0.01
    params = {"E": np.array([[[p0]]])}
    state = g.adam_init(params)
    lr, wd = one_member({"enc": eta, "dec": 0.0}), one_member({"enc": lam, "dec": 0.0})
    b1, b2, eps = 0.9, 0.999, 1e-8
    m = v = 0.0
    p = p0
    for t, grad in enumerate([g0, g1], start=1):
        g.adam_step(params, {"E": np.array([[[grad]]])}, state, lr, wd)
        gt = grad + lam * p
        m = b1 * m + (1 - b1) * gt
        v = b2 * v + (1 - b2) * gt * gt
        p = p - eta * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        assert params["E"][0, 0, 0] == pytest.approx(p, rel=1e-14)


def test_adam_constant_gradient_moves_eta_each_step():
    """With bias correction, a constant gradient moves p by ≈ η at steps 1, 2, 3, 4."""
    params = {"E": np.zeros((1, 1, 1))}
    state = g.adam_init(params)
    lr, wd = one_member({"enc": 1e-3, "dec": 0.0}), one_member({"enc": 0.0, "dec": 0.0})
    for t in range(1, 5):
        before = params["E"].copy()
        g.adam_step(params, {"E": np.full((1, 1, 1), 0.7)}, state, lr, wd)
        assert before[0, 0, 0] - params["E"][0, 0, 0] == pytest.approx(1e-3, rel=1e-7)


SMALL = g.Config(n=8, d=2, depth=1, width=8, frac=0.75, steps=60, eval_every=10, seed=0)


def assert_same_history(a, b, tol):
    for k in ("train_loss", "test_loss", "train_acc", "test_acc", "all_acc"):
        np.testing.assert_allclose(getattr(a, k), getattr(b, k), rtol=tol, atol=0, err_msg=k)
    np.testing.assert_allclose(a.final_E, b.final_E, rtol=tol, atol=0)
    assert (a.step_train_90, a.step_test_90, a.diverged_at, a.stopped_at) == \
           (b.step_train_90, b.step_test_90, b.diverged_at, b.stopped_at)


def test_ensemble_equals_single_runs():
    members = [dataclasses.replace(SMALL, relation=rel, seed=s, lr_enc=le, lr_dec=ld,
                                   wd_dec=wd, init_enc=ie)
               for rel, s, le, ld, wd, ie in [("mod3", 0, 1e-2, 1e-3, 0.0, 1.0),
                                              ("greater", 1, 3e-3, 1e-2, 0.1, 0.5),
                                              ("bipartite", 2, 1e-3, 3e-2, 0.0, 2.0),
                                              ("mod5", 3, 3e-2, 3e-3, 0.01, 1.0)]]
    for opt in g.OPTIMIZERS:
        ms = [dataclasses.replace(c, optimizer=opt) for c in members]
        together = g.train_ensemble(ms)
        for c, h in zip(ms, together):
            assert_same_history(h, g.train(c), tol=1e-10)


def test_same_seed_is_bit_identical_and_seeds_differ():
    a, b = g.train(SMALL), g.train(SMALL)
    assert np.array_equal(a.train_loss, b.train_loss) and np.array_equal(a.final_E, b.final_E)
    c = g.train(dataclasses.replace(SMALL, seed=1))
    assert not np.array_equal(a.final_E, c.final_E)


def test_float32_tracks_float64():
    a = g.train(SMALL)
    b = g.train(dataclasses.replace(SMALL, dtype="float32"))
    assert b.final_E.dtype == np.float32
    np.testing.assert_allclose(b.train_loss, a.train_loss, rtol=1e-4)


def test_history_records_milestones_at_eval_steps():
    h = g.train(dataclasses.replace(SMALL, steps=55, eval_every=10))
    assert list(h.steps) == [0, 10, 20, 30, 40, 50, 55]
    for step, acc in ((h.step_train_90, h.train_acc), (h.step_test_90, h.test_acc)):
        above = np.flatnonzero(acc > 0.9)
        assert step == (h.steps[above[0]] if above.size else None)
    n_tr = round(SMALL.frac * SMALL.n ** 2)
    np.testing.assert_allclose(h.all_acc, (n_tr * h.train_acc + (64 - n_tr) * h.test_acc) / 64)


def test_mod3_table_iii_defaults_reach_train_accuracy_one():
    h = g.train(g.Config(steps=800, eval_every=50, seed=0))  # Table III, Adam, n = 30
    assert h.train_acc[-1] == 1.0


@pytest.mark.parametrize("st, se, phase", [
    (100, 500, g.GENERALIZATION),     # gap 400 < 1000
    (100, 1099, g.GENERALIZATION),    # gap 999
    (100, 1100, g.GROKKING),          # gap exactly at the threshold is not < 1e3
    (100, 5000, g.GROKKING),
    (500, 200, g.GENERALIZATION),     # test first: negative gap
    (100, None, g.MEMORIZATION),      # test never reaches 0.9
    (100, 100_001, g.MEMORIZATION),   # ... not within the budget
    (None, None, g.CONFUSION),        # train never reaches 0.9
    (None, 300, g.CONFUSION),         # Table IV has no train-No/test-Yes row
    (100_000, 100_000, g.GENERALIZATION),  # both exactly at the budget count
])
def test_table_iv_phases(st, se, phase):
    assert g.classify_phase(st, se, budget=100_000, gap=1000) == phase


def test_diverged_is_confusion_and_gap_scales_with_budget():
    assert g.classify_phase(10, 20, 100_000, 1000, diverged=True) == g.CONFUSION
    assert g.Config(steps=100_000).gap == 1000 and g.Config(steps=5000).gap == 50
    assert g.Config(steps=5000, grok_gap=7).gap == 7


def test_history_phase_uses_the_config_gap():
    h = g.train(dataclasses.replace(SMALL, steps=60))
    h.step_train_90, h.step_test_90 = 10, 10 + SMALL.gap
    assert h.phase == g.GROKKING
    h.step_test_90 = 10 + SMALL.gap - 1
    assert h.phase == g.GENERALIZATION


def test_diverging_member_is_frozen_and_others_untouched():
    good = [dataclasses.replace(SMALL, optimizer="sgd", mode="sqdiff", seed=s, lr_enc=0.1, lr_dec=0.1)
            for s in range(3)]
    wild = [dataclasses.replace(good[0], lr_enc=1e3, lr_dec=1e3),        # diverging rate, finite loss
            dataclasses.replace(good[0], lr_enc=1e200, lr_dec=1e200)]    # (E_i − E_j)² overflows: NaN loss
    alone = g.train_ensemble(good)
    mixed = g.train_ensemble(good[:1] + wild + good[1:])
    for a, b in zip(alone, mixed[:1] + mixed[3:]):
        assert_same_history(a, b, tol=0)
    blown = mixed[2]
    assert blown.diverged and blown.phase == g.CONFUSION
    assert blown.stopped_at == blown.diverged_at < SMALL.steps
    assert mixed[1].phase == g.CONFUSION  # lr 1e3 never learns, though its loss stays finite


def test_stop_when_decided_keeps_the_phase():
    cfgs = [dataclasses.replace(SMALL, n=10, depth=0, mode="sqdiff", steps=400, seed=s,
                                lr_enc=lr, lr_dec=lr) for s in range(3) for lr in (1e-2, 1e-1)]
    full = g.train_ensemble(cfgs)
    early = g.train_ensemble([dataclasses.replace(c, stop_when_decided=True) for c in cfgs])
    assert [h.phase for h in early] == [h.phase for h in full]
    assert any(h.stopped_at < 400 for h in early)
    for f, e in zip(full, early):
        k = len(e.steps[e.steps <= e.stopped_at])
        np.testing.assert_array_equal(f.train_loss[:k], e.train_loss[:k])


@pytest.mark.parametrize("field, value, words", [
    ("relation", "mod_three", "relation='mod_three'"),
    ("mode", "product", "mode='product'"),
    ("n", 1, "n=1"),
    ("frac", 0.0, "frac=0.0"),
    ("frac", 1.5, "frac=1.5"),
    ("lr_enc", -1e-3, "lr_enc=-0.001"),
    ("lr_dec", -1.0, "lr_dec=-1.0"),
    ("width", -5, "width=-5"),
    ("depth", -1, "depth=-1"),
    ("optimizer", "rmsprop", "optimizer='rmsprop'"),
    ("init_enc", 0.0, "init_enc=0.0"),
])
def test_bad_config_raises_naming_the_value(field, value, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(".", r"\.")) as err:
        g.train(dataclasses.replace(SMALL, **{field: value}))
    assert "allowed" in str(err.value) or "must" in str(err.value)


def test_bad_relation_and_split_inputs():
    with pytest.raises(ValueError, match="relation='cyclic'"):
        g.relation_matrix("cyclic", 5)
    with pytest.raises(ValueError, match="n=1"):
        g.relation_matrix("greater", 1)
    with pytest.raises(ValueError, match=r"frac=-0\.2"):
        g.split_pairs(5, -0.2, 0)


def test_mismatched_ensemble_architectures_raise():
    with pytest.raises(ValueError, match=r"configs\[1\]\.depth=2 differs"):
        g.train_ensemble([SMALL, dataclasses.replace(SMALL, depth=2)])
    with pytest.raises(ValueError, match=r"configs\[1\]\.mode='diff' differs"):
        g.train_ensemble([SMALL, dataclasses.replace(SMALL, mode="diff")])
    with pytest.raises(ValueError, match="configs=\\[\\]"):
        g.train_ensemble([])


def test_table_i_relations():
    n = 7
    x = np.arange(n)
    for k in (3, 5):
        R = g.relation_matrix(f"mod{k}", n)
        assert all(R[a, b] == (a % k == b % k) for a in x for b in x)
    G = g.relation_matrix("greater", n)
    assert G[2, 5] == 1 and G[5, 2] == 0 and G.trace() == 0 and G.sum() == n * (n - 1) // 2
    B = g.relation_matrix("bipartite", n)
    S = set(g.bipartite_set(n))
    assert len(S) == n // 2
    assert all(B[a, b] == ((a in S) != (b in S)) for a in x for b in x)
    Bs = g.relation_matrix("bipartite", n, seed=3)
    assert (Bs == Bs.T).all() and Bs.sum() == 2 * (n // 2) * (n - n // 2)


def test_split_is_seeded_partition():
    tr, te = g.split_pairs(10, 0.3, seed=4)
    assert len(tr) == 30 and len(te) == 70
    assert np.array_equal(np.sort(np.concatenate([tr, te])), np.arange(100))
    assert np.array_equal(tr, g.split_pairs(10, 0.3, seed=4)[0])
    assert not np.array_equal(tr, g.split_pairs(10, 0.3, seed=5)[0])


# === Theorem 1: clustering of same-class embeddings ==========================

def test_cluster_ratio_by_hand():
    E = np.array([[0.0, 0.0], [0.0, 0.0], [3.0, 4.0], [3.0, 4.0]])
    assert g.cluster_ratio(E, np.array([0, 0, 1, 1])) == 0.0
    # classes {0, 2}, {1, 3}: within distances 5, 5; between: 0, 5, 5, 0 (each twice)
    assert g.cluster_ratio(E, np.array([0, 1, 0, 1])) == pytest.approx(5 / 2.5)
    np.testing.assert_array_equal(g.class_labels(g.relation_matrix("mod3", 6)) % 3,
                                  g.class_labels(g.relation_matrix("mod3", 6)))
    with pytest.raises(ValueError, match="labels"):
        g.cluster_ratio(E, np.arange(4))


def test_theorem1_generalized_injective_decoder_clusters_classes():
    """d = 1, sqdiff, no hidden layer: the logit is monotone in |E_i − E_j|, an injective
    decoder of the distance, so zero loss forces same-class embeddings together."""
    cfg = g.Config(n=12, d=1, depth=0, mode="sqdiff", frac=0.5, steps=1500, eval_every=50,
                   lr_enc=1e-2, lr_dec=1e-2, seed=1)
    labels = g.class_labels(g.relation_matrix("mod3", cfg.n))
    E0 = g.init_params(cfg, np.random.default_rng((cfg.seed, 1)))["E"]
    h = g.train(cfg)
    assert h.phase == g.GENERALIZATION and h.test_acc[-1] == 1.0
    assert g.cluster_ratio(E0, labels) > 0.5
    assert g.cluster_ratio(h.final_E, labels) < 0.05


# === statics: Section III and Appendix D ===================================
# Section III (Table II, b from |Aut G|, Eqs. (1)-(5), p*) and Appendix D
# (inference closure, uniform linear extensions, Monte Carlo bound vs exact Bayes).


def _statics_brute_aut(R):
    """|Aut G| by checking all n! permutations g: R[g[i], g[j]] == R[i, j]."""
    n = R.shape[0]
    perms = np.array(list(itertools.permutations(range(n))))
    return int((R[perms[:, :, None], perms[:, None, :]] == R).all(axis=(1, 2)).sum())


def _statics_kac(a, c):
    side = np.r_[np.zeros(a, bool), np.ones(c, bool)]
    return (side[:, None] != side[None, :]).astype(np.int8)


def test_statics_table_ii_rows_hand_values():
    assert statics.b_generic(4) == 16
    assert statics.b_symmetric(4) == 10
    assert statics.b_antisymmetric(4) == 6
    assert statics.b_reflexive(4) == 12
    assert statics.b_transitive(4, 3) == 8            # 16 / 2!
    assert statics.b_equivalence(4, 2) == 4
    assert statics.b_total_order(4) == pytest.approx(math.log2(24), rel=1e-14)
    assert statics.b_total_order_stirling(8, c=2) == pytest.approx(16.0, rel=1e-14)
    assert statics.b_total_order_stirling(30) == pytest.approx(30 * math.log2(30 / math.e), rel=1e-14)
    assert statics.b_complete_bipartite(4) == 4
    assert statics.b_incomplete_bipartite(2, 3) == 6
    assert statics.b_tree(8, 4) == 16


def test_statics_automorphisms_hand_worked_n4():
    """Directed 4-cycle: the 4 rotations; undirected 4-cycle: dihedral, 8;
    path 0-1-2-3: the reversal, 2; star K_{1,3}: the 3! leaf permutations."""
    cyc = np.roll(np.eye(4, dtype=np.int8), 1, axis=1)
    path = np.zeros((4, 4), np.int8)
    path[[0, 1, 2], [1, 2, 3]] = 1
    star = np.zeros((4, 4), np.int8)
    star[0, 1:] = 1
    assert statics.automorphism_count(cyc) == 4
    assert statics.automorphism_count(cyc | cyc.T) == 8
    assert statics.automorphism_count(path | path.T) == 2
    assert statics.automorphism_count(star | star.T) == 6


def test_statics_automorphisms_closed_forms():
    f = math.factorial
    assert statics.automorphism_count(g.relation_matrix("greater", 30)) == 1
    for a, c in [(3, 5), (10, 20), (1, 6)]:
        assert statics.automorphism_count(_statics_kac(a, c)) == f(a) * f(c)
    for a in (4, 15):
        assert statics.automorphism_count(_statics_kac(a, a)) == 2 * f(a) ** 2
    for n, k in [(30, 3), (30, 5), (12, 4)]:
        assert statics.automorphism_count(g.relation_matrix(f"mod{k}", n)) == f(n // k) ** k * f(k)
    assert statics.automorphism_count(g.relation_matrix("mod3", 30)) == f(10) ** 3 * 6
    # unequal classes, mod3 on 8: sizes 3, 3, 2, and the two 3-classes may swap
    assert statics.automorphism_count(g.relation_matrix("mod3", 8)) == 6 * 6 * 2 * 2


def test_statics_automorphisms_match_brute_force():
    cases = [g.relation_matrix(name, n, seed)
             for n in range(2, 7) for name in g.RELATIONS for seed in (None, 1)]
    rng = np.random.default_rng(0)
    for _ in range(60):                                   # random digraphs with loops
        n = int(rng.integers(1, 7))
        cases.append((rng.random((n, n)) < rng.random()).astype(np.int8))
    for bits in range(2 ** 9):                            # every digraph with loops on 3
        cases.append(np.array([(bits >> i) & 1 for i in range(9)], np.int8).reshape(3, 3))
    iu = np.triu_indices(5, 1)
    for bits in range(2 ** 10):                           # every simple graph on 5
        R = np.zeros((5, 5), np.int8)
        R[iu] = [(bits >> i) & 1 for i in range(10)]
        cases.append(R | R.T)
    for bits in range(2 ** 6):                            # every circulant digraph on 6
        conn = [(bits >> i) & 1 for i in range(6)]
        cases.append(np.array([[conn[(j - i) % 6] for j in range(6)] for i in range(6)], np.int8))
    for R in cases:
        assert statics.automorphism_count(R) == _statics_brute_aut(R), R


def test_statics_automorphisms_fast_for_table_i_n30():
    import time
    for name in g.RELATIONS:
        t0 = time.perf_counter()
        statics.automorphism_count(g.relation_matrix(name, 30))
        assert time.perf_counter() - t0 < 1.0, name      # measured ~0.15 s on 2 cores


def test_statics_description_length_table_i():
    f = math.factorial
    b_mod3, row_mod3 = statics.table_i_b("mod3", 30)
    assert b_mod3 == pytest.approx(math.log2(f(30) // (f(10) ** 3 * 6)), rel=1e-14)
    assert row_mod3 == pytest.approx(30 * math.log2(3), rel=1e-14)
    b_gt, row_gt = statics.table_i_b("greater", 30)
    assert b_gt == pytest.approx(math.log2(f(30)), rel=1e-14) and row_gt == pytest.approx(b_gt, rel=1e-14)
    b_bip, row_bip = statics.table_i_b("bipartite", 30)
    assert b_bip == pytest.approx(math.log2(math.comb(30, 15) / 2), rel=1e-14) and row_bip == 30
    # K_{a,c}, a != c: b = log2 C(n, a) as Section III says
    assert statics.description_length(_statics_kac(3, 5)) == pytest.approx(math.log2(math.comb(8, 3)), rel=1e-14)


def test_statics_eq4_solves_eq3():
    for alpha in (0.5, 0.9, 0.99):
        for b in (2.0, 39.75, 107.7, 1000.0):
            for N in (100, 900):
                p_c = statics.p_critical(alpha, b, N)
                assert statics.f_inferable(N * p_c, b) == pytest.approx(alpha, rel=1e-12)
    # Eq. (4) read literally: log2(1 - α) / (N log2(1 - 1/b))
    assert statics.p_critical(0.9, 40.0, 900) == pytest.approx(math.log2(0.1) / (900 * math.log2(1 - 1 / 40)), rel=1e-13)


def test_statics_eq3_is_the_balls_in_buckets_expectation():
    """Eqs. (1)-(3): throw m balls into b buckets; the mean filled fraction is f(m).
    20 000 seeded trials: the empirical mean lies within 4 standard errors."""
    b, m, trials = 40, 90, 20_000
    rng = np.random.default_rng(0)
    balls = rng.integers(0, b, size=(trials, m))
    filled = np.zeros((trials, b), bool)
    filled[np.arange(trials)[:, None], balls] = True
    frac = filled.mean(axis=1)
    se = frac.std(ddof=1) / math.sqrt(trials)
    assert abs(frac.mean() - statics.f_inferable(m, b)) < 4 * se
    assert statics.f_inferable(0, b) == 0 and statics.f_inferable(1, b) == pytest.approx(1 / b, rel=1e-14)
    assert statics.expected_empty_buckets(m, b) == pytest.approx(b * (1 - 1 / b) ** m, rel=1e-13)     # Eq. (1)
    assert statics.expected_filled_buckets(m, b) == pytest.approx(filled.sum(axis=1).mean(), abs=4 * b * se)  # Eq. (2)


def test_statics_eq5_limits_and_p_star():
    for p in (1 / 3, 0.5, 0.2):
        assert statics.f_upper_bound(0, 30.0, p) == pytest.approx(max(p, 1 - p), rel=1e-14)
        assert statics.f_upper_bound(1e5, 30.0, p) == pytest.approx(1.0, rel=1e-14)
        assert statics.f_upper_bound(50, 30.0, p) == pytest.approx(statics.f_upper_bound(50, 30.0, 1 - p), rel=1e-14)
    curve = statics.f_upper_bound(np.arange(0, 900, 10), 40.0, 1 / 3)
    assert (np.diff(curve) > 0).all()
    assert statics.p_star("mod3") == 1 / 3 and statics.p_star("mod5") == 1 / 5
    assert statics.p_star("bipartite") == 0.5 and statics.p_star("greater") == 1 / 3
    est, se = statics.p_star_greater_module(100_000, seed=0)
    assert abs(est - 1 / 3) < 4 * se and se < 0.0025   # se ≈ √(2/9 / 50 000)


def _statics_all_members(kind, n):
    """Every relation of the class on n elements, (M, n, n) bool (duplicates allowed)."""
    if kind == "total_order":
        rank = np.array(list(itertools.permutations(range(n))))
        return rank[:, :, None] < rank[:, None, :]
    labels = np.array(list(itertools.product(range(n if kind == "equivalence" else 2), repeat=n)))
    same = labels[:, :, None] == labels[:, None, :]
    return same if kind == "equivalence" else ~same


def test_statics_closure_matches_brute_force():
    """Closure = exactly the entries on which every consistent class member agrees:
    all equivalence relations, all complete bipartite graphs, all strict total orders."""
    rng = np.random.default_rng(1)
    for kind in ("equivalence", "bipartite", "total_order"):
        for n in (4, 6):
            members = _statics_all_members(kind, n)
            for _ in range(25):
                R = members[rng.integers(len(members))].astype(np.int8)
                train = rng.permutation(n * n)[: rng.integers(0, n * n // 2)]
                known = statics.known_matrix(R, train)
                mask = known >= 0
                agree = members[(members[:, mask] == (known[mask] == 1)).all(axis=1)]
                determined = agree.all(axis=0) | ~agree.any(axis=0)
                expect = np.where(determined, agree[0], -1)
                np.testing.assert_array_equal(statics.inference_closure(known, kind), expect)


def test_statics_closure_rejects_inconsistent_data():
    K = np.full((3, 3), -1, np.int8)
    K[0, 1] = K[1, 2] = 1
    K[0, 2] = 0
    with pytest.raises(ValueError, match="equivalence"):
        statics.inference_closure(K, "equivalence")
    with pytest.raises(ValueError, match="total order"):     # 0 < 1 < 2 and 2 < 0
        statics.inference_closure(np.array([[-1, 1, -1], [-1, -1, 1], [1, -1, -1]], np.int8), "total_order")
    with pytest.raises(ValueError, match="bipartite"):       # odd cycle of "opposite sides"
        statics.inference_closure(np.array([[-1, 1, 1], [-1, -1, 1], [-1, -1, -1]], np.int8), "bipartite")
    with pytest.raises(ValueError, match="kind"):
        statics.inference_closure(K, "tree")


# the 99.9 % quantiles of the chi-square distribution (standard tables)
STATICS_CHI2_999 = {5: 20.515, 19: 43.820}


def _statics_chi2(orders, n_ext):
    _, counts = np.unique(orders, axis=0, return_counts=True)
    assert len(counts) == n_ext
    expected = len(orders) / n_ext
    return float(((counts - expected) ** 2 / expected).sum())


def test_statics_linear_extension_sampler_is_uniform():
    """Poset 0<1, 0<2, 3<4 on 5 elements: 5!/(3·2) = 20 extensions, 20 000 samples,
    chi-square (19 dof) below its 99.9 % point, seed fixed. The naive sampler
    (a uniformly chosen minimal element first) is biased and fails the same test.
    Second poset {0,1} < {2,3,4} with 2<3 (series blocks): 2 · 3 = 6 extensions."""
    less = np.zeros((5, 5), bool)
    less[0, 1] = less[0, 2] = less[3, 4] = True
    rng = np.random.default_rng(0)
    orders = statics.sample_linear_extensions(less, 20_000, rng)
    assert _statics_chi2(orders, 20) < STATICS_CHI2_999[19]
    longer = statics.sample_linear_extensions(less, 4_000, rng, n_steps=4_200)   # 3 random-number chunks
    assert _statics_chi2(longer, 20) < STATICS_CHI2_999[19]
    naive = []
    for _ in range(20_000):
        left, order = set(range(5)), []
        while left:
            minimal = sorted(x for x in left if not any(less[y, x] for y in left))
            order.append(minimal[rng.integers(len(minimal))])
            left.remove(order[-1])
        naive.append(order)
    assert _statics_chi2(np.array(naive), 20) > 10 * STATICS_CHI2_999[19]
    less2 = np.zeros((5, 5), bool)
    less2[np.ix_([0, 1], [2, 3, 4])] = True
    less2[2, 3] = True
    orders2 = statics.sample_linear_extensions(less2, 6_000, rng)
    assert set(orders2[:, :2].ravel()) == {0, 1}
    assert _statics_chi2(orders2, 6) < STATICS_CHI2_999[5]


def test_statics_bubley_dyer_bound_exact_on_small_posets():
    """The exact transition matrix of the chain, powered to bubley_dyer_steps(m, ε),
    is within total variation ε = 0.01 of uniform from every start."""
    def chain_tv(less, steps):
        m = less.shape[0]
        ext = [p for p in itertools.permutations(range(m))
               if not any(less[p[b], p[a]] for a in range(m) for b in range(a + 1, m))]
        index = {p: i for i, p in enumerate(ext)}
        q = np.array([p * (m - p) for p in range(1, m)], float)
        q /= q.sum()
        P = np.zeros((len(ext), len(ext)))
        for p in ext:
            for t in range(m - 1):
                s = list(p)
                s[t], s[t + 1] = s[t + 1], s[t]
                blocked = less[p[t], p[t + 1]] or less[p[t + 1], p[t]]
                P[index[p], index[p] if blocked else index[tuple(s)]] += q[t] / 2
                P[index[p], index[p]] += q[t] / 2
        return 0.5 * np.abs(np.linalg.matrix_power(P, steps) - 1 / len(ext)).sum(axis=1).max()
    three_pairs = np.zeros((6, 6), bool)
    three_pairs[[0, 2, 4], [1, 3, 5]] = True
    for less in (np.zeros((4, 4), bool), np.zeros((5, 5), bool), three_pairs):
        assert chain_tv(less, statics.bubley_dyer_steps(less.shape[0], 0.01)) <= 0.01


def test_statics_exact_posterior_matches_brute_force_labelings():
    """The component enumeration of exact_posterior equals the plain average over all
    k^n class labelings that agree with the data (i.i.d. uniform prior), to 1e-12."""
    rng = np.random.default_rng(2)
    for name, k in (("mod3", 3), ("mod5", 5), ("bipartite", 2)):
        for n in (5, 7):
            labels = np.array(list(itertools.product(range(k), repeat=n)))
            members = (labels[:, :, None] == labels[:, None, :]) ^ (name == "bipartite")
            for _ in range(6):
                R = g.relation_matrix(name, n, int(rng.integers(100)))
                known = statics.known_matrix(R, rng.permutation(n * n)[: rng.integers(0, n * n // 2)])
                mask = known >= 0
                agree = members[(members[:, mask] == (known[mask] == 1)).all(axis=1)]
                np.testing.assert_allclose(statics.exact_posterior(known, name), agree.mean(axis=0),
                                           rtol=0, atol=1e-12)


def test_statics_mc_total_order_matches_exact_bayes():
    """'greater', n = 7: the paper's assumptions hold exactly (uniform linear
    extensions = the posterior of a uniform prior on the 7! orders), so
    exact - u·ε - 4 se <= MC <= exact + u·(ε + 0.5/√S) + 4 se, u = undetermined
    fraction: Jensen bias in [0, 0.5/√S] per entry, chain error <= ε = 0.01."""
    S = 4000
    for frac in (0.1, 0.2, 0.3):
        for seed in (0, 1, 2):
            mc = statics.mc_accuracy_bound("greater", 7, frac, seed, n_orders=S)
            exact = statics.exact_bayes_accuracy("greater", 7, frac, seed)
            u = 1 - mc.inferred_frac
            assert exact - u * 0.01 - 4 * mc.std_err <= mc.accuracy, (frac, seed)
            assert mc.accuracy <= exact + u * (0.01 + 0.5 / math.sqrt(S)) + 4 * mc.std_err, (frac, seed)


def test_statics_mc_bipartite_is_an_upper_bound_proved():
    """Complete bipartite (k = 2), proved: call a vertex isolated if it has no known
    off-diagonal entry. Exact Bayes (i.i.d. sides): 1 inside a component of the
    known-entry graph, 1/2 for every other pair. The paper's pos[]: an isolated
    vertex has pos = {0, 1}, so p_u = 1/2 with anyone; any other vertex has a
    single candidate side, so pairs of non-isolated vertices count 1 even across
    components. Hence MC - exact = (1/2)·#(ordered pairs of non-isolated vertices
    in different components) / n² >= 0, zero iff those vertices are connected."""
    for n in (6, 8):
        for frac in (0.05, 0.1, 0.2):
            for seed in range(15):
                train = g.split_pairs(n, frac, seed)[0]
                i, j = np.divmod(train, n)
                off = i != j
                reach = np.eye(n, dtype=np.int64)
                reach[i[off], j[off]] = reach[j[off], i[off]] = 1
                for _ in range(n):                        # reachability = same component
                    reach = np.minimum(reach @ reach, 1)
                active = np.zeros(n, bool)
                active[i[off]] = active[j[off]] = True
                cross = (active[:, None] & active[None, :] & (reach == 0)).sum()
                mc = statics.mc_accuracy_bound("bipartite", n, frac, seed).accuracy
                exact = statics.exact_bayes_accuracy("bipartite", n, frac, seed)
                assert mc - exact == pytest.approx(0.5 * cross / n ** 2, abs=1e-12)


def test_statics_mc_equivalence_is_not_an_upper_bound_hand_worked():
    """mod3, n = 4, known: R_01 = R_10 = R_23 = R_32 = 0 and the diagonal. Exact
    Bayes (i.i.d. classes): each of the 8 other entries has P(R = 1) = 1/3, so
    accuracy = (8 + 8·2/3)/16 = 5/6. The paper's pos[] depends on the true classes:
    classes (1, 0, 1, 0): pos = {1,2}, {0,2}, {1,2}, {0,2}; p_u = 1/2, 1/4, 1/4, 1/2
    for (0,2), (0,3), (1,2), (1,3): (8 + 2·2.5)/16 = 13/16 < 5/6.
    classes (1, 0, 2, 0): pos = {1,2}, {0,2}, {1,2}, {0,1}; p_u = 1/2, 1/4, 1/4, 1/4:
    (8 + 2·2.75)/16 = 27/32 > 5/6. So for k >= 3 the independence approximation
    is neither an upper nor a lower bound on the exact Bayes accuracy."""
    K = np.full((4, 4), -1, np.int8)
    K[[0, 1, 2, 3], [1, 0, 3, 2]] = 0
    closed = statics.inference_closure(K, "equivalence")
    p1 = statics.exact_posterior(K, "mod3")
    assert np.maximum(p1, 1 - p1).mean() == pytest.approx(5 / 6, abs=1e-15)
    assert statics.equivalence_bound(closed, [1, 0, 1, 0], 3).accuracy == pytest.approx(13 / 16, abs=1e-15)
    assert statics.equivalence_bound(closed, [1, 0, 2, 0], 3).accuracy == pytest.approx(27 / 32, abs=1e-15)


def test_statics_mc_equivalence_exact_where_assumptions_hold():
    """With no off-diagonal data every pos[i] = all k classes, p_u = 1/k, which is
    the exact i.i.d.-class posterior; with all data both give 1."""
    for name, k in (("mod3", 3), ("mod5", 5)):
        n = 5
        K = np.full((n, n), -1, np.int8)
        np.fill_diagonal(K, 1)
        mc = statics.equivalence_bound(statics.inference_closure(K, "equivalence"), np.arange(n) % k, k)
        p1 = statics.exact_posterior(K, name)
        assert mc.accuracy == pytest.approx(np.maximum(p1, 1 - p1).mean(), abs=1e-15)
        assert mc.accuracy == pytest.approx((n + (n * n - n) * (1 - 1 / k)) / n ** 2, abs=1e-15)
        assert statics.mc_accuracy_bound(name, 6, 1.0, 0).accuracy == 1.0
        assert statics.exact_bayes_accuracy(name, 6, 1.0, 0) == 1.0


def test_statics_mc_bound_counts_all_pairs_and_is_reproducible():
    for name in g.RELATIONS:
        r = statics.mc_accuracy_bound(name, 12, 0.2, 3, n_orders=50)
        assert round(0.2 * 144) / 144 <= r.inferred_frac <= r.accuracy <= 1.0
        again = statics.mc_accuracy_bound(name, 12, 0.2, 3, n_orders=50)        # same seed, same bits
        np.testing.assert_equal(dataclasses.astuple(again), dataclasses.astuple(r))   # (nan == nan here)
        assert statics.mc_accuracy_bound(name, 12, 1.0, 0, n_orders=50).accuracy == 1.0
    a = statics.mc_accuracy_bound("greater", 12, 0.2, 3, n_orders=50)
    b = statics.mc_accuracy_bound("greater", 12, 0.2, 4, n_orders=50)
    assert a != b
    stats = statics.mc_accuracy_bound_stats("mod3", 12, 0.1, range(4))
    assert stats.mean == pytest.approx(np.mean(stats.values), rel=1e-15) and len(stats.values) == 4
    means, stds = statics.mc_accuracy_curve("mod3", 12, [0.1, 0.2], range(4))
    assert means[0] == stats.mean and stds[0] == stats.std


def test_statics_bad_input_raises():
    for call, match in [
        (lambda: statics.b_generic(0), "n=0"),
        (lambda: statics.b_equivalence(4, 0), "k=0"),
        (lambda: statics.f_inferable(-1, 10.0), "m="),
        (lambda: statics.p_critical(1.0, 10.0, 900), "alpha=1.0"),
        (lambda: statics.p_critical(0.9, 1.0, 900), "b=1.0"),
        (lambda: statics.f_upper_bound(10, 10.0, 1.5), "p_star=1.5"),
        (lambda: statics.automorphism_count(np.zeros((2, 3))), r"shape \(2, 3\)"),
        (lambda: statics.automorphism_count(np.full((2, 2), 2)), "0/1"),
        (lambda: statics.p_star("mod0"), "mod0"),
        (lambda: statics.mc_accuracy_bound("tree", 10, 0.2, 0), "tree"),
        (lambda: statics.exact_posterior(np.full((12, 12), -1), "greater"), "n=12"),
        (lambda: statics.exact_posterior(np.full((12, 12), -1), "mod5", max_states=1000), "max_states=1000"),
        (lambda: statics.bubley_dyer_steps(5, 0.0), "eps=0.0"),
    ]:
        with pytest.raises(ValueError, match=match):
            call()


def test_statics_cli_named_and_csv(tmp_path, capsys):
    assert statics.main(["mod3", "--n", "30"]) == 0
    out = capsys.readouterr().out
    assert "|Aut G| = 286708355039232000000" in out and "p_c(alpha=0.9) = 0.1004" in out
    path = tmp_path / "gt.csv"
    path.write_text("\n".join(",".join(map(str, row)) for row in g.relation_matrix("greater", 5)) + "\n")
    assert statics.main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "|Aut G| = 1\n" in out and f"b = log2(n!/|Aut G|) = {math.log2(120):.4f} bits" in out


@pytest.mark.parametrize("text, what", [
    ("0,1,0\n1,0,1\n", "not square"), ("0,2\n1,0\n", "not 0 or 1"), ("", "empty"),
    ("\n  \n", "empty"), ("0,1\n1\n", "ragged"), ("0,1\n1,x\n", "not 0 or 1")])
def test_statics_cli_malformed_file(tmp_path, capsys, text, what):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    assert statics.main([str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and what in captured.err
    assert captured.err.startswith("statics.py: error:")


def test_statics_cli_missing_file(tmp_path, capsys):
    assert statics.main([str(tmp_path / "nope.csv")]) == 2
    assert "cannot read" in capsys.readouterr().err


# === repons: Section IV (Eqs. (6)–(13), Theorems 2–3, Appendix C, Fig. 4) ======
def _repons_rel_error(x, y):
    """CS231n: |x − y| / max(1e-8, |x| + |y|), elementwise max."""
    x, y = np.asarray(x), np.asarray(y)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def _repons_fd_grads(params, y, h=1e-6):
    """Central differences of Eq. (6) with respect to every entry of every parameter."""
    out = {}
    for key, val in params.items():
        g = np.zeros_like(val)
        for i in np.ndindex(val.shape):
            plus, minus = dict(params), dict(params)
            plus[key], minus[key] = val.copy(), val.copy()
            plus[key][i] += h
            minus[key][i] -= h
            g[i] = (rp.pair_loss(**plus, y=y) - rp.pair_loss(**minus, y=y)) / (2 * h)
        out[key] = g
    return out


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
        assert _repons_rel_error(grads[key], fd[key]) < 1e-7, key


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
    assert _repons_rel_error(A @ (x1 + x2) + 2 * (b - y), fd) < 1e-7
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

    Measured (seed 2 below, η_A = η_x = 1, t ≤ 20): b off the formula by 4.0e-2 |y|,
    A off Eq. (8) by 1.4e-2 ‖A0‖, the centre |s| up to 0.11 |r0|.
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

@pytest.mark.parametrize("call, name", [
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
])
def test_repons_bad_input_raises_naming_the_value(call, name):
    with pytest.raises(ValueError, match=re.escape(name)):
        call()


# === run_all: sweeps, cache, report ===========================================

import run_all as ra  # noqa: E402


def test_boundary_fit_recovers_a_known_line():
    eta = np.logspace(-4, -1, 7)
    # generalization below η_dec = 5 η_enc, memorization above: on this half-decade grid
    # every generalizing/memorizing edge midpoint lies on log η_dec = log η_enc + 0.75
    phases = [[g.GENERALIZATION if yd < 5 * xe else g.MEMORIZATION for yd in eta] for xe in eta]
    pts = ra.boundary_points(eta, eta, phases)
    assert len(pts) == 10                        # 5 vertical and 5 horizontal edges
    fit = ra.fit_loglog_line(pts)
    assert fit["slope"] == pytest.approx(1.0, abs=1e-12)
    assert fit["intercept"] == pytest.approx(0.75, abs=1e-12)
    assert ra.fit_loglog_line(pts[:1]) is None
    # A boundary that ignores x (Fig. 8's claim) has slope 0.
    flat = [[g.GROKKING if yd < 1e-2 else g.MEMORIZATION for yd in eta] for _ in eta]
    fit = ra.fit_loglog_line(ra.boundary_points(eta, eta, flat, across=("y",)))
    assert fit["slope"] == pytest.approx(0.0, abs=1e-12)
    assert fit["intercept"] == pytest.approx(-2.25, abs=1e-12)


def test_crossings_interpolate():
    assert ra.crossing([0.1, 0.2, 0.3], [0.5, 0.8, 1.0]) == pytest.approx(0.25)
    assert ra.crossing([0.1, 0.2], [0.5, 0.6]) is None
    assert ra.crossing_down([1.0, 100.0], [1.0, 0.0]) == pytest.approx(10.0)
    assert ra.crossing_down([1.0, 100.0], [1.0, 0.9]) is None


def test_sigma_a_of_a_linear_decoder_is_its_init_scale():
    """diff mode, no hidden layer: ∂z/∂E_i = W1 ~ σ_dec · U(±1/√d), RMS σ_dec / √(3d)."""
    cfg = g.Config(n=10, d=4, depth=0, mode="diff", init_dec=2.0)
    assert ra.sigma_a_of_network(cfg, samples=4000) == pytest.approx(2.0 / np.sqrt(12), rel=0.03)


def test_smoke_preset_end_to_end_cached_and_replotted(tmp_path, monkeypatch, capsys):
    out, cache = tmp_path / "fig", tmp_path / "cache"
    args = ["--preset", "smoke", "--out", str(out), "--cache", str(cache), "--jobs", "1"]
    assert ra.main(args) == 0
    for name in ra.FIGURES:
        assert (out / f"{name}.png").stat().st_size > 0
        assert json.loads((out / f"{name}.json").read_text())["preset"] == "smoke"
    report = (out / "REPORT.md").read_text()
    for claim in ("Fig. 2 mod3", "Fig. 3 greater", "Eq. (12) at", "Fig. 5 bipartite", "Fig. 6",
                  "Fig. 7", "Fig. 8 mod3", "Theorem 1", "Open Question 1, greater"):
        assert claim in report
    # A second run trains nothing: every ensemble comes from the cache.
    monkeypatch.setattr(ra, "_run_chunk", lambda configs: pytest.fail("retrained a cached run"))
    assert ra.main(args + ["--only", "fig5,fig7"]) == 0
    assert ra.main(args + ["--replot"]) == 0


def test_corrupt_cache_file_is_recomputed_with_a_warning(tmp_path):
    cfgs = [dataclasses.replace(SMALL, seed=s) for s in range(2)]
    with ra.Runner(jobs=1, cache_dir=str(tmp_path)) as runner:
        first = runner.run("t", cfgs)
        files = list((tmp_path / "t").glob("*.json"))
        assert len(files) == 1
        files[0].write_text('[{"phase": "gen')              # a run killed mid-write
        with pytest.warns(UserWarning, match="unreadable"):
            again = runner.run("t", cfgs)
    assert again == first


def test_bad_command_line_is_refused(capsys):
    with pytest.raises(SystemExit):
        ra.parse_args(["--only", "fig9"])
    assert "fig9" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        ra.parse_args(["--preset", "huge"])


# === README exercises: hand-worked numbers the exercises ask for ============

def test_exercise_mod7_description_length_and_p_c():
    """n = 30 under mod 7: classes 0, 1 have 5 members, classes 2..6 have 4, so
    |Aut G| = (5!)² (4!)⁵ · 2! · 5! (permute inside classes, then equal-size classes)."""
    aut = math.factorial(5) ** 2 * math.factorial(4) ** 5 * math.factorial(2) * math.factorial(5)
    R = g.relation_matrix("mod7", 30)
    assert statics.automorphism_count(R) == aut == 27_518_828_544_000
    b = math.log2(math.factorial(30) // aut)
    assert statics.description_length(R) == pytest.approx(b, rel=1e-15)
    p_c = math.log(1 - 0.9) / (900 * math.log(1 - 1 / b))   # Eq. (4), any log base
    assert statics.p_critical(0.9, b, 900) == pytest.approx(p_c, rel=1e-12)
    assert round(p_c, 4) == 0.1601


def test_exercise_eq12_at_equal_rates_and_widths():
    """σ_a = σ_c, η_x = η_A: p_r = (2/π) arctan(1/√2) = 0.3918..."""
    assert rp.p_collision(1.0, 1.0, 1.0, 1.0) == pytest.approx(2 / np.pi * np.arctan(np.sqrt(0.5)), rel=1e-15)
    assert round(rp.p_collision(1.0, 1.0, 1.0, 1.0), 4) == 0.3918
