"""The single source of raw feature names, label tables and feature groups of a rating example.

Ingestion, the curated schema, preprocessing, trainers, export, the serving client and the tests
all import the names below (most through ``transform.features``, which adds the transformed
ones); renaming a feature here breaks a test, not a user. Names follow the TFDS ``movielens``
data set.
"""

from __future__ import annotations

# ---------------------------------------------------------------------------------------------
# Feature names (tf.Example keys)
# ---------------------------------------------------------------------------------------------
USER_ID = "user_id"
MOVIE_ID = "movie_id"
MOVIE_TITLE = "movie_title"
MOVIE_TITLE_ORIGINAL = "movie_title_original"
MOVIE_GENRES = "movie_genres"
MOVIE_YEAR = "movie_year"
USER_RATING = "user_rating"
TIMESTAMP = "timestamp"
USER_GENDER = "user_gender"
BUCKETIZED_USER_AGE = "bucketized_user_age"
USER_OCCUPATION_LABEL = "user_occupation_label"
USER_OCCUPATION_TEXT = "user_occupation_text"
USER_ZIP_CODE = "user_zip_code"
# TMDB / extra-info enrichment (present only when the user supplies enrichment files).
DIRECTOR = "director"
STAR = "star"
CAST_SIZE = "cast_size"
CREW_SIZE = "crew_size"
IMDB_ID = "imdb_id"
RELEASE_DATE = "release_date"
# The user's history (built by ExampleGen, see docs/data.md): the movie ids of the user's other
# train-split ratings, most recent first, capped; and those ratings' stars, aligned with them.
HISTORY_MOVIE_IDS = "history_movie_ids"
HISTORY_RATINGS = "history_ratings"

LABEL_KEY = USER_RATING

USER_FEATURES: tuple[str, ...] = (
    USER_ID,
    USER_GENDER,
    BUCKETIZED_USER_AGE,
    USER_OCCUPATION_LABEL,
    USER_OCCUPATION_TEXT,
    USER_ZIP_CODE,
)
CONTEXT_FEATURES: tuple[str, ...] = (TIMESTAMP,)
MOVIE_FEATURES: tuple[str, ...] = (
    MOVIE_ID,
    MOVIE_TITLE,
    MOVIE_TITLE_ORIGINAL,
    MOVIE_GENRES,
    MOVIE_YEAR,
)
ENRICHMENT_FEATURES: tuple[str, ...] = (
    DIRECTOR,
    STAR,
    CAST_SIZE,
    CREW_SIZE,
    IMDB_ID,
    RELEASE_DATE,
)
HISTORY_FEATURES: tuple[str, ...] = (HISTORY_MOVIE_IDS, HISTORY_RATINGS)
# Every feature of a rating example, in a stable order.
ALL_FEATURES: tuple[str, ...] = (
    USER_FEATURES + CONTEXT_FEATURES + HISTORY_FEATURES + MOVIE_FEATURES + ENRICHMENT_FEATURES + (USER_RATING,)
)

# Python type of each feature's values in a tf.Example: int -> int64_list, float -> float_list,
# str -> bytes_list (UTF-8). MOVIE_GENRES is the only multi-valued feature.
FEATURE_TYPES: dict[str, type] = {
    USER_ID: str,
    MOVIE_ID: str,
    MOVIE_TITLE: str,
    MOVIE_TITLE_ORIGINAL: str,
    MOVIE_GENRES: int,
    MOVIE_YEAR: int,
    USER_RATING: float,
    TIMESTAMP: int,
    USER_GENDER: str,
    BUCKETIZED_USER_AGE: int,
    USER_OCCUPATION_LABEL: int,
    USER_OCCUPATION_TEXT: str,
    USER_ZIP_CODE: str,
    DIRECTOR: str,
    STAR: str,
    CAST_SIZE: int,
    CREW_SIZE: int,
    IMDB_ID: str,
    RELEASE_DATE: str,
    HISTORY_MOVIE_IDS: str,
    HISTORY_RATINGS: float,
}
MULTIVALENT_FEATURES: frozenset[str] = frozenset({MOVIE_GENRES, HISTORY_MOVIE_IDS, HISTORY_RATINGS})
# Default cap of the history's length (ExampleGen and Transform take it from the pipeline config).
DEFAULT_HISTORY_LENGTH = 50

