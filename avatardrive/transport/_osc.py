"""OSC 1.0 bytes <-> types: small builders; python-osc, behind a thin wrapper, parses. No sockets.

Builders produce exactly the bytes python-osc's builders produce for the same content (strings
UTF-8 and NUL-padded to 4 bytes with at least one NUL, big-endian 32-bit floats, bundles with a
64-bit timetag and size-prefixed elements).

The builders are hand-written because they are the hot path (``benchmarks/bench_transport.py``:
about 200 times python-osc's builders, byte for byte the same); python-osc stays their reference
in the tests.

Parsing, for datagrams from untrusted peers, is python-osc's: :func:`parse_packet` is a thin
wrapper that checks the bundle framing, and turns anything python-osc raises into one
:class:`~avatardrive.errors.TransportError` naming the byte offset; nothing else escapes.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pythonosc import osc_message as pythonosc_message

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
"""One decoded OSC argument: i/h/r → int, f/d → float, s → str, b/m → bytes, T/F → bool,
N → None."""

BUNDLE_TAG = b"#bundle\x00"
IMMEDIATE = 1
"""The OSC timetag meaning "now" (python-osc's ``IMMEDIATELY`` writes it)."""

_SOURCE = "OSC packet"
_INT32 = struct.Struct(">i")
_UINT64 = struct.Struct(">Q")
_TAGS = "ifhdsbrmTFN"
"""Type tags accepted: those python-osc 1.10 decodes, less arrays and timetags (no use here)."""


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
    """Decode one datagram into a message or a bundle; python-osc decodes every message.

    The wrapper around python-osc does three things python-osc does not: it walks the bundle
    framing itself (sizes inside the datagram, nesting at most ``max_depth`` deep, each element a
    message or a bundle — python-osc recurses without a limit, copies the rest of the datagram at
    each level and skips unknown elements with a warning on the root logger), it refuses type
    tags python-osc would skip with a warning and misread the rest after (anything outside
    ``ifhdsbrmTFN``), and it turns whatever python-osc raises (its ``ParseError``, and also
    ``UnicodeDecodeError``, ``IndexError``, ``struct.error``...) into one
    :class:`~avatardrive.errors.TransportError`. Like python-osc, it accepts a message without a
    type tag string (OSC 1.0's old form: no arguments), string padding that is not NUL and bytes
    after the last argument.

    Parameters
    ----------
    data
        The whole datagram.
    max_depth
        Deepest bundle nesting accepted; a top-level bundle is depth 1.

    Raises
    ------
    TransportError
        If the datagram is not one OSC packet python-osc can read; nothing else escapes.
    """
    data = bytes(data)
    return _parse_element(data, 0, len(data), max_depth)


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
    if not data.startswith(b"/", start, end):
        raise _fail(f"{data[start:start + 12]!r} starts neither a message nor a bundle; "
                    f"expected an address starting with '/' or '#bundle'", start)
    return _parse_message(data[start:end], start)


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


def _parse_message(chunk: bytes, offset: int) -> OscMessage:
    """One message (``chunk`` starts with '/') decoded by python-osc; ``offset`` for errors."""
    try:
        tags = _type_tags(chunk)
        parsed = pythonosc_message.OscMessage(chunk)
        args = tuple(_argument(tag, value) for tag, value in zip(tags, parsed.params, strict=True))
        return OscMessage(parsed.address, tags, args)
    except TransportError as exc:
        raise _fail(exc.message, offset) from None
    except Exception as exc:  # python-osc's ParseError and whatever else a hostile datagram finds
        raise _fail(f"python-osc cannot read the message ({type(exc).__name__}: "
                    f"{str(exc)[:80]}); expected a well-formed OSC message", offset) from None


def _type_tags(chunk: bytes) -> str:
    """The type tags (without the comma), checked before python-osc reads the arguments."""
    tags_start = _padded_end(chunk, 0)
    if tags_start >= len(chunk):
        return ""  # no type tag string: a message without arguments
    tags = chunk[tags_start : _padded_end(chunk, tags_start)].rstrip(b"\x00")
    if not tags.startswith(b","):
        raise TransportError(f"type tags {tags[:40]!r} do not start with ','; expected ',<tags>'")
    unsupported = set(tags[1:].decode("latin-1")) - set(_TAGS)
    if unsupported:
        raise TransportError(f"type tag {min(unsupported)!r} is not supported; expected only "
                             f"{_TAGS}")
    return tags[1:].decode("ascii")


def _padded_end(chunk: bytes, start: int) -> int:
    """Where the NUL-padded string at ``start`` ends (python-osc then checks it fits)."""
    nul = chunk.find(b"\x00", start)
    return len(chunk) + 1 if nul < 0 else nul + 4 - (nul - start) % 4


def _argument(tag: str, value: object) -> OscArg:
    """python-osc's value for ``tag`` as an :data:`OscArg` (MIDI's 4-tuple becomes 4 bytes)."""
    if tag == "m" and isinstance(value, tuple):
        return bytes(value)
    if value is None or isinstance(value, int | float | str | bytes):
        return value
    raise TransportError(f"python-osc gave {type(value).__name__} for type tag {tag!r}; expected "
                         f"a number, string, bytes, bool or None")
