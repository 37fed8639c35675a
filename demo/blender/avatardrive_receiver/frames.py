"""OSC messages → blendshape frames, for avatardrive's generic schema and the VMC protocol.

========  =====================================================  ==========================
schema    messages                                               a frame is complete
========  =====================================================  ==========================
generic   ``<prefix><shape> ,f <value>`` (``<prefix>au/...``     at the end of each datagram
          AU channels and deeper paths are ignored)              (one bundle = one frame)
vmc       ``/VMC/Ext/Blend/Val ,sf <name> <value>``              at ``/VMC/Ext/Blend/Apply``
========  =====================================================  ==========================

Values are clamped to [0, 1]; NaN is ignored. Unknown addresses and wrong type tags are ignored
(counted in :attr:`FrameDecoder.ignored`). VMC values received without their Apply stay pending
until an Apply arrives, in this datagram or a later one. Pure Python 3.9+, no bpy.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from .osc import OscMessage

__all__ = [
    "AUTO",
    "GENERIC",
    "GENERIC_PREFIX",
    "PROTOCOLS",
    "VMC",
    "VMC_APPLY",
    "VMC_VALUE",
    "Frame",
    "FrameDecoder",
    "clamp_unit",
]

AUTO, GENERIC, VMC = "auto", "generic", "vmc"
PROTOCOLS = (AUTO, GENERIC, VMC)
GENERIC_PREFIX = "/avatardrive/"
VMC_VALUE = "/VMC/Ext/Blend/Val"
VMC_APPLY = "/VMC/Ext/Blend/Apply"
MAX_PENDING = 1024
"""Distinct VMC names kept while waiting for an Apply; more are ignored."""

Frame = dict[str, float]


def clamp_unit(value: object) -> float | None:
    """``value`` as a float clamped to [0, 1]; ``None`` for NaN and non-numbers."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    if math.isnan(number):
        return None
    return min(1.0, max(0.0, number))


class FrameDecoder:
    """Turns the messages of each datagram into complete frames (name → value in [0, 1]).

    Parameters
    ----------
    protocol
        ``"generic"``, ``"vmc"`` or ``"auto"`` (both at once).
    prefix
        Address prefix of the generic schema, ending with ``/``.
    """

    def __init__(self, protocol: str = AUTO, *, prefix: str = GENERIC_PREFIX) -> None:
        if protocol not in PROTOCOLS:
            raise ValueError(f"protocol {protocol!r} is unknown; expected one of {PROTOCOLS}")
        if not prefix.startswith("/") or not prefix.endswith("/"):
            raise ValueError(f"prefix {prefix!r} must start and end with '/'")
        self.protocol, self.prefix = protocol, prefix
        self.frames = 0
        """Frames completed so far."""
        self.messages = 0
        """Messages seen so far."""
        self.ignored = 0
        """Messages ignored so far (unknown address, wrong type tags, NaN, other protocol)."""
        self._pending: Frame = {}

    def feed(self, messages: Iterable[OscMessage]) -> list[Frame]:
        """Decode the messages of one datagram; return the frames it completed, in order."""
        frames: list[Frame] = []
        generic: Frame = {}
        for message in messages:
            self.messages += 1
            if message.address.startswith(self.prefix):
                self._generic(message, generic)
            elif message.address in (VMC_VALUE, VMC_APPLY):
                self._vmc(message, frames)
            else:
                self.ignored += 1
        if generic:
            frames.append(generic)
        self.frames += len(frames)
        return frames

    def reset(self) -> None:
        """Forget VMC values still waiting for their Apply."""
        self._pending = {}

    def _generic(self, message: OscMessage, frame: Frame) -> None:
        shape = message.address[len(self.prefix):]
        value = self._value(message, "f", 0)
        if self.protocol == VMC or not shape or "/" in shape or value is None:
            self.ignored += 1
        else:
            frame[shape] = value

    def _vmc(self, message: OscMessage, frames: list[Frame]) -> None:
        if self.protocol == GENERIC:
            self.ignored += 1
        elif message.address == VMC_APPLY:
            if message.tags:
                self.ignored += 1
                return
            frames.append(self._pending)
            self._pending = {}
        else:
            value = self._value(message, "sf", 1)
            name = message.args[0] if message.args else None
            full = len(self._pending) >= MAX_PENDING and name not in self._pending
            if value is None or not isinstance(name, str) or not name or full:
                self.ignored += 1
                return
            self._pending[name] = value

    @staticmethod
    def _value(message: OscMessage, tags: str, index: int) -> float | None:
        if message.tags != tags or message.args is None:
            return None
        return clamp_unit(message.args[index])
