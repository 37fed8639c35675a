"""Timeline model, file format and authoring API."""

from __future__ import annotations

import json
import math
import re
import tomllib
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from avatardrive.errors import TimelineError
from avatardrive.timeline import (
    Event,
    Timeline,
    dumps_timeline,
    load_timeline,
    loads_timeline,
    save_timeline,
    timeline_to_dict,
)

DESIGN_EXAMPLE = """
version = 1
fps = 60                 # optional, default 60
duration = 12.0          # optional, default: end of the last event + 1 s
seed = 7                 # optional
[avatar]
asymmetry = 0.1          # optional: fixed left/right gain difference, + = left stronger
[blink]
rate = 17                # blinks per minute, 0 = no blinks
[[events]]
emotion = "happiness"    # a prototype name, or use `aus` instead
start = 1.0
intensity = 0.8          # or "A".."E"
onset = 0.5              # seconds; optional
apex = 2.0
offset = 1.0
style = "spontaneous"    # or "posed"
asymmetry = 0.0
[[events]]
emotion = "contempt"
micro = true             # micro-expression: total under 0.5 s
start = 2.4
[[events]]
aus = { AU1 = 0.6, AU4 = 0.4, AU14_L = 0.5 }   # AU12 = both sides; AU12_L / AU12_R one side
start = 5.0
"""


def test_design_example_parses_with_its_values() -> None:
    timeline = loads_timeline(DESIGN_EXAMPLE)
    assert (timeline.fps, timeline.duration, timeline.seed) == (60.0, 12.0, 7)
    assert (timeline.asymmetry, timeline.blink_rate) == (0.1, 17.0)
    first, micro, aus = timeline.events
    assert (first.emotion, first.intensity, first.onset, first.apex, first.offset) == (
        "happiness",
        0.8,
        0.5,
        2.0,
        1.0,
    )
    assert micro.micro and micro.emotion == "contempt"
    assert dict(aus.aus or {}) == {"AU1": 0.6, "AU4": 0.4, "AU14_L": 0.5}


def test_letters_and_side_forms_normalise() -> None:
    event = Event(start=0, aus={"l12": "C", "R14": "A", "au1": 0.3, "U10": "B"})
    assert dict(event.aus or {}) == {"AU12_L": 0.6, "AU14_R": 0.2, "AU1": 0.3, "AU10_U": 0.4}
    assert Event(start=0, emotion="joy", intensity="E").intensity == 1.0


