"""What the timeline authoring plot shows, as plain data (no Qt).

:func:`authoring_figure` turns a timeline into a :class:`Figure`: the AU curves grouped by face
region (one :class:`Panel` per region with any activity), the events as :class:`Span`\\ s with
their keyframes, an :class:`AuLanes` heat strip (one lane per active AU, coloured by the event that
drives it, so curves that coincide in the line panels - a micro-expression's AUs all peaking at
0.30 - still show one by one, and two micro-expressions differ in colour), the mood track as a
:class:`MoodLane`, and optionally the weights of a rig's most active shapes. In the line panels
each AU is drawn :data:`TRACE_STEP` above the previous one so that equal curves do not hide each
other. :func:`curves_figure` does the same for AU curves without a timeline. The Qt layer
(``_plot_draw``) only draws it, so everything here is testable without a display.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from avatardrive.curves import Curves, zeros
from avatardrive.errors import ParameterError
from avatardrive.facs import CHANNELS, action_units, channels_of
from avatardrive.retarget import Rig
from avatardrive.synth import (
    ResolvedEvent,
    event_values,
    mood_map,
    mood_path,
    render,
    resolve_timeline,
    timeline_duration,
)
from avatardrive.timeline import Timeline

Side = Literal["L", "R"]

__all__ = [
    "ACTIVE",
    "AU_UNIT",
    "MOOD_OWNER",
    "REGION_GROUPS",
    "TRACE_STEP",
    "UNOWNED",
    "AuLanes",
    "Figure",
    "LegendEntry",
    "MoodLane",
    "Panel",
    "Span",
    "Trace",
    "au_lanes",
    "au_panels",
    "authoring_figure",
    "curves_figure",
    "event_spans",
    "mood_lane",
    "rig_panel",
    "shape_side",
    "stagger",
    "time_window",
]

#: Face regions drawn together, top to bottom: (panel title, catalogue regions).
REGION_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("brow", ("brow",)),
    ("eyes", ("eyes",)),
    ("nose / cheek", ("nose", "cheek")),
    ("mouth", ("mouth",)),
    ("chin / jaw", ("chin", "jaw")),
    ("tongue", ("tongue",)),
    ("head", ("head",)),
    ("gaze", ("gaze",)),
)
AU_UNIT = "AU intensity (0–1)"
#: Vertical step between the AUs of one line panel, in AU intensity: equal curves stay visible.
TRACE_STEP = 0.02
#: Owners of heat-strip cells that no event drives: blinks or curve files, and the mood track.
UNOWNED, MOOD_OWNER = -1, -2
#: A curve whose peak stays below this (AU intensity, or fraction of a rig's scale) is inactive.
ACTIVE = 1e-3

_SHAPE_SIDES: tuple[tuple[str, Side], ...] = (
    ("Left", "L"), ("Right", "R"), ("_L", "L"), ("_R", "R"), (".L", "L"), (".R", "R"),
    ("_left", "L"), ("_right", "R"),
)  # fmt: skip


@dataclass(frozen=True)
class Trace:
    """One drawn curve.

    Attributes
    ----------
    name : str
        The column it shows: an AU channel (``"AU12_L"``) or a rig shape.
    values : ndarray of float32, shape (frames,)
    color : int
        Palette index; both sides of one AU (or of one rig shape pair) share it.
    side : {"L", "R"} or None
        Which side of the face the curve belongs to; ``"R"`` is drawn dashed and darker.
    offset : float
        Drawn this much higher (the ``TRACE_STEP`` stagger), so that equal curves stay apart.
    """

    def drawn(self) -> npt.NDArray[np.float32]:
        """The values as drawn: raised by ``offset`` where the curve is active (fully from 0.05
        up), so that the rest line stays at 0 and the curve stays continuous."""
        lift = self.offset * np.clip(self.values / 0.05, 0.0, 1.0)
        drawn: npt.NDArray[np.float32] = (self.values + lift).astype(np.float32)
        return drawn

    name: str
    values: npt.NDArray[np.float32]
    color: int
    side: Side | None
    offset: float = 0.0


@dataclass(frozen=True)
class LegendEntry:
    """One line of a legend: a label and the colour and sides of the traces it stands for."""

    label: str
    color: int
    sides: tuple[Side | None, ...]


@dataclass(frozen=True)
class Panel:
    """One stacked plot: a face region's AU curves, or a rig's weights.

    Attributes
    ----------
    title : str
        Shown on its left axis: ``"brow"``, ``"arkit52"``.
    traces : tuple of Trace
    legend : tuple of LegendEntry
    y_max : float
        Full scale: 1 for AU intensity, the rig's scale for weights.
    unit : str
        What the values are, e.g. ``"AU intensity (0-1)"``.
    """

    title: str
    traces: tuple[Trace, ...]
    legend: tuple[LegendEntry, ...]
    y_max: float
    unit: str


@dataclass(frozen=True)
class Span:
    """One event on the time axis: its name, when it acts (seconds), its colour, the times of
    its intensity keys, and whether it is a micro-expression."""

    name: str
    start: float
    end: float
    color: int
    keys: tuple[float, ...] = ()
    micro: bool = False


@dataclass(frozen=True)
class AuLanes:
    """A heat strip: one lane per active AU, each cell coloured by who drives it.

    Attributes
    ----------
    labels : tuple of str
        ``"AU12"`` per lane, top to bottom in catalogue order.
    values : ndarray of float32, shape (lanes, frames)
        The stronger side of each AU.
    owners : ndarray of int16, shape (lanes, frames)
        Index of the event that drives each cell most (its :class:`Span` colour),
        :data:`MOOD_OWNER` where the mood does, :data:`UNOWNED` where nothing known does.
    """

    labels: tuple[str, ...]
    values: npt.NDArray[np.float32]
    owners: npt.NDArray[np.int16]

    def binned(self, columns: int) -> AuLanes:
        """At most ``columns`` cells per lane: each lane's strongest frame of each bin."""
        frames = self.values.shape[1]
        if frames <= columns or columns < 1:
            return self
        edges = np.linspace(0, frames, columns + 1).astype(np.intp)
        strongest = np.stack(
            [lo + np.argmax(self.values[:, lo:hi], axis=1)
             for lo, hi in itertools.pairwise(edges)],
            axis=1,
        )  # fmt: skip
        rows = np.arange(self.values.shape[0])[:, None]
        return AuLanes(self.labels, self.values[rows, strongest], self.owners[rows, strongest])


