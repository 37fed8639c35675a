"""Readable summaries of rendered curves: which AUs peak when, and how high."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from avatardrive.curves import Curves
from avatardrive.facs import action_unit, channel_unit, channels_of
from avatardrive.synth import ResolvedEvent

__all__ = ["AUPeak", "blink_summary", "event_peaks", "format_peaks"]


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


def format_peaks(peaks: Sequence[AUPeak]) -> str:
    """A fixed-width table of peaks, one AU per row, grouped by event."""
    lines = [
        f"{'event':<24} {'AU':<6} {'name':<22} {'left':>5} {'at s':>6} {'right':>5} {'at s':>6}"
    ]
    previous = None
    for peak in peaks:
        label = f"{peak.event} @{peak.start:g}s" if (peak.event, peak.start) != previous else ""
        previous = (peak.event, peak.start)
        lines.append(
            f"{label:<24.24} {'AU' + str(peak.au):<6} {action_unit(peak.au).name:<22.22} "
            f"{peak.left:5.2f} {peak.left_time:6.2f} {peak.right:5.2f} {peak.right_time:6.2f}"
        )
    return "\n".join(lines)
