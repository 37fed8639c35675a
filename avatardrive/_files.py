"""File helpers shared by every layer: atomic writes and readable paths in messages."""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from avatardrive.errors import AvatarDriveError

__all__ = [
    "atomic_output",
    "decode_text",
    "display_path",
    "file_kind_problem",
    "new_file_mode",
    "open_regular",
    "parse_failure",
    "parse_json",
    "parse_toml",
    "read_text",
]


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str], *, binary: bool = False) -> Iterator[IO[str]]:
    """Open a temporary file beside ``path``; on success rename it over ``path``.

    If the body raises, the temporary file is removed and ``path`` is left untouched, so a failed
    write never leaves a half-written file behind.

    Examples
    --------
    >>> with atomic_output("out.csv") as f:  # doctest: +SKIP
    ...     f.write("time\\n")
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        os.fchmod(fd, new_file_mode())  # mkstemp makes 0600; a written file gets the usual mode
        with os.fdopen(fd, "wb" if binary else "w", newline=None if binary else "") as f:
            yield f
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def new_file_mode() -> int:
    """The mode ``open()`` would give a new file: 0o666 less the process's umask."""
    return 0o666 & ~_umask()


def _umask() -> int:
    """The process's umask, read without changing it where Linux tells (threads may be writing)."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def display_path(path: str | os.PathLike[str]) -> str:
    """The path as the user gave it, for messages."""
    return os.fspath(path)


_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)


def file_kind_problem(mode: int) -> str | None:
    """What a non-regular file is (``"a FIFO (named pipe)"``), or ``None`` for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def open_regular(
    path: str | os.PathLike[str], *, error: type[AvatarDriveError], expected: str
) -> IO[bytes]:
    """Open a regular file for reading in binary, or raise ``error`` in one line.

    FIFOs, devices (``/dev/zero``), sockets and directories are refused before they are read,
    also when reached through a symbolic link; the file is opened without blocking and checked
    again, so that a FIFO swapped in between cannot hang the reader.
    """
    source = os.fspath(path)
    try:
        kind = file_kind_problem(os.stat(path).st_mode)
        if kind is not None:
            raise error(f"is {kind}; expected {expected}", source=source)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            kind = file_kind_problem(os.fstat(fd).st_mode)
            if kind is not None:
                raise error(f"is {kind}; expected {expected}", source=source)
            if hasattr(os, "set_blocking"):
                os.set_blocking(fd, True)
            return os.fdopen(fd, "rb")
        except BaseException:
            os.close(fd)
            raise
    except FileNotFoundError:
        raise error(f"no such file; expected {expected}", source=source) from None
    except (NotADirectoryError, IsADirectoryError):
        raise error(f"is not a file; expected {expected}", source=source) from None
    except OSError as err:
        raise error(f"cannot be read ({err.strerror or err})", source=source) from None


def read_text(
    path: str | os.PathLike[str],
    *,
    error: type[AvatarDriveError],
    expected: str,
    max_bytes: int,
    encoding: str = "utf-8-sig",
) -> str:
    """Read a UTF-8 text file of at most ``max_bytes``, or raise ``error`` in one clear line.

    Parameters
    ----------
    path
        The file; it must be a regular file (see :func:`open_regular`).
    error
        The error class to raise (``TimelineError``, ``RigError``, ...), with ``source=path``.
    expected
        What the file should be, for messages: ``"a timeline file (.toml or .json)"``.
    max_bytes
        Larger files are refused: by their size before reading, and while reading (a file that
        grows, or reports no size).
    encoding
        ``"utf-8-sig"`` (a leading byte-order mark, as some Windows editors write, is dropped) or
        ``"utf-8"``.
    """
    source = os.fspath(path)
    with open_regular(path, error=error, expected=expected) as f:
        try:
            size = os.fstat(f.fileno()).st_size
            if size > max_bytes:
                raise error(f"{size} bytes is too large; expected {expected} of at most "
                            f"{max_bytes} bytes", source=source)  # fmt: skip
            data = f.read(max_bytes + 1)
        except OSError as err:
            raise error(f"cannot be read ({err.strerror or err})", source=source) from None
    if len(data) > max_bytes:
        raise error(
            f"more than {max_bytes} bytes; expected {expected} of at most {max_bytes} bytes",
            source=source,
        )
    return decode_text(data, error=error, source=source, encoding=encoding)


def decode_text(
    data: bytes, *, error: type[AvatarDriveError], source: str, encoding: str = "utf-8"
) -> str:
    """``data`` as UTF-8 text, or ``error`` naming the first bad byte (and UTF-16 if it is)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise error("is UTF-16 text; expected UTF-8 (save it as UTF-8)", source=source)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as err:
        raise error(
            f"byte {err.start} is not UTF-8; expected a UTF-8 text file",
            source=source,
        ) from None
    if "\x00" in text:
        raise error(
            f"byte {text.index(chr(0))} is a NUL byte; expected text, not a binary file",
            source=source,
        )
    return text


def parse_failure(err: Exception, fmt: str) -> str:
    """Why ``fmt`` text (``"TOML"``, ``"JSON"``) failed: too deep, or a number too long."""
    if isinstance(err, RecursionError):
        return f"{fmt} nests too deeply; expected tables and arrays a few levels deep"
    digits = re.search(r"value has (\d+) digits", str(err))
    if digits:
        return f"a number has {digits.group(1)} digits; expected a number of at most 4300 digits"
    return f"{fmt} cannot be parsed ({str(err)[:80]})"


def parse_toml(
    text: str, *, error: type[AvatarDriveError], source: str | None
) -> dict[str, object]:
    """Parse TOML; syntax errors, deep nesting and over-long numbers raise ``error`` in one line.

    The syntax error names the line: ``where="line 4"``, message ``"TOML syntax error: ...
    (column 7); expected valid TOML"``.
    """
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        message = str(err)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        where = f"line {match.group(1)}" if match else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        column = f" (column {match.group(2)})" if match else ""
        raise error(
            f"TOML syntax error: {message}{column}; expected valid TOML", source=source, where=where
        ) from None
    except (RecursionError, ValueError, MemoryError) as err:
        raise error(parse_failure(err, "TOML"), source=source) from None


def parse_json(text: str, *, error: type[AvatarDriveError], source: str | None) -> object:
    """Parse JSON with finite numbers only; errors as :func:`parse_toml`."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as err:
        raise error(
            f"JSON syntax error: {err.msg} (column {err.colno}); expected valid JSON",
            source=source,
            where=f"line {err.lineno}",
        ) from None
    except _NotANumberError as err:
        raise error(str(err), source=source) from None
    except (RecursionError, ValueError, MemoryError) as err:
        raise error(parse_failure(err, "JSON"), source=source) from None


class _NotANumberError(ValueError):
    pass


def _reject_constant(name: str) -> float:
    raise _NotANumberError(f"{name} is not a number; expected finite numbers only")
