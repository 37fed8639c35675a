"""The monitor's receiving core: what arrives on a port, as numbers (no printing).

:class:`MonitorState` is fed datagrams with their arrival time (pure, testable with bytes);
:class:`StreamMonitor` binds a port and feeds one from a thread. Any OSC is understood:

- latest value per key: a VMC ``/VMC/Ext/Blend/Val s f`` is keyed by its shape name; any other
  message with a number (or bool) argument is keyed by its address (generic ``/avatardrive/…``,
  VRChat ``/avatar/parameters/…``);
- frames: each ``/VMC/Ext/Blend/Apply`` is a frame; a bundle without one is a frame; plain
  messages (VRChat) are counted as messages only;
- frame rate over a sliding window, and gaps: the longest and the last interval between frames.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType, TracebackType

from avatardrive.errors import ParameterError, TransportError
from avatardrive.transport._encoders import VMC_APPLY, VMC_VALUE
from avatardrive.transport._osc import OscBundle, OscMessage, iter_messages, parse_packet
from avatardrive.transport._receiver import DatagramReceiver, Peer

__all__ = ["MonitorSnapshot", "MonitorState", "StreamMonitor"]

_TIMES = 4096  # frame arrival times kept for the rate


@dataclass(frozen=True)
class MonitorSnapshot:
    """What a monitor has seen.

    Attributes
    ----------
    values
        Latest value per key (shape name for VMC, address otherwise).
    peaks
        Largest value seen per key.
    frames
        Frames seen (Apply messages, or bundles without one).
    rate
        Frames per second over the last ``window`` seconds (0 with fewer than two frames).
    max_gap, last_gap
        Longest and most recent interval between two frames, seconds (0 before two frames).
    datagrams, messages, malformed
        Datagrams received, messages in them, datagrams that were not OSC.
    dropped_keys
        Readings not stored because ``max_keys`` distinct keys were already held.
    age
        Seconds since the last datagram (``inf`` before the first).
    """

    values: Mapping[str, float]
    peaks: Mapping[str, float]
    frames: int
    rate: float
    max_gap: float
    last_gap: float
    datagrams: int
    messages: int
    malformed: int
    dropped_keys: int
    age: float


class MonitorState:
    """Monitor bookkeeping, fed one datagram at a time.

    Parameters
    ----------
    window
        Seconds over which the frame rate is measured.
    max_keys
        Most distinct keys held (memory stays bounded whatever peers send).
    max_depth
        Deepest bundle nesting parsed.
    """

    def __init__(self, *, window: float = 2.0, max_keys: int = 4096, max_depth: int = 4) -> None:
        if not window > 0 or max_keys < 1:
            raise ParameterError(f"window={window!r}, max_keys={max_keys!r}; expected a window "
                                 f"above 0 seconds and at least one key")
        self._window, self._max_keys, self._max_depth = window, max_keys, max_depth
        self._values: dict[str, float] = {}
        self._peaks: dict[str, float] = {}
        self._times: deque[float] = deque(maxlen=_TIMES)
        self._frames = self._datagrams = self._messages = self._malformed = self._dropped = 0
        self._max_gap = self._last_gap = 0.0
        self._last_datagram = -float("inf")

    def feed(self, data: bytes, now: float) -> None:
        """Account for one datagram received at ``now`` (seconds, monotonic)."""
        self._datagrams += 1
        self._last_datagram = now
        try:
            packet = parse_packet(data, max_depth=self._max_depth)
        except TransportError:
            self._malformed += 1
            return
        applies = 0
        for message in iter_messages(packet):
            self._messages += 1
            if message.address == VMC_APPLY:
                applies += 1
            else:
                self._store(message)
        for _ in range(applies or int(isinstance(packet, OscBundle))):
            self._frame(now)

    def snapshot(self, now: float) -> MonitorSnapshot:
        """The current figures, the rate measured over ``[now - window, now]``."""
        recent = [t for t in self._times if t >= now - self._window]
        span = recent[-1] - recent[0] if len(recent) > 1 else 0.0
        rate = (len(recent) - 1) / span if span > 0 else 0.0
        return MonitorSnapshot(MappingProxyType(dict(self._values)),
                               MappingProxyType(dict(self._peaks)), self._frames, rate,
                               self._max_gap, self._last_gap, self._datagrams, self._messages,
                               self._malformed, self._dropped, now - self._last_datagram)

    def _store(self, message: OscMessage) -> None:
        reading = _reading(message)
        if reading is None:
            return
        key, value = reading
        if key in self._values or len(self._values) < self._max_keys:
            self._values[key] = value
            self._peaks[key] = max(value, self._peaks.get(key, value))
        else:
            self._dropped += 1

    def _frame(self, now: float) -> None:
        if self._times:
            self._last_gap = now - self._times[-1]
            self._max_gap = max(self._max_gap, self._last_gap)
        self._times.append(now)
        self._frames += 1


class StreamMonitor:
    """Receive a stream on ``host:port`` and keep a :class:`MonitorState` of it.

    Parameters
    ----------
    port
        UDP port; 0 picks a free one (see :attr:`address`).
    host
        Interface to bind (loopback by default).
    window, max_keys
        As for :class:`MonitorState`.
    clock
        Monotonic seconds for arrival times.
    """

    def __init__(self, port: int = 0, *, host: str = "127.0.0.1", window: float = 2.0,
                 max_keys: int = 4096, clock: Callable[[], float] = time.monotonic) -> None:
        self._state = MonitorState(window=window, max_keys=max_keys)
        self._clock = clock
        self._lock = threading.Lock()
        self._receiver = DatagramReceiver(self._handle, host=host, port=port, bufsize=65536,
                                          name="stream monitor")

    @property
    def address(self) -> tuple[str, int]:
        """The bound host and port."""
        return self._receiver.address

    def snapshot(self) -> MonitorSnapshot:
        """The figures so far."""
        with self._lock:
            return self._state.snapshot(self._clock())

    def close(self) -> None:
        """Stop receiving and close the socket."""
        self._receiver.close()

    def __enter__(self) -> StreamMonitor:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def _handle(self, data: bytes, peer: Peer) -> None:
        with self._lock:
            self._state.feed(data, self._clock())


def _reading(message: OscMessage) -> tuple[str, float] | None:
    args = message.args
    if message.address == VMC_VALUE and len(args) == 2 and isinstance(args[0], str):
        number = _number(args[1])
        return None if number is None else (args[0], number)
    for arg in args:
        number = _number(arg)
        if number is not None:
            return message.address, number
    return None


def _number(arg: object) -> float | None:
    return float(arg) if isinstance(arg, int | float) else None
