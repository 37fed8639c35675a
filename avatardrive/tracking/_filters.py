"""Per-channel smoothing of AU frames: One Euro and attack/decay, vectorized over channels.

One Euro (Casiez, Roussel & Vogel, CHI 2012): a first-order low-pass whose cutoff rises with the
speed of the signal, ``cutoff = min_cutoff + beta * |filtered derivative|``, with
``alpha = 1 / (1 + tau / dt)`` and ``tau = 1 / (2 pi cutoff)``. Slow drift is smoothed hard, fast
movements pass with little lag. Eye-closure channels (AU43, AU45, AU46) get their own, faster
setting so that blinks (closing at 10-15 units/s) come through.

Attack/decay: rises follow the input with time constant ``attack`` (fast), falls with ``decay``
(slow), so onsets stay sharp while tracker jitter on the way down is smoothed.

:func:`filter_latency` measures what a setting costs: step and ramp delays and how much of a
blink survives, on a synthetic 30 fps signal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from avatardrive.errors import ParameterError
from avatardrive.facs import CHANNELS, N_CHANNELS, channels_of

__all__ = [
    "BLINK_AUS",
    "AUFilter",
    "AttackDecayFilter",
    "AttackDecayParams",
    "FilterLatency",
    "OneEuroFilter",
    "OneEuroParams",
    "filter_latency",
    "make_filter",
]

FloatArray = npt.NDArray[np.float64]

#: AUs smoothed with the faster "blink" setting.
BLINK_AUS = (43, 45, 46)
_MIN_DT = 1e-4
_TWO_PI = 2.0 * math.pi


def _check_positive(owner: str, **values: float) -> None:
    for name, value in values.items():
        if not math.isfinite(value) or value <= 0:
            raise ParameterError(f"{owner}.{name} is {value!r}; expected a number above 0")


def _blink_mask(n_channels: int, aus: tuple[int, ...]) -> npt.NDArray[np.bool_]:
    mask = np.zeros(n_channels, dtype=bool)
    if n_channels == N_CHANNELS:
        for au in aus:
            mask[list(channels_of(au))] = True
    return mask


@dataclass(frozen=True)
class OneEuroParams:
    """One Euro settings (Hz, and s for beta): most channels, and the eye-closure channels.

    Defaults: ``min_cutoff`` 1.5 Hz and ``beta`` 1.0 keep a resting face steady while a strong
    onset (several units/s) raises the cutoff to 5-10 Hz; blinks use ``blink_min_cutoff``
    4 Hz and ``blink_beta`` 4.0. ``d_cutoff`` smooths the speed estimate.
    """

    min_cutoff: float = 1.5
    beta: float = 1.0
    d_cutoff: float = 1.0
    blink_min_cutoff: float = 4.0
    blink_beta: float = 4.0
    blink_d_cutoff: float = 4.0
    blink_aus: tuple[int, ...] = BLINK_AUS

    def __post_init__(self) -> None:
        _check_positive("OneEuroParams", min_cutoff=self.min_cutoff,
                        d_cutoff=self.d_cutoff, blink_min_cutoff=self.blink_min_cutoff,
                        blink_d_cutoff=self.blink_d_cutoff)
        if self.beta < 0 or self.blink_beta < 0:
            raise ParameterError(f"OneEuroParams.beta {self.beta}, blink_beta "
                                 f"{self.blink_beta}; expected numbers >= 0")


@dataclass(frozen=True)
class AttackDecayParams:
    """Attack/decay time constants in seconds: rises follow fast, falls slowly."""

    attack: float = 0.02
    decay: float = 0.12
    blink_attack: float = 0.01
    blink_decay: float = 0.04
    blink_aus: tuple[int, ...] = BLINK_AUS

    def __post_init__(self) -> None:
        _check_positive("AttackDecayParams", attack=self.attack, decay=self.decay,
                        blink_attack=self.blink_attack, blink_decay=self.blink_decay)


class AUFilter(Protocol):
    """A stateful per-channel filter of AU frames."""

    def update(self, values: npt.NDArray[np.floating[Any]], time: float) -> FloatArray:
        """Filter one frame ``(channels,)`` at ``time`` seconds; returns ``(channels,)``."""
        ...

    def reset(self) -> None:
        """Forget the state: the next frame passes unchanged."""
        ...


class OneEuroFilter:
    """One Euro filter over ``n_channels`` channels at once (no loop over channels).

    Parameters
    ----------
    params : OneEuroParams
    n_channels : int
        Width of the frames; with :data:`N_CHANNELS`, the eye-closure channels get the blink
        setting.
    """

    def __init__(self, params: OneEuroParams | None = None, *,
                 n_channels: int = N_CHANNELS) -> None:
        self.params = p = params or OneEuroParams()
        blink = _blink_mask(n_channels, p.blink_aus)
        self._min_cutoff = np.where(blink, p.blink_min_cutoff, p.min_cutoff)
        self._beta = np.where(blink, p.blink_beta, p.beta)
        self._d_cutoff = np.where(blink, p.blink_d_cutoff, p.d_cutoff)
        self._x = np.zeros(n_channels)
        self._dx = np.zeros(n_channels)
        self._t: float | None = None
        self._dt = math.nan
        self._per_dt = (self._beta, self._min_cutoff, self._d_cutoff)

    def _rates(self, dt: float) -> tuple[FloatArray, FloatArray, FloatArray]:
        """beta, min_cutoff times 2 pi dt, and the speed filter's alpha (cached per dt).

        alpha = 1 / (1 + tau / dt) with tau = 1 / (2 pi f) is w / (w + 1) with w = 2 pi f dt.
        """
        if dt != self._dt:
            w = _TWO_PI * dt
            d = self._d_cutoff * w
            self._per_dt = (self._beta * w, self._min_cutoff * w, d / (d + 1.0))
            self._dt = dt
        return self._per_dt

    def update(self, values: npt.NDArray[np.floating[Any]], time: float) -> FloatArray:
        x = np.asarray(values, dtype=np.float64)
        if self._t is None:
            self._x = x.copy()
            self._dx[:] = 0.0
            self._t = time
            return self._x.copy()
        dt = max(time - self._t, _MIN_DT)
        self._t = time
        beta_w, min_w, alpha_d = self._rates(dt)
        diff = x - self._x
        speed = diff / dt
        speed -= self._dx
        speed *= alpha_d
        self._dx += speed
        w = np.abs(self._dx)
        w *= beta_w
        w += min_w  # 2 pi dt (min_cutoff + beta |dx|)
        diff *= w / (w + 1.0)
        self._x += diff
        return self._x.copy()

    def reset(self) -> None:
        self._t = None


class AttackDecayFilter:
    """Asymmetric first-order filter: time constant ``attack`` rising, ``decay`` falling."""

    def __init__(self, params: AttackDecayParams | None = None, *,
                 n_channels: int = N_CHANNELS) -> None:
        self.params = p = params or AttackDecayParams()
        blink = _blink_mask(n_channels, p.blink_aus)
        self._attack = np.where(blink, p.blink_attack, p.attack)
        self._decay = np.where(blink, p.blink_decay, p.decay)
        self._y = np.zeros(n_channels)
        self._t: float | None = None

    def update(self, values: npt.NDArray[np.floating[Any]], time: float) -> FloatArray:
        x = np.asarray(values, dtype=np.float64)
        if self._t is None:
            self._y = x.copy()
            self._t = time
            return self._y.copy()
        dt = max(time - self._t, _MIN_DT)
        self._t = time
        tau = np.where(x > self._y, self._attack, self._decay)
        self._y += (1.0 - np.exp(-dt / tau)) * (x - self._y)
        return self._y.copy()

    def reset(self) -> None:
        self._t = None


def make_filter(
    params: OneEuroParams | AttackDecayParams | None, *, n_channels: int = N_CHANNELS
) -> AUFilter | None:
    """The filter for a parameter object (``None``: no filtering)."""
    if params is None:
        return None
    if isinstance(params, OneEuroParams):
        return OneEuroFilter(params, n_channels=n_channels)
    if isinstance(params, AttackDecayParams):
        return AttackDecayFilter(params, n_channels=n_channels)
    raise ParameterError(f"filter is {params!r}; expected OneEuroParams, AttackDecayParams "
                         f"or None")


@dataclass(frozen=True)
class FilterLatency:
    """Delays a filter adds, measured on synthetic signals (seconds, except ``*_peak``).

    ``step_50`` / ``step_90``: after a 0 -> ``step`` jump, the time from the frame of the jump to
    the first frame at which the filtered signal has covered 50 % / 90 % of it (whole frames; the
    unfiltered signal: 0). ``ramp_lag``: how far the filtered signal
    trails a 0 -> 1 ramp over ``ramp`` seconds, in time, at the ramp's middle. ``blink_peak``:
    the filtered peak of a blink (closing in 2 frames, opening in 4, peak 1.0) on the eye-closure
    channels, ``blink_peak_regular`` the same pulse through the regular setting. ``blink_step_*``
    are for the eye-closure channels, the other fields for every other channel.
    """

    fps: float
    step: float
    step_50: float
    step_90: float
    ramp_lag: float
    blink_step_50: float
    blink_step_90: float
    blink_peak: float
    blink_peak_regular: float


def _crossing(times: FloatArray, values: FloatArray, level: float) -> float:
    above = np.flatnonzero(values >= level)
    if above.size == 0:
        return math.inf
    k = int(above[0])
    if k == 0:
        return float(times[0])
    v0, v1 = values[k - 1], values[k]
    return float(times[k - 1] + (level - v0) / (v1 - v0) * (times[k] - times[k - 1]))


def _run(params: OneEuroParams | AttackDecayParams, signal: FloatArray,
         times: FloatArray) -> FloatArray:
    flt = make_filter(params)
    assert flt is not None
    frame = np.zeros(N_CHANNELS)
    out = np.empty((len(signal), N_CHANNELS))
    for i, (value, t) in enumerate(zip(signal, times, strict=True)):
        frame[:] = value
        out[i] = flt.update(frame, float(t))
    return out


def filter_latency(
    params: OneEuroParams | AttackDecayParams | None = None,
    *,
    fps: float = 30.0,
    step: float = 1.0,
    ramp: float = 0.5,
) -> FilterLatency:
    """Measure the delays of a filter setting on synthetic ``fps`` signals.

    Parameters
    ----------
    params : OneEuroParams or AttackDecayParams, optional
        The setting (default: ``OneEuroParams()``, the tracker's default).
    fps : float
        Frame rate of the synthetic signals.
    step : float
        Height of the step (a strong onset is ~0.8-1.0 within one frame; tracker noise ~0.02).
    ramp : float
        Duration in seconds of the 0 -> 1 ramp.

    Returns
    -------
    FilterLatency
    """
    params = params or OneEuroParams()
    regular, blink = CHANNELS.index("AU12_L"), CHANNELS.index("AU45_L")
    n = round(3.0 * fps)
    times = np.arange(n) / fps
    t0 = times[round(0.5 * fps)]
    stepped = _run(params, np.where(times >= t0, step, 0.0), times)

    def delay(column: int, level: float) -> float:
        reached = np.flatnonzero(stepped[:, column] >= level * step * (1.0 - 1e-9))
        return float(times[reached[0]] - t0) if reached.size else math.inf

    ramp_signal = np.clip((times - t0) / ramp, 0.0, 1.0)
    ramped = _run(params, ramp_signal, times)[:, regular]
    mid = _crossing(times, ramped, 0.5)
    ramp_lag = mid - (t0 + 0.5 * ramp)

    k0 = round(0.5 * fps)
    pulse = np.zeros(n)
    pulse[k0: k0 + 7] = [0.5, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    blinked = _run(params, pulse, times)
    return FilterLatency(
        fps=fps,
        step=step,
        step_50=delay(regular, 0.5),
        step_90=delay(regular, 0.9),
        ramp_lag=ramp_lag,
        blink_step_50=delay(blink, 0.5),
        blink_step_90=delay(blink, 0.9),
        blink_peak=float(blinked[:, blink].max()),
        blink_peak_regular=float(blinked[:, regular].max()),
    )
