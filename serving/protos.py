"""TF Serving's API messages and gRPC methods without TensorFlow: what the client sends and reads.

``tensorflow_serving.apis.*_pb2`` import ``tensorflow.core.framework.*_pb2``, which runs
``tensorflow/__init__.py`` (5-10 s and ~600 MB for a client). The messages here are the same
ones (same full names, field numbers, gRPC method paths), built by ``google.protobuf`` alone from a
serialized ``FileDescriptorSet``: ``_descriptors/tf_serving.binpb`` (gitignored), written from the
installed tensorflow-serving-api by ``python -m serving.protos`` (the Makefile's install step), or on
first use if missing (in a subprocess, so that the caller stays TensorFlow-free). They live in their
own ``DescriptorPool``, so they coexist with the official classes in one process, and their bytes are
the official ones.

    from serving import protos
    request = protos.message("tensorflow.serving.PredictRequest")()  # or protos.PredictRequest()
    path, request_class, response_class = protos.method("PredictionService", "Predict")
    request.inputs["x"].CopyFrom(protos.tensor_proto(np.array([1.0, 2.0], np.float32)))
    protos.ndarray(response.outputs["y"])

``tensor_proto`` / ``ndarray`` write and read TensorProtos as ``tf.make_tensor_proto`` /
``tf.make_ndarray`` do for the numeric, bool and string dtypes.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

DESCRIPTOR_SET = Path(__file__).resolve().parent / "_descriptors" / "tf_serving.binpb"
API_PACKAGE = "tensorflow_serving.apis"
SERVICE_PACKAGE = "tensorflow.serving"
# Short names -> full names, for `protos.PredictRequest` and friends.
MESSAGES = {
    name: f"{SERVICE_PACKAGE}.{name}"
    for name in (
        "PredictRequest",
        "PredictResponse",
        "GetModelStatusRequest",
        "GetModelStatusResponse",
        "GetModelMetadataRequest",
        "GetModelMetadataResponse",
        "SignatureDefMap",
        "ModelSpec",
    )
} | {"TensorProto": "tensorflow.TensorProto", "TensorShapeProto": "tensorflow.TensorShapeProto"}


# -- the descriptor set ---------------------------------------------------------------------------------
def generate(path: str | Path = DESCRIPTOR_SET) -> Path:
    """Write the FileDescriptorSet of every ``tensorflow_serving.apis`` proto and what it imports
    (dependencies first). Imports tensorflow_serving, hence TensorFlow: a build step."""
    import importlib
    import pkgutil

    from google.protobuf import descriptor_pb2

    apis = importlib.import_module(API_PACKAGE)
    names = sorted(m.name for m in pkgutil.iter_modules(apis.__path__) if m.name.endswith("_pb2"))
    files: list[descriptor_pb2.FileDescriptorProto] = []
    seen: set[str] = set()

    def visit(file: Any) -> None:
        if file.name in seen:
            return
        seen.add(file.name)
        for dependency in file.dependencies:
            visit(dependency)
        proto = descriptor_pb2.FileDescriptorProto()
        file.CopyToProto(proto)
        files.append(proto)

    for name in names:
        visit(importlib.import_module(f"{API_PACKAGE}.{name}").DESCRIPTOR)
    data = descriptor_pb2.FileDescriptorSet(file=files).SerializeToString(deterministic=True)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_bytes(data)
    os.replace(partial, path)  # atomic: concurrent first uses never read half a file
    return path


def _generate_in_subprocess(path: Path) -> None:
    print(
        f"[movierec] {path} is missing: generating TF Serving's message descriptors from "
        "tensorflow-serving-api (once; `make install` does it at install time)",
        file=sys.stderr,
    )
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    subprocess.run([sys.executable, "-m", "serving.protos", str(path)], env=env, check=True)


@functools.cache
def pool() -> Any:
    """A DescriptorPool of its own holding TF Serving's API (and TensorFlow's framework protos)."""
    from google.protobuf import descriptor_pb2, descriptor_pool

    if not DESCRIPTOR_SET.exists():
        _generate_in_subprocess(DESCRIPTOR_SET)
    descriptors = descriptor_pb2.FileDescriptorSet.FromString(DESCRIPTOR_SET.read_bytes())
    result = descriptor_pool.DescriptorPool()
    for file in descriptors.file:  # dependencies come first
        result.Add(file)
    return result


@functools.cache
def _class_of(descriptor: Any) -> type:
    from google.protobuf import message_factory

    if hasattr(message_factory, "GetMessageClass"):  # protobuf >= 4.21
        return message_factory.GetMessageClass(descriptor)
    return _factory().GetPrototype(descriptor)


@functools.cache
def _factory() -> Any:
    from google.protobuf import message_factory

    return message_factory.MessageFactory(pool())


def message(full_name: str) -> type:
    """The message class of a full proto name, e.g. ``tensorflow.serving.PredictRequest``."""
    return _class_of(pool().FindMessageTypeByName(full_name))


def method(service: str, name: str) -> tuple[str, type, type]:
    """(gRPC path, request class, response class) of ``tensorflow.serving.<service>.<name>``,
    e.g. ``("/tensorflow.serving.PredictionService/Predict", PredictRequest, PredictResponse)``."""
    found = pool().FindServiceByName(f"{SERVICE_PACKAGE}.{service}")
    rpc = found.methods_by_name[name]
    return f"/{found.full_name}/{rpc.name}", _class_of(rpc.input_type), _class_of(rpc.output_type)


def __getattr__(name: str) -> type:  # protos.PredictRequest, ...
    if name in MESSAGES:
        return message(MESSAGES[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# -- TensorProto <-> numpy --------------------------------------------------------------------------------
# numpy dtype -> (DataType name, the typed field tf.make_tensor_proto writes for 0 or 1 element)
_NUMPY = {
    np.dtype(np.float32): ("DT_FLOAT", "float_val"),
    np.dtype(np.float64): ("DT_DOUBLE", "double_val"),
    np.dtype(np.float16): ("DT_HALF", "half_val"),
    np.dtype(np.int64): ("DT_INT64", "int64_val"),
    np.dtype(np.int32): ("DT_INT32", "int_val"),
    np.dtype(np.int16): ("DT_INT16", "int_val"),
    np.dtype(np.int8): ("DT_INT8", "int_val"),
    np.dtype(np.uint8): ("DT_UINT8", "int_val"),
    np.dtype(np.uint16): ("DT_UINT16", "int_val"),
    np.dtype(np.uint32): ("DT_UINT32", "uint32_val"),
    np.dtype(np.uint64): ("DT_UINT64", "uint64_val"),
    np.dtype(np.bool_): ("DT_BOOL", "bool_val"),
}
# What tf.make_tensor_proto writes as raw bytes (tensor_content) when there is more than one element
# (tensor_util._TENSOR_CONTENT_TYPES, less the types numpy has no dtype for).
_CONTENT = {"DT_FLOAT", "DT_DOUBLE", "DT_HALF", "DT_INT64", "DT_INT32", "DT_INT16", "DT_INT8", "DT_UINT8",
            "DT_UINT32", "DT_UINT64"}  # fmt: skip
_BY_NAME = {name: (dtype, field) for dtype, (name, field) in _NUMPY.items()}


@functools.cache
def data_type(name: str) -> int:
    """The number of a ``tensorflow.DataType`` (e.g. ``DT_STRING``), from the descriptors."""
    return pool().FindEnumTypeByName("tensorflow.DataType").values_by_name[name].number


@functools.cache
def _data_type_name(number: int) -> str:
    return pool().FindEnumTypeByName("tensorflow.DataType").values_by_number[number].name


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    raise TypeError(f"a string tensor takes str or bytes, not {type(value).__name__}: {value!r}")


def tensor_proto(values: Any) -> Any:
    """A TensorProto of the array's own shape and dtype, as ``tf.make_tensor_proto(values)`` writes it
    (text -- str, bytes or an object array of them -- as DT_STRING, str as UTF-8)."""
    array = np.asarray(values)
    proto = message("tensorflow.TensorProto")()
    proto.tensor_shape.SetInParent()  # written even for a scalar (no dims), as TensorFlow does
    for size in array.shape:
        proto.tensor_shape.dim.add().size = size
    if array.dtype.kind in "OSU":
        proto.dtype = data_type("DT_STRING")
        proto.string_val.extend(_as_bytes(v) for v in array.reshape(-1).tolist())
        return proto
    if array.dtype not in _NUMPY:
        raise TypeError(f"no TensorProto for numpy dtype {array.dtype}")
    name, field = _NUMPY[array.dtype]
    proto.dtype = data_type(name)
    if name in _CONTENT and array.size > 1:
        proto.tensor_content = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
    elif name == "DT_HALF":
        proto.half_val.extend(array.reshape(-1).view(np.uint16).tolist())
    else:
        getattr(proto, field).extend(array.reshape(-1).tolist())
    return proto


def ndarray(proto: Any) -> np.ndarray:
    """A TensorProto as a numpy array, as ``tf.make_ndarray`` reads it: ``tensor_content`` or the typed
    field, the last value repeated up to the shape's size (strings as bytes, in an object array)."""
    shape = [d.size for d in proto.tensor_shape.dim]
    count = int(np.prod(shape, dtype=np.int64))
    name = _data_type_name(proto.dtype)
    if name == "DT_STRING":
        values = list(proto.string_val)
        if count > len(values):
            values.extend([values[-1] if values else ""] * (count - len(values)))
        return np.array(values, dtype=object).reshape(shape)
    if name not in _BY_NAME:
        raise TypeError(f"no numpy array for a {name} tensor")
    dtype, field = _BY_NAME[name]
    if proto.tensor_content:
        return np.frombuffer(proto.tensor_content, dtype=dtype.newbyteorder("<")).astype(dtype).reshape(shape)
    if name == "DT_HALF":
        values = np.fromiter(proto.half_val, dtype=np.uint16).view(np.float16)
    else:
        values = np.fromiter(getattr(proto, field), dtype=dtype)
    if values.size == 0:
        return np.zeros(shape, dtype)
    if values.size != count:
        values = np.pad(values, (0, count - values.size), "edge")
    return values.reshape(shape)


if __name__ == "__main__":  # python -m serving.protos [PATH]: the build step
    written = generate(sys.argv[1] if len(sys.argv) > 1 else DESCRIPTOR_SET)
    print(f"wrote {written}")
