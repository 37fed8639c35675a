"""File helpers shared by every layer: atomic writes and readable paths in messages."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = ["atomic_output", "display_path"]


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
        with os.fdopen(fd, "wb" if binary else "w", newline=None if binary else "") as f:
            yield f
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def display_path(path: str | os.PathLike[str]) -> str:
    """The path as the user gave it, for messages."""
    return os.fspath(path)
