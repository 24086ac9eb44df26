"""Tests of geneft.py, the book: relations and data, the model, backprop against central
differences, the optimizers against their formulas, the reference trainer, the oracle's
input checks and torch layout, Table IV, Theorem 1 and Eq. (12). Run: python -m pytest -q

Exercise grading: `-k NAME` selects only the tests of one function (backprop, combine,
adam, sgd_step, table_iv, sigma_a, cluster_ratio). Those tests compare values to 1e-12,
never bits, so every correct answer passes.
"""
import ast
import collections
import dataclasses
import os
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest

import geneft as g
from conftest import central_differences, rel_error

HERE = os.path.dirname(os.path.abspath(__file__))
ONE_BLAS_THREAD = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                   "MKL_NUM_THREADS": "1"}
OTHER = "ad" + "am"      # the other optimizer's name, spelled so `-k` finds only its own tests


def tiny_problem(mode, depth, n=5, d=3, width=4, seed=0):
    """Seeded float64 model on all n² mod3 pairs (labels 0 and 1 both present)."""
    cfg = g.Config(n=n, d=d, depth=depth, width=width, mode=mode, seed=seed)
    params = g.init_params(cfg, np.random.default_rng(seed))
    I, J, y = g.pair_labels(g.relation_matrix("mod3", n), np.arange(n * n))
    assert 0 < y.sum() < y.size
    return params, I, J, y.astype(float)


# === Section II: the model and its backprop ====================================

@pytest.mark.parametrize("mode", g.MODES)
@pytest.mark.parametrize("depth", [0, 1, 3])
def test_backprop_matches_finite_differences(mode, depth):
    params, I, J, y = tiny_problem(mode, depth)
    loss, grads = g.loss_and_grads(params, I, J, y, mode)
    assert isinstance(loss, float)
    num = central_differences(lambda p: g.loss_and_grads(p, I, J, y, mode)[0], params)
    assert set(grads) == set(params)
    for name in params:
        assert grads[name].shape == params[name].shape
        assert rel_error(grads[name], num[name]) < 1e-6, name


@pytest.mark.parametrize("mode", g.MODES)
def test_combine_backward_matches_finite_differences(mode):
    rng = np.random.default_rng(1)
    Ei, Ej = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    dx = rng.standard_normal(g.combine(Ei, Ej, mode).shape)          # ℓ = Σ dx ⊙ combine
    dEi, dEj = g.combine_backward(dx, Ei, Ej, mode)
    num = central_differences(lambda p: float(np.sum(dx * g.combine(p["i"], p["j"], mode))),
                              {"i": Ei, "j": Ej})
    assert rel_error(dEi, num["i"]) < 1e-6 and rel_error(dEj, num["j"]) < 1e-6


def test_section_iii_input_modes():
    Ei, Ej = np.array([[1.0, 2.0]]), np.array([[4.0, -1.0]])
    np.testing.assert_array_equal(g.combine(Ei, Ej, "concat"), [[1, 2, 4, -1]])
    np.testing.assert_array_equal(g.combine(Ei, Ej, "diff"), [[-3, 3]])
    np.testing.assert_array_equal(g.combine(Ei, Ej, "sqdiff"), [[9, 9]])


def test_loss_is_bce_and_stable_at_huge_logits():
    z = np.array([1e4, -1e4, 1e4, -1e4, 0.0, 2.0])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, grad = g.bce_with_logits(z, y), g.bce_grad(z, y)
    # Right answers cost 0, wrong ones |z|; σ(0) = 1/2; softplus(2) = log(1 + e²).
    assert loss == pytest.approx((1e4 + 1e4 + np.log(2) + np.log1p(np.exp(2.0))) / 6, rel=1e-15)
    s2 = 1 / (1 + np.exp(-2.0))
    np.testing.assert_allclose(grad, [0, 0, 1 / 6, -1 / 6, -1 / 12, s2 / 6], rtol=1e-15, atol=0)


def test_scatter_rows_sums_both_ends_of_every_pair():
    dEi, dEj = np.array([[1.0], [2.0], [4.0]]), np.array([[10.0], [20.0], [40.0]])
    got = g.scatter_rows(dEi, dEj, np.array([0, 2, 0]), np.array([1, 0, 0]), n=3)
    np.testing.assert_array_equal(got, [[1 + 4 + 20 + 40], [10], [2]])


def test_param_shapes_follow_the_depth_convention():
    shapes = g.param_shapes(n=30, d=2, depth=3, width=50, mode="concat")
    assert list(shapes) == g.layer_names(3) == ["E", "W1", "b1", "W2", "b2", "W3", "b3", "W4", "b4"]
    assert shapes["E"] == (30, 2) and shapes["W1"] == (4, 50) and shapes["W4"] == (50, 1)
    assert g.param_shapes(30, 2, 0, 50, "diff") == {"E": (30, 2), "W1": (2, 1), "b1": (1,)}
    assert g.DEPTH_CONVENTIONS == {"hidden": 3, "linear": 2}
    n_linear = [sum(k[0] == "W" for k in g.param_shapes(30, 2, g.DEPTH_CONVENTIONS[c], 50, "concat"))
                for c in ("hidden", "linear")]
    assert n_linear == [4, 3]                           # 3 hidden + output; 2 hidden + output


def test_init_scales_follow_design():
    cfg = g.Config(n=400, d=5, width=200, init_enc=0.5, init_dec=3.0)
    p = g.init_params(cfg, np.random.default_rng(0))
    assert np.std(p["E"]) == pytest.approx(0.5, rel=0.03)
    bound = 3.0 / np.sqrt(200)  # W2: fan_in = width
    assert np.max(np.abs(p["W2"])) <= bound and np.max(np.abs(p["W2"])) > 0.99 * bound
    q = g.init_params(dataclasses.replace(cfg, init_scheme="normal"), np.random.default_rng(0))
    for name in ("W1", "W2", "W4"):                     # N(0, σ_dec²) whatever the fan-in
        assert np.std(q[name]) == pytest.approx(3.0, rel=0.1)
    assert np.max(np.abs(q["W2"])) > 3.0 * 3            # unbounded, unlike the uniform init


def test_init_params_defaults_to_member_rng_and_casts_after_drawing():
    cfg = g.Config(n=6, depth=2, width=5, seed=4)
    a, b = g.init_params(cfg), g.init_params(cfg, g.member_rng(cfg))
    c = g.init_params(dataclasses.replace(cfg, dtype="float32"))
    for k in a:
        assert np.array_equal(a[k], b[k]) and c[k].dtype == np.float32
        assert np.array_equal(c[k], a[k].astype(np.float32))


