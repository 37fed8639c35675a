"""Head and gaze as AU channels: the angle of one unit of intensity and the sign conventions.

Head and gaze stay AU channels (AU51-56, AU61-64), so curves carry everything. One unit of
intensity is a fixed angle (a choice, FACS_DATA section 8, overridable by a rig): head turn 45°,
head up/down 30°, tilt 30°, eyes 30° horizontally and 25° vertically.

Signs, defined here once and converted only at the edges: angles are in degrees and refer to the
performer's own sides, as every left/right in avatardrive does.

- head yaw > 0: the head turns toward the performer's own left (AU51); < 0: right (AU52)
- head pitch > 0: chin up (AU53); < 0: down (AU54)
- head roll > 0: tilted toward the performer's own left shoulder (AU55); < 0: right (AU56)
- gaze yaw > 0: the eyes look to the performer's own left (AU61); < 0: right (AU62)
- gaze pitch > 0: the eyes look up (AU63); < 0: down (AU64)

Both channels of a head or gaze unit carry the same value (the head and conjugate gaze move as
one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from avatardrive.facs._catalogue import channels_of

__all__ = ["GAZE_AXES", "HEAD_AXES", "MotionAxis", "angles_from_channels", "angles_to_channels"]


@dataclass(frozen=True)
class MotionAxis:
    """One signed axis of head or gaze motion and the pair of AUs that code it.

    Attributes
    ----------
    name : str
        ``"yaw"``, ``"pitch"`` or ``"roll"``.
    positive, negative : int
        The AU for positive angles and the AU for negative ones.
    degrees : float
        The angle of one unit of intensity.
    """

    name: str
    positive: int
    negative: int
    degrees: float


#: Head yaw, pitch, roll (in this order in angle arrays).
HEAD_AXES: tuple[MotionAxis, ...] = (
    MotionAxis("yaw", 51, 52, 45.0),
    MotionAxis("pitch", 53, 54, 30.0),
    MotionAxis("roll", 55, 56, 30.0),
)
#: Gaze yaw, pitch (in this order in angle arrays).
GAZE_AXES: tuple[MotionAxis, ...] = (
    MotionAxis("yaw", 61, 62, 30.0),
    MotionAxis("pitch", 63, 64, 25.0),
)


def angles_to_channels(
    angles: npt.ArrayLike, axes: tuple[MotionAxis, ...], *, out: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """Write signed angles into their AU channels (both sides), clipped to one unit.

    Parameters
    ----------
    angles : array_like, shape (frames, len(axes)) or (len(axes),)
        Degrees, signs as in the module docstring. NaN counts as 0.
    axes : tuple of MotionAxis
        :data:`HEAD_AXES` or :data:`GAZE_AXES`.
    out : ndarray of float32, shape (frames, N_CHANNELS) or (N_CHANNELS,)
        The AU frames to write into (other channels are left alone).

    Returns
    -------
    ndarray of float32
        ``out``.
    """
    values = np.nan_to_num(np.asarray(angles, dtype=np.float64))
    for k, axis in enumerate(axes):
        units = np.clip(values[..., k] / axis.degrees, -1.0, 1.0)
        for number, part in ((axis.positive, np.maximum(units, 0.0)),
                             (axis.negative, np.maximum(-units, 0.0))):  # fmt: skip
            for channel in channels_of(number):
                out[..., channel] = part
    return out


def angles_from_channels(
    au: npt.ArrayLike, axes: tuple[MotionAxis, ...]
) -> npt.NDArray[np.float64]:
    """Signed angles from AU channels (the mean of both sides; positive minus negative AU).

    Parameters
    ----------
    au : array_like, shape (frames, N_CHANNELS) or (N_CHANNELS,)
    axes : tuple of MotionAxis

    Returns
    -------
    ndarray of float64, shape (frames, len(axes)) or (len(axes),)
        Degrees.
    """
    values = np.asarray(au, dtype=np.float64)
    columns = []
    for axis in axes:
        plus = values[..., list(channels_of(axis.positive))].mean(axis=-1)
        minus = values[..., list(channels_of(axis.negative))].mean(axis=-1)
        columns.append((plus - minus) * axis.degrees)
    return np.stack(columns, axis=-1)
