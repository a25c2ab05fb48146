"""One reader per MovieLens file format. Each returns plain feature dicts keyed by id.

Users and movies are small and are read here in the driver; the ratings file is parsed line by
line by :func:`parse_rating`, which the Beam pipeline calls.
"""

from __future__ import annotations

import dataclasses
import os
import zipfile
from pathlib import Path
from typing import Any, Literal

from movielens import features as F
from movielens import wrangling as W
from movielens.errors import DataError, Rejects
from movielens.text_files import read_lines

Format = Literal["ml-1m", "ml-100k"]
Features = dict[str, Any]

_FILES: dict[str, tuple[str, str, str]] = {
    # format: (ratings, users, movies)
    "ml-1m": ("ratings.dat", "users.dat", "movies.dat"),
    "ml-100k": ("u.data", "u.user", "u.item"),
}
# ml-100k's 19 genre flags, in file order.
ML100K_GENRE_FLAGS: tuple[str, ...] = ("unknown", *F.MOVIELENS_GENRE_SPELLINGS)


@dataclasses.dataclass(frozen=True)
class SourceFiles:
    """A detected MovieLens data set: its format and the paths of its three files."""

    format: Format
    directory: str

    @property
    def ratings(self) -> str:
        return os.path.join(self.directory, _FILES[self.format][0])

    @property
    def users(self) -> str:
        return os.path.join(self.directory, _FILES[self.format][1])

    @property
    def movies(self) -> str:
        return os.path.join(self.directory, _FILES[self.format][2])

    def check(self) -> None:
        """Every one of the three files must exist."""
        for path in (self.ratings, self.users, self.movies):
            if not os.path.isfile(path):
                raise DataError(path, None, f"missing: a {self.format} data set needs this file")


def _extract(archive: Path) -> Path:
    """Unpack a zip next to itself (once) and return the folder."""
    target = archive.with_suffix("")
    target = target.parent / (target.name + ".unpacked")
    marker = target / ".complete"
    if not marker.exists():
        try:
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(target)
        except zipfile.BadZipFile as exc:
            raise DataError(str(archive), None, f"not a readable zip archive ({exc})") from None
        marker.touch()
    return target


def detect(path: str | os.PathLike[str]) -> SourceFiles:
    """Find an ml-1m or ml-100k data set in a directory, a sub-directory of it, or a zip."""
    root = Path(path)
    if not root.exists():
        raise DataError(str(root), None, "data path does not exist")
    if root.is_file():
        if zipfile.is_zipfile(root):
            root = _extract(root)
        else:
            raise DataError(str(root), None, "expected a directory or a .zip archive of MovieLens")
    candidates = [root, *sorted(p for p in root.rglob("*") if p.is_dir())]
    for directory in candidates:
        for fmt, (ratings, users, movies) in _FILES.items():
            present = [name for name in (ratings, users, movies) if (directory / name).is_file()]
            if ratings in present or (present and len(present) >= 2):
                source = SourceFiles(fmt, str(directory))  # type: ignore[arg-type]
                source.check()
                return source
    raise DataError(
        str(root),
        None,
        "no MovieLens data found (expected ratings.dat/users.dat/movies.dat for ml-1m "
        "or u.data/u.user/u.item for ml-100k)",
    )


def _split(line: str, sep: str, n: int, path: str, number: int, rejects: Rejects) -> list[str] | None:
    fields = line.split(sep)
    if len(fields) != n:
        rejects.reject(path, number, f"expected {n} {sep!r}-separated fields, found {len(fields)}: {line[:80]!r}")
        return None
    return fields


