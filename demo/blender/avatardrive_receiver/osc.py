"""OSC 1.0 datagrams → messages: a small, strict, self-contained parser (no bpy, no python-osc).

Blender runs its own Python, so the add-on cannot rely on python-osc being installed. This parser
reads what python-osc's builders write, and rejects everything that is not exactly one
well-formed OSC packet:

- the datagram is a non-empty multiple of 4 bytes;
- every string is UTF-8, NUL-terminated and NUL-padded to a multiple of 4;
- an address starts with ``/``; a type tag string starts with ``,`` (a message may omit it and
  then has no arguments);
- a message ends exactly where its arguments end;
- a bundle is ``#bundle\\0``, an 8-byte timetag and elements, each a positive multiple of 4 bytes
  prefixed by its int32 size that fits inside the bundle; bundles nest at most ``max_depth`` deep.

A malformed datagram gives ``None``; nothing is ever raised. A message carrying a type tag this
parser does not know (OSC 1.1 arrays ``[ ]`` included) is well-formed as far as the bundle is
concerned but its arguments cannot be decoded: it is returned with ``args=None`` so that receivers
skip it, and its bundle siblings are kept.

Supported type tags: ``i`` ``h`` ``t`` ``c`` ``r`` (ints), ``f`` ``d`` (floats), ``s`` ``S``
(strings), ``b`` (blob → bytes), ``m`` (MIDI → 4 bytes), ``T`` ``F`` ``N`` ``I`` (no data).

Written for Python 3.9+ (Blender 3.0 and later).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import NamedTuple

__all__ = [
    "BUNDLE_TAG",
    "MAX_DEPTH",
    "OscBundle",
    "OscMessage",
    "iter_messages",
    "parse_packet",
]

BUNDLE_TAG = b"#bundle\x00"
MAX_DEPTH = 8
"""Deepest bundle nesting accepted by default; a top-level bundle is depth 1."""

_INT32 = struct.Struct(">i")
_UINT32 = struct.Struct(">I")
_INT64 = struct.Struct(">q")
_UINT64 = struct.Struct(">Q")
_FLOAT32 = struct.Struct(">f")
_FLOAT64 = struct.Struct(">d")
_FIXED = {  # type tag -> (size, struct)
    "i": (4, _INT32),
    "c": (4, _UINT32),
    "r": (4, _UINT32),
    "f": (4, _FLOAT32),
    "h": (8, _INT64),
    "t": (8, _UINT64),
    "d": (8, _FLOAT64),
}
_CONSTANT = {"T": True, "F": False, "N": None, "I": float("inf")}


class _MalformedError(Exception):
    """Internal: the datagram is not well-formed OSC."""


class _UnknownTagError(Exception):
    """Internal: a type tag whose size is unknown; the message's arguments cannot be read."""


class OscMessage(NamedTuple):
    """A decoded message: address, type tags (without the comma) and arguments.

    ``args`` is ``None`` when a type tag is unknown: the message is well-formed but cannot be
    decoded, and receivers should ignore it.
    """

    address: str
    tags: str
    args: tuple[object, ...] | None


class OscBundle(NamedTuple):
    """A decoded bundle: its 64-bit NTP timetag (1 = immediately) and its elements, in order."""

    timetag: int
    elements: tuple[OscMessage | OscBundle, ...]


def parse_packet(data: bytes, *, max_depth: int = MAX_DEPTH) -> OscMessage | OscBundle | None:
    """Decode one datagram, or return ``None`` if it is not exactly one well-formed OSC packet.

    Parameters
    ----------
    data
        The whole datagram (``bytes``, ``bytearray`` or ``memoryview``).
    max_depth
        Deepest bundle nesting accepted; a top-level bundle is depth 1.
    """
    try:
        raw = bytes(data)
        if not raw or len(raw) % 4:
            return None
        return _element(raw, 0, len(raw), max_depth)
    except (_MalformedError, struct.error, UnicodeDecodeError, ValueError, TypeError,
            RecursionError):
        return None


