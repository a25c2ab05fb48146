"""The report's tables against direct pandas computations on the same data."""

from __future__ import annotations

import pandas as pd

from exploration import analysis as A
from exploration import sections as S
from exploration import zip_map
from exploration.config import ReportConfig
from exploration.frames import Frames
from transform import features as F


def test_most_rated_counts_match_pandas(frames, raw_ratings):
    expected = raw_ratings["movie"].value_counts()
    top = A.most_rated(frames.ratings, 10)
    assert list(top["ratings"]) == sorted(expected.values, reverse=True)[:10]
    for _, row in top.iterrows():
        assert row["ratings"] == expected[row[F.MOVIE_ID]]


def test_weekday_and_month_counts_match_pandas(frames, raw_ratings):
    when = pd.to_datetime(raw_ratings["ts"], unit="s")
    weekday = when.dt.dayofweek.value_counts()
    got = A.by_weekday(frames.ratings)
    assert [got[name] for name in A.WEEKDAYS] == [weekday.get(i, 0) for i in range(7)]
    assert A.by_month(frames.ratings).sum() == len(raw_ratings)
    assert A.by_month(frames.ratings)["March"] == (when.dt.month == 3).sum()


def test_rating_distribution_and_genres_add_up(frames, raw_ratings):
    table = A.rating_distribution(frames.ratings)
    assert dict(table["all"]) == dict(raw_ratings["rating"].astype(float).value_counts())
    assert (table.drop(columns="all").sum(axis=1) == table["all"]).all()
    genres = A.genres(frames.ratings)
    assert genres["ratings"].sum() == sum(len(g) for g in frames.ratings[F.MOVIE_GENRES])


def test_best_loved_respects_its_minimum_count(frames, raw_ratings):
    stats = raw_ratings.groupby("movie")["rating"].agg(["mean", "size"])
    floor = int(stats["size"].median())
    best = A.best_loved(frames.ratings, 5, floor)
    assert len(best) == 5 and (best["ratings"] >= floor).all()
    eligible = stats[stats["size"] >= floor].sort_values(["mean", "size"], ascending=False, kind="mergesort")
    assert list(best[F.MOVIE_ID]) == list(eligible.index[:5])
    assert stats["mean"].idxmax() not in set(best[F.MOVIE_ID]) or stats["size"][stats["mean"].idxmax()] >= floor
    worst = A.best_loved(frames.ratings, 5, floor, worst=True)
    assert list(worst["mean_rating"]) == sorted(worst["mean_rating"]) and (worst["ratings"] >= floor).all()
    assert A.best_loved(frames.ratings, 5, 10**6).empty


def test_occupation_by_age_counts_users(frames):
    table = A.occupation_by_age(frames.users)
    assert table.values.sum() == len(frames.users)


def test_zip_codes_that_cannot_be_placed_are_counted_not_dropped(frames):
    by_zip = A.rating_by_zip(frames.ratings)
    extra = pd.DataFrame(
        {"users": [1], "ratings": [2], "mean_rating": [3.0]}, index=pd.Index(["ZZZ99"], name="zip_code")
    )
    placed, missing = zip_map.place(pd.concat([by_zip, extra]))
    assert "ZZZ99" in missing and len(placed) + len(missing) == len(by_zip) + 1
    assert {"lat", "lon", "state"} <= set(placed.columns)
    section = S.location(frames, ReportConfig(), offline=False)
    _, missing_here = zip_map.place(by_zip)
    assert f"{len(missing_here):,} could not be placed" in section.html_caption
    assert len(section.tables[1].frame) == len(missing_here)  # listed in unplaced_zip_codes.csv


def test_without_enrichment_the_people_section_says_so(frames):
    bare = Frames(frames.ratings, frames.users, frames.movies, frames.source, enrichment="")
    section = S.people(bare, ReportConfig())
    assert not section.figures and "needs TMDB" in section.note
    enriched = S.people(frames, ReportConfig(top_n=5))
    assert frames.enrichment == "tmdb" and enriched.figures
    directors = A.busiest(frames.movies, F.DIRECTOR, 5)
    assert list(directors["movies"]) == list(frames.movies[F.DIRECTOR].value_counts().values[:5])
