"""Onset/apex/offset envelopes with one velocity peak per phase.

Onsets follow the minimum-jerk profile ``10u^3 - 15u^4 + 6u^5`` (velocity ``30u^2(1-u)^2``: one
peak at mid-onset, ``1.875 * A / T`` high), offsets its mirror. A spontaneous apex sags a little
and recovers (small fluctuation); the sag is windowed by ``sin^2`` so velocity stays continuous at
the apex edges and the onset keeps its single velocity peak (FACS_DATA.md section 1).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["apex_sag", "envelope", "min_jerk"]

FloatArray = NDArray[np.float64]
_SHORTEST_SWAY = 0.001  # seconds


def min_jerk(u: ArrayLike) -> FloatArray:
    """Minimum-jerk position profile on [0, 1], clipped outside.

    Parameters
    ----------
    u : array_like, any shape
        Normalised time.

    Returns
    -------
    ndarray, same shape as ``u``
        Position in [0, 1]: 0 for ``u <= 0``, 1 for ``u >= 1``.
    """
    x = np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0)
    position: FloatArray = np.clip(x * x * x * (10.0 + x * (-15.0 + 6.0 * x)), 0.0, 1.0)
    return position  # (clipped: rounding can step just past 1)


def envelope(t: ArrayLike, *, onset: ArrayLike, apex: ArrayLike, offset: ArrayLike) -> FloatArray:
    """Unit envelope: 0 before ``t = 0``, minimum-jerk rise, flat apex, minimum-jerk fall.

    Parameters
    ----------
    t : array_like, shape (..., frames)
        Time since the envelope's start, seconds.
    onset, apex, offset : array_like, broadcastable to ``t`` (e.g. shape (k, 1))
        Phase durations in seconds; onset and offset > 0, apex >= 0.

    Returns
    -------
    ndarray, broadcast shape of the inputs
        Values in [0, 1].
    """
    t = np.asarray(t, dtype=np.float64)
    onset = np.asarray(onset, dtype=np.float64)
    rise = min_jerk(t / onset)
    fall_start = onset + np.asarray(apex, dtype=np.float64)
    fall = 1.0 - min_jerk((t - fall_start) / np.asarray(offset, dtype=np.float64))
    return np.where(t < fall_start, rise, fall)


def apex_sag(
    t: ArrayLike,
    *,
    onset: ArrayLike,
    apex: ArrayLike,
    depth: float,
    frequencies: ArrayLike,
    phases: ArrayLike,
) -> FloatArray:
    """Multiplicative apex fluctuation: 1 outside the apex, dipping by at most ``depth`` inside.

    Parameters
    ----------
    t : array_like, shape (k, frames)
        Time since each channel's start, seconds.
    onset, apex : array_like, shape (k, 1)
        Phase durations.
    depth : float
        Largest relative dip, e.g. 0.04.
    frequencies, phases : array_like, shape (k, m)
        ``m`` slow sinusoids per channel (Hz, radians) that shape the dip.

    Returns
    -------
    ndarray, shape (k, frames)
        Factors in [1 - depth, 1].
    """
    t = np.asarray(t, dtype=np.float64)
    apex = np.asarray(apex, dtype=np.float64)
    if depth <= 0.0:
        return np.ones_like(t)
    swaying = apex >= _SHORTEST_SWAY  # an apex of a millisecond or less has no room to sway
    into_apex = (t - np.asarray(onset, dtype=np.float64)) / np.where(swaying, apex, 1.0)
    inside = (into_apex > 0) & (into_apex < 1) & swaying
    window = np.where(inside, np.sin(np.pi * into_apex), 0.0)
    freqs = np.asarray(frequencies, dtype=np.float64)[:, :, None]
    phase = np.asarray(phases, dtype=np.float64)[:, :, None]
    wave = np.mean(np.sin(2.0 * np.pi * freqs * t[:, None, :] + phase), axis=1)  # [-1, 1]
    sag: FloatArray = 1.0 - depth * window**2 * (0.5 + 0.5 * wave)
    return sag
