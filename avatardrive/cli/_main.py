"""The ``avatardrive`` command line: a thin layer over the library.

``main(argv) -> int`` returns 0 on success, 2 on bad input (one clear line on stderr), 1 on an
internal fault. Each capability registers its commands from its own ``_cmd_*`` module; a command
handler takes ``(args, stdout, stderr)`` and returns the exit code.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from types import FrameType
from typing import TextIO

from avatardrive import __version__
from avatardrive.cli import (
    _cmd_live,
    _cmd_models,
    _cmd_plot,
    _cmd_preview,
    _cmd_puppet,
    _cmd_recognize,
    _cmd_rig,
    _cmd_stream,
    _cmd_timeline,
    _cmd_vrchat,
)
from avatardrive.errors import AvatarDriveError

__all__ = ["main", "run"]

_COMMAND_MODULES = (
    _cmd_timeline, _cmd_rig, _cmd_stream, _cmd_live, _cmd_models, _cmd_plot, _cmd_puppet,
    _cmd_vrchat, _cmd_recognize, _cmd_preview,
)  # fmt: skip


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="avatardrive",
        description="Drive avatar faces with FACS Action Units.",
    )
    parser.add_argument("--version", action="version", version=f"avatardrive {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _COMMAND_MODULES:
        module.register(commands)
    return parser


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run the command line; return the exit code (0 ok, 1 internal fault, 2 bad input)."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse reports usage errors itself, with code 2
        return int(exit_.code or 0)
    try:
        with _signals_stop_like_ctrl_c():
            return int(args.func(args, out, err))
    except BrokenPipeError:  # the reader went away (`avatardrive emotions | head -3`): end quietly
        _silence(out)
        return 0
    except AvatarDriveError as error:
        err.write(f"avatardrive: error: {error}\n")
        return 2
    except KeyboardInterrupt:
        err.write("avatardrive: interrupted\n")
        return 130
    except Exception as error:  # a bug: say so in one line, keep the traceback behind a switch
        if os.environ.get("AVATARDRIVE_DEBUG"):
            raise
        err.write(
            f"avatardrive: internal error: {type(error).__name__}: {error} "
            f"(set AVATARDRIVE_DEBUG=1 for the traceback)\n"
        )
        return 1


#: Signals that end a command the way Ctrl-C does: a process manager, `docker stop`, a closed
#: terminal. Streaming loops then send every destination a neutral frame and report.
_STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


@contextlib.contextmanager
def _signals_stop_like_ctrl_c() -> Iterator[None]:
    """While a command runs, SIGTERM and SIGHUP raise KeyboardInterrupt (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _raise_interrupt) for signum in _STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _silence(stream: TextIO) -> None:
    """Point a closed stdout at /dev/null so the interpreter's final flush stays quiet."""
    try:
        fileno = stream.fileno()
    except (OSError, ValueError, AttributeError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fileno)
    os.close(devnull)


def run() -> None:
    """Console-script entry point."""
    raise SystemExit(main())
