"""The user's history in requests: building them (shapes, padding, H=0), users' histories from the
data, the local server's 2-D inputs over gRPC and REST, and the client's calls, on tiny hand-made
SavedModels (tests/serving/history_models.py: no training)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import requests

from cli.main import build_parser, main
from cli.serving_commands import _user
from serving import contract as C
from serving import rest_json
from serving.client import GRPC, REST, Candidate, ServingClient, batch_inputs, combine, user_inputs
from serving.errors import InvalidArgument
from serving.server import ModelServer, ServerOptions
from serving.users import User, from_data
from tests.serving import history_models as M
from transform import features as F

IDS, RATINGS = F.HISTORY_MOVIE_IDS, F.HISTORY_RATINGS


def user(*history: str, ratings: tuple[float, ...] = ()) -> User:
    return User("3", "F", 25, "programmer", F.OCCUPATION_LABEL_IDS["programmer"], "94110", 978300760, history, ratings)


# -- users and their histories ---------------------------------------------------------------------
def test_user_history_is_checked_and_padded():
    u = user("7", "8", ratings=(5, 3.5))
    assert u.history == ("7", "8") and u.history_ratings == (5.0, 3.5)
    assert u.history_features() == {IDS: ["7", "8"], RATINGS: [5.0, 3.5]}
    assert u.history_features(4) == {IDS: ["7", "8", "", ""], RATINGS: [5.0, 3.5, 0.0, 0.0]}
    assert user("7", "8").history_features() == {IDS: ["7", "8"], RATINGS: [0.0, 0.0]}  # stars unknown
    assert user().history_features() == {IDS: [], RATINGS: []}
    with pytest.raises(ValueError, match="shorter than the history"):
        u.history_features(1)
    with pytest.raises(ValueError, match="history_ratings has 1 values for 2"):
        user("7", "8", ratings=(5,))
    with pytest.raises(ValueError, match="empty movie id"):
        user("7", "")
    assert set(u.features()) == set(C.USER_INPUTS)  # the per-row values only
    new = User.new(age=30, gender="M", occupation_name="writer", history=[1, 2])
    assert new.history == ("1", "2") and new.history_ratings == ()


def write_ml1m(root, ratings: list[str]):
    root.mkdir()
    (root / "users.dat").write_text("3::F::25::12::94110\n33::M::35::7::10001\n")
    (root / "movies.dat").write_text("".join(f"{m}::Movie {m} (1990)::Drama\n" for m in (10, 20, 30, 40, 50, 60)))
    (root / "ratings.dat").write_text("\n".join(ratings) + "\n")
    return root


def test_from_data_reads_the_history_most_recent_first(tmp_path):
    data = write_ml1m(
        tmp_path / "ml-1m",
        [
            "3::10::4::100",
            "33::20::5::999",  # another user whose id starts with 3
            "3::20::5::300",
            "3::30::3::200",
            "3::40::2::300",  # the same time as 20, a later line: first
            "3::60::x::400",  # unparsable: skipped
            "13::30::1::500",
            "3::50::1::50",
        ],
    )
    u = from_data(str(data), "3")
    assert (u.user_id, u.gender, u.age, u.zip_code) == ("3", "F", 25, "94110")
    assert u.history == ("40", "20", "30", "10", "50")
    assert u.history_ratings == (2.0, 5.0, 3.0, 4.0, 1.0)
    assert from_data(str(data), "33").history == ("20",)
    assert from_data(str(data), "3", history=False).history == ()
    assert from_data(str(data), "4") is None


def test_from_data_reads_ml100k_histories(tmp_path):
    root = tmp_path / "ml-100k"
    root.mkdir()
    (root / "u.user").write_text("3|23|M|writer|32067\n")
    (root / "u.item").write_text("1|Toy Story (1995)|01-Jan-1995||http://x|" + "|".join("0" * 19) + "\n")
    (root / "u.data").write_text("3\t1\t4\t881250949\n30\t2\t3\t881250950\n3\t2\t2\t881250950\n")
    u = from_data(str(root), "3")
    assert u.history == ("2", "1") and u.history_ratings == (2.0, 4.0)


def query_args(*argv: str):
    return build_parser().parse_args(["query", *argv])


def test_query_looks_the_history_up_and_history_overrides_it(tmp_path):
    data = str(write_ml1m(tmp_path / "ml-1m", ["3::10::4::100", "3::20::5::300"]))
    assert _user(query_args("--user-id", "3", "--data-dir", data)).history_ratings == (5.0, 4.0)
    by_hand = _user(query_args("--user-id", "3", "--data-dir", data, "--history", "30, 40,"))
    assert (by_hand.history, by_hand.history_ratings, by_hand.gender) == (("30", "40"), (), "F")
    assert _user(query_args("--user-id", "3", "--data-dir", data, "--history", "")).history == ()
    changed = _user(query_args("--user-id", "3", "--data-dir", data, "--age", "40"))  # keeps the history
    assert changed.age == 35 and changed.history == ("20", "10")
    stranger = _user(query_args("--user-id", "99", "--data-dir", data, "--history", "10"))
    assert stranger.user_id == "99" and stranger.history == ("10",)
    assert _user(query_args("--age", "30")).history == ()  # a new user: cold start


# -- request building ----------------------------------------------------------------------------------
def test_batch_inputs_pad_histories_to_the_longest():
    inputs = batch_inputs([user("7", "8", ratings=(5, 4)), user("9"), user()])
    assert set(inputs) == set(C.USER_INPUTS) | set(C.HISTORY_INPUTS)
    assert inputs[IDS].shape == (3, 2) and inputs[IDS].dtype == object
    assert inputs[IDS].tolist() == [["7", "8"], ["9", ""], ["", ""]]
    assert inputs[RATINGS].dtype == np.float32
    assert inputs[RATINGS].tolist() == [[5, 4], [0, 0], [0, 0]]
    assert all(inputs[n].shape == (3,) for n in C.USER_INPUTS)
    assert inputs[F.BUCKETIZED_USER_AGE].dtype == np.int64
    assert batch_inputs([user("7")], width=3)[IDS].tolist() == [["7", "", ""]]


def test_user_inputs_repeat_the_history_per_row_and_allow_h_0():
    rows = user_inputs(user("7", "8", ratings=(5, 4)), rows=4)
    assert rows[IDS].shape == (4, 2) and (rows[IDS] == [["7", "8"]] * 4).all()
    assert rows[RATINGS].tolist() == [[5, 4]] * 4
    assert rows[F.USER_ID].tolist() == ["3"] * 4
    empty = user_inputs(user(), rows=2)
    assert empty[IDS].shape == (2, 0) and empty[RATINGS].shape == (2, 0)
    assert empty[IDS].dtype == object and empty[RATINGS].dtype == np.float32


@pytest.mark.parametrize("history", [(), ("7", "8")])
def test_grpc_tensor_protos_keep_the_shape_and_dtype(history):
    import tensorflow as tf
    from tensorflow.core.framework import types_pb2

    from serving.client import _tensor_proto

    inputs = user_inputs(user(*history), rows=3)
    ids, ratings = _tensor_proto(inputs[IDS]), _tensor_proto(inputs[RATINGS])
    assert ids.dtype == types_pb2.DT_STRING and ratings.dtype == types_pb2.DT_FLOAT
    assert [d.size for d in ids.tensor_shape.dim] == [3, len(history)]
    assert [d.size for d in ratings.tensor_shape.dim] == [3, len(history)]
    assert tf.make_ndarray(ids).shape == (3, len(history))
    assert _tensor_proto(inputs[F.TIMESTAMP]).dtype == types_pb2.DT_INT64


@pytest.mark.parametrize("fmt", [rest_json.ROW, rest_json.COLUMNAR])
@pytest.mark.parametrize("history", [(), ("7", "8")])
def test_rest_bodies_carry_one_list_per_row_and_decode_to_n_by_h(fmt, history):
    inputs = user_inputs(user(*history), rows=2)
    body = json.loads(json.dumps(rest_json.make_request(inputs, "rank", fmt)))
    if fmt == rest_json.ROW:
        assert [row[IDS] for row in body["instances"]] == [list(history)] * 2
        assert [row[RATINGS] for row in body["instances"]] == [[0.0] * len(history)] * 2
    else:
        assert body["inputs"][IDS] == [list(history)] * 2
    _, columns, _ = rest_json.parse_request(json.dumps(body), lambda signature: sorted(inputs))
    assert np.asarray(columns[IDS], dtype=object).shape == (2, len(history))
    assert np.asarray(columns[RATINGS]).shape == (2, len(history))


def test_combine_orders_by_score_plus_weighted_rating():
    retrieved = [Candidate("a", 3.0), Candidate("b", 2.0), Candidate("c", 1.0)]
    ratings = [1.0, 5.0, 3.0]
    assert [c.movie_id for c, _, _ in combine(retrieved, ratings, 0.0)] == ["a", "b", "c"]
    assert [c.movie_id for c, _, _ in combine(retrieved, [float("inf")] * 3, 0.0)] == ["a", "b", "c"]
    by_rating = combine(retrieved, ratings, 0.5)  # a 3.5, b 4.5, c 2.5
    assert [(c.movie_id, s) for c, _, s in by_rating] == [("b", 4.5), ("a", 3.5), ("c", 2.5)]
    tied = combine([Candidate("x", 1.0), Candidate("y", 1.0)], [2.0, 2.0], 1.0)
    assert [c.movie_id for c, _, _ in tied] == ["x", "y"]


# -- the local server, 2-D inputs ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def served(tmp_path_factory):
    serving_dir = M.save_all(tmp_path_factory.mktemp("history") / "serving")
    server = ModelServer(ServerOptions(str(serving_dir), grpc_port=0, rest_port=0, poll_seconds=0.5)).start()
    yield server
    server.stop()


CLIENTS = [(GRPC, rest_json.ROW), (REST, rest_json.ROW), (REST, rest_json.COLUMNAR)]


@pytest.fixture(params=CLIENTS, ids=["grpc", "rest-row", "rest-columnar"])
def client(request, served):
    protocol, fmt = request.param
    with ServingClient(protocol=protocol, grpc_port=served.grpc_port, rest_port=served.rest_port, rest_format=fmt) as c:
        yield c


def echo_inputs(ids: list[list[str]], ratings: list[list[float]]) -> dict:
    width = len(ids[0]) if ids else 0
    return {
        F.USER_ID: np.array(["3"] * len(ids), dtype=object),
        IDS: np.array(ids, dtype=object).reshape(len(ids), width),
        RATINGS: np.array(ratings, dtype=np.float32).reshape(len(ids), width),
    }


def test_two_dimensional_inputs_of_any_width(client):
    out = client.predict("history", echo_inputs([["7", "8", ""], ["9", "", ""]], [[5, 4, 0], [2.5, 0, 0]]))
    assert out["count"].tolist() == [2, 1] and out["width"].tolist() == [3, 3]
    np.testing.assert_allclose(out["rating_sum"], [9.0, 2.5])
    empty = client.predict("history", echo_inputs([[], []], [[], []]))  # H = 0: new users
    assert empty["count"].tolist() == [0, 0] and empty["width"].tolist() == [0, 0]
    assert empty["rating_sum"].tolist() == [0.0, 0.0]


def test_malformed_histories_name_the_field(client):
    flat = echo_inputs([["7"]], [[5.0]])
    flat[IDS] = np.array(["7"], dtype=object)  # 1-D
    with pytest.raises(InvalidArgument, match=IDS):
        client.predict("history", flat)
    words = echo_inputs([["7"]], [[5.0]])
    words[RATINGS] = np.array([["five"]], dtype=object)
    with pytest.raises(InvalidArgument, match=RATINGS):
        client.predict("history", words)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"instances": [{"user_id": "1", IDS: ["7", "8"], RATINGS: [5, 4]}, {"user_id": "2", IDS: [], RATINGS: []}]},
         f"instances\\[1\\].{IDS}"),
        ({"instances": [{"user_id": "1", IDS: ["7"], RATINGS: [5]}, {"user_id": "2", IDS: ["8"], RATINGS: [4, 1]}]},
         f"instances\\[1\\].{RATINGS}"),
        ({"instances": [{"user_id": "1", IDS: "7", RATINGS: [5.0]}]}, IDS),
        ({"instances": [{"user_id": "1", IDS: ["7"], RATINGS: 5.0}]}, RATINGS),
        ({"inputs": {"user_id": ["1", "2"], IDS: [["7"], []], RATINGS: [[5], []]}}, f"inputs.{IDS}"),
        ({"inputs": {"user_id": ["1"], IDS: ["7"], RATINGS: [[5.0]]}}, IDS),
    ],
)  # fmt: skip
def test_rest_malformed_histories_are_400_naming_the_field(served, body, field):
    url = f"http://127.0.0.1:{served.rest_port}/v1/models/history:predict"
    response = requests.post(url, json=body, timeout=10)
    assert response.status_code == 400, response.text
    assert re.search(field, response.json()["error"])


def test_rest_row_format_with_empty_lists_is_n_by_0(served):
    url = f"http://127.0.0.1:{served.rest_port}/v1/models/history:predict"
    body = {"instances": [{"user_id": "1", IDS: [], RATINGS: []}, {"user_id": "2", IDS: [], RATINGS: []}]}
    response = requests.post(url, json=body, timeout=10)
    assert response.status_code == 200, response.text
    assert response.json()["predictions"] == [{"count": 0, "rating_sum": 0.0, "width": 0}] * 2


# -- the client's calls -----------------------------------------------------------------------------------
def test_retrieve_leaves_the_history_out_unless_include_seen(client):
    assert [c.movie_id for c in client.retrieve(user(), k=3)] == ["10", "20", "30"]
    seen = user("20", "10", ratings=(5, 1))
    assert [c.movie_id for c in client.retrieve(seen, k=3)] == ["30", "40", "50"]
    assert [c.movie_id for c in client.retrieve(seen, k=2, include_seen=True)] == ["10", "20"]


def test_rank_sends_the_history_with_every_row(client):
    np.testing.assert_allclose(client.rank(user(), ["10", "30"]), [1.0, 5.0])
    np.testing.assert_allclose(client.rank(user("40", "50"), ["10", "30", "20"]), [1.2, 5.2, 2.2], rtol=1e-6)


def test_recommend_orders_by_score_plus_weighted_rating(client, monkeypatch):
    cold = client.recommend(user(), k=3, candidates=3, rating_weight=0)  # 10, 20, 30: the retrieval order
    assert [r.movie_id for r in cold] == ["10", "20", "30"] and [r.rank for r in cold] == [1, 2, 3]
    assert [r.score for r in cold] == [r.retrieval_score for r in cold]
    assert cold[0].title == "Movie 10 (1910)" and cold[1].genres == ("Comedy", "Drama") and cold[0].year == 1910
    weighted = client.recommend(user(), k=2, candidates=3, rating_weight=1.0)  # 10: 6, 20: 6, 30: 8
    assert [r.movie_id for r in weighted] == ["30", "10"] and weighted[0].score == pytest.approx(8.0)
    seen = user("30", "40")  # candidates 10, 20, 50 (scores 5, 4, 1; ratings +0.2: 1.2, 2.2, 3.2)
    recs = client.recommend(seen, k=3, candidates=3, rating_weight=2.0)  # 7.4, 8.4, 7.4
    assert [r.movie_id for r in recs] == ["20", "10", "50"]
    assert recs[0].predicted_rating == pytest.approx(2.2)
    with_seen = client.recommend(seen, k=3, candidates=3, include_seen=True, rating_weight=0)
    assert [r.movie_id for r in with_seen] == ["10", "20", "30"]
    monkeypatch.setattr("serving.client.DEFAULT_RATING_WEIGHT", 3.0)  # the default is read per call
    assert [r.movie_id for r in client.recommend(user(), k=3, candidates=3)] == ["30", "20", "10"]


def test_query_prints_the_history_length(served, tmp_path, capsys):
    data = str(write_ml1m(tmp_path / "ml-1m", ["3::10::4::100", "3::50::5::300"]))
    port = ["--grpc-port", str(served.grpc_port), "--rest-port", str(served.rest_port)]
    assert main(["query", "--user-id", "3", "--data-dir", data, "--k", "2", "--candidates", "3", *port]) == 0
    out = capsys.readouterr().out
    assert "history of 2 movies" in out and "unseen only" in out and "score + 0.5 x rating" in out
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert [r[1] for r in rows] == ["30", "20"]  # 10 was seen; 30: 3 + 0.5 x 5.2, 20: 4 + 0.5 x 2.2
    argv = ["query", "--user-id", "3", "--data-dir", data, "--history", "", "--include-seen", "--rating-weight", "0"]
    assert main([*argv, "--protocol", "rest", "--k", "3", "--candidates", "3", *port, "--json"]) == 0
    recs = json.loads(capsys.readouterr().out)
    assert [r["movie_id"] for r in recs] == ["10", "20", "30"] and recs[0]["score"] == recs[0]["retrieval_score"]
