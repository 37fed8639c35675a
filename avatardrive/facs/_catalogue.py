"""The FACS catalogue, the channel order and the intensity letters.

The catalogue is a versioned TOML file shipped in this package (``catalogue.toml``), validated once
on first use. Its order of units defines the channel order of the whole program: channel ``2k`` is
the left side of unit ``k`` and channel ``2k + 1`` its right side. "Left" is always the performer's
own left.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from avatardrive.errors import CatalogueError, ParameterError, excerpt

__all__ = [
    "CATALOGUE_VERSION",
    "INTENSITY_LETTERS",
    "REGIONS",
    "SIDES",
    "AUKey",
    "ActionUnit",
    "Side",
    "action_unit",
    "action_units",
    "channel_index",
    "channel_names",
    "channel_unit",
    "channels_of",
    "intensity_value",
    "parse_au_key",
]

CATALOGUE_VERSION = 1
Side = Literal["L", "R"]
SIDES: tuple[Side, Side] = ("L", "R")
REGIONS = ("brow", "eyes", "nose", "cheek", "mouth", "chin", "jaw", "tongue", "head", "gaze")
_KINDS = ("au", "ad", "head", "gaze")

#: FACS intensity letters on the 0-1 scale (the 0-5 scale of DISFA/BP4D divided by 5).
INTENSITY_LETTERS: dict[str, float] = {"A": 0.2, "B": 0.4, "C": 0.6, "D": 0.8, "E": 1.0}


@dataclass(frozen=True)
class ActionUnit:
    """One FACS action unit (or action descriptor, or head/gaze movement code)."""

    number: int
    name: str
    muscles: tuple[str, ...]
    region: str
    unilateral: bool
    midline: bool
    kind: str

    @property
    def code(self) -> str:
        """``"AU12"``."""
        return f"AU{self.number}"

    def channel(self, side: Side) -> str:
        """The channel name of one side, e.g. ``"AU12_L"``."""
        return f"{self.code}_{side}"


@dataclass(frozen=True)
class AUKey:
    """A parsed AU key: which unit, and which side (``None`` = both, ``"U"`` = one, unnamed).

    ``"U"`` is the FACS prefix for a unilateral action whose side is left to the event (contempt
    is coded U12+U14); the event's ``side`` picks it.
    """

    number: int
    side: Literal["L", "R", "U"] | None

    @property
    def code(self) -> str:
        return f"AU{self.number}"


def _require(cond: bool, where: str, message: str) -> None:
    if not cond:
        raise CatalogueError(message, source="avatardrive/facs/catalogue.toml", where=where)


def _parse_unit(i: int, raw: Any) -> ActionUnit:
    where = f"units[{i}]"
    _require(isinstance(raw, dict), where, "expected a table")
    expected = {"number", "name", "muscles", "region", "unilateral", "midline", "kind"}
    _require(set(raw) == expected, where, f"keys {sorted(raw)}; expected {sorted(expected)}")
    number = raw["number"]
    _require(isinstance(number, int) and 0 < number < 100, f"{where}.number", f"{excerpt(number)}")
    _require(raw["region"] in REGIONS, f"{where}.region", f"{excerpt(raw['region'])}")
    _require(raw["kind"] in _KINDS, f"{where}.kind", f"{excerpt(raw['kind'])}")
    _require(isinstance(raw["muscles"], list), f"{where}.muscles", "expected a list")
    return ActionUnit(
        number=number,
        name=str(raw["name"]),
        muscles=tuple(str(m) for m in raw["muscles"]),
        region=raw["region"],
        unilateral=bool(raw["unilateral"]),
        midline=bool(raw["midline"]),
        kind=raw["kind"],
    )


@cache
def action_units() -> tuple[ActionUnit, ...]:
    """All units of the catalogue, in channel order."""
    text = resources.files("avatardrive.facs").joinpath("catalogue.toml").read_text("utf-8")
    data = tomllib.loads(text)
    _require(data.get("version") == CATALOGUE_VERSION, "version", f"{excerpt(data.get('version'))}")
    units = tuple(_parse_unit(i, raw) for i, raw in enumerate(data.get("units", [])))
    numbers = [u.number for u in units]
    _require(len(set(numbers)) == len(numbers), "units", "duplicate AU numbers")
    return units


@cache
def _by_number() -> dict[int, ActionUnit]:
    return {u.number: u for u in action_units()}


@cache
def channel_names() -> tuple[str, ...]:
    """The channel order: ``("AU1_L", "AU1_R", "AU2_L", ...)``, two per unit."""
    return tuple(u.channel(side) for u in action_units() for side in SIDES)


@cache
def _channel_lookup() -> dict[str, int]:
    return {name.upper(): i for i, name in enumerate(channel_names())}


def channel_index(name: str) -> int:
    """Index of a channel name such as ``"AU12_L"`` (case-insensitive) in the channel order."""
    try:
        return _channel_lookup()[name.strip().upper()]
    except KeyError:
        raise ParameterError(
            f"unknown AU channel {excerpt(name)}; expected a name such as 'AU12_L' or 'AU12_R' "
            f"for an AU in the catalogue"
        ) from None


def channel_unit(index: int) -> int:
    """The AU number of a channel index: channels ``2k`` and ``2k + 1`` belong to unit ``k``."""
    units = action_units()
    if not 0 <= index < 2 * len(units):
        raise ParameterError(
            f"channel index {index} is out of range; expected 0-{2 * len(units) - 1}"
        )
    return units[index // 2].number


def action_unit(number: int) -> ActionUnit:
    """The catalogue entry of one AU number."""
    try:
        return _by_number()[number]
    except KeyError:
        known = ", ".join(str(n) for n in sorted(_by_number()))
        raise ParameterError(f"unknown AU {number}; expected one of {known}") from None


def channels_of(number: int) -> tuple[int, int]:
    """``(left, right)`` channel indices of one AU number."""
    action_unit(number)
    left = channel_index(f"AU{number}_L")
    return left, left + 1


_KEY_PATTERNS = (
    re.compile(r"^AU(?P<n>\d+)(?:_(?P<side>[LRU]))?$"),
    re.compile(r"^(?P<side>[LRU])(?P<n>\d+)$"),
    re.compile(r"^(?P<n>\d+)$"),
)


def parse_au_key(key: str, *, midline_sides: bool = False) -> AUKey:
    """Parse an AU key as written in timelines, prototypes and rig files (the one grammar).

    Accepted forms (case-insensitive): ``AU12`` (both sides), ``AU12_L`` / ``AU12_R`` /
    ``L12`` / ``R12`` (one side), ``U12`` / ``AU12_U`` (one side, chosen by the event), ``12``.

    Parameters
    ----------
    key : str
    midline_sides : bool
        Accept one side of a unit that acts on the midline as a whole (``AU25_L``): rig files
        address every channel, timelines and prototypes may not split such a unit.

    Raises
    ------
    ParameterError
        Unknown form, unknown AU, or (unless ``midline_sides``) a one-sided key on a unit that
        acts on the midline as a whole.
    """
    text = key.strip().upper()
    for pattern in _KEY_PATTERNS:
        match = pattern.match(text)
        if match:
            break
    else:
        raise ParameterError(
            f"AU key {excerpt(key)} is not understood; "
            f"expected AU12, AU12_L, AU12_R, L12, R12 or U12"
        )
    if len(match["n"]) > 4:
        known = ", ".join(str(n) for n in sorted(_by_number()))
        raise ParameterError(f"unknown AU in key {excerpt(key)}; expected one of {known}")
    unit = action_unit(int(match["n"]))
    side = match.groupdict().get("side")
    if side and unit.midline and not midline_sides:
        raise ParameterError(
            f"AU key {excerpt(key)} names one side, but {unit.code} ({unit.name}) acts on "
            f"the midline "
            f"as a whole; expected {unit.code} without a side"
        )
    return AUKey(unit.number, side)  # type: ignore[arg-type]


def intensity_value(value: float | int | str) -> float:
    """An intensity as a float in [0, 1]: a number, or a FACS letter A-E (A=0.2 ... E=1.0).

    Raises
    ------
    ParameterError
        NaN, infinite, negative, above 1, or an unknown letter.
    """
    if isinstance(value, str):
        letter = value.strip().upper()
        if letter not in INTENSITY_LETTERS:
            raise ParameterError(
                f"intensity {excerpt(value)} is not a FACS letter; expected A, B, C, D or E "
                f"or a number in [0, 1]"
            )
        return INTENSITY_LETTERS[letter]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParameterError(
            f"intensity {excerpt(value)} has type {type(value).__name__}; "
            f"expected a number in [0, 1] or a letter A-E"
        )
    try:
        number = float(value)
    except OverflowError:  # an integer beyond float range
        number = math.inf
    if not math.isfinite(number) or not 0.0 <= number <= 1.0:
        raise ParameterError(
            f"intensity {excerpt(value)} is outside [0, 1]; expected a number in [0, 1]"
        )
    return number
