"""The timeline model: events on a clock, plus global settings, validated on construction.

The file format (``_format`` reads; ``_schema`` holds its keys and writes) and the authoring API
(methods of :class:`Timeline`) are two views of this one model. Validation here raises
:class:`~avatardrive.errors.TimelineError` whose ``where`` is the key at fault (``"intensity"``);
the file reader prefixes the file, line and event index.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal, cast

from avatardrive.errors import ParameterError, TimelineError, excerpt
from avatardrive.facs import intensity_value, parse_au_key
from avatardrive.timeline._schema import EVENT_KEYS, FORMAT_VERSION, save_data

__all__ = [
    "BLEND_POLICIES",
    "BLINK_TIMING",
    "MAX_EVENT_SECONDS",
    "MICRO_MAX_ONSET",
    "MICRO_MAX_TOTAL",
    "MIN_PHASE_SECONDS",
    "STYLES",
    "Event",
    "MoodKey",
    "Policy",
    "Style",
    "Timeline",
    "canonical_au_key",
]

Style = Literal["spontaneous", "posed"]
Policy = Literal["max", "sum", "priority"]
SideName = Literal["left", "right"]
STYLES: tuple[Style, ...] = ("spontaneous", "posed")
BLEND_POLICIES: tuple[Policy, ...] = ("max", "sum", "priority")
SIDE_NAMES: tuple[SideName, ...] = ("left", "right")

#: Shortest onset or offset accepted, in seconds (one frame at 1000 fps).
MIN_PHASE_SECONDS = 0.001
#: Longest onset, apex or offset accepted, in seconds (one hour).
MAX_EVENT_SECONDS = 3600.0
#: Micro-expression limits (Yan et al. 2013): total under 0.5 s, onset under about 0.26 s.
MICRO_MAX_TOTAL = 0.5
MICRO_MAX_ONSET = 0.26

#: An explicit blink's onset (closing), apex (held closed) and offset (opening), seconds: inside
#: the ranges of spontaneous blinks (FACS_DATA.md section 1: closing 60-100 ms, opening 1.5-2.5x
#: as long).
BLINK_TIMING = (0.08, 0.02, 0.16)

_EMPTY: Mapping[str, float] = MappingProxyType({})
Key = tuple[float, float]


def _fail(key: str, message: str) -> TimelineError:
    return TimelineError(message, where=key)


def _number(key: str, value: object, *, lo: float, hi: float, lo_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(key, f"{excerpt(value)} is a {type(value).__name__}; expected a number")
    bracket = "(" if lo_open else "["
    try:
        number = float(value)
    except OverflowError:  # an integer beyond float range
        raise _fail(
            key, f"{excerpt(value)} is out of range; expected a number in {bracket}{lo:g}, {hi:g}]"
        ) from None
    if not math.isfinite(number):
        raise _fail(key, f"{value!r} is not finite; expected a number in [{lo:g}, {hi:g}]")
    if number < lo or number > hi or (lo_open and number == lo):
        raise _fail(
            key, f"{excerpt(value)} is out of range; expected a number in {bracket}{lo:g}, {hi:g}]"
        )
    return number


def _duration(key: str, value: object | None, *, allow_zero: bool = False) -> float | None:
    if value is None:
        return None
    return _number(key, value, lo=0.0 if allow_zero else MIN_PHASE_SECONDS, hi=MAX_EVENT_SECONDS)


def _intensity(key: str, value: object) -> float:
    try:
        return intensity_value(value)  # type: ignore[arg-type]
    except ParameterError as err:
        raise _fail(key, err.message) from None


def _choice(key: str, value: object, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise _fail(key, f"{value!r} is not allowed; expected one of {', '.join(choices)}")
    return str(value)


def canonical_au_key(key: str) -> str:
    """``"l14"`` -> ``"AU14_L"``, ``"AU12"`` -> ``"AU12"``, ``"U12"`` -> ``"AU12_U"``."""
    parsed = parse_au_key(key)
    return parsed.code if parsed.side is None else f"{parsed.code}_{parsed.side}"


def _aus(value: object) -> Mapping[str, float]:
    if not isinstance(value, Mapping) or not value:
        raise _fail("aus", f"{value!r}; expected a non-empty table of AU = intensity")
    result: dict[str, float] = {}
    numbers_whole: set[str] = set()
    numbers_sided: set[str] = set()
    for raw_key, raw_value in value.items():
        if not isinstance(raw_key, str):
            raise _fail("aus", f"key {raw_key!r}; expected an AU name such as AU12 or AU12_L")
        try:
            key = canonical_au_key(raw_key)
        except ParameterError as err:
            raise _fail(f"aus.{raw_key}", err.message) from None
        code = key.split("_")[0]
        if key in result:
            raise _fail(f"aus.{raw_key}", f"{key} is given twice; expected each AU once")
        (numbers_sided if "_" in key else numbers_whole).add(code)
        if code in numbers_whole and code in numbers_sided:
            raise _fail(
                f"aus.{raw_key}",
                f"{code} is given both for both sides and for one side; expected one of the two",
            )
        result[key] = _intensity(f"aus.{raw_key}", raw_value)
    return MappingProxyType(result)


def _lags(value: object) -> Mapping[str, float]:
    if not isinstance(value, Mapping):
        raise _fail("lags", f"{value!r}; expected a table of AU = seconds, e.g. {{ AU6 = 0.1 }}")
    result: dict[str, float] = {}
    for raw_key, raw_value in value.items():
        try:
            parsed = parse_au_key(str(raw_key))
        except ParameterError as err:
            raise _fail(f"lags.{raw_key}", err.message) from None
        if parsed.side is not None:
            raise _fail(f"lags.{raw_key}", f"{raw_key!r} names a side; expected {parsed.code}")
        result[parsed.code] = _number(f"lags.{raw_key}", raw_value, lo=0.0, hi=10.0)
    return MappingProxyType(result)


def _keys(name: str, value: object) -> tuple[Key, ...]:
    """Intensity keyframes ``[[seconds, level], ...]``: times from the event's start, increasing."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)) or not value:
        raise _fail(name, f"{value!r}; expected keys [[seconds, level], ...], at least one")
    keys: list[Key] = []
    for i, raw in enumerate(value):
        here = f"{name}[{i}]"
        if isinstance(raw, (str, bytes)) or not isinstance(raw, (list, tuple)) or len(raw) != 2:
            raise _fail(here, f"{_short(raw)}; expected a key [seconds, level]")
        at = _number(here, raw[0], lo=0.0, hi=MAX_EVENT_SECONDS)
        level = _intensity(here, raw[1])
        if keys and at <= keys[-1][0]:
            raise _fail(
                here,
                f"key at {at:g} s comes after a key at {keys[-1][0]:g} s; expected keys in "
                f"increasing time order",
            )
        keys.append((at, level))
    return tuple(keys)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass(frozen=True)
