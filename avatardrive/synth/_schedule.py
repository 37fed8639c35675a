"""Schedules of moves: the envelopes of keyframed, held and handed-over events.

A plain event's envelope is onset, apex, offset (``_envelope``). An event with intensity keys, a
hold, or one that takes over from another (a transition) becomes a :class:`Moves` schedule: a
sequence of moves, each from where the previous one ended to a new level, with the minimum-jerk
profile of an onset (one velocity peak per move). Moves never overlap: each one ends before the
next begins, so the curve passes through every level and a move between two levels never leaves
the range between them (an AU shared by two expressions never dips in a handover).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from avatardrive.synth._envelope import min_jerk
from avatardrive.timeline._model import MIN_PHASE_SECONDS

__all__ = ["Moves", "evaluate_moves", "key_moves"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Moves:
    """Per-channel moves of one event, ``m`` moves for ``k`` channels.

    Attributes
    ----------
    initial : ndarray, shape (k,)
        Values before the first move (0, or where an earlier expression was when handed over).
    begins : ndarray, shape (m,)
        When each move begins, seconds after the event's start plus the channel's delay;
        increasing.
    durations : ndarray, shape (m, k)
        How long each move takes per channel; a move ends before the next one begins.
    targets : ndarray, shape (m, k)
        The value each move ends at.
    released : bool
        Whether the last move is an offset back to 0 (False: the event holds its last level).
    """

    initial: FloatArray
    begins: FloatArray
    durations: FloatArray
    targets: FloatArray
    released: bool

    @property
    def settle(self) -> float:
        """When the last move has ended on every channel, seconds after start + delay."""
        if self.begins.size == 0:
            return 0.0
        return float(self.begins[-1] + np.max(self.durations[-1], initial=0.0))

    def unit(self) -> Moves:
        """The same timing with levels 1 while the event acts and 0 at rest (priority weights)."""
        targets = np.ones_like(self.targets)
        if self.released and targets.shape[0]:
            targets[-1] = 0.0
        return Moves((self.initial > 0).astype(np.float64), self.begins, self.durations, targets,
                     self.released)  # fmt: skip


def evaluate_moves(moves: Moves, since: FloatArray) -> FloatArray:
    """Values of a schedule.

    Parameters
    ----------
    moves : Moves
        For ``k`` channels.
    since : ndarray, shape (k, frames)
        Seconds since each channel's start (event start plus the channel's delay).

    Returns
    -------
    ndarray, shape (k, frames)
    """
    value = np.broadcast_to(moves.initial[:, None], since.shape).astype(np.float64)
    previous = moves.initial
    for begin, durations, targets in zip(moves.begins, moves.durations, moves.targets, strict=True):
        into = since - begin
        moving = into >= 0.0
        if not moving.any():
            break  # later moves begin later still
        shape = min_jerk(into / durations[:, None])
        value = np.where(moving, previous[:, None] + (targets - previous)[:, None] * shape, value)
        previous = targets
    return value


def _move_duration(change: float, *, onset: float, onset_level: float, base: float, per: float
                   ) -> float:  # fmt: skip
    """A move's duration: the onset's, scaled as onsets scale with amplitude in the style."""
    if change <= 1e-9:
        return MIN_PHASE_SECONDS  # no change: the level is there already
    return onset * (base + per * change) / (base + per * onset_level)


def key_moves(
    keys: tuple[tuple[float, float], ...],
    *,
    amplitudes: FloatArray,
    onsets: FloatArray,
    onset: float,
    apex: float,
    offset: float,
    hold: bool,
    onset_base: float,
    onset_per_amplitude: float,
) -> Moves:
    """The moves of an event with intensity keys (a plain event is one key at time 0).

    Parameters
    ----------
    keys
        ``(seconds after start, level)`` pairs, increasing in time; levels in [0, 1].
    amplitudes : ndarray, shape (k,)
        Each channel's value at the highest key level.
    onsets : ndarray, shape (k,)
        Each channel's onset duration (the first move).
    onset
        The event's onset duration; later moves scale from it by the size of their change
        (``onset_base + onset_per_amplitude * change``, the style's onset law).
    apex
        Seconds the last level is held before the offset.
    offset
        The offset's duration.
    hold
        Keep the last level: no offset.
    onset_base, onset_per_amplitude
        The style's onset law.

    Returns
    -------
    Moves
    """
    top = max(level for _, level in keys)
    fractions = [level / top if top > 0 else 0.0 for _, level in keys]
    k = amplitudes.size
    begins, durations, targets = [], [], []
    previous_level = 0.0
    for i, (at, level) in enumerate(keys):
        gap = keys[i + 1][0] - at if i + 1 < len(keys) else np.inf
        if i == 0:
            wanted = onsets
        else:
            change = abs(level - previous_level)
            duration = _move_duration(
                change, onset=onset, onset_level=top, base=onset_base, per=onset_per_amplitude
            )
            wanted = np.full(k, duration)
        begins.append(at)
        durations.append(np.clip(wanted, MIN_PHASE_SECONDS, max(gap, MIN_PHASE_SECONDS)))
        targets.append(amplitudes * fractions[i])
        previous_level = level
    if not hold:
        arrival = begins[-1] + float(np.max(durations[-1], initial=0.0))
        begins.append(arrival + apex)
        durations.append(np.full(k, offset))
        targets.append(np.zeros(k))
    return Moves(
        initial=np.zeros(k),
        begins=np.asarray(begins, dtype=np.float64),
        durations=np.array(durations, dtype=np.float64, ndmin=2),
        targets=np.array(targets, dtype=np.float64, ndmin=2),
        released=not hold,
    )
