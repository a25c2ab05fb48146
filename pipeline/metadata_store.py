"""Where ML Metadata lives: a SQLite file in the work dir (the default) or a MySQL/MariaDB database.

A *metadata source* is a string: a file path (SQLite) or ``mysql://USER@HOST:PORT/DATABASE``, the
password read from ``$MOVIEREC_MYSQL_PASSWORD`` (never from the command line, where ``ps`` shows
it). Both become ML Metadata's own ``ConnectionConfig``, which TFX's runners and the readers
(views, run summary, lineage) open. No TFX import here: ml_metadata only.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any
from urllib.parse import unquote, urlsplit

MYSQL_SCHEME = "mysql"
PASSWORD_ENV = "MOVIEREC_MYSQL_PASSWORD"


@dataclasses.dataclass(frozen=True)
class MySQLTarget:
    user: str
    host: str
    port: int
    database: str


def is_mysql(source: str) -> bool:
    return source.startswith(f"{MYSQL_SCHEME}://")


def parse_mysql(uri: str) -> MySQLTarget:
    """``mysql://USER@HOST:PORT/DATABASE`` -> its parts; ValueError naming what is missing or wrong."""
    parts = urlsplit(uri)
    if parts.scheme != MYSQL_SCHEME:
        raise ValueError(f"metadata URI {uri!r}: expected mysql://USER@HOST:PORT/DATABASE")
    if parts.password is not None:
        raise ValueError(f"metadata URI: put the password in ${PASSWORD_ENV}, not in the URI")
    database = parts.path.lstrip("/")
    try:
        port = parts.port or 3306
    except ValueError:
        raise ValueError(f"metadata URI {uri!r}: the port is not a number") from None
    missing = [name for name, value in (("USER", parts.username), ("HOST", parts.hostname), ("DATABASE", database))
               if not value]  # fmt: skip
    if missing:
        raise ValueError(f"metadata URI {uri!r}: no {', '.join(missing)} (mysql://USER@HOST:PORT/DATABASE)")
    if "/" in database:
        raise ValueError(f"metadata URI {uri!r}: the database name may not contain '/'")
    return MySQLTarget(unquote(parts.username or ""), parts.hostname or "", port, unquote(database))


def connection_config(source: str, readonly: bool = False) -> Any:
    """ML Metadata's ConnectionConfig for a metadata source (``readonly``: SQLite opened read-only)."""
    from ml_metadata.proto import metadata_store_pb2

    config = metadata_store_pb2.ConnectionConfig()
    if is_mysql(source):
        target = parse_mysql(source)
        config.mysql.host = target.host
        config.mysql.port = target.port
        config.mysql.database = target.database
        config.mysql.user = target.user
        config.mysql.password = os.environ.get(PASSWORD_ENV, "")
        return config
    config.sqlite.filename_uri = source
    config.sqlite.connection_mode = (
        metadata_store_pb2.SqliteMetadataSourceConfig.READONLY
        if readonly
        else metadata_store_pb2.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    )
    return config


def exists(source: str) -> bool:
    """Whether there may be anything to read: a database always, a SQLite file once written."""
    return is_mysql(source) or os.path.exists(source)


def open_store(source: str, readonly: bool = True) -> Any:
    """An ml_metadata MetadataStore on the source."""
    from ml_metadata.metadata_store import metadata_store

    return metadata_store.MetadataStore(connection_config(source, readonly))


class MetadataConnectionError(RuntimeError):
    """The metadata database cannot be reached or refused the user."""


def check_connection(source: str) -> None:
    """For a MySQL source: connect once, or MetadataConnectionError naming the database and what
    to check (ML Metadata's own message for a refused password is empty)."""
    if not is_mysql(source):
        return
    try:
        open_store(source, readonly=False)
    except Exception as e:  # MLMD raises RuntimeError or its own errors.* classes
        password = "set" if os.environ.get(PASSWORD_ENV) else "not set"
        raise MetadataConnectionError(
            f"cannot connect to ML Metadata at {describe(source)}: {str(e).strip() or type(e).__name__} "
            f"(check that the server is up, the user exists, and ${PASSWORD_ENV} ({password}) is its password)"
        ) from None


def describe(source: str) -> str:
    """The source for a person: the SQLite path, or the MySQL URI (no password)."""
    if is_mysql(source):
        t = parse_mysql(source)
        return f"MySQL {t.user}@{t.host}:{t.port}/{t.database}"
    return f"SQLite {source}"
