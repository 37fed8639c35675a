"""Render speed and memory: one hour at 60 fps with 1,000 events and blinks.

Targets (issue 2): at least 10 million channel-samples per second on this 2-core machine, and
peak memory within 3x the size of the output array. The floor is the time numpy takes just to
fill an array of the output's size, measured in the same run.

    python benchmarks/bench_render.py [--events 1000] [--hours 1] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from avatardrive.facs import N_CHANNELS
from avatardrive.synth import emotion_library, render
from avatardrive.timeline import Event, Timeline

TARGET_SAMPLES_PER_S = 10e6
TARGET_MEMORY_RATIO = 3.0


def build(events: int, hours: float, *, seed: int = 0) -> Timeline:
    rng = np.random.default_rng(seed)
    names = [p.qualified_name for p in emotion_library()]
    duration = hours * 3600.0
    starts = np.sort(rng.uniform(0.0, duration - 6.0, events))
    return Timeline(
        events=[
            Event(
                start=float(start),
                emotion=str(rng.choice(names)),
                style=str(rng.choice(["spontaneous", "posed"])),  # type: ignore[arg-type]
                micro=bool(rng.random() < 0.1),
                asymmetry=float(rng.uniform(-0.2, 0.2)),
            )
            for start in starts
        ],
        fps=60,
        duration=duration,
        seed=seed,
        asymmetry=0.05,
        blink_rate=17,
    )


def best_of(repeat: int, fn: object) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - began)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    timeline = build(args.events, args.hours)
    frames = round(timeline.duration * timeline.fps)  # type: ignore[operator]
    samples = frames * N_CHANNELS
    output_bytes = samples * 4

    floor = best_of(args.repeat, lambda: np.full((frames, N_CHANNELS), 0.5, dtype=np.float32))
    seconds = best_of(args.repeat, lambda: render(timeline))

    tracemalloc.start()
    render(timeline)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    rate = samples / seconds
    memory_ratio = peak / output_bytes
    print(
        f"render: {frames} frames x {N_CHANNELS} channels = {samples / 1e6:.1f} M samples, "
        f"{args.events} events + blinks"
    )
    print(f"  render time        {seconds:8.3f} s   (best of {args.repeat})")
    print(f"  floor (numpy fill) {floor:8.3f} s   ratio render/floor = {seconds / floor:.1f}x")
    print(
        f"  samples per second {rate / 1e6:8.1f} M   target >= {TARGET_SAMPLES_PER_S / 1e6:.0f} M"
        f"  {'OK' if rate >= TARGET_SAMPLES_PER_S else 'MISSED'}"
    )
    print(
        f"  peak memory        {peak / 2**20:8.1f} MiB = {memory_ratio:.2f}x the output "
        f"({output_bytes / 2**20:.1f} MiB)   target <= {TARGET_MEMORY_RATIO:.0f}x"
        f"  {'OK' if memory_ratio <= TARGET_MEMORY_RATIO else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
