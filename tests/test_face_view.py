"""The preview face in the live windows: the puppeteering window shows the face of what it sends."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest
from test_puppet import ListSource, controller, spin

from avatardrive.facs import CHANNELS, N_CHANNELS, channel_index
from avatardrive.pipeline import FramePump
from avatardrive.views._face_geometry import face_geometry


def grab(qt: Any, widget: Any) -> np.ndarray:
    image = widget.grab().toImage().convertToFormat(qt.gui.QImage.Format.Format_RGB888)
    height, width, stride = image.height(), image.width(), image.bytesPerLine()
    raw = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * height)
    return raw.reshape(height, stride)[:, : 3 * width].reshape(height, width, 3).astype(np.int16)


def test_the_puppet_window_shows_the_face_of_the_frame_sent(qt: Any) -> None:
    from avatardrive.views._puppet_window import PuppetWindow

    puppet = controller()
    window = PuppetWindow(qt, puppet, FramePump(ListSource(120).open(), realtime=True),
                          size=(1100, 700))  # fmt: skip
    drawn: list[np.ndarray] = []
    original = window.draw

    def draw(state: Any) -> None:
        original(state)
        drawn.append(state.au.copy())

    window.draw = draw  # type: ignore[method-assign]
    try:
        window.start()
        spin(qt, lambda: window.stats.frames >= 3, seconds=10.0)
        rest = grab(qt, window.face.widget)
        puppet.key("1")  # happiness: the lip corners rise
        corner = channel_index("AU12_L")
        spin(qt, lambda: bool(drawn) and drawn[-1][corner] > 0.3, seconds=10.0)
        qt.widgets.QApplication.processEvents()
        smiling = grab(qt, window.face.widget)
    finally:
        window.finish()
    assert window.error is None
    assert window.face.shows == window.stats.draws  # one face per draw
    expected = face_geometry(drawn[-1]).parts["lips"].points
    assert np.allclose(window.face.geometry.parts["lips"].points, expected)
    height, width, _ = rest.shape
    assert min(height, width) >= 160
    changed = np.abs(smiling - rest).max(axis=2) > 40
    assert changed.sum() > 50
    rows = np.flatnonzero(changed.any(axis=1))
    assert rows.min() > 0.2 * height  # the face moved, not the note at the top


def test_a_face_view_starts_neutral_and_shows_what_it_is_given(qt: Any) -> None:
    from avatardrive.views._face_widget import FaceView

    view = FaceView(qt)
    neutral = face_geometry(np.zeros(N_CHANNELS)).parts["lips"].points
    assert view.shows == 0 and np.allclose(view.geometry.parts["lips"].points, neutral)
    frame = np.zeros(N_CHANNELS)
    frame[channel_index("AU45_L")] = 1.0
    view.show(frame)
    assert view.shows == 1
    parts = view.geometry.parts
    assert np.allclose(parts["upper_lid_L"].points, parts["lower_lid_L"].points)  # left eye shut
    assert not np.allclose(parts["upper_lid_R"].points, parts["lower_lid_R"].points)


# -- the monitor: the face of the stream it receives ------------------------------------------


def smile() -> np.ndarray:
    au = np.zeros(N_CHANNELS, dtype=np.float32)
    for name, value in {"AU6_L": 0.5, "AU6_R": 0.5, "AU12_L": 0.9, "AU12_R": 0.7,
                        "AU25_L": 0.4, "AU25_R": 0.4}.items():  # fmt: skip
        au[channel_index(name)] = value
    return au


def test_stream_face_reads_au_channels_or_solves_arkit_shapes() -> None:
    from avatardrive.retarget import load_rig
    from avatardrive.views._stream_face import StreamFace

    face = StreamFace()
    assert face.frame({}) is None and face.source == "nothing received yet"
    generic = {f"/avatardrive/au/{name}": float(v) for name, v in zip(CHANNELS, smile(),
                                                                       strict=True)}  # fmt: skip
    generic["/avatardrive/mouthSmileLeft"] = 0.2  # the rig's shapes come along: ignored
    assert np.array_equal(face.frame(generic), smile())
    assert face.source == f"AU channels ({N_CHANNELS})"
    arkit = load_rig("arkit52")
    weights = arkit.forward_frame(smile())
    perfect_sync = {name[0].upper() + name[1:]: float(w)  # VMC Perfect Sync spelling
                    for name, w in zip(arkit.shape_names, weights, strict=True)}  # fmt: skip
    solved = face.frame(perfect_sync)
    assert solved is not None and face.source == "arkit52 inverse of 52 shapes"
    assert solved[channel_index("AU12_L")] == pytest.approx(0.9, abs=0.15)
    assert solved[channel_index("AU12_L")] > solved[channel_index("AU12_R")]
    assert face.frame({"Joy": 1.0, "A": 0.5, "Blink_L": 0.2}) is None  # VRM presets: too little
    assert face.source.startswith("no AU channels, ARKit or VRChat face-tracking shapes")


@pytest.mark.parametrize(("url", "caption"), [
    ("osc://127.0.0.1:{port}?au=1", f"AU channels ({N_CHANNELS})"),
    ("vmc://127.0.0.1:{port}?rig=arkit52", "arkit52 inverse of 52 shapes"),
    ("vrchat://127.0.0.1:{port}?force_all=1", "vrcft inverse of"),  # no avatar to discover
])  # fmt: skip
def test_the_monitor_shows_the_face_of_an_avatardrive_stream(
    qt: Any, url: str, caption: str
) -> None:
    from receivers import wait_for

    from avatardrive.pipeline import open_routes
    from avatardrive.transport import StreamMonitor
    from avatardrive.views._monitor_view import MonitorWindow

    with StreamMonitor(0) as monitor:
        view = MonitorWindow(qt, monitor, interval_ms=10_000)
        (route,) = open_routes([url.format(port=monitor.address[1])])
        try:
            view.start()
            rest = view.face.geometry.parts["lips"].points.copy()
            for index in range(3):
                route.send(smile(), index=index, time=index / 30)
            # VRChat sends plain messages, only the values that changed: wait for them to settle
            settled = [-1]

            def quiet() -> bool:
                time.sleep(0.1)
                count, settled[0] = settled[0], monitor.snapshot().messages
                return count == settled[0] > 0

            assert wait_for(quiet, timeout=5.0)
            view.refresh()
            qt.widgets.QApplication.processEvents()
        finally:
            route.sink.close()
            view.finish()
    assert view.face_caption.text().startswith(caption)
    lips = view.face.geometry.parts["lips"].points
    left_corner, rest_corner = lips[lips[:, 0].argmin()], rest[rest[:, 0].argmin()]
    assert left_corner[1] - rest_corner[1] > 0.05  # the performer's left lip corner rose