def iter_messages(packet: OscMessage | OscBundle | None) -> Iterator[OscMessage]:
    """Every message of a packet, depth first, in datagram order (nothing for ``None``)."""
    if packet is None:
        return
    if isinstance(packet, OscMessage):
        yield packet
        return
    for element in packet.elements:
        yield from iter_messages(element)


def _element(data: bytes, start: int, end: int, depth_left: int) -> OscMessage | OscBundle:
    if data.startswith(BUNDLE_TAG, start, end):
        if depth_left < 1:
            raise _MalformedError("bundle nested too deep")
        return _bundle(data, start, end, depth_left - 1)
    return _message(data, start, end)


def _bundle(data: bytes, start: int, end: int, depth_left: int) -> OscBundle:
    pos = start + len(BUNDLE_TAG)
    if end - pos < 8:
        raise _MalformedError("bundle ends inside its timetag")
    timetag = _UINT64.unpack_from(data, pos)[0]
    pos += 8
    elements: list[OscMessage | OscBundle] = []
    while pos < end:
        if end - pos < 4:
            raise _MalformedError("bundle ends inside an element size")
        size = _INT32.unpack_from(data, pos)[0]
        pos += 4
        if size <= 0 or size % 4 or size > end - pos:
            raise _MalformedError("element size does not fit")
        elements.append(_element(data, pos, pos + size, depth_left))
        pos += size
    return OscBundle(timetag, tuple(elements))


def _message(data: bytes, start: int, end: int) -> OscMessage:
    address, pos = _string(data, start, end)
    if not address.startswith("/"):
        raise _MalformedError("address does not start with /")
    if pos == end:  # no type tag string: an old-style message without arguments
        return OscMessage(address, "", ())
    tags, pos = _string(data, pos, end)
    if not tags.startswith(","):
        raise _MalformedError("type tags do not start with ,")
    tags = tags[1:]
    try:
        args, pos = _arguments(data, pos, end, tags)
    except _UnknownTagError:
        return OscMessage(address, tags, None)
    if pos != end:
        raise _MalformedError("message does not end where its arguments end")
    return OscMessage(address, tags, args)


def _arguments(data: bytes, pos: int, end: int, tags: str) -> tuple[tuple[object, ...], int]:
    args: list[object] = []
    for tag in tags:
        if tag in _CONSTANT:
            args.append(_CONSTANT[tag])
        elif tag in _FIXED:
            size, codec = _FIXED[tag]
            if end - pos < size:
                raise _MalformedError("message ends inside an argument")
            args.append(codec.unpack_from(data, pos)[0])
            pos += size
        elif tag in "sS":
            text, pos = _string(data, pos, end)
            args.append(text)
        elif tag == "b":
            blob, pos = _blob(data, pos, end)
            args.append(blob)
        elif tag == "m":
            if end - pos < 4:
                raise _MalformedError("message ends inside an argument")
            args.append(data[pos:pos + 4])
            pos += 4
        else:
            raise _UnknownTagError(tag)
    return tuple(args), pos


def _string(data: bytes, start: int, end: int) -> tuple[str, int]:
    nul = data.find(b"\x00", start, end)
    if nul < 0:
        raise _MalformedError("string without NUL terminator")
    stop = nul + 4 - (nul - start) % 4  # first byte after the padding
    if stop > end or data.count(b"\x00", nul, stop) != stop - nul:
        raise _MalformedError("string padding is not NUL bytes within the packet")
    return data[start:nul].decode("utf-8"), stop


def _blob(data: bytes, start: int, end: int) -> tuple[bytes, int]:
    if end - start < 4:
        raise _MalformedError("message ends inside a blob size")
    size = _INT32.unpack_from(data, start)[0]
    begin = start + 4
    stop = begin + size + (-size % 4)
    if size < 0 or stop > end or data.count(b"\x00", begin + size, stop) != stop - begin - size:
        raise _MalformedError("blob does not fit or is not NUL-padded")
    return data[begin:begin + size], stop