# === Optimizers: each against its formula ========================================

def two_groups(rng, scale=1.0):
    """Parameters of both groups (E: enc; W1, b1: dec), and a gradient draw of each."""
    params = {"E": rng.standard_normal((4, 3)), "W1": rng.standard_normal((6, 5)),
              "b1": rng.standard_normal(5)}
    return params, lambda: {k: scale * rng.standard_normal(v.shape) for k, v in params.items()}


def test_sgd_step_by_hand():
    params = {"E": np.array([[1.0, -2.0]]), "W1": np.array([[0.5], [0.25]]), "b1": np.array([0.1])}
    grads = {"E": np.array([[0.3, 0.4]]), "W1": np.array([[-1.0], [2.0]]), "b1": np.array([0.5])}
    g.sgd_step(params, grads, {"enc": 0.1, "dec": 0.01}, {"enc": 0.5, "dec": 2.0})
    # p − η (g + λ p): encoder η = 0.1, λ = 0.5; decoder η = 0.01, λ = 2
    np.testing.assert_allclose(params["E"], [[1 - 0.1 * (0.3 + 0.5), -2 - 0.1 * (0.4 - 1.0)]], rtol=1e-12)
    np.testing.assert_allclose(params["W1"], [[0.5 - 0.01 * (-1 + 1.0)], [0.25 - 0.01 * (2 + 0.5)]], rtol=1e-12)
    np.testing.assert_allclose(params["b1"], [0.1 - 0.01 * (0.5 + 0.2)], rtol=1e-12)


def test_sgd_step_plain_float_applies_to_both_groups():
    rng = np.random.default_rng(0)
    a, draw = two_groups(rng)
    b = {k: v.copy() for k, v in a.items()}
    grads = draw()
    g.sgd_step(a, grads, 0.1, 0.01)
    g.sgd_step(b, grads, {"enc": 0.1, "dec": 0.1}, {"enc": 0.01, "dec": 0.01})
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-12, atol=0)


def textbook_adam(params, grads_seq, eta, wd, b1=0.9, b2=0.999, eps=1e-8):
    """Adam written out independently: moments, bias-corrected m̂ and v̂, ε outside the root."""
    p = {k: v.copy() for k, v in params.items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(x) for k, x in p.items()}
    for t, grads in enumerate(grads_seq, start=1):
        for k in p:
            grp = "enc" if k == "E" else "dec"
            gt = grads[k] + wd[grp] * p[k]
            m[k] = b1 * m[k] + (1 - b1) * gt
            v[k] = b2 * v[k] + (1 - b2) * gt ** 2
            p[k] = p[k] - eta[grp] * (m[k] / (1 - b1 ** t)) / (np.sqrt(v[k] / (1 - b2 ** t)) + eps)
    return p


@pytest.mark.parametrize("scale", [1.0, 1e-4, 1e-8], ids=["g~1", "g~1e-4", "g~eps"])
def test_adam_step_matches_the_formula_over_several_steps(scale):
    """Six steps, two groups with their own η and λ, gradients of three sizes (at 1e-8, ε
    is half the denominator); each parameter to 1e-12 of the distance it moved."""
    rng = np.random.default_rng(7)
    params, draw = two_groups(rng, scale)
    p0 = {k: v.copy() for k, v in params.items()}
    eta, wd = {"enc": 1e-2, "dec": 3e-3}, {"enc": 0.0, "dec": 0.2 * scale}
    grads_seq = [draw() for _ in range(6)]
    state = g.adam_init(params)
    for grads in grads_seq:
        g.adam_step(params, grads, state, eta, wd)
    assert state["t"] == 6
    want = textbook_adam(p0, grads_seq, eta, wd)
    for k in params:
        moved = np.max(np.abs(want[k] - p0[k]))
        assert moved > 0 and np.max(np.abs(params[k] - want[k])) <= 1e-12 * moved, k


def test_adam_step_constant_gradient_moves_eta_each_step():
    """Hand-worked: with bias correction a constant gradient g moves p by η g/(|g| + ε) at
    every step, ≈ η for g ≫ ε and exactly η/2 for g = ε."""
    for grad, move in ((0.7, 1e-3 * 0.7 / (0.7 + 1e-8)), (1e-8, 0.5e-3)):
        params = {"E": np.zeros((1, 1))}
        state = g.adam_init(params)
        for t in range(1, 6):
            before = params["E"][0, 0]
            g.adam_step(params, {"E": np.full((1, 1), grad)}, state, 1e-3)
            assert before - params["E"][0, 0] == pytest.approx(move, rel=1e-9), (grad, t)


def test_adam_step_weight_decay_is_added_to_the_gradient():
    """λ p joins the gradient: with g = 0 and λ p = 1e-3, p still moves by ≈ η."""
    params = {"E": np.full((1, 1), 1.0), "b1": np.full(1, 1.0)}
    state = g.adam_init(params)
    g.adam_step(params, {"E": np.zeros((1, 1)), "b1": np.zeros(1)}, state, 0.01, {"enc": 1e-3, "dec": 0.0})
    assert 1.0 - params["E"][0, 0] == pytest.approx(0.01, rel=1e-4)
    assert params["b1"][0] == 1.0


def test_adam_step_keeps_float32():
    params = {"E": np.ones((2, 2), np.float32)}
    state = g.adam_init(params)
    g.adam_step(params, {"E": np.full((2, 2), 0.5, np.float32)}, state, np.float64(1e-3), 0.1)
    assert params["E"].dtype == np.float32 and state["m"]["E"].dtype == np.float32


# === Oracle: input checks and torch's layout =====================================

