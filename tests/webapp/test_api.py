"""The app's JSON API: known users, search, recommendations with reasons, and its errors."""

from __future__ import annotations

import requests

from serving.users import from_data
from webapp.catalogue import Catalogue, fold
from webapp.reasons import explain


def get(app, path: str) -> requests.Response:
    return requests.get(app.url + path, timeout=60)


def post(app, body) -> requests.Response:
    return requests.post(app.url + "/api/recommend", json=body, timeout=60)


def known_user_id(app) -> str:
    return sorted(app.service._users, key=int)[0]


def test_a_known_users_profile_and_recommendations(app):
    uid = known_user_id(app)
    user = get(app, f"/api/users/{uid}").json()
    truth = from_data(app.data_dir, uid)
    assert user["user_id"] == uid and user["ratings"] == len(truth.history)
    assert [m["movie_id"] for m in user["recent"]] == list(truth.history[:10])
    assert all(1 <= m["stars"] <= 5 and m["title"] for m in user["recent"])

    result = post(app, {"user_id": uid}).json()
    ids = [item["movie_id"] for item in result["items"]]
    assert len(ids) == 10 and not set(ids) & set(truth.history)  # rated movies are left out
    assert [m["name"] for m in result["models"]] == ["retrieval", "ranking"]
    assert all(m["versions"] == [1] for m in result["models"]) and result["latency_ms"] > 0
    for item in result["items"]:
        assert item["predicted_rating"] is not None and item["title"]
        because = [b["movie_id"] for b in item["reason"]["because"]]
        assert because and set(because) <= set(truth.history[:50])
        assert item["reason"]["text"].startswith("Because you rated ")

    included = post(app, {"user_id": uid, "include_rated": True, "mode": "retrieval"}).json()
    assert included["models"][0]["name"] == "retrieval" and included["items"][0]["predicted_rating"] is None
    multitask = post(app, {"user_id": uid, "mode": "multitask"}).json()
    assert [m["name"] for m in multitask["models"]] == ["multitask"] and len(multitask["items"]) == 10


def test_a_new_profile_with_ratings(app):
    catalogue = app.service.catalogue
    rated = sorted(catalogue.movies)[:3]
    body = {
        "profile": {"age": 25, "gender": "F", "occupation": "programmer", "zip": "94110"},
        "ratings": [{"movie_id": m, "stars": s} for m, s in zip(rated, (5, 4, 2), strict=True)],
    }
    result = post(app, body).json()
    ids = [item["movie_id"] for item in result["items"]]
    assert len(ids) == 10 and not set(ids) & set(rated) and result["rated"] == 3
    for item in result["items"]:  # liked movies (4+ stars) explain first
        assert {b["movie_id"] for b in item["reason"]["because"]} <= set(rated[:2])
    cold = post(app, {"profile": {"age": 25}}).json()  # no ratings: a cold start still answers
    assert len(cold["items"]) == 10 and cold["items"][0]["reason"]["because"] == []


def test_bad_requests_name_the_field(app):
    assert get(app, "/api/users/abc").json()["field"] == "user_id"
    missing = get(app, "/api/users/999999")
    assert missing.status_code == 404 and "user 999999 is not in" in missing.json()["error"]
    empty = get(app, "/api/movies?q=")
    assert empty.status_code == 400 and empty.json()["field"] == "q"
    assert get(app, "/api/movies?q=zzzzqqq").json() == []
    movie = sorted(app.service.catalogue.movies)[0]
    for ratings, field in (
        ([{"movie_id": movie, "stars": 6}], "ratings[0].stars"),
        ([{"movie_id": movie, "stars": 0}], "ratings[0].stars"),
        ([{"movie_id": movie, "stars": True}], "ratings[0].stars"),
        ([{"movie_id": movie, "stars": 4}, {"movie_id": "no-such", "stars": 4}], "ratings[1].movie_id"),
        ("5 stars", "ratings"),
    ):
        answer = post(app, {"profile": {}, "ratings": ratings})
        assert answer.status_code == 400 and answer.json()["field"] == field, answer.text
    assert post(app, {"mode": "best"}).json()["field"] == "mode"
    assert post(app, {"profile": {"occupation": "astronaut"}}).json()["field"] == "profile.occupation"
    assert post(app, {"profile": {"age": "old"}}).json()["field"] == "profile.age"
    assert requests.post(app.url + "/api/recommend", data=b"[1, 2", timeout=10).status_code == 400
    assert get(app, "/api/nothing").status_code == 404


def test_the_model_server_being_down_is_a_503_with_retry(app_without_server):
    answer = post(app_without_server, {"profile": {"age": 25}})
    assert answer.status_code == 503 and answer.json()["retry"] is True
    assert "is not answering" in answer.json()["error"]


def test_search_ignores_accents_and_case():
    from webapp.catalogue import Movie

    movies = {
        "1": Movie("1", "Amelie (2001)", 2001, ("Comedy",), 10),
        "2": Movie("2", "Fabulous Destiny of Amelie Poulain (2001)", 2001, ("Comedy",), 50),
        "3": Movie("3", "American Beauty (1999)", 1999, ("Drama",), 90),
    }
    catalogue = Catalogue(movies)
    assert [m.movie_id for m in catalogue.search("AMÉLIE")] == ["1", "2"]  # the title starting with it first
    assert [m.movie_id for m in catalogue.search("ame")] == ["3", "1", "2"]  # prefix, then more ratings first
    assert catalogue.search("amelie poul")[0].movie_id == "2" and catalogue.search("!!") == []
    assert fold("AMÉLIE") == "amelie"


def test_reasons_pick_the_closest_liked_movies_and_shared_genres():
    import numpy as np

    embeddings = {"a": np.array([1.0, 0.0]), "b": np.array([0.0, 1.0]), "c": np.array([0.9, 0.1]),
                  "x": np.array([1.0, 0.05])}  # fmt: skip
    genres = {"a": ("Drama",), "b": ("Comedy",), "c": ("Drama", "War"), "x": ("Drama", "War", "Musical")}
    reasons = explain(["x"], [("a", 5.0), ("b", 4.0), ("c", 2.0)], embeddings, genres)
    assert reasons["x"].because == ("a", "b")  # c is closest of all but rated 2 stars: liked ones first
    assert reasons["x"].shared_genres == (("Drama", 2), ("War", 1))
    text = reasons["x"].as_json({"a": "Alpha", "b": "Beta"})["text"]
    assert text == "Because you rated Alpha and Beta; shares Drama, War with your ratings"
    only_disliked = explain(["x"], [("c", 1.0)], embeddings, genres)
    assert only_disliked["x"].because == ("c",)
