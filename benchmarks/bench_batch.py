"""Batch throughput: short timelines and short videos on 1 and 2 local workers and on a 2-worker
Dask cluster on this machine, against the same items run one after another in this process.

Reports, for each kind of item: items per second per configuration (the best of a few runs: the
machine is shared), the scaling from 1 to 2 local workers (target >= 1.7x), and the overhead per
item as a share of an item's work (target <= 5 % for videos on the cluster), two ways from the
same run: all-in (wall x workers over the summed work of the items, less 1: it includes workers
idle at the end of a batch of few items) and the mean gap on a worker between one item and its
next (what handing out an item costs). Pools and the cluster are started and
warmed (MediaPipe loaded in every worker) before the clock starts; start-up is printed apart.
From the video figures, an estimate of the time to track 1,000 hours of 30 fps video on N
machines.

    python benchmarks/bench_batch.py [--timelines 200] [--videos 8] [--seconds 8]

Needs the tracking and batch extras (mediapipe, opencv-python-headless, dask[distributed]) and
scikit-image (the face).
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path

import numpy as np

from avatardrive.pipeline import (
    BatchItem,
    DaskEngine,
    ItemResult,
    Job,
    LocalEngine,
    RenderJob,
    TrackJob,
    run_batch,
    run_item,
)

TARGET_SCALING = 1.7
TARGET_OVERHEAD = 0.05
VIDEO_FPS = 30.0
CORPUS_HOURS = 1000.0


def write_timelines(folder: Path, count: int) -> list[Path]:
    """Short dialogue lines: 4 s at 60 fps, two expressions and blinks each."""
    emotions = ("happiness", "surprise", "sadness", "anger", "fear", "disgust")
    paths = []
    for i in range(count):
        path = folder / f"line{i:04d}.toml"
        path.write_text(
            f"version = 1\nfps = 60\nduration = 4.0\nseed = {i}\n[blink]\nrate = 17\n"
            f'[[events]]\nemotion = "{emotions[i % 6]}"\nstart = 0.5\nintensity = 0.7\n'
            f'[[events]]\nemotion = "{emotions[(i + 1) % 6]}"\nstart = 2.0\nintensity = 0.5\n',
            encoding="utf-8",
        )
        paths.append(path)
    return paths


def write_videos(folder: Path, count: int, seconds: float) -> list[Path]:
    """The astronaut's face (256 x 256), drifting a little, one video per take (MJPG)."""
    import cv2
    from skimage import data

    face = np.ascontiguousarray(data.astronaut()[0:256, 97:353])
    paths = []
    frames = round(seconds * VIDEO_FPS)
    for k in range(count):
        path = folder / f"take{k}.avi"
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), VIDEO_FPS, (256, 256))
        for i in range(frames):
            shift = round(6 * np.sin(2 * np.pi * (i / frames + k / count)))
            writer.write(cv2.cvtColor(np.roll(face, shift, axis=1), cv2.COLOR_RGB2BGR))
        writer.release()
        paths.append(path)
    return paths


def spin(count: int) -> float:
    """Pure-Python CPU work; its own wall seconds."""
    began, total = time.perf_counter(), 0
    for i in range(count):
        total += i * i
    return time.perf_counter() - began


def machine_scaling(count: int = 10_000_000) -> float:
    """How much faster 2 processes get CPU-bound work done than 1, right now, on this machine:
    the ceiling for any 2-worker figure (2.0 on two free cores)."""
    alone = min(spin(count) for _ in range(2))
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(spin, [1000, 1000])  # started
        paired = min(max(pool.map(spin, [count, count])) for _ in range(2))
    return 2 * alone / paired


def items_for(inputs: Sequence[Path], out: Path) -> list[BatchItem]:
    return [BatchItem(str(p), str(out / (p.stem + ".csv"))) for p in inputs]


def in_process(job: Job, items: Sequence[BatchItem]) -> tuple[float, float, float, int]:
    """One warm run here: (wall seconds, mean item wall, mean item CPU seconds, frames)."""
    run_item(job, items[0])  # warm: imports, MediaPipe's graph
    began = time.perf_counter()
    results = [run_item(job, item) for item in items]
    wall = time.perf_counter() - began
    assert all(r.status == "done" for r in results), [r.error for r in results if r.error]
    return (wall, statistics.fmean(r.seconds for r in results),
            statistics.fmean(r.cpu_seconds for r in results), sum(r.frames or 0 for r in results))


def gaps_between_items(results: Sequence[ItemResult]) -> float:
    """Mean idle time on a worker between the end of one item and the start of its next: what
    handing out an item costs, without the wait for the last items at the end of a batch."""
    by_worker: dict[str, list[ItemResult]] = {}
    for result in results:
        by_worker.setdefault(result.worker, []).append(result)
    gaps = []
    for runs in by_worker.values():
        runs.sort(key=lambda r: r.started_at)
        gaps += [b.started_at - (a.started_at + a.seconds) for a, b in pairwise(runs)]
    return statistics.fmean(gaps) if gaps else 0.0


def best_run(engine: LocalEngine | DaskEngine, job: Job, items: Sequence[BatchItem],
             repeats: int) -> tuple[float, float, float, float]:
    """Run ``items`` ``repeats`` times (forced); the fastest run's wall seconds, the summed wall
    and CPU seconds of its items (measured on the workers) and the mean gap between items."""
    best: tuple[float, float, float, float] | None = None
    for _ in range(repeats):
        report = run_batch(items, job, engine=engine, force=True)
        assert report.ok, [r.error for r in report.failed]
        work = sum(r.seconds for r in report.results)
        cpu = sum(r.cpu_seconds for r in report.results)
        if best is None or report.seconds < best[0]:
            best = (report.seconds, work, cpu, gaps_between_items(report.results))
    assert best is not None
    return best


