"""A living neutral face for streams with no timeline: spontaneous blinks, idle gaze and head life,
block by block.

An endless stream is made of fixed blocks; block ``b`` is a pure function of ``(seed, b)``, so a
stream is reproducible, memory stays one block whatever the session length, and any block can be
made again. A blink that starts near the end of a block finishes in the next one, and the next
block never starts a blink sooner than the minimum interval after it.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from avatardrive.errors import ParameterError
from avatardrive.facs import GAZE_AXES, HEAD_AXES, N_CHANNELS, angles_to_channels
from avatardrive.synth._blinks import MIN_INTERVAL, BlinkSchedule, blink_schedule
from avatardrive.synth._gaze import GazeMode, IdleGaze
from avatardrive.synth._render import render_resolved

__all__ = ["IDLE_BLOCK_SECONDS", "IdleLife", "idle_block"]

#: Length of one block of the idle stream (seconds).
IDLE_BLOCK_SECONDS = 30.0
_LEAD = 1.0  # seconds rendered before a block, so blinks from the previous block finish in it
_SEED_STRIDE = 1_000_003  # separates the blink streams of consecutive blocks


def _schedule(block: int, *, seconds: float, blink_rate: float, seed: int) -> BlinkSchedule:
    return blink_schedule(seconds, rate=blink_rate, seed=seed * _SEED_STRIDE + block)


def _shifted(schedule: BlinkSchedule, keep: NDArray[np.bool_], by: float) -> BlinkSchedule:
    return BlinkSchedule(
        starts=schedule.starts[keep] + by,
        closing=schedule.closing[keep],
        hold=schedule.hold[keep],
        opening=schedule.opening[keep],
        amplitudes=schedule.amplitudes[keep],
        side_lags=schedule.side_lags[keep],
    )


def _joined(first: BlinkSchedule, second: BlinkSchedule) -> BlinkSchedule:
    return BlinkSchedule(*(np.concatenate((getattr(first, name), getattr(second, name)))
                           for name in ("starts", "closing", "hold", "opening", "amplitudes",
                                        "side_lags")))  # fmt: skip


def idle_block(
    block: int, *, fps: float, blink_rate: float, seed: int, seconds: float = IDLE_BLOCK_SECONDS
) -> NDArray[np.float32]:
    """One block of a living neutral face: zeros but for spontaneous blinks (AU45).

    Parameters
    ----------
    block : int
        Block number, from 0; the block covers ``[block * seconds, (block + 1) * seconds)``.
    fps : float
        Frame rate.
    blink_rate : float
        Blinks per minute (0 = none).
    seed : int
        Non-negative; the same seed gives the same stream.
    seconds : float
        Block length.

    Returns
    -------
    ndarray of float32, shape (round(seconds * fps), N_CHANNELS)
        Values in [0, 1].
    """
    n_frames = round(seconds * fps)
    lead = math.ceil(_LEAD * fps)
    lead_seconds = lead / fps
    current = _schedule(block, seconds=seconds, blink_rate=blink_rate, seed=seed)
    keep = np.ones(len(current), dtype=bool)
    carried = _shifted(current, ~keep, 0.0)
    if block > 0:
        previous = _schedule(block - 1, seconds=seconds, blink_rate=blink_rate, seed=seed)
        carried = _shifted(previous, previous.starts >= seconds - _LEAD, lead_seconds - seconds)
        if len(carried):
            last_start = float(carried.starts.max()) - lead_seconds
            keep = current.starts >= last_start + MIN_INTERVAL
    blinks = _joined(carried, _shifted(current, keep, lead_seconds))
    rendered = render_resolved([], n_frames=n_frames + lead, fps=fps, blinks=blinks)
    return rendered[lead:]


class IdleLife:
    """A living neutral face, block after block: spontaneous blinks, idle gaze and head life.

    Parameters
    ----------
    fps : float
    blink_rate : float
        Spontaneous blinks per minute (0 = none).
    seed : int
        Non-negative; the same seed gives the same stream.
    gaze : GazeMode or None
        How the eyes look around (``"listening"``, ``"speaking"``, ``"free"``); None keeps them
        straight ahead.
    head : bool
        The head joins large gaze shifts and sways slowly.
    seconds : float
        Block length.
    """

    def __init__(
        self,
        *,
        fps: float,
        blink_rate: float = 17.0,
        seed: int = 0,
        gaze: GazeMode | None = "listening",
        head: bool = True,
        seconds: float = IDLE_BLOCK_SECONDS,
    ) -> None:
        if seed < 0:
            raise ParameterError(f"seed {seed}; expected a non-negative integer")
        self.fps, self.blink_rate, self.seed, self.seconds = fps, blink_rate, seed, seconds
        self.gaze = None if gaze is None else IdleGaze(fps=fps, mode=gaze, seed=seed, head=head)
        self.head = head
        self._index = 0
        self._carry = np.zeros((0, N_CHANNELS), dtype=np.float32)

    def next_block(self) -> NDArray[np.float32]:
        """The next block of frames, shape (round(seconds * fps), N_CHANNELS), values in [0, 1]."""
        frames = idle_block(self._index, fps=self.fps, blink_rate=self.blink_rate,
                            seed=self.seed, seconds=self.seconds)  # fmt: skip
        self._index += 1
        n = frames.shape[0]
        frames[: self._carry.shape[0]] = np.maximum(frames[: self._carry.shape[0]],
                                                    self._carry[:n])  # fmt: skip
        if self.gaze is not None:
            gaze, head, coupled = self.gaze.block(self.seconds)
            angles_to_channels(gaze, GAZE_AXES, out=frames)
            if self.head:
                angles_to_channels(head, HEAD_AXES, out=frames)
            tail = math.ceil(_LEAD * self.fps)
            with_blinks = render_resolved([], n_frames=n + tail, fps=self.fps, blinks=coupled)
            frames[:] = np.maximum(frames, with_blinks[:n])
            self._carry = with_blinks[n:]
        return frames
