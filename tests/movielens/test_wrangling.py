import pytest

from movielens import wrangling as W
from transform import features as F


def test_zip5_keeps_first_five_characters():
    assert W.zip5("98107-2117") == "98107"
    assert W.zip5(" 02139 ") == "02139"
    assert W.zip5("T8H1N") == "T8H1N"


def test_ascii_clean_drops_accents_and_symbols():
    assert W.ascii_clean("Amélie (2001)") == "Amelie (2001)"
    assert W.ascii_clean("Misérables, Les (1995)") == "Miserables, Les (1995)"
    assert W.ascii_clean("Zoë Müller™") == "Zoe Muller"


def test_year_from_title():
    assert W.year_from_title("Heat (1995)") == 1995
    assert W.year_from_title("unknown") is None


def test_genres_map_to_the_21_label_set():
    assert W.genre_ids("Animation|Children's|Comedy") == [2, 3, 4]
    assert W.genre_ids("IMAX|Western") == [11, 19]
    assert W.genre_ids("") == [20]
    assert W.genre_id("unknown") == 17
    assert len(F.GENRES) == 21
    with pytest.raises(W.UnknownLabelError, match="Space Opera"):
        W.genre_ids("Action|Space Opera")


def test_occupation_fix_separates_k12_from_college_students():
    assert W.ml1m_occupation("10") == ("K-12 student", 10)
    assert W.ml1m_occupation("4") == ("college/grad student", 17)
    assert W.ml1m_occupation("0") == ("other/not specified", 11)
    assert W.ml1m_occupation("20") == ("writer", 21)
    assert W.ml1m_occupation("12") == ("programmer", 12)
    with pytest.raises(W.UnknownLabelError):
        W.ml1m_occupation("21")


def test_every_ml1m_code_gets_a_distinct_label_except_none():
    labels = [W.ml1m_occupation(str(code))[1] for code in range(21)]
    assert len(set(labels)) == 21
    assert all(0 <= label <= 21 for label in labels)


def test_ml100k_occupations_follow_tfds():
    assert W.ml100k_occupation("administrator") == ("administrator", 2)
    assert W.ml100k_occupation("librarian") == ("librarian", 10)
    assert W.ml100k_occupation("none")[1] == W.ml100k_occupation("other")[1] == 11


def test_age_buckets():
    assert [W.age_bucket(a) for a in (7, 18, 24, 25, 44, 49, 50, 73)] == [1, 18, 18, 25, 35, 45, 50, 56]
    assert W.ml1m_age_bucket("56") == 56
    with pytest.raises(W.UnknownLabelError):
        W.ml1m_age_bucket("30")


def test_gender_and_imdb():
    assert W.gender("f") == "F"
    with pytest.raises(W.UnknownLabelError):
        W.gender("X")
    assert W.imdb_id("114709") == W.imdb_id("tt0114709") == W.imdb_id(114709) == "tt0114709"


def test_unique_titles_keeps_ids_and_suffixes_repeats():
    titles = W.unique_titles({"3": "Heat (1995)", "4": "Heat (1995)", "10": "Heat (1995)", "5": "X"})
    assert titles == {"3": "Heat (1995)", "4": "Heat (1995) [#4]", "10": "Heat (1995) [#10]", "5": "X"}
