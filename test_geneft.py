"""Tests of geneft.py: the model, backprop against central differences, the
optimizers worked by hand, the ensemble trainer and Table IV. Run: python -m pytest -q
"""
import dataclasses
import warnings

import numpy as np
import pytest

import fastpath
import geneft as g
from conftest import central_differences, rel_error


def tiny_problem(mode, depth, n=5, d=3, width=4, seed=0):
    """Seeded one-member problem on all n² mod3 pairs (labels 0 and 1 both present)."""
    cfg = g.Config(n=n, d=d, depth=depth, width=width, mode=mode, seed=seed)
    params = {k: v[None] for k, v in g.init_params(cfg, np.random.default_rng(seed)).items()}
    I, J, y = g.pair_labels(g.relation_matrix("mod3", n), np.arange(n * n))
    assert 0 < y.sum() < y.size
    return params, I[None], J[None], y[None].astype(float)


def numerical_grads(params, I, J, y, mode):
    """Central differences of member 0's mean BCE with respect to every parameter entry."""
    return central_differences(lambda p: g.loss_and_grads(p, I, J, y, mode)[0][0], params)


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


def test_normal_init_scheme_draws_every_decoder_parameter_from_n0_sigma2():
    """Fig. 6's caption reading: W, b ~ N(0, σ_dec²) whatever the fan-in; E unchanged."""
    cfg = g.Config(n=400, d=5, width=200, init_enc=0.5, init_dec=3.0, init_scheme="normal")
    p = g.init_params(cfg, np.random.default_rng(0))
    assert np.std(p["E"]) == pytest.approx(0.5, rel=0.03)
    for name in ("W1", "W2", "W4"):                     # fan-ins 10, 200, 200: no 1/√fan_in
        assert np.std(p[name]) == pytest.approx(3.0, rel=0.1)
    assert np.max(np.abs(p["W2"])) > 3.0 * 3            # unbounded, unlike the uniform init
    with pytest.raises(ValueError, match="init_scheme='he'"):
        g.validate(dataclasses.replace(cfg, init_scheme="he"))


def test_depth_conventions_read_table_iii_both_ways():
    assert g.DEPTH_CONVENTIONS == {"hidden": 3, "linear": 2}
    shapes = [g.param_shapes(30, 2, g.DEPTH_CONVENTIONS[c], 50, "concat") for c in ("hidden", "linear")]
    n_linear = [sum(k.startswith("W") for k in s) for s in shapes]
    assert n_linear == [4, 3]                           # 3 hidden + output; 2 hidden + output


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
    ("seed", -1, "seed=-1"),
    ("seed", None, "seed=None"),
    ("seed", 1.5, "seed=1.5"),
    ("lr_enc", "0.01", "lr_enc='0.01'"),
    ("steps", True, "steps=True"),
    ("frac", True, "frac=True"),
    ("n", True, "n=True"),
    ("stop_when_decided", "no", "stop_when_decided='no'"),
    ("frac", 1, "frac=1"),
    ("frac", 0.9995, "leaves no test pair"),
    ("grok_gap", False, "grok_gap=False"),
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
    E0 = g.init_params(cfg, g.member_rng(cfg))["E"]
    h = g.train(cfg)
    assert h.phase == g.GENERALIZATION and h.test_acc[-1] == 1.0
    assert g.cluster_ratio(E0, labels) > 0.5
    assert g.cluster_ratio(h.final_E, labels) < 0.05


def test_sigma_a_of_a_linear_decoder_is_its_init_scale():
    """diff mode, no hidden layer: ∂z/∂E_i = W1 ~ σ_dec · U(±1/√d), RMS σ_dec / √(3d)."""
    cfg = g.Config(n=10, d=4, depth=0, mode="diff", init_dec=2.0)
    assert g.sigma_a_of_network(cfg, samples=4000) == pytest.approx(2.0 / np.sqrt(12), rel=0.03)


def test_preorder_relation_is_transitive_reflexive_not_symmetric():
    R = g.relation_matrix("preorder3", 7).astype(bool)
    assert R.diagonal().all() and not (R == R.T).all()
    assert ((R.astype(int) @ R.astype(int) > 0) <= R).all()          # transitive
    np.testing.assert_array_equal(R[1], [0, 1, 1, 0, 1, 1, 0])        # 1 mod 3 = 1 ≤ x mod 3
    assert g.relation_kind("preorder3") == ("total_preorder", 3)
    with pytest.raises(ValueError, match="preorder1"):
        g.relation_kind("preorder1")


