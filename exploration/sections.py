"""The report's sections: each answers one question of the report with figures, tables and one
line of what they show, computed from the data."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from exploration import analysis as A
from exploration import figures, zip_map
from exploration.config import ReportConfig
from exploration.frames import Frames
from transform import features as F


@dataclass
class Figure:
    name: str  # file name stem (figures/<name>.png)
    title: str
    caption: str
    png: bytes


@dataclass
class Table:
    name: str  # tables/<name>.csv
    title: str
    frame: pd.DataFrame
    caption: str = ""
    rows_shown: int = 25


@dataclass
class Section:
    key: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    html: str = ""  # extra content (the map)
    html_caption: str = ""  # its one line
    note: str = ""  # a line shown when the section has nothing to draw


def _share(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def summary(f: Frames) -> Section:
    r = f.ratings
    caption = (
        f"{len(r):,} ratings by {r[F.USER_ID].nunique():,} users of {r[F.MOVIE_ID].nunique():,} movies, "
        f"from {r['datetime'].min():%Y-%m-%d} to {r['datetime'].max():%Y-%m-%d}; mean rating {r['rating'].mean():.2f}."
    )
    return Section(
        "summary",
        "1. Statistics summary",
        tables=[Table("summary", "Numeric features", A.summary(r, f.movies), caption)],
    )


def activity(f: Frames) -> Section:
    months, days = A.by_month(f.ratings), A.by_weekday(f.ratings)
    return Section(
        "activity",
        "2. When people rate: month of the year and day of the week",
        figures=[
            Figure(
                "ratings_by_month",
                "Ratings by month",
                f"Busiest month: {months.idxmax()} ({months.max():,} ratings); "
                f"quietest: {months.idxmin()} ({months.min():,}).",
                figures.bars(months, "Ratings by month of the year", "month", "ratings"),
            ),
            Figure(
                "ratings_by_weekday",
                "Ratings by weekday",
                f"Busiest day: {days.idxmax()} ({days.max():,} ratings); quietest: {days.idxmin()} ({days.min():,}).",
                figures.bars(days, "Ratings by day of the week", "day", "ratings"),
            ),
        ],
        tables=[
            Table("ratings_by_month", "Ratings by month", months.to_frame()),
            Table("ratings_by_weekday", "Ratings by weekday", days.to_frame()),
        ],
    )


def users(f: Frames) -> Section:
    r = f.ratings
    gender, age, occupation = A.by_gender(r), A.by_age(r), A.by_occupation(r)
    drill = A.occupation_by_age(f.users)
    focus = "college/grad student" if "college/grad student" in drill.index else drill.sum(axis=1).idxmax()
    row = drill.loc[focus]
    drill_caption = (
        f"Users per occupation and age group; {focus} users are mostly {row.idxmax()} ({row.max():,} of {row.sum():,})."
    )
    return Section(
        "users",
        "3. Who rates: gender, age group, occupation",
        figures=[
            Figure(
                "ratings_by_gender",
                "Ratings by gender",
                "; ".join(f"{g}: {n:,} ratings ({_share(n, gender.sum())})" for g, n in gender.items()) + ".",
                figures.bars(gender, "Ratings by gender", "gender", "ratings"),
            ),
            Figure(
                "ratings_by_age",
                "Ratings by age group",
                f"The {age.idxmax()} group rates most: {age.max():,} ratings ({_share(age.max(), age.sum())}).",
                figures.bars(age, "Ratings by age group", "age group", "ratings"),
            ),
            Figure(
                "ratings_by_occupation",
                "Ratings by occupation",
                f"Most ratings come from {occupation.idxmax()} "
                f"users ({occupation.max():,}, {_share(occupation.max(), occupation.sum())}).",
                figures.bars(occupation, "Ratings by occupation", "ratings", "occupation", horizontal=True),
            ),
        ],
        tables=[
            Table("ratings_by_gender", "Ratings by gender", gender.to_frame()),
            Table("ratings_by_age", "Ratings by age group", age.to_frame()),
            Table("ratings_by_occupation", "Ratings by occupation", occupation.to_frame()),
            Table("occupation_by_age", "Users by occupation and age group", drill, drill_caption),
        ],
    )


def rating_distribution(f: Frames) -> Section:
    table = A.rating_distribution(f.ratings)
    by_gender = f.ratings.groupby(F.USER_GENDER)["rating"].mean()
    caption = (
        f"Most common rating: {table['all'].idxmax():g} ({_share(table['all'].max(), table['all'].sum())}); "
        + (", ".join(f"mean {g or 'unknown'}: {m:.2f}" for g, m in by_gender.items()))
        + "."
    )
    return Section(
        "distribution",
        "4. How people rate: the 1-5 distribution, overall and by gender",
        figures=[
            Figure(
                "rating_distribution",
                "Rating distribution",
                caption,
                figures.grouped_bars(table, "Ratings per star value", "rating", "ratings"),
            )
        ],
        tables=[Table("rating_distribution", "Ratings per star value", table)],
    )


def _title_series(table: pd.DataFrame, value: str) -> pd.Series:
    return pd.Series(table[value].values, index=table[F.MOVIE_TITLE].values)


def _group_figure(
    name: str, title: str, groups: dict[str, pd.DataFrame], value: str, chart_title: str, xlabel: str
) -> Figure:
    """Small multiples, one panel a group; the caption names each group's first movie and its value."""
    shown = "{:,}" if value == "ratings" else "{:.2f}"
    caption = "; ".join(
        f"{g}: {t.iloc[0][F.MOVIE_TITLE]} ({shown.format(t.iloc[0][value])})" for g, t in groups.items()
    )
    panels = figures.panels({g: _title_series(t, value) for g, t in groups.items()}, chart_title, xlabel)
    return Figure(name, title, caption + ".", panels)


