"""The report's questions as pandas computations (one function a question; no drawing here)."""

from __future__ import annotations

import calendar

import pandas as pd

from transform import features as F

RATING = "rating"
MONTHS = list(calendar.month_name)[1:]
WEEKDAYS = list(calendar.day_name)  # Monday first, as pandas' dayofweek
AGE_LABELS = dict(F.AGE_BUCKETS)


def summary(frames_ratings: pd.DataFrame, movies: pd.DataFrame) -> pd.DataFrame:
    """count, mean, std, min, quartiles, max of the numeric features (ratings-level and per movie)."""
    per_rating = frames_ratings[[RATING, F.BUCKETIZED_USER_AGE, F.TIMESTAMP]].describe().T
    per_movie = movies[[F.MOVIE_YEAR, F.CAST_SIZE, F.CREW_SIZE]].apply(pd.to_numeric, errors="coerce")
    per_movie = per_movie.dropna(axis=1, how="all").describe().T
    table = pd.concat([per_rating, per_movie])
    table.index.name = "feature"
    return table.round(3)


def by_month(ratings: pd.DataFrame) -> pd.Series:
    counts = ratings["datetime"].dt.month.value_counts().reindex(range(1, 13), fill_value=0)
    return pd.Series(counts.values, index=MONTHS, name="ratings")


def by_weekday(ratings: pd.DataFrame) -> pd.Series:
    counts = ratings["datetime"].dt.dayofweek.value_counts().reindex(range(7), fill_value=0)
    return pd.Series(counts.values, index=WEEKDAYS, name="ratings")


def by_gender(ratings: pd.DataFrame) -> pd.Series:
    return ratings[F.USER_GENDER].replace("", "unknown").value_counts().rename("ratings")


def age_label(bucket: int) -> str:
    return AGE_LABELS.get(int(bucket), str(bucket))


def by_age(ratings: pd.DataFrame) -> pd.Series:
    counts = ratings[F.BUCKETIZED_USER_AGE].value_counts().sort_index()
    return pd.Series(counts.values, index=[age_label(b) for b in counts.index], name="ratings")


def by_occupation(ratings: pd.DataFrame) -> pd.Series:
    return ratings[F.USER_OCCUPATION_TEXT].value_counts().rename("ratings")


def occupation_by_age(users: pd.DataFrame) -> pd.DataFrame:
    """Users per occupation (rows) and age group (columns): e.g. how old the college/grad students are."""
    table = pd.crosstab(users[F.USER_OCCUPATION_TEXT], users[F.BUCKETIZED_USER_AGE])
    table.columns = [age_label(c) for c in table.columns]
    table.index.name = "occupation"
    return table


def rating_distribution(ratings: pd.DataFrame) -> pd.DataFrame:
    """Ratings per star value: overall and per gender (columns)."""
    overall = ratings[RATING].value_counts().sort_index().rename("all")
    per_gender = pd.crosstab(ratings[RATING], ratings[F.USER_GENDER].replace("", "unknown"))
    table = pd.concat([overall, per_gender], axis=1).fillna(0).astype(int)
    table.index.name = "rating"
    return table


def most_rated(ratings: pd.DataFrame, n: int) -> pd.DataFrame:
    """The n movies with the most ratings (ties: by title)."""
    counts = ratings.groupby([F.MOVIE_ID, F.MOVIE_TITLE]).size().rename("ratings").reset_index()
    return counts.sort_values(["ratings", F.MOVIE_TITLE], ascending=[False, True]).head(n).reset_index(drop=True)


def best_loved(ratings: pd.DataFrame, n: int, min_ratings: int, worst: bool = False) -> pd.DataFrame:
    """The n movies with the highest (``worst``: lowest) mean rating among those with >= min_ratings."""
    stats = ratings.groupby([F.MOVIE_ID, F.MOVIE_TITLE])[RATING].agg(["mean", "size"]).reset_index()
    stats = stats.rename(columns={"mean": "mean_rating", "size": "ratings"})
    stats = stats[stats["ratings"] >= min_ratings]
    order = [True, False] if worst else [False, False]
    ranked = stats.sort_values(["mean_rating", "ratings"], ascending=order).head(n).reset_index(drop=True)
    ranked["mean_rating"] = ranked["mean_rating"].round(3)
    return ranked


def per_group(ratings: pd.DataFrame, column: str, function, **kwargs) -> dict[str, pd.DataFrame]:
    """``function`` applied to each group of ``column`` (gender, age bucket), keyed by a readable label."""
    result = {}
    for key, group in ratings.groupby(column):
        label = age_label(key) if column == F.BUCKETIZED_USER_AGE else (key or "unknown")
        result[label] = function(group, **kwargs)
    return result


def by_decade(ratings: pd.DataFrame) -> pd.DataFrame:
    """Ratings and mean rating per release decade of the movie."""
    years = pd.to_numeric(ratings[F.MOVIE_YEAR], errors="coerce")
    decade = (years // 10 * 10).dropna().astype(int)
    table = ratings.loc[decade.index].groupby(decade)[RATING].agg(["size", "mean"])
    table.columns = ["ratings", "mean_rating"]
    table.index.name = "decade"
    table["mean_rating"] = table["mean_rating"].round(3)
    return table


def genres(ratings: pd.DataFrame) -> pd.DataFrame:
    """Ratings and distinct movies per genre (a movie counts in each of its genres)."""
    exploded = ratings[[F.MOVIE_ID, F.MOVIE_GENRES]].explode(F.MOVIE_GENRES).dropna()
    table = exploded.groupby(F.MOVIE_GENRES).agg(ratings=(F.MOVIE_ID, "size"), movies=(F.MOVIE_ID, "nunique"))
    table.index.name = "genre"
    return table.sort_values("ratings", ascending=False)


def rating_by_zip(ratings: pd.DataFrame) -> pd.DataFrame:
    """Per zip code: users (occupants), ratings and the mean rating."""
    table = ratings.groupby(F.USER_ZIP_CODE).agg(
        users=(F.USER_ID, "nunique"), ratings=(RATING, "size"), mean_rating=(RATING, "mean")
    )
    table.index.name = "zip_code"
    table["mean_rating"] = table["mean_rating"].round(3)
    return table.sort_values(["users", "ratings"], ascending=False)


def busiest(movies: pd.DataFrame, column: str, n: int) -> pd.DataFrame:
    """The n people (director / star) with the most movies."""
    named = movies[movies[column].notna() & (movies[column].astype(str) != "")]
    counts = named.groupby(column).size().rename("movies").reset_index()
    return counts.sort_values(["movies", column], ascending=[False, True]).head(n).reset_index(drop=True)


def largest(movies: pd.DataFrame, column: str, n: int) -> pd.DataFrame:
    """The n movies with the largest cast / crew."""
    sized = movies[[F.MOVIE_ID, F.MOVIE_TITLE, column]].copy()
    sized[column] = pd.to_numeric(sized[column], errors="coerce")
    sized = sized.dropna(subset=[column])
    sized[column] = sized[column].astype(int)
    return sized.sort_values([column, F.MOVIE_TITLE], ascending=[False, True]).head(n).reset_index(drop=True)
