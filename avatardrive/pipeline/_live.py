"""The live loop: frames from a source, tracked into AU frames, triggers on top, out to every route.

Input frames drive the loop (one output frame per input frame, at once: the lowest latency). A
file source (video, image folder, Live Link CSV) replays at its recorded timing unless told to go as
fast as it can; a camera paces itself. The tracked AU curves can be recorded, one row per input
frame, in the same format as ``render``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from avatardrive.curves import Curves
from avatardrive.facs import CHANNELS
from avatardrive.pipeline._player import CommandRouter, Route, send_neutral
from avatardrive.synth import Mixer
from avatardrive.tracking import FrameSource, Tracker, TrackResult
from avatardrive.transport import ControlListener

__all__ = ["LiveReport", "LiveSession"]

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float32]


@dataclass(frozen=True)
class LiveReport:
    """What a live run did."""

    frames: int
    faces: int
    seconds: float
    commands: int
    rejected_commands: int
    interrupted: bool


class LiveSession:
    """Track ``source`` with ``tracker`` and stream the result, with triggers layered on top.

    Parameters
    ----------
    source
        An open frame source.
    tracker
        The tracker (backend, calibration, filter).
    routes
        Destinations.
    mixer
        Layers control-triggered expressions on the tracked face.
    control
        Control input; ``/avatardrive/calibrate`` recalibrates the tracker's neutral.
    realtime
        Replay file sources at their recorded timing (cameras pace themselves).
    on_result
        Called after every frame with the tracker's result and the mixed AU frame (for views).
    """

    def __init__(
        self,
        source: FrameSource,
        tracker: Tracker,
        routes: Sequence[Route],
        *,
        mixer: Mixer | None = None,
        control: ControlListener | None = None,
        realtime: bool = True,
        on_result: Callable[[TrackResult, FloatArray], None] | None = None,
    ) -> None:
        self._source = source
        self._tracker = tracker
        self._routes = list(routes)
        self._mixer = mixer or Mixer()
        self._commands = CommandRouter(self._mixer, control, on_calibrate=tracker.recalibrate)
        self._realtime = realtime
        self._on_result = on_result
        self._tracked: list[FloatArray] = []
        self._mixed = np.zeros(len(CHANNELS), dtype=np.float32)

    def run(self, *, max_frames: int | None = None) -> LiveReport:
        """Run until the source ends, ``max_frames`` frames, or Ctrl-C; then a neutral frame."""
        began = time.monotonic()
        frames = faces = 0
        first_time: float | None = None
        index, stamp, interrupted = 0, 0.0, False
        try:
            while max_frames is None or frames < max_frames:
                frame = self._source.read()
                if frame is None:
                    break
                if first_time is None:
                    first_time = frame.time
                if self._realtime:
                    self._wait(began + (frame.time - first_time))
                result = self._tracker.update(frame)
                self._tracked.append(result.au.copy())
                faces += int(result.face_found)
                index, stamp = frames, frame.time - first_time
                self._commands.poll(stamp)
                mixed = self._mixer.frame(result.au, now=stamp, out=self._mixed)
                for route in self._routes:
                    route.send(mixed, index=index, time=stamp)
                if self._on_result is not None:
                    self._on_result(result, mixed)
                frames += 1
        except KeyboardInterrupt:
            interrupted = True
        finally:
            send_neutral(self._routes, index=index + 1, time=stamp)
        commands = self._commands
        return LiveReport(frames, faces, time.monotonic() - began, commands.commands,
                          commands.rejected, interrupted)  # fmt: skip

    def recording(self) -> Curves:
        """The tracked AU curves, one row per input frame (time = frame index / source fps)."""
        values = np.array(self._tracked, dtype=np.float32).reshape(-1, len(CHANNELS))
        fps = self._source.fps if self._source.fps > 0 else 30.0
        return Curves(values, fps=fps, start=0.0, names=CHANNELS)

    @staticmethod
    def _wait(deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)
