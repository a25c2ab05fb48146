"""The local model server under adversarial input: bursts, idle and half-sent connections, broken
HTTP, wrong types, oversized requests, unbounded labels and reloads outside the serving folder.
Every case here failed (or hung) on the standard library's http.server front end."""

from __future__ import annotations

import json
import socket
import threading
import time

import grpc
import numpy as np
import pytest
import requests
import tensorflow as tf
from tensorflow_serving.apis import (
    model_management_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from serving import contract as C
from serving import model_config, rest_json
from serving.client import user_inputs
from serving.limits import ServingLimits
from serving.server import ModelServer, ServerOptions
from tests.serving.test_server import USER
from transform import features as F

LIMITS = ServingLimits(max_instances=50, max_body_bytes=256 << 10, idle_timeout_seconds=1.0, body_timeout_seconds=1.0)


@pytest.fixture(scope="module")
def server(trained_models, tmp_path_factory):
    serving_dir = trained_models.serving_dir(tmp_path_factory.mktemp("hardening") / "serving")
    options = ServerOptions(str(serving_dir), grpc_port=0, rest_port=0, poll_seconds=0.2, limits=LIMITS)
    with ModelServer(options) as running:
        yield running


def url(server, path: str) -> str:
    return f"http://127.0.0.1:{server.rest_port}{path}"


def raw(server, data: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes on a fresh connection; everything the server answers before closing (or timing out)."""
    with socket.create_connection(("127.0.0.1", server.rest_port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
        return b"".join(chunks)


def rest_body(n: int = 1) -> dict:
    """A retrieval :predict body (row format) of ``n`` rows for USER."""
    return rest_json.make_request(user_inputs(USER, n), C.SERVING_DEFAULT)


def closed_by_server(s: socket.socket) -> bool:
    s.settimeout(10)
    try:
        while s.recv(65536):
            pass
    except ConnectionResetError:
        pass
    except TimeoutError:
        return False
    return True


# -- connections ------------------------------------------------------------------------------------
def test_a_burst_of_simultaneous_connections_is_answered(server):
    results: list[int | Exception] = []
    barrier = threading.Barrier(64)

    def one() -> None:
        barrier.wait()
        try:
            results.append(requests.get(url(server, "/v1/models/retrieval"), timeout=30).status_code)
        except Exception as e:  # a reset connection is the failure this test is about
            results.append(e)

    threads = [threading.Thread(target=one) for _ in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 64


def test_idle_and_half_sent_connections_hold_no_thread_and_are_closed(server):
    before = threading.active_count()
    idle = [socket.create_connection(("127.0.0.1", server.rest_port)) for _ in range(100)]
    half = []
    for _ in range(100):
        s = socket.create_connection(("127.0.0.1", server.rest_port))
        s.sendall(b"POST /v1/models/retrieval:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
        half.append(s)
    time.sleep(0.3)
    assert threading.active_count() - before < 10  # no thread per connection
    assert requests.get(url(server, "/v1/models/ranking"), timeout=5).status_code == 200  # still serving
    for s in idle + half:  # the idle and body timeouts (1 s here) close them
        assert closed_by_server(s)
        s.close()


def test_malformed_content_length_gets_an_answer(server):
    reply = raw(server, b"POST /v1/models/retrieval:predict HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}")
    assert reply.startswith(b"HTTP/1.1 400")
    assert b"Content-Length header 'abc' is not a byte count" in reply


def test_a_chunked_body_is_read(server):
    body = json.dumps(rest_body(2)).encode()

    def chunks():
        for i in range(0, len(body), 100):
            yield body[i : i + 100]

    response = requests.post(url(server, "/v1/models/retrieval:predict"), data=chunks(), timeout=30)
    assert response.status_code == 200, response.text
    assert len(response.json()["predictions"]) == 2


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_get_tf_servings_json_400(server, method):
    response = requests.request(method, url(server, "/v1/models/retrieval"), timeout=5)
    assert response.status_code == 400
    assert "Malformed request" in response.json()["error"]


def test_deeply_nested_json_is_a_400(server):
    body = b'{"instances": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = requests.post(url(server, "/v1/models/retrieval:predict"), data=body, timeout=30)
    assert response.status_code == 400 and "nested too deep" in response.json()["error"]


# -- types ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [25.0, 1e30, True, "25"])
def test_rest_int64_inputs_take_json_integers_only(server, bad):
    body = rest_body(1)
    body["instances"][0][F.BUCKETIZED_USER_AGE] = bad
    response = requests.post(url(server, "/v1/models/retrieval:predict"), json=body, timeout=10)
    assert response.status_code == 400, response.text
    assert F.BUCKETIZED_USER_AGE in response.json()["error"]


def test_grpc_dtypes_must_match_the_signature(server):
    columns = user_inputs(USER, 1)
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "retrieval"
    for name, values in columns.items():
        dtype = {"int64": tf.float32}.get(C.USER_INPUTS.get(name, ""), None)  # int64 inputs sent as float32
        request.inputs[name].CopyFrom(tf.make_tensor_proto(values.astype(np.float32) if dtype else values, dtype=dtype))
    with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        with pytest.raises(grpc.RpcError) as error:
            stub.Predict(request, timeout=10)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "expects int64 but float32 is provided" in error.value.details()


# -- limits -----------------------------------------------------------------------------------------
def test_too_many_instances_is_refused_naming_the_limit(server):
    response = requests.post(url(server, "/v1/models/retrieval:predict"), json=rest_body(51), timeout=10)
    assert response.status_code == 400 and "limit of 50" in response.json()["error"]
    assert requests.post(url(server, "/v1/models/retrieval:predict"), json=rest_body(50), timeout=30).ok
    columns = user_inputs(USER, 51)
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "retrieval"
    for name, values in columns.items():
        request.inputs[name].CopyFrom(tf.make_tensor_proto(values))
    with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        with pytest.raises(grpc.RpcError) as error:
            prediction_service_pb2_grpc.PredictionServiceStub(channel).Predict(request, timeout=10)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "limit of 50" in error.value.details()


def test_an_oversized_body_gets_a_json_error(server):
    body = b'{"instances": [' + b"1," * (200 << 10) + b"1]}"
    response = requests.post(url(server, "/v1/models/retrieval:predict"), data=body, timeout=30)
    assert response.status_code == 400 and "byte limit" in response.json()["error"]


def test_made_up_model_names_fold_into_one_metrics_label(server):
    for i in range(200):
        requests.post(url(server, f"/v1/models/nope{i}:predict"), json={"instances": [1]}, timeout=5)
        requests.get(url(server, f"/v1/models/nope{i}"), timeout=5)
    text = requests.get(url(server, model_config.PROMETHEUS_PATH), timeout=5).text
    assert "nope1" not in text and 'model="<unknown>"' in text
    assert len(text) < 200_000


def test_a_config_reload_outside_the_serving_dir_is_refused(server, tmp_path):
    request = model_management_pb2.ReloadConfigRequest()
    model = request.config.model_config_list.config.add(
        name="etc", base_path=str(tmp_path), model_platform="tensorflow"
    )
    del model
    with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        stub = model_service_pb2_grpc.ModelServiceStub(channel)
        with pytest.raises(grpc.RpcError) as error:
            stub.HandleReloadConfigRequest(request, timeout=10)
    assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert str(tmp_path) in error.value.details() and "--allow-model-root" in error.value.details()
    assert server.available["retrieval"]  # nothing changed
