"""A synthetic MovieLens data set in the ml-1m file format, with TMDB-format enrichment.

It is the embedded sample of ``movierec run`` and the data of the tests; it is synthetic, not
MovieLens. Ratings come from a planted model: each user has a taste over genres and a latent
vector, each movie a popularity, genres and a latent vector. Which movies a user rates depends on
popularity *and* taste, so a personalised model measurably beats a popularity baseline. The
rating value comes from a continuous score of taste (genre and latent match), user and movie biases
and noise, cut into 1..5 stars at this data set's quantiles so that the star shares are those of
MovieLens 1M (about 6/11/26/35/23 %: mean about 3.6, standard deviation about 1.1); a model of
user and movie biases, and better a personalised one, beats the global mean. Deterministic from the
seed.
"""

from __future__ import annotations

import csv
import dataclasses
import os
from pathlib import Path

import numpy as np

from movielens import features as F

# Real US zip codes (so maps can place them), some in ZIP+4 form; plus a few that cannot be placed.
_ZIPS = (
    "94110",
    "94043",
    "90210",
    "95014",
    "92101",
    "90024-1234",
    "94305",
    "95616",
    "91125",
    "93106",
    "10001",
    "10027",
    "02139",
    "02115-4410",
    "60614",
    "60637",
    "98107-2117",
    "98195",
    "78712",
    "77005",
    "30332",
    "33139",
    "48109",
    "55455",
    "80309",
    "97201",
    "15213",
    "19104",
    "20052",
    "85281",
    "84112",
    "53706",
    "43210",
    "27708",
    "37240",
    "63130",
    "46556",
    "06520",
    "08544",
    "14853",
)
_UNPLACEABLE_ZIPS = ("T8H1N", "V3N4P", "00000")
_WORDS_A = (
    "Silent",
    "Last",
    "Crimson",
    "Hidden",
    "Broken",
    "Golden",
    "Midnight",
    "Lost",
    "Secret",
    "Wild",
    "Frozen",
    "Electric",
    "Distant",
    "Burning",
    "Quiet",
    "Café",
    "Señor",
    "Über",
)
_WORDS_B = (
    "River",
    "Empire",
    "Garden",
    "Heart",
    "Station",
    "Horizon",
    "Kingdom",
    "Summer",
    "Shadow",
    "Road",
    "Promise",
    "Island",
    "Machine",
    "Storm",
    "Letter",
    "Amélie",
    "Noël",
    "Façade",
)
_FIRST = (
    "Anna",
    "Ben",
    "Carla",
    "David",
    "Elena",
    "Frank",
    "Grace",
    "Henri",
    "Ines",
    "Jack",
    "Karin",
    "Luis",
    "Maria",
    "Nils",
    "Olga",
    "Pedro",
    "Quinn",
    "Rosa",
    "Sam",
    "Tom",
    "José",
    "Zoë",
)
_LAST = (
    "Adams",
    "Brown",
    "Costa",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ito",
    "Jones",
    "Klein",
    "Lopez",
    "Miller",
    "Novak",
    "Olsen",
    "Peña",
    "Quist",
    "Rossi",
    "Smith",
    "Müller",
)
_START_TS, _END_TS = 956_703_932, 1_046_454_590  # the span of ml-1m
# Shares of 1..5 stars in ml-1m's ratings.dat; the synthetic stars are cut to match them.
ML1M_STAR_SHARES = (0.056, 0.108, 0.261, 0.349, 0.226)


@dataclasses.dataclass(frozen=True)
class SyntheticSpec:
    users: int = 1000
    movies: int = 500
    ratings: int = 60_000
    seed: int = 7
    latent_dim: int = 8
    enrichment_coverage: float = 0.95


