"""Bounded time and memory on big or hostile inputs (issue 10), each in a fresh process.

Prints, for each case, the wall time and the peak memory (RSS) of a process that does only that:

- a 24-hour timeline at 30 fps rendered to NPZ by ``avatardrive render`` (chunked), against the
  whole-array path (``render`` + ``write_curves``) measured in the same run;
- ``avatardrive rig check`` of a rig with 10,000 shapes;
- ``avatardrive render`` of a timeline with 10,000 events, and the refusal of 100,000;
- a rig whose ``include`` repeats a rig 20,000 times (refused);
- an image folder holding a 20,000 x 20,000 PNG (refused before decoding).
"""

from __future__ import annotations

import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

RUN = """
import resource, sys, time
began = time.perf_counter()
{body}
seconds = time.perf_counter() - began
print(f"RESULT {{seconds:.2f}} {{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}}")
"""
CLI = "from avatardrive.cli import main\ncode = main({argv!r})"
WHOLE = """
from avatardrive.curves import write_curves
from avatardrive.synth import render
from avatardrive.timeline import load_timeline
write_curves(render(load_timeline({timeline!r})), {output!r})
"""
IMAGE = """
from avatardrive.errors import TrackingError
from avatardrive.tracking import ImageFolderSource
with ImageFolderSource({folder!r}, fps=30) as source:
    try:
        source.read()
    except TrackingError as error:
        print(error, file=sys.stderr)
"""


def measure(body: str) -> tuple[float, float, str]:
    """Run ``body`` in a fresh Python; return its seconds, peak MB and its stderr's last line."""
    done = subprocess.run(
        [sys.executable, "-c", RUN.format(body=body)], capture_output=True, text=True, check=False
    )
    result = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if not result:
        raise SystemExit(f"failed: {done.stderr[-2000:]}")
    seconds, peak = (float(v) for v in result[-1].split()[1:])
    lines = [line.split("\r")[-1] for line in done.stderr.strip().splitlines()]
    last = next((line for line in reversed(lines) if not line.startswith("rendering [")), "")
    return seconds, peak, last


def show(label: str, seconds: float, peak: float, note: str = "") -> None:
    print(f"  {label:<44} {seconds:7.2f} s  {peak:7.0f} MB  {note[:90]}")


def _timeline(path: Path, *, events: int, duration: float | None = None) -> Path:
    lines = ["version = 1", "fps = 30", "seed = 3"]
    if duration is not None:
        lines.append(f"duration = {duration}")
    names = ("happiness", "anger", "surprise", "sadness")
    for i in range(events):
        lines += ["[[events]]", f"emotion = '{names[i % 4]}'", f"start = {1 + i * 0.5:.2f}"]
    path.write_text("\n".join(lines) + "\n")
    return path


def _rig(path: Path, shapes: int) -> Path:
    from avatardrive.facs import CHANNELS

    lines = ["version = 1"]
    for i in range(shapes):
        lines += [
            "[[shapes]]",
            f"name = 's{i}'",
            f"inputs = {{ {CHANNELS[i % len(CHANNELS)]} = 1 }}",
        ]
    path.write_text("\n".join(lines) + "\n")
    return path


def _huge_png(path: Path, side: int) -> Path:
    squeeze = zlib.compressobj(9)
    row = bytes(1 + 3 * side)
    data = b"".join(squeeze.compress(row) for _ in range(side)) + squeeze.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )
    return path


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        day = _timeline(folder / "day.toml", events=2, duration=86_400)
        out = str(folder / "day.npz")
        print("24-hour timeline at 30 fps -> NPZ (2,592,000 frames x 86 channels, 891 MB):")
        whole = measure(WHOLE.format(timeline=str(day), output=out))
        show("whole array (render + write_curves)", *whole)
        chunked = measure(CLI.format(argv=["render", str(day), "-o", out]))
        show("avatardrive render (chunked)", *chunked)
        print(f"  peak memory: chunked / whole = {chunked[1] / whole[1]:.2f}")

        print("rig check of 10,000 shapes:")
        rig = _rig(folder / "big.toml", 10_000)
        show("avatardrive rig check", *measure(CLI.format(argv=["rig", "check", str(rig)])))

        print("timelines with many events:")
        many = _timeline(folder / "many.toml", events=10_000)
        argv = ["render", str(many), "-o", str(folder / "many.npz")]
        show("render 10,000 events (the limit)", *measure(CLI.format(argv=argv)))
        many = _timeline(folder / "more.toml", events=100_000)
        show("100,000 events (refused)", *measure(CLI.format(argv=["validate", str(many)])))

        print("hostile files:")
        repeat = folder / "repeat.toml"
        repeat.write_text("version = 1\ninclude = [" + ", ".join(["'arkit52'"] * 20_000) + "]\n")
        show(
            "include repeating a rig 20,000 times",
            *measure(CLI.format(argv=["rig", "check", str(repeat)])),
        )
        images = folder / "images"
        images.mkdir()
        _huge_png(images / "0.png", 20_000)
        show("20,000 x 20,000 PNG (refused)", *measure(IMAGE.format(folder=str(images))))


if __name__ == "__main__":
    main()