@dataclass(frozen=True)
class MoodLane:
    """The mood track over the shown window.

    Attributes
    ----------
    valence, arousal : ndarray of float64, shape (frames,)
        On the figure's ``times``.
    keys : tuple of (float, float, float)
        ``(time, valence, arousal)`` of each keyframe inside the window.
    """

    valence: npt.NDArray[np.float64]
    arousal: npt.NDArray[np.float64]
    keys: tuple[tuple[float, float, float], ...]


@dataclass(frozen=True)
class Figure:
    """Everything the authoring plot shows.

    Attributes
    ----------
    title, subtitle : str
    times : ndarray of float64, shape (frames,)
        Frame times, seconds, shared by every trace.
    window : (float, float)
        The shown time range, seconds.
    spans : tuple of Span
        Events overlapping the window, in timeline order.
    regions : tuple of Panel
        One panel per face region with activity, top to bottom.
    rig : Panel or None
        The rig's most active shapes, when a rig was given.
    lanes : AuLanes or None
        The heat strip of every active AU.
    mood : MoodLane or None
        The mood track, when the timeline has one.
    """

    title: str
    subtitle: str
    times: npt.NDArray[np.float64]
    window: tuple[float, float]
    spans: tuple[Span, ...]
    regions: tuple[Panel, ...]
    rig: Panel | None
    lanes: AuLanes | None = None
    mood: MoodLane | None = None


def _secs(value: float) -> str:
    return f"{round(value, 2):g}"


def time_window(
    duration: float, *, start: float | None = None, end: float | None = None
) -> tuple[float, float]:
    """The shown time range: ``[start, end]`` clipped to ``[0, duration]``.

    Raises
    ------
    ParameterError
        A bound that is not finite, or a range that is empty after clipping.
    """
    lo = 0.0 if start is None else float(start)
    hi = duration if end is None else min(float(end), duration)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ParameterError(f"time window {lo:g}-{hi:g} s is not finite; expected seconds")
    lo = max(lo, 0.0)
    if hi <= lo:
        raise ParameterError(
            f"time window {_secs(lo)}-{_secs(hi)} s is empty; expected from < to, within the "
            f"timeline's 0-{_secs(duration)} s"
        )
    return lo, hi


