"""Resolve timeline events into per-channel envelope parameters (seeded, pure).

An event becomes a :class:`ResolvedEvent`: for each AU channel it drives, the peak amplitude, the
onset delay (per-AU lag + side lag), and the phase durations. All random choices come from a
generator seeded by ``(timeline seed, event index)``, so editing one event never changes another
and the same timeline renders the same curves bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from avatardrive.errors import ParameterError, TimelineError
from avatardrive.facs import AUKey, action_unit, channel_unit, channels_of, parse_au_key
from avatardrive.synth._envelope import apex_sag, envelope
from avatardrive.synth._library import EmotionLibrary, Prototype, emotion_library
from avatardrive.synth._schedule import Moves, evaluate_moves, key_moves
from avatardrive.synth._styles import MICRO, STYLE_DEFAULTS, StyleDefaults
from avatardrive.timeline import Event, Timeline

__all__ = [
    "ResolvedEvent",
    "event_curves",
    "hand_over",
    "resolve_event",
    "resolve_timeline",
    "side_gains",
]

_EVENT_STREAM = 1  # seed-sequence tags keep event and blink randomness apart
_SINES = 2  # slow sinusoids per channel shaping the apex sag
_NEGLIGIBLE = 1e-6  # peaks below this are treated as zero


@dataclass(frozen=True)
class ResolvedEvent:
    """Everything needed to render one event, one entry per driven channel.

    Attributes
    ----------
    channels : ndarray of int, shape (k,)
        Channel indices, unique.
    amplitudes : ndarray of float64, shape (k,)
        Peak values in [0, 1].
    delays : ndarray of float64, shape (k,)
        Onset delay of each channel after ``start``, seconds.
    onsets : ndarray of float64, shape (k,)
        Onset duration of each channel (lagged AUs catch up a little: AU6 in a felt smile).
    apex, offset : float
        Apex and offset durations, seconds.
    apex_depth : float
        Largest relative apex sag (0 = steady apex).
    frequencies, phases : ndarray of float64, shape (k, 2)
        Sinusoids shaping each channel's apex sag.
    moves : Moves or None
        The schedule of a keyframed, held or handed-over event (its envelope instead of onset,
        apex and offset; no apex sag); ``None`` for a plain event.
    cut : float or None
        When a later event takes over (timeline seconds): this event gives nothing from then on.
    keys : tuple of float
        Timeline seconds of its intensity keys (for plots).
    part_of : int or None
        For the release of AUs an event handed over without sharing them: that event's index.
    """

    index: int
    name: str
    start: float
    channels: NDArray[np.intp]
    amplitudes: NDArray[np.float64]
    delays: NDArray[np.float64]
    onsets: NDArray[np.float64]
    apex: float
    offset: float
    apex_depth: float
    frequencies: NDArray[np.float64]
    phases: NDArray[np.float64]
    priority: int
    micro: bool
    moves: Moves | None = None
    cut: float | None = None
    keys: tuple[float, ...] = ()
    part_of: int | None = None

    @property
    def end(self) -> float:
        """When the last channel is back at rest (or the event is cut), seconds; ``inf`` while
        it holds."""
        if self.channels.size == 0:
            return self.start
        if self.moves is None:
            end = self.start + float(np.max(self.delays + self.onsets)) + self.apex + self.offset
        elif self.moves.released:
            end = self.start + float(np.max(self.delays)) + self.moves.settle
        else:
            end = math.inf
        return end if self.cut is None else min(end, self.cut)

    @property
    def settled(self) -> float:
        """When the event has reached its last level (a held one) or its end, seconds."""
        if self.moves is None or self.channels.size == 0:
            return self.end
        return min(self.start + float(np.max(self.delays)) + self.moves.settle,
                   self.end)  # fmt: skip


def event_curves(
    event: ResolvedEvent, t: NDArray[np.float64], *, weights: bool = True
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """An event's values at times ``t`` (seconds since its start), ignoring any cut.

    Returns
    -------
    values : ndarray, shape (k, len(t))
    weights : ndarray, shape (k, len(t)), or None
        How far the event covers lower layers (0-1; the ``priority`` policy), if asked for.
    """
    since = t[None, :] - event.delays[:, None]
    if event.moves is not None:
        values = evaluate_moves(event.moves, since)
        return values, evaluate_moves(event.moves.unit(), since) if weights else None
    onsets = event.onsets[:, None]
    unit = envelope(since, onset=onsets, apex=event.apex, offset=event.offset)
    if event.apex_depth > 0.0:
        unit *= apex_sag(
            since,
            onset=onsets,
            apex=np.full_like(onsets, event.apex),
            depth=event.apex_depth,
            frequencies=event.frequencies,
            phases=event.phases,
        )
    return unit * event.amplitudes[:, None], unit


def _as_moves(event: ResolvedEvent) -> Moves:
    """A plain event's envelope as moves (onset, steady apex, offset)."""
    if event.moves is not None:
        return event.moves
    return key_moves(
        ((0.0, 1.0),),
        amplitudes=event.amplitudes,
        onsets=event.onsets,
        onset=float(np.max(event.onsets, initial=0.0)),
        apex=event.apex,
        offset=event.offset,
        hold=False,
        onset_base=1.0,
        onset_per_amplitude=0.0,
    )


