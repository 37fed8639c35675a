"""OSC messages → blendshape frames, for avatardrive's generic schema and the VMC protocol.

========  =====================================================  ==========================
schema    messages                                               a frame is complete
========  =====================================================  ==========================
generic   ``<prefix><shape> ,f <value>`` (``<prefix>au/...``     at the end of each datagram
          AU channels and deeper paths are ignored);             (one bundle = one frame)
          ``<prefix>head ,fff`` and ``<prefix>gaze ,ff``
          (degrees) rotate the Head and both eye bones
vmc       ``/VMC/Ext/Blend/Val ,sf <name> <value>``;             at ``/VMC/Ext/Blend/Apply``
          ``/VMC/Ext/Bone/Pos ,sfffffff <bone> <pos> <quat>``
========  =====================================================  ==========================

Values are clamped to [0, 1]; NaN is ignored. Bone rotations are kept in :attr:`FrameDecoder.poses`
(Unity quaternions x, y, z, w, normalized; see :mod:`.bones`); positions are not used: avatardrive
sends rotations of the head and eyes only. Unknown addresses and wrong type tags are ignored
(counted in :attr:`FrameDecoder.ignored`). VMC values received without their Apply stay pending
until an Apply arrives, in this datagram or a later one. Pure Python 3.9+, no bpy.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from .bones import Quaternion, gaze_rotation, head_rotation
from .osc import OscMessage

__all__ = [
    "AUTO",
    "GENERIC",
    "GENERIC_PREFIX",
    "PROTOCOLS",
    "VMC",
    "VMC_APPLY",
    "VMC_BONE",
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
VMC_BONE = "/VMC/Ext/Bone/Pos"
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
        self.poses: dict[str, Quaternion] = {}
        """The newest rotation of each bone (Unity x, y, z, w), from completed frames."""
        self.pose_frames = 0
        """Frames that brought bone rotations."""
        self._pending_poses: dict[str, Quaternion] = {}

    def feed(self, messages: Iterable[OscMessage]) -> list[Frame]:
        """Decode the messages of one datagram; return the frames it completed, in order."""
        frames: list[Frame] = []
        generic: Frame = {}
        generic_poses: dict[str, Quaternion] = {}
        for message in messages:
            self.messages += 1
            if message.address.startswith(self.prefix):
                if not self._generic_pose(message, generic_poses):
                    self._generic(message, generic)
            elif message.address in (VMC_VALUE, VMC_APPLY, VMC_BONE):
                self._vmc(message, frames)
            else:
                self.ignored += 1
        if generic:
            frames.append(generic)
        if generic_poses:
            self._commit(generic_poses)
        self.frames += len(frames)
        return frames

    def reset(self) -> None:
        """Forget VMC values still waiting for their Apply."""
        self._pending = {}
        self._pending_poses = {}

    def _commit(self, poses: dict[str, Quaternion]) -> None:
        self.poses.update(poses)
        self.pose_frames += 1

    def _generic_pose(self, message: OscMessage, poses: dict[str, Quaternion]) -> bool:
        """Handle ``<prefix>head`` / ``<prefix>gaze``; False if the message is neither."""
        part = message.address[len(self.prefix):]
        if part not in ("head", "gaze"):
            return False
        angles = _finite(message.args) if message.tags == ("fff" if part == "head" else "ff") \
            else None
        if self.protocol == VMC or angles is None:
            self.ignored += 1
        elif part == "head":
            poses["Head"] = head_rotation(*angles)
        else:
            poses["LeftEye"] = poses["RightEye"] = gaze_rotation(*angles)
        return True

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
            if self._pending_poses:
                self._commit(self._pending_poses)
                self._pending_poses = {}
        elif message.address == VMC_BONE:
            values = _finite(message.args[1:]) if message.tags == "sfffffff" and message.args \
                else None
            name = message.args[0] if message.args else None
            norm = math.sqrt(sum(v * v for v in values[3:])) if values else 0.0
            if not isinstance(name, str) or not name or values is None or norm < 1e-6 or (
                    len(self._pending_poses) >= MAX_PENDING and name not in self._pending_poses):
                self.ignored += 1
                return
            x, y, z, w = (v / norm for v in values[3:])
            self._pending_poses[name] = (x, y, z, w)
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


def _finite(args: object) -> tuple[float, ...] | None:
    """The arguments as floats if all are finite numbers, else ``None``."""
    if not isinstance(args, tuple):
        return None
    values = []
    for arg in args:
        if isinstance(arg, bool) or not isinstance(arg, (int, float)) or not math.isfinite(arg):
            return None
        values.append(float(arg))
    return tuple(values)
