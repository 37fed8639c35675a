"""Tests of the emotion prototype library (avatardrive/synth/_library.py, emotions.toml)."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from avatardrive.errors import CatalogueError, ParameterError
from avatardrive.facs import action_unit
from avatardrive.synth._library import (
    LIBRARY_VERSION,
    EmotionLibrary,
    Prototype,
    emotion_library,
    parse_library,
)

LIB = emotion_library()
ALL = list(LIB)


def _proto(name: str) -> Prototype:
    return LIB.get(name)


def _core(name: str) -> set[int]:
    return set(_proto(name).numbers)


def _optional(name: str) -> set[int]:
    return {k.number for k, _ in _proto(name).optional}


# --------------------------------------------------------------------------------------------
# The shipped file
# --------------------------------------------------------------------------------------------


def test_library_loads_once_with_all_sets() -> None:
    assert emotion_library() is LIB
    assert set(LIB.sets) == {"canonical", "dong", "matsumoto", "du", "extra"}
    assert len(LIB) == len(LIB.names()) > 60
    for name, s in LIB.sets.items():
        assert s.name == name
        assert s.title.strip()
        assert s.source.strip()
        assert LIB.names(set=name)


@pytest.mark.parametrize("proto", ALL, ids=[p.qualified_name for p in ALL])
def test_every_prototype_is_sourced_and_well_formed(proto: Prototype) -> None:
    assert proto.source.strip()
    assert proto.aus
    assert re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z0-9][a-z0-9_]*)*", proto.name)
    for au, value in proto.aus + proto.optional:
        assert 0.0 < value <= 1.0
        assert action_unit(au.number).number == au.number
    numbers = [au.number for au, _ in proto.aus + proto.optional]
    assert len(numbers) == len(set(numbers))
    assert proto.key
    assert proto.key <= set(proto.numbers)
    for number, (low, high) in proto.lags.items():
        assert number in numbers
        assert 0.0 <= low <= high
    assert proto.intensity is None or 0.0 < proto.intensity <= 1.0
    assert LIB.get(proto.qualified_name) is proto
    hash(proto)  # frozen and hashable, lags included


def test_prototypes_are_immutable() -> None:
    proto = _proto("happiness")
    with pytest.raises(AttributeError):
        proto.name = "joy"  # type: ignore[misc]
    with pytest.raises(TypeError):
        proto.lags[6] = (0.0, 1.0)  # type: ignore[index]


def test_shipped_text_parses_to_an_equal_library() -> None:
    from importlib import resources

    text = resources.files("avatardrive.synth").joinpath("emotions.toml").read_text("utf-8")
    again = parse_library(text)
    assert list(again) == ALL
    assert LIBRARY_VERSION == 1


# --------------------------------------------------------------------------------------------
# Content, set by set (FACS_DATA.md section 3)
# --------------------------------------------------------------------------------------------

CANONICAL = {
    "happiness": {6, 12},
    "sadness": {1, 4, 15},
    "surprise": {1, 2, 5, 26},
    "fear": {1, 2, 4, 5, 7, 20, 26},
    "anger": {4, 5, 7, 23},
    "disgust": {9, 15, 16},
    "contempt": {12, 14},
}


@pytest.mark.parametrize(("name", "numbers"), CANONICAL.items())
def test_canonical_basic_emotions(name: str, numbers: set[int]) -> None:
    proto = LIB.get(f"canonical:{name}")
    assert set(proto.numbers) == numbers
    for au, value in proto.aus:
        if name == "contempt":
            assert value == pytest.approx(0.2)  # R12A+R14A
        elif name == "surprise" and au.number == 5:
            assert value == pytest.approx(0.4)  # 5B
        else:
            assert 0.6 <= value <= 0.8  # C-D
    for _, value in proto.optional:
        assert value == pytest.approx(0.4)


def test_canonical_optional_aus_and_keys() -> None:
    assert _optional("anger") == {24}
    assert all(not _optional(n) for n in CANONICAL if n != "anger")
    assert _proto("happiness").key == {12}
    assert _proto("sadness").key == {1, 15}
    assert _proto("surprise").key == {1, 2}
    assert _proto("fear").key == {1, 4, 20}
    assert _proto("anger").key == {4, 23}
    assert _proto("disgust").key == {9}
    assert _proto("contempt").key == {12, 14}


@pytest.mark.parametrize("name", ["canonical:contempt", "matsumoto:contempt"])
def test_contempt_is_one_sided(name: str) -> None:
    proto = LIB.get(name)
    assert {au.side for au, _ in proto.aus} == {"U"}
    assert proto.intensity == pytest.approx(0.35)


def test_felt_smile_lag() -> None:
    proto = _proto("happiness")
    low, high = proto.lags[6]
    assert 0.0 <= low <= high <= 0.15
    assert 12 not in proto.lags


CANONICAL_VARIANTS = {
    "happiness.social": {12},
    "surprise.jaw": {1, 2, 5, 27},
    "fear.open": {1, 2, 4, 5, 20, 25},
    "fear.closed": {1, 2, 4, 5},
    "sadness.nasolabial": {1, 4, 11, 15},
    "sadness.cheek": {6, 15},
    "disgust.nose": {9, 17},
    "disgust.upper_lip": {10, 17},
    "disgust.open": {10, 16, 25},
    "anger.open": {4, 5, 7, 10, 22, 23, 25},
    "anger.pressed": {4, 5, 7, 17, 24},
    "anger.tight": {4, 5, 7, 17, 23},
}


@pytest.mark.parametrize(("name", "numbers"), CANONICAL_VARIANTS.items())
def test_canonical_variants_from_the_investigators_guide(name: str, numbers: set[int]) -> None:
    proto = LIB.get(f"canonical:{name}")
    assert set(proto.numbers) == numbers
    assert "Investigator's Guide 2002" in proto.source


def test_canonical_set_has_no_other_prototypes() -> None:
    assert set(LIB.names(set="canonical")) == set(CANONICAL) | set(CANONICAL_VARIANTS)
    fifteen = {k.number: v for k, v in _proto("sadness.nasolabial").aus}[15]
    assert fifteen == pytest.approx(0.4)  # 15B
    assert {k.number: v for k, v in _proto("happiness.social").aus}[12] >= 0.6  # 12 at C-D
    assert not _proto("happiness.social").lags


DONG = {
    "happiness": {1, 6, 12, 14, 26, 27, 28},
    "surprise": {1, 2, 5, 25, 26, 27},
    "anger": {4, 5, 9, 10, 16, 22, 23},
    "fear": {1, 4, 5, 20, 25},
    "disgust": {1, 4, 7, 9, 10, 14, 15, 17, 24, 25},
    "sadness": {1, 4, 14, 15, 17, 43},
}


@pytest.mark.parametrize(("name", "numbers"), DONG.items())
def test_dong_table_3(name: str, numbers: set[int]) -> None:
    proto = LIB.get(f"dong:{name}")
    assert set(proto.numbers) | {k.number for k, _ in proto.optional} == numbers
    assert proto.note.strip()  # the core/optional convention is documented
    assert "Table 3" in proto.source


def test_dong_core_follows_the_coding_rules() -> None:
    assert set(LIB.names(set="dong")) == set(DONG)
    assert set(LIB.get("dong:fear").numbers) == {1, 4, 5, 20, 25}
    assert {1, 4, 5, 25} <= LIB.get("dong:fear").key
    assert {12, 6} <= set(LIB.get("dong:happiness").numbers)
    assert 2 in LIB.get("dong:surprise").key
    assert {16, 22, 23} <= set(LIB.get("dong:anger").numbers)
    assert {7, 24} <= set(LIB.get("dong:disgust").numbers)
    assert 43 in LIB.get("dong:sadness").numbers


MATSUMOTO = {
    "anger": ({4, 5, 22, 23, 24}, set()),
    "anger.7": ({4, 7, 22, 23, 24}, set()),
    "contempt": ({12, 14}, set()),
    "disgust": ({9}, {25, 26}),
    "disgust.10": ({10}, {25, 26}),
    "fear": ({1, 2, 4, 5, 20}, {25, 26}),
    "happiness": ({6, 12}, set()),
    "sadness": ({1, 15}, set()),
    "sadness.4": ({1, 4, 15}, set()),
    "sadness.17": ({1, 15, 17}, set()),
    "sadness.4_17": ({1, 4, 15, 17}, set()),
    "surprise": ({1, 2, 5}, {26}),
}


@pytest.mark.parametrize(("name", "expected"), MATSUMOTO.items())
def test_matsumoto_2008(name: str, expected: tuple[set[int], set[int]]) -> None:
    proto = LIB.get(f"matsumoto:{name}")
    core, optional = expected
    assert set(proto.numbers) == core
    assert {k.number for k, _ in proto.optional} == optional
    assert "Matsumoto" in proto.source


def test_matsumoto_set_is_complete() -> None:
    assert set(LIB.names(set="matsumoto")) == set(MATSUMOTO)


DU = {
    "happy": ({12, 25}, {6}),
    "sad": ({4, 15}, {1, 6, 11, 17}),
    "fearful": ({1, 4, 20, 25}, {2, 5, 26}),
    "angry": ({4, 7, 24}, {10, 17, 23}),
    "surprised": ({1, 2, 25, 26}, {5}),
    "disgusted": ({9, 10, 17}, {4, 24}),
    "happily_surprised": ({1, 2, 12, 25}, {5, 26}),
    "happily_disgusted": ({10, 12, 25}, {4, 6, 9}),
    "sadly_fearful": ({1, 4, 20, 25}, {2, 5, 6, 15}),
    "sadly_angry": ({4, 15}, {6, 7, 11, 17}),
    "sadly_surprised": ({1, 4, 25, 26}, {2, 6}),
    "sadly_disgusted": ({4, 10}, {1, 6, 9, 11, 15, 17, 25}),
    "fearfully_angry": ({4, 20, 25}, {5, 7, 10, 11}),
    "fearfully_surprised": ({1, 2, 5, 20, 25}, {4, 10, 11, 26}),
    "fearfully_disgusted": ({1, 4, 10, 20, 25}, {2, 5, 6, 9, 15}),
    "angrily_surprised": ({4, 25, 26}, {5, 7, 10}),
    "angrily_disgusted": ({4, 10, 17}, {7, 9, 24}),
    "disgustedly_surprised": ({1, 2, 5, 10}, {4, 9, 17, 24}),
    "appalled": ({4, 10}, {6, 9, 17, 24}),
    "hatred": ({4, 10}, {7, 9, 17, 24}),
    "awed": ({1, 2, 5, 25}, {4, 20, 26}),
}


def test_du_has_the_21_categories() -> None:
    names = LIB.names(set="du")
    assert len(names) == 21
    assert set(names) == set(DU)


@pytest.mark.parametrize(("name", "expected"), DU.items())
def test_du_2014_required_and_optional(name: str, expected: tuple[set[int], set[int]]) -> None:
    proto = LIB.get(f"du:{name}")
    core, optional = expected
    assert set(proto.numbers) == core
    assert {k.number for k, _ in proto.optional} == optional
    assert proto.key == core  # required AUs are never dropped
    assert all(v == pytest.approx(0.4) for _, v in proto.optional)
    assert "PNAS" in proto.source


EXTRA = {
    "amusement": {6, 7, 12, 25, 26},
    "embarrassment": {7, 12, 15, 54, 64},
    "pain": {4, 6, 7, 9, 17, 18, 23, 24},
    "awe": {1, 2, 5, 12, 25},
    "contentment": {12, 43},
}


@pytest.mark.parametrize(("name", "numbers"), EXTRA.items())
def test_extra_categories(name: str, numbers: set[int]) -> None:
    proto = LIB.get(f"extra:{name}")
    assert set(proto.numbers) == numbers
    assert re.search(r"Cordaro|Keltner", proto.source)


def test_extra_set_is_complete() -> None:
    assert set(LIB.names(set="extra")) == set(EXTRA)


# --------------------------------------------------------------------------------------------
# Name resolution
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "default_set", "expected"),
    [
        ("happiness", "canonical", "canonical:happiness"),
        ("dong:anger", "canonical", "dong:anger"),
        ("matsumoto:sadness.4", "canonical", "matsumoto:sadness.4"),
        ("anger", "dong", "dong:anger"),
        ("contempt", "dong", "canonical:contempt"),  # not in dong: canonical next
        ("contempt", "matsumoto", "matsumoto:contempt"),
        ("awe", "canonical", "extra:awe"),  # canonical, then extra
        ("happily surprised", "canonical", "du:happily_surprised"),  # then du
        ("du:awed", "dong", "du:awed"),
        ("hatred", "canonical", "du:hatred"),  # only in du, nothing like it searched earlier
        ("happiness.social", "matsumoto", "canonical:happiness.social"),
        ("canonical:anger", "dong", "canonical:anger"),
    ],
)
def test_get_resolves_names(query: str, default_set: str, expected: str) -> None:
    assert LIB.get(query, default_set=default_set).qualified_name == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("HAPPINESS", "canonical:happiness"),
        ("  Happiness ", "canonical:happiness"),
        ("Happily-Surprised", "du:happily_surprised"),
        ("happily  surprised", "du:happily_surprised"),
        ("DONG:Anger", "dong:anger"),
        ("Matsumoto:Sadness.4 17", "matsumoto:sadness.4_17"),
        ("disgust.upper-lip", "canonical:disgust.upper_lip"),
    ],
)
def test_get_normalises_case_spaces_and_hyphens(query: str, expected: str) -> None:
    assert LIB.get(query).qualified_name == expected


@pytest.mark.parametrize(
    ("query", "candidates"),
    [
        ("sad", ["du:sad", "canonical:sadness"]),
        ("happy", ["du:happy", "canonical:happiness"]),
        ("angry", ["du:angry", "canonical:anger"]),
        ("surprised", ["du:surprised", "canonical:surprise"]),
        ("awed", ["du:awed", "extra:awe"]),
    ],
)
def test_a_name_shadowed_by_a_later_set_is_ambiguous(query: str, candidates: list[str]) -> None:
    with pytest.raises(ParameterError, match=r"ambiguous") as caught:
        LIB.get(query)
    for name in candidates:
        assert f"'{name}'" in caught.value.message
    assert LIB.get(candidates[0]).qualified_name == candidates[0]  # qualified: no doubt


def test_a_typo_in_a_set_name_is_caught_with_a_suggestion() -> None:
    with pytest.raises(ParameterError, match=r"unknown emotion set 'canonicl'.*did you mean "
                       r"'canonical'"):  # fmt: skip
        LIB.get("canonicl:anger")
    with pytest.raises(ParameterError, match=r"did you mean 'matsumoto'"):
        LIB.get("anger", default_set="matsumotto")


def test_the_circumplex_places_basic_emotions_with_sources() -> None:
    placed = {p.emotion: p for p in LIB.circumplex}
    for name in ("happiness", "sadness", "anger", "fear", "surprise", "disgust"):
        point = placed[f"canonical:{name}"]
        assert -1 <= point.valence <= 1 and -1 <= point.arousal <= 1
        assert "Russell" in point.source
    assert placed["canonical:happiness"].valence > 0 < placed["canonical:happiness"].arousal
    assert placed["canonical:sadness"].valence < 0 > placed["canonical:sadness"].arousal


def test_default_set_is_normalised_too() -> None:
    assert LIB.get("anger", default_set=" Dong ").qualified_name == "dong:anger"


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_get_is_case_and_separator_insensitive(data: st.DataObject) -> None:
    proto = data.draw(st.sampled_from(ALL))
    chars = []
    for ch in proto.qualified_name:
        if ch == "_":
            chars.append(data.draw(st.sampled_from(["_", " ", "-", " - "])))
        else:
            chars.append(ch.upper() if data.draw(st.booleans()) else ch)
    assert LIB.get("".join(chars)) is proto


def test_unknown_name_suggests_close_matches() -> None:
    with pytest.raises(
        ParameterError,
        match=r"^unknown emotion 'hapiness'; did you mean 'happiness'.*\? "
        r"\(see `avatardrive emotions`\)$",
    ):
        LIB.get("hapiness")


def test_unknown_qualified_name_suggests_qualified_names() -> None:
    with pytest.raises(
        ParameterError, match=r"unknown emotion 'dong:angr'; did you mean 'dong:anger'"
    ):
        LIB.get("dong:angr")


@pytest.mark.parametrize(
    ("query", "suggestion"),
    [("anger.7", "matsumoto:anger.7"), ("Sadness.4 17", "matsumoto:sadness.4_17")],
)
def test_name_only_in_another_set_suggests_its_qualified_name(query: str, suggestion: str) -> None:
    with pytest.raises(ParameterError, match=rf"did you mean '{re.escape(suggestion)}'\?"):
        LIB.get(query)


def test_unknown_name_without_close_matches() -> None:
    with pytest.raises(
        ParameterError, match=r"^unknown emotion 'xyzzy' \(see `avatardrive emotions`\)$"
    ):
        LIB.get("xyzzy")


@pytest.mark.parametrize("bad", ["", "   ", 12])
def test_get_rejects_empty_or_non_string_names(bad: Any) -> None:
    with pytest.raises(ParameterError, match="expected a non-empty string"):
        LIB.get(bad)


def test_unknown_set() -> None:
    with pytest.raises(ParameterError, match=r"unknown emotion set 'ekman' in default_set"):
        LIB.get("happiness", default_set="ekman")
    with pytest.raises(ParameterError, match=r"unknown emotion set 'ekman'.*expected one of"):
        LIB.get("ekman:happiness")
    with pytest.raises(ParameterError, match=r"unknown emotion set 'ekman'"):
        LIB.names(set="ekman")


def test_names() -> None:
    qualified = LIB.names()
    assert qualified[0] == "canonical:happiness"
    assert all(":" in n for n in qualified)
    assert len(set(qualified)) == len(qualified)
    assert "anger" in LIB.names(set="dong")
    assert all(":" not in n for n in LIB.names(set="dong"))
    assert sum(len(LIB.names(set=s)) for s in LIB.sets) == len(LIB)


# --------------------------------------------------------------------------------------------
# Malformed files
# --------------------------------------------------------------------------------------------

VALID: dict[str, Any] = {
    "version": 1,
    "sets": {"s": {"title": "a set", "source": "somebody 2024"}},
    "prototypes": [
        {
            "set": "s",
            "name": "joy",
            "aus": {"AU6": "C", "AU12": 0.8},
            "optional": {"AU25": "B"},
            "key": ["AU12"],
            "lags": {"AU6": [0.0, 0.15]},
            "intensity": 0.5,
            "source": "somebody 2024, table 1",
            "note": "a note",
        }
    ],
}


def test_minimal_valid_library() -> None:
    lib = parse_library(tomli_w.dumps(VALID))
    assert isinstance(lib, EmotionLibrary)
    joy = lib.get("joy", default_set="s")
    assert joy.qualified_name == "s:joy"
    assert joy.aus[0][1] == pytest.approx(0.6)
    assert joy.key == frozenset({12})
    assert dict(joy.lags) == {6: (0.0, 0.15)}
    # canonical/extra/du are absent here: an unqualified lookup searches only the default set
    with pytest.raises(ParameterError, match="did you mean 'joy'"):
        lib.get("jo", default_set="s")


def test_key_defaults_to_all_core_aus() -> None:
    data = copy.deepcopy(VALID)
    del data["prototypes"][0]["key"]
    assert parse_library(tomli_w.dumps(data)).get("s:joy").key == frozenset({6, 12})


def _set(path: str, value: Any) -> dict[str, Any]:
    """A copy of VALID with one key set (``value=...`` deletes it); path like 'prototypes.0.aus'."""
    data = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    index: Any = int(last) if isinstance(node, list) else last
    if value is ...:
        del node[index]
    else:
        node[index] = value
    return data


WHERE = r"prototypes\[0\] \(s:joy\)"

MALFORMED = [
    ("version", 2, r"version: 2; expected 1"),
    ("version", ..., r"version: None; expected 1"),
    ("sets", {}, r"sets: no prototype sets"),
    ("sets.s.title", "", r"sets\.s\.title: empty"),
    ("sets.s.url", "x", r"sets\.s: keys"),
    ("sets.Bad Name", {"title": "t", "source": "s"}, r"sets\.Bad Name: set name"),
    ("sets.other", {"title": "t", "source": "s"}, r"sets: sets without prototypes: other"),
    ("prototypes", [], r"prototypes: expected at least one"),
    ("prototypes.0.set", "nope", r"prototypes\[0\]\.set: 'nope'; expected one of s"),
    ("prototypes.0.name", "Joy", r"prototypes\[0\]\.name: 'Joy'; expected lowercase"),
    ("prototypes.0.source", ..., r"prototypes\[0\]: missing source"),
    ("prototypes.0.source", " ", rf"{WHERE}\.source: empty"),
    ("prototypes.0.colour", "red", r"prototypes\[0\]: unknown keys \['colour'\]"),
    ("prototypes.0.aus", {}, rf"{WHERE}\.aus: empty; expected at least one core AU"),
    ("prototypes.0.aus", "AU12", rf"{WHERE}\.aus: 'AU12'; expected a table"),
    ("prototypes.0.aus.AU99", "C", rf"{WHERE}\.aus\.AU99: unknown AU 99"),
    ("prototypes.0.aus.XY12", "C", rf"{WHERE}\.aus\.XY12: AU key 'XY12' is not understood"),
    ("prototypes.0.aus.U25", "C", rf"{WHERE}\.aus\.U25: .*acts on the midline"),
    ("prototypes.0.aus.AU12", "F", rf"{WHERE}\.aus\.AU12: intensity 'F' is not a FACS letter"),
    ("prototypes.0.aus.AU12", 1.5, rf"{WHERE}\.aus\.AU12: intensity 1\.5 is outside"),
    ("prototypes.0.aus.AU12", 0.0, rf"{WHERE}\.aus\.AU12: 0\.0; expected an intensity in \(0, 1\]"),
    ("prototypes.0.aus.AU12", True, rf"{WHERE}\.aus\.AU12: intensity True has type bool"),
    ("prototypes.0.aus.R12", "C", rf"{WHERE}: AU12 appears twice"),
    ("prototypes.0.optional.AU6", "B", rf"{WHERE}: AU6 appears twice"),
    ("prototypes.0.key", [], rf"{WHERE}\.key: \[\]; expected a non-empty list"),
    ("prototypes.0.key", "AU12", rf"{WHERE}\.key: 'AU12'; expected a non-empty list"),
    ("prototypes.0.key", ["AU25"], rf"{WHERE}\.key: AUs \[25\] are not core AUs"),
    ("prototypes.0.lags.AU4", [0.0, 0.1], rf"{WHERE}\.lags\.AU4: AU4 is not among"),
    ("prototypes.0.lags.AU6", [0.2, 0.1], rf"{WHERE}\.lags\.AU6: .*0 <= min <= max"),
    ("prototypes.0.lags.AU6", [-0.1, 0.1], rf"{WHERE}\.lags\.AU6: .*0 <= min <= max"),
    ("prototypes.0.lags.AU6", [0.1], rf"{WHERE}\.lags\.AU6: \[0\.1\]; expected \[min, max\]"),
    ("prototypes.0.lags.AU6", ["a", "b"], rf"{WHERE}\.lags\.AU6: .*expected \[min, max\]"),
    ("prototypes.0.intensity", "Q", rf"{WHERE}\.intensity: intensity 'Q'"),
    ("prototypes.0.intensity", 0, rf"{WHERE}\.intensity: 0; expected an intensity"),
    ("prototypes.0.note", 3, rf"{WHERE}\.note: 3; expected a string"),
]


@pytest.mark.parametrize(("path", "value", "pattern"), MALFORMED)
def test_malformed_library_raises_catalogue_error(path: str, value: Any, pattern: str) -> None:
    text = tomli_w.dumps(_set(path, value))
    with pytest.raises(CatalogueError, match=rf"^avatardrive/synth/emotions\.toml: {pattern}"):
        parse_library(text)


def test_duplicate_prototype() -> None:
    data = copy.deepcopy(VALID)
    data["prototypes"].append(copy.deepcopy(data["prototypes"][0]))
    with pytest.raises(
        CatalogueError, match=r"prototypes\[1\] \(s:joy\): duplicate of prototypes\[0\]"
    ):
        parse_library(tomli_w.dumps(data))


@pytest.mark.parametrize(
    "text",
    [
        "version = ",
        "version = 1\n[[prototypes]\n",
        "version = 1\nversion = 1\n",
        'version = "1"\n',
        "version = true\n",
        "version = 1\nsets = 3\n",
        "version = 1\nextra = 1\n",
    ],
)
def test_broken_toml_raises_catalogue_error(text: str) -> None:
    with pytest.raises(CatalogueError, match=r"^avatardrive/synth/emotions\.toml: "):
        parse_library(text)


def test_source_name_is_configurable() -> None:
    with pytest.raises(CatalogueError, match=r"^my\.toml: version"):
        parse_library("version = 9\n", source="my.toml")


_toml_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 200)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=6)
    | st.sampled_from(["A", "C", "E", "AU12", "U14", "R25", "s", "joy"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(
    path=st.sampled_from(
        [
            "version",
            "sets",
            "sets.s",
            "sets.s.title",
            "prototypes",
            "prototypes.0",
            "prototypes.0.set",
            "prototypes.0.name",
            "prototypes.0.aus",
            "prototypes.0.aus.AU12",
            "prototypes.0.optional",
            "prototypes.0.key",
            "prototypes.0.lags",
            "prototypes.0.lags.AU6",
            "prototypes.0.intensity",
            "prototypes.0.source",
            "prototypes.0.note",
        ]
    ),
    value=_toml_values,
)
def test_any_corruption_is_accepted_or_a_catalogue_error(path: str, value: Any) -> None:
    data = _set(path, value)
    try:
        text = tomli_w.dumps(data)
    except (TypeError, ValueError):  # not representable in TOML (None, NaN keys, ...)
        return
    error: CatalogueError | None = None
    try:
        lib = parse_library(text)
    except CatalogueError as exc:
        error = exc
    if error is not None:
        assert error.source == "avatardrive/synth/emotions.toml"
        return
    for proto in lib:
        assert proto.aus
        assert all(0.0 < v <= 1.0 for _, v in proto.aus + proto.optional)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_arbitrary_text_is_a_catalogue_error(text: str) -> None:
    with pytest.raises(CatalogueError):
        parse_library(text)
