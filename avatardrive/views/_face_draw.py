"""Drawing the preview face with Qt's painter: into a widget, or off screen into RGB frames.

:class:`FacePainter` draws a :class:`~avatardrive.views._face_geometry.FaceGeometry` into any
rectangle of an active ``QPainter`` (a widget's paint event, or an image); :class:`FaceRenderer`
owns an image and turns AU frames into ``(height, width, 3)`` uint8 RGB arrays, off screen.
Qt objects are untyped (``Any``); see ``_plot_qt``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from avatardrive.views._face_geometry import (
    STATIC_PARTS,
    VIEW_BOX,
    FaceGeometry,
    FacePart,
    face_geometry,
)
from avatardrive.views._plot_qt import Qt

__all__ = ["MIRROR_NOTE", "FacePainter", "FaceRenderer", "Style"]

#: What the picture shows, written under the face.
MIRROR_NOTE = "mirror view: performer's left on the left"

_BACKGROUND = "#eef1f4"
_INK = "#3a2e2a"
_SKIN = "#f3cfb1"


@dataclass(frozen=True)
class Style:
    """How one kind of part is drawn: a line (colour, width in face units), a fill, or both."""

    line: str | None = None
    width: float = 0.0
    fill: str | None = None
    alpha: float = 1.0  # at full strength


#: Styles by part name without its side suffix (``brow_L`` -> ``brow``).
STYLES: dict[str, Style] = {
    "shoulders": Style(fill="#5b7083"),
    "neck": Style(line=_INK, width=0.025, fill="#e8bf9f"),
    "ear": Style(line=_INK, width=0.025, fill=_SKIN),
    "head": Style(line=_INK, width=0.03, fill=_SKIN),
    "hair": Style(line="#2e211b", width=0.03, fill="#4a3426"),
    "blush": Style(fill="#ee9c8f", alpha=0.45),
    "cheek": Style(line="#b9826a", width=0.018, alpha=0.8),
    "nasolabial": Style(line="#a8735d", width=0.02),
    "dimple": Style(line="#8d5a47", width=0.022),
    "marionette": Style(line="#8d5a47", width=0.02),
    "chin_boss": Style(fill="#d9a88c", alpha=0.9),
    "chin_crease": Style(line="#a8735d", width=0.018, alpha=0.8),
    "forehead_0": Style(line="#a8735d", width=0.018),
    "forehead_1": Style(line="#a8735d", width=0.018),
    "frown": Style(line="#8d5a47", width=0.022),
    "nose_wing": Style(line="#7e5343", width=0.024),
    "nostril": Style(fill="#5a3a30"),
    "nose_wrinkle_0": Style(line="#8d5a47", width=0.018),
    "nose_wrinkle_1": Style(line="#8d5a47", width=0.018),
    "nose_wrinkle_2": Style(line="#8d5a47", width=0.018),
    "nose_bridge": Style(line="#b9826a", width=0.02),
    "nose_tip": Style(line="#7e5343", width=0.024),
    "crows_feet_0": Style(line="#8d5a47", width=0.016),
    "crows_feet_1": Style(line="#8d5a47", width=0.016),
    "crows_feet_2": Style(line="#8d5a47", width=0.016),
    "lips": Style(line="#8e3b3b", width=0.018, fill="#cf6f6a"),
    "mouth": Style(fill="#4a1f22"),
    "teeth_top": Style(fill="#fbf8f0"),
    "teeth_bottom": Style(fill="#efe9dc"),
    "tongue": Style(line="#8e3b3b", width=0.015, fill="#e0777a"),
    "lip_line": Style(line="#6b2a2a", width=0.02),
    "lower_lip": Style(line="#6b2a2a", width=0.012),
    "eye": Style(fill="#fdfdfb"),
    "iris": Style(fill="#4d7ea8"),
    "pupil": Style(fill="#161616"),
    "upper_lid": Style(line="#2b211e", width=0.03),
    "lower_lid": Style(line="#7e5343", width=0.014),
    "lid_fold": Style(line="#a8735d", width=0.016),
    "brow": Style(line="#4a3426", width=0.055),
}
_CLIPPED = {"iris", "pupil", "teeth_top", "teeth_bottom"}  # drawn inside the eye or the mouth
_FAINT = 0.03  # parts weaker than this are not drawn
_HEAD_PARTS = ("ear_L", "ear_R", "head", "hair")  # large fills, drawn once while they stay put


def _kind(name: str) -> str:
    return name[:-2] if name[-2:] in ("_L", "_R") else name


class FacePainter:
    """Draws face geometry with a ``QPainter``; pens and brushes are made once."""

    def __init__(self, qt: Qt, *, note: bool = True) -> None:
        self._qt = qt
        gui, core = qt.gui, qt.core
        self._note = note
        self._no_pen = gui.QPen(core.Qt.PenStyle.NoPen)
        self._no_brush = gui.QBrush(core.Qt.BrushStyle.NoBrush)
        self._point = core.QPointF
        self._new_polygon = qt.pg.functions.create_qpolygonf
        self._polygon_values = qt.pg.functions.ndarray_from_qpolygonf
        self._backdrops: dict[tuple[float, float], Any] = {}
        self._head_key: bytes | None = None
        self._head_backdrop: Any = None
        self._head_image: Any = None
        self._path = gui.QPainterPath
        self._background = gui.QColor(_BACKGROUND)
        self._note_pen = gui.QPen(gui.QColor("#5d6b78"))
        self._side_pen = gui.QPen(gui.QColor("#8a96a3"))
        self._plans: dict[str, tuple[Style, str | None]] = {}
        self._pens: dict[tuple[str, int], Any] = {}
        self._brushes: dict[tuple[str, int], Any] = {}

    def _pen(self, style: Style, strength: float) -> Any:
        level = round(20 * strength * style.alpha)
        key = (f"{style.line}/{style.width}", level)
        pen = self._pens.get(key)
        if pen is None:
            gui, core = self._qt.gui, self._qt.core
            colour = gui.QColor(style.line)
            colour.setAlphaF(level / 20)
            pen = gui.QPen(colour, style.width)
            pen.setCapStyle(core.Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(core.Qt.PenJoinStyle.RoundJoin)
            self._pens[key] = pen
        return pen

    def _brush(self, style: Style, strength: float) -> Any:
        level = round(20 * strength * style.alpha)
        key = (str(style.fill), level)
        brush = self._brushes.get(key)
        if brush is None:
            colour = self._qt.gui.QColor(style.fill)
            colour.setAlphaF(level / 20)
            brush = self._qt.gui.QBrush(colour)
            self._brushes[key] = brush
        return brush

    def _shape(self, part: FacePart) -> Any:
        polygon = self._new_polygon(len(part.points))
        self._polygon_values(polygon)[:] = part.points
        return polygon

    def _draw(self, painter: Any, part: FacePart, style: Style) -> None:
        shape = self._shape(part)
        if part.closed and style.fill is not None:
            painter.setPen(self._pen(style, part.strength) if style.line else self._no_pen)
            painter.setBrush(self._brush(style, part.strength))
            painter.drawPolygon(shape)
        elif style.line is not None:
            painter.setPen(self._pen(style, part.strength))
            painter.setBrush(self._no_brush)
            painter.drawPolyline(shape)

    def transform(self, rect: Any) -> Any:
        """The transform from face units to the pixels of ``rect`` (aspect kept, centred)."""
        x0, x1, y0, y1 = VIEW_BOX
        scale = min(rect.width() / (x1 - x0), rect.height() / (y1 - y0))
        cx = rect.x() + rect.width() / 2 - scale * (x0 + x1) / 2
        cy = rect.y() + rect.height() / 2 + scale * (y0 + y1) / 2
        return self._qt.gui.QTransform(scale, 0.0, 0.0, -scale, cx, cy)

    def paint(self, painter: Any, geometry: FaceGeometry, rect: Any) -> None:
        """Draw ``geometry`` into ``rect`` (a ``QRectF``) of an active painter, background too."""
        parts = geometry.parts
        head = self._head(rect, parts)
        painter.drawImage(rect.topLeft(), self._backdrop(rect) if head is None else head)
        painter.save()
        painter.setRenderHint(self._qt.gui.QPainter.RenderHint.Antialiasing, True)
        painter.setTransform(self.transform(rect))  # every part lies inside VIEW_BOX
        if head is None:  # the head is moving: its fills are drawn as they are
            self._paint_parts(painter, {name: parts[name] for name in _HEAD_PARTS})
        self._paint_parts(painter, parts, skip=_HEAD_PARTS)
        painter.restore()

    def _head(self, rect: Any, parts: Mapping[str, FacePart]) -> Any:
        """The backdrop with the head's large fills (ears, skin, hair) on it, kept while they
        stay put (they move only when the head turns, the jaw drops or the cheeks puff); ``None``
        while they move from frame to frame, when keeping them would only cost a copy."""
        key = b"".join(parts[name].points.tobytes() for name in _HEAD_PARTS)
        backdrop = self._backdrop(rect)
        if self._head_key == key and self._head_backdrop is backdrop:
            if self._head_image is None:  # still for a second frame: keep it from now on
                self._head_image = self._draw_head(backdrop, parts)
            return self._head_image
        self._head_key, self._head_backdrop, self._head_image = key, backdrop, None
        return None

    def _draw_head(self, backdrop: Any, parts: Mapping[str, FacePart]) -> Any:
        image = backdrop.copy()
        painter = self._qt.gui.QPainter(image)
        try:
            painter.setRenderHint(self._qt.gui.QPainter.RenderHint.Antialiasing, True)
            painter.setTransform(self.transform(self._qt.core.QRectF(image.rect())))
            self._paint_parts(painter, {name: parts[name] for name in _HEAD_PARTS})
        finally:
            painter.end()
        return image

    def _backdrop(self, rect: Any) -> Any:
        """The background, the body and the note, drawn once per size."""
        key = (rect.width(), rect.height())
        image = self._backdrops.get(key)
        if image is None:
            gui, core = self._qt.gui, self._qt.core
            width, height = max(1, round(key[0])), max(1, round(key[1]))
            image = gui.QImage(width, height, gui.QImage.Format.Format_RGB32)
            image.fill(self._background)
            local = core.QRectF(0.0, 0.0, float(width), float(height))
            painter = gui.QPainter(image)
            try:
                painter.setRenderHint(gui.QPainter.RenderHint.Antialiasing, True)
                painter.setRenderHint(gui.QPainter.RenderHint.TextAntialiasing, True)
                painter.save()
                painter.setTransform(self.transform(local))
                self._paint_parts(painter, STATIC_PARTS)
                painter.restore()
                if self._note:
                    self._paint_note(painter, local)
            finally:
                painter.end()
            self._backdrops = {key: image}  # one size at a time
        return image

    def _plan(self, name: str) -> tuple[Style, str | None]:
        """How a part is drawn: its style, and the part it is clipped to (or ``None``)."""
        plan = self._plans.get(name)
        if plan is None:
            kind = _kind(name)
            owner = None
            if kind in _CLIPPED:
                owner = "mouth" if kind.startswith("teeth") else f"eye{name[-2:]}"
            plan = self._plans[name] = (STYLES[kind], owner)
        return plan

    def _paint_parts(
        self, painter: Any, parts: Mapping[str, FacePart], *, skip: Collection[str] = ()
    ) -> None:
        clip: str | None = None
        static = parts is STATIC_PARTS
        for name, part in parts.items():
            if part.strength < _FAINT or (not static and name in STATIC_PARTS) or name in skip:
                continue
            style, owner = self._plan(name)
            if owner != clip:
                if owner is None:
                    painter.setClipping(False)
                else:
                    path = self._path()
                    path.addPolygon(self._shape(parts[owner]))
                    painter.setClipPath(path)
                clip = owner
            self._draw(painter, part, style)
        if clip is not None:
            painter.setClipping(False)

    def _paint_note(self, painter: Any, rect: Any) -> None:
        """"L" and "R" in the top corners, and between them what the picture shows (shortened
        to "mirror view" where the whole note does not fit)."""
        gui = self._qt.gui
        font = painter.font()
        size = max(6.0, min(rect.height() / 48, rect.width() / 30))
        font.setPointSizeF(size)
        font.setBold(True)
        painter.setFont(font)
        metrics = gui.QFontMetricsF(font)
        margin = size * 0.8
        top = rect.y() + margin + metrics.ascent()
        painter.setPen(self._side_pen)
        painter.drawText(self._point(rect.x() + margin, top), "L")
        right = rect.x() + rect.width() - margin - metrics.horizontalAdvance("R")
        painter.drawText(self._point(right, top), "R")
        room = rect.width() - 4 * margin - 2 * metrics.horizontalAdvance("R")
        font.setBold(False)
        painter.setFont(font)
        metrics = gui.QFontMetricsF(font)
        note = MIRROR_NOTE if metrics.horizontalAdvance(MIRROR_NOTE) <= room else "mirror view"
        painter.setPen(self._note_pen)
        centre = rect.x() + (rect.width() - metrics.horizontalAdvance(note)) / 2
        painter.drawText(self._point(centre, top), note)


class FaceRenderer:
    """Renders AU frames to RGB images of the preview face, off screen.

    Parameters
    ----------
    qt : Qt
        From :func:`~avatardrive.views._plot_qt.load_qt`; a ``QGuiApplication`` (or
        ``QApplication``) must exist, e.g. from :func:`~avatardrive.views._plot_qt.application`.
    size : (int, int)
        Width and height in pixels.
    note : bool
        Write which side is which on the picture.
    """

    def __init__(self, qt: Qt, *, size: tuple[int, int] = (512, 512), note: bool = True) -> None:
        width, height = size
        self._qt = qt
        self.size = size
        self.image = qt.gui.QImage(width, height, qt.gui.QImage.Format.Format_RGB32)
        self.painter = FacePainter(qt, note=note)
        self._rect = qt.core.QRectF(0.0, 0.0, float(width), float(height))

    def draw(self, frame: npt.ArrayLike) -> Any:
        """Draw one AU frame ``(N_CHANNELS,)`` into :attr:`image` (a ``QImage``) and return it."""
        painter = self._qt.gui.QPainter(self.image)
        try:
            self.painter.paint(painter, face_geometry(frame), self._rect)
        finally:
            painter.end()
        return self.image

    def render(self, frame: npt.ArrayLike) -> npt.NDArray[np.uint8]:
        """One AU frame ``(N_CHANNELS,)`` as an RGB image, shape (height, width, 3), uint8."""
        return rgb_array(self.draw(frame))


def rgb_array(image: Any) -> npt.NDArray[np.uint8]:
    """A ``QImage`` as a new (height, width, 3) uint8 RGB array (Qt converts, then one copy)."""
    rgb = image.convertToFormat(image.Format.Format_RGB888)
    height, width, stride = rgb.height(), rgb.width(), rgb.bytesPerLine()
    raw = np.frombuffer(rgb.constBits(), dtype=np.uint8, count=stride * height)
    return raw.reshape(height, stride)[:, : 3 * width].reshape(height, width, 3).copy()
