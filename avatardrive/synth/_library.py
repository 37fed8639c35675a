"""The emotion prototype library: which Action Units make up an emotional expression.

The library is a versioned TOML file shipped in this package (``emotions.toml``), parsed and
validated once on first use. It holds several published prototype *sets* (``canonical``, ``dong``,
``matsumoto``, ``du``, ``extra``); every prototype records the source of its exact configuration.

Names are looked up with :meth:`EmotionLibrary.get`: ``"dong:anger"`` names one set exactly, an
unqualified ``"awe"`` is looked up in the default set, then ``canonical``, ``extra`` and ``du``.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any, NoReturn

from avatardrive.errors import CatalogueError, ParameterError
from avatardrive.facs import AUKey, intensity_value, parse_au_key

__all__ = [
    "LIBRARY_VERSION",
    "CircumplexPoint",
    "EmotionLibrary",
    "Prototype",
    "PrototypeSet",
    "emotion_library",
    "parse_library",
]

#: The version of ``emotions.toml`` this loader reads.
LIBRARY_VERSION = 1
#: Where unqualified names are looked up after the caller's default set, in this order.
_FALLBACK_SETS = ("canonical", "extra", "du")

_SOURCE = "avatardrive/synth/emotions.toml"
_SET_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_PROTOTYPE_NAME = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z0-9][a-z0-9_]*)*$")
_SET_KEYS = frozenset({"title", "source"})
_REQUIRED_KEYS = frozenset({"set", "name", "aus", "source"})
_OPTIONAL_KEYS = frozenset({"optional", "key", "lags", "intensity", "note"})
_HINT = "(see `avatardrive emotions`)"


class _FrozenMap(Mapping[int, tuple[float, float]]):
    """A read-only, hashable mapping (so that frozen dataclasses holding one stay hashable)."""

    __slots__ = ("_data",)

    def __init__(self, items: Iterable[tuple[int, tuple[float, float]]] = ()) -> None:
        self._data = dict(items)

    def __getitem__(self, key: int) -> tuple[float, float]:
        return self._data[key]

    def __iter__(self) -> Iterator[int]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __repr__(self) -> str:
        return repr(self._data)


@dataclass(frozen=True)
class PrototypeSet:
    """One published set of prototypes.

    Attributes
    ----------
    name
        Its key in the library, e.g. ``"dong"``.
    title
        A one-line description.
    source
        The full citation.
    """

    name: str
    title: str
    source: str


@dataclass(frozen=True)
class Prototype:
    """The AU configuration of one emotional expression.

    Attributes
    ----------
    set
        The name of the :class:`PrototypeSet` it belongs to.
    name
        Lowercase snake_case; variants as ``"<emotion>.<variant>"`` (``"happiness.social"``).
    aus
        Core AUs as ``(AUKey, intensity)`` pairs, in file order; intensities in (0, 1] (FACS
        letters converted: A=0.2 ... E=1.0). ``AUKey.side`` is ``None`` (both sides), ``"L"``,
        ``"R"``, or ``"U"`` (one side, chosen by the event).
    optional
        AUs that may be absent, same form.
    key
        AU numbers never dropped when a spontaneous render samples a sub-configuration (a subset
        of the core AU numbers; all of them unless the file says otherwise).
    lags
        AU number -> ``(min, max)`` onset lag in seconds after the event start.
    intensity
        Default peak intensity of the prototype, or ``None`` to use the event's.
    source
        Where this exact configuration comes from.
    note
        Remarks: choices made, codes left out and why (may be empty).
    """

    set: str
    name: str
    aus: tuple[tuple[AUKey, float], ...]
    optional: tuple[tuple[AUKey, float], ...]
    key: frozenset[int]
    lags: Mapping[int, tuple[float, float]]
    intensity: float | None
    source: str
    note: str

    @property
    def qualified_name(self) -> str:
        """``"<set>:<name>"``, e.g. ``"dong:anger"``."""
        return f"{self.set}:{self.name}"

    @property
    def numbers(self) -> tuple[int, ...]:
        """The core AU numbers, in file order."""
        return tuple(k.number for k, _ in self.aus)


@dataclass(frozen=True)
class CircumplexPoint:
    """Where a prototype sits in the valence-arousal plane (the circumplex of affect).

    Attributes
    ----------
    emotion
        The prototype's qualified name, e.g. ``"canonical:happiness"``.
    valence, arousal
        Coordinates in [-1, 1].
    source
        Where the position comes from.
    note
        Choices made (may be empty).
    """

    emotion: str
    valence: float
    arousal: float
    source: str
    note: str = ""


def _normalise(name: str) -> str:
    """Lowercase; runs of spaces and hyphens become one underscore."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _quote_list(names: list[str]) -> str:
    quoted = [f"'{n}'" for n in names]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


