"""Streaming speed and scale: the encoder, the clock, and 100 avatars from one process.

Targets (issue 4), all measured in one run on this machine:

- encoder: a 52-shape VMC frame encoded at least 30x faster than python-osc's builder, and
  encode + send within 4x of a bare ``socket.sendto`` of the same prepared bytes (the floor);
- clock: 60 Hz for ``--seconds`` (default 60): exactly rate x duration frames sent, lateness
  p99 under 1 ms on an idle machine;
- scale: ``--avatars`` (default 100) x 52 shapes at 60 Hz for ``--scale-seconds`` without a
  skipped frame; the CPU share used is reported. Run twice in the same process: shapes only
  (the baseline), then with the head and eye bones of ``vrm0`` (Neck, Head, LeftEye, RightEye:
  four ``/VMC/Ext/Bone/Pos`` per bundle) in every bundle (issue 12: bones add no measurable
  cost); the per-frame cost of the bone math itself is printed beside the shapes' retarget.

Datagrams go to a local socket that nobody reads (the kernel drops them at the receiver).

The lateness tail is the operating system's: on a loaded machine a process loses the CPU for
milliseconds now and then. The load average is printed; ``--realtime`` asks for the SCHED_FIFO
policy (Linux, needs the privilege) to show the clock's own accuracy.

    python benchmarks/bench_transport.py [--seconds 60] [--scale-seconds 10] [--avatars 100]
                                         [--realtime]
"""

from __future__ import annotations

import argparse
import os
import socket
import time
from collections.abc import Callable

import numpy as np
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder

from avatardrive.facs import GAZE_AXES, HEAD_AXES, N_CHANNELS, angles_to_channels
from avatardrive.retarget import load_rig
from avatardrive.transport import LIVE_LINK_SHAPES, Frame, FrameClock, UdpSink, vmc_encoder

ARKIT = tuple(name[0].lower() + name[1:] for name in LIVE_LINK_SHAPES)
RATE = 60.0
TARGET_SPEEDUP = 30.0
TARGET_FLOOR_RATIO = 4.0
TARGET_P99 = 0.001


def per_call(fn: Callable[[], object], calls: int, *, repeat: int = 5) -> float:
    """Best-of-``repeat`` seconds per call over ``calls`` calls."""
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - began) / calls)
    return best


def python_osc_frame(values: list[float]) -> bytes:
    bundle = OscBundleBuilder(IMMEDIATELY)
    for name, value in zip(ARKIT, values, strict=True):
        message = OscMessageBuilder("/VMC/Ext/Blend/Val")
        message.add_arg(name)
        message.add_arg(value, "f")
        bundle.add_content(message.build())
    bundle.add_content(OscMessageBuilder("/VMC/Ext/Blend/Apply").build())
    return bytes(bundle.build().dgram)


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


def bench_encoder(address: tuple[str, int]) -> None:
    values = np.random.default_rng(0).random(len(ARKIT)).astype(np.float32)
    frame = Frame(0, 0.0, ARKIT, values)
    encoder = vmc_encoder(ARKIT)
    (prepared,) = encoder.encode(frame)
    data = bytes(prepared)
    assert data == python_osc_frame(values.tolist()), "encoder bytes differ from python-osc"

    as_list = values.tolist()
    builder = per_call(lambda: python_osc_frame(as_list), 300)
    encode = per_call(lambda: encoder.encode(frame), 20_000)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as bare, \
            UdpSink(f"vmc://{address[0]}:{address[1]}") as sink:
        floor = per_call(lambda: bare.sendto(data, address), 20_000)
        sink.send(frame)  # prepare the encoder and the socket
        send = per_call(lambda: sink.send(frame), 20_000)
        assert sink.stats.errors == 0

    print(f"encoder: one {len(ARKIT)}-shape VMC frame, {len(data)} bytes")
    print(f"  python-osc builder       {builder * 1e6:8.1f} us/frame")
    speedup = builder / encode
    print(f"  avatardrive encoder      {encode * 1e6:8.1f} us/frame   {speedup:6.0f}x faster   "
          f"target >= {TARGET_SPEEDUP:.0f}x  {verdict(speedup >= TARGET_SPEEDUP)}")
    print(f"  bare socket.sendto       {floor * 1e6:8.1f} us/frame   (the floor)")
    print(f"  encode + send (UdpSink)  {send * 1e6:8.1f} us/frame   {send / floor:6.1f}x the "
          f"floor  target <= {TARGET_FLOOR_RATIO:.0f}x  "
          f"{verdict(send / floor <= TARGET_FLOOR_RATIO)}")


def bench_clock(address: tuple[str, int], seconds: float) -> None:
    clock = FrameClock(RATE)
    expected = clock.frames_for(seconds)
    values = np.random.default_rng(1).random((60, len(ARKIT))).astype(np.float32)
    with UdpSink(f"vmc://{address[0]}:{address[1]}") as sink:
        for tick in clock.ticks(frames=expected):
            sink.send(Frame(tick.index, tick.time, ARKIT, values[tick.index % 60]))
        sent = sink.stats.datagrams
    stats = clock.stats
    print(f"clock: {RATE:g} Hz for {seconds:g} s, one VMC frame per tick")
    print(f"  frames sent {sent} of {expected}, skipped {stats.skipped}   target exactly "
          f"{expected}  {verdict(sent == expected)}")
    print(f"  lateness p50 {stats.p50 * 1e3:.3f} ms  p99 {stats.p99 * 1e3:.3f} ms  max "
          f"{stats.max * 1e3:.3f} ms   target p99 < {TARGET_P99 * 1e3:.0f} ms  "
          f"{verdict(stats.p99 < TARGET_P99)}")


