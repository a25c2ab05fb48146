"""Top-K accuracy pieces that Beam combines: per-batch hit indicators and the final metrics (numpy only)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

KS: tuple[int, ...] = (1, 5, 10, 50, 100)
_NEVER = np.iinfo(np.int32).max


def hit_ranks(true_ids: np.ndarray, top_ids: np.ndarray) -> np.ndarray:
    """Rank (0 = best) of each true id in its row of ``top_ids`` [B, K]; a large number if absent."""
    hits = top_ids == true_ids[:, None]
    return np.where(hits.any(axis=1), hits.argmax(axis=1), _NEVER)


def popularity_ranks(true_ids: np.ndarray, popular: Sequence[bytes]) -> np.ndarray:
    """Rank of each true id in the popularity list (the same list for every user)."""
    rank = {movie: i for i, movie in enumerate(popular)}
    return np.array([rank.get(m, _NEVER) for m in true_ids])


def hits(ranks: np.ndarray, ks: Sequence[int], prefix: str) -> dict[str, float]:
    return {f"{prefix}@{k}": float((ranks < k).sum()) for k in ks}


def add(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    return {k: a.get(k, 0.0) + b.get(k, 0.0) for k in set(a) | set(b)}


def finalize(totals: dict[str, float], per_user: list[dict[str, float]], ks: Sequence[int]) -> dict[str, float]:
    """Hit counts -> top-K accuracy (per example), recall@K (per user, averaged) and RMSE if rated."""
    n = totals.get("n", 0.0)
    out: dict[str, float] = {"example_count": n}
    for prefix in ("top_k_accuracy", "popularity_accuracy", "baseline_accuracy"):
        for k in ks:
            key = f"{prefix}@{k}"
            if key in totals:
                out[key] = totals[key] / n if n else 0.0
    users = [u for u in per_user if u.get("n")]
    for k in ks:
        if users and f"top_k_accuracy@{k}" in users[0]:
            out[f"recall@{k}"] = float(np.mean([u[f"top_k_accuracy@{k}"] / u["n"] for u in users]))
    if totals.get("rating_n"):
        out["rmse"] = float(np.sqrt(totals["squared_error"] / totals["rating_n"]))
    return out


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