def _au_panel(curves: Curves, title: str, regions: tuple[str, ...], threshold: float) -> Panel:
    peaks = curves.values.max(axis=0, initial=0.0)
    traces: list[Trace] = []
    legend: list[LegendEntry] = []
    for unit in (u for u in action_units() if u.region in regions):
        left, right = channels_of(unit.number)
        if max(peaks[left], peaks[right]) < threshold:
            continue
        color = len(legend)
        offset = color * TRACE_STEP
        traces.append(Trace(curves.names[left], curves.values[:, left], color, "L", offset))
        traces.append(Trace(curves.names[right], curves.values[:, right], color, "R", offset))
        legend.append(LegendEntry(f"{unit.code} {unit.name}", color, ("L", "R")))
    return Panel(title, tuple(traces), tuple(legend), 1.0, AU_UNIT)


def au_panels(curves: Curves, *, threshold: float = ACTIVE) -> tuple[Panel, ...]:
    """One panel per region group of :data:`REGION_GROUPS` whose AUs rise above ``threshold``.

    Parameters
    ----------
    curves : Curves
        AU curves, shape (frames, N_CHANNELS), columns in the channel order.
    threshold : float
        Peak intensity below which an AU is left out.

    Returns
    -------
    tuple of Panel
        Each with two traces (left, right) and one legend entry per active AU, in catalogue
        order.
    """
    panels = (_au_panel(curves, title, regions, threshold) for title, regions in REGION_GROUPS)
    return tuple(panel for panel in panels if panel.traces)


def shape_side(name: str) -> tuple[str, Side | None]:
    """Split a rig shape name into base and side: ``"mouthSmileLeft"`` -> ``("mouthSmile", "L")``.

    Names without a recognised side suffix (``Left``, ``Right``, ``_L``, ``_R``, ``.L``, ``.R``,
    ``_left``, ``_right``) return ``(name, None)``.
    """
    for suffix, side in _SHAPE_SIDES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], side
    return name, None


