"""Where per-performer calibrations live by default: a folder in the user's data directory.

``calibrate -o ana`` and ``live --calibration ana`` mean ``<data>/calibrations/ana.json``, the
data directory being platformdirs' ``user_data_dir("avatardrive")`` (``~/.local/share/avatardrive``
on Linux, honouring ``XDG_DATA_HOME``; ``~/Library/Application Support/avatardrive`` on macOS;
``%LOCALAPPDATA%\\avatardrive`` on Windows). Anything that looks like a path (a folder separator
or a suffix) is taken as a path.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import platformdirs

from avatardrive.errors import TrackingError

__all__ = ["calibration_path", "calibrations_dir", "saved_calibrations"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")
_SUFFIX = ".json"


def calibrations_dir() -> Path:
    """The folder of named calibrations (it may not exist yet)."""
    return Path(platformdirs.user_data_dir("avatardrive", appauthor=False)) / "calibrations"


def _is_name(text: str) -> bool:
    return (os.sep not in text and "/" not in text and not Path(text).suffix
            and _NAME.match(text) is not None)  # fmt: skip


def calibration_path(name_or_path: str | os.PathLike[str], *, must_exist: bool = False) -> Path:
    """The file a calibration name stands for, or the path itself when it is one.

    Parameters
    ----------
    name_or_path
        A performer's name (``ana``: letters, digits, space, ``_ . -``; no suffix) or a path.
    must_exist
        Raise when a name has no saved calibration (for reading).

    Raises
    ------
    TrackingError
        ``must_exist`` and no calibration of that name: the message lists the saved ones.
    """
    text = os.fspath(name_or_path)
    if not _is_name(text):
        return Path(text)
    path = calibrations_dir() / (text + _SUFFIX)
    if must_exist and not path.is_file() and not Path(text).is_file():
        saved = ", ".join(saved_calibrations()) or "none yet"
        raise TrackingError(f"no calibration named {text!r} in {calibrations_dir()}; expected "
                            f"one of the saved ones ({saved}) or a file path (`avatardrive "
                            f"calibrate -o {text}` saves one)", source=text)
    return path if path.is_file() or not Path(text).is_file() else Path(text)


def saved_calibrations() -> list[str]:
    """Names of the calibrations saved in :func:`calibrations_dir`, sorted."""
    folder = calibrations_dir()
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*" + _SUFFIX) if p.is_file())
