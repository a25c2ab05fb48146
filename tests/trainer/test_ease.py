"""EASE's closed form against a direct computation and its defining properties."""

from __future__ import annotations

import numpy as np

from trainer import ease


def test_closed_form_matches_a_direct_solve_and_has_a_zero_diagonal():
    rng = np.random.default_rng(0)
    x = (rng.random((30, 8)) < 0.4).astype(np.float64)
    users, items = np.nonzero(x)
    b = ease.fit(users, items, 8, l2=2.0)
    assert np.allclose(np.diag(b), 0.0)
    # each column j minimises ||x_j - X b_j||^2 + l2 ||b_j||^2 with b_jj = 0: a ridge on the other columns
    for j in range(8):
        others = [i for i in range(8) if i != j]
        a = x[:, others]
        expected = np.linalg.solve(a.T @ a + 2.0 * np.eye(7), a.T @ x[:, j])
        assert np.allclose(b[others, j], expected, atol=1e-4)


def test_items_bought_together_score_each_other_and_duplicates_count_once():
    users = np.array([0, 0, 1, 1, 2, 2, 3, 0])
    items = np.array([0, 1, 0, 1, 2, 3, 3, 0])  # (0, 0) twice
    b = ease.fit(users, items, 4, l2=0.5)
    assert b[0, 1] > 0.3 and abs(b[0, 2]) < 1e-6
    once = ease.fit(users[:-1], items[:-1], 4, l2=0.5)
    assert np.allclose(b, once)
