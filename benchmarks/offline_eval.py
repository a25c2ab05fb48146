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

import dataclasses
import glob
import os
from collections.abc import Callable

import numpy as np
import tensorflow as tf

from components.topk_evaluator import metrics as M
from serving import contract as C
from trainer import ease
from transform import features as F

KS = (1, 5, 10, 50, 100)


@dataclasses.dataclass
class Split:
    """The examples of one ExampleGen output as arrays; movies and users as dense indices."""

    movies: np.ndarray  # movie ids (bytes), index = movie index
    users: np.ndarray  # user ids (bytes), index = user index
    train: dict[str, np.ndarray]  # "user", "movie" (indices), "time", "rating", user features (raw)
    eval: dict[str, np.ndarray]

    def matrix(self) -> np.ndarray:
        x = np.zeros((len(self.users), len(self.movies)), np.float32)
        x[self.train["user"], self.train["movie"]] = 1.0
        return x


def read_split(examples_uri: str, catalogue_ids: np.ndarray) -> Split:
    spec = {
        name: tf.io.FixedLenFeature([], tf.string if t == "string" else tf.int64) for name, t in C.USER_INPUTS.items()
    }
    spec[F.MOVIE_ID] = tf.io.FixedLenFeature([], tf.string)
    spec[F.USER_RATING] = tf.io.FixedLenFeature([], tf.float32)
    raw = {}
    for split in ("train", "eval"):
        files = glob.glob(os.path.join(examples_uri, f"Split-{split}", "*"))
        parts: dict[str, list] = {}
        for batch in tf.data.TFRecordDataset(files, compression_type="GZIP").batch(20_000):
            for name, value in tf.io.parse_example(batch, spec).items():
                parts.setdefault(name, []).append(value.numpy())
        raw[split] = {name: np.concatenate(v) for name, v in parts.items()}
    users = np.unique(np.concatenate([raw["train"][F.USER_ID], raw["eval"][F.USER_ID]]))
    movie_index = {m: i for i, m in enumerate(catalogue_ids)}
    user_index = {u: i for i, u in enumerate(users)}
    out = {}
    for split, r in raw.items():
        out[split] = {
            **r,
            "user": np.array([user_index[u] for u in r[F.USER_ID]]),
            "movie": np.array([movie_index[m] for m in r[F.MOVIE_ID]]),
            "time": r[F.TIMESTAMP],
            "rating": r[F.USER_RATING],
        }
    return Split(catalogue_ids, users, out["train"], out["eval"])


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


def user_queries(split: Split, users: np.ndarray) -> list[dict]:
    """What a served user sends for the per-user view: features, all train movies (latest first), time."""
    t = split.train
    order = np.lexsort((-t["time"], t["user"]))
    starts = np.searchsorted(t["user"][order], users, side="left")
    ends = np.searchsorted(t["user"][order], users, side="right")
    queries = []
    for u, a, b in zip(users, starts, ends, strict=True):
        rows = order[a:b]
        if len(rows) == 0:
            rows_e = np.nonzero(split.eval["user"] == u)[0][:1]
            source, rows, when = split.eval, rows_e, int(split.eval["time"][rows_e[0]])
            history, stars = [], []
        else:
            source, when = t, int(t["time"][rows[0]])
            history, stars = list(t[F.MOVIE_ID][rows]), list(t["rating"][rows])
        first = rows[0]
        q = {name: source[name][first] for name in C.USER_INPUTS}
        q[F.TIMESTAMP] = when
        q[F.HISTORY_MOVIE_IDS], q[F.HISTORY_RATINGS] = history, stars
        queries.append(q)
    return queries


def request(queries: list[dict], rows_per_query: int = 1) -> dict[str, tf.Tensor]:
    """Signature inputs for queries, each repeated ``rows_per_query`` times (ranking rows)."""
    width = max(len(q[F.HISTORY_MOVIE_IDS]) for q in queries)
    n = len(queries) * rows_per_query
    ids = np.full((n, width), b"", dtype=object)
    stars = np.zeros((n, width), np.float32)
    inputs: dict[str, tf.Tensor] = {}
    for name, dtype in C.USER_INPUTS.items():
        values = np.repeat(
            np.array([q[name] for q in queries], dtype=object if dtype == "string" else np.int64), rows_per_query
        )
        inputs[name] = tf.constant(values, tf.string if dtype == "string" else tf.int64)
    for i, q in enumerate(queries):
        h = len(q[F.HISTORY_MOVIE_IDS])
        ids[i * rows_per_query : (i + 1) * rows_per_query, :h] = q[F.HISTORY_MOVIE_IDS]
        stars[i * rows_per_query : (i + 1) * rows_per_query, :h] = q[F.HISTORY_RATINGS]
    inputs[F.HISTORY_MOVIE_IDS] = tf.constant(ids, tf.string)
    inputs[F.HISTORY_RATINGS] = tf.constant(stars)
    return inputs


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
