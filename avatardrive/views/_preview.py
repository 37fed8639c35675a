"""Preview renders: AU curves played on the preview face, to a video, a GIF or a contact sheet.

:class:`PreviewFrames` draws frame ``i`` of a clip: the face alone, or (``with_plot``) the face
beside lanes of the most active AUs scrolling past a time cursor. :func:`write_preview` writes a
whole clip by the target's suffix:

- ``.mp4`` / ``.avi``: every frame, at the curves' frame rate (OpenCV, through
  :class:`avatardrive.tracking.VideoWriter`);
- ``.gif``: at most :data:`GIF_MAX_FPS` frames a second and :data:`GIF_MAX_SECONDS` long, one
  shared palette (Pillow);
- ``.png``: a contact sheet of chosen times, each tile labelled with its time.

Every file is written beside its target and renamed into place when complete.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

import numpy as np
import numpy.typing as npt

from avatardrive._files import atomic_output, display_path
from avatardrive.curves import Curves
from avatardrive.errors import AvatarDriveError, ParameterError
from avatardrive.facs import CHANNELS, action_unit, action_units, channels_of
from avatardrive.tracking import VIDEO_CODECS, VideoWriter
from avatardrive.views._face_draw import FacePainter, rgb_array
from avatardrive.views._face_geometry import face_geometry
from avatardrive.views._plot_qt import Qt

__all__ = [
    "GIF_MAX_FPS",
    "GIF_MAX_SECONDS",
    "PREVIEW_SUFFIXES",
    "PreviewFrames",
    "PreviewReport",
    "active_units",
    "sheet_times",
    "write_preview",
]

GIF_MAX_FPS = 25.0  # browsers slow down GIF frames shorter than 20 ms; 40 ms is safe
GIF_MAX_SECONDS = 60.0
PREVIEW_SUFFIXES = (*VIDEO_CODECS, ".gif", ".png")
_GIF_COLOURS = 255  # one palette index is left for "unchanged since the last frame"
_UNCHANGED = 255
SHEET_TILES = 6  # tiles of a contact sheet when no times are chosen
_LANES = 8  # AUs shown beside the face
_ACTIVE = 0.05  # an AU whose peak stays below this gets no lane
_SPAN = 8.0  # seconds of curves in view
_CURSOR = 0.7  # the cursor's place across a scrolling view
_STILL_SPAN = 12.0  # seconds: a clip up to this long is shown whole, the cursor moving over it
_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
            "#e377c2")  # fmt: skip
_PANEL_BACKGROUND = "#ffffff"
_GRID = "#e3e6ea"
_LABEL = "#3c4650"

Progress = Callable[[int, int], None]


def _even(n: int) -> int:
    return max(2, n - n % 2)


def active_units(curves: Curves, *, lanes: int = _LANES) -> list[int]:
    """AU numbers of the ``lanes`` face AUs with the highest peaks (either side), strongest first.

    Head and gaze units are left out (the face shows them); units peaking under 0.05 too.
    """
    peaks = curves.values.max(axis=0) if curves.n_frames else np.zeros(len(CHANNELS))
    scored = []
    for unit in action_units():
        if unit.kind in ("head", "gaze"):
            continue
        left, right = channels_of(unit.number)
        peak = float(max(peaks[left], peaks[right]))
        if peak >= _ACTIVE:
            scored.append((-peak, unit.number))
    return [number for _, number in sorted(scored)[:lanes]]


class _Lanes:
    """The curve lanes beside the face: a strip rendered in chunks of one view's width, kept
    while in view, so that a frame only copies pixels and draws the cursor."""

    def __init__(self, qt: Qt, curves: Curves, size: tuple[int, int]) -> None:
        self._qt = qt
        self._curves = curves
        self.width, self.height = size
        self.units = active_units(curves)
        self._label_width = round(self.width * 0.3)
        self._plot_width = self.width - self._label_width - 8
        self._axis = max(16, round(self.height * 0.05))
        # a clip that fits in one view stays still and the cursor moves across it; a longer one
        # scrolls past a cursor that stays at _CURSOR of the view
        self._still = curves.duration <= _STILL_SPAN
        self._origin = curves.start if self._still else 0.0
        self._span = max(curves.duration, 1.0 / curves.fps) if self._still else _SPAN
        self._pixels_per_second = self._plot_width / self._span
        self._chunks: dict[int, Any] = {}
        self.backdrop = self._draw_backdrop()

    def _lane_box(self, lane: int) -> tuple[float, float]:
        """Top and height, in pixels, of a lane."""
        usable = self.height - self._axis - 8
        each = usable / max(len(self.units), 1)
        return 4 + lane * each, each

    def _draw_backdrop(self) -> Any:
        gui, core = self._qt.gui, self._qt.core
        image = gui.QImage(self.width, self.height, gui.QImage.Format.Format_RGB32)
        image.fill(gui.QColor(_PANEL_BACKGROUND))
        painter = gui.QPainter(image)
        try:
            painter.setRenderHint(gui.QPainter.RenderHint.Antialiasing, True)
            font = painter.font()
            font.setPointSizeF(max(6.0, self.height / 60))
            painter.setFont(font)
            if not self.units:
                painter.setPen(gui.QColor(_LABEL))
                painter.drawText(core.QRectF(0, 0, self.width, self.height),
                                 core.Qt.AlignmentFlag.AlignCenter, "no AU above 0.05")  # fmt: skip
            for lane, number in enumerate(self.units):
                top, each = self._lane_box(lane)
                painter.setPen(gui.QColor(_COLOURS[lane % len(_COLOURS)]))
                name = action_unit(number).name.lower()
                painter.drawText(core.QRectF(6, top, self._label_width - 8, each),
                                 core.Qt.AlignmentFlag.AlignVCenter
                                 | core.Qt.TextFlag.TextWordWrap, f"AU{number} {name}")  # fmt: skip
            painter.setPen(gui.QColor(_LABEL))
            legend = core.QRectF(6, self.height - self._axis, self._label_width, self._axis)
            painter.drawText(legend, core.Qt.AlignmentFlag.AlignVCenter, "L solid · R dashed")
        finally:
            painter.end()
        return image

    def _chunk(self, k: int) -> Any:
        chunk = self._chunks.get(k)
        if chunk is not None:
            return chunk
        gui = self._qt.gui
        width = self._plot_width
        image = gui.QImage(width, self.height, gui.QImage.Format.Format_RGB32)
        image.fill(gui.QColor(_PANEL_BACKGROUND))
        t0 = self._origin + k * self._span
        painter = gui.QPainter(image)
        try:
            painter.setRenderHint(gui.QPainter.RenderHint.Antialiasing, True)
            self._draw_grid(painter, t0)
            self._draw_curves(painter, t0)
        finally:
            painter.end()
        if len(self._chunks) >= 3:
            self._chunks.pop(max(self._chunks, key=lambda j: abs(j - k)))
        self._chunks[k] = image
        return image

    def _draw_grid(self, painter: Any, t0: float) -> None:
        gui, core = self._qt.gui, self._qt.core
        font = painter.font()
        font.setPointSizeF(max(6.0, self.height / 64))
        painter.setFont(font)
        grid = gui.QPen(gui.QColor(_GRID), 1.0)
        for lane in range(len(self.units)):
            top, each = self._lane_box(lane)
            painter.setPen(grid)
            bottom = top + each
            painter.drawLine(core.QPointF(0, bottom), core.QPointF(self._plot_width, bottom))
        step = 1.0 if self._span <= 15 else 5.0
        first = max(0, math.ceil(t0 / step))
        last = math.floor((t0 + self._span) / step)
        for tick in range(first, last + 1):
            t = tick * step
            x = (t - t0) * self._pixels_per_second
            painter.setPen(grid)
            painter.drawLine(core.QPointF(x, 4), core.QPointF(x, self.height - self._axis))
            painter.setPen(gui.QColor(_LABEL))
            painter.drawText(core.QPointF(x + 2, self.height - self._axis * 0.3), f"{t:g} s")

    def _draw_curves(self, painter: Any, t0: float) -> None:
        gui, core = self._qt.gui, self._qt.core
        curves = self._curves
        times = curves.times()
        lo = max(0, int(np.searchsorted(times, t0 - 1.0 / curves.fps)) - 1)
        hi = min(curves.n_frames, int(np.searchsorted(times, t0 + self._span)) + 2)
        if hi - lo < 2:
            return
        xs = (times[lo:hi] - t0) * self._pixels_per_second
        make = self._qt.pg.functions.create_qpolygonf
        values_of = self._qt.pg.functions.ndarray_from_qpolygonf
        for lane, number in enumerate(self.units):
            top, each = self._lane_box(lane)
            colour = gui.QColor(_COLOURS[lane % len(_COLOURS)])
            styles = (core.Qt.PenStyle.SolidLine, core.Qt.PenStyle.DashLine)
            for side, style in zip(channels_of(number), styles, strict=True):
                pen = gui.QPen(colour, max(1.5, self.height / 400))
                pen.setStyle(style)
                painter.setPen(pen)
                line = make(hi - lo)
                points = values_of(line)
                points[:, 0] = xs
                points[:, 1] = top + each * (0.92 - 0.84 * curves.values[lo:hi, side])
                painter.drawPolyline(line)

    def paint(self, painter: Any, left: float, t: float) -> None:
        """Draw the lanes with the cursor at time ``t`` (seconds), the panel's left at ``left``."""
        gui, core = self._qt.gui, self._qt.core
        painter.drawImage(core.QPointF(left, 0), self.backdrop)
        origin = left + self._label_width
        if self._still:
            k, offset = 0, 0.0
            cursor = origin + (t - self._origin) * self._pixels_per_second
        else:
            view_start = t - _CURSOR * self._span
            k = math.floor(view_start / self._span)
            offset = (view_start - k * self._span) * self._pixels_per_second
            cursor = origin + _CURSOR * self._plot_width
        painter.save()
        painter.setClipRect(core.QRectF(origin, 0, self._plot_width, self.height))
        painter.drawImage(core.QPointF(origin - offset, 0), self._chunk(k))
        if not self._still:
            painter.drawImage(core.QPointF(origin - offset + self._plot_width, 0),
                              self._chunk(k + 1))  # fmt: skip
        painter.setPen(gui.QPen(gui.QColor("#202020"), 1.5))
        painter.drawLine(core.QPointF(cursor, 0), core.QPointF(cursor, self.height - self._axis))
        painter.restore()


