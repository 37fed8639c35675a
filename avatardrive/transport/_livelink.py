"""Live Link Face CSV: the 61 columns, the ``HH:MM:SS:FF.fff`` timecode, and the CSV sink.

Columns are written in the order the Live Link Face app writes them (``JawRight`` before
``JawLeft``, ``MouthRight`` before ``MouthLeft``); readers should match by header name anyway.

Head and eye columns come from a frame's bones (:func:`livelink_rotations`): radians, with Live
Link's signs (:data:`avatardrive._shapes.LIVE_LINK_SIGNS`: yaw + toward the performer's own
right, pitch + down, roll + toward the own left shoulder); ``HeadYaw`` is the whole head (Neck
and Head bones added), each eye its own bone.
"""

from __future__ import annotations

import contextlib
import os
from types import TracebackType
from typing import IO

import numpy as np

from avatardrive._files import atomic_output, display_path
from avatardrive._shapes import LIVE_LINK_ROTATIONS, LIVE_LINK_SHAPES, LIVE_LINK_SIGNS, shape_key
from avatardrive.errors import ParameterError, TransportError
from avatardrive.transport._frame import UNIT_RANGE, FloatArray, Frame, ValueRange, sanitize

__all__ = [
    "LIVE_LINK_COLUMNS",
    "LIVE_LINK_ROTATIONS",
    "LIVE_LINK_SHAPES",
    "LiveLinkCsvSink",
    "livelink_rotations",
    "livelink_timecode",
]

LIVE_LINK_COLUMNS = ("Timecode", "BlendShapeCount", *LIVE_LINK_SHAPES, *LIVE_LINK_ROTATIONS)
_COUNT = len(LIVE_LINK_SHAPES) + len(LIVE_LINK_ROTATIONS)  # 61
_ROTATION_LIMIT = 180.0  # degrees or radians, either fits; only NaN/inf need catching
_KEYS = {shape_key(name): i for i, name in enumerate((*LIVE_LINK_SHAPES, *LIVE_LINK_ROTATIONS))}


_SIGNS = np.radians(np.array(LIVE_LINK_SIGNS, dtype=np.float64))
_HEAD_BONES, _EYE_BONES = ("Neck", "Head"), ("LeftEye", "RightEye")


def livelink_rotations(
    bones: tuple[str, ...], angles: FloatArray, *, out: FloatArray
) -> FloatArray:
    """Live Link's nine head and eye values from bone angles.

    Parameters
    ----------
    bones : tuple of str
        Bone names (``Neck``, ``Head``, ``LeftEye``, ``RightEye``; others ignored).
    angles : ndarray, shape (len(bones), 3)
        Yaw, pitch, roll in degrees, avatardrive's signs. NaN counts as 0.
    out : ndarray of float32, shape (9,)
        ``HeadYaw, HeadPitch, HeadRoll, LeftEyeYaw, ..., RightEyeRoll`` in radians, Live Link's
        signs; a missing bone gives 0 (an eye missing copies the other).

    Returns
    -------
    ndarray
        ``out``.
    """
    clean = np.nan_to_num(np.asarray(angles, dtype=np.float64))
    head = [clean[bones.index(b)] for b in _HEAD_BONES if b in bones]
    eyes = {b: clean[bones.index(b)] for b in _EYE_BONES if b in bones}
    values = np.zeros((3, 3))
    values[0] = np.sum(head, axis=0) if head else 0.0
    for row, (name, other) in ((1, _EYE_BONES), (2, _EYE_BONES[::-1])):
        found = eyes.get(name, eyes.get(other))
        if found is not None:
            values[row] = found
    out[:] = (values * _SIGNS).ravel()
    return out


def livelink_timecode(seconds: float, *, rate: int = 60) -> str:
    """Live Link Face timecode ``HH:MM:SS:FF.fff``: frame ``FF`` at ``rate``, ``.fff`` its fraction.

    Times below 0 count as 0; hours wrap at 24 like a timecode clock.

    >>> livelink_timecode(3661.5)
    '01:01:01:30.000'
    """
    millis = round(max(seconds, 0.0) * rate * 1000)  # thousandths of a frame
    frames, fraction = divmod(millis, 1000)
    whole, frame = divmod(frames, rate)
    minutes, second = divmod(whole, 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours % 24:02d}:{minute:02d}:{second:02d}:{frame:02d}.{fraction:03d}"


