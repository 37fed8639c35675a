"""The parsed, validated content of a rig file: plain frozen data, before compilation.

A rig maps AU channels to target shapes. For each shape, with ``a`` the AU frame in [0, 1]::

    drive    x = sum(inputs[c] * a[c]) + sum(term.weight * term(a))     (raw drive)
    response u = curve(clip(x, 0, 1))                                    (linear, power, smoothstep)
    weight   w = clip(gain * u + offset, clamp[0], clamp[1]) * scale

An input or term factor without a side (``AU12``) stands for the mean of ``AU12_L`` and
``AU12_R``; ``term(a)`` is the product (``op = "product"``) or the minimum (``op = "min"``) of its
factors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from avatardrive.retarget._bones import RigBone

__all__ = [
    "RESPONSE_CURVES",
    "RIG_FORMAT_VERSION",
    "SCALES",
    "TERM_OPS",
    "Curve",
    "RigShape",
    "RigSpec",
    "RigTerm",
    "TermOp",
]

#: The rig file format version this code reads.
RIG_FORMAT_VERSION = 1
Curve = Literal["linear", "power", "smoothstep"]
TermOp = Literal["product", "min"]
#: Response curves a shape may use.
RESPONSE_CURVES: tuple[Curve, ...] = ("linear", "power", "smoothstep")
#: Ways a corrective or emotion-level term combines its factors.
TERM_OPS: tuple[TermOp, ...] = ("product", "min")
#: Value scales a rig may declare: weights run from 0 to the scale.
SCALES: tuple[float, ...] = (1.0, 100.0)


@dataclass(frozen=True)
class RigTerm:
    """A nonlinear term of a shape's drive: ``weight * op(factors)``.

    Attributes
    ----------
    op
        ``"product"`` (correctives such as AU6_L x AU12_L) or ``"min"`` (a soft AND of AUs, for
        emotion-level shapes).
    factors
        Channel names (``"AU6_L"``) or side-less AUs (``"AU26"``: the mean of both sides).
    weight
        Finite factor applied to the term.
    """

    op: TermOp
    factors: tuple[str, ...]
    weight: float


@dataclass(frozen=True)
class RigShape:
    """One target shape of a rig, as written in its file (AU keys spelled canonically).

    Attributes
    ----------
    name
        Canonical output name.
    inputs
        ``(key, weight)`` pairs; a key is a channel (``"AU12_L"``) or a side-less AU (``"AU1"``,
        the mean of both sides).
    terms
        Nonlinear terms added to the drive.
    curve, exponent
        Response curve applied to the drive clipped to [0, 1]; ``exponent`` is used by ``power``.
    gain, offset
        Affine map after the curve (gain -1, offset 1 turns closure into openness).
    clamp
        ``(lo, hi)`` within [0, 1]: the output range before scaling.
    aliases
        Other names the shape answers to on input.
    source
        The rig file the shape was written in (an included file for included shapes).
    """

    name: str
    inputs: tuple[tuple[str, float], ...] = ()
    terms: tuple[RigTerm, ...] = ()
    curve: Curve = "linear"
    exponent: float = 1.0
    gain: float = 1.0
    offset: float = 0.0
    clamp: tuple[float, float] = (0.0, 1.0)
    aliases: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class RigSpec:
    """A whole rig file after parsing, with its includes merged in (their shapes first).

    Attributes
    ----------
    name, title, description
        Identity and human-readable text.
    version
        File format version (1).
    scale
        1.0 or 100.0: weights run over ``[0, scale]``.
    shapes
        Target shapes in output order.
    source
        The file read.
    includes
        Names or paths of the rigs merged in.
    bones
        Head and eye bones (Neck, Head, LeftEye, RightEye; those declared), included ones
        replaced by the file's own of the same name.
    """

    name: str
    version: int
    scale: float
    shapes: tuple[RigShape, ...]
    source: str
    title: str = ""
    description: str = ""
    includes: tuple[str, ...] = ()
    bones: tuple[RigBone, ...] = ()
