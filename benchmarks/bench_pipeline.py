"""Memory of a long live session: flat without recording, growing only by what is written with it.

Writes a synthetic Live Link Face take of ``--minutes`` minutes at 60 fps (a slow smile, blinks),
then replays it through the live path (`LiveSession`: tracker, mixer, a UDP route to a local
receiver), as fast as it goes, twice: without a recording and with ``--record`` to CSV. Prints the
process's resident memory (RSS) at the start, middle and end of each replay, the growth, the bytes
the recording wrote, and the per-frame cost of the pipeline's own step beside the tracker.

Target (issue 9): without recording, RSS flat (start, middle, end within a few MB); with it, RSS
grows by no more than the bytes written.

    python benchmarks/bench_pipeline.py [--minutes 30]
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import time
from pathlib import Path

import numpy as np

from avatardrive._shapes import LIVE_LINK_SHAPES
from avatardrive.pipeline import CurveRecorder, LiveSession, open_routes
from avatardrive.tracking import LiveLinkSource, RecordedBlendshapes, Tracker

FPS = 60


def rss_mb() -> float:
    """Resident set size of this process, MB (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def write_take(path: Path, minutes: float) -> int:
    """A Live Link Face CSV: smile and blink curves; returns the row count."""
    rows = int(minutes * 60 * FPS)
    smile_col = [i for i, n in enumerate(LIVE_LINK_SHAPES) if n.startswith("MouthSmile")]
    blink_col = [i for i, n in enumerate(LIVE_LINK_SHAPES) if n.startswith("EyeBlink")]
    with path.open("w", encoding="utf-8") as file:
        file.write(",".join(["Timecode", "BlendShapeCount", *LIVE_LINK_SHAPES]) + "\n")
        shapes = np.zeros(len(LIVE_LINK_SHAPES))
        for i in range(rows):
            t = i / FPS
            shapes[smile_col] = 0.5 + 0.5 * np.sin(t / 3.0)
            shapes[blink_col] = 1.0 if (i % 240) < 8 else 0.0
            h, rest = divmod(i // FPS, 3600)
            code = f"{h:02d}:{rest // 60:02d}:{rest % 60:02d}:{i % FPS:02d}.000"
            file.write(code + ",52," + ",".join(f"{v:.3f}" for v in shapes) + "\n")
    return rows


def replay(take: Path, port: int, record: Path | None) -> dict[str, float]:
    source = LiveLinkSource(take)
    source.open()
    routes = open_routes([f"osc://127.0.0.1:{port}?rig=arkit52"])
    tracker = Tracker(RecordedBlendshapes(), calibrate_seconds=0.0)
    recorder = None if record is None else CurveRecorder(record, fps=FPS)
    total = len(source.recording.times) if source.recording is not None else 0
    marks: dict[str, float] = {}
    warm = min(600, total // 10)  # "start" is read once the loop is warm (rigs loaded, caches)

    def sample(result: object, mixed: object) -> None:
        del result, mixed
        sample.count += 1  # type: ignore[attr-defined]
        if sample.count == warm:  # type: ignore[attr-defined]
            marks["start"] = rss_mb()
        if sample.count == total // 2:  # type: ignore[attr-defined]
            marks["middle"] = rss_mb()

    sample.count = 0  # type: ignore[attr-defined]
    session = LiveSession(source, tracker, routes, realtime=False, recorder=recorder,
                          on_result=sample)  # fmt: skip
    began = time.perf_counter()
    report = session.run()
    marks["seconds"] = time.perf_counter() - began
    marks["end"] = rss_mb()
    if recorder is not None:
        marks["written"] = recorder.bytes_written / 2**20
        recorder.close()
        marks["closed"] = rss_mb()
    for route in routes:
        route.sink.close()
    source.close()
    marks["frames"] = report.frames
    return marks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    args = parser.parse_args()
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # a sink nobody reads: the kernel
    receiver.bind(("127.0.0.1", 0))  # drops what overflows, the sender never blocks
    port = receiver.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        take = Path(folder) / "take.csv"
        rows = write_take(take, args.minutes)
        print(f"take: {rows} rows ({args.minutes:g} min at {FPS} fps), "
              f"{take.stat().st_size / 2**20:.0f} MB")  # fmt: skip
        for label, record in (("no --record", None), ("--record CSV", Path(folder) / "r.csv")):
            marks = replay(take, port, record)
            grown = marks["end"] - marks["start"]
            line = (f"{label:>13}: RSS start {marks['start']:.0f} MB, middle "
                    f"{marks['middle']:.0f} MB, end {marks['end']:.0f} MB (growth {grown:+.1f} "
                    f"MB) over {marks['frames']:.0f} frames in {marks['seconds']:.1f} s "
                    f"({marks['frames'] / marks['seconds']:.0f} fps)")  # fmt: skip
            if "written" in marks:
                line += (f"; wrote {marks['written']:.1f} MB of frames; RSS after writing the "
                         f"file {marks['closed']:.0f} MB")  # fmt: skip
            print(line)
    receiver.close()


if __name__ == "__main__":
    main()
