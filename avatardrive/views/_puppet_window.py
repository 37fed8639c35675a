"""The puppeteering window: camera and landmarks, scrolling AU curves, rig weights, hotkeys.

Layout::

    +------------------------------+-------------------------------------------------+
    | fps · latency · frame        | AU curves, last 10 s: the 10 most active AUs,   |
    | FROZEN · calibrating (red)   | left side solid, right side dashed     | legend |
    | reads as: emotion read-out   |                                                 |
    | camera image  | preview face +-------------------------------------------------+
    | + face mesh   | (what is sent)| rig weights: the 20 largest bars, names on the |
    +------------------------------+ left (left-side shapes blue, right-side darker)  |
    | layers playing (time left)   |                                                 |
    | hotkeys                      |                                                 |
    +------------------------------+-------------------------------------------------+

The window is thin: a single-shot precise ``QTimer`` runs :meth:`PuppetWindow._tick`, which takes
the next due frame from the :class:`~avatardrive.pipeline._pump.FramePump`, lets the
:class:`~avatardrive.pipeline._puppet.PuppetController` track, mix and send it, and only then draws.
Drawing never holds up the stream: it is throttled to ``draw_fps``, and skipped when the next
frame is due sooner than a draw (plus Qt's paint) has been taking - then the next frame is drawn.
Every widget and plot item is made once; a draw only sets data and text.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from avatardrive.pipeline import FramePump, PuppetController, PuppetState
from avatardrive.synth import EmotionReader
from avatardrive.views._face_widget import FaceView
from avatardrive.views._plot_qt import Qt, application, stop_signals_call
from avatardrive.views._puppet_model import (
    flags_text,
    key_name,
    keys_html,
    layers_html,
    readout_html,
    status_text,
    top_bars,
)
from avatardrive.views._puppet_plots import INK, TopBars, key_filter, timed_view
from avatardrive.views._puppet_views import CameraView, CurvesView

__all__ = ["DEFAULT_SIZE", "PuppetWindow", "WindowStats", "run_puppet"]

DEFAULT_SIZE = (1400, 860)
_SPAN = 10.0  # seconds of AU curves shown
_BAR_FLOOR = 0.005  # of the rig's scale: weights closer to rest than this get no bar
_BAR_BAND = 0.05  # of the rig's scale: bars this close keep their places (no flicker)
_MAX_DRAW_GAP = 0.25  # s: draw at least this often, even when it makes a frame late
_STREAM_SLACK = 0.75  # of the draw interval, in stream time: 30 fps input is drawn every frame
_LAYER_LINES = 6  # heading, up to four layers, the last key
_COSTS = 15  # recent draws whose cost (call and paint) the budget looks at
_COST_PERCENTILE = 90
_PAINT_DELAY = 0.005  # s: Qt paints a few ms after a draw (QPlatformWindow::requestUpdate)
_PANEL_STYLE = f"QLabel {{ color: {INK}; background: #f4f4f4; padding: 6px; }}"
_STATUS_STYLE = f"QLabel {{ font-size: 13pt; font-weight: bold; color: {INK}; }}"
_FLAGS_STYLE = "QLabel { font-size: 12pt; font-weight: bold; color: #b00020; }"


@dataclass
class WindowStats:
    """What the window did.

    Attributes
    ----------
    frames, draws : int
        Frames stepped (tracked and sent), draws made.
    deferred : int
        Draws put off because the next frame was due sooner than a draw takes.
    step_seconds, draw_seconds, paint_seconds : float
        Time spent tracking and sending, setting the views' data, and in Qt's paint of the views.
    costs : deque of float
        Recent draws' whole cost (setting data plus the paint that followed), seconds.
    """

    frames: int = 0
    draws: int = 0
    deferred: int = 0
    step_seconds: float = 0.0
    draw_seconds: float = 0.0
    paint_seconds: float = 0.0
    costs: deque[float] = field(default_factory=lambda: deque(maxlen=4096))


class PuppetWindow:
    """The puppeteering window around a controller and a frame pump.

    Parameters
    ----------
    qt : Qt
    controller : PuppetController
    pump : FramePump
    size : (int, int)
        Window size, pixels.
    title : str
        Window title (the source and destinations).
    draw_fps : float
        Most draws per second.
    curves, bars : int
        AUs drawn as curves, rig shapes drawn as bars.
    clock : callable returning seconds
        The controller's and the pump's clock.

    Attributes
    ----------
    state : PuppetState or None
        The last frame's state.
    error : Exception or None
        What stopped the loop, if it failed (:func:`run_puppet` raises it).
    done : bool
        The input ended, Escape was pressed, or the window was closed.
    on_state : callable or None
        Called with every frame's state, after sending and before drawing.
    on_done : callable or None
        Called once when the loop stops.
    """

    def __init__(
        self,
        qt: Qt,
        controller: PuppetController,
        pump: FramePump,
        *,
        size: tuple[int, int] = DEFAULT_SIZE,
        title: str = "avatardrive puppet",
        draw_fps: float = 30.0,
        curves: int = 10,
        bars: int = 20,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.qt, self.controller, self.pump = qt, controller, pump
        self._clock = clock
        self._draw_interval = 1.0 / draw_fps
        self.state: PuppetState | None = None
        self.error: Exception | None = None
        self.done = False
        self.on_done: Callable[[], None] | None = None
        self.on_state: Callable[[PuppetState], None] | None = None
        self.stats = WindowStats()
        self._last_draw = self._last_drawn = -math.inf
        self._drawing: float | None = None  # the last draw's call, until its paint is in
        self._painted = 0.0  # seconds Qt has painted the views since
        self._recent_costs: deque[float] = deque(maxlen=_COSTS)
        self._texts: dict[str, str] = {}
        self._bar_order: list[int] = []
        self.reader = EmotionReader()  # read every frame sent, so its smoothing sees them all
        self.readout = np.zeros(len(self.reader.names), dtype=np.float32)
        self._build(qt, size, title, curves=curves, bars=bars)
        self.timer: Any = qt.core.QTimer(self.window)
        self.timer.setSingleShot(True)
        self.timer.setTimerType(qt.core.Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self._filter = key_filter(qt, self._on_key, on_close=self.finish)
        self.window.installEventFilter(self._filter)

    # -- layout -----------------------------------------------------------------------------

    def _build(self, qt: Qt, size: tuple[int, int], title: str, *, curves: int,
               bars: int) -> None:  # fmt: skip
        widgets = qt.widgets
        self.window: Any = widgets.QMainWindow()
        self.window.setObjectName("avatardrive-puppet")
        self.window.setWindowTitle(title)
        self.window.resize(*size)
        self.camera = CameraView(qt, on_paint=self._on_paint)
        self.face = FaceView(qt, on_paint=self._on_paint)
        self.curves = CurvesView(qt, slots=curves, span=_SPAN)
        rig = self.controller.rig
        self.bars = TopBars(qt, count=bars, x_range=(0.0, rig.scale), values_text=False,
                            title=f"{rig.name} weights: the {bars} largest")  # fmt: skip
        central = widgets.QWidget()
        grid = widgets.QGridLayout(central)
        grid.setContentsMargins(8, 8, 8, 8)
        grid.setHorizontalSpacing(8)
        grid.addLayout(self._left_column(qt), 0, 0)
        grid.addLayout(self._plots(qt), 0, 1)
        grid.setColumnStretch(0, 4)
        grid.setColumnStretch(1, 7)
        self.window.setCentralWidget(central)

    @staticmethod
    def _label(qt: Qt, name: str, *, lines: int, style: str = _PANEL_STYLE) -> Any:
        """A rich-text label of a fixed height: new text never moves the other widgets."""
        label = qt.widgets.QLabel("")
        label.setObjectName(name)
        label.setStyleSheet(style)
        label.setTextFormat(qt.core.Qt.TextFormat.RichText)
        label.setAlignment(qt.core.Qt.AlignmentFlag.AlignLeft | qt.core.Qt.AlignmentFlag.AlignTop)
        label.setFocusPolicy(qt.core.Qt.FocusPolicy.NoFocus)
        label.ensurePolished()  # the style sheet's font and padding count in the height
        margins = label.contentsMargins()
        spacing = qt.gui.QFontMetrics(label.font()).lineSpacing()
        label.setFixedHeight(lines * (spacing + 1) + margins.top() + margins.bottom() + 4)
        return label

    def _left_column(self, qt: Qt) -> Any:
        column = qt.widgets.QVBoxLayout()
        column.setSpacing(6)
        self.status = self._label(qt, "status", style=_STATUS_STYLE, lines=1)
        self.flags = self._label(qt, "flags", style=_FLAGS_STYLE, lines=1)
        self.reads = self._label(qt, "reads", lines=2)
        self.layers = self._label(qt, "layers", lines=_LAYER_LINES)
        self.keys = self._label(qt, "keys", lines=1)
        self.keys.setText(f"<b>Hotkeys</b>{keys_html()}")
        self.keys.setFixedHeight(self.keys.sizeHint().height())  # its text never changes
        column.addWidget(self.status)
        column.addWidget(self.flags)
        column.addWidget(self.reads)
        pictures = qt.widgets.QHBoxLayout()
        pictures.setSpacing(6)
        pictures.addWidget(self.camera.widget, 3)
        pictures.addWidget(self.face.widget, 2)
        column.addLayout(pictures, 1)
        column.addWidget(self.layers)
        column.addWidget(self.keys)
        return column

    def _plots(self, qt: Qt) -> Any:
        """Curves and bars in two views, so that each repaints only itself."""
        curves = self._graphics(qt)
        layout = curves.ci
        layout.addLabel("AU curves, last 10 s — solid line: left side, dashed: right side "
                        "(the performer's own)", row=0, col=0, colspan=2, color=INK,
                        size="11pt", bold=True)  # fmt: skip
        layout.addItem(self.curves.lines.plot, row=1, col=0)
        layout.addItem(self.curves.lines.legend, row=1, col=1)
        layout.layout.setColumnFixedWidth(1, 230)
        bars = self._graphics(qt)
        bars.ci.addItem(self.bars.plot, row=0, col=0)
        column = qt.widgets.QVBoxLayout()
        column.setSpacing(4)
        column.addWidget(curves, 6)
        column.addWidget(bars, 5)
        return column

    def _graphics(self, qt: Qt) -> Any:
        view = timed_view(qt, self._on_paint)
        view.setBackground("w")
        view.setFocusPolicy(qt.core.Qt.FocusPolicy.NoFocus)
        return view

    # -- the loop ---------------------------------------------------------------------------

    def start(self) -> None:
        """Show the window and start the loop (it runs while Qt's event loop does).

        The window is laid out and painted once first, so that the first frames do not wait
        for that.
        """
        self.window.show()
        self.qt.widgets.QApplication.processEvents()
        self.timer.start(0)

    def _tick(self) -> None:
        self._close_cost()
        try:
            self._advance(self._clock())
        except Exception as error:  # kept, and raised again by run_puppet after the loop
            self.error = error
            self.finish()

    def _advance(self, began: float) -> None:
        if self.done:
            return
        captured = self.pump.take()
        if captured is not None:
            state = self.controller.step(captured.frame, captured=captured.captured)
            self.curves.history.push(state.time, state.au)
            self.readout[:] = self.reader.update(state.au, state.time)
            self.state = state
            self.stats.frames += 1
            self.stats.step_seconds += self._clock() - began
            if self.on_state is not None:
                self.on_state(state)
            self._maybe_draw(state)
        if self.pump.ended or self.controller.quit_requested:
            self.finish()
            return
        self.timer.start(int(self.pump.wait() * 1e3))

    def _maybe_draw(self, state: PuppetState) -> None:
        now = self._clock()
        if not self._draw_due(state, now):
            return
        due = self.pump.next_due()
        if (due is not None and due - now < self._expected_cost()
                and now - self._last_draw < _MAX_DRAW_GAP):  # fmt: skip
            self.stats.deferred += 1
            return
        self.draw(state)
        call = self._clock() - now
        self._drawing, self._painted = call, 0.0
        self._last_draw, self._last_drawn = now, state.time
        self.stats.draws += 1
        self.stats.draw_seconds += call

    def _expected_cost(self) -> float:
        """How long before the next frame a draw must begin: a high percentile of recent draws'
        cost (paints have a long tail), plus the few milliseconds before Qt paints."""
        if not self._recent_costs:
            return 0.0
        return float(np.percentile(self._recent_costs, _COST_PERCENTILE)) + _PAINT_DELAY

    def _draw_due(self, state: PuppetState, now: float) -> bool:
        """At most ``draw_fps`` draws per second of stream time (a 30 fps input is drawn every
        frame, a 60 fps one every other frame), and at most twice that by the clock (a fast
        replay)."""
        interval = self._draw_interval
        return (state.time - self._last_drawn >= _STREAM_SLACK * interval
                and now - self._last_draw >= 0.5 * interval)  # fmt: skip

    def _on_paint(self, seconds: float) -> None:
        self._painted += seconds
        self.stats.paint_seconds += seconds

    def _close_cost(self) -> None:
        """Book the last draw's cost: its call plus the paints of the views that followed (Qt
        paints between ticks)."""
        if self._drawing is not None:
            cost = self._drawing + self._painted
            self._recent_costs.append(cost)
            self.stats.costs.append(cost)
            self._drawing = None
        self._painted = 0.0

    # -- drawing ----------------------------------------------------------------------------

    def draw(self, state: PuppetState) -> None:
        """Update every view from ``state`` (data and text only; nothing is created)."""
        self.camera.show(state.image, state.landmarks)
        self.face.show(state.au)
        self.curves.draw(state.time)
        rig = self.controller.rig
        self._bar_order = top_bars(
            state.weights, rest=rig.rest, top=self.bars.count, floor=_BAR_FLOOR * rig.scale,
            previous=self._bar_order, step=_BAR_BAND * rig.scale,
        )  # fmt: skip
        self.bars.show([rig.shape_names[i] for i in self._bar_order],
                       state.weights[self._bar_order])  # fmt: skip
        self._set_text(self.status, status_text(state))
        self._set_text(self.flags, flags_text(state))
        self._set_text(self.reads, readout_html(self.readout, felt=self.reader.felt))
        self._set_text(self.layers, layers_html(state.layers, pending=state.pending,
                                                last_action=state.last_action))  # fmt: skip

    def _set_text(self, label: Any, text: str) -> None:
        name = label.objectName()
        if self._texts.get(name) != text:
            self._texts[name] = text
            label.setText(text)

    # -- keys and the end -------------------------------------------------------------------

    def _on_key(self, event: Any) -> bool:
        if event.isAutoRepeat():
            return True
        shift = bool(event.modifiers() & self.qt.core.Qt.KeyboardModifier.ShiftModifier)
        named = key_name(int(event.key()), event.text(), shift=shift)
        if named is None:
            return False
        controller = self.controller
        controller.key(named[0], shift=named[1])
        if controller.quit_requested:
            self.finish()
        else:  # show the key's effect at once, not at the next draw
            panel = layers_html(controller.layers(), pending=controller.pending,
                                last_action=controller.last_action)  # fmt: skip
            self._set_text(self.layers, panel)
        return True

    def finish(self) -> None:
        """Stop the loop and close the window (idempotent); calls ``on_done`` once."""
        if self.done:
            return
        self.done = True
        self.timer.stop()
        self.window.close()
        if self.on_done is not None:
            self.on_done()


def run_puppet(
    qt: Qt,
    controller: PuppetController,
    pump: FramePump,
    *,
    size: tuple[int, int] = DEFAULT_SIZE,
    title: str = "avatardrive puppet",
) -> PuppetWindow:
    """Show the window and run Qt's event loop until the input ends, Escape, or Ctrl-C.

    The caller closes the controller (the neutral frame), the routes and the source.

    Raises
    ------
    Exception
        Whatever stopped the loop (a source that failed, a route that could not send).
    """
    app = application(qt, offscreen=False)
    window = PuppetWindow(qt, controller, pump, size=size, title=title)
    window.on_done = app.quit
    try:
        with stop_signals_call(qt, window.finish):
            window.start()
            app.exec()
    finally:
        window.finish()
    if window.error is not None:
        raise window.error
    return window
