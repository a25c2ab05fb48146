"""The serving contract: signature, input and output names of every exported model.

Imported by the exporter, the client, the local server and the tests (light: no TensorFlow).
"""

from __future__ import annotations

from transform import features as F

# Signatures
SERVING_DEFAULT = "serving_default"  # retrieval: user -> top-K; ranking: user + movie_id -> rating
RANK = "rank"  # multitask: user + movie_id -> rating
TF_EXAMPLE = "tf_example"  # serialized tf.Examples -> every output (TFMA, batch inference)
TRANSFORM_FEATURES = "transform_features"  # serialized tf.Examples -> transformed features
MOVIES = "movies"  # movie_id -> title, genres, year (from the catalogue the model was trained with)

EXAMPLES_INPUT = "examples"

# Inputs of serving_default / rank, with their dtypes (one value per request row).
USER_INPUTS: dict[str, str] = {
    F.USER_ID: "string",
    F.USER_GENDER: "string",
    F.BUCKETIZED_USER_AGE: "int64",
    F.USER_OCCUPATION_LABEL: "int64",
    F.USER_OCCUPATION_TEXT: "string",
    F.USER_ZIP_CODE: "string",
    F.TIMESTAMP: "int64",
}
MOVIE_INPUTS: dict[str, str] = {F.MOVIE_ID: "string"}

# Outputs
MOVIE_IDS = "movie_ids"
SCORES = "scores"
PREDICTED_RATING = "predicted_rating"
MOVIE_TITLE = F.MOVIE_TITLE
MOVIE_GENRES = F.MOVIE_GENRES  # "Action|Comedy": the genre names joined with "|"
MOVIE_YEAR = F.MOVIE_YEAR
