"""The gRPC front end: TF Serving's PredictionService and ModelService, on the official stubs."""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent import futures

import grpc
import tensorflow as tf
from tensorflow_serving.apis import (
    model_management_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from serving import model_config
from serving.core import ServerCore, fill_model_spec
from serving.errors import InvalidArgument, ServingError

PROTOCOL = "grpc"


def _model_spec(spec) -> tuple[str, int | None, str | None]:
    version = spec.version.value if spec.HasField("version") else None
    return spec.name, version, spec.version_label or None


def _abort_on_error(method: Callable) -> Callable:
    """ServingError -> the gRPC status of its code; anything else -> INTERNAL with its message."""

    @functools.wraps(method)
    def wrapper(self, request, context):
        try:
            return method(self, request, context)
        except ServingError as e:
            context.abort(grpc.StatusCode[e.code], e.message)
        except Exception as e:  # an unexpected failure must still answer, not hang the client
            context.abort(grpc.StatusCode.INTERNAL, f"{type(e).__name__}: {e}")

    return wrapper


class PredictionService(prediction_service_pb2_grpc.PredictionServiceServicer):
    def __init__(self, core: ServerCore) -> None:
        self.core = core

    @_abort_on_error
    def Predict(self, request: predict_pb2.PredictRequest, context) -> predict_pb2.PredictResponse:
        name, version, label = _model_spec(request.model_spec)
        with self.core.request(name, request.model_spec.signature_name, PROTOCOL):
            inputs = {}
            for key, proto in request.inputs.items():
                if proto.tensor_shape.dim:
                    self.core.check_rows(proto.tensor_shape.dim[0].size, f"input '{key}'")
                try:
                    inputs[key] = tf.make_ndarray(proto)
                except (TypeError, ValueError) as e:
                    raise InvalidArgument(f"input '{key}': not a valid TensorProto: {e}") from None
            servable, signature, outputs = self.core.predict(
                name,
                version,
                label,
                request.model_spec.signature_name,
                inputs,
                list(request.output_filter) or None,
                exact_dtypes=True,
            )
            response = predict_pb2.PredictResponse()
            fill_model_spec(response.model_spec, servable, signature)
            for key, value in outputs.items():
                response.outputs[key].CopyFrom(tf.make_tensor_proto(value))
            return response

    @_abort_on_error
    def GetModelMetadata(self, request, context):
        name, version, label = _model_spec(request.model_spec)
        with self.core.request(name, "metadata", PROTOCOL):
            return self.core.metadata(name, version, label, list(request.metadata_field))

    def _unimplemented(self, request, context):
        context.abort(
            grpc.StatusCode.UNIMPLEMENTED,
            "movierec's local model server implements Predict and GetModelMetadata only: these models export "
            "predict signatures (no classify/regress signatures); use Predict",
        )

    Classify = Regress = MultiInference = _unimplemented


class ModelService(model_service_pb2_grpc.ModelServiceServicer):
    def __init__(self, core: ServerCore) -> None:
        self.core = core

    @_abort_on_error
    def GetModelStatus(self, request, context):
        name, version, label = _model_spec(request.model_spec)
        with self.core.request(name, "status", PROTOCOL):
            return self.core.status(name, version, label)

    @_abort_on_error
    def HandleReloadConfigRequest(self, request, context):
        """Replace the served models with the request's ModelServerConfig (as TF Serving does)."""
        entries = model_config.entries(request.config)
        self.core.check_base_paths(entries)
        self.core.store.set_entries(entries)
        self.core.store.poll(settle=False)
        response = model_management_pb2.ReloadConfigResponse()
        response.status.error_code = 0
        return response


def make_server(core: ServerCore, host: str, port: int) -> tuple[grpc.Server, int]:
    """The gRPC server (not started yet) and the port it bound, with the core's limits: message
    size, HTTP/2 streams per connection, keepalive, worker threads and queued calls (beyond them
    a call gets RESOURCE_EXHAUSTED)."""
    limits = core.limits
    keepalive_ms = int(limits.grpc_keepalive_seconds * 1000)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=limits.max_concurrent_requests, thread_name_prefix="grpc"),
        maximum_concurrent_rpcs=limits.max_concurrent_requests + limits.max_queued_requests,
        options=[
            ("grpc.max_receive_message_length", limits.max_body_bytes),
            ("grpc.max_send_message_length", limits.max_body_bytes),
            ("grpc.max_concurrent_streams", limits.max_concurrent_streams),
            ("grpc.keepalive_time_ms", keepalive_ms),
            ("grpc.keepalive_timeout_ms", 20_000),
            ("grpc.http2.min_ping_interval_without_data_ms", 5_000),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.so_reuseport", 0),  # a second server on a busy port must fail, not share its traffic
        ],
    )
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(PredictionService(core), server)
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(ModelService(core), server)
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(f"cannot bind the gRPC port {host}:{port}")
    return server, bound
