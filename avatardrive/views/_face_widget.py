"""The preview face as a widget, for the live windows (puppeteering, monitor).

:class:`FaceView` keeps the last AU frame's geometry and paints it in its widget's paint event
(Qt paints when it is ready; :meth:`FaceView.show` only computes the outlines and asks for a
repaint). Qt objects are untyped (``Any``); see ``_plot_qt``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from avatardrive.facs import N_CHANNELS
from avatardrive.views._face_draw import FacePainter
from avatardrive.views._face_geometry import FaceGeometry, face_geometry
from avatardrive.views._plot_qt import Qt

__all__ = ["FaceView"]

_MIN_SIZE = 160  # pixels, each side


class FaceView:
    """A widget showing the preview face of the last AU frame given to :meth:`show`.

    Parameters
    ----------
    qt : Qt
    on_paint : callable, optional
        Called with the seconds each paint took (the puppet window books its drawing cost).
    clock : callable returning seconds
    """

    def __init__(
        self, qt: Qt, *, on_paint: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:  # fmt: skip
        self.geometry: FaceGeometry = face_geometry(np.zeros(N_CHANNELS))
        self.shows = 0
        painter = FacePainter(qt)
        view = self
        base: Any = qt.widgets.QWidget

        class FaceWidget(base):  # type: ignore[misc]
            def paintEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
                began = clock()
                canvas = qt.gui.QPainter(self)
                try:
                    painter.paint(canvas, view.geometry, qt.core.QRectF(self.rect()))
                finally:
                    canvas.end()
                    if on_paint is not None:
                        on_paint(clock() - began)

        self.widget: Any = FaceWidget()
        self.widget.setObjectName("preview-face")
        self.widget.setMinimumSize(_MIN_SIZE, _MIN_SIZE)
        self.widget.setFocusPolicy(qt.core.Qt.FocusPolicy.NoFocus)
        self.widget.setToolTip("avatardrive's preview face of the AU frame being sent "
                               "(mirror view: the performer's left on the left)")  # fmt: skip

    def show(self, au: npt.ArrayLike) -> None:
        """Show one AU frame ``(N_CHANNELS,)``: outlines now, pixels at Qt's next paint."""
        self.geometry = face_geometry(au)
        self.shows += 1
        self.widget.update()
