"""The sandbox's wire format: length-prefixed frames of a JSON envelope and raw .npy payloads, and the child's exit codes.

Both sides use this file: the checker imports it as ``quiz.check.npyio``, and the child
bootstrap (``_child.py``) loads it by path before the solution runs, so it imports nothing
but the standard library. No pickle anywhere: arrays cross as .npy version 1.0 bytes, every
other value as tagged JSON.

A frame::

    <u32 json length> <u32 payload count> <json bytes> { <u64 payload length> <.npy bytes> }*

Values inside the JSON envelope: ``null``, ``true``/``false``, a JSON integer, a JSON string,
``{"f": float.hex()}`` (exact, and inf/nan survive), ``{"t": [...]}`` a tuple, ``{"l": [...]}``
a list, ``{"a": n}`` the n-th payload of the frame, ``{"h": id, "type": name}`` an object
kept in the child.

``parse_npy_header`` is the parent's gate: it accepts only the exact header this module writes
(magic, version 1.0, a dtype from ``DTYPES``, C order, a plain shape) and returns the byte
count of the data, so the caller checks the size cap before it reads a byte of the data.
"""

from __future__ import annotations

import re
import struct

MAGIC = b"\x93NUMPY\x01\x00"  # .npy magic string, format version 1.0
PREAMBLE = len(MAGIC) + 2  # magic, version, then a little-endian u16 header length
FRAME = struct.Struct("<II")  # JSON length, payload count
PAYLOAD = struct.Struct("<Q")  # payload length
MAX_HEADER = 1024  # a 32-dimensional shape still fits
MAX_NDIM = 32
PROTOCOL_EXIT = 86  # the child's exit status when its pipes are gone or garbled
MEMORY_EXIT = 87  # the child's exit status when memory ran out outside a call

# The only dtypes that cross: the descr string in the header -> (numpy type name, item size).
DTYPES = {"<f4": ("float32", 4), "<f8": ("float64", 8), "|b1": ("bool", 1), "<i8": ("int64", 8)}

_HEADER = re.compile(
    r"\{'descr': '(?P<descr><f4|<f8|\|b1|<i8)', 'fortran_order': False, "
    r"'shape': \((?P<shape>(?:[0-9]{1,19}, )*(?:[0-9]{1,19},?)?)\), \} *\n\Z"
)


class WireError(ValueError):
    """Bytes that do not follow the wire format."""


def npy_header(descr: str, shape: tuple[int, ...]) -> bytes:
    """The .npy 1.0 header for a C-ordered array, padded to 64 bytes as numpy writes it."""
    dims = tuple(int(n) for n in shape)  # repr of a tuple of Python ints, as numpy writes it
    text = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {dims!r}, }}"
    pad = -(PREAMBLE + len(text) + 1) % 64
    body = (text + " " * pad + "\n").encode("latin-1")
    return MAGIC + struct.pack("<H", len(body)) + body


def header_length(preamble: bytes) -> int:
    """The header length announced by the first PREAMBLE bytes of a payload."""
    if len(preamble) != PREAMBLE or preamble[: len(MAGIC)] != MAGIC:
        raise WireError("not a .npy 1.0 payload")
    (length,) = struct.unpack("<H", preamble[len(MAGIC):])
    if length > MAX_HEADER:
        raise WireError(f".npy header of {length} bytes is too long")
    return length


def parse_npy_header(header: bytes) -> tuple[str, tuple[int, ...], int]:
    """(descr, shape, data byte count) of a header from ``npy_header``; anything else is a WireError."""
    match = _HEADER.match(header.decode("latin-1"))
    if match is None:
        raise WireError("unexpected .npy header (only float32, float64, bool and int64 C arrays cross)")
    shape = tuple(int(n) for n in match["shape"].replace(",", " ").split())
    if len(shape) > MAX_NDIM:
        raise WireError(f"{len(shape)} dimensions is too many")
    count = 1
    for n in shape:
        count *= n
    return match["descr"], shape, count * DTYPES[match["descr"]][1]


def frame(envelope: bytes, payloads: list, at_once: int) -> tuple[list, int]:
    """The parts of one frame and its byte count; payloads are (descr, shape, data bytes) triples.

    A frame of at most `at_once` bytes is joined into one part (one write); a larger one stays in
    parts, so the array data is written from its own buffer without a copy.
    """
    parts: list = [FRAME.pack(len(envelope), len(payloads)), envelope]
    for descr, shape, data in payloads:
        header = npy_header(descr, shape)
        parts += [PAYLOAD.pack(len(header) + len(data)), header, data]
    total = sum(len(part) for part in parts)
    return ([b"".join(parts)] if total <= at_once else parts), total
