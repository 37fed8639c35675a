"""Tests of avatardrive.transport._osc: builders match python-osc byte for byte; the parser is
python-osc behind a wrapper that lets nothing but TransportError out."""

from __future__ import annotations

import contextlib
import logging
import random
import struct
import subprocess
import sys

import pytest
from hostile_osc import random_datagrams
from hypothesis import given, settings
from hypothesis import strategies as st
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_packet import OscPacket as PyOscPacket

from avatardrive.errors import TransportError
from avatardrive.transport import OscBundle, OscMessage, iter_messages, parse_packet
from avatardrive.transport._osc import osc_bundle, osc_message, osc_string

# Strings python-osc can carry: no NUL, any other unicode.
texts = st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]),
                max_size=20)
addresses = texts.map(lambda s: "/" + s)
float32s = st.floats(width=32, allow_nan=False)
args = st.one_of(texts, float32s, st.integers(-(2**31), 2**31 - 1), st.booleans(), st.none())


def python_osc_message(address: str, values: list[object]) -> bytes:
    builder = OscMessageBuilder(address)
    for value in values:
        if isinstance(value, float):
            builder.add_arg(value, "f")
        else:
            builder.add_arg(value)  # type: ignore[arg-type]
    return bytes(builder.build().dgram)


# ------------------------------------------------------------------------------------ builders


@pytest.mark.parametrize(("text", "encoded"), [
    ("", b"\x00\x00\x00\x00"),
    ("abc", b"abc\x00"),
    ("abcd", b"abcd\x00\x00\x00\x00"),
    ("é", b"\xc3\xa9\x00\x00"),
])
def test_osc_string_pads_with_at_least_one_nul(text: str, encoded: bytes) -> None:
    assert osc_string(text) == encoded


def test_osc_string_rejects_nul() -> None:
    with pytest.raises(TransportError, match=r"NUL character"):
        osc_string("a\x00b")


def test_golden_bytes_of_a_tiny_message() -> None:
    assert osc_message("/a", ["b", 1.0]) == b"/a\x00\x00,sf\x00b\x00\x00\x00\x3f\x80\x00\x00"


@given(addresses, st.lists(args, max_size=6))
@settings(max_examples=200, deadline=None)
def test_messages_match_python_osc(address: str, values: list[object]) -> None:
    assert osc_message(address, values) == python_osc_message(address, values)  # type: ignore[arg-type]


def test_bundles_match_python_osc_and_nest() -> None:
    inner = OscBundleBuilder(IMMEDIATELY)
    inner.add_content(OscMessageBuilder("/x").build())
    outer = OscBundleBuilder(IMMEDIATELY)
    first = OscMessageBuilder("/a")
    first.add_arg(0.5, "f")
    outer.add_content(first.build())
    outer.add_content(inner.build())
    ours = osc_bundle([osc_message("/a", [0.5]), osc_bundle([osc_message("/x")])])
    assert ours == outer.build().dgram


# -------------------------------------------------------------------------------------- parser


@given(addresses, st.lists(args, max_size=6))
@settings(max_examples=200, deadline=None)
def test_parser_reads_what_python_osc_builds(address: str, values: list[object]) -> None:
    message = parse_packet(python_osc_message(address, values))
    assert isinstance(message, OscMessage)
    assert message.address == address
    assert list(message.args) == values


def test_parser_reads_every_supported_type() -> None:
    data = (osc_string("/t") + osc_string(",ifhdsbrmTFN")
            + struct.pack(">ifqd", 7, 0.25, -(2**40), 1.5) + osc_string("s")
            + struct.pack(">i", 3) + b"abc\x00" + struct.pack(">I", 0xFF0000FF)
            + b"\x01\x90\x3c\x7f")
    message = parse_packet(data)
    assert isinstance(message, OscMessage)
    assert message.tags == "ifhdsbrmTFN"
    assert message.args == (7, 0.25, -(2**40), 1.5, "s", b"abc", 0xFF0000FF, b"\x01\x90\x3c\x7f",
                            True, False, None)


def test_like_python_osc_old_style_and_trailing_bytes_are_accepted() -> None:
    assert parse_packet(b"/a\x00\x00") == OscMessage("/a", "", ())  # OSC 1.0: no type tags
    assert parse_packet(osc_message("/a", [0.5]) + bytes(8)) == OscMessage("/a", "f", (0.5,))
    short_float = osc_message("/a", [0.5])[:-2]  # python-osc pads it (Reaktor sends these)
    assert parse_packet(short_float) == OscMessage("/a", "f", (0.5,))


def test_bundles_flatten_in_order() -> None:
    data = osc_bundle([osc_message("/a"), osc_bundle([osc_message("/b"), osc_message("/c")])])
    packet = parse_packet(data)
    assert isinstance(packet, OscBundle)
    assert packet.timetag == 1
    assert [m.address for m in iter_messages(packet)] == ["/a", "/b", "/c"]


def nested(depth: int) -> bytes:
    data = osc_message("/deep")
    for _ in range(depth):
        data = osc_bundle([data])
    return data


