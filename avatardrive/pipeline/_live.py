"""The live loop: frames from a source, tracked into AU frames, triggers on top, out to every route.

Input frames drive the loop (one output frame per input frame, at once: the lowest latency). A
file source (video, image folder, Live Link CSV) replays at its recorded timing unless told to go as
fast as it can; a camera paces itself. The tracked AU frames can be recorded as they come, one row
per input frame, to a curve file (:class:`~avatardrive.pipeline.CurveRecorder`): nothing of the
session is kept in memory.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from avatardrive.pipeline._pump import FramePump
from avatardrive.pipeline._record import CurveRecorder
from avatardrive.pipeline._routes import Route
from avatardrive.pipeline._step import FrameStep
from avatardrive.synth import Mixer
from avatardrive.tracking import FrameSource, Tracker, TrackResult
from avatardrive.transport import ControlListener, FrameClock

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
    recorder
        Where the tracked AU frames (before triggers) are written, one row per input frame.
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
        recorder: CurveRecorder | None = None,
        on_result: Callable[[TrackResult, FloatArray], None] | None = None,
    ) -> None:
        self._source = source
        self._tracker = tracker
        self._step = FrameStep(routes, mixer=mixer, control=control,
                               on_calibrate=tracker.recalibrate)  # fmt: skip
        self._realtime = realtime
        self._recorder = recorder
        self._on_result = on_result
        self._clock = FrameClock(60.0)  # only its wait: the source's own timing paces the loop

    def run(self, *, max_frames: int | None = None) -> LiveReport:
        """Run until the source ends, ``max_frames`` frames, or Ctrl-C; then a neutral frame."""
        began = time.monotonic()
        pump = FramePump(self._source, realtime=self._realtime, max_frames=max_frames)
        frames = faces = 0
        index, stamp, interrupted = 0, 0.0, False
        first_time: float | None = None
        try:
            while not pump.ended:
                self._clock.wait_until(time.perf_counter() + pump.wait())
                captured = pump.take()
                if captured is None:
                    continue
                frame = captured.frame
                first_time = frame.time if first_time is None else first_time
                result = self._tracker.update(frame)
                if self._recorder is not None:
                    self._recorder.write(result.au)
                faces += int(result.face_found)
                index, stamp = frames, frame.time - first_time
                mixed = self._step(result.au, index=index, time=stamp)
                if self._on_result is not None:
                    self._on_result(result, mixed)
                frames += 1
        except KeyboardInterrupt:
            interrupted = True
        finally:
            self._step.end(index=index + 1, time=stamp)
        commands = self._step.commands
        return LiveReport(frames, faces, time.monotonic() - began, commands.commands,
                          commands.rejected, interrupted)  # fmt: skip
