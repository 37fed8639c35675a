"""Tests of control input: typed commands from python-osc, and hostile datagrams survived."""

from __future__ import annotations

import logging
import random
import socket
from collections.abc import Iterator

import pytest
from hostile_osc import random_datagrams
from hypothesis import given, settings
from hypothesis import strategies as st
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.udp_client import SimpleUDPClient
from receivers import wait_for

from avatardrive.errors import TransportError
from avatardrive.transport import (
    Calibrate,
    ControlCommand,
    ControlListener,
    Neutral,
    OscMessage,
    SetMood,
    TriggerAU,
    TriggerEmotion,
    parse_command,
)
from avatardrive.transport._osc import osc_bundle, osc_message

LOGGER = "avatardrive.transport"


def collect(listener: ControlListener, count: int) -> list[ControlCommand]:
    commands: list[ControlCommand] = []

    def enough() -> bool:
        commands.extend(listener.poll())
        return len(commands) >= count

    assert wait_for(enough)
    return commands


@pytest.fixture
def listener() -> Iterator[ControlListener]:
    with ControlListener() as running:
        yield running


@pytest.fixture
def client(listener: ControlListener) -> Iterator[SimpleUDPClient]:
    sender = SimpleUDPClient(*listener.address)
    try:
        yield sender
    finally:
        sender.close()


# ------------------------------------------------------------------------------ valid commands


def test_listens_on_loopback_by_default(listener: ControlListener) -> None:
    host, port = listener.address
    assert host == "127.0.0.1"
    assert port > 0
    assert listener.running


def test_commands_from_python_osc_arrive_typed(listener: ControlListener,
                                               client: SimpleUDPClient) -> None:
    client.send_message("/avatardrive/emotion", ["happiness", 0.75])
    client.send_message("/avatardrive/emotion", ["surprise", 1, 0.25, 0.5, 1.0])
    client.send_message("/avatardrive/micro", ["contempt", 0.5])
    client.send_message("/avatardrive/au", ["AU12_L", 0.5, 2])
    client.send_message("/avatardrive/neutral", [])
    client.send_message("/avatardrive/calibrate", [])
    client.send_message("/avatardrive/mood", [0.5, -0.25])
    client.send_message("/avatardrive/mood", [-1, 1, 2.5])
    assert collect(listener, 8) == [
        TriggerEmotion("happiness", 0.75),
        TriggerEmotion("surprise", 1.0, onset=0.25, apex=0.5, offset=1.0),
        TriggerEmotion("contempt", 0.5, micro=True),
        TriggerAU("AU12_L", 0.5, 2.0),
        Neutral(),
        Calibrate(),
        SetMood(0.5, -0.25),
        SetMood(-1.0, 1.0, ease=2.5),
    ]
    stats = listener.stats
    assert (stats.received, stats.accepted, stats.malformed, stats.unknown_address,
            stats.dropped) == (8, 8, 0, 0, 0)


def test_commands_inside_bundles_arrive_in_order(listener: ControlListener,
                                                 client: SimpleUDPClient) -> None:
    bundle = OscBundleBuilder(IMMEDIATELY)
    for name in ("joy", "anger"):
        message = OscMessageBuilder("/avatardrive/emotion")
        message.add_arg(name)
        message.add_arg(0.5, "f")
        bundle.add_content(message.build())
    bundle.add_content(OscMessageBuilder("/avatardrive/neutral").build())
    client.send(bundle.build())
    assert collect(listener, 3) == [TriggerEmotion("joy", 0.5), TriggerEmotion("anger", 0.5),
                                    Neutral()]


# -------------------------------------------------------------------------- argument checking


def command(address: str, *args: object) -> ControlCommand | None:
    return parse_command(OscMessage(address, "", tuple(args)))  # type: ignore[arg-type]


