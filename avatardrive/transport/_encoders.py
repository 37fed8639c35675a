"""Address schemas: frames → datagrams for generic OSC, the VMC protocol and VRChat.

Every encoder clamps values into their declared :class:`ValueRange` and maps NaN to the range's
``lo`` before anything is written, so NaN, infinities and out-of-range values never reach a
socket. Encoders prepare their packets once per name set and never sleep or block.

============  ===============================================  ===============================
schema        per frame                                        values
============  ===============================================  ===============================
``osc``       one bundle: ``<prefix><shape> f`` per shape,     clamped
              then ``<prefix>au/<channel> f`` per AU channel
``vmc``       one bundle: ``/VMC/Ext/Blend/Val s f`` per       clamped
              shape, then ``/VMC/Ext/Blend/Apply``
``vrchat``    one plain message ``<prefix><Name> f`` per       clamped, quantized to 1/127,
              value that changed (or is due a keep-alive)      change-only, rate-capped
============  ===============================================  ===============================

A frame too big for one datagram is split into several bundles (order kept, Apply last).
"""

from __future__ import annotations

import itertools
import re
import struct
from collections.abc import Sequence
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from avatardrive.errors import ParameterError, TransportError
from avatardrive.transport._destination import Destination
from avatardrive.transport._frame import UNIT_RANGE, FloatArray, Frame, ValueRange, sanitize
from avatardrive.transport._layout import (
    MAX_DATAGRAM,
    PacketLayout,
    SlotMessage,
    bundle_layouts,
    slot_message,
)
from avatardrive.transport._osc import osc_string

__all__ = [
    "VMC_APPLY",
    "VMC_VALUE",
    "BundleEncoder",
    "Datagram",
    "Encoder",
    "EncoderFactory",
    "VRChatEncoder",
    "make_encoder",
    "osc_encoder",
    "vmc_encoder",
]

Datagram = bytes | bytearray
VMC_VALUE = "/VMC/Ext/Blend/Val"
VMC_APPLY = "/VMC/Ext/Blend/Apply"
_ADDRESS_PART = re.compile(r"[^\s#*,?\[\]{}/\x00-\x1f\x7f]+")
_BURST_WINDOW = 0.1  # seconds of VRChat rate budget that may be spent at once


class Encoder(Protocol):
    """Turns one frame into the datagrams to send, in order."""

    names: tuple[str, ...]
    channels: tuple[str, ...]

    def encode(self, frame: Frame) -> Sequence[Datagram]:
        """Datagrams for ``frame``; they may be shared buffers, valid until the next call."""
        ...


class EncoderFactory(Protocol):
    """Builds a destination's encoder for a name set (:func:`make_encoder` is one)."""

    def __call__(self, destination: Destination, names: Sequence[str], *,
                 channels: Sequence[str] = (), ranges: ValueRange = UNIT_RANGE) -> Encoder:
        """The encoder for ``names`` (and ``channels``) in ``destination``'s schema."""
        ...


class BundleEncoder:
    """Fixed-layout encoder: frame values packed into prepared bundle bytes.

    Build it with :func:`osc_encoder` or :func:`vmc_encoder`. Values are ``frame.values``
    followed by ``frame.au`` (when the encoder has channels), one per float slot in order.
    """

    def __init__(
        self,
        messages: Sequence[SlotMessage],
        *,
        names: tuple[str, ...],
        channels: tuple[str, ...] = (),
        ranges: ValueRange = UNIT_RANGE,
        max_datagram: int = MAX_DATAGRAM,
    ) -> None:
        self.names, self.channels = names, channels
        self._layouts = bundle_layouts(messages, max_datagram=max_datagram)
        lo, hi = ranges.bounds([*names, *channels])
        self._bounds = _split(lo, len(names)), _split(hi, len(names))
        self._clean = np.zeros(len(names) + len(channels), dtype=np.float32)
        self._outs = _split(self._clean, len(names))
        self._chunks = _chunks(self._clean, [layout.slots for layout in self._layouts])

    @property
    def layouts(self) -> tuple[PacketLayout, ...]:
        """The prepared datagrams (one unless the frame needed splitting)."""
        return tuple(self._layouts)

    def encode(self, frame: Frame) -> Sequence[bytearray]:
        """Clamp the frame's values into the prepared bundle(s); return them (shared buffers)."""
        (lo, lo_au), (hi, hi_au) = self._bounds
        sanitize(frame.values, lo, hi, out=self._outs[0])
        if self.channels:
            sanitize(frame.au, lo_au, hi_au, out=self._outs[1])
        pairs = zip(self._layouts, self._chunks, strict=True)
        return [layout.pack(chunk) for layout, chunk in pairs]


