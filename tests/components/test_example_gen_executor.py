"""The MovieLensExampleGen executor run directly on Beam (no orchestrator)."""

from __future__ import annotations

import csv
import glob
import shutil

import pytest
import tensorflow as tf
from tfx.types import standard_artifacts

from components.artifacts import MovieCatalogue
from components.movielens_example_gen import executor
from movielens.catalogue import CATALOGUE_CSV, CATALOGUE_TFRECORD
from movielens.errors import DataError
from movielens.example_codec import from_example
from tests.movielens import fixtures
from transform import features as F


def run_executor(data_dir, out, **props):
    examples = standard_artifacts.Examples()
    examples.uri = str(out / "examples")
    catalogue = MovieCatalogue()
    catalogue.uri = str(out / "catalogue")
    exec_properties = {
        "data_dir": str(data_dir),
        "split": "random",
        "eval_fraction": 0.2,
        "seed": 42,
        "on_bad_line": "error",
        **props,
    }
    executor.Executor().Do({}, {"examples": [examples], "catalogue": [catalogue]}, exec_properties)
    return examples, catalogue


def read_split(examples, split):
    files = glob.glob(f"{examples.uri}/Split-{split}/*.gz")
    assert files, f"no files in Split-{split}"
    return [
        from_example(tf.train.Example.FromString(r.numpy()))
        for r in tf.data.TFRecordDataset(files, compression_type="GZIP")
    ]


def test_random_split_writes_typed_examples_and_catalogue(tiny_dataset, tmp_path):
    examples, catalogue = run_executor(tiny_dataset, tmp_path / "a")
    train, eval_ = read_split(examples, "train"), read_split(examples, "eval")
    assert (len(train), len(eval_)) == (720, 180)
    assert examples.get_int_custom_property("train_examples") == 720
    assert examples.get_string_custom_property("enrichment") == "tmdb"
    row = train[0]
    for name in F.USER_FEATURES + F.CONTEXT_FEATURES + F.MOVIE_FEATURES + (F.USER_RATING,):
        assert name in row, name
    assert isinstance(row[F.MOVIE_GENRES], list)
    assert isinstance(row[F.USER_RATING], float) and isinstance(row[F.TIMESTAMP], int)
    assert any(F.DIRECTOR in r for r in train) and any(F.DIRECTOR not in r for r in train)  # 95% coverage
    assert all(len(r[F.USER_ZIP_CODE]) <= 5 for r in train + eval_)
    # the same (user, movie) pair never lands in both splits
    assert not {(r[F.USER_ID], r[F.MOVIE_ID]) for r in train} & {(r[F.USER_ID], r[F.MOVIE_ID]) for r in eval_}

    with open(f"{catalogue.uri}/{CATALOGUE_CSV}") as f:
        movies = list(csv.DictReader(f))
    assert len(movies) == 40 == catalogue.get_int_custom_property("movies")
    assert len({m[F.MOVIE_ID] for m in movies}) == 40
    records = list(tf.data.TFRecordDataset(f"{catalogue.uri}/{CATALOGUE_TFRECORD}", compression_type="GZIP"))
    assert len(records) == 40

    # deterministic for a seed, different for another
    again, _ = run_executor(tiny_dataset, tmp_path / "b")
    assert sorted(r[F.TIMESTAMP] for r in read_split(again, "eval")) == sorted(r[F.TIMESTAMP] for r in eval_)
    other, _ = run_executor(tiny_dataset, tmp_path / "c", seed=1)
    assert sorted(r[F.TIMESTAMP] for r in read_split(other, "eval")) != sorted(r[F.TIMESTAMP] for r in eval_)


@pytest.mark.parametrize("split", ["random", "temporal"])
def test_histories_hold_only_earlier_train_ratings_of_the_user(tiny_dataset, tmp_path, split):
    examples, _ = run_executor(tiny_dataset, tmp_path, split=split, history_length=7)
    train, eval_ = read_split(examples, "train"), read_split(examples, "eval")
    train_by_user: dict[str, list[dict]] = {}
    for r in train:
        train_by_user.setdefault(r[F.USER_ID], []).append(r)
    eval_pairs = {(r[F.USER_ID], r[F.MOVIE_ID]) for r in eval_}
    for r in train + eval_:
        ids = r.get(F.HISTORY_MOVIE_IDS) or []
        stars = r.get(F.HISTORY_RATINGS) or []
        assert len(ids) == len(stars) <= 7
        assert r[F.MOVIE_ID] not in ids
        assert not {(r[F.USER_ID], m) for m in ids} & eval_pairs  # no eval rating leaks into any history
        mine = sorted(train_by_user.get(r[F.USER_ID], []), key=lambda t: -t[F.TIMESTAMP])
        others = [t for t in mine if t[F.TIMESTAMP] < r[F.TIMESTAMP]]
        assert len(ids) == min(7, len(others))
        times = {t[F.MOVIE_ID]: t[F.TIMESTAMP] for t in others}
        rated = {t[F.MOVIE_ID]: t[F.USER_RATING] for t in others}
        assert [times[m] for m in ids] == sorted((times[m] for m in ids), reverse=True)  # most recent first
        assert stars == [rated[m] for m in ids]
        if ids:  # the cap keeps the most recent ones
            assert min(times[m] for m in ids) >= sorted(times.values(), reverse=True)[len(ids) - 1]


