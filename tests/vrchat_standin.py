"""A VRChat stand-in for tests: plays VRChat's side of OSC and OSCQuery over real sockets.

- receives OSC on a UDP port (python-osc's server, the reference parser) and records every
  message that arrives, as VRChat's input port 9000 would;
- answers OSCQuery ``GET /avatar`` over HTTP with the node tree of the current avatar's config
  (``/avatar/change`` holds its id), and can answer slowly, with garbage, or not at all;
- sends ``/avatar/change <avatar id>`` to a sender's listening port, as VRChat does on 9001.

Use it in-process (:class:`VRChatStandIn`, threads) or as a separate process (see :func:`main`)::

    python tests/vrchat_standin.py CONFIG.json     # prints "osc PORT http URL", obeys stdin
"""

from __future__ import annotations

import argparse
import http.server
import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pythonosc import dispatcher, osc_server
from pythonosc.osc_message_builder import OscMessageBuilder

Received = list[tuple[str, tuple[Any, ...]]]
_TYPES = {"Float": "f", "Int": "i", "Bool": "T"}


def oscquery_tree(config: dict[str, Any]) -> dict[str, Any]:
    """VRChat's OSCQuery ``/avatar`` node for an avatar config (JSON as VRChat writes it)."""
    parameters: dict[str, Any] = {"FULL_PATH": "/avatar/parameters", "ACCESS": 0, "CONTENTS": {}}
    for entry in config.get("parameters", []):
        endpoint = entry.get("input") or entry.get("output")
        address = endpoint["address"]
        node = parameters
        parts = address.removeprefix("/avatar/parameters/").split("/")
        for depth, part in enumerate(parts[:-1]):
            path = "/avatar/parameters/" + "/".join(parts[: depth + 1])
            node = node["CONTENTS"].setdefault(part, {"FULL_PATH": path, "ACCESS": 0,
                                                      "CONTENTS": {}})
        kind = _TYPES[endpoint["type"]]
        node["CONTENTS"][parts[-1]] = {
            "FULL_PATH": address, "TYPE": kind, "ACCESS": 3 if entry.get("input") else 1,
            "VALUE": [False if kind == "T" else 0],
        }
    return {
        "FULL_PATH": "/avatar", "ACCESS": 0,
        "CONTENTS": {
            "change": {"FULL_PATH": "/avatar/change", "TYPE": "s", "ACCESS": 3,
                       "VALUE": [config.get("id", "")]},
            "parameters": parameters,
        },
    }


class VRChatStandIn:
    """VRChat's side, on free ports: ``osc_port`` receives, ``oscquery`` answers over HTTP.

    ``mode`` is how OSCQuery answers: ``"ok"``, ``"garbage"`` (not JSON), ``"slow"`` (waits
    ``delay`` seconds) or ``"gone"`` (connection closed without an answer).
    """

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self.received: Received = []
        self.config: dict[str, Any] = config or {"id": "", "parameters": []}
        self.mode = "ok"
        self.delay = 5.0
        self.requests = 0
        handler = dispatcher.Dispatcher()
        handler.set_default_handler(lambda address, *args: self.received.append((address, args)))
        self._osc = osc_server.ThreadingOSCUDPServer(("127.0.0.1", 0), handler)
        self._http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._http.daemon_threads = True
        self._threads = [threading.Thread(target=s.serve_forever, daemon=True)
                         for s in (self._osc, self._http)]
        for thread in self._threads:
            thread.start()

    @property
    def osc_port(self) -> int:
        return int(self._osc.server_address[1])

    @property
    def oscquery(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    def change_avatar(self, config: dict[str, Any], *, notify: int | None) -> None:
        """Switch to ``config`` and send ``/avatar/change`` to ``notify`` (a UDP port)."""
        self.config = config
        if notify is not None:
            send_avatar_change(notify, str(config.get("id", "")))

    def addresses(self) -> list[str]:
        return [address for address, _ in self.received]

    def close(self) -> None:
        for server in (self._osc, self._http):
            server.shutdown()
            server.server_close()

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        standin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                standin.requests += 1
                if standin.mode == "gone":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if standin.mode == "slow":
                    time.sleep(standin.delay)
                if self.path != "/avatar":
                    self.send_error(404)
                    return
                body = (b"<html>not json" if standin.mode == "garbage"
                        else json.dumps(oscquery_tree(standin.config)).encode())
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler


def send_avatar_change(port: int, avatar_id: str) -> None:
    """Send ``/avatar/change <id>`` to 127.0.0.1:port, as VRChat does on 9001."""
    builder = OscMessageBuilder("/avatar/change")
    builder.add_arg(avatar_id)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(builder.build().dgram, ("127.0.0.1", port))


@contextmanager
def vrchat_standin(config: dict[str, Any] | None = None) -> Iterator[VRChatStandIn]:
    standin = VRChatStandIn(config)
    try:
        yield standin
    finally:
        standin.close()


def main() -> int:
    """Run as a process: print the ports, obey stdin, print what arrived at EOF.

    stdin lines: ``change CONFIG.json PORT`` switches avatar and sends ``/avatar/change`` to
    PORT; ``mode ok|garbage|slow|gone`` sets how OSCQuery answers. At EOF (or after
    ``--seconds``) every message received is printed, one per line: address and arguments.
    """
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    with vrchat_standin(_read(args.config)) as standin:
        sys.stdout.write(f"osc {standin.osc_port} http {standin.oscquery}\n")
        sys.stdout.flush()
        deadline = time.monotonic() + args.seconds
        for line in sys.stdin:
            words = line.split()
            if words[:1] == ["change"] and len(words) == 3:
                standin.change_avatar(_read(Path(words[1])), notify=int(words[2]))
            elif words[:1] == ["mode"] and len(words) == 2:
                standin.mode = words[1]
            if time.monotonic() > deadline:
                break
        time.sleep(0.2)
        for address, values in list(standin.received):
            sys.stdout.write(" ".join(map(str, (address, *values))) + "\n")
    return 0


def _read(path: Path) -> dict[str, Any]:
    config: dict[str, Any] = json.loads(path.read_text("utf-8-sig"))
    return config


if __name__ == "__main__":
    raise SystemExit(main())