def test_nesting_depth_is_limited() -> None:
    assert isinstance(parse_packet(nested(4), max_depth=4), OscBundle)
    with pytest.raises(TransportError, match=r"nested too deep"):
        parse_packet(nested(5), max_depth=4)


GOOD = osc_message("/avatardrive/au", ["AU12_L", 0.5, 1.0])
BAD_UTF8 = b"/\xff\x00\x00,\x00\x00\x00"
UNKNOWN_TAG = b"/a\x00\x00,Sf\x00s\x00\x00\x00" + struct.pack(">f", 0.5)


@pytest.mark.parametrize(("data", "pattern"), [
    (b"", r"starts neither a message nor a bundle"),
    (b"avatardrive\x00", r"starts neither a message nor a bundle"),
    (b"/a\x00\x00sf\x00\x00", r"do not start with ','"),
    (b"/a\x00\x00,i\x00\x00\x00\x00", r"python-osc cannot read the message \(ParseError"),
    (b"/a\x00\x00,s\x00\x00abc", r"python-osc cannot read the message \(ParseError"),
    (BAD_UTF8, r"python-osc cannot read the message \(UnicodeDecodeError"),
    (b"/a\x00\x00,[f]\x00" + bytes(4), r"type tag '\[' is not supported"),
    (b"/a\x00\x00,I\x00\x00", r"type tag 'I' is not supported"),
    (UNKNOWN_TAG, r"type tag 'S' is not supported"),
    (b"/a\x00\x00,b\x00\x00\x00\x00\x00\x09abc\x00", r"python-osc cannot read"),
    (b"#bundle\x00\x00\x00\x00", r"inside its timetag"),
    (b"#bundle\x00" + bytes(8) + b"\x00\x00", r"inside an element size"),
    (b"#bundle\x00" + bytes(8) + b"\x00\x00\x00\x06/a\x00\x00,\x00", r"element size 6"),
    (b"#bundle\x00" + bytes(8) + b"\x00\x00\x01\x00" + GOOD, r"element size 256"),
    (b"#bundle\x00" + bytes(8) + b"\x00\x00\x00\x04abcd", r"starts neither a message"),
    (osc_message("/a", [7, "x"])[:-1], r"python-osc cannot read"),
])
def test_malformed_packets_raise_located_errors(data: bytes, pattern: str) -> None:
    with pytest.raises(TransportError, match=r"^OSC packet: byte \d+: .*" + pattern):
        parse_packet(data)


# Datagrams on which python-osc 1.10.2 alone misbehaves; the wrapper turns each into a
# TransportError.
def test_python_osc_alone_lets_a_unicode_error_escape() -> None:
    with pytest.raises(UnicodeDecodeError):
        PyOscPacket(BAD_UTF8)


def test_python_osc_alone_skips_unknown_tags_and_misreads_the_rest(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        (_, message), = PyOscPacket(UNKNOWN_TAG).messages
    assert message.params != ["s", 0.5]  # 's' was skipped: the string is read as the float
    assert "Unhandled parameter type" in caplog.text


def test_python_osc_alone_recurses_without_limit() -> None:
    with pytest.raises(RecursionError):
        PyOscPacket(nested(3000))
    with pytest.raises(TransportError, match=r"nested too deep"):
        parse_packet(nested(3000), max_depth=4)


def test_python_osc_alone_loops_forever_on_a_negative_element_size() -> None:
    data = b"#bundle\x00" + bytes(8) + struct.pack(">i", -8) + osc_message("/a")
    script = ("import logging, sys; logging.disable(logging.CRITICAL); "
              "from pythonosc.osc_packet import OscPacket; OscPacket(sys.stdin.buffer.read())")
    with pytest.raises(subprocess.TimeoutExpired):
        subprocess.run([sys.executable, "-c", script], input=data, timeout=2, check=False)
    with pytest.raises(TransportError, match=r"byte 16: element size -8 does not fit"):
        parse_packet(data)


def test_a_hundred_thousand_hostile_datagrams_raise_nothing_but_transport_errors() -> None:
    parsed = 0
    for data in random_datagrams(random.Random(17), 100_000):
        with contextlib.suppress(TransportError):
            parsed += isinstance(parse_packet(data), OscMessage | OscBundle)
    assert 5_000 < parsed < 95_000  # both outcomes are exercised


@given(st.binary(max_size=200))
@settings(max_examples=500, deadline=None)
def test_random_bytes_parse_or_raise_transport_error(data: bytes) -> None:
    with contextlib.suppress(TransportError):
        parse_packet(data)


@given(st.data())
@settings(max_examples=500, deadline=None)
def test_mutated_packets_parse_or_raise_transport_error(data: st.DataObject) -> None:
    packet = bytearray(osc_bundle([GOOD, osc_bundle([osc_message("/b", ["x", 2, 0.5])])]))
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(packet) - 1))
        packet[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(packet)))
    with contextlib.suppress(TransportError):
        parse_packet(bytes(packet[:cut]))