# === The fast path (Batch: flat parameters, feature-major blocks) against the reference ===

def fast_batch(mode, depth, optimizer="adam", n=5, d=3, width=4, K=1, **kw):
    """A float64 Batch of K seeded members (mod3 / greater alternating) on a tiny problem."""
    cfgs = [g.Config(n=n, d=d, depth=depth, width=width, mode=mode, optimizer=optimizer, seed=s,
                     relation=("mod3", "greater")[s % 2], frac=0.75, **kw) for s in range(K)]
    return g.Batch.start(cfgs), cfgs


@pytest.mark.parametrize("mode", g.MODES)
@pytest.mark.parametrize("depth", [0, 1, 3])
def test_fast_backprop_matches_finite_differences(mode, depth):
    """Batch.loss_and_grads (the training step's fast path) against central differences of
    its own loss, entry by entry, as strict as the reference's test."""
    batch, _ = fast_batch(mode, depth)
    assert 0 < batch.data["y"].sum() < batch.data["y"].size
    _, grads = batch.loss_and_grads()
    grads = {k: v.copy() for k, v in grads.items()}
    num = central_differences(lambda p: batch.loss_and_grads()[0][0], batch.params)
    assert set(grads) == set(batch.params)
    for name in batch.params:
        assert grads[name].shape == batch.params[name].shape
        assert rel_error(grads[name], num[name]) < 1e-6, name


def reference_training(cfgs, steps):
    """The reference formulas (loss_and_grads = forward + backward, adam_step / sgd_step on
    one array per parameter), stepped `steps` times: final params and the loss of every step."""
    params, data = g.init_ensemble(cfgs), g.ensemble_data(cfgs, np.float64)
    lr = {"enc": np.array([c.lr_enc for c in cfgs]), "dec": np.array([c.lr_dec for c in cfgs])}
    wd = {"enc": np.array([c.wd_enc for c in cfgs]), "dec": np.array([c.wd_dec for c in cfgs])}
    state, losses = g.adam_init(params), []
    for _ in range(steps):
        loss, grads = g.loss_and_grads(params, data["I"], data["J"], data["y"], cfgs[0].mode)
        losses.append(loss)
        if cfgs[0].optimizer == "adam":
            g.adam_step(params, grads, state, lr, wd)
        else:
            g.sgd_step(params, grads, lr, wd)
    return params, np.array(losses)


@pytest.mark.parametrize("mode", g.MODES)
@pytest.mark.parametrize("depth", [0, 1, 3])
@pytest.mark.parametrize("optimizer", g.OPTIMIZERS)
def test_fast_path_matches_reference_over_50_steps(mode, depth, optimizer):
    """float64: 50 training steps of the fast path (Batch) equal 50 steps of the reference
    formulas to rounding (1e-12 of each parameter array's scale; loss to 1e-12 relative),
    with weight decay on one member."""
    _, cfgs = fast_batch(mode, depth, optimizer, n=8, d=2, width=8, K=3, lr_enc=1e-2, lr_dec=1e-2)
    cfgs[1] = dataclasses.replace(cfgs[1], wd_enc=0.05, wd_dec=0.1)
    batch = g.Batch.start(cfgs)
    ref_params, ref_loss = reference_training(cfgs, 50)
    losses = []
    for _ in range(50):
        loss, grads = batch.loss_and_grads()
        losses.append(loss.copy())
        batch.update(grads)
    np.testing.assert_allclose(np.array(losses), ref_loss, rtol=1e-12, atol=0)
    for name, p in ref_params.items():
        assert np.max(np.abs(batch.params[name] - p)) <= 1e-12 * np.max(np.abs(p)), name


