"""``avatardrive monitor --plot``: an incoming OSC stream's values, live, in a window.

Works with any sender (VMC, VRChat, generic OSC): whatever
:class:`~avatardrive.transport.StreamMonitor` keys a value by (a VMC shape name, an OSC address)
becomes a series. The window samples the monitor ``rate`` times a second and shows::

    title:  avatardrive monitor — host:port — 60.0 fps · max gap 18 ms · last gap 17 ms
    [lines] the most active keys (largest range over the last 10 s), scrolling  | legend
    [bars]  the current values of the top N keys by size, names on the left
    [face]  on the right: the preview face of the AU frame behind the stream (AU channels of a
            ``?au=1`` stream, or the arkit52 / vrcft inverse of ARKit or VRChat FT shapes)
    status: frames · datagrams · malformed · keys · silent for

Above the plots, the emotion read-out: the sender's own (``<prefix>read/<name>``, sent with
``?emotions=1``), else one read here from the stream's AU channels (``<prefix>au/AU12_L``,
``?au=1``), else a hint how to get one.

:class:`MonitorHistory` (no Qt) keeps the samples; :class:`MonitorWindow` draws them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from avatardrive.facs import CHANNELS, N_CHANNELS
from avatardrive.synth import READOUT_NAMES, EmotionReader
from avatardrive.transport import MonitorSnapshot
from avatardrive.views._face_widget import FaceView
from avatardrive.views._plot_qt import Qt, application, stop_signals_call
from avatardrive.views._puppet_model import History, LineSlots, readout_html, top_bars
from avatardrive.views._puppet_plots import INK, ScrollingLines, TopBars, key_filter, short_name
from avatardrive.views._stream_face import StreamFace

__all__ = [
    "MonitorHistory", "MonitorReadout", "MonitorWindow", "SnapshotSource", "run_monitor_window",
]  # fmt: skip

_SPAN = 10.0  # seconds of lines shown
_RATE = 30.0  # samples (and redraws) per second
_LINES = 6  # most active keys drawn as lines
_ACTIVE = 1e-6  # a key whose range over the span is below this is not drawn
_INITIAL_KEYS = 64


class SnapshotSource(Protocol):
    """What the window reads (:class:`~avatardrive.transport.StreamMonitor`)."""

    @property
    def address(self) -> tuple[str, int]: ...

    def snapshot(self) -> MonitorSnapshot: ...


class MonitorHistory:
    """Samples of every key's latest value over the last ``span`` seconds.

    A key seen for the first time reads NaN before it was seen (lines start where data starts).

    Parameters
    ----------
    span : float
        Seconds kept.
    rate : float
        Samples per second expected (sizes the buffer).
    """

    def __init__(self, *, span: float = _SPAN, rate: float = _RATE) -> None:
        self.span = span
        self.keys: list[str] = []
        self._index: dict[str, int] = {}
        self.history = History(math.ceil(span * rate * 1.5), columns=_INITIAL_KEYS)
        self.history.widen(_INITIAL_KEYS, fill=math.nan)
        self._row = np.full(_INITIAL_KEYS, np.nan, dtype=np.float32)

    def sample(self, now: float, values: Mapping[str, float]) -> None:
        """Record the latest ``values`` (key -> value) at ``now`` (seconds)."""
        for key, value in values.items():
            column = self._index.get(key)
            if column is None:
                column = self._add(key)
            self._row[column] = value
        self.history.push(now, self._row)

    def _add(self, key: str) -> int:
        column = len(self.keys)
        self.keys.append(key)
        self._index[key] = column
        if column >= self.history.columns:
            width = 2 * self.history.columns
            self.history.widen(width, fill=math.nan)
            self._row = np.concatenate(
                [self._row, np.full(width - len(self._row), np.nan, np.float32)]
            )
        return column

    def window(self, now: float) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float32]]:
        """Times relative to ``now`` (shape (n,)) and values (shape (n, keys)) of the span."""
        start = self.history.since(now - self.span)
        times = self.history.times()[start:] - now
        return times, self.history.values()[start:, : len(self.keys)]

    def activity(self, values: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        """Each key's range (max - min) over ``values`` (from :meth:`window`); 0 if unseen."""
        finite = np.isfinite(values)
        high = np.where(finite, values, -np.inf).max(axis=0, initial=-np.inf)
        low = np.where(finite, values, np.inf).min(axis=0, initial=np.inf)
        return np.where(finite.any(axis=0), high - low, 0.0).astype(np.float64)


