"""Why a movie is recommended, from the model: the rated movies whose embeddings (the retrieval
model's candidate tower, its `movies` signature) are closest to it, and the genres it shares with
what the person rated. Nothing here is made-up text: every name and number comes from the data
or the model."""

from __future__ import annotations

import collections
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

LIKED_STARS = 4.0  # rated movies this good (or with unknown stars) explain a recommendation first


@dataclass(frozen=True)
class Reason:
    because: tuple[str, ...]  # movie ids of the closest rated movies, closest first
    similarity: tuple[float, ...]  # their cosine similarity to the recommended movie
    shared_genres: tuple[tuple[str, int], ...]  # (genre, how many rated movies have it), most first

    def as_json(self, titles: Mapping[str, str]) -> dict:
        names = [titles.get(m, m) for m in self.because]
        text = []
        if names:
            text.append("Because you rated " + " and ".join(names))
        if self.shared_genres:
            genres = ", ".join(g for g, _ in self.shared_genres)
            text.append(f"shares {genres} with your ratings")
        return {
            "because": [{"movie_id": m, "title": titles.get(m, m), "similarity": round(s, 3)}
                        for m, s in zip(self.because, self.similarity, strict=True)],
            "shared_genres": [{"genre": g, "rated": n} for g, n in self.shared_genres],
            "text": "; ".join(text),
        }  # fmt: skip


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def explain(
    recommended: Sequence[str],
    rated: Sequence[tuple[str, float]],
    embeddings: Mapping[str, np.ndarray],
    genres: Mapping[str, Sequence[str]],
    top: int = 2,
) -> dict[str, Reason]:
    """A reason for each recommended movie id.

    ``rated``: (movie id, stars; 0 = unknown) of the person's history; ``embeddings``: movie id ->
    candidate embedding (movies without one are left out of the similarity); ``genres``: movie id
    -> genre names. The closest ``top`` rated movies are chosen among the liked ones (>= 4 stars or
    unknown) when there are any, else among all rated.
    """
    liked = [m for m, s in rated if (s >= LIKED_STARS or s == 0) and m in embeddings]
    pool = liked or [m for m, _ in rated if m in embeddings]
    pool = list(dict.fromkeys(pool))
    history_genres = collections.Counter(g for m, _ in rated for g in genres.get(m, ()))
    matrix = _unit(np.stack([embeddings[m] for m in pool])) if pool else None
    reasons = {}
    for movie in recommended:
        because: tuple[str, ...] = ()
        similarity: tuple[float, ...] = ()
        if matrix is not None and movie in embeddings:
            scores = matrix @ _unit(embeddings[movie])
            order = np.argsort(-scores, kind="stable")[:top]
            because = tuple(pool[i] for i in order)
            similarity = tuple(float(scores[i]) for i in order)
        shared = sorted(
            ((g, history_genres[g]) for g in genres.get(movie, ()) if history_genres[g]), key=lambda x: (-x[1], x[0])
        )
        reasons[movie] = Reason(because, similarity, tuple(shared[:3]))
    return reasons
