"""The user's history of each rating example, built without leakage.

Definition: the history of a rating (user u, movie m, time t) is the list of u's **train-split**
ratings with a timestamp strictly before t, most recent first (equal timestamps: the later line
of the ratings file first), capped at ``history_length`` entries. So an example's own movie is
never in its history, no eval rating is in any example's history, and nothing after t is either:
the history is what the user had rated when they rated m, as a served user sends everything they
rated before now. Train and eval examples share the definition.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Rated:
    """One parsed rating with its split."""

    line: int
    timestamp: int
    movie_id: str
    rating: float
    is_eval: bool


def histories(ratings: Iterable[Rated], history_length: int) -> Iterator[tuple[Rated, list[str], list[float]]]:
    """Each of one user's ratings with its history: (rating, movie ids, stars), most recent first."""
    rows = list(ratings)
    train = sorted((r for r in rows if not r.is_eval), key=lambda r: (r.timestamp, r.line))
    times = [r.timestamp for r in train]
    for row in rows:
        before = bisect.bisect_left(times, row.timestamp)  # train ratings strictly before this one
        own = [r for r in reversed(train[max(0, before - history_length - 1) : before]) if r.movie_id != row.movie_id]
        own = own[:history_length]
        yield row, [r.movie_id for r in own], [r.rating for r in own]


def history_windows(
    timestamps: np.ndarray, lines: np.ndarray, movies: np.ndarray, is_eval: np.ndarray, history_length: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`histories` for one user's ratings as arrays, without a Python loop per rating.

    Takes the ratings' timestamps, file lines, movie indices and split flags (one entry per
    rating, in any order) and returns ``(offsets, positions)``: the history of rating ``i`` is
    ``positions[offsets[i]:offsets[i + 1]]``, indices into the inputs, most recent first.
    """
    train = np.flatnonzero(~is_eval)
    train = train[np.lexsort((lines[train], timestamps[train]))]  # by (timestamp, line)
    before = np.searchsorted(timestamps[train], timestamps, side="left")
    # Candidates: the history_length + 1 train ratings just before, most recent first (one of
    # them may be the rating's own movie, which is dropped).
    back = before[:, None] - 1 - np.arange(history_length + 1)[None, :]
    valid = back >= 0
    candidates = train[np.where(valid, back, 0)] if len(train) else np.zeros_like(back)
    valid &= movies[candidates] != movies[:, None]
    keep = valid & (np.cumsum(valid, axis=1) <= history_length)
    offsets = np.concatenate([[0], np.cumsum(keep.sum(axis=1))])
    return offsets, candidates[keep]
