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
