"""A user as the models take it: the raw user features and history of serving/contract.py, from friendly values."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

from movielens import wrangling as W
from transform import features as F

HISTORY_PAD_ID, HISTORY_PAD_RATING = "", 0.0  # what pads a history row to the batch's width (contract.py)


def occupation(text: str) -> tuple[str, int]:
    """An occupation as ml-1m or ml-100k writes it, or a label name -> (text, label id)."""
    key = text.strip()
    if key in F.ML1M_OCCUPATION_LABEL:
        return key, F.ML1M_OCCUPATION_LABEL[key]
    lowered = key.lower()
    for table in (F.ML1M_OCCUPATION_LABEL, F.ML100K_OCCUPATION_LABEL, F.OCCUPATION_LABEL_IDS):
        for name, label in table.items():
            if name.lower() == lowered:
                return name, label
    choices = sorted(set(F.ML1M_OCCUPATION_LABEL) | set(F.ML100K_OCCUPATION_LABEL))
    raise ValueError(f"unknown occupation {text!r}; one of: {', '.join(choices)}")


@dataclass(frozen=True)
class User:
    """Who to recommend for. Unknown values go through the models' out-of-vocabulary paths.

    ``age`` is the ml-1m age bucket (1, 18, 25, ...); :meth:`new` takes an age in years.
    ``timestamp`` (seconds) defaults to now; the models clip it to the time range they were trained on.
    ``history``: the movie ids the user rated, most recent first (empty: a new user, cold start);
    ``history_ratings``: their stars, aligned with ``history``, or empty when unknown (sent as 0s).
    """

    user_id: str = ""
    gender: str = ""
    age: int = 25
    occupation_text: str = "other/not specified"
    occupation_label: int = F.OCCUPATION_LABEL_IDS["other/not specified"]
    zip_code: str = ""
    timestamp: int | None = None
    history: tuple[str, ...] = ()
    history_ratings: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        history = tuple(str(m) for m in self.history)
        ratings = tuple(float(r) for r in self.history_ratings)
        if ratings and len(ratings) != len(history):
            raise ValueError(
                f"history_ratings has {len(ratings)} values for {len(history)} history movies: "
                "give one per movie, or none (unknown)"
            )
        if any(not m for m in history):
            raise ValueError(f"history: empty movie id ({HISTORY_PAD_ID!r} is the padding value)")
        object.__setattr__(self, "history", history)
        object.__setattr__(self, "history_ratings", ratings)

    @classmethod
    def new(
        cls,
        age: int,
        gender: str,
        occupation_name: str,
        zip_code: str = "",
        user_id: str = "",
        history: Iterable[str] = (),
        history_ratings: Iterable[float] = (),
    ) -> User:
        """A user from an age in years, gender F/M, an occupation name and a zip code (and a history)."""
        text, label = occupation(occupation_name)
        try:
            return cls(
                user_id,
                W.gender(gender) if gender else "",
                W.age_bucket(age),
                text,
                label,
                zip_code[:5],
                history=tuple(history),
                history_ratings=tuple(history_ratings),
            )
        except W.UnknownLabelError as e:
            raise ValueError(str(e)) from None

    def features(self) -> dict[str, str | int]:
        """One request row's per-row values: feature name -> value (contract.USER_INPUTS)."""
        return {
            F.USER_ID: self.user_id,
            F.USER_GENDER: self.gender,
            F.BUCKETIZED_USER_AGE: int(self.age),
            F.USER_OCCUPATION_LABEL: int(self.occupation_label),
            F.USER_OCCUPATION_TEXT: self.occupation_text,
            F.USER_ZIP_CODE: self.zip_code,
            F.TIMESTAMP: int(self.timestamp if self.timestamp is not None else time.time()),
        }

    def history_features(self, width: int | None = None) -> dict[str, list]:
        """One request row's history (contract.HISTORY_INPUTS), padded to ``width`` entries with
        "" and 0.0 (default: the history's own length, which may be 0). Unknown ratings are 0.0."""
        n = len(self.history)
        width = n if width is None else width
        if width < n:
            raise ValueError(f"width {width} is shorter than the history ({n} movies)")
        ratings = list(self.history_ratings) or [HISTORY_PAD_RATING] * n
        pad = width - n
        return {
            F.HISTORY_MOVIE_IDS: list(self.history) + [HISTORY_PAD_ID] * pad,
            F.HISTORY_RATINGS: ratings + [HISTORY_PAD_RATING] * pad,
        }


def from_data(data_dir: str, user_id: str, history: bool = True) -> User | None:
    """The user from a MovieLens folder or zip, or None if not in its users file (users.dat / u.user).

    Demographics from the users file; with ``history``, every one of the user's ratings in the
    ratings file (ratings.dat / u.data) as the history: most recent first, equal timestamps in
    reverse file order (the later line first, as ExampleGen orders histories), with their stars.
    Unparsable rating lines are skipped.
    """
    from movielens import readers
    from movielens.errors import Rejects

    source = readers.detect(data_dir)
    users = readers.read_users(source, Rejects("skip"))
    uid = str(user_id).strip()
    row = users.get(uid)
    if row is None:
        return None
    movies, stars = read_history(source, uid) if history else ((), ())
    return User(
        user_id=uid,
        gender=row[F.USER_GENDER],
        age=int(row[F.BUCKETIZED_USER_AGE]),
        occupation_text=row[F.USER_OCCUPATION_TEXT],
        occupation_label=int(row[F.USER_OCCUPATION_LABEL]),
        zip_code=row[F.USER_ZIP_CODE],
        history=movies,
        history_ratings=stars,
    )


def read_history(source, user_id: str) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """One user's (movie ids, stars) from a data set's ratings file, most recent first.

    ``source`` is a ``readers.SourceFiles``. A byte scan for the lines starting with the user id
    (ml-1m's 1M lines take well under a second), each parsed by ``readers.parse_rating``.
    """
    from movielens import readers

    separator = rb"::" if source.format == "ml-1m" else rb"\t"
    pattern = re.compile(rb"^ *" + re.escape(user_id.encode()) + rb" *" + separator + rb"[^\n]*", re.MULTILINE)
    with open(source.ratings, "rb") as f:
        data = f.read()
    rated: list[tuple[int, int, str, float]] = []  # (timestamp, line order, movie id, stars)
    for order, match in enumerate(pattern.finditer(data)):
        try:
            uid, movie_id, stars, timestamp = readers.parse_rating(source.format, match.group().decode("latin-1"))
        except ValueError:
            continue
        if uid == user_id:
            rated.append((timestamp, order, movie_id, stars))
    rated.sort(key=lambda r: (-r[0], -r[1]))
    return tuple(r[2] for r in rated), tuple(r[3] for r in rated)
