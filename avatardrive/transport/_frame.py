"""The unit every sink receives (:class:`Frame`), the sink seam, and value ranges.

A frame is one row of named float32 values at one instant. The names tuple is meant to be shared
by every frame of a stream, so that sinks can check ``frame.names is self._names`` and reuse a
prepared packet layout. Optional AU channels ride along for sinks that forward them (generic OSC
with ``au=1``, the NPZ recorder).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from avatardrive.errors import ParameterError

__all__ = [
    "ANGLE_LIMIT",
    "EMPTY",
    "POSE_HI",
    "POSE_LO",
    "POSITION_LIMIT",
    "UNIT_RANGE",
    "FloatArray",
    "Frame",
    "Sink",
    "ValueRange",
    "clean_pose",
    "sanitize",
]

FloatArray = NDArray[np.float32]
EMPTY: FloatArray = np.zeros(0, dtype=np.float32)
EMPTY.flags.writeable = False
_NO_POSE: FloatArray = np.zeros((0, 7), dtype=np.float32)
_NO_POSE.flags.writeable = False
_NO_ANGLES: FloatArray = np.zeros((0, 3), dtype=np.float32)
_NO_ANGLES.flags.writeable = False
#: Largest bone position magnitude sent (metres); a bone angle magnitude (degrees).
POSITION_LIMIT, ANGLE_LIMIT = 100.0, 180.0


def _empty() -> FloatArray:
    return EMPTY


def _no_pose() -> FloatArray:
    return _NO_POSE


def _no_angles() -> FloatArray:
    return _NO_ANGLES


@dataclass(frozen=True, slots=True, eq=False)
class Frame:
    """One frame of a stream.

    Parameters
    ----------
    index
        Frame number on the stream's clock (gaps mean skipped frames).
    time
        Stream time of the frame, seconds.
    names
        Shape names, shared by every frame of the stream.
    values : ndarray, shape (len(names),), float32
        One value per name. Sinks read it during ``send`` and never keep a reference.
    channels
        Optional AU channel names (``AU12_L`` …), shared like ``names``.
    au : ndarray, shape (len(channels),), float32
        AU channel values, when ``channels`` is given.
    bones
        Optional bone names (``Neck``, ``Head``, ``LeftEye``, ``RightEye``), shared like
        ``names``; the rig's bones (:meth:`avatardrive.retarget.Rig.bone_frame`).
    pose : ndarray, shape (len(bones), 7), float32
        Per bone its local position (x, y, z, metres) and rotation (quaternion x, y, z, w), in
        Unity's convention: VMC's ``/VMC/Ext/Bone/Pos`` arguments.
    angles : ndarray, shape (len(bones), 3), float32
        Per bone yaw, pitch, roll in degrees, avatardrive's signs (performer's own left +, up +,
        tilt toward the own left shoulder +): what Live Link and generic OSC convert.
    """

    index: int
    time: float
    names: tuple[str, ...]
    values: FloatArray
    channels: tuple[str, ...] = ()
    au: FloatArray = field(default_factory=_empty)
    bones: tuple[str, ...] = ()
    pose: FloatArray = field(default_factory=_no_pose)
    angles: FloatArray = field(default_factory=_no_angles)

    def __post_init__(self) -> None:
        if self.values.shape != (len(self.names),):
            raise ParameterError(
                f"values has shape {self.values.shape}; expected ({len(self.names)},), one value "
                f"per name", where=f"frame {self.index}"
            )
        if self.au.shape != (len(self.channels),):
            raise ParameterError(
                f"au has shape {self.au.shape}; expected ({len(self.channels)},), one value per "
                f"channel", where=f"frame {self.index}"
            )
        if self.pose.shape != (len(self.bones), 7) or self.angles.shape != (len(self.bones), 3):
            raise ParameterError(
                f"pose has shape {self.pose.shape} and angles {self.angles.shape}; expected "
                f"({len(self.bones)}, 7) and ({len(self.bones)}, 3), one row per bone",
                where=f"frame {self.index}",
            )


@runtime_checkable
class Sink(Protocol):
    """Where frames go: a UDP destination, a file, memory. Sinks never sleep or block."""

    def send(self, frame: Frame) -> None:
        """Deliver one frame (a network sink may drop it and count it, never raise for that)."""

    def close(self) -> None:
        """Release sockets and files; file sinks commit their file here."""


@dataclass(frozen=True)
class ValueRange:
    """The declared range of stream values: ``[lo, hi]`` for every name unless overridden.

    Encoders clamp every value into its name's range and map NaN to the range's ``lo``, so
    NaN, infinities and out-of-range values never reach a socket or a file.

    Parameters
    ----------
    lo, hi
        Default range, finite, ``lo <= hi``.
    overrides
        Per-name ranges, e.g. ``{"JawX": (-1.0, 1.0)}`` for VRChat's combined axes.
    """

    lo: float = 0.0
    hi: float = 1.0
    overrides: Mapping[str, tuple[float, float]] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        _check_range(self.lo, self.hi, "ValueRange")
        for name, (lo, hi) in self.overrides.items():
            _check_range(lo, hi, f"overrides[{name!r}]")
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))

    def bounds(self, names: Sequence[str]) -> tuple[FloatArray, FloatArray]:
        """Lower and upper bounds for ``names``, two float32 arrays shaped (len(names),)."""
        pairs = [self.overrides.get(name, (self.lo, self.hi)) for name in names]
        lo = np.array([p[0] for p in pairs], dtype=np.float32).reshape(len(names))
        hi = np.array([p[1] for p in pairs], dtype=np.float32).reshape(len(names))
        return lo, hi


def sanitize(values: FloatArray, lo: FloatArray, hi: FloatArray, *, out: FloatArray) -> FloatArray:
    """Clamp ``values`` into ``[lo, hi]`` elementwise; NaN becomes ``lo``, ±inf the bound.

    ``fmax`` ignores NaN, which is what maps NaN to ``lo``. All arrays shaped alike.
    """
    np.fmax(values, lo, out=out)
    return np.fmin(out, hi, out=out)


def clean_pose(pose: FloatArray, *, out: FloatArray) -> FloatArray:
    """Bone poses (..., 7) made safe to send: NaN position 0, NaN rotation identity, clamped.

    Positions are clamped to ±:data:`POSITION_LIMIT` metres, quaternion parts to [-1, 1].
    """
    np.maximum(pose, POSE_LO, out=out)  # maximum keeps NaN, clamps -inf
    np.minimum(out, POSE_HI, out=out)
    if np.isnan(out).any():
        bad = np.isnan(out[..., 3:]).any(axis=-1)
        out[bad, 3:] = (0.0, 0.0, 0.0, 1.0)
        np.nan_to_num(out, copy=False, nan=0.0)
    return out


#: Bounds of one bone's pose row (position x y z, quaternion x y z w).
POSE_HI = np.array([POSITION_LIMIT] * 3 + [1.0] * 4, dtype=np.float32)
POSE_LO = -POSE_HI


def _check_range(lo: float, hi: float, where: str) -> None:
    if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
        raise ParameterError(f"range ({lo!r}, {hi!r}) is not finite with lo <= hi; expected "
                             f"e.g. (0.0, 1.0)", where=where)


UNIT_RANGE = ValueRange()
"""Every value in [0, 1]: blendshape weights."""
