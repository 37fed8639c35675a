"""How fast the preview face renders off screen: the demo scene (30 s at 60 fps, 1800 frames).

Measures, at 512 x 512 (``--size``):

- the geometry alone (AU frame -> named outlines, numpy);
- geometry and drawing (Qt's painter into an image);
- the whole ``preview`` to an .mp4 (drawing, conversion, OpenCV's encoder), and the same with
  ``--with-plot``; the scene has no head movement, so the head's large fills are drawn once and
  kept: the same scene with the head turning, nodding and tilting in every frame (nothing kept)
  is the worst case;
- the face as the puppeteering window draws it (320 x 480, head moving): its cost per draw;
- the baseline, in the same run: the encoder alone writing one ready frame 1800 times.

Each figure is frames per second of wall time and of this process's CPU time (the machine's 2
cores are shared: CPU time says what the code costs, wall time what a user waits), and the ratio
of the scene's length to the render's (x real time). Target (issue 16): at least 200 frames per
second at 512 x 512 - the 30 s scene at 60 fps in under 10 s.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_preview.py [--size 512x512] [--repeat 1]

Needs the gui and tracking extras.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from avatardrive.cli._args import image_size
from avatardrive.curves import Curves
from avatardrive.facs import channels_of
from avatardrive.pipeline import load_curves
from avatardrive.tracking import VideoWriter
from avatardrive.views._face_draw import FaceRenderer
from avatardrive.views._face_geometry import face_geometry
from avatardrive.views._plot_qt import application, load_qt
from avatardrive.views._preview import PreviewFrames, write_preview

SCENE = Path(__file__).resolve().parent.parent / "demo" / "timelines" / "conversation.toml"
TARGET_FPS = 200.0


def timed(work: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def row(name: str, frames: int, wall: float, cpu: float, scene: float) -> None:
    print(f"  {name:<34} {frames / wall:8.0f} fps wall {frames / cpu:8.0f} fps CPU "
          f"{wall:7.2f} s ({scene / wall:5.1f}x real time)")  # fmt: skip


def head_moving(curves: Curves) -> Curves:
    """The scene with the head turning, nodding and tilting a little in every frame."""
    moving = Curves(curves.values.copy(), fps=curves.fps, start=curves.start, names=curves.names)
    t = curves.times()
    for unit, period in ((51, 3.1), (53, 2.3), (55, 4.7)):
        wave = 0.2 + 0.15 * np.sin(2.0 * np.pi * t / period)
        moving.values[:, list(channels_of(unit))] = wave[:, None]
    return moving


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=image_size, default=(512, 512), metavar="WxH")
    parser.add_argument("--repeat", type=int, default=1, help="take the best of N runs")
    args = parser.parse_args()
    qt = load_qt()
    application(qt, offscreen=True)
    curves = load_curves(SCENE)
    n, scene = curves.n_frames, curves.duration
    size = args.size
    print(f"preview of {SCENE.name}: {n} frames at {curves.fps:g} fps ({scene:g} s), face "
          f"{size[0]}x{size[1]} px; load average {os.getloadavg()[0]:.2f} on "
          f"{os.cpu_count()} cores")  # fmt: skip
    renderer = FaceRenderer(qt, size=size)
    window_face = FaceRenderer(qt, size=(320, 480))  # about the puppet window's face widget
    frames = PreviewFrames(qt, curves, size=size)
    still = frames.bgra(n // 2).copy()

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)

        def encoder_alone() -> None:
            with VideoWriter(out / "still.mp4", fps=curves.fps, size=frames.size) as video:
                for _ in range(n):
                    video.write(still, order="bgra")

        def preview(with_plot: bool) -> Callable[[], object]:
            return lambda: write_preview(qt, curves, out / "scene.mp4", size=size,
                                         with_plot=with_plot)  # fmt: skip

        cases: list[tuple[str, Callable[[], object]]] = [
            ("baseline: encoder alone", encoder_alone),
            ("geometry alone", lambda: [face_geometry(f) for f in curves.values]),
            ("geometry + drawing", lambda: [renderer.draw(f) for f in curves.values]),
            ("preview -> .mp4", preview(False)),
            ("preview --with-plot -> .mp4", preview(True)),
            ("preview -> .mp4, head moving", lambda: write_preview(
                qt, head_moving(curves), out / "moving.mp4", size=size)),
            ("puppet window's face 320x480, moving", lambda: [
                window_face.draw(f) for f in head_moving(curves).values]),
        ]
        results = {}
        for name, work in cases:
            best = min((timed(work) for _ in range(max(1, args.repeat))), key=lambda r: r[0])
            results[name] = best
            row(name, n, *best, scene)
    base_wall, _ = results["baseline: encoder alone"]
    wall, cpu = results["puppet window's face 320x480, moving"]
    print(f"the puppet window's face, head moving: {1e3 * wall / n:.2f} ms wall, "
          f"{1e3 * cpu / n:.2f} ms CPU per draw (geometry and paint)")  # fmt: skip
    for name in ("preview -> .mp4", "preview -> .mp4, head moving"):
        wall, cpu = results[name]
        print(f"{name}: {n / wall:.0f} frames/s wall, {n / cpu:.0f} frames/s CPU (target "
              f"{TARGET_FPS:g}); the scene in {wall:.2f} s (target < 10 s); the encoder alone "
              f"is {base_wall / wall:.0%} of it")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
