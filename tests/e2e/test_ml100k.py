"""The whole pipeline on an ml-100k-format data set with a movie that has no title year or date.

ml-100k's movie 267 is titled "unknown" with no release date: it must train and serve with those
fields empty (the real file once stopped the run in the first Trainer's export).
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
import tensorflow as tf

from cli.main import main
from movielens.synthetic import SyntheticSpec, generate
from serving import contract as C
from transform import features as F

pytestmark = pytest.mark.e2e
SPEC = SyntheticSpec(users=200, movies=100, ratings=6_000, seed=5)
_OCCUPATIONS = sorted(F.ML100K_OCCUPATION_LABEL)


def to_ml100k(ml1m: Path, out: Path, unknown_id: str) -> None:
    """The synthetic ml-1m files in ml-100k's format, movie ``unknown_id`` as ml-100k's movie 267."""
    out.mkdir(parents=True)
    users = []
    for line in (ml1m / "users.dat").read_text(encoding="latin-1").splitlines():
        uid, gender, age, occupation, zip_code = line.split("::")
        users.append(f"{uid}|{int(age) + 5}|{gender}|{_OCCUPATIONS[int(occupation) % len(_OCCUPATIONS)]}|{zip_code}")
    (out / "u.user").write_text("\n".join(users) + "\n", encoding="latin-1")
    items = []
    for line in (ml1m / "movies.dat").read_text(encoding="latin-1").splitlines():
        mid, title, genres = line.split("::")
        names = set(genres.split("|"))
        flags = ["0"] + ["1" if g in names else "0" for g in F.MOVIELENS_GENRE_SPELLINGS]
        if mid == unknown_id:  # as in the real u.item: no year, no dates, genre "unknown"
            items.append(f"{mid}|unknown||||1" + "|0" * 18)
        else:
            year = title[-5:-1]
            items.append(f"{mid}|{title}|01-Jan-{year}||http://x|" + "|".join(flags))
    (out / "u.item").write_text("\n".join(items) + "\n", encoding="latin-1")
    ratings = [line.replace("::", "\t") for line in (ml1m / "ratings.dat").read_text().splitlines()]
    (out / "u.data").write_text("\n".join(ratings) + "\n")


def test_a_movie_without_year_or_date_trains_and_serves(tmp_path):
    generate(tmp_path / "ml1m", SPEC)
    ratings = (tmp_path / "ml1m" / "ratings.dat").read_text().splitlines()
    unknown = ratings[0].split("::")[1]  # a movie that is rated
    to_ml100k(tmp_path / "ml1m", tmp_path / "ml-100k", unknown)
    work = tmp_path / "work"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(
            ["run", "--data-dir", str(tmp_path / "ml-100k"), "--work-dir", str(work), "--models",
             "retrieval,ranking", "--model-sizes", "sample"]
        )  # fmt: skip
    assert code == 0, printed.getvalue()[-3000:]
    for kind in ("retrieval", "ranking"):
        (version,) = sorted((work / "serving" / kind).glob("*"))
        loaded = tf.saved_model.load(str(version))
        info = loaded.signatures[C.MOVIES](**{F.MOVIE_ID: tf.constant([unknown])})
        assert info[C.MOVIE_TITLE][0].numpy() == b"unknown"
        assert info[C.MOVIE_YEAR][0].numpy() == 0  # no year: empty, not an error
    ranking = tf.saved_model.load(str(sorted((work / "serving" / "ranking").glob("*"))[0]))
    request = {
        F.USER_ID: tf.constant(["1"]),
        F.USER_GENDER: tf.constant(["M"]),
        F.BUCKETIZED_USER_AGE: tf.constant([25], tf.int64),
        F.USER_OCCUPATION_LABEL: tf.constant([12], tf.int64),
        F.USER_OCCUPATION_TEXT: tf.constant(["programmer"]),
        F.USER_ZIP_CODE: tf.constant(["94110"]),
        F.TIMESTAMP: tf.constant([978300760], tf.int64),
        F.HISTORY_MOVIE_IDS: tf.constant([[unknown]]),
        F.HISTORY_RATINGS: tf.constant([[4.0]]),
        F.MOVIE_ID: tf.constant([unknown]),
    }
    rating = ranking.signatures[C.SERVING_DEFAULT](**request)[C.PREDICTED_RATING].numpy()
    assert rating.shape == (1,) and 0.0 < rating[0] < 6.0
