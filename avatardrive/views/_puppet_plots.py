"""Qt pieces shared by the live windows (puppeteering, monitor): scrolling lines, top-N bars, keys.

Every item is made once; an update only calls ``setData`` / ``setOpts`` / ``setText`` on what
exists, so a window can redraw at its frame rate without creating widgets. Qt objects are untyped
(``Any``), see ``_plot_qt``; Qt itself is loaded by :func:`window_qt` through ``_plot_qt``.
"""

from __future__ import annotations

import html
import math
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from avatardrive.errors import AvatarDriveError
from avatardrive.views._plot_model import shape_side
from avatardrive.views._plot_qt import Qt, display_problem, load_qt

__all__ = [
    "INK",
    "PALETTE",
    "ScrollingLines",
    "TopBars",
    "key_filter",
    "rgb",
    "short_name",
    "timed_view",
    "window_qt",
]

#: Line colours (matplotlib's tab10), one per slot; the right side is the same colour, darker.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip
INK = "#222222"
_DARKER = 0.68
_GRID_COLOR = "#e8e8e8"
_BAR_COLORS = {"L": "#1f77b4", "R": "#15537e", None: "#8a8a8a"}
_NAME_CHARS = 26  # longest bar label; longer names keep their end


def window_qt(what: str, *, env: Mapping[str, str] | None = None) -> Qt:
    """Load Qt for a window, or explain in one line why there can be none.

    Parameters
    ----------
    what : str
        The window, for the message (``"puppeteering"``).
    env : mapping, optional
        Environment variables (``os.environ``). An explicit ``QT_QPA_PLATFORM`` is obeyed,
        ``offscreen`` included (the window then runs without being seen: benchmarks, tests).

    Raises
    ------
    AvatarDriveError
        Without the gui extra (naming it), or without a display.
    """
    qt = load_qt()
    env = os.environ if env is None else env
    if not env.get("QT_QPA_PLATFORM") and (problem := display_problem(env, platform=sys.platform)):
        raise AvatarDriveError(
            f"cannot open the {what} window: {problem}; run where a display is available "
            f"(set DISPLAY), or set QT_QPA_PLATFORM=offscreen to run it unseen"
        )
    return qt


def rgb(hex_rgb: str, *, darker: float = 1.0) -> tuple[int, int, int]:
    """``"#rrggbb"`` as an (r, g, b) tuple, optionally darker (0-1)."""
    value = int(hex_rgb.lstrip("#"), 16)
    return (
        round((value >> 16) * darker),
        round(((value >> 8) & 0xFF) * darker),
        round((value & 0xFF) * darker),
    )


