"""Tests of the sinks: memory, Live Link CSV, NPZ recorder, and UDP to real receivers."""

from __future__ import annotations

import contextlib
import csv
import logging
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from receivers import free_port, osc_receiver, wait_for

from avatardrive.errors import ParameterError, TransportError
from avatardrive.transport import (
    LIVE_LINK_COLUMNS,
    LIVE_LINK_SHAPES,
    Frame,
    LiveLinkCsvSink,
    MemorySink,
    NpzRecorder,
    Sink,
    UdpSink,
    livelink_timecode,
    open_sink,
    parse_destination,
    read_recording,
)

ARKIT = tuple(name[0].lower() + name[1:] for name in LIVE_LINK_SHAPES)
LOGGER = "avatardrive.transport"


def frames(count: int, names: tuple[str, ...] = ARKIT, *, rate: float = 60.0,
           seed: int = 0) -> list[Frame]:
    rng = np.random.default_rng(seed)
    values = rng.random((count, len(names))).astype(np.float32)
    return [Frame(k, k / rate, names, values[k]) for k in range(count)]


def endless(names: tuple[str, ...]) -> Iterator[Frame]:
    """Frames at 60 Hz for as long as a test asks."""
    values = np.linspace(0, 1, len(names), dtype=np.float32)
    k = 0
    while True:
        yield Frame(k, k / 60, names, values)
        k += 1


def sending(sink: UdpSink, stream: Iterator[Frame],
            condition: Callable[[], bool]) -> Callable[[], bool]:
    """A wait_for predicate that sends one more frame each time it is asked."""
    def step() -> bool:
        sink.send(next(stream))
        return condition()
    return step


def warnings_matching(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.levelno == logging.WARNING and text in r.getMessage()]


# -------------------------------------------------------------------------------------- frames


def test_frames_check_their_shapes() -> None:
    with pytest.raises(ParameterError, match=r"frame 3: values has shape \(2,\); expected \(3,\)"):
        Frame(3, 0.0, ("a", "b", "c"), np.zeros(2, np.float32))
    with pytest.raises(ParameterError, match=r"au has shape \(0,\); expected \(1,\)"):
        Frame(0, 0.0, (), np.zeros(0, np.float32), ("AU1_L",))


def test_every_sink_is_a_sink(tmp_path: Path) -> None:
    sinks = [MemorySink(), NpzRecorder(tmp_path / "a.npz"), LiveLinkCsvSink(tmp_path / "a.csv"),
             UdpSink("vmc://127.0.0.1:9")]
    for sink in sinks:
        assert isinstance(sink, Sink)
        sink.close()


# -------------------------------------------------------------------------------------- memory


def test_memory_sink_keeps_copies() -> None:
    sink = MemorySink(maxlen=3)
    shared = np.zeros(2, np.float32)
    for k in range(5):
        shared[:] = k
        sink.send(Frame(k, k / 10, ("a", "b"), shared))
    assert [f.index for f in sink.frames] == [2, 3, 4]
    np.testing.assert_array_equal(sink.values(), [[2, 2], [3, 3], [4, 4]])
    sink.close()
    with pytest.raises(TransportError, match=r"send\(\) after close"):
        sink.send(Frame(5, 0.5, ("a", "b"), shared))


# ------------------------------------------------------------------------------ Live Link CSV


