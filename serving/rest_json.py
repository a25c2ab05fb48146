"""TF Serving's JSON mapping for ``:predict`` (tensorflow_serving/util/json_tensor.cc), both ways.

Request: ``{"signature_name": ..., "instances": [...]}`` (row format) or ``{"inputs": ...}``
(columnar). Binary strings travel as ``{"b64": "..."}``. Response: ``"predictions"`` (one entry per
row) for the row format, ``"outputs"`` for the columnar one; a single output is written bare.
Output tensors whose names end in ``_bytes`` are written as ``{"b64": ...}``, as TF Serving does.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from serving.errors import InvalidArgument

ROW, COLUMNAR = "row", "columnar"
B64 = "b64"
BYTES_SUFFIX = "_bytes"


# -- values -----------------------------------------------------------------------------------
def _decode_value(value: Any, where: str) -> Any:
    """JSON value -> Python value, with ``{"b64": ...}`` objects decoded to bytes (recursively)."""
    if isinstance(value, list):
        return [_decode_value(v, where) for v in value]
    if isinstance(value, dict):
        if set(value) != {B64} or not isinstance(value[B64], str):
            raise InvalidArgument(f'{where}: JSON object {json.dumps(value)[:80]} is not a {{"b64": ...}} string')
        try:
            return base64.b64decode(value[B64], validate=True)
        except (binascii.Error, ValueError) as e:
            raise InvalidArgument(f"{where}: unable to base64 decode: {e}") from None
    return value


def _dense_shape(value: Any, where: str) -> list[int]:
    """The shape of a decoded JSON value as a dense tensor ([] for a scalar, [2, 0] for ``[[], []]``);
    InvalidArgument naming ``where`` for ragged lists (a tensor's lists are of one length per level)."""
    if not isinstance(value, list):
        return []
    if not value:
        return [0]
    if not any(isinstance(v, list) for v in value):  # the common case: a list of scalars
        return [len(value)]
    shapes = [_dense_shape(v, where) for v in value]
    for shape in shapes[1:]:
        if shape != shapes[0]:
            raise InvalidArgument(
                f"{where}: ragged lists: a list of shape {shape} next to one of {shapes[0]} "
                "(a tensor needs lists of one length at each level: pad them)"
            )
    return [len(value), *shapes[0]]


def _encode_value(value: Any, as_b64: bool) -> Any:
    """numpy scalar/array -> JSON value."""
    if isinstance(value, np.ndarray):
        return [_encode_value(v, as_b64) for v in value]
    if isinstance(value, bytes):
        if as_b64:
            return {B64: base64.b64encode(value).decode("ascii")}
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.generic):
        return value.item()
    return value


# -- requests ---------------------------------------------------------------------------------
def parse_request(body: bytes | str, input_names: Any, check_rows: Any = None) -> tuple[str, dict[str, Any], str]:
    """(signature_name, {input: nested list}, format) from a ``:predict`` body.

    ``input_names`` is a callable signature_name -> sorted input names (needed to read the row
    format's bare values and the columnar format's bare value when the signature has one input);
    ``check_rows(rows, where)`` may refuse a request with too many rows before they are read.
    """
    try:
        doc = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InvalidArgument(f"JSON Parse error: {e}") from None
    except RecursionError:
        raise InvalidArgument("JSON Parse error: the document is nested too deeply") from None
    try:
        return _parse_document(doc, input_names, check_rows)
    except RecursionError:
        raise InvalidArgument("the request's lists are nested too deeply for a tensor") from None


def _parse_document(doc: Any, input_names: Any, check_rows: Any) -> tuple[str, dict[str, Any], str]:
    if not isinstance(doc, dict):
        raise InvalidArgument("JSON Value: the request body is not an object")
    signature = doc.get("signature_name", "") or "serving_default"
    if not isinstance(signature, str):
        raise InvalidArgument("'signature_name' must be a string")
    has_rows, has_cols = "instances" in doc, "inputs" in doc
    if has_rows == has_cols:
        raise InvalidArgument(
            "Missing 'inputs' or 'instances' key"
            if not has_rows
            else "Not formatted correctly: expecting only one of 'inputs' or 'instances' keys"
        )
    names = list(input_names(signature))
    if check_rows is not None:
        data = doc["instances"] if has_rows else doc["inputs"]
        if has_rows and isinstance(data, list):
            check_rows(len(data), "instances")
        elif not has_rows:
            for name, value in data.items() if isinstance(data, dict) else [("inputs", data)]:
                if isinstance(value, list):
                    check_rows(len(value), f"inputs.{name}" if name != "inputs" else name)
    if has_rows:
        return signature, _rows_to_columns(doc["instances"], names), ROW
    return signature, _columns(doc["inputs"], names), COLUMNAR


def _check_names(given: Any, names: list[str], where: str) -> None:
    missing = [n for n in names if n not in given]
    if missing:
        raise InvalidArgument(f"{where}: missing named input: {', '.join(missing)}")
    extra = sorted(set(given) - set(names))
    if extra:
        raise InvalidArgument(f"{where}: unknown input(s) {', '.join(extra)}; expected {names}")


