"""Keyframes, transitions, holds and mood in the timeline model, its files and the authoring API."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from conftest import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from avatardrive.errors import TimelineError
from avatardrive.timeline import (
    BLINK_TIMING,
    Event,
    MoodKey,
    Timeline,
    dumps_timeline,
    load_timeline,
    loads_timeline,
)

HEAD = "version = 1\nduration = 20\n"


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "scene.toml"
    path.write_text(HEAD + text)
    return str(path)


BAD = [
    (  # keys out of time order
        '[[events]]\nemotion = "sadness"\nstart = 5\n'
        "intensity = [[0.0, 0.4], [3.5, 0.8], [2.0, 0.6]]\n",
        r"line 6: events\[0\]\.intensity\[2\]: key at 2 s comes after a key at 3\.5 s; expected "
        r"keys in increasing time order",
    ),
    (  # a key beyond the event's end (another event takes over before it)
        '[[events]]\nemotion = "sadness"\nstart = 5\nlabel = "sad"\n'
        "intensity = [[0.0, 0.4], [3.5, 0.8]]\n"
        '[[events]]\nemotion = "fear"\nstart = 7\nfrom = "sad"\n',
        r"line 7: events\[0\]\.intensity\[1\]: key at 3\.5 s \(8\.5 s on the timeline\) comes "
        r"after the event's end: events\[1\] takes over at 7 s; expected keys before it",
    ),
    (  # a key beyond the timeline's end
        '[[events]]\nemotion = "sadness"\nstart = 15\nintensity = [[0.0, 0.4], [6.0, 0.8]]\n',
        r"line 6: events\[0\]\.intensity\[1\]: key at 6 s \(21 s on the timeline\) is not "
        r"before the timeline's duration 20 s",
    ),
    (  # a level outside [0, 1]
        '[[events]]\nemotion = "sadness"\nstart = 5\nintensity = [[0.0, 0.4], [1.0, 1.2]]\n',
        r"line 6: events\[0\]\.intensity\[1\]: intensity 1\.2 is outside \[0, 1\]",
    ),
    (  # a key that is not a pair
        '[[events]]\nemotion = "sadness"\nstart = 5\nintensity = [[0.0, 0.4, 1.0]]\n',
        r"line 6: events\[0\]\.intensity\[0\]: \[0\.0, 0\.4, 1\.0\]; expected a key "
        r"\[seconds, level\]",
    ),
    (  # from a label that does not exist
        '[[events]]\nemotion = "fear"\nstart = 5\nfrom = "surprise"\n',
        r"line 6: events\[0\]\.from: 'surprise' names no event; expected the label of an "
        r"earlier event",
    ),
    (  # from a label that comes later
        '[[events]]\nemotion = "fear"\nstart = 5\nfrom = "s"\n'
        '[[events]]\nemotion = "surprise"\nstart = 6\nlabel = "s"\n',
        r"line 6: events\[0\]\.from: 's' starts at 6 s, not before this event's 5 s; expected "
        r"an event that comes earlier",
    ),
    (  # a cycle of transitions
        '[[events]]\nemotion = "fear"\nstart = 5\nlabel = "f"\nfrom = "s"\n'
        '[[events]]\nemotion = "surprise"\nstart = 6\nlabel = "s"\nfrom = "f"\n',
        r"line 7: events\[0\]\.from: a cycle of transitions: 'f' <- 's' <- 'f'",
    ),
    (  # one event taken over twice
        '[[events]]\nemotion = "fear"\nstart = 5\nlabel = "f"\n'
        '[[events]]\nemotion = "surprise"\nstart = 6\nfrom = "f"\n'
        '[[events]]\nemotion = "anger"\nstart = 7\nfrom = "f"\n',
        r"line 14: events\[2\]\.from: 'f' is already taken over by events\[1\]",
    ),
    (  # a mood value outside [-1, 1]
        '[[mood]]\nat = 0\nvalence = 0.5\narousal = 1.5\n',
        r"line 6: mood\[0\]\.arousal: 1\.5 is out of range; expected a number in \[-1, 1\]",
    ),
    (  # mood keys out of order
        '[[mood]]\nat = 4\nvalence = 0.5\narousal = 0.1\n'
        '[[mood]]\nat = 2\nvalence = 0.5\narousal = 0.1\n',
        r"line 8: mood\[1\]\.at: 2 s comes after a mood key at 4 s; expected mood keys in "
        r"increasing time order",
    ),
    (  # an unknown mood key
        '[[mood]]\nat = 4\nvalence = 0.5\narousal = 0.1\nvalance = 0.2\n',
        r"line 7: mood\[0\]\.valance: unknown key 'valance' \(did you mean 'valence'\?\)",
    ),
    (  # hold and an apex
        '[[events]]\nemotion = "fear"\nstart = 5\nhold = true\napex = 2\n',
        r"line 6: events\[0\]\.hold: hold = true with an apex; expected one of them",
    ),
    (  # keys on a micro-expression
        '[[events]]\nemotion = "fear"\nmicro = true\nstart = 5\nintensity = [[0, 0.2]]\n',
        r"line 7: events\[0\]\.intensity: keyframes on a micro-expression",
    ),
    (  # an ambiguous emotion name
        '[[events]]\nemotion = "sad"\nstart = 5\n',
        r"line 4: events\[0\]\.emotion: emotion 'sad' is ambiguous: it could be 'du:sad' or "
        r"'canonical:sadness'",
    ),
    (  # a typo in the prototype set
        'prototypes = "canonicl"\n[[events]]\nemotion = "anger"\nstart = 5\n',
        r"line 3: prototypes: unknown emotion set 'canonicl' in prototypes \(did you mean "
        r"'canonical'\?\)",
    ),
]


@pytest.mark.parametrize(("body", "pattern"), BAD)
def test_bad_directions_exit_2_with_one_located_line(tmp_path: Path, body: str,
                                                     pattern: str) -> None:  # fmt: skip
    path = write(tmp_path, body)
    code, out, err = run_cli("validate", path)
    assert code == 2, out
    assert err.count("\n") == 1, err
    assert re.search(re.escape(path) + ": " + pattern, err), err


def test_the_scene_of_the_issue_reads_writes_and_reads_back(tmp_path: Path) -> None:
    text = HEAD + (
        '[[events]]\nemotion = "sadness"\nstart = 5.0\nintensity = [[0.0, 0.4], [3.5, 0.8], '
        "[6.0, 0.8]]\n"
        '[[events]]\nemotion = "surprise"\nstart = 1.0\nlabel = "surprise"\nhold = true\n'
        '[[events]]\nemotion = "fear"\nstart = 2.0\nafter = "surprise"\n'
        "[[mood]]\nat = 0\nvalence = 0.3\narousal = 0.1\n"
        "[[mood]]\nat = 12\nvalence = -0.6\narousal = -0.3\n"
    )
    timeline = loads_timeline(text)
    sadness, surprise, fear = timeline.events
    assert sadness.keys == ((0.0, 0.4), (3.5, 0.8), (6.0, 0.8)) and sadness.intensity is None
    assert surprise.hold and fear.after == "surprise"
    assert timeline.mood == [MoodKey(0.0, 0.3, 0.1), MoodKey(12.0, -0.6, -0.3)]
    for suffix in (".toml", ".json"):
        path = tmp_path / f"scene{suffix}"
        timeline.save(str(path))
        assert load_timeline(path) == timeline
    assert 'from = "surprise"' in dumps_timeline(timeline)


def test_a_float_intensity_stays_a_float() -> None:
    event = Event(start=1.0, emotion="happiness", intensity=0.7)
    assert event.intensity == 0.7 and event.keys is None
    assert "intensity = 0.7\n" in dumps_timeline(Timeline(events=[event]))


def test_the_api_takes_keys_from_and_blink() -> None:
    scene = Timeline(duration=20.0)
    scene.emotion("sadness", at=5.0, keys=[(0, 0.4), (3.5, 0.8)], label="grief")
    scene.emotion("anger", at=10.0, after="grief")
    blink = scene.blink(at=3.0)
    assert blink.aus == {"AU45": 1.0}
    assert (blink.onset, blink.apex, blink.offset) == BLINK_TIMING
    scene.mood_key(at=0.0, valence=0.5, arousal=0.5)
    with pytest.raises(TimelineError, match=r"mood\[1\]\.at: 0 s comes after"):
        scene.mood_key(at=0.0, valence=0.1, arousal=0.1)
    assert len(scene.mood) == 1  # the refused key is not kept
    with pytest.raises(TimelineError, match=r"keys\[1\]: key at 1 s comes after a key at 2 s"):
        scene.emotion("fear", at=1.0, keys=[(2, 0.5), (1, 0.6)])


@pytest.mark.parametrize("suffix", [".yaml", ".txt", ""])
def test_saving_to_an_unknown_suffix_is_an_error(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"scene{suffix}"
    with pytest.raises(TimelineError, match=r"is not a timeline format; expected \.toml or \.json"):
        Timeline().save(str(target))
    assert not target.exists()


@settings(max_examples=150, deadline=None)
@given(
    keys=st.lists(
        st.tuples(st.floats(0, 100, allow_nan=False), st.floats(0, 1, allow_nan=False)),
        min_size=1,
        max_size=6,
    ),
)
def test_keys_are_accepted_exactly_when_increasing(keys: list[tuple[float, float]]) -> None:
    increasing = all(b[0] > a[0] for a, b in itertools.pairwise(keys))
    if increasing:
        assert Event(start=0.0, emotion="fear", keys=keys).keys == tuple(keys)  # type: ignore[arg-type]
    else:
        with pytest.raises(TimelineError, match=r"expected keys in increasing time order"):
            Event(start=0.0, emotion="fear", keys=keys)  # type: ignore[arg-type]


def test_emotions_mood_prints_what_a_point_maps_to() -> None:
    code, out, _ = run_cli("emotions", "--mood", "0.6", "0.4")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("mood valence +0.60, arousal +0.40: direction 34 degrees")
    assert "canonical:happiness" in lines[1]  # the largest share first
    assert re.search(r"AUs: AU12 0\.\d\d, AU6 0\.\d\d", out)
    code, out, _ = run_cli("emotions", "--mood", "0", "0")
    assert code == 0 and "none (a neutral face)" in out


@pytest.mark.parametrize("args", [("1.5", "0"), ("0", "nan"), ("x", "0"), ("0.5",)])
def test_emotions_mood_refuses_points_off_the_square(
    args: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli("emotions", "--mood", *args)
    assert code == 2 and out == ""
    assert "--mood" in err + capsys.readouterr().err  # argparse writes its usage errors itself


def test_render_summary_handles_a_hold_to_the_end(tmp_path: Path) -> None:
    path = write(tmp_path, '[[events]]\nemotion = "happiness"\nstart = 1\nhold = true\n'
                 'sample = false\n')  # fmt: skip
    code, out, err = run_cli("render", path, "-o", str(tmp_path / "o.csv"), "--summary")
    assert code == 0, err
    assert re.search(r"happiness @1s +AU6 ", out) and re.search(r" +AU12 ", out)