def hand_over(
    earlier: ResolvedEvent, later: ResolvedEvent
) -> tuple[ResolvedEvent, ResolvedEvent, ResolvedEvent | None]:
    """A transition: ``later`` takes over from ``earlier`` at its start.

    The earlier event stops at that moment. AU channels both drive move from where the earlier
    one is to the later one's levels over the later one's onset (and hold there through its
    per-AU delays), so they never dip below the smaller of the two; channels only the earlier one
    drives release from where they are with its offset duration.

    Returns
    -------
    earlier, later, release
        The earlier event cut at the handover, the later one starting from the earlier's values,
        and the release of the earlier's own channels (``None`` if there is nothing to release).
    """
    moment = later.start
    now, _ = event_curves(earlier, np.array([moment - earlier.start]), weights=False)
    where_now = dict(zip(earlier.channels.tolist(), now[:, 0].tolist(), strict=True))
    initial = np.array([where_now.get(c, 0.0) for c in later.channels.tolist()])
    moves = _as_moves(later)
    later = replace(later, moves=replace(moves, initial=initial))
    own = [i for i, c in enumerate(earlier.channels.tolist())
           if c not in set(later.channels.tolist()) and now[i, 0] > _NEGLIGIBLE]  # fmt: skip
    release = None
    if own:
        levels = now[own, 0]
        release = replace(
            earlier,
            name=f"{earlier.name} (release)",
            start=moment,
            channels=earlier.channels[own],
            amplitudes=levels,
            delays=np.zeros(len(own)),
            onsets=np.full(len(own), earlier.offset),
            frequencies=earlier.frequencies[own],
            phases=earlier.phases[own],
            moves=Moves(
                initial=levels,
                begins=np.zeros(1),
                durations=np.full((1, len(own)), earlier.offset),
                targets=np.zeros((1, len(own))),
                released=True,
            ),
            cut=None,
            keys=(),
            part_of=earlier.index,
        )
    return replace(earlier, cut=moment), later, release


def side_gains(avatar: float, event: float = 0.0) -> tuple[float, float]:
    """Left and right gains from signed asymmetries (+ = left stronger).

    ``side_gains(0.1)`` is ``(1.0, 0.9)``; avatar and event asymmetries multiply.
    """
    left = (1.0 - max(0.0, -avatar)) * (1.0 - max(0.0, -event))
    right = (1.0 - max(0.0, avatar)) * (1.0 - max(0.0, event))
    return left, right


def _style(event: Event) -> StyleDefaults:
    return MICRO if event.micro else STYLE_DEFAULTS[event.style]


def _configuration(
    event: Event, prototype: Prototype | None, style: StyleDefaults, rng: np.random.Generator
) -> list[tuple[AUKey, float]]:
    """The AU keys and relative peaks the event shows (a sub-configuration when sampling)."""
    if prototype is None:
        return [(parse_au_key(k), v) for k, v in (event.aus or {}).items()]
    sample = (
        event.sample
        if event.sample is not None
        else (event.style == "spontaneous" and not event.micro)
    )
    if not sample:
        return list(prototype.aus)
    keep_core, take_optional = (
        (style.keep_core, style.take_optional) if not event.micro else (1.0, 0.0)
    )
    if event.sample and keep_core >= 1.0:  # sampling asked for explicitly in posed style
        keep_core, take_optional = STYLE_DEFAULTS["spontaneous"].keep_core, 0.35
    draws = rng.random(len(prototype.aus) + len(prototype.optional))
    chosen = [
        (key, value)
        for (key, value), draw in zip(prototype.aus, draws[: len(prototype.aus)], strict=True)
        if key.number in prototype.key or draw < keep_core
    ] or [max(prototype.aus, key=lambda item: item[1])]
    chosen += [
        (key, value)
        for (key, value), draw in zip(prototype.optional, draws[len(prototype.aus) :], strict=True)
        if draw < take_optional
    ]
    return chosen


