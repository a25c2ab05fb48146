"""EASE (Steck 2019): a closed-form item-item model, the hybrid's collaborative member.

Fitted inside the Trainer on the train split; the exported model keeps its weight matrix and
scores a user as ``multi_hot(history) @ B``.
"""

from __future__ import annotations

import numpy as np


def fit(users: np.ndarray, items: np.ndarray, num_items: int, l2: float) -> np.ndarray:
    """B = argmin ||X - XB||^2 + l2 ||B||^2 with diag(B) = 0, for the binary user x item matrix X.

    ``users``, ``items``: one (user index, item index) pair per rating; duplicates count once.
    Closed form: P = (X'X + l2 I)^-1, B = -P / diag(P), diag(B) = 0. float32 [items, items].
    """
    if num_items == 0:
        return np.zeros((0, 0), np.float32)
    _, user_rows = np.unique(users, return_inverse=True)
    x = np.zeros((int(user_rows.max(initial=-1)) + 1, num_items), np.float32)
    x[user_rows, items] = 1.0
    gram = (x.T @ x).astype(np.float64)
    gram[np.diag_indices(num_items)] += l2
    p = np.linalg.inv(gram)
    b = -p / np.diag(p)[None, :]
    b[np.diag_indices(num_items)] = 0.0
    return b.astype(np.float32)
