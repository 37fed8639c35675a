"""Render a timeline into AU curves: resolved events combined by the blend policy, plus blinks.

Each event touches only the frames of its own span, so rendering costs little more than filling
the output array once, and memory stays near the size of the output.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from avatardrive.curves import Curves
from avatardrive.errors import TimelineError
from avatardrive.facs import CHANNELS, N_CHANNELS, channels_of
from avatardrive.synth._blinks import BlinkSchedule, blink_schedule
from avatardrive.synth._envelope import envelope
from avatardrive.synth._library import EmotionLibrary
from avatardrive.synth._mood import mood_curves
from avatardrive.synth._resolve import ResolvedEvent, event_curves, resolve_timeline
from avatardrive.timeline import Timeline

__all__ = ["MAX_RENDER_BYTES", "event_values", "render", "render_resolved", "timeline_duration"]

#: Renders whose output would exceed this are refused before allocating anything.
MAX_RENDER_BYTES = 2 * 1024**3
_TAIL = 1.0  # seconds after the last event when the timeline gives no duration

Progress = Callable[[float], None]


def timeline_duration(timeline: Timeline, resolved: Sequence[ResolvedEvent]) -> float:
    """The timeline's duration, or the end of its last event + 1 s."""
    if timeline.duration is not None:
        return timeline.duration
    ends = (event.end if math.isfinite(event.end) else event.settled for event in resolved)
    mood = (key.at for key in timeline.mood)
    return max(max(ends, default=0.0) + _TAIL, max(mood, default=0.0))


def _span(start: float, end: float, fps: float, n_frames: int) -> tuple[int, int]:
    first = max(0, math.ceil(start * fps - 1e-9))
    if not math.isfinite(end):  # a hold: to the end of the timeline
        return first, n_frames
    return first, min(n_frames, math.floor(end * fps) + 2)


def event_values(
    event: ResolvedEvent, *, fps: float, n_frames: int, weights: bool = True,
    first_frame: int = 0,
) -> tuple[int, NDArray[np.float64], NDArray[np.float64]]:
    """One event's curves over its own frames within ``[first_frame, n_frames)``.

    Returns
    -------
    first : int
        Index of the first frame.
    values : ndarray, shape (frames, k)
        Values of the event's channels (``event.channels``).
    weights : ndarray, shape (frames, k)
        The unit envelopes (0-1), used as layer weights by the ``priority`` policy (the values
        again when not asked for).
    """
    first, stop = _span(event.start, event.end, fps, n_frames)
    if event.cut is not None:  # frames from the handover on belong to the event taking over
        stop = min(stop, max(first, math.ceil(event.cut * fps - 1e-9)))
    first = max(first, first_frame)
    t = np.arange(first, stop, dtype=np.float64) / fps - event.start
    values, unit = event_curves(event, t, weights=weights)
    return first, values.T, (values if unit is None else unit).T


def _apply(
    out: NDArray[np.float32], event: ResolvedEvent, *, fps: float, policy: str, offset: int = 0
) -> None:
    """Combine one event into ``out``, whose first row is frame ``offset``."""
    first, values, weights = event_values(
        event, fps=fps, n_frames=offset + out.shape[0], weights=policy == "priority",
        first_frame=offset,
    )  # fmt: skip
    if values.shape[0] == 0:
        return
    rows = slice(first - offset, first - offset + values.shape[0])
    current = out[rows, event.channels]
    if policy == "max":
        combined = np.maximum(current, values)
    elif policy == "sum":
        combined = current + values
    else:  # priority: this layer covers lower ones as far as its envelope has risen
        combined = weights * values + (1.0 - weights) * current
    out[rows, event.channels] = combined


def _apply_blinks(
    out: NDArray[np.float32], blinks: BlinkSchedule, *, fps: float, offset: int = 0
) -> None:
    if len(blinks) == 0:
        return
    left, right = channels_of(45)
    longest = float(
        np.max(blinks.closing + blinks.hold + blinks.opening + np.abs(blinks.side_lags))
    )
    width = math.ceil(longest * fps) + 2
    for channel, lag in ((left, np.maximum(0.0, -blinks.side_lags)),
                         (right, np.maximum(0.0, blinks.side_lags))):  # fmt: skip
        begin = blinks.starts + lag
        frames = np.ceil(begin * fps - 1e-9).astype(np.intp)[:, None] + np.arange(width)
        since = frames / fps - begin[:, None]
        values = blinks.amplitudes[:, None] * envelope(
            since,
            onset=blinks.closing[:, None],
            apex=blinks.hold[:, None],
            offset=blinks.opening[:, None],
        )
        frames -= offset  # rows of ``out``
        inside = (frames >= 0) & (frames < out.shape[0])
        np.maximum.at(out[:, channel], frames[inside], values[inside].astype(np.float32))