def _rows_to_columns(instances: Any, names: list[str]) -> dict[str, list[Any]]:
    if not isinstance(instances, list) or not instances:
        raise InvalidArgument("No values in 'instances': expecting a non-empty list")
    columns: dict[str, list[Any]] = {n: [] for n in names}
    shapes: dict[str, list[int]] = {}  # each input's shape in instances[0]: every instance must match it

    def add(name: str, value: Any, where: str, i: int) -> None:
        shape = _dense_shape(value, where)
        if i and shape != shapes[name]:
            raise InvalidArgument(
                f"{where}: expecting shape {shapes[name]} (as in instances[0]) but got {shape}: every "
                "instance must give a tensor of the same shape (pad lists to one length)"
            )
        shapes.setdefault(name, shape)
        columns[name].append(value)

    for i, row in enumerate(instances):
        if isinstance(row, dict) and not (set(row) == {B64} and len(names) == 1):
            _check_names(row, names, f"instances[{i}]")
            for n in names:
                add(n, _decode_value(row[n], f"instances[{i}].{n}"), f"instances[{i}].{n}", i)
        elif len(names) == 1:
            add(names[0], _decode_value(row, f"instances[{i}]"), f"instances[{i}]", i)
        else:
            raise InvalidArgument(f"instances[{i}]: expecting an object with the inputs {names}")
    return columns


def _columns(inputs: Any, names: list[str]) -> dict[str, Any]:
    if isinstance(inputs, dict) and not (set(inputs) == {B64} and len(names) == 1):
        _check_names(inputs, names, "inputs")
        columns = {n: _decode_value(inputs[n], f"inputs.{n}") for n in names}
        for n, value in columns.items():
            _dense_shape(value, f"inputs.{n}")
        return columns
    if len(names) == 1:
        value = _decode_value(inputs, "inputs")
        _dense_shape(value, "inputs")
        return {names[0]: value}
    raise InvalidArgument(f"inputs: expecting an object with the inputs {names}")


def make_request(inputs: Mapping[str, Any], signature_name: str, fmt: str = ROW) -> dict[str, Any]:
    """A ``:predict`` body for named inputs (lists or numpy arrays of equal length)."""
    columns = {name: _encode_value(np.asarray(values, dtype=object), as_b64=False) for name, values in inputs.items()}
    body: dict[str, Any] = {"signature_name": signature_name}
    if fmt == COLUMNAR:
        body["inputs"] = columns
    else:
        lengths = {len(v) for v in columns.values()}
        if len(lengths) != 1:
            raise ValueError(f"inputs of different lengths: { {k: len(v) for k, v in columns.items()} }")
        body["instances"] = [{name: col[i] for name, col in columns.items()} for i in range(lengths.pop())]
    return body


# -- responses --------------------------------------------------------------------------------
def make_response(outputs: Mapping[str, np.ndarray], fmt: str) -> dict[str, Any]:
    """The ``:predict`` response body for output tensors."""
    encoded = {name: _encode_value(np.asarray(v), name.endswith(BYTES_SUFFIX)) for name, v in outputs.items()}
    if fmt == COLUMNAR:
        return {"outputs": next(iter(encoded.values())) if len(encoded) == 1 else encoded}
    sizes = {name: np.asarray(v).shape[0] if np.asarray(v).ndim else None for name, v in outputs.items()}
    if len(set(sizes.values())) != 1 or None in sizes.values():
        raise InvalidArgument(
            f"Tensors of different batch sizes cannot be written in the row format: {sizes}; use 'inputs'"
        )
    n = next(iter(sizes.values()))
    if len(encoded) == 1:
        return {"predictions": next(iter(encoded.values()))}
    return {"predictions": [{name: values[i] for name, values in encoded.items()} for i in range(n)]}


def parse_response(doc: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Output arrays from a ``:predict`` response (either format); one output comes back as ``""``."""
    if "predictions" in doc:
        rows = doc["predictions"]
        if rows and isinstance(rows[0], dict):
            return {name: np.asarray(_decode_value([r[name] for r in rows], name)) for name in rows[0]}
        return {"": np.asarray(_decode_value(rows, "predictions"))}
    if "outputs" in doc:
        outputs = doc["outputs"]
        if isinstance(outputs, dict) and set(outputs) != {B64}:
            return {name: np.asarray(_decode_value(v, name)) for name, v in outputs.items()}
        return {"": np.asarray(_decode_value(outputs, "outputs"))}
    raise InvalidArgument(f"response has neither 'predictions' nor 'outputs': {list(doc)}")


# -- status and metadata ------------------------------------------------------------------------
def proto_json(message: Any) -> dict[str, Any]:
    """A status/metadata proto as TF Serving's REST API writes it (snake_case, defaults included)."""
    from google.protobuf import json_format

    return json_format.MessageToDict(message, including_default_value_fields=True, preserving_proto_field_name=True)


def metadata_json(response: Any, signature_def_map: type | None = None) -> dict[str, Any]:
    """A GetModelMetadataResponse as REST's ``{"model_spec": ..., "metadata": {"signature_def": ...}}``.
    ``signature_def_map``: the SignatureDefMap class of the response's kind (default: the official
    tensorflow_serving one; the client passes serving/protos.py's, free of TensorFlow)."""
    if signature_def_map is None:
        from tensorflow_serving.apis.get_model_metadata_pb2 import SignatureDefMap as signature_def_map

    signatures = signature_def_map()
    if not response.metadata["signature_def"].Unpack(signatures):
        raise InvalidArgument("the metadata response carries no signature_def")
    return {"model_spec": proto_json(response.model_spec), "metadata": {"signature_def": proto_json(signatures)}}
