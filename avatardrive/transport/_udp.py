"""The UDP sink: one destination, one connected non-blocking socket, never raising on the wire.

Reliability rules (issue #4):

- no receiver listening: Linux reports the ICMP "port unreachable" as ``ConnectionRefusedError``
  on the next send of a connected socket. The sink counts it, warns once, resends that datagram
  once and keeps going; when a receiver appears the datagrams simply arrive.
- a host that does not resolve: literal addresses are used at once; names are looked up on a
  short-lived thread, never on the hot path. Until an address is known, frames are dropped and
  counted; a failed lookup warns once and is retried every ``retry_interval`` seconds.
- a full socket buffer or any other ``OSError``: counted, warned once per kind, never raised.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from avatardrive.errors import ParameterError, TransportError
from avatardrive.transport._destination import Destination, parse_destination
from avatardrive.transport._encoders import (
    Datagram,
    Encoder,
    EncoderFactory,
    Readout,
    check_readout,
    make_encoder,
)
from avatardrive.transport._frame import UNIT_RANGE, Frame, ValueRange
from avatardrive.transport._log import WarnOnce

__all__ = ["Resolve", "SinkStats", "UdpSink", "resolve_udp"]

logger = logging.getLogger(__name__)

Address = tuple[socket.AddressFamily, tuple[Any, ...]]
Resolve = Callable[[str, int], Address]


def resolve_udp(host: str, port: int) -> Address:
    """First UDP address of ``host`` (may block on DNS: call it off the hot path)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    if not infos:
        raise OSError(f"no address for {host!r}")
    family, _, _, _, sockaddr = infos[0]
    return family, sockaddr


@dataclass(frozen=True)
class SinkStats:
    """Counters of one UDP sink.

    Attributes
    ----------
    frames
        Frames handed to ``send``.
    datagrams, bytes
        Datagrams (and their bytes) the kernel accepted.
    errors
        Datagrams that failed: no receiver (refused), socket buffer full, network errors.
    dropped
        Frames not sent because the destination has no address yet.
    """

    frames: int = 0
    datagrams: int = 0
    bytes: int = 0
    errors: int = 0
    dropped: int = 0


