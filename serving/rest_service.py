"""The REST front end: TF Serving's ``/v1/models/...`` API and the Prometheus metrics path, on Tornado.

Tornado's HTTP server (an asyncio event loop in one thread) holds the connections: a real listen
backlog, keep-alive with idle and body timeouts, chunked request bodies and a bounded body size,
so idle or half-sent connections cost no thread. Predicts run on a bounded pool of worker threads
(TensorFlow releases the GIL); requests beyond the pool wait in a bounded queue, and past that are
refused with RESOURCE_EXHAUSTED. Every reply the handler makes, errors and unknown methods
included, is TF Serving's JSON (``{"error": ...}``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import unquote

import tornado.httpserver
import tornado.netutil
import tornado.web

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


class ResourceExhausted(ServingError):
    code = "RESOURCE_EXHAUSTED"


@tornado.web.stream_request_body
class Handler(tornado.web.RequestHandler):
    """Every path and method: the handler answers each with TF Serving's JSON.

    Bodies are streamed in: one over ``max_body_bytes`` (by its Content-Length, or as chunks
    arrive) is answered with a JSON error naming the limit, and is never held in memory.
    """

    SUPPORTED_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")

    def initialize(self, front: RestFrontEnd) -> None:
        self.front = front
        self.core = front.core
        self._chunks: list[bytes] = []
        self._size = 0

    def prepare(self) -> None:
        declared = self.request.headers.get("Content-Length")
        if declared is None:
            return
        if not declared.strip().isdigit():
            self._error(InvalidArgument(f"Content-Length header {declared[:40]!r} is not a byte count"))
        elif int(declared) > self.core.limits.max_body_bytes:
            self._error(self._too_large(int(declared)))

    def data_received(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size <= self.core.limits.max_body_bytes:
            self._chunks.append(chunk)
        else:
            self._chunks = []  # over the limit: read to the end (or the body timeout), keep nothing

    def _too_large(self, size: int) -> InvalidArgument:
        limit = self.core.limits.max_body_bytes
        return InvalidArgument(
            f"request body of {size} bytes or more is over the {limit} byte limit (movierec serve --max-body-mb)"
        )

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.clear_header("Server")

    # -- plumbing ---------------------------------------------------------------------------------
    def _json(self, status: int, doc: dict[str, Any]) -> None:
        self.set_status(status)
        self.finish(json.dumps(doc))

    def _error(self, error: ServingError) -> None:
        self._json(error.http_status, {"error": error.message})

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Tornado's own failures (an exception in the handler) in TF Serving's format too."""
        self.set_header("Content-Type", "application/json")
        reason = self._reason
        if "exc_info" in kwargs and kwargs["exc_info"][1] is not None:
            error = kwargs["exc_info"][1]
            reason = f"{type(error).__name__}: {error}"
        self.finish(json.dumps({"error": reason}))

    def _malformed(self) -> None:
        self._error(InvalidArgument(f"Malformed request: {self.request.method} {self.request.path}"))

    # -- unsupported methods: a 400 with TF Serving's words, not an HTML page -------------------------
    def put(self, *_: str) -> None:
        self._malformed()

    delete = patch = head = options = put

    # -- GET: status, metadata, metrics --------------------------------------------------------
    def get(self, *_: str) -> None:
        path = self.request.path
        if path == PROMETHEUS_PATH:
            self.set_header("Content-Type", CONTENT_TYPE)
            self.finish(self.core.metrics.exposition())
            return
        match = STATUS_PATH.fullmatch(path)
        if not match:
            self._malformed()
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
    async def post(self, *_: str) -> None:
        match = PREDICT_PATH.fullmatch(self.request.path)
        if not match:
            self._malformed()
            return
        name, version, label, method = match.groups()
        name, label = unquote(name), unquote(label) if label else None
        if self._size > self.core.limits.max_body_bytes:
            error = self._too_large(self._size)
            self.core.observe(name, "", PROTOCOL, error.code, 0.0)
            self._error(error)
            return
        if method.lower() != "predict":
            error = Unimplemented(
                f"{method} is not served by movierec's local model server: these models export predict "
                "signatures; POST to :predict"
            )
            self.core.observe(name, method.lower(), PROTOCOL, error.code, 0.0)
            self._error(error)
            return
        try:
            status, doc = await self.front.run(self._predict, name, version, label, b"".join(self._chunks))
        except ServingError as e:  # refused before it ran (the queue is full)
            self.core.observe(name, "", PROTOCOL, e.code, 0.0)
            status, doc = e.http_status, {"error": e.message}
        self._json(status, doc)

    def _predict(self, name: str, version: str | None, label: str | None, body: bytes) -> tuple[int, dict[str, Any]]:
        """Parse, predict and write the response (on a worker thread)."""
        signature, timed = "", False
        try:
            servable = self.core.store.servable(name, int(version) if version else None, label)
            signature, inputs, fmt = rest_json.parse_request(body, servable.input_names, self.core.check_rows)
            timed = True
            with self.core.request(name, signature, PROTOCOL):
                _, _, outputs = self.core.predict(name, servable.version, None, signature, inputs)
                return 200, rest_json.make_response(outputs, fmt)
        except ServingError as e:
            if not timed:  # refused before the predict was timed: count it here
                self.core.observe(name, signature or "predict", PROTOCOL, e.code, 0.0)
            return e.http_status, {"error": e.message}
        except Exception as e:  # an unexpected failure still answers with TF Serving's error body
            log.exception("predict failed")
            return 500, {"error": f"{type(e).__name__}: {e}"}


