"""Compiling a rig: its shapes as arrays, and the forward map over them.

The forward map works on a *feature* row per frame: the AU channels (sanitized into [0, 1]), then
one value per nonlinear term. The drive of every shape is one matrix product, ``features @
weights``; the terms come from a small *factor* vector (each distinct factor: a channel, or the
mean of a unit's two sides — itself one matrix product) by a gather and a reduction; the response
(clip, curve, gain, offset, clamp, scale) is applied column-wise with precomputed index arrays.
No Python loop over shapes anywhere; one frame costs about a dozen numpy calls.

Feature layout, for ``N = N_CHANNELS`` channels: ``[0, N)`` channels, then product terms, then
min terms. Factor vector: the distinct factors, then a constant 1 that pads short terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from avatardrive.facs import N_CHANNELS
from avatardrive.retarget._parse import resolve_au_key
from avatardrive.retarget._spec import RigShape, RigTerm

__all__ = ["ForwardMap", "compile_shapes", "fill_features", "respond", "unrespond"]

N = N_CHANNELS
#: The point where nonlinear terms are linearized for the inverse and the expressibility report:
#: a typical expression intensity (FACS B, 0.2-0.4), so that fixed-point iteration on what the
#: linearization misses converges in a few steps on realistic frames.
LINEARIZE_AT = 0.25

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
Ints = npt.NDArray[np.intp]
Floats = npt.NDArray[np.floating[Any]]


def _frozen(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class ForwardMap:
    """A rig's shapes as arrays (all read-only).

    Attributes
    ----------
    weights : float32, shape (n_features, n_shapes)
        Drive of each shape from the features, for ``features @ weights`` (many frames).
    weights_rows : float32, shape (n_shapes, n_features)
        The same, C-contiguous per shape, for ``weights_rows @ features`` (one frame).
    factors : float32, shape (N_CHANNELS, n_factors)
        ``channels @ factors`` gives the distinct term factors (a channel or a unit mean).
    prod_index, min_index : intp, shape (terms, width)
        Factor indices of each term, padded with ``n_factors`` (the constant 1).
    power_cols, power_exp, smooth_cols
        Shapes with a power curve (and their exponents) or a smoothstep curve.
    gain, offset, lo, hi : float32, shape (n_shapes,)
        Affine map and clamp after the curve; ``affine``/``clamped`` say whether they do anything.
    scale : float
        Weights are multiplied by this last.
    linear : float64, shape (n_shapes, N_CHANNELS)
        The linear part of the drive.
    slopes : float64, shape (n_shapes, N_CHANNELS)
        Derivative of the terms' contribution at every channel = :data:`LINEARIZE_AT`.
    """

    weights: F32
    weights_rows: F32
    factors: F32
    prod_index: Ints
    min_index: Ints
    power_cols: Ints
    power_exp: F32
    smooth_cols: Ints
    gain: F32
    offset: F32
    lo: F32
    hi: F32
    affine: bool
    clamped: bool
    scale: float
    linear: F64
    slopes: F64
    zeros_n: F32
    ones_n: F32
    zeros_s: F32
    ones_s: F32

    @property
    def n_shapes(self) -> int:
        return int(self.weights.shape[1])

    @property
    def n_features(self) -> int:
        return int(self.weights.shape[0])

    @property
    def n_terms(self) -> int:
        return int(self.prod_index.shape[0] + self.min_index.shape[0])


def _factor_table(terms: list[RigTerm]) -> tuple[F32, list[list[int]]]:
    """The distinct factors as a (N, n_factors) matrix, and each term's factor indices."""
    columns: dict[str, int] = {}
    rows: list[list[int]] = []
    for term in terms:
        rows.append([columns.setdefault(f, len(columns)) for f in term.factors])
    matrix = np.zeros((N, len(columns)), dtype=np.float32)
    for key, j in columns.items():
        _, channels = resolve_au_key(key)
        matrix[list(channels), j] = 1.0 / len(channels)
    return matrix, rows


def _index_table(rows: list[list[int]], pad: int) -> Ints:
    width = max((len(r) for r in rows), default=1)
    table = np.full((len(rows), width), pad, dtype=np.intp)
    for k, row in enumerate(rows):
        table[k, : len(row)] = row
    return table