# ---------------------------------------------------------------------------------------------
# Label tables
# ---------------------------------------------------------------------------------------------
# The 21-label genre set (MovieLens 1M + 100K + latest), index = label id.
GENRES: tuple[str, ...] = (
    "Action",
    "Adventure",
    "Animation",
    "Children",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "IMAX",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "Unknown",
    "War",
    "Western",
    "(no genres listed)",
)
GENRE_IDS: dict[str, int] = {name: i for i, name in enumerate(GENRES)}
# The 18 genres as ml-1m's movies.dat spells them (ml-100k's u.item flags: "unknown" + these).
MOVIELENS_GENRE_SPELLINGS: tuple[str, ...] = (
    "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller",
    "War", "Western",
)  # fmt: skip
# Spellings the MovieLens files use for the same labels.
GENRE_ALIASES: dict[str, str] = {
    "Children's": "Children",
    "unknown": "Unknown",
    "no genres listed": "(no genres listed)",
}

# The TFDS occupation label set (user_occupation_label), index = label id.
OCCUPATION_LABELS: tuple[str, ...] = (
    "academic/educator",
    "artist",
    "clerical/admin",
    "customer service",
    "doctor/health care",
    "entertainment",
    "executive/managerial",
    "farmer",
    "homemaker",
    "lawyer",
    "librarian",
    "other/not specified",
    "programmer",
    "retired",
    "sales/marketing",
    "scientist",
    "self-employed",
    "student",
    "technician/engineer",
    "tradesman/craftsman",
    "unemployed",
    "writer",
)
OCCUPATION_LABEL_IDS: dict[str, int] = {name: i for i, name in enumerate(OCCUPATION_LABELS)}
# The report's fix: TFDS maps both K-12 and college/grad students to "student" (17); the report
# gives K-12 students their own label, 10 (the slot TFDS uses for ml-100k's "librarian", which
# ml-1m does not have).
K12_STUDENT_LABEL = 10

# ml-1m occupation codes (users.dat, per its README) -> user_occupation_text.
ML1M_OCCUPATIONS: tuple[str, ...] = (
    "other/not specified",
    "academic/educator",
    "artist",
    "clerical/admin",
    "college/grad student",
    "customer service",
    "doctor/health care",
    "executive/managerial",
    "farmer",
    "homemaker",
    "K-12 student",
    "lawyer",
    "programmer",
    "retired",
    "sales/marketing",
    "scientist",
    "self-employed",
    "technician/engineer",
    "tradesman/craftsman",
    "unemployed",
    "writer",
)
# ml-1m occupation text -> label id (with the K-12 fix).
ML1M_OCCUPATION_LABEL: dict[str, int] = {
    **{text: OCCUPATION_LABEL_IDS[text] for text in ML1M_OCCUPATIONS if text in OCCUPATION_LABEL_IDS},
    "college/grad student": OCCUPATION_LABEL_IDS["student"],
    "K-12 student": K12_STUDENT_LABEL,
}
# ml-100k occupation words (u.user / u.occupation) -> label id, as TFDS maps them.
ML100K_OCCUPATION_LABEL: dict[str, int] = {
    "administrator": OCCUPATION_LABEL_IDS["clerical/admin"],
    "artist": OCCUPATION_LABEL_IDS["artist"],
    "doctor": OCCUPATION_LABEL_IDS["doctor/health care"],
    "educator": OCCUPATION_LABEL_IDS["academic/educator"],
    "engineer": OCCUPATION_LABEL_IDS["technician/engineer"],
    "entertainment": OCCUPATION_LABEL_IDS["entertainment"],
    "executive": OCCUPATION_LABEL_IDS["executive/managerial"],
    "healthcare": OCCUPATION_LABEL_IDS["doctor/health care"],
    "homemaker": OCCUPATION_LABEL_IDS["homemaker"],
    "lawyer": OCCUPATION_LABEL_IDS["lawyer"],
    "librarian": OCCUPATION_LABEL_IDS["librarian"],
    "marketing": OCCUPATION_LABEL_IDS["sales/marketing"],
    "none": OCCUPATION_LABEL_IDS["other/not specified"],
    "other": OCCUPATION_LABEL_IDS["other/not specified"],
    "programmer": OCCUPATION_LABEL_IDS["programmer"],
    "retired": OCCUPATION_LABEL_IDS["retired"],
    "salesman": OCCUPATION_LABEL_IDS["sales/marketing"],
    "scientist": OCCUPATION_LABEL_IDS["scientist"],
    "student": OCCUPATION_LABEL_IDS["student"],
    "technician": OCCUPATION_LABEL_IDS["technician/engineer"],
    "writer": OCCUPATION_LABEL_IDS["writer"],
}

# ml-1m age buckets: bucket value -> description (users.dat README).
AGE_BUCKETS: dict[int, str] = {
    1: "Under 18",
    18: "18-24",
    25: "25-34",
    35: "35-44",
    45: "45-49",
    50: "50-55",
    56: "56+",
}
GENDERS: tuple[str, ...] = ("F", "M")
