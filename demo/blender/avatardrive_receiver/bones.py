"""Head and eye bones: which armature bones to rotate, and the conversions (pure Python, no bpy).

avatardrive sends bone rotations in Unity's convention (VMC ``/VMC/Ext/Bone/Pos``: local
rotation of a normalized humanoid bone, left-handed, Y up, the avatar facing +Z, quaternion x y z
w) or, on the generic schema, head and gaze angles in degrees (``/avatardrive/head yaw pitch
roll``, ``/avatardrive/gaze yaw pitch``: yaw + toward the performer's own left, pitch + up, roll +
toward the own left shoulder). Both become one rotation per bone in Blender's armature space
(right-handed, Z up, the character facing -Y), which the add-on turns into the bone's local pose
rotation with the bone's rest orientation (so any bone roll works).

Unity → Blender: a vector ``(x, y, z)`` becomes ``(-x, -z, y)`` (right stays right, up stays up,
forward stays forward); this mirrors the space, so a rotation's axis becomes ``(x, z, -y)`` and the
quaternion ``(w, x, z, -y)`` (as VMC4B does).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = [
    "BONE_ROLES",
    "CANDIDATES",
    "Quaternion",
    "find_bone",
    "gaze_rotation",
    "head_rotation",
    "unity_to_blender",
]

#: Unity ``HumanBodyBones`` names avatardrive drives, parents first.
BONE_ROLES = ("Neck", "Head", "LeftEye", "RightEye")
#: Bone names tried for each role when none is set (case-insensitive): humanoid, VRM (UniVRM's
#: J_Bip / J_Adj names), Rigify, Mixamo, Blender's .L/.R mirror names.
CANDIDATES = {
    "Neck": ("Neck", "J_Bip_C_Neck", "neck", "DEF-spine.004", "mixamorig:Neck"),
    "Head": ("Head", "J_Bip_C_Head", "head", "DEF-spine.006", "mixamorig:Head"),
    "LeftEye": ("LeftEye", "J_Adj_L_FaceEye", "eye.L", "Eye_L", "eye_L", "Eye.L",
                "DEF-eye.L", "mixamorig:LeftEye"),
    "RightEye": ("RightEye", "J_Adj_R_FaceEye", "eye.R", "Eye_R", "eye_R", "Eye.R",
                 "DEF-eye.R", "mixamorig:RightEye"),
}  # fmt: skip

Quaternion = tuple[float, float, float, float]


def find_bone(bones: Iterable[str], role: str, override: str = "") -> str | None:
    """The armature bone for ``role``: ``override`` if given, else the first candidate found."""
    names = list(bones)
    folded = {name.casefold(): name for name in names}
    for wanted in ((override,) if override else CANDIDATES[role]):
        if wanted in names:
            return wanted
        if wanted.casefold() in folded:
            return folded[wanted.casefold()]
    return None


def _axis(axis: int, degrees: float) -> Quaternion:
    half = math.radians(degrees) / 2
    parts = [0.0, 0.0, 0.0, math.cos(half)]
    parts[axis] = math.sin(half)
    return parts[0], parts[1], parts[2], parts[3]


def _multiply(a: Quaternion, b: Quaternion) -> Quaternion:
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return (aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
            aw * bw - ax * bx - ay * by - az * bz)  # fmt: skip


def head_rotation(yaw: float, pitch: float, roll: float) -> Quaternion:
    """Unity local rotation (x, y, z, w) of avatardrive's head angles in degrees.

    Unity rotates about Y by -yaw, about X by -pitch, about Z by +roll, yaw outermost (avatardrive's
    retarget/_bones.py defines this once; this add-on must stand alone, so it repeats it).
    """
    return _multiply(_multiply(_axis(1, -yaw), _axis(0, -pitch)), _axis(2, roll))


def gaze_rotation(yaw: float, pitch: float) -> Quaternion:
    """Unity local rotation (x, y, z, w) of both eyes for a gaze in degrees."""
    return head_rotation(yaw, pitch, 0.0)


def unity_to_blender(q: Quaternion) -> tuple[float, float, float, float]:
    """A Unity rotation (x, y, z, w) as a Blender armature-space quaternion (w, x, y, z)."""
    x, y, z, w = q
    return w, x, z, -y
