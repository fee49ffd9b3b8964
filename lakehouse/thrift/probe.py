"""A real HiveServer2 client connection (PyHive, as dbt-spark's thrift method uses), with a
socket timeout so that a half-started server cannot hang the caller."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any


class ProbeError(RuntimeError):
    """The server did not answer a query; ``auth_refused`` when it rejected the login."""

    def __init__(self, message: str, *, auth_refused: bool = False) -> None:
        super().__init__(message)
        self.auth_refused = auth_refused


@contextlib.contextmanager
def _quiet_thrift() -> Iterator[None]:
    """The thrift library logs every refused connection at ERROR; a probe expects those."""
    logger = logging.getLogger("thrift")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def connect(
    host: str, port: int, user: str, password: str | None = None, *, timeout: float = 30.0
) -> Any:
    """An open PyHive connection; ``password`` given means SASL PLAIN with a checked password."""
    import thrift_sasl
    from pyhive import hive
    from thrift.transport import TSocket

    socket = TSocket.TSocket(host, port)
    socket.setTimeout(int(timeout * 1000))
    sasl_password = password if password is not None else "x"  # NONE mode: any non-empty value

    def sasl_factory() -> Any:
        return hive.get_installed_sasl(
            host=host, sasl_auth="PLAIN", username=user, password=sasl_password
        )

    transport = thrift_sasl.TSaslClientTransport(sasl_factory, "PLAIN", socket)
    return hive.connect(thrift_transport=transport, username=user)


def query(
    host: str,
    port: int,
    user: str,
    password: str | None,
    sql: str,
    *,
    timeout: float = 30.0,
) -> list[tuple[Any, ...]]:
    """Run one statement and return its rows; errors become ProbeError with the server's words."""
    with _quiet_thrift():
        try:
            connection = connect(host, port, user, password, timeout=timeout)
        except Exception as error:
            message = str(error) or type(error).__name__
            refused = "validating the login" in message or "authentication" in message.lower()
            raise ProbeError(message, auth_refused=refused) from error
        try:
            cursor = connection.cursor()
            cursor.execute(sql)
            return [tuple(row) for row in cursor.fetchall()] if cursor.description else []
        except Exception as error:
            raise ProbeError(str(error) or type(error).__name__) from error
        finally:
            with contextlib.suppress(Exception):
                connection.close()


def probe(host: str, port: int, user: str, password: str | None, *, timeout: float = 30.0) -> None:
    """Raise ProbeError unless the server answers ``select 1``."""
    rows = query(host, port, user, password, "select 1", timeout=timeout)
    if rows != [(1,)]:
        raise ProbeError(f"unexpected answer to select 1: {rows!r}")