def osc_encoder(
    names: Sequence[str],
    *,
    channels: Sequence[str] = (),
    prefix: str = "/avatardrive/",
    ranges: ValueRange = UNIT_RANGE,
    max_datagram: int = MAX_DATAGRAM,
) -> BundleEncoder:
    """Generic schema: ``<prefix><shape> f`` per shape, ``<prefix>au/<channel> f`` per channel.

    Raises
    ------
    TransportError
        If a name cannot be part of an OSC address (spaces, ``/``, ``#*,?[]{}``).
    """
    addresses = [prefix + _address_part(n, "names", i) for i, n in enumerate(names)]
    addresses += [f"{prefix}au/{_address_part(c, 'channels', i)}" for i, c in enumerate(channels)]
    messages = [slot_message(address) for address in addresses]
    return BundleEncoder(messages, names=tuple(names), channels=tuple(channels), ranges=ranges,
                         max_datagram=max_datagram)


def vmc_encoder(
    names: Sequence[str],
    *,
    ranges: ValueRange = UNIT_RANGE,
    max_datagram: int = MAX_DATAGRAM,
) -> BundleEncoder:
    """VMC protocol: ``/VMC/Ext/Blend/Val s f`` per shape, then ``/VMC/Ext/Blend/Apply``."""
    for i, name in enumerate(names):
        _check_string(name, "names", i)
    messages = [slot_message(VMC_VALUE, [name]) for name in names]
    messages.append(slot_message(VMC_APPLY, slot=False))
    return BundleEncoder(messages, names=tuple(names), ranges=ranges, max_datagram=max_datagram)


