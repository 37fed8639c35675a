"""``/avatardrive/mood f f`` end to end: a python-osc client, a real control listener on UDP,
the pipeline's command router and the mixer's eased mood."""

from __future__ import annotations

import contextlib

import numpy as np
from pythonosc.udp_client import SimpleUDPClient
from receivers import wait_for

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