def read_users(source: SourceFiles, rejects: Rejects) -> dict[str, Features]:
    """users.dat / u.user -> {user_id: user features}."""
    users: dict[str, Features] = {}
    path = source.users
    for number, line in read_lines(path):
        try:
            if source.format == "ml-1m":
                fields = _split(line, "::", 5, path, number, rejects)
                if fields is None:
                    continue
                uid, gender, age, occupation, zip_code = (f.strip() for f in fields)
                occ_text, occ_label = W.ml1m_occupation(occupation)
                age_bucket = W.ml1m_age_bucket(age)
            else:
                fields = _split(line, "|", 5, path, number, rejects)
                if fields is None:
                    continue
                uid, age, gender, occupation, zip_code = (f.strip() for f in fields)
                occ_text, occ_label = W.ml100k_occupation(occupation)
                age_bucket = W.age_bucket(int(age))
            if uid in users:
                rejects.reject(path, number, f"duplicate user id {uid}")
                continue
            users[uid] = {
                F.USER_ID: uid,
                F.USER_GENDER: W.gender(gender),
                F.BUCKETIZED_USER_AGE: age_bucket,
                F.USER_OCCUPATION_TEXT: occ_text,
                F.USER_OCCUPATION_LABEL: occ_label,
                F.USER_ZIP_CODE: W.zip5(zip_code),
            }
        except (W.UnknownLabelError, ValueError) as exc:
            if isinstance(exc, DataError):
                raise
            rejects.reject(path, number, str(exc))
    if not users:
        raise DataError(path, None, "no users read")
    return users


def read_movies(source: SourceFiles, rejects: Rejects) -> dict[str, Features]:
    """movies.dat / u.item -> {movie_id: movie features}, one title per id, titles made unique."""
    movies: dict[str, Features] = {}
    path = source.movies
    for number, line in read_lines(path):
        try:
            if source.format == "ml-1m":
                fields = _split(line, "::", 3, path, number, rejects)
                if fields is None:
                    continue
                mid, title, genres_text = fields[0].strip(), fields[1].strip(), fields[2]
                genres = W.genre_ids(genres_text)
            else:
                fields = _split(line, "|", 5 + len(ML100K_GENRE_FLAGS), path, number, rejects)
                if fields is None:
                    continue
                mid, title = fields[0].strip(), fields[1].strip()
                flags = fields[5:]
                if any(flag not in ("0", "1") for flag in flags):
                    raise ValueError(f"genre flags must be 0 or 1: {'|'.join(flags)!r}")
                names = [name for name, flag in zip(ML100K_GENRE_FLAGS, flags, strict=True) if flag == "1"]
                genres = W.genre_ids("|".join(names))
            if not mid.isdigit():
                raise ValueError(f"movie id {mid!r} is not a number")
            if mid in movies:
                rejects.reject(path, number, f"duplicate movie id {mid}: keeping the first title")
                continue
            movie: Features = {
                F.MOVIE_ID: mid,
                F.MOVIE_TITLE_ORIGINAL: title,
                F.MOVIE_TITLE: W.ascii_clean(title),
                F.MOVIE_GENRES: genres,
            }
            year = W.year_from_title(title)
            if year is not None:
                movie[F.MOVIE_YEAR] = year
            movies[mid] = movie
        except (W.UnknownLabelError, ValueError) as exc:
            if isinstance(exc, DataError):
                raise
            rejects.reject(path, number, str(exc))
    if not movies:
        raise DataError(path, None, "no movies read")
    unique = W.unique_titles({mid: m[F.MOVIE_TITLE] for mid, m in movies.items()})
    for mid, title in unique.items():
        movies[mid][F.MOVIE_TITLE] = title
    return movies


def parse_rating(fmt: Format, line: str) -> tuple[str, str, float, int]:
    """One ratings line -> (user_id, movie_id, rating, timestamp); ValueError names the problem."""
    fields = line.split("::") if fmt == "ml-1m" else line.split("\t")
    if len(fields) != 4:
        sep = "'::'" if fmt == "ml-1m" else "tab"
        raise ValueError(f"expected 4 {sep}-separated fields, found {len(fields)}: {line[:80]!r}")
    uid, mid, rating, ts = (f.strip() for f in fields)
    try:
        value = float(rating)
    except ValueError:
        raise ValueError(f"rating {rating!r} is not a number") from None
    if not ts.lstrip("-").isdigit():
        raise ValueError(f"timestamp {ts!r} is not an integer")
    return uid, mid, value, int(ts)
