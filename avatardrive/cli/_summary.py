"""Readable summaries of rendered curves: which AUs peak when, and how high."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from avatardrive.curves import Curves
from avatardrive.facs import action_unit, channel_unit, channels_of
from avatardrive.synth import ResolvedEvent

__all__ = ["PEAK_COLUMNS", "AUPeak", "blink_summary", "event_peaks", "peak_rows"]


@dataclass(frozen=True)
class AUPeak:
    """The peak of one AU within one event: per side value and time (seconds)."""

    event: str
    start: float
    au: int
    left: float
    left_time: float
    right: float
    right_time: float


def event_peaks(curves: Curves, resolved: Sequence[ResolvedEvent]) -> list[AUPeak]:
    """For each event and each AU it drives, the peak of the rendered curves within its span."""
    peaks = []
    times = curves.times()
    for event in resolved:
        first = max(0, int(np.ceil((event.start - curves.start) * curves.fps)))
        end = min(event.end, curves.start + curves.duration)  # a hold lasts to the end
        stop = min(curves.n_frames, int(np.floor((end - curves.start) * curves.fps)) + 2)
        if stop <= first:
            continue
        numbers = sorted({channel_unit(int(c)) for c in event.channels})
        for number in numbers:
            left, right = channels_of(number)
            window = curves.values[first:stop]
            li, ri = int(np.argmax(window[:, left])), int(np.argmax(window[:, right]))
            peaks.append(
                AUPeak(
                    event=event.name,
                    start=event.start,
                    au=number,
                    left=float(window[li, left]),
                    left_time=float(times[first + li]),
                    right=float(window[ri, right]),
                    right_time=float(times[first + ri]),
                )
            )
    return peaks


def blink_summary(curves: Curves, *, threshold: float = 0.5) -> tuple[int, float]:
    """Number of blinks (left AU45 rising through ``threshold``) and their rate per minute."""
    left, _ = channels_of(45)
    closed = curves.values[:, left] >= threshold
    count = int(np.count_nonzero(closed[1:] & ~closed[:-1]) + int(closed[0]))
    minutes = curves.duration / 60.0
    return count, count / minutes if minutes > 0 else 0.0


PEAK_COLUMNS = ("event", "AU", "name", "left", "at s", "right", "at s")


def peak_rows(peaks: Sequence[AUPeak]) -> list[list[str]]:
    """Rows of a peaks table (:data:`PEAK_COLUMNS`), one AU per row, grouped by event."""
    rows = []
    previous = None
    for peak in peaks:
        label = f"{peak.event} @{peak.start:g}s" if (peak.event, peak.start) != previous else ""
        previous = (peak.event, peak.start)
        rows.append([label, f"AU{peak.au}", action_unit(peak.au).name, f"{peak.left:.2f}",
                     f"{peak.left_time:.2f}", f"{peak.right:.2f}", f"{peak.right_time:.2f}"])
    return rows
