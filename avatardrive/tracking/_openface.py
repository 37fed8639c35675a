"""OpenFace 2.x takes: FeatureExtraction (and FaceLandmarkVidMulti) CSV output as AU samples.

OpenFace writes one row per frame (per face, for several faces)::

    frame, face_id, timestamp, confidence, success, gaze_0_x, ..., AU01_r, AU02_r, ..., AU45_c
    1,  0,  0.000,  0.98,  1,  -0.009178, ..., 0.53, 0.00, ..., 0

Columns are found by name after stripping the padding FeatureExtraction adds, never by position.
Required: ``timestamp`` and at least one ``AUxx_r`` intensity (0-5). ``success``, ``confidence`` and
``face_id`` are used when present. OpenFace AUs are not per side: an intensity drives both sides of
its unit equally, scaled to [0, 1] (5 -> 1.0); ``AU45_r`` is the blink. Rows where tracking failed
(``success = 0``, or ``confidence`` below a threshold) carry no valid values: those frames relax
from the last tracked values toward neutral instead of jumping to zero or following garbage.

Head pose and gaze (when the file has ``pose_Rx, pose_Ry, pose_Rz`` and ``gaze_angle_x,
gaze_angle_y``, radians) become the head and gaze channels (AU51-56, AU61-64). OpenFace's camera
frame has x to the image's right, y down, z away from the camera, rotations right-handed in it;
for an unmirrored video the image's right is the performer's own left. Hence, in avatardrive's
signs (facs/_motion.py)::

    head yaw   = -pose_Ry      (pose_Ry > 0 turns the nose toward the image's left)
    head pitch = -pose_Rx      (pose_Rx > 0 is chin down)
    head roll  = +pose_Rz      (pose_Rz > 0 lowers the image-right, i.e. the own left, side)
    gaze yaw   = +gaze_angle_x - head yaw      (gaze_angle_* are in camera coordinates:
    gaze pitch = -gaze_angle_y - head pitch     x > 0 toward the image's right, y > 0 down)

Checked by hand on the real files of ../shared/data: the image angle of the line between the eye
landmarks follows ``pose_Rz`` with the same sign (r = 0.98 and 0.62); ``gaze_angle_y`` rises with
``pose_Rx`` (r = 0.79, 0.84: the head's pitch is part of the world gaze) and ``gaze_angle_x`` falls
with ``pose_Ry`` (r = -0.50, -0.39). The pose is the camera's, not a calibrated rest: a performer
who sits off-axis reads as a constant turn.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from avatardrive._files import display_path
from avatardrive.errors import ParameterError, TrackingError
from avatardrive.facs import GAZE_AXES, HEAD_AXES, N_CHANNELS, angles_to_channels, channel_index
from avatardrive.tracking._takecsv import Blocks, csv_rows, median_rate

__all__ = [
    "OPENFACE_MAX_INTENSITY",
    "OpenFaceTake",
    "is_openface_header",
    "read_openface",
    "relax_invalid",
]

#: OpenFace's AU intensity scale: 0 (absent) to 5 (maximum).
OPENFACE_MAX_INTENSITY = 5.0
#: Rows whose tracking confidence (OpenFace: 0-1) is lower count as failed. Our choice, overridable.
_MIN_CONFIDENCE = 0.75
#: Time constant of the relaxation toward neutral over frames with no valid face (seconds); the
#: same order as the live tracker's lost-face relaxation.
_RELAX_SECONDS = 0.15
_INTENSITY = re.compile(r"^AU(\d{1,2})_r$", re.IGNORECASE)


@dataclass(frozen=True, eq=False)
class OpenFaceTake:
    """A parsed OpenFace CSV: one face's AU samples at their own timestamps.

    Attributes
    ----------
    path : str
    times : ndarray of float64, shape (frames,)
        Seconds from the first row, non-decreasing.
    au : ndarray of float32, shape (frames, N_CHANNELS)
        AU channel values in [0, 1] (both sides of each unit equal); 0 for units OpenFace does not
        estimate and for failed rows (see :attr:`valid`).
    valid : ndarray of bool, shape (frames,)
        Rows where OpenFace tracked the face (``success = 1`` and confidence high enough).
    face_id : int or None
        The face these rows belong to, when the file has a ``face_id`` column.
    units : tuple of int
        The AU numbers the file carries intensities for.
    """

    path: str
    times: npt.NDArray[np.float64]
    au: npt.NDArray[np.float32]
    valid: npt.NDArray[np.bool_]
    face_id: int | None
    units: tuple[int, ...]

    @property
    def fps(self) -> float:
        """Median frame rate of the rows (30 for a single row, OpenFace's usual rate)."""
        return median_rate(self.times, default=30.0)


def is_openface_header(names: list[str]) -> bool:
    """Whether a CSV header (already split) looks like OpenFace output."""
    stripped = {name.strip().lower() for name in names}
    if "timestamp" not in stripped:
        return False
    return bool(stripped & {"success", "confidence", "face_id"}) or any(
        _INTENSITY.match(n.strip()) for n in names
    )


@dataclass(frozen=True)
class _Layout:
    time: int
    success: int | None
    confidence: int | None
    face: int | None
    intensity: tuple[tuple[int, int], ...]  # (column, AU number)
    pose: tuple[int, int, int] | None = None  # pose_Rx, pose_Ry, pose_Rz
    gaze: tuple[int, int] | None = None  # gaze_angle_x, gaze_angle_y


def _layout(header: list[str], source: str) -> _Layout:
    names = [name.strip().lower() for name in header]

    def column(name: str) -> int | None:
        return names.index(name) if name in names else None

    time = column("timestamp")
    if time is None:
        raise TrackingError("no 'timestamp' column; expected OpenFace's FeatureExtraction CSV",
                            source=source, where="line 1")  # fmt: skip
    intensity = []
    for j, name in enumerate(header):
        match = _INTENSITY.match(name.strip())
        if match:
            intensity.append((j, int(match.group(1))))
    if not intensity:
        raise TrackingError("no AU intensity column (AU01_r ... AU45_r); expected OpenFace run "
                            "with -aus", source=source, where="line 1")  # fmt: skip
    pose = [j for j in map(column, ("pose_rx", "pose_ry", "pose_rz")) if j is not None]
    gaze = [j for j in map(column, ("gaze_angle_x", "gaze_angle_y")) if j is not None]
    return _Layout(time, column("success"), column("confidence"), column("face_id"),
                   tuple(intensity), (pose[0], pose[1], pose[2]) if len(pose) == 3 else None,
                   (gaze[0], gaze[1]) if len(gaze) == 2 else None)  # fmt: skip


def _unit_channels(intensity: tuple[tuple[int, int], ...], source: str) -> list[tuple[int, int]]:
    """(column, left channel index) for each AU we know; the right channel follows it."""
    known = []
    for j, number in intensity:
        try:
            left = channel_index(f"AU{number}_L")
        except ParameterError:
            raise TrackingError(
                f"AU{number} is not in the FACS catalogue; expected OpenFace's AU columns",
                source=source, where=f"column AU{number:02d}_r",
            ) from None  # fmt: skip
        known.append((j, left))
    return known


def _number(row: list[str], j: int, header: list[str], source: str, line: int) -> float:
    cell = row[j].strip()
    try:
        value = float(cell)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        excerpt = cell if len(cell) <= 20 else cell[:20] + "..."
        raise TrackingError(f"{excerpt!r} is not a finite number; expected a number",
                            source=source, where=f"line {line}, column {header[j].strip()!r}")
    return value


_EXPECTED = "an OpenFace CSV"


def _chosen_face(path: str | os.PathLike[str], layout: _Layout, face: int | None) -> int | None:
    """The face to read: ``face``, else the one with the most rows (a first pass over the file
    that keeps only the face ids); None for a file without a ``face_id`` column."""
    if layout.face is None:
        return None
    if face is not None:
        return face
    ids: dict[int, int] = {}
    rows = csv_rows(path, expected=_EXPECTED)
    next(rows, None)  # the header
    for _line, row in rows:
        try:
            key = int(float(row[layout.face]))
        except (ValueError, OverflowError, IndexError):
            continue  # the reading pass names the bad cell
        ids[key] = ids.get(key, 0) + 1
    return min(ids, key=lambda k: (-ids[k], k)) if ids else None


def read_openface(
    path: str | os.PathLike[str],
    *,
    min_confidence: float = _MIN_CONFIDENCE,
    face: int | None = None,
) -> OpenFaceTake:
    """Parse an OpenFace 2.x CSV (FeatureExtraction or FaceLandmarkVidMulti).

    Parameters
    ----------
    path : str or path
    min_confidence : float
        Rows whose ``confidence`` is lower count as failed.
    face : int, optional
        Which ``face_id`` to read from a several-face file; by default the face with the most rows
        (the lowest id on a tie).

    Returns
    -------
    OpenFaceTake

    Raises
    ------
    TrackingError
        The file is missing, not UTF-8 text, has no ``timestamp`` or AU intensity column, a cell
        is not a finite number, a row is short, or the timestamps run backwards.
    """
    source = display_path(path)
    rows = csv_rows(path, expected=_EXPECTED)
    first = next(rows, None)
    if first is None:
        raise TrackingError(f"empty file; expected {_EXPECTED}", source=source)
    header = first[1]
    layout = _layout(header, source)
    channels = _unit_channels(layout.intensity, source)
    face_id = _chosen_face(path, layout, face)
    times: list[float] = []
    valid: list[bool] = []
    au = Blocks(N_CHANNELS, np.float32)
    frame = np.zeros(N_CHANNELS, dtype=np.float32)
    for line, row in rows:
        if len(row) < len(header):
            raise TrackingError(f"{len(row)} fields; expected {len(header)} as in the header",
                                source=source, where=f"line {line}")  # fmt: skip
        if layout.face is not None and face_id is not None and (
            _number(row, layout.face, header, source, line) != face_id
        ):
            continue
        stamp = _number(row, layout.time, header, source, line)
        if times and stamp < times[-1]:
            raise TrackingError(f"timestamp {stamp:g} is before the previous row's "
                                f"{times[-1]:g}; expected times in order", source=source,
                                where=f"line {line}")  # fmt: skip
        times.append(stamp)
        valid.append(_row_valid(row, layout, header, source, line, min_confidence))
        frame[:] = 0.0
        for j, left in channels:
            value = _number(row, j, header, source, line) / OPENFACE_MAX_INTENSITY
            frame[left] = frame[left + 1] = min(max(value, 0.0), 1.0)
        _head_and_gaze(row, layout, header, source, line, out=frame)
        au.append(frame.tolist())
    if not times:
        raise TrackingError("no frames after the header", source=source)
    stamps = np.asarray(times, dtype=np.float64)
    return OpenFaceTake(
        path=source,
        times=stamps - stamps[0],
        au=au.array(),
        valid=np.asarray(valid, dtype=bool),
        face_id=face_id,
        units=tuple(number for _j, number in layout.intensity),
    )


def _head_and_gaze(row: list[str], layout: _Layout, header: list[str], source: str, line: int,
                   *, out: npt.NDArray[np.float32]) -> None:  # fmt: skip
    """Write a row's head pose and gaze into the head and gaze channels (module docstring)."""
    head = np.zeros(3)
    if layout.pose is not None:
        rx, ry, rz = (math.degrees(_number(row, j, header, source, line)) for j in layout.pose)
        head[:] = (-ry, -rx, rz)
        angles_to_channels(head, HEAD_AXES, out=out)
    if layout.gaze is not None:
        gx, gy = (math.degrees(_number(row, j, header, source, line)) for j in layout.gaze)
        angles_to_channels((gx - head[0], -gy - head[1]), GAZE_AXES, out=out)


def _row_valid(row: list[str], layout: _Layout, header: list[str], source: str, line: int,
               min_confidence: float) -> bool:  # fmt: skip
    if layout.success is not None and _number(row, layout.success, header, source, line) < 0.5:
        return False
    if layout.confidence is not None:
        return _number(row, layout.confidence, header, source, line) >= min_confidence
    return True


def relax_invalid(
    times: npt.NDArray[np.float64],
    values: npt.NDArray[np.float32],
    valid: npt.NDArray[np.bool_],
    *,
    seconds: float = _RELAX_SECONDS,
) -> npt.NDArray[np.float32]:
    """Frames without a valid face relax exponentially from the last valid frame toward neutral.

    Parameters
    ----------
    times : ndarray of float64, shape (frames,)
    values : ndarray of float32, shape (frames, channels)
    valid : ndarray of bool, shape (frames,)
    seconds : float
        Time constant of the relaxation.

    Returns
    -------
    ndarray of float32, shape (frames, channels)
        A copy; valid rows unchanged.
    """
    out = values.copy()
    rows = np.arange(values.shape[0])
    last_valid = np.maximum.accumulate(np.where(valid, rows, -1)) if rows.size else rows
    lost = ~valid
    before = last_valid[lost]
    decay = np.zeros(before.shape[0], dtype=np.float32)
    seen = before >= 0
    elapsed = times[lost][seen] - times[before[seen]]
    decay[seen] = np.exp(-elapsed / seconds).astype(np.float32)
    out[lost] = values[np.maximum(before, 0)] * decay[:, None]
    return out
