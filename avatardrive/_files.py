"""File helpers shared by every layer: atomic writes and readable paths in messages."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from avatardrive.errors import AvatarDriveError

__all__ = ["atomic_output", "display_path", "new_file_mode", "read_text"]


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
    umask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(umask)
    return 0o666 & ~umask


def display_path(path: str | os.PathLike[str]) -> str:
    """The path as the user gave it, for messages."""
    return os.fspath(path)


def read_text(
    path: str | os.PathLike[str],
    *,
    error: type[AvatarDriveError],
    expected: str,
    max_bytes: int,
) -> str:
    """Read a UTF-8 text file of at most ``max_bytes``, or raise ``error`` in one clear line.

    Parameters
    ----------
    path
        The file.
    error
        The error class to raise (``TimelineError``, ``RigError``, ...), with ``source=path``.
    expected
        What the file should be, for messages: ``"a timeline file (.toml or .json)"``.
    max_bytes
        Larger files are refused before they are read.
    """
    source = os.fspath(path)
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > max_bytes:
            raise error(f"{size} bytes is too large; expected {expected} under {max_bytes} "
                        f"bytes", source=source)  # fmt: skip
        return file.read_text("utf-8")
    except FileNotFoundError:
        raise error(f"no such file; expected {expected}", source=source) from None
    except IsADirectoryError:
        raise error(f"is a directory; expected {expected}", source=source) from None
    except UnicodeDecodeError as err:
        raise error(
            f"byte {err.start} is not UTF-8; expected a UTF-8 text file", source=source
        ) from None
    except OSError as err:
        raise error(f"cannot be read ({err.strerror})", source=source) from None
