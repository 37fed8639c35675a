"""A non-blocking UDP receiver: drain every pending datagram, return the latest value per shape.

No threads and no bpy: :meth:`UdpReceiver.poll` is called from Blender's timer (or any loop),
reads until the socket would block (or ``max_datagrams`` were read), parses each datagram with
:mod:`.osc`, decodes frames with :mod:`.frames` and merges the completed frames in order, so the
newest value of each shape wins. Malformed datagrams are counted, never raised. Pure Python 3.9+.
"""

from __future__ import annotations

import socket

from .frames import AUTO, GENERIC_PREFIX, Frame, FrameDecoder
from .osc import iter_messages, parse_packet

__all__ = ["MAX_DATAGRAM", "ReceiverStats", "UdpReceiver"]

MAX_DATAGRAM = 65535


class ReceiverStats:
    """Counters shown in the status line."""

    def __init__(self) -> None:
        self.packets = 0
        """Datagrams received."""
        self.malformed = 0
        """Datagrams that were not well-formed OSC (ignored)."""
        self.frames = 0
        """Complete frames decoded."""
        self.ignored = 0
        """Messages ignored (unknown address, wrong type tags, NaN)."""
        self.last_error = ""
        """The last problem, in words ("" if none)."""


class UdpReceiver:
    """Receives the generic or VMC stream on one UDP port.

    Parameters
    ----------
    port
        UDP port to bind; 0 picks a free one (see :attr:`port` once started).
    host
        Interface address to bind: ``127.0.0.1`` for this machine only, ``0.0.0.0`` for all.
    protocol, prefix
        Passed to :class:`~.frames.FrameDecoder`.
    max_datagrams
        Most datagrams read by one :meth:`poll`, so that a flood cannot freeze the caller.
    """

    def __init__(self, port: int, *, host: str = "127.0.0.1", protocol: str = AUTO,
                 prefix: str = GENERIC_PREFIX, max_datagrams: int = 10000) -> None:
        self.host, self.requested_port, self.max_datagrams = host, port, max_datagrams
        self.decoder = FrameDecoder(protocol, prefix=prefix)
        self.stats = ReceiverStats()
        self._socket: socket.socket | None = None

    @property
    def running(self) -> bool:
        """Whether the socket is open."""
        return self._socket is not None

    @property
    def port(self) -> int:
        """The bound port (0 when not started)."""
        return self._socket.getsockname()[1] if self._socket is not None else 0

    def start(self) -> None:
        """Open and bind the socket (non-blocking).

        Raises
        ------
        OSError
            If the port cannot be bound (in use, no permission, bad address).
        """
        if self._socket is not None:
            return
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            sock.bind((self.host, self.requested_port))
        except OSError:
            sock.close()
            raise
        self._socket = sock
        self.decoder.reset()

    def stop(self) -> None:
        """Close the socket; safe to call twice."""
        sock, self._socket = self._socket, None
        if sock is not None:
            sock.close()

    def poll(self) -> Frame:
        """Read all pending datagrams; the merged values of the frames they completed.

        An empty dict means no frame was completed since the last poll.
        """
        merged: Frame = {}
        sock = self._socket
        if sock is None:
            return merged
        for _ in range(self.max_datagrams):
            try:
                data = sock.recv(MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                break
            except ConnectionResetError:  # Windows: an ICMP "port unreachable" from an old send
                continue
            except OSError as error:
                self.stats.last_error = f"receive failed: {error}"
                break
            self.stats.packets += 1
            packet = parse_packet(data)
            if packet is None:
                self.stats.malformed += 1
                self.stats.last_error = f"malformed datagram of {len(data)} bytes ignored"
                continue
            for frame in self.decoder.feed(iter_messages(packet)):
                merged.update(frame)
        self.stats.frames, self.stats.ignored = self.decoder.frames, self.decoder.ignored
        return merged

    def __enter__(self) -> UdpReceiver:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
