"""Idle gaze and head life: saccades between fixations, the head joining large shifts, blinks that
go with them, and a slow head sway.

Sources (FACS_DATA.md section 8) and choices:

- saccade amplitudes log-normal, fitted so that 53 % are under 5° and 83 % under 15° as in free
  looking (Malinov et al. 2000): ``ln A ~ N(1.515, 1.25)``, capped at 40°;
- saccade duration 25 ms + 2.5 ms per degree (the "main sequence", commonly quoted, not confirmed
  here), minimum-jerk shaped so velocity peaks mid-saccade and grows with amplitude;
- fixations log-normal; their mean depends on the mode — listening 1.8 s, speaking 0.9 s, free
  1.2 s — our choice in the range Lee, Badler & Badler (2002) built "Eyes Alive" from (not
  confirmed here); the eyes are drawn back toward the conversation partner (straight ahead), more
  strongly when listening (partner gaze ≈ 75 % listening, ≈ 41 % speaking, Argyle & Cook 1976,
  commonly quoted);
- the head joins gaze shifts above 20° and takes the part beyond it, the eyes levelling off
  (Freedman & Sparks 1997); the head moves more slowly (0.2 s + 4 ms per degree, our choice);
- a blink goes with 97 % of gaze shifts above 33° and starts with them (Evinger et al. 1994); with
  smaller shifts, 20 % above 15° (our choice);
- a slow head sway of about a degree: three incommensurate sinusoids per axis, 0.04-0.25 Hz (our
  choice).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from avatardrive.synth._blinks import BlinkSchedule
from avatardrive.synth._envelope import min_jerk

__all__ = ["GAZE_MODES", "GazeMode", "GazeParams", "IdleGaze"]

GazeMode = Literal["listening", "speaking", "free"]
GAZE_MODES: tuple[GazeMode, ...] = ("listening", "speaking", "free")

_AMPLITUDE_MU, _AMPLITUDE_SIGMA = 1.515, 1.25  # ln degrees: P(<5°) = 0.53, P(<15°) = 0.83
_MAX_AMPLITUDE = 40.0
_GAZE_LIMIT = (25.0, 15.0)  # degrees: yaw, pitch reach of idle gaze (eyes + head), our choice
_HEAD_LIMIT = (12.0, 8.0)  # degrees: yaw, pitch the head's share of idle gaze stays within
_HEAD_THRESHOLD = 20.0  # degrees of gaze shift before the head joins
_FIXATION_SIGMA = 0.6


@dataclass(frozen=True)
class GazeParams:
    """How one mode looks around.

    Attributes
    ----------
    fixation_mean : float
        Mean fixation (inter-saccade) time, seconds.
    home_pull : float
        0-1: how strongly each saccade heads back toward straight ahead.
    """

    fixation_mean: float
    home_pull: float


MODE_PARAMS: dict[GazeMode, GazeParams] = {
    "listening": GazeParams(fixation_mean=1.8, home_pull=0.75),
    "speaking": GazeParams(fixation_mean=0.9, home_pull=0.4),
    "free": GazeParams(fixation_mean=1.2, home_pull=0.2),
}


def saccade_seconds(amplitude: float) -> float:
    """Saccade duration for an amplitude in degrees (main sequence)."""
    return 0.025 + 0.0025 * amplitude


def head_seconds(amplitude: float) -> float:
    """Duration of the head's part of a gaze shift (degrees)."""
    return 0.2 + 0.004 * amplitude


