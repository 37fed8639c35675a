"""VRCFaceTracking v2 parameters computed from Unified Expressions shapes, gaze and head AUs.

The ``vrcft`` rig gives the Unified Expressions *base shapes*. VRChat face-tracking avatars also
listen to VRCFaceTracking's *simplified and combined* parameters (``SmileSadLeft``, ``JawX``,
``MouthOpen``, ``EyeLidLeft`` with its 0.75 rest, gaze ``EyeLeftX``, head ``Head/Yaw``, ...).
:class:`VRCFTParameters` computes all of them, per frame, from a rig frame and the AU frame.

Formulas (PROTOCOLS.md, "How VRCFaceTracking decides what to send"; ``X`` is ``Left`` or
``Right``; a side-less name is the mean of its two sides unless given below):

==========================  =====================================================================
``EyeOpenX``                lid openness: the rig's ``EyeLidX`` / 0.75 (the rig sends 0.75 x
                            openness; see rigs/vrcft.toml); ``EyeClosedX = 1 - EyeOpenX``
``EyeLidX``                 ``EyeOpenX * 0.75 + EyeWideX * 0.25`` (open at rest = 0.75)
``BrowUpX``, ``BrowDownX``  ``min(1, 0.5 BrowInnerUpX + 0.5 BrowOuterUpX)``,
                            ``0.75 BrowLowererX + 0.25 BrowPinchX``
``BrowExpressionX``         ``BrowUpX - BrowDownX``
``MouthSmileX``             ``0.8 MouthCornerPullX + 0.2 MouthCornerSlantX``
``MouthSadX``               ``max(MouthFrownX, MouthStretchX)``
``SmileSadX``               ``MouthSmileX - MouthSadX``
``SmileFrownX``             ``MouthSmileX - MouthFrownX``
``MouthCornerYX``           ``MouthCornerSlantX - MouthFrownX`` [our reading: corner up vs down]
``MouthTightenerStretchX``  ``MouthTightenerX - MouthStretchX`` [our reading]
``CheekPuffSuckX``          ``CheekPuffX - CheekSuckX``
``LipFunnelX`` etc.         mean of the upper and lower part; ``LipFunnel`` the mean of all four
                            (the same for ``LipPucker`` and ``LipSuck``)
``JawX``, ``JawZ``          ``JawRight - JawLeft``, ``JawForward - JawBackward``
``MouthX``                  ``mean(MouthUpperRight, MouthLowerRight) - mean(MouthUpperLeft,
                            MouthLowerLeft)``; ``MouthUpperX``/``MouthLowerX`` per lip
``MouthOpen``               ``0.25 (MouthUpperUpRight + MouthUpperUpLeft + MouthLowerDownRight
                            + MouthLowerDownLeft)``
``TongueX``, ``TongueY``    ``TongueRight - TongueLeft``, ``TongueUp - TongueDown``
``EyeLeftX`` ... ``EyeY``   ``tan(yaw)``, ``tan(pitch up)``; yaw = 30 deg x (AU62 - AU61), pitch =
                            25 deg x (AU63 - AU64) (FACS_DATA.md section 8 unit angles); +X looks
                            to the performer's right, +Y up; both eyes alike
``Head/Yaw|Pitch|Roll``     +-1 = +-90 deg: yaw = 45 deg x (AU52 - AU51) (+ right), pitch =
                            30 deg x (AU54 - AU53) (+ down), roll = 30 deg x (AU55 - AU56)
                            (+ tilt left)
==========================  =====================================================================

A parameter is *drivable* when at least one of its inputs is a shape of the rig (or an AU channel
of the frame): the others stay at their neutral value and are reported, not sent.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from avatardrive.errors import ParameterError

__all__ = [
    "BASE_SHAPES",
    "EYE_UNIT_DEGREES",
    "HEAD_UNIT_DEGREES",
    "VRCFTParameters",
    "v2_parameter_names",
]

FloatArray = NDArray[np.float32]
SIDES = ("Left", "Right")

#: Degrees of one unit of a gaze AU: (horizontal AU61/62, vertical AU63/64); FACS_DATA.md section 8.
EYE_UNIT_DEGREES = (30.0, 25.0)
#: Degrees of one unit of a head AU: (turn AU51/52, up/down AU53/54, tilt AU55/56); section 8.
HEAD_UNIT_DEGREES = (45.0, 30.0, 30.0)


def _sided(*stems: str) -> tuple[str, ...]:
    return tuple(f"{stem}{side}" for stem in stems for side in SIDES)


#: Unified Expressions base shapes (VRCFaceTracking.Core/Params/Expressions/UnifiedExpressions.cs).
BASE_SHAPES: tuple[str, ...] = (
    *_sided("EyeSquint", "EyeWide", "BrowPinch", "BrowLowerer", "BrowInnerUp", "BrowOuterUp",
            "NasalDilation", "NasalConstrict", "CheekSquint", "CheekPuff", "CheekSuck"),
    "JawOpen", "JawRight", "JawLeft", "JawForward", "JawBackward", "JawClench", "JawMandibleRaise",
    "MouthClosed",
    *_sided("LipSuckUpper", "LipSuckLower", "LipSuckCorner", "LipFunnelUpper", "LipFunnelLower",
            "LipPuckerUpper", "LipPuckerLower", "MouthUpperUp", "MouthUpperDeepen", "NoseSneer",
            "MouthLowerDown", "MouthUpper", "MouthLower", "MouthCornerPull", "MouthCornerSlant",
            "MouthFrown", "MouthStretch", "MouthDimple", "MouthPress", "MouthTightener"),
    "MouthRaiserUpper", "MouthRaiserLower",
    "TongueOut", "TongueUp", "TongueDown", "TongueRight", "TongueLeft", "TongueRoll",
    "TongueBendDown", "TongueCurlUp", "TongueSquish", "TongueFlat", "TongueTwistRight",
    "TongueTwistLeft", "SoftPalateClose", "ThroatSwallow", *_sided("NeckFlex"),
)

_Fn = Callable[..., float]


@dataclass(frozen=True)
class _Param:
    """One v2 parameter: ``fn(*values of inputs)``, inside ``[lo, hi]``."""

    name: str
    inputs: tuple[str, ...]
    fn: _Fn
    signed: bool = False


def _identity(x: float) -> float:
    return x


def _mean(*xs: float) -> float:
    return sum(xs) / len(xs)


def _difference(a: float, b: float) -> float:
    return a - b


def _eye_open(lid: float) -> float:
    return min(1.0, max(0.0, lid / 0.75))


def _brow_up(inner: float, outer: float) -> float:
    return min(1.0, 0.5 * inner + 0.5 * outer)


def _brow_down(lowerer: float, pinch: float) -> float:
    return 0.75 * lowerer + 0.25 * pinch


def _smile(pull: float, slant: float) -> float:
    return 0.8 * pull + 0.2 * slant


def _tan_of(unit_degrees: float) -> _Fn:
    def gaze(positive: float, negative: float) -> float:
        return math.tan(math.radians(unit_degrees * (positive - negative)))

    return gaze


def _head_of(unit_degrees: float) -> _Fn:
    def head(positive: float, negative: float) -> float:
        return unit_degrees * (positive - negative) / 90.0

    return head


def _eye_params() -> list[_Param]:
    params: list[_Param] = []
    for side in SIDES:
        lid, wide = f"EyeLid{side}", f"EyeWide{side}"
        params += [
            _Param(f"EyeOpen{side}", (lid,), _eye_open),
            _Param(f"EyeClosed{side}", (lid,), lambda x: 1.0 - _eye_open(x)),
            _Param(f"EyeLid{side}", (lid, wide), lambda x, w: 0.75 * _eye_open(x) + 0.25 * w),
        ]
    return params


def _brow_and_mouth_params() -> list[_Param]:
    params: list[_Param] = []
    for x in SIDES:
        up = (f"BrowInnerUp{x}", f"BrowOuterUp{x}")
        down = (f"BrowLowerer{x}", f"BrowPinch{x}")
        smile = (f"MouthCornerPull{x}", f"MouthCornerSlant{x}")
        frown, stretch = f"MouthFrown{x}", f"MouthStretch{x}"
        params += [
            _Param(f"BrowUp{x}", up, _brow_up),
            _Param(f"BrowDown{x}", down, _brow_down),
            _Param(f"BrowExpression{x}", up + down,
                   lambda i, o, lo, p: _brow_up(i, o) - _brow_down(lo, p), signed=True),
            _Param(f"MouthSmile{x}", smile, _smile),
            _Param(f"MouthSad{x}", (frown, stretch), max),
            _Param(f"SmileSad{x}", (*smile, frown, stretch),
                   lambda p, s, f, t: _smile(p, s) - max(f, t), signed=True),
            _Param(f"SmileFrown{x}", (*smile, frown),
                   lambda p, s, f: _smile(p, s) - f, signed=True),
            _Param(f"MouthCornerY{x}", (f"MouthCornerSlant{x}", frown), _difference, signed=True),
            _Param(f"MouthTightenerStretch{x}", (f"MouthTightener{x}", stretch), _difference,
                   signed=True),
            _Param(f"CheekPuffSuck{x}", (f"CheekPuff{x}", f"CheekSuck{x}"), _difference,
                   signed=True),
        ]
        for lip in ("LipFunnel", "LipPucker", "LipSuck"):
            params.append(_Param(f"{lip}{x}", (f"{lip}Upper{x}", f"{lip}Lower{x}"), _mean))
    for lip in ("LipFunnel", "LipPucker", "LipSuck"):
        parts = _sided(f"{lip}Upper", f"{lip}Lower")
        params += [_Param(lip, parts, _mean)]
    return params


def _axis_params() -> list[_Param]:
    upper_lower = ("MouthUpperRight", "MouthLowerRight", "MouthUpperLeft", "MouthLowerLeft")
    mouth_open = ("MouthUpperUpRight", "MouthUpperUpLeft", "MouthLowerDownRight",
                  "MouthLowerDownLeft")
    return [
        _Param("JawX", ("JawRight", "JawLeft"), _difference, signed=True),
        _Param("JawZ", ("JawForward", "JawBackward"), _difference, signed=True),
        _Param("MouthUpperX", ("MouthUpperRight", "MouthUpperLeft"), _difference, signed=True),
        _Param("MouthLowerX", ("MouthLowerRight", "MouthLowerLeft"), _difference, signed=True),
        _Param("MouthX", upper_lower, lambda ur, lr, ul, ll: (ur + lr) / 2 - (ul + ll) / 2,
               signed=True),
        _Param("MouthOpen", mouth_open, _mean),
        _Param("TongueX", ("TongueRight", "TongueLeft"), _difference, signed=True),
        _Param("TongueY", ("TongueUp", "TongueDown"), _difference, signed=True),
    ]


def _gaze_and_head_params() -> list[_Param]:
    horizontal, vertical = (_tan_of(d) for d in EYE_UNIT_DEGREES)
    yaw, pitch, roll = (_head_of(d) for d in HEAD_UNIT_DEGREES)
    x_in, y_in = ("AU62_L", "AU61_L"), ("AU63_L", "AU64_L")
    params = [_Param(f"Eye{eye}X", x_in, horizontal, signed=True) for eye in ("Left", "Right", "")]
    params += [_Param(f"Eye{eye}Y", y_in, vertical, signed=True) for eye in ("Left", "Right", "")]
    params += [
        _Param("Head/Yaw", ("AU52_L", "AU51_L"), yaw, signed=True),
        _Param("Head/Pitch", ("AU54_L", "AU53_L"), pitch, signed=True),
        _Param("Head/Roll", ("AU55_L", "AU56_L"), roll, signed=True),
    ]
    return params


#: Pairs named ...Left/...Right that are two directions, not two sides of the face.
_DIRECTIONS = frozenset({"Jaw", "Tongue", "TongueTwist", "MouthUpper", "MouthLower"})


def _side_means(params: Iterable[_Param], known: set[str]) -> list[_Param]:
    """``Foo = mean(FooLeft, FooRight)`` for every sided name without a side-less definition."""
    by_name = {p.name: p for p in params}
    means: list[_Param] = []
    for name in [*BASE_SHAPES, *by_name]:
        if not name.endswith("Left"):
            continue
        stem = name[: -len("Left")]
        if stem in known or stem in _DIRECTIONS or f"{stem}Right" not in {*BASE_SHAPES, *by_name}:
            continue
        known.add(stem)
        signed = by_name[name].signed if name in by_name else False
        means.append(_Param(stem, (name, f"{stem}Right"), _mean, signed=signed))
    return means


def _definitions() -> tuple[_Param, ...]:
    derived = [*_eye_params(), *_brow_and_mouth_params(), *_axis_params(),
               *_gaze_and_head_params()]
    redefined = {p.name for p in derived}
    base = [_Param(name, (name,), _identity) for name in BASE_SHAPES if name not in redefined]
    known = {p.name for p in [*base, *derived]}
    extra = _side_means([*base, *derived], known)
    # PROTOCOLS.md lists the combined eye squint as `EyeSquint`; templates spell it `EyesSquint`.
    extra.append(_Param("EyesSquint", ("EyeSquintLeft", "EyeSquintRight"), _mean))
    return (*base, *derived, *extra)


_DEFINITIONS = _definitions()


def v2_parameter_names() -> tuple[str, ...]:
    """Every v2 parameter name avatardrive knows, in its fixed order (``Head/Yaw`` included)."""
    return tuple(p.name for p in _DEFINITIONS)


class VRCFTParameters:
    """Compute every VRCFaceTracking v2 parameter from one rig frame and one AU frame.

    Parameters
    ----------
    shape_names
        The rig's shape names (the ``vrcft`` rig's Unified Expressions base shapes).
    channels
        AU channel names of the frames (``facs.CHANNELS``); gaze and head come from them.

    Attributes
    ----------
    names : tuple of str
        Every v2 parameter, in :func:`v2_parameter_names` order.
    drivable : frozenset of str
        The names with at least one input among ``shape_names`` or ``channels``.
    base : frozenset of str
        The Unified Expressions base shapes among ``names``.
    lo, hi : ndarray, shape (len(names),), float32
        Value range per parameter: -1..1 for signed axes, 0..1 otherwise.
    """

    def __init__(self, shape_names: Sequence[str], channels: Sequence[str] = ()) -> None:
        self.shape_names, self.channels = tuple(shape_names), tuple(channels)
        slots: dict[str, int] = {}
        for i, name in enumerate(self.channels):
            slots.setdefault(name, len(self.shape_names) + i)
        for i, name in enumerate(self.shape_names):
            slots[name] = i
        present = set(slots)
        zero = len(self.shape_names) + len(self.channels)  # a slot that stays 0
        first_result = zero + 1
        index: list[tuple[int, ...]] = []
        drivable: set[str] = set()
        for k, param in enumerate(_DEFINITIONS):
            # an input is the latest earlier parameter of that name, else a rig shape or channel
            index.append(tuple(slots.get(name, zero) for name in param.inputs))
            if any(name in present for name in param.inputs):
                drivable.add(param.name)
            slots[param.name] = first_result + k
            present.discard(param.name)
            if param.name in drivable:
                present.add(param.name)
        self.names = v2_parameter_names()
        self.drivable = frozenset(drivable)
        self.base = frozenset(BASE_SHAPES)
        self._index = index
        self._first_result = first_result
        self._env = [0.0] * (first_result + len(_DEFINITIONS))
        self.lo = np.array([-1.0 if p.signed else 0.0 for p in _DEFINITIONS], dtype=np.float32)
        self.hi = np.ones(len(_DEFINITIONS), dtype=np.float32)

    def compute(self, values: FloatArray, au: FloatArray | None = None, *,
                out: FloatArray | None = None) -> FloatArray:
        """All parameters for one frame.

        Parameters
        ----------
        values : ndarray, shape (len(shape_names),)
            Rig weights on the 0-1 scale.
        au : ndarray, shape (len(channels),), optional
            AU channel values; required when ``channels`` were given.
        out : ndarray, shape (len(names),), float32, optional
            Written in place and returned.

        Returns
        -------
        ndarray, shape (len(names),), float32
            Finite values inside ``[lo, hi]`` (NaN inputs count as 0).
        """
        n_shapes = len(self.shape_names)
        if np.shape(values) != (n_shapes,):
            raise ParameterError(f"values has shape {np.shape(values)}; expected ({n_shapes},)")
        au_values = np.zeros(0, dtype=np.float32) if au is None else au
        if np.shape(au_values) != (len(self.channels),):
            raise ParameterError(f"au has shape {np.shape(au_values)}; expected "
                                 f"({len(self.channels)},)")
        source = np.concatenate([values, au_values]).astype(np.float64)
        np.nan_to_num(source, copy=False, nan=0.0, posinf=1.0, neginf=0.0)
        env = self._env
        env[:n_shapes + len(self.channels)] = np.clip(source, 0.0, 1.0).tolist()
        first = self._first_result
        for k, (param, index) in enumerate(zip(_DEFINITIONS, self._index, strict=True)):
            value = param.fn(*(env[i] for i in index))
            env[first + k] = min(1.0, max(-1.0 if param.signed else 0.0, value))
        result = np.empty(len(self.names), dtype=np.float32) if out is None else out
        result[:] = env[first:]
        return np.clip(result, self.lo, self.hi, out=result)

    def as_dict(self, values: FloatArray, au: FloatArray | None = None) -> Mapping[str, float]:
        """:meth:`compute` as a name -> value mapping (for reports and tests)."""
        return dict(zip(self.names, self.compute(values, au).tolist(), strict=True))
