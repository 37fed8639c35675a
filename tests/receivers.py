"""Real, independent receivers shared by the tests: liblo's ``oscdump``, python-osc's server.

oscdump prints one line per message, ``<timetag> <address> <types> <args…>``; messages of one
bundle share the bundle's timetag, so a frame is a run of lines with one timetag. The fixture skips,
with a reason, when oscdump is missing outside CI; in CI (``CI=true``) a missing oscdump fails.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from itertools import groupby
from typing import Any

import pytest
from pythonosc import dispatcher as osc_dispatcher
from pythonosc import osc_server

__all__ = [
    "bundles", "default_sigint", "free_port", "osc_receiver", "oscdump", "running_oscdump",
    "values_of", "wait_for",
]  # fmt: skip


@pytest.fixture(scope="module")
def oscdump() -> str:
    path = shutil.which("oscdump")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("oscdump is not installed; CI needs the Debian package liblo-tools")
        pytest.skip("oscdump is not installed (Debian package liblo-tools)")
    return path


def default_sigint() -> None:
    """``preexec_fn`` for a child that must stop on SIGINT: a test run started in the background
    of a non-interactive shell ignores SIGINT, and children would inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(predicate: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


@contextlib.contextmanager
def running_oscdump(program: str) -> Iterator[tuple[int, list[str]]]:
    """Start ``oscdump -L <port>``, wait until it prints a probe, yield (port, its lines)."""
    port = free_port()
    lines: list[str] = []
    with subprocess.Popen(
        [program, "-L", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        stdout = process.stdout
        assert stdout is not None
        reader = threading.Thread(target=lambda: lines.extend(iter(stdout.readline, "")))
        reader.start()
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:

                def probed() -> bool:
                    probe.sendto(b"/probe\x00\x00,\x00\x00\x00", ("127.0.0.1", port))
                    return any("/probe" in line for line in lines) or process.poll() is not None

                assert wait_for(probed), "oscdump printed nothing"
            assert process.poll() is None, f"oscdump exited: {process.stderr.read()}"  # type: ignore[union-attr]
            yield port, lines
        finally:
            process.terminate()
            process.wait(timeout=10)
            reader.join(timeout=10)


def bundles(lines: list[str], prefix: str) -> list[list[list[str]]]:
    """Lines from the stream (probes left out) grouped by timetag, split into fields."""
    fields = [
        line.split() for line in lines if line.split()[1:2] and line.split()[1].startswith(prefix)
    ]
    return [list(group) for _, group in groupby(fields, key=lambda f: f[0])]


#: What a receiver heard, in arrival order: (address, arguments).
Received = list[tuple[str, tuple[Any, ...]]]


@contextlib.contextmanager
def osc_receiver() -> Iterator[tuple[int, Received]]:
    """python-osc's server on a free port, as a receiver: yields (port, messages heard).

    A single-threaded server, so messages are recorded in the order they arrived.
    """
    received: Received = []
    dispatcher = osc_dispatcher.Dispatcher()
    dispatcher.set_default_handler(lambda address, *args: received.append((address, args)))
    server = osc_server.BlockingOSCUDPServer(("127.0.0.1", 0), dispatcher)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)  # fmt: skip
    thread.start()
    try:
        yield server.server_address[1], received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def values_of(received: Received, address: str) -> list[float]:
    """The float values sent to one address, in arrival order."""
    return [args[0] for addr, args in list(received)
            if addr == address and args and isinstance(args[0], float)]  # fmt: skip
