"""The serving contract: signature, input and output names of every exported model.

Imported by the exporter, the client, the local server and the tests (light: no TensorFlow).
"""

from __future__ import annotations

from transform import features as F

# Signatures
SERVING_DEFAULT = "serving_default"  # retrieval: user -> top-K; ranking: user + movie_id -> rating
RANK = "rank"  # multitask: user + movie_id -> rating
RETRIEVE_UNFILTERED = "retrieve_unfiltered"  # retrieval/multitask: top-K over every movie, seen ones included
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
# The user's history, besides USER_INPUTS, in every user-facing signature: [batch, H] (any H >= 0),
# most recent first, padded with "" (ids) and 0 (ratings); entries past the model's cap are ignored
# by the model, and every listed movie is excluded from serving_default's top K.
HISTORY_INPUTS: dict[str, str] = {F.HISTORY_MOVIE_IDS: "string", F.HISTORY_RATINGS: "float32"}
MOVIE_INPUTS: dict[str, str] = {F.MOVIE_ID: "string"}

# Outputs
MOVIE_IDS = "movie_ids"
SCORES = "scores"
PREDICTED_RATING = "predicted_rating"
MOVIE_TITLE = F.MOVIE_TITLE
MOVIE_GENRES = F.MOVIE_GENRES  # "Action|Comedy": the genre names joined with "|"
MOVIE_YEAR = F.MOVIE_YEAR
# the movies signature's candidate-tower embedding [n, d] (the vector retrieval scores against; the
# web app's "because you rated ..." compares them)
MOVIE_EMBEDDING = "movie_embedding"
