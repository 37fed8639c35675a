"""OSC 1.0 bytes <-> types: small builders and a strict parser, no sockets.

Builders produce exactly the bytes python-osc's builders produce for the same content (strings
UTF-8 and NUL-padded to 4 bytes with at least one NUL, big-endian 32-bit floats, bundles with a
64-bit timetag and size-prefixed elements).

The parser is strict, for datagrams from untrusted peers: every string must be NUL-terminated,
padded with NULs and valid UTF-8, every size must fit inside the datagram, a message must end
exactly where its arguments end, and bundles may nest at most ``max_depth`` deep. Anything else
raises :class:`~avatardrive.errors.TransportError` naming the byte offset; nothing else escapes.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from avatardrive.errors import TransportError

__all__ = [
    "BUNDLE_TAG",
    "IMMEDIATE",
    "OscArg",
    "OscBundle",
    "OscMessage",
    "OscPacket",
    "iter_messages",
    "osc_bundle",
    "osc_message",
    "osc_string",
    "parse_packet",
]

OscArg = int | float | str | bytes | bool | None
"""One decoded OSC argument: i/h/t/c/r → int, f/d/I → float, s/S → str, b/m → bytes, T/F → bool,
N → None."""

BUNDLE_TAG = b"#bundle\x00"
IMMEDIATE = 1
"""The OSC timetag meaning "now" (python-osc's ``IMMEDIATELY`` writes it)."""

_SOURCE = "OSC packet"
_INT32 = struct.Struct(">i")
_UINT64 = struct.Struct(">Q")
_FIXED: dict[str, tuple[int, Callable[[bytes], OscArg]]] = {  # type tag -> (size, decoder)
    "i": (4, lambda b: _INT32.unpack(b)[0]),
    "f": (4, lambda b: struct.unpack(">f", b)[0]),
    "h": (8, lambda b: struct.unpack(">q", b)[0]),
    "t": (8, lambda b: _UINT64.unpack(b)[0]),
    "d": (8, lambda b: struct.unpack(">d", b)[0]),
    "c": (4, lambda b: struct.unpack(">I", b)[0]),
    "r": (4, lambda b: struct.unpack(">I", b)[0]),
    "m": (4, bytes),
}
_CONSTANT: dict[str, OscArg] = {"T": True, "F": False, "N": None, "I": math.inf}


@dataclass(frozen=True, slots=True)
class OscMessage:
    """A decoded OSC message: its address, type tags (without the comma) and arguments."""

    address: str
    tags: str
    args: tuple[OscArg, ...]


@dataclass(frozen=True, slots=True)
class OscBundle:
    """A decoded OSC bundle: its 64-bit NTP timetag and its elements, in order."""

    timetag: int
    elements: tuple[OscMessage | OscBundle, ...]


OscPacket = OscMessage | OscBundle


# ------------------------------------------------------------------------------------ builders


def osc_string(text: str) -> bytes:
    """UTF-8 bytes of ``text``, NUL-terminated and NUL-padded to a multiple of 4.

    Raises
    ------
    TransportError
        If ``text`` holds a NUL character (it would end the string early).
    """
    if "\x00" in text:
        raise TransportError(f"{text!r} holds a NUL character; expected none", source=_SOURCE)
    raw = text.encode("utf-8")
    return raw + b"\x00" * (4 - len(raw) % 4)


def osc_message(address: str, args: Sequence[OscArg] = ()) -> bytes:
    """Encode one message; argument types follow python-osc's ``add_arg`` inference.

    ``str`` → ``s``, ``float`` → ``f`` (32-bit), ``int`` → ``i`` (``h`` beyond 31 bits),
    ``bool`` → ``T``/``F``, ``None`` → ``N``, ``bytes`` → ``b``.
    """
    tags = ","
    body = b""
    for arg in args:
        tag, data = _encode_arg(arg)
        tags += tag
        body += data
    return osc_string(address) + osc_string(tags) + body


def osc_bundle(elements: Sequence[bytes], *, timetag: int = IMMEDIATE) -> bytes:
    """Wrap encoded messages or bundles into one bundle (size-prefixed elements)."""
    parts = [BUNDLE_TAG, _UINT64.pack(timetag)]
    for element in elements:
        parts += [_INT32.pack(len(element)), element]
    return b"".join(parts)


def _encode_arg(arg: OscArg) -> tuple[str, bytes]:
    if isinstance(arg, bool):
        return ("T" if arg else "F"), b""
    if arg is None:
        return "N", b""
    if isinstance(arg, str):
        return "s", osc_string(arg)
    if isinstance(arg, float):
        return "f", struct.pack(">f", arg)
    if isinstance(arg, int):
        if arg.bit_length() <= 31:  # python-osc's rule: -2**31 goes out as int64 too
            return "i", _INT32.pack(arg)
        return "h", struct.pack(">q", arg)
    if isinstance(arg, bytes):
        return "b", _INT32.pack(len(arg)) + arg + b"\x00" * (-len(arg) % 4)
    raise TransportError(f"argument {arg!r} has no OSC type; expected str, float, int, bool, "
                         f"bytes or None", source=_SOURCE)


# -------------------------------------------------------------------------------------- parser


def parse_packet(data: bytes, *, max_depth: int = 4) -> OscPacket:
    """Decode one datagram into a message or a bundle, strictly.

    Parameters
    ----------
    data
        The whole datagram.
    max_depth
        Deepest bundle nesting accepted; a top-level bundle is depth 1.

    Raises
    ------
    TransportError
        If the datagram is not exactly one well-formed OSC packet.
    """
    return _parse_element(bytes(data), 0, len(data), max_depth)


def iter_messages(packet: OscPacket) -> Iterator[OscMessage]:
    """Every message of a packet, depth first, in datagram order."""
    if isinstance(packet, OscMessage):
        yield packet
        return
    for element in packet.elements:
        yield from iter_messages(element)


def _fail(message: str, offset: int) -> TransportError:
    return TransportError(message, source=_SOURCE, where=f"byte {offset}")


def _parse_element(data: bytes, start: int, end: int, depth_left: int) -> OscPacket:
    if data.startswith(BUNDLE_TAG, start, end):
        if depth_left < 1:
            raise _fail("bundle nested too deep; expected at most the allowed depth", start)
        return _parse_bundle(data, start, end, depth_left - 1)
    return _parse_message(data, start, end)


def _parse_bundle(data: bytes, start: int, end: int, depth_left: int) -> OscBundle:
    pos = start + len(BUNDLE_TAG)
    if end - pos < 8:
        raise _fail("bundle ends inside its timetag; expected 8 bytes", pos)
    timetag = _UINT64.unpack_from(data, pos)[0]
    pos += 8
    elements: list[OscPacket] = []
    while pos < end:
        if end - pos < 4:
            raise _fail("bundle ends inside an element size; expected 4 bytes", pos)
        size = _INT32.unpack_from(data, pos)[0]
        pos += 4
        if size <= 0 or size % 4 or size > end - pos:
            raise _fail(f"element size {size} does not fit; expected a positive multiple of 4 "
                        f"within the {end - pos} bytes left", pos - 4)
        elements.append(_parse_element(data, pos, pos + size, depth_left))
        pos += size
    return OscBundle(timetag, tuple(elements))


def _parse_message(data: bytes, start: int, end: int) -> OscMessage:
    address, pos = _read_string(data, start, end)
    if not address.startswith("/"):
        raise _fail(f"address {address[:40]!r} does not start with '/'; expected an OSC "
                    f"address or '#bundle'", start)
    if pos == end:
        raise _fail("message has no type tag string; expected ',' and tags", pos)
    tags, pos = _read_string(data, pos, end)
    if not tags.startswith(","):
        raise _fail(f"type tags {tags[:40]!r} do not start with ','; expected ',<tags>'", pos)
    args: list[OscArg] = []
    for tag in tags[1:]:
        arg, pos = _read_arg(tag, data, pos, end)
        args.append(arg)
    if pos != end:
        raise _fail(f"{end - pos} bytes follow the last argument; expected none", pos)
    return OscMessage(address, tags[1:], tuple(args))


def _read_arg(tag: str, data: bytes, pos: int, end: int) -> tuple[OscArg, int]:
    if tag in _CONSTANT:
        return _CONSTANT[tag], pos
    if tag in "sS":
        return _read_string(data, pos, end)
    if tag == "b":
        return _read_blob(data, pos, end)
    if tag not in _FIXED:
        raise _fail(f"type tag {tag!r} is not supported; expected one of ifhtdcrmsSbTFNI", pos)
    size, decode = _FIXED[tag]
    if end - pos < size:
        raise _fail(f"argument {tag!r} needs {size} bytes, {end - pos} left", pos)
    value: OscArg = decode(data[pos : pos + size])
    return value, pos + size


def _read_string(data: bytes, start: int, end: int) -> tuple[str, int]:
    nul = data.find(b"\x00", start, end)
    if nul < 0:
        raise _fail("string is not NUL-terminated within the packet", start)
    stop = nul + 4 - (nul - start) % 4
    if stop > end or data[nul:stop].strip(b"\x00"):
        raise _fail("string padding is not NUL bytes up to a multiple of 4", nul)
    try:
        return data[start:nul].decode("utf-8"), stop
    except UnicodeDecodeError:
        raise _fail("string is not valid UTF-8", start) from None


def _read_blob(data: bytes, start: int, end: int) -> tuple[bytes, int]:
    if end - start < 4:
        raise _fail("blob ends inside its size; expected 4 bytes", start)
    size = _INT32.unpack_from(data, start)[0]
    stop = start + 4 + size + (-size % 4)
    if size < 0 or stop > end:
        raise _fail(f"blob size {size} does not fit in the packet", start)
    return data[start + 4 : start + 4 + size], stop