def test_bad_inputs_name_the_argument_and_the_shapes():
    params, I, J, y = tiny_problem("concat", 1)
    cases = [
        (lambda: g.loss_and_grads(params, I[None], J, y, "concat"), ["I", "(1, 25)", "(P,)"]),
        (lambda: g.loss_and_grads(params, I, J, y[:-1], "concat"), ["y", "(24,)", "(25,)"]),
        (lambda: g.loss_and_grads(params, I, J[:-1], y, "concat"), ["J", "(24,)", "(25,)"]),
        (lambda: g.forward(params, I + 5, J, "concat"), ["I", "[0, 4]"]),
        (lambda: g.forward(params, I.astype(float), J, "concat"), ["I", "(P,) of integers"]),
        (lambda: g.forward({**params, "W1": params["W1"].T.copy()}, I, J, "concat"),
         ["params['W1']", "(4, 6)", "(6, 4)", "from_state_dict"]),
        (lambda: g.forward({k: v for k, v in params.items() if k != "b2"}, I, J, "concat"),
         ["params is missing ['b2']"]),
        (lambda: g.forward({k: v[None] for k, v in params.items()}, I, J, "concat"),
         ["params['E']", "(1, 5, 3)", "(n, d)"]),
        (lambda: g.forward({**params, "E": params["E"].astype(int)}, I, J, "concat"), ["params['E']", "float"]),
        (lambda: g.forward(g.to_state_dict(params), I, J, "concat"), ["from_state_dict"]),
        (lambda: g.sgd_step(params, {**params, "b1": params["b1"][None]}, 0.1), ["grads['b1']", "(1, 4)", "(4,)"]),
        (lambda: g.sgd_step(params, params, np.array([0.1])), ["eta=array([0.1])", "'enc'"]),
        (lambda: g.sgd_step(params, params, {"enc": 0.1}), ["eta=", "'dec'"]),
        (lambda: g.adam_step(params, params, g.adam_init(params), 0.1, wd="0"), ["wd='0'"]),
    ]
    for call, words in cases:
        with pytest.raises(ValueError) as err:
            call()
        for w in words:
            assert w in str(err.value), (w, str(err.value))


def one_error(call):
    """The one ValueError call raises: a single line of at most 200 characters."""
    with pytest.raises(ValueError) as err:
        call()
    assert "\n" not in str(err.value) and len(str(err.value)) <= 200, str(err.value)
    return str(err.value)