class MonitorReadout:
    """The emotion read-out of a monitored stream, from the latest value of every key.

    The sender's own read-out (keys ending in ``/read/<name>``) when it sends one; else one read
    here by an :class:`~avatardrive.synth.EmotionReader` from the stream's AU channels (keys
    ending in ``/au/<channel>``); else none.
    """

    _NO_READOUT = ("<b>Reads as</b> <span style='color:#888'>no read-out in this stream: send "
                   "it with ?emotions=1 (or the AU channels with ?au=1)</span>")  # fmt: skip

    def __init__(self) -> None:
        self.reader = EmotionReader()
        self._read_keys: dict[str, int] = {}
        self._au_keys: dict[str, int] = {}
        self._seen: set[str] = set()
        self._sent = np.zeros(len(READOUT_NAMES), dtype=np.float32)
        self._au = np.zeros(N_CHANNELS, dtype=np.float32)
        self.values: npt.NDArray[np.float32] | None = None
        """The latest read-out (:data:`~avatardrive.synth.READOUT_NAMES`), or ``None``."""
        self.source = "none"
        """Where it came from: ``"sender"``, ``"au"`` (read here) or ``"none"``."""

    def update(self, now: float, values: Mapping[str, float]) -> npt.NDArray[np.float32] | None:
        """Read the latest ``values`` (key -> value) sampled at ``now`` (seconds)."""
        self._learn(values)
        if len(self._read_keys) >= len(READOUT_NAMES):
            for key, column in self._read_keys.items():
                self._sent[column] = values[key]
            self.values, self.source = self._sent, "sender"
        elif self._au_keys:
            for key, column in self._au_keys.items():
                self._au[column] = values[key]
            self.values, self.source = self.reader.update(self._au, now), "au"
        return self.values

    def html(self) -> str:
        """The read-out panel (rich text)."""
        if self.values is None:
            return self._NO_READOUT
        felt = self.reader.felt if self.source == "au" else 0.0
        where = "sent by the stream" if self.source == "sender" else "read here from its AUs"
        return (readout_html(self.values, felt=felt)
                + f" <span style='color:#888'>({where})</span>")  # fmt: skip

    def _learn(self, values: Mapping[str, float]) -> None:
        for key in values.keys() - self._seen:
            self._seen.add(key)
            head, _, name = key.rpartition("/")
            if head.endswith("/read") and name in READOUT_NAMES:
                self._read_keys[key] = READOUT_NAMES.index(name)
            elif head.endswith("/au") and name in CHANNELS:
                self._au_keys[key] = CHANNELS.index(name)


def _title(address: tuple[str, int], snapshot: MonitorSnapshot) -> str:
    host, port = address
    if snapshot.frames < 2:
        stream = "waiting for frames" if not snapshot.datagrams else "no frames yet"
    else:
        stream = (
            f"{snapshot.rate:.1f} fps · max gap {snapshot.max_gap * 1e3:.0f} ms · "
            f"last gap {snapshot.last_gap * 1e3:.0f} ms"
        )
    return f"avatardrive monitor — {host}:{port} — {stream}"


def _status(snapshot: MonitorSnapshot) -> str:
    silent = "" if not math.isfinite(snapshot.age) else f" · silent for {snapshot.age:.1f} s"
    return (
        f"frames {snapshot.frames} · datagrams {snapshot.datagrams} · messages "
        f"{snapshot.messages} · malformed {snapshot.malformed} · keys {len(snapshot.values)}"
        + (silent if snapshot.age >= 0.5 else "")
    )