class MoodKey:
    """A keyframe of the mood track: at ``at`` seconds the mood is (``valence``, ``arousal``).

    Between keyframes the mood moves along a straight line in the valence-arousal plane with a
    minimum-jerk time course; before the first and after the last it holds.
    """

    at: float
    valence: float
    arousal: float

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "at", _number("at", self.at, lo=0.0, hi=math.inf))
        set_(self, "valence", _number("valence", self.valence, lo=-1.0, hi=1.0))
        set_(self, "arousal", _number("arousal", self.arousal, lo=-1.0, hi=1.0))


@dataclass(frozen=True)
class Event:
    """One event of a timeline: an emotion prototype or an explicit set of AU channels.

    All times in seconds. ``None`` means "the style's default" (see ``avatardrive.synth``).

    Parameters
    ----------
    start
        When the onset begins.
    emotion
        A prototype name (``"happiness"``, ``"dong:anger"``); exclusive with ``aus``.
    aus
        Explicit AU peaks: ``{"AU1": 0.6, "AU14_L": 0.5}``; ``AU12`` = both sides, ``AU12_L``,
        ``L12`` one side, ``U12`` the side named by ``side``. Values floats or letters A-E.
    intensity
        Peak of the strongest AU, float in [0, 1] or letter A-E; the others scale with it. A list
        of ``[seconds, level]`` pairs is taken as ``keys``.
    keys
        Intensity keyframes ``((seconds, level), ...)``, seconds from the event's start, in
        increasing order: at each key's time the face starts moving to the key's level (the first
        move is the onset), with the onset's velocity profile and a duration that grows with the
        change, as in the event's style. The offset starts from the last key (after ``apex``
        seconds, default 0).
    onset, apex, offset
        Phase durations.
    style
        ``"spontaneous"`` (slower, loosely coupled, apex fluctuation) or ``"posed"``.
    micro
        A micro-expression: total under 0.5 s, onset under 0.26 s, low amplitude.
    asymmetry
        Signed side difference in [-1, 1], + = left stronger (0.2: right at 80 %).
    side_lag
        Seconds the right side trails the left (negative: left trails); ``None`` = style default.
    side
        ``"left"`` or ``"right"``: where one-sided (``U``) actions go (contempt); default right.
    lags
        Extra onset delays per AU, e.g. ``{"AU6": 0.1}``.
    priority
        Layer order for the ``priority`` blend policy (higher wins).
    sample
        Sample a sub-configuration of the prototype (seeded); default: on for spontaneous style.
    label
        A name shown in plots, and what ``after`` refers to.
    after
        The label of an earlier event this one takes over from (``from`` in files): that event
        stops at this one's start; the AUs both share move from where they are to this event's
        levels over its onset (never dipping), the AUs only it had release with its offset.
    hold
        Keep the apex (or the last key's level) until an event takes over, or the timeline ends.
    """

    start: float
    emotion: str | None = None
    aus: Mapping[str, float] | None = None
    intensity: float | None = None
    onset: float | None = None
    apex: float | None = None
    offset: float | None = None
    style: Style = "spontaneous"
    micro: bool = False
    asymmetry: float = 0.0
    side_lag: float | None = None
    side: SideName | None = None
    lags: Mapping[str, float] = field(default_factory=lambda: _EMPTY)
    priority: int = 0
    sample: bool | None = None
    label: str | None = None
    keys: tuple[Key, ...] | None = None
    after: str | None = None
    hold: bool = False

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        keys_name = "keys"
        given: object = self.intensity  # a list of keys is accepted here too
        if isinstance(given, (list, tuple)):
            if self.keys is not None:
                raise _fail("intensity", "both a keyframe list and 'keys'; expected one of them")
            keys_name = "intensity"
            set_(self, "keys", given)
            set_(self, "intensity", None)
        if (self.emotion is None) == (self.aus is None):
            raise _fail(
                "emotion" if self.emotion is not None else "aus",
                "an event needs exactly one of 'emotion' or 'aus'",
            )
        if self.emotion is not None and (
            not isinstance(self.emotion, str) or not self.emotion.strip()
        ):
            raise _fail("emotion", f"{self.emotion!r}; expected a prototype name")
        if self.aus is not None:
            set_(self, "aus", _aus(self.aus))
        set_(self, "start", _number("start", self.start, lo=0.0, hi=math.inf))
        if self.intensity is not None:
            set_(self, "intensity", _intensity("intensity", self.intensity))
        set_(self, "onset", _duration("onset", self.onset))
        set_(self, "apex", _duration("apex", self.apex, allow_zero=True))
        set_(self, "offset", _duration("offset", self.offset))
        _choice("style", self.style, STYLES)
        for flag in ("micro",) + (() if self.sample is None else ("sample",)):
            if not isinstance(getattr(self, flag), bool):
                raise _fail(flag, f"{getattr(self, flag)!r}; expected true or false")
        set_(self, "asymmetry", _number("asymmetry", self.asymmetry, lo=-1.0, hi=1.0))
        if self.side_lag is not None:
            set_(self, "side_lag", _number("side_lag", self.side_lag, lo=-1.0, hi=1.0))
        if self.side is not None:
            _choice("side", self.side, SIDE_NAMES)
        set_(self, "lags", _lags(self.lags))
        if isinstance(self.priority, bool) or not isinstance(self.priority, int):
            raise _fail("priority", f"{self.priority!r}; expected an integer")
        if self.label is not None and not isinstance(self.label, str):
            raise _fail("label", f"{self.label!r}; expected a string")
        if self.keys is not None:
            if self.intensity is not None:
                raise _fail(keys_name, "both keys and an intensity; expected one of them")
            set_(self, "keys", _keys(keys_name, self.keys))
        if self.after is not None and (not isinstance(self.after, str) or not self.after.strip()):
            raise _fail("from", f"{self.after!r}; expected the label of an earlier event")
        if not isinstance(self.hold, bool):
            raise _fail("hold", f"{self.hold!r}; expected true or false")
        if self.hold and self.apex is not None:
            raise _fail("hold", "hold = true with an apex; expected one of them (hold = open apex)")
        if self.micro:
            self._check_micro()

    def _check_micro(self) -> None:
        for what, used in (("intensity", self.keys), ("hold", self.hold or None)):
            if used is not None:
                raise _fail(
                    what,
                    f"{'keyframes' if what == 'intensity' else 'hold'} on a micro-expression; "
                    "expected a plain intensity (a micro-expression lasts under 0.5 s)",
                )
        if self.onset is not None and self.onset >= MICRO_MAX_ONSET:
            raise _fail(
                "onset",
                f"{self.onset:g} s is too long for a micro-expression; "
                f"expected under {MICRO_MAX_ONSET:g} s",
            )
        given = sum(d for d in (self.onset, self.apex, self.offset) if d is not None)
        if given >= MICRO_MAX_TOTAL:
            raise _fail(
                "apex" if self.apex else "offset",
                f"onset + apex + offset = {given:g} s; a micro-expression lasts under "
                f"{MICRO_MAX_TOTAL:g} s in all",
            )

    @property
    def name(self) -> str:
        """A short name: the label, the emotion or the AU keys."""
        if self.label:
            return self.label
        if self.emotion:
            return f"micro {self.emotion}" if self.micro else self.emotion
        return "+".join(self.aus or ())

    def with_changes(self, **changes: Any) -> Event:
        """A validated copy with some fields changed."""
        return replace(self, **changes)