def test_wrong_adam_state_is_named():
    """state=None, a torch optimizer's state_dict (its layout: 'state' and 'param_groups'), a
    float32 state beside float64 parameters, a bad step count: each one ValueError naming state."""
    params, I, J, y = tiny_problem("concat", 1)
    _, grads = g.loss_and_grads(params, I, J, y, "concat")
    torch_like = {"state": {0: {"step": 1, "exp_avg": params["E"], "exp_avg_sq": params["E"]}},
                  "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0]}]}
    state32 = g.adam_init({k: v.astype(np.float32) for k, v in params.items()})
    for state, words in ((None, ["state is None", "expected adam_init(params)"]),
                         (torch_like, ["state is a dict with keys ['param_groups', 'state']",
                                       "expected adam_init(params)", "torch optimizer's state_dict"]),
                         (collections.defaultdict(dict), ["state is a dict with keys []",
                                                          "torch's opt.state before a step"]),
                         (state32, ["state['m']['E'] has dtype float32", "expected float64"]),
                         ({**g.adam_init(params), "t": -1}, ["state['t']=-1", ">= 0"])):
        kept = {k: v.copy() for k, v in params.items()}
        msg = one_error(lambda: g.adam_step(params, grads, state, 1e-3))
        assert all(w in msg for w in words), msg
        assert all(np.array_equal(params[k], kept[k]) for k in params)      # refused before a step


def test_mixing_dtypes_is_an_error_not_a_silent_cast():
    """float32 parameters beside float64 labels, gradients or one float64 parameter: NumPy would
    quietly compute in float64; the oracle names the array. 0/1 integer or bool labels are exact
    in either dtype, and give the float labels' loss and gradients bit for bit."""
    params, I, J, y = tiny_problem("concat", 1)
    p32 = {k: v.astype(np.float32) for k, v in params.items()}
    _, g32 = g.loss_and_grads(p32, I, J, y.astype(np.float32), "concat")
    _, g64 = g.loss_and_grads(params, I, J, y, "concat")
    cases = [(lambda: g.loss_and_grads(p32, I, J, y, "concat"), ["y has dtype float64", "expected float32"]),
             (lambda: g.adam_step(p32, g64, g.adam_init(p32), 1e-3), ["grads['E'] has dtype float64",
                                                                      "expected float32"]),
             (lambda: g.sgd_step(p32, g64, 1e-3), ["grads['E'] has dtype float64"]),
             (lambda: g.forward({**params, "W1": p32["W1"]}, I, J, "concat"),
              ["params['W1'] has dtype float32", "expected float64, the dtype of params['E']"])]
    for call, words in cases:
        msg = one_error(call)
        assert all(w in msg for w in words), msg
    for labels in (y.astype(np.int8), y.astype(bool), y.astype(np.int64)):
        loss, grads = g.loss_and_grads(p32, I, J, labels, "concat")
        assert all(grads[k].dtype == np.float32 and np.array_equal(grads[k], g32[k]) for k in grads)
        assert loss == g.loss_and_grads(p32, I, J, y.astype(np.float32), "concat")[0]


def test_a_wrong_bias_is_blamed_on_the_bias():
    """b1 of shape (w, 1) (a column where torch keeps a vector): the message names b1, not the
    W1 its width would otherwise be read from; a transposed W1 still gets torch's layout hint."""
    params, I, J, y = tiny_problem("concat", 2, width=6)
    msg = one_error(lambda: g.loss_and_grads({**params, "b1": params["b1"][:, None]}, I, J, y, "concat"))
    assert msg.startswith("params['b1'] has shape (6, 1); expected (6,)"), msg
    msg = one_error(lambda: g.to_state_dict({**params, "W2": params["W2"].T.copy(),
                                              "b2": params["b2"][:3]}))
    assert msg.startswith("params['b2'] has shape (3,); expected (6,)"), msg


def test_arrays_that_are_not_numpy_are_named_as_such():
    """A list (or any other non-ndarray) for I, J, y or a parameter: its type, what was expected."""
    params, I, J, y = tiny_problem("concat", 1)
    for call, words in ((lambda: g.loss_and_grads(params, I, J, y.tolist(), "concat"),
                         ["y is a list", "expected labels of shape (25,) as a NumPy array"]),
                        (lambda: g.forward(params, I.tolist(), J, "concat"), ["I is a list"]),
                        (lambda: g.forward({**params, "E": params["E"].tolist()}, I, J, "concat"),
                         ["params['E'] is a list"]),
                        (lambda: g.from_state_dict({**g.to_state_dict(params), "E.weight": [[0.0]]}),
                         ["sd['E.weight'] is a list", "NumPy array"])):
        msg = one_error(call)
        assert all(w in msg for w in words), msg


def test_torch_objects_are_named_with_the_conversion():
    """What a PyTorch user passes by habit: a tensor y, and named_parameters() (Parameters that
    require grad) for from_state_dict. Needs torch."""
    torch = pytest.importorskip("torch", reason="torch is not installed: these inputs are its objects")
    params, I, J, y = tiny_problem("concat", 1)
    msg = one_error(lambda: g.loss_and_grads(params, I, J, torch.from_numpy(y), "concat"))
    assert msg.startswith("y is a torch.Tensor; expected labels of shape (25,) as a NumPy array"), msg
    assert ".detach().cpu().numpy()" in msg
    model = torch.nn.Module()
    model.E = torch.nn.Embedding(5, 3)
    model.decoder = torch.nn.Sequential(torch.nn.Linear(6, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    msg = one_error(lambda: g.from_state_dict(dict(model.named_parameters())))
    assert msg.startswith("sd['E.weight'] is a torch.nn.parameter.Parameter that requires grad; "
                          "expected its values as a NumPy array"), msg
    sd = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    assert g.from_state_dict(sd)["W1"].shape == (6, 4)


def fake(name, module="torch", **attrs):
    """An object whose type reads as module.name (torch.Tensor, ...): the checks name what a
    torch user passes by habit without torch installed; tests with real torch objects follow."""
    return type(name.rsplit(".", 1)[-1], (), {"__module__": module, "__qualname__": name.rsplit(".", 1)[-1],
                                              "__repr__": lambda self: "tensor(" + "0.1234, " * 40 + ")",
                                              **attrs})()


def test_adam_step_names_tensors_given_as_params_before_the_state():
    """Arguments are checked in the signature's order: tensors that require grad as params
    are named as params, not as a state whose dtypes then differ from them."""
    params, I, J, y = tiny_problem("concat", 1)
    tensors = {k: fake("Tensor", requires_grad=True) for k in params}
    msg = one_error(lambda: g.adam_step(tensors, tensors, g.adam_init(params), 1e-3))
    assert msg.startswith("params['E'] is a torch.Tensor that requires grad; expected float32 or float64 "
                          "as a NumPy array (torch: .detach().cpu().numpy()"), msg
    assert one_error(lambda: g.adam_init(tensors)).startswith("params['E'] is a torch.Tensor that requires grad")


def test_torch_adam_step_with_parameters_names_params():
    torch = pytest.importorskip("torch", reason="torch is not installed: these inputs are its objects")
    params, I, J, y = tiny_problem("concat", 1)
    tensors = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    msg = one_error(lambda: g.adam_step(tensors, tensors, g.adam_init(params), 1e-3))
    assert msg.startswith("params['E'] is a torch.Tensor that requires grad; expected"), msg


def test_optimizer_steps_update_in_place_and_return_params():
    """In place as torch's opt.step(); returned too, so JAX's habit params = step(...) keeps them."""
    params, I, J, y = tiny_problem("diff", 1)
    _, grads = g.loss_and_grads(params, I, J, y, "diff")
    before = {k: v.copy() for k, v in params.items()}
    assert g.adam_step(params, grads, g.adam_init(params), 1e-2) is params
    assert g.sgd_step(params, grads, 1e-2) is params
    assert all(not np.array_equal(params[k], before[k]) for k in params)


def test_to_state_dict_refuses_a_state_dict_and_none():
    params, I, J, y = tiny_problem("concat", 2, width=6)
    sd = g.to_state_dict(params)
    msg = one_error(lambda: g.to_state_dict(sd))
    assert msg.startswith("params is a dict with keys ['E.weight', 'decoder.0.bias', 'decoder.0.weight', "
                          "... (7 keys)]; expected a dict with keys E, W1, b1, ..."), msg
    assert "torch's state_dict names: from_state_dict converts them" in msg
    assert one_error(lambda: g.to_state_dict(None)) == "params is None; expected a dict with keys E, W1, b1, ..."
    msg = one_error(lambda: g.from_state_dict(params))
    assert msg.startswith("sd is a dict with keys ['E', 'W1', 'W2', ... (7 keys)]; expected a state_dict") \
        and msg.endswith("this is params already"), msg


@pytest.mark.parametrize("depth", [0, 2])
def test_from_state_dict_names_weights_in_the_in_out_layout_in_torch_terms(depth):
    """Weights already (in, out) (JAX's habit, or W copied over): the message names the user's
    key and torch's (out, in) shape, and says the layout is transposed."""
    params, I, J, y = tiny_problem("concat", depth, width=4)     # d = 3: W1 is (6, 4) or (6, 1)
    sd = {k: v.T.copy() if k.endswith(".weight") and k != "E.weight" else v
          for k, v in g.to_state_dict(params).items()}
    msg = one_error(lambda: g.from_state_dict(sd))
    fan_out = 4 if depth else 1
    assert msg == (f"sd['decoder.0.weight'] has shape (6, {fan_out}); expected ({fan_out}, 6): nn.Linear."
                   "weight is (out, in); this one is (in, out), geneft's layout: transpose it"), msg
    wrong = {**g.to_state_dict(params), "decoder.0.bias": np.zeros(fan_out + 1)}
    msg = one_error(lambda: g.from_state_dict(wrong))
    assert msg.startswith(f"sd['decoder.0.bias'] has shape ({fan_out + 1},); expected ({fan_out},)"), msg


def test_torch_opt_state_is_named_in_one_short_line():
    """opt.state, a defaultdict keyed by Parameters whose reprs fill a screen: its type, no reprs."""
    import collections
    params, I, J, y = tiny_problem("concat", 1)
    opt_state = collections.defaultdict(dict, {fake("Parameter", "torch.nn.parameter"): {
        "step": 1, "exp_avg": fake("Tensor"), "exp_avg_sq": fake("Tensor")} for _ in range(3)})
    msg = one_error(lambda: g.adam_step(params, params, opt_state, 1e-3))
    assert msg == ("state is a dict keyed by torch.nn.parameter.Parameter; expected adam_init(params), a dict "
                   "{'t': 0, 'm': {...}, 'v': {...}} (torch's opt.state is not one: start both at zero)"), msg


def test_torch_opt_state_and_dtypes_with_torch():
    torch = pytest.importorskip("torch", reason="torch is not installed: these inputs are its objects")
    params, I, J, y = tiny_problem("concat", 1)
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(model.parameters())
    model(torch.ones(1, 3)).sum().backward()
    opt.step()
    msg = one_error(lambda: g.adam_step(params, params, opt.state, 1e-3))
    assert msg.startswith("state is a dict keyed by torch.nn.parameter.Parameter;") and "opt.state" in msg, msg
    assert g.Config(dtype=torch.float64) == g.Config() and g.Config(dtype=torch.float32).dtype == "float32"


def test_shape_errors_say_the_shape_in_symbols_not_every_shape():
    params, I, J, y = tiny_problem("concat", 2, width=6)
    for bad, want in ((("W2", np.zeros((6, 5))), "params['W2'] has shape (6, 5); expected (6, 6) = (w, w), w = 6"),
                      (("b3", np.zeros(2)), "params['b3'] has shape (2,); expected (1,): the output unit"),
                      (("W1", np.zeros((5, 6))), "params['W1'] has shape (5, 6); expected (6, 6) = (2d, w), w = 6")):
        assert one_error(lambda: g.forward({**params, bad[0]: bad[1]}, I, J, "concat")) == want


def test_config_takes_numpy_and_torch_dtypes_by_name():
    assert g.Config(dtype=np.float64) == g.Config() and g.Config(dtype=np.float64).dtype == "float64"
    assert g.Config(dtype=np.dtype("float32")).dtype == g.Config(dtype=np.float32).dtype == "float32"
    torch_float64 = fake("dtype", __str__=lambda self: "torch.float64")    # as torch.float64 prints
    assert g.Config(dtype=torch_float64).dtype == "float64"
    for bad in (np.float16, None, "f8"):
        with pytest.raises(ValueError, match=r"^dtype=.* is not allowed: use one of \('float64', 'float32'\)"):
            g.validate(g.Config(dtype=bad))


def test_state_dict_round_trip_and_torch_layout():
    params, I, J, _ = tiny_problem("concat", 2, width=6)
    sd = g.to_state_dict(params)
    assert list(sd) == ["E.weight", "decoder.0.weight", "decoder.0.bias", "decoder.2.weight",
                        "decoder.2.bias", "decoder.4.weight", "decoder.4.bias"]
    assert sd["E.weight"].shape == (5, 3) and sd["decoder.0.weight"].shape == (6, 6)
    assert sd["decoder.4.weight"].shape == (1, 6) and sd["decoder.4.bias"].shape == (1,)
    back = g.from_state_dict(sd)
    assert list(back) == list(params) and all(np.array_equal(back[k], params[k]) for k in params)
    # nn.Sequential(Linear, Tanh, Linear, Tanh, Linear) written with torch's x Wᵀ + b
    x = np.concatenate([sd["E.weight"][I], sd["E.weight"][J]], axis=1)
    for i in (0, 2):
        x = np.tanh(x @ sd[f"decoder.{i}.weight"].T + sd[f"decoder.{i}.bias"])
    z_torch = (x @ sd["decoder.4.weight"].T + sd["decoder.4.bias"])[:, 0]
    np.testing.assert_allclose(g.forward(params, I, J, "concat")[0], z_torch, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="decoder.9.weight"):
        g.from_state_dict({**sd, "decoder.9.weight": np.zeros((1, 1))})


def test_module_imports_only_numpy_and_the_standard_library_and_runs_alone(tmp_path):
    tree = ast.parse(open(os.path.join(HERE, "geneft.py")).read())
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert names - set(sys.stdlib_module_names) == {"numpy"}
    shutil.copy(os.path.join(HERE, "geneft.py"), tmp_path)
    code = ("import sys; before = set(sys.modules); import geneft; "
            "h = geneft.train(geneft.Config(n=8, width=8, steps=50, eval_every=25)); "
            "new = {m.split('.')[0] for m in set(sys.modules) - before}; "
            "new -= set(sys.stdlib_module_names) | {'numpy', 'geneft', 'threadpoolctl'}; "
            "print(h.phase, sorted(m for m in new if 'cython' not in m))")  # numpy's compiled parts
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env={**ONE_BLAS_THREAD, "PYTHONPATH": ""}, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[0] in g.PHASES and out.stdout.strip().endswith("[]"), out.stdout


# === Table I: relations and data ==============================================

def test_table_i_relations():
    n = 7
    x = np.arange(n)
    for k in (3, 5):
        R = g.relation_matrix(f"mod{k}", n)
        assert all(R[a, b] == (a % k == b % k) for a in x for b in x)
    G = g.relation_matrix("greater", n)
    assert G[2, 5] == 1 and G[5, 2] == 0 and G.trace() == 0 and G.sum() == n * (n - 1) // 2
    B = g.relation_matrix("bipartite", n)
    S = set(range(n // 2))                                            # seed=None: the first half
    assert all(B[a, b] == ((a in S) != (b in S)) for a in x for b in x)
    Bs = g.relation_matrix("bipartite", n, seed=3)
    assert (Bs == Bs.T).all() and Bs.sum() == 2 * (n // 2) * (n - n // 2)


def test_preorder_relation_is_transitive_reflexive_not_symmetric():
    R = g.relation_matrix("preorder3", 7).astype(bool)
    assert R.diagonal().all() and not (R == R.T).all()
    assert ((R.astype(int) @ R.astype(int) > 0) <= R).all()          # transitive
    np.testing.assert_array_equal(R[1], [0, 1, 1, 0, 1, 1, 0])        # 1 mod 3 = 1 ≤ x mod 3
    assert g.relation_kind("preorder3") == ("total_preorder", 3)
    with pytest.raises(ValueError, match="preorder1"):
        g.relation_kind("preorder1")


def test_relation_given_as_a_matrix():
    R = g.relation_matrix("greater", 4)
    for given in (R, R.tolist(), tuple(map(tuple, R.tolist())), R.astype(bool), R.astype(float)):
        got = g.relation_matrix(given, 4)
        assert got.dtype == np.int8 and np.array_equal(got, R)
    cfg = g.Config(relation=R.astype(float), n=4)
    assert cfg.relation == ((0, 1, 1, 1), (0, 0, 1, 1), (0, 0, 0, 1), (0, 0, 0, 0))
    assert hash(cfg) == hash(g.Config(relation=R, n=4))
    for bad, words in (([[0, 1], [1, 0]], ["n=4 is not allowed", "2 × 2 matrix", "n is 2"]),
                       (np.zeros((4, 3)), ["relation=", "(4, 4)", "found shape (4, 3)"]),
                       (2 * R, ["relation=", "entries must be 0 or 1; found 2 at row 0, column 1"]),
                       ([[0, 1], [1]], ["relation=", "ragged"])):
        with pytest.raises(ValueError) as err:
            g.relation_matrix(bad, 4)
        assert all(w in str(err.value) for w in words), str(err.value)
    with pytest.raises(ValueError, match=r"relation=.*found 0\.5 at row 0, column 1"):
        g.validate(g.Config(relation=[[0, 0.5], [1, 0]], n=2))


def test_config_reads_n_from_a_matrix_and_refuses_one_that_disagrees():
    """Config(relation=R) takes n from R (any size, not Section II's 30); an n given beside it
    that differs is named, as is a matrix of the right shape holding a 2."""
    R = g.relation_matrix("mod3", 20)
    assert g.Config().n == 30 and g.Config(relation="greater").n == 30
    cfg = g.Config(relation=R)
    assert cfg.n == 20 and g.validate(cfg) is cfg and g.Config(relation=R, n=20) == cfg
    h = g.train(dataclasses.replace(cfg, steps=4, eval_every=2))
    assert h.final_E.shape == (20, 2) and h.config.n == 20
    with pytest.raises(ValueError, match=r"^n=30 is not allowed: relation is a 20 × 20 matrix, so n is 20"):
        g.validate(g.Config(relation=R, n=30))
    R30 = 2 * g.relation_matrix("mod3", 30)
    with pytest.raises(ValueError, match=r"entries must be 0 or 1; found 2 at row 0, column 0") as err:
        g.validate(g.Config(relation=R30))
    assert "shape" not in str(err.value).split("is not allowed")[1]


def test_matrix_relation_trains_like_its_name():
    cfg = dataclasses.replace(SMALL, relation="mod3", steps=20)
    named = g.train(cfg)
    given = g.train(dataclasses.replace(cfg, relation=g.relation_matrix("mod3", cfg.n)))
    assert np.array_equal(named.train_loss, given.train_loss)
    assert np.array_equal(named.final_E, given.final_E)


def test_bad_relation_and_split_inputs():
    with pytest.raises(ValueError, match="relation='cyclic'"):
        g.relation_matrix("cyclic", 5)
    with pytest.raises(ValueError, match="n=1"):
        g.relation_matrix("greater", 1)
    with pytest.raises(ValueError, match=r"frac=-0\.2"):
        g.split_pairs(5, -0.2, 0)
    for name in ("mod99999999999999999999", "preorder99999999999999999999", "mod0",
                 f"mod{g.MAX_K + 1}"):
        with pytest.raises(ValueError, match="relation="):
            g.relation_matrix(name, 5)


def test_split_is_seeded_partition():
    tr, te = g.split_pairs(10, 0.3, seed=4)
    assert len(tr) == 30 and len(te) == 70
    assert np.array_equal(np.sort(np.concatenate([tr, te])), np.arange(100))
    assert np.array_equal(tr, g.split_pairs(10, 0.3, seed=4)[0])
    assert not np.array_equal(tr, g.split_pairs(10, 0.3, seed=5)[0])
    I, J, y = g.pair_labels(g.relation_matrix("greater", 10), tr)
    assert np.array_equal(I * 10 + J, tr) and np.array_equal(y, I < J)


# === Table III: the configuration ===============================================

SMALL = g.Config(n=8, d=2, depth=1, width=8, frac=0.75, steps=60, eval_every=10, seed=0)


@pytest.mark.parametrize("field, value, words", [
    ("relation", "mod_three", "relation='mod_three'"),
    ("mode", "product", "mode='product'"),
    ("n", 1, "n=1"),
    ("frac", 0.0, "frac=0.0"),
    ("frac", 1.5, "frac=1.5"),
    ("eta_enc", -1e-3, "eta_enc=-0.001"),
    ("eta_dec", -1.0, "eta_dec=-1.0"),
    ("eta_enc", "0.01", "eta_enc='0.01'"),
    ("width", -5, "width=-5"),
    ("width", g.MAX_WIDTH + 1, f"width={g.MAX_WIDTH + 1}"),
    ("depth", -1, "depth=-1"),
    ("depth", g.MAX_DEPTH + 1, f"depth={g.MAX_DEPTH + 1}"),
    ("steps", g.MAX_STEPS + 1, f"steps={g.MAX_STEPS + 1}"),
    ("steps", True, "steps=True"),
    ("eval_every", 0, "eval_every=0"),
    ("optimizer", "rmsprop", "optimizer='rmsprop'"),
    ("init_enc", 0.0, "init_enc=0.0"),
    ("init_scheme", "he", "init_scheme='he'"),
    ("seed", -1, "seed=-1"),
    ("seed", None, "seed=None"),
    ("seed", 1.5, "seed=1.5"),
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
    assert "\n" not in str(err.value)


def test_validate_accepts_numpy_scalars_and_caps_the_evaluations():
    cfg = dataclasses.replace(SMALL, seed=np.int64(1), n=np.int64(8), eta_enc=np.float32(1e-3),
                              frac=np.float64(0.5), depth=np.int32(1))
    assert g.validate(cfg) is cfg
    g.validate(dataclasses.replace(SMALL, steps=g.MAX_STEPS, eval_every=100))
    with pytest.raises(ValueError, match="eval_every=1 is not allowed"):
        g.validate(dataclasses.replace(SMALL, steps=g.MAX_STEPS, eval_every=1))


# === Training: the reference trainer ===========================================

def assert_same_history(a, b, tol):
    for k in g.METRICS + ("final_E",):
        np.testing.assert_allclose(getattr(a, k), getattr(b, k), rtol=tol, atol=0, err_msg=k)
    assert (a.step_train_90, a.step_test_90, a.diverged_at, a.stopped_at) == \
           (b.step_train_90, b.step_test_90, b.diverged_at, b.stopped_at)


def test_history_records_milestones_at_eval_steps():
    h = g.train(dataclasses.replace(SMALL, steps=55, eval_every=10, eta_enc=0.03, eta_dec=0.03))
    assert list(h.steps) == list(g.eval_steps(55, 10)) == [0, 10, 20, 30, 40, 50, 55]
    for step, acc in ((h.step_train_90, h.train_acc), (h.step_test_90, h.test_acc)):
        above = np.flatnonzero(acc > g.ACC_THRESHOLD)
        assert step == (h.steps[above[0]] if above.size else None)
    assert h.step_train_90 is not None
    n_tr = round(SMALL.frac * SMALL.n ** 2)
    np.testing.assert_allclose(h.all_acc, (n_tr * h.train_acc + (64 - n_tr) * h.test_acc) / 64)
    assert h.stopped_at == 55 and h.diverged_at is None


@pytest.mark.parametrize("mode", g.MODES)
def test_evaluate_is_the_forward_over_all_pairs(mode):
    cfg = dataclasses.replace(SMALL, mode=mode, relation="greater")
    params = g.train(dataclasses.replace(cfg, steps=20)).params
    R = g.relation_matrix("greater", 8)
    mask = np.zeros(64, bool)
    mask[g.split_pairs(8, 0.75, 0)[0]] = True
    got = g.evaluate(params, R, mask, mode)
    idx = np.arange(64)
    z = g.forward(params, idx // 8, idx % 8, mode)[0]
    y = R.ravel().astype(float)
    for key, sel in (("train", mask), ("test", ~mask)):
        assert got[f"{key}_loss"] == pytest.approx(g.bce_with_logits(z[sel], y[sel]), rel=1e-12)
        assert got[f"{key}_acc"] == np.mean((z[sel] > 0) == (y[sel] == 1))
    assert got["all_acc"] == np.mean((z > 0) == (y == 1))


def test_train_uses_backward(monkeypatch):
    """Exercise 1 is real: train's gradients come from geneft.backward. With the decoder's
    gradients zeroed there, train leaves every decoder parameter where it started."""
    real = g.backward

    def encoder_only(params, cache, dz, I, J, mode):
        return {k: (v if k == "E" else np.zeros_like(v)) for k, v in real(params, cache, dz, I, J, mode).items()}

    monkeypatch.setattr(g, "backward", encoder_only)
    start = g.init_params(SMALL)
    h = g.train(SMALL)
    assert not np.array_equal(h.params["E"], start["E"])
    for k in g.layer_names(SMALL.depth)[1:]:
        assert np.array_equal(h.params[k], start[k]), k


@pytest.mark.parametrize("opt", ["sgd", OTHER], ids=["sgd", "moments"])
def test_train_from_given_params_returns_every_final_parameter(opt):
    cfg = dataclasses.replace(SMALL, optimizer=opt, eta_enc=0.05, eta_dec=0.05, steps=10)
    given = {k: 0.5 * v for k, v in g.init_params(dataclasses.replace(cfg, seed=9)).items()}
    kept = {k: v.copy() for k, v in given.items()}
    h = g.train(cfg, params=given)
    assert all(np.array_equal(given[k], kept[k]) for k in given)       # copied, not trained in place
    assert list(h.params) == g.layer_names(cfg.depth) and h.final_E is h.params["E"]
    assert all(not np.array_equal(h.params[k], given[k]) for k in given)
    R, mask = g.relation_matrix("mod3", 8), np.zeros(64, bool)
    mask[g.split_pairs(8, 0.75, 0)[0]] = True
    assert h.train_loss[0] == g.evaluate(given, R, mask, cfg.mode)["train_loss"]
    h32 = g.train(dataclasses.replace(cfg, dtype="float32"), params=given)
    assert all(v.dtype == np.float32 for v in h32.params.values())
    with pytest.raises(ValueError, match="params"):
        g.train(dataclasses.replace(cfg, width=9), params=given)


def test_oracle_steps_by_hand_through_a_state_dict_equal_train():
    """What examples/torch_oracle.py does, with NumPy alone: start from init_params, go to a
    state_dict and back, step loss_and_grads + the optimizer by hand; 20 steps equal
    train(cfg, params) from the same start, every parameter, to 1e-12."""
    cfg = dataclasses.replace(SMALL, optimizer=OTHER, steps=20, eval_every=20, wd_dec=0.01)
    start = g.from_state_dict(g.to_state_dict(g.init_params(cfg)))
    params, state = {k: v.copy() for k, v in start.items()}, g.adam_init(start)
    R = g.relation_matrix(cfg.relation, cfg.n)
    I, J, y = g.pair_labels(R, g.split_pairs(cfg.n, cfg.frac, cfg.seed)[0])
    for _ in range(cfg.steps):
        _, grads = g.loss_and_grads(params, I, J, y.astype(float), cfg.mode)
        getattr(g, OTHER + "_step")(params, grads, state, {"enc": cfg.eta_enc, "dec": cfg.eta_dec},
                                    {"enc": cfg.wd_enc, "dec": cfg.wd_dec})
    h = g.train(cfg, params=start)
    for k, p in h.params.items():
        np.testing.assert_allclose(params[k], p, rtol=1e-12, atol=1e-15, err_msg=k)


def test_same_seed_is_bit_identical_and_seeds_differ():
    a, b = g.train(SMALL), g.train(SMALL)
    assert np.array_equal(a.train_loss, b.train_loss) and np.array_equal(a.final_E, b.final_E)
    c = g.train(dataclasses.replace(SMALL, seed=1))
    assert not np.array_equal(a.final_E, c.final_E)


@pytest.mark.parametrize("opt", ["sgd", OTHER], ids=["sgd", "moments"])
def test_float32_tracks_float64(opt):
    cfg = dataclasses.replace(SMALL, optimizer=opt, eta_enc=0.05, eta_dec=0.05, wd_dec=0.01)
    a = g.train(cfg)
    b = g.train(dataclasses.replace(cfg, dtype="float32"))
    assert b.final_E.dtype == np.float32
    np.testing.assert_allclose(b.train_loss, a.train_loss, rtol=1e-4)


def test_diverging_run_is_frozen_and_confused():
    cfg = dataclasses.replace(SMALL, optimizer="sgd", mode="sqdiff", eta_enc=1e200, eta_dec=1e200)
    blown = g.train(cfg)                      # (E_i − E_j)² overflows: a NaN loss
    assert blown.diverged and blown.phase == g.CONFUSION
    assert blown.stopped_at == blown.diverged_at < SMALL.steps
    after = blown.steps > blown.stopped_at
    assert after.any() and np.isnan(blown.train_loss[after]).all()
    wild = g.train(dataclasses.replace(cfg, eta_enc=1e3, eta_dec=1e3))
    assert wild.phase == g.CONFUSION          # η 1e3 never learns, though its loss stays finite


def test_stop_when_decided_keeps_the_phase():
    stopped_early = False
    for seed in range(3):
        for eta in (1e-2, 1e-1):
            cfg = dataclasses.replace(SMALL, n=10, depth=0, mode="sqdiff", steps=400, seed=seed,
                                      eta_enc=eta, eta_dec=eta)
            full, early = g.train(cfg), g.train(dataclasses.replace(cfg, stop_when_decided=True))
            assert early.phase == full.phase
            stopped_early |= early.stopped_at < 400
            k = np.sum(early.steps <= early.stopped_at)
            np.testing.assert_array_equal(full.train_loss[:k], early.train_loss[:k])
            assert np.isnan(early.train_loss[k:]).all()
    assert stopped_early


def test_mod3_table_iii_defaults_reach_train_accuracy_one():
    """Table III's model (n = 30, depth 3, width 50, concat, η = 1e-3) fits mod3 within 600
    steps. In a subprocess with BLAS on one thread: this small model's matmuls only lose
    time to BLAS threads when the machine is busy, and threadpoolctl is optional."""
    code = ("import geneft; h = geneft.train(geneft.Config(steps=600, eval_every=100, seed=0)); "
            "print(h.train_acc[-1])")
    out = subprocess.run([sys.executable, "-c", code], cwd=HERE, capture_output=True, text=True,
                         env=ONE_BLAS_THREAD, timeout=300)
    assert out.returncode == 0, out.stderr
    assert float(out.stdout) == 1.0


# === Appendix B, Table IV: phases ==============================================

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


def test_table_iv_diverged_is_confusion_and_gap_scales_with_budget():
    assert g.classify_phase(10, 20, 100_000, 1000, diverged=True) == g.CONFUSION
    assert g.Config(steps=100_000).gap == 1000 and g.Config(steps=5000).gap == 50
    assert g.Config(steps=5000, grok_gap=7).gap == 7
    assert g.GENERALIZED == {g.GENERALIZATION, g.GROKKING} and set(g.PHASE_COLORS) == set(g.PHASES)


def test_history_phase_uses_the_config_gap():
    h = g.train(dataclasses.replace(SMALL, steps=60))
    h.step_train_90, h.step_test_90 = 10, 10 + SMALL.gap
    assert h.phase == g.GROKKING
    h.step_test_90 = 10 + SMALL.gap - 1
    assert h.phase == g.GENERALIZATION


# === Theorem 1 and Eq. (12) ======================================================

def test_cluster_ratio_by_hand():
    E = np.array([[0.0, 0.0], [0.0, 0.0], [3.0, 4.0], [3.0, 4.0]])
    assert g.cluster_ratio(E, np.array([0, 0, 1, 1])) == 0.0
    # classes {0, 2}, {1, 3}: within distances 5, 5; between: 0, 5, 5, 0 (each twice)
    assert g.cluster_ratio(E, np.array([0, 1, 0, 1])) == pytest.approx(5 / 2.5, rel=1e-12)
    with pytest.raises(ValueError, match="labels"):
        g.cluster_ratio(E, np.arange(4))


def test_class_labels_group_equal_rows():
    labels = g.class_labels(g.relation_matrix("mod3", 6))
    x = np.arange(6)
    np.testing.assert_array_equal(labels[:, None] == labels[None, :], x[:, None] % 3 == x[None, :] % 3)


def test_theorem1_generalized_injective_decoder_clusters_classes():
    """d = 1, sqdiff, no hidden layer: the logit is monotone in |E_i − E_j|, an injective
    decoder of the distance, so zero loss forces same-class embeddings together."""
    cfg = g.Config(n=12, d=1, depth=0, mode="sqdiff", frac=0.5, steps=1500, eval_every=50,
                   eta_enc=1e-2, eta_dec=1e-2, seed=1)
    labels = g.class_labels(g.relation_matrix("mod3", cfg.n))
    h = g.train(cfg)
    assert h.phase == g.GENERALIZATION and h.test_acc[-1] == 1.0
    assert g.cluster_ratio(g.init_params(cfg)["E"], labels) > 0.5
    assert g.cluster_ratio(h.final_E, labels) < 0.05


def test_sigma_a_of_a_linear_decoder_is_its_init_scale():
    """diff mode, no hidden layer: ∂z/∂E_i = W1 ~ σ_dec · U(±1/√d), RMS σ_dec / √(3d)."""
    cfg = g.Config(n=10, d=4, depth=0, mode="diff", init_dec=2.0)
    assert g.sigma_a_of_network(cfg, samples=4000) == pytest.approx(2.0 / np.sqrt(12), rel=0.03)


def test_sigma_a_is_the_rms_of_dz_dEi_over_seeds():
    """The definition, written out: seeds 0..S−1, pairs i ≠ j from default_rng(12345)."""
    cfg, S = g.Config(n=7, d=2, depth=2, width=5, mode="sqdiff"), 9
    rng = np.random.default_rng(12345)
    I = rng.integers(0, 7, (S, 1))
    J = (I + rng.integers(1, 7, (S, 1))) % 7
    A = []
    for s in range(S):
        p = g.init_params(dataclasses.replace(cfg, seed=s))
        dz = central_differences(lambda q: float(g.forward({**p, **q}, I[s], J[s], cfg.mode)[0][0]),
                                 {"E": p["E"]})
        A.append(dz["E"][I[s, 0]])
    assert g.sigma_a_of_network(cfg, samples=S) == pytest.approx(np.sqrt(np.mean(np.square(A))), rel=1e-9)


def test_eq12_sigma_c_is_the_spread_of_half_a_difference():
    assert g.sigma_c_of_network(g.Config(init_enc=2.0)) == pytest.approx(np.sqrt(2), rel=1e-12)


def test_train_pins_blas_to_one_thread_and_restores_it(monkeypatch):
    """While train() runs, BLAS uses one thread (a small model is slower on several); the
    caller's setting is back afterwards. Needs the optional threadpoolctl."""
    threadpoolctl = pytest.importorskip("threadpoolctl", reason="optional: pip install threadpoolctl")
    blas_threads = lambda: [i["num_threads"] for i in threadpoolctl.threadpool_info()
                            if i["user_api"] == "blas"]
    before, seen, real = blas_threads(), [], g.loss_and_grads
    monkeypatch.setattr(g, "loss_and_grads", lambda *a: seen.append(blas_threads()) or real(*a))
    g.train(dataclasses.replace(SMALL, steps=3))
    assert seen and all(t == [1] * len(t) for t in seen)
    assert blas_threads() == before


def test_the_entry_points_check_again_after_train_and_after_a_refused_call():
    """train and a checked call skip the checks only while they run: afterwards a wrong input
    is refused again (the skip does not leak out of train, nor out of a refused call)."""
    p = g.init_params(SMALL)
    g.train(dataclasses.replace(SMALL, steps=4, eval_every=2))
    with pytest.raises(ValueError, match="state is None"):
        g.adam_step(p, p, None, 1e-3)
    assert g._Trusted.depth == 0
    with pytest.raises(ValueError, match="grads"):
        g.sgd_step(p, {"E": p["E"]}, 0.1)
