"""``avatardrive play``, ``monitor`` and ``export``: real processes, sockets and receivers."""

from __future__ import annotations

import contextlib
import csv
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.udp_client import SimpleUDPClient
from receivers import (
    bundles,
    default_sigint,
    free_port,
    osc_receiver,
    running_oscdump,
    values_of,
    wait_for,
)

from avatardrive.pipeline import Player, Route
from avatardrive.retarget import load_rig
from avatardrive.synth import Mixer
from avatardrive.transport import LIVE_LINK_SHAPES, MemorySink

ARKIT = {name[0].lower() + name[1:] for name in LIVE_LINK_SHAPES}
QUIET = "version = 1\nduration = {duration}\n[blink]\nrate = 0\n"
SMILE = QUIET + (
    "[[events]]\naus = {{ AU12 = 0.8 }}\nstart = 0.1\nonset = 0.2\napex = 100\noffset = 0.5\n"
    "style = 'posed'\n"
)


def cli(*args: str) -> list[str]:
    return [sys.executable, "-X", "faulthandler", "-m", "avatardrive", *args]


def write(tmp_path: Path, text: str, name: str = "scene.toml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_play_generic_stream_to_oscdump(oscdump: str, tmp_path: Path) -> None:
    scene = write(tmp_path, SMILE.format(duration=5))
    with running_oscdump(oscdump) as (port, lines):
        done = subprocess.run(
            cli("play", scene, "--to", f"osc://127.0.0.1:{port}", "--seconds", "1"),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        skipped = int(done.stdout.split("skipped ")[1].split(";")[0])
        assert wait_for(lambda: len(bundles(lines, "/avatardrive/")) >= 61 - skipped)
    frames = bundles(lines, "/avatardrive/")
    assert abs(len(frames) - 61) <= 1 + skipped  # 60 frames for 1 s at 60 Hz, then the neutral one
    for frame in frames:
        assert {fields[1].removeprefix("/avatardrive/") for fields in frame} == ARKIT
    smiles = [
        float(f[3]) for frame in frames for f in frame if f[1] == "/avatardrive/mouthSmileLeft"
    ]
    assert max(smiles) > 0.5
    assert all(float(fields[3]) == 0.0 for fields in frames[-1])  # back to rest at the end


def test_play_vmc_sends_apply_after_every_frame(oscdump: str, tmp_path: Path) -> None:
    scene = write(tmp_path, SMILE.format(duration=5))
    with running_oscdump(oscdump) as (port, lines):
        done = subprocess.run(
            cli("play", scene, "--to", f"vmc://127.0.0.1:{port}?rig=arkit52", "--seconds", "0.5"),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert wait_for(lambda: len(bundles(lines, "/VMC/")) >= 25)
    frames = bundles(lines, "/VMC/")
    for frame in frames:
        assert [f[1] for f in frame[:-1]] == ["/VMC/Ext/Blend/Val"] * 52
        assert frame[-1][1:] == ["/VMC/Ext/Blend/Apply"]
        assert {f[3].strip('"') for f in frame[:-1]} == ARKIT


def test_control_messages_layer_an_emotion_and_neutral_releases_it(tmp_path: Path) -> None:
    scene = write(tmp_path, QUIET.format(duration=30))
    control = free_port()
    with osc_receiver() as (port, received):
        process = subprocess.Popen(
            cli("play", scene, "--to", f"osc://127.0.0.1:{port}", "--control", str(control)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            smile = "/avatardrive/mouthSmileLeft"
            assert wait_for(lambda: len(values_of(received, smile)) > 10, timeout=30)
            client = SimpleUDPClient("127.0.0.1", control)
            garbage = [b"", b"\x00" * 7, b"#bundle\x00garbage", b"/avatardrive/emotion\x00,sf"]
            with contextlib.closing(client._sock):  # python-osc leaves its socket to the caller
                for datagram in garbage:
                    client._sock.sendto(datagram, ("127.0.0.1", control))
                client.send_message("/avatardrive/emotion", ["nonsense-emotion", 0.5])
                client.send_message("/avatardrive/emotion", ["happiness", 0.9, 0.2, 3.0, 0.4])
                assert wait_for(lambda: max(values_of(received, smile)[-5:]) > 0.6, timeout=15)
                client.send_message("/avatardrive/neutral", [])
                assert wait_for(lambda: max(values_of(received, smile)[-5:]) < 0.01, timeout=15)
        finally:
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=30)
        assert process.returncode == 0, err
        assert "control: 3 commands, 1 ignored" in out
        assert "unknown emotion 'nonsense-emotion'" in err


def test_ctrl_c_sends_a_neutral_frame_and_exits_0(tmp_path: Path) -> None:
    scene = write(tmp_path, SMILE.format(duration=200))
    with osc_receiver() as (port, received):
        process = subprocess.Popen(
            cli("play", scene, "--to", f"osc://127.0.0.1:{port}", "--loop"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=default_sigint,
        )
        smile = "/avatardrive/mouthSmileRight"
        try:
            assert wait_for(lambda: any(v > 0.5 for v in values_of(received, smile)), timeout=30)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                out, err = process.communicate(timeout=30)
            except subprocess.TimeoutExpired:  # show where it hangs (faulthandler on SIGABRT)
                process.send_signal(signal.SIGABRT)
                out, err = process.communicate(timeout=10)
                pytest.fail(f"play did not end after SIGINT: {err[-4000:]}")
        assert process.returncode == 0, err
        assert "stopped; sent a neutral frame" in out
        assert wait_for(lambda: values_of(received, smile)[-1] == 0.0, timeout=5)


def test_monitor_shows_a_stream_from_python_osc(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        cli("monitor", "--port", str(port), "--idle", "3", "--seconds", "30"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert "listening on" in process.stdout.readline()  # printed once it is bound
        client = SimpleUDPClient("127.0.0.1", port)
        with contextlib.closing(client._sock):
            for i in range(30):
                bundle = OscBundleBuilder(IMMEDIATELY)
                for name, value in (("Joy", 0.02 * i), ("A", 0.3)):
                    message = OscMessageBuilder("/VMC/Ext/Blend/Val")
                    message.add_arg(name)
                    message.add_arg(float(value))
                    bundle.add_content(message.build())  # type: ignore[arg-type]
                bundle.add_content(OscMessageBuilder("/VMC/Ext/Blend/Apply").build())  # type: ignore[arg-type]
                client.send(bundle.build())
                time.sleep(1 / 60)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    final = out.split("received in all")[1]
    assert "frames 30" in final
    assert "Joy" in final and "0.580" in final  # the peak, 0.02 * 29
    assert "A " in final and "0.300" in final


def test_export_writes_a_live_link_face_csv(tmp_path: Path) -> None:
    scene = write(tmp_path, SMILE.format(duration=2))
    target = tmp_path / "take.csv"
    command = cli("export", scene, "--format", "livelink-csv", "-o", str(target))
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    with target.open(newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    assert header[:2] == ["Timecode", "BlendShapeCount"]
    assert set(header[2:54]) == set(LIVE_LINK_SHAPES) and len(header) == 63
    assert len(rows) - 1 == 120 and all(row[1] == "61" for row in rows[1:])
    assert rows[1][0] == "00:00:00:00.000" and rows[61][0] == "00:00:01:00.000"
    smile = header.index("MouthSmileLeft")
    assert max(float(row[smile]) for row in rows[1:]) > 0.5


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (("--to", "tcp://127.0.0.1:9000"), r"tcp://127\.0\.0\.1:9000"),
        (("--to", "osc://127.0.0.1"), r"expected osc://host:port"),
        (("--to", "vmc://127.0.0.1:39539", "--rig", "nosuchrig"), r"nosuchrig"),
    ],
)
def test_bad_destinations_exit_2_with_one_line(
    tmp_path: Path, args: tuple[str, ...], pattern: str
) -> None:
    import re

    scene = write(tmp_path, QUIET.format(duration=1))
    done = subprocess.run(cli("play", scene, *args), capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and re.search(pattern, done.stderr), done.stderr


def test_player_ends_every_route_with_a_neutral_frame() -> None:
    sink = MemorySink()
    base = np.full(86, 0.5, dtype=np.float32)
    player = Player(lambda t: base, [Route("memory", load_rig("arkit52"), sink)], rate=240.0,
                    mixer=Mixer())  # fmt: skip
    report = player.run(frames=24)
    frames = list(sink.frames)
    assert report.clock.frames + report.clock.skipped == 24
    assert len(frames) == report.clock.frames + 1
    assert frames[-2].values.max() > 0.2 and frames[-1].values.max() == 0.0
    assert all(frame.names == load_rig("arkit52").shape_names for frame in frames)
