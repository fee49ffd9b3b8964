"""Read the pixels of a PNG screenshot (8-bit RGB or RGBA, not interlaced, as Chromium writes
them) with the standard library only, for tests that look at what a page drew."""

from __future__ import annotations

import struct
import zlib
from collections import Counter
from pathlib import Path

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and the rows of RGB(A) bytes of the PNG at ``path``."""
    data = path.read_bytes()
    if not data.startswith(SIGNATURE):
        raise ValueError(f"{path} is not a PNG")
    position, chunks, header = len(SIGNATURE), [], b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError(f"{path}: only 8-bit RGB/RGBA, non-interlaced PNGs are read")
    step = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * step
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        offset = y * (stride + 1)
        kind, line = raw[offset], bytearray(raw[offset + 1 : offset + 1 + stride])
        for x in range(stride if kind else 0):
            left = line[x - step] if x >= step else 0
            up = previous[x]
            corner = previous[x - step] if x >= step else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                estimate = left + up - corner
                a, b, c = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                nearest = left if a <= b and a <= c else up if b <= c else corner
                line[x] = (line[x] + nearest) & 0xFF
        rows.append(bytes(line) if step == 3 else bytes(_rgb(bytearray(line))))
        previous = line
    return width, height, rows


def _rgb(line: bytearray) -> bytearray:
    del line[3::4]
    return line


def colour_counts(rows: list[bytes]) -> Counter[bytes]:
    """How many pixels have each RGB colour."""
    counts: Counter[bytes] = Counter()
    for row in rows:
        counts.update(row[x : x + 3] for x in range(0, len(row), 3))
    return counts
