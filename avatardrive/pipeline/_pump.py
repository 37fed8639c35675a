"""Pacing a frame source for the puppeteering loop: file sources at their recorded timing,
cameras at their own pace.

:class:`FramePump` never sleeps: it says how long until the next frame is due
(:meth:`FramePump.wait`) and hands it out once it is (:meth:`FramePump.take`), so that a Qt timer
(or a plain loop) can wait in between and do other work.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from avatardrive.tracking import FrameSource, VideoFrame

__all__ = ["Captured", "FramePump"]


@dataclass(frozen=True, eq=False)
class Captured:
    """A frame and the time it counts as captured (clock seconds)."""

    frame: VideoFrame
    captured: float


class FramePump:
    """Hands out a source's frames when they are due.

    With ``realtime``, frame ``i`` is due ``frame.time - first.time`` seconds after the first
    was read: a file replays at its recorded timing. Otherwise every frame is due at once (a
    camera's ``read`` waits for its next frame itself; ``--fast`` replays as fast as it can). A
    late frame is handed out late, never skipped.

    Parameters
    ----------
    source : FrameSource
        An open source; the pump does not close it.
    realtime : bool
        Pace frames at their recorded timing.
    max_frames : int, optional
        End after this many frames.
    clock : callable returning seconds
        The same clock as the controller's.
    """

    def __init__(
        self,
        source: FrameSource,
        *,
        realtime: bool,
        max_frames: int | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.source = source
        self.realtime = realtime
        self.max_frames = max_frames
        self._clock = clock
        self._next: Captured | None = None
        self._origin: tuple[float, float] | None = None  # (clock at the first frame, its time)
        self._ended = False
        self._last_due = 0.0
        self.taken = 0
        """Frames handed out so far."""

    @property
    def ended(self) -> bool:
        """Whether ``max_frames`` were handed out, or the source was found to have no more."""
        if self.max_frames is not None and self.taken >= self.max_frames:
            return True
        return self._ended and self._next is None

    def wait(self) -> float:
        """Seconds until the next frame is due (0 when due or at the end).

        Reads the next frame ahead if it has not been read yet: for a camera, this is where the
        loop waits for it.
        """
        pending = self._peek()
        if pending is None:
            return 0.0
        return max(pending.captured - self._clock(), 0.0)

    def next_due(self) -> float | None:
        """Clock time the frame after the last one handed out is expected (None: unknown).

        Only known for realtime replay; estimated from the source's frame rate when the next
        frame has not been read yet. Never reads.
        """
        if not self.realtime or self._origin is None:
            return None
        if self._next is not None:
            return self._next.captured
        fps = self.source.fps if self.source.fps > 0 else 30.0
        return self._last_due + 1.0 / fps

    def take(self) -> Captured | None:
        """The next frame if it is due, else ``None`` (also at the end)."""
        pending = self._peek()
        if pending is None or pending.captured > self._clock():
            return None
        self._next = None
        self.taken += 1
        self._last_due = pending.captured
        return pending

    def _peek(self) -> Captured | None:
        if self._next is None and not self._ended:
            if self.max_frames is not None and self.taken >= self.max_frames:
                self._ended = True
                return None
            frame = self.source.read()
            read_at = self._clock()
            if frame is None:
                self._ended = True
                return None
            self._next = Captured(frame, self._due(frame, read_at))
        return self._next

    def _due(self, frame: VideoFrame, read_at: float) -> float:
        if not self.realtime:
            return read_at
        if self._origin is None:
            self._origin = (read_at, frame.time)
            self._last_due = read_at
        start, first_time = self._origin
        return start + frame.time - first_time  # read late or not: it was due then
