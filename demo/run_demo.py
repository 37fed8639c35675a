"""The demo behind ``make demo``: no camera, display or engine needed.

1. Author the 30-second conversation scene in code, save it, render it (demo/author_timeline.py).
2. Print which AUs peak when, and the blink rate.
3. Start the built-in monitor as a VMC receiver on 127.0.0.1, play the scene to it over the VMC
   protocol in real time, and print what arrived.

Everything lands in ``demo-out/`` (or ``--out``).
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENE = HERE / "timelines" / "conversation.toml"


def avatardrive(*args: str) -> list[str]:
    return [sys.executable, "-m", "avatardrive", *args]


def step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def free_udp_port(preferred: int) -> int:
    """``preferred`` if nothing is bound to it on 127.0.0.1, else any free port."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", preferred))
        except OSError:
            probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stream_to_monitor(out: Path, *, seconds: float | None) -> None:
    port = free_udp_port(39539)
    log = out / "monitor.txt"
    with log.open("w") as monitor_out:
        monitor = subprocess.Popen(
            avatardrive("monitor", "--port", str(port), "--idle", "2", "--every", "10"),
            stdout=monitor_out, stderr=subprocess.STDOUT,
        )
        try:
            time.sleep(1.0)  # let the monitor bind before the first frame
            play = ["play", str(SCENE), "--to", f"vmc://127.0.0.1:{port}"]
            if seconds is not None:
                play += ["--seconds", str(seconds)]
            subprocess.run(avatardrive(*play), check=True)
            monitor.wait(timeout=30)
        finally:
            if monitor.poll() is None:
                monitor.terminate()
                monitor.wait(timeout=10)
    received = log.read_text()
    print("the monitor received" + received.split("received in all")[-1])
    print(f"(full monitor log: {log})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="demo-out", help="output folder (demo-out)")
    parser.add_argument("--seconds", type=float, help="stream only this much of the scene")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    step("1. authoring the scene in code")
    author = [sys.executable, str(HERE / "author_timeline.py"), "--out", str(out)]
    subprocess.run(author, check=True)

    step("2. rendering it: which AUs peak when")
    curves = out / "conversation.csv"
    subprocess.run(avatardrive("render", str(SCENE), "-o", str(curves), "--summary"), check=True)

    step("3. streaming it over VMC to the built-in monitor on 127.0.0.1 (real time)")
    stream_to_monitor(out, seconds=args.seconds)

    step("done")
    print(f"curves: {curves}\nmonitor log: {out / 'monitor.txt'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
