"""The emotion read-out on generic OSC streams (``osc://host:port?emotions=1``)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder
from receivers import osc_receiver, values_of, wait_for

from avatardrive.errors import TransportError
from avatardrive.facs import CHANNELS, N_CHANNELS, channel_index
from avatardrive.synth import READOUT_NAMES, EmotionReader
from avatardrive.transport import (
    Frame,
    UdpSink,
    iter_messages,
    make_encoder,
    osc_encoder,
    parse_destination,
    parse_packet,
)

NAMES = ("mouthSmileLeft", "jawOpen")
SCENE = (
    "version = 1\nduration = 20\nseed = 1\n[blink]\nrate = 0\n"
    "[[events]]\nemotion = 'happiness'\nstart = 0.6\nintensity = 0.8\nonset = 0.3\napex = 100\n"
    "style = 'posed'\n"
)


class FixedReadout:
    """A unit-test seam: the same values whatever the frame, counting its calls."""

    names = ("joy", "valence")
    channels = ("AU12_L", "AU12_R")
    ranges: Mapping[str, tuple[float, float]] = {"joy": (0.0, 1.0), "valence": (-1.0, 1.0)}

    def __init__(self, values: list[float]) -> None:
        self.values = np.array(values, dtype=np.float32)
        self.seen: list[tuple[list[float], float]] = []

    def update(self, au: NDArray[np.float32], time: float) -> NDArray[np.float32]:
        self.seen.append((au.tolist(), time))
        return self.values


def golden(pairs: list[tuple[str, float]]) -> bytes:
    builder = OscBundleBuilder(IMMEDIATELY)
    for address, value in pairs:
        message = OscMessageBuilder(address)
        message.add_arg(value, "f")
        builder.add_content(message.build())
    return bytes(builder.build().dgram)


def test_the_readout_follows_the_shapes_with_golden_bytes_and_clamped_values() -> None:
    readout = FixedReadout([np.nan, -3.0])  # NaN -> lo, -3 -> -1: nothing out of range leaves
    encoder = osc_encoder(NAMES, prefix="/avatardrive/", readout=readout)
    frame = Frame(7, 1.25, NAMES, np.array([0.25, 2.0], dtype=np.float32),
                  readout.channels, np.array([0.5, 0.75], dtype=np.float32))  # fmt: skip
    [datagram] = encoder.encode(frame)
    assert bytes(datagram) == golden([
        ("/avatardrive/mouthSmileLeft", 0.25), ("/avatardrive/jawOpen", 1.0),
        ("/avatardrive/read/joy", 0.0), ("/avatardrive/read/valence", -1.0),
    ])  # fmt: skip
    assert readout.seen == [([0.5, 0.75], 1.25)]
    readout.values[:] = [0.5, 0.25]
    [datagram] = encoder.encode(frame)
    assert [m.args for m in iter_messages(parse_packet(bytes(datagram)))][2:] == [(0.5,), (0.25,)]


def test_emotions_1_sends_every_readout_value_after_the_au_channels() -> None:
    destination = parse_destination("osc://127.0.0.1:9001?emotions=1&au=yes")
    assert destination.emotions and destination.au
    assert destination.url == "osc://127.0.0.1:9001?au=1&emotions=1"
    encoder = make_encoder(destination, NAMES, channels=CHANNELS, readout=EmotionReader())
    au = np.zeros(N_CHANNELS, dtype=np.float32)
    for side in ("AU12_L", "AU12_R"):
        au[channel_index(side)] = 0.8
    frame = Frame(0, 0.0, NAMES, np.zeros(2, dtype=np.float32), CHANNELS, au)
    messages = [m for d in encoder.encode(frame) for m in iter_messages(parse_packet(bytes(d)))]
    addresses = [m.address for m in messages]
    assert addresses[: len(NAMES)] == [f"/avatardrive/{n}" for n in NAMES]
    assert addresses[len(NAMES) : len(NAMES) + N_CHANNELS] == [f"/avatardrive/au/{c}"
                                                                for c in CHANNELS]  # fmt: skip
    read = messages[len(NAMES) + N_CHANNELS :]
    assert [m.address for m in read] == [f"/avatardrive/read/{n}" for n in READOUT_NAMES]
    values = {m.address.rsplit("/", 1)[1]: m.args[0] for m in read}
    assert values["happiness"] > 0.9 and values["valence"] > 0.5
    assert sum(values[n] for n in READOUT_NAMES[:8]) == pytest.approx(1.0, abs=1e-5)


def test_emotions_without_a_reader_or_au_channels_is_refused() -> None:
    with pytest.raises(TransportError, match=r"osc://127\.0\.0\.1:9001\?emotions=1.*query key "
                       r"'emotions'.*no reader was handed to the sink"):  # fmt: skip
        UdpSink("osc://127.0.0.1:9001?emotions=1")
    destination = parse_destination("osc://127.0.0.1:9001?emotions=1")
    with pytest.raises(TransportError, match=r"needs each frame's 86 AU channels; these frames "
                       r"carry 0"):  # fmt: skip
        make_encoder(destination, NAMES, readout=EmotionReader())
    with pytest.raises(TransportError, match=r"query key 'emotions'.*value 'maybe' is not valid; "
                       r"expected 1 or 0"):  # fmt: skip
        parse_destination("osc://127.0.0.1:9001?emotions=maybe")
    with pytest.raises(TransportError, match=r"query key 'emotions'.*is not an option of vmc://"):
        parse_destination("vmc://127.0.0.1?emotions=1")
    plain = make_encoder(parse_destination("osc://127.0.0.1:9001"), NAMES, channels=CHANNELS,
                         readout=EmotionReader())  # fmt: skip
    frame = Frame(0, 0.0, NAMES, np.zeros(2, dtype=np.float32), CHANNELS,
                  np.zeros(N_CHANNELS, dtype=np.float32))  # fmt: skip
    [datagram] = plain.encode(frame)  # without emotions=1 the reader is not used
    assert len(list(iter_messages(parse_packet(bytes(datagram))))) == len(NAMES)


def test_a_played_smile_reaches_a_python_osc_receiver_as_happiness(tmp_path: Path) -> None:
    scene = tmp_path / "smile.toml"
    scene.write_text(SCENE, encoding="utf-8")
    with osc_receiver() as (port, received):
        done = subprocess.run(
            [sys.executable, "-m", "avatardrive", "play", str(scene), "--to",
             f"osc://127.0.0.1:{port}?emotions=1", "--seconds", "2"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        happy = "/avatardrive/read/happiness"
        assert wait_for(lambda: len(values_of(received, happy)) >= 100)
    happiness = values_of(received, happy)
    neutral = values_of(received, "/avatardrive/read/neutral")
    valence = values_of(received, "/avatardrive/read/valence")
    assert len(happiness) == len(neutral) == len(valence)
    assert neutral[0] > 0.99 and happiness[0] < 0.01  # before the smile starts at 0.6 s
    assert max(happiness) > 0.95 and max(valence) > 0.7
    smile = values_of(received, "/avatardrive/mouthSmileLeft")
    assert max(smile) > 0.5  # the rig weights still go out beside the read-out
