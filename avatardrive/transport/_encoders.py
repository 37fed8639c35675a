"""Address schemas: frames → datagrams for generic OSC, the VMC protocol and VRChat.

Every encoder clamps values into their declared :class:`ValueRange` and maps NaN to the range's
``lo`` before anything is written, so NaN, infinities and out-of-range values never reach a
socket. Encoders prepare their packets once per name set and never sleep or block.

============  ===============================================  ===============================
schema        per frame                                        values
============  ===============================================  ===============================
``osc``       one bundle: ``<prefix><shape> f`` per shape,     clamped
              then ``<prefix>au/<channel> f`` per AU channel
              (``au=1``), then ``<prefix>read/<name> f`` per
              read-out value (``emotions=1``)
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
from collections.abc import Mapping, Sequence
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
    "Readout",
    "VRChatEncoder",
    "check_readout",
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


class Readout(Protocol):
    """Values computed from each frame's AU channels and sent with it (``emotions=1``: the
    emotion reader of ``avatardrive.synth``, handed in by whoever opens the sink).

    Attributes
    ----------
    names
        One name per value, the last part of its address (``happiness``, ``valence``).
    channels
        The AU channel order :meth:`update` expects ``frame.au`` in.
    ranges
        ``name -> (lo, hi)``; values are clamped into them like every other value.
    """

    names: tuple[str, ...]
    channels: tuple[str, ...]
    ranges: Mapping[str, tuple[float, float]]

    def update(self, au: FloatArray, time: float) -> FloatArray:
        """The values for one frame's AU channels at stream time ``time``, shape (len(names),)."""


class EncoderFactory(Protocol):
    """Builds a destination's encoder for a name set (:func:`make_encoder` is one)."""

    def __call__(self, destination: Destination, names: Sequence[str], *,
                 channels: Sequence[str] = (), ranges: ValueRange = UNIT_RANGE,
                 readout: Readout | None = None) -> Encoder:
        """The encoder for ``names`` (and ``channels``) in ``destination``'s schema."""
        ...


class BundleEncoder:
    """Fixed-layout encoder: frame values packed into prepared bundle bytes.

    Build it with :func:`osc_encoder` or :func:`vmc_encoder`. Values are ``frame.values``
    followed by ``frame.au`` (when the encoder has channels), then the read-out of ``frame.au``
    (when it has a ``readout``), one per float slot in order.
    """

    def __init__(
        self,
        messages: Sequence[SlotMessage],
        *,
        names: tuple[str, ...],
        channels: tuple[str, ...] = (),
        ranges: ValueRange = UNIT_RANGE,
        max_datagram: int = MAX_DATAGRAM,
        readout: Readout | None = None,
    ) -> None:
        self.names, self.channels, self.readout = names, channels, readout
        self._layouts = bundle_layouts(messages, max_datagram=max_datagram)
        read = readout.names if readout is not None else ()
        lo, hi = ranges.bounds([*names, *channels])
        if readout is not None:
            read_lo, read_hi = ValueRange(overrides=readout.ranges).bounds(read)
            lo, hi = np.concatenate([lo, read_lo]), np.concatenate([hi, read_hi])
        sizes = [len(names), len(channels), len(read)]
        self._bounds = _segments(lo, sizes), _segments(hi, sizes)
        self._clean = np.zeros(sum(sizes), dtype=np.float32)
        self._outs = _segments(self._clean, sizes)
        self._chunks = _chunks(self._clean, [layout.slots for layout in self._layouts])

    @property
    def layouts(self) -> tuple[PacketLayout, ...]:
        """The prepared datagrams (one unless the frame needed splitting)."""
        return tuple(self._layouts)

    def encode(self, frame: Frame) -> Sequence[bytearray]:
        """Clamp the frame's values into the prepared bundle(s); return them (shared buffers)."""
        (lo, lo_au, lo_read), (hi, hi_au, hi_read) = self._bounds
        sanitize(frame.values, lo, hi, out=self._outs[0])
        if self.channels:
            sanitize(frame.au, lo_au, hi_au, out=self._outs[1])
        if self.readout is not None:
            sanitize(self.readout.update(frame.au, frame.time), lo_read, hi_read,
                     out=self._outs[2])  # fmt: skip
        pairs = zip(self._layouts, self._chunks, strict=True)
        return [layout.pack(chunk) for layout, chunk in pairs]