def test_fast_path_matches_reference_on_table_iii():
    """The Table III model itself (n = 30, depth 3, width 50, concat, Adam), float64, 50 steps."""
    cfgs = [g.Config(seed=s, relation=r) for s, r in ((0, "mod3"), (1, "bipartite"))]
    ref_params, ref_loss = reference_training(cfgs, 50)
    batch = g.Batch.start(cfgs)
    for step in range(50):
        loss, grads = batch.loss_and_grads()
        np.testing.assert_allclose(loss, ref_loss[step], rtol=1e-12, atol=0)
        batch.update(grads)
    for name, p in ref_params.items():
        assert np.max(np.abs(batch.params[name] - p)) <= 1e-12 * np.max(np.abs(p)), name


@pytest.mark.parametrize("mode", g.MODES)
def test_evaluate_matches_the_reference_forward(mode):
    """evaluate (logits_all_pairs, one forward over the n² pairs) against the metrics written
    with the reference forward and np.logaddexp, float64, after a few training steps."""
    batch, _ = fast_batch(mode, depth=2, n=7, d=2, width=6, K=3, lr_enc=0.05, lr_dec=0.05)
    for _ in range(20):
        batch.update(batch.loss_and_grads()[1])
    K, n = batch.params["E"].shape[:2]
    idx = np.arange(n * n)
    z, _ = g.forward(batch.params, np.broadcast_to(idx // n, (K, n * n)),
                     np.broadcast_to(idx % n, (K, n * n)), mode)
    y, mask = batch.data["y_all"], batch.data["mask"]
    loss = np.logaddexp(0, z) - y * z
    correct = (z > 0) == (y > 0.5)
    expected = {"train_loss": (loss * mask).sum(1) / mask.sum(1),
                "test_loss": (loss * ~mask).sum(1) / (~mask).sum(1),
                "train_acc": (correct & mask).sum(1) / mask.sum(1),
                "test_acc": (correct & ~mask).sum(1) / (~mask).sum(1), "all_acc": correct.mean(1)}
    got = g.evaluate(batch.params, batch.data, mode)
    for k, v in expected.items():
        np.testing.assert_allclose(got[k], v, rtol=1e-12, atol=0, err_msg=k)


def test_batch_blocks_do_not_change_a_members_numbers(monkeypatch):
    """Members are stepped in blocks sharing one Workspace: any block size gives the same
    numbers bit for bit (float32, sqdiff, Adam)."""
    cfgs = [dataclasses.replace(SMALL, mode="sqdiff", dtype="float32", seed=s) for s in range(5)]
    runs = []
    for budget in (1, 10 ** 9):                        # blocks of 1 member, then all 5 at once
        monkeypatch.setattr(fastpath, "BLOCK_BYTES", budget)
        batch = g.Batch.start(cfgs)
        assert len(batch.blocks) == (5 if budget == 1 else 1)
        for _ in range(30):
            batch.update(batch.loss_and_grads()[1])
        runs.append(batch.flat.copy())
    assert np.array_equal(runs[0], runs[1])


def test_adam_step_without_temporaries_equals_the_formula_with_them():
    """adam_step works in place on scratch buffers; float64 it is bit for bit the formula
    written with temporaries (the code before it was made in place), weight decay included."""
    rng = np.random.default_rng(3)
    params = {"E": rng.standard_normal((2, 4, 3)), "W1": rng.standard_normal((2, 6, 5))}
    ref = {k: v.copy() for k, v in params.items()}
    state, ref_state = g.adam_init(params), g.adam_init(ref)
    lr = {"enc": np.array([1e-2, 3e-3]), "dec": np.array([1e-3, 2e-2])}
    wd = {"enc": np.array([0.0, 0.1]), "dec": np.array([0.3, 0.0])}
    b1, b2, eps = 0.9, 0.999, 1e-8
    for t in range(1, 6):
        grads = {k: rng.standard_normal(v.shape) for k, v in params.items()}
        g.adam_step(params, grads, state, lr, wd)
        for name, p in ref.items():
            grp = g.group_of(name)
            gt = grads[name] + wd[grp][:, None, None] * p
            m, v = ref_state["m"][name], ref_state["v"][name]
            m *= b1
            m += (1.0 - b1) * gt
            v *= b2
            v += (1.0 - b2) * (gt * gt)
            denom = np.sqrt(v) / np.sqrt(1.0 - b2 ** t) + eps
            p -= (lr[grp] / (1.0 - b1 ** t))[:, None, None] * (m / denom)
        for name, p in params.items():
            assert np.array_equal(p, ref[name]), (t, name)
