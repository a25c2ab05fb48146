"""The soak benchmark's protocol, briefly: clients of both protocols through a push, a rollback and a
corrupt push, against `movierec serve --local` in its own process on 127.0.0.1. No call may fail."""

from __future__ import annotations

from benchmarks.serving_soak import soak


def test_no_request_fails_through_push_rollback_and_corrupt_push(trained_models, tmp_path):
    record = soak(trained_models.retrieval, tmp_path, levels=[1, 8], seconds=8.0)
    cells = record["cells"]
    assert [(c["protocol"], c["concurrency"]) for c in cells] == [("grpc", 1), ("rest", 1), ("grpc", 8), ("rest", 8)]
    for cell in cells:
        assert cell["failures"] == 0, cell["first_failures"]
        assert cell["requests"] > 10
        assert [name for name, _ in cell["events"]] == ["pushed 2", "rolled back to 1", "pushed corrupt 3"]
        assert cell["served_after"] == [1]  # the corrupt version never replaced the serving one
    assert record["server_peak_rss_mib"] > 0