def _durations(
    event: Event, style: StyleDefaults, peak: float, rng: np.random.Generator
) -> tuple[float, float, float]:
    """Onset, apex, offset: the event's own where given, else the style's, drawn and bounded."""
    draws = rng.standard_normal(3)
    ratio = rng.uniform(*style.offset_ratio)
    onset = event.onset
    if onset is None:
        onset = (style.onset_base + style.onset_per_amplitude * peak) * float(
            np.exp(style.onset_sigma * draws[0])
        )
    offset = event.offset
    if offset is None:
        offset = onset * ratio * float(np.exp(0.1 * draws[2]))
        offset = max(offset, onset)
    apex = event.apex
    if apex is None:
        apex = style.apex * float(np.exp(style.apex_sigma * draws[1]))
        low, high = style.total_range
        apex = float(np.clip(apex, max(0.0, low - onset - offset), max(0.0, high - onset - offset)))
    if event.onset is None and event.offset is None and onset + offset > style.total_range[1]:
        scale = style.total_range[1] / (onset + offset + apex)  # keep default micro totals < 0.5 s
        onset, offset, apex = onset * scale, offset * scale, apex * scale
    return float(onset), float(apex), float(offset)


def _side_lag(event: Event, style: StyleDefaults, rng: np.random.Generator) -> float:
    draw = rng.uniform(-style.side_lag, style.side_lag)
    return event.side_lag if event.side_lag is not None else float(draw)


def resolve_event(
    event: Event,
    *,
    index: int,
    seed: int,
    avatar_asymmetry: float = 0.0,
    library: EmotionLibrary | None = None,
    prototypes: str = "canonical",
) -> ResolvedEvent:
    """Resolve one event into per-channel envelope parameters.

    Parameters
    ----------
    event
        The event.
    index
        Its index in the timeline (part of its random stream).
    seed
        The timeline's seed.
    avatar_asymmetry
        The face's fixed side gain difference, + = left stronger.
    library
        Emotion prototypes; the shipped library by default.
    prototypes
        The set unqualified emotion names are looked up in first.

    Raises
    ------
    TimelineError
        An unknown emotion or prototype set (``where`` = ``events[i].emotion``).
    """
    rng = np.random.default_rng([seed, _EVENT_STREAM, index])
    style = _style(event)
    prototype = None
    if event.emotion is not None:
        try:
            prototype = (library or emotion_library()).get(event.emotion, default_set=prototypes)
        except ParameterError as err:
            raise TimelineError(err.message, where=f"events[{index}].emotion") from None
    config = _configuration(event, prototype, style, rng)
    strongest = max(value for _, value in config)
    intensity = event.intensity
    if event.keys is not None:
        intensity = max(level for _, level in event.keys)
    if intensity is None and prototype is not None:
        intensity = prototype.intensity if prototype.intensity is not None else style.intensity
        if event.micro:
            intensity = min(intensity, MICRO.intensity)
    # Rescale so the strongest AU peaks at the intensity; a configuration of (near) zeros stays put.
    scale = 1.0 if intensity is None or strongest < _NEGLIGIBLE else intensity / strongest
    onset, apex, offset = _durations(event, style, strongest * scale, rng)

    # Per-AU onset lags: loosely coupled AUs get a random lag; prototype lags (AU6 after AU12)
    # count from the key AUs' onset; the event's own lags are exact.
    numbers = sorted({key.number for key, _ in config})
    jitter = dict(zip(numbers, rng.uniform(0.0, style.coupling, len(numbers)), strict=True))
    proto_lags = {} if prototype is None else dict(prototype.lags)
    lag_draws = dict(zip(numbers, rng.random(len(numbers)), strict=True))
    unlagged = [n for n in numbers if n not in proto_lags] or numbers
    reference = max(jitter[n] for n in unlagged)
    au_delay: dict[int, float] = {}
    au_onset: dict[int, float] = {}
    for number in numbers:
        code = f"AU{number}"
        if code in event.lags:
            au_delay[number], au_onset[number] = event.lags[code], onset
        elif number in proto_lags:
            low, high = proto_lags[number]
            lag = (low + lag_draws[number] * (high - low)) * style.lag_scale
            au_delay[number] = reference + lag
            au_onset[number] = max(
                onset - 0.5 * lag, 0.5 * onset
            )  # peaks within ~lag/2 of the key AU
        else:
            au_delay[number], au_onset[number] = jitter[number], onset
    side_lag = _side_lag(event, style, rng)
    left_gain, right_gain = side_gains(avatar_asymmetry, event.asymmetry)
    one_side = "L" if event.side == "left" else "R"

    entries: dict[int, tuple[float, float, float]] = {}
    for key, value in config:
        unit = action_unit(key.number)
        left, right = channels_of(key.number)
        amplitude = value * scale
        delay, au_on = au_delay[key.number], au_onset[key.number]
        if unit.midline:
            sides = [(left, amplitude, delay), (right, amplitude, delay)]
        else:
            side = one_side if key.side == "U" else key.side
            sides = []
            if side in (None, "L"):
                sides.append((left, amplitude * left_gain, delay + max(0.0, -side_lag)))
            if side in (None, "R"):
                sides.append((right, amplitude * right_gain, delay + max(0.0, side_lag)))
        for channel, amp, dly in sides:
            if channel not in entries or entries[channel][0] < amp:
                entries[channel] = (min(amp, 1.0), dly, au_on)

    channels = np.array(sorted(entries), dtype=np.intp)
    values = np.array([entries[c] for c in channels], dtype=np.float64).reshape(-1, 3)
    # One apex sag per AU, shared by its two sides: the sides of one muscle move together.
    frequencies = rng.uniform(0.3, 1.2, (len(numbers), _SINES))
    phases = rng.uniform(0.0, 2.0 * np.pi, (len(numbers), _SINES))
    row_of_au = {number: row for row, number in enumerate(numbers)}
    rows = [row_of_au[channel_unit(c)] for c in channels]
    moves = None
    if event.keys is not None or event.hold:
        moves = key_moves(
            event.keys or ((0.0, 1.0),),
            amplitudes=values[:, 0],
            onsets=values[:, 2],
            onset=onset,
            apex=(event.apex or 0.0) if event.keys is not None else apex,
            offset=offset,
            hold=event.hold,
            onset_base=style.onset_base,
            onset_per_amplitude=style.onset_per_amplitude,
        )
    return ResolvedEvent(
        index=index,
        name=event.name,
        start=event.start,
        channels=channels,
        amplitudes=values[:, 0],
        delays=values[:, 1],
        onsets=values[:, 2],
        apex=apex,
        offset=offset,
        apex_depth=0.0 if event.micro else style.apex_depth,
        frequencies=frequencies[rows].reshape(-1, _SINES),
        phases=phases[rows].reshape(-1, _SINES),
        priority=event.priority,
        micro=event.micro,
        moves=moves,
        keys=tuple(event.start + at for at, _ in event.keys or ()),
    )


