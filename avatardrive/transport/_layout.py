"""Fixed packet layouts: bundle bytes prepared once, only float32 slots rewritten per frame.

Every OSC element is a multiple of 4 bytes long, so every float slot of a bundle sits at a
4-aligned offset: the prepared ``bytearray`` is viewed as a big-endian float32 array and a frame
is packed with one fancy-indexed assignment (numpy does the byte swap). The bytes are identical
to what python-osc's builders produce for the same content.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from avatardrive.errors import TransportError
from avatardrive.transport._frame import FloatArray
from avatardrive.transport._osc import BUNDLE_TAG, IMMEDIATE, osc_string

__all__ = ["MAX_DATAGRAM", "PacketLayout", "SlotMessage", "bundle_layouts", "slot_message"]

MAX_DATAGRAM = 65507
"""Largest UDP payload over IPv4; bigger frames are split into several bundles."""

_BUNDLE_HEAD = BUNDLE_TAG + IMMEDIATE.to_bytes(8, "big")


@dataclass(frozen=True, slots=True)
class SlotMessage:
    """An encoded message whose last ``floats`` arguments are float32 slots filled per frame.

    ``head`` holds everything before those floats: address, type tags, leading arguments.
    """

    head: bytes
    floats: int = 1

    @property
    def slot(self) -> bool:
        """Whether the message has float slots."""
        return self.floats > 0

    @property
    def size(self) -> int:
        """Encoded size in bytes."""
        return len(self.head) + 4 * self.floats


def slot_message(
    address: str, leading: Sequence[str] = (), *, slot: bool = True, floats: int | None = None
) -> SlotMessage:
    """A message ``address`` with string arguments ``leading`` then float slots.

    One float slot if ``slot`` (none otherwise), or ``floats`` of them when given (VMC's
    ``/VMC/Ext/Bone/Pos`` has seven: position x y z, rotation x y z w).

    >>> slot_message("/VMC/Ext/Blend/Val", ["Joy"]).head
    b'/VMC/Ext/Blend/Val\\x00\\x00,sf\\x00Joy\\x00'
    """
    count = (1 if slot else 0) if floats is None else floats
    tags = "," + "s" * len(leading) + "f" * count
    head = osc_string(address) + osc_string(tags) + b"".join(osc_string(s) for s in leading)
    return SlotMessage(head, count)


class PacketLayout:
    """One datagram whose bytes are fixed except for big-endian float32 slots.

    Parameters
    ----------
    template
        The datagram with any float values in the slots.
    slots
        Byte offsets of the float slots, each a multiple of 4, in value order.
    """

    __slots__ = ("_floats", "_slots", "buffer")

    def __init__(self, template: bytes, slots: Sequence[int]) -> None:
        if len(template) % 4 or any(offset % 4 for offset in slots):
            raise TransportError("layout is not 4-byte aligned; expected OSC elements")
        self.buffer = bytearray(template)
        self._floats = np.frombuffer(self.buffer, dtype=">f4")
        self._slots = np.asarray(slots, dtype=np.intp) // 4

    @property
    def slots(self) -> int:
        """Number of float slots."""
        return len(self._slots)

    def pack(self, values: FloatArray) -> bytearray:
        """Write ``values`` (shape (slots,)) into the slots; return the shared buffer.

        The buffer is rewritten by the next call: send it before packing again.
        """
        self._floats[self._slots] = values
        return self.buffer


def bundle_layouts(
    messages: Sequence[SlotMessage], *, max_datagram: int = MAX_DATAGRAM
) -> list[PacketLayout]:
    """Lay ``messages`` out as immediate bundles, as few as fit in ``max_datagram`` bytes each.

    Messages keep their order across bundles, so a trailing message (VMC's Apply) stays last.

    Raises
    ------
    TransportError
        If one message alone does not fit in a datagram.
    """
    layouts: list[PacketLayout] = []
    chunk: list[SlotMessage] = []
    size = len(_BUNDLE_HEAD)
    for message in messages:
        if 4 + message.size + len(_BUNDLE_HEAD) > max_datagram:
            raise TransportError(f"a {message.size}-byte message does not fit in a datagram; "
                                 f"expected at most {max_datagram - 20} bytes",
                                 where=repr(message.head[:40]))
        if size + 4 + message.size > max_datagram:
            layouts.append(_bundle_layout(chunk))
            chunk, size = [], len(_BUNDLE_HEAD)
        chunk.append(message)
        size += 4 + message.size
    layouts.append(_bundle_layout(chunk))
    return layouts


def _bundle_layout(messages: Sequence[SlotMessage]) -> PacketLayout:
    parts = [_BUNDLE_HEAD]
    slots: list[int] = []
    offset = len(_BUNDLE_HEAD)
    for message in messages:
        parts += [message.size.to_bytes(4, "big"), message.head, b"\x00" * (4 * message.floats)]
        offset += 4 + len(message.head)
        for _ in range(message.floats):
            slots.append(offset)
            offset += 4
    return PacketLayout(b"".join(parts), slots)
