"""What the commands show while they work, through rich: progress bars, a live status line, tables.

rich rather than tqdm: one library does all three (tqdm has no tables, and its status line is a
progress bar without a total), and it knows when a stream is not a terminal.

- :func:`progress` — a bar on a terminal for work with a known end (``render``, ``convert``,
  ``export``; ``preview``, ``batch`` and ``recognize`` can use it the same way); nothing otherwise.
- :class:`StatusLine` — one line refreshed a few times a second on a terminal while a stream runs
  (``play``, ``serve``, ``live``, ``monitor``); not a terminal, or ``--quiet``: nothing (the
  command's closing summary says it all).
- :func:`table` — a readable table for listings (``emotions``, ``rigs``), plain text when the
  output is a file or a pipe.
- :func:`quiet_logging` — ``--quiet``: the library's warnings are silenced, errors still show.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Collection, Iterator, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    from rich.live import Live

__all__ = [
    "RateMeter", "StatusLine", "console", "elapsed_text", "progress", "quiet_logging", "table",
]

STATUS_PER_SECOND = 4.0


def console(stream: TextIO) -> Console:
    """A rich console writing to ``stream``; styled only when it is a terminal."""
    return Console(file=stream, highlight=False, soft_wrap=True)


@contextlib.contextmanager
def progress(
    stream: TextIO, what: str, *, quiet: bool = False
) -> Iterator[Callable[[float], None]]:
    """A progress bar on ``stream`` while the block runs; yields ``update(fraction)``, 0 to 1.

    Only on a terminal and without ``quiet``; otherwise ``update`` does nothing. The bar goes
    away when the block ends (the command then says what it wrote).
    """
    shown = console(stream)
    if quiet or not shown.is_terminal:
        yield lambda fraction: None
        return
    from rich.progress import (  # here: the commands that never show a bar start faster
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
               TimeElapsedColumn(), TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=shown, transient=True) as bar:
        task = bar.add_task(what, total=1.0)
        yield lambda fraction: bar.update(task, completed=min(max(fraction, 0.0), 1.0))


class RateMeter:
    """A count's rate per second over the last ``window`` seconds (for status lines)."""

    def __init__(self, *, window: float = 2.0) -> None:
        self._window = window
        self._samples: deque[tuple[float, int]] = deque()

    def __call__(self, now: float, count: int) -> float:
        """Record ``count`` at ``now`` (seconds, monotonic); return the rate over the window."""
        self._samples.append((now, count))
        while len(self._samples) > 2 and self._samples[0][0] < now - self._window:
            self._samples.popleft()
        (first, begun), (last, ended) = self._samples[0], self._samples[-1]
        return (ended - begun) / (last - first) if last > first else 0.0


class StatusLine:
    """One status line on a terminal, redrawn a few times a second from ``render(elapsed)``.

    ``render`` runs on rich's refresh thread: it must only read counters. On a stream that is
    not a terminal, or with ``quiet``, nothing is shown. When the block ends, the last line
    stays on screen.

    Parameters
    ----------
    stream
        Where the line goes (stderr: stdout stays for the command's results).
    render
        Gives the line's text for the seconds elapsed since the block began.
    quiet
        Show nothing.
    """

    def __init__(self, stream: TextIO, render: Callable[[float], str], *,
                 quiet: bool = False) -> None:  # fmt: skip
        self._console = console(stream)
        self._render = render
        self.active = not quiet and self._console.is_terminal
        """Whether a line is shown at all."""
        self._began = time.monotonic()
        self._live: Live | None = None

    def _text(self) -> Text:
        return Text(self._render(time.monotonic() - self._began), no_wrap=True,
                    overflow="ellipsis")  # fmt: skip

    def __enter__(self) -> StatusLine:
        self._began = time.monotonic()
        if self.active:
            from rich.live import Live  # here: only a terminal needs it

            self._live = Live(get_renderable=self._text, console=self._console,
                              refresh_per_second=STATUS_PER_SECOND, transient=False,
                              redirect_stdout=False, redirect_stderr=True)  # fmt: skip
            self._live.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:  # fmt: skip
        if self._live is not None:
            self._live.stop()
            self._live = None


def elapsed_text(seconds: float) -> str:
    """``mm:ss.s`` (``h:mm:ss`` from an hour on), as ffmpeg shows time."""
    minutes, rest = divmod(seconds, 60.0)
    if minutes >= 60:
        hours, minutes = divmod(int(minutes), 60)
        return f"{hours}:{minutes:02d}:{int(rest):02d}"
    return f"{int(minutes):02d}:{rest:04.1f}"


def table(stream: TextIO, columns: Sequence[str], rows: Sequence[Sequence[str]], *,
          title: str | None = None, caption: str | None = None,
          numbers: Collection[int] = ()) -> None:  # fmt: skip
    """Write ``rows`` under ``columns`` to ``stream`` as a table: ruled and sized to the terminal
    on a terminal; plain aligned columns at full width (nothing cut) in a file or a pipe.

    Cells are plain text (a ``[`` is never rich markup); lines carry no trailing blanks. The
    columns whose indexes are in ``numbers`` are right-aligned.
    """
    from rich import box
    from rich.table import Table

    shown = console(stream)
    terminal = shown.is_terminal
    if not terminal:
        shown.width = 10_000
    grid = Table(title=None if title is None else Text(title), title_justify="left",
                 caption=None if caption is None else Text(caption), caption_justify="left",
                 box=box.SIMPLE_HEAD if terminal else None, pad_edge=False,
                 header_style="bold" if terminal else "")  # fmt: skip
    for index, name in enumerate(columns):
        grid.add_column(Text(name), overflow="fold",
                        justify="right" if index in numbers else "left")  # fmt: skip
    for row in rows:
        grid.add_row(*(Text(cell) for cell in row))
    with shown.capture() as captured:
        shown.print(grid)
    stream.write("".join(line.rstrip(" ") + "\n" for line in captured.get().splitlines()))


@contextlib.contextmanager
def quiet_logging(quiet: bool) -> Iterator[None]:
    """With ``quiet``, the library's warnings are not shown while the block runs; errors are."""
    if not quiet:
        yield
        return
    logger = logging.getLogger("avatardrive")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
