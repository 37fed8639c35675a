"""Tests of the monitor core: values per key, frames by Apply or bundle, rate and gaps."""

from __future__ import annotations

import random
import socket

import numpy as np
import pytest
from hostile_osc import random_datagrams
from receivers import wait_for

from avatardrive.transport import (
    Frame,
    FrameClock,
    MonitorState,
    StreamMonitor,
    UdpSink,
    VRChatEncoder,
    osc_encoder,
    vmc_encoder,
)
from avatardrive.transport._osc import osc_bundle, osc_message

NAMES = ("Joy", "Blink_L", "A")


def frame(k: int, values: list[float], names: tuple[str, ...] = NAMES) -> Frame:
    return Frame(k, k / 60, names, np.array(values, np.float32))


def test_vmc_frames_are_counted_by_apply() -> None:
    wide, narrow, encoder = MonitorState(window=1.0), MonitorState(window=0.25), vmc_encoder(NAMES)
    for k in range(120):
        now = k / 60 + (0.5 if k >= 100 else 0.0)  # a half-second hole before frame 100
        for datagram in encoder.encode(frame(k, [k / 120, 0.5, 1.0])):
            wide.feed(bytes(datagram), now)
            narrow.feed(bytes(datagram), now)
    end = 119 / 60 + 0.5
    snap = wide.snapshot(end)
    assert snap.frames == 120
    assert snap.values == {"Joy": pytest.approx(119 / 120), "Blink_L": 0.5, "A": 1.0}
    assert snap.max_gap == pytest.approx(0.5 + 1 / 60)
    assert snap.last_gap == pytest.approx(1 / 60)
    assert snap.rate == pytest.approx(30.0)  # the last second: 31 frames, the hole included
    assert narrow.snapshot(end).rate == pytest.approx(60.0)  # the last 0.25 s: no hole
    assert wide.snapshot(end + 1.5).rate == 0.0  # nothing in the last second
    assert (snap.datagrams, snap.messages, snap.malformed) == (120, 480, 0)
    assert snap.age == pytest.approx(0.0)


def test_generic_bundles_are_frames_and_keys_are_addresses() -> None:
    state, encoder = MonitorState(), osc_encoder(("jawOpen",), channels=("AU26_L",))
    for k in range(3):
        f = Frame(k, k / 30, ("jawOpen",), np.full(1, 0.25, np.float32), ("AU26_L",),
                  np.full(1, 0.75, np.float32))
        (datagram,) = encoder.encode(f)
        state.feed(bytes(datagram), k / 30)
    snap = state.snapshot(2 / 30)
    assert snap.frames == 3
    assert snap.rate == pytest.approx(30.0)
    assert snap.values == {"/avatardrive/jawOpen": 0.25, "/avatardrive/au/AU26_L": 0.75}


def test_vrchat_plain_messages_update_values_without_frames() -> None:
    state, encoder = MonitorState(), VRChatEncoder(("JawOpen",))
    for datagram in encoder.encode(frame(0, [1.0], ("JawOpen",))):
        state.feed(bytes(datagram), 0.0)
    snap = state.snapshot(0.0)
    assert (snap.frames, snap.messages, snap.rate) == (0, 1, 0.0)
    assert snap.values == {"/avatar/parameters/FT/v2/JawOpen": 1.0}


def test_malformed_datagrams_and_key_flooding_are_bounded() -> None:
    state = MonitorState(max_keys=10)
    state.feed(b"garbage", 0.0)
    state.feed(osc_bundle([osc_message(f"/flood/{k}", [1.0]) for k in range(50)]), 0.0)
    state.feed(osc_message("/flood/3", [True]), 0.0)
    state.feed(osc_message("/text", ["no number"]), 0.0)
    snap = state.snapshot(1.0)
    assert snap.malformed == 1
    assert len(snap.values) == 10
    assert snap.dropped_keys == 40
    assert snap.values["/flood/3"] == 1.0
    assert snap.age == pytest.approx(1.0)


def test_snapshot_values_are_a_frozen_copy() -> None:
    state = MonitorState()
    state.feed(osc_message("/a", [0.5]), 0.0)
    snap = state.snapshot(0.0)
    state.feed(osc_message("/a", [0.25]), 0.1)
    assert snap.values["/a"] == 0.5
    with pytest.raises(TypeError):
        snap.values["/a"] = 1.0  # type: ignore[index]


def test_stream_monitor_receives_a_live_vmc_stream() -> None:
    with StreamMonitor() as monitor:
        host, port = monitor.address
        assert host == "127.0.0.1"
        with UdpSink(f"vmc://127.0.0.1:{port}") as sink:
            last = -1
            for tick in FrameClock(60.0).ticks(frames=30):
                sink.send(frame(tick.index, [tick.index / 29, 0.0, 1.0]))
                last = tick.index
            sent = sink.stats.datagrams  # 30 unless a loaded machine made the clock skip
        assert wait_for(lambda: monitor.snapshot().frames == sent)
        snap = monitor.snapshot()
    assert sent >= 20
    assert snap.values == {"Joy": pytest.approx(last / 29), "Blink_L": 0.0, "A": 1.0}
    assert 20.0 < snap.rate < 200.0  # about 60 Hz; loose on a loaded machine
    assert snap.max_gap < 1.0


def test_a_hundred_thousand_random_datagrams_are_counted() -> None:
    state = MonitorState(max_keys=64)
    datagrams = random_datagrams(random.Random(4096), 100_000)
    for k, data in enumerate(datagrams):
        state.feed(data, k * 1e-3)
    snap = state.snapshot(100.0)
    assert snap.datagrams == 100_000
    assert 50_000 < snap.malformed < 100_000
    assert len(snap.values) <= 64
    assert all(np.isfinite(v) or np.isinf(v) for v in snap.values.values())


def test_stream_monitor_survives_the_fuzz_corpus_over_udp() -> None:
    datagrams = random_datagrams(random.Random(39539), 5_000, max_size=1200)
    with StreamMonitor() as monitor, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for start in range(0, len(datagrams), 100):  # in batches, so no buffer overflows
            for data in datagrams[start : start + 100]:
                sender.sendto(data, monitor.address)
            expected = min(start + 100, len(datagrams))
            assert wait_for(lambda: monitor.snapshot().datagrams >= expected)  # noqa: B023
        sender.sendto(osc_message("/VMC/Ext/Blend/Val", ["Joy", 0.5]), monitor.address)
        assert wait_for(lambda: monitor.snapshot().values.get("Joy") == 0.5)
        snap = monitor.snapshot()
    assert snap.datagrams == 5_001
    assert snap.malformed > 2_500
