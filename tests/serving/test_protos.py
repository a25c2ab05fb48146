"""serving/protos.py: TF Serving's messages without TensorFlow, byte for byte the official ones."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from serving import protos

ROOT = Path(__file__).resolve().parents[2]

ARRAYS = {
    "float32 1-D": np.array([1.5, -2.25, 3.0], np.float32),
    "float32 2-D": np.array([[1.5, 2.0], [0.0, -1.0], [7.0, 8.5]], np.float32),
    "float32 one": np.array([4.5], np.float32),
    "float32 [2, 0]": np.zeros((2, 0), np.float32),
    "int64 1-D": np.array([1, 2, 3_000_000_000], np.int64),
    "int64 2-D": np.array([[1, -2], [3, 4]], np.int64),
    "int64 scalar": np.array(7, np.int64),
    "string 1-D": np.array([b"a", b"", "caf\u00e9".encode()], dtype=object),
    "string 2-D": np.array([[b"10", b"20"], [b"30", b""]], dtype=object),
    "string one": np.array([b"x"], dtype=object),
    "string [3, 0]": np.empty((3, 0), dtype=object),
}


@pytest.mark.parametrize("name", list(ARRAYS))
def test_tensor_proto_is_what_make_tensor_proto_writes(name):
    import tensorflow as tf
    from tensorflow.core.framework import tensor_pb2

    array = ARRAYS[name]
    light = protos.tensor_proto(array)
    dtype = tf.string if array.dtype == object else None
    official = tf.make_tensor_proto(array, dtype=dtype, shape=array.shape)
    assert tensor_pb2.TensorProto.FromString(light.SerializeToString()) == official
    assert light.SerializeToString() == official.SerializeToString()
    np.testing.assert_array_equal(tf.make_ndarray(official), protos.ndarray(light))
    assert protos.ndarray(light).dtype == tf.make_ndarray(official).dtype


def test_tensor_proto_encodes_str_as_utf8():
    light = protos.tensor_proto(np.array(["caf\u00e9", "b"]))
    assert list(light.string_val) == ["caf\u00e9".encode(), b"b"]
    assert light.dtype == protos.data_type("DT_STRING") == 7


@pytest.mark.parametrize(
    "values, dtype, shape",
    [
        ([1.5, 2.5, 3.5], "float32", None),
        ([[1.0, 2.0], [3.0, 4.0]], "float64", None),
        ([1, 2, 3], "int32", None),
        ([[1, 2], [3, 4]], "int64", None),
        ([True, False, True], "bool", None),
        ([0.5, 1.5], "float16", None),
        ([b"a", b"bc"], "string", None),
        ([[b"a", b"bc"], [b"d", b""]], "string", None),
        (2.5, "float32", [2, 3]),  # one value, broadcast to the shape
        (7, "int64", [4]),
        (b"z", "string", [2, 2]),
        ([1.0, 2.0], "float32", [4]),  # the last value repeated
        ([], "float32", [0]),
        ([], "string", [2, 0]),
    ],
)
def test_ndarray_reads_what_make_ndarray_reads(values, dtype, shape):
    import tensorflow as tf

    official = tf.make_tensor_proto(values, dtype=getattr(tf, dtype), shape=shape)
    light = protos.TensorProto.FromString(official.SerializeToString())
    expected, got = tf.make_ndarray(official), protos.ndarray(light)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


def test_predict_request_round_trips_with_the_official_classes():
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2

    inputs = {"user_id": ARRAYS["string 1-D"], "ratings": ARRAYS["float32 2-D"], "timestamp": ARRAYS["int64 1-D"]}
    light = protos.PredictRequest()
    light.model_spec.name, light.model_spec.signature_name = "ranking", "rank"
    light.model_spec.version.value = 3
    light.output_filter.append("predicted_rating")
    for name, array in inputs.items():
        light.inputs[name].CopyFrom(protos.tensor_proto(array))

    official = predict_pb2.PredictRequest()
    official.model_spec.name, official.model_spec.signature_name = "ranking", "rank"
    official.model_spec.version.value = 3
    official.output_filter.append("predicted_rating")
    for name, array in inputs.items():
        dtype = tf.string if array.dtype == object else None
        official.inputs[name].CopyFrom(tf.make_tensor_proto(array, dtype=dtype, shape=array.shape))

    data = light.SerializeToString(deterministic=True)
    assert data == official.SerializeToString(deterministic=True)
    assert predict_pb2.PredictRequest.FromString(data) == official
    assert protos.PredictRequest.FromString(official.SerializeToString()) == light


def test_responses_parse_from_the_official_bytes():
    import tensorflow as tf
    from tensorflow_serving.apis import get_model_metadata_pb2, get_model_status_pb2, predict_pb2

    official = predict_pb2.PredictResponse()
    official.model_spec.name = "retrieval"
    official.outputs["movie_ids"].CopyFrom(tf.make_tensor_proto([[b"10", b"20"]], dtype=tf.string))
    official.outputs["scores"].CopyFrom(tf.make_tensor_proto(np.array([[5.0, 4.0]], np.float32)))
    light = protos.PredictResponse.FromString(official.SerializeToString())
    assert protos.ndarray(light.outputs["movie_ids"]).tolist() == [[b"10", b"20"]]
    np.testing.assert_array_equal(protos.ndarray(light.outputs["scores"]), np.array([[5.0, 4.0]], np.float32))

    status = get_model_status_pb2.GetModelStatusResponse()
    status.model_version_status.add(version=2, state=get_model_status_pb2.ModelVersionStatus.AVAILABLE)
    assert protos.GetModelStatusResponse.FromString(status.SerializeToString()).model_version_status[0].version == 2

    signatures = get_model_metadata_pb2.SignatureDefMap()
    signatures.signature_def["serving_default"].inputs["user_id"].name = "user_id:0"
    metadata = get_model_metadata_pb2.GetModelMetadataResponse()
    metadata.model_spec.name = "ranking"
    metadata.metadata["signature_def"].Pack(signatures)
    light_metadata = protos.GetModelMetadataResponse.FromString(metadata.SerializeToString())
    from serving import rest_json

    assert rest_json.metadata_json(light_metadata, protos.SignatureDefMap) == rest_json.metadata_json(metadata)


def test_grpc_methods_are_the_official_ones():
    from tensorflow_serving.apis import model_service_pb2, prediction_service_pb2

    for module, service in ((prediction_service_pb2, "PredictionService"), (model_service_pb2, "ModelService")):
        official = module.DESCRIPTOR.services_by_name[service]
        for rpc in official.methods:
            path, request, response = protos.method(service, rpc.name)
            assert path == f"/tensorflow.serving.{service}/{rpc.name}"
            assert request.DESCRIPTOR.full_name == rpc.input_type.full_name
            assert response.DESCRIPTOR.full_name == rpc.output_type.full_name
    assert protos.method("PredictionService", "Predict")[0] == "/tensorflow.serving.PredictionService/Predict"


def test_generate_writes_the_installed_descriptors(tmp_path):
    if not protos.DESCRIPTOR_SET.exists():
        protos.pool()
    assert protos.generate(tmp_path / "set.binpb").read_bytes() == protos.DESCRIPTOR_SET.read_bytes()


CLIENT_WITHOUT_TF = r"""
import json, sys
from pathlib import Path
import numpy as np
from serving import protos
protos.DESCRIPTOR_SET = Path(sys.argv[1])  # missing: generated on first use, in a subprocess
import cli.serving_commands, serving.client as client
from serving import rest_json
from serving.users import User

