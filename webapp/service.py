"""What the app's JSON API does: look up known users, search the catalogue, and recommend for a
profile through the model server (TF Serving's REST or gRPC API, with the project's client), each
recommendation with its reason. No web framework here: webapp/web.py maps HTTP onto it."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from movielens import readers
from movielens.errors import Rejects
from serving import contract as C
from serving.client import GRPC, REST, ServingClient
from serving.errors import InvalidArgument, NotFound, ServingError
from serving.users import User, from_data
from transform import features as F
from webapp.catalogue import Catalogue
from webapp.reasons import explain

MODES = ("two_stage", "retrieval", "multitask")
KNOWN_USERS_KEPT = 1024  # looked-up users kept in memory
REASON_HISTORY = 50  # the most recent ratings a reason may name (the models read at most 50 too)
MODE_LABELS = {
    "two_stage": "Two-stage: retrieval, then the ranking model",
    "retrieval": "Retrieval only",
    "multitask": "The multitask model (its retrieval and its ranking)",
}


@dataclass(frozen=True)
class AppConfig:
    data_dir: str  # known users, their ratings, and the catalogue
    host: str = "127.0.0.1"
    port: int = 8080
    server_host: str = "127.0.0.1"  # the model server (TF Serving or `movierec serve`)
    protocol: str = REST
    grpc_port: int = 8500
    rest_port: int = 8501
    retrieval_model: str = "retrieval"
    ranking_model: str = "ranking"
    multitask_model: str = "multitask"
    k: int = 10
    candidates: int = 100
    recent: int = 10  # recent ratings shown for a known user
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if self.protocol not in (GRPC, REST):
            raise ValueError(f"protocol must be {GRPC} or {REST}, not {self.protocol!r}")

    @property
    def server(self) -> str:
        port = self.rest_port if self.protocol == REST else self.grpc_port
        return f"{self.server_host}:{port} ({self.protocol})"


class AppError(Exception):
    """An answer other than 200: ``status``, a message a person understands, the field at fault."""

    def __init__(self, status: int, message: str, field: str | None = None, retry: bool = False) -> None:
        super().__init__(message)
        self.status, self.message, self.field, self.retry = status, message, field, retry

    def as_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"error": self.message}
        if self.field:
            doc["field"] = self.field
        if self.retry:
            doc["retry"] = True
        return doc


class ModelNotServed(AppError):
    """The model server answers but does not serve the model asked for."""


def bad(field: str, message: str) -> AppError:
    return AppError(400, f"{field}: {message}", field)


class RecommenderService:
    def __init__(self, config: AppConfig, catalogue: Catalogue | None = None) -> None:
        self.config = config
        self.catalogue = catalogue or Catalogue.from_data(config.data_dir)
        self._users = readers.read_users(readers.detect(config.data_dir), Rejects("skip"))
        self._local = threading.local()  # one client (and gRPC channel) per worker thread
        self._known: dict[str, User] = {}  # users looked up (the data does not change while serving)

    # -- the model server -------------------------------------------------------------------------
    def _client(self) -> ServingClient:
        client = getattr(self._local, "client", None)
        if client is None:
            c = self.config
            client = ServingClient(
                c.server_host, c.protocol, c.grpc_port, c.rest_port, timeout=c.timeout, retries=1, backoff=0.1
            )
            self._local.client = client
        return client

    def _serving(self, call, *args, **kwargs):
        """A client call; a server that is down or lacks a model becomes a 503 a person can act on."""
        try:
            return call(*args, **kwargs)
        except InvalidArgument as e:
            raise AppError(400, f"the model server refused the request: {e.message}") from None
        except NotFound as e:
            message = f"the model server at {self.config.server} does not serve it: {e.message}"
            raise ModelNotServed(503, message, retry=True) from None
        except ServingError as e:
            raise AppError(
                503, f"the model server at {self.config.server} is not answering ({e.code}); is it running?", retry=True
            ) from None
        except OSError as e:
            raise AppError(503, f"the model server at {self.config.server} is not answering: {e}", retry=True) from None

    def status(self) -> dict[str, Any]:
        """The models the app uses and the versions answering (empty when a model is not served)."""
        c = self.config
        return {"server": c.server, "versions": self._versions([c.retrieval_model, c.ranking_model, c.multitask_model])}

    def _versions(self, models: list[str]) -> dict[str, list[int]]:
        """AVAILABLE versions of each model ([] for one not served); a 503 when the server is down."""
        versions: dict[str, list[int]] = {}
        for model in dict.fromkeys(models):
            try:
                states = self._serving(self._client().status, model)
            except ModelNotServed:
                states = []
            versions[model] = [int(s["version"]) for s in states if s["state"] == "AVAILABLE"]
        return versions

    # -- users and movies ---------------------------------------------------------------------------
    def options(self) -> dict[str, Any]:
        return {
            "ages": [{"value": v, "label": label} for v, label in F.AGE_BUCKETS.items()],
            "genders": [{"value": "F", "label": "Female"}, {"value": "M", "label": "Male"}],
            "occupations": sorted(F.OCCUPATION_LABEL_IDS),
            "modes": [{"value": m, "label": MODE_LABELS[m]} for m in MODES],
            "movies": len(self.catalogue.movies),
            "users": len(self._users),
            "server": self.config.server,
        }

    def search(self, query: str) -> list[dict[str, Any]]:
        if len(query.strip()) < 2:
            raise bad("q", "type at least 2 characters of a title")
        return [m.as_json() for m in self.catalogue.search(query)]

    def known_user(self, user_id: str) -> User:
        user_id = str(user_id).strip()
        if not user_id.isdigit():
            raise bad("user_id", f"{user_id!r} is not a user id (a number)")
        user = self._known.get(user_id)
        if user is None and user_id in self._users:
            user = from_data(self.config.data_dir, user_id)  # a scan of the ratings file: kept
            if user is not None and len(self._known) < KNOWN_USERS_KEPT:
                self._known[user_id] = user
        if user is None:
            where = f"{self.config.data_dir} ({len(self._users)} users)"
            raise AppError(404, f"user {user_id} is not in {where}", "user_id")
        return user

    def user(self, user_id: str) -> dict[str, Any]:
        """A known user's demographics and most recent ratings."""
        user = self.known_user(user_id)
        recent = []
        for movie_id, stars in list(zip(user.history, user.history_ratings, strict=True))[: self.config.recent]:
            movie = self.catalogue.get(movie_id)
            recent.append({**(movie.as_json() if movie else {"movie_id": movie_id, "title": movie_id}), "stars": stars})
        return {
            "user_id": user.user_id,
            "gender": user.gender,
            "age": user.age,
            "age_label": F.AGE_BUCKETS.get(user.age, str(user.age)),
            "occupation": user.occupation_text,
            "zip": user.zip_code,
            "ratings": len(user.history),
            "recent": recent,
        }

    # -- recommendations ----------------------------------------------------------------------------
    def profile(self, body: Mapping[str, Any]) -> User:
        """The user a request describes: a known user id, or demographics; plus any ratings given
        (most recent last), which come before the known history."""
        rated = _ratings(body.get("ratings", []), self.catalogue)
        if body.get("user_id"):
            base = self.known_user(body["user_id"])
        else:
            base = _new_user(body.get("profile") or {})
        given = [m for m, _ in reversed(rated)]
        earlier = [(m, s) for m, s in zip(base.history, base.history_ratings or [0.0] * len(base.history), strict=True)
                   if m not in given]  # fmt: skip
        history = [(m, s) for m, s in reversed(rated)] + earlier
        return User(
            base.user_id, base.gender, base.age, base.occupation_text, base.occupation_label, base.zip_code,
            history=tuple(m for m, _ in history), history_ratings=tuple(s for _, s in history),
        )  # fmt: skip

    def recommend(self, body: Mapping[str, Any]) -> dict[str, Any]:
        mode = body.get("mode", "two_stage")
        if mode not in MODES:
            raise bad("mode", f"{mode!r} is not one of {', '.join(MODES)}")
        include = body.get("include_rated", False)
        if not isinstance(include, bool):
            raise bad("include_rated", "must be true or false")
        user = self.profile(body)
        started = time.perf_counter()
        items, models = self._recommend(user, mode, include)
        reasons = self._reasons(user, [i["movie_id"] for i in items], models[0])
        latency = (time.perf_counter() - started) * 1000
        titles = {m: (self.catalogue.get(m).title if self.catalogue.get(m) else m) for m in [*user.history, *reasons]}
        for item in items:
            item["reason"] = reasons[item["movie_id"]].as_json(titles) if item["movie_id"] in reasons else None
        status = self._versions(models)  # only the models that answered
        return {
            "mode": mode,
            "items": items,
            "rated": len(user.history),
            "models": [{"name": m, "versions": status.get(m, [])} for m in models],
            "latency_ms": round(latency, 1),
        }

    def _recommend(self, user: User, mode: str, include: bool) -> tuple[list[dict[str, Any]], list[str]]:
        c, client = self.config, self._client()
        if mode == "retrieval":
            found = self._serving(client.retrieve, user, c.k, c.retrieval_model, include_seen=include)
            items = [self._item(x.movie_id, retrieval_score=x.score) for x in found]
            return items, [c.retrieval_model]
        retrieval, ranking = (c.multitask_model,) * 2 if mode == "multitask" else (c.retrieval_model, c.ranking_model)
        found = self._serving(client.recommend, user, c.k, c.candidates, retrieval, ranking, include_seen=include)
        items = [self._item(r.movie_id, r.retrieval_score, r.predicted_rating) for r in found]
        return items, list(dict.fromkeys((retrieval, ranking)))

    def _item(self, movie_id: str, retrieval_score: float, predicted_rating: float | None = None) -> dict[str, Any]:
        movie = self.catalogue.get(movie_id)
        doc = movie.as_json() if movie else {"movie_id": movie_id, "title": movie_id, "year": 0, "genres": []}
        doc["retrieval_score"] = round(float(retrieval_score), 4)
        doc["predicted_rating"] = None if predicted_rating is None else round(float(predicted_rating), 3)
        return doc

    def _reasons(self, user: User, recommended: list[str], model: str) -> dict:
        """Reasons from the embeddings in ``model``'s `movies` signature (genres alone when it has none)."""
        stars = user.history_ratings or (0.0,) * len(user.history)
        rated = list(zip(user.history, stars, strict=True))[:REASON_HISTORY]
        ids = list(dict.fromkeys([*recommended, *(m for m, _ in rated)]))
        embeddings = self._embeddings(ids, model)
        genres = {m: (self.catalogue.get(m).genres if self.catalogue.get(m) else ()) for m in ids}
        return explain(recommended, rated, embeddings, genres)

    def _embeddings(self, ids: list[str], model: str) -> dict[str, np.ndarray]:
        client = self._client()
        try:
            out = client.predict(model, {F.MOVIE_ID: ids}, C.MOVIES)
        except InvalidArgument:  # a rated movie the model does not know: ask one by one, skip it
            if len(ids) == 1:
                return {}
            found: dict[str, np.ndarray] = {}
            for movie_id in ids:
                found.update(self._embeddings([movie_id], model))
            return found
        except ServingError:
            return {}
        if C.MOVIE_EMBEDDING not in out:  # a model exported before the embedding output
            return {}
        vectors = np.asarray(out[C.MOVIE_EMBEDDING], dtype=np.float32)
        return {m: vectors[i] for i, m in enumerate(ids)}