@pytest.mark.parametrize(("address", "args", "pattern"), [
    ("/avatardrive/emotion", ("joy",), r"has 1 arguments; expected 2 to 5"),
    ("/avatardrive/emotion", ("joy", 1.5), r"argument 2: is 1.5; expected a number in \[0, 1\]"),
    ("/avatardrive/emotion", ("joy", float("nan")), r"argument 2: is nan"),
    ("/avatardrive/emotion", ("joy", True), r"argument 2: is True; expected a number"),
    ("/avatardrive/emotion", ("joy", "0.5"), r"argument 2: is '0.5'; expected a number"),
    ("/avatardrive/emotion", ("joy", 0.5, 0.0), r"argument 3: is 0.0; expected a number in "
                                                r"\(0, 60\]"),
    ("/avatardrive/emotion", ("joy", 0.5, 1.0, -1.0), r"argument 4: is -1.0; .* \[0, 60\]"),
    ("/avatardrive/emotion", ("", 0.5), r"argument 1: is ''; expected a printable name"),
    ("/avatardrive/emotion", ("x" * 65, 0.5), r"argument 1: is 'xxx.*\.\.\.; expected"),
    ("/avatardrive/emotion", ("a\nb", 0.5), r"argument 1: is 'a\\nb'"),
    ("/avatardrive/emotion", (7, 0.5), r"argument 1: is 7; expected a printable name"),
    ("/avatardrive/micro", ("joy", 0.5, 1.0), r"has 3 arguments; expected 2$"),
    ("/avatardrive/au", ("AU12", 0.5, 61.0), r"argument 3: is 61.0; expected .* \(0, 60\]"),
    ("/avatardrive/au", ("AU12", 0.5, float("inf")), r"argument 3: is inf"),
    ("/avatardrive/neutral", (1,), r"has 1 arguments; expected 0$"),
    ("/avatardrive/mood", (0.5,), r"has 1 arguments; expected 2 to 3$"),
    ("/avatardrive/mood", (1.5, 0.0), r"argument 1: is 1.5; expected a number in \[-1, 1\]"),
    ("/avatardrive/mood", (0.0, -1.01), r"argument 2: is -1.01; expected a number in \[-1, 1\]"),
    ("/avatardrive/mood", (0.0, float("nan")), r"argument 2: is nan"),
    ("/avatardrive/mood", ("calm", 0.0), r"argument 1: is 'calm'; expected a number"),
    ("/avatardrive/mood", (0.0, 0.0, 0.0), r"argument 3: is 0.0; expected .* \(0, 60\]"),
])
def test_bad_arguments_raise_located_errors(address: str, args: tuple[object, ...],
                                            pattern: str) -> None:
    with pytest.raises(TransportError, match=f"^{address}: " + r".*" + pattern):
        command(address, *args)


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, width=32),
       st.floats(allow_nan=False, allow_infinity=False, width=32))
def test_mood_accepts_exactly_the_unit_square(valence: float, arousal: float) -> None:
    inside = -1.0 <= valence <= 1.0 and -1.0 <= arousal <= 1.0
    if inside:
        assert command("/avatardrive/mood", valence, arousal) == SetMood(valence, arousal)
    else:
        with pytest.raises(TransportError, match=r"expected a number in \[-1, 1\]"):
            command("/avatardrive/mood", valence, arousal)


def test_unknown_addresses_are_not_commands() -> None:
    for address in ("/avatardrive", "/avatardrive/", "/avatardrive/explode", "/other/emotion",
                    "/avatardrive/emotion/x", "/x/avatardrive/neutral"):
        assert command(address) is None
    assert command("/show/neutral") is None
    assert parse_command(OscMessage("/show/neutral", "", ()), prefix="/show") == Neutral()


def test_bad_commands_are_counted_and_warned_once(caplog: pytest.LogCaptureFixture,
                                                  listener: ControlListener,
                                                  client: SimpleUDPClient) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        for _ in range(20):
            client.send_message("/avatardrive/emotion", ["joy", 3.0])
            client.send_message("/somewhere/else", [1])
        client.send_message("/avatardrive/neutral", [])
        assert collect(listener, 1) == [Neutral()]
        assert wait_for(lambda: listener.stats.received == 41)
    stats = listener.stats
    assert (stats.accepted, stats.malformed, stats.unknown_address) == (1, 20, 20)
    messages = [r.getMessage() for r in caplog.records]
    assert len([m for m in messages if "is 3.0; expected a number in [0, 1]" in m]) == 1
    assert len([m for m in messages if "unknown address '/somewhere/else'" in m]) == 1


def test_the_queue_is_bounded_and_counts_drops() -> None:
    with ControlListener(queue_size=8) as small:
        sender = SimpleUDPClient(*small.address)
        for k in range(50):
            sender.send_message("/avatardrive/au", ["AU1", 0.5, 0.1 + k])
        sender.close()
        assert wait_for(lambda: small.stats.received == 50)
        assert (small.stats.accepted, small.stats.dropped) == (8, 42)
        assert [c.duration for c in small.poll()] == [  # type: ignore[union-attr]
            pytest.approx(0.1 + k) for k in range(8)]
        assert small.poll() == []


