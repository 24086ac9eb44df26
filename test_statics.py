"""Tests of statics.py: Section III (Table II, b from |Aut G|, Eqs. (1)-(5), p*)
and Appendix D (inference closure, uniform linear extensions, Monte Carlo bound vs
exact Bayes), each against a hand count, a closed form or brute force.
"""
import dataclasses
import itertools
import math
import os
import re

import numpy as np
import pytest

import geneft as g
import statics
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


def test_statics_cli_says_which_b_gives_p_c(capsys):
    """Exercise 5's numbers: p_c = 0.1601 comes from b = log2(n!/|Aut G|) = 63.0636, the one b
    the report prints (Table II's row, 84.2206, is --table's business), after the kind."""
    assert statics.main(["mod7", "--n", "30"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:5] == ["relation: mod7, n = 30", "kind: an equivalence of 7 classes (Table I's mod k kind)",
                         "|Aut G| = 27518828544000",
                         "b = log2(n!/|Aut G|) = 63.0636 bits (Section III's b; statics.py --table sets "
                         "Table II's beside it)",
                         "p_c(alpha=0.9) = 0.1601 (Eq. 4 with this b)"]
    assert not any("84.2" in line for line in lines)
    b = math.log2(math.factorial(30) // 27518828544000)
    assert round(statics.p_critical(0.9, b, 900), 4) == 0.1601
    assert round(statics.p_critical(0.9, statics.table_ii_b("mod7", 30), 900), 4) != 0.1601


def test_statics_table_sets_table_ii_beside_b_from_automorphisms(capsys):
    """--table: Table I's four relations at n = 30, each b = log2(n!/|Aut G|) by hand, Table II's
    row and value, p_c from the first; one line says which b p_c uses and why they differ."""
    assert statics.main(["--table"]) == 0
    out = capsys.readouterr().out.splitlines()
    f, lg = math.factorial, math.log2
    want = {"mod3": ("10!^3 * 3!", lg(f(30) // (f(10) ** 3 * f(3))), "n log2 k", 30 * lg(3)),
            "mod5": ("6!^5 * 5!", lg(f(30) // (f(6) ** 5 * f(5))), "n log2 k", 30 * lg(5)),
            "greater": ("1", lg(f(30)), "log2 n!", lg(f(30))),
            "bipartite": ("15!^2 * 2!", lg(f(30) // (f(15) ** 2 * 2)), "n", 30.0)}
    cells = [re.fullmatch(r"(\S+) +(.+?) +([\d.]+)   (n log2 k|log2 n!|n) +([\d.]+)   ([\d.]+)", line).groups()
             for line in out[2:6]]
    assert [c[0] for c in cells] == ["mod3", "mod5", "greater", "bipartite"]
    for name, aut, b, row, value, p_c in cells:
        assert (aut, float(b), row, float(value)) == (want[name][0], round(want[name][1], 4), want[name][2],
                                                      round(want[name][3], 4)), name
        assert float(p_c) == round(statics.p_critical(0.9, want[name][1], 900), 4)
    assert round(want["mod3"][1], 4) == 39.7509 and round(want["bipartite"][1], 4) == 26.2088
    assert out[-1].startswith("p_c uses b = log2(n!/|Aut G|)") and "except for the total order" in out[-1]
    for argv, words in ((["--table", "mod3"], "not both"), ([], "give a relation"),
                        (["--table", "--n", "1"], "--n=1")):
        assert statics.main(argv) == 2 and words in _statics_one_error_line(capsys)


def test_statics_cli_missing_file(tmp_path, capsys):
    assert statics.main([str(tmp_path / "nope.csv")]) == 2
    assert "cannot read" in capsys.readouterr().err


# --- A CSV as NumPy, pandas and spreadsheets write it ------------------------------------

CSV_R = np.array([[1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1]])   # mod 2 on 4 elements


def _csv_savetxt(path, **kw):
    np.savetxt(path, CSV_R, **kw)


def _csv_text(text, encoding="utf-8"):
    return lambda path: path.write_bytes(text.encode(encoding))


CSV_ROWS = ["1,0,1,0", "0,1,0,1", "1,0,1,0", "0,1,0,1"]
CSV_WRITERS = {   # what each writes for CSV_R, byte for byte (pandas 3.1's output, pinned)
    "savetxt, default fmt, ','": lambda p: _csv_savetxt(p, delimiter=","),       # 1.000000000000000000e+00
    "savetxt, default fmt, ' '": lambda p: _csv_savetxt(p),
    "savetxt, fmt %d, header": lambda p: _csv_savetxt(p, fmt="%d", header="mod 2; n = 4, d = 2"),
    "pandas to_csv(index=False)": _csv_text("0,1,2,3\n" + "\n".join(CSV_ROWS) + "\n"),
    "pandas to_csv(index=False) of floats": _csv_text("0,1,2,3\n1.0,0.0,1.0,0.0\n0.0,1.0,0.0,1.0\n"
                                                      "1.0,0.0,1.0,0.0\n0.0,1.0,0.0,1.0\n"),
    "spreadsheet: ';', BOM, CRLF, 1e0": _csv_text("\ufeff1e0;0;1;0\r\n0;1;0;1\r\n1;0;1;0\r\n0;1;0;1\r\n"),
    "spreadsheet: ';' and decimal commas, named columns": _csv_text(
        "a;b;c;d\n1,0;0,0;1,0;0,0\n0,0;1,0;0,0;1,0\n1,0;0,0;1,0;0,0\n0,0;1,0;0,0;1,0\n"),
    "tabs": _csv_text("\n".join(r.replace(",", "\t") for r in CSV_ROWS) + "\n"),
}


@pytest.mark.parametrize("writer", CSV_WRITERS)
def test_statics_csv_reads_what_numpy_pandas_and_spreadsheets_write(tmp_path, capsys, writer):
    path = tmp_path / "r.csv"
    CSV_WRITERS[writer](path)
    np.testing.assert_array_equal(statics.load_relation_csv(str(path)), CSV_R)
    assert statics.main([str(path)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    header = {"pandas to_csv(index=False)": "0,1,2,3", "pandas to_csv(index=False) of floats": "0,1,2,3",
              "spreadsheet: ';' and decimal commas, named columns": "a,b,c,d"}.get(writer)
    assert first == f"relation: {path}, n = 4" + (f" (first row {header} skipped: column names)" if header else "")


def test_statics_csv_reads_real_pandas_output(tmp_path):
    pd = pytest.importorskip("pandas", reason="pandas is not installed: CSV_WRITERS pins its output")
    path = tmp_path / "r.csv"
    for frame in (pd.DataFrame(CSV_R), pd.DataFrame(CSV_R.astype(float))):
        frame.to_csv(path, index=False)
        np.testing.assert_array_equal(statics.load_relation_csv(str(path)), CSV_R)
    pd.DataFrame(CSV_R).to_csv(path)
    with pytest.raises(ValueError, match="has an index column"):
        statics.load_relation_csv(str(path))


@pytest.mark.parametrize("data, words", [
    (",0,1,2,3\n0,1,0,1,0\n1,0,1,0,1\n2,1,0,1,0\n3,0,1,0,1\n",        # pandas' to_csv() with its index
     " has an index column: its first column holds 0, 1, 2, ... (pandas writes one unless to_csv(index=False)): remove it"),
    ("0,1,0,1,0\n1,0,1,0,1\n2,1,0,1,0\n3,0,1,0,1\n", " has an index column"),   # to_csv(header=False)
    ("".join(r + ",\n" for r in CSV_ROWS),
     ": line 1 ends with ',' as every row does (an empty last entry): remove the trailing separator"),
    ("0,1,2,3\nTrue,False,True,False\nFalse,True,False,True\nTrue,False,True,False\nFalse,True,False,True\n",
     ": entries are True/False (line 2, entry 1 is 'True'): write 1 and 0 (NumPy: R.astype(int); pandas: df.astype(int))"),
    ("True,False\nFalse,True\n", ": entries are True/False (line 1, entry 1 is 'True')"),
    ("\n".join(CSV_ROWS).encode("utf-16"), " is UTF-16 text (it starts with the byte-order mark FF FE): save it as CSV in UTF-8"),
    ("\n".join(CSV_ROWS).encode("utf-16-le"), " is UTF-16 text without a byte-order mark (a NUL byte beside every character)"),
    ("1,0\n0,2\n", ": line 2, entry 2 '2' is not 0 or 1"),
    ("1;0\n0;0,5\n", ": line 2, entry 2 '0,5' is not 0 or 1"),
    ("1,,0\n0,1,0\n0,0,1\n", ": line 1, entry 2 is empty"),
    ("0,1,2\n1,0,1\n0,1,0\n", " is not square: 2 rows of 3 entries below its header row"),
    ("0 1\n1 0 1\n", " is ragged: line 2 has 3 entries, line 1 has 2; all rows need the same number"),
])
def test_statics_csv_names_the_real_cause(tmp_path, capsys, data, words):
    """Each what the reader cannot take is one line naming its cause (never "looks like a
    header", the one diagnosis these once all got), in Python and on the command line."""
    path = tmp_path / "r.csv"
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    with pytest.raises(ValueError) as err:
        statics.load_relation_csv(str(path))
    assert str(err.value).startswith(f"{path}{words}") and "\n" not in str(err.value)
    assert statics.main([str(path)]) == 2
    assert _statics_one_error_line(capsys) == f"statics.py: error: {err.value}\n"


# --- Section III: closed forms of |Aut G|, and size limits ------------------------

def _statics_random_structures(rng, n_cases=40, max_n=9):
    """Random equivalences, their complements (complete multipartite graphs, K_{a,c}
    among them) and total orders, each with a zero and a full diagonal, random labels."""
    cases = []
    for _ in range(n_cases):
        n = int(rng.integers(1, max_n))
        labels = rng.integers(0, rng.integers(1, n + 1), size=n)
        same = labels[:, None] == labels[None, :]
        rank = rng.permutation(n)
        for R in (same, ~same, rank[:, None] < rank[None, :]):
            for diagonal in (0, 1):
                R = R.astype(np.int8)
                np.fill_diagonal(R, diagonal)
                cases.append(R)
    return cases


def test_statics_aut_closed_form_equals_search_on_random_structures():
    """Every random equivalence / complete multipartite / total order takes the closed
    form, and it equals the individualisation-refinement search (and, n <= 6, brute force)."""
    for R in _statics_random_structures(np.random.default_rng(5)):
        closed = statics._aut_closed_form(R)
        assert closed is not None and closed == statics._aut_search(R), R
        if R.shape[0] <= 6:
            assert closed == _statics_brute_aut(R), R
    f = math.factorial
    for a, c in [(1, 1), (2, 5), (4, 4), (7, 3)]:                      # Section III: a! c!
        for R in (_statics_kac(a, c), _statics_kac(a, c) | np.eye(a + c, dtype=np.int8)):
            expect = f(a) * f(c) * (2 if a == c else 1)
            assert statics._aut_closed_form(R) == statics._aut_search(R) == expect


def test_statics_aut_closed_form_mod7_and_table_i_at_n30():
    R = g.relation_matrix("mod7", 30)          # classes 5, 5, 4, 4, 4, 4, 4
    assert statics._aut_closed_form(R) == statics._aut_search(R) == 27_518_828_544_000
    for name in g.RELATIONS:
        for seed in (None, 1):
            R = g.relation_matrix(name, 30, seed)
            assert statics._aut_closed_form(R) == statics._aut_search(R), (name, seed)


def test_statics_almost_structures_take_the_search_path():
    """One entry flipped (n >= 3, so no flip lands on another structure): no closed form,
    and automorphism_count still equals brute force."""
    rng = np.random.default_rng(6)
    for R in _statics_random_structures(rng, n_cases=25, max_n=7):
        n = R.shape[0]
        if n < 3:
            continue
        i, j = rng.integers(n, size=2)
        R = R.copy()
        R[i, j] ^= 1
        assert statics._aut_closed_form(R) is None, R
        assert statics.automorphism_count(R) == _statics_brute_aut(R), R


def test_statics_closed_form_exact_and_fast_at_large_n():
    """n = 3000 in O(n²) (measured ~0.1 s each); the search took 93 s already at n = 150."""
    import time
    f = math.factorial
    t0 = time.perf_counter()
    assert statics.automorphism_count(g.relation_matrix("mod3", 3000)) == f(1000) ** 3 * f(3)
    assert statics.automorphism_count(g.relation_matrix("bipartite", 3000, 2)) == f(1500) ** 2 * 2
    assert statics.automorphism_count(g.relation_matrix("greater", 3000)) == 1
    assert time.perf_counter() - t0 < 3.0


def test_statics_sizes_refused_before_allocating(tmp_path, capsys, monkeypatch):
    big = statics.MAX_N_MATRIX + 1          # a read-only view of one byte: nothing allocated
    with pytest.raises(ValueError, match=f"n={big} is too large"):
        statics.automorphism_count(np.broadcast_to(np.int8(1), (big, big)))
    R = g.relation_matrix("mod3", statics.MAX_N_SEARCH + 1).copy()
    R[0, 3] = 0                              # 0 ≡ 3 (mod 3): no closed form, search limit
    with pytest.raises(ValueError, match=f"n={statics.MAX_N_SEARCH + 1} is too large"):
        statics.automorphism_count(R)
    for name, limit in (("greater", statics.MAX_N_MC_ORDER), ("mod3", statics.MAX_N_MC_CLASSES)):
        with pytest.raises(ValueError, match=f"n={limit + 1} is too large"):
            statics.mc_accuracy_bound(name, limit + 1, 0.2, 0)
    assert statics.main(["mod3", "--n", str(big)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith(f"statics.py: error: --n {big} is too large: ")
    monkeypatch.setattr(statics, "MAX_CSV_BYTES", 10)
    path = tmp_path / "r.csv"
    path.write_text("1,0,0\n0,1,0\n0,0,1\n")
    assert statics.main([str(path)]) == 2
    assert "r.csv is too large: 18 bytes" in capsys.readouterr().err


def test_statics_cli_large_n(capsys):
    """mod3 --n 150 (93 s before the closed forms, ~0.3 s now) prints the exact
    |Aut G| = (50!)³ 3!; at n = 2000 it has > 1000 digits and is printed as m.mmmme+E."""
    import time
    f = math.factorial
    t0 = time.perf_counter()
    assert statics.main(["mod3", "--n", "150"]) == 0
    assert time.perf_counter() - t0 < 5.0
    assert f"|Aut G| = {f(50) ** 3 * 6}\n" in capsys.readouterr().out
    assert statics.main(["mod3", "--n", "2000"]) == 0                  # classes 667, 667, 666
    e = math.log10(f(667) ** 2 * f(666) * 2)
    digits = math.floor(e) + 1
    mantissa = 10 ** (e - math.floor(e))
    out = capsys.readouterr().out
    assert f"|Aut G| ≈ {mantissa:.4f}e+{digits - 1} ({digits} digits)\n" in out


def test_statics_names_go_through_geneft_relation_kind(capsys, monkeypatch):
    """A bad name gets relation_kind's error; a kind Section III does not treat (a stand-in
    'total_preorder') gets no Table II row or p* instead of a silent 1/k."""
    assert statics.main(["mod0"]) == 2
    assert "relation='mod0' is not allowed" in capsys.readouterr().err
    real = g.relation_kind
    monkeypatch.setattr(g, "relation_kind",
                        lambda name: ("total_preorder", 3) if name == "tiers3" else real(name))
    for call in (lambda: statics.p_star("tiers3"), lambda: statics.table_ii_b("tiers3", 30),
                 lambda: statics.mc_accuracy_bound("tiers3", 12, 0.2, 0)):
        with pytest.raises(ValueError, match="relation='tiers3' is not allowed here"):
            call()


# --- README exercise 5 ---------------------------------------------------------------

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


# --- The command line on hostile input ------------------------------------------------

def _statics_one_error_line(capsys):
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1, captured.err
    assert captured.err.startswith("statics.py: error: ")
    return captured.err


def test_statics_cli_reads_a_csv_with_a_utf8_byte_order_mark(tmp_path, capsys):
    """What spreadsheet programs write: a byte-order mark before the first entry."""
    path = tmp_path / "gt.csv"
    rows = "\n".join(",".join(map(str, row)) for row in g.relation_matrix("greater", 5))
    path.write_bytes(b"\xef\xbb\xbf" + rows.encode() + b"\n")
    assert statics.main([str(path)]) == 0
    assert "|Aut G| = 1\n" in capsys.readouterr().out


def test_statics_cli_refuses_what_is_not_a_regular_file(tmp_path, capsys):
    """/dev/zero never ends (reading it once filled the memory: here it runs in a process
    whose address space is capped, so a regression fails instead of exhausting the
    machine), and a folder is no matrix."""
    import resource
    import subprocess
    import sys
    if os.path.exists("/dev/zero"):
        cap = lambda: resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
        done = subprocess.run([sys.executable, "statics.py", "/dev/zero"], preexec_fn=cap, timeout=60,
                              cwd=os.path.dirname(os.path.abspath(statics.__file__)),
                              capture_output=True, text=True)
        assert done.returncode == 2 and done.stderr == (
            "statics.py: error: /dev/zero is not a regular file: give a text file holding an n x n "
            "matrix of 0 and 1\n"), done.stderr
    assert statics.main([str(tmp_path)]) == 2
    assert f"{tmp_path} is not a regular file" in _statics_one_error_line(capsys)


def test_statics_cli_refuses_a_total_preorder_whose_search_would_take_long(capsys):
    """preorder3 has no closed form of |Aut G|; --n 300 would search for most of an hour:
    refused at once, naming the cost and the limit; a total order needs no search."""
    import time
    t0 = time.perf_counter()
    assert statics.main(["preorder3", "--n", "300"]) == 2
    assert time.perf_counter() - t0 < 5.0
    err = _statics_one_error_line(capsys)
    assert "--n 300 is too large for preorder3" in err and f"n <= {statics.MAX_N_CLI_SEARCH}" in err
    assert statics.main(["preorder400", "--n", "300"]) == 0    # k >= n: a total order, |Aut G| = 1


def test_statics_cli_refuses_an_alpha_whose_p_c_exceeds_one(capsys):
    """alpha = 1 - 1e-16 asked Eq. (4) for p_c = 1.60, more than every pair; alpha outside
    (0, 1) is refused even where b <= 1 leaves p_c undefined."""
    assert statics.main(["mod3", "--alpha", "0.9999999999999999"]) == 2
    err = _statics_one_error_line(capsys)
    assert "alpha=0.9999999999999999 is not allowed here" in err and "p_c = 1.6021 > 1" in err
    alpha_max = float(err.rsplit("alpha <= ", 1)[1])
    assert statics.main(["mod3", "--alpha", repr(alpha_max)]) == 0
    p_c = float(capsys.readouterr().out.split(f"p_c(alpha={alpha_max}) = ")[1].split()[0])
    assert p_c <= 1.0
    assert statics.main(["mod1", "--n", "4", "--alpha", "1.5"]) == 2
    assert "alpha=1.5 is not allowed" in _statics_one_error_line(capsys)


def test_statics_cli_refuses_a_huge_k_in_one_line(capsys):
    assert statics.main(["mod99999999999999999999"]) == 2
    assert "relation='mod99999999999999999999' is not allowed" in _statics_one_error_line(capsys)


# --- A relation read from a file: its kind from the matrix alone ------------------------

def relabelled(name, n, seed=3):
    """A Table I relation with its elements permuted: only the matrix says what it is."""
    perm = np.random.default_rng(seed).permutation(n)
    return g.relation_matrix(name, n)[np.ix_(perm, perm)]


@pytest.mark.parametrize("name, kind", [("mod3", ("equivalence", 3)), ("mod5", ("equivalence", 5)),
                                        ("bipartite", ("bipartite", 2)),
                                        ("greater", ("total_order", None)),
                                        ("preorder3", (None, None))])
def test_statics_matrix_kind_reads_table_i_kinds_off_a_relabelled_matrix(name, kind):
    assert statics.matrix_kind(relabelled(name, 12)) == kind


def test_statics_matrix_kind_refuses_near_misses():
    R = g.relation_matrix("mod3", 9)
    broken = R.copy()
    broken[0, 3] = 0                                     # not symmetric
    assert statics.matrix_kind(broken) == (None, None)
    K = g.relation_matrix("bipartite", 8)
    assert statics.matrix_kind(1 - K) == ("equivalence", 2)       # its complement: two classes
    T = g.relation_matrix("greater", 8)
    T[0, 1] = 0                                          # a partial order: not total
    assert statics.matrix_kind(T) == (None, None)
    assert statics.matrix_kind(np.ones((5, 5), int)) == ("equivalence", 1)


@pytest.mark.parametrize("name", ["mod3", "bipartite", "greater"])
def test_statics_a_matrix_gets_its_kinds_p_star_table_ii_row_and_appendix_d_bound(name):
    """Relabelling changes nothing Section III computes: p*, Table II's b and the Monte Carlo
    bound of a relabelled matrix equal the named relation's (same split seeds)."""
    n, R = 12, relabelled(name, 12)
    assert statics.p_star(R) == statics.p_star(name)
    assert statics.table_ii_b(R, n) == statics.table_ii_b(name, n)
    named = g.relation_matrix(name, n)
    for frac in (0.1, 0.3):
        a = statics.mc_accuracy_bound(named, n, frac, 0, n_orders=50).accuracy
        assert a == statics.mc_accuracy_bound(name, n, frac, 0, n_orders=50).accuracy
    with pytest.raises(ValueError, match="none of an equivalence"):
        statics.p_star(relabelled("preorder3", 9))


def test_statics_cli_reads_a_csv_relations_kind_and_bound(tmp_path, capsys):
    path = tmp_path / "mine.csv"
    np.savetxt(path, relabelled("mod3", 15), fmt="%d", delimiter=",")
    assert statics.main([str(path)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[1] == "kind: an equivalence of 3 classes (Table I's mod k kind)" and "Appendix D Monte Carlo bound" in out
    assert "p* = 0.3333, the kind's" in out and "Table II row" not in out
    np.savetxt(path, relabelled("preorder3", 15), fmt="%d", delimiter=",")
    assert statics.main([str(path)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1].startswith("kind: none of Section III's") and "Appendix D Monte Carlo bound" not in out
    assert "p* =" not in out and "f_UB (Eq. 5) needs p*, which only Section III's kinds have: give --p-star" in out
    assert statics.main([str(path), "--p-star", "0.25"]) == 0
    assert "f_UB (Eq. 5, p* = 0.2500):" in capsys.readouterr().out.splitlines()


def test_statics_cli_on_a_2x2_csv_leaves_out_the_fractions_without_a_split(tmp_path, capsys):
    """A 2 × 2 total order (4 pairs): frac 0.05 and 0.1 give no training pair, so the
    Appendix D bound leaves them out, saying so (it once failed with "frac=0.05 gives no
    training pair", a setting the user never gave); 0.2 to 0.8 are computed."""
    path = tmp_path / "two.csv"
    path.write_text("0,1\n0,0\n")
    assert statics.main([str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    bound = out[out.index("Appendix D Monte Carlo bound (mean of 3 splits):") + 1:]
    assert [ln.split()[1] for ln in bound[:-1]] == ["0.20", "0.30", "0.50", "0.80"]
    assert bound[-1] == ("(Appendix D bound at frac 0.05, 0.1 left out: no split of the 4 pairs "
                         "has a training and a test pair there)")


def run_statics_cli(*args, stdout=None, env_extra=None):
    import subprocess
    import sys
    root = os.path.dirname(os.path.abspath(statics.__file__))
    return subprocess.run([sys.executable, os.path.join(root, "statics.py"), *args], stdout=stdout or
                          subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                          env={**os.environ, **(env_extra or {})})


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full, a device always full")
def test_statics_cli_onto_a_full_disk_is_one_line():
    """`python statics.py mod3 --n 6 > /dev/full`: one line naming the cause, exit 2 (it
    once ended in an OSError traceback)."""
    with open("/dev/full", "w") as full:
        done = run_statics_cli("mod3", "--n", "6", stdout=full)
    assert done.returncode == 2
    assert done.stderr.decode() == "statics.py: error: cannot write the output (No space left on device)\n"


def test_statics_cli_on_an_ascii_only_terminal_escapes_what_it_cannot_show(tmp_path):
    """PYTHONIOENCODING=ascii and a file named relé.csv: the name is escaped, exit 0 (its
    first line once raised UnicodeEncodeError); so is an error naming such a file."""
    path = tmp_path / "relé.csv"
    path.write_text("1,0\n0,1\n")
    done = run_statics_cli(str(path), env_extra={"PYTHONIOENCODING": "ascii"})
    assert done.returncode == 0 and done.stderr == b""
    assert done.stdout.decode("ascii").splitlines()[0] == f"relation: {tmp_path}/rel\\xe9.csv, n = 2"
    done = run_statics_cli(str(tmp_path / "nosuché.csv"), env_extra={"PYTHONIOENCODING": "ascii"})
    assert done.returncode == 2 and b"nosuch\\xe9.csv" in done.stderr and b"Traceback" not in done.stderr


@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_statics_cli_into_a_closed_pipe_is_quiet(unbuffered):
    """`python statics.py mod3 --n 6 | head -1`, the reader gone before anything is
    written: no traceback, exit 141 as a Unix tool ended by SIGPIPE (with
    PYTHONUNBUFFERED=1 it once printed a BrokenPipeError traceback every time)."""
    import subprocess
    import sys
    read, write = os.pipe()
    os.close(read)                                             # the reader has closed
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env.update({"PYTHONUNBUFFERED": unbuffered} if unbuffered else {})
    root = os.path.dirname(os.path.abspath(statics.__file__))
    done = subprocess.run([sys.executable, os.path.join(root, "statics.py"), "mod3", "--n", "6"],
                          stdout=write, stderr=subprocess.PIPE, text=True, timeout=60, env=env)
    os.close(write)
    assert done.returncode == 141 and done.stderr == ""