class RestFrontEnd:
    """The Tornado server in its own thread (its own event loop), and the predict worker pool."""

    def __init__(self, core: ServerCore, host: str, port: int) -> None:
        self.core = core
        limits = core.limits
        self._pool = ThreadPoolExecutor(max_workers=limits.max_concurrent_requests, thread_name_prefix="rest")
        self._waiting = 0
        self._waiting_lock = threading.Lock()
        # bound here (not in the loop's thread) so that a busy port fails the caller at once
        self._sockets = tornado.netutil.bind_sockets(port, address=host, backlog=limits.backlog)
        self.port = self._sockets[0].getsockname()[1]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: tornado.httpserver.HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()

    async def run(self, function: Any, *args: Any) -> Any:
        """``function(*args)`` on a worker thread; RESOURCE_EXHAUSTED when the queue is full."""
        limits = self.core.limits
        with self._waiting_lock:
            if self._waiting >= limits.max_concurrent_requests + limits.max_queued_requests:
                raise ResourceExhausted(
                    f"the server is busy: {self._waiting} requests running or queued "
                    f"(limit {limits.max_concurrent_requests} + {limits.max_queued_requests}); retry later"
                )
            self._waiting += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, function, *args)
        finally:
            with self._waiting_lock:
                self._waiting -= 1

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        limits = self.core.limits
        app = tornado.web.Application([(r"/.*", Handler, {"front": self})], compress_response=False)
        self._server = tornado.httpserver.HTTPServer(
            app,
            no_keep_alive=False,
            idle_connection_timeout=limits.idle_timeout_seconds,
            body_timeout=limits.body_timeout_seconds,
            # the handler enforces max_body_bytes with a JSON error, reading on without keeping
            max_body_size=1 << 40,
        )
        self._server.add_sockets(self._sockets)
        self._started.set()
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()

    def start(self) -> RestFrontEnd:
        self._thread = threading.Thread(target=self._serve, name="rest", daemon=True)
        self._thread.start()
        self._started.wait(10)
        return self

    def stop(self) -> None:
        loop, server = self._loop, self._server
        if loop is None or server is None:
            return

        async def close() -> None:
            server.stop()
            await server.close_all_connections()
            loop.stop()

        asyncio.run_coroutine_threadsafe(close(), loop)
        if self._thread:
            self._thread.join(10)
        self._pool.shutdown(wait=False, cancel_futures=True)