def _groups_frame(groups: dict[str, pd.DataFrame], column: str) -> pd.DataFrame:
    return (
        pd.concat([t.assign(**{column: g}) for g, t in groups.items()], ignore_index=True) if groups else pd.DataFrame()
    )


def most_rated(f: Frames, config: ReportConfig) -> Section:
    n, r = config.top_n, f.ratings
    top = A.most_rated(r, n)
    by_gender = A.per_group(r, F.USER_GENDER, A.most_rated, n=n)
    by_age = A.per_group(r, F.BUCKETIZED_USER_AGE, A.most_rated, n=n)
    first = top.iloc[0]
    return Section(
        "most_rated",
        f"5. Most-rated movies (top {n}): all time, by gender, by age group",
        figures=[
            Figure(
                "most_rated",
                "Most-rated movies",
                f"{first[F.MOVIE_TITLE]} has the most ratings ({first['ratings']:,}).",
                figures.bars(
                    _title_series(top, "ratings"), f"Top {n} most-rated movies", "ratings", "movie", horizontal=True
                ),
            ),
            _group_figure(
                "most_rated_by_gender",
                "Most-rated by gender",
                by_gender,
                "ratings",
                f"Top {n} most-rated movies by gender",
                "ratings",
            ),
            _group_figure(
                "most_rated_by_age",
                "Most-rated by age group",
                by_age,
                "ratings",
                f"Top {n} most-rated movies by age group",
                "ratings",
            ),
        ],
        tables=[
            Table("most_rated", "Most-rated movies", top),
            Table("most_rated_by_gender", "By gender", _groups_frame(by_gender, "gender")),
            Table("most_rated_by_age", "By age group", _groups_frame(by_age, "age_group")),
        ],
    )


def best_loved(f: Frames, config: ReportConfig) -> Section:
    n, m, r = config.top_n, config.min_ratings_best, f.ratings
    top = A.best_loved(r, n, m)
    section = Section("best_loved", f"6. Best-loved movies (highest mean rating, at least {m} ratings)")
    if top.empty:
        section.note = f"No movie has {m} or more ratings (ReportConfig.min_ratings_best)."
        return section
    by_gender = {g: t for g, t in A.per_group(r, F.USER_GENDER, A.best_loved, n=n, min_ratings=m).items() if len(t)}
    by_age = {
        g: t for g, t in A.per_group(r, F.BUCKETIZED_USER_AGE, A.best_loved, n=n, min_ratings=m).items() if len(t)
    }
    first = top.iloc[0]
    section.figures = [
        Figure(
            "best_loved",
            "Best-loved movies",
            f"{first[F.MOVIE_TITLE]} leads with a mean of "
            f"{first['mean_rating']:.2f} over {first['ratings']:,} ratings (movies with at least {m} ratings).",
            figures.bars(
                _title_series(top, "mean_rating"),
                f"Top {n} by mean rating (at least {m} ratings)",
                "mean rating",
                "movie",
                horizontal=True,
            ),
        ),
    ]
    for key, label, groups in (("gender", "gender", by_gender), ("age", "age group", by_age)):
        if groups:
            section.figures.append(
                _group_figure(
                    f"best_loved_by_{key}",
                    f"Best-loved by {label}",
                    groups,
                    "mean_rating",
                    f"Best-loved by {label} (at least {m} ratings within the group)",
                    "mean rating",
                )
            )
    section.tables = [
        Table("best_loved", f"Best-loved movies (at least {m} ratings)", top),
        Table("best_loved_by_gender", "By gender", _groups_frame(by_gender, "gender")),
        Table("best_loved_by_age", "By age group", _groups_frame(by_age, "age_group")),
    ]
    return section


def release_years(f: Frames) -> Section:
    table = A.by_decade(f.ratings)
    caption = (
        f"Movies of the {table['ratings'].idxmax()}s get the most ratings ({table['ratings'].max():,}); "
        f"the {table['mean_rating'].idxmax()}s have the highest mean rating ({table['mean_rating'].max():.2f})."
    )
    return Section(
        "release",
        "7. Ratings by the movies' release decade",
        figures=[
            Figure(
                "ratings_by_decade",
                "Ratings by release decade",
                caption,
                figures.line_and_bars(table, "Ratings and mean rating by release decade", "decade"),
            )
        ],
        tables=[Table("ratings_by_decade", "Ratings by release decade", table)],
    )