def osc_encoder(
    names: Sequence[str],
    *,
    channels: Sequence[str] = (),
    prefix: str = "/avatardrive/",
    ranges: ValueRange = UNIT_RANGE,
    max_datagram: int = MAX_DATAGRAM,
    readout: Readout | None = None,
) -> BundleEncoder:
    """Generic schema: ``<prefix><shape> f`` per shape, ``<prefix>au/<channel> f`` per channel,
    ``<prefix>read/<name> f`` per value of ``readout`` (computed from ``frame.au``).

    Raises
    ------
    TransportError
        If a name cannot be part of an OSC address (spaces, ``/``, ``#*,?[]{}``).
    """
    addresses = [prefix + _address_part(n, "names", i) for i, n in enumerate(names)]
    addresses += [f"{prefix}au/{_address_part(c, 'channels', i)}" for i, c in enumerate(channels)]
    if readout is not None:
        addresses += [f"{prefix}read/{_address_part(n, 'readout', i)}"
                      for i, n in enumerate(readout.names)]  # fmt: skip
    messages = [slot_message(address) for address in addresses]
    return BundleEncoder(messages, names=tuple(names), channels=tuple(channels), ranges=ranges,
                         max_datagram=max_datagram, readout=readout)


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
    readout: Readout | None = None,
) -> Encoder:
    """The encoder of ``destination``'s schema for this name set.

    ``channels`` (the AU channels the frames carry) are encoded only by ``osc`` destinations
    with ``au=1``; others ignore them. ``readout`` is sent by ``osc`` destinations with
    ``emotions=1``, which need one.

    Raises
    ------
    TransportError
        ``emotions=1`` without a ``readout``, or with frames whose AU channels are not the ones
        it reads.
    """
    if destination.scheme == "vmc":
        return vmc_encoder(names, ranges=ranges)
    if destination.scheme == "vrchat":
        return VRChatEncoder(names, prefix=destination.prefix, ranges=ranges,
                             keepalive=destination.keepalive, max_rate=destination.max_rate)
    if destination.scheme == "osc":
        if destination.emotions:
            check_readout(destination, readout, channels)
        return osc_encoder(names, channels=channels if destination.au else (),
                           prefix=destination.prefix, ranges=ranges,
                           readout=readout if destination.emotions else None)  # fmt: skip
    raise TransportError(f"scheme {destination.scheme!r} has no encoder; expected osc, vmc or "
                         f"vrchat", source=destination.url)


def check_readout(
    destination: Destination, readout: Readout | None, channels: Sequence[str]
) -> None:
    """Refuse ``emotions=1`` without a read-out, or with frames lacking its AU channels."""
    if readout is None:
        raise TransportError("asks for the emotion read-out, but no reader was handed to the "
                             "sink; expected UdpSink(..., readout=EmotionReader())",
                             source=destination.url, where="query key 'emotions'")  # fmt: skip
    if tuple(channels) != tuple(readout.channels):
        raise TransportError(f"the read-out needs each frame's {len(readout.channels)} AU "
                             f"channels; these frames carry {len(channels)}; expected frames "
                             f"with the AU channels (Frame.channels, Frame.au)",
                             source=destination.url, where="query key 'emotions'")  # fmt: skip


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


def _segments(array: FloatArray, sizes: Sequence[int]) -> tuple[FloatArray, ...]:
    edges = np.cumsum([0, *sizes]).tolist()
    return tuple(array[a:b] for a, b in itertools.pairwise(edges))


def _chunks(array: FloatArray, sizes: Sequence[int]) -> list[FloatArray]:
    edges = np.cumsum([0, *sizes]).tolist()
    return [array[a:b] for a, b in itertools.pairwise(edges)]