def test_temporal_split_puts_the_latest_ratings_in_eval(tiny_dataset, tmp_path):
    examples, _ = run_executor(tiny_dataset, tmp_path, split="temporal")
    train, eval_ = read_split(examples, "train"), read_split(examples, "eval")
    assert (len(train), len(eval_)) == (720, 180)
    assert max(r[F.TIMESTAMP] for r in train) <= min(r[F.TIMESTAMP] for r in eval_)


def test_bad_rating_line_fails_naming_file_and_line(tmp_path):
    ratings = fixtures.ML1M_RATINGS + "2::1::4\n" + "9::1::4::978300760\n"
    data = fixtures.write_ml1m(tmp_path / "d", ratings=ratings)
    with pytest.raises(DataError, match=r"ratings\.dat:7: expected 4 '::'-separated fields.*\(and 1 more bad lines\)"):
        run_executor(data, tmp_path / "out")


def test_skip_policy_keeps_good_rows_and_lists_bad_ones(tmp_path):
    ratings = fixtures.ML1M_RATINGS + "2::1::4\n" + "9::1::4::978300760\n" + "2::2::7::978300761\n"
    data = fixtures.write_ml1m(tmp_path / "d", ratings=ratings)
    examples, _ = run_executor(data, tmp_path / "out", on_bad_line="skip", eval_fraction=0.5)
    rows = read_split(examples, "train") + read_split(examples, "eval")
    assert len(rows) == 7  # 6 good + the out-of-range rating (left for ExampleValidator)
    assert 7.0 in {r[F.USER_RATING] for r in rows}
    rejected = (tmp_path / "out" / "examples" / executor.REJECTED_FILE).read_text().splitlines()
    assert rejected[0] == "file\tline\tproblem"
    assert [line.split("\t")[1] for line in rejected[1:]] == ["7", "8"]
    assert "user 9 is not in the users file" in rejected[2]
    assert examples.get_int_custom_property("rejected_lines") == 2


def test_ml100k_through_the_executor(tmp_path):
    data = fixtures.write_ml100k(tmp_path / "ml-100k")
    examples, catalogue = run_executor(data, tmp_path / "out", eval_fraction=0.34)
    rows = read_split(examples, "train") + read_split(examples, "eval")
    assert sorted(r[F.MOVIE_ID] for r in rows) == ["1", "2", "267"]
    assert examples.get_string_custom_property("format") == "ml-100k"
    assert catalogue.get_int_custom_property("movies") == 3


def test_explicit_enrichment_dir_must_hold_enrichment(tiny_dataset, tmp_path):
    data = tmp_path / "copy"
    shutil.copytree(tiny_dataset, data)
    with pytest.raises(DataError, match="no enrichment found"):
        run_executor(data, tmp_path / "out", enrichment_dir=str(tmp_path))


def test_bad_enrichment_entry_is_skipped_and_listed(tiny_dataset, tmp_path):
    data = tmp_path / "copy"
    shutil.copytree(tiny_dataset, data)
    links = data / "tmdb" / "links.csv"
    lines = links.read_text().splitlines()
    first_id = lines[1].split(",")[0]
    lines[1] = f"{first_id},nm3204983,{lines[1].split(',')[2]}"  # a person id where an IMDb title id belongs
    links.write_text("\n".join(lines) + "\n")
    examples, _ = run_executor(data, tmp_path / "out")
    rows = read_split(examples, "train") + read_split(examples, "eval")
    assert len(rows) == 900  # nothing good is lost
    mine = [r for r in rows if r[F.MOVIE_ID] == first_id]
    # the rest of its metadata stays; the IMDb id is taken from movies_metadata.csv instead
    assert mine and all(F.DIRECTOR in r and r[F.IMDB_ID].startswith("tt") for r in mine)
    rejected = (tmp_path / "out" / "examples" / executor.REJECTED_FILE).read_text()
    assert "links.csv\t2\tnot an IMDb id: 'nm3204983'" in rejected
