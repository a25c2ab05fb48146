"""Feature names: the raw ones of a rating example (``movielens.features``, re-exported here) and
the transformed ones, outputs of ``transform.preprocessing.preprocessing_fn``.
"""

from __future__ import annotations

from movielens.features import *  # noqa: F403 (every raw name, re-exported)
from movielens.features import (
    AGE_BUCKETS,
    BUCKETIZED_USER_AGE,
    CAST_SIZE,
    CREW_SIZE,
    DIRECTOR,
    GENRES,
    HISTORY_MOVIE_IDS,
    HISTORY_RATINGS,
    MOVIE_ID,
    MOVIE_YEAR,
    OCCUPATION_LABELS,
    STAR,
    USER_GENDER,
    USER_ID,
    USER_OCCUPATION_TEXT,
    USER_ZIP_CODE,
)


# ---------------------------------------------------------------------------------------------
# Transformed features (outputs of transform.preprocessing.preprocessing_fn)
# ---------------------------------------------------------------------------------------------
def transformed_name(name: str) -> str:
    """The transformed counterpart of a raw feature."""
    return f"{name}_xf"


# Vocabularies (names of the TFT vocabulary files), one per categorical string feature.
VOCAB_FEATURES: tuple[str, ...] = (
    USER_ID,
    MOVIE_ID,
    USER_GENDER,
    USER_OCCUPATION_TEXT,
    USER_ZIP_CODE,
    DIRECTOR,
    STAR,
)
TITLE_TOKENS = "movie_title_tokens"
TITLE_VOCAB = "movie_title_tokens"
MAX_TITLE_TOKENS = 8
TITLE_VOCAB_SIZE = 20_000
AGE_INDEX = transformed_name(BUCKETIZED_USER_AGE)
NUM_GENRES = len(GENRES)
NUM_OCCUPATIONS = len(OCCUPATION_LABELS)
NUM_AGE_BUCKETS = len(AGE_BUCKETS)
OOV_BUCKETS = 1

# History, transformed: movie vocabulary index + 1 (0 = padding), [batch, history_length]; the
# ratings aligned with it (0 for padding).
HISTORY_MOVIES_XF = transformed_name(HISTORY_MOVIE_IDS)
HISTORY_RATINGS_XF = transformed_name(HISTORY_RATINGS)

# Numeric transformed features of the candidate tower.
CANDIDATE_NUMERIC: tuple[str, ...] = (
    transformed_name(MOVIE_YEAR),
    transformed_name(CAST_SIZE),
    transformed_name(CREW_SIZE),
)
