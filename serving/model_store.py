"""Loads, swaps and unloads model versions as they appear under their base paths.

Like TF Serving's file-system source + availability-preserving manager: a version found on disk is
loaded once its files have stopped changing for one poll; the new version serves before the old is
released, requests already running keep the version they started with; a version that fails to
load is marked END with its error and the versions already loaded go on serving.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from movielens.file_tree import tree_state
from serving.errors import InvalidArgument, NotFound
from serving.model_config import ModelEntry
from serving.servable import Servable, read_saved_model, version_not_found

log = logging.getLogger("movierec.serving")

START, LOADING, AVAILABLE, UNLOADING, END = "START", "LOADING", "AVAILABLE", "UNLOADING", "END"


@dataclass
class VersionState:
    version: int
    state: str = START
    error: str = ""
    servable: Servable | None = None
    fingerprint: tuple = ()


def version_dirs(base_path: str) -> dict[int, str]:
    """Numeric version folders under a base path (as the Pusher writes them)."""
    if not os.path.isdir(base_path):
        return {}
    return {int(n): os.path.join(base_path, n) for n in os.listdir(base_path) if n.isdigit()}


def fingerprint(path: str) -> tuple:
    """Sizes and mtimes of every file of a version: equal on two polls = the copy has finished."""
    return tree_state(path)


def files_present(path: str) -> bool:
    """Whether every file the SavedModel names is there: variable shards and assets.

    A copy in progress (the TFX Pusher copies file by file) is not loaded. An unreadable
    saved_model.pb counts as present: loading it then reports the error in the model status.
    """
    try:
        saved = read_saved_model(path)
    except FileNotFoundError:
        return False
    except Exception:  # not a SavedModel proto: let the loader say so
        return True
    variables = os.path.join(path, "variables")
    if os.path.isdir(variables) or any(m.saver_def.filename_tensor_name for m in saved.meta_graphs):
        names = os.listdir(variables) if os.path.isdir(variables) else []
        shards = [n for n in names if n.startswith("variables.data-")]
        expected = int(shards[0].rsplit("-of-", 1)[1]) if shards else 1
        if "variables.index" not in names or len(shards) != expected:
            return False
    for meta_graph in saved.meta_graphs:
        for asset in meta_graph.asset_file_def:
            if not os.path.exists(os.path.join(path, "assets", asset.filename)):
                return False
    return True


def releasable(states: dict[int, VersionState], wanted: list[int]) -> list[int]:
    """The AVAILABLE versions that may be released now (TF Serving's availability-preserving policy).

    A version is released only once the versions replacing it are AVAILABLE: while a wanted version
    is still loading (or failed to load), the newest other loaded versions go on serving, up to as
    many as are wanted (at least one), whether their folders are still on disk or not; a version
    whose folder disappeared (a rollback) serves from memory until its replacement is up.
    """
    available = sorted((v for v, s in states.items() if s.state == AVAILABLE), reverse=True)
    keep = [v for v in available if v in wanted]
    for v in available:
        if len(keep) >= max(1, len(wanted)):
            break
        if v not in keep:
            keep.append(v)
    return [v for v in available if v not in keep]


class ModelStore:
    """Every configured model's versions; ``poll()`` brings them in line with the disk."""

    def __init__(
        self,
        entries: list[ModelEntry],
        loader: Callable[[str, int, str], Servable] = Servable,
        settle_seconds: float = 1.0,
    ) -> None:
        self.settle_seconds = settle_seconds
        self._lock = threading.RLock()
        self._poll_lock = threading.Lock()
        self._loader = loader
        self._entries: dict[str, ModelEntry] = {}
        self._versions: dict[str, dict[int, VersionState]] = {}
        self._pending: dict[tuple[str, int], tuple[tuple, float]] = {}  # (fingerprint, since when unchanged)
        self.set_entries(entries)

    # -- configuration ----------------------------------------------------------------------------
    def set_entries(self, entries: list[ModelEntry]) -> None:
        """Replace the model list (a reloaded config): models gone are unloaded on the next poll."""
        with self._lock:
            self._entries = {e.name: e for e in entries}
            for name in self._entries:
                self._versions.setdefault(name, {})

    @property
    def model_names(self) -> list[str]:
        with self._lock:
            return sorted(self._entries)

    # -- the poll ---------------------------------------------------------------------------------
    def poll(self, settle: bool = True) -> None:
        """Load wanted versions, then release the ones no longer wanted.

        ``settle``: load a version only when its files have been unchanged for ``settle_seconds``
        and on two polls (the Pusher may still be copying it); the first poll at start-up loads at once.
        """
        with self._poll_lock:
            with self._lock:
                entries = dict(self._entries)
                gone = [n for n in self._versions if n not in entries]
            for name in gone:
                self._release(name, list(self._versions[name]))
                with self._lock:
                    del self._versions[name]
            for entry in entries.values():
                self._poll_model(entry, settle)

    def _poll_model(self, entry: ModelEntry, settle: bool) -> None:
        on_disk = version_dirs(entry.base_path)
        wanted = entry.policy.select(on_disk)
        states = self._versions[entry.name]
        for version in wanted:
            path = on_disk[version]
            fp = fingerprint(path)
            state = states.get(version)
            if state is not None and state.fingerprint == fp and (state.state == AVAILABLE or state.error):
                continue  # loaded, or failed with these very files: nothing to do until they change
            key, now = (entry.name, version), time.monotonic()
            seen_fp, since = self._pending.get(key, ((), now))
            if seen_fp != fp:
                self._pending[key] = (fp, now)
                if settle:
                    continue
            elif settle and now - since < self.settle_seconds:
                continue
            if not files_present(path):
                continue
            self._pending.pop(key, None)
            self._load(entry.name, version, path, fp)
        self._release(entry.name, releasable(states, wanted))

    def _load(self, name: str, version: int, path: str, fp: tuple) -> None:
        """Load a version; a version already AVAILABLE whose files changed serves on until the reload works."""
        with self._lock:
            current = self._versions[name].get(version)
            reloading = current is not None and current.state == AVAILABLE
            if not reloading:
                self._versions[name][version] = VersionState(version, LOADING, fingerprint=fp)
        started = time.perf_counter()
        log.info("%s %s version %d from %s", "reloading" if reloading else "loading", name, version, path)
        try:
            servable = self._loader(name, version, path)
            if fingerprint(path) != fp:  # the files changed while loading: try again once they settle
                log.info("%s version %d changed while loading; retrying", name, version)
                with self._lock:
                    if not reloading:
                        del self._versions[name][version]
                return
        except Exception as e:  # any load failure is reported in the model status
            message = f"failed to load {path}: {type(e).__name__}: {str(e).strip().splitlines()[0] if str(e) else ''}"
            log.error("%s", message)
            with self._lock:
                if reloading:  # keep serving what was loaded; do not retry these files
                    self._versions[name][version].fingerprint = fp
                else:
                    self._versions[name][version] = VersionState(version, END, message, fingerprint=fp)
            return
        with self._lock:
            self._versions[name][version] = VersionState(version, AVAILABLE, servable=servable, fingerprint=fp)
        log.info("%s version %d is AVAILABLE (%.1f s)", name, version, time.perf_counter() - started)

    def _release(self, name: str, versions: list[int]) -> None:
        for version in versions:
            with self._lock:
                state = self._versions[name].get(version)
                if state is None or state.state != AVAILABLE:
                    continue
                # in-flight requests hold their own reference to the servable: dropping ours is safe
                self._versions[name][version] = VersionState(version, END, fingerprint=state.fingerprint)
            log.info("%s version %d unloaded", name, version)

    # -- lookups ----------------------------------------------------------------------------------
    def servable(self, name: str, version: int | None = None, label: str | None = None) -> Servable:
        """The version a request asks for: a number, a label, or (neither) the newest available."""
        with self._lock:
            if name not in self._entries:
                raise version_not_found(name, version, label)
            if version is not None and label:
                raise InvalidArgument(f"Both model version ({version}) and model version label ({label}) given")
            states = self._versions[name]
            if label:
                labels = self._entries[name].labels
                if label not in labels:
                    raise InvalidArgument(f"Unrecognized servable version label: {label}")
                version = labels[label]
            if version is not None:
                state = states.get(version)
                if state is None or state.state != AVAILABLE:
                    raise version_not_found(name, version, label)
                return state.servable  # type: ignore[return-value]
            available = [s for s in states.values() if s.state == AVAILABLE]
            if not available:
                raise version_not_found(name)
            return max(available, key=lambda s: s.version).servable  # type: ignore[return-value]

    def signature_names(self, name: str) -> set[str]:
        """The signature names of the model's loaded versions (empty for an unknown model)."""
        with self._lock:
            servables = [s.servable for s in self._versions.get(name, {}).values() if s.servable is not None]
        return {key for servable in servables for key in getattr(servable, "signature_defs", {})}

    def status(self, name: str, version: int | None = None, label: str | None = None) -> list[VersionState]:
        """Every known version of a model (or the one asked for), newest first."""
        with self._lock:
            if name not in self._entries:
                raise NotFound(f"Could not find any versions of model {name}")
            if label:
                labels = self._entries[name].labels
                if label not in labels:
                    raise InvalidArgument(f"Unrecognized servable version label: {label}")
                version = labels[label]
            states = sorted(self._versions[name].values(), key=lambda s: -s.version)
            if version is not None:
                states = [s for s in states if s.version == version]
                if not states:
                    raise NotFound(f"Could not find version {version} of model {name}")
            return [VersionState(s.version, s.state, s.error) for s in states]


class Watcher(threading.Thread):
    """Calls ``poll`` (and an optional config reload) every ``seconds`` until stopped."""

    def __init__(self, store: ModelStore, seconds: float, reload: Callable[[], None] | None = None) -> None:
        super().__init__(name="movierec-model-watcher", daemon=True)
        self.store, self.seconds, self.reload = store, seconds, reload
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.seconds):
            try:
                if self.reload:
                    self.reload()
                self.store.poll()
            except Exception:  # keep watching: one bad poll must not stop serving
                log.exception("model poll failed")

    def stop(self) -> None:
        self._stop_event.set()
