"""Client and server over real sockets on 127.0.0.1, both protocols, real SavedModels.

Each test runs against the local model server; when ``tensorflow_model_server`` is on PATH the
client tests run against it too (otherwise they are reported skipped for that reason).
"""

from __future__ import annotations

import base64
import dataclasses
import shutil
import subprocess
import threading
import time

import numpy as np
import pytest
import requests
import tensorflow as tf

from serving import contract as C
from serving import model_config
from serving.client import DEFAULT_RATING_WEIGHT, GRPC, REST, ServingClient, user_inputs
from serving.errors import InvalidArgument, NotFound, Unimplemented
from serving.model_config import ModelEntry, VersionPolicy
from serving.server import TF_SERVING_BINARY, ModelServer, ServerOptions, tensorflow_model_server_command
from serving.users import User
from tests.serving.ports import free_port
from transform import features as F

USER = User("3", "F", 25, "programmer", F.OCCUPATION_LABEL_IDS["programmer"], "94110", 978300760)  # no history


def with_history(*movie_ids: str, ratings: tuple[float, ...] = ()) -> User:
    """USER with a history (most recent first)."""
    return dataclasses.replace(USER, history=movie_ids, history_ratings=ratings)


@pytest.fixture(scope="module")
def seen_user(trained_models) -> User:
    """USER with a small history of real catalogue movies, stars known."""
    ids = trained_models.movie_ids
    return with_history(ids[4], ids[11], ids[17], ratings=(5.0, 2.0, 4.0))


class Running:
    """A started server (local or TF Serving) and its ports."""

    def __init__(self, kind: str, serving_dir, tmp_path) -> None:
        self.kind = kind
        if kind == "local":
            self.server = ModelServer(ServerOptions(str(serving_dir), grpc_port=0, rest_port=0, poll_seconds=0.2))
            self.server.start()
            self.grpc_port, self.rest_port = self.server.grpc_port, self.server.rest_port
        else:
            binary = shutil.which(TF_SERVING_BINARY)
            if binary is None:
                pytest.skip(f"{TF_SERVING_BINARY} is not on PATH: the client tests ran against the local server only")
            options = ServerOptions(str(serving_dir), grpc_port=free_port(), rest_port=free_port())
            model_config.write_all(model_config.for_serving_dir(str(serving_dir)), str(tmp_path / "config"))
            self.process = subprocess.Popen(tensorflow_model_server_command(binary, options, str(tmp_path / "config")))
            self.grpc_port, self.rest_port = options.grpc_port, options.rest_port
            wait_until(lambda: requests.get(f"http://127.0.0.1:{self.rest_port}/v1/models/ranking").ok, 60)

    def client(self, protocol: str, **kw) -> ServingClient:
        return ServingClient(protocol=protocol, grpc_port=self.grpc_port, rest_port=self.rest_port, **kw)

    def stop(self) -> None:
        if self.kind == "local":
            self.server.stop()
        else:
            self.process.terminate()
            self.process.wait(30)