def _term_slope(term: RigTerm) -> F64:
    """Derivative of one term with respect to each channel, at every channel = LINEARIZE_AT."""
    grad = np.zeros(N, dtype=np.float64)
    count = len(term.factors)
    each = LINEARIZE_AT ** (count - 1) if term.op == "product" else 1.0 / count
    for factor in term.factors:
        _, channels = resolve_au_key(factor)
        for channel in channels:
            grad[channel] += each / len(channels)
    return grad


def _linear_row(shape: RigShape) -> F64:
    row = np.zeros(N, dtype=np.float64)
    for key, weight in shape.inputs:
        _, channels = resolve_au_key(key)
        for channel in channels:
            row[channel] += weight / len(channels)
    return row


def _constant(value: float, n: int) -> F32:
    return _frozen(np.full(n, value, dtype=np.float32))


def compile_shapes(shapes: tuple[RigShape, ...], *, scale: float) -> ForwardMap:
    """Compile validated shapes into a :class:`ForwardMap`.

    Parameters
    ----------
    shapes
        Shapes in output order (already validated by the parser).
    scale
        The rig's value scale.
    """
    n_shapes = len(shapes)
    owned = [(s, t) for s, shape in enumerate(shapes) for t in shape.terms]
    ordered = [(s, t) for s, t in owned if t.op == "product"]
    n_prod = len(ordered)
    ordered += [(s, t) for s, t in owned if t.op == "min"]
    factors, rows = _factor_table([t for _, t in ordered])
    pad = factors.shape[1]
    linear = np.stack([_linear_row(shape) for shape in shapes])
    weights = np.zeros((N + len(ordered), n_shapes), dtype=np.float32)
    weights[:N] = linear.T
    slopes = np.zeros((n_shapes, N), dtype=np.float64)
    for k, (s, term) in enumerate(ordered):
        weights[N + k, s] = term.weight
        slopes[s] += term.weight * _term_slope(term)
    curves = [shape.curve for shape in shapes]
    gain = np.array([shape.gain for shape in shapes], dtype=np.float32)
    offset = np.array([shape.offset for shape in shapes], dtype=np.float32)
    lo = np.array([shape.clamp[0] for shape in shapes], dtype=np.float32)
    hi = np.array([shape.clamp[1] for shape in shapes], dtype=np.float32)
    power_cols = np.array([s for s, c in enumerate(curves) if c == "power"], dtype=np.intp)
    smooth_cols = np.array([s for s, c in enumerate(curves) if c == "smoothstep"], dtype=np.intp)
    power_exp = np.array([shapes[s].exponent for s in power_cols], dtype=np.float32)
    affine = bool(np.any(gain != 1.0) or np.any(offset != 0.0))
    return ForwardMap(
        weights=_frozen(weights),
        weights_rows=_frozen(np.ascontiguousarray(weights.T)),
        factors=_frozen(factors),
        prod_index=_frozen(_index_table(rows[:n_prod], pad)),
        min_index=_frozen(_index_table(rows[n_prod:], pad)),
        power_cols=_frozen(power_cols),
        power_exp=_frozen(power_exp),
        smooth_cols=_frozen(smooth_cols),
        gain=_frozen(gain),
        offset=_frozen(offset),
        lo=_frozen(lo),
        hi=_frozen(hi),
        affine=affine,
        clamped=affine or bool(np.any(lo != 0.0) or np.any(hi != 1.0)),
        scale=float(scale),
        linear=_frozen(linear),
        slopes=_frozen(slopes),
        zeros_n=_constant(0.0, N),
        ones_n=_constant(1.0, N),
        zeros_s=_constant(0.0, n_shapes),
        ones_s=_constant(1.0, n_shapes),
    )