def _new_user(profile: Mapping[str, Any]) -> User:
    if not isinstance(profile, Mapping):
        raise bad("profile", "must be an object with age, gender, occupation and zip")
    age = profile.get("age", 25)
    if isinstance(age, bool) or not isinstance(age, int) or not 1 <= age <= 120:
        raise bad("profile.age", f"{age!r} is not an age in years (or an age group: 1, 18, 25, 35, 45, 50, 56)")
    gender = profile.get("gender", "")
    if gender not in ("", "F", "M"):
        raise bad("profile.gender", f"{gender!r} is not F or M")
    occupation = profile.get("occupation", "other/not specified")
    if occupation not in F.OCCUPATION_LABEL_IDS:
        raise bad("profile.occupation", f"{occupation!r} is not one of the MovieLens occupations")
    zip_code = str(profile.get("zip", "") or "")
    if len(zip_code) > 10:
        raise bad("profile.zip", "at most 10 characters (the first 5 are used)")
    return User.new(age=age, gender=gender, occupation_name=occupation, zip_code=zip_code)


def _ratings(ratings: Any, catalogue: Catalogue) -> list[tuple[str, float]]:
    """[(movie id, stars)] in the order given (oldest first); 400 naming the entry at fault."""
    if not isinstance(ratings, list):
        raise bad("ratings", "must be a list of {movie_id, stars}")
    found = []
    for i, entry in enumerate(ratings):
        if not isinstance(entry, Mapping):
            raise bad(f"ratings[{i}]", "must be an object {movie_id, stars}")
        movie_id = str(entry.get("movie_id", ""))
        if catalogue.get(movie_id) is None:
            raise bad(f"ratings[{i}].movie_id", f"{movie_id!r} is not a movie of the catalogue")
        stars = entry.get("stars")
        if isinstance(stars, bool) or not isinstance(stars, int | float) or not 1 <= stars <= 5:
            raise bad(f"ratings[{i}].stars", f"{stars!r} is not a rating from 1 to 5")
        found.append((movie_id, float(stars)))
    return found
