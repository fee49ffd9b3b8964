"""Failures a person can read: one or two lines on the terminal, the whole story in a file.

``report`` turns any exception that reaches the command line into a short message that says
what happened and what to do, and an exit code (1: the work or its environment failed; 2:
configuration to change; 75: the state folder is busy). The full traceback, Java's included,
goes to ``$LAKEHOUSE_HOME/logs/error-<time>-<pid>.log`` (or the system's temporary folder when
the state folder cannot be written), whose path the message ends with.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import tempfile
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lakehouse.jars import JarsError
from lakehouse.printable import printable
from lakehouse.settings import SettingsError
from lakehouse.state_lock import EXIT_BUSY, StateBusyError


class EnvironmentProblem(RuntimeError):
    """Something outside the project stops the command (a master that does not answer, a
    registry out of reach); the message says what and what to do."""


@dataclass(frozen=True)
class Report:
    message: str  # one or two lines
    exit_code: int
    keep_details: bool = True  # write the traceback to a log file


# Markers of environmental failures, looked for in the whole text of an exception and its
# causes: a Java exception reaches Python as a Py4J error whose text holds the Java stack.
_DISK_FULL = ("No space left on device", "Disk quota exceeded")
_READ_ONLY = ("Read-only file system",)
_DENIED = ("Permission denied", "AccessDeniedException")
_S3_NO_CREDENTIALS = ("NoAuthWithAWSException", "No AWS Credentials provided")
_S3_FORBIDDEN = ("403 Forbidden", "Status Code: 403", "InvalidAccessKeyId", "SignatureDoesNotMatch")
_S3_NO_BUCKET = ("NoSuchBucket", "UnknownStoreException")
_MEMORY = ("java.lang.OutOfMemoryError", "Cannot allocate memory", "Java heap space")


def chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def full_text(error: BaseException) -> str:
    return "\n".join(f"{type(item).__name__}: {item}" for item in chain(error))


def classify(error: BaseException, home: Path | None) -> Report:
    """The short message and exit code for ``error``."""
    where = f" ({home})" if home else ""
    if isinstance(error, KeyboardInterrupt):
        return Report(
            "interrupted; run the command again to finish: nothing half-done is kept", 130, False
        )
    if isinstance(error, StateBusyError):
        return Report(str(error), EXIT_BUSY, False)
    if isinstance(error, SettingsError):
        return Report(f"configuration error: {error}", 2, False)
    text = full_text(error)
    errnos = {item.errno for item in chain(error) if isinstance(item, OSError)}
    if errno.ENOSPC in errnos or errno.EDQUOT in errnos or _has(text, _DISK_FULL):
        return Report(
            f"the disk is full: no space left on the device of the state folder{where} or of "
            "Spark's scratch space; free some space and run the command again (it resumes where "
            "it stopped: committed work is kept, nothing is loaded twice)",
            1,
        )
    if errno.EROFS in errnos or _has(text, _READ_ONLY):
        return Report(
            f"the state folder{where} is on a read-only file system; set LAKEHOUSE_HOME to a "
            "writable folder (or remount it read-write)",
            1,
        )
    if _has(text, _S3_NO_CREDENTIALS):
        return Report(
            "no AWS credentials for S3: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and "
            "AWS_SESSION_TOKEN for temporary ones), or run where an instance role provides them",
            1,
        )
    if _has(text, _S3_FORBIDDEN):
        return Report(
            "S3 refused the request (403): check that the AWS credentials are right and may list, "
            "read, write and delete under the lakehouse's s3a:// locations, and "
            "LAKEHOUSE_S3_ENDPOINT",
            1,
        )
    if _has(text, _S3_NO_BUCKET):
        return Report(
            "an S3 bucket of the lakehouse's locations does not exist: create it, or fix "
            "LAKEHOUSE_LANDING, LAKEHOUSE_BRONZE or LAKEHOUSE_WAREHOUSE",
            1,
        )
    if isinstance(error, JarsError):
        return Report(str(error), 1, False)
    denied = next((item for item in chain(error) if isinstance(item, PermissionError)), None)
    if denied is not None or _has(text, _DENIED):
        target = getattr(denied, "filename", None) or home
        return Report(
            f"permission denied writing {target}; make it writable for this user, or set "
            "LAKEHOUSE_HOME to a folder you own",
            1,
        )
    if _has(text, _MEMORY):
        return Report(
            "Spark ran out of memory; raise LAKEHOUSE_DRIVER_MEMORY (e.g. 4g) or land the data in "
            "smaller batches (`lakehouse ingest --max-files-per-batch`)",
            1,
        )
    if isinstance(error, EnvironmentProblem):
        return Report(str(error), 1)
    if isinstance(error, OSError) and error.filename:
        reason = error.strerror or str(error)
        return Report(f"cannot use {error.filename}: {reason}", 1)
    first = next((line for line in str(error).splitlines() if line.strip()), type(error).__name__)
    return Report(f"failed: {type(error).__name__}: {printable(first, limit=400)}", 1)


def _has(text: str, markers: tuple[str, ...]) -> bool:
    return any(marker in text for marker in markers)


def write_details(error: BaseException, home: Path | None, argv: list[str]) -> Path | None:
    """The traceback in a new log file: under the state folder if it can be written, else in
    the system's temporary folder. None if neither can be written."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    name = f"error-{stamp}-{os.getpid()}.log"
    body = (
        f"lakehouse {' '.join(argv)}\n{dt.datetime.now(dt.timezone.utc).isoformat()}\n\n"
        + "".join(traceback.format_exception(type(error), error, error.__traceback__))
    )
    folders = [home / "logs"] if home else []
    folders.append(Path(tempfile.gettempdir()))
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / (name if folder != Path(tempfile.gettempdir()) else f"lakehouse-{name}")
            path.write_text(body)
            return path
        except OSError:
            continue
    return None