@pytest.mark.parametrize(("seconds", "rate", "text"), [
    (0.0, 60, "00:00:00:00.000"),
    (1 / 60, 60, "00:00:00:01.000"),
    (1.5, 30, "00:00:01:15.000"),
    (0.01, 30, "00:00:00:00.300"),
    (3661.999, 60, "01:01:01:59.940"),
    (86400.0 + 5, 60, "00:00:05:00.000"),
    (-1.0, 60, "00:00:00:00.000"),
])
def test_livelink_timecode(seconds: float, rate: int, text: str) -> None:
    assert livelink_timecode(seconds, rate=rate) == text


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_csv_sink_writes_live_link_face_rows(tmp_path: Path) -> None:
    path = tmp_path / "take.csv"
    sent = frames(3)
    names = ("eyeBlink_L", "JawLeft", "mouthRight", "HeadYaw")
    with LiveLinkCsvSink(path) as sink:
        for f in sent:
            sink.send(f)
        sink.send(Frame(3, 3 / 60, names, np.array([np.nan, 0.25, 2.0, -0.5], np.float32)))
        assert not path.exists()  # written through a temporary file
    rows = read_csv(path)
    assert rows[0] == list(LIVE_LINK_COLUMNS)
    assert rows[0][:4] == ["Timecode", "BlendShapeCount", "EyeBlinkLeft", "EyeLookDownLeft"]
    assert rows[0][-10:] == ["TongueOut", "HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw",
                             "LeftEyePitch", "LeftEyeRoll", "RightEyeYaw", "RightEyePitch",
                             "RightEyeRoll"]
    assert len(rows[0]) == 63
    assert [r[0] for r in rows[1:]] == ["00:00:00:00.000", "00:00:00:01.000", "00:00:00:02.000",
                                        "00:00:00:03.000"]
    assert {r[1] for r in rows[1:]} == {"61"}
    column = {name: i for i, name in enumerate(rows[0])}
    for f, row in zip(sent, rows[1:], strict=False):
        for name, value in zip(f.names, f.values, strict=True):
            pascal = name[0].upper() + name[1:]
            assert float(row[column[pascal]]) == pytest.approx(float(value), abs=1e-8)
            assert len(row[column[pascal]].split(".")[1]) == 8
    last = dict(zip(rows[0], rows[4], strict=True))
    assert (last["EyeBlinkLeft"], last["JawLeft"], last["MouthRight"], last["HeadYaw"]) == (
        "0.00000000", "0.25000000", "1.00000000", "-0.50000000")
    assert last["JawOpen"] == "0.00000000"
    assert [p.name for p in tmp_path.iterdir()] == ["take.csv"]


def test_csv_sink_refuses_names_that_are_not_columns(tmp_path: Path) -> None:
    sink = LiveLinkCsvSink(tmp_path / "take.csv")
    with pytest.raises(TransportError, match=r"take.csv: frame 0: name 'Joy' is no Live Link "
                                             r"Face column; expected ARKit 52 names"):
        sink.send(Frame(0, 0.0, ("jawOpen", "Joy"), np.zeros(2, np.float32)))
    with pytest.raises(TransportError, match=r"name 'JawOpen' repeats a column"):
        sink.send(Frame(0, 0.0, ("jawOpen", "JawOpen"), np.zeros(2, np.float32)))
    sink.discard()
    assert list(tmp_path.iterdir()) == []


def test_csv_sink_leaves_nothing_behind_when_the_body_fails(tmp_path: Path) -> None:
    path = tmp_path / "take.csv"
    path.write_text("old")

    def fail_while_writing() -> None:
        with LiveLinkCsvSink(path) as sink:
            sink.send(frames(1)[0])
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        fail_while_writing()
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["take.csv"]


def test_csv_sink_reports_an_unwritable_place(tmp_path: Path) -> None:
    with pytest.raises(TransportError, match=r"missing/take.csv: cannot be written"):
        LiveLinkCsvSink(tmp_path / "missing" / "take.csv")


# ------------------------------------------------------------------------------ NPZ recorder


def test_npz_recording_round_trips_raw_values(tmp_path: Path) -> None:
    path = tmp_path / "take.npz"
    channels = ("AU12_L", "AU12_R")
    sent = [Frame(k, k / 30, ("a", "b"), np.array([k, np.nan], np.float32), channels,
                  np.array([0.5, k], np.float32)) for k in (0, 1, 4, 5)]  # 2 and 3 skipped
    with NpzRecorder(path) as recorder:
        for f in sent:
            recorder.send(f)
        assert not path.exists()
    rec = read_recording(path)
    assert rec.names == ("a", "b")
    assert rec.channels == channels
    np.testing.assert_array_equal(rec.index, [0, 1, 4, 5])
    np.testing.assert_allclose(rec.time, [0, 1 / 30, 4 / 30, 5 / 30])
    np.testing.assert_array_equal(rec.values, [[0, np.nan], [1, np.nan], [4, np.nan],
                                               [5, np.nan]])
    np.testing.assert_array_equal(rec.au[:, 1], [0, 1, 4, 5])
    assert rec.values.dtype == np.float32


def test_npz_recorder_grows_past_one_block(tmp_path: Path) -> None:
    path = tmp_path / "long.npz"
    with NpzRecorder(path) as recorder:
        for f in frames(5000, ("a",)):
            recorder.send(f)
    assert read_recording(path).values.shape == (5000, 1)


def test_npz_recorder_refuses_a_change_of_names(tmp_path: Path) -> None:
    recorder = NpzRecorder(tmp_path / "take.npz")
    recorder.send(frames(1, ("a",))[0])
    with pytest.raises(TransportError, match=r"take.npz: frame 0: names or channels differ"):
        recorder.send(frames(1, ("b",))[0])
    recorder.discard()
    assert list(tmp_path.iterdir()) == []