def fill_features(fmap: ForwardMap, au: Floats, features: Floats) -> None:
    """Fill the features of one frame or of many.

    Parameters
    ----------
    fmap
        The compiled rig.
    au : float array, shape (N_CHANNELS,) or (frames, N_CHANNELS)
        AU values; NaN and values below 0 count as 0, values above 1 (and +inf) as 1.
    features : float array, shape (n_features,) or (frames, n_features)
        Written in place; float32 for the forward map, float64 for the inverse.
    """
    if features.ndim == 1 and features.dtype == np.float32:
        _fill_frame(fmap, au, features)
        return
    channels = features[..., :N]
    np.fmax(au, 0.0, out=channels)  # fmax ignores NaN: NaN -> 0
    np.fmin(channels, 1.0, out=channels)
    if fmap.n_terms == 0:
        return
    values = np.empty((*features.shape[:-1], fmap.factors.shape[1] + 1), dtype=features.dtype)
    np.matmul(channels, fmap.factors, out=values[..., :-1])
    values[..., -1] = 1.0
    n_prod = fmap.prod_index.shape[0]
    if n_prod:
        np.multiply.reduce(values[..., fmap.prod_index], axis=-1, out=features[..., N : N + n_prod])
    if fmap.min_index.shape[0]:
        np.minimum.reduce(values[..., fmap.min_index], axis=-1, out=features[..., N + n_prod :])


def _fill_frame(fmap: ForwardMap, au: Floats, features: F32) -> None:
    """:func:`fill_features` for one float32 frame, with as few numpy calls as possible."""
    channels = features[:N]
    np.fmax(au, fmap.zeros_n, out=channels)  # same-shape operands: the fastest ufunc path
    np.fmin(channels, fmap.ones_n, out=channels)
    n_factors = fmap.factors.shape[1]
    if n_factors == 0:
        return
    values = np.empty(n_factors + 1, dtype=np.float32)
    np.dot(channels, fmap.factors, out=values[:n_factors])
    values[n_factors] = 1.0
    n_prod = fmap.prod_index.shape[0]
    if n_prod:
        np.multiply.reduce(values[fmap.prod_index], axis=1, out=features[N : N + n_prod])
    if fmap.min_index.shape[0]:
        np.minimum.reduce(values[fmap.min_index], axis=1, out=features[N + n_prod :])


def respond(fmap: ForwardMap, drive: F32) -> None:
    """Turn drives into weights, in place: clip to [0, 1], curve, gain/offset, clamp, scale.

    Parameters
    ----------
    drive : float32, shape (n_shapes,) or (frames, n_shapes)
        Raw drives (finite); overwritten with the weights, in ``[0, scale]``.
    """
    np.maximum(drive, fmap.zeros_s, out=drive)
    np.minimum(drive, fmap.ones_s, out=drive)
    if fmap.power_cols.size:
        drive[..., fmap.power_cols] = drive[..., fmap.power_cols] ** fmap.power_exp
    if fmap.smooth_cols.size:
        s = drive[..., fmap.smooth_cols]
        drive[..., fmap.smooth_cols] = s * s * (3.0 - 2.0 * s)
    if fmap.affine:
        drive *= fmap.gain
        drive += fmap.offset
    if fmap.clamped:
        np.maximum(drive, fmap.lo, out=drive)
        np.minimum(drive, fmap.hi, out=drive)
    if fmap.scale != 1.0:
        drive *= np.float32(fmap.scale)


def unrespond(fmap: ForwardMap, weights: F64) -> None:
    """Invert :func:`respond` where it can be inverted, in place.

    Divides by the scale, undoes gain and offset, clips into [0, 1] and inverts the curve
    (power and smoothstep are monotone on [0, 1]). Clamped or clipped values come back at the
    edge: saturation loses what lies beyond it.

    Parameters
    ----------
    weights : float64, shape (frames, n_shapes)
        Rig weights, not NaN (values outside ``[0, scale]`` are clipped); overwritten with
        estimated drives in [0, 1].
    """
    if fmap.scale != 1.0:
        weights /= fmap.scale
    np.maximum(weights, fmap.lo, out=weights)  # the clamp is inside [0, 1]: this also clips
    np.minimum(weights, fmap.hi, out=weights)
    if fmap.affine:
        weights -= fmap.offset
        weights /= fmap.gain
        np.maximum(weights, 0.0, out=weights)
        np.minimum(weights, 1.0, out=weights)
    if fmap.power_cols.size:
        exponent = 1.0 / fmap.power_exp.astype(np.float64)
        weights[:, fmap.power_cols] = weights[:, fmap.power_cols] ** exponent
    if fmap.smooth_cols.size:
        y = weights[:, fmap.smooth_cols]
        weights[:, fmap.smooth_cols] = 0.5 - np.sin(np.arcsin(1.0 - 2.0 * y) / 3.0)
