"""The user's history on every example: definition, cap, and no leakage of eval ratings."""

from __future__ import annotations

import random

from movielens.history import Rated, histories


def _user(n: int, seed: int, eval_share: float = 0.3) -> list[Rated]:
    rng = random.Random(seed)
    return [
        Rated(line=i, timestamp=rng.randint(0, 20), movie_id=str(i), rating=float(rng.randint(1, 5)),
              is_eval=rng.random() < eval_share)
        for i in range(1, n + 1)
    ]  # fmt: skip


def test_history_is_the_earlier_train_ratings_most_recent_first_capped() -> None:
    rows = _user(40, seed=1)
    train = sorted((r for r in rows if not r.is_eval), key=lambda r: (-r.timestamp, -r.line))
    for row, ids, stars in histories(rows, history_length=5):
        expected = [r for r in train if r.timestamp < row.timestamp][:5]
        assert ids == [r.movie_id for r in expected]
        assert stars == [r.rating for r in expected]


def test_no_eval_rating_and_never_the_own_movie_in_any_history() -> None:
    for seed in range(20):
        rows = _user(random.Random(seed).randint(1, 60), seed=seed)
        eval_movies = {r.movie_id for r in rows if r.is_eval}
        for row, ids, _ in histories(rows, history_length=1000):
            assert not eval_movies & set(ids)
            assert row.movie_id not in ids
            assert len(ids) == sum(not r.is_eval and r.timestamp < row.timestamp for r in rows)
            times = {r.movie_id: r.timestamp for r in rows}
            assert all(times[m] < row.timestamp for m in ids)  # nothing from the rating's own time or later


def test_a_user_with_only_eval_ratings_has_empty_histories() -> None:
    rows = [Rated(1, 5, "7", 4.0, True), Rated(2, 6, "8", 3.0, True)]
    assert [ids for _, ids, _ in histories(rows, 10)] == [[], []]


def test_history_windows_match_histories() -> None:
    import numpy as np

    from movielens.history import history_windows

    for seed in range(40):
        rng = random.Random(seed)
        rows = _user(rng.randint(1, 80), seed=seed, eval_share=rng.choice([0.0, 0.3, 1.0]))
        if seed % 3 == 0 and len(rows) > 2:  # a movie rated twice
            rows[1] = Rated(rows[1].line, rows[1].timestamp, rows[0].movie_id, rows[1].rating, rows[1].is_eval)
        length = rng.choice([1, 3, 10, 100])
        offsets, positions = history_windows(
            np.array([r.timestamp for r in rows]), np.array([r.line for r in rows]),
            np.array([int(r.movie_id) for r in rows]), np.array([r.is_eval for r in rows]), length,
        )  # fmt: skip
        for i, (_, ids, stars) in enumerate(histories(rows, length)):
            got = positions[offsets[i] : offsets[i + 1]]
            assert [rows[p].movie_id for p in got] == ids
            assert [rows[p].rating for p in got] == stars
