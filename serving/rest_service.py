"""The REST front end: TF Serving's ``/v1/models/...`` API and the Prometheus metrics path."""

from __future__ import annotations

import json
import logging
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from serving import rest_json
from serving.core import ServerCore
from serving.errors import InvalidArgument, ServingError, Unimplemented
from serving.metrics import CONTENT_TYPE
from serving.model_config import PROMETHEUS_PATH

log = logging.getLogger("movierec.serving")
PROTOCOL = "rest"
# The same paths as TF Serving (tensorflow_serving/model_servers/http_rest_api_util.cc).
PREDICT_PATH = re.compile(
    r"(?i)/v1/models/([^/:]+)(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?:(classify|regress|predict)"
)
STATUS_PATH = re.compile(r"(?i)/v1/models(?:/([^/:]+))?(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?(?:/(metadata))?")
MAX_BODY = 64 << 20


class Handler(BaseHTTPRequestHandler):
    core: ServerCore  # set on the subclass made by make_server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms delayed-ACK stall
    server_version = "movierec-model-server"

    def log_message(self, fmt: str, *args: Any) -> None:  # route access logs to logging, not stderr
        log.debug("%s %s", self.address_string(), fmt % args)

    # -- plumbing ---------------------------------------------------------------------------------
    def _reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, doc: dict[str, Any]) -> None:
        self._reply(status, json.dumps(doc).encode())

    def _error(self, error: ServingError) -> None:
        self._json(error.http_status, {"error": error.message})

    def _path(self) -> str:
        return self.path.split("?", 1)[0]

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise InvalidArgument(f"request body of {length} bytes is over the {MAX_BODY} byte limit")
        return self.rfile.read(length) if length else b""

    # -- GET: status, metadata, metrics --------------------------------------------------------
    def do_GET(self) -> None:
        path = self._path()
        if path == PROMETHEUS_PATH:
            self._reply(200, self.core.metrics.exposition(), CONTENT_TYPE)
            return
        match = STATUS_PATH.fullmatch(path)
        if not match:
            self._error(InvalidArgument(f"Malformed request: GET {path}"))
            return
        name, version, label, subresource = match.groups()
        name, label = unquote(name or ""), unquote(label) if label else None
        kind = "metadata" if subresource else "status"
        try:
            with self.core.request(name, kind, PROTOCOL):
                version_number = int(version) if version else None
                if subresource:
                    doc = rest_json.metadata_json(self.core.metadata(name, version_number, label))
                else:
                    doc = rest_json.proto_json(self.core.status(name, version_number, label))
        except ServingError as e:
            self._error(e)
            return
        self._json(200, doc)

    # -- POST: predict -----------------------------------------------------------------------------
    def do_POST(self) -> None:
        path = self._path()
        match = PREDICT_PATH.fullmatch(path)
        try:
            body = self._body()
        except ServingError as e:
            self._error(e)
            return
        if not match:
            self._error(InvalidArgument(f"Malformed request: POST {path}"))
            return
        name, version, label, method = match.groups()
        name, label = unquote(name), unquote(label) if label else None
        signature, timed = "", False
        try:
            if method.lower() != "predict":
                raise Unimplemented(
                    f"{method} is not served by movierec's local model server: these models export predict "
                    "signatures; POST to :predict"
                )
            servable = self.core.store.servable(name, int(version) if version else None, label)
            signature, inputs, fmt = rest_json.parse_request(body, servable.input_names)
            timed = True
            with self.core.request(name, signature, PROTOCOL):
                _, _, outputs = self.core.predict(name, servable.version, None, signature, inputs)
                doc = rest_json.make_response(outputs, fmt)
        except ServingError as e:
            if not timed:  # refused before the predict was timed: count it here
                self.core.metrics.observe(name, signature or method.lower(), PROTOCOL, e.code, 0.0)
            self._error(e)
            return
        except Exception as e:  # an unexpected failure still answers with TF Serving's error body
            log.exception("predict failed")
            self._json(500, {"error": f"{type(e).__name__}: {e}"})
            return
        self._json(200, doc)


def make_server(core: ServerCore, host: str, port: int) -> ThreadingHTTPServer:
    handler = type("BoundHandler", (Handler,), {"core": core})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def serve_in_thread(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name="rest", daemon=True)
    thread.start()
    return thread
