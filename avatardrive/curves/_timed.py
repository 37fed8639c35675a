"""Samples at their own times (a recorded take with jitter or gaps) onto a uniform frame grid."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from avatardrive.curves._curves import Curves
from avatardrive.errors import ParameterError

__all__ = ["from_samples"]


def from_samples(
    times: npt.ArrayLike,
    values: npt.ArrayLike,
    *,
    fps: float,
    names: Sequence[str],
) -> Curves:
    """Linear interpolation of timed samples onto frames ``start + i / fps``.

    The grid starts at the first sample and ends at the last frame not after the last sample, so
    a take's own clock (not its row count) decides the duration: a dropped frame leaves a gap that
    is bridged, never a shift of everything after it.

    Parameters
    ----------
    times : array_like of float, shape (samples,)
        Seconds, non-decreasing.
    values : array_like of float, shape (samples, columns)
    fps : float
        Frame rate of the grid.
    names : sequence of str, length columns

    Returns
    -------
    Curves
        float32 values, shape (frames, columns), ``start == times[0]``.
    """
    stamps = np.asarray(times, dtype=np.float64)
    samples = np.asarray(values, dtype=np.float32)
    if stamps.ndim != 1 or samples.ndim != 2 or samples.shape[0] != stamps.shape[0]:
        raise ParameterError(f"times {stamps.shape} and values {samples.shape} do not match; "
                             "expected (samples,) and (samples, columns)")  # fmt: skip
    if stamps.size == 0:
        raise ParameterError("no samples; expected at least one")
    if not (np.all(np.isfinite(stamps)) and np.all(np.diff(stamps) >= 0)):
        raise ParameterError("times are not finite and non-decreasing")
    if not fps > 0:
        raise ParameterError(f"fps {fps!r}; expected a positive frame rate")
    n_frames = int(np.floor((stamps[-1] - stamps[0]) * fps + 1e-6)) + 1
    grid = stamps[0] + np.arange(n_frames, dtype=np.float64) / fps
    after = np.clip(np.searchsorted(stamps, grid, side="right"), 1, stamps.size - 1)
    before = after - 1
    span = stamps[after] - stamps[before]
    weight = np.divide(grid - stamps[before], span, out=np.zeros_like(grid), where=span > 0)
    weight = np.clip(weight, 0.0, 1.0).astype(np.float32)[:, None]
    if stamps.size == 1:
        resampled = np.repeat(samples, n_frames, axis=0)
    else:
        resampled = samples[before] * (1 - weight) + samples[after] * weight
    return Curves(resampled.astype(np.float32), fps=fps, start=float(stamps[0]), names=tuple(names))
