"""The demo behind ``make demo``: no camera, display or engine needed.

1. Author the 30-second conversation scene in code, save it, render it (demo/author_timeline.py).
2. Print which AUs peak when, and the blink rate.
3. Start the built-in monitor as a VMC receiver on 127.0.0.1, play the scene to it over the VMC
   protocol in real time, and print what arrived.
4. Make the test-face video (the astronaut photo smiling, demo/face_video.py) and replay it through
   the tracker, recording the tracked AU curves.
5. Plot the scene's AU curves and arkit52 weights to a PNG.
6. Play the scene on the built-in preview face beside its AU curves: ``conversation.mp4``.
7. Write a short summary.

Everything lands in ``demo-out/`` (or ``--out``). With a display (and without ``--no-windows``)
the scene's plot and the puppeteering window on the test face open at the end.
"""

from __future__ import annotations

import argparse
import os
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
            stdout=monitor_out,
            stderr=subprocess.STDOUT,
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


def track_test_face(out: Path) -> str:
    """Make the test-face video, replay it through the tracker; return a summary line."""
    video, tracked = out / "face.avi", out / "face-tracked.csv"
    subprocess.run([sys.executable, str(HERE / "face_video.py"), str(video)], check=True)
    subprocess.run(avatardrive("live", "--video", str(video), "--record", str(tracked), "--fast"),
                   check=True)  # fmt: skip
    from avatardrive.curves import read_au_curves  # after the subprocesses: keep startup quick

    curves = read_au_curves(tracked)
    smile = (curves.column("AU12_L") + curves.column("AU12_R")) / 2
    peak = int(smile.argmax())
    return (
        f"test face: tracked {curves.n_frames} frames; the smile (AU12) peaks at "
        f"{smile[peak]:.2f} at {peak / curves.fps:.2f} s and is back to "
        f"{smile[-1]:.2f} at the end ({tracked})"
    )


def plot_scene(out: Path) -> Path | None:
    """The scene's AU curves and arkit52 weights as a PNG (needs the gui extra)."""
    target = out / "conversation.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(avatardrive("plot", str(SCENE), "--rig", "arkit52", "-o", str(target)),
                          env=env, capture_output=True, text=True)  # fmt: skip
    print((done.stdout + done.stderr).strip())
    return target if done.returncode == 0 else None


def preview_scene(out: Path) -> Path | None:
    """The scene on the preview face beside its moving AU curves, as a video (gui extra)."""
    target = out / "conversation.mp4"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(avatardrive("preview", str(SCENE), "--with-plot", "--size", "480x480",
                                      "-o", str(target)), env=env)  # fmt: skip
    return target if done.returncode == 0 else None


def open_windows(out: Path) -> None:
    """With a display: the scene's plot, then the puppeteering window on the test face."""
    subprocess.run(avatardrive("plot", str(SCENE), "--rig", "arkit52"), check=False)
    subprocess.run(avatardrive("puppet", "--video", str(out / "face.avi")), check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="demo-out", help="output folder (demo-out)")
    parser.add_argument("--seconds", type=float, help="stream only this much of the scene")
    parser.add_argument("--no-windows", action="store_true", help="never open windows")
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

    step("4. replaying the test-face video through the tracker")
    tracked = track_test_face(out)
    print(tracked)

    step("5. plotting the scene")
    plot = plot_scene(out)

    step("6. playing the scene on the preview face (a video beside its AU curves)")
    video = preview_scene(out)

    summary = out / "summary.txt"
    lines = [
        f"scene: {SCENE.relative_to(HERE.parent)} (30 s, 9 events, blinks at 22 per minute)",
        f"AU curves: {curves}",
        f"streamed over VMC to the built-in monitor: {out / 'monitor.txt'}",
        tracked,
        f"plot: {plot}"
        if plot
        else "plot: not made (install the gui extra: pip install 'avatardrive[gui]')",
        f"the scene on the preview face: {video}"
        if video
        else "preview video: not made (needs the gui and tracking extras)",
    ]
    summary.write_text("\n".join(lines) + "\n")
    step("done - look in " + str(out))
    print("\n".join(lines))
    if os.environ.get("DISPLAY") and not args.no_windows and not os.environ.get("CI"):
        open_windows(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
