"""The TopKEvaluator's vectorised metrics against a direct per-example count."""

from __future__ import annotations

import numpy as np

from components.topk_evaluator import metrics as M


def test_report_metrics_match_a_direct_count():
    rng = np.random.default_rng(0)
    n, ks = 500, (1, 5, 10)
    users = rng.integers(0, 40, n)
    ranks = {"top_k_accuracy": rng.integers(0, 20, n), "popularity_accuracy": rng.integers(0, 30, n)}
    ranks["top_k_accuracy"][:50] = np.iinfo(np.int32).max  # never in the list
    predicted, ratings = rng.normal(3.5, 1, n), rng.integers(1, 6, n).astype(float)
    out = M.report_metrics(ranks, users, ks, predicted, ratings)
    assert out["example_count"] == n
    for k in ks:
        assert out[f"top_k_accuracy@{k}"] == sum(r < k for r in ranks["top_k_accuracy"]) / n
        assert out[f"popularity_accuracy@{k}"] == sum(r < k for r in ranks["popularity_accuracy"]) / n
        per_user = [
            np.mean([ranks["top_k_accuracy"][i] < k for i in range(n) if users[i] == u]) for u in np.unique(users)
        ]
        assert np.isclose(out[f"recall@{k}"], np.mean(per_user))
    assert np.isclose(out["rmse"], np.sqrt(np.mean((predicted - ratings) ** 2)))


def test_hit_ranks_and_popular_unseen():
    top = np.array([[b"3", b"1", b"2"], [b"5", b"6", b"7"]], dtype=object)
    ranks = M.hit_ranks(np.array([b"2", b"9"], dtype=object), top)
    assert ranks[0] == 2 and ranks[1] > 1000
    assert M.popular_unseen([b"1", b"2", b"3", b"4"], {b"2", b"4"}, depth=5) == [b"1", b"3"]