BAD = [
    (
        "version = 1\n[[events]]\nemotion = 'x'\nstart = -1\n",
        r"^bad\.toml: line 4: events\[0\]\.start: -1 is out of range",
    ),
    ("version = 1\nfoo = 2\n", r"^bad\.toml: line 2: foo: unknown key 'foo'"),
    (
        "version = 1\n[[events]]\nemotion = 'x'\nstart = 1\nintesity = 0.3\n",
        r"line 5: events\[0\]\.intesity: unknown key 'intesity' \(did you mean 'intensity'\?\)",
    ),
    (
        "version = 1\n[[events]]\nemotion = 'x'\nstart = 1\nintensity = 1.2\n",
        r"line 5: events\[0\]\.intensity: .*1\.2.*expected a number in \[0, 1\]",
    ),
    (
        "version = 1\n[[events]]\nemotion = 'x'\nstart = 1\nintensity = 'F'\n",
        r"events\[0\]\.intensity: .*'F'.*expected A, B, C, D or E",
    ),
    (
        "version = 1\n[[events]]\nemotion = 'x'\nstart = 1\nonset = nan\n",
        r"line 5: events\[0\]\.onset: nan is not finite",
    ),
    (
        "version = 1\n[[events]]\nemotion = 'x'\nstart = 1\napex = inf\n",
        r"events\[0\]\.apex: inf is not finite",
    ),
    (
        "version = 1\n[[events]]\nemotion = 'x'\nstart = 1\noffset = -0.5\n",
        r"events\[0\]\.offset: -0\.5 is out of range",
    ),
    (
        "version = 1\n[[events]]\nemotion = 'x'\nstart = '1'\n",
        r"events\[0\]\.start: '1' is a str; expected a number",
    ),
    (
        "version = 1\n[[events]]\naus = { AU26_L = 0.3 }\nstart = 1\n",
        r"line 3: events\[0\]\.aus\.AU26_L: .*AU26 \(Jaw Drop\) acts on the midline",
    ),
    (
        "version = 1\n[[events]]\naus = { L25 = 0.3 }\nstart = 1\n",
        r"events\[0\]\.aus\.L25: .*AU25 \(Lips Part\) acts on the midline",
    ),
    (
        "version = 1\n[[events]]\naus = { AU99 = 0.3 }\nstart = 1\n",
        r"events\[0\]\.aus\.AU99: unknown AU 99",
    ),
    (
        "version = 1\n[[events]]\naus = { AU12 = 0.3, AU12_L = 0.5 }\nstart = 1\n",
        r"events\[0\]\.aus\.AU12_L: AU12 is given both",
    ),
    (
        "version = 1\nduration = 3\n[[events]]\nemotion = 'joy'\nstart = 4\n",
        r"line 5: events\[0\]\.start: 4 s is not before the timeline's duration 3 s",
    ),
    (
        "version = 1\n[[events]]\nemotion = 'joy'\nstart = 1\nmicro = true\nonset = 0.3\n",
        r"events\[0\]\.onset: 0\.3 s is too long for a micro-expression",
    ),
    (
        "version = 1\n[[events]]\nemotion = 'joy'\nstart = 1\nmicro = true\napex=0.2\noffset=0.3\n",
        r"a micro-expression lasts under 0\.5 s",
    ),
    (
        "version = 1\n[[events]]\nemotion = 'joy'\naus = { AU1 = 0.2 }\nstart = 1\n",
        r"events\[0\]\.emotion: an event needs exactly one of 'emotion' or 'aus'",
    ),
    ("version = 1\n[[events]]\nstart = 1\n", r"events\[0\]\.aus: an event needs exactly one"),
    ("version = 1\n[[events]]\nemotion = 'joy'\n", r"events\[0\]\.start: missing key 'start'"),
    ("", r"^bad\.toml: the file is empty"),
    ("# only a comment\n", r"^bad\.toml: the file is empty"),
    ("fps = 30\n", r"version: missing key 'version'"),
    ("version = 2\n", r"version: 2 is not a supported version; expected 1"),
    ("version = 1\n[[events]\n", r"^bad\.toml: line 2: TOML syntax error: .*expected valid TOML"),
    ("version = 1\nfps = 0\n", r"line 2: fps: 0 is out of range; expected a number in \[1, 1000\]"),
    ("version = 1\nseed = -3\n", r"seed: -3; expected an integer"),
    ("version = 1\nblend = 'min'\n", r"blend: 'min' is not allowed; expected one of max, sum"),
    ("version = 1\n[avatar]\nasymmetry = 3\n", r"line 3: avatar\.asymmetry: 3 is out of range"),
    ("version = 1\n[blink]\nrate = -1\n", r"line 3: blink\.rate: -1 is out of range"),
    ("version = 1\n[blink]\nspeed = 1\n", r"blink\.speed: unknown key 'speed'"),
    ("version = 1\nevents = 3\n", r"events: 3; expected an array of \[\[events\]\]"),
    (
        "version = 1\n[[events]]\nemotion = 'joy'\nstart = 1\nstyle = 'acted'\n",
        r"events\[0\]\.style: 'acted' is not allowed; expected one of spontaneous, posed",
    ),
    (
        "version = 1\n[[events]]\nemotion = 'joy'\nstart = 1\nlags = { AU6_L = 0.1 }\n",
        r"events\[0\]\.lags\.AU6_L: 'AU6_L' names a side",
    ),
    (
        "version = 1\n[[events]]\nemotion = 'joy'\nstart = 1\nmicro = 'yes'\n",
        r"events\[0\]\.micro: 'yes'; expected true or false",
    ),
]


@pytest.mark.parametrize(("text", "pattern"), BAD)
def test_bad_timelines_give_one_clear_line(text: str, pattern: str) -> None:
    with pytest.raises(TimelineError) as caught:
        loads_timeline(text, source="bad.toml")
    message = str(caught.value)
    assert "\n" not in message
    assert re.search(pattern, message), message


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ('{"version": 1, "events": [', r"^bad\.json: line 1: JSON syntax error"),
        ('{"version": 1, "fps": NaN}', r"NaN is not a number"),
        ("[1, 2]", r"top level is list; expected an object"),
        (
            '{"version": 1, "events": [{"emotion": "joy", "start": 1, "intensity": 7}]}',
            r"^bad\.json: events\[0\]\.intensity: .*7",
        ),
        ("", r"the file is empty"),
    ],
)
def test_bad_json_timelines(text: str, pattern: str) -> None:
    with pytest.raises(TimelineError, match=pattern):
        loads_timeline(text, fmt="json", source="bad.json")


