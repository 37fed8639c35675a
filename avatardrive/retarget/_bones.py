"""Bones of a rig: AU frames -> head, neck and eye rotations (angles and Unity quaternions).

A rig may declare the bones ``Neck``, ``Head``, ``LeftEye`` and ``RightEye``
(:data:`avatardrive._shapes.BONE_NAMES`, Unity's ``HumanBodyBones`` names, which the VMC protocol
uses). The head channels (AU51-56) rotate ``Neck`` and ``Head``; the gaze channels (AU61-64)
rotate both eyes alike (conjugate gaze). For one bone, with ``u`` the signed units of an axis
(positive AU minus negative AU, the mean of both sides, :mod:`avatardrive.facs._motion`)::

    angle = clip(u * degrees * share, limit_lo, limit_hi)        degrees, avatardrive's signs

``degrees`` defaults to the facs unit angle (head turn 45, up/down 30, tilt 30; eyes 30/25);
``share`` is the part of a head turn the bone carries (a neck 0.4 and a head 0.6 add up to the
whole turn); eyes carry all of the gaze.

From avatardrive's signs to Unity's (defined here, once)
---------------------------------------------------------
avatardrive's angles (facs/_motion.py): yaw > 0 toward the performer's own left, pitch > 0 chin
or eyes up, roll > 0 tilt toward the own left shoulder. Unity is left-handed with Y up; a humanoid
faces +Z, so its own left is -X. Unity rotates forward (+Z) toward +X (the avatar's right) for a
positive angle about Y, forward toward -Y (down) about X, and up (+Y) toward -X (the avatar's own
left) about Z. Hence, for a normalized humanoid bone (rest rotation identity, as UniVRM and the
VMC protocol use them)::

    Unity rotation about Y = -yaw      (axes.yaw   = "-y")
    Unity rotation about X = -pitch    (axes.pitch = "-x")
    Unity rotation about Z = +roll     (axes.roll  = "+z")

and the local rotation is ``q = q_yaw * q_pitch * q_roll`` (yaw outermost: Unity's own
``Quaternion.Euler`` order, Z then X then Y), as ``(x, y, z, w)`` with ``w >= 0``. A head bone with
a share ``s`` below 1 turns by ``q(angles / s) ** s``: the same axis as the whole head's rotation
and ``s`` of its angle, so Neck and Head together give exactly the whole rotation (shares of Euler
angles would not: rotations do not add). A rig may map an
axis elsewhere (``axes = { yaw = "+z" }``) for bones whose rest frame is not Unity's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from avatardrive._shapes import BONE_NAMES
from avatardrive.facs import GAZE_AXES, HEAD_AXES, N_CHANNELS, MotionAxis, channels_of

__all__ = [
    "AXIS_NAMES",
    "BONE_AXES",
    "DEFAULT_UNITY_AXES",
    "BoneMap",
    "RigBone",
    "compile_bones",
    "default_bone",
]

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]

#: The angles every bone has, in this order in angle arrays (eyes keep roll at 0).
AXIS_NAMES: tuple[str, ...] = ("yaw", "pitch", "roll")
#: Which motion axes drive each bone: the head's three, or the gaze's two.
BONE_AXES: dict[str, tuple[MotionAxis, ...]] = {
    "Neck": HEAD_AXES, "Head": HEAD_AXES, "LeftEye": GAZE_AXES, "RightEye": GAZE_AXES,
}  # fmt: skip
#: Unity local axis and sign of each of avatardrive's angles, for a normalized humanoid bone.
DEFAULT_UNITY_AXES: tuple[str, str, str] = ("-y", "-x", "+z")
_AXIS_INDEX = {"x": 0, "y": 1, "z": 2}


@dataclass(frozen=True)
class RigBone:
    """One bone of a rig, as written in its file (defaults filled in).

    Attributes
    ----------
    name
        ``Neck``, ``Head``, ``LeftEye`` or ``RightEye``.
    share
        Part of the head angles this bone carries (head bones), 1 for eyes.
    degrees
        Degrees per unit of intensity for yaw, pitch, roll (eyes: roll unused, 0).
    axes
        Unity local axis with sign (``"-y"``) for yaw, pitch, roll.
    limits
        ``(lo, hi)`` degrees for yaw, pitch, roll, after the share.
    position
        Local position sent with the rotation (VMC ``/VMC/Ext/Bone/Pos``), metres, Unity axes.
    source
        The rig file the bone was written in.
    """

    name: str
    share: float
    degrees: tuple[float, float, float]
    axes: tuple[str, str, str]
    limits: tuple[tuple[float, float], tuple[float, float], tuple[float, float]]
    position: tuple[float, float, float] = (0.0, 0.0, 0.0)
    source: str = ""

    @property
    def drive(self) -> str:
        """``"head"`` (AU51-56) or ``"gaze"`` (AU61-64)."""
        return "head" if BONE_AXES[self.name] is HEAD_AXES else "gaze"


def default_bone(name: str, *, source: str = "") -> RigBone:
    """A bone with the facs unit angles, Unity's axes, share 1 and limits of ±1 unit."""
    axes = BONE_AXES[name]
    degrees = [axis.degrees for axis in axes] + [0.0] * (3 - len(axes))
    limits = tuple((-d, d) for d in degrees)
    return RigBone(name, 1.0, (degrees[0], degrees[1], degrees[2]), DEFAULT_UNITY_AXES,
                   (limits[0], limits[1], limits[2]), source=source)  # fmt: skip