class LiveLinkCsvSink:
    """Write frames as a Live Link Face CSV, through a temporary file renamed on close.

    Frame names match the columns case-insensitively (``eyeBlinkLeft``, ``EyeBlinkLeft``,
    ``eyeBlink_L``); columns without a name are written as 0. Shape values are clamped into
    ``ranges`` (NaN → ``lo``); rotation columns map NaN to 0 and clamp to ±180. A frame with
    bones fills the head and eye columns from them (:func:`livelink_rotations`).

    Parameters
    ----------
    path
        The CSV file to create (replaced atomically on :meth:`close`).
    rate
        Timecode frame rate (integer), independent of the stream's rate; 60 is the app's
        default, and what readers assume for recordings shorter than a second.
    start
        Seconds added to ``frame.time`` for the timecode (e.g. the time of day).
    ranges
        Declared shape ranges.

    Raises
    ------
    TransportError
        If the file cannot be created, or a frame holds a name that is no Live Link column.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        rate: int = 60,
        start: float = 0.0,
        ranges: ValueRange = UNIT_RANGE,
    ) -> None:
        if isinstance(rate, bool) or not isinstance(rate, int) or rate < 1:
            raise ParameterError(f"rate is {rate!r}; expected a whole timecode rate such as 60")
        self.path, self.rate, self.start = path, rate, start
        self._source = display_path(path)
        self._ranges = ranges
        self._names: tuple[str, ...] | None = None
        self._columns = np.zeros(0, dtype=np.intp)
        self._row = np.zeros(_COUNT, dtype=np.float32)
        self._stack = contextlib.ExitStack()
        try:
            self._file: IO[str] = self._stack.enter_context(atomic_output(path))
            self._file.write(",".join(LIVE_LINK_COLUMNS) + "\n")
        except OSError as exc:
            self._stack.close()
            raise TransportError(f"cannot be written ({exc.strerror}); expected a writable "
                                 f"location", source=self._source) from None
        self._closed = False

    def send(self, frame: Frame) -> None:
        """Append one row."""
        if self._closed:
            raise TransportError("send() after close(); expected an open sink",
                                 source=self._source)
        if frame.names is not self._names:
            self._map(frame)
        self._row[self._columns] = frame.values
        if frame.bones:
            livelink_rotations(frame.bones, frame.angles, out=self._row[len(LIVE_LINK_SHAPES):])
        self._clean_row()
        cells = ",".join(f"{v:.8f}" for v in self._row.tolist())
        timecode = livelink_timecode(self.start + frame.time, rate=self.rate)
        try:
            self._file.write(f"{timecode},{_COUNT},{cells}\n")
        except OSError as exc:
            self.discard()
            raise self._write_failure(exc) from None

    def close(self) -> None:
        """Finish the file: rename the temporary file over ``path``."""
        if not self._closed:
            self._closed = True
            try:
                self._stack.close()  # the temporary file is removed if this fails
            except OSError as exc:
                raise self._write_failure(exc) from None

    def _write_failure(self, exc: OSError) -> TransportError:
        return TransportError(f"cannot be written ({exc.strerror or exc}); nothing was written",
                              source=self._source)  # fmt: skip

    def discard(self) -> None:
        """Abandon the file: remove the temporary file, leave ``path`` untouched."""
        if not self._closed:
            self._closed = True
            with contextlib.suppress(_DiscardError):
                self._stack.__exit__(_DiscardError, _DiscardError(), None)

    def __enter__(self) -> LiveLinkCsvSink:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close() if error is None else self.discard()

    def _map(self, frame: Frame) -> None:
        columns = [_KEYS.get(shape_key(name), -1) for name in frame.names]
        for i, (name, column) in enumerate(zip(frame.names, columns, strict=True)):
            if column < 0 or columns.index(column) != i:
                problem = "is no Live Link Face column" if column < 0 else "repeats a column"
                raise TransportError(f"name {name!r} {problem}; expected ARKit 52 names "
                                     f"(EyeBlinkLeft … TongueOut) or head/eye rotations, once "
                                     f"each", source=self._source, where=f"frame {frame.index}")
        self._names, self._columns = frame.names, np.array(columns, dtype=np.intp)
        lo, hi = self._ranges.bounds(LIVE_LINK_SHAPES)
        rot = np.full(len(LIVE_LINK_ROTATIONS), _ROTATION_LIMIT, dtype=np.float32)
        self._lo, self._hi = np.concatenate([lo, -rot]), np.concatenate([hi, rot])
        self._row[:] = 0.0

    def _clean_row(self) -> None:
        shapes = len(LIVE_LINK_SHAPES)
        np.nan_to_num(self._row[shapes:], copy=False, nan=0.0)
        sanitize(self._row, self._lo, self._hi, out=self._row)
        self._row += 0.0  # -0.0 -> 0.0, so no cell reads "-0.00000000"


class _DiscardError(Exception):
    """Raised into the atomic writer to make it drop the temporary file."""
