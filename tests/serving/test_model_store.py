"""Version discovery, policies, labels, swaps and failed loads, with a stand-in loader (no TF)."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from serving.errors import InvalidArgument, NotFound
from serving.model_config import ModelEntry, VersionPolicy
from serving.model_store import AVAILABLE, END, ModelStore


class FakeServable:
    """Stands in for a loaded SavedModel: reads payload.txt; "corrupt" fails like a bad model."""

    def __init__(self, name: str, version: int, path: str) -> None:
        text = Path(path, "payload.txt").read_text()
        if text == "corrupt":
            raise ValueError("not a SavedModel")
        self.name, self.version, self.text = name, version, text


def saved_model_proto() -> bytes:
    """A saved_model.pb naming a variables checkpoint and one asset (what files_present checks)."""
    from tensorflow.core.protobuf import saved_model_pb2

    saved = saved_model_pb2.SavedModel()
    meta = saved.meta_graphs.add()
    meta.saver_def.filename_tensor_name = "saver_filename:0"
    meta.asset_file_def.add(filename="vocab.txt")
    return saved.SerializeToString()


def push(base: Path, version: int, text: str = "ok", complete: bool = True) -> None:
    folder = base / str(version)
    (folder / "variables").mkdir(parents=True, exist_ok=True)
    (folder / "assets").mkdir(exist_ok=True)
    (folder / "saved_model.pb").write_bytes(saved_model_proto())
    (folder / "payload.txt").write_text(text)
    (folder / "variables" / "variables.index").write_text("index")
    for shard in range(2 if complete else 1):
        (folder / "variables" / f"variables.data-0000{shard}-of-00002").write_text("data")
    (folder / "assets" / "vocab.txt").write_text("a\nb")


def states(store: ModelStore, name: str = "m") -> dict[int, str]:
    return {s.version: s.state for s in store.status(name)}


@pytest.fixture
def base(tmp_path):
    return tmp_path / "m"


def store_for(base: Path, policy: VersionPolicy | None = None, labels=None, settle_seconds=0.0) -> ModelStore:
    entries = [ModelEntry("m", str(base), policy or VersionPolicy(), labels or {})]
    return ModelStore(entries, loader=FakeServable, settle_seconds=settle_seconds)


def test_latest_version_is_loaded_and_swapped_after_settling(base):
    push(base, 1)
    store = store_for(base)
    store.poll(settle=False)
    assert states(store) == {1: AVAILABLE} and store.servable("m").version == 1
    push(base, 2)
    store.poll()  # first sight of version 2: wait until its files stop changing
    assert states(store) == {1: AVAILABLE}
    held = store.servable("m")  # a request in flight keeps its version
    store.poll()
    assert states(store) == {2: AVAILABLE, 1: END}
    assert store.servable("m").version == 2 and held.version == 1


def test_a_version_must_stay_unchanged_for_the_settle_time(base):
    push(base, 1)
    store = store_for(base, settle_seconds=0.3)
    store.poll(settle=False)
    push(base, 2)
    store.poll()
    store.poll()
    assert states(store) == {1: AVAILABLE}  # unchanged on two polls, but not yet for 0.3 s
    (base / "2" / "payload.txt").write_text("still copying")
    time.sleep(0.35)
    store.poll()
    assert states(store) == {1: AVAILABLE}  # changed since: the clock starts again
    time.sleep(0.35)
    store.poll()
    assert states(store) == {2: AVAILABLE, 1: END}


def test_a_version_that_fails_to_load_leaves_the_previous_one_serving(base):
    push(base, 1)
    store = store_for(base)
    store.poll(settle=False)
    push(base, 2, "corrupt")
    store.poll(settle=False)
    status = {s.version: s for s in store.status("m")}
    assert status[2].state == END and "not a SavedModel" in status[2].error
    assert status[1].state == AVAILABLE and store.servable("m").version == 1
    store.poll(settle=False)  # not retried with the same files ...
    assert store.status("m", 2)[0].error
    push(base, 2, "fixed")  # ... but retried once they change
    os.utime(base / "2" / "payload.txt", ns=(1, 10**18))
    store.poll(settle=False)
    assert states(store) == {2: AVAILABLE, 1: END}


def test_a_copy_in_progress_is_not_loaded_and_a_changed_version_is_reloaded(base):
    push(base, 1)
    store = store_for(base)
    store.poll(settle=False)
    push(base, 2, complete=False)  # one variables shard of two: the Pusher is still copying
    store.poll(settle=False)
    store.poll(settle=False)
    assert states(store) == {1: AVAILABLE}
    push(base, 2, "v2")
    store.poll(settle=False)
    assert states(store) == {2: AVAILABLE, 1: END}
    (base / "2" / "payload.txt").write_text("v2 rewritten")  # files of a served version change
    os.utime(base / "2" / "payload.txt", ns=(1, 10**18))
    store.poll(settle=False)
    assert store.servable("m").text == "v2 rewritten"
    (base / "2" / "payload.txt").write_text("corrupt")  # a bad rewrite keeps the loaded one serving
    os.utime(base / "2" / "payload.txt", ns=(2, 2 * 10**18))
    store.poll(settle=False)
    assert store.servable("m").text == "v2 rewritten" and states(store)[2] == AVAILABLE


def test_all_and_specific_policies_version_pins_and_labels(base):
    for v in (1, 2, 3):
        push(base, v)
    store = store_for(base, VersionPolicy("all"), labels={"stable": 1, "canary": 3})
    store.poll(settle=False)
    assert states(store) == {3: AVAILABLE, 2: AVAILABLE, 1: AVAILABLE}
    assert store.servable("m", version=2).version == 2
    assert store.servable("m", label="stable").version == 1
    assert store.servable("m", label="canary").version == 3
    with pytest.raises(InvalidArgument, match="Unrecognized servable version label"):
        store.servable("m", label="nope")
    with pytest.raises(NotFound, match="Specific\\(m, 9\\)"):
        store.servable("m", version=9)
    with pytest.raises(NotFound):
        store.servable("other")
    specific = store_for(base, VersionPolicy("specific", versions=(2,)))
    specific.poll(settle=False)
    assert states(specific) == {2: AVAILABLE}


def test_latest_n_and_removed_versions(base):
    for v in (1, 2, 3):
        push(base, v)
    store = store_for(base, VersionPolicy("latest", num_versions=2))
    store.poll(settle=False)
    assert states(store) == {3: AVAILABLE, 2: AVAILABLE}
    shutil.rmtree(base / "3")
    store.poll(settle=False)
    assert states(store)[3] == END and store.servable("m").version == 2
    assert states(store)[1] == AVAILABLE


def test_policy_validation():
    with pytest.raises(ValueError, match="latest, all or specific"):
        VersionPolicy("newest")
    with pytest.raises(ValueError, match="at least one version"):
        VersionPolicy("specific")
    assert VersionPolicy("latest", 2).select([1, 5, 3]) == [5, 3]


@contextlib.contextmanager
def looking_up(store: ModelStore, name: str = "m") -> Iterator[list[Exception]]:
    """Look the model up in a loop for the block; yields the failures (any one is a bug: a version
    must always be serving)."""
    errors: list[Exception] = []
    stop = threading.Event()

    def lookups():
        while not stop.is_set():
            try:
                store.servable(name)
            except Exception as e:
                errors.append(e)

    thread = threading.Thread(target=lookups)
    thread.start()
    try:
        yield errors
    finally:
        stop.set()
        thread.join()


def test_concurrent_lookups_during_polls(base):
    push(base, 1)
    store = store_for(base)
    store.poll(settle=False)
    with looking_up(store) as errors:
        for v in range(2, 12):
            push(base, v)
            store.poll(settle=False)
    assert not errors and store.servable("m").version == 11


def test_rollback_keeps_the_removed_version_serving_until_the_older_one_is_available(base):
    """Removing the newest folder (a rollback): the removed version answers from memory until the
    version it falls back to has settled and loaded; no lookup finds the model without a version."""
    push(base, 1)
    store = store_for(base, settle_seconds=0.2)
    store.poll(settle=False)
    push(base, 2)
    store.poll(settle=False)
    assert states(store) == {2: AVAILABLE, 1: END}
    shutil.rmtree(base / "2")
    store.poll()  # version 1 has not been seen unchanged yet: 2 goes on serving from memory
    assert store.servable("m").version == 2
    deadline = time.monotonic() + 5
    while store.servable("m").version != 1 and time.monotonic() < deadline:
        time.sleep(0.05)
        store.poll()
    assert states(store) == {2: END, 1: AVAILABLE}


def test_a_corrupt_rollback_target_leaves_the_removed_version_serving(base):
    push(base, 1, "corrupt")
    push(base, 2)
    store = store_for(base)
    store.poll(settle=False)
    shutil.rmtree(base / "2")
    store.poll(settle=False)
    assert states(store) == {2: AVAILABLE, 1: END}
    assert store.servable("m").version == 2  # served from memory: its replacement failed to load


def test_a_config_reload_never_leaves_a_kept_model_without_a_version(tmp_path):
    for name in ("a", "b", "c"):
        push(tmp_path / name, 1)
    entries = [ModelEntry(n, str(tmp_path / n), VersionPolicy()) for n in ("a", "b", "c")]
    store = ModelStore(entries, loader=FakeServable, settle_seconds=0.0)
    store.poll(settle=False)
    push(tmp_path / "a2", 7)
    with looking_up(store, "a") as errors:
        for _ in range(5):  # leave b and c out, then point a at another base path, then back
            store.set_entries([ModelEntry("a", str(tmp_path / "a2"), VersionPolicy())])
            store.poll(settle=False)
            store.set_entries([ModelEntry("a", str(tmp_path / "a"), VersionPolicy())])
            store.poll(settle=False)
    assert not errors
    assert store.model_names == ["a"] and store.servable("a").version == 1