def resolve_timeline(
    timeline: Timeline, *, library: EmotionLibrary | None = None
) -> list[ResolvedEvent]:
    """Resolve every event of ``timeline``, in timeline order.

    Raises
    ------
    TimelineError
        Located with the timeline's file and line where known.
    """
    lib = library or emotion_library()
    if timeline.prototypes not in lib.sets:
        try:
            lib.set_name(timeline.prototypes)
            problem = f"{timeline.prototypes!r}; expected a lowercase set name"
        except ParameterError as err:
            problem = err.message
        raise TimelineError(
            problem, source=timeline.source, where=timeline.where(None, "prototypes")
        )
    resolved: list[ResolvedEvent] = []
    for i, event in enumerate(timeline.events):
        try:
            resolved.append(
                resolve_event(
                    event,
                    index=i,
                    seed=timeline.seed,
                    avatar_asymmetry=timeline.asymmetry,
                    library=lib,
                    prototypes=timeline.prototypes,
                )
            )
        except TimelineError as err:
            raise TimelineError(
                err.message, source=timeline.source, where=timeline.where(i, "emotion")
            ) from None
    return _link(resolved, timeline.takers())


def _link(resolved: list[ResolvedEvent], takers: Mapping[int, int]) -> list[ResolvedEvent]:
    """Apply the transitions (earlier index -> later index), earliest handover first, so that a
    chain A -> B -> C hands B over as it is after taking over from A."""
    releases = []
    for earlier, later in sorted(takers.items(), key=lambda item: resolved[item[1]].start):
        cut, taking, release = hand_over(resolved[earlier], resolved[later])
        resolved[earlier], resolved[later] = cut, taking
        if release is not None:
            releases.append(release)
    return resolved + releases
