"""TF Serving's JSON predict format, both ways (no model needed)."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from serving import rest_json
from serving.errors import InvalidArgument


def names(*n):
    return lambda signature: sorted(n)


def test_row_format_stacks_instances_into_columns():
    body = json.dumps({"signature_name": "rank", "instances": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]})
    signature, columns, fmt = rest_json.parse_request(body, names("a", "b"))
    assert (signature, fmt) == ("rank", rest_json.ROW)
    assert columns == {"a": [1, 2], "b": ["x", "y"]}


def test_columnar_format_and_default_signature():
    signature, columns, fmt = rest_json.parse_request(json.dumps({"inputs": {"a": [1, 2]}}), names("a"))
    assert (signature, fmt, columns) == ("serving_default", rest_json.COLUMNAR, {"a": [1, 2]})
    # a signature with one input may take bare values in both formats
    assert rest_json.parse_request('{"instances": [3, 4]}', names("a"))[1] == {"a": [3, 4]}
    assert rest_json.parse_request('{"inputs": [3, 4]}', names("a"))[1] == {"a": [3, 4]}


def test_b64_values_are_decoded_to_bytes():
    raw = b"\x00\xffbinary"
    body = json.dumps({"instances": [{"a": {"b64": base64.b64encode(raw).decode()}}]})
    assert rest_json.parse_request(body, names("a"))[1] == {"a": [raw]}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", "JSON Parse error"),
        ("[1, 2]", "not an object"),
        ('{"signature_name": "x"}', "Missing 'inputs' or 'instances'"),
        ('{"instances": [], "inputs": {}}', "only one of"),
        ('{"instances": []}', "No values"),
        ('{"instances": [{"a": 1}]}', "missing named input: b"),
        ('{"instances": [{"a": 1, "b": 2, "c": 3}]}', "unknown input"),
        ('{"inputs": {"a": [1]}}', "missing named input: b"),
        ('{"instances": [{"a": {"b64": "***"}, "b": 1}]}', "base64"),
        ('{"instances": [{"a": {"x": 1}, "b": 1}]}', "instances\\[0\\].a"),
    ],
)
def test_bad_requests_name_what_is_wrong(body, message):
    with pytest.raises(InvalidArgument, match=message):
        rest_json.parse_request(body, names("a", "b"))


def test_responses_in_both_formats_and_back():
    outputs = {"ids": np.array([[b"1", b"2"], [b"3", b"4"]], dtype=object), "scores": np.array([[0.5, 0.25]] * 2)}
    rows = rest_json.make_response(outputs, rest_json.ROW)
    assert rows == {
        "predictions": [{"ids": ["1", "2"], "scores": [0.5, 0.25]}, {"ids": ["3", "4"], "scores": [0.5, 0.25]}]
    }
    cols = rest_json.make_response(outputs, rest_json.COLUMNAR)
    assert cols == {"outputs": {"ids": [["1", "2"], ["3", "4"]], "scores": [[0.5, 0.25], [0.5, 0.25]]}}
    for doc in (rows, cols):
        back = rest_json.parse_response(json.loads(json.dumps(doc)))
        np.testing.assert_array_equal(back["scores"], outputs["scores"])
        assert back["ids"].tolist() == [["1", "2"], ["3", "4"]]
    # one output is written bare; *_bytes outputs as b64
    assert rest_json.make_response({"r": np.array([1.5])}, rest_json.ROW) == {"predictions": [1.5]}
    assert rest_json.make_response({"x_bytes": np.array([b"\x00"], dtype=object)}, rest_json.COLUMNAR) == {
        "outputs": [{"b64": "AA=="}]
    }


def test_row_format_needs_equal_batch_sizes():
    with pytest.raises(InvalidArgument, match="different batch sizes"):
        rest_json.make_response({"a": np.zeros(2), "b": np.zeros(3)}, rest_json.ROW)


def test_make_request_builds_both_formats():
    inputs = {"a": [1, 2], "b": ["x", "y"]}
    assert rest_json.make_request(inputs, "s") == {
        "signature_name": "s",
        "instances": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}],
    }
    assert rest_json.make_request(inputs, "s", rest_json.COLUMNAR)["inputs"] == inputs


def test_nested_lists_of_any_width_including_empty():
    rows = json.dumps({"instances": [{"a": [], "b": 1}, {"a": [], "b": 2}]})
    assert rest_json.parse_request(rows, names("a", "b"))[1] == {"a": [[], []], "b": [1, 2]}
    rows = json.dumps({"instances": [{"a": ["x", ""], "b": 1}, {"a": ["y", "z"], "b": 2}]})
    assert rest_json.parse_request(rows, names("a", "b"))[1]["a"] == [["x", ""], ["y", "z"]]
    cols = json.dumps({"inputs": {"a": [[], []], "b": [1, 2]}})
    assert rest_json.parse_request(cols, names("a", "b"))[1]["a"] == [[], []]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"instances": [{"a": ["x"], "b": 1}, {"a": [], "b": 2}]}, r"instances\[1\]\.a: expecting shape \[1\]"),
        ({"instances": [{"a": ["x"], "b": 1}, {"a": "x", "b": 2}]}, r"instances\[1\]\.a: .* got \[\]"),
        ({"instances": [{"a": [["x"], []], "b": 1}]}, r"instances\[0\]\.a: ragged"),
        ({"inputs": {"a": [["x"], []], "b": [1, 2]}}, r"inputs\.a: ragged"),
    ],
)
def test_ragged_lists_name_the_input(body, message):
    with pytest.raises(InvalidArgument, match=message):
        rest_json.parse_request(json.dumps(body), names("a", "b"))