class PreviewFrames:
    """Draws the frames of a clip of AU curves on the preview face.

    Parameters
    ----------
    qt : Qt
        With an application (see :func:`~avatardrive.views._plot_qt.application`).
    curves : Curves
        AU curves, names ``facs.CHANNELS``, shape (frames, N_CHANNELS).
    size : (int, int)
        The face's width and height in pixels (rounded down to even numbers).
    with_plot : bool
        Add the lanes of the most active AUs, 1.6 times the face's height wide, on the right.
    """

    def __init__(
        self, qt: Qt, curves: Curves, *, size: tuple[int, int] = (512, 512), with_plot: bool = False
    ) -> None:
        if curves.names != CHANNELS:
            raise ParameterError("preview curves must have the AU channels (facs.CHANNELS) as "
                                 "names, in order")  # fmt: skip
        self._qt = qt
        self.curves = curves
        face_w, face_h = _even(size[0]), _even(size[1])
        lanes_size = (_even(round(1.6 * face_h)), face_h)
        self._lanes = _Lanes(qt, curves, lanes_size) if with_plot else None
        width = face_w + (self._lanes.width if self._lanes else 0)
        self.size = (width, face_h)
        self.image = qt.gui.QImage(width, face_h, qt.gui.QImage.Format.Format_RGB32)
        self._face_rect = qt.core.QRectF(0.0, 0.0, float(face_w), float(face_h))
        self._painter = FacePainter(qt)

    @property
    def units(self) -> list[int]:
        """The AUs given lanes (empty without the plot)."""
        return self._lanes.units if self._lanes else []

    def draw(self, index: int) -> Any:
        """Draw frame ``index`` into :attr:`image` (a ``QImage``) and return it."""
        painter = self._qt.gui.QPainter(self.image)
        try:
            self._painter.paint(painter, face_geometry(self.curves.values[index]), self._face_rect)
            if self._lanes is not None:
                t = self.curves.start + index / self.curves.fps
                self._lanes.paint(painter, self._face_rect.width(), t)
        finally:
            painter.end()
        return self.image

    def rgb(self, index: int) -> npt.NDArray[np.uint8]:
        """Frame ``index`` as RGB, shape (height, width, 3), uint8."""
        return rgb_array(self.draw(index))

    def bgra(self, index: int) -> npt.NDArray[np.uint8]:
        """Frame ``index`` as BGRA, shape (height, width, 4), uint8: a read-only view of
        :attr:`image`'s memory (no copy), valid until the next draw."""
        image = self.draw(index)
        height, width, stride = image.height(), image.width(), image.bytesPerLine()
        raw = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * height)
        return raw.reshape(height, stride // 4, 4)[:, :width]


@dataclass(frozen=True)
class PreviewReport:
    """What :func:`write_preview` wrote.

    Attributes
    ----------
    path : str
    frames : int
        Frames (video, GIF) or tiles (contact sheet) written.
    fps : float
        Frame rate of the file (0 for a contact sheet).
    size : (int, int)
        Width and height of the file's pictures.
    units : list of int
        The AUs given lanes beside the face (empty without the plot).
    """

    path: str
    frames: int
    fps: float
    size: tuple[int, int]
    units: list[int]


def sheet_times(curves: Curves, *, tiles: int = SHEET_TILES) -> list[float]:
    """``tiles`` evenly spaced times (seconds) across a clip, first and last frame included."""
    if curves.n_frames == 0:
        return []
    first, last = curves.start, curves.start + (curves.n_frames - 1) / curves.fps
    return [float(t) for t in np.linspace(first, last, min(tiles, curves.n_frames))]


def write_preview(
    qt: Qt, curves: Curves, path: str | os.PathLike[str], *, size: tuple[int, int] = (512, 512),
    with_plot: bool = False, times: Sequence[float] | None = None,
    progress: Progress | None = None,
) -> PreviewReport:  # fmt: skip
    """Write a preview of AU curves: a video, a GIF or a contact sheet, by the suffix of ``path``.

    Parameters
    ----------
    qt : Qt
        With an application.
    curves : Curves
        AU curves, shape (frames, N_CHANNELS), at least one frame.
    path : path-like
        ``.mp4``, ``.avi``, ``.gif`` or ``.png``, in an existing folder.
    size : (int, int)
        The face's size in pixels.
    with_plot : bool
        The face beside the curves of the most active AUs and a time cursor.
    times : sequence of float, optional
        For ``.png``: the times (seconds) to show; by default :data:`SHEET_TILES` evenly spaced.
    progress : callable, optional
        Called as ``progress(done, total)`` while frames are drawn.

    Raises
    ------
    ParameterError
        For an unknown suffix, a missing folder, an empty clip, a GIF too long, or a time outside
        the clip.
    """
    target = Path(path)
    source = display_path(path)
    suffix = target.suffix.lower()
    if suffix not in PREVIEW_SUFFIXES:
        raise ParameterError(f"output {source!r} has suffix {target.suffix or '(none)'!r}; "
                             f"expected one of {', '.join(PREVIEW_SUFFIXES)}")  # fmt: skip
    if not target.parent.resolve().is_dir():
        raise ParameterError(f"output folder {str(target.parent)!r} does not exist; expected an "
                             f"existing folder")  # fmt: skip
    if curves.n_frames == 0:
        raise ParameterError(f"nothing to preview for {source!r}: the clip has no frames")
    tick = progress or (lambda done, total: None)
    if suffix == ".png":
        return _write_sheet(qt, curves, target, size=size, with_plot=with_plot,
                            times=sheet_times(curves) if times is None else list(times),
                            progress=tick)  # fmt: skip
    if suffix == ".gif":
        return _write_gif(qt, curves, target, size=size, with_plot=with_plot, progress=tick)
    frames = PreviewFrames(qt, curves, size=size, with_plot=with_plot)
    total = curves.n_frames
    with VideoWriter(target, fps=curves.fps, size=frames.size) as video:
        for index in range(total):
            video.write(frames.bgra(index), order="bgra")
            tick(index + 1, total)
    return PreviewReport(source, total, curves.fps, frames.size, frames.units)


def _write_gif(
    qt: Qt, curves: Curves, target: Path, *, size: tuple[int, int], with_plot: bool,
    progress: Progress,
) -> PreviewReport:  # fmt: skip
    image_module = _pillow()
    if curves.duration > GIF_MAX_SECONDS:
        raise ParameterError(
            f"a GIF of {curves.duration:.1f} s is too long; expected at most "
            f"{GIF_MAX_SECONDS:g} s (choose a part with --from/--to, or write .mp4)"
        )
    fps = min(curves.fps, GIF_MAX_FPS)
    clip = curves if fps == curves.fps else curves.resample(fps)
    frames = PreviewFrames(qt, clip, size=size, with_plot=with_plot)
    palette = _palette(image_module, frames)
    colours = palette.getpalette()[: 3 * _GIF_COLOURS]
    colours += [255, 0, 255] * (256 - _GIF_COLOURS)  # index 255: "unchanged" (transparent)
    pictures, previous = [], None
    for index in range(clip.n_frames):
        quantized = image_module.fromarray(frames.rgb(index)).quantize(
            palette=palette, dither=image_module.Dither.NONE
        )
        indices = np.asarray(quantized)
        # pixels equal to the last frame's become transparent: the last frame shows through
        # (disposal 1) and long transparent runs compress to almost nothing
        shown = indices if previous is None else np.where(indices == previous, _UNCHANGED, indices)
        previous = indices
        picture = image_module.fromarray(shown.astype(np.uint8), mode="P")
        picture.putpalette(colours)
        pictures.append(picture)
        progress(index + 1, clip.n_frames)
    duration = round(1000.0 / fps)
    with atomic_output(target, binary=True) as file:
        pictures[0].save(file, format="GIF", save_all=True, append_images=pictures[1:],
                         duration=duration, loop=0, optimize=False, disposal=1,
                         transparency=_UNCHANGED)  # fmt: skip
    return PreviewReport(display_path(target), len(pictures), 1000.0 / duration, frames.size,
                         frames.units)  # fmt: skip


def _palette(image_module: Any, frames: PreviewFrames) -> Any:
    """One 256-colour palette for every frame (no flicker between frames), from a few frames."""
    n = frames.curves.n_frames
    samples = [frames.rgb(i) for i in sorted({0, n // 3, n // 2, 2 * n // 3, n - 1})]
    strip = image_module.fromarray(np.vstack(samples))
    return strip.quantize(colors=_GIF_COLOURS, method=image_module.Quantize.MEDIANCUT)


def _pillow() -> Any:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - depends on the environment
        raise AvatarDriveError("writing a GIF needs Pillow, which is not installed; install it "
                               "with: pip install 'avatardrive[gui]'") from None  # fmt: skip
    return Image


def _write_sheet(
    qt: Qt, curves: Curves, target: Path, *, size: tuple[int, int], with_plot: bool,
    times: list[float], progress: Progress,
) -> PreviewReport:  # fmt: skip
    gui, core = qt.gui, qt.core
    first, last = curves.start, curves.start + (curves.n_frames - 1) / curves.fps
    for t in times:
        if not (math.isfinite(t) and first - 1e-9 <= t <= last + 1e-9):
            raise ParameterError(f"time {t!r} is outside the clip; expected {first:g} to "
                                 f"{last:.3f} s")  # fmt: skip
    if not times:
        raise ParameterError("a contact sheet needs at least one time")
    frames = PreviewFrames(qt, curves, size=size, with_plot=with_plot)
    tile_w, tile_h = frames.size
    caption = max(18, round(tile_h * 0.07))
    columns = min(len(times), 3 if with_plot else 4)
    rows = math.ceil(len(times) / columns)
    sheet = gui.QImage(columns * tile_w, rows * (tile_h + caption), gui.QImage.Format.Format_RGB32)
    sheet.fill(gui.QColor("#ffffff"))
    painter = gui.QPainter(sheet)
    try:
        font = painter.font()
        font.setPointSizeF(caption * 0.45)
        painter.setFont(font)
        painter.setPen(gui.QColor(_LABEL))
        for k, t in enumerate(times):
            index = min(curves.n_frames - 1, max(0, round((t - curves.start) * curves.fps)))
            x, y = (k % columns) * tile_w, (k // columns) * (tile_h + caption)
            painter.drawImage(core.QPointF(x, y + caption), frames.draw(index))
            painter.drawText(core.QRectF(x, y, tile_w, caption), core.Qt.AlignmentFlag.AlignCenter,
                             f"t = {curves.start + index / curves.fps:.2f} s")  # fmt: skip
            progress(k + 1, len(times))
    finally:
        painter.end()
    with atomic_output(target, binary=True) as file:
        data = core.QByteArray()
        buffer = core.QBuffer(data)
        buffer.open(core.QIODevice.OpenModeFlag.WriteOnly)
        if not sheet.save(buffer, "PNG"):
            raise AvatarDriveError("Qt could not encode the contact sheet as PNG",
                                   source=display_path(target))  # fmt: skip
        buffer.close()
        cast(BinaryIO, file).write(bytes(data.data()))
    return PreviewReport(display_path(target), len(times), 0.0, (sheet.width(), sheet.height()),
                         frames.units)  # fmt: skip
