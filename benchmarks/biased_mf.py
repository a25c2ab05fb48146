"""A plain biased matrix factorisation, the ranking models' classic baseline (Koren, Bell and
Volinsky 2009, "Matrix Factorization Techniques for Recommender Systems"):

    r(u, i) ~ mu + b_u + b_i + p_u . q_i

fitted by alternating least squares with L2 on every parameter: with the items fixed, each user's
[b_u, p_u] is one small ridge regression on that user's ratings, and the other way round.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class BiasedMF:
    mean: float
    user_bias: np.ndarray  # [users]
    item_bias: np.ndarray  # [items]
    users: np.ndarray  # [users, dim]
    items: np.ndarray  # [items, dim]

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        dot = np.einsum("nd,nd->n", self.users[users], self.items[items])
        return self.mean + self.user_bias[users] + self.item_bias[items] + dot


def _solve_side(
    rows: np.ndarray, cols: np.ndarray, residual: np.ndarray, other: np.ndarray, n_rows: int, l2: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's [bias, factors] minimising sum (residual - bias - f . other[col])^2 + l2 |.|^2."""
    dim = other.shape[1]
    design = np.concatenate([np.ones((len(cols), 1)), other[cols]], axis=1)  # [n, 1 + dim]
    order = np.argsort(rows, kind="stable")
    starts = np.searchsorted(rows[order], np.arange(n_rows + 1))
    bias, factors = np.zeros(n_rows), np.zeros((n_rows, dim))
    ridge = l2 * np.eye(dim + 1)
    for r in range(n_rows):
        idx = order[starts[r] : starts[r + 1]]
        if len(idx) == 0:
            continue
        a = design[idx]
        solution = np.linalg.solve(a.T @ a + ridge, a.T @ residual[idx])
        bias[r], factors[r] = solution[0], solution[1:]
    return bias, factors


def fit(
    users: np.ndarray,
    items: np.ndarray,
    ratings: np.ndarray,
    num_users: int,
    num_items: int,
    dim: int = 32,
    l2: float = 10.0,
    iterations: int = 10,
    seed: int = 0,
) -> BiasedMF:
    """ALS on (user index, item index, rating) triples."""
    rng = np.random.default_rng(seed)
    mean = float(ratings.mean())
    centred = ratings - mean
    p = rng.normal(0, 0.1, (num_users, dim))
    q = rng.normal(0, 0.1, (num_items, dim))
    bu, bi = np.zeros(num_users), np.zeros(num_items)
    for _ in range(iterations):
        bu, p = _solve_side(users, items, centred - bi[items], q, num_users, l2)
        bi, q = _solve_side(items, users, centred - bu[users], p, num_items, l2)
    return BiasedMF(mean, bu, bi, p, q)


def rmse(model: BiasedMF, users: np.ndarray, items: np.ndarray, ratings: np.ndarray) -> float:
    """RMSE of the model's predictions clipped to the 1-5 stars."""
    predicted = np.clip(model.predict(users, items), 1.0, 5.0)
    return float(np.sqrt(np.mean((predicted - ratings) ** 2)))
