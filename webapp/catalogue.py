"""The movies the app can show and search: read once from a MovieLens folder (titles as the study
cleans them: accent- and symbol-free), searched by title without regard to accents or case."""

from __future__ import annotations

import collections
import re
from dataclasses import dataclass

from movielens import readers
from movielens import wrangling as W
from movielens.errors import Rejects
from transform import features as F

_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Movie:
    movie_id: str
    title: str
    year: int
    genres: tuple[str, ...]
    ratings: int  # how many ratings it has in the data (search ties go to the better known)

    def as_json(self) -> dict:
        return {"movie_id": self.movie_id, "title": self.title, "year": self.year, "genres": list(self.genres)}


def fold(text: str) -> str:
    """Lower case, accents and symbols gone: 'Amélie' and 'amelie' search alike."""
    return W.ascii_clean(text).lower()


class Catalogue:
    """Every movie of a data set, by id, with a title search."""

    def __init__(self, movies: dict[str, Movie]) -> None:
        self.movies = movies
        self._folded = {mid: fold(m.title) for mid, m in movies.items()}
        self._words = {mid: _WORD.findall(text) for mid, text in self._folded.items()}

    @classmethod
    def from_data(cls, data_dir: str) -> Catalogue:
        source = readers.detect(data_dir)
        raw = readers.read_movies(source, Rejects("skip"))
        counts = _rating_counts(source)
        movies = {
            mid: Movie(
                movie_id=mid,
                title=m[F.MOVIE_TITLE],
                year=int(m.get(F.MOVIE_YEAR) or 0),
                genres=tuple(F.GENRES[g] for g in m.get(F.MOVIE_GENRES) or []),
                ratings=counts.get(mid, 0),
            )
            for mid, m in raw.items()
        }
        return cls(movies)

    def get(self, movie_id: str) -> Movie | None:
        return self.movies.get(movie_id)

    def search(self, query: str, limit: int = 10) -> list[Movie]:
        """Movies whose title contains every word of the query (the last one as a prefix, as one
        types): titles that start with the query first, then by how many ratings they have."""
        words = _WORD.findall(fold(query))
        if not words:
            return []
        *whole, last = words
        folded_query = " ".join(words)
        found = []
        for mid, title_words in self._words.items():
            if all(w in title_words for w in whole) and any(t.startswith(last) for t in title_words):
                movie = self.movies[mid]
                starts = self._folded[mid].startswith(folded_query)
                found.append((not starts, -movie.ratings, movie.title, movie))
        found.sort(key=lambda f: f[:3])
        return [f[3] for f in found[:limit]]


def _rating_counts(source: readers.SourceFiles) -> dict[str, int]:
    """Ratings per movie id, from a byte scan of the ratings file (ml-1m: about a second)."""
    separator = b"::" if source.format == "ml-1m" else b"\t"
    counts: collections.Counter[str] = collections.Counter()
    with open(source.ratings, "rb") as f:
        for line in f:
            parts = line.split(separator, 2)
            if len(parts) == 3:
                counts[parts[1].strip().decode("ascii", "replace")] += 1
    return dict(counts)
