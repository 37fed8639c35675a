"""Tests of FrameClock with a fake time source: absolute deadlines, skipping, lateness."""

from __future__ import annotations

import itertools
import time

import pytest

from avatardrive.errors import ParameterError
from avatardrive.transport import FrameClock, Tick

START = 1000.0


class FakeTime:
    """A time source whose sleep advances it, optionally by more than asked (overshoot)."""

    def __init__(self, *, overshoot: list[float] | None = None, step: float = 0.0) -> None:
        self.now = START
        self.sleeps: list[float] = []
        self.reads = 0
        self._overshoot = overshoot or [0.0]
        self._step = step  # advance per reading: a busy wait sees time pass

    def clock(self) -> float:
        self.reads += 1
        self.now += self._step
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.sleeps.append(seconds)
        self.now += seconds + self._overshoot[len(self.sleeps) % len(self._overshoot)]


def fake_clock(rate: float = 60.0, **kwargs: object) -> tuple[FrameClock, FakeTime]:
    fake = FakeTime(**kwargs)  # type: ignore[arg-type]
    return FrameClock(rate, clock=fake.clock, sleep=fake.sleep, spin=0.0), fake


def test_frames_are_released_on_absolute_deadlines() -> None:
    clock, _ = fake_clock(60.0)
    ticks = list(clock.ticks(frames=600))
    assert [t.index for t in ticks] == list(range(600))
    assert all(t.deadline == START + t.index / 60.0 for t in ticks)
    assert all(t.now == pytest.approx(t.deadline, abs=1e-9) for t in ticks)
    assert all(t.time == t.index / 60.0 for t in ticks)
    stats = clock.stats
    assert (stats.frames, stats.skipped) == (600, 0)
    assert stats.max == pytest.approx(0.0, abs=1e-9)


def test_no_drift_over_an_hour_with_a_busy_consumer() -> None:
    clock, fake = fake_clock(60.0)
    work = [0.004, 0.011, 0.0, 0.016]  # seconds of work per frame, all under one period
    last: Tick | None = None
    for k, tick in enumerate(clock.ticks(duration=3600.0)):
        fake.now += work[k % len(work)]
        last = tick
    assert last is not None
    assert last.index == 3600 * 60 - 1
    assert last.deadline == START + last.index / 60.0  # computed from the index, not summed
    assert clock.stats.frames == 216_000
    assert clock.stats.skipped == 0


def test_late_frames_are_skipped_not_bunched() -> None:
    clock, fake = fake_clock(60.0)
    ticks = []
    for tick in clock.ticks(frames=30):
        ticks.append(tick)
        if tick.index == 10:
            fake.now += 3.5 / 60.0  # a stall of three and a half periods
    assert [t.index for t in ticks] == [*range(11), *range(13, 30)]
    assert ticks[11].skipped == 2
    assert ticks[11].lateness == pytest.approx(0.5 / 60.0)
    assert all(b.now > a.now for a, b in itertools.pairwise(ticks))  # never bunched
    assert sum(t.lateness > 1e-9 for t in ticks) == 1  # one late frame, then back on time
    assert (clock.stats.frames, clock.stats.skipped) == (28, 2)


def test_a_frame_late_by_less_than_a_period_is_released_not_skipped() -> None:
    clock, fake = fake_clock(100.0)
    ticks = []
    for tick in clock.ticks(frames=5):
        ticks.append(tick)
        if tick.index == 1:
            fake.now += 0.015  # 1.5 periods: frame 2 is late, frame 3 not yet due
    assert [t.index for t in ticks] == [0, 1, 2, 3, 4]
    assert ticks[2].lateness == pytest.approx(0.005)
    assert ticks[3].lateness == pytest.approx(0.0, abs=1e-9)


def test_skipping_past_the_end_counts_the_lost_frames() -> None:
    clock, fake = fake_clock(10.0)
    indices = []
    for tick in clock.ticks(frames=10):
        indices.append(tick.index)
        if tick.index == 7:
            fake.now += 1.0
    assert indices == list(range(8))
    assert clock.stats.frames + clock.stats.skipped == 10


def test_lateness_percentiles() -> None:
    overshoot = [0.0] * 98 + [0.002, 0.005]
    clock, _ = fake_clock(60.0, overshoot=overshoot)
    for _ in clock.ticks(frames=1000):
        pass
    stats = clock.stats
    assert stats.p50 == pytest.approx(0.0, abs=1e-6)
    assert stats.p99 == pytest.approx(0.002, abs=2e-6)
    assert stats.max == pytest.approx(0.005, abs=1e-9)
    assert stats.skipped == 0


def test_hybrid_wait_sleeps_then_spins_to_the_deadline() -> None:
    fake = FakeTime(step=0.00001)
    clock = FrameClock(50.0, clock=fake.clock, sleep=fake.sleep, spin=0.001)
    ticks = list(clock.ticks(frames=3))
    assert fake.sleeps == pytest.approx([0.019, 0.019], abs=1e-4)  # stops 1 ms short …
    assert fake.reads > 150  # … then reads the clock until the deadline
    assert all(0 <= t.lateness <= 3.5e-5 for t in ticks)  # a few readings late at most


def test_each_run_starts_again_at_frame_zero() -> None:
    clock, _ = fake_clock(30.0)
    list(clock.ticks(frames=5))
    assert [t.index for t in clock.ticks(frames=3)] == [0, 1, 2]
    assert clock.stats.frames == 3


def test_frames_for_rounds_the_duration() -> None:
    assert FrameClock(60.0).frames_for(60.0) == 3600
    assert FrameClock(29.97).frames_for(10.0) == 300


@pytest.mark.parametrize("rate", [0.0, -1.0, 241.0, float("nan"), float("inf")])
def test_bad_rates_are_refused(rate: float) -> None:
    expected = r"rate is .*; expected frames per second in \(0, 240\]"
    with pytest.raises(ParameterError, match=expected):
        FrameClock(rate)


def test_frames_and_duration_together_are_refused() -> None:
    with pytest.raises(ParameterError, match=r"both frames and duration"):
        next(FrameClock(60.0).ticks(frames=1, duration=1.0))


def test_real_clock_releases_every_frame_in_order() -> None:
    clock = FrameClock(120.0)
    began = time.perf_counter()
    indices = [tick.index for tick in clock.ticks(frames=24)]
    elapsed = time.perf_counter() - began
    assert clock.stats.frames + clock.stats.skipped == 24
    assert indices == sorted(set(indices))
    assert elapsed >= 23 / 120.0 - 1e-3  # frames are not released early