class BoneMap:
    """The compiled bones of a rig: AU frames -> angles and local quaternions.

    Attributes
    ----------
    names : tuple of str
        Bone names, in :data:`BONE_NAMES` order (Neck, Head, LeftEye, RightEye; those present).
    positions : ndarray of float32, shape (n_bones, 3)
        Local positions, constant.
    """

    def __init__(self, bones: tuple[RigBone, ...]) -> None:
        ordered = sorted(bones, key=lambda b: BONE_NAMES.index(b.name))
        self.bones = tuple(ordered)
        self.names: tuple[str, ...] = tuple(b.name for b in ordered)
        n = len(ordered)
        # units = drives @ au: the five signed axes (head yaw/pitch/roll, gaze yaw/pitch)
        motion = (*HEAD_AXES, *GAZE_AXES)
        drives = np.zeros((len(motion), N_CHANNELS), dtype=np.float32)
        for k, axis in enumerate(motion):
            for channel in channels_of(axis.positive):
                drives[k, channel] += 0.5
            for channel in channels_of(axis.negative):
                drives[k, channel] -= 0.5
        self._drives = drives
        # per bone and angle: which unit, its gain (degrees x share), limits
        self._unit = np.zeros((n, 3), dtype=np.intp)
        self._gain = np.zeros((n, 3), dtype=np.float64)
        self._lo = np.zeros((n, 3), dtype=np.float64)
        self._hi = np.zeros((n, 3), dtype=np.float64)
        self._axis = np.zeros((n, 3), dtype=np.intp)
        self._sign = np.ones((n, 3), dtype=np.float64)
        for i, bone in enumerate(ordered):
            first = 0 if bone.drive == "head" else len(HEAD_AXES)
            count = len(BONE_AXES[bone.name])
            for k in range(3):
                self._unit[i, k] = first + min(k, count - 1)
                self._gain[i, k] = bone.degrees[k] * bone.share if k < count else 0.0
                self._lo[i, k], self._hi[i, k] = bone.limits[k]
                self._axis[i, k] = _AXIS_INDEX[bone.axes[k][1]]
                self._sign[i, k] = -1.0 if bone.axes[k][0] == "-" else 1.0
        self.positions: F32 = np.array([b.position for b in ordered],
                                       dtype=np.float32).reshape(n, 3)
        self.positions.setflags(write=False)
        self._half_radians = np.radians(0.5) * self._sign  # (n, 3)
        self._generators = _GENERATORS[self._axis]  # (n, 3, 4, 4)
        self._share = np.array([b.share for b in ordered], dtype=np.float64).reshape(n, 1)
        self._plans = [
            (self._unit[i].tolist(), self._gain[i].tolist(), self._lo[i].tolist(),
             self._hi[i].tolist(), tuple(zip(self._axis[i].tolist(),
                                             self._half_radians[i].tolist(), strict=True)),
             ordered[i].share)
            for i in range(n)
        ]  # fmt: skip

    @property
    def n_bones(self) -> int:
        """Number of bones."""
        return len(self.names)

    def angles(self, au: npt.ArrayLike) -> F64:
        """Bone angles of AU frames.

        Parameters
        ----------
        au : array_like, shape (frames, N_CHANNELS) or (N_CHANNELS,)
            AU channels; NaN counts as 0, values are clipped to [0, 1].

        Returns
        -------
        ndarray of float64, shape (frames, n_bones, 3) or (n_bones, 3)
            Yaw, pitch, roll in degrees, avatardrive's signs, within each bone's limits.
        """
        values = np.fmin(np.fmax(np.asarray(au, dtype=np.float32), 0.0), 1.0)  # NaN -> 0
        units = values @ self._drives.T  # (..., 5)
        angles = units[..., self._unit] * self._gain
        return np.minimum(np.maximum(angles, self._lo, out=angles), self._hi, out=angles)

    def quaternions(self, angles: npt.ArrayLike) -> F64:
        """Unity local rotations of bone angles (see the module docstring).

        Parameters
        ----------
        angles : array_like, shape (..., n_bones, 3)
            Degrees, as from :meth:`angles`.

        Returns
        -------
        ndarray of float64, shape (..., n_bones, 4)
            Unit quaternions ``(x, y, z, w)``, ``w >= 0``.
        """
        half = np.asarray(angles, dtype=np.float64) / self._share * self._half_radians
        # each angle's elementary rotation as its left-multiplication matrix c I + s K_axis
        steps = (np.cos(half)[..., None, None] * _IDENTITY
                 + np.sin(half)[..., None, None] * self._generators)  # (..., n, 3, 4, 4)
        # q = q_yaw * q_pitch * q_roll, applied to the identity quaternion (0, 0, 0, 1)
        result: F64 = (steps[..., 0, :, :] @ (steps[..., 1, :, :] @ steps[..., 2, :, 3:]))[..., 0]
        result *= np.where(result[..., 3:] < 0.0, -1.0, 1.0)
        return _power(result, self._share)

    def frame(self, au: npt.ArrayLike) -> tuple[F32, F32]:
        """Angles and quaternions of one AU frame, as float32 arrays (n_bones, 3), (n_bones, 4).

        The same numbers as :meth:`angles` and :meth:`quaternions`, computed with scalars: a
        streaming frame has at most four bones, where array calls would cost more than the math.
        """
        values = np.fmin(np.fmax(np.asarray(au, dtype=np.float32), 0.0), 1.0)  # NaN -> 0
        units = (self._drives @ values).tolist()
        angles, rotations = [], []
        for unit, gain, lo, hi, plan, share in self._plans:
            row = [min(max(units[u] * g, a), b)
                   for u, g, a, b in zip(unit, gain, lo, hi, strict=True)]  # fmt: skip
            angles.append(row)
            if share == 1.0:
                rotations.append(_compose(row, plan))
            else:
                rotations.append(_scalar_power(_compose([a / share for a in row], plan), share))
        return (np.array(angles, dtype=np.float32).reshape(self.n_bones, 3),
                np.array(rotations, dtype=np.float32).reshape(self.n_bones, 4))


