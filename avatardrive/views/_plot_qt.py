"""The one place where plotting loads Qt: lazily, on demand, with a clear message if it is missing.

Qt and pyqtgraph are the optional ``gui`` extra. Nothing imports them at module level: a command
calls :func:`load_qt` when it needs them, so ``import avatardrive`` and ``avatardrive --help`` stay
free of Qt. pyqtgraph picks the Qt binding (PySide6 from the extra, or PyQt6); its modules are
untyped, so Qt objects are ``Any`` here.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from avatardrive.errors import AvatarDriveError

__all__ = ["INSTALL_HINT", "Qt", "application", "display_problem", "load_qt", "stop_signals_call"]

INSTALL_HINT = "pip install 'avatardrive[gui]'"

_APPS: list[Any] = []  # the QApplication lives as long as the process
_HEADLESS_PLATFORMS = ("offscreen", "minimal")


@dataclass(frozen=True)
class Qt:
    """pyqtgraph and the Qt modules of the binding it uses."""

    pg: ModuleType
    core: ModuleType
    gui: ModuleType
    widgets: ModuleType


def load_qt() -> Qt:
    """Import pyqtgraph and its Qt binding.

    Raises
    ------
    AvatarDriveError
        When either is not installed, naming the extra that provides them.
    """
    try:
        pg = importlib.import_module("pyqtgraph")
        binding = importlib.import_module("pyqtgraph.Qt")
    except ImportError as exc:
        missing = exc.name or "a Qt binding"
        raise AvatarDriveError(
            f"plots need the optional gui extra (pyqtgraph and PySide6), but {missing} is not "
            f"installed; install it with: {INSTALL_HINT}"
        ) from None
    return Qt(pg=pg, core=binding.QtCore, gui=binding.QtGui, widgets=binding.QtWidgets)


def display_problem(
    env: Mapping[str, str] | None = None, *, platform: str | None = None
) -> str | None:
    """Why a window cannot be shown here, or ``None`` when it can (as far as can be told).

    Parameters
    ----------
    env : mapping, optional
        Environment variables; ``os.environ`` by default.
    platform : str, optional
        ``sys.platform`` by default. Only Linux and the BSDs need a display server.
    """
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    qpa = env.get("QT_QPA_PLATFORM", "").split(":")[0]
    if qpa in _HEADLESS_PLATFORMS:
        return f"QT_QPA_PLATFORM={qpa} draws off screen, so no window can be shown"
    needs_server = platform.startswith(("linux", "freebsd", "openbsd", "netbsd"))
    if (
        needs_server
        and qpa in ("", "xcb", "wayland")
        and not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))
    ):
        return "there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)"
    return None


def application(qt: Qt, *, offscreen: bool) -> Any:
    """The process's QApplication, created on first use.

    Parameters
    ----------
    qt : Qt
    offscreen : bool
        Create it on Qt's ``offscreen`` platform (for writing images: no display needed, and the
        same pixels everywhere). Ignored when an application exists already.
    """
    app = qt.widgets.QApplication.instance()
    if app is None:
        argv = ["avatardrive", *(("-platform", "offscreen") if offscreen else ())]
        app = qt.widgets.QApplication(argv)
        _APPS.append(app)
    return app


#: Signals that end a window the way closing it does: Ctrl-C, a process manager, a closed terminal.
_STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@contextlib.contextmanager
def stop_signals_call(qt: Qt, stop: Callable[[], None]) -> Iterator[None]:
    """While Qt's event loop runs, Ctrl-C, SIGTERM and SIGHUP call ``stop`` (close the window,
    quit the loop) instead of raising in the middle of a Qt callback.

    A timer wakes the interpreter every 200 ms so that Python sees the signal while Qt waits.
    """
    heartbeat = qt.core.QTimer()
    heartbeat.timeout.connect(lambda: None)
    heartbeat.start(200)
    previous = {signum: signal.signal(signum, lambda *_: stop()) for signum in _STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        heartbeat.stop()
