"""What both front ends (gRPC and REST) call: predict, model status and metadata, as TF Serving's protos."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np
from tensorflow.core.protobuf import error_codes_pb2
from tensorflow_serving.apis import get_model_metadata_pb2, get_model_status_pb2, model_pb2

from serving.errors import InvalidArgument, ServingError
from serving.limits import ServingLimits
from serving.metrics import Metrics
from serving.model_config import ModelEntry
from serving.model_store import ModelStore
from serving.servable import Servable

SIGNATURE_DEF = "signature_def"


UNKNOWN_LABEL = "<unknown>"  # the metrics label of every model name or signature the server does not have
REQUEST_KINDS = ("status", "metadata")  # the signature label of non-predict requests


class ServerCore:
    """The store of models plus request accounting (metrics per model, signature and status)."""

    def __init__(
        self,
        store: ModelStore,
        metrics: Metrics | None = None,
        limits: ServingLimits | None = None,
        model_roots: tuple[str, ...] = (),
    ) -> None:
        self.store = store
        self.metrics = metrics or Metrics()
        self.limits = limits or ServingLimits()
        self.model_roots = tuple(os.path.realpath(r) for r in model_roots)

    def check_base_paths(self, entries: list[ModelEntry]) -> None:
        """PERMISSION_DENIED unless every model's base path lies under an allowed root (a config
        reload must not make the server read arbitrary folders)."""
        for entry in entries:
            path = os.path.realpath(entry.base_path)
            if not any(path == root or path.startswith(root + os.sep) for root in self.model_roots):
                roots = ", ".join(self.model_roots) or "(none)"
                raise ServingError(
                    f"model {entry.name}: base_path {entry.base_path} is outside the allowed model roots {roots} "
                    "(movierec serve --allow-model-root widens them)",
                    "PERMISSION_DENIED",
                )

    def check_rows(self, rows: int, where: str = "request") -> None:
        """InvalidArgument when one request carries more rows than ``max_instances``."""
        if rows > self.limits.max_instances:
            raise InvalidArgument(
                f"{where}: {rows} instances in one request, over the limit of {self.limits.max_instances} "
                "(movierec serve --max-instances): split the request"
            )

    def labels(self, model: str, signature: str) -> tuple[str, str]:
        """Metrics labels: names the server does not serve fold into one label (the label sets stay bounded)."""
        if model not in self.store.model_names:
            return UNKNOWN_LABEL, UNKNOWN_LABEL if signature not in REQUEST_KINDS else signature
        if signature in REQUEST_KINDS or not signature or signature in self.store.signature_names(model):
            return model, signature
        return model, UNKNOWN_LABEL

    def observe(self, model: str, signature: str, protocol: str, status: str, seconds: float) -> None:
        self.metrics.observe(*self.labels(model, signature), protocol, status, seconds)

    @contextmanager
    def request(self, model: str, signature: str, protocol: str) -> Iterator[None]:
        """Time a request and count it by outcome (the canonical code of its error, or OK)."""
        started = time.perf_counter()
        status = "OK"
        try:
            yield
        except ServingError as e:
            status = e.code
            raise
        except Exception:
            status = "INTERNAL"
            raise
        finally:
            self.observe(model, signature, protocol, status, time.perf_counter() - started)

    def predict(
        self,
        name: str,
        version: int | None,
        label: str | None,
        signature: str,
        inputs: Mapping[str, Any],
        output_filter: list[str] | None = None,
        exact_dtypes: bool = False,
    ) -> tuple[Servable, str, dict[str, np.ndarray]]:
        servable = self.store.servable(name, version, label)
        signature = servable.signature(signature)
        return servable, signature, servable.predict(signature, inputs, output_filter, exact_dtypes)

    def status(self, name: str, version: int | None, label: str | None) -> get_model_status_pb2.GetModelStatusResponse:
        if not name:
            raise InvalidArgument("Missing model name in request.")
        response = get_model_status_pb2.GetModelStatusResponse()
        for state in self.store.status(name, version, label):
            item = response.model_version_status.add(version=state.version)
            item.state = get_model_status_pb2.ModelVersionStatus.State.Value(state.state)
            item.status.error_code = error_codes_pb2.UNKNOWN if state.error else error_codes_pb2.OK
            item.status.error_message = state.error
        return response

    def metadata(
        self, name: str, version: int | None, label: str | None, fields: list[str] | None = None
    ) -> get_model_metadata_pb2.GetModelMetadataResponse:
        if not name:
            raise InvalidArgument("Missing model name in request.")
        fields = fields if fields is not None else [SIGNATURE_DEF]
        unsupported = [f for f in fields if f != SIGNATURE_DEF]
        if unsupported or not fields:
            raise InvalidArgument(f"Metadata field(s) {unsupported or fields} not supported; only '{SIGNATURE_DEF}'")
        servable = self.store.servable(name, version, label)
        response = get_model_metadata_pb2.GetModelMetadataResponse()
        fill_model_spec(response.model_spec, servable)
        signatures = get_model_metadata_pb2.SignatureDefMap()
        for key, value in servable.signature_defs.items():
            signatures.signature_def[key].CopyFrom(value)
        response.metadata[SIGNATURE_DEF].Pack(signatures)
        return response


def fill_model_spec(spec: model_pb2.ModelSpec, servable: Servable, signature: str = "") -> None:
    spec.name = servable.name
    spec.version.value = servable.version
    spec.signature_name = signature
