"""The preview face as geometry: one AU frame in, named 2-D outlines and creases out (no Qt).

The face is drawn from AU channels, not from a rig's shapes, so it shows what avatardrive means by
each channel. Every part is a polyline in *face units* (the head is about 2 units wide), laid out
on a front-facing head, given a depth on the head's ellipsoid (more for the nose and lips), turned
by the head AUs and projected orthographically.

Conventions (the side sign and the gaze unit are defined in ``_face_parts``, which lays out the
front-facing parts, and re-exported here):

- **mirror view**: the picture shows the performer as a mirror would. The performer's left side is
  on the picture's left (``x < 0``), the right side on the picture's right (``x > 0``); ``y`` points
  up. :data:`SIDE_SIGN` gives the sign of ``x`` for each side.
- **head pose** as in :mod:`avatardrive.tracking`: yaw > 0 turns toward the performer's left,
  pitch > 0 looks up, roll > 0 tilts toward the performer's left shoulder. One unit of a head AU
  is :data:`HEAD_UNIT_DEGREES` (turn 45°, up/down 30°, tilt 30°), one unit of a gaze AU is
  :data:`GAZE_UNIT_DEGREES` (30° across, 25° up/down): the conventions of FACS_DATA.md.
- a part's ``strength`` in [0, 1] says how strongly a crease shows (forehead lines with AU1/AU2,
  the frown with AU4, crow's feet with AU6, nose wrinkles with AU9, dimples with AU14, ...);
  outlines that are always there have strength 1.

Which AUs move what: brows (AU1 inner, AU2 outer, AU4 down and together, AU9 a little), upper lids
(AU5 up, AU7 and AU6 narrow, AU43/AU45/AU46 close: fully at 1), lower lids (AU6, AU7 up), cheeks
(AU6, AU12, AU13 up; AU34 puff), nose (AU9, AU10 up; AU38/AU39 wings), nasolabial folds (AU9,
AU10, AU11, AU12), lip corners (AU12 up and out, AU13 up, AU14 in and dimpled, AU15 down, AU20
out and down, AU18/AU22 in), lips (AU10 upper lip up, AU16 lower lip down, AU17 lower lip up,
AU23/AU24/AU28 thinner and closed, AU22 funnel, AU25 part, AU26/AU27 jaw down, AU19 tongue),
chin (AU17 boss), head (AU51-AU56) and gaze (AU61-AU64).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from avatardrive.facs import SIDES
from avatardrive.views._face_parts import (
    GAZE_UNIT_DEGREES,
    HAIRLINE,
    SIDE_SIGN,
    STATIC_PARTS,
    AUValues,
    FacePart,
    brow_parts,
    cheek_parts,
    chin_parts,
    circle,
    ear_parts,
    eye_parts,
    jaw_drop,
    mouth_parts,
    nose_parts,
    smoothstep,
)

__all__ = [
    "GAZE_UNIT_DEGREES",
    "HEAD_UNIT_DEGREES",
    "PART_NAMES",
    "SIDE_SIGN",
    "STATIC_PARTS",
    "VIEW_BOX",
    "FaceGeometry",
    "FacePart",
    "face_geometry",
    "head_pose",
]

FloatArray = npt.NDArray[np.float64]

#: Degrees of one unit of each head AU (FACS_DATA.md, "Conventions for avatardrive").
HEAD_UNIT_DEGREES: dict[int, float] = {51: 45.0, 52: 45.0, 53: 30.0, 54: 30.0, 55: 30.0, 56: 30.0}
#: The face units a picture shows: (x_min, x_max, y_min, y_max); the head at its most turned,
#: nodded and jaw-dropped stays inside (only the shoulders run off the bottom).
VIEW_BOX = (-1.75, 1.75, -1.95, 1.55)

# The head: an ellipsoid (semi-axes in x, y, z, centre in y) and the point it turns about.
_HEAD_AXES = np.array([1.0, 1.22, 0.98])
_HEAD_CENTRE_Y = 0.08
_PIVOT = np.array([0.0, -0.75, -0.25])

@dataclass(frozen=True)
class FaceGeometry:
    """The preview face for one AU frame.

    Attributes
    ----------
    parts : mapping of str to FacePart
        Every name of :data:`PART_NAMES`, in drawing order.
    yaw, pitch, roll : float
        The head pose in degrees (see the module's conventions).
    """

    parts: Mapping[str, FacePart]
    yaw: float
    pitch: float
    roll: float


def head_pose(frame: npt.ArrayLike) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees from the head AUs of one AU frame ``(N_CHANNELS,)``."""
    aus = AUValues(frame)
    return _pose(aus)


def _pose(aus: AUValues) -> tuple[float, float, float]:
    def amount(number: int) -> float:
        return HEAD_UNIT_DEGREES[number] * aus.both(number)

    return amount(51) - amount(52), amount(53) - amount(54), amount(55) - amount(56)


# --------------------------------------------------------------------------------------------
# depth, turning, projection


def _surface_z(points: FloatArray) -> FloatArray:
    """Depth of points on the front of the head's ellipsoid."""
    ax, ay, az = _HEAD_AXES
    r2 = (points[:, 0] / ax) ** 2 + ((points[:, 1] - _HEAD_CENTRE_Y) / ay) ** 2
    return np.asarray(az * np.sqrt(np.clip(1.0 - r2, 0.0, 1.0)))


def _nose_z(points: FloatArray) -> FloatArray:
    along = np.clip((0.15 - points[:, 1]) / 0.5, 0.0, 1.0)
    return np.asarray(0.32 * along * np.exp(-((points[:, 0] / 0.14) ** 2)))


def _rotation(yaw: float, pitch: float, roll: float) -> FloatArray:
    """Rotation matrix (3, 3) of the head, mirror-view axes (x right, y up, z toward the viewer).

    Turning toward the performer's left (yaw > 0) brings the front of the face to the picture's
    left; pitch > 0 brings it up; roll > 0 tips the top of the head to the picture's left.
    """
    y, p, r = (math.radians(v) for v in (yaw, pitch, roll))
    turn = np.array([[math.cos(y), 0.0, -math.sin(y)], [0.0, 1.0, 0.0],
                     [math.sin(y), 0.0, math.cos(y)]])  # fmt: skip
    nod = np.array([[1.0, 0.0, 0.0], [0.0, math.cos(p), math.sin(p)],
                    [0.0, -math.sin(p), math.cos(p)]])  # fmt: skip
    tilt = np.array([[math.cos(r), -math.sin(r), 0.0], [math.sin(r), math.cos(r), 0.0],
                     [0.0, 0.0, 1.0]])  # fmt: skip
    return np.asarray(tilt @ nod @ turn)


def _outline(rotation: FloatArray, *, jaw: float, puff: tuple[float, float]) -> FloatArray:
    """The head's outline, shape (n, 2): the silhouette of the turned ellipsoid (an ellipse),
    its lower part lowered by the jaw and its cheeks widened by AU34 (left, right)."""
    shape = rotation @ np.diag(1.0 / _HEAD_AXES**2) @ rotation.T
    projected = shape[:2, :2] - np.outer(shape[:2, 2], shape[2, :2]) / shape[2, 2]
    values, vectors = np.linalg.eigh(projected)
    centre = rotation @ (np.array([0.0, _HEAD_CENTRE_Y, 0.0]) - _PIVOT) + _PIVOT
    outline = centre[:2] + (circle(48) / np.sqrt(values)) @ vectors.T
    up = rotation[:2, 1] / max(float(np.hypot(*rotation[:2, 1])), 1e-9)
    across = np.array([up[1], -up[0]])
    height = (outline - centre[:2]) @ up + _HEAD_CENTRE_Y  # in the head's frame
    side = (outline - centre[:2]) @ across
    outline -= np.outer(jaw * smoothstep(-height), up)
    cheeks = np.exp(-(((height + 0.55) / 0.3) ** 2)) * 0.1
    widen = np.where(side < 0.0, -puff[0], puff[1]) * cheeks
    return np.asarray(outline + np.outer(widen, across))


#: Parts whose points stand out from the head's surface (nose) or sit on it slightly forward.
_FORWARD = {"lips": 0.05, "mouth": 0.05, "teeth_top": 0.04, "teeth_bottom": 0.04, "tongue": 0.08,
            "lip_line": 0.05, "lower_lip": 0.05}  # fmt: skip
_BEHIND = {"ear_L", "ear_R"}


@dataclass(frozen=True)
class _Layout:
    """Where each part's points sit in the stacked array, and how each point's depth is made."""

    ends: list[int]
    forward: FloatArray  # depth added to every point (lips stand out a little)
    nose: npt.NDArray[np.bool_]  # points of the nose (depth from its profile)
    behind: npt.NDArray[np.bool_]  # points behind the face (the ears)


@cache
def _layout(names: tuple[str, ...], sizes: tuple[int, ...]) -> _Layout:
    """The same every frame: parts keep their names and sizes."""
    return _Layout(
        ends=np.cumsum(sizes).tolist(),
        forward=np.repeat([_FORWARD.get(name, 0.0) for name in names], sizes),
        nose=np.repeat([name.startswith(("nose", "nostril")) for name in names], sizes),
        behind=np.repeat([name in _BEHIND for name in names], sizes),
    )


def _turn(parts: dict[str, FacePart], rotation: FloatArray) -> dict[str, FacePart]:
    names = tuple(parts)
    flat = [parts[name].points for name in names]
    sizes = tuple(len(p) for p in flat)
    layout = _layout(names, sizes)
    points = np.vstack(flat)
    z = _surface_z(points) + layout.forward
    z[layout.nose] += _nose_z(points[layout.nose])
    z[layout.behind] = -0.1
    xyz = np.column_stack([points, z]) - _PIVOT
    flat_2d = (xyz @ rotation.T + _PIVOT)[:, :2]
    return {
        name: FacePart(flat_2d[end - size : end], parts[name].closed, parts[name].strength)
        for name, size, end in zip(names, sizes, layout.ends, strict=True)
    }


def _hair(outline: FloatArray, hairline: FloatArray, rotation: FloatArray) -> FacePart:
    """The hair: the turned hairline, closed over the top of the head's silhouette."""
    up = rotation[:2, 1] / max(float(np.hypot(*rotation[:2, 1])), 1e-9)
    across = np.array([up[1], -up[0]])
    centre = outline.mean(axis=0)

    def angle(points: FloatArray) -> FloatArray:
        rel = points - centre
        return np.asarray(np.arctan2(rel @ up, rel @ across))

    start, stop = angle(hairline[[-1, 0]])
    around = angle(outline)
    keep = (around > start) & (around < stop)
    arc = outline[keep][np.argsort(around[keep])]
    return FacePart(np.vstack([hairline, arc]), True)


def face_geometry(frame: npt.ArrayLike) -> FaceGeometry:
    """The preview face for one AU frame.

    Parameters
    ----------
    frame : array_like, shape (N_CHANNELS,)
        AU channel values in ``facs.CHANNELS`` order; clipped to [0, 1], NaN read as 0.

    Returns
    -------
    FaceGeometry
        Named parts in drawing order (:data:`PART_NAMES`), points in face units, mirror view.

    Raises
    ------
    ParameterError
        When the frame does not have one value per channel.
    """
    aus = AUValues(frame)
    yaw, pitch, roll = _pose(aus)
    look = (aus.both(62) - aus.both(61), aus.both(63) - aus.both(64))
    jaw = jaw_drop(aus)
    on_face: dict[str, FacePart] = {**ear_parts(), **chin_parts(aus, jaw), "hairline": HAIRLINE}
    for side in SIDES:
        on_face.update(cheek_parts(aus, side))
    on_face.update(nose_parts(aus))
    on_face.update(mouth_parts(aus, jaw))
    for side in SIDES:
        on_face.update(eye_parts(aus, side, look))
        on_face.update(brow_parts(aus, side))
    rotation = _rotation(yaw, pitch, roll)
    turned = _turn(on_face, rotation)
    outline = _outline(rotation, jaw=jaw, puff=(aus.side(34, "L"), aus.side(34, "R")))
    hair = _hair(outline, turned.pop("hairline").points, rotation)
    parts = {**STATIC_PARTS, "head": FacePart(outline, True), "hair": hair, **turned}
    return FaceGeometry(parts={name: parts[name] for name in PART_NAMES}, yaw=yaw, pitch=pitch,
                        roll=roll)  # fmt: skip


def _drawing_order() -> tuple[str, ...]:
    sided = [
        "blush", "cheek", "nasolabial", "dimple", "marionette", "chin_boss", "forehead_0",
        "forehead_1", "frown", "nose_wing", "nostril", "nose_wrinkle_0", "nose_wrinkle_1",
        "nose_wrinkle_2", "crows_feet_0", "crows_feet_1", "crows_feet_2", "eye", "iris", "pupil",
        "upper_lid", "lower_lid", "lid_fold", "brow",
    ]  # fmt: skip
    face = [f"{name}_{side}" for name in sided for side in SIDES]
    at = face.index("eye_L")
    middle = ["nose_bridge_L", "nose_bridge_R", "nose_tip", "chin_crease", "lips", "mouth",
              "teeth_top", "teeth_bottom", "tongue", "lip_line", "lower_lip"]  # fmt: skip
    return ("shoulders", "neck", "ear_L", "ear_R", "head", "hair", *face[:at], *middle,
            *face[at:])  # fmt: skip


#: Every part's name, in the order parts are drawn (back to front).
PART_NAMES: tuple[str, ...] = _drawing_order()
