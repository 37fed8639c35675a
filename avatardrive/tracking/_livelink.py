"""Live Link Face CSV recordings: parsing, timecode, and a frame source that replays them.

The Live Link Face app (Epic Games) exports one row per frame::

    Timecode,BlendShapeCount,EyeBlinkLeft,EyeLookDownLeft,...,TongueOut,HeadYaw,HeadPitch,...
    14:03:52:28.207,61,0.0123,0.0,...

Columns are found by header name (case-insensitive), never by position. Required: ``Timecode``
and the 52 ARKit blendshapes; ``BlendShapeCount`` and the head and eye rotations are optional.
``Timecode`` is ``HH:MM:SS:FF.fff``: ``FF`` counts frames at the timecode rate and ``.fff`` is a
fraction of a frame, so ``t = 3600 h + 60 m + s + (FF + 0.fff) / rate``. Times are made relative to
the first row; a recording that runs past midnight keeps counting up.
"""

from __future__ import annotations

import logging
import math
import os
import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from avatardrive._files import display_path
from avatardrive.errors import ParameterError, TrackingError
from avatardrive.tracking._arkit import ARKIT_NAMES, arkit_index
from avatardrive.tracking._frames import Frame, FrameSource
from avatardrive.tracking._takecsv import Blocks, csv_rows, median_rate

__all__ = [
    "TIMECODE_RATES",
    "LiveLinkRecording",
    "LiveLinkSource",
    "parse_timecode",
    "read_live_link",
]

logger = logging.getLogger("avatardrive.tracking")

#: Timecode rates a recording's rate is snapped to when it is inferred from the frame numbers.
TIMECODE_RATES = (24.0, 25.0, 30.0, 48.0, 50.0, 60.0)
_DEFAULT_RATE = 60.0  # the app's default
_TIMECODE = re.compile(r"^\s*(\d{1,2}):(\d{2}):(\d{2})[:;](\d{1,3})(?:\.(\d+))?\s*$")
_HEAD_COLUMNS = ("HeadYaw", "HeadPitch", "HeadRoll")
_EYE_COLUMNS = ("LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll", "RightEyeYaw", "RightEyePitch",
                "RightEyeRoll")  # fmt: skip
_DAY = 86400.0


def parse_timecode(text: str, *, rate: float) -> float:
    """Seconds of a ``HH:MM:SS:FF.fff`` timecode at ``rate`` frames per second.

    Examples
    --------
    >>> parse_timecode("00:00:01:30.500", rate=60.0)
    1.5083333333333333

    Raises
    ------
    ParameterError
        Not a timecode, or a field out of range (minutes or seconds above 59, frame at or above
        the rate).
    """
    h, m, s, ff, frac = _split_timecode(text)
    if ff >= rate:
        raise ParameterError(f"timecode {text!r} has frame {ff}; expected below the rate {rate:g}")
    return h * 3600.0 + m * 60.0 + s + (ff + frac) / rate


def _split_timecode(text: str) -> tuple[int, int, int, int, float]:
    match = _TIMECODE.match(text)
    if not match:
        raise ParameterError(f"timecode {text!r}; expected HH:MM:SS:FF or HH:MM:SS:FF.fff")
    h, m, s, ff = (int(match.group(i)) for i in range(1, 5))
    frac = float("0." + match.group(5)) if match.group(5) else 0.0
    if m > 59 or s > 59:
        raise ParameterError(f"timecode {text!r}: minutes and seconds must be 0-59")
    return h, m, s, ff, frac


