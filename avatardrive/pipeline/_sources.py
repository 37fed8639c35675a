"""Sources of base AU frames for the clock-driven loops: curves (a rendered timeline, a curve file,
a recorded take) and a living neutral face for control-only streams.

A source is called with a frame's stream time and returns that frame, shape (N_CHANNELS,), or
None for a neutral face. It never sleeps: pacing belongs to the one clock.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from avatardrive.curves import Curves
from avatardrive.errors import ParameterError
from avatardrive.synth import IdleLife

__all__ = ["CurvesSource", "IdleSource"]

FloatArray = NDArray[np.float32]


class CurvesSource:
    """The frame of ``curves`` nearest a time; held at the last frame after the end, or looped.

    Parameters
    ----------
    curves : Curves
        AU curves, shape (frames, N_CHANNELS).
    loop : bool
        Start over at the end.
    """

    def __init__(self, curves: Curves, *, loop: bool = False) -> None:
        if curves.n_frames == 0:
            raise ParameterError("the curves have no frames; expected at least one")
        self.curves = curves
        self.loop = loop

    def __call__(self, time: float) -> FloatArray:
        """Frame at ``time`` seconds, shape (N_CHANNELS,)."""
        curves = self.curves
        index = round((time - curves.start) * curves.fps)
        last = curves.n_frames - 1
        index = index % curves.n_frames if self.loop else min(max(index, 0), last)
        row: FloatArray = curves.values[index]
        return row


class IdleSource:
    """A living neutral face for as long as the stream runs: the frames of an
    :class:`~avatardrive.synth.IdleLife` (blinks, idle gaze and head life), one block at a time.

    Memory stays at one block whatever the session length. Times must not run backwards (a
    stream's clock does not).

    Parameters
    ----------
    life : IdleLife
        Makes the blocks; its ``fps`` is the stream's.
    """

    def __init__(self, life: IdleLife) -> None:
        self.life = life
        self._block = -1
        self._frames: FloatArray = np.zeros((0, 0), dtype=np.float32)

    def __call__(self, time: float) -> FloatArray:
        """Frame at ``time`` seconds (>= 0, not before an earlier call's), shape (N_CHANNELS,)."""
        index = max(round(time * self.life.fps), 0)
        block, row = divmod(index, round(self.life.seconds * self.life.fps))
        while self._block < block:
            self._frames = self.life.next_block()
            self._block += 1
        frame: FloatArray = self._frames[row]
        return frame
