"""Render speed and memory: one hour at 60 fps with 1,000 events and blinks.

Targets (issue 2): at least 10 million channel-samples per second on this 2-core machine, and
peak memory within 3x the size of the output array. The floor is the time numpy takes just to
fill an array of the output's size, measured in the same run.

Issue 13 adds a directed variant of the same hour (same events, same seed): a quarter of the
events with three intensity keys, a fifth taking over from the event before them (``from``),
every twentieth held until it is taken over, and a mood track with a keyframe every minute. It
must stay at >= 10 M channel-samples per second too; its time is printed against the plain one.

    python benchmarks/bench_render.py [--events 1000] [--hours 1] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from dataclasses import replace

import numpy as np

from avatardrive.facs import N_CHANNELS
from avatardrive.synth import emotion_library, render
from avatardrive.timeline import Event, MoodKey, Timeline

TARGET_SAMPLES_PER_S = 10e6
TARGET_MEMORY_RATIO = 3.0


def directed(timeline: Timeline, *, seed: int = 0) -> Timeline:
    """The same timeline with keyframes, transitions, holds and a mood track."""
    rng = np.random.default_rng([seed, 13])
    events: list[Event] = []
    for i, event in enumerate(timeline.events):
        changes: dict[str, object] = {"label": f"e{i}"}
        previous = events[-1] if events else None
        if event.micro:
            events.append(event.with_changes(**changes))
            continue
        if previous is not None and not previous.micro and rng.random() < 0.2:
            changes["after"] = previous.label
        if rng.random() < 0.25:
            levels = rng.uniform(0.3, 0.9, 3)
            changes["keys"] = ((0.0, levels[0]), (0.8, levels[1]), (1.6, levels[2]))
        elif rng.random() < 0.05:
            changes["hold"] = True
            changes["apex"] = None
        events.append(event.with_changes(**changes))
    for i, event in enumerate(events[:-1]):  # a hold lasts until the next event takes over
        if event.hold and not events[i + 1].micro:
            events[i + 1] = events[i + 1].with_changes(after=event.label, keys=None)
        elif event.hold:
            events[i] = event.with_changes(hold=False)
    taken = {e.after for e in events if e.after}
    for i, event in enumerate(events):  # keys must come before a takeover
        if event.keys and event.label in taken:
            events[i] = event.with_changes(keys=None)
    minutes = int(timeline.duration or 0) // 60
    mood = [
        MoodKey(at=60.0 * m, valence=float(v), arousal=float(a))
        for m, (v, a) in enumerate(rng.uniform(-0.8, 0.8, (minutes, 2)))
    ]
    return replace(timeline, events=events, mood=mood)


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

    scene = directed(timeline)
    directed_seconds = best_of(args.repeat, lambda: render(scene))
    tracemalloc.start()
    render(scene)
    _, directed_peak = tracemalloc.get_traced_memory()
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
    directed_rate = samples / directed_seconds
    keyed = sum(e.keys is not None for e in scene.events)
    handed = sum(e.after is not None for e in scene.events)
    held = sum(e.hold for e in scene.events)
    print(
        f"directed: the same hour with {keyed} keyframed events, {handed} transitions, {held} "
        f"holds and {len(scene.mood)} mood keys"
    )
    print(
        f"  render time        {directed_seconds:8.3f} s   ratio directed/plain = "
        f"{directed_seconds / seconds:.2f}x"
    )
    print(
        f"  samples per second {directed_rate / 1e6:8.1f} M   target >= "
        f"{TARGET_SAMPLES_PER_S / 1e6:.0f} M"
        f"  {'OK' if directed_rate >= TARGET_SAMPLES_PER_S else 'MISSED'}"
    )
    print(
        f"  peak memory        {directed_peak / 2**20:8.1f} MiB = "
        f"{directed_peak / output_bytes:.2f}x the output   target <= {TARGET_MEMORY_RATIO:.0f}x"
        f"  {'OK' if directed_peak / output_bytes <= TARGET_MEMORY_RATIO else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
