"""One loaded SavedModel version: its signature defs (for metadata) and a checked ``predict``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import meta_graph_pb2, saved_model_pb2

from serving.errors import InvalidArgument, NotFound

DEFAULT_SIGNATURE = "serving_default"
_INIT_OP_SIGNATURE = "__saved_model_init_op"


def read_saved_model(path: str) -> saved_model_pb2.SavedModel:
    """A version folder's saved_model.pb (DecodeError when it is not one, FileNotFoundError when absent)."""
    saved = saved_model_pb2.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
        saved.ParseFromString(f.read())
    return saved


def read_signature_defs(path: str) -> dict[str, meta_graph_pb2.SignatureDef]:
    """The serving signature defs of a SavedModel, read from saved_model.pb (as TF Serving does)."""
    for meta_graph in read_saved_model(path).meta_graphs:
        if "serve" in meta_graph.meta_info_def.tags:
            return {k: v for k, v in meta_graph.signature_def.items() if k != _INIT_OP_SIGNATURE}
    raise ValueError(f"{path}: no meta graph tagged 'serve'")


class Servable:
    """A SavedModel loaded with ``tf.saved_model.load``; thread-safe for concurrent ``predict``."""

    def __init__(self, name: str, version: int, path: str) -> None:
        self.name, self.version, self.path = name, version, path
        self.signature_defs = read_signature_defs(path)
        self._model = tf.saved_model.load(path, tags=["serve"])
        self._functions = dict(self._model.signatures)
        self.input_specs: dict[str, dict[str, tf.TensorSpec]] = {
            sig: dict(fn.structured_input_signature[1]) for sig, fn in self._functions.items()
        }

    def signature(self, name: str) -> str:
        """The signature name to use ('' means serving_default); NOT_FOUND-like error if absent."""
        name = name or DEFAULT_SIGNATURE
        if name not in self._functions:
            raise InvalidArgument(
                f'Serving signature name: "{name}" not found in signature def of model {self.name} '
                f"version {self.version} (has: {', '.join(sorted(self._functions))})"
            )
        return name

    def input_names(self, signature: str) -> list[str]:
        return sorted(self.input_specs[self.signature(signature)])

    def predict(
        self,
        signature: str,
        inputs: Mapping[str, Any],
        output_filter: list[str] | None = None,
        exact_dtypes: bool = False,
    ) -> dict[str, np.ndarray]:
        """Run a signature on named inputs (lists or arrays); inputs are checked and named in errors.
        ``exact_dtypes``: array inputs (gRPC's TensorProtos) must have the signature's dtypes."""
        signature = self.signature(signature)
        specs = self.input_specs[signature]
        missing = sorted(set(specs) - set(inputs))
        if missing:
            raise InvalidArgument(f"signature {signature}: missing input(s): {', '.join(missing)}")
        extra = sorted(set(inputs) - set(specs))
        if extra:
            raise InvalidArgument(
                f"signature {signature}: unknown input(s): {', '.join(extra)}; expected {', '.join(sorted(specs))}"
            )
        # sorted: errors name the inputs in a stable order
        tensors = {name: _to_tensor(name, inputs[name], specs[name], exact_dtypes) for name in sorted(specs)}
        sizes = {name: int(t.shape[0]) for name, t in tensors.items() if t.shape.rank}
        if len(set(sizes.values())) > 1:
            raise InvalidArgument(f"inputs have different batch sizes: {sizes}")
        try:
            outputs = self._functions[signature](**tensors)
        except tf.errors.InvalidArgumentError as e:
            raise InvalidArgument(_tf_error_text(e.message)) from None
        wanted = output_filter or list(outputs)
        unknown = [n for n in wanted if n not in outputs]
        if unknown:
            raise InvalidArgument(f"output_filter: unknown output(s) {', '.join(unknown)}")
        return {name: outputs[name].numpy() for name in wanted}


def _to_tensor(name: str, values: Any, spec: tf.TensorSpec, exact_dtype: bool = False) -> tf.Tensor:
    """One input as the signature's tensor; InvalidArgument naming the input when it does not fit.
    ``exact_dtype``: numpy arrays (decoded TensorProtos) must have the signature's dtype."""
    try:
        if spec.dtype == tf.string:
            array = np.asarray(values, dtype=object)
            flat = [v.encode("utf-8") if isinstance(v, str) else v for v in array.reshape(-1)]
            if any(isinstance(v, (list, tuple, np.ndarray)) for v in flat):
                raise ValueError("lists of different lengths (a tensor needs lists of one length at each level)")
            if not all(isinstance(v, bytes) for v in flat):
                raise ValueError("expected strings")
            tensor = tf.constant(np.array(flat, dtype=object).reshape(array.shape), dtype=tf.string)
        else:
            if exact_dtype and isinstance(values, np.ndarray) and values.dtype != spec.dtype.as_numpy_dtype:
                # a TensorProto (gRPC) must carry the signature's own dtype, as TF Serving requires
                raise ValueError(f"expects {spec.dtype.name} but {tf.as_dtype(values.dtype).name} is provided")
            array = np.asarray(values)
            if array.dtype == object or array.dtype.kind in "USb":
                raise ValueError(f"expected {spec.dtype.name} numbers")
            if spec.dtype.is_integer:
                # JSON integers only, as TF Serving's json_tensor.cc: 25.0 or 1e30 is not an int64
                if array.dtype.kind not in "iu":
                    raise ValueError(f"expected {spec.dtype.name} integers (numbers without a fraction or exponent)")
                limits = np.iinfo(spec.dtype.as_numpy_dtype)
                if array.size and (array.min() < limits.min or array.max() > limits.max):
                    raise ValueError(f"a value outside the {spec.dtype.name} range")
            tensor = tf.constant(array, dtype=spec.dtype)
    except (ValueError, TypeError, OverflowError) as e:
        raise InvalidArgument(f"input '{name}': {e}: got {str(values)[:60]}") from None
    if not spec.shape.is_compatible_with(tensor.shape):
        raise InvalidArgument(f"input '{name}': shape {tensor.shape.as_list()} does not match {spec.shape}")
    return tensor


def _tf_error_text(message: str) -> str:
    """TF's error text without its graph-node traceback: the failed assertion's own words if any."""
    lines = [line for line in message.strip().splitlines() if line.strip()]
    for line in lines:
        if line.startswith("assertion failed: ["):
            return line[len("assertion failed: [") :].split("]", 1)[0].replace("\\'", "'").strip()
    meaningful = [
        line for line in lines
        if not line.startswith(("Graph execution error", "Detected at node", "<stack traces", "\t", " "))
    ]  # fmt: skip
    return (meaningful or lines or ["invalid argument"])[0].split(" [[{{node")[0].strip()


def version_not_found(name: str, version: int | None = None, label: str | None = None) -> NotFound:
    what = f"Specific({name}, {version})" if version is not None else f"Latest({name})"
    if label is not None:
        what = f"Label({name}, {label})"
    return NotFound(f"Servable not found for request: {what}")