inputs = client.user_inputs(User.new(25, "F", "programmer", history=("7", "8")), rows=2)
request = protos.PredictRequest()
for name, values in inputs.items():
    request.inputs[name].CopyFrom(client._tensor_proto(values))
parsed = protos.PredictRequest.FromString(request.SerializeToString())
back = {name: protos.ndarray(p) for name, p in parsed.inputs.items()}
response = protos.GetModelMetadataResponse()
response.metadata["signature_def"].Pack(protos.SignatureDefMap())
rest_json.metadata_json(response, protos.SignatureDefMap)
heavy = [m for m in sys.modules if m.split(".")[0] in ("tensorflow", "tensorflow_serving", "tfx", "keras", "pandas")]
shapes = {k: list(v.shape) for k, v in back.items()}
print(json.dumps({"heavy": sorted(heavy), "shapes": shapes, "file": protos.DESCRIPTOR_SET.exists()}))
"""


def test_the_client_builds_and_reads_messages_without_tensorflow(tmp_path):
    """In a fresh interpreter, with no descriptor file yet: generated once (in a subprocess), and
    neither TensorFlow nor tensorflow_serving is ever imported by the client's process."""
    done = subprocess.run(
        [sys.executable, "-c", CLIENT_WITHOUT_TF, str(tmp_path / "d" / "tf_serving.binpb")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["heavy"] == [] and result["file"]
    assert result["shapes"]["history_movie_ids"] == [2, 2] and result["shapes"]["user_id"] == [2]
    assert "is missing: generating" in done.stderr