def test_load_timeline_file_errors(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    with pytest.raises(TimelineError, match=r"missing\.toml: no such file"):
        load_timeline(folder / "missing.toml")
    binary = folder / "binary.toml"
    binary.write_bytes(b"version = 1\n\xff\xfe")
    with pytest.raises(TimelineError, match=r"binary\.toml: byte 12 is not UTF-8"):
        load_timeline(binary)
    with pytest.raises(TimelineError, match=r"is a directory"):
        load_timeline(folder)


def test_authoring_api_validates_and_keeps_timeline_unchanged_on_error() -> None:
    timeline = Timeline(duration=10.0)
    timeline.emotion("happiness", at=1.0, intensity="D")
    with pytest.raises(TimelineError, match=r"intensity: intensity 2 is outside"):
        timeline.emotion("happiness", at=2.0, intensity=2)
    with pytest.raises(TimelineError, match=r"events\[1\]\.start: 11 s is not before"):
        timeline.emotion("sadness", at=11)
    assert len(timeline.events) == 1
    with pytest.raises(TimelineError, match=r"fps: 0 is out of range"):
        Timeline(fps=0)


_numbers = st.floats(0.0, 1.0, allow_nan=False)
_durations = st.none() | st.floats(0.01, 5.0, allow_nan=False)
_au_keys = st.sampled_from(["AU1", "AU2", "AU4_L", "R12", "AU14_R", "U14", "AU25", "AU45", "L7"])


@st.composite
def events(draw: st.DrawFn) -> Event:
    use_aus = draw(st.booleans())
    micro = draw(st.booleans())
    options: dict[str, object] = {
        "start": draw(st.floats(0.0, 50.0, allow_nan=False)),
        "intensity": draw(st.none() | _numbers | st.sampled_from(list("ABCDE"))),
        "style": draw(st.sampled_from(["spontaneous", "posed"])),
        "asymmetry": draw(st.floats(-1.0, 1.0, allow_nan=False)),
        "side_lag": draw(st.none() | st.floats(-0.05, 0.05, allow_nan=False)),
        "side": draw(st.none() | st.sampled_from(["left", "right"])),
        "priority": draw(st.integers(-5, 5)),
        "sample": draw(st.none() | st.booleans()),
        "label": draw(st.none() | st.text(max_size=12)),
        "lags": draw(
            st.dictionaries(
                st.sampled_from(["AU6", "AU12", "AU1"]),
                st.floats(0.0, 0.3, allow_nan=False),
                max_size=2,
            )
        ),
    }
    if micro:
        options["micro"] = True
    else:
        options.update(onset=draw(_durations), apex=draw(_durations), offset=draw(_durations))
    if use_aus:
        keys = draw(st.lists(_au_keys, min_size=1, max_size=4, unique_by=lambda k: k[-2:]))
        aus = {k: draw(_numbers | st.sampled_from(list("ABCDE"))) for k in keys}
        try:
            return Event(aus=aus, **options)  # type: ignore[arg-type]
        except TimelineError:  # e.g. AU14_R with U14: both given for one side - draw again
            return Event(aus={"AU1": 0.5}, **options)  # type: ignore[arg-type]
    name = draw(st.sampled_from(["happiness", "dong:anger", "awe", "happily surprised"]))
    return Event(emotion=name, **options)  # type: ignore[arg-type]


@st.composite
def timelines(draw: st.DrawFn) -> Timeline:
    return Timeline(
        events=draw(st.lists(events(), max_size=6)),
        fps=draw(st.sampled_from([24.0, 30.0, 59.94, 60.0, 120.0])),
        duration=draw(st.none() | st.floats(60.0, 120.0, allow_nan=False)),
        seed=draw(st.integers(0, 2**63 - 1)),
        asymmetry=draw(st.floats(-1.0, 1.0, allow_nan=False)),
        blink_rate=draw(st.floats(0.0, 60.0, allow_nan=False)),
        blend=draw(st.sampled_from(["max", "sum", "priority"])),
        prototypes=draw(st.sampled_from(["canonical", "dong", "matsumoto"])),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(timelines(), st.sampled_from(["toml", "json"]))
def test_timelines_round_trip_through_text(timeline: Timeline, fmt: str) -> None:
    assert loads_timeline(dumps_timeline(timeline, fmt=fmt), fmt=fmt) == timeline


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(timelines())
def test_toml_text_holds_exactly_the_timeline_data(timeline: Timeline) -> None:
    text = dumps_timeline(timeline)
    read, data = tomllib.loads(text), timeline_to_dict(timeline)
    assert read.pop("events", []) == data.pop("events")  # no events: no [[events]] table
    assert read == data
    assert text.count("[[events]]") == len(timeline.events)  # never tomli-w's inline array


EXAMPLES = sorted((Path(__file__).parents[1] / "demo" / "timelines").glob("*.toml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_timeline_round_trips_through_tomli_w(path: Path) -> None:
    timeline = load_timeline(path)
    text = dumps_timeline(timeline)
    assert loads_timeline(text) == timeline
    assert tomllib.loads(text) == tomllib.loads(tomli_w.dumps(timeline_to_dict(timeline)))


def test_a_saved_timeline_keeps_line_numbers_for_errors_after_editing() -> None:
    timeline = loads_timeline(DESIGN_EXAMPLE)
    lines = dumps_timeline(timeline).splitlines()
    number = next(i for i, line in enumerate(lines) if line == "start = 2.4")
    lines[number] = 'start = "soon"'
    with pytest.raises(TimelineError, match=rf"line {number + 1}: events\[1\]\.start"):
        loads_timeline("\n".join(lines))


def test_keys_and_strings_tomli_w_must_quote_round_trip() -> None:
    timeline = loads_timeline(DESIGN_EXAMPLE)
    label = 'a "quoted" \\ label\twith\x7f DEL, \x01 and ünïcödé'
    edited = Timeline(events=[Event(aus={"AU12_L": 0.5}, start=1.0, label=label)],
                      fps=timeline.fps, seed=timeline.seed)
    assert loads_timeline(dumps_timeline(edited)) == edited


def test_save_and_load_files_round_trip(tmp_path: object) -> None:
    from pathlib import Path

    timeline = loads_timeline(DESIGN_EXAMPLE)
    for name in ("scene.toml", "scene.json"):
        path = Path(str(tmp_path)) / name
        save_timeline(timeline, path)
        assert load_timeline(path) == timeline
    json.loads((Path(str(tmp_path)) / "scene.json").read_text())  # plain JSON


_VALID_LINES = DESIGN_EXAMPLE.strip().splitlines()


@st.composite
def mutated_timelines(draw: st.DrawFn) -> str:
    lines = list(_VALID_LINES)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "dup", "garble", "value", "insert"]))
        if action == "drop":
            del lines[i]
        elif action == "dup":
            lines.insert(i, lines[i])
        elif action == "garble":
            line = lines[i]
            j = draw(st.integers(0, max(0, len(line) - 1)))
            lines[i] = line[:j] + draw(st.text(max_size=3)) + line[j + 1 :]
        elif action == "value" and "=" in lines[i]:
            key = lines[i].split("=")[0]
            value = draw(
                st.sampled_from(
                    [
                        "-1",
                        "nan",
                        "inf",
                        "1e309",
                        "'x'",
                        "true",
                        "[1]",
                        "{}",
                        "'E'",
                        "99",
                        "0",
                        "''",
                    ]
                )
            )
            lines[i] = f"{key}= {value}"
        else:
            lines.insert(
                i,
                draw(
                    st.sampled_from(
                        ["[[events]]", "[avatar]", "x = 1", "start = 3", "aus = { AU5_L = 2 }"]
                    )
                ),
            )
        if not lines:
            break
    return "\n".join(lines)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(mutated_timelines(), st.text(max_size=200)), st.sampled_from(["toml", "json"]))
def test_fuzzed_timelines_raise_only_clear_errors(text: str, fmt: str) -> None:
    try:
        timeline = loads_timeline(text, fmt=fmt, source="fuzz.toml")
    except TimelineError as err:
        message = str(err)
        assert message.startswith("fuzz.toml")
        assert "\n" not in message and "Traceback" not in message
        return
    for event in timeline.events:  # anything accepted is valid
        assert math.isfinite(event.start) and event.start >= 0
        assert event.intensity is None or 0.0 <= event.intensity <= 1.0
