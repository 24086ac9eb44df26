"""Tests of lab/ensemble.py and lab/fastpath.py: the ensemble trainer equals the book's
geneft.train (float64, 1e-12, every mode and depth, both optimizers), its fast step
against central differences, members that leave without touching the others.

No test name here contains an exercise's -k word (README, Exercises): an exercise's
selection picks the book's tests of its own function only.
"""
import dataclasses
import math

import numpy as np
import pytest

import geneft as g
from conftest import central_differences, rel_error
from lab import ensemble, fastpath
from lab.ensemble import Batch, train_ensemble

SMALL = g.Config(n=8, d=2, depth=1, width=8, frac=0.75, steps=60, eval_every=10, seed=0)
OPT_IDS = {"adam": "moments", "sgd": "plain"}   # ids free of the exercises' -k words


def assert_same_history(a, b, tol):
    for k in ("train_loss", "test_loss", "train_acc", "test_acc", "all_acc"):
        np.testing.assert_allclose(getattr(a, k), getattr(b, k), rtol=tol, atol=0, err_msg=k)
    for name, p in b.params.items():
        assert np.max(np.abs(a.params[name] - p)) <= tol * max(1.0, np.max(np.abs(p))), name
    assert (a.step_train_90, a.step_test_90, a.diverged_at, a.stopped_at) == \
           (b.step_train_90, b.step_test_90, b.diverged_at, b.stopped_at)


@pytest.mark.parametrize("mode", g.MODES)
@pytest.mark.parametrize("depth", [0, 1, 3])
@pytest.mark.parametrize("optimizer", g.OPTIMIZERS, ids=OPT_IDS.get)
def test_ensemble_trains_what_the_book_trains(mode, depth, optimizer):
    """float64: every member of one ensemble equals geneft.train of its config to 1e-12
    (histories, milestones, every final parameter), members differing in relation, seed,
    learning rates, weight decays and init scales."""
    base = dataclasses.replace(SMALL, mode=mode, depth=depth, optimizer=optimizer, steps=50,
                               eval_every=5)
    eta = 0.03 if optimizer == "sgd" else 1e-2
    members = [dataclasses.replace(base, relation=rel, seed=s, eta_enc=eta * a, eta_dec=eta * b,
                                   wd_enc=we, wd_dec=wd, init_enc=ie)
               for rel, s, a, b, we, wd, ie in [("mod3", 0, 1.0, 0.1, 0.0, 0.0, 1.0),
                                                ("greater", 1, 0.3, 1.0, 0.05, 0.1, 0.5),
                                                ("bipartite", 2, 0.1, 3.0, 0.0, 0.0, 2.0)]]
    for h, c in zip(train_ensemble(members), members):
        assert_same_history(h, g.train(c), tol=1e-12)


def test_ensemble_equals_the_book_on_table_iii():
    """The Table III model itself (n = 30, depth 3, width 50, concat, Adam), float64."""
    cfgs = [g.Config(seed=s, relation=r, steps=40, eval_every=10) for s, r in ((0, "mod3"), (1, "bipartite"))]
    for h, c in zip(train_ensemble(cfgs), cfgs):
        assert_same_history(h, g.train(c), tol=1e-12)


def fast_batch(mode, depth, optimizer="adam", n=5, d=3, width=4, K=1, **kw):
    """A float64 Batch of K seeded members (mod3 / greater alternating) on a tiny problem."""
    cfgs = [g.Config(n=n, d=d, depth=depth, width=width, mode=mode, optimizer=optimizer, seed=s,
                     relation=("mod3", "greater")[s % 2], frac=0.75, **kw) for s in range(K)]
    return Batch.start(cfgs), cfgs


@pytest.mark.parametrize("mode", g.MODES)
@pytest.mark.parametrize("depth", [0, 1, 3])
def test_fast_step_gradients_match_central_differences(mode, depth):
    """Batch.loss_and_grads (the training step's fast path) against central differences of
    its own loss, entry by entry, as strict as the book's gradient check."""
    batch, _ = fast_batch(mode, depth)
    assert 0 < batch.data["y"].sum() < batch.data["y"].size
    _, grads = batch.loss_and_grads()
    grads = {k: v.copy() for k, v in grads.items()}
    num = central_differences(lambda p: batch.loss_and_grads()[0][0], batch.params)
    assert set(grads) == set(batch.params)
    for name in batch.params:
        assert grads[name].shape == batch.params[name].shape
        assert rel_error(grads[name], num[name]) < 1e-6, name


