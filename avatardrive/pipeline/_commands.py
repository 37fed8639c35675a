"""Control commands from an engine (emotions, micro-expressions, AU pulses, neutral, calibrate)
turned into mixer triggers."""

from __future__ import annotations

import logging
from collections.abc import Callable

from avatardrive.errors import AvatarDriveError
from avatardrive.synth import Mixer
from avatardrive.transport import (
    Calibrate,
    ControlCommand,
    ControlListener,
    Neutral,
    SetMood,
    TriggerAU,
    TriggerEmotion,
)

__all__ = ["CommandRouter"]

log = logging.getLogger(__name__)


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
