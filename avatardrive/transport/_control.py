"""Control input: OSC commands from an engine or show controller, checked and queued.

=============================  =================================================================
address (prefix configurable)  arguments
=============================  =================================================================
``/avatardrive/emotion``       name ``s``, intensity ``f`` in [0, 1], then optionally onset,
                               apex, offset ``f`` seconds (onset/offset in (0, 60], apex [0, 60])
``/avatardrive/micro``         name ``s``, intensity ``f`` in [0, 1]
``/avatardrive/au``            channel ``s``, intensity ``f`` in [0, 1], duration ``f`` (0, 60]
``/avatardrive/mood``          valence ``f``, arousal ``f`` in [-1, 1], then optionally the ease
                               ``f`` in seconds (0, 60] (default: the mixer's, by distance)
``/avatardrive/neutral``       none
``/avatardrive/calibrate``     none
=============================  =================================================================

Numbers may come as ``f``, ``d``, ``i`` or ``h``; they must be finite. Names must be non-empty
printable strings of at most 64 characters (which names exist is the synth layer's business).
Messages inside bundles are handled in order; bundle timetags are ignored (commands apply on
arrival). Oversized, malformed and unknown packets are counted and ignored, with one warning
per kind of problem; the listener only ever builds the frozen dataclasses below — nothing a
peer sends is executed.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from avatardrive.errors import ParameterError, TransportError
from avatardrive.transport._log import WarnOnce
from avatardrive.transport._osc import OscArg, OscMessage, iter_messages, parse_packet
from avatardrive.transport._receiver import DatagramReceiver, Peer

__all__ = [
    "Calibrate",
    "ControlCommand",
    "ControlListener",
    "ControlStats",
    "Neutral",
    "SetMood",
    "TriggerAU",
    "TriggerEmotion",
    "parse_command",
]

logger = logging.getLogger(__name__)

MAX_NAME = 64
MAX_DURATION = 60.0


@dataclass(frozen=True)
class TriggerEmotion:
    """Play an emotion (or a micro-expression) on top of the stream; ``None`` = synth default."""

    name: str
    intensity: float
    onset: float | None = None
    apex: float | None = None
    offset: float | None = None
    micro: bool = False


@dataclass(frozen=True)
class TriggerAU:
    """Pulse one AU channel (``AU12_L``, or a bilateral ``AU12``) for ``duration`` seconds."""

    channel: str
    intensity: float
    duration: float


@dataclass(frozen=True)
class SetMood:
    """Move the background mood to (valence, arousal), eased over ``ease`` seconds
    (``None`` = the mixer's default)."""

    valence: float
    arousal: float
    ease: float | None = None


@dataclass(frozen=True)
class Neutral:
    """Relax every triggered layer to neutral."""


@dataclass(frozen=True)
class Calibrate:
    """Capture the current face as the neutral reference."""


ControlCommand = TriggerEmotion | TriggerAU | SetMood | Neutral | Calibrate


@dataclass(frozen=True)
class ControlStats:
    """Counters of a control listener.

    Attributes
    ----------
    received
        Datagrams received.
    accepted
        Commands queued.
    malformed
        Datagrams that are oversized or not OSC, and command messages with bad arguments.
    unknown_address
        Well-formed messages whose address is not a command.
    dropped
        Valid commands dropped because the queue was full.
    """

    received: int = 0
    accepted: int = 0
    malformed: int = 0
    unknown_address: int = 0
    dropped: int = 0


def parse_command(message: OscMessage, *, prefix: str = "/avatardrive") -> ControlCommand | None:
    """The command a message carries, ``None`` if its address is not a command.

    Raises
    ------
    TransportError
        If the address is a command but the arguments are not as documented.
    """
    head, _, verb = message.address.rpartition("/")
    parse = _PARSERS.get(verb) if head == prefix else None
    return None if parse is None else parse(_Args(message))


class ControlListener:
    """Listen for control commands on UDP and queue them for the real-time loop.

    Parameters
    ----------
    port
        UDP port; 0 picks a free one (see :attr:`address`).
    host
        Interface to bind: loopback unless told otherwise.
    prefix
        Address prefix of the commands.
    queue_size
        Commands held until :meth:`poll`; more are dropped and counted.
    poll_limit
        Most commands one :meth:`poll` hands over (the oldest; the rest wait for the next). A
        real-time loop polls once a frame and a trigger costs the mixer about 0.1 ms, so a flood
        cannot stall the frame: it fills the queue and is dropped, counted.
    max_datagram
        Larger datagrams are dropped unread (counted as malformed).
    max_depth
        Deepest bundle nesting accepted.
    """

    def __init__(
        self,
        port: int = 0,
        *,
        host: str = "127.0.0.1",
        prefix: str = "/avatardrive",
        queue_size: int = 256,
        poll_limit: int = 8,
        max_datagram: int = 65536,
        max_depth: int = 4,
    ) -> None:
        if queue_size < 1 or poll_limit < 1 or max_datagram < 16 or max_depth < 0:
            raise ParameterError(f"queue_size={queue_size}, poll_limit={poll_limit}, "
                                 f"max_datagram={max_datagram}, max_depth={max_depth}; expected "
                                 f"at least 1, 1, 16 and 0")
        self._prefix, self._max_datagram, self._max_depth = prefix, max_datagram, max_depth
        self._queue: deque[ControlCommand] = deque()
        self._queue_size, self._poll_limit = queue_size, poll_limit
        self._lock = threading.Lock()
        self._warn = WarnOnce(logger)
        self._counts = dict.fromkeys(ControlStats.__dataclass_fields__, 0)
        self._receiver = DatagramReceiver(self._handle, host=host, port=port,
                                          bufsize=max_datagram + 1, name="control listener")

    @property
    def address(self) -> tuple[str, int]:
        """The bound host and port."""
        return self._receiver.address

    @property
    def running(self) -> bool:
        """Whether the receiving thread is alive."""
        return self._receiver.running

    @property
    def stats(self) -> ControlStats:
        """A snapshot of the counters."""
        with self._lock:
            return ControlStats(**self._counts)

    def poll(self) -> list[ControlCommand]:
        """Take the queued commands, oldest first, at most ``poll_limit``, without blocking."""
        with self._lock:
            count = min(len(self._queue), self._poll_limit)
            return [self._queue.popleft() for _ in range(count)]

    def close(self) -> None:
        """Stop listening and close the socket."""
        self._receiver.close()

    def __enter__(self) -> ControlListener:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def _handle(self, data: bytes, peer: Peer) -> None:
        self._count("received")
        if len(data) > self._max_datagram:
            self._reject("oversize", "a datagram above %d bytes from %s", self._max_datagram,
                         _show_peer(peer))
            return
        try:
            packet = parse_packet(data, max_depth=self._max_depth)
        except TransportError as exc:
            self._reject("packet", "a malformed OSC packet from %s (%s)", _show_peer(peer), exc)
            return
        for message in iter_messages(packet):
            self._handle_message(message, peer)

    def _handle_message(self, message: OscMessage, peer: Peer) -> None:
        try:
            command = parse_command(message, prefix=self._prefix)
        except TransportError as exc:
            self._reject(f"args {message.address}", "a command with bad arguments from %s (%s)",
                         _show_peer(peer), exc)
            return
        if command is None:
            self._count("unknown_address")
            self._warn("unknown", "control: ignoring unknown address %r from %s (and any "
                       "further unknown addresses, counted)", message.address[:80],
                       _show_peer(peer))
            return
        with self._lock:
            full = len(self._queue) >= self._queue_size
            if full:
                self._counts["dropped"] += 1
            else:
                self._queue.append(command)
                self._counts["accepted"] += 1
        if full:
            self._warn("full", "control: command queue full (%d); dropping commands until "
                       "poll() drains it", self._queue_size)

    def _reject(self, kind: str, message: str, *args: object) -> None:
        self._count("malformed")
        self._warn(kind, "control: ignoring " + message + "; further ones are counted, not "
                   "logged", *args)

    def _count(self, key: str) -> None:
        with self._lock:
            self._counts[key] += 1


class _Args:
    """Typed access to a command's arguments, raising located errors."""

    def __init__(self, message: OscMessage) -> None:
        self.message = message

    def count(self, low: int, high: int) -> tuple[OscArg, ...]:
        args = self.message.args
        if not low <= len(args) <= high:
            expected = f"{low}" if low == high else f"{low} to {high}"
            raise self._fail(f"has {len(args)} arguments; expected {expected}")
        return args

    def name(self, index: int) -> str:
        value = self.message.args[index]
        if not (isinstance(value, str) and 0 < len(value) <= MAX_NAME and value.isprintable()):
            raise self._fail(f"is {_show(value)}; expected a printable name of 1 to {MAX_NAME} "
                             f"characters", index)
        return value

    def number(self, index: int, lo: float, hi: float, *, above_lo: bool = False) -> float:
        value = self.message.args[index]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._fail(f"is {_show(value)}; expected a number", index)
        number = float(value)
        if not (math.isfinite(number) and lo <= number <= hi) or (above_lo and number == lo):
            bracket = "(" if above_lo else "["
            raise self._fail(f"is {number!r}; expected a number in {bracket}{lo:g}, {hi:g}]",
                             index)
        return number

    def optional(self, index: int, lo: float, hi: float, *, above_lo: bool) -> float | None:
        if index >= len(self.message.args):
            return None
        return self.number(index, lo, hi, above_lo=above_lo)

    def _fail(self, message: str, index: int | None = None) -> TransportError:
        where = None if index is None else f"argument {index + 1}"
        return TransportError(message, source=self.message.address, where=where)


def _emotion(args: _Args) -> TriggerEmotion:
    args.count(2, 5)
    return TriggerEmotion(args.name(0), args.number(1, 0.0, 1.0),
                          onset=args.optional(2, 0.0, MAX_DURATION, above_lo=True),
                          apex=args.optional(3, 0.0, MAX_DURATION, above_lo=False),
                          offset=args.optional(4, 0.0, MAX_DURATION, above_lo=True))


def _micro(args: _Args) -> TriggerEmotion:
    args.count(2, 2)
    return TriggerEmotion(args.name(0), args.number(1, 0.0, 1.0), micro=True)


def _au(args: _Args) -> TriggerAU:
    args.count(3, 3)
    return TriggerAU(args.name(0), args.number(1, 0.0, 1.0),
                     args.number(2, 0.0, MAX_DURATION, above_lo=True))


def _mood(args: _Args) -> SetMood:
    args.count(2, 3)
    return SetMood(args.number(0, -1.0, 1.0), args.number(1, -1.0, 1.0),
                   args.optional(2, 0.0, MAX_DURATION, above_lo=True))


def _neutral(args: _Args) -> Neutral:
    args.count(0, 0)
    return Neutral()


def _calibrate(args: _Args) -> Calibrate:
    args.count(0, 0)
    return Calibrate()


_PARSERS: dict[str, Callable[[_Args], ControlCommand]] = {
    "emotion": _emotion,
    "micro": _micro,
    "au": _au,
    "mood": _mood,
    "neutral": _neutral,
    "calibrate": _calibrate,
}


def _show(value: OscArg) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _show_peer(peer: Peer) -> str:
    return ":".join(str(part) for part in peer[:2])