def render_resolved(
    resolved: Sequence[ResolvedEvent],
    *,
    n_frames: int,
    fps: float,
    policy: str = "max",
    blinks: BlinkSchedule | None = None,
    progress: Progress | None = None,
    base: NDArray[np.float32] | None = None,
    first_frame: int = 0,
) -> NDArray[np.float32]:
    """Combine resolved events (and blinks) into an AU array, over a base (the mood).

    Parameters
    ----------
    resolved
        Events from :func:`~avatardrive.synth.resolve_timeline`.
    n_frames, fps
        The frame grid, starting at time 0.
    policy
        ``"max"``, ``"sum"`` (sum and clamp) or ``"priority"`` (higher ``priority`` on top).
    blinks
        Blinks, always combined by maximum.
    progress
        Called with the fraction done, now and then.
    base : ndarray of float32, shape (n_frames, N_CHANNELS), optional
        What the events layer on (the mood track's expression), combined by the same policy;
        written into and returned. Zeros (a neutral face) when not given.
    first_frame
        Frame of the grid the output's first row is (a chunk of a longer render).

    Returns
    -------
    ndarray of float32, shape (n_frames, N_CHANNELS)
        Values in [0, 1].
    """
    out = np.zeros((n_frames, N_CHANNELS), dtype=np.float32) if base is None else base
    order = list(resolved)
    if policy == "priority":
        order.sort(key=lambda e: (e.priority, e.index))
    for done, event in enumerate(order):
        _apply(out, event, fps=fps, policy=policy, offset=first_frame)
        if progress is not None and done % 256 == 255:
            progress(done / max(1, len(order)))
    if policy == "sum":
        np.clip(out, 0.0, 1.0, out=out)
    if blinks is not None:
        _apply_blinks(out, blinks, fps=fps, offset=first_frame)
    np.clip(out, 0.0, 1.0, out=out)
    if progress is not None:
        progress(1.0)
    return out


def _frame_count(timeline: Timeline, duration: float, fps: float, max_bytes: int) -> int:
    frames = duration * fps  # a float: may be huge, even infinite, before it is checked
    needed = max(1.0, frames) * N_CHANNELS * 4
    if not needed <= max_bytes:
        size = f"{needed / 2**30:.3g} GiB" if math.isfinite(needed) else "endless"
        raise TimelineError(
            f"{duration:.6g} s at {fps:g} fps needs {size} of curves; expected "
            f"under {max_bytes / 2**30:.1f} GiB (shorten the duration or lower the fps)",
            source=timeline.source,
            where=timeline.where(None, "duration"),
        )
    return max(1, round(frames))


def render(
    timeline: Timeline,
    *,
    fps: float | None = None,
    library: EmotionLibrary | None = None,
    progress: Progress | None = None,
    max_bytes: int = MAX_RENDER_BYTES,
) -> Curves:
    """Render a timeline into AU curves.

    Parameters
    ----------
    timeline
        The timeline; its seed makes the result reproducible bit for bit.
    fps
        Frame rate; the timeline's own by default.
    library
        Emotion prototypes; the shipped library by default.
    progress
        Called with the fraction done (0-1) now and then, for progress bars.
    max_bytes
        Refuse renders whose output would be larger.

    Returns
    -------
    Curves
        float32 values shaped (frames, N_CHANNELS) in [0, 1], starting at time 0.

    Raises
    ------
    TimelineError
        Unknown emotions or prototype sets, or an output too large to hold.
    """
    rate = timeline.fps if fps is None else fps
    if not (math.isfinite(rate) and 1.0 <= rate <= 1000.0):
        raise TimelineError(f"fps {rate!r} is out of range; expected a number in [1, 1000]")
    resolved = resolve_timeline(timeline, library=library)
    duration = timeline_duration(timeline, resolved)
    n_frames = _frame_count(timeline, duration, rate, max_bytes)
    blinks = blink_schedule(n_frames / rate, rate=timeline.blink_rate, seed=timeline.seed)
    base = mood_curves(timeline.mood, n_frames=n_frames, fps=rate, library=library)
    values = render_resolved(
        resolved,
        n_frames=n_frames,
        fps=rate,
        policy=timeline.blend,
        blinks=blinks,
        progress=progress,
        base=base,
    )
    return Curves(values, fps=rate, start=0.0, names=CHANNELS)
