"""The parts of the preview face on a front-facing head, before the head turns (no Qt).

Each function reads the AUs that move its part and returns named :class:`FacePart` outlines in
face units (mirror view, ``y`` up; see :mod:`avatardrive.views._face_geometry`, which turns and
projects them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from avatardrive.errors import ParameterError
from avatardrive.facs import N_CHANNELS, SIDES, Side, channels_of

__all__ = [
    "EYEBALL",
    "GAZE_UNIT_DEGREES",
    "HAIRLINE",
    "SIDE_SIGN",
    "STATIC_PARTS",
    "AUValues",
    "FacePart",
    "brow_parts",
    "cheek_parts",
    "chin_parts",
    "circle",
    "ear_parts",
    "eye_parts",
    "jaw_drop",
    "mouth_parts",
    "nose_parts",
    "smoothstep",
]

FloatArray = npt.NDArray[np.float64]

#: Sign of ``x`` for each of the performer's sides in the mirror view.
SIDE_SIGN: dict[Side, float] = {"L": -1.0, "R": 1.0}
#: Degrees of one unit of each gaze AU.
GAZE_UNIT_DEGREES: dict[int, float] = {61: 30.0, 62: 30.0, 63: 25.0, 64: 25.0}
EYEBALL = 0.16  # radius of the eyeball, for the gaze
_IRIS = 0.072
_PUPIL = 0.032
_MOUTH_Y = -0.64
_MOUTH_HALF = 0.25
_CHIN_Y = -1.17
_JAW_DROP = {26: 0.17, 27: 0.36}  # face units the chin and lower lip move down at 1
_N = 17  # points along a lip, lid or brow
_SHUT = 0.995  # lid closure from which an eye counts as shut
_SHUT_GAP = 0.002  # face units between the lips below which a mouth counts as shut
_ACROSS7 = np.linspace(-1.0, 1.0, 7)
_ACROSS11 = np.linspace(-1.0, 1.0, 11)
_ACROSS_LIP = np.linspace(-1.0, 1.0, 2 * _N - 1)  # from the left corner to the right one


@dataclass(frozen=True)
class FacePart:
    """One drawn part of the face.

    Attributes
    ----------
    points : ndarray of float64, shape (n, 2)
        ``(x, y)`` in face units, mirror view, ``y`` up.
    closed : bool
        A closed outline (filled when drawn) or an open line.
    strength : float
        How strongly the part shows, 0 to 1 (creases); 1 for outlines.
    """

    points: FloatArray
    closed: bool
    strength: float = 1.0


# --------------------------------------------------------------------------------------------
# reading a frame


class AUValues:
    """Channel values of one AU frame by AU number and side (clipped to [0, 1], NaN as 0)."""

    def __init__(self, frame: npt.ArrayLike) -> None:
        values = np.asarray(frame, dtype=np.float64)
        if values.shape != (N_CHANNELS,):
            raise ParameterError(
                f"an AU frame has shape {values.shape}; expected ({N_CHANNELS},), one value per "
                f"channel of facs.CHANNELS"
            )
        self._values = np.clip(np.nan_to_num(values, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)

    def side(self, number: int, side: Side) -> float:
        left, right = _channel_pair(number)
        return float(self._values[left if side == "L" else right])

    def both(self, number: int) -> float:
        """A midline unit: the mean of its two channels."""
        left, right = _channel_pair(number)
        return float(0.5 * (self._values[left] + self._values[right]))


@cache
def _channel_pair(number: int) -> tuple[int, int]:
    return channels_of(number)


# --------------------------------------------------------------------------------------------
# small shape helpers


@cache
def _u(n: int = _N) -> FloatArray:
    """``n`` steps from 0 to 1 (read only: shared)."""
    steps = np.linspace(0.0, 1.0, n)
    steps.flags.writeable = False
    return steps


@cache
def circle(n: int) -> FloatArray:
    t = np.linspace(0.0, 2.0 * math.pi, n, endpoint=False)
    circle = np.column_stack([np.cos(t), np.sin(t)])
    circle.flags.writeable = False
    return circle


def _ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 20) -> FloatArray:
    return np.asarray(circle(n) * (rx, ry) + (cx, cy))


def _line(x: FloatArray, y: FloatArray) -> FloatArray:
    """Points (n, 2) from ``x`` and ``y`` (arrays of one length, or one of them a number)."""
    n = np.size(x) if np.ndim(x) else np.size(y)
    points = np.empty((n, 2))
    points[:, 0] = x
    points[:, 1] = y
    return points


def _ring(upper: FloatArray, lower: FloatArray) -> FloatArray:
    """A closed outline from an upper and a lower line that share their end points."""
    return np.vstack([upper, lower[-2:0:-1]])


def smoothstep(x: FloatArray) -> FloatArray:
    t = np.clip(x, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


_RIGHT_WEIGHT = smoothstep(_ACROSS_LIP + 0.5)


# --------------------------------------------------------------------------------------------
# the parts, on the front-facing head (before the head turns)


def brow_parts(aus: AUValues, side: Side) -> dict[str, FacePart]:
    s, u = SIDE_SIGN[side], _u(9)
    au1, au2, au4, au9 = (aus.side(n, side) for n in (1, 2, 4, 9))
    x = s * (0.15 + 0.47 * u - 0.05 * au4 * (1.0 - u))
    y = (0.36 + 0.07 * np.sin(math.pi * (0.15 + 0.75 * u)) - 0.03 * u
         + 0.12 * au1 * (1.0 - u) ** 1.5 + 0.11 * au2 * u**1.2
         - 0.08 * au4 * (1.0 - 0.55 * u) - 0.035 * au9 * (1.0 - u))  # fmt: skip
    brow = _line(x, y)
    lift = max(0.8 * au1 + 0.6 * au2 - 0.6 * au4, 0.0)
    lines = {}
    for k, height in enumerate((0.62, 0.74)):
        xs = s * (0.04 + 0.46 * _u(9))
        ys = height + 0.6 * (np.interp(np.abs(xs), np.abs(x), y) - 0.40) + 0.012 * np.sin(
            7.0 * _u(9) + k
        )
        lines[f"forehead_{k}_{side}"] = FacePart(_line(xs, ys), False, min(lift, 1.0))
    frown_x = s * np.array([0.075, 0.065, 0.07])
    frown = _line(frown_x, np.array([0.25, 0.33, 0.40]) - 0.04 * au4)
    return {
        f"brow_{side}": FacePart(brow, False),
        **lines,
        f"frown_{side}": FacePart(frown, False, min(au4 + 0.5 * au9, 1.0)),
    }


def eye_parts(aus: AUValues, side: Side, gaze: tuple[float, float]) -> dict[str, FacePart]:
    s, u = SIDE_SIGN[side], _u(13)
    au4, au5, au6, au7 = (aus.side(n, side) for n in (4, 5, 6, 7))
    closure = max(aus.side(43, side), aus.side(45, side), aus.side(46, side))
    look_x, look_y = gaze
    x = s * (0.22 + 0.36 * u)
    base = 0.11 + 0.025 * u + 0.02 * au6 * u
    bump = np.sin(math.pi * u) ** 0.85
    up_h = 0.085 * max(1.0 + 0.6 * au5 - 0.3 * au7 - 0.25 * au6 - 0.15 * au4 + 0.25 * look_y, 0.1)
    lo_h = 0.05 * max(1.0 - 0.6 * au7 - 0.5 * au6 + 0.2 * au5 - 0.15 * look_y, 0.1)
    shut = base - 0.012 * bump
    open_up, open_lo = base + up_h * bump, base - lo_h * np.sin(math.pi * u)
    upper = _line(x, shut + (1.0 - closure) * (open_up - shut))
    lower = _line(x, shut + (1.0 - closure) * (open_lo - shut))
    seen = 1.0 if closure < _SHUT else 0.0  # the iris of a shut eye is not drawn
    centre_x, centre_y = s * 0.40, 0.125
    iris_x = centre_x + EYEBALL * math.sin(math.radians(look_x * GAZE_UNIT_DEGREES[61]))
    iris_y = centre_y + EYEBALL * math.sin(math.radians(look_y * GAZE_UNIT_DEGREES[63]))
    fold = _line(x, base + (up_h + 0.035 + 0.02 * au5) * np.sin(math.pi * u) ** 0.7 + 0.01)
    crow = [
        _line(s * np.array([0.63, 0.72]), np.array([0.14, 0.17]) + dy) for dy in (0.0, -0.05)
    ] + [_line(s * np.array([0.62, 0.70]), np.array([0.08, 0.03]))]
    return {
        f"eye_{side}": FacePart(_ring(upper, lower), True),
        f"iris_{side}": FacePart(_ellipse(iris_x, iris_y, _IRIS, _IRIS), True, seen),
        f"pupil_{side}": FacePart(_ellipse(iris_x, iris_y, _PUPIL, _PUPIL, 14), True, seen),
        f"upper_lid_{side}": FacePart(upper, False),
        f"lower_lid_{side}": FacePart(lower, False),
        f"lid_fold_{side}": FacePart(fold, False, 1.0 - 0.6 * closure),
        **{f"crows_feet_{k}_{side}": FacePart(c, False, au6) for k, c in enumerate(crow)},
    }


def cheek_parts(aus: AUValues, side: Side) -> dict[str, FacePart]:
    s, u = SIDE_SIGN[side], _u(9)
    au6, au12, au13 = (aus.side(n, side) for n in (6, 12, 13))
    lift = 0.06 * au6 + 0.04 * au12 + 0.03 * au13
    arc = _line(s * (0.28 + 0.32 * u), -0.05 + lift - 0.05 * np.sin(math.pi * u))
    blush = _ellipse(s * 0.55, -0.22 + 1.3 * lift, 0.13, 0.08 + 0.02 * au6)
    return {
        f"blush_{side}": FacePart(blush, True, 0.35 + 0.65 * min(au6 + au12 * 0.5, 1.0)),
        f"cheek_{side}": FacePart(arc, False, min(0.15 + au6 + 0.5 * au12, 1.0)),
    }


def nose_parts(aus: AUValues) -> dict[str, FacePart]:
    au9 = {side: aus.side(9, side) for side in SIDES}
    au10 = {side: aus.side(10, side) for side in SIDES}
    parts: dict[str, FacePart] = {}
    base = []
    for side in SIDES:
        s = SIDE_SIGN[side]
        up = 0.05 * au9[side] + 0.025 * au10[side]
        width = 1.0 + 0.25 * aus.side(38, side) - 0.2 * aus.side(39, side) + 0.1 * au9[side]
        wing = _line(s * (0.09 + 0.055 * width * np.sin(math.pi * _u(7) * 0.9)),
                     -0.27 - 0.07 * _u(7) + up)  # fmt: skip
        parts[f"nose_wing_{side}"] = FacePart(wing, False)
        parts[f"nostril_{side}"] = FacePart(
            _ellipse(s * 0.055 * width, -0.345 + up, 0.025 * width, 0.012), True
        )
        base.append((s, up))
        wrinkles = [
            _line(s * np.array([0.015, 0.075]), np.array([0.0, 0.015]) - 0.045 * k)
            for k in range(3)
        ]
        for k, line in enumerate(wrinkles):
            parts[f"nose_wrinkle_{k}_{side}"] = FacePart(line, False, au9[side])
    u = _ACROSS11
    lift = np.where(u < 0.0, base[0][1], base[1][1])
    tip = _line(0.09 * u, -0.36 - 0.025 * np.cos(0.5 * math.pi * u) + lift)
    parts["nose_tip"] = FacePart(tip, False)
    for side in SIDES:
        bridge = _line(SIDE_SIGN[side] * np.array([0.055, 0.06, 0.075]),
                       np.array([0.05, -0.1, -0.22]))  # fmt: skip
        parts[f"nose_bridge_{side}"] = FacePart(bridge, False, 0.45)
    return parts


@dataclass(frozen=True)
class _LipSide:
    """One side of the mouth: its corner and the heights of the lip edges next to the midline."""

    corner: tuple[float, float]
    outer_top: float
    inner_top: float
    inner_bottom: float
    outer_bottom: float


def _lip_side(aus: AUValues, side: Side, jaw: float, parted: float) -> _LipSide:
    a = {n: aus.side(n, side) for n in (8, 10, 12, 13, 14, 15, 16, 17, 18, 20, 22, 23, 24, 28)}
    s = SIDE_SIGN[side]
    press = max(a[23], a[24], a[28], 0.7 * a[8])
    round_ = max(a[18], a[22])
    corner_x = s * _MOUTH_HALF * (1.0 + 0.26 * a[12] + 0.34 * a[20] + 0.1 * a[13]
                                  - 0.04 * a[14] - 0.38 * a[18] - 0.3 * a[22] - 0.12 * a[23]
                                  - 0.08 * a[24])  # fmt: skip
    corner_y = (_MOUTH_Y + 0.095 * a[12] + 0.06 * a[13] + 0.02 * a[14] - 0.085 * a[15]
                - 0.03 * a[20] + 0.02 * a[10] - 0.02 * a[17] - 0.45 * jaw)  # fmt: skip
    thick_top = 0.062 * max(1.0 - 0.55 * a[23] - 0.6 * a[24] - 0.85 * a[28] - 0.25 * a[20]
                            + 0.35 * round_, 0.08)  # fmt: skip
    thick_bottom = 0.08 * max(1.0 - 0.5 * a[23] - 0.6 * a[24] - 0.85 * a[28] - 0.25 * a[20]
                              + 0.3 * round_ + 0.2 * a[16], 0.08)  # fmt: skip
    opening = (1.0 - press) * (parted + 0.05 * a[22]) + 0.07 * a[10] + 0.05 * a[16]
    inner_top = _MOUTH_Y + 0.004 + (1.0 - press) * (0.5 * parted + 0.03 * a[22]) + 0.065 * a[10]
    inner_bottom = min(inner_top - opening - jaw + 0.02 * a[17] * (1.0 - jaw), inner_top)
    return _LipSide(
        corner=(corner_x, corner_y),
        outer_top=inner_top + thick_top + 0.012 * a[10],
        inner_top=inner_top,
        inner_bottom=inner_bottom,
        outer_bottom=inner_bottom - thick_bottom,
    )


def jaw_drop(aus: AUValues) -> float:
    """Face units the chin moves down (AU26, AU27)."""
    return sum(drop * aus.both(n) for n, drop in _JAW_DROP.items())


def mouth_parts(aus: AUValues, jaw: float) -> dict[str, FacePart]:
    parted = 0.04 * aus.both(25)
    sides = {side: _lip_side(aus, side, jaw, parted) for side in SIDES}
    u = _ACROSS_LIP
    right = _RIGHT_WEIGHT  # of the right side's values along the lip
    left = 1.0 - right

    def blend(value: str) -> FloatArray:
        lv, rv = (getattr(sides[side], value) for side in SIDES)
        return np.asarray(left * lv + right * rv)

    corner_x = np.where(u < 0.0, -sides["L"].corner[0], sides["R"].corner[0])
    corner_y = left * sides["L"].corner[1] + right * sides["R"].corner[1]
    x = u * corner_x
    au = np.abs(u)
    bow = 0.012 * np.exp(-(((au - 0.24) / 0.11) ** 2)) - 0.01 * np.exp(-((u / 0.09) ** 2))
    edges = {
        "outer_top": (1.0 - au**2) ** 0.8,
        "inner_top": (1.0 - au**2.2) ** 0.9,
        "inner_bottom": (1.0 - au**2.2) ** 0.9,
        "outer_bottom": (1.0 - au**2) ** 0.7,
    }
    lines = {
        name: _line(x, corner_y + (blend(name) - corner_y) * shape) for name, shape in edges.items()
    }
    lines["outer_top"][:, 1] += bow
    # thin lips (AU23, AU24, AU28) never fold through the lip line
    np.maximum(lines["outer_top"][:, 1], lines["inner_top"][:, 1], out=lines["outer_top"][:, 1])
    np.minimum(lines["outer_bottom"][:, 1], lines["inner_bottom"][:, 1],
               out=lines["outer_bottom"][:, 1])  # fmt: skip
    opening = _ring(lines["inner_top"], lines["inner_bottom"])
    teeth_top = _ring(lines["inner_top"], _line(x, lines["inner_top"][:, 1] - 0.05))
    teeth_bottom = _ring(_line(x, lines["inner_bottom"][:, 1] + 0.035), lines["inner_bottom"])
    gap = float((lines["inner_top"][:, 1] - lines["inner_bottom"][:, 1]).max())
    shown = 1.0 if gap > _SHUT_GAP else 0.0  # a closed mouth's inside is not drawn
    tongue_out = aus.both(19)
    bottom = float(lines["inner_bottom"][_N - 1, 1])
    tongue = _ellipse(0.0, bottom - 0.05 * tongue_out, 0.11, 0.02 + 0.11 * tongue_out)
    parts = {
        "lips": FacePart(_ring(lines["outer_top"], lines["outer_bottom"]), True),
        "mouth": FacePart(opening, True, shown),
        "teeth_top": FacePart(teeth_top, True, shown),
        "teeth_bottom": FacePart(teeth_bottom, True, shown),
        "tongue": FacePart(tongue, True, tongue_out),
        "lip_line": FacePart(lines["inner_top"], False),
        "lower_lip": FacePart(lines["inner_bottom"], False),
    }
    for side in SIDES:
        parts.update(_mouth_creases(aus, side, sides[side], jaw))
    return parts


def _mouth_creases(aus: AUValues, side: Side, lip: _LipSide, jaw: float) -> dict[str, FacePart]:
    s = SIDE_SIGN[side]
    cx, cy = lip.corner
    a = {n: aus.side(n, side) for n in (6, 9, 10, 11, 12, 13, 14, 15, 17)}
    start = np.array([s * 0.155, -0.33 + 0.05 * a[9] + 0.025 * a[10]])
    end = np.array([cx + s * 0.075, cy - 0.06])
    bend = np.array([s * (0.07 + 0.05 * a[12]), 0.0])
    u = _u(9)[:, None]
    fold = (1 - u) ** 2 * start + 2 * u * (1 - u) * ((start + end) / 2 + bend) + u**2 * end
    fold_strength = min(0.25 + 0.9 * max(a[12], a[10], a[11], a[9], 0.5 * a[6], a[13]), 1.0)
    dimple = _line(np.array([cx + s * 0.035, cx + s * 0.045, cx + s * 0.035]),
                   np.array([cy + 0.03, cy, cy - 0.03]))  # fmt: skip
    marionette = _line(np.array([cx + s * 0.01, cx + s * 0.03]), np.array([cy - 0.05, cy - 0.17]))
    chin = _ellipse(s * 0.06, _CHIN_Y + 0.2 - jaw, 0.035, 0.02, 8)
    return {
        f"nasolabial_{side}": FacePart(fold, False, fold_strength),
        f"dimple_{side}": FacePart(dimple, False, a[14]),
        f"marionette_{side}": FacePart(marionette, False, a[15]),
        f"chin_boss_{side}": FacePart(chin, True, a[17]),
    }


def chin_parts(aus: AUValues, jaw: float) -> dict[str, FacePart]:
    crease = _line(0.11 * _ACROSS7, _CHIN_Y + 0.27 - jaw - 0.015 * np.cos(1.5 * _ACROSS7))
    return {"chin_crease": FacePart(crease, False, 0.35 + 0.65 * aus.both(17))}


def ear_parts() -> dict[str, FacePart]:
    return {f"ear_{side}": FacePart(_ellipse(SIDE_SIGN[side] * 0.97, 0.05, 0.12, 0.21), True)
            for side in SIDES}  # fmt: skip


def _hairline() -> FacePart:
    t = np.linspace(0.0, math.pi, 15)
    x = -0.99 * np.cos(t)
    y = 0.5 + 0.36 * np.sin(t) ** 1.6 - 0.05 * np.sin(3.0 * t) ** 2
    return FacePart(_line(x, y), False)


HAIRLINE = _hairline()


def _body() -> dict[str, FacePart]:
    neck = np.array([[-0.42, -0.5], [0.42, -0.5], [0.46, -1.6], [-0.46, -1.6]])
    t = np.linspace(0.0, math.pi, 25)
    top = np.column_stack([-1.75 * np.cos(t), -1.95 + 0.45 * np.sin(t) ** 0.5])
    shoulders = np.vstack([top, [[1.75, -6.0], [-1.75, -6.0]]])  # runs off a tall picture
    return {"shoulders": FacePart(shoulders, True), "neck": FacePart(neck, True)}


#: The parts that are the same in every frame (the body does not move): drawn once and kept.
STATIC_PARTS = _body()