class MonitorWindow:
    """A window showing what a :class:`~avatardrive.transport.StreamMonitor` receives.

    Parameters
    ----------
    qt : Qt
    monitor : SnapshotSource
        Usually a :class:`~avatardrive.transport.StreamMonitor`.
    top : int
        Bars shown (the largest current values).
    lines : int
        Keys drawn as scrolling lines (the most active).
    seconds : float, optional
        Close after this long.
    idle : float, optional
        Close once the stream has been silent this long (after its first datagram).
    interval_ms : int
        Sampling and redraw interval.
    size : (int, int)
        Window size, pixels.
    clock : callable returning seconds
        Monotonic clock (the monitor's).
    """

    def __init__(
        self,
        qt: Qt,
        monitor: SnapshotSource,
        *,
        top: int = 12,
        lines: int = _LINES,
        seconds: float | None = None,
        idle: float | None = None,
        interval_ms: int = round(1e3 / _RATE),
        size: tuple[int, int] = (1100, 760),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.qt, self.monitor, self._clock = qt, monitor, clock
        self.seconds, self.idle = seconds, idle
        self.began = clock()
        self.first_seen: float | None = None
        """Clock time of the first datagram (``None`` before it)."""
        self.done = False
        self.on_done: Callable[[], None] | None = None
        self.snapshot: MonitorSnapshot | None = None
        self.samples = MonitorHistory(span=_SPAN, rate=max(1e3 / max(interval_ms, 1), _RATE))
        self.slots = LineSlots(lines, threshold=_ACTIVE)
        self.readout = MonitorReadout()
        self._build(qt, size, top=top, lines=lines)
        self.timer: Any = qt.core.QTimer(self.window)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.refresh)
        self._filter = key_filter(qt, self._on_key, on_close=self.finish)
        self.window.installEventFilter(self._filter)

    def _build(self, qt: Qt, size: tuple[int, int], *, top: int, lines: int) -> None:
        self.window: Any = qt.widgets.QMainWindow()
        self.window.setObjectName("avatardrive-monitor")
        self.window.resize(*size)
        self.lines = ScrollingLines(qt, slots=lines, span=_SPAN, sides=False, y_range=None,
                                    title="value")  # fmt: skip
        self.lines.set_labels([None] * lines)
        self.bars = TopBars(qt, count=top, values_text=True, title="current value")
        view = qt.pg.GraphicsLayoutWidget(show=False)
        view.setBackground("w")
        layout = view.ci
        layout.addLabel(f"the {lines} most active keys, last {_SPAN:g} s", row=0, col=0,
                        colspan=2, color=INK, size="11pt", bold=True)  # fmt: skip
        layout.addItem(self.lines.plot, row=1, col=0)
        layout.addItem(self.lines.legend, row=1, col=1)
        layout.addLabel(f"current values: the {top} largest", row=2, col=0, colspan=2,
                        color=INK, size="11pt", bold=True)  # fmt: skip
        layout.addItem(self.bars.plot, row=3, col=0, colspan=2)
        layout.layout.setColumnFixedWidth(1, 220)
        layout.layout.setRowStretchFactor(1, 4)
        layout.layout.setRowStretchFactor(3, 5)
        self.reads = qt.widgets.QLabel(MonitorReadout._NO_READOUT)
        self.reads.setObjectName("reads")
        self.reads.setTextFormat(qt.core.Qt.TextFormat.RichText)
        self.reads.setStyleSheet(f"QLabel {{ color: {INK}; background: #f4f4f4; padding: 6px; }}")
        central = qt.widgets.QWidget()
        column = qt.widgets.QVBoxLayout(central)
        column.addWidget(self.reads)
        column.addWidget(self._beside_face(qt, view), 1)
        self.window.setCentralWidget(central)

    def _beside_face(self, qt: Qt, view: Any) -> Any:
        """``view`` with the preview face and its caption in a column on the right."""
        self.stream_face = StreamFace()
        self.face = FaceView(qt)
        self.face_caption = qt.widgets.QLabel(self.stream_face.source)
        self.face_caption.setWordWrap(True)
        self.face_caption.setStyleSheet(f"QLabel {{ color: {INK}; }}")
        column = qt.widgets.QVBoxLayout()
        column.addWidget(self.face.widget, 1)
        column.addWidget(self.face_caption)
        central = qt.widgets.QWidget()
        row = qt.widgets.QHBoxLayout(central)
        row.addWidget(view, 3)
        row.addLayout(column, 1)
        return central

    def _draw_face(self, snapshot: MonitorSnapshot) -> None:
        au = self.stream_face.frame(snapshot.values)
        if au is not None:
            self.face.show(au)
        if self.face_caption.text() != self.stream_face.source:
            self.face_caption.setText(self.stream_face.source)

    def start(self) -> None:
        """Show the window and start sampling."""
        self.refresh()
        self.window.show()
        self.timer.start()

    def refresh(self) -> MonitorSnapshot:
        """Sample the monitor, redraw, and close if ``seconds`` or ``idle`` says so."""
        now = self._clock()
        snapshot = self.monitor.snapshot()
        self.snapshot = snapshot
        if self.first_seen is None and snapshot.datagrams:
            self.first_seen = now - snapshot.age
        self.samples.sample(now, snapshot.values)
        self.readout.update(now, snapshot.values)
        text = self.readout.html()
        if text != self.reads.text():
            self.reads.setText(text)
        self._draw_lines(now)
        self._draw_bars(snapshot)
        self._draw_face(snapshot)
        self.window.setWindowTitle(_title(self.monitor.address, snapshot))
        self.window.statusBar().showMessage(_status(snapshot))
        if self._should_stop(now, snapshot):
            self.finish()
        return snapshot

    def _draw_lines(self, now: float) -> None:
        x, values = self.samples.window(now)
        if self.slots.update(self.samples.activity(values)):
            keys = self.samples.keys
            self.lines.set_labels(
                [None if k is None else short_name(keys[k], limit=30) for k in self.slots.assigned]
            )
        for slot, key in enumerate(self.slots.assigned):
            if key is None:
                self.lines.clear_slot(slot)
            else:
                self.lines.set_slot(slot, x, values[:, key])

    def _draw_bars(self, snapshot: MonitorSnapshot) -> None:
        keys = list(snapshot.values)
        values = np.array([snapshot.values[k] for k in keys], dtype=np.float64)
        order = top_bars(values, top=self.bars.count, floor=-math.inf)
        self.bars.show([keys[i] for i in order], values[order])

    def _should_stop(self, now: float, snapshot: MonitorSnapshot) -> bool:
        if self.seconds is not None and now - self.began >= self.seconds:
            return True
        silent = snapshot.age if snapshot.datagrams > 0 else now - self.began  # no sender yet
        return self.idle is not None and silent >= self.idle

    def _on_key(self, event: Any) -> bool:
        if int(event.key()) == int(self.qt.core.Qt.Key.Key_Escape):
            self.finish()
            return True
        return False

    def finish(self) -> None:
        """Stop sampling and close the window (idempotent); calls ``on_done`` once."""
        if self.done:
            return
        self.done = True
        self.timer.stop()
        self.window.close()
        if self.on_done is not None:
            self.on_done()


def run_monitor_window(
    qt: Qt,
    monitor: SnapshotSource,
    *,
    top: int,
    seconds: float | None = None,
    idle: float | None = None,
) -> float | None:
    """Show the monitor window until it is closed, Escape, Ctrl-C, ``seconds`` or ``idle``.

    Returns
    -------
    float or None
        Monotonic time of the first datagram, or ``None`` if nothing arrived.
    """
    app = application(qt, offscreen=False)
    window = MonitorWindow(qt, monitor, top=top, seconds=seconds, idle=idle)
    window.on_done = app.quit
    try:
        with stop_signals_call(qt, window.finish):
            window.start()
            if not window.done:
                app.exec()
    finally:
        window.finish()
    return window.first_seen