class EmotionLibrary:
    """All prototype sets and their prototypes, with name lookup.

    Parameters
    ----------
    sets
        The prototype sets, by name.
    prototypes
        The prototypes, in file order; each one's ``set`` must be among ``sets`` and
        ``(set, name)`` must be unique.

    Iterating yields the prototypes in file order.
    """

    def __init__(
        self,
        sets: Mapping[str, PrototypeSet],
        prototypes: Iterable[Prototype],
        *,
        circumplex: Iterable[CircumplexPoint] = (),
    ) -> None:
        self._sets: Mapping[str, PrototypeSet] = MappingProxyType(dict(sets))
        self._circumplex = tuple(circumplex)
        self._prototypes = tuple(prototypes)
        self._by_set: dict[str, dict[str, Prototype]] = {name: {} for name in self._sets}
        for p in self._prototypes:
            if p.set not in self._by_set:
                raise ParameterError(f"prototype {p.qualified_name!r} names an unknown set")
            if p.name in self._by_set[p.set]:
                raise ParameterError(f"prototype {p.qualified_name!r} appears twice")
            self._by_set[p.set][p.name] = p

    @property
    def circumplex(self) -> tuple[CircumplexPoint, ...]:
        """The prototypes placed in the valence-arousal plane (used by the mood track)."""
        return self._circumplex

    @property
    def sets(self) -> Mapping[str, PrototypeSet]:
        """The prototype sets, by name, in file order."""
        return self._sets

    def __iter__(self) -> Iterator[Prototype]:
        return iter(self._prototypes)

    def __len__(self) -> int:
        return len(self._prototypes)

    def __repr__(self) -> str:
        return f"EmotionLibrary({len(self._sets)} sets, {len(self._prototypes)} prototypes)"

    def _check_set(self, name: str, what: str) -> str:
        set_name = _normalise(name)
        if set_name not in self._by_set:
            known = ", ".join(self._by_set)
            close = difflib.get_close_matches(set_name, list(self._by_set), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ParameterError(
                f"unknown emotion set {name!r} in {what}{hint}; expected one of {known} {_HINT}"
            )
        return set_name

    def set_name(self, name: str) -> str:
        """The set called ``name`` (case-insensitive).

        Raises
        ------
        ParameterError
            No such set; the message suggests the closest one.
        """
        return self._check_set(name, "prototypes")

    def names(self, *, set: str | None = None) -> tuple[str, ...]:
        """Prototype names, in file order.

        Parameters
        ----------
        set
            Only this set's names, unqualified (``"anger"``); ``None`` for the qualified names of
            all sets (``"dong:anger"``).

        Raises
        ------
        ParameterError
            Unknown set.
        """
        if set is None:
            return tuple(p.qualified_name for p in self._prototypes)
        return tuple(self._by_set[self._check_set(set, "set")])

    def get(self, name: str, *, default_set: str = "canonical") -> Prototype:
        """Look up a prototype by name.

        Parameters
        ----------
        name
            ``"<set>:<name>"`` names one set exactly (``"matsumoto:sadness.4"``); an unqualified
            name is looked up in ``default_set``, then ``canonical``, ``extra`` and ``du``.
            Case-insensitive; spaces and hyphens count as underscores (``"Happily surprised"``).
        default_set
            The set searched first for an unqualified name.

        Raises
        ------
        ParameterError
            Unknown set, an unknown name (the message suggests close matches), or an ambiguous
        one: an unqualified name found only in a set searched later (``"sad"`` is ``du:sad``)
        while a set searched earlier has a prototype of the same stem (``canonical:sadness``).
        """
        if not isinstance(name, str) or not name.strip():
            raise ParameterError(f"emotion name {name!r}; expected a non-empty string {_HINT}")
        if ":" in name:
            set_part, _, name_part = name.partition(":")
            set_name = self._check_set(set_part, f"emotion {name!r}")
            wanted = f"{set_name}:{_normalise(name_part)}"
            found = self._by_set[set_name].get(_normalise(name_part))
            order = [set_name]
        else:
            order = [self._check_set(default_set, "default_set")]
            order += [s for s in _FALLBACK_SETS if s in self._by_set and s not in order]
            wanted = _normalise(name)
            found = next(
                (self._by_set[s][wanted] for s in order if wanted in self._by_set[s]), None
            )
            if found is not None:
                self._check_ambiguous(name, found, order)
        if found is not None:
            return found
        close = self._suggest(wanted, order)
        suggestion = f"; did you mean {_quote_list(close)}?" if close else ""
        raise ParameterError(f"unknown emotion {name!r}{suggestion} {_HINT}")

    def _check_ambiguous(self, name: str, found: Prototype, order: list[str]) -> None:
        if "." in found.name:  # a variant names its emotion exactly
            return
        earlier = order[: order.index(found.set)]
        rivals = [
            self._by_set[s][n].qualified_name
            for s in earlier
            for n in self._by_set[s]
            if "." not in n and _same_stem(n, found.name)
        ]
        if rivals:
            candidates = _quote_list([found.qualified_name, *dict.fromkeys(rivals)])
            raise ParameterError(
                f"emotion {name!r} is ambiguous: it could be {candidates}; expected one of these "
                f"names {_HINT}"
            )

    def _suggest(self, wanted: str, order: list[str]) -> list[str]:
        """Close matches: qualified for a qualified name, else from the searched sets first."""
        if ":" in wanted:
            qualified = [p.qualified_name for p in self._prototypes]
            return difflib.get_close_matches(wanted, qualified, n=3)
        elsewhere = [p.qualified_name for p in self._prototypes if p.name == wanted]
        if elsewhere:  # e.g. "anger.7" is only in matsumoto
            return elsewhere[:3]
        searched = list(dict.fromkeys(n for s in order for n in self._by_set[s]))
        close = difflib.get_close_matches(wanted, searched, n=3)
        if close:
            return close
        first: dict[str, str] = {}
        for p in self._prototypes:
            first.setdefault(p.name, p.qualified_name)
        return [first[m] for m in difflib.get_close_matches(wanted, list(first), n=3)]


def _same_stem(a: str, b: str) -> bool:
    """``sad``/``sadness``, ``angry``/``anger``, ``awe``/``awed``: one begins the other, or they
    differ only in their last two letters."""
    if a.startswith(b) or b.startswith(a):
        return True
    common = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
                  min(len(a), len(b)))  # fmt: skip
    return common >= max(3, min(len(a), len(b)) - 2)


