"""Emotion read-out speed: an hour of AU curves at 60 fps, and the live reader per frame.

Targets (issue 18), on this 2-core machine:
- reading an hour of curves at 60 fps (216,000 x 86, smoothing included): under 5 s, i.e. under
  20 us a frame;
- the live reader (``EmotionReader.update``: smoothing and scoring of one frame): under 20 us.

The curves are real renders: the demo's basic-emotion timeline tiled to an hour. Each figure is
printed next to a baseline measured in the same run — the arkit52 forward map over the same data
(the other per-frame computation every stream runs) — and the ratio.

    python benchmarks/bench_recognize.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from avatardrive.curves import Curves
from avatardrive.retarget import load_rig
from avatardrive.synth import EmotionReader, emotion_model, read_emotion_curves, render
from avatardrive.timeline import load_timeline

TARGET_HOUR_S = 5.0
TARGET_FRAME_US = 20.0
HOUR_FRAMES = 60 * 60 * 60
TIMELINE = Path(__file__).resolve().parent.parent / "demo" / "timelines" / "basic_emotions.toml"


def per_call(
    fn: Callable[[], object],
    *,
    number: int,
    repeat: int,
    clock: Callable[[], float] = time.perf_counter,
) -> float:
    """Seconds per call: the best of ``repeat`` runs of ``number`` calls."""
    best = float("inf")
    for _ in range(repeat):
        began = clock()
        for _ in range(number):
            fn()
        best = min(best, (clock() - began) / number)
    return best


def verdict(value: float, target: float) -> str:
    return "OK" if value <= target else "MISSED"


def hour_of_curves() -> Curves:
    rendered = render(load_timeline(TIMELINE), fps=60.0)
    reps = -(-HOUR_FRAMES // len(rendered.values))
    values = np.ascontiguousarray(np.tile(rendered.values, (reps, 1))[:HOUR_FRAMES])
    return Curves(values, fps=60.0)


def bench_hour(curves: Curves, repeat: int) -> None:
    rig = load_rig("arkit52")
    read_emotion_curves(Curves(curves.values[:600], fps=60.0))  # imports and caches, not timed
    seconds = per_call(lambda: read_emotion_curves(curves), number=1, repeat=repeat)
    floor = per_call(lambda: rig.forward(curves), number=1, repeat=repeat)
    frames = len(curves.values)
    print(f"read an hour at 60 fps ({frames} x {curves.values.shape[1]}, smoothed)")
    print(f"  read_emotion_curves {seconds:7.3f} s  = {seconds / frames * 1e6:6.2f} us a frame   "
          f"target <= {TARGET_HOUR_S:g} s  {verdict(seconds, TARGET_HOUR_S)}")  # fmt: skip
    print(f"  baseline: arkit52 rig.forward of the same hour {floor:7.3f} s   "
          f"ratio = {seconds / floor:.1f}x")  # fmt: skip


def bench_live(curves: Curves, repeat: int) -> None:
    rig = load_rig("arkit52")
    rows = curves.values[:5000]
    reader = EmotionReader()
    out = np.empty(rig.n_shapes, dtype=np.float32)
    state = {"i": 0}

    def step() -> None:
        i = state["i"] = state["i"] + 1
        reader.update(rows[i % len(rows)], i / 60.0)

    def forward() -> None:
        i = state["i"] = state["i"] + 1
        rig.forward_frame(rows[i % len(rows)], out=out)

    seconds = per_call(step, number=5000, repeat=repeat)
    floor = per_call(forward, number=5000, repeat=repeat)
    cpu = per_call(step, number=5000, repeat=repeat, clock=time.thread_time)
    cpu_floor = per_call(forward, number=5000, repeat=repeat, clock=time.thread_time)
    print(f"live reader, one frame ({len(emotion_model().names)} prototypes compiled)")
    print(f"  EmotionReader.update {seconds * 1e6:7.2f} us   target <= {TARGET_FRAME_US:g} us  "
          f"{verdict(seconds * 1e6, TARGET_FRAME_US)}")  # fmt: skip
    print(f"  baseline: arkit52 rig.forward_frame {floor * 1e6:7.2f} us   "
          f"ratio = {seconds / floor:.1f}x")  # fmt: skip
    print(f"  the same in thread CPU time (a shared machine's waits left out): "
          f"{cpu * 1e6:.2f} us against {cpu_floor * 1e6:.2f} us = {cpu / cpu_floor:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs (3)")
    args = parser.parse_args()
    curves = hour_of_curves()
    bench_live(curves, args.repeat)
    bench_hour(curves, args.repeat)


if __name__ == "__main__":
    main()
