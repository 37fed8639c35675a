"""Combining layers of curves on one frame grid: max, sum-and-clamp, priority."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from avatardrive.curves._curves import GRID_TOLERANCE, Curves
from avatardrive.errors import CurveError, ParameterError

__all__ = ["BLEND_POLICIES", "blend"]

#: The policies :func:`blend` knows.
BLEND_POLICIES: tuple[str, ...] = ("max", "sum", "priority")

FloatArray = npt.NDArray[np.float32]


def blend(
    layers: Sequence[Curves],
    *,
    policy: str = "max",
    weights: Sequence[npt.ArrayLike | None] | None = None,
) -> Curves:
    """Combine layers of curves frame by frame into values in [0, 1].

    Parameters
    ----------
    layers : sequence of Curves, each shaped (frames_k, columns)
        At least one. All share column names (case-insensitive) and fps, and lie on one frame
        grid: their starts differ by whole frames. For ``"priority"``, lowest priority first.
    policy : {"max", "sum", "priority"}
        ``"max"``: elementwise maximum. ``"sum"``: sum, then clip to [0, 1] (sum-and-clamp).
        ``"priority"``: layer by layer, ``out = w * layer + (1 - w) * out``.
    weights : sequence of (array_like or None), optional
        Only for ``"priority"``: one entry per layer, shaped (frames_k,) or (frames_k, columns),
        values in [0, 1]. ``None`` (for all layers or one) means ``w = 1`` where that layer's
        value on a channel is above 0, else 0, so a layer overrides exactly where it acts.

    Returns
    -------
    Curves
        float32 values in [0, 1], never NaN, shaped (frames, columns): the union of the layers'
        spans, starting at the earliest start. A layer contributes 0 outside its own span.
        Non-finite inputs count as ``clamp()`` makes them: NaN as 0, +inf as 1, -inf as 0.

    Raises
    ------
    CurveError
        If the layers differ in names or fps, or do not lie on one frame grid.
    ParameterError
        For an unknown policy, or bad weights.
    """
    layers = _check_layers(layers)
    if policy not in BLEND_POLICIES:
        choices = ", ".join(repr(p) for p in BLEND_POLICIES)
        raise ParameterError(f"policy {policy!r} is not one of {choices}")
    per_layer = _check_weights(weights, policy, len(layers))
    base = layers[0]
    offsets = [_grid_offset(base, layer, k) for k, layer in enumerate(layers)]
    first = min(offsets)
    stop = max(offset + layer.n_frames for offset, layer in zip(offsets, layers, strict=True))
    start = layers[offsets.index(first)].start
    out = np.zeros((stop - first, len(base.names)), dtype=np.float32)
    for k, (offset, layer) in enumerate(zip(offsets, layers, strict=True)):
        span = slice(offset - first, offset - first + layer.n_frames)
        values = _finite(layer.values)
        with np.errstate(over="ignore", invalid="ignore"):  # huge values: inf, clipped below
            if policy == "max":
                np.maximum(out[span], values, out=out[span])
            elif policy == "sum":
                out[span] += values
            else:
                w = _priority_weight(per_layer[k], values, k)
                out[span] = w * values + (1.0 - w) * out[span]
    np.nan_to_num(out, copy=False, nan=0.0)
    np.clip(out, 0.0, 1.0, out=out)
    return Curves(out, fps=base.fps, start=start, names=base.names)


def _check_layers(layers: Sequence[Curves]) -> list[Curves]:
    if isinstance(layers, Curves) or not isinstance(layers, Sequence):
        raise ParameterError(f"layers is {type(layers).__name__}; expected a sequence of Curves")
    result = list(layers)
    if not result:
        raise ParameterError("layers is empty; expected at least one Curves")
    for k, layer in enumerate(result):
        if not isinstance(layer, Curves):
            raise ParameterError(f"layers[{k}] is a {type(layer).__name__}; expected Curves")
    return result


def _check_weights(
    weights: Sequence[npt.ArrayLike | None] | None, policy: str, n_layers: int
) -> list[npt.ArrayLike | None]:
    if weights is None:
        return [None] * n_layers
    if policy != "priority":
        raise ParameterError(f"weights apply to policy 'priority' only; policy is {policy!r}")
    if isinstance(weights, str) or not isinstance(weights, Sequence):
        raise ParameterError(
            f"weights is a {type(weights).__name__}; expected a sequence, one entry per layer"
        )
    if len(weights) != n_layers:
        raise ParameterError(
            f"weights has {len(weights)} entries; expected {n_layers}, one per layer"
        )
    return list(weights)


def _grid_offset(base: Curves, layer: Curves, k: int) -> int:
    """Frames from ``base``'s first frame to ``layer``'s, checking they can be blended."""
    where = f"layers[{k}]"
    if len(layer.names) != len(base.names):
        raise CurveError(
            f"has {len(layer.names)} columns; expected the {len(base.names)} of layers[0]",
            where=where,
        )
    for j, (name, expected) in enumerate(zip(layer.names, base.names, strict=True)):
        if name.casefold() != expected.casefold():
            raise CurveError(
                f"column {j} is {name!r}; expected {expected!r} as in layers[0]", where=where
            )
    if not math.isclose(layer.fps, base.fps, rel_tol=1e-9, abs_tol=0.0):
        raise CurveError(
            f"fps is {layer.fps:g}; expected {base.fps:g} as in layers[0] (resample first)",
            where=where,
        )
    frames = (layer.start - base.start) * base.fps
    whole = round(frames)
    if abs(frames - whole) > GRID_TOLERANCE:
        raise CurveError(
            f"start {layer.start!r} is {abs(frames - whole):.3g} frame off the frame grid of "
            f"layers[0] (start {base.start!r}, fps {base.fps:g}); expected starts a whole "
            f"number of frames apart",
            where=where,
        )
    return int(whole)


def _finite(values: FloatArray) -> FloatArray:
    if bool(np.isfinite(values).all()):
        return values
    return np.nan_to_num(values, nan=0.0, posinf=1.0, neginf=0.0)


def _priority_weight(weight: npt.ArrayLike | None, values: FloatArray, k: int) -> FloatArray:
    """The weight of layer ``k``, shaped (frames, 1) or (frames, columns)."""
    if weight is None:
        return (values > 0.0).astype(np.float32)
    where = f"weights[{k}]"
    try:
        w = np.asarray(weight)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{where} cannot be read as an array ({exc})") from None
    frames, columns = values.shape
    if w.dtype.kind not in "biuf":
        raise ParameterError(f"{where} has dtype {w.dtype}; expected numbers in [0, 1]")
    if w.shape not in ((frames,), (frames, columns)):
        raise ParameterError(
            f"{where} has shape {w.shape}; expected ({frames},) or ({frames}, {columns}) "
            f"to match layers[{k}]"
        )
    w = w.astype(np.float64)
    bad = ~((w >= 0.0) & (w <= 1.0))  # also catches NaN
    if bool(bad.any()):
        position = np.unravel_index(int(np.flatnonzero(bad)[0]), w.shape)
        index = ", ".join(str(int(i)) for i in position)
        raise ParameterError(f"{where}[{index}] is {float(w[position])!r}; expected [0, 1]")
    return (w[:, None] if w.ndim == 1 else w).astype(np.float32)
