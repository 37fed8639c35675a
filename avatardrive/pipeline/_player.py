"""The clock-driven loop: a base AU source, triggers layered on top, one route per destination.

One :class:`~avatardrive.transport.FrameClock` owns the loop. Each tick takes the base frame (a
rendered timeline, a curve file, a take, or a living neutral face) and runs the shared
:class:`~avatardrive.pipeline.FrameStep`. Whatever ends the loop (its end, Ctrl-C, SIGTERM, an
error), every route gets a final neutral frame so avatars return to rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from avatardrive.pipeline._routes import Route
from avatardrive.pipeline._step import FrameStep
from avatardrive.synth import Mixer
from avatardrive.transport import ClockStats, ControlListener, FrameClock

__all__ = ["BaseSource", "PlayReport", "Player"]

FloatArray = NDArray[np.float32]
#: Gives the base AU frame for a frame time, or None for a neutral face.
BaseSource = Callable[[float], FloatArray | None]


@dataclass(frozen=True)
class PlayReport:
    """What a run did."""

    clock: ClockStats
    commands: int
    rejected_commands: int
    interrupted: bool


class Player:
    """Stream AU frames from ``base`` through ``mixer`` to ``routes`` on a real-time clock.

    Parameters
    ----------
    base
        Called with each frame's time; returns the base AU frame (N_CHANNELS,) or None.
    routes
        Destinations; each gets every frame retargeted to its rig.
    rate
        Frames per second.
    mixer
        Layers control-triggered expressions on the base.
    control
        Where control commands come from (polled each frame, never blocking).
    on_calibrate
        Called for ``/avatardrive/calibrate`` (live tracking); ignored when None.
    on_frame
        Called after each frame is sent with (index, time, mixed frame): status lines, views.
    """

    def __init__(
        self,
        base: BaseSource,
        routes: Sequence[Route],
        *,
        rate: float = 60.0,
        mixer: Mixer | None = None,
        control: ControlListener | None = None,
        on_calibrate: Callable[[], None] | None = None,
        on_frame: Callable[[int, float, FloatArray], None] | None = None,
    ) -> None:
        self._base = base
        self._clock = FrameClock(rate)
        self._step = FrameStep(routes, mixer=mixer, control=control, on_calibrate=on_calibrate)
        self._on_frame = on_frame

    @property
    def stats(self) -> ClockStats:
        """The clock's figures so far."""
        return self._clock.stats

    def run(self, *, frames: int | None = None) -> PlayReport:
        """Stream ``frames`` frames (None: until interrupted), then a neutral frame everywhere."""
        index, time, interrupted = 0, 0.0, False
        try:
            for tick in self._clock.ticks(frames=frames):
                index, time = tick.index, tick.time
                mixed = self._step(self._base(time), index=index, time=time)
                if self._on_frame is not None:
                    self._on_frame(index, time, mixed)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            self._step.end(index=index + 1, time=time + 1.0 / self._clock.rate)
        commands = self._step.commands
        return PlayReport(self._clock.stats, commands.commands, commands.rejected, interrupted)
