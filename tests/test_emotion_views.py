"""The emotion read-out in the puppet window and the monitor."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from pythonosc.udp_client import SimpleUDPClient
from receivers import wait_for
from test_puppet import ListSource, controller, spin

from avatardrive.facs import CHANNELS
from avatardrive.pipeline import EMOTION_KEYS, FramePump
from avatardrive.synth import READOUT_NAMES
from avatardrive.transport import StreamMonitor
from avatardrive.views._monitor_view import MonitorReadout
from avatardrive.views._plot_qt import Qt
from avatardrive.views._puppet_model import readout_html


def readout(**values: float) -> np.ndarray:
    out = np.zeros(len(READOUT_NAMES), dtype=np.float32)
    for name, value in values.items():
        out[READOUT_NAMES.index(name)] = value
    return out


def test_readout_html_names_the_likeliest_emotions_first() -> None:
    text = readout_html(readout(happiness=0.8, surprise=0.15, neutral=0.05, valence=0.66,
                                arousal=0.52), felt=0.7)  # fmt: skip
    assert text.startswith("<b>Reads as</b> <b>happiness</b> 0.80 · surprise 0.15 · neutral 0.05")
    assert "valence +0.66 · arousal +0.52 · felt smile 0.70" in text
    assert "felt smile" not in readout_html(readout(neutral=1.0))


def test_monitor_readout_prefers_the_senders_then_reads_the_au_channels() -> None:
    seen = MonitorReadout()
    assert seen.update(0.0, {"/avatardrive/jawOpen": 0.3}) is None
    assert "no read-out in this stream" in seen.html()
    au = {f"/avatardrive/au/{c}": (0.8 if c.startswith("AU12_") else 0.0) for c in CHANNELS}
    for i in range(5):
        seen.update(i / 30, au)
    assert seen.source == "au" and "<b>happiness</b>" in seen.html()
    assert "read here from its AUs" in seen.html()
    sent = {f"/avatardrive/read/{n}": float(v)
            for n, v in zip(READOUT_NAMES, readout(fear=0.9, neutral=0.1), strict=True)}
    values = seen.update(1.0, {**au, **sent})
    assert seen.source == "sender" and values is not None
    assert values[READOUT_NAMES.index("fear")] == pytest.approx(0.9)
    assert "<b>fear</b> 0.90" in seen.html() and "sent by the stream" in seen.html()


def test_the_puppet_window_shows_what_the_face_reads_as(qt: Qt) -> None:
    from avatardrive.views._puppet_window import PuppetWindow

    puppet = controller()
    window = PuppetWindow(qt, puppet, FramePump(ListSource(600).open(), realtime=True),
                          size=(1000, 650))  # fmt: skip
    try:
        window.start()
        spin(qt, lambda: window.stats.draws >= 2, seconds=10.0)
        assert "<b>neutral</b> 1.00" in window.reads.text()
        happiness = next(key for key, emotion in EMOTION_KEYS.items() if emotion == "happiness")
        puppet.key(happiness, shift=True)  # the posed style: a fast onset
        spin(qt, lambda: "<b>happiness</b>" in window.reads.text(), seconds=10.0)
        assert "valence +" in window.reads.text()
    finally:
        window.finish()


def test_the_monitor_shows_the_read_out_a_stream_sends(qt: Qt) -> None:
    from avatardrive.views._monitor_view import MonitorWindow

    with StreamMonitor(0) as monitor:
        client = SimpleUDPClient("127.0.0.1", monitor.address[1])
        view = MonitorWindow(qt, monitor, top=3, lines=2, interval_ms=10_000)
        with contextlib.closing(client):
            try:
                view.start()
                assert "no read-out in this stream" in view.reads.text()
                values = readout(anger=0.7, disgust=0.2, neutral=0.1, valence=-0.6)
                for name, value in zip(READOUT_NAMES, values.tolist(), strict=True):
                    client.send_message(f"/avatardrive/read/{name}", value)
                assert wait_for(lambda: monitor.snapshot().messages >= len(READOUT_NAMES))
                view.refresh()
                text = view.reads.text()
                assert "<b>anger</b> 0.70 · disgust 0.20 · neutral 0.10" in text
                assert "valence -0.60" in text and "sent by the stream" in text
            finally:
                view.finish()
