"""A Python client for TF Serving (gRPC or REST): predict, status, metadata, and the movie calls.

It uses only TF Serving's wire formats (its gRPC API: the official messages and method paths; the
REST JSON API), so it works unchanged against ``tensorflow_model_server`` and movierec's local model
server. It imports no TensorFlow: the gRPC messages come from serving/protos.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from serving import contract as C
from serving import protos, rest_json
from serving.errors import InvalidArgument, ServingError, Unavailable, from_code, from_http
from serving.users import User
from transform import features as F

T = TypeVar("T")
GRPC, REST = "grpc", "rest"
# recommend() orders candidates by retrieval score + DEFAULT_RATING_WEIGHT * predicted rating
# (0: the retrieval order; the ranking model's rating is still shown). Set by measurement.
DEFAULT_RATING_WEIGHT = 0.5


@dataclass(frozen=True)
class Candidate:
    movie_id: str
    score: float


@dataclass(frozen=True)
class Recommendation:
    rank: int
    movie_id: str
    title: str
    genres: tuple[str, ...]
    year: int
    predicted_rating: float
    retrieval_score: float
    score: float  # what the list is ordered by: retrieval_score + rating_weight * predicted_rating


class ServingClient:
    """One connection to a model server. ``timeout`` is per call (seconds); calls answered
    UNAVAILABLE (or refused connections) are retried ``retries`` times with exponential backoff."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        protocol: str = GRPC,
        grpc_port: int = 8500,
        rest_port: int = 8501,
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.2,
        rest_format: str = rest_json.ROW,
    ) -> None:
        if protocol not in (GRPC, REST):
            raise ValueError(f"protocol must be {GRPC} or {REST}, not {protocol!r}")
        self.host, self.protocol, self.timeout = host, protocol, timeout
        self.retries, self.backoff, self.rest_format = retries, backoff, rest_format
        self._outputs: dict[tuple[str, str], list[str]] = {}
        self._rank_signatures: dict[str, str] = {}
        if protocol == GRPC:
            import grpc

            self._channel = grpc.insecure_channel(
                f"{host}:{grpc_port}", options=[("grpc.max_receive_message_length", 64 << 20)]
            )
            self._methods: dict[str, Callable] = {}
        else:
            import requests

            self._session = requests.Session()
            self._base = f"http://{host}:{rest_port}/v1/models"

    def close(self) -> None:
        if self.protocol == GRPC:
            self._channel.close()
        else:
            self._session.close()

    def __enter__(self) -> ServingClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport ----------------------------------------------------------------------------------
    def _retrying(self, call: Callable[[], T]) -> T:
        delay = self.backoff
        for attempt in range(self.retries + 1):
            try:
                return call()
            except Unavailable:
                if attempt == self.retries:
                    raise
                time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    def _method(self, service: str, name: str) -> Callable:
        """The unary call ``/tensorflow.serving.<service>/<name>`` on this channel (made once)."""
        key = f"{service}/{name}"
        if key not in self._methods:
            path, request_class, response_class = protos.method(service, name)
            self._methods[key] = self._channel.unary_unary(
                path,
                request_serializer=request_class.SerializeToString,
                response_deserializer=response_class.FromString,
            )
        return self._methods[key]

    def _grpc(self, service: str, name: str, request: Any) -> Any:
        import grpc

        method = self._method(service, name)

        def call() -> Any:
            try:
                return method(request, timeout=self.timeout)
            except grpc.RpcError as e:
                raise from_code(e.code().name, e.details() or str(e)) from None

        return self._retrying(call)

    def _rest(self, verb: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        import requests

        def call() -> dict[str, Any]:
            try:
                response = self._session.request(verb, self._base + path, json=body, timeout=self.timeout)
            except requests.ConnectionError as e:
                raise Unavailable(f"cannot reach {self._base}: {e}") from None
            except requests.Timeout as e:
                raise from_code("DEADLINE_EXCEEDED", f"{verb} {path}: {e}") from None
            try:
                doc = response.json()
            except ValueError:
                doc = {"error": response.text[:200]}
            if response.status_code != 200:
                raise from_http(response.status_code, doc.get("error", str(doc)))
            return doc

        return self._retrying(call)

    @staticmethod
    def _path(model: str, version: int | None, label: str | None) -> str:
        from urllib.parse import quote

        path = f"/{quote(model, safe='')}"
        if version is not None:
            path += f"/versions/{int(version)}"
        elif label:
            path += f"/labels/{quote(label, safe='')}"
        return path

    @staticmethod
    def _spec(spec: Any, model: str, version: int | None, label: str | None, signature: str = "") -> None:
        spec.name = model
        if signature:
            spec.signature_name = signature
        if version is not None:
            spec.version.value = int(version)
        elif label:
            spec.version_label = label

    # -- TF Serving's calls ---------------------------------------------------------------------------
    def predict(
        self,
        model: str,
        inputs: Mapping[str, Sequence[Any] | np.ndarray],
        signature: str = C.SERVING_DEFAULT,
        version: int | None = None,
        label: str | None = None,
    ) -> dict[str, np.ndarray]:
        """Run a signature; returns output name -> numpy array (strings as bytes)."""
        if self.protocol == GRPC:
            request = protos.PredictRequest()
            self._spec(request.model_spec, model, version, label, signature)
            for name, values in inputs.items():
                request.inputs[name].CopyFrom(_tensor_proto(values))
            response = self._grpc("PredictionService", "Predict", request)
            return {name: protos.ndarray(proto) for name, proto in response.outputs.items()}
        body = rest_json.make_request(inputs, signature, self.rest_format)
        outputs = rest_json.parse_response(self._rest("POST", self._path(model, version, label) + ":predict", body))
        if "" in outputs:  # a single output is written bare: name it from the signature
            (name,) = self._output_names(model, signature, version, label)
            outputs = {name: outputs[""]}
        return {name: _utf8(values) for name, values in outputs.items()}

    def status(self, model: str, version: int | None = None, label: str | None = None) -> list[dict[str, Any]]:
        """``model_version_status`` as TF Serving's REST API writes it (same for both protocols)."""
        if self.protocol == GRPC:
            request = protos.GetModelStatusRequest()
            self._spec(request.model_spec, model, version, label)
            doc = rest_json.proto_json(self._grpc("ModelService", "GetModelStatus", request))
        else:
            doc = self._rest("GET", self._path(model, version, label))
        return doc["model_version_status"]

    def metadata(self, model: str, version: int | None = None, label: str | None = None) -> dict[str, Any]:
        """``{"model_spec": ..., "metadata": {"signature_def": {"signature_def": {...}}}}`` (REST's shape)."""
        if self.protocol == GRPC:
            request = protos.GetModelMetadataRequest(metadata_field=["signature_def"])
            self._spec(request.model_spec, model, version, label)
            response = self._grpc("PredictionService", "GetModelMetadata", request)
            return rest_json.metadata_json(response, protos.SignatureDefMap)
        return self._rest("GET", self._path(model, version, label) + "/metadata")

    def signatures(self, model: str, version: int | None = None, label: str | None = None) -> dict[str, Any]:
        """Signature name -> {"inputs": {...}, "outputs": {...}} from the metadata."""
        return self.metadata(model, version, label)["metadata"]["signature_def"]["signature_def"]

    def _output_names(self, model: str, signature: str, version: int | None, label: str | None) -> list[str]:
        key = (model, signature or C.SERVING_DEFAULT)
        if key not in self._outputs:
            self._outputs[key] = sorted(self.signatures(model, version, label)[key[1]]["outputs"])
        return self._outputs[key]

    # -- the movie calls -----------------------------------------------------------------------------
    def retrieve(
        self, user: User, k: int = 10, model: str = "retrieval", include_seen: bool = False
    ) -> list[Candidate]:
        """The retrieval model's top ``k`` movies for a user (at most the model's own top K).

        The user's history movies are left out (``serving_default``) unless ``include_seen``
        (the ``retrieve_unfiltered`` signature: the top K over every movie)."""
        if k < 1:
            raise InvalidArgument("k must be at least 1")
        signature = C.RETRIEVE_UNFILTERED if include_seen else C.SERVING_DEFAULT
        out = self.predict(model, user_inputs(user), signature)
        ids, scores = out[C.MOVIE_IDS][0][:k], out[C.SCORES][0][:k]
        return [Candidate(_text(i), float(s)) for i, s in zip(ids, scores, strict=True)]

    def rank_signature(self, model: str) -> str:
        """The signature of ``model`` that rates (user, movie_id): ``rank`` or ``serving_default``."""
        if model not in self._rank_signatures:
            signatures = self.signatures(model)
            found = [
                name
                for name in (C.RANK, C.SERVING_DEFAULT)
                if name in signatures
                and F.MOVIE_ID in signatures[name]["inputs"]
                and C.PREDICTED_RATING in signatures[name]["outputs"]
            ]
            if not found:
                raise InvalidArgument(f"model {model} has no signature rating (user, movie_id)")
            self._rank_signatures[model] = found[0]
        return self._rank_signatures[model]

    def rank(self, user: User, movie_ids: Sequence[str], model: str = "ranking") -> list[float]:
        """Predicted ratings of ``movie_ids`` for a user, in the given order (one request row per
        movie, each with the user's features and history)."""
        if not movie_ids:
            return []
        inputs = user_inputs(user, rows=len(movie_ids))
        inputs[F.MOVIE_ID] = np.array([str(m) for m in movie_ids], dtype=object)
        out = self.predict(model, inputs, self.rank_signature(model))
        return [float(r) for r in np.asarray(out[C.PREDICTED_RATING]).reshape(-1)]

    def movies(self, movie_ids: Sequence[str], model: str = "ranking") -> list[dict[str, Any]]:
        """Title, genres and year of movies, from the catalogue inside ``model``."""
        if not movie_ids:
            return []
        out = self.predict(model, {F.MOVIE_ID: [str(m) for m in movie_ids]}, C.MOVIES)
        return [
            {
                F.MOVIE_ID: str(movie_id),
                C.MOVIE_TITLE: _text(out[C.MOVIE_TITLE][i]),
                C.MOVIE_GENRES: tuple(g for g in _text(out[C.MOVIE_GENRES][i]).split("|") if g),
                C.MOVIE_YEAR: int(out[C.MOVIE_YEAR][i]),
            }
            for i, movie_id in enumerate(movie_ids)
        ]

    def recommend(
        self,
        user: User,
        k: int = 10,
        candidates: int = 100,
        retrieval_model: str = "retrieval",
        ranking_model: str = "ranking",
        include_seen: bool = False,
        rating_weight: float | None = None,
    ) -> list[Recommendation]:
        """Two stages: retrieve ``candidates`` movies (those not in the user's history unless
        ``include_seen``), rate them with the ranking model, keep the best ``k`` by
        ``retrieval score + rating_weight * predicted rating`` (0: the retrieval order; None:
        DEFAULT_RATING_WEIGHT)."""
        if k < 1 or candidates < k:
            raise InvalidArgument(f"need 1 <= k <= candidates (k={k}, candidates={candidates})")
        if rating_weight is None:
            rating_weight = DEFAULT_RATING_WEIGHT
        retrieved = self.retrieve(user, candidates, retrieval_model, include_seen=include_seen)
        ratings = self.rank(user, [c.movie_id for c in retrieved], ranking_model)
        best = combine(retrieved, ratings, rating_weight)[:k]
        info = self.movies([c.movie_id for c, _, _ in best], ranking_model)
        return [
            Recommendation(
                rank=i + 1,
                movie_id=c.movie_id,
                title=m[C.MOVIE_TITLE],
                genres=m[C.MOVIE_GENRES],
                year=m[C.MOVIE_YEAR],
                predicted_rating=rating,
                retrieval_score=c.score,
                score=score,
            )
            for i, ((c, rating, score), m) in enumerate(zip(best, info, strict=True))
        ]


# -- request building ---------------------------------------------------------------------------------
def batch_inputs(users: Sequence[User], width: int | None = None) -> dict[str, np.ndarray]:
    """The inputs of a user-facing signature for one row per user (contract.USER_INPUTS and
    HISTORY_INPUTS): per-row values [n]; ``history_movie_ids`` (object array of str) and
    ``history_ratings`` (float32) [n, H], each row padded with "" / 0.0 to H = ``width``
    (default: the longest history; 0 when every history is empty)."""
    if not users:
        raise ValueError("no users")
    width = max(len(u.history) for u in users) if width is None else width
    rows = [u.features() for u in users]
    inputs: dict[str, np.ndarray] = {
        name: np.array([r[name] for r in rows], dtype=object if kind == "string" else np.int64)
        for name, kind in C.USER_INPUTS.items()
    }
    histories = [u.history_features(width) for u in users]
    inputs[F.HISTORY_MOVIE_IDS] = _matrix([h[F.HISTORY_MOVIE_IDS] for h in histories], width, object)
    inputs[F.HISTORY_RATINGS] = _matrix([h[F.HISTORY_RATINGS] for h in histories], width, np.float32)
    return inputs


def user_inputs(user: User, rows: int = 1) -> dict[str, np.ndarray]:
    """``rows`` request rows for one user (``rank`` sends one per movie): its values repeated,
    its history [rows, len(history)] the same in every row."""
    if rows < 1:
        raise ValueError("rows must be at least 1")
    return batch_inputs([user] * rows)


def combine(
    retrieved: Sequence[Candidate], ratings: Sequence[float], rating_weight: float
) -> list[tuple[Candidate, float, float]]:
    """(candidate, predicted rating, score) by ``score = retrieval score + rating_weight * rating``,
    best first; ties (and ``rating_weight`` 0) keep the retrieval order."""
    scored = [
        (c, float(r), c.score if rating_weight == 0 else c.score + rating_weight * float(r))
        for c, r in zip(retrieved, ratings, strict=True)
    ]
    order = sorted(range(len(scored)), key=lambda i: (-scored[i][2], i))
    return [scored[i] for i in order]


def _matrix(rows: list[list[Any]], width: int, dtype: Any) -> np.ndarray:
    """A [len(rows), width] array; np.array alone would make a 1-D array of width 0 rows wrongly typed."""
    array = np.empty((len(rows), width), dtype=dtype)
    for i, row in enumerate(rows):
        array[i, :] = row
    return array


def _tensor_proto(values: Sequence[Any] | np.ndarray) -> Any:
    """A TensorProto of the array's own shape (empty [n, 0] included); text as DT_STRING, float32 as
    DT_FLOAT: the bytes ``tf.make_tensor_proto`` writes (serving/protos.py; no TensorFlow)."""
    return protos.tensor_proto(_utf8(values))


def _utf8(values: Sequence[Any] | np.ndarray) -> np.ndarray:
    """Text as bytes: what a DT_STRING TensorProto takes, and what gRPC gives back (REST gives str)."""
    array = np.asarray(values)
    if array.dtype.kind == "U":
        return np.vectorize(lambda s: s.encode("utf-8"), otypes=[object])(array)
    return array


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


__all__ = [
    "DEFAULT_RATING_WEIGHT",
    "GRPC",
    "REST",
    "Candidate",
    "Recommendation",
    "ServingClient",
    "ServingError",
    "User",
    "batch_inputs",
    "combine",
    "user_inputs",
]
