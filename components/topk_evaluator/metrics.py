"""Top-K accuracy and the per-user view's metrics, from hit ranks and per-user lists (numpy only)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

METRICS_FILE = "metrics.json"  # the evaluation artifact's figures

KS: tuple[int, ...] = (1, 5, 10, 50, 100)
_NEVER = np.iinfo(np.int32).max


def hit_ranks(true_ids: np.ndarray, top_ids: np.ndarray) -> np.ndarray:
    """Rank (0 = best) of each true id in its row of ``top_ids`` [B, K]; a large number if absent."""
    hits = top_ids == true_ids[:, None]
    return np.where(hits.any(axis=1), hits.argmax(axis=1), _NEVER)


def report_metrics(
    ranks: dict[str, np.ndarray],
    users: np.ndarray,
    ks: Sequence[int],
    predicted: np.ndarray | None = None,
    ratings: np.ndarray | None = None,
) -> dict[str, float]:
    """Hit ranks per eval rating (by prefix) -> top-K accuracy (per rating), the model's recall@K
    (per user, averaged over users) and, with predictions, RMSE."""
    n = len(users)
    out: dict[str, float] = {"example_count": float(n)}
    for prefix, r in ranks.items():
        for k in ks:
            out[f"{prefix}@{k}"] = float((r < k).mean()) if n else 0.0
    if n and "top_k_accuracy" in ranks:
        _, user_row, per_user = np.unique(users, return_inverse=True, return_counts=True)
        for k in ks:
            hits = np.bincount(user_row, weights=(ranks["top_k_accuracy"] < k).astype(np.float64))
            out[f"recall@{k}"] = float(np.mean(hits / per_user))
    if predicted is not None and ratings is not None and n:
        out["rmse"] = float(np.sqrt(np.mean((predicted.astype(np.float64) - ratings) ** 2)))
    return out


def add(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    return {k: a.get(k, 0.0) + b.get(k, 0.0) for k in set(a) | set(b)}


# ---------------------------------------------------------------------------------------------
# The per-user view: one query per eval user (history = their train movies), train movies excluded
# ---------------------------------------------------------------------------------------------
PER_USER_K = 10
PER_USER_DEPTH = 100


def per_user_counts(top: Sequence, relevant: set, prefix: str) -> dict[str, float]:
    """One user's list (best first, seen movies already excluded) against their eval movies.

    Sums that :func:`finalize_per_user` turns into precision@10, recall@10 (hits / eval movies),
    NDCG@10 (binary gains), and top-100 accuracy (eval movies in the top 100 / all eval movies).
    """
    k = PER_USER_K
    gains = np.array([m in relevant for m in list(top)[:PER_USER_DEPTH]], dtype=np.float64)
    hits = gains[:k].sum()
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = discounts[: min(k, len(relevant))].sum()
    return {
        f"{prefix}users": 1.0,
        f"{prefix}eval_movies": float(len(relevant)),
        f"{prefix}precision_sum": hits / k,
        f"{prefix}recall_sum": hits / len(relevant) if relevant else 0.0,
        f"{prefix}ndcg_sum": float((gains[:k] * discounts[: len(gains[:k])]).sum() / ideal) if ideal else 0.0,
        f"{prefix}hits@{PER_USER_DEPTH}": float(gains.sum()),
    }


def finalize_per_user(totals: dict[str, float], prefix: str, out_prefix: str) -> dict[str, float]:
    users = totals.get(f"{prefix}users", 0.0)
    if not users:
        return {}
    k, depth = PER_USER_K, PER_USER_DEPTH
    return {
        f"{out_prefix}filtered_precision@{k}": totals[f"{prefix}precision_sum"] / users,
        f"{out_prefix}filtered_recall@{k}": totals[f"{prefix}recall_sum"] / users,
        f"{out_prefix}filtered_ndcg@{k}": totals[f"{prefix}ndcg_sum"] / users,
        f"{out_prefix}filtered_top_k_accuracy@{depth}": totals[f"{prefix}hits@{depth}"]
        / max(totals[f"{prefix}eval_movies"], 1.0),
    }


def popular_unseen(popular: Sequence, seen: set, depth: int = PER_USER_DEPTH) -> list:
    """The most-rated list with the user's own movies removed, first ``depth``."""
    out = []
    for movie in popular:
        if movie not in seen:
            out.append(movie)
            if len(out) == depth:
                break
    return out
