"""Offline evaluation shared by the model benchmarks: the split as arrays, popularity and EASE
under both protocols, and the two-stage recommend through the exported signatures.

Protocols (the same as components/topk_evaluator):
- the report's: one query per eval rating, every movie a candidate, nothing excluded; top-K
  accuracy = share of eval ratings whose movie is in the top K;
- the per-user view: one query per eval user (history = every train movie of the user, most
  recent first; time = their latest train rating), their train movies excluded; precision@10,
  recall@10, NDCG@10, top-100 accuracy and catalogue coverage@10 (metrics.per_user_counts).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import tensorflow as tf

from components.topk_evaluator import metrics as M
from components.topk_evaluator.split_arrays import Split, request, user_queries
from serving import contract as C
from trainer import ease
from transform import features as F

KS = (1, 5, 10, 50, 100)


def fit_ease(split: Split, l2: float) -> np.ndarray:
    return ease.fit(split.train["user"], split.train["movie"], len(split.movies), l2)


def report_protocol(split: Split, user_scores: Callable[[np.ndarray], np.ndarray]) -> dict[str, float]:
    """Top-K accuracy per eval rating, nothing excluded, for a scorer of users (not of time)."""
    hits = np.zeros(len(KS))
    users, movies = split.eval["user"], split.eval["movie"]
    unique = np.unique(users)
    for start in range(0, len(unique), 512):
        block = unique[start : start + 512]
        scores = user_scores(block)
        row_of = {u: i for i, u in enumerate(block)}
        rows = np.isin(users, block)
        s = scores[[row_of[u] for u in users[rows]]]
        target = s[np.arange(len(s)), movies[rows]]
        rank = (s > target[:, None]).sum(1)
        hits += [(rank < k).sum() for k in KS]
    return {f"top_k_accuracy@{k}": float(h / len(users)) for k, h in zip(KS, hits, strict=True)}


def per_user_view(split: Split, top_unseen: Callable[[np.ndarray], np.ndarray]) -> dict[str, float]:
    """The per-user metrics for a function: user indices -> [n, 100] movie indices (unseen, best first)."""
    relevant: dict[int, set] = {}
    for u, m in zip(split.eval["user"], split.eval["movie"], strict=True):
        relevant.setdefault(int(u), set()).add(int(m))
    users = np.array(sorted(relevant))
    totals: dict[str, float] = {}
    shown: set = set()
    for start in range(0, len(users), 256):
        block = users[start : start + 256]
        for u, top in zip(block, top_unseen(block), strict=True):
            totals = M.add(totals, M.per_user_counts([int(m) for m in top], relevant[int(u)], ""))
            shown.update(int(m) for m in top[: M.PER_USER_K])
    out = M.finalize_per_user(totals, "", "")
    out[f"coverage@{M.PER_USER_K}"] = len(shown) / len(split.movies)
    return out


def top_unseen_of(scores: np.ndarray, seen: np.ndarray, depth: int = M.PER_USER_DEPTH) -> np.ndarray:
    s = np.where(seen > 0, -np.inf, scores)
    depth = min(depth, s.shape[1])
    top = np.argpartition(-s, depth - 1, axis=1)[:, :depth]
    return np.take_along_axis(top, np.argsort(-np.take_along_axis(s, top, 1), axis=1, kind="stable"), 1)


def recommend_lists(
    split: Split,
    retrieval_dir: str,
    ranking_dir: str,
    weights: tuple[float, ...],
    rank_signature: str = C.SERVING_DEFAULT,
    candidates: int = M.PER_USER_DEPTH,
    block: int = 16,
) -> dict[float, dict[int, np.ndarray]]:
    """The two-stage recommend of serving/client.py through the exported signatures, per user.

    Retrieve ``candidates`` unseen movies (retrieval ``serving_default``), rate each with the
    ranking model, order by retrieval score + weight * predicted rating. -> weight -> user -> list.
    """
    retrieve = tf.saved_model.load(retrieval_dir).signatures[C.SERVING_DEFAULT]
    rank = tf.saved_model.load(ranking_dir).signatures[rank_signature]
    movie_index = {m: i for i, m in enumerate(split.movies)}
    users = np.unique(split.eval["user"])
    out: dict[float, dict[int, np.ndarray]] = {w: {} for w in weights}
    for start in range(0, len(users), block):
        chunk = users[start : start + block]
        queries = user_queries(split, chunk)
        found = retrieve(**request(queries))
        ids, scores = found[C.MOVIE_IDS].numpy()[:, :candidates], found[C.SCORES].numpy()[:, :candidates]
        inputs = request(queries, rows_per_query=ids.shape[1])
        inputs[F.MOVIE_ID] = tf.constant(ids.reshape(-1))
        rated = rank(**inputs)[C.PREDICTED_RATING].numpy().reshape(ids.shape)
        index = np.vectorize(movie_index.__getitem__)(ids)
        for w in weights:
            combined = scores + w * rated
            order = np.argsort(-combined, axis=1, kind="stable")
            for u, row in zip(chunk, np.take_along_axis(index, order, 1), strict=True):
                out[w][int(u)] = row
    return out


def list_metrics(
    split: Split, eval_files: list[str], model_dir: str, list_length: int = 10, lists_per_user: int = 5, seed: int = 0
) -> dict[str, float]:
    """NDCG@5, NDCG@10 (gain 2^stars - 1) and MRR (first 4+ star movie) of a ranker on per-user
    lists of eval-split ratings (trainer/listwise.py), every eval example scored once through the
    model's exported ``tf_example`` signature. The same lists for every ranker (same seed)."""
    from components.topk_evaluator.split_arrays import serialized_batches
    from trainer.listwise import mrr, ndcg_at_k, sample_list_rows

    score = tf.saved_model.load(model_dir).signatures[C.TF_EXAMPLE]
    scores = np.concatenate(
        [score(examples=b)[C.PREDICTED_RATING].numpy().reshape(-1) for b in serialized_batches(eval_files)]
    )
    if len(scores) != len(split.eval["rating"]):
        raise ValueError(f"{len(scores)} scores for {len(split.eval['rating'])} eval examples")
    rows = sample_list_rows(split.eval["user"], list_length, lists_per_user, np.random.default_rng(seed))
    valid = rows >= 0
    s = np.where(valid, scores[np.maximum(rows, 0)], 0.0)
    r = np.where(valid, split.eval["rating"][np.maximum(rows, 0)], 0.0)
    return {"list_ndcg@5": ndcg_at_k(s, r, 5), "list_ndcg@10": ndcg_at_k(s, r, 10), "list_mrr": mrr(s, r)}
