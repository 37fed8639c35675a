"""The streaming loop: a base AU source, triggers layered on top, one route per destination.

One :class:`~avatardrive.transport.FrameClock` owns the loop. Each tick takes the base frame
(a rendered timeline, or a tracked face), applies control commands through the
:class:`~avatardrive.synth.Mixer`, then retargets and sends once per route. Whatever ends the loop
(its end, Ctrl-C, an error), every route gets a final neutral frame so avatars return to rest.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from avatardrive.errors import AvatarDriveError
from avatardrive.facs import CHANNELS, N_CHANNELS
from avatardrive.retarget import Rig, load_rig
from avatardrive.synth import Mixer
from avatardrive.transport import (
    Calibrate,
    ClockStats,
    ControlCommand,
    ControlListener,
    Destination,
    Frame,
    FrameClock,
    Neutral,
    SetMood,
    Sink,
    TriggerAU,
    TriggerEmotion,
    UdpSink,
    ValueRange,
    parse_destination,
)

__all__ = ["CommandRouter", "PlayReport", "Player", "Route", "open_routes", "send_neutral"]

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float32]
#: Gives the base AU frame for a frame time, or None for a neutral face.
BaseSource = Callable[[float], FloatArray | None]


@dataclass
class Route:
    """One destination: its rig, its sink, and the buffer its weights are written into."""

    label: str
    rig: Rig
    sink: Sink
    weights: FloatArray = field(init=False)

    def __post_init__(self) -> None:
        self.weights = np.zeros(len(self.rig.shape_names), dtype=np.float32)

    def send(self, au: FloatArray, *, index: int, time: float) -> None:
        self.rig.forward_frame(au, out=self.weights)
        self.sink.send(Frame(index, time, self.rig.shape_names, self.weights, CHANNELS, au))


def _rig_given(url: str) -> bool:
    return "rig" in urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)


def open_routes(urls: Sequence[str], *, rig: str | None = None) -> list[Route]:
    """Parse destination URLs and open a UDP sink and rig for each.

    ``rig`` replaces the scheme's default rig where a URL does not name one (``?rig=``).
    """
    routes: list[Route] = []
    try:
        for url in urls:
            destination: Destination = parse_destination(url)
            rig_name = destination.rig if (rig is None or _rig_given(url)) else rig
            loaded = load_rig(rig_name)
            sink = UdpSink(destination, ranges=ValueRange(0.0, loaded.scale))
            routes.append(Route(destination.url, loaded, sink))
    except BaseException:
        for route in routes:
            route.sink.close()
        raise
    return routes


def send_neutral(routes: Sequence[Route], *, index: int, time: float) -> None:
    """Send every route a neutral frame, so avatars return to rest."""
    rest = np.zeros(N_CHANNELS, dtype=np.float32)
    for route in routes:
        try:
            route.send(rest, index=index, time=time)
        except AvatarDriveError as err:  # keep going: the other routes still need their rest frame
            log.warning("%s: could not send the neutral frame: %s", route.label, err)


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
    ) -> None:
        self._base = base
        self._routes = list(routes)
        self._clock = FrameClock(rate)
        self._mixer = mixer or Mixer()
        self._commands = CommandRouter(self._mixer, control, on_calibrate=on_calibrate)
        self._au = np.zeros(N_CHANNELS, dtype=np.float32)

    def run(self, *, frames: int | None = None) -> PlayReport:
        """Stream ``frames`` frames (None: until interrupted), then a neutral frame everywhere."""
        index, time, interrupted = 0, 0.0, False
        try:
            for tick in self._clock.ticks(frames=frames):
                index, time = tick.index, tick.time
                self._commands.poll(time)
                frame = self._mixer.frame(self._base(time), now=time, out=self._au)
                for route in self._routes:
                    route.send(frame, index=index, time=time)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            send_neutral(self._routes, index=index + 1, time=time + 1.0 / self._clock.rate)
        commands = self._commands
        return PlayReport(self._clock.stats, commands.commands, commands.rejected, interrupted)


class CommandRouter:
    """Turns control commands into mixer triggers; bad ones are counted and warned about once.

    Parameters
    ----------
    mixer
        Where triggered expressions go.
    control
        Where commands come from (polled, never blocking); None = no control input.
    on_calibrate
        Called for ``/avatardrive/calibrate`` (live tracking); warned about and ignored when None.
    """

    def __init__(
        self,
        mixer: Mixer,
        control: ControlListener | None,
        *,
        on_calibrate: Callable[[], None] | None = None,
    ) -> None:
        self._mixer = mixer
        self._control = control
        self._on_calibrate = on_calibrate
        self.commands = 0
        self.rejected = 0
        self._warned: set[str] = set()

    def poll(self, now: float) -> None:
        """Apply every command that has arrived, at stream time ``now``."""
        if self._control is None:
            return
        for command in self._control.poll():
            self.commands += 1
            try:
                self._apply(command, now)
            except AvatarDriveError as err:
                self.rejected += 1
                self._warn_once(type(command).__name__, f"control command ignored: {err}")

    def _apply(self, command: ControlCommand, now: float) -> None:
        if isinstance(command, TriggerEmotion):
            options = {k: v for k, v in (("onset", command.onset), ("apex", command.apex),
                                         ("offset", command.offset)) if v is not None}  # fmt: skip
            self._mixer.trigger_emotion(
                command.name, now=now, intensity=command.intensity, micro=command.micro, **options
            )
        elif isinstance(command, TriggerAU):
            self._mixer.trigger_aus(
                {command.channel: command.intensity}, now=now, duration=command.duration
            )
        elif isinstance(command, SetMood):
            self._mixer.set_mood(command.valence, command.arousal, now=now, ease=command.ease)
        elif isinstance(command, Neutral):
            self._mixer.neutral(now=now)
        elif isinstance(command, Calibrate):
            if self._on_calibrate is None:
                self._warn_once("calibrate", "/avatardrive/calibrate ignored: no live tracker")
            else:
                self._on_calibrate()

    def _warn_once(self, kind: str, message: str) -> None:
        if kind not in self._warned:
            self._warned.add(kind)
            log.warning("%s (further ones of this kind are counted, not logged)", message)
