import zipfile

import pytest

from movielens import readers
from movielens.errors import DataError, Rejects
from tests.movielens import fixtures
from transform import features as F


def test_ml1m_users_movies_with_report_rules(tmp_path):
    source = readers.detect(fixtures.write_ml1m(tmp_path / "ml-1m"))
    assert source.format == "ml-1m"
    users = readers.read_users(source, Rejects())
    assert users["1"][F.USER_OCCUPATION_TEXT] == "K-12 student"
    assert users["1"][F.USER_OCCUPATION_LABEL] == 10
    assert users["3"][F.USER_OCCUPATION_LABEL] == 17
    assert users["3"][F.USER_ZIP_CODE] == "98107"
    assert users["2"][F.BUCKETIZED_USER_AGE] == 56
    assert users["4"][F.USER_GENDER] == "F"

    movies = readers.read_movies(source, Rejects())
    assert movies["2"][F.MOVIE_TITLE] == "Amelie (2001)"
    assert movies["2"][F.MOVIE_TITLE_ORIGINAL] == "Amélie (2001)"  # latin-1 decoded
    assert movies["2"][F.MOVIE_YEAR] == 2001
    assert movies["1"][F.MOVIE_GENRES] == [2, 3, 4]
    assert movies["3"][F.MOVIE_TITLE] == "Heat (1995)"
    assert movies["4"][F.MOVIE_TITLE] == "Heat (1995) [#4]"  # one title per id, titles unique
    assert len({m[F.MOVIE_TITLE] for m in movies.values()}) == len(movies)


def test_utf8_titles_are_read_as_utf8(tmp_path):
    folder = fixtures.write_ml1m(tmp_path / "d")
    (folder / "movies.dat").write_text("1::Amélie (2001)::Comedy\n", encoding="utf-8")
    movies = readers.read_movies(readers.detect(folder), Rejects())
    assert movies["1"][F.MOVIE_TITLE_ORIGINAL] == "Amélie (2001)"


def test_ml100k(tmp_path):
    source = readers.detect(fixtures.write_ml100k(tmp_path / "ml-100k"))
    assert source.format == "ml-100k"
    users = readers.read_users(source, Rejects())
    assert users["1"][F.BUCKETIZED_USER_AGE] == 18
    assert users["2"][F.USER_OCCUPATION_LABEL] == 10  # librarian
    assert users["3"][F.BUCKETIZED_USER_AGE] == 1
    movies = readers.read_movies(source, Rejects())
    assert movies["2"][F.MOVIE_GENRES] == [0, 1, 16]
    assert movies["267"][F.MOVIE_GENRES] == [17]
    assert F.MOVIE_YEAR not in movies["267"]
    assert readers.parse_rating("ml-100k", "1\t1\t5\t874965758") == ("1", "1", 5.0, 874965758)


def test_detect_finds_nested_folder_and_zip(tmp_path):
    fixtures.write_ml1m(tmp_path / "outer" / "ml-1m")
    assert readers.detect(tmp_path / "outer").directory.endswith("ml-1m")
    archive = tmp_path / "ml-1m.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("users.dat", "movies.dat", "ratings.dat"):
            zf.write(tmp_path / "outer" / "ml-1m" / name, f"ml-1m/{name}")
    source = readers.detect(archive)
    assert source.format == "ml-1m"
    assert len(readers.read_users(source, Rejects())) == 4


def test_missing_users_file_is_named(tmp_path):
    folder = fixtures.write_ml1m(tmp_path / "d")
    (folder / "users.dat").unlink()
    with pytest.raises(DataError, match=r"users\.dat: missing"):
        readers.detect(folder)


def test_no_data_at_all(tmp_path):
    with pytest.raises(DataError, match="no MovieLens data found"):
        readers.detect(tmp_path)


def test_malformed_line_names_file_and_line(tmp_path):
    folder = fixtures.write_ml1m(tmp_path / "d", users=fixtures.ML1M_USERS + "5::M::25\n")
    with pytest.raises(DataError, match=r"users\.dat:5: expected 5 '::'-separated fields, found 3"):
        readers.read_users(readers.detect(folder), Rejects())


def test_unknown_genre_names_file_line_and_genre(tmp_path):
    movies = fixtures.ML1M_MOVIES + "6::Space (2000)::Space Opera\n"
    folder = fixtures.write_ml1m(tmp_path / "d", movies=movies)
    with pytest.raises(DataError, match=r"movies\.dat:6: unknown genre 'Space Opera'"):
        readers.read_movies(readers.detect(folder), Rejects())


def test_skip_policy_keeps_good_rows_and_records_bad_ones(tmp_path):
    users = fixtures.ML1M_USERS + "5::X::25::3::12345\n6::M::25::3::54321\n"
    folder = fixtures.write_ml1m(tmp_path / "d", users=users)
    rejects = Rejects("skip")
    result = readers.read_users(readers.detect(folder), rejects)
    assert sorted(result) == ["1", "2", "3", "4", "6"]
    assert [(r.line, "gender" in r.message) for r in rejects.rows] == [(5, True)]


def test_wrong_encoding_is_refused_with_the_file_name(tmp_path):
    folder = fixtures.write_ml1m(tmp_path / "d")
    (folder / "movies.dat").write_text(fixtures.ML1M_MOVIES, encoding="utf-16")
    with pytest.raises(DataError, match=r"movies\.dat:1: NUL byte found"):
        readers.read_movies(readers.detect(folder), Rejects())


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("1::2::x::978300760", "rating 'x' is not a number"),
        ("1::2::3", "expected 4 '::'-separated fields"),
        ("1::2::3::yesterday", "timestamp 'yesterday' is not an integer"),
    ],
)
def test_parse_rating_errors(line, problem):
    with pytest.raises(ValueError, match=problem):
        readers.parse_rating("ml-1m", line)
