"""The ``avatardrive`` command line: a thin layer over the library.

``main(argv) -> int`` returns 0 on success, 2 on bad input (one clear line on stderr), 1 on an
internal fault. Each capability registers its commands from its own ``_cmd_*`` module; a command
handler takes ``(args, stdout, stderr)`` and returns the exit code.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import TextIO

from avatardrive import __version__
from avatardrive.cli import (
    _cmd_batch,
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
from avatardrive.errors import AvatarDriveError, excerpt

__all__ = ["main", "parse_args", "run"]

_COMMAND_MODULES = (
    _cmd_timeline, _cmd_rig, _cmd_stream, _cmd_live, _cmd_models, _cmd_plot, _cmd_puppet,
    _cmd_vrchat, _cmd_recognize, _cmd_preview, _cmd_batch,
)  # fmt: skip


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse a command line as ``main`` would (for scripts that drive a command's pieces).

    Raises
    ------
    SystemExit
        On a usage error, as argparse does (code 2, the message on stderr).
    """
    return _parser().parse_args(list(argv))


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


#: Errors of the machine, not of avatardrive: a full disk, a quota, a read-only or forbidden place.
_ENVIRONMENT_ERRORS = frozenset(
    {
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EFBIG,
        errno.EROFS,
        errno.EACCES,
        errno.EPERM,
        errno.ENAMETOOLONG,
        errno.ELOOP,
    }
)


class Terminated(KeyboardInterrupt):
    """Raised in the main thread on SIGTERM or SIGHUP (a process manager, ``docker stop``, a
    closed terminal): ``finally`` blocks and atomic writers remove their temporary files on the
    way out, and the streaming loops, which catch it as they catch Ctrl-C, send every destination
    a neutral frame, report and end normally."""


#: Signals that end a command the way Ctrl-C does.
_STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


@contextlib.contextmanager
def _terminate_cleanly() -> Iterator[None]:
    """While a command runs in the main thread, SIGTERM and SIGHUP unwind it like Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _raise_terminated) for signum in _STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


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
        with _terminate_cleanly():
            return int(args.func(args, out, err))
    except BrokenPipeError:  # the reader went away (`avatardrive emotions | head -3`): end quietly
        _silence(out)
        return 0
    except AvatarDriveError as error:
        err.write(f"avatardrive: error: {error}\n")
        return 2
    except Terminated:  # temporary files were removed on the way out
        err.write("avatardrive: terminated\n")
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        err.write("avatardrive: interrupted\n")
        return 130
    except Exception as error:
        if isinstance(error, OSError) and error.errno in _ENVIRONMENT_ERRORS:
            place = f"{excerpt(error.filename)}: " if error.filename else ""
            err.write(f"avatardrive: error: {place}{error.strerror or error}\n")
            return 2
        if os.environ.get("AVATARDRIVE_DEBUG"):  # a bug: one line, the traceback behind a switch
            raise
        message = f"{type(error).__name__}: {error}"
        err.write(
            f"avatardrive: internal error: {message[:300]} "
            f"(set AVATARDRIVE_DEBUG=1 for the traceback)\n"
        )
        return 1


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
