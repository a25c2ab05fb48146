"""A user as the models take it: the raw user features of serving/contract.py, from friendly values."""

from __future__ import annotations

import time
from dataclasses import dataclass

from components.movielens_example_gen import wrangling as W
from transform import features as F


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
    """

    user_id: str = ""
    gender: str = ""
    age: int = 25
    occupation_text: str = "other/not specified"
    occupation_label: int = F.OCCUPATION_LABEL_IDS["other/not specified"]
    zip_code: str = ""
    timestamp: int | None = None

    @classmethod
    def new(cls, age: int, gender: str, occupation_name: str, zip_code: str = "", user_id: str = "") -> User:
        """A user from an age in years, gender F/M, an occupation name and a zip code."""
        text, label = occupation(occupation_name)
        try:
            return cls(user_id, W.gender(gender) if gender else "", W.age_bucket(age), text, label, zip_code[:5])
        except W.UnknownLabelError as e:
            raise ValueError(str(e)) from None

    def features(self) -> dict[str, str | int]:
        """One request row: feature name -> value, as the signatures take them."""
        return {
            F.USER_ID: self.user_id,
            F.USER_GENDER: self.gender,
            F.BUCKETIZED_USER_AGE: int(self.age),
            F.USER_OCCUPATION_LABEL: int(self.occupation_label),
            F.USER_OCCUPATION_TEXT: self.occupation_text,
            F.USER_ZIP_CODE: self.zip_code,
            F.TIMESTAMP: int(self.timestamp if self.timestamp is not None else time.time()),
        }


def from_data(data_dir: str, user_id: str) -> User | None:
    """The user's demographics from a MovieLens folder or zip (users.dat / u.user), or None if absent."""
    from components.movielens_example_gen import readers
    from components.movielens_example_gen.errors import Rejects

    users = readers.read_users(readers.detect(data_dir), Rejects("skip"))
    row = users.get(str(user_id))
    if row is None:
        return None
    return User(
        user_id=str(user_id),
        gender=row[F.USER_GENDER],
        age=int(row[F.BUCKETIZED_USER_AGE]),
        occupation_text=row[F.USER_OCCUPATION_TEXT],
        occupation_label=int(row[F.USER_OCCUPATION_LABEL]),
        zip_code=row[F.USER_ZIP_CODE],
    )