def test_empty_recording_and_bad_files(tmp_path: Path) -> None:
    NpzRecorder(tmp_path / "empty.npz").close()
    assert read_recording(tmp_path / "empty.npz").values.shape[0] == 0
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(TransportError, match=r"bad.npz: cannot be read .*expected an NPZ"):
        read_recording(tmp_path / "bad.npz")


# ----------------------------------------------------------------------------------- open_sink


def test_open_sink_picks_the_sink_by_target(tmp_path: Path) -> None:
    udp = open_sink("vmc://127.0.0.1:39539")
    csv_sink = open_sink(tmp_path / "take.CSV")
    npz = open_sink(str(tmp_path / "take.npz"))
    try:
        assert isinstance(udp, UdpSink)
        assert isinstance(csv_sink, LiveLinkCsvSink)
        assert isinstance(npz, NpzRecorder)
    finally:
        for sink in (udp, csv_sink, npz):
            sink.close()
    with pytest.raises(TransportError, match=r"take.txt: is neither a destination URL nor"):
        open_sink("take.txt")


# ------------------------------------------------------------------------------------ UDP sink


def test_vmc_frames_reach_python_osc_with_apply_last() -> None:
    sent = frames(10)
    with osc_receiver() as (port, received), UdpSink(f"vmc://127.0.0.1:{port}") as sink:
        for f in sent:
            sink.send(f)
        assert wait_for(lambda: len(received) >= 10 * 53)
        assert sink.stats.frames == 10
        assert sink.stats.datagrams == 10
        assert sink.stats.errors == 0
    for k, f in enumerate(sent):
        chunk = received[k * 53 : (k + 1) * 53]
        assert chunk[-1] == ("/VMC/Ext/Blend/Apply", ())
        assert [a[0] for _, a in chunk[:-1]] == list(ARKIT)
        np.testing.assert_array_equal([a[1] for _, a in chunk[:-1]], f.values)


def test_generic_osc_with_au_reaches_python_osc() -> None:
    names, channels = ("jawOpen", "mouthSmileLeft"), ("AU12_L", "AU26_L")
    f = Frame(0, 0.0, names, np.array([0.5, np.nan], np.float32), channels,
              np.array([0.25, 3.0], np.float32))
    with osc_receiver() as (port, received), \
            UdpSink(f"osc://127.0.0.1:{port}?au=1") as sink:
        sink.send(f)
        assert wait_for(lambda: len(received) >= 4)
    assert received == [("/avatardrive/jawOpen", (0.5,)), ("/avatardrive/mouthSmileLeft", (0.0,)),
                        ("/avatardrive/au/AU12_L", (0.25,)), ("/avatardrive/au/AU26_L", (1.0,))]


def test_vrchat_sends_changes_only() -> None:
    names = ("JawOpen", "EyeLidLeft")
    values = [[0.5, 1.0], [0.5, 1.0], [0.6, 1.0]]
    with osc_receiver() as (port, received), UdpSink(f"vrchat://127.0.0.1:{port}") as sink:
        for k, v in enumerate(values):
            sink.send(Frame(k, k / 60, names, np.array(v, np.float32)))
        assert wait_for(lambda: len(received) >= 3)
        assert sink.stats.datagrams == 3
    assert [(a, round(v[0] * 127)) for a, v in received] == [
        ("/avatar/parameters/FT/v2/JawOpen", 64), ("/avatar/parameters/FT/v2/EyeLidLeft", 127),
        ("/avatar/parameters/FT/v2/JawOpen", 76)]


def test_new_names_rebuild_the_encoder() -> None:
    with osc_receiver() as (port, received), UdpSink(f"osc://127.0.0.1:{port}") as sink:
        sink.send(Frame(0, 0.0, ("a",), np.ones(1, np.float32)))
        sink.send(Frame(1, 0.1, ("b",), np.ones(1, np.float32)))
        sink.send(Frame(2, 0.2, ("b",), np.zeros(1, np.float32)))  # equal, not the same tuple
        assert wait_for(lambda: len(received) >= 3)
    assert received == [("/avatardrive/a", (1.0,)), ("/avatardrive/b", (1.0,)),
                        ("/avatardrive/b", (0.0,))]


def test_no_receiver_keeps_sending_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    with caplog.at_level(logging.WARNING, logger=LOGGER), \
            UdpSink(f"vmc://127.0.0.1:{port}") as sink:
        stream = endless(ARKIT)
        assert wait_for(sending(sink, stream, lambda: sink.stats.errors >= 5))
        stats = sink.stats
        assert stats.datagrams + stats.errors >= stats.frames  # every frame went out or counted
    found = warnings_matching(caplog, "no receiver is listening")
    assert len(found) == 1
    assert f"vmc://127.0.0.1:{port}" in found[0]