def test_a_poll_hands_over_at_most_poll_limit_commands_oldest_first() -> None:
    with ControlListener(queue_size=64, poll_limit=5) as listener:
        sender = SimpleUDPClient(*listener.address)
        for k in range(12):
            sender.send_message("/avatardrive/au", ["AU1", 0.5, 1.0 + k])
        sender.close()
        assert wait_for(lambda: listener.stats.accepted == 12)
        batches = [[c.duration for c in listener.poll()] for _ in range(4)]  # type: ignore[union-attr]
    assert batches == [[1.0, 2.0, 3.0, 4.0, 5.0], [6.0, 7.0, 8.0, 9.0, 10.0], [11.0, 12.0], []]


def test_binding_a_busy_port_is_a_clear_error() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        with pytest.raises(TransportError, match=rf"control listener: 127.0.0.1:{port}: cannot "
                                                 r"listen .*; expected a free UDP port"):
            ControlListener(port)


# ------------------------------------------------------------------------------------- hostile


def deep(depth: int) -> bytes:
    data = osc_message("/avatardrive/neutral")
    for _ in range(depth):
        data = osc_bundle([data])
    return data


def hostile_datagrams(rng: random.Random, count: int) -> list[bytes]:
    valid = [osc_message("/avatardrive/emotion", ["joy", 0.5]),
             osc_message("/avatardrive/au", ["AU12_L", 0.5, 1.0]),
             osc_bundle([osc_message("/avatardrive/micro", ["fear", 0.3]),
                         osc_message("/avatardrive/neutral")])]
    made: list[bytes] = []
    for _ in range(count):
        kind = rng.randrange(6)
        base = bytearray(rng.choice(valid))
        if kind == 0:
            made.append(rng.randbytes(rng.randrange(0, 300)))
        elif kind == 1:
            made.append(bytes(base[: rng.randrange(0, len(base))]))
        elif kind == 2:
            for _ in range(rng.randrange(1, 4)):
                base[rng.randrange(len(base))] = rng.randrange(256)
            made.append(bytes(base))
        elif kind == 3:
            made.append(deep(rng.randrange(5, 12)))
        elif kind == 4:
            made.append(rng.randbytes(2000))  # above the listener's 1024-byte limit
        else:
            made.append(bytes(base) + rng.randbytes(rng.randrange(1, 9)))
    return made


def test_fuzzed_datagrams_are_counted_and_survived(caplog: pytest.LogCaptureFixture) -> None:
    rng = random.Random(20240604)
    datagrams = hostile_datagrams(rng, 600)
    with caplog.at_level(logging.WARNING, logger=LOGGER), \
            ControlListener(max_datagram=1024, queue_size=32) as listener, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for start in range(0, len(datagrams), 50):  # in batches, so no buffer overflows
            for data in datagrams[start : start + 50]:
                sender.sendto(data, listener.address)
            expected = min(start + 50, len(datagrams))
            assert wait_for(lambda: listener.stats.received >= expected)  # noqa: B023
            listener.poll()
        sender.sendto(osc_message("/avatardrive/calibrate"), listener.address)
        assert wait_for(lambda: Calibrate() in listener.poll())
        assert listener.running
        stats = listener.stats
    assert stats.received == 601
    assert stats.malformed >= 400  # most mutations break the packet
    assert stats.accepted + stats.dropped >= 1
    kinds = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(kinds) <= 12  # one warning per kind of problem, not per packet
    assert not [r for r in caplog.records if "handling a datagram" in r.getMessage()]


def test_a_hundred_thousand_random_datagrams_over_udp(caplog: pytest.LogCaptureFixture) -> None:
    datagrams = random_datagrams(random.Random(100_000), 100_000, max_size=1200)
    with caplog.at_level(logging.WARNING, logger=LOGGER), \
            ControlListener(max_datagram=1024, queue_size=64) as listener, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for start in range(0, len(datagrams), 100):  # in batches, so no buffer overflows
            for data in datagrams[start : start + 100]:
                sender.sendto(data, listener.address)
            expected = min(start + 100, len(datagrams))
            assert wait_for(lambda: listener.stats.received >= expected)  # noqa: B023
            listener.poll()
        sender.sendto(osc_message("/avatardrive/calibrate"), listener.address)
        assert wait_for(lambda: Calibrate() in listener.poll())
        assert listener.running
        stats = listener.stats
    assert stats.received == 100_001
    assert stats.malformed > 50_000
    assert stats.accepted + stats.dropped + stats.unknown_address > 1_000
    assert not [r for r in caplog.records if "handling a datagram" in r.getMessage()]
    assert len(caplog.records) <= 40  # one warning per kind of problem, not per packet


def test_bad_listener_options_are_refused() -> None:
    with pytest.raises(ValueError, match=r"queue_size=0.*expected at least 1"):
        ControlListener(queue_size=0)
