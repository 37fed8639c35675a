"""Rendering a timeline chunk by chunk, so memory does not grow with its length.

:class:`ChunkedRender` resolves a timeline once (events, blinks) and then renders any span of
frames on demand; iterating it yields consecutive :class:`~avatardrive.curves.Curves` chunks whose
concatenation equals :func:`~avatardrive.synth.render` bit for bit (each frame depends only on the
events and blinks that touch it). A 24-hour timeline at 30 fps written to NPZ through
:class:`~avatardrive.curves.CurveWriter` holds one chunk at a time.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from avatardrive.curves import Curves
from avatardrive.errors import TimelineError
from avatardrive.facs import CHANNELS
from avatardrive.synth._blinks import BlinkSchedule, blink_schedule
from avatardrive.synth._library import EmotionLibrary
from avatardrive.synth._mood import mood_curves
from avatardrive.synth._render import (
    MAX_RENDER_BYTES,
    Progress,
    _frame_count,
    render_resolved,
    timeline_duration,
)
from avatardrive.synth._resolve import resolve_timeline
from avatardrive.timeline import Timeline

__all__ = ["CHUNK_FRAMES", "ChunkedRender"]

#: Frames per chunk: 65,536 frames of 86 channels are 22 MB of float32.
CHUNK_FRAMES = 65_536
_BLINK_MARGIN = 1.0  # seconds: a blink (under 0.4 s) started this early cannot reach a chunk


class ChunkedRender:
    """A timeline resolved once and rendered in chunks of frames.

    Parameters
    ----------
    timeline
        The timeline; its seed makes every chunk reproducible.
    fps
        Frame rate; the timeline's own by default.
    library
        Emotion prototypes; the shipped library by default.
    chunk_frames
        Frames per chunk when iterating.
    max_bytes
        Refuse timelines whose whole output would be larger (as :func:`render`).

    Attributes
    ----------
    n_frames : int
        Frames of the whole render.
    fps : float
        Its frame rate.

    Raises
    ------
    TimelineError
        Unknown emotions or prototype sets, or an output larger than ``max_bytes``.
    """

    def __init__(
        self,
        timeline: Timeline,
        *,
        fps: float | None = None,
        library: EmotionLibrary | None = None,
        chunk_frames: int = CHUNK_FRAMES,
        max_bytes: int = MAX_RENDER_BYTES,
    ) -> None:
        rate = timeline.fps if fps is None else fps
        if not (math.isfinite(rate) and 1.0 <= rate <= 1000.0):
            raise TimelineError(f"fps {rate!r} is out of range; expected a number in [1, 1000]")
        if chunk_frames < 1:
            raise TimelineError(f"chunk_frames {chunk_frames!r}; expected at least 1")
        self.timeline, self.fps, self.chunk_frames = timeline, float(rate), int(chunk_frames)
        self._library = library
        resolved = resolve_timeline(timeline, library=library)
        self.n_frames = _frame_count(
            timeline, timeline_duration(timeline, resolved), self.fps, max_bytes
        )
        self._events = sorted(resolved, key=lambda e: (e.priority, e.index)) if (
            timeline.blend == "priority"
        ) else list(resolved)  # fmt: skip
        starts = np.array([e.start for e in self._events], dtype=np.float64)
        ends = np.array([e.end for e in self._events], dtype=np.float64)
        # the frames each event touches, as synth's render counts them (a frame of slack)
        self._first = np.ceil(starts * self.fps - 1e-9) - 1
        self._stop = np.floor(ends * self.fps) + 3
        self._blinks = blink_schedule(
            self.n_frames / self.fps, rate=timeline.blink_rate, seed=timeline.seed
        )

    def render(self, first: int, stop: int) -> NDArray[np.float32]:
        """Frames ``first`` .. ``stop`` (exclusive) as float32 (frames, N_CHANNELS) in [0, 1]."""
        first, stop = max(0, first), min(self.n_frames, stop)
        touching = np.flatnonzero((self._first < stop) & (self._stop > first))
        base = mood_curves(self.timeline.mood, n_frames=max(0, stop - first), fps=self.fps,
                           library=self._library, first_frame=first)  # fmt: skip
        return render_resolved(
            [self._events[i] for i in touching],
            n_frames=max(0, stop - first),
            fps=self.fps,
            policy=self.timeline.blend,
            blinks=self._blinks_between(first, stop),
            base=base,
            first_frame=first,
        )

    def chunks(self, *, progress: Progress | None = None) -> Iterator[Curves]:
        """Consecutive chunks of at most ``chunk_frames`` frames, as AU curves."""
        for first in range(0, self.n_frames, self.chunk_frames):
            stop = min(self.n_frames, first + self.chunk_frames)
            yield Curves(self.render(first, stop), fps=self.fps, start=first / self.fps,
                         names=CHANNELS)  # fmt: skip
            if progress is not None:
                progress(stop / self.n_frames)

    def __iter__(self) -> Iterator[Curves]:
        return self.chunks()

    def _blinks_between(self, first: int, stop: int) -> BlinkSchedule:
        blinks = self._blinks
        keep = (blinks.starts >= first / self.fps - _BLINK_MARGIN) & (
            blinks.starts < stop / self.fps + _BLINK_MARGIN
        )
        return BlinkSchedule(
            starts=blinks.starts[keep],
            closing=blinks.closing[keep],
            hold=blinks.hold[keep],
            opening=blinks.opening[keep],
            amplitudes=blinks.amplitudes[keep],
            side_lags=blinks.side_lags[keep],
        )
