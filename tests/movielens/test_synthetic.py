import hashlib

import numpy as np
import pytest

from movielens import readers
from movielens.errors import Rejects
from movielens.synthetic import SyntheticSpec, generate
from transform import features as F

SPEC = SyntheticSpec(users=300, movies=200, ratings=12_000, seed=11)


def _digest(folder):
    return {
        n: hashlib.sha256((folder / n).read_bytes()).hexdigest()
        for n in ("users.dat", "movies.dat", "ratings.dat", "tmdb/credits.csv")
    }


def test_deterministic_and_sized(tmp_path):
    counts = generate(tmp_path / "a", SPEC)
    generate(tmp_path / "b", SPEC)
    assert counts == {"users": 300, "movies": 200, "ratings": 12_000}
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    generate(tmp_path / "c", SyntheticSpec(users=300, movies=200, ratings=12_000, seed=12))
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")
    assert "SYNTHETIC" in (tmp_path / "a" / "README").read_text()


def test_readable_by_the_ml1m_readers(tmp_path):
    generate(tmp_path, SPEC)
    source = readers.detect(tmp_path)
    assert source.format == "ml-1m"
    users = readers.read_users(source, Rejects())
    movies = readers.read_movies(source, Rejects())
    assert len(users) == 300 and len(movies) == 200
    assert any("-" in line for line in (tmp_path / "users.dat").read_text().splitlines())  # ZIP+4
    assert any(m[F.MOVIE_TITLE] != m[F.MOVIE_TITLE_ORIGINAL] for m in movies.values())  # accents
    assert any(m[F.MOVIE_TITLE].endswith(f"[#{mid}]") for mid, m in movies.items())  # duplicate title
    rows = [readers.parse_rating("ml-1m", line) for line in (tmp_path / "ratings.dat").read_text().splitlines()]
    assert len({(u, m) for u, m, _, _ in rows}) == len(rows)  # one rating per (user, movie)
    assert {r for _, _, r, _ in rows} <= {1.0, 2.0, 3.0, 4.0, 5.0}


def test_rejects_impossible_sizes(tmp_path):
    with pytest.raises(ValueError, match="ratings must be between"):
        generate(tmp_path, SyntheticSpec(users=10, movies=10, ratings=1000))


def test_planted_preferences_beat_popularity(tmp_path):
    """A genre-taste model fitted on train finds held-out movies better than popularity."""
    generate(tmp_path, SPEC)
    source = readers.detect(tmp_path)
    movies = readers.read_movies(source, Rejects())
    rows = [readers.parse_rating("ml-1m", line) for line in (tmp_path / "ratings.dat").read_text().splitlines()]
    rng = np.random.RandomState(0)
    is_eval = rng.rand(len(rows)) < 0.2
    n_u, n_m = SPEC.users + 1, SPEC.movies + 1
    genres = np.zeros((n_m, len(F.GENRES)))
    for mid, movie in movies.items():
        genres[int(mid), movie[F.MOVIE_GENRES]] = 1.0
    seen = np.zeros((n_u, n_m), dtype=bool)
    for (u, m, _, _), ev in zip(rows, is_eval, strict=True):
        if not ev:
            seen[int(u), int(m)] = True
    popularity = seen.sum(axis=0).astype(float)
    taste = seen.astype(float) @ genres
    taste /= np.maximum(taste.sum(axis=1, keepdims=True), 1)
    personal = np.log1p(popularity)[None, :] + 4.0 * taste @ genres.T

    def hit_rate(scores: np.ndarray, k: int = 10) -> float:
        scores = np.where(seen, -np.inf, scores)
        top = np.argsort(-scores, axis=1)[:, :k]
        hits = [int(m) in set(top[int(u)]) for (u, m, _, _), ev in zip(rows, is_eval, strict=True) if ev]
        return float(np.mean(hits))

    pop = hit_rate(np.broadcast_to(popularity, (n_u, n_m)).copy())
    mine = hit_rate(personal)
    assert mine > pop * 1.15, (mine, pop)


def _ratings(folder) -> np.ndarray:
    """(user, movie, rating) rows of ratings.dat, as floats."""
    lines = (folder / "ratings.dat").read_text().splitlines()
    return np.array([readers.parse_rating("ml-1m", line)[:3] for line in lines], dtype=float)


def test_star_values_spread_like_movielens(tmp_path):
    """Stars have about ml-1m's mean, spread and shares, not a pile of fives."""
    generate(tmp_path, SPEC)
    stars = _ratings(tmp_path)[:, 2]
    assert 3.45 <= stars.mean() <= 3.75, stars.mean()
    assert 1.0 <= stars.std() <= 1.2, stars.std()
    values, counts = np.unique(stars, return_counts=True)
    assert values.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert (counts / len(stars) >= 0.03).all(), counts / len(stars)
    assert counts.max() / len(stars) < 0.45, counts / len(stars)


def test_star_values_follow_planted_biases_and_taste(tmp_path):
    """On a random held-out 20%: user+movie biases beat the global mean by a clear margin, and a
    factorisation of what the biases leave beats the biases (the rating depends on the taste)."""
    generate(tmp_path, SPEC)
    rows = _ratings(tmp_path)
    users, movies, stars = rows[:, 0].astype(int), rows[:, 1].astype(int), rows[:, 2]
    n_u, n_m = SPEC.users + 1, SPEC.movies + 1
    is_eval = np.random.RandomState(0).rand(len(rows)) < 0.2
    train = ~is_eval
    mean = stars[train].mean()

    def rmse(predicted: np.ndarray) -> float:
        return float(np.sqrt(np.mean((predicted[is_eval] - stars[is_eval]) ** 2)))

    # Least squares (lightly regularised) of user + movie biases on the training ratings.
    design = np.zeros((len(rows), n_u + n_m))
    design[np.arange(len(rows)), users] = 1.0
    design[np.arange(len(rows)), n_u + movies] = 1.0
    gram = design[train].T @ design[train] + 5.0 * np.eye(n_u + n_m)
    biases = np.linalg.solve(gram, design[train].T @ (stars[train] - mean))
    bias_model = mean + design @ biases
    global_rmse, bias_rmse = rmse(np.full(len(rows), mean)), rmse(bias_model)
    assert bias_rmse < 0.92 * global_rmse, (bias_rmse, global_rmse)

    # Alternating least squares, rank 8, on the residuals of the biases.
    residual = stars - bias_model
    rng = np.random.RandomState(1)
    user_f, movie_f = rng.normal(0, 0.1, (n_u, 8)), rng.normal(0, 0.1, (n_m, 8))
    by_user = [np.flatnonzero(train & (users == u)) for u in range(n_u)]
    by_movie = [np.flatnonzero(train & (movies == m)) for m in range(n_m)]
    for _ in range(10):
        for fixed, solved, groups, other in ((movie_f, user_f, by_user, movies), (user_f, movie_f, by_movie, users)):
            for i, index in enumerate(groups):
                f = fixed[other[index]]
                solved[i] = np.linalg.solve(f.T @ f + 10.0 * np.eye(8), f.T @ residual[index])
    personal_rmse = rmse(bias_model + (user_f[users] * movie_f[movies]).sum(axis=1))
    assert personal_rmse < 0.99 * bias_rmse, (personal_rmse, bias_rmse)


def test_cli_generate(tmp_path, capsys):
    from cli.main import main

    assert main(["generate", "--output", str(tmp_path), "--users", "20", "--movies", "20", "--ratings", "150"]) == 0
    assert "SYNTHETIC" in capsys.readouterr().out
    assert len((tmp_path / "ratings.dat").read_text().splitlines()) == 150
