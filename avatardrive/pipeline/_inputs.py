"""Every input as AU curves: timelines, our curve files, OpenFace and Live Link Face takes.

The kind of a file is told by its suffix and, for CSV and JSON, by its header or keys — never by
trying parsers until one does not fail, so that a broken file of a known kind gets that kind's
precise error.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from avatardrive._files import display_path, open_regular
from avatardrive.curves import Curves, read_au_curves
from avatardrive.errors import CurveError
from avatardrive.synth import render
from avatardrive.timeline import Timeline, load_timeline
from avatardrive.tracking import is_openface_header, read_take_curves

__all__ = ["INPUT_FORMATS", "InputKind", "LoadedInput", "input_kind", "load_curves", "load_input"]

InputKind = Literal["timeline", "curves", "openface", "livelink"]

#: What each kind looks like, for the message about a file that is none of them.
INPUT_FORMATS: dict[InputKind, str] = {
    "timeline": "a timeline (.toml, or .json with events)",
    "curves": "an avatardrive curve file (.csv with a 'time' column, .npz, .json with names and "
    "values)",
    "openface": "an OpenFace 2.x CSV ('timestamp', 'success' and AUxx_r columns)",
    "livelink": "a Live Link Face CSV ('Timecode' and the 52 ARKit columns)",
}
_PEEK_BYTES = 64 * 1024  # a header line longer than this is not one of ours
_CURVE_KEYS = re.compile(rb'"names"\s*:')
_TIMELINE_KEYS = re.compile(rb'"events"\s*:')


@dataclass(frozen=True, eq=False)
class LoadedInput:
    """An input file read as AU curves.

    Attributes
    ----------
    path : str
    kind : InputKind
    curves : Curves
        float32 in [0, 1], shape (frames, N_CHANNELS), ``names == CHANNELS``.
    timeline : Timeline or None
        The timeline, when the input is one (its seed and prototypes drive live triggers too).
    """

    path: str
    kind: InputKind
    curves: Curves
    timeline: Timeline | None = None


def _unknown(source: str, seen: str) -> CurveError:
    tried = "; ".join(INPUT_FORMATS.values())
    return CurveError(f"{seen}; expected one of: {tried}", source=source)


def _head(path: str | os.PathLike[str], source: str) -> bytes:
    """The first bytes (a byte order mark dropped); FIFOs, devices and empty files refused."""
    with open_regular(path, error=CurveError, expected="an input file") as file:
        head = file.read(_PEEK_BYTES)
    if not head.strip():
        raise _unknown(source, "empty file")
    return head.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte order mark


def _first_line(head: bytes, source: str) -> str:
    try:
        return head.split(b"\n", 1)[0].decode("utf-8").strip()
    except UnicodeDecodeError:
        raise _unknown(source, "the first line is not UTF-8 text") from None


def _csv_kind(header: str, source: str) -> InputKind:
    cells = [cell.strip().strip('"') for cell in header.split(",")]
    lowered = [cell.lower() for cell in cells]
    if lowered and lowered[0] == "time":
        return "curves"
    if "timecode" in lowered:
        return "livelink"
    if is_openface_header(cells):
        return "openface"
    excerpt = header if len(header) <= 40 else header[:40] + "..."
    return _raise(_unknown(source, f"a CSV whose header starts {excerpt!r}"))


def _raise(error: CurveError) -> InputKind:
    raise error


def _json_kind(head: bytes) -> InputKind:
    # Our curve writer puts "names" before the values; a timeline has "events" and no "names".
    if _CURVE_KEYS.search(head) and not _TIMELINE_KEYS.search(head):
        return "curves"
    return "timeline"


def input_kind(path: str | os.PathLike[str]) -> InputKind:
    """What kind of input a file is, from its suffix and its header or keys.

    Raises
    ------
    CurveError
        The file is missing, empty, or none of the kinds in :data:`INPUT_FORMATS` (the message
        lists them).
    """
    source = display_path(path)
    suffix = Path(path).suffix.lower()
    if suffix == ".toml":
        return "timeline"
    if suffix == ".npz":
        return "curves"
    if suffix == ".json":
        return _json_kind(_head(path, source))
    if suffix == ".csv":
        return _csv_kind(_first_line(_head(path, source), source), source)
    return _raise(_unknown(source, f"suffix {suffix or '(none)'!r} is not known"))


def load_input(
    path: str | os.PathLike[str], *, fps: float | None = None,
    progress: Callable[[float], None] | None = None,
) -> LoadedInput:  # fmt: skip
    """Read any input as AU curves.

    Parameters
    ----------
    path : str or path
        A timeline (rendered), one of our curve files, an OpenFace CSV or a Live Link Face CSV.
    fps : float, optional
        Frame rate of the result. Timelines render at it (default: their own); recorded takes are
        resampled onto it by their own timestamps (default: their median rate); our curve files
        are resampled when it differs from theirs.
    progress : callable, optional
        Called with the fraction done (0 to 1) while a timeline renders.

    Returns
    -------
    LoadedInput

    Raises
    ------
    AvatarDriveError
        One line naming the file, the line or column, the value and what was expected.
    """
    source = display_path(path)
    kind = input_kind(path)
    if kind == "timeline":
        timeline = load_timeline(path)
        return LoadedInput(source, kind, render(timeline, fps=fps, progress=progress), timeline)
    if kind == "curves":
        curves = read_au_curves(path)
        if fps is not None and fps != curves.fps:
            curves = curves.resample(fps)
        return LoadedInput(source, kind, curves)
    return LoadedInput(source, kind, read_take_curves(path, kind=kind, fps=fps))


def load_curves(path: str | os.PathLike[str], *, fps: float | None = None) -> Curves:
    """Any input as AU curves (:func:`load_input` without the timeline).

    Returns
    -------
    Curves
        float32 in [0, 1], shape (frames, N_CHANNELS), ``names == CHANNELS``.
    """
    return load_input(path, fps=fps).curves