@pytest.mark.parametrize("mode", g.MODES)
def test_ensemble_evaluate_matches_the_book(mode):
    """evaluate (one forward over the n² pairs per member) against geneft.evaluate, float64,
    after a few training steps."""
    batch, cfgs = fast_batch(mode, depth=2, n=7, d=2, width=6, K=3, eta_enc=0.05, eta_dec=0.05)
    for _ in range(20):
        batch.update(batch.loss_and_grads()[1])
    got = ensemble.evaluate(batch.params, batch.data, mode)
    for k, c in enumerate(cfgs):
        R = g.relation_matrix(c.relation, c.n)
        mask = np.zeros(c.n ** 2, bool)
        mask[g.split_pairs(c.n, c.frac, c.seed)[0]] = True
        want = g.evaluate({name: v[k] for name, v in batch.params.items()}, R, mask, mode)
        for name, value in want.items():
            assert got[name][k] == pytest.approx(value, rel=1e-12, abs=0), name


def test_batch_blocks_do_not_change_a_members_numbers(monkeypatch):
    """Members are stepped in blocks sharing one Workspace: any block size gives the same
    numbers bit for bit (float32, sqdiff, Adam)."""
    cfgs = [dataclasses.replace(SMALL, mode="sqdiff", dtype="float32", seed=s) for s in range(5)]
    runs = []
    for budget in (1, 10 ** 9):                        # blocks of 1 member, then all 5 at once
        monkeypatch.setattr(fastpath, "BLOCK_BYTES", budget)
        batch = Batch.start(cfgs)
        assert len(batch.blocks) == (5 if budget == 1 else 1)
        for _ in range(30):
            batch.update(batch.loss_and_grads()[1])
        runs.append(batch.flat.copy())
    assert np.array_equal(runs[0], runs[1])


def torch_order_update(p, grad, m, v, t, eta, wd, optimizer, b1=0.9, b2=0.999, eps=1e-8):
    """One member's torch.optim step written out in torch's order of operations, the order
    the committed results were computed in (and geneft's as shipped): SGD p − η (g + λ p);
    Adam m, v, then p − η/(1 − β1ᵗ) · m / (√v/√(1 − β2ᵗ) + ε). Returns (p, m, v), new arrays."""
    gt = grad + wd * p
    if optimizer == "sgd":
        return p - eta * gt, m, v
    m = b1 * m + (1 - b1) * gt
    v = b2 * v + (1 - b2) * (gt * gt)
    return p - eta / (1 - b1 ** t) * (m / (np.sqrt(v) / math.sqrt(1 - b2 ** t) + eps)), m, v