@dataclass
class _Move:
    start: float
    seconds: float
    origin: NDArray[np.float64]
    target: NDArray[np.float64]

    def at(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        u = min_jerk((t - self.start) / self.seconds)[:, None]
        return self.origin + (self.target - self.origin) * u


class IdleGaze:
    """Gaze (yaw, pitch) and head (yaw, pitch, roll) angles of an idle face, block by block.

    A small object with state (the current gaze, head and the next saccade time): each
    :meth:`block` continues where the last one ended, so an endless stream is seamless.

    Parameters
    ----------
    fps : float
    mode : GazeMode
    seed : int
    head : bool
        Move the head (joining large shifts, swaying); False keeps it still.
    """

    def __init__(self, *, fps: float, mode: GazeMode = "listening", seed: int = 0,
                 head: bool = True) -> None:  # fmt: skip
        self.fps = fps
        self.params = MODE_PARAMS[mode]
        self.head = head
        self._rng = np.random.default_rng([seed, 3])
        self._time = 0.0
        self._gaze = np.zeros(2)
        self._head = np.zeros(2)  # yaw, pitch of the head's share of gaze shifts
        self._head_before = np.zeros(2)
        self._eye_moves: list[_Move] = []
        self._head_moves: list[_Move] = []
        self._next = self._fixation()
        sway = self._rng.uniform(0.04, 0.25, (3, 3))  # axis x component, Hz
        self._sway = (sway, self._rng.uniform(0, 2 * math.pi, (3, 3)))
        self.shifts: list[tuple[float, float, float]] = []
        """(time, gaze amplitude, head amplitude), degrees, of every gaze shift so far."""

    def _fixation(self) -> float:
        mean = self.params.fixation_mean
        mu = math.log(mean) - _FIXATION_SIGMA**2 / 2
        return float(max(self._rng.lognormal(mu, _FIXATION_SIGMA), 0.15))

    def _amplitude(self) -> float:
        return float(min(self._rng.lognormal(_AMPLITUDE_MU, _AMPLITUDE_SIGMA), _MAX_AMPLITUDE))

    def _target(self, total: NDArray[np.float64], amplitude: float) -> NDArray[np.float64]:
        angle = self._rng.uniform(0, 2 * math.pi)
        direction = np.array([math.cos(angle), math.sin(angle) * 0.6])  # more yaw than pitch
        home = -total / max(float(np.hypot(*total)), 1e-9)
        mixed = (1 - self.params.home_pull) * direction + self.params.home_pull * home
        mixed /= max(float(np.hypot(*mixed)), 1e-9)
        target = total + amplitude * mixed
        limit = np.array(_GAZE_LIMIT)
        return np.clip(target, -limit, limit)

    def _shift(self, start: float, blinks: list[tuple[float, float]]) -> None:
        """Plan one gaze shift at ``start``: eyes (and head beyond the threshold), maybe a blink."""
        total = self._gaze + self._head
        self._head_before = self._head.copy()
        target = self._target(total, self._amplitude())
        amplitude = float(np.hypot(*(target - total)))
        head_target = self._head.copy()
        if self.head and amplitude > _HEAD_THRESHOLD:
            share = (amplitude - _HEAD_THRESHOLD) / amplitude
            head_limit = np.array(_HEAD_LIMIT)
            head_target = np.clip(self._head + share * (target - total), -head_limit, head_limit)
            self._head_moves.append(_Move(start, head_seconds(amplitude * share), self._head,
                                          head_target))  # fmt: skip
        eyes_target = target - head_target
        self._eye_moves.append(_Move(start, saccade_seconds(amplitude), self._gaze, eyes_target))
        self._gaze, self._head = eyes_target, head_target
        self.shifts.append((start, amplitude, float(np.hypot(*(head_target - self._head_before)))))
        chance = 0.97 if amplitude > 33.0 else (0.2 if amplitude > 15.0 else 0.0)
        if self._rng.random() < chance:
            blinks.append((start, amplitude))

    def block(self, seconds: float) -> tuple[NDArray[np.float64], NDArray[np.float64],
                                             BlinkSchedule]:  # fmt: skip
        """The next ``seconds`` of angles, and the blinks that go with large gaze shifts.

        Returns
        -------
        gaze : ndarray of float64, shape (frames, 2)
            Yaw, pitch in degrees (signs as :mod:`avatardrive.facs`'s head and gaze axes).
        head : ndarray of float64, shape (frames, 3)
            Yaw, pitch, roll in degrees.
        blinks : BlinkSchedule
            Blinks that start with gaze shifts, times relative to the block's start.
        """
        n = round(seconds * self.fps)
        t = self._time + np.arange(n) / self.fps
        end = self._time + n / self.fps
        coupled: list[tuple[float, float]] = []
        while self._next < end:
            self._shift(self._next, coupled)
            self._next += self._fixation()
        gaze = self._trace(self._eye_moves, t, dims=2)
        head = np.zeros((n, 3))
        if self.head:
            head[:, :2] = self._trace(self._head_moves, t, dims=2)
            head += self._sway_at(t)
        self._time = end
        return gaze, head, self._blinks(coupled, start=t[0] if n else self._time)

    def _trace(
        self, moves: list[_Move], t: NDArray[np.float64], *, dims: int
    ) -> NDArray[np.float64]:
        """Angles over ``t`` from a list of moves (each from where the last one ended)."""
        out = np.zeros((t.size, dims))
        if not moves:
            return out
        out[:] = moves[0].origin
        for move in moves:
            after = t >= move.start
            out[after] = move.at(t[after])
        done = [m for m in moves if m.start + m.seconds < (t[-1] if t.size else 0.0)]
        if len(done) > 1:  # keep the last finished move: it holds the position
            for m in done[:-1]:
                moves.remove(m)
        return out

    def _sway_at(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        frequencies, phases = self._sway
        amplitude = np.array([1.0, 0.7, 0.5]) / 3  # degrees per component: yaw, pitch, roll
        waves = np.sin(2 * math.pi * frequencies[None] * t[:, None, None] + phases[None])
        sway: NDArray[np.float64] = waves.sum(axis=2) * amplitude
        return sway

    def _blinks(self, coupled: list[tuple[float, float]], *, start: float) -> BlinkSchedule:
        n = len(coupled)
        times = np.array([s - start for s, _ in coupled], dtype=np.float64)
        closing = self._rng.uniform(0.06, 0.10, n)
        return BlinkSchedule(
            starts=times,
            closing=closing,
            hold=self._rng.uniform(0.0, 0.03, n),
            opening=np.clip(closing * self._rng.uniform(1.5, 2.5, n), 0.12, 0.25),
            amplitudes=self._rng.uniform(0.9, 1.0, n),
            side_lags=self._rng.uniform(-0.008, 0.008, n),
        )