# --------------------------------------------------------------------------------------------
# Parsing and validation
# --------------------------------------------------------------------------------------------


class _Reader:
    """Raises :class:`CatalogueError` located in the file being read."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str | None, message: str) -> NoReturn:
        raise CatalogueError(message, source=self.source, where=where)

    def require(self, cond: bool, where: str | None, message: str) -> None:
        if not cond:
            self.fail(where, message)

    def text(self, raw: Any, where: str, *, empty: bool = False) -> str:
        self.require(isinstance(raw, str), where, f"{raw!r}; expected a string")
        assert isinstance(raw, str)
        self.require(empty or bool(raw.strip()), where, "empty; expected a non-empty string")
        return raw

    def table(self, raw: Any, where: str) -> dict[str, Any]:
        self.require(isinstance(raw, dict), where, f"{raw!r}; expected a table")
        assert isinstance(raw, dict)
        return raw

    def au_key(self, raw: str, where: str) -> AUKey:
        try:
            return parse_au_key(raw)
        except ParameterError as exc:
            self.fail(where, exc.message)

    def intensity(self, raw: Any, where: str) -> float:
        try:
            value = intensity_value(raw)
        except ParameterError as exc:
            self.fail(where, exc.message)
        self.require(value > 0.0, where, f"{raw!r}; expected an intensity in (0, 1] or A-E")
        return value


def _parse_sets(r: _Reader, raw: Any) -> dict[str, PrototypeSet]:
    table = r.table(raw, "sets")
    r.require(bool(table), "sets", "no prototype sets; expected at least one [sets.<name>] table")
    sets: dict[str, PrototypeSet] = {}
    for name, entry in table.items():
        where = f"sets.{name}"
        r.require(
            bool(_SET_NAME.match(name)), where, f"set name {name!r}; expected lowercase snake_case"
        )
        entry = r.table(entry, where)
        r.require(
            set(entry) == _SET_KEYS, where, f"keys {sorted(entry)}; expected {sorted(_SET_KEYS)}"
        )
        sets[name] = PrototypeSet(
            name=name,
            title=r.text(entry["title"], f"{where}.title"),
            source=r.text(entry["source"], f"{where}.source"),
        )
    return sets


def _parse_aus(r: _Reader, raw: Any, where: str) -> tuple[tuple[AUKey, float], ...]:
    table = r.table(raw, where)
    return tuple(
        (r.au_key(k, f"{where}.{k}"), r.intensity(v, f"{where}.{k}")) for k, v in table.items()
    )


def _parse_lags(r: _Reader, raw: Any, where: str, allowed: set[int]) -> _FrozenMap:
    table = r.table(raw, where)
    lags: dict[int, tuple[float, float]] = {}
    for k, v in table.items():
        here = f"{where}.{k}"
        number = r.au_key(k, here).number
        r.require(number in allowed, here, f"AU{number} is not among the prototype's AUs")
        r.require(number not in lags, here, f"AU{number} given twice")
        ok = (
            isinstance(v, list)
            and len(v) == 2
            and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)
        )
        r.require(ok, here, f"{v!r}; expected [min, max] in seconds")
        low, high = float(v[0]), float(v[1])
        r.require(
            math.isfinite(low) and math.isfinite(high) and 0.0 <= low <= high,
            here,
            f"{v!r}; expected [min, max] with 0 <= min <= max seconds",
        )
        lags[number] = (low, high)
    return _FrozenMap(lags.items())


def _parse_prototype(r: _Reader, i: int, raw: Any, sets: Mapping[str, PrototypeSet]) -> Prototype:
    where = f"prototypes[{i}]"
    entry = r.table(raw, where)
    missing = sorted(_REQUIRED_KEYS - set(entry))
    r.require(not missing, where, f"missing {', '.join(missing)}")
    unknown = sorted(set(entry) - _REQUIRED_KEYS - _OPTIONAL_KEYS)
    allowed = sorted(_REQUIRED_KEYS | _OPTIONAL_KEYS)
    r.require(not unknown, where, f"unknown keys {unknown}; expected some of {allowed}")

    set_name = r.text(entry["set"], f"{where}.set")
    r.require(set_name in sets, f"{where}.set", f"{set_name!r}; expected one of {', '.join(sets)}")
    name = r.text(entry["name"], f"{where}.name")
    r.require(
        bool(_PROTOTYPE_NAME.match(name)),
        f"{where}.name",
        f"{name!r}; expected lowercase snake_case, variants as 'emotion.variant'",
    )
    where = f"prototypes[{i}] ({set_name}:{name})"

    aus = _parse_aus(r, entry["aus"], f"{where}.aus")
    r.require(bool(aus), f"{where}.aus", "empty; expected at least one core AU")
    optional = _parse_aus(r, entry.get("optional", {}), f"{where}.optional")
    seen: set[int] = set()
    for au, _ in aus + optional:
        r.require(au.number not in seen, where, f"AU{au.number} appears twice in aus/optional")
        seen.add(au.number)
    core = [au.number for au, _ in aus]

    if "key" in entry:
        raw_key = entry["key"]
        ok = isinstance(raw_key, list) and bool(raw_key)
        r.require(
            ok and all(isinstance(k, str) for k in raw_key),
            f"{where}.key",
            f"{raw_key!r}; expected a non-empty list of AU keys",
        )
        key = frozenset(r.au_key(k, f"{where}.key") for k in raw_key)
        numbers = frozenset(k.number for k in key)
        stray = sorted(numbers - set(core))
        r.require(not stray, f"{where}.key", f"AUs {stray} are not core AUs of the prototype")
    else:
        numbers = frozenset(core)

    lags = _parse_lags(r, entry.get("lags", {}), f"{where}.lags", seen)
    intensity = None
    if "intensity" in entry:
        intensity = r.intensity(entry["intensity"], f"{where}.intensity")
    return Prototype(
        set=set_name,
        name=name,
        aus=aus,
        optional=optional,
        key=numbers,
        lags=lags,
        intensity=intensity,
        source=r.text(entry["source"], f"{where}.source"),
        note=r.text(entry.get("note", ""), f"{where}.note", empty=True),
    )


def parse_library(text: str, *, source: str = _SOURCE) -> EmotionLibrary:
    """Parse and validate the text of an emotion library file.

    Parameters
    ----------
    text
        TOML text in the ``emotions.toml`` format, version 1.
    source
        The file name used in error messages.

    Returns
    -------
    EmotionLibrary

    Raises
    ------
    CatalogueError
        Invalid TOML, a wrong version, or a malformed set or prototype; the message names the
        file, the prototype index and name, and the key.
    """
    r = _Reader(source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        r.fail(None, f"not valid TOML: {exc}")
    version = data.get("version")
    r.require(
        type(version) is int and version == LIBRARY_VERSION,
        "version",
        f"{version!r}; expected {LIBRARY_VERSION}",
    )
    unknown = sorted(set(data) - {"version", "sets", "prototypes", "circumplex"})
    r.require(not unknown, None, f"unknown top-level keys {unknown}")
    sets = _parse_sets(r, data.get("sets"))
    raw_prototypes = data.get("prototypes")
    r.require(
        isinstance(raw_prototypes, list) and bool(raw_prototypes),
        "prototypes",
        "expected at least one [[prototypes]] entry",
    )
    assert isinstance(raw_prototypes, list)
    prototypes = [_parse_prototype(r, i, raw, sets) for i, raw in enumerate(raw_prototypes)]
    seen: dict[str, int] = {}
    for i, p in enumerate(prototypes):
        first = seen.setdefault(p.qualified_name, i)
        r.require(
            first == i,
            f"prototypes[{i}] ({p.qualified_name})",
            f"duplicate of prototypes[{first}]",
        )
    empty = [s for s in sets if not any(p.set == s for p in prototypes)]
    r.require(not empty, "sets", f"sets without prototypes: {', '.join(empty)}")
    circumplex = _parse_circumplex(r, data.get("circumplex", []), set(seen))
    return EmotionLibrary(sets, prototypes, circumplex=circumplex)


_CIRCUMPLEX_KEYS = frozenset({"emotion", "valence", "arousal", "source", "note"})


def _parse_circumplex(r: _Reader, raw: Any, known: set[str]) -> list[CircumplexPoint]:
    r.require(isinstance(raw, list), "circumplex", "expected [[circumplex]] entries")
    points: list[CircumplexPoint] = []
    for i, entry in enumerate(raw):
        where = f"circumplex[{i}]"
        entry = r.table(entry, where)
        keys = set(entry)
        r.require(keys <= _CIRCUMPLEX_KEYS and _CIRCUMPLEX_KEYS - {"note"} <= keys, where,
                  f"keys {sorted(keys)}; expected emotion, valence, arousal, source (and note)")
        emotion = r.text(entry["emotion"], f"{where}.emotion")
        r.require(emotion in known, f"{where}.emotion",
                  f"{emotion!r}; expected a qualified prototype name such as 'canonical:anger'")
        r.require(all(p.emotion != emotion for p in points), f"{where}.emotion",
                  f"{emotion!r} is placed twice")
        coordinates = []
        for axis in ("valence", "arousal"):
            value = entry[axis]
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            r.require(ok and -1.0 <= float(value) <= 1.0, f"{where}.{axis}",
                      f"{value!r}; expected a number in [-1, 1]")
            coordinates.append(float(value))
        r.require(math.hypot(*coordinates) > 0.1, where,
                  "too close to neutral; expected a direction in the plane")
        points.append(CircumplexPoint(emotion, coordinates[0], coordinates[1],
                                      r.text(entry["source"], f"{where}.source"),
                                      r.text(entry.get("note", ""), f"{where}.note", empty=True)))
    return points


@cache
def emotion_library() -> EmotionLibrary:
    """The emotion library shipped with avatardrive (parsed and validated once).

    Raises
    ------
    CatalogueError
        The shipped file is malformed.
    """
    text = resources.files("avatardrive.synth").joinpath("emotions.toml").read_text("utf-8")
    return parse_library(text)