class UdpSink:
    """Send frames to one destination in its schema (osc, vmc, vrchat).

    Parameters
    ----------
    destination
        A :class:`Destination` or its URL.
    ranges
        Declared value ranges; values are clamped into them and NaN mapped to ``lo``.
    readout
        What ``osc://...?emotions=1`` sends with each frame, computed from its AU channels
        (``avatardrive.synth.EmotionReader()``); required by such a destination, unused by
        others. One per sink: it keeps the stream's smoothing state.
    retry_interval
        Seconds between lookups of a host that did not resolve.
    resolve
        Host lookup, for tests; the default is :func:`resolve_udp`.
    clock
        Monotonic seconds, for the retry timer.
    encoders
        Builds the encoder for a name set; the default is :func:`make_encoder` (the
        destination's schema). :class:`VRChatSink` passes its own.

    Notes
    -----
    The encoder is prepared on the first frame and again only when the frame's names change
    (checked by identity first, so share one names tuple per stream). A host name (not an IP
    literal) is looked up on a thread when the sink opens: the first frames are dropped until
    the address is known. One thread sends; the sink is not meant to be shared between threads.
    """

    def __init__(
        self,
        destination: Destination | str,
        *,
        ranges: ValueRange = UNIT_RANGE,
        readout: Readout | None = None,
        retry_interval: float = 3.0,
        resolve: Resolve = resolve_udp,
        clock: Callable[[], float] = time.monotonic,
        encoders: EncoderFactory = make_encoder,
    ) -> None:
        if not (math.isfinite(retry_interval) and retry_interval > 0):
            raise ParameterError(f"retry_interval is {retry_interval!r}; expected seconds above 0")
        if isinstance(destination, str):
            destination = parse_destination(destination)
        self.destination = destination
        if destination.emotions and readout is None:
            check_readout(destination, None, ())  # fails now, not on the first frame
        self._ranges = ranges
        self._readout = readout
        self._warn = WarnOnce(logger)
        self._resolver = _Resolver(destination.host, destination.port, resolve=resolve,
                                   interval=retry_interval, clock=clock)
        self._socket: socket.socket | None = None
        self._encoder: Encoder | None = None
        self._encoders = encoders
        self._names: tuple[str, ...] = ()
        self._channels: tuple[str, ...] = ()
        self._closed = False
        self._frames = self._datagrams = self._bytes = self._errors = self._dropped = 0

    @property
    def stats(self) -> SinkStats:
        """A snapshot of the counters."""
        return SinkStats(self._frames, self._datagrams, self._bytes, self._errors, self._dropped)

    @property
    def connected(self) -> bool:
        """Whether the destination has an address and a socket."""
        return self._socket is not None

    def send(self, frame: Frame) -> None:
        """Encode and send one frame; network trouble is counted and warned once, not raised.

        Raises
        ------
        TransportError
            If the sink is closed, or the frame's names cannot be encoded in this schema.
        """
        if self._closed:
            raise TransportError("send() after close(); expected an open sink",
                                 source=self.destination.url)
        self._frames += 1
        sock = self._socket if self._socket is not None else self._connect()
        if sock is None:
            self._dropped += 1
            return
        for datagram in self._encoder_for(frame).encode(frame):
            self._transmit(sock, datagram)

    def transmit(self, datagrams: Sequence[Datagram]) -> None:
        """Send prepared datagrams outside a frame (e.g. a closing message), if connected."""
        if self._socket is not None:
            for datagram in datagrams:
                self._transmit(self._socket, datagram)

    def close(self) -> None:
        """Close the socket; an unfinished host lookup is abandoned (its thread is a daemon)."""
        self._closed = True
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        self._resolver.close()

    def __enter__(self) -> UdpSink:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"UdpSink({self.destination.url!r})"

    def _encoder_for(self, frame: Frame) -> Encoder:
        if (self._encoder is not None and frame.names is self._names
                and frame.channels is self._channels):
            return self._encoder  # the hot path: same shared tuples as the last frame
        if self._encoder is None or (frame.names, frame.channels) != (self._names, self._channels):
            self._encoder = self._encoders(self.destination, frame.names, channels=frame.channels,
                                           ranges=self._ranges, readout=self._readout)
        self._names, self._channels = frame.names, frame.channels
        return self._encoder

    def _transmit(self, sock: socket.socket, datagram: Datagram) -> None:
        try:
            sock.send(datagram)
        except ConnectionRefusedError:
            self._errors += 1
            self._warn("refused", "%s: no receiver is listening (connection refused); still "
                       "sending and counting errors", self.destination.url)
            self._retry(sock, datagram)
            return
        except BlockingIOError:
            self._failed("buffer", "socket buffer full; datagrams are dropped")
            return
        except OSError as exc:
            self._failed(f"errno {exc.errno}", f"send failed ({exc}); still sending")
            return
        self._datagrams += 1
        self._bytes += len(datagram)

    def _retry(self, sock: socket.socket, datagram: Datagram) -> None:
        try:
            sock.send(datagram)
        except OSError:
            self._errors += 1
            return
        self._datagrams += 1
        self._bytes += len(datagram)

    def _failed(self, kind: str, message: str) -> None:
        self._errors += 1
        self._warn(kind, "%s: %s", self.destination.url, message)

    def _connect(self) -> socket.socket | None:
        outcome = self._resolver.poll()
        if outcome is None:
            return None
        if isinstance(outcome, OSError):
            self._warn("resolve", "%s: cannot resolve host %r (%s); dropping frames and retrying",
                       self.destination.url, self.destination.host, outcome)
            return None
        family, sockaddr = outcome
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            self._resolver.retry_later()
            self._warn("connect", "%s: cannot use address %s (%s); dropping frames and retrying",
                       self.destination.url, sockaddr[0], exc)
            return None
        if self._warn.seen("resolve") or self._warn.seen("connect"):
            logger.info("%s: now sending to %s", self.destination.url, sockaddr[0])
        self._socket = sock
        return sock


class _Resolver:
    """Look a host up off the hot path: literal addresses at once, names on a daemon thread."""

    def __init__(self, host: str, port: int, *, resolve: Resolve, interval: float,
                 clock: Callable[[], float]) -> None:
        self._host, self._port, self._resolve = host, port, resolve
        self._interval, self._clock = interval, clock
        self._lock = threading.Lock()
        self._result: Address | OSError | None = None
        self._busy = False
        self._next = -float("inf")
        self._thread: threading.Thread | None = None
        if _is_literal(host):
            self._run()

    def poll(self) -> Address | OSError | None:
        """The address once known, or the lookup's error once; ``None`` while waiting."""
        with self._lock:
            result, self._result = self._result, None
            busy = self._busy
        if result is None and not busy and self._clock() >= self._next:
            self._start()
        return result

    def retry_later(self) -> None:
        """Look the host up again after the retry interval."""
        self._next = self._clock() + self._interval

    def close(self) -> None:
        if self._thread is not None:
            self._thread.join(timeout=1.0)

    def _start(self) -> None:
        self._busy = True
        self.retry_later()
        self._thread = threading.Thread(target=self._run, name=f"resolve {self._host}",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        outcome: Address | OSError
        try:
            outcome = self._resolve(self._host, self._port)
        except OSError as exc:
            outcome = exc
        with self._lock:
            self._result, self._busy = outcome, False


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
