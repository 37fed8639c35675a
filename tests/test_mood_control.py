"""``/avatardrive/mood f f`` end to end: a python-osc client, a real control listener on UDP,
the pipeline's command router and the mixer's eased mood."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
from pythonosc.udp_client import SimpleUDPClient
from receivers import default_sigint, free_port, osc_receiver, values_of, wait_for

from avatardrive.facs import CHANNELS
from avatardrive.pipeline import CommandRouter
from avatardrive.synth import Mixer
from avatardrive.transport import ControlListener


def test_a_mood_message_moves_the_face_smoothly() -> None:
    mixer = Mixer()
    smile = CHANNELS.index("AU12_L")
    with ControlListener() as listener:
        router = CommandRouter(mixer, listener)
        client = SimpleUDPClient(*listener.address)
        with contextlib.closing(client._sock):  # python-osc leaves its socket to the caller
            client.send_message("/avatardrive/mood", [0.8, 0.5])
            client.send_message("/avatardrive/mood", [3.0, 0.5])  # out of range: refused
            assert wait_for(lambda: listener.stats.received == 2)
        router.poll(now=0.0)
    assert (router.commands, listener.stats.malformed) == (1, 1)
    frames = np.array([mixer.frame(None, now=i / 60) for i in range(180)])
    assert frames[0, smile] == 0.0
    assert frames[-1, smile] > 0.3
    assert np.abs(np.diff(frames, axis=0)).max() < 0.05


def test_play_moves_its_mood_on_command_and_eases_it(tmp_path: Path) -> None:
    """``avatardrive play --control``: a real process, python-osc sending and receiving."""
    scene = tmp_path / "quiet.toml"
    scene.write_text("version = 1\nduration = 30\n[blink]\nrate = 0\n")
    control = free_port()
    with osc_receiver() as (port, received):
        process = subprocess.Popen(
            [sys.executable, "-m", "avatardrive", "play", str(scene), "--to",
             f"osc://127.0.0.1:{port}", "--control", str(control)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint,
        )  # fmt: skip
        smile = "/avatardrive/mouthSmileLeft"
        frown = "/avatardrive/mouthFrownLeft"
        try:
            assert wait_for(lambda: len(values_of(received, smile)) > 10, timeout=30)
            client = SimpleUDPClient("127.0.0.1", control)
            with contextlib.closing(client._sock):
                client.send_message("/avatardrive/mood", [0.8, 0.5])
                assert wait_for(lambda: values_of(received, smile)[-1] > 0.3, timeout=15)
                heard = values_of(received, smile)
                rise = [v for v in heard if v > 0.0]
                assert len(rise) > 5 and np.all(np.diff(rise[: rise.index(max(rise))]) >= -1e-6)
                client.send_message("/avatardrive/mood", [-0.7, -0.3, 1.0])
                assert wait_for(lambda: values_of(received, frown)[-1] > 0.2, timeout=15)
                assert values_of(received, smile)[-1] < 0.05
        finally:
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=30)
        assert process.returncode == 0, err
        assert "control: 2 commands" in out