def _compose(angles: list[float], plan: tuple[tuple[int, float], ...]) -> list[float]:
    """``q_yaw * q_pitch * q_roll`` of one bone with scalars: ``plan`` is (axis, half-radian
    factor with sign) per angle. Returns (x, y, z, w) with w >= 0."""
    x = y = z = 0.0
    w = 1.0
    for angle, (axis, factor) in zip(angles, plan, strict=True):
        half = angle * factor
        c, s = math.cos(half), math.sin(half)
        # (x, y, z, w) * (s e_axis, c)
        if axis == 0:
            x, y, z, w = w * s + x * c, y * c + z * s, z * c - y * s, w * c - x * s
        elif axis == 1:
            x, y, z, w = x * c - z * s, w * s + y * c, z * c + x * s, w * c - y * s
        else:
            x, y, z, w = x * c + y * s, y * c - x * s, w * s + z * c, w * c - z * s
    return [x, y, z, w] if w >= 0.0 else [-x, -y, -z, -w]


def _scalar_power(q: list[float], share: float) -> list[float]:
    """``q ** share`` of a unit quaternion (x, y, z, w), w >= 0: its axis, share x its angle."""
    x, y, z, w = q
    sine = math.sqrt(x * x + y * y + z * z)
    if sine < 1e-12:
        return [0.0, 0.0, 0.0, 1.0]
    half = math.atan2(sine, w) * share
    scale = math.sin(half) / sine
    return [x * scale, y * scale, z * scale, math.cos(half)]


def _power(q: F64, share: F64) -> F64:
    """``q ** share`` over arrays: q (..., n, 4) unit quaternions with w >= 0, share (n, 1)."""
    sine = np.linalg.norm(q[..., :3], axis=-1, keepdims=True)
    half = np.arctan2(sine, q[..., 3:]) * share
    scale = np.divide(np.sin(half), sine, out=np.zeros_like(sine), where=sine > 1e-12)
    result: F64 = np.concatenate([q[..., :3] * scale, np.cos(half)], axis=-1)
    return result


#: Left multiplication by a quaternion (x, y, z, w): ``a * b = (w I + x K_x + y K_y + z K_z) b``.
_IDENTITY = np.eye(4)
_GENERATORS = np.array([
    [[0, 0, 0, 1], [0, 0, -1, 0], [0, 1, 0, 0], [-1, 0, 0, 0]],  # K_x
    [[0, 0, 1, 0], [0, 0, 0, 1], [-1, 0, 0, 0], [0, -1, 0, 0]],  # K_y
    [[0, -1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, -1, 0]],  # K_z
], dtype=np.float64)  # fmt: skip


def compile_bones(bones: tuple[RigBone, ...]) -> BoneMap:
    """The :class:`BoneMap` of a rig's bones."""
    return BoneMap(bones)