@dataclass(frozen=True, eq=False)
class LiveLinkRecording:
    """A parsed Live Link Face CSV.

    Attributes
    ----------
    path : str
    times : ndarray of float64, shape (frames,)
        Seconds since the first row, non-decreasing.
    names : tuple of str, length 52
        The ARKit blendshape names (:data:`ARKIT_NAMES` order, camelCase).
    weights : ndarray of float32, shape (frames, 52)
        Blendshape weights clipped to [0, 1], columns in ``names`` order.
    head_pose : ndarray of float32, shape (frames, 3), or None
        ``HeadYaw``, ``HeadPitch``, ``HeadRoll`` converted to degrees, when all three columns
        are present. Live Link's signs (``avatardrive._shapes.LIVE_LINK_SIGNS``), not yet ours.
    timecode_rate : float
        The timecode's frame rate (given, or inferred from the frame numbers).
    eye_pose : ndarray of float32, shape (frames, 6), or None
        ``LeftEyeYaw, LeftEyePitch, LeftEyeRoll, RightEyeYaw, RightEyePitch, RightEyeRoll`` in
        degrees, Live Link's signs, when all six columns are present.
    """

    path: str
    times: npt.NDArray[np.float64]
    names: tuple[str, ...]
    weights: npt.NDArray[np.float32]
    head_pose: npt.NDArray[np.float32] | None
    timecode_rate: float
    eye_pose: npt.NDArray[np.float32] | None = None

    @property
    def fps(self) -> float:
        """Median frame rate of the rows (the timecode rate for a single row)."""
        return median_rate(self.times, default=self.timecode_rate)


def _columns(
    header: list[str], source: str
) -> tuple[int, list[int], list[int] | None, list[int] | None]:
    lookup: dict[str, int] = {}
    for i, name in enumerate(header):
        lookup.setdefault(name.strip().casefold(), i)
    if "timecode" not in lookup:
        raise TrackingError("missing column 'Timecode'; expected a Live Link Face CSV header",
                            source=source, where="line 1")
    by_arkit = {arkit_index(name): i for i, name in enumerate(header)
                if arkit_index(name) is not None}
    missing = [name for k, name in enumerate(ARKIT_NAMES) if k not in by_arkit]
    if missing:
        shown = ", ".join(repr(n[0].upper() + n[1:]) for n in missing[:4])
        more = f" and {len(missing) - 4} more" if len(missing) > 4 else ""
        raise TrackingError(
            f"missing column {shown}{more}; expected the 52 ARKit blendshape columns of a Live "
            f"Link Face CSV",
            source=source, where="line 1",
        )
    shapes = [by_arkit[k] for k in range(len(ARKIT_NAMES))]
    head_keys = [name.casefold() for name in _HEAD_COLUMNS]
    head = [lookup[k] for k in head_keys] if all(k in lookup for k in head_keys) else None
    eye_keys = [name.casefold() for name in _EYE_COLUMNS]
    eyes = [lookup[k] for k in eye_keys] if all(k in lookup for k in eye_keys) else None
    return lookup["timecode"], shapes, head, eyes


def _infer_rate(stamps: npt.NDArray[np.float64], source: str) -> float:
    """The timecode rate from the frame numbers (stamps: rows of h, m, s, ff, fraction)."""
    top = int(stamps[:, 3].max()) + 1
    rate = min((r for r in TIMECODE_RATES if r >= top), default=float(top))
    if np.unique(stamps[:, :3], axis=0).shape[0] > 1:  # the frame numbers wrapped at least once
        return rate
    rate = max(rate, _DEFAULT_RATE)
    logger.info("%s: the recording is shorter than a second of timecode; assuming a timecode "
                "rate of %g", source, rate)
    return rate