def test_a_late_receiver_gets_the_stream() -> None:
    port = free_port()
    stream = endless(("a", "b"))
    with UdpSink(f"osc://127.0.0.1:{port}") as sink:
        assert wait_for(sending(sink, stream, lambda: sink.stats.errors >= 2))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver:
            receiver.bind(("127.0.0.1", port))
            receiver.settimeout(0.05)
            got: list[bytes] = []

            def receive() -> bool:
                sink.send(next(stream))
                with contextlib.suppress(TimeoutError):
                    got.append(receiver.recv(65536))
                return len(got) >= 3

            assert wait_for(receive)
    assert all(d.startswith(b"#bundle\x00") for d in got)


def test_an_unresolvable_host_warns_once_and_drops_frames(
        caplog: pytest.LogCaptureFixture) -> None:
    stream = endless(("a",))
    with caplog.at_level(logging.WARNING, logger=LOGGER), \
            UdpSink("osc://nonexistent.invalid:9000", retry_interval=0.05) as sink:
        warned = sending(sink, stream, lambda: bool(warnings_matching(caplog, "cannot resolve")))
        assert wait_for(warned, timeout=30.0)
        began = time.monotonic()
        while time.monotonic() - began < 0.3:  # several more lookups fail meanwhile
            sink.send(next(stream))
        stats = sink.stats
        assert stats.dropped == stats.frames > 0
        assert stats.datagrams == 0
        assert not sink.connected
    found = warnings_matching(caplog, "cannot resolve")
    assert len(found) == 1
    assert "osc://nonexistent.invalid:9000: cannot resolve host 'nonexistent.invalid'" in found[0]


def test_a_host_that_resolves_later_recovers(caplog: pytest.LogCaptureFixture) -> None:
    answers: list[OSError | None] = [OSError("temporary failure"), OSError("still failing"), None]

    def resolve(host: str, port: int) -> tuple[socket.AddressFamily, tuple[Any, ...]]:
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if answer is not None:
            raise answer
        return socket.AF_INET, ("127.0.0.1", port)

    stream = endless(("a",))
    with caplog.at_level(logging.WARNING, logger=LOGGER), \
            osc_receiver() as (port, received), \
            UdpSink(f"osc://studio.example:{port}", retry_interval=0.01, resolve=resolve) as sink:
        assert wait_for(sending(sink, stream, lambda: len(received) >= 3))
        assert sink.connected
        assert sink.stats.dropped >= 2
    assert len(warnings_matching(caplog, "cannot resolve host 'studio.example'")) == 1


def test_send_after_close_raises() -> None:
    sink = UdpSink("vmc://127.0.0.1:39539")
    sink.close()
    sink.close()  # idempotent
    with pytest.raises(TransportError, match=r"^vmc://127.0.0.1:39539: send\(\) after close"):
        sink.send(frames(1)[0])


def test_several_destinations_each_with_its_own_rig() -> None:
    rigs = {"arkit52": ("jawOpen", "eyeBlinkLeft"), "vrm0": ("A", "Blink_L")}
    with osc_receiver() as (osc_port, osc_got), \
            osc_receiver() as (vmc_port, vmc_got):
        sinks = {parse.rig: UdpSink(parse) for parse in (
            parse_destination(f"osc://127.0.0.1:{osc_port}"),
            parse_destination(f"vmc://127.0.0.1:{vmc_port}"))}
        try:
            for rig, sink in sinks.items():
                sink.send(Frame(0, 0.0, rigs[rig], np.array([0.5, 1.0], np.float32)))
            assert wait_for(lambda: len(osc_got) >= 2 and len(vmc_got) >= 3)
        finally:
            for sink in sinks.values():
                sink.close()
    assert osc_got == [("/avatardrive/jawOpen", (0.5,)), ("/avatardrive/eyeBlinkLeft", (1.0,))]
    assert vmc_got == [("/VMC/Ext/Blend/Val", ("A", 0.5)), ("/VMC/Ext/Blend/Val", ("Blink_L", 1.0)),
                       ("/VMC/Ext/Blend/Apply", ())]


@pytest.mark.parametrize("make", [
    lambda: UdpSink("vmc://127.0.0.1", retry_interval=0.0),
    lambda: LiveLinkCsvSink("x.csv", rate=29.97),  # type: ignore[arg-type]
])
def test_bad_sink_options_are_refused(make: Callable[[], object]) -> None:
    with pytest.raises(ParameterError, match=r"expected"):
        make()