def _shape_legend(names: Sequence[str]) -> tuple[list[int], list[LegendEntry]]:
    """A colour per shape, shared by the two sides of a pair, and one legend entry per colour."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(shape_side(name)[0], []).append(name)
    colors = {name: i for i, members in enumerate(groups.values()) for name in members}
    legend = []
    for color, (base, members) in enumerate(groups.items()):
        sides = tuple(shape_side(name)[1] for name in members)
        label = f"{base} Left/Right" if len(members) == 2 and None not in sides else members[0]
        legend.append(LegendEntry(label, color, sides))
    return [colors[name] for name in names], legend


def rig_panel(weights: Curves, rest: npt.ArrayLike, *, title: str, scale: float, top: int) -> Panel:
    """The ``top`` shapes that move furthest from rest, in rig order.

    Parameters
    ----------
    weights : Curves
        Rig weights, shape (frames, shapes), on the rig's scale.
    rest : array_like, shape (shapes,)
        Weights of a neutral face.
    title : str
        Panel title, e.g. the rig's name.
    scale : float
        The rig's full weight (1 or 100).
    top : int
        How many shapes to show at most; shapes that never move are left out.

    Returns
    -------
    Panel
        One trace per shape; a left/right pair shares a colour and a legend entry.
    """
    if top < 1:
        raise ParameterError(f"top is {top}; expected at least 1 shape")
    moved = np.abs(weights.values - np.asarray(rest, np.float32)).max(axis=0, initial=0.0)
    order = np.argsort(-moved, kind="stable")[:top]
    chosen = sorted(int(i) for i in order if moved[i] >= ACTIVE * scale)
    names = [weights.names[i] for i in chosen]
    colors, legend = _shape_legend(names)
    traces = tuple(
        Trace(name, weights.values[:, i], color, shape_side(name)[1])
        for name, i, color in zip(names, chosen, colors, strict=True)
    )
    return Panel(title, traces, tuple(legend), scale, f"rig weight (0–{scale:g})")


def event_spans(
    resolved: Sequence[ResolvedEvent], *, window: tuple[float, float]
) -> tuple[Span, ...]:
    """The events that overlap ``window``, clipped to it, colour-coded by their index."""
    lo, hi = window
    ends = {e.index: e.end for e in resolved if e.part_of is None}
    for event in resolved:  # an event handed over lasts until its own AUs are released
        if event.part_of is not None:
            ends[event.part_of] = max(ends[event.part_of], event.end)
    return tuple(
        Span(
            event.name,
            max(event.start, lo),
            min(ends[event.index], hi),
            event.index,
            keys=tuple(k for k in event.keys if lo <= k <= hi),
            micro=event.micro,
        )
        for event in resolved
        if event.part_of is None and ends[event.index] > lo and event.start < hi
    )


def _lane_rows(curves: Curves, threshold: float) -> list[tuple[str, int, int]]:
    """``(label, left channel, right channel)`` of each AU whose curves rise above threshold."""
    peaks = curves.values.max(axis=0, initial=0.0)
    rows = []
    for _, regions in REGION_GROUPS:
        for unit in (u for u in action_units() if u.region in regions):
            left, right = channels_of(unit.number)
            if max(peaks[left], peaks[right]) >= threshold:
                rows.append((unit.code, left, right))
    return rows


def au_lanes(
    curves: Curves,
    resolved: Sequence[ResolvedEvent] = (),
    *,
    mood: npt.NDArray[np.float32] | None = None,
    threshold: float = ACTIVE,
) -> AuLanes | None:
    """The heat strip of ``curves``: one lane per active AU, cells owned by the strongest event.

    Parameters
    ----------
    curves : Curves
        AU curves on the figure's frames, shape (frames, N_CHANNELS).
    resolved : sequence of ResolvedEvent
        The events rendered into them (their frames are matched by time).
    mood : ndarray of float32, shape (frames, N_CHANNELS), optional
        The mood track's expression on the same frames.
    threshold : float
        Peak intensity below which an AU gets no lane.

    Returns
    -------
    AuLanes or None
        ``None`` when no AU is active.
    """
    rows = _lane_rows(curves, threshold)
    if not rows:
        return None
    left = np.array([r[1] for r in rows])
    right = np.array([r[2] for r in rows])
    values = np.maximum(curves.values[:, left], curves.values[:, right]).T
    owners = np.full(values.shape, UNOWNED, dtype=np.int16)
    best = np.zeros(values.shape, dtype=np.float64)
    if mood is not None:
        best = np.maximum(mood[:, left], mood[:, right]).T.astype(np.float64)
        owners[best > ACTIVE] = MOOD_OWNER
    row_of = {channel: row for row, (_, lc, rc) in enumerate(rows) for channel in (lc, rc)}
    first_frame = round(curves.start * curves.fps)
    total = first_frame + curves.n_frames
    for event in resolved:
        first, event_rows, _ = event_values(event, fps=curves.fps, n_frames=total, weights=False)
        lo, hi = max(first, first_frame), min(first + event_rows.shape[0], total)
        if hi <= lo:
            continue
        owner = event.index if event.part_of is None else event.part_of
        cells = slice(lo - first_frame, hi - first_frame)
        for column, channel in enumerate(event.channels.tolist()):
            row = row_of.get(channel)
            if row is None:
                continue
            segment = event_rows[lo - first : hi - first, column]
            stronger = (segment > best[row, cells] + 1e-9) & (segment > ACTIVE)
            best[row, cells] = np.where(stronger, segment, best[row, cells])
            owners[row, cells] = np.where(stronger, owner, owners[row, cells])
    return AuLanes(tuple(r[0] for r in rows), values.astype(np.float32), owners)


def mood_lane(timeline: Timeline, times: npt.NDArray[np.float64]) -> MoodLane | None:
    """The timeline's mood track on ``times``; ``None`` when it has none."""
    if not timeline.mood:
        return None
    valence, arousal = mood_path(timeline.mood, times)
    lo, hi = (float(times[0]), float(times[-1])) if times.size else (0.0, 0.0)
    keys = tuple((k.at, k.valence, k.arousal) for k in timeline.mood if lo <= k.at <= hi)
    return MoodLane(valence, arousal, keys)


def stagger(extents: Sequence[tuple[float, float]], *, gap: float = 0.0) -> list[int]:
    """Lanes for labelled spans so that no two in one lane overlap.

    Parameters
    ----------
    extents : sequence of (float, float)
        ``(start, end)`` of each span including its label, in any order.
    gap : float
        Space to keep free between neighbours in a lane.

    Returns
    -------
    list of int
        The lane of each span (0 = first lane), greedily the lowest free one, in start order.
    """
    lanes: list[float] = []  # where each lane is free again
    result = [0] * len(extents)
    for i in sorted(range(len(extents)), key=lambda k: extents[k][0]):
        start, end = extents[i]
        lane = next((k for k, free in enumerate(lanes) if free <= start), len(lanes))
        if lane == len(lanes):
            lanes.append(0.0)
        lanes[lane] = end + gap
        result[i] = lane
    return result


