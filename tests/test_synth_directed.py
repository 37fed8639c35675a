"""Directing a timeline: intensity keyframes, transitions, holds and the mood track, rendered."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from avatardrive.facs import CHANNELS
from avatardrive.synth import (
    STYLE_DEFAULTS,
    event_curves,
    mood_map,
    render,
    resolve_timeline,
)
from avatardrive.timeline import Event, MoodKey, Policy, Timeline

FPS = 120.0


def column(timeline: Timeline, name: str) -> np.ndarray:
    return render(timeline).values[:, CHANNELS.index(name)].astype(np.float64)


def peaks(speed: np.ndarray) -> int:
    """Local maxima of a speed curve above 2 % of its largest value (plateaus count once)."""
    top = float(np.max(speed, initial=0.0))
    if top <= 0:
        return 0
    above = speed > 0.02 * top
    rising = np.diff(np.concatenate(([0.0], speed)))
    count, climbing = 0, False
    for value, step, on in zip(speed, rising, above, strict=True):
        if step > 1e-12 * top:
            climbing = True
        elif step < -1e-12 * top and climbing:
            count += int(on or value > 0.02 * top)
            climbing = False
    return count + int(climbing)


# ------------------------------------------------------------------------------- keyframes

keyframes = st.lists(
    st.tuples(st.floats(1.2, 3.0), st.floats(0.1, 1.0)), min_size=1, max_size=4
).map(
    lambda steps: tuple(
        (round(sum(gap for gap, _ in steps[:i]) - steps[0][0], 3), round(level, 3))
        for i, (_, level) in enumerate(steps, start=1)
    )
)


@settings(max_examples=60, deadline=None)
@given(keys=keyframes, style=st.sampled_from(["spontaneous", "posed"]), seed=st.integers(0, 99))
def test_keyframes_pass_through_every_key_with_one_velocity_peak_per_change(
    keys: tuple[tuple[float, float], ...], style: str, seed: int
) -> None:
    timeline = Timeline(fps=FPS, seed=seed, blink_rate=0.0)
    timeline.aus({"AU12": 1.0}, at=0.5, keys=keys, style=style, side_lag=0.0)  # type: ignore[arg-type]
    (event,) = resolve_timeline(timeline)
    assert event.moves is not None
    t = np.arange(0.0, event.end - event.start + 0.1, 1e-3)
    values, _ = event_curves(event, t)
    curve = values[0]
    moves, delay = event.moves, float(event.delays[0])
    for k, (_, level) in enumerate(keys):  # reached before the next move begins
        held_until = float(moves.begins[k + 1]) + delay - 1e-9
        at_end, _ = event_curves(event, np.array([held_until]))
        assert at_end[0, 0] == pytest.approx(level, abs=0.02)
    previous = 0.0
    for k, (at, level) in enumerate(keys):  # one velocity peak per change
        window = (t >= at + delay) & (t < float(moves.begins[k + 1]) + delay)
        if window.sum() >= 3:  # a key that changes nothing has (almost) no time of its own
            speed = np.abs(np.gradient(curve[window], t[window]))
            assert peaks(speed) == (1 if abs(level - previous) > 1e-3 else 0)
        previous = level


def test_key_moves_take_longer_for_larger_changes_as_spontaneous_onsets_do() -> None:
    timeline = Timeline(fps=FPS, blink_rate=0.0)
    timeline.aus({"AU12": 1.0}, at=0.0, keys=[(0, 0.2), (3, 0.4), (6, 1.0), (9, 0.9)])
    (event,) = resolve_timeline(timeline)
    assert event.moves is not None
    durations = event.moves.durations[1:4, 0]  # changes of 0.2, 0.6 and 0.1
    assert durations[1] > durations[0] > durations[2]
    style = STYLE_DEFAULTS["spontaneous"]
    expected = (style.onset_base + style.onset_per_amplitude * 0.6) / (
        style.onset_base + style.onset_per_amplitude * 0.2
    )
    assert durations[1] / durations[0] == pytest.approx(expected)


def test_the_offset_starts_from_the_last_key() -> None:
    timeline = Timeline(fps=FPS, blink_rate=0.0, duration=12.0)
    timeline.aus({"AU12": 1.0}, at=1.0, keys=[(0, 0.3), (2, 0.6)], style="posed", apex=1.0)
    curve = column(timeline, "AU12_L")
    (event,) = resolve_timeline(timeline)
    assert event.moves is not None
    offset_begins = 1.0 + float(event.moves.begins[-1])
    frame = int(offset_begins * FPS)
    assert curve[frame - 2] == pytest.approx(0.6, abs=0.01)
    assert curve[int(event.end * FPS) + 2] == 0.0
    assert np.all(np.diff(curve[frame:]) <= 1e-6)  # one monotone fall


# ------------------------------------------------------------------------------ transitions

SHARING = [("surprise", "fear"), ("sadness", "fear"), ("happiness", "happiness.social"),
           ("disgust", "disgust.nose"), ("fear", "surprise"), ("sadness", "sadness"),
           ("anger", "fear"), ("happiness", "contempt")]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    pair=st.sampled_from(SHARING),
    first=st.floats(0.2, 1.0),
    second=st.floats(0.2, 1.0),
    handover=st.floats(0.3, 3.0),
    policy=st.sampled_from(["max", "sum", "priority"]),
    style=st.sampled_from(["spontaneous", "posed"]),
    seed=st.integers(0, 50),
)
def test_a_shared_au_never_drops_below_the_smaller_level_in_a_transition(
    pair: tuple[str, str], first: float, second: float, handover: float, policy: Policy,
    style: str, seed: int,
) -> None:  # fmt: skip
    timeline = Timeline(fps=FPS, seed=seed, blink_rate=0.0, blend=policy)
    timeline.emotion(pair[0], at=1.0, intensity=first, label="a", sample=False, style=style,  # type: ignore[arg-type]
                     asymmetry=0.0, side_lag=0.0, hold=True)  # fmt: skip
    timeline.emotion(pair[1], at=1.0 + handover, intensity=second, after="a", sample=False,
                     style=style, asymmetry=0.0, side_lag=0.0)  # type: ignore[arg-type]  # fmt: skip
    resolved = resolve_timeline(timeline)
    earlier, later = resolved[0], resolved[1]
    values = render(timeline).values
    shared = sorted(set(earlier.channels.tolist()) & set(later.channels.tolist()))
    assert shared
    begin = int(np.ceil(later.start * FPS))
    assert later.moves is not None
    settled = later.start + float(np.max(later.delays)) + float(later.moves.durations[0].max())
    stop = int(settled * FPS)
    at_handover, _ = event_curves(earlier, np.array([later.start - earlier.start]))
    for channel in shared:
        old = float(at_handover[earlier.channels.tolist().index(channel), 0])
        new = float(later.amplitudes[later.channels.tolist().index(channel)])
        lowest = float(values[begin:stop, channel].min())
        assert lowest >= min(old, new) - 2e-3, CHANNELS[channel]


def test_aus_only_in_the_earlier_expression_release_with_its_offset() -> None:
    timeline = Timeline(fps=FPS, blink_rate=0.0, duration=10.0)
    timeline.emotion("happiness", at=1.0, intensity=0.8, label="h", sample=False, apex=3.0)
    timeline.emotion("sadness", at=2.5, intensity=0.6, after="h", sample=False)
    happiness, _, release = resolve_timeline(timeline)
    assert happiness.cut == 2.5 and release.part_of == happiness.index
    assert {CHANNELS[c] for c in release.channels} == {"AU6_L", "AU6_R", "AU12_L", "AU12_R"}
    smile = column(timeline, "AU12_L")
    start = int(np.ceil(2.5 * FPS))
    assert smile[start] == pytest.approx(smile[start - 1], abs=0.02)  # no jump at the handover
    assert np.all(np.diff(smile[start:]) <= 1e-6)  # released, never rising again
    gone = 2.5 + happiness.offset
    assert smile[int(gone * FPS) + 2] == 0.0


THE_SCENE_TWO_WAYS = {
    "keys": lambda t: t.emotion("sadness", at=5.0, keys=[(0.0, 0.4), (3.5, 0.8), (6.0, 0.8)]),
    "from (hold)": lambda t: (
        t.emotion("sadness", at=5.0, intensity=0.4, label="sad", hold=True),
        t.emotion("sadness", at=8.5, intensity=0.8, after="sad"),
    ),
    "from (apex)": lambda t: (
        t.emotion("sadness", at=5.0, intensity=0.4, label="sad", apex=4.0),
        t.emotion("sadness", at=8.5, intensity=0.8, after="sad"),
    ),
}


@pytest.mark.parametrize("written", sorted(THE_SCENE_TWO_WAYS))
@pytest.mark.parametrize("policy", ["max", "sum", "priority"])
@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_two_step_sadness_never_sags_between_the_steps(written: str, policy: Policy,
                                                       seed: int) -> None:  # fmt: skip
    timeline = Timeline(fps=60, duration=20.0, seed=seed, blend=policy)
    THE_SCENE_TWO_WAYS[written](timeline)
    values = render(timeline).values
    for side in ("AU15_L", "AU15_R"):
        curve = values[:, CHANNELS.index(side)]
        first_reached = int(np.argmax(curve >= 0.38))
        assert 5.0 * 60 < first_reached < 6.5 * 60
        between = curve[first_reached : int(9.5 * 60)]
        assert between.min() >= 0.35 * (1.0 - 0.08), side  # 0.4 less the face's asymmetry
        assert curve[int(8.5 * 60) :].max() > 0.75


def test_the_bad_news_scene_as_it_was_filed_sags_and_now_does_not() -> None:
    old = Timeline(fps=60, duration=20.0, seed=3)
    old.emotion("sadness", at=5.0, intensity=0.4)
    old.emotion("sadness", at=8.5, intensity=0.8)
    new = Timeline(fps=60, duration=20.0, seed=3)
    new.emotion("sadness", at=5.0, keys=[(0.0, 0.4), (3.5, 0.8), (6.0, 0.8)])
    window = slice(int(6.0 * 60), int(9.0 * 60))
    assert column(old, "AU15_L")[window].min() < 0.2  # the dip the issue reports
    assert column(new, "AU15_L")[window].min() > 0.35


# ----------------------------------------------------------------------------------- holds


def test_a_hold_lasts_until_the_end_of_the_timeline() -> None:
    timeline = Timeline(fps=60, duration=30.0, blink_rate=0.0)
    timeline.emotion("happiness", at=1.0, intensity=0.7, hold=True, sample=False)
    smile = column(timeline, "AU12_L")
    assert smile[-1] == pytest.approx(smile[5 * 60], abs=1e-6)
    assert smile[-1] > 0.6


def test_a_hold_without_a_duration_ends_the_timeline_a_second_after_it_settles() -> None:
    timeline = Timeline(fps=60, blink_rate=0.0)
    timeline.emotion("happiness", at=1.0, intensity=0.7, hold=True, onset=0.5)
    curves = render(timeline)
    assert 2.0 < curves.duration < 3.0
    assert curves.values[-1, CHANNELS.index("AU12_L")] > 0.6


# ------------------------------------------------------------------------------------ mood


def top_aus(frame: np.ndarray, count: int) -> set[str]:
    order = np.argsort(-frame)
    return {CHANNELS[i].split("_")[0] for i in order[: 2 * count]}


@settings(max_examples=30, deadline=None)
@given(sweep=st.floats(2.0, 12.0), fps=st.sampled_from([30.0, 60.0, 120.0]))
def test_a_mood_sweep_moves_smoothly_from_a_smile_to_sadness(sweep: float, fps: float) -> None:
    timeline = Timeline(fps=fps, duration=sweep + 2.0, blink_rate=0.0, mood=[
        MoodKey(at=1.0, valence=0.8, arousal=0.5),
        MoodKey(at=1.0 + sweep, valence=-0.7, arousal=-0.3),
    ])  # fmt: skip
    values = render(timeline).values
    assert top_aus(values[0], 2) == {"AU6", "AU12"}
    assert top_aus(values[-1], 3) == {"AU1", "AU4", "AU15"}
    style = STYLE_DEFAULTS["spontaneous"]
    onset_speed = 1.875 / (style.onset_base + style.onset_per_amplitude)  # full scale, per second
    assert np.abs(np.diff(values, axis=0)).max() <= onset_speed / fps


def test_events_layer_on_top_of_the_mood() -> None:
    timeline = Timeline(fps=60, duration=8.0, blink_rate=0.0,
                        mood=[MoodKey(at=0.0, valence=-0.7, arousal=-0.3)])  # fmt: skip
    timeline.emotion("happiness", at=2.0, intensity=0.9, apex=2.0, sample=False)
    values = render(timeline).values
    sad, smile = CHANNELS.index("AU15_L"), CHANNELS.index("AU12_L")
    assert values[int(1.0 * 60), sad] > 0.3 and values[int(1.0 * 60), smile] < 0.01
    assert values[int(3.5 * 60), smile] > 0.8
    assert values[int(3.5 * 60), sad] > 0.3  # the mood stays under the event (max)


def test_the_neutral_mood_is_a_neutral_face_and_strength_grows_with_the_radius() -> None:
    moods = mood_map()
    assert np.all(moods.frame(0.0, 0.0) == 0.0)
    weak, strong = moods.frame(0.4, 0.25), moods.frame(0.8, 0.5)
    smile = CHANNELS.index("AU12_L")
    assert strong[smile] == pytest.approx(2 * weak[smile], rel=1e-6)


def test_events_and_mood_together_render_the_same_bits_twice() -> None:
    timeline = Timeline(fps=60, duration=12.0, seed=5,
                        mood=[MoodKey(0.0, 0.2, 0.1), MoodKey(6.0, -0.5, 0.6)])  # fmt: skip
    timeline.emotion("surprise", at=1.0, label="s", hold=True)
    timeline.emotion("fear", at=2.0, after="s", keys=[(0.0, 0.5), (2.0, 0.9)])
    assert np.array_equal(render(timeline).values, render(timeline).values)
    assert isinstance(timeline.events[1], Event)


# ------------------------------------------------------------------------ anything directed

names = st.sampled_from(["happiness", "sadness", "surprise", "fear", "anger", "disgust",
                         "contempt", "du:hatred", "awe"])  # fmt: skip


@st.composite
def directed_timelines(draw: st.DrawFn) -> Timeline:
    scene = Timeline(fps=draw(st.sampled_from([24.0, 60.0])), seed=draw(st.integers(0, 999)),
                     blend=draw(st.sampled_from(["max", "sum", "priority"])))  # fmt: skip
    at = 0.0
    for i in range(draw(st.integers(1, 5))):
        at += draw(st.floats(0.1, 3.0))  # keys below span 0.08 s: all before a takeover
        options: dict[str, object] = {"label": f"e{i}", "priority": draw(st.integers(0, 2))}
        if i and draw(st.booleans()):
            options["after"] = f"e{i - 1}"
        if draw(st.booleans()):
            levels = draw(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=3))
            options["keys"] = [(round(0.04 * k, 3), level) for k, level in enumerate(levels)]
        if draw(st.booleans()):
            options["hold"] = True
        scene.emotion(draw(names), at=at, **options)  # type: ignore[arg-type]
    for k in range(draw(st.integers(0, 3))):
        scene.mood_key(at=1.5 * k, valence=draw(st.floats(-1, 1)), arousal=draw(st.floats(-1, 1)))
    return scene


@settings(max_examples=60, deadline=None)
@given(scene=directed_timelines())
def test_any_directed_timeline_renders_finite_values_in_range_the_same_twice(
    scene: Timeline,
) -> None:
    first = render(scene).values
    assert first.dtype == np.float32 and np.isfinite(first).all()
    assert first.min() >= 0.0 and first.max() <= 1.0
    assert np.array_equal(first, render(scene).values)


@pytest.mark.parametrize("seed", range(10))
def test_a_timeline_shorter_than_the_first_blink_renders(seed: int) -> None:
    timeline = Timeline(fps=60, duration=0.5, seed=seed)  # the first blink may come after it
    assert render(timeline).values.shape[0] == 30