def bone_table(avatars: int) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """vrm0's bones for 60 frames x ``avatars``: head turns and gaze shifts through its math."""
    rig = load_rig("vrm0")
    rng = np.random.default_rng(3)
    pose = np.zeros((60, avatars, len(rig.bone_names), 7), dtype=np.float32)
    angles = np.zeros((60, avatars, len(rig.bone_names), 3), dtype=np.float32)
    au = np.zeros(N_CHANNELS, dtype=np.float32)
    for k in range(60):
        for a in range(avatars):
            angles_to_channels(rng.uniform(-30, 30, 3), HEAD_AXES, out=au)
            angles_to_channels(rng.uniform(-20, 20, 2), GAZE_AXES, out=au)
            angles[k, a], pose[k, a, :, 3:] = rig.bone_frame(au)
    return rig.bone_names, pose, angles


def bench_bone_math() -> None:
    rig = load_rig("vrm0")
    au = np.random.default_rng(5).random(N_CHANNELS).astype(np.float32)
    weights = np.empty(rig.n_shapes, dtype=np.float32)
    shapes = per_call(lambda: rig.forward_frame(au, out=weights), 2000)
    bones = per_call(lambda: rig.bone_frame(au), 2000)
    print(f"retarget per avatar frame (vrm0): shapes {shapes * 1e6:.1f} us, bones "
          f"{bones * 1e6:.1f} us ({len(rig.bone_names)} bones: angles and quaternions)")


def bench_scale(address: tuple[str, int], avatars: int, seconds: float, *,
                bones: bool = False) -> None:  # fmt: skip
    clock = FrameClock(RATE)
    expected = clock.frames_for(seconds)
    table = np.random.default_rng(2).random((60, avatars, len(ARKIT))).astype(np.float32)
    bone_names, poses, angles = bone_table(avatars) if bones else ((), None, None)
    sinks = [UdpSink(f"vmc://{address[0]}:{address[1]}") for _ in range(avatars)]
    work: list[float] = []
    try:
        cpu, wall = time.process_time(), time.perf_counter()
        for tick in clock.ticks(frames=expected):
            began = time.perf_counter()
            rows = table[tick.index % 60]
            if poses is None or angles is None:
                for sink, row in zip(sinks, rows, strict=True):
                    sink.send(Frame(tick.index, tick.time, ARKIT, row))
            else:
                pose, angle = poses[tick.index % 60], angles[tick.index % 60]
                for a, (sink, row) in enumerate(zip(sinks, rows, strict=True)):
                    sink.send(Frame(tick.index, tick.time, ARKIT, row, bones=bone_names,
                                    pose=pose[a], angles=angle[a]))
            work.append(time.perf_counter() - began)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        datagrams = sum(s.stats.datagrams for s in sinks)
        errors = sum(s.stats.errors for s in sinks)
    finally:
        for sink in sinks:
            sink.close()
    stats = clock.stats
    period = 1.0 / RATE
    bytes_sent = sum(s.stats.bytes for s in sinks) / max(datagrams, 1)
    extra = f" + {len(bone_names)} bones" if bones else ""
    print(f"scale: {avatars} avatars x {len(ARKIT)} shapes{extra} at {RATE:g} Hz for "
          f"{seconds:g} s ({avatars} VMC destinations, {bytes_sent:.0f} bytes a bundle)")
    print(f"  frames {stats.frames} of {expected}, skipped {stats.skipped}, datagrams "
          f"{datagrams} (errors {errors})   target 0 skipped  {verdict(stats.skipped == 0)}")
    p50, p99, top = np.percentile(work, [50, 99, 100]) * 1e3
    print(f"  work per tick p50 {p50:.2f} ms  p99 {p99:.2f} ms  max {top:.2f} ms of a "
          f"{period * 1e3:.2f} ms period; lateness p99 {stats.p99 * 1e3:.3f} ms  max "
          f"{stats.max * 1e3:.3f} ms")
    print(f"  CPU {cpu:.2f} s in {wall:.2f} s wall = {cpu / wall:.0%} of one core "
          f"(process_time / wall, clock spin included)")


def realtime() -> str:
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
    except (AttributeError, OSError) as exc:
        return f"normal (SCHED_FIFO refused: {exc})"
    return "SCHED_FIFO"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="clock run, seconds")
    parser.add_argument("--scale-seconds", type=float, default=10.0, help="scale run, seconds")
    parser.add_argument("--avatars", type=int, default=100)
    parser.add_argument("--realtime", action="store_true", help="try the SCHED_FIFO policy")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} (1 min); "
          f"scheduling: {realtime() if args.realtime else 'normal'}")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as drain:  # nobody reads it
        drain.bind(("127.0.0.1", 0))
        address = drain.getsockname()
        bench_encoder(address)
        bench_clock(address, args.seconds)
        bench_scale(address, args.avatars, args.scale_seconds)
        bench_scale(address, args.avatars, args.scale_seconds, bones=True)
        bench_bone_math()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
