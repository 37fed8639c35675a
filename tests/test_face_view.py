"""The preview face in the live windows: the puppeteering window shows the face of what it sends."""

from __future__ import annotations

from typing import Any

import numpy as np
from test_puppet import ListSource, controller, spin

from avatardrive.facs import N_CHANNELS, channel_index
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
