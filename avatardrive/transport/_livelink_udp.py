"""Live Link Face's UDP packet, as the iPhone app streams it to Unreal Engine (port 11111).

One big-endian datagram per frame (PROTOCOLS.md, "Live Link Face")::

    uint8    version = 6
    int32    length, then the device id (UTF-8, a 36-character UUID)
    int32    length, then the subject name (UTF-8)
    int32    frame number        float32  sub-frame
    int32    fps numerator       int32    fps denominator
    uint8    count = 61
    float32  x 61: the 52 ARKit shapes in the packet's order (JawLeft before JawRight, MouthLeft
             before MouthRight: :data:`avatardrive._shapes.LIVE_LINK_PACKET_SHAPES`), then
             HeadYaw, HeadPitch, HeadRoll, LeftEyeYaw, LeftEyePitch, LeftEyeRoll, RightEyeYaw,
             RightEyePitch, RightEyeRoll (radians, Live Link's signs: transport/_livelink.py)

The frame number and sub-frame are the frame's stream time at ``fps`` (whole and fractional
frames). The bytes before the frame number never change, so the packet is prepared once and only
the numbers are rewritten per frame.
"""

from __future__ import annotations

import math
import struct
import uuid
from collections.abc import Sequence

import numpy as np

from avatardrive._shapes import LIVE_LINK_PACKET_SHAPES, LIVE_LINK_ROTATIONS, shape_key
from avatardrive.errors import ParameterError, TransportError
from avatardrive.transport._frame import UNIT_RANGE, Frame, ValueRange, sanitize
from avatardrive.transport._livelink import livelink_rotations

__all__ = ["LIVE_LINK_VERSION", "LiveLinkEncoder", "livelink_packet_head"]

LIVE_LINK_VERSION = 6
_VALUES = (*LIVE_LINK_PACKET_SHAPES, *LIVE_LINK_ROTATIONS)  # 61
_KEYS = {shape_key(name): i for i, name in enumerate(_VALUES)}
_TIMING = struct.Struct(">ifii")
_ROTATION_LIMIT = math.pi  # radians: a head or eye never turns further
_MAX_FRAME = 2**31 - 1


def livelink_packet_head(device: str, subject: str) -> bytes:
    """The fixed start of every packet: version, device id and subject name."""
    parts = [bytes([LIVE_LINK_VERSION])]
    for text in (device, subject):
        data = text.encode("utf-8")
        parts += [struct.pack(">i", len(data)), data]
    return b"".join(parts)


class LiveLinkEncoder:
    """Frames -> Live Link Face packets (one datagram per frame, a shared buffer).

    Parameters
    ----------
    names
        The frame's shape names: ARKit names in any spelling (``eyeBlinkLeft``,
        ``EyeBlinkLeft``), or the rotation names (``HeadYaw`` ...) of a replayed take.
    bones
        The frame's bones; when given, the head and eye values come from their angles.
    ranges
        Declared shape ranges (clamped; NaN -> lo). Rotations: NaN -> 0, clamped to ±pi.
    subject, device
        Subject name Unreal lists, device id (a new UUID when empty).
    fps
        Frame rate of the frame number (numerator; the denominator is 1).

    Raises
    ------
    TransportError
        A name is no ARKit shape or Live Link rotation, or repeats one.
    """

    def __init__(
        self,
        names: Sequence[str],
        *,
        bones: Sequence[str] = (),
        ranges: ValueRange = UNIT_RANGE,
        subject: str = "avatardrive",
        device: str = "",
        fps: int = 60,
    ) -> None:
        if isinstance(fps, bool) or not isinstance(fps, int) or fps < 1:
            raise ParameterError(f"fps is {fps!r}; expected a whole frame rate such as 60")
        self.names: tuple[str, ...] = tuple(names)
        self.channels: tuple[str, ...] = ()
        self.bones: tuple[str, ...] = tuple(bones)
        self.fps = fps
        self.device = device or str(uuid.uuid4())
        self.subject = subject
        columns = [_KEYS.get(shape_key(name), -1) for name in self.names]
        for i, (name, column) in enumerate(zip(self.names, columns, strict=True)):
            if column < 0 or columns.index(column) != i:
                problem = "is no Live Link Face value" if column < 0 else "repeats a value"
                raise TransportError(f"name {name!r} {problem}; expected ARKit 52 names "
                                     f"(eyeBlinkLeft … tongueOut) or head/eye rotations, once "
                                     f"each", where=f"names[{i}]")
        self._columns = np.array(columns, dtype=np.intp)
        head = livelink_packet_head(self.device, subject)
        self._timing_at = len(head)
        self.buffer = bytearray(head + bytes(_TIMING.size) + bytes([len(_VALUES)])
                                + bytes(4 * len(_VALUES)))  # fmt: skip
        # an unaligned big-endian view over the 61 floats: numpy writes it byte-swapped
        self._floats = np.frombuffer(self.buffer, dtype=">f4", count=len(_VALUES),
                                     offset=self._timing_at + _TIMING.size + 1)
        self._row = np.zeros(len(_VALUES), dtype=np.float32)
        shapes = len(LIVE_LINK_PACKET_SHAPES)
        lo, hi = ranges.bounds(LIVE_LINK_PACKET_SHAPES)
        limit = np.full(len(LIVE_LINK_ROTATIONS), _ROTATION_LIMIT, dtype=np.float32)
        self._lo, self._hi = np.concatenate([lo, -limit]), np.concatenate([hi, limit])
        self._rotations = self._row[shapes:]

    def encode(self, frame: Frame) -> list[bytearray]:
        """The packet of ``frame`` (a shared buffer, valid until the next call)."""
        self._row[self._columns] = frame.values
        if self.bones:
            if frame.bones != self.bones:
                raise TransportError(f"frame bones {frame.bones} differ from the encoder's "
                                     f"{self.bones}; expected one bone set per stream",
                                     where=f"frame {frame.index}")
            livelink_rotations(frame.bones, frame.angles, out=self._rotations)
        np.nan_to_num(self._rotations, copy=False, nan=0.0)
        sanitize(self._row, self._lo, self._hi, out=self._row)
        self._floats[:] = self._row
        frames = max(frame.time, 0.0) * self.fps
        if not math.isfinite(frames):
            frames = 0.0
        whole = math.floor(frames)
        number = whole % (_MAX_FRAME + 1)
        _TIMING.pack_into(self.buffer, self._timing_at, number, frames - whole, self.fps, 1)
        return [self.buffer]
