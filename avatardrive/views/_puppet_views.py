"""The drawn parts of the puppeteering window: the camera with the face mesh, and the AU curves.

Each is made once and updated in place; see ``_puppet_window`` for the window around them. Qt
objects are untyped (``Any``); see ``_plot_qt``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from avatardrive.facs import action_units, channels_of
from avatardrive.views._plot_qt import Qt
from avatardrive.views._puppet_model import History, LineSlots, mark_points
from avatardrive.views._puppet_plots import ScrollingLines, timed_view

__all__ = ["ACTIVE", "MAX_FPS", "CameraView", "CurvesView"]

MAX_FPS = 120.0  # the curves' history holds their span up to this input rate
ACTIVE = 0.05  # an AU whose peak over the span stays below this is not drawn


class CameraView:
    """The camera image with the face mesh drawn into it, in its own view (aspect kept, y down).

    The mesh points are written into a copy of the image (two buffers, used in turn) as small
    squares: much cheaper to show than a scatter plot of 478 points.
    """

    def __init__(self, qt: Qt, *, on_paint: Callable[[float], None]) -> None:
        pg = qt.pg
        self.widget = timed_view(qt, on_paint)
        self.widget.setBackground("#101010")
        self.widget.setFocusPolicy(qt.core.Qt.FocusPolicy.NoFocus)
        self.view = self.widget.addViewBox(lockAspect=True, invertY=True, enableMouse=False)
        self.view.setMenuEnabled(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.view.addItem(self.image)
        self._buffers: list[npt.NDArray[np.uint8]] = []
        self._turn = 0

    def show(self, image: npt.NDArray[np.uint8] | None, landmarks: Any) -> None:
        if image is None:
            return
        if not self._buffers or self._buffers[0].shape != image.shape:
            self._buffers = [np.empty_like(image), np.empty_like(image)]
            self.view.setRange(xRange=(0, image.shape[1]), yRange=(0, image.shape[0]),
                               padding=0.0)  # fmt: skip
        self._turn ^= 1
        shown = self._buffers[self._turn]
        np.copyto(shown, image)
        if landmarks is not None:
            mark_points(shown, landmarks[:, :2], size=max(1, round(image.shape[1] / 250)))
        self.image.setImage(shown, autoLevels=False, levels=(0, 255))


class CurvesView:
    """AU history and its scrolling plot: the most active AUs, left solid and right dashed."""

    def __init__(self, qt: Qt, *, slots: int, span: float) -> None:
        units = action_units()
        pairs = [channels_of(unit.number) for unit in units]
        self.left = np.array([p[0] for p in pairs])
        self.right = np.array([p[1] for p in pairs])
        self.names = [f"{unit.code} {unit.name}" for unit in units]
        self.span = span
        self.history = History(math.ceil(span * MAX_FPS), columns=2 * len(units))
        self.slots = LineSlots(slots, threshold=ACTIVE)
        self.lines = ScrollingLines(qt, slots=slots, span=span, sides=True,
                                    title="AU intensity")  # fmt: skip
        self.lines.set_labels([None] * slots)

    def draw(self, now: float) -> None:
        history = self.history
        start = history.since(now - self.span)
        values = history.values()[start:]
        x = history.times()[start:] - now
        left, right = values[:, self.left], values[:, self.right]
        peaks = np.maximum(left, right).max(axis=0, initial=0.0)
        if self.slots.update(peaks):
            self.lines.set_labels(
                [None if unit is None else self.names[unit] for unit in self.slots.assigned]
            )
        for slot, unit in enumerate(self.slots.assigned):
            if unit is None:
                self.lines.clear_slot(slot)
            else:
                self.lines.set_slot(slot, x, left[:, unit], right[:, unit])
