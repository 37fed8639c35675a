"""Pose-normalized measures of the 478-point MediaPipe face mesh, and head pose.

Head frame
----------
Every frame, a head frame is built from stable mesh points: its x axis runs from the outer and
inner corners of one eye (33, 133) to those of the other (263, 362); its up axis from the nose ridge
(195, 5, 4) to the forehead (10, 151, 9), made orthogonal to x; its forward axis is x cross up.
The selected points are expressed in that frame and divided by the inter-ocular distance (outer
eye corners 33-263, in 3-D), so head rotation, position and distance to the camera drop out. All
measures are linear in those coordinates: differences of mean heights (along up) and of mean
distances from the midline (along x), in inter-ocular units, which do not depend on the origin.

Sides
-----
MediaPipe's mesh is laid out on the image: in an unmirrored image its "left" points (263, 362,
291, ...) are the performer's left, seen on the image's right — checked on
``skimage.data.astronaut()``, where 263 lies at a larger image x than 33. Measures are computed in
mesh order and then named by the performer's sides: for a mirrored frame the left and right
measures swap, and so do the signs of yaw and roll.

Head pose
---------
(yaw, pitch, roll) in degrees, performer-centred: yaw > 0 turns toward the performer's own left,
pitch > 0 lifts the chin (looks up), roll > 0 tilts the top of the head toward the performer's left
shoulder. Zero faces the camera. The landmark up axis leans back from the true vertical by a fixed
angle (the forehead slopes back, the nose stands out), removed by :data:`PITCH_OFFSET`, measured on
a frontal photograph; absolute pitch is therefore approximate (a few degrees).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

__all__ = [
    "MESH_POINTS",
    "PITCH_OFFSET",
    "SIDED_MEASURES",
    "head_frame",
    "landmark_measures",
    "measure_names",
    "pose_from_matrix",
]

FloatArray = npt.NDArray[np.float64]

#: Number of points of MediaPipe's refined face mesh (468 surface points and 10 iris points).
MESH_POINTS = 478
#: Degrees added to the raw landmark pitch so that a frontal face reads about 0 (the raw pitch of
#: the frontal face in ``skimage.data.astronaut()`` is +14.5).
PITCH_OFFSET = -14.0

# Mesh indices as (performer's left, performer's right) in an unmirrored image.
_EYE_CORNERS = ((263, 362), (33, 133))
_LID_UPPER = ((385, 386, 387), (158, 159, 160))
_LID_LOWER = ((373, 374, 380), (144, 145, 153))
_BROW_INNER = ((336, 296, 285, 295), (107, 66, 55, 65))
_BROW_OUTER = ((300, 293, 276, 283), (70, 63, 46, 53))
_CHEEK = ((346, 347, 280, 330), (117, 118, 50, 101))
_ALA = ((358, 327, 294), (129, 98, 64))
_LIP_UPPER_OUT = ((267, 269), (37, 39))
_LIP_UPPER_MID = ((0, 267), (0, 37))
_LIP_UPPER_IN = ((312, 311), (82, 81))
_LIP_LOWER_OUT = ((314, 405), (84, 181))
_LIP_LOWER_IN = ((317, 402), (87, 178))
_CORNER = ((291,), (61,))
# Midline.
_FOREHEAD = (10, 151, 9)
_NOSE_RIDGE = (195, 5, 4)
_MIDLINE = (10, 151, 9, 8, 168, 6, 197, 195, 5, 4)
_NOSE_TIP = (4,)
_NOSE_BRIDGE = (6, 197, 195)
_LIP_IN_TOP, _LIP_IN_BOTTOM, _LIP_OUT_BOTTOM, _CHIN = (13,), (14,), (17,), (152,)
_STABLE = (33, 133, 362, 263, *_MIDLINE)  # always read: the head frame uses them

_X, _Y = 0, 1
Term = tuple[float, int, int]  # (coefficient, mesh index, axis)


def _mean(points: Sequence[int], axis: int, coef: float = 1.0) -> list[Term]:
    return [(coef / len(points), p, axis) for p in points]


def _height(points: Sequence[int], reference: Sequence[int]) -> list[Term]:
    """Mean height (up axis) of ``points`` above the mean height of ``reference``."""
    return _mean(points, _Y) + _mean(reference, _Y, -1.0)


def _outward(points: Sequence[int], sign: float) -> list[Term]:
    """Mean distance of ``points`` from the midline, toward their own side."""
    return _mean(points, _X, sign) + _mean(_MIDLINE, _X, -sign)


def _sided(side: int) -> dict[str, list[Term]]:
    """Measures of one side: ``side`` 0 = mesh left (263 side, +x), 1 = mesh right (33 side)."""
    sign = 1.0 if side == 0 else -1.0

    def pick(pair: tuple[tuple[int, ...], tuple[int, ...]]) -> tuple[int, ...]:
        return pair[side]

    corners = pick(_EYE_CORNERS)
    lid_upper = _height(pick(_LID_UPPER), corners)
    lid_lower = _height(pick(_LID_LOWER), corners)
    return {
        "brow_inner": _height(pick(_BROW_INNER), corners),
        "brow_outer": _height(pick(_BROW_OUTER), corners),
        "brow_gap": _outward(pick(_BROW_INNER), sign),
        "lid_upper": lid_upper,
        "lid_lower": lid_lower,
        "eye_open": lid_upper + [(-c, p, a) for c, p, a in lid_lower],
        "cheek": _height(pick(_CHEEK), _NOSE_BRIDGE),
        "ala": _height(pick(_ALA), _NOSE_BRIDGE),
        "lip_upper": _height(pick(_LIP_UPPER_MID), _NOSE_TIP),
        "corner": _height(pick(_CORNER), _LIP_IN_TOP + _LIP_IN_BOTTOM),
        "corner_out": _outward(pick(_CORNER), sign),
        "lip_thick": (_height(pick(_LIP_UPPER_OUT), pick(_LIP_UPPER_IN))
                      + _height(pick(_LIP_LOWER_IN), pick(_LIP_LOWER_OUT))),
    }


def _midline() -> dict[str, list[Term]]:
    return {
        "lip_gap": _height(_LIP_IN_TOP, _LIP_IN_BOTTOM),
        "jaw": _height(_NOSE_TIP, _CHIN),
        "chin": _height(_LIP_OUT_BOTTOM, _CHIN),
    }


#: Names of the measures that come in left/right pairs (``<name>_L``, ``<name>_R``).
SIDED_MEASURES: tuple[str, ...] = tuple(_sided(0))
_MIDLINE_MEASURES: tuple[str, ...] = tuple(_midline())


@cache
def measure_names() -> tuple[str, ...]:
    """Names of the landmark measures, in vector order: ``brow_inner_L``, ``brow_inner_R``, ...

    Sided measures come first, each left then right (the performer's sides), then the midline
    measures (``lip_gap``, ``jaw``, ``chin``).
    """
    sided = tuple(f"{name}_{s}" for name in SIDED_MEASURES for s in ("L", "R"))
    return sided + _MIDLINE_MEASURES


@dataclass(frozen=True)
class _Tables:
    """Precomputed matrices: everything per frame is a gather and three small products."""

    used: npt.NDArray[np.intp]  # mesh indices read, (K,)
    frame: FloatArray  # (3, K): rows give the x vector, the up vector, 263 minus 33
    measures: FloatArray  # (M, 3K): measures from head-frame coordinates, flattened
    swap: npt.NDArray[np.intp]  # (M,): left <-> right permutation of the measures


@cache
def _tables() -> _Tables:
    left, right, mid = _sided(0), _sided(1), _midline()
    specs = [terms for name in SIDED_MEASURES for terms in (left[name], right[name])]
    specs += [mid[name] for name in _MIDLINE_MEASURES]
    used = sorted({p for terms in specs for _, p, _ in terms} | set(_STABLE))
    row = {p: k for k, p in enumerate(used)}
    matrix = np.zeros((len(specs), len(used), 3))
    for m, terms in enumerate(specs):
        for coef, p, axis in terms:
            matrix[m, row[p], axis] += coef
    # every measure is a difference of means, so it does not depend on where the origin is
    assert np.allclose(matrix.sum(axis=1), 0.0)
    frame = np.zeros((3, len(used)))
    for r, (plus, minus) in enumerate((((263, 362), (33, 133)), (_FOREHEAD, _NOSE_RIDGE),
                                       ((263,), (33,)))):
        for p in plus:
            frame[r, row[p]] += 1.0 / len(plus)
        for p in minus:
            frame[r, row[p]] -= 1.0 / len(minus)
    n_sided = 2 * len(SIDED_MEASURES)
    swap = np.arange(len(specs), dtype=np.intp)
    swap[0:n_sided:2], swap[1:n_sided:2] = swap[1:n_sided:2].copy(), swap[0:n_sided:2].copy()
    return _Tables(np.asarray(used, dtype=np.intp), frame, matrix.reshape(len(specs), -1), swap)


def _unit(v: tuple[float, float, float]) -> tuple[float, float, float]:
    n = math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]) or 1.0
    return v[0] / n, v[1] / n, v[2] / n


def head_frame(points: FloatArray) -> tuple[FloatArray, float]:
    """Rotation (3, 3) with the head's x / up / forward axes as columns, and the scale (IOD).

    ``points`` are the mesh points :func:`landmark_measures` reads (rows in the order of the
    sorted mesh indices it uses), in image units: x right, y down, z away from the camera.
    """
    (x0, x1, x2), (u0, u1, u2), (s0, s1, s2) = (_tables().frame @ points).tolist()
    x = _unit((x0, x1, x2))
    dot = u0 * x[0] + u1 * x[1] + u2 * x[2]
    up = _unit((u0 - dot * x[0], u1 - dot * x[1], u2 - dot * x[2]))
    fwd = (x[1] * up[2] - x[2] * up[1], x[2] * up[0] - x[0] * up[2],
           x[0] * up[1] - x[1] * up[0])
    rotation = np.array([[x[0], up[0], fwd[0]], [x[1], up[1], fwd[1]], [x[2], up[2], fwd[2]]])
    return rotation, math.sqrt(s0 * s0 + s1 * s1 + s2 * s2)


def _euler(rotation: FloatArray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees of head axes given in camera coordinates (y down, z away)."""
    (_, _, r02), (r10, r11, r12), (_, _, r22) = rotation.tolist()
    # In x right, y up, z toward the camera (rows 1 and 2 change sign) the axes are
    # Ry(yaw) Rx(pitch down) Rz(roll right).
    pitch_down = math.asin(min(max(r12, -1.0), 1.0))
    yaw = math.atan2(r02, -r22)
    roll_right = math.atan2(-r10, -r11)
    return math.degrees(yaw), -math.degrees(pitch_down) + PITCH_OFFSET, -math.degrees(roll_right)


#: Camera coordinates of MediaPipe's facial transformation matrix (x right, y up, z toward the
#: viewer) to the image coordinates used here (x right, y down, z away).
_GL_TO_IMAGE = np.diag([1.0, -1.0, -1.0])


def pose_from_matrix(matrix: npt.ArrayLike) -> FloatArray:
    """Head (yaw, pitch, roll) in degrees from FaceLandmarker's facial transformation matrix.

    Parameters
    ----------
    matrix : array_like, shape (4, 4)
        The canonical face model's pose in camera coordinates (x right, y up, z toward the
        viewer); its rotation's columns are the head's x (toward the performer's left), up and
        forward axes.

    Returns
    -------
    ndarray of float64, shape (3,)
        Performer-centred, as :func:`landmark_measures` gives it for an unmirrored image (no
        :data:`PITCH_OFFSET`: the model's own frame faces the camera at zero).
    """
    rotation = _GL_TO_IMAGE @ np.asarray(matrix, dtype=np.float64)[:3, :3]
    if not np.all(np.isfinite(rotation)):
        return np.zeros(3)
    yaw, pitch, roll = _euler(rotation)
    return np.array([yaw, pitch - PITCH_OFFSET, roll])


def landmark_measures(
    landmarks: npt.ArrayLike, *, mirrored: bool = False
) -> tuple[FloatArray, FloatArray]:
    """Pose-normalized measures and head pose of one face.

    Parameters
    ----------
    landmarks : array_like, shape (478, 3) or (468, 3)
        Mesh points in image units: x to the right and y down in pixels, z (depth, away from the
        camera) in the same units as x.
    mirrored : bool
        True when the image is a mirror image (see the module docstring).

    Returns
    -------
    measures : ndarray of float64, shape (len(measure_names()),)
        In inter-ocular units, named by :func:`measure_names` (performer's sides).
    head_pose : ndarray of float64, shape (3,)
        (yaw, pitch, roll) in degrees, performer-centred.
    """
    tables = _tables()
    points = np.asarray(landmarks)[tables.used].astype(np.float64)
    rotation, scale = head_frame(points)
    measures = tables.measures @ (points @ rotation).ravel()
    measures /= max(scale, 1e-9)
    yaw, pitch, roll = _euler(rotation)
    if mirrored:
        return measures[tables.swap], np.array([-yaw, pitch, -roll])
    return measures, np.array([yaw, pitch, roll])