@pytest.mark.parametrize("optimizer", g.OPTIMIZERS, ids=OPT_IDS.get)
def test_in_place_update_is_torchs_order_bit_for_bit_and_the_books_formula(optimizer):
    """adam_update / sgd_update work in place on scratch buffers, per member; in float64 they
    are bit for bit torch's order of operations (torch_order_update, weight decay included),
    and each member's step is geneft.adam_step / sgd_step's to 1e-12 of the distance moved
    (any correct rewrite of the book's formula, as its exercise asks, passes)."""
    rng = np.random.default_rng(3)
    groups = {"enc": rng.standard_normal((2, 12)), "dec": rng.standard_normal((2, 30))}
    start = {grp: p.copy() for grp, p in groups.items()}
    ref = [{grp: (p[k].copy(), np.zeros_like(p[k]), np.zeros_like(p[k])) for grp, p in groups.items()}
           for k in range(2)]
    book = [{"E": groups["enc"][k].copy(), "W1": groups["dec"][k].copy()} for k in range(2)]
    book_states = [g.adam_init(b) for b in book]
    eta = {"enc": np.array([1e-2, 3e-3]), "dec": np.array([1e-3, 2e-2])}
    wd = {"enc": np.array([0.0, 0.1]), "dec": np.array([0.3, 0.0])}
    zeros = {grp: np.zeros_like(p) for grp, p in groups.items()}
    state = {"t": 0, "m": zeros, "v": {k: v.copy() for k, v in zeros.items()}}
    work = {}
    for t in range(1, 6):
        grads = {grp: rng.standard_normal(p.shape) for grp, p in groups.items()}
        if optimizer == "adam":
            ensemble.adam_update(groups, grads, state, eta, wd)
        else:
            ensemble.sgd_update(groups, grads, eta, wd, work)
        for k in range(2):
            for grp in groups:
                ref[k][grp] = torch_order_update(*ref[k][grp][:1], grads[grp][k], *ref[k][grp][1:], t,
                                                 float(eta[grp][k]), float(wd[grp][k]), optimizer)
                assert np.array_equal(groups[grp][k], ref[k][grp][0]), (k, grp, t)
            # the book's parameter names map onto the two groups: E -> enc, W1 -> dec
            step = {grp: float(eta[grp][k]) for grp in eta}, {grp: float(wd[grp][k]) for grp in wd}
            member_grads = {"E": grads["enc"][k], "W1": grads["dec"][k]}
            if optimizer == "adam":
                g.adam_step(book[k], member_grads, book_states[k], *step)
            else:
                g.sgd_step(book[k], member_grads, *step)
    for k in range(2):
        for name, grp in (("E", "enc"), ("W1", "dec")):
            moved = np.max(np.abs(groups[grp][k] - start[grp][k]))
            assert moved > 0 and np.max(np.abs(book[k][name] - groups[grp][k])) <= 1e-12 * moved


def test_diverging_member_is_frozen_and_others_untouched():
    good = [dataclasses.replace(SMALL, optimizer="sgd", mode="sqdiff", seed=s, eta_enc=0.1, eta_dec=0.1)
            for s in range(3)]
    wild = [dataclasses.replace(good[0], eta_enc=1e3, eta_dec=1e3),        # diverging rate, finite loss
            dataclasses.replace(good[0], eta_enc=1e200, eta_dec=1e200)]    # (E_i − E_j)² overflows: NaN loss
    alone = train_ensemble(good)
    mixed = train_ensemble(good[:1] + wild + good[1:])
    for a, b in zip(alone, mixed[:1] + mixed[3:]):
        assert_same_history(a, b, tol=0)
    blown = mixed[2]
    assert blown.diverged and blown.phase == g.CONFUSION
    assert blown.stopped_at == blown.diverged_at < SMALL.steps
    assert mixed[1].phase == g.CONFUSION  # eta 1e3 never learns, though its loss stays finite


def test_stop_when_decided_leaves_early_with_the_same_phase():
    cfgs = [dataclasses.replace(SMALL, n=10, depth=0, mode="sqdiff", steps=400, seed=s,
                                eta_enc=eta, eta_dec=eta) for s in range(3) for eta in (1e-2, 1e-1)]
    full = train_ensemble(cfgs)
    early = train_ensemble([dataclasses.replace(c, stop_when_decided=True) for c in cfgs])
    assert [h.phase for h in early] == [h.phase for h in full]
    assert any(h.stopped_at < 400 for h in early)
    for f, e in zip(full, early):
        k = len(e.steps[e.steps <= e.stopped_at])
        np.testing.assert_array_equal(f.train_loss[:k], e.train_loss[:k])


def test_mismatched_ensemble_architectures_raise():
    with pytest.raises(ValueError, match=r"configs\[1\]\.depth=2 differs"):
        train_ensemble([SMALL, dataclasses.replace(SMALL, depth=2)])
    with pytest.raises(ValueError, match=r"configs\[1\]\.mode='diff' differs"):
        train_ensemble([SMALL, dataclasses.replace(SMALL, mode="diff")])
    with pytest.raises(ValueError, match="configs=\\[\\]"):
        train_ensemble([])
