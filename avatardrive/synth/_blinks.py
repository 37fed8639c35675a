"""Spontaneous blinks (AU45 on both sides) with log-normal spacing.

Defaults from FACS_DATA.md section 1: intervals log-normal around the configured rate (Bentivoglio
et al. 1997); closing faster than opening (Sforza et al. 2008: 40-47 % faster) - here closing
60-100 ms and opening 1.5-2.5x as long, within 120-250 ms; partial closures are common (Sforza
2008; Ousler et al. 2014) - here 30 % of blinks close only 55-85 %; the right lid trails or leads
the left by up to 8 ms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["BlinkSchedule", "blink_schedule"]

_BLINK_STREAM = 2
INTERVAL_SIGMA = 0.55  # log-normal shape of inter-blink intervals
MIN_INTERVAL = 0.5  # seconds; no blink starts within this of the previous one
PARTIAL_SHARE = 0.3
SIDE_LAG = 0.008
MAX_INTERVAL = 1e9  # seconds (32 years): a mean interval longer than this draws no blink


@dataclass(frozen=True)
class BlinkSchedule:
    """Blinks over a span, one entry per blink.

    Attributes
    ----------
    starts, closing, hold, opening, amplitudes, side_lags : ndarray of float64, shape (n,)
        Start time, closing / held-closed / opening durations (s), closure in (0, 1], and the
        right lid's delay after the left (s, may be negative).
    """

    starts: NDArray[np.float64]
    closing: NDArray[np.float64]
    hold: NDArray[np.float64]
    opening: NDArray[np.float64]
    amplitudes: NDArray[np.float64]
    side_lags: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.starts.size)


def blink_schedule(duration: float, *, rate: float, seed: int) -> BlinkSchedule:
    """Draw blinks over ``[0, duration)`` at ``rate`` blinks per minute (0 = none).

    Parameters
    ----------
    duration
        Span in seconds.
    rate
        Mean blinks per minute.
    seed
        The timeline's seed.
    """
    rng = np.random.default_rng([seed, _BLINK_STREAM])
    if rate <= 0 or duration <= 0 or 60.0 / rate > MAX_INTERVAL:  # a rate of 5e-324 included
        empty = np.zeros(0)
        return BlinkSchedule(empty, empty, empty, empty, empty, empty)
    mean = 60.0 / rate
    mu = np.log(mean) - INTERVAL_SIGMA**2 / 2.0  # log-normal with the requested mean
    expected = int(duration / mean * 1.5 + 10)
    starts: list[NDArray[np.float64]] = []
    t = float(rng.uniform(0.0, mean))  # first blink anywhere in one mean interval
    while t < duration:
        gaps = np.maximum(rng.lognormal(mu, INTERVAL_SIGMA, expected), MIN_INTERVAL)
        times = t + np.concatenate(([0.0], np.cumsum(gaps[:-1])))
        starts.append(times[times < duration])
        t = float(times[-1] + gaps[-1])
    # on a short span the first draw may already fall past the end: no blinks
    start = np.concatenate(starts) if starts else np.zeros(0)
    n = start.size
    closing = rng.uniform(0.06, 0.10, n)
    opening = np.clip(closing * rng.uniform(1.5, 2.5, n), 0.12, 0.25)
    partial = rng.random(n) < PARTIAL_SHARE
    amplitudes = np.where(partial, rng.uniform(0.55, 0.85, n), rng.uniform(0.9, 1.0, n))
    return BlinkSchedule(
        starts=start,
        closing=closing,
        hold=rng.uniform(0.0, 0.03, n),
        opening=opening,
        amplitudes=amplitudes,
        side_lags=rng.uniform(-SIDE_LAG, SIDE_LAG, n),
    )