def _titles(
    timeline: Timeline, window: tuple[float, float], n_spans: int, rig: Rig | None
) -> tuple[str, str]:
    name = Path(timeline.source).name if timeline.source else "timeline"
    rig_part = f" · rig {rig.name}" if rig is not None else ""
    title = f"{name} — AU curves by face region{rig_part}"
    subtitle = (
        f"{_secs(window[0])}–{_secs(window[1])} s at {timeline.fps:g} fps · {n_spans} events · "
        f"solid line = left side, dashed = right side (the performer's own)"
    )
    return title, subtitle


def authoring_figure(
    timeline: Timeline,
    *,
    rig: Rig | None = None,
    start: float | None = None,
    end: float | None = None,
    top_shapes: int = 8,
) -> Figure:
    """Render a timeline and describe the authoring plot of it.

    Parameters
    ----------
    timeline : Timeline
        The timeline; rendered at its own fps.
    rig : Rig, optional
        Add a panel of this rig's weights (its ``top_shapes`` most active shapes).
    start, end : float, optional
        Show only this time range, seconds (default: the whole timeline).
    top_shapes : int
        How many rig shapes to show at most.

    Returns
    -------
    Figure
    """
    resolved = resolve_timeline(timeline)
    window = time_window(timeline_duration(timeline, resolved), start=start, end=end)
    curves = render(timeline).slice(window[0], window[1] + 0.5 / timeline.fps)
    spans = event_spans(resolved, window=window)
    mood_values = None
    if timeline.mood:  # the mood's own share of each heat-strip cell
        valence, arousal = mood_path(timeline.mood, curves.times())
        mood_values = mood_map().curves(valence, arousal)
    rig_view = None
    if rig is not None:
        rest = rig.forward(zeros(1, fps=1.0)).values[0]  # a neutral face
        rig_view = rig_panel(
            rig.forward(curves), rest, title=rig.name, scale=rig.scale, top=top_shapes
        )
    title, subtitle = _titles(timeline, window, len(spans), rig)
    return Figure(
        title,
        subtitle,
        curves.times(),
        window,
        spans,
        au_panels(curves),
        rig_view,
        lanes=au_lanes(curves, resolved, mood=mood_values),
        mood=mood_lane(timeline, curves.times()),
    )


def curves_figure(
    curves: Curves,
    *,
    rig: Rig | None = None,
    start: float | None = None,
    end: float | None = None,
    top_shapes: int = 8,
    title: str = "AU curves",
) -> Figure:
    """The authoring plot of AU curves that come without a timeline (a file, a tracked take).

    Parameters
    ----------
    curves : Curves
        Shape (frames, N_CHANNELS), columns named as ``facs.CHANNELS``.
    rig, start, end, top_shapes
        As in :func:`authoring_figure`.
    title : str
        The figure's title.

    Raises
    ------
    ParameterError
        Curves whose columns are not the AU channels.
    """
    if tuple(curves.names) != CHANNELS:
        raise ParameterError(
            f"curves with columns {', '.join(curves.names[:3])}...; expected the AU channels "
            f"{', '.join(CHANNELS[:3])}... (bring rig weights into AU space with a rig first)"
        )
    lo = curves.start if start is None else start
    window = time_window(curves.start + curves.duration, start=lo, end=end)
    shown = curves.slice(window[0], window[1] + 0.5 / curves.fps)
    rig_view = None
    if rig is not None:
        rest = rig.forward(zeros(1, fps=1.0)).values[0]
        rig_view = rig_panel(
            rig.forward(shown), rest, title=rig.name, scale=rig.scale, top=top_shapes
        )
    subtitle = (
        f"{_secs(window[0])}–{_secs(window[1])} s at {curves.fps:g} fps · solid line = left "
        f"side, dashed = right side (the performer's own)"
    )
    return Figure(title, subtitle, shown.times(), window, (), au_panels(shown), rig_view,
                  lanes=au_lanes(shown))  # fmt: skip
