"""Make text from files and exceptions safe to print: one line, no control characters, no
undecodable bytes, bounded length."""

from __future__ import annotations

REPLACEMENT = "\ufffd"  # what a UTF-8 decode with errors="replace" leaves for a bad byte


def printable(text: str, limit: int = 300) -> str:
    """``text`` with every control character, bad byte and other unprintable character written
    as an escape (``\\x1f``, ``\\ufffd``), on one line, cut to ``limit`` characters."""
    escaped = "".join(
        char if char.isprintable() and char != REPLACEMENT else _escape(char) for char in text
    )
    if len(escaped) > limit:
        return escaped[: limit - 1] + "…"
    return escaped


def _escape(char: str) -> str:
    if char in "\r\n\t":
        return " "
    return char.encode("unicode_escape").decode("ascii")