@dataclass
class Timeline:
    """Events on a clock and the settings they are rendered with.

    Build one in code with :meth:`emotion`, :meth:`micro` and :meth:`aus`; read and write files
    with :func:`avatardrive.timeline.load_timeline` / :meth:`save`; render it with
    :func:`avatardrive.synth.render`.

    Parameters
    ----------
    events
        The events, in any order.
    fps
        Frame rate of rendered curves.
    duration
        Length in seconds; ``None`` = end of the last event + 1 s.
    seed
        Seed of every random choice; the same timeline and seed render the same curves bit for bit.
    asymmetry
        The avatar's fixed side gain difference in [-1, 1], + = left stronger (``[avatar]``).
    blink_rate
        Spontaneous blinks per minute, 0 = none (``[blink] rate``).
    blend
        How overlapping events combine: ``"max"``, ``"sum"`` (sum and clamp) or ``"priority"``.
    prototypes
        The prototype set unqualified emotion names are looked up in first.
    mood
        The mood track: valence-arousal keyframes in time order (``[[mood]]``); empty = none.
    """

    events: list[Event] = field(default_factory=list)
    fps: float = 60.0
    duration: float | None = None
    seed: int = 0
    asymmetry: float = 0.0
    blink_rate: float = 17.0
    blend: Policy = "max"
    prototypes: str = "canonical"
    mood: list[MoodKey] = field(default_factory=list)
    #: Where the timeline was read from, for messages; not part of the model.
    source: str | None = field(default=None, compare=False, repr=False)
    #: Line numbers of keys in the source file: ``(section, key) -> line``; not part of the model.
    lines: dict[tuple[str, str], int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check the settings and that every event is an :class:`Event` starting in time.

        Raises
        ------
        TimelineError
            Naming the key (and ``events[i]``) at fault.
        """
        self.fps = _number("fps", self.fps, lo=1.0, hi=1000.0)
        if self.duration is not None:
            self.duration = _number("duration", self.duration, lo=0.0, hi=math.inf, lo_open=True)
        if (
            isinstance(self.seed, bool)
            or not isinstance(self.seed, int)
            or not (0 <= self.seed < 2**63)
        ):
            raise _fail("seed", f"{excerpt(self.seed)}; expected an integer in [0, 2^63)")
        self.asymmetry = _number("avatar.asymmetry", self.asymmetry, lo=-1.0, hi=1.0)
        self.blink_rate = _number("blink.rate", self.blink_rate, lo=0.0, hi=120.0)
        _choice("blend", self.blend, BLEND_POLICIES)
        if not isinstance(self.prototypes, str) or not self.prototypes:
            raise _fail("prototypes", f"{self.prototypes!r}; expected a prototype set name")
        for i, event in enumerate(self.events):
            if not isinstance(event, Event):
                raise _fail(f"events[{i}]", f"{event!r}; expected an Event")
            if self.duration is not None and event.start >= self.duration:
                raise _fail(
                    f"events[{i}].start",
                    f"{event.start:g} s is not before the timeline's duration "
                    f"{self.duration:g} s; expected a start inside the timeline",
                )
            if event.keys is not None and self.duration is not None:
                for k, (at, _) in enumerate(event.keys):
                    if event.start + at >= self.duration:
                        raise _fail(
                            f"events[{i}].intensity[{k}]",
                            f"key at {at:g} s ({event.start + at:g} s on the timeline) is not "
                            f"before the timeline's duration {self.duration:g} s; expected keys "
                            "inside the timeline",
                        )
        self._validate_transitions()
        self._validate_mood()

    def _validate_mood(self) -> None:
        for i, key in enumerate(self.mood):
            if not isinstance(key, MoodKey):
                raise _fail(f"mood[{i}]", f"{_short(key)}; expected a MoodKey")
            if i and key.at <= self.mood[i - 1].at:
                raise _fail(
                    f"mood[{i}].at",
                    f"{key.at:g} s comes after a mood key at {self.mood[i - 1].at:g} s; expected "
                    "mood keys in increasing time order",
                )
            if self.duration is not None and key.at > self.duration:
                raise _fail(
                    f"mood[{i}].at",
                    f"{key.at:g} s is after the timeline's duration {self.duration:g} s; expected "
                    "a time inside the timeline",
                )

    def takers(self) -> dict[int, int]:
        """Transitions: index of an event taken over -> index of the event taking over.

        Only meaningful on a valid timeline (see :meth:`validate`).
        """
        labels = {e.label: i for i, e in enumerate(self.events) if e.label}
        return {labels[e.after]: i for i, e in enumerate(self.events) if e.after in labels}

    def _validate_transitions(self) -> None:
        labels: dict[str, list[int]] = {}
        for i, event in enumerate(self.events):
            if event.label:
                labels.setdefault(event.label, []).append(i)
        taken: dict[int, int] = {}
        for i, event in enumerate(self.events):
            if event.after is None:
                continue
            where = f"events[{i}].from"
            found = labels.get(event.after, [])
            if not found:
                known = ", ".join(repr(n) for n in labels) or "none"
                raise _fail(
                    where,
                    f"{event.after!r} names no event; expected the label of an earlier event "
                    f"(labels: {known})",
                )
            if len(found) > 1:
                raise _fail(
                    where,
                    f"{event.after!r} labels events {', '.join(map(str, found))}; expected a label "
                    "used once",
                )
            if found[0] in taken:
                raise _fail(
                    where,
                    f"{event.after!r} is already taken over by events[{taken[found[0]]}]; "
                    "expected one transition from each event",
                )
            taken[found[0]] = i
        for i in taken.values():
            self._check_chain(i, labels)
        for before, i in taken.items():
            first, event = self.events[before], self.events[i]
            if first.start >= event.start:
                raise _fail(
                    f"events[{i}].from",
                    f"{event.after!r} starts at {first.start:g} s, not before this event's "
                    f"{event.start:g} s; expected an event that comes earlier",
                )
            for k, (at, _) in enumerate(first.keys or ()):
                if first.start + at >= event.start:
                    raise _fail(
                        f"events[{before}].intensity[{k}]",
                        f"key at {at:g} s ({first.start + at:g} s on the timeline) comes after "
                        f"the event's end: events[{i}] takes over at {event.start:g} s; "
                        "expected keys before it",
                    )

    def _check_chain(self, index: int, labels: dict[str, list[int]]) -> None:
        path, current = [index], index
        while (after := self.events[current].after) is not None:
            current = labels[after][0]
            if current in path:
                names = [self.events[j].name for j in path[path.index(current) :]]
                cycle = " <- ".join(repr(n) for n in [*names, self.events[current].name])
                raise _fail(
                    f"events[{index}].from",
                    f"a cycle of transitions: {cycle}; expected each event to take over from "
                    "an earlier one",
                )
            path.append(current)

    def add(self, event: Event) -> Event:
        """Append an event (validated against the timeline's settings) and return it."""
        self.events.append(event)
        try:
            self.validate()
        except TimelineError:
            self.events.pop()
            raise
        return event

    def emotion(self, name: str, *, at: float, **options: Any) -> Event:
        """Add an emotion event starting at ``at`` seconds; options as in :class:`Event`."""
        return self.add(Event(start=at, emotion=name, **options))

    def micro(self, name: str, *, at: float, **options: Any) -> Event:
        """Add a micro-expression of an emotion (total under 0.5 s) starting at ``at``."""
        return self.add(Event(start=at, emotion=name, micro=True, **options))

    def aus(self, aus: Mapping[str, float | str], *, at: float, **options: Any) -> Event:
        """Add an event of explicit AU peaks, e.g. ``{"AU1": 0.6, "L14": "B"}``."""
        return self.add(Event(start=at, aus=cast(Mapping[str, float], aus), **options))

    def blink(self, *, at: float, closure: float = 1.0, **options: Any) -> Event:
        """Add one blink (AU45 on both sides) starting at ``at``, closing ``closure`` of the way.

        Timing (closing 80 ms, 20 ms closed, opening 160 ms) from :data:`BLINK_TIMING`; options as
        in :class:`Event`. Spontaneous blinks come from the ``blink_rate`` on top of these.
        """
        onset, apex, offset = BLINK_TIMING
        options = {"onset": onset, "apex": apex, "offset": offset, "style": "posed",
                   "side_lag": 0.0, "label": "blink", **options}  # fmt: skip
        return self.add(Event(start=at, aus={"AU45": closure}, **options))

    def mood_key(self, *, at: float, valence: float, arousal: float) -> MoodKey:
        """Add a mood keyframe (valence and arousal in [-1, 1]) at ``at`` seconds."""
        key = MoodKey(at=at, valence=valence, arousal=arousal)
        self.mood.append(key)
        try:
            self.validate()
        except TimelineError:
            self.mood.pop()
            raise
        return key

    def save(self, path: str) -> None:
        """Write the timeline as TOML (``.toml``) or JSON (``.json``), atomically."""
        save_data(self.to_dict(), path)

    def to_dict(self) -> dict[str, Any]:
        """The timeline as plain data with the file format's keys (defaults left out)."""
        data: dict[str, Any] = {"version": FORMAT_VERSION, "fps": self.fps}
        if self.duration is not None:
            data["duration"] = self.duration
        data["seed"] = self.seed
        if self.blend != "max":
            data["blend"] = self.blend
        if self.prototypes != "canonical":
            data["prototypes"] = self.prototypes
        data["avatar"] = {"asymmetry": self.asymmetry}
        data["blink"] = {"rate": self.blink_rate}
        data["events"] = [_event_to_dict(e) for e in self.events]
        if self.mood:
            data["mood"] = [{"at": k.at, "valence": k.valence, "arousal": k.arousal}
                            for k in self.mood]  # fmt: skip
        return data

    def where(self, index: int | None, key: str, *, section: str = "events") -> str:
        """``"line 12: events[3].intensity"`` or ``"events[3].intensity"`` for messages."""
        section = "" if index is None else f"{section}[{index}]"
        path = f"{section}.{key}" if section else key
        line = self.lines.get((section, key.split(".")[0])) or self.lines.get((section, ""))
        return f"line {line}: {path}" if line else path


def _event_to_dict(event: Event) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in EVENT_KEYS:
        if key == "from":
            continue
        value = getattr(event, key)
        if key == "intensity" and event.keys is not None:
            value = [list(k) for k in event.keys]
        if key == "after":
            key = "from"
        defaults = {"style": "spontaneous", "micro": False, "asymmetry": 0.0, "priority": 0,
                    "hold": False}  # fmt: skip
        if (
            value is None
            or (key in defaults and value == defaults[key])
            or (key == "lags" and not value)
        ):
            continue
        out[key] = dict(value) if isinstance(value, Mapping) else value
    return out
