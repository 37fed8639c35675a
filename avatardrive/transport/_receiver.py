"""A bound UDP socket read on a daemon thread: the shared base of the control listener and the
monitor. Each datagram goes to a handler; a handler that raises is counted and logged once, and
the thread keeps reading — nothing a peer sends can stop it.
"""

from __future__ import annotations

import logging
import selectors
import socket
import threading
from collections.abc import Callable
from typing import Any

from avatardrive.errors import TransportError
from avatardrive.transport._log import WarnOnce

__all__ = ["DatagramReceiver", "Peer"]

logger = logging.getLogger(__name__)

Peer = tuple[Any, ...]
_POLL = 0.05  # seconds between checks of the stop flag
_BATCH = 256  # datagrams read per wake-up before checking the stop flag again


class DatagramReceiver:
    """Bind ``host:port`` (UDP) and call ``handle(data, peer)`` for each datagram on a thread.

    Parameters
    ----------
    handle
        Called on the receiver thread with the datagram (up to ``bufsize`` bytes) and sender.
    host, port
        Where to bind; port 0 picks a free port (see :attr:`address`).
    bufsize
        Largest datagram read whole; longer ones arrive truncated to this size.
    name
        Thread name and log label.

    Raises
    ------
    TransportError
        If the address cannot be bound.
    """

    def __init__(self, handle: Callable[[bytes, Peer], None], *, host: str, port: int,
                 bufsize: int, name: str) -> None:
        self._handle, self._bufsize, self.name = handle, bufsize, name
        self._warn = WarnOnce(logger)
        self.failures = 0
        """Handler exceptions and socket errors survived so far."""
        self._sock = _bind(host, port, name)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._sock, selectors.EVENT_READ)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def address(self) -> tuple[str, int]:
        """The bound host and port."""
        host, port = self._sock.getsockname()[:2]
        return str(host), int(port)

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread.is_alive()

    def close(self) -> None:
        """Stop the thread and close the socket (idempotent)."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join(timeout=5.0)
        self._selector.close()
        self._sock.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._selector.select(timeout=_POLL):
                self._drain()

    def _drain(self) -> None:
        for _ in range(_BATCH):
            try:
                data, peer = self._sock.recvfrom(self._bufsize)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self.failures += 1
                self._warn("socket", "%s: receive failed (%s); still listening", self.name, exc)
                return
            self._dispatch(data, peer)

    def _dispatch(self, data: bytes, peer: Peer) -> None:
        try:
            self._handle(data, peer)
        except Exception:  # a bug must not let a peer stop the listener; logged once
            self.failures += 1
            self._warn("handler", "%s: handling a datagram from %s failed; still listening",
                       self.name, peer, exc_info=True)


def _bind(host: str, port: int, name: str) -> socket.socket:
    where = f"{host}:{port}"
    try:
        family, _, _, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_DGRAM, flags=socket.AI_PASSIVE)[0]
    except (OSError, IndexError) as exc:
        raise TransportError(f"cannot resolve {host!r} ({exc}); expected a local address such "
                             f"as 127.0.0.1", source=name, where=where) from None
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.bind(address)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise TransportError(f"cannot listen ({exc.strerror}); expected a free UDP port",
                             source=name, where=where) from None
    return sock