def measure(label: str, job: Job, items: list[BatchItem], address: str,
            repeats: int) -> dict[str, float]:
    ceiling = machine_scaling()
    n = len(items)
    wall_here, work, cpu, frames = in_process(job, items)
    figures = {"work": work, "cpu": cpu, "frames_per_item": frames / n, "here": n / wall_here}
    print(f"\n{label}: {n} items, {frames / n:.0f} frames each; in this process one after "
          f"another {n / wall_here:7.1f} items/s (an item: {work * 1000:.1f} ms wall, "
          f"{cpu * 1000:.1f} ms CPU)")  # fmt: skip
    print(f"  {'where':<24} {'items/s':>8} {'all-in':>10} {'gap between items':>20} "
          f"{'CPU share':>10} {'start-up + warm-up':>19}")  # fmt: skip
    engines: list[tuple[str, str, int]] = [("local1", "local pool, 1 worker", 1),
                                           ("local2", "local pool, 2 workers", 2),
                                           ("dask", "Dask cluster, 2 workers", 2)]  # fmt: skip
    for key, name, workers in engines:
        began = time.perf_counter()
        engine = DaskEngine(address) if key == "dask" else LocalEngine(workers)
        try:
            warm = [BatchItem(i.input, i.output + ".warm.csv") for i in items[: 2 * workers]]
            run_batch(warm, job, engine=engine, force=True)  # workers started, MediaPipe loaded
            start_up = time.perf_counter() - began
            wall, busy, used, gap = best_run(engine, job, items, repeats)
        finally:
            engine.close()
        figures[key] = n / wall
        figures[f"{key}_overhead"] = wall * workers / busy - 1.0
        figures[f"{key}_gap"] = gap / (busy / n)
        share = used / (wall * workers)  # of the cores the workers could have used
        print(f"  {name:<24} {n / wall:8.1f} {figures[f'{key}_overhead']:+10.1%} "
              f"{gap * 1000:8.2f} ms = {figures[f'{key}_gap']:6.2%} {share:10.0%} "
              f"{start_up:18.1f}s")  # fmt: skip
    scaling = figures["local2"] / figures["local1"]
    print(f"  scaling 1 -> 2 local workers: {scaling:.2f}x (target >= {TARGET_SCALING}x); a "
          f"pure-Python spin in 2 processes just before: {ceiling:.2f}x (2.0 on two free cores; "
          f"other jobs' load moves both); Dask / local with 2 workers: "
          f"{figures['dask'] / figures['local2']:.2f}x")  # fmt: skip
    print(f"  overhead per item, as a share of an item's work (target for videos on the "
          f"cluster: <= {TARGET_OVERHEAD:.0%}): all-in = wall x workers / (sum of the items' own "
          f"seconds) - 1, including workers idle at the end of the batch; gap = a worker's mean "
          f"idle time between one item and its next. CPU share = the workers' CPU seconds / "
          f"(wall x workers): under 100 % the machine's other work took the rest")  # fmt: skip
    return figures


def corpus_estimate(video: dict[str, float]) -> None:
    """Time to track 1,000 hours of 30 fps video on N dedicated machines, from the CPU cost of a
    frame measured here (contention-free) and the cluster's overhead per item."""
    frames = CORPUS_HOURS * 3600 * VIDEO_FPS
    cpu_per_frame = video["cpu"] / video["frames_per_item"]
    overhead = max(0.0, video["dask_gap"])
    print(f"\n1,000 hours of {VIDEO_FPS:g} fps video = {frames / 1e6:.0f} M frames at "
          f"{cpu_per_frame * 1000:.2f} ms of CPU a frame (= {1 / cpu_per_frame:.0f} frames/s a "
          f"core), plus {overhead:.1%} cluster overhead between items, one worker per "
          f"core:")  # fmt: skip
    for machines, cores in ((1, 2), (10, 2), (10, 16), (50, 16), (100, 16)):
        hours = frames * cpu_per_frame * (1 + overhead) / (machines * cores) / 3600
        print(f"  {machines:4d} machines x {cores:2d} cores: {hours:8.1f} h ({hours / 24:6.2f} "
              f"days)")  # fmt: skip
    print("  (assumes the cores are free and scale linearly; the scaling measured above is on "
          "a shared 2-core machine)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timelines", type=int, default=200)
    parser.add_argument("--videos", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each video")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure (the best)")
    args = parser.parse_args()
    logging.getLogger("distributed").setLevel(logging.ERROR)
    from distributed import LocalCluster

    with tempfile.TemporaryDirectory() as tmp, LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:  # two worker processes, as `dask worker` would start them
        root = Path(tmp)
        (root / "tl").mkdir()
        (root / "vid").mkdir()
        (root / "out").mkdir()
        timelines = items_for(write_timelines(root / "tl", args.timelines), root / "out")
        videos = items_for(write_videos(root / "vid", args.videos, args.seconds), root / "out")
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the start "
              f"(other work on the machine slows every figure)")  # fmt: skip
        address = cluster.scheduler_address
        measure("short timelines (render)", RenderJob(), timelines, address, args.repeats)
        video = measure("short videos (track, FaceLandmarker)", TrackJob(), videos, address,
                        args.repeats)  # fmt: skip
        corpus_estimate(video)
        print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