def read_live_link(
    path: str | os.PathLike[str], *, timecode_rate: float | None = None
) -> LiveLinkRecording:
    """Parse a Live Link Face CSV recording, streaming its rows.

    Parameters
    ----------
    path : str or path
    timecode_rate : float, optional
        Frame rate of the timecode's ``FF`` field. By default it is inferred from the highest
        frame number (snapped to one of :data:`TIMECODE_RATES`); a recording shorter than a
        second is assumed to use the app's default, 60.

    Returns
    -------
    LiveLinkRecording

    Raises
    ------
    TrackingError
        The file is missing, empty or not UTF-8 text, a required column is missing (the message
        names it), a value or timecode does not parse (the message names the line and column),
        or the timecode runs backwards.
    """
    source = display_path(path)
    rows = csv_rows(path, expected="a Live Link Face CSV")
    first = next(rows, None)
    if first is None:
        raise TrackingError("empty file; expected a Live Link Face CSV", source=source)
    header = first[1]
    t_col, shape_cols, head_cols, eye_cols = _columns(header, source)
    weights = Blocks(len(shape_cols), np.float32)
    head = Blocks(3, np.float64) if head_cols else None
    eyes = Blocks(6, np.float64) if eye_cols else None
    stamps = Blocks(6, np.float64)  # h, m, s, ff, fraction, line number
    for line, row in rows:
        where = f"line {line}"
        if len(row) < len(header):
            raise TrackingError(f"{len(row)} fields; expected {len(header)} as in the header",
                                source=source, where=where)
        try:
            stamps.append([*_split_timecode(row[t_col]), line])
        except ParameterError as exc:
            raise TrackingError(exc.message, source=source, where=f"{where}, Timecode") from None
        # weights are clipped to [0, 1] before they are stored as float32 (1e308 would overflow)
        weights.append(np.clip(_numbers(row, shape_cols, header, source, where), 0.0, 1.0))
        if head is not None and head_cols is not None:
            head.append(_numbers(row, head_cols, header, source, where))
        if eyes is not None and eye_cols is not None:
            eyes.append(_numbers(row, eye_cols, header, source, where))
    if stamps.rows == 0:
        raise TrackingError("no frames after the header", source=source)
    stamp_array = stamps.array()
    rate = timecode_rate or _infer_rate(stamp_array, source)
    times = _times(stamp_array, rate, source)
    return LiveLinkRecording(
        path=source,
        times=times,
        names=ARKIT_NAMES,
        weights=np.clip(weights.array(), 0.0, 1.0),
        head_pose=None if head is None else np.degrees(head.array()).astype(np.float32),
        timecode_rate=float(rate),
        eye_pose=None if eyes is None else np.degrees(eyes.array()).astype(np.float32),
    )


def _numbers(
    row: list[str], cols: list[int], header: list[str], source: str, where: str
) -> list[float]:
    values = []
    for c in cols:
        try:
            value = float(row[c])
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            cell = row[c] if len(row[c]) <= 20 else row[c][:20] + "..."
            raise TrackingError(f"{cell!r} is not a finite number",
                                source=source, where=f"{where}, {header[c].strip()}")
        values.append(value)
    return values


def _times(stamps: npt.NDArray[np.float64], rate: float, source: str) -> npt.NDArray[np.float64]:
    """Seconds from the first row; stamps are rows of (h, m, s, ff, fraction, line)."""
    lines = stamps[:, 5].astype(np.int64)
    late = np.flatnonzero(stamps[:, 3] >= rate)
    if late.size:
        raise TrackingError(f"frame {int(stamps[late[0], 3])} in the timecode; expected below "
                            f"the rate {rate:g}", source=source,
                            where=f"line {lines[late[0]]}, Timecode")  # fmt: skip
    h, m, s, ff, frac = stamps[:, :5].T
    seconds = h * 3600.0 + m * 60.0 + s + (ff + frac) / rate
    wrapped = np.concatenate(([False], np.diff(seconds) < -_DAY / 2))  # past midnight
    seconds = seconds + np.cumsum(wrapped) * _DAY
    backwards = np.flatnonzero(np.diff(seconds) < 0)
    if backwards.size:
        raise TrackingError("the timecode runs backwards; expected non-decreasing times",
                            source=source, where=f"line {lines[backwards[0] + 1]}, Timecode")
    return np.asarray(seconds - seconds[0], dtype=np.float64)


class LiveLinkSource(FrameSource):
    """Replay a Live Link Face CSV as frames of blendshape weights (no images).

    Each :class:`Frame` carries ``shapes`` (52 weights), ``shape_names`` (camelCase ARKit names,
    the performer's own sides) and ``head_pose`` (degrees) when recorded; ``time`` is the recorded
    timecode relative to the first row.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, timecode_rate: float | None = None
    ) -> None:
        super().__init__(display_path(path), mirrored=False)
        self.path = path
        self.timecode_rate = timecode_rate
        self.recording: LiveLinkRecording | None = None

    def _do_open(self) -> None:
        self.recording = read_live_link(self.path, timecode_rate=self.timecode_rate)
        self.fps = self.recording.fps

    def _do_read(self) -> Frame | None:
        rec = self.recording
        i = self.frame_index
        if rec is None or i >= len(rec.times):
            return None
        head = None if rec.head_pose is None else rec.head_pose[i]
        return Frame(i, float(rec.times[i]), shapes=rec.weights[i], shape_names=rec.names,
                     head_pose=head)
