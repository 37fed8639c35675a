"""Loading rigs: a built-in name or a path to a rig file."""

from __future__ import annotations

import difflib
import os
from functools import cache
from pathlib import Path

from avatardrive.errors import ParameterError, RigError, excerpt
from avatardrive.retarget._builtin import builtin_file, builtin_rigs
from avatardrive.retarget._parse import parse_rig, read_builtin, read_rig
from avatardrive.retarget._rig import Rig

__all__ = ["load_rig", "loads_rig"]


@cache
def _builtin(name: str) -> Rig:
    file = builtin_file(name)
    if file is None:  # pragma: no cover - callers check first
        raise RigError(f"no built-in rig {name!r}")
    return Rig(read_builtin(file))


def _looks_like_path(text: str) -> bool:
    return text.lower().endswith(".toml") or os.sep in text or "/" in text


def _exists(path: str) -> bool:
    try:
        return Path(path).exists()
    except (OSError, ValueError):  # a name too long to be a path, or one with a NUL byte
        return False


def load_rig(name_or_path: str | os.PathLike[str]) -> Rig:
    """A rig by built-in name or from a rig file.

    Parameters
    ----------
    name_or_path : str or os.PathLike
        A built-in rig name (:func:`builtin_rigs`: ``"arkit52"``, ``"vrm1"``, ...; any case) or
        the path of a ``.toml`` rig file. A bare name that is not built in is tried as a path.

    Returns
    -------
    Rig
        Built-in rigs are compiled once and shared (rigs are immutable).

    Raises
    ------
    RigError
        Unknown name, missing file, or a malformed rig file (naming the file, shape and key).
    """
    if isinstance(name_or_path, str):
        if not _looks_like_path(name_or_path) and builtin_file(name_or_path) is not None:
            return _builtin(name_or_path.strip().casefold())
        if not _looks_like_path(name_or_path) and not _exists(name_or_path):
            close = difflib.get_close_matches(name_or_path[:100], builtin_rigs(), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise RigError(
                f"unknown rig {excerpt(name_or_path)}{hint}; expected a built-in rig "
                f"({', '.join(builtin_rigs())}) or the path of a .toml rig file"
            )
    elif not isinstance(name_or_path, os.PathLike):
        raise ParameterError(
            f"rig is {name_or_path!r}; expected a built-in rig name or a file path"
        )
    return Rig(read_rig(name_or_path))


def loads_rig(
    text: str, *, source: str = "<rig>", base: str | os.PathLike[str] | None = None
) -> Rig:
    """A rig from the text of a rig file.

    Parameters
    ----------
    text : str
        TOML, rig format version 1.
    source : str
        Names the text in messages; its stem is the default rig name.
    base : str or os.PathLike, optional
        Folder for relative ``include`` paths; the current folder by default.

    Raises
    ------
    RigError
        Naming ``source``, the shape and the key.
    """
    if not isinstance(text, str):
        raise ParameterError(f"text is a {type(text).__name__}; expected the text of a rig file")
    return Rig(parse_rig(text, source=source, base=None if base is None else Path(base)))
