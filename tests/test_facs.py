"""The AU catalogue, channel order, AU keys and intensity letters."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avatardrive.errors import ParameterError
from avatardrive.facs import (
    CHANNELS,
    N_CHANNELS,
    action_unit,
    action_units,
    channel_index,
    channels_of,
    intensity_value,
    parse_au_key,
)

REQUIRED = [
    1,
    2,
    4,
    5,
    6,
    7,
    9,
    10,
    11,
    12,
    13,
    14,
    15,
    16,
    17,
    18,
    20,
    22,
    23,
    24,
    25,
    26,
    27,
    28,
    38,
    39,
    43,
    45,
    46,
]


def test_catalogue_holds_the_required_units_with_their_facts() -> None:
    numbers = [u.number for u in action_units()]
    assert set(REQUIRED) <= set(numbers)
    assert numbers == sorted(numbers)
    assert action_unit(12).name == "Lip Corner Puller"
    assert action_unit(12).muscles == ("zygomaticus major",)
    assert action_unit(6).region == "eyes" and action_unit(4).region == "brow"
    assert action_unit(14).unilateral and not action_unit(1).unilateral
    assert action_unit(26).midline and action_unit(25).midline and not action_unit(12).midline
    assert all(u.muscles for u in action_units() if u.kind == "au")


def test_channel_order_is_two_sides_per_unit() -> None:
    assert 2 * len(action_units()) == N_CHANNELS
    assert CHANNELS[:4] == ("AU1_L", "AU1_R", "AU2_L", "AU2_R")
    for unit in action_units():
        left, right = channels_of(unit.number)
        assert (CHANNELS[left], CHANNELS[right]) == (f"AU{unit.number}_L", f"AU{unit.number}_R")
    assert channel_index("au12_r") == CHANNELS.index("AU12_R")
    with pytest.raises(ParameterError, match=r"unknown AU channel 'AU3_L'"):
        channel_index("AU3_L")


@pytest.mark.parametrize(
    ("key", "number", "side"),
    [
        ("AU12", 12, None),
        ("au12_l", 12, "L"),
        ("AU12_R", 12, "R"),
        ("L14", 14, "L"),
        ("R14", 14, "R"),
        ("U14", 14, "U"),
        ("12", 12, None),
        (" AU6 ", 6, None),
    ],
)
def test_au_keys(key: str, number: int, side: str | None) -> None:
    parsed = parse_au_key(key)
    assert (parsed.number, parsed.side) == (number, side)


@pytest.mark.parametrize(
    ("key", "pattern"),
    [
        ("AU26_L", r"AU26 \(Jaw Drop\) acts on the midline as a whole; expected AU26 without"),
        ("R25", r"AU25 \(Lips Part\) acts on the midline"),
        ("AU3", r"unknown AU 3; expected one of 1, 2, 4"),
        ("AU12_X", r"AU key 'AU12_X' is not understood"),
        ("smile", r"AU key 'smile' is not understood"),
    ],
)
def test_bad_au_keys(key: str, pattern: str) -> None:
    with pytest.raises(ParameterError, match=pattern):
        parse_au_key(key)


def test_intensity_letters() -> None:
    assert [intensity_value(c) for c in "ABCDE"] == [0.2, 0.4, 0.6, 0.8, 1.0]
    assert intensity_value("c") == 0.6
    for bad in ("F", 1.2, -0.1, math.nan, math.inf, True, None):
        with pytest.raises(ParameterError):
            intensity_value(bad)  # type: ignore[arg-type]


@given(st.floats(0.0, 1.0))
def test_numeric_intensities_pass_through(value: float) -> None:
    assert intensity_value(value) == value