def _hex(color: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


def short_name(key: str, *, limit: int = _NAME_CHARS) -> str:
    """A stream key as a bar label: the last part of an OSC address, at most ``limit`` chars."""
    name = key.rstrip("/").rsplit("/", 1)[-1] or key
    return name if len(name) <= limit else "…" + name[-(limit - 1) :]


def _font(qt: Qt, points: float, *, bold: bool = False) -> Any:
    font = qt.gui.QFont()
    font.setPointSizeF(points)
    font.setBold(bold)
    return font


def _style_axes(qt: Qt, plot: Any) -> None:
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(qt.pg.mkPen("#888888"))
        axis.setTextPen(qt.pg.mkPen(INK))
        axis.setStyle(tickFont=_font(qt, 9.0), tickTextOffset=3)


def _grid(
    qt: Qt, plot: Any, *, xs: npt.ArrayLike = (), ys: npt.ArrayLike = (),
    x_span: tuple[float, float] = (0.0, 1.0), y_span: tuple[float, float] = (0.0, 1.0),
) -> Any:  # fmt: skip
    """Light, opaque grid lines as one curve of segments (pyqtgraph's own grid is translucent and
    costs ~20 ms per repaint of a large plot; this costs next to nothing)."""
    points = [((x, y_span[0]), (x, y_span[1])) for x in np.asarray(xs, dtype=np.float64)]
    points += [((x_span[0], y), (x_span[1], y)) for y in np.asarray(ys, dtype=np.float64)]
    if not points:
        return None
    flat = np.array(points, dtype=np.float64).reshape(-1, 2)
    grid = qt.pg.PlotCurveItem(flat[:, 0], flat[:, 1], connect="pairs",
                               pen=qt.pg.mkPen(_GRID_COLOR, width=1.0))  # fmt: skip
    grid.setZValue(-10)
    plot.addItem(grid, ignoreBounds=True)  # never part of an auto range
    return grid


def _plot_item(qt: Qt) -> Any:
    plot = qt.pg.PlotItem()
    plot.setMenuEnabled(False)
    plot.hideButtons()
    plot.setMouseEnabled(x=False, y=False)
    _style_axes(qt, plot)
    return plot


class ScrollingLines:
    """A plot of the last ``span`` seconds with a fixed number of line slots and a legend.

    With ``sides``, each slot is a pair in the slot's colour: the left side solid (2 px), the right
    side dashed, thinner (1 px) and darker. (Dashed lines wider than 1 px cost Qt up to ten times
    as much to paint.)

    Parameters
    ----------
    qt : Qt
    slots : int
        Lines (or pairs) available.
    span : float
        Seconds shown; x runs from ``-span`` to 0 (now).
    sides : bool
        Pairs of left (solid) and right (dashed) lines.
    y_range : (float, float), optional
        Fixed value range; auto-ranged when ``None``.
    title : str
        Left axis label.
    """

    def __init__(
        self,
        qt: Qt,
        *,
        slots: int,
        span: float,
        sides: bool,
        y_range: tuple[float, float] | None = (0.0, 1.0),
        title: str = "",
    ) -> None:
        self.qt, self.span, self.sides = qt, span, sides
        self.plot = _plot_item(qt)
        self.plot.setXRange(-span, 0.0, padding=0.0)
        if y_range is not None:
            lo, hi = y_range
            pad = 0.04 * (hi - lo)
            self.plot.setYRange(lo - pad, hi + pad, padding=0.0)
            levels = np.linspace(lo, hi, 5)
            _grid(qt, self.plot, xs=np.arange(-math.floor(span), 0.5), ys=levels,
                  x_span=(-span, 0.0), y_span=(lo, hi))  # fmt: skip
            self.plot.getAxis("left").setTicks([[(float(v), f"{v:g}") for v in levels]])
        else:
            self.plot.enableAutoRange(axis="y")
            _grid(qt, self.plot, xs=np.arange(-math.floor(span), 0.5), y_span=(-1e6, 1e6))
        self.plot.setLabel("left", title, color=INK)
        self.plot.setLabel("bottom", "seconds before now", color=INK)
        self.lines: list[tuple[Any, Any | None]] = [
            self._pair(qt, PALETTE[i % len(PALETTE)]) for i in range(slots)
        ]
        self.legend = qt.pg.LabelItem("", size="9pt", color=INK, justify="left")
        self._labels: list[str | None] = [None] * slots
        self._filled = [False] * slots

    def _pair(self, qt: Qt, color: str) -> tuple[Any, Any | None]:
        left = self._curve(qt, qt.pg.mkPen(rgb(color), width=2.0))
        if not self.sides:
            return left, None
        dashed = qt.pg.mkPen(rgb(color, darker=_DARKER), width=1.0)  # thin: Qt dashes fast
        dashed.setStyle(qt.core.Qt.PenStyle.CustomDashLine)
        dashed.setDashPattern([3.0, 2.0])
        return left, self._curve(qt, dashed)

    def _curve(self, qt: Qt, pen: Any) -> Any:
        """A bare ``PlotCurveItem``: its ``setData`` costs a tenth of a ``PlotDataItem``'s. Gaps
        (NaN) are left open."""
        curve = qt.pg.PlotCurveItem(pen=pen, connect="finite")
        self.plot.addItem(curve)
        return curve

    @property
    def labels(self) -> list[str | None]:
        """What each slot shows (``None``: unused)."""
        return list(self._labels)

    def set_labels(self, labels: Sequence[str | None]) -> None:
        """Name the slots (``None``: unused); redraws the legend only when a name changed."""
        labels = list(labels)
        if labels == self._labels:
            return
        self._labels = labels
        rows = [self._legend_row(i, label) for i, label in enumerate(labels) if label is not None]
        self.legend.setText("<br>".join(rows) or "<span style='color:#888'>(nothing active)</span>")

    def _legend_row(self, slot: int, label: str) -> str:
        color = PALETTE[slot % len(PALETTE)]
        sample = f"<span style='color:{color}; font-weight:bold'>━━</span>"
        if self.sides:
            darker = _hex(rgb(color, darker=_DARKER))
            sample += f"&thinsp;<span style='color:{darker}; font-weight:bold'>╸╸╸</span>"
        return f"{sample}&nbsp;{html.escape(label)}"

    def set_slot(
        self,
        slot: int,
        x: npt.ArrayLike,
        left: npt.ArrayLike,
        right: npt.ArrayLike | None = None,
    ) -> None:
        """Draw slot ``slot``: ``left`` (or the only line) and, with sides, ``right`` over ``x``."""
        first, second = self.lines[slot]
        first.setData(x, left)
        if second is not None and right is not None:
            second.setData(x, right)
        self._filled[slot] = True

    def clear_slot(self, slot: int) -> None:
        """Empty slot ``slot`` (cheap when already empty)."""
        if self._filled[slot]:
            for line in self.lines[slot]:
                if line is not None:
                    line.setData([], [])
            self._filled[slot] = False


class TopBars:
    """Horizontal bars for the ``count`` largest values, names on the left, largest on top.

    Parameters
    ----------
    qt : Qt
    count : int
        Bars shown at most.
    x_range : (float, float), optional
        Fixed value range; by default it grows to fit the values (and 0 to 1).
    values_text : bool
        Write each value at the end of its bar.
    title : str
        Bottom axis label.
    """

    def __init__(
        self,
        qt: Qt,
        *,
        count: int,
        x_range: tuple[float, float] | None = None,
        values_text: bool = True,
        title: str = "",
    ) -> None:
        self.qt, self.count = qt, count
        self.plot = _plot_item(qt)
        self.plot.invertY(True)
        self.plot.setYRange(-0.6, count - 0.4, padding=0.0)
        self.plot.setLabel("bottom", title, color=INK)
        self._fixed = x_range
        self._x_range = x_range or (0.0, 1.0)
        self.plot.setXRange(*self._x_range, padding=0.0)
        if x_range is not None:
            _grid(qt, self.plot, xs=np.linspace(*x_range, 11), y_span=(-0.6, count - 0.4))
        self.plot.getAxis("left").setWidth(150)
        self._positions = np.arange(count, dtype=np.float64)
        self.bars = qt.pg.BarGraphItem(
            x0=np.zeros(count), y=self._positions, height=0.72, width=np.zeros(count),
            pen=qt.pg.mkPen(None), brush=qt.pg.mkBrush(_BAR_COLORS["L"]),
        )  # fmt: skip
        self.plot.addItem(self.bars)
        self.texts = [self._text(qt, i) for i in range(count)] if values_text else []
        self._labels = [""] * count
        self.names: tuple[str, ...] = ()
        self.values = np.zeros(0, dtype=np.float64)

    def _text(self, qt: Qt, row: int) -> Any:
        text = qt.pg.TextItem("", color=INK, anchor=(0.0, 0.5))
        text.setFont(_font(qt, 8.5))
        text.setPos(0.0, float(row))
        self.plot.addItem(text)
        return text

    def show(self, names: Sequence[str], values: npt.ArrayLike) -> None:
        """Show ``values`` (shape (n,), n <= count) under ``names``, top to bottom."""
        shown = np.asarray(values, dtype=np.float64)[: self.count]
        names = tuple(names[: len(shown)])
        widths = np.zeros(self.count)
        widths[: len(shown)] = shown
        if names != self.names:
            self._rename(names)
        self.bars.setOpts(width=widths)
        self._fit(shown)
        for row, text in enumerate(self.texts):
            label = f"{shown[row]:.2f}" if row < len(shown) else ""
            if label != self._labels[row]:  # setText and setPos lay text out again: only on change
                self._labels[row] = label
                text.setText(label)
                if label:
                    text.setPos(max(float(shown[row]), 0.0), float(row))
        self.names, self.values = names, shown

    def _rename(self, names: tuple[str, ...]) -> None:
        ticks = [(float(i), short_name(name)) for i, name in enumerate(names)]
        self.plot.getAxis("left").setTicks([ticks])
        colors = [_BAR_COLORS[shape_side(name)[1]] for name in names]
        colors += [_BAR_COLORS[None]] * (self.count - len(names))
        self.bars.setOpts(brushes=[self.qt.pg.mkBrush(color) for color in colors])

    def _fit(self, shown: npt.NDArray[np.float64]) -> None:
        if self._fixed is not None or not len(shown):
            return
        lo, hi = self._x_range
        want = (min(lo, float(shown.min())), max(hi, float(shown.max()) * 1.15))
        if want != self._x_range:
            self._x_range = want
            self.plot.setXRange(*want, padding=0.0)


def timed_view(
    qt: Qt, on_paint: Callable[[float], None], *, clock: Callable[[], float] = time.perf_counter
) -> Any:
    """A ``GraphicsLayoutWidget`` that reports how long each of its paints takes, in seconds.

    Qt paints some milliseconds after a view's data changed; this is how a window learns what
    its drawing really costs.
    """
    base: Any = qt.pg.GraphicsLayoutWidget

    class TimedView(base):  # type: ignore[misc]
        def paintEvent(self, event: Any) -> Any:  # noqa: N802 - Qt's name
            began = clock()
            try:
                return super().paintEvent(event)
            finally:
                on_paint(clock() - began)

    return TimedView(show=False)


def key_filter(
    qt: Qt, on_key: Callable[[Any], bool], *, on_close: Callable[[], None] | None = None
) -> Any:
    """A QObject that passes key presses to ``on_key(event)``; install it on a window.

    ``on_key`` returns True when it used the key (the window then does not see it).
    ``on_close`` is called when the window is about to close (its close button included).
    """
    base: Any = qt.core.QObject
    key_press, close = qt.core.QEvent.Type.KeyPress, qt.core.QEvent.Type.Close

    class KeyFilter(base):  # type: ignore[misc]
        def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802 - Qt's name
            kind = event.type()
            if kind == key_press:
                return bool(on_key(event))
            if kind == close and on_close is not None:
                on_close()
            return False

    return KeyFilter()
