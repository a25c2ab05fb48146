import csv

import pytest

from movielens import enrichment
from movielens.errors import DataError, Rejects
from transform import features as F


def _write_tmdb(folder, credits_cast="[{'name': 'Tom Hanks', 'order': 0}, {'name': 'Tim Allen', 'order': 1}]"):
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "links.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["movieId", "imdbId", "tmdbId"])
        w.writerows([[1, "0114709", "862.0"], [2, "0113497", "8844"], [3, "0113228", ""], [99, "1", "5"]])
    with open(folder / "movies_metadata.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["adult", "id", "imdb_id", "overview", "release_date", "title"])
        w.writerow(["False", "862", "tt0114709", "Led by Woody,\nAndy's toys", "1995-10-30", "Toy Story"])
        w.writerow(["False", "8844", "tt0113497", "", "1995-12-15", "Jumanji"])
        w.writerow(["- Written by Ørnås", "1997-08-20", "0", "", "", ""])  # a known dirty row
    crew = "[{'job': 'Producer', 'name': 'X'}, {'job': 'Director', 'name': 'John Lasseter'}]"
    with open(folder / "credits.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["cast", "crew", "id"])
        w.writerow([credits_cast, crew, "862"])
        w.writerow(
            [
                "[{'name': 'Robin Williams', 'order': 0}]",
                "[{'job': 'Director', 'name': 'Joe Johnston'}]",
                "8844",
            ]
        )


def test_tmdb_enrichment_joins_through_links(tmp_path):
    _write_tmdb(tmp_path / "tmdb")
    assert enrichment.find_enrichment(str(tmp_path)) == ("tmdb", str(tmp_path / "tmdb"))
    result = enrichment.read_tmdb(str(tmp_path / "tmdb"), {"1", "2", "3"}, Rejects())
    assert result["1"] == {
        F.IMDB_ID: "tt0114709",
        F.RELEASE_DATE: "1995-10-30",
        F.CAST_SIZE: 2,
        F.CREW_SIZE: 2,
        F.DIRECTOR: "John Lasseter",
        F.STAR: "Tom Hanks",
    }
    assert result["2"][F.STAR] == "Robin Williams"
    assert result["3"] == {F.IMDB_ID: "tt0113228"}  # no TMDB id: only what links.csv has
    assert "99" not in result


def test_tmdb_bad_credits_line_is_named(tmp_path):
    _write_tmdb(tmp_path, credits_cast="[{'name': 'Tom")
    with pytest.raises(DataError, match=r"credits\.csv:2: cast/crew is not a list literal"):
        enrichment.read_tmdb(str(tmp_path), {"1", "2"}, Rejects())


def test_tmdb_missing_column_is_named(tmp_path):
    _write_tmdb(tmp_path)
    (tmp_path / "links.csv").write_text("movieId,imdb\n1,2\n")
    with pytest.raises(DataError, match=r"links\.csv:1: missing column\(s\) imdbId, tmdbId"):
        enrichment.read_tmdb(str(tmp_path), {"1"}, Rejects())


def test_extrainfos_enrichment(tmp_path):
    (tmp_path / "movies_extrainfos.dat").write_text(
        "1::Toy Story::1995::G::22 Nov 1995::Animation::John Lasseter::W::Tom Hanks, Tim Allen::plot::p\r\n"
        "2::Jumanji::1995::PG::N/A::Adventure::N/A::W::Robin Williams, Jonathan Hyde::plot::p\r\n",
        encoding="utf-8",
    )
    (tmp_path / "imdb_links.dat").write_text("1::tt0114709\n2::tt0113497\n")
    assert enrichment.find_enrichment(str(tmp_path)) == ("extrainfos", str(tmp_path))
    result = enrichment.read_extrainfos(str(tmp_path), {"1", "2"}, Rejects())
    assert result["1"] == {
        F.DIRECTOR: "John Lasseter",
        F.STAR: "Tom Hanks",
        F.RELEASE_DATE: "1995-11-22",
        F.IMDB_ID: "tt0114709",
    }
    assert result["2"] == {F.STAR: "Robin Williams", F.IMDB_ID: "tt0113497"}