def _to_stars(latent: np.ndarray) -> np.ndarray:
    """Map continuous latent scores to 1..5 stars with the star shares of MovieLens 1M.

    The thresholds are this data set's quantiles of the score at the cumulative shares, so the
    order of the scores (taste, biases, noise) is kept and the stars have about the mean (3.58) and
    standard deviation (1.12) of ml-1m whatever the scale of the score. No randomness.
    """
    thresholds = np.quantile(latent, np.cumsum(ML1M_STAR_SHARES)[:-1])
    return 1 + np.searchsorted(thresholds, latent, side="right")


def _names(rng: np.random.RandomState, n: int) -> list[str]:
    return [f"{_FIRST[rng.randint(len(_FIRST))]} {_LAST[rng.randint(len(_LAST))]}" for _ in range(n)]


def generate(output: str | os.PathLike[str], spec: SyntheticSpec = SyntheticSpec()) -> dict[str, int]:
    """Write users.dat, movies.dat, ratings.dat (+ tmdb/*.csv) to ``output``; return counts."""
    if not 5 * spec.users <= spec.ratings <= spec.users * (spec.movies // 2):
        raise ValueError(
            f"ratings must be between 5 per user and half the catalogue per user "
            f"({5 * spec.users}..{spec.users * (spec.movies // 2)}), not {spec.ratings}"
        )
    rng = np.random.RandomState(spec.seed)  # one stream, drawn from in this order: the data follow the seed
    out = Path(output)
    (out / "tmdb").mkdir(parents=True, exist_ok=True)
    users = _users(rng, spec)
    movies = _movies(rng, spec)
    rating_rows = _ratings(rng, spec, users, movies)
    titles = _titles(rng, movies.years)
    _write_movielens(out, rng, users, movies, titles, rating_rows)
    _write_tmdb(out / "tmdb", rng, titles, movies.years, spec)
    (out / "README").write_text(
        "SYNTHETIC data in the MovieLens 1M file format, made by `movierec generate` "
        f"(seed {spec.seed}). Not MovieLens: no real users, movies or ratings.\n",
        encoding="utf-8",
    )
    return {"users": spec.users, "movies": spec.movies, "ratings": len(rating_rows)}


@dataclasses.dataclass
class _Users:
    genders: np.ndarray
    ages: np.ndarray
    occupations: np.ndarray
    zips: list[str]
    taste: np.ndarray  # (users, genres)
    vectors: np.ndarray  # (users, latent_dim)
    bias: np.ndarray
    activity: np.ndarray


@dataclasses.dataclass
class _Movies:
    genres: list[list[int]]
    genre_matrix: np.ndarray  # (movies, genres), rows sum to 1
    popularity: np.ndarray
    vectors: np.ndarray
    bias: np.ndarray
    years: np.ndarray


def _users(rng: np.random.RandomState, spec: SyntheticSpec) -> _Users:
    """Demographics, a genre taste shaped by gender and age, a latent vector, a bias, an activity."""
    n_u, n_g = spec.users, len(F.MOVIELENS_GENRE_SPELLINGS)
    genders = np.where(rng.rand(n_u) < 0.72, "M", "F")
    ages = rng.choice(sorted(F.AGE_BUCKETS), size=n_u, p=[0.04, 0.18, 0.35, 0.2, 0.09, 0.08, 0.06])
    occupations = rng.randint(0, 21, size=n_u)
    zips = [
        _UNPLACEABLE_ZIPS[rng.randint(len(_UNPLACEABLE_ZIPS))] if rng.rand() < 0.03 else _ZIPS[rng.randint(len(_ZIPS))]
        for _ in range(n_u)
    ]
    taste = rng.dirichlet(np.full(n_g, 0.3), size=n_u)
    gender_shift = rng.normal(0, 0.08, size=(2, n_g))
    age_shift = rng.normal(0, 0.08, size=(len(F.AGE_BUCKETS), n_g))
    age_index = {a: i for i, a in enumerate(sorted(F.AGE_BUCKETS))}
    taste += gender_shift[(genders == "M").astype(int)] + age_shift[[age_index[a] for a in ages]]
    vectors = rng.normal(0, 1, size=(n_u, spec.latent_dim))
    bias = rng.normal(0, 0.35, size=n_u)
    activity = rng.lognormal(0, 0.8, size=n_u)
    return _Users(genders, ages, occupations, zips, taste, vectors, bias, activity)


def _movies(rng: np.random.RandomState, spec: SyntheticSpec) -> _Movies:
    """Genres, popularity, a latent vector, a bias and a year per movie."""
    n_m, n_g = spec.movies, len(F.MOVIELENS_GENRE_SPELLINGS)
    genres = []
    genre_matrix = np.zeros((n_m, n_g))
    for m in range(n_m):
        k = rng.choice([1, 2, 3], p=[0.45, 0.4, 0.15])
        gs = sorted(rng.choice(n_g, size=k, replace=False))
        genres.append(gs)
        genre_matrix[m, gs] = 1.0 / k
    popularity = rng.normal(0, 1.0, size=n_m)
    vectors = rng.normal(0, 1, size=(n_m, spec.latent_dim))
    bias = rng.normal(0, 0.3, size=n_m) + 0.15 * popularity
    years = rng.randint(1930, 2001, size=n_m)
    return _Movies(genres, genre_matrix, popularity, vectors, bias, years)


def _ratings(rng: np.random.RandomState, spec: SyntheticSpec, users: _Users, movies: _Movies) -> list[tuple]:
    """(user, movie, stars, timestamp) rows: who rates what follows popularity and affinity, the
    stars follow the biases, the centred affinity and noise."""
    n_u, n_m = spec.users, spec.movies
    affinity = 8.0 * (users.taste @ movies.genre_matrix.T) + 1.0 * (users.vectors @ movies.vectors.T)
    # How many ratings each user gives (at least 5, at most half the catalogue).
    cap = n_m // 2
    counts = 5 + rng.multinomial(spec.ratings - 5 * n_u, users.activity / users.activity.sum())
    while (counts > cap).any():  # move the excess of very active users to the others
        excess = int((counts - cap).clip(min=0).sum())
        counts = counts.clip(max=cap)
        room = (cap - counts).astype(float)
        counts += rng.multinomial(excess, room / room.sum())

    logits = 0.5 * movies.popularity[None, :] + 1.0 * affinity
    gumbel = -np.log(-np.log(rng.uniform(1e-12, 1.0, size=logits.shape)))
    scores = logits + gumbel
    centred = affinity - affinity.mean(axis=1, keepdims=True)
    rated_users, rated_movies, latent, rated_times = [], [], [], []
    for u in range(n_u):
        chosen = np.argpartition(-scores[u], counts[u])[: counts[u]]
        noise = rng.normal(0, 0.6, size=len(chosen))
        values = users.bias[u] + movies.bias[chosen] + 0.9 * centred[u, chosen] + noise
        start = rng.randint(_START_TS, _END_TS - 86_400 * 30)
        span = int(rng.exponential(86_400 * 60)) + 3600
        times = np.sort(rng.randint(start, min(_END_TS, start + span) + 1, size=len(chosen)))
        order = rng.permutation(len(chosen))
        rated_users.append(np.full(len(chosen), u + 1))
        rated_movies.append(chosen[order] + 1)
        latent.append(values[order])
        rated_times.append(times)
    stars = _to_stars(np.concatenate(latent))
    return list(
        zip(
            np.concatenate(rated_users).tolist(),
            np.concatenate(rated_movies).tolist(),
            stars.tolist(),
            np.concatenate(rated_times).tolist(),
            strict=True,
        )
    )


def _titles(rng: np.random.RandomState, years: np.ndarray) -> list[str]:
    """Mostly unique titles, with accents, and one deliberate duplicate title (two ids; ``years``
    of the last movie becomes the first's)."""
    titles = []
    used: set[str] = set()
    for m in range(len(years)):
        while True:
            name = f"{_WORDS_A[rng.randint(len(_WORDS_A))]} {_WORDS_B[rng.randint(len(_WORDS_B))]}"
            if rng.rand() < 0.3:
                name = f"The {name}"
            title = f"{name} ({years[m]})"
            if title not in used:
                break
            name += f" {rng.randint(2, 9)}"
            title = f"{name} ({years[m]})"
            if title not in used:
                break
        used.add(title)
        titles.append(title)
    if len(years) >= 2:
        titles[-1] = titles[0]
        years[-1] = years[0]
    return titles


def _write_movielens(
    out: Path, rng: np.random.RandomState, users: _Users, movies: _Movies, titles: list[str], rating_rows: list
) -> None:
    """users.dat (some zips as ZIP+4), movies.dat and ratings.dat in ml-1m's format and encodings."""
    with open(out / "users.dat", "w", encoding="latin-1", newline="\n") as f:
        for u in range(len(users.genders)):
            z = users.zips[u]
            zip_code = z if rng.rand() > 0.05 or "-" in z else f"{z}-{rng.randint(1000, 9999)}"
            f.write(f"{u + 1}::{users.genders[u]}::{users.ages[u]}::{users.occupations[u]}::{zip_code}\n")
    with open(out / "movies.dat", "w", encoding="latin-1", newline="\n") as f:
        for m in range(len(titles)):
            genres = "|".join(F.MOVIELENS_GENRE_SPELLINGS[g] for g in movies.genres[m])
            f.write(f"{m + 1}::{titles[m]}::{genres}\n")
    rating_rows.sort(key=lambda r: (r[0], r[3]))
    with open(out / "ratings.dat", "w", encoding="ascii", newline="\n") as f:
        for row in rating_rows:
            f.write("::".join(str(v) for v in row) + "\n")


def _write_tmdb(
    folder: Path, rng: np.random.RandomState, titles: list[str], years: np.ndarray, spec: SyntheticSpec
) -> None:
    directors = _names(rng, max(10, len(titles) // 8))
    actors = _names(rng, max(20, len(titles) // 3))
    with (
        open(folder / "links.csv", "w", encoding="utf-8", newline="") as flinks,
        open(folder / "movies_metadata.csv", "w", encoding="utf-8", newline="") as fmeta,
        open(folder / "credits.csv", "w", encoding="utf-8", newline="") as fcred,
    ):
        links, meta, cred = csv.writer(flinks), csv.writer(fmeta), csv.writer(fcred)
        links.writerow(["movieId", "imdbId", "tmdbId"])
        meta.writerow(["adult", "id", "imdb_id", "original_title", "release_date", "title"])
        cred.writerow(["cast", "crew", "id"])
        for m, title in enumerate(titles):
            if rng.rand() > spec.enrichment_coverage:
                continue
            tmdb_id, imdb_num = 10_000 + m, 100_000 + m
            links.writerow([m + 1, f"{imdb_num:07d}", tmdb_id])
            month, day = rng.randint(1, 13), rng.randint(1, 29)
            meta.writerow(
                [
                    "False",
                    tmdb_id,
                    f"tt{imdb_num:07d}",
                    title[:-7],
                    f"{years[m]}-{month:02d}-{day:02d}",
                    title[:-7],
                ]
            )
            n_cast, n_crew = rng.randint(3, 60), rng.randint(2, 120)
            lead = actors[rng.zipf(1.6) % len(actors)]
            cast = [
                {
                    "cast_id": i,
                    "character": "",
                    "name": lead if i == 0 else f"Actor {tmdb_id}-{i}",
                    "order": i,
                }
                for i in range(n_cast)
            ]
            director = directors[rng.zipf(1.6) % len(directors)]
            crew = [{"department": "Directing", "job": "Director", "name": director}] + [
                {"department": "Crew", "job": "Grip", "name": f"Crew {tmdb_id}-{i}"} for i in range(n_crew - 1)
            ]
            cred.writerow([repr(cast), repr(crew), tmdb_id])
