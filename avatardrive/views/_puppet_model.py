"""What the live views draw, as plain data (no Qt): histories, line slots, bar rankings, text.

Shared by the puppeteering window and the monitor view. Everything is preallocated or O(size of
the view) per frame, so that a view can update at the frame rate without allocating widgets:

- :class:`History` keeps the last frames of a fixed set of columns in a ring buffer whose latest
  ``n`` rows are always one contiguous view (every row is written twice);
- :class:`LineSlots` assigns the most active series to a fixed number of drawn lines, keeping a
  series on its line (and colour) for as long as it stays active;
- :func:`top_bars` ranks values for a bar chart;
- :func:`key_name` maps a Qt key press to a hotkey, :func:`mark_points` draws the face mesh into
  an image;
- the ``*_text`` and ``*_html`` functions format the puppet window's status, layers and key help.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from avatardrive.errors import ParameterError
from avatardrive.pipeline import KEY_HELP, LayerStatus, PuppetState
from avatardrive.synth import EMOTIONS, READOUT_NAMES

__all__ = [
    "History",
    "LineSlots",
    "flags_text",
    "key_name",
    "keys_html",
    "layers_html",
    "mark_points",
    "readout_html",
    "status_text",
    "top_bars",
]

#: Qt key codes: digits, letters and space are their ASCII codes; Escape is Qt::Key_Escape.
_QT_SPACE, _QT_ESCAPE = 0x20, 0x01000000
#: Shift+digit on a US keyboard arrives as the symbol; other layouts send other symbols.
_SHIFTED_DIGITS = dict(zip("!@#$%^&*()", "1234567890", strict=True))
_MESH_COLOR = (60, 255, 120)

FloatArray = npt.NDArray[np.float32]


class History:
    """The latest rows of a fixed set of columns, with their times.

    Parameters
    ----------
    capacity : int
        Rows kept.
    columns : int
        Values per row.

    Examples
    --------
    >>> history = History(3, columns=2)
    >>> for t in range(5):
    ...     history.push(float(t), np.array([t, -t], np.float32))
    >>> history.times().tolist(), history.values()[:, 0].tolist()
    ([2.0, 3.0, 4.0], [2.0, 3.0, 4.0])
    """

    def __init__(self, capacity: int, *, columns: int) -> None:
        if capacity < 1 or columns < 0:
            raise ParameterError(
                f"capacity {capacity}, columns {columns}; expected capacity >= 1, columns >= 0"
            )
        self.capacity = capacity
        self._times = np.zeros(2 * capacity, dtype=np.float64)
        self._values = np.zeros((2 * capacity, columns), dtype=np.float32)
        self._head = 0  # where the next row goes, in [0, capacity)
        self.size = 0
        """Rows held (at most ``capacity``)."""

    @property
    def columns(self) -> int:
        return int(self._values.shape[1])

    def push(self, time: float, row: npt.ArrayLike) -> None:
        """Append one row (shape (columns,)) at ``time``; the oldest row goes when full."""
        head, cap = self._head, self.capacity
        self._times[head] = self._times[head + cap] = time
        self._values[head] = self._values[head + cap] = row
        self._head = (head + 1) % cap
        self.size = min(self.size + 1, cap)

    def times(self) -> npt.NDArray[np.float64]:
        """Times of the rows held, oldest first, shape (size,) (a view: valid until a push)."""
        end = self._head + self.capacity
        return self._times[end - self.size : end]

    def values(self) -> FloatArray:
        """The rows held, oldest first, shape (size, columns) (a view: valid until a push)."""
        end = self._head + self.capacity
        return self._values[end - self.size : end]

    def since(self, start: float) -> int:
        """Index into :meth:`times` of the first row at or after ``start``."""
        return int(np.searchsorted(self.times(), start, side="left"))

    def widen(self, columns: int, *, fill: float = 0.0) -> None:
        """Hold ``columns`` values per row from now on (new columns read ``fill`` in the past)."""
        if columns > self.columns:
            wider = np.full((2 * self.capacity, columns), fill, dtype=np.float32)
            wider[:, : self.columns] = self._values
            self._values = wider


class LineSlots:
    """Which series each of a fixed number of drawn lines shows.

    A series keeps its slot while its activity stays at or above ``threshold``; free slots go to
    the most active series not shown yet. When none is free, a newcomer takes the slot of the
    least active series shown if it is ``evict`` times as active. Lines therefore keep their
    colour while they matter, and the strongest actions are always drawn.

    Parameters
    ----------
    slots : int
        Lines available.
    threshold : float
        Least activity for a series to be shown.
    evict : float
        How many times as active a newcomer must be to take a slot from a shown series.
    """

    def __init__(self, slots: int, *, threshold: float, evict: float = 1.5) -> None:
        if slots < 1:
            raise ParameterError(f"slots {slots}; expected at least 1")
        self.threshold = threshold
        self.evict = evict
        self.assigned: list[int | None] = [None] * slots

    def update(self, activity: npt.ArrayLike) -> bool:
        """Reassign the slots from one activity value per series; True if anything changed.

        Parameters
        ----------
        activity : array_like, shape (series,)
            E.g. each series' peak over the shown time window.
        """
        level = np.asarray(activity, dtype=np.float64)
        before = list(self.assigned)
        self.assigned = [s if s is not None and s < len(level) and level[s] >= self.threshold
                         else None for s in self.assigned]  # fmt: skip
        shown = {s for s in self.assigned if s is not None}
        for series in (int(i) for i in np.argsort(-level, kind="stable")):
            if level[series] < self.threshold:
                break
            if series not in shown:
                self._place(series, level)
                shown = {s for s in self.assigned if s is not None}
        return self.assigned != before

    def _place(self, series: int, level: npt.NDArray[np.float64]) -> None:
        if None in self.assigned:
            self.assigned[self.assigned.index(None)] = series
            return
        lowest, weakest = min((float(level[s]), k) for k, s in enumerate(self.assigned)
                              if s is not None)  # fmt: skip
        if level[series] >= self.evict * lowest:
            self.assigned[weakest] = series


def top_bars(
    values: npt.ArrayLike,
    *,
    rest: npt.ArrayLike = 0.0,
    top: int,
    floor: float = 0.0,
    previous: Sequence[int] = (),
    step: float = 0.0,
) -> list[int]:
    """Indices of the ``top`` values furthest from ``rest``, largest first.

    Parameters
    ----------
    values : array_like, shape (n,)
    rest : array_like, shape (n,) or scalar
        The values of a resting face.
    top : int
        Most indices returned.
    floor : float
        Values no further than this from rest are left out, so a resting face shows no bars
        (below 0: none are left out).
    previous : sequence of int
        The order shown last time. Values within the same ``step`` of each other keep that
        order, so that bars of nearly equal values do not swap places on every frame.
    step : float
        Width of the bands within which the previous order wins (0: strictly by value; ties
        keep the previous order, then the lower index).
    """
    current = np.asarray(values, dtype=np.float64)
    moved = np.abs(current - np.asarray(rest, dtype=np.float64))
    band = np.floor(moved / step) if step > 0 else moved
    before = {index: rank for rank, index in enumerate(previous)}
    unranked = len(before)
    order = sorted(range(len(moved)), key=lambda i: (-band[i], before.get(i, unranked), i))
    return [i for i in order[:top] if moved[i] > floor]


def key_name(code: int, text: str, *, shift: bool) -> tuple[str, bool] | None:
    """A Qt key press as the controller's key name and shift flag; None for other keys.

    Parameters
    ----------
    code : int
        ``QKeyEvent.key()``.
    text : str
        ``QKeyEvent.text()``: how Shift+digit is recognised when the key code is the symbol.
    shift : bool
        Shift was held.
    """
    if ord("0") <= code <= ord("9") or ord("A") <= code <= ord("Z"):
        return chr(code), shift
    if code == _QT_SPACE:
        return "Space", shift
    if code == _QT_ESCAPE:
        return "Escape", shift
    if text in _SHIFTED_DIGITS:
        return _SHIFTED_DIGITS[text], True
    return None


def mark_points(
    image: npt.NDArray[np.uint8], points: npt.ArrayLike, *, size: int,
    color: tuple[int, int, int] = _MESH_COLOR,
) -> None:  # fmt: skip
    """Paint ``size`` x ``size`` squares of ``color`` at ``points`` (shape (n, 2), x and y in
    pixels) into ``image`` (shape (height, width, 3)), in place; points outside are skipped."""
    xy = np.rint(np.asarray(points, dtype=np.float64)).astype(np.intp)
    height, width = image.shape[:2]
    inside = (xy[:, 0] >= 0) & (xy[:, 0] < width) & (xy[:, 1] >= 0) & (xy[:, 1] < height)
    xy = xy[inside]
    offsets = np.arange(size) - size // 2
    xs = np.clip(xy[:, 0, None, None] + offsets[None, None, :], 0, width - 1)
    ys = np.clip(xy[:, 1, None, None] + offsets[None, :, None], 0, height - 1)
    image[ys, xs] = color


def status_text(state: PuppetState) -> str:
    """One line: output frame rate, latency (capture to sent) and frame number."""
    latency = f"{state.latency * 1e3:.1f} ms" if math.isfinite(state.latency) else "–"
    return f"{state.rate:.1f} fps · latency {latency} · frame {state.index + 1}"


def flags_text(state: PuppetState) -> str:
    """What is special now: frozen output, a neutral capture, no face (empty when nothing)."""
    flags = []
    if state.frozen:
        flags.append("FROZEN (Space: live)")
    if state.calibrating:
        flags.append("calibrating: hold a rest face")
    if not state.face_found:
        flags.append("no face")
    return " · ".join(flags)


def layers_html(
    layers: Sequence[LayerStatus], *, pending: str | None = None, last_action: str = ""
) -> str:
    """The layers panel (rich text): a heading, the playing layers with the seconds left, a
    pending key, and what the last key did."""
    rows = [
        f"{html.escape(layer.label)} &nbsp;<span style='color:#666'>{layer.remaining:.1f} s</span>"
        for layer in layers
    ] or ["<span style='color:#888'>none: tracking only</span>"]
    if pending == "M":
        rows.append("<i>micro-expression: press 1–7…</i>")
    if last_action:
        rows.append(f"<span style='color:#555'>last key: {html.escape(last_action)}</span>")
    return "<br>".join(["<b>Layers on the tracked face</b>", *rows])


def readout_html(values: npt.ArrayLike, *, felt: float = 0.0, shown: int = 3) -> str:
    """The emotion read-out panel (rich text): the ``shown`` most probable emotions with their
    probabilities, then valence, arousal and the felt-smile score.

    ``values`` is one read-out, :data:`avatardrive.synth.READOUT_NAMES` in order.
    """
    read = dict(zip(READOUT_NAMES, np.asarray(values, dtype=np.float64).tolist(), strict=True))
    best = sorted(EMOTIONS, key=lambda name: -read[name])[:shown]
    top = " · ".join(
        (f"<b>{name}</b> {read[name]:.2f}" if i == 0 else f"{name} {read[name]:.2f}")
        for i, name in enumerate(best)
    )
    affect = f"valence {read['valence']:+.2f} · arousal {read['arousal']:+.2f}"
    if felt > 0.05:
        affect += f" · felt smile {felt:.2f}"
    return f"<b>Reads as</b> {top}<br><span style='color:#555'>{affect}</span>"


def keys_html() -> str:
    """The hotkey help as a two-column table (rich text)."""
    rows = "".join(
        f"<tr><td><b>{html.escape(keys)}</b>&nbsp;&nbsp;</td><td>{html.escape(what)}</td></tr>"
        for keys, what in KEY_HELP
    )
    return f"<table cellspacing='0' cellpadding='1'>{rows}</table>"
