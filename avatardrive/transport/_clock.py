"""The real-time clock: frames on absolute deadlines, late frames skipped, lateness measured.

Frame ``k`` is due at ``t0 + k / rate``, computed from ``k`` and never accumulated, so the clock
does not drift however long it runs. When a frame is released after the *next* frame's deadline
has passed, the clock jumps to the latest due frame and counts the ones it skipped: a slow frame
costs frames, never a burst of catch-up frames. This is the only place in the stream that
sleeps: it sleeps until ``spin`` seconds before a deadline, then waits in a busy loop for
microsecond accuracy (``spin`` = 0.5 ms costs about 3 % of a core at 60 Hz). What is left is
the operating system's scheduling: on a loaded machine a process can lose the CPU for
milliseconds; a real-time scheduling policy (``os.sched_setscheduler``) is the caller's choice.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from avatardrive.errors import ParameterError

__all__ = ["MAX_RATE", "ClockStats", "FrameClock", "Tick"]

MAX_RATE = 240.0


@dataclass(frozen=True, slots=True)
class Tick:
    """One released frame.

    Attributes
    ----------
    index
        Frame number ``k`` since the start (skipped frames leave gaps).
    time
        Stream time ``k / rate``, seconds: what to render.
    deadline
        When the frame was due, on the clock's time source: ``t0 + k / rate``.
    now
        When it was released.
    skipped
        Frames skipped so far in this run.
    """

    index: int
    time: float
    deadline: float
    now: float
    skipped: int

    @property
    def lateness(self) -> float:
        """Seconds between the deadline and the release."""
        return self.now - self.deadline


@dataclass(frozen=True)
class ClockStats:
    """Counts and lateness (seconds) of the ticks released so far in the current run."""

    frames: int
    skipped: int
    p50: float
    p99: float
    max: float


class FrameClock:
    """Release frames at a fixed rate on absolute deadlines.

    Parameters
    ----------
    rate
        Frames per second, in (0, 240].
    clock
        Time source in seconds (monotonic); injectable for tests.
    sleep
        Sleep function matching ``clock``; injectable for tests.
    spin
        Seconds before a deadline at which sleeping stops and a busy wait starts; 0 to only
        sleep. A fake ``clock`` must advance by itself to be used with ``spin`` > 0.

    Examples
    --------
    >>> clock = FrameClock(60.0)
    >>> for tick in clock.ticks(duration=2.0):  # doctest: +SKIP
    ...     sink.send(frame_at(tick.index, tick.time))
    >>> clock.stats.skipped  # doctest: +SKIP
    0
    """

    def __init__(
        self,
        rate: float = 60.0,
        *,
        clock: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], None] = time.sleep,
        spin: float = 0.0005,
    ) -> None:
        if not (math.isfinite(rate) and 0 < rate <= MAX_RATE):
            raise ParameterError(f"rate is {rate!r}; expected frames per second in (0, "
                                 f"{MAX_RATE:g}]")
        if not (math.isfinite(spin) and spin >= 0):
            raise ParameterError(f"spin is {spin!r}; expected seconds >= 0")
        self.rate = float(rate)
        self._clock, self._sleep, self._spin = clock, sleep, spin
        self._lateness = _Lateness()
        self._skipped = 0

    @property
    def stats(self) -> ClockStats:
        """Counts and lateness of the current (or last) run."""
        late = self._lateness
        return ClockStats(late.count, self._skipped, late.quantile(0.5), late.quantile(0.99),
                          late.max)

    def frames_for(self, duration: float) -> int:
        """Frames in ``duration`` seconds: ``round(duration * rate)``."""
        return round(duration * self.rate)

    def ticks(self, *, frames: int | None = None, duration: float | None = None) -> Iterator[Tick]:
        """Release frames ``0 … frames - 1`` (or ``duration`` seconds' worth, or forever).

        Each call starts a new run at frame 0 and resets :attr:`stats`. Stop early by leaving
        the loop.
        """
        if frames is not None and duration is not None:
            raise ParameterError("both frames and duration given; expected at most one")
        limit: float = math.inf
        if frames is not None or duration is not None:
            limit = frames if frames is not None else self.frames_for(duration or 0.0)
        self._lateness, self._skipped = _Lateness(), 0
        start = self._clock()
        index = 0
        while index < limit:
            self.wait_until(start + index / self.rate)
            now = self._clock()
            due = int((now - start) * self.rate)  # the latest frame whose deadline has passed
            if due > index:
                self._skipped += int(min(due, limit) - index)
                index = due
                if index >= limit:
                    return
            deadline = start + index / self.rate
            self._lateness.add(now - deadline)
            yield Tick(index, index / self.rate, deadline, now, self._skipped)
            index += 1

    def wait_until(self, deadline: float) -> None:
        """Sleep, then spin, until ``deadline`` on this clock's time source (seconds).

        The one sleeper of every loop: loops paced by their input (a replayed file) wait for the
        input's own deadlines here too.
        """
        while (remaining := deadline - self._clock()) > self._spin:
            self._sleep(remaining - self._spin)
        while self._clock() < deadline:  # the last stretch: busy, keeping the CPU (a sleep(0)
            pass  # would yield it to any runnable process and wake up milliseconds late)


class _Lateness:
    """Lateness histogram in 1 µs bins up to 100 ms (beyond: one overflow bin), exact max."""

    _BINS = 100_000

    def __init__(self) -> None:
        self._counts = np.zeros(self._BINS + 1, dtype=np.int64)
        self.count = 0
        self.max = 0.0

    def add(self, seconds: float) -> None:
        seconds = max(seconds, 0.0)
        self._counts[min(int(seconds * 1e6), self._BINS)] += 1
        self.count += 1
        self.max = max(self.max, seconds)

    def quantile(self, q: float) -> float:
        """The ``q`` quantile, to the bin's upper edge (never above the max)."""
        if not self.count:
            return 0.0
        rank = int(np.searchsorted(np.cumsum(self._counts), q * self.count))
        return min((rank + 1) * 1e-6, self.max)
