"""Re-render a file whenever it changes, keeping the last good result while it is invalid (no Qt).

The plot window polls :meth:`FileWatcher.poll` from a timer; ``--watch -o`` polls it in a loop.
Editors often save by writing a new file and renaming it, so a file that is briefly missing or
half-written is reported as an error line and the previous render stays on screen.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from avatardrive.errors import AvatarDriveError

__all__ = ["FileWatcher", "watch_loop"]

T = TypeVar("T")
Stamp = tuple[int, int]  # (mtime in ns, size in bytes)


class FileWatcher(Generic[T]):
    """Rebuild ``build(path)`` when the file at ``path`` changes.

    Parameters
    ----------
    path : str or PathLike
        The watched file.
    build : callable
        Reads the file and makes the result (e.g. a figure); raises
        :class:`~avatardrive.errors.AvatarDriveError` on bad input.

    Attributes
    ----------
    result : T or None
        The last good result (``None`` before the first good one).
    error : str or None
        The one-line message of the latest failed build, ``None`` after a good one.
    """

    def __init__(self, path: str | os.PathLike[str], build: Callable[[Path], T]) -> None:
        self.path = Path(path)
        self._build = build
        self._stamp: Stamp | None = None
        self.result: T | None = None
        self.error: str | None = None

    def _current_stamp(self) -> Stamp | None:
        try:
            info = self.path.stat()
        except OSError:
            return None
        return info.st_mtime_ns, info.st_size

    def load(self) -> T:
        """Build now, whatever the file's stamp; errors propagate (for the first render)."""
        self._stamp = self._current_stamp()
        self.result = self._build(self.path)
        self.error = None
        return self.result

    def poll(self) -> bool:
        """Rebuild if the file changed since the last look.

        Returns
        -------
        bool
            True when something changed: a new :attr:`result`, or a new :attr:`error` (the last
            good result is kept).
        """
        stamp = self._current_stamp()
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        try:
            self.result = self._build(self.path)
        except AvatarDriveError as error:
            self.error = str(error)
        else:
            self.error = None
        return True


def watch_loop(
    watcher: FileWatcher[T],
    on_change: Callable[[FileWatcher[T]], None],
    *,
    interval: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    polls: int | None = None,
) -> None:
    """Poll ``watcher`` every ``interval`` seconds and call ``on_change`` after each change.

    Runs until interrupted (Ctrl-C), or for ``polls`` polls when given (for tests).
    """
    count = 0
    while polls is None or count < polls:
        sleep(interval)
        count += 1
        if watcher.poll():
            on_change(watcher)
