"""The authoring plot in a window; with ``--watch``, redrawn whenever the timeline file changes.

A ``QTimer`` polls the file's modification time through
:class:`~avatardrive.views._plot_watch.FileWatcher`. While the file is invalid the last good plot
stays and the error line shows in the window title and the status bar, so an author can edit the
timeline in one window and watch it in another.
"""

from __future__ import annotations

import time
from typing import Any

from avatardrive.errors import ParameterError
from avatardrive.views._plot_draw import DEFAULT_SIZE, figure_widget
from avatardrive.views._plot_model import Figure
from avatardrive.views._plot_qt import Qt, application, stop_signals_call
from avatardrive.views._plot_watch import FileWatcher

__all__ = ["POLL_MS", "PlotWindow", "run_window", "show_figure"]

POLL_MS = 500  # how often --watch looks at the file
_ERROR_STYLE = "color: #b00020;"


class PlotWindow:
    """A main window showing the figure of ``watcher.result``.

    Parameters
    ----------
    qt : Qt
    watcher : FileWatcher of Figure
        Already loaded (``watcher.result`` is set).
    size : (int, int)
        Initial window size, pixels.
    watch : bool
        Poll the file every ``interval_ms`` and redraw on change.
    interval_ms : int
    """

    def __init__(
        self,
        qt: Qt,
        watcher: FileWatcher[Figure],
        *,
        size: tuple[int, int] = DEFAULT_SIZE,
        watch: bool = False,
        interval_ms: int = POLL_MS,
    ) -> None:
        if watcher.result is None:
            raise ParameterError("the watcher has no figure yet; expected watcher.load() first")
        self.qt, self.watcher, self.watch = qt, watcher, watch
        self.window: Any = qt.widgets.QMainWindow()
        self.window.resize(*size)
        self.timer: Any = qt.core.QTimer(self.window)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.refresh)
        self._draw(watcher.result)
        self._show_status()
        if watch:
            self.timer.start()

    def _draw(self, figure: Figure) -> None:
        size = (self.window.width(), self.window.height())
        self.window.setCentralWidget(figure_widget(self.qt, figure, size=size))

    def _show_status(self) -> None:
        name = self.watcher.path.name
        status = self.window.statusBar()
        error = self.watcher.error
        if error is not None:
            self.window.setWindowTitle(f"{name} — error: {error}")
            status.setStyleSheet(_ERROR_STYLE)
            status.showMessage(f"error: {error} (showing the last good render)")
            return
        self.window.setWindowTitle(f"{name} — avatardrive plot")
        status.setStyleSheet("")
        watching = "; watching the file for changes" if self.watch else ""
        status.showMessage(f"rendered {self.watcher.path} at {time.strftime('%H:%M:%S')}{watching}")

    def refresh(self) -> bool:
        """Look at the file; redraw if it changed and is valid. Returns True on any change."""
        if not self.watcher.poll():
            return False
        if self.watcher.error is None and self.watcher.result is not None:
            self._draw(self.watcher.result)
        self._show_status()
        return True

    @property
    def title(self) -> str:
        """The window title (names the file, and the error while the file is invalid)."""
        return str(self.window.windowTitle())

    def show(self) -> None:
        """Show the window (Qt's event loop, or ``processEvents``, then paints it)."""
        self.window.show()

    def close(self) -> None:
        """Stop watching and close the window."""
        self.timer.stop()
        self.window.close()


def run_window(qt: Qt, watcher: FileWatcher[Figure], *, size: tuple[int, int], watch: bool) -> int:
    """Show the plot window and run Qt's event loop until it is closed (or Ctrl-C).

    Returns
    -------
    int
        The event loop's exit code (0).
    """
    app = application(qt, offscreen=False)
    window = PlotWindow(qt, watcher, size=size, watch=watch)
    try:
        with stop_signals_call(qt, app.quit):
            window.show()
            return int(app.exec())
    finally:
        window.close()


def show_figure(qt: Qt, figure: Figure, *, size: tuple[int, int] = DEFAULT_SIZE) -> int:
    """Show one figure in a window and run Qt's event loop until it is closed (or Ctrl-C)."""
    app = application(qt, offscreen=False)
    window = qt.widgets.QMainWindow()
    window.resize(*size)
    window.setWindowTitle(f"{figure.title} — avatardrive plot")
    window.setCentralWidget(figure_widget(qt, figure, size=size))
    try:
        with stop_signals_call(qt, app.quit):
            window.show()
            return int(app.exec())
    finally:
        window.close()