def wait_until(condition, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except Exception:
            pass
        time.sleep(0.1)
    raise AssertionError(f"not true within {seconds} s")


@pytest.fixture(scope="module", params=["local", "tensorflow_model_server"])
def running(request, trained_models, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serving")
    server = Running(request.param, trained_models.serving_dir(tmp / "serving"), tmp)
    yield server
    server.stop()


@pytest.fixture(params=[GRPC, REST])
def client(request, running):
    with running.client(request.param) as c:
        yield c


def saved_model_outputs(path: str, signature: str, **inputs) -> dict[str, np.ndarray]:
    """The SavedModel's own outputs, called in-process (the reference for what the servers answer)."""
    function = tf.saved_model.load(path).signatures[signature]
    specs = function.structured_input_signature[1]
    outputs = function(**{k: tf.constant(v, specs[k].dtype) for k, v in inputs.items()})
    return {k: v.numpy() for k, v in outputs.items()}


def signature_dtypes(path: str, signature: str) -> dict[str, tf.DType]:
    """Input name -> dtype of one of the SavedModel's signatures."""
    specs = tf.saved_model.load(path).signatures[signature].structured_input_signature[1]
    return {name: spec.dtype for name, spec in specs.items()}


def user_columns(n: int = 1, user: User = USER) -> dict[str, np.ndarray]:
    """``n`` request rows for ``user``: USER_INPUTS [n] and HISTORY_INPUTS [n, len(history)]."""
    return user_inputs(user, n)


# -- predictions equal the SavedModel's own ------------------------------------------------------
def test_retrieve_rank_and_movies_equal_the_saved_model(client, trained_models, seen_user):
    assert set(seen_user.history) <= set(trained_models.movie_ids)
    for user in (USER, seen_user):  # no history (H = 0) and a history
        for signature, include_seen in ((C.SERVING_DEFAULT, False), (C.RETRIEVE_UNFILTERED, True)):
            expected = saved_model_outputs(trained_models.retrieval, signature, **user_columns(user=user))
            got = client.retrieve(user, k=5, include_seen=include_seen)
            assert [c.movie_id for c in got] == [m.decode() for m in expected[C.MOVIE_IDS][0][:5]], signature
            np.testing.assert_allclose([c.score for c in got], expected[C.SCORES][0][:5], rtol=1e-5)
    top = client.retrieve(seen_user, k=20)
    assert len(top) == 20 and not {c.movie_id for c in top} & set(seen_user.history)  # the history left out

    ids = trained_models.movie_ids[:7]
    for user in (USER, seen_user):
        expected = saved_model_outputs(
            trained_models.ranking, C.SERVING_DEFAULT, **user_columns(len(ids), user), **{F.MOVIE_ID: ids}
        )
        np.testing.assert_allclose(client.rank(user, ids), expected[C.PREDICTED_RATING], rtol=1e-5)

    info = client.movies(ids[:2])
    expected = saved_model_outputs(trained_models.ranking, C.MOVIES, **{F.MOVIE_ID: ids[:2]})
    assert [m[C.MOVIE_TITLE] for m in info] == [t.decode() for t in expected[C.MOVIE_TITLE]]


def test_recommend_orders_the_retrieved_movies_by_the_combined_score(client, trained_models):
    # a history that matters: the movies the user's unfiltered retrieval puts first
    history = tuple(c.movie_id for c in client.retrieve(USER, k=3, include_seen=True))
    assert set(history) <= set(trained_models.movie_ids)
    user = with_history(*history, ratings=(4.0, 5.0, 3.0))
    recs = client.recommend(user, k=5, candidates=20)
    assert [r.rank for r in recs] == [1, 2, 3, 4, 5]
    scores = [r.score for r in recs]
    assert scores == sorted(scores, reverse=True)
    for r in recs:
        assert r.score == pytest.approx(r.retrieval_score + DEFAULT_RATING_WEIGHT * r.predicted_rating, rel=1e-6)
    assert all(r.title and r.year > 1900 for r in recs)
    assert not {r.movie_id for r in recs} & set(history)  # nothing the user has seen
    retrieved = client.retrieve(user, k=20)
    candidates = {c.movie_id: c.score for c in retrieved}
    assert len(candidates) == 20 and not set(candidates) & set(history)
    assert {r.movie_id for r in recs} <= set(candidates)
    ratings = dict(zip(candidates, client.rank(user, list(candidates)), strict=True))
    for r in recs:  # each field is the candidate's own
        assert r.retrieval_score == pytest.approx(candidates[r.movie_id], rel=1e-6)
        assert r.predicted_rating == pytest.approx(ratings[r.movie_id], rel=1e-5)
    # the best five of the twenty candidates, by retrieval score + weight x predicted rating
    combined = sorted((candidates[m] + DEFAULT_RATING_WEIGHT * ratings[m] for m in candidates), reverse=True)
    assert min(scores) >= combined[4] - 1e-5

    plain = client.recommend(user, k=5, candidates=20, rating_weight=0)  # the retrieval order
    assert [r.movie_id for r in plain] == [c.movie_id for c in retrieved[:5]]
    assert [r.score for r in plain] == [r.retrieval_score for r in plain]
    assert [r.rank for r in plain] == [1, 2, 3, 4, 5]


def test_include_seen_may_return_history_movies_the_default_leaves_out(client, trained_models):
    history = tuple(c.movie_id for c in client.retrieve(USER, k=3, include_seen=True))  # the unfiltered top 3
    user = with_history(*history)  # stars unknown
    unfiltered = [c.movie_id for c in client.retrieve(user, k=20, include_seen=True)]
    default = [c.movie_id for c in client.retrieve(user, k=20)]
    assert set(unfiltered) & set(history)  # the history's movies may come back...
    assert len(default) == 20 and not set(default) & set(history)  # ...but not by default
    expected = saved_model_outputs(trained_models.retrieval, C.RETRIEVE_UNFILTERED, **user_columns(user=user))
    assert unfiltered == [m.decode() for m in expected[C.MOVIE_IDS][0]]
    recs = client.recommend(user, k=5, candidates=20, include_seen=True, rating_weight=0)
    assert [r.movie_id for r in recs] == unfiltered[:5]


def test_an_unknown_user_goes_through_the_out_of_vocabulary_path(client):
    stranger = User.new(age=40, gender="M", occupation_name="writer", zip_code="00000", user_id="no-such-user")
    assert len(client.recommend(stranger, k=3, candidates=10)) == 3


def test_status_and_metadata(client):
    (status,) = client.status("retrieval")
    assert status == {"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}
    meta = client.metadata("ranking")
    assert meta["model_spec"]["name"] == "ranking" and meta["model_spec"]["version"] == "1"
    signatures = meta["metadata"]["signature_def"]["signature_def"]
    assert {C.SERVING_DEFAULT, C.TF_EXAMPLE, C.MOVIES} <= set(signatures)
    assert C.RETRIEVE_UNFILTERED not in signatures  # a ranking model retrieves nothing
    inputs = signatures[C.SERVING_DEFAULT]["inputs"]
    assert set(inputs) == set(C.USER_INPUTS) | set(C.HISTORY_INPUTS) | {F.MOVIE_ID}
    assert inputs[F.MOVIE_ID]["dtype"] == "DT_STRING"
    assert inputs[F.HISTORY_MOVIE_IDS]["dtype"] == "DT_STRING" and inputs[F.HISTORY_RATINGS]["dtype"] == "DT_FLOAT"
    for name in C.HISTORY_INPUTS:  # [batch, H]
        assert len(inputs[name]["tensor_shape"]["dim"]) == 2, name
    assert client.rank_signature("ranking") == C.SERVING_DEFAULT

    retrieval = client.signatures("retrieval")
    assert {C.SERVING_DEFAULT, C.RETRIEVE_UNFILTERED, C.TF_EXAMPLE, C.MOVIES} <= set(retrieval)
    for name in (C.SERVING_DEFAULT, C.RETRIEVE_UNFILTERED):
        assert set(retrieval[name]["inputs"]) == set(C.USER_INPUTS) | set(C.HISTORY_INPUTS), name
        assert set(retrieval[name]["outputs"]) == {C.MOVIE_IDS, C.SCORES}, name


def test_bad_requests_get_invalid_argument_naming_the_field(client, trained_models, seen_user):
    with pytest.raises(InvalidArgument, match="unknown movie_id"):
        client.rank(USER, ["no-such-movie"])
    with pytest.raises(InvalidArgument, match="unknown movie_id"):
        client.rank(seen_user, [trained_models.movie_ids[0], "no-such-movie"])
    inputs = user_columns()
    inputs[F.BUCKETIZED_USER_AGE] = ["old"]
    with pytest.raises(InvalidArgument, match=F.BUCKETIZED_USER_AGE):
        client.predict("retrieval", inputs)
    inputs = user_columns()
    del inputs[F.USER_ZIP_CODE]
    with pytest.raises(InvalidArgument, match=F.USER_ZIP_CODE):
        client.predict("retrieval", inputs)
    for history_input in C.HISTORY_INPUTS:  # the history is required too (H may be 0, not absent)
        inputs = user_columns(user=seen_user)
        del inputs[history_input]
        with pytest.raises(InvalidArgument, match=history_input):
            client.predict("retrieval", inputs)
    with pytest.raises(InvalidArgument, match="nope"):
        client.predict("retrieval", user_columns(), signature="nope")
    with pytest.raises(NotFound):
        client.predict("no-such-model", user_columns())
    with pytest.raises(NotFound):
        client.status("retrieval", version=99)


# -- REST details ------------------------------------------------------------------------------------
def test_rest_row_columnar_b64_and_errors(running, trained_models):
    base = f"http://127.0.0.1:{running.rest_port}/v1/models"
    ids = trained_models.movie_ids[:3]
    expected = saved_model_outputs(trained_models.ranking, C.MOVIES, **{F.MOVIE_ID: ids})
    rows = requests.post(
        f"{base}/ranking:predict", json={"signature_name": "movies", "instances": [{"movie_id": i} for i in ids]}
    )
    assert rows.status_code == 200
    assert [p[C.MOVIE_TITLE] for p in rows.json()["predictions"]] == [t.decode() for t in expected[C.MOVIE_TITLE]]
    b64 = [{"b64": base64.b64encode(i.encode()).decode()} for i in ids]
    cols = requests.post(
        f"{base}/ranking/versions/1:predict", json={"signature_name": "movies", "inputs": {"movie_id": b64}}
    )
    assert cols.json()["outputs"][C.MOVIE_YEAR] == expected[C.MOVIE_YEAR].tolist()
    bare = requests.post(f"{base}/ranking:predict", json={"signature_name": "movies", "instances": ids}).json()
    assert bare == rows.json()

    bad = requests.post(f"{base}/ranking:predict", data=b"{not json")
    assert bad.status_code == 400 and "error" in bad.json()
    missing = requests.post(f"{base}/ranking:predict", json={"instances": [{"movie_id": "1"}]})
    assert missing.status_code == 400 and F.USER_ID in missing.json()["error"]
    assert requests.post(f"{base}/nope:predict", json={"instances": [1]}).status_code == 404
    assert requests.get(f"{base}/ranking/versions/7").status_code == 404
    assert requests.get(f"http://127.0.0.1:{running.rest_port}/v2/x").status_code == 400
    if running.kind == "local":
        unimplemented = requests.post(f"{base}/ranking:classify", json={"examples": []})
        assert unimplemented.status_code == 501 and "predict" in unimplemented.json()["error"]


@pytest.mark.parametrize("running", ["local"], indirect=True)  # the local server's own message
def test_grpc_classify_is_unimplemented_with_a_message(running):
    import grpc
    from tensorflow_serving.apis import classification_pb2, prediction_service_pb2_grpc

    with grpc.insecure_channel(f"127.0.0.1:{running.grpc_port}") as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        with pytest.raises(grpc.RpcError) as error:
            stub.Classify(classification_pb2.ClassificationRequest(), timeout=5)
    assert error.value.code() == grpc.StatusCode.UNIMPLEMENTED and "Predict" in error.value.details()


@pytest.mark.parametrize("running", ["local"], indirect=True)  # TF Serving's own metric names differ
def test_prometheus_metrics_count_requests(running):
    with running.client(REST) as c:
        c.retrieve(USER)
    text = requests.get(f"http://127.0.0.1:{running.rest_port}{model_config.PROMETHEUS_PATH}").text
    assert (
        'movierec_serving_requests_total{model="retrieval",protocol="rest",signature="serving_default",status="OK"}'
        in text
    )
    assert "movierec_serving_request_latency_seconds_bucket" in text
    assert 'movierec_serving_model_versions{model="ranking",state="AVAILABLE"} 1.0' in text


# -- versions: pinning, labels, hot swap, corrupt versions ----------------------------------------------
def test_version_pins_and_labels(trained_models, seen_user, tmp_path):
    serving_dir = trained_models.serving_dir(
        tmp_path / "serving", {"retrieval": {1: trained_models.retrieval, 2: trained_models.retrieval_other}}
    )
    config = model_config.build(
        [ModelEntry("retrieval", str(serving_dir / "retrieval"), VersionPolicy("all"), {"stable": 1, "canary": 2})]
    )
    (tmp_path / "models.config").write_text(model_config.to_text(config))
    options = ServerOptions(
        str(serving_dir), grpc_port=0, rest_port=0, model_config_file=str(tmp_path / "models.config")
    )
    columns = user_columns(user=seen_user)
    with ModelServer(options) as server:
        for protocol in (GRPC, REST):
            with ServingClient(protocol=protocol, grpc_port=server.grpc_port, rest_port=server.rest_port) as c:
                by_version = {v: c.predict("retrieval", columns, version=v)[C.SCORES] for v in (1, 2)}
                assert not np.allclose(by_version[1], by_version[2])
                np.testing.assert_allclose(c.predict("retrieval", columns, label="stable")[C.SCORES], by_version[1])
                np.testing.assert_allclose(c.predict("retrieval", columns, label="canary")[C.SCORES], by_version[2])
                np.testing.assert_allclose(c.predict("retrieval", columns)[C.SCORES], by_version[2])
                assert [s["version"] for s in c.status("retrieval")] == ["2", "1"]
                assert c.status("retrieval", label="stable")[0]["version"] == "1"
                with pytest.raises(InvalidArgument, match="label"):
                    c.predict("retrieval", columns, label="nope")


def test_a_new_version_is_served_without_failing_requests(trained_models, seen_user, tmp_path):
    import grpc
    from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

    serving_dir = trained_models.serving_dir(tmp_path / "serving", {"retrieval": {1: trained_models.retrieval}})
    columns = user_columns(user=seen_user)  # the history: [1, 3] tensors
    old = saved_model_outputs(trained_models.retrieval, C.SERVING_DEFAULT, **columns)[C.SCORES][0]
    new = saved_model_outputs(trained_models.retrieval_other, C.SERVING_DEFAULT, **columns)[C.SCORES][0]
    options = ServerOptions(str(serving_dir), grpc_port=0, rest_port=0, poll_seconds=0.2)
    with ModelServer(options) as server:
        results: list[tuple[str, int, np.ndarray]] = []  # (protocol, version answering (gRPC), scores)
        failures: list[Exception] = []
        stop = threading.Event()

        def grpc_loop() -> None:  # the raw stub: the response names the version that answered
            request = predict_pb2.PredictRequest()
            request.model_spec.name = "retrieval"
            for name, values in columns.items():
                request.inputs[name].CopyFrom(tf.make_tensor_proto(values, dtype=specs[name], shape=values.shape))
            with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
                stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
                while not stop.is_set():
                    try:
                        response = stub.Predict(request, timeout=10)
                    except grpc.RpcError as e:  # every failure counts against the swap
                        failures.append(e)
                        continue
                    scores = tf.make_ndarray(response.outputs[C.SCORES])[0]
                    results.append(("grpc", response.model_spec.version.value, scores))

        def rest_loop() -> None:
            with ServingClient(protocol=REST, rest_port=server.rest_port) as c:
                while not stop.is_set():
                    try:
                        results.append(("rest", 0, c.predict("retrieval", columns)[C.SCORES][0]))
                    except Exception as e:  # every failure counts against the swap
                        failures.append(e)

        specs = signature_dtypes(trained_models.retrieval, C.SERVING_DEFAULT)
        assert set(specs) == set(columns)  # every input of the signature is sent
        threads = [threading.Thread(target=grpc_loop), threading.Thread(target=rest_loop)]
        for t in threads:
            t.start()
        wait_until(lambda: len(results) > 10, 30)
        shutil.copytree(trained_models.retrieval_other, serving_dir / "retrieval" / "2")  # the Pusher's copy
        wait_until(lambda: server.available["retrieval"] == [2], 60)
        seen = len(results)

        def answered_since(protocol: str) -> int:
            return sum(p == protocol for p, _, _ in results[seen:])

        # both loops answered several times since (each may first finish the call it had in flight)
        wait_until(lambda: answered_since("grpc") >= 3 and answered_since("rest") >= 3, 60)
        stop.set()
        for t in threads:
            t.join()
    assert not failures
    versions = [v for p, v, _ in results if p == "grpc"]
    assert versions[0] == 1 and versions[-1] == 2 and versions == sorted(versions)  # 1 ... 1, 2 ... 2
    for _, version, scores in results:  # each answer is its version's (REST: 0, either)
        assert np.allclose(scores, old if version == 1 else new) or (version == 0 and np.allclose(scores, old))
    assert np.allclose(results[0][2], old)
    # after the switch the new version answers; each loop may finish the one call it had in flight
    for protocol in ("grpc", "rest"):
        late_old = [i for i, (p, _, s) in enumerate(results) if i >= seen and p == protocol and not np.allclose(s, new)]
        assert len(late_old) <= 1, (protocol, seen, late_old)


def test_a_corrupt_version_keeps_the_previous_one_serving(trained_models, tmp_path):
    serving_dir = trained_models.serving_dir(tmp_path / "serving", {"retrieval": {1: trained_models.retrieval}})
    options = ServerOptions(str(serving_dir), grpc_port=0, rest_port=0, poll_seconds=0.2)
    with ModelServer(options) as server, ServingClient(protocol=REST, rest_port=server.rest_port) as c:
        corrupt = serving_dir / "retrieval" / "2"
        corrupt.mkdir()
        (corrupt / "saved_model.pb").write_bytes(b"this is not a SavedModel")
        wait_until(lambda: c.status("retrieval", version=2)[0]["state"] == "END", 30)
        (failed,) = c.status("retrieval", version=2)
        assert failed["status"]["error_code"] != "OK" and "failed to load" in failed["status"]["error_message"]
        assert c.status("retrieval", version=1)[0]["state"] == "AVAILABLE"
        assert len(c.retrieve(USER, k=3)) == 3


def test_new_models_pushed_while_serving_are_picked_up(trained_models, tmp_path):
    serving_dir = trained_models.serving_dir(tmp_path / "serving", {"retrieval": {1: trained_models.retrieval}})
    options = ServerOptions(str(serving_dir), grpc_port=0, rest_port=0, poll_seconds=0.2)
    with ModelServer(options) as server, ServingClient(protocol=GRPC, grpc_port=server.grpc_port) as c:
        with pytest.raises(NotFound):
            c.status("ranking")
        shutil.copytree(trained_models.ranking, serving_dir / "ranking" / "1")
        wait_until(lambda: c.status("ranking")[0]["state"] == "AVAILABLE", 60)
        assert len(c.recommend(USER, k=2, candidates=5)) == 2


def test_client_retries_while_the_server_is_unavailable(trained_models, tmp_path):
    serving_dir = trained_models.serving_dir(tmp_path / "serving", {"retrieval": {1: trained_models.retrieval}})
    port = free_port()
    options = ServerOptions(str(serving_dir), grpc_port=0, rest_port=port)
    server = ModelServer(options)
    starter = threading.Timer(0.5, server.start)
    starter.start()
    try:
        with ServingClient(protocol=REST, rest_port=port, retries=6, backoff=0.2) as c:
            assert c.status("retrieval")[0]["state"] == "AVAILABLE"  # refused at first, then answered
        with ServingClient(protocol=GRPC, grpc_port=free_port(), retries=1, backoff=0.01, timeout=2) as c:
            with pytest.raises(Exception, match="UNAVAILABLE"):
                c.status("retrieval")
    finally:
        starter.join()
        server.stop()


def test_unimplemented_maps_to_501():
    assert Unimplemented("x").http_status == 501
