import hashlib

import numpy as np
import pytest

from components.movielens_example_gen import readers
from components.movielens_example_gen.errors import Rejects
from components.movielens_example_gen.synthetic import SyntheticSpec, generate
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


def test_cli_generate(tmp_path, capsys):
    from cli.main import main

    assert main(["generate", "--output", str(tmp_path), "--users", "20", "--movies", "20", "--ratings", "150"]) == 0
    assert "SYNTHETIC" in capsys.readouterr().out
    assert len((tmp_path / "ratings.dat").read_text().splitlines()) == 150
