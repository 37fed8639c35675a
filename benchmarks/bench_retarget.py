"""Retargeting speed: forward map AU -> arkit52 per frame and for an hour, inverse per frame.

Targets (issue 3), on this 2-core machine:
- per-frame forward map of all AU channels to arkit52: at most 20 us per frame;
- the whole one-hour 60 fps curve (216,000 x 86) forward: at most 0.5 s;
- per-frame inverse solve of an ARKit-52 frame: at most 1 ms.

Each figure is printed next to its floor, a bare numpy matrix-vector (or matrix-matrix) product of
the same size measured in the same run, and the ratio. Inverse frames are realistic: the arkit52
weights of a rendered timeline (all basic emotions, posed and spontaneous, with blinks), half of
them with MediaPipe-like noise (sigma 0.02) so that the bounded solver gets work too.

    python benchmarks/bench_retarget.py [--repeat 5] [--frames 2000]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from avatardrive.curves import Curves
from avatardrive.facs import N_CHANNELS
from avatardrive.retarget import Rig, load_rig
from avatardrive.synth import render
from avatardrive.timeline import load_timeline

TARGET_FRAME_US = 20.0
TARGET_HOUR_S = 0.5
TARGET_INVERSE_MS = 1.0
HOUR_FRAMES = 60 * 60 * 60
TIMELINE = Path(__file__).resolve().parent.parent / "demo" / "timelines" / "basic_emotions.toml"


def per_call(fn: Callable[[], object], *, number: int, repeat: int) -> float:
    """Seconds per call: the best of ``repeat`` runs of ``number`` calls."""
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - began) / number)
    return best


def verdict(value: float, target: float) -> str:
    return "OK" if value <= target else "MISSED"


def bench_forward_frame(rig: Rig, repeat: int) -> None:
    rng = np.random.default_rng(0)
    au = rng.random(N_CHANNELS, dtype=np.float32)
    out = np.empty(rig.n_shapes, dtype=np.float32)
    matrix = rng.random((rig.n_shapes, N_CHANNELS), dtype=np.float32)
    seconds = per_call(lambda: rig.forward_frame(au, out=out), number=20_000, repeat=repeat)
    floor = per_call(lambda: np.dot(matrix, au, out=out), number=20_000, repeat=repeat)
    print(f"forward, one frame ({N_CHANNELS} channels -> {rig.n_shapes} shapes of {rig.name})")
    print(
        f"  rig.forward_frame  {seconds * 1e6:8.2f} us   target <= {TARGET_FRAME_US:g} us  "
        f"{verdict(seconds * 1e6, TARGET_FRAME_US)}"
    )
    print(
        f"  floor (np.dot {rig.n_shapes}x{N_CHANNELS} @ {N_CHANNELS}) {floor * 1e6:6.2f} us   "
        f"ratio = {seconds / floor:.1f}x"
    )


def bench_forward_hour(rig: Rig, repeat: int) -> None:
    rng = np.random.default_rng(1)
    values = rng.random((HOUR_FRAMES, N_CHANNELS), dtype=np.float32)
    curves = Curves(values, fps=60)
    matrix = rng.random((N_CHANNELS, rig.n_shapes), dtype=np.float32)
    seconds = per_call(lambda: rig.forward(curves), number=1, repeat=repeat)
    floor = per_call(lambda: values @ matrix, number=1, repeat=repeat)
    print(f"forward, one hour at 60 fps ({HOUR_FRAMES} x {N_CHANNELS} -> {rig.n_shapes})")
    print(
        f"  rig.forward        {seconds:8.3f} s    target <= {TARGET_HOUR_S:g} s   "
        f"{verdict(seconds, TARGET_HOUR_S)}"
    )
    print(
        f"  floor ({HOUR_FRAMES}x{N_CHANNELS} @ {N_CHANNELS}x{rig.n_shapes}) {floor:8.3f} s    "
        f"ratio = {seconds / floor:.1f}x"
    )


def realistic_weights(rig: Rig, frames: int) -> np.ndarray:
    """ARKit frames from a rendered timeline; every other one with tracker-like noise."""
    curves = render(load_timeline(TIMELINE))
    weights = rig.forward(curves).values
    rng = np.random.default_rng(2)
    picked = weights[rng.choice(len(weights), size=frames, replace=len(weights) < frames)]
    noise = rng.normal(0.0, 0.02, picked.shape).astype(np.float32)
    noise[::2] = 0.0
    return np.clip(picked + noise, 0.0, 1.0)


def bench_inverse_frame(rig: Rig, frames: int) -> None:
    weights = realistic_weights(rig, frames)
    rig.inverse_frame(weights[0])  # builds the inverse model once
    times = np.empty(frames)
    for i, row in enumerate(weights):
        began = time.perf_counter()
        rig.inverse_frame(row)
        times[i] = time.perf_counter() - began
    matrix = np.random.default_rng(3).random((N_CHANNELS, rig.n_shapes))  # weights -> channels
    drive = weights[0].astype(np.float64)
    floor = per_call(lambda: np.dot(matrix, drive), number=20_000, repeat=3)
    median, p99, worst = np.median(times), np.percentile(times, 99), times.max()
    print(f"inverse, one frame ({rig.n_shapes} {rig.name} weights -> {N_CHANNELS} channels)")
    print(
        f"  rig.inverse_frame  {median * 1e3:8.3f} ms median, {times.mean() * 1e3:.3f} mean, "
        f"{p99 * 1e3:.3f} p99, {worst * 1e3:.3f} max over {frames} frames"
    )
    print(
        f"                     target <= {TARGET_INVERSE_MS:g} ms: median "
        f"{verdict(median * 1e3, TARGET_INVERSE_MS)}, p99 {verdict(p99 * 1e3, TARGET_INVERSE_MS)}"
    )
    print(
        f"  floor (np.dot {N_CHANNELS}x{rig.n_shapes} @ {rig.n_shapes}) "
        f"{floor * 1e3:8.4f} ms   ratio (median) = {median / floor:.0f}x"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--frames", type=int, default=2000, help="frames for the inverse")
    args = parser.parse_args()
    rig = load_rig("arkit52")
    bench_forward_frame(rig, args.repeat)
    bench_forward_hour(rig, max(1, args.repeat // 2))
    bench_inverse_frame(rig, args.frames)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