class VRChatEncoder:
    """VRChat avatar parameters: quantized, change-only, rate-capped plain messages.

    Per frame, a value is due if its quantized value differs from the last one sent, or if it
    was last sent ``keepalive`` seconds ago or more (stream time, ``frame.time``). At most
    ``max_rate`` messages per second go out (a token bucket holding 0.1 s of budget); when more
    are due, the ones sent longest ago go first and the rest wait for the next frames. Time
    running backwards (a restarted stream) resends everything.

    Parameters
    ----------
    names
        Parameter names, appended to ``prefix``.
    prefix
        Address prefix, e.g. ``/avatar/parameters/FT/v2/`` (VRCFaceTracking) or
        ``/avatar/parameters/``.
    ranges
        Declared ranges; combined axes such as ``JawX`` need overrides to ``(-1, 1)``.
    keepalive
        Seconds after which an unchanged value is sent again.
    max_rate
        Messages per second, at most.
    addresses
        Full addresses, one per name, instead of ``prefix + name`` (discovered avatars).
    """

    def __init__(
        self,
        names: Sequence[str],
        *,
        prefix: str = "/avatar/parameters/FT/v2/",
        ranges: ValueRange = UNIT_RANGE,
        keepalive: float = 1.0,
        max_rate: float = 2000.0,
        addresses: Sequence[str] | None = None,
    ) -> None:
        for key, number in (("keepalive", keepalive), ("max_rate", max_rate)):
            if not (np.isfinite(number) and number > 0):
                raise ParameterError(f"{key} is {number!r}; expected a finite number above 0")
        self.names: tuple[str, ...] = tuple(names)
        self.channels: tuple[str, ...] = ()
        self.keepalive, self.max_rate = keepalive, max_rate
        self.capped = 0
        """Due messages held back by the rate cap so far."""
        if addresses is None:
            addresses = [prefix + _address_part(n, "names", i) for i, n in enumerate(names)]
        elif len(addresses) != len(self.names):
            raise ParameterError(f"{len(addresses)} addresses for {len(self.names)} names; "
                                 f"expected one address per name")
        self._messages = [bytearray(osc_string(a) + osc_string(",f") + bytes(4)) for a in addresses]
        self._lo, self._hi = ranges.bounds(self.names)
        self._clean = np.zeros(len(names), dtype=np.float32)
        self._burst = max(1.0, max_rate * _BURST_WINDOW)
        self._reset()

    def spend(self, messages: int) -> None:
        """Count ``messages`` sent outside this encoder (bools) against the rate budget."""
        self._tokens -= messages

    def encode(self, frame: Frame) -> list[bytearray]:
        """Messages for the due values of ``frame`` (shared buffers, valid until the next call)."""
        self._refill(frame.time)
        quantized = self._quantize(frame.values)
        stale = (frame.time - self._sent_at) >= self.keepalive
        due = self._within_budget(np.flatnonzero((quantized != self._last) | stale))
        self._last[due] = quantized[due]
        self._sent_at[due] = frame.time
        return [self._pack(i, float(quantized[i])) for i in due.tolist()]

    def _reset(self) -> None:
        self._last = np.full(len(self.names), np.nan, dtype=np.float32)
        self._sent_at = np.full(len(self.names), -np.inf)
        self._tokens, self._time = self._burst, -np.inf

    def _refill(self, time: float) -> None:
        if time < self._time:
            self._reset()
        elif np.isfinite(self._time):
            self._tokens = min(self._burst, self._tokens + (time - self._time) * self.max_rate)
        self._time = time

    def _quantize(self, values: FloatArray) -> FloatArray:
        clean = sanitize(values, self._lo, self._hi, out=self._clean)
        steps = np.round(clean * np.float32(127)) / np.float32(127)
        return sanitize(steps.astype(np.float32), self._lo, self._hi, out=self._clean)

    def _within_budget(self, due: NDArray[np.intp]) -> NDArray[np.intp]:
        budget = max(0, int(self._tokens))
        if len(due) > budget:
            oldest_first = np.argsort(self._sent_at[due], kind="stable")
            self.capped += len(due) - budget
            due = np.sort(due[oldest_first[:budget]])
        self._tokens -= len(due)
        return due

    def _pack(self, index: int, value: float) -> bytearray:
        message = self._messages[index]
        struct.pack_into(">f", message, len(message) - 4, value)
        return message


def make_encoder(
    destination: Destination,
    names: Sequence[str],
    *,
    channels: Sequence[str] = (),
    ranges: ValueRange = UNIT_RANGE,
) -> Encoder:
    """The encoder of ``destination``'s schema for this name set.

    ``channels`` are encoded only by ``osc`` destinations with ``au=1``; others ignore them.
    """
    if destination.scheme == "vmc":
        return vmc_encoder(names, ranges=ranges)
    if destination.scheme == "vrchat":
        return VRChatEncoder(names, prefix=destination.prefix, ranges=ranges,
                             keepalive=destination.keepalive, max_rate=destination.max_rate)
    if destination.scheme == "osc":
        return osc_encoder(names, channels=channels if destination.au else (),
                           prefix=destination.prefix, ranges=ranges)
    raise TransportError(f"scheme {destination.scheme!r} has no encoder; expected osc, vmc or "
                         f"vrchat", source=destination.url)


def _address_part(name: str, kind: str, index: int) -> str:
    if not _ADDRESS_PART.fullmatch(name):
        raise TransportError(f"{name!r} cannot be part of an OSC address; expected a non-empty "
                             f"name without spaces, control characters or any of /#*,?[]{{}}",
                             where=f"{kind}[{index}]")
    return name


def _check_string(name: str, kind: str, index: int) -> None:
    if not name or "\x00" in name:
        raise TransportError(f"{name!r} cannot be an OSC string; expected a non-empty name "
                             f"without NUL", where=f"{kind}[{index}]")


def _split(array: FloatArray, at: int) -> tuple[FloatArray, FloatArray]:
    return array[:at], array[at:]


def _chunks(array: FloatArray, sizes: Sequence[int]) -> list[FloatArray]:
    edges = np.cumsum([0, *sizes]).tolist()
    return [array[a:b] for a, b in itertools.pairwise(edges)]