def worst(f: Frames, config: ReportConfig) -> Section:
    n, m = config.top_n, config.min_ratings_worst
    table = A.best_loved(f.ratings, n, m, worst=True)
    section = Section("worst", f"8. Worst movies (lowest mean rating, at least {m} ratings)")
    if table.empty:
        section.note = f"No movie has {m} or more ratings (ReportConfig.min_ratings_worst)."
        return section
    weights = {row[F.MOVIE_TITLE]: 5.5 - row["mean_rating"] for _, row in table.iterrows()}
    first = table.iloc[0]
    section.figures = [
        Figure(
            "worst_movies",
            "Worst movies",
            f"{first[F.MOVIE_TITLE]} has the lowest mean rating, {first['mean_rating']:.2f} "
            f"over {first['ratings']:,} ratings; the lower the mean, the larger the title.",
            figures.word_cloud(weights, f"The {len(table)} worst movies (at least {m} ratings)"),
        )
    ]
    section.tables = [Table("worst_movies", "Worst movies", table)]
    return section


def location(f: Frames, config: ReportConfig, offline: bool = True) -> Section:
    by_zip = A.rating_by_zip(f.ratings)
    placed, missing = zip_map.place(by_zip)
    state = config.map_state
    in_state = placed[placed["state"] == state]
    best = in_state.sort_values("mean_rating", ascending=False).head(1)
    caption = (
        f"{len(placed):,} of {len(by_zip):,} zip codes placed on the map; {len(missing):,} could not be placed "
        f"(not in the zipcodes database: listed in unplaced_zip_codes.csv). {state}: {len(in_state):,} zip codes"
        + (f", highest mean rating {best['mean_rating'].iloc[0]:.2f} at {best.index[0]}." if len(best) else ".")
    )
    unplaced = by_zip.loc[missing]
    return Section(
        "location",
        f"9. Rating by location (zip code; {state} shown first)",
        tables=[
            Table("occupants_per_zip", "Users (occupants), ratings and mean rating per zip code", by_zip),
            Table("unplaced_zip_codes", "Zip codes that could not be placed", unplaced, rows_shown=10),
        ],
        html=zip_map.as_iframe(zip_map.build_map(placed, state, offline=offline)),
        html_caption=f"Average rating per zip code. {caption}",
    )


def genres(f: Frames) -> Section:
    table = A.genres(f.ratings)
    top = table.index[0]
    caption = (
        f"{top} is the most rated genre ({table['ratings'].iloc[0]:,} ratings over "
        f"{table['movies'].iloc[0]:,} movies); a movie counts in each of its genres."
    )
    return Section(
        "genres",
        "10. Most popular genres",
        figures=[
            Figure(
                "genres",
                "Ratings by genre",
                caption,
                figures.bars(table["ratings"], "Ratings by genre", "ratings", "genre", horizontal=True),
            )
        ],
        tables=[Table("genres", "Ratings and movies by genre", table)],
    )


def people(f: Frames, config: ReportConfig) -> Section:
    n = config.top_n
    section = Section("people", f"11. Busiest directors and actors, largest casts and crews (top {n})")
    if not f.enrichment:
        section.note = (
            "This section needs TMDB (or extra-info) enrichment: director, star, cast and crew sizes. "
            "Run with --enrichment-dir or put the TMDB files beside the data."
        )
        return section
    for column, label in ((F.DIRECTOR, "directors"), (F.STAR, "actors (lead)")):
        table = A.busiest(f.movies, column, n)
        if table.empty:
            continue
        first = table.iloc[0]
        section.figures.append(
            Figure(
                f"busiest_{column}",
                f"Busiest {label}",
                f"{first[column]} has the most movies ({first['movies']}).",
                figures.bars(
                    pd.Series(table["movies"].values, index=table[column].values),
                    f"Busiest {label}",
                    "movies",
                    column,
                    horizontal=True,
                ),
            )
        )
        section.tables.append(Table(f"busiest_{column}", f"Busiest {label}", table))
    for column in (F.CAST_SIZE, F.CREW_SIZE):
        table = A.largest(f.movies, column, n)
        if table.empty:
            continue
        first = table.iloc[0]
        kind = column.split("_")[0]
        section.figures.append(
            Figure(
                f"largest_{kind}",
                f"Largest {kind}s",
                f"{first[F.MOVIE_TITLE]} has the largest {kind} ({first[column]}).",
                figures.bars(
                    _title_series(table, column), f"Largest {kind}s", f"{kind} size", "movie", horizontal=True
                ),
            )
        )
        section.tables.append(Table(f"largest_{kind}", f"Largest {kind}s", table))
    if not section.figures:
        section.note = "The enrichment files carry no director, star, cast or crew values for these movies."
    return section
