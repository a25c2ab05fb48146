"""Errors with TF Serving's canonical codes, shared by the local server and the client.

The code names are gRPC's (``INVALID_ARGUMENT``, ``NOT_FOUND`` ...); ``HTTP_STATUS`` is the mapping
TF Serving's REST handler uses (tensorflow_serving/model_servers/http_server.cc).
"""

from __future__ import annotations

HTTP_STATUS: dict[str, int] = {
    "OK": 200,
    "CANCELLED": 499,
    "UNKNOWN": 500,
    "INVALID_ARGUMENT": 400,
    "DEADLINE_EXCEEDED": 504,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "PERMISSION_DENIED": 403,
    "RESOURCE_EXHAUSTED": 429,
    "FAILED_PRECONDITION": 400,
    "ABORTED": 409,
    "OUT_OF_RANGE": 400,
    "UNIMPLEMENTED": 501,
    "INTERNAL": 500,
    "UNAVAILABLE": 503,
    "DATA_LOSS": 500,
    "UNAUTHENTICATED": 401,
}
_CODE_OF_HTTP = {status: code for code, status in reversed(HTTP_STATUS.items())}


class ServingError(Exception):
    """A failed serving call: ``code`` is the canonical code name, ``message`` the server's words."""

    code = "UNKNOWN"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.code, 500)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class InvalidArgument(ServingError):
    code = "INVALID_ARGUMENT"


class NotFound(ServingError):
    code = "NOT_FOUND"


class Unavailable(ServingError):
    code = "UNAVAILABLE"


class DeadlineExceeded(ServingError):
    code = "DEADLINE_EXCEEDED"


class Unimplemented(ServingError):
    code = "UNIMPLEMENTED"


_BY_CODE: dict[str, type[ServingError]] = {
    cls.code: cls for cls in (InvalidArgument, NotFound, Unavailable, DeadlineExceeded, Unimplemented)
}


def from_code(code: str, message: str) -> ServingError:
    """The most specific error class for a canonical code name."""
    cls = _BY_CODE.get(code)
    return cls(message) if cls else ServingError(message, code)


def from_http(status: int, message: str) -> ServingError:
    """The error for an HTTP status of TF Serving's REST API (400 maps back to INVALID_ARGUMENT)."""
    return from_code(_CODE_OF_HTTP.get(status, "UNKNOWN"), message)
