"""The mixer: triggered expressions layered over a base stream."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from avatardrive.errors import ParameterError, TimelineError
from avatardrive.facs import CHANNELS, N_CHANNELS
from avatardrive.synth import Mixer
from avatardrive.timeline import Event

AU12_L, AU12_R = CHANNELS.index("AU12_L"), CHANNELS.index("AU12_R")
AU1_L = CHANNELS.index("AU1_L")


def test_triggered_emotion_rises_over_base_and_returns_to_it() -> None:
    mixer = Mixer(seed=1)
    base = np.zeros(N_CHANNELS, dtype=np.float32)
    base[AU12_L] = base[AU12_R] = 0.2  # a tracked, slight smile
    resolved = mixer.trigger_emotion("happiness", now=10.0, intensity=0.9, style="posed")
    assert mixer.frame(base, now=9.9)[AU12_L] == pytest.approx(0.2)
    apex = 10.0 + float(np.max(resolved.delays + resolved.onsets)) + 0.5 * resolved.apex
    assert mixer.frame(base, now=apex)[AU12_L] > 0.8
    after = resolved.end + 0.05
    assert mixer.frame(base, now=after)[AU12_L] == pytest.approx(0.2)
    assert mixer.layers == ()  # finished layers are dropped


def test_au_pulse_lasts_its_duration() -> None:
    mixer = Mixer()
    mixer.trigger_aus({"AU1": 0.6}, now=0.0, duration=1.0)
    values = [mixer.frame(None, now=t)[AU1_L] for t in np.arange(0.0, 1.2, 0.01)]
    assert max(values) == pytest.approx(0.6, abs=1e-6)
    assert values[0] == 0.0 and values[-1] == 0.0
    assert np.argmax(values) * 0.01 == pytest.approx(0.25, abs=0.02)


def test_neutral_releases_smoothly_from_where_each_layer_is() -> None:
    mixer = Mixer()
    mixer.trigger_aus({"AU12": 0.8}, now=0.0, duration=10.0)
    before = mixer.frame(None, now=5.0)[AU12_L]
    mixer.neutral(now=5.0)
    steps = [mixer.frame(None, now=5.0 + t)[AU12_L] for t in np.arange(0.0, 0.5, 1 / 60)]
    assert steps[0] == pytest.approx(before)
    assert np.all(np.diff(steps) <= 1e-7)  # falls monotonically ...
    assert np.max(np.abs(np.diff(steps))) < 0.1  # ... without a jump
    assert steps[-1] == 0.0


def test_unknown_emotion_and_bad_pulse_raise_clear_errors() -> None:
    mixer = Mixer()
    with pytest.raises(TimelineError, match=r"unknown emotion 'glee'"):
        mixer.trigger_emotion("glee", now=0.0)
    with pytest.raises(ParameterError, match=r"duration -1"):
        mixer.trigger_aus({"AU1": 0.5}, now=0.0, duration=-1)
    with pytest.raises(ParameterError, match=r"AU26_L"):
        mixer.trigger_aus({"AU26_L": 0.5}, now=0.0, duration=1.0)


def test_flood_of_triggers_stays_bounded() -> None:
    mixer = Mixer()
    for i in range(500):
        mixer.trigger(Event(start=0.0, emotion="surprise"), now=float(i) * 0.001)
    assert len(mixer.layers) <= 64


@settings(max_examples=60, deadline=None)
@given(
    base=st.lists(
        st.floats(allow_nan=True, allow_infinity=True, width=32),
        min_size=N_CHANNELS,
        max_size=N_CHANNELS,
    ),
    now=st.floats(0.0, 5.0),
)
def test_frames_are_finite_and_in_range_whatever_the_base(base: list[float], now: float) -> None:
    mixer = Mixer()
    mixer.trigger_emotion("fear", now=0.5)
    frame = mixer.frame(np.array(base, dtype=np.float32), now=now)
    assert frame.dtype == np.float32 and frame.shape == (N_CHANNELS,)
    assert np.isfinite(frame).all() and frame.min() >= 0.0 and frame.max() <= 1.0


# ---------------------------------------------------------------------------------------- mood


def _au(frame: np.ndarray, name: str) -> float:
    return float(frame[CHANNELS.index(name)])


def test_mood_is_eased_not_stepped_and_shows_the_emotion_it_points_at() -> None:
    mixer = Mixer()
    mixer.set_mood(0.8, 0.5, now=1.0)
    assert _au(mixer.frame(None, now=1.0), "AU12_L") == 0.0  # starts where the mood was
    frames = np.array([mixer.frame(None, now=1.0 + i / 60) for i in range(240)])
    steps = np.abs(np.diff(frames, axis=0)).max()
    assert steps < 0.05  # no jump: at most a frame's worth of a fast onset
    last = frames[-1]
    assert _au(last, "AU12_L") > 0.3 and _au(last, "AU6_L") > 0.2
    assert _au(last, "AU12_L") == pytest.approx(_au(last, "AU12_R"))
    assert mixer.mood(10.0) == pytest.approx((0.8, 0.5))


def test_a_new_mood_starts_from_where_the_mood_is() -> None:
    mixer = Mixer()
    mixer.set_mood(0.8, 0.5, now=0.0, ease=2.0)
    halfway = mixer.mood(1.0)
    mixer.set_mood(-0.7, -0.3, now=1.0, ease=2.0)
    assert mixer.mood(1.0) == pytest.approx(halfway)
    sad = mixer.frame(None, now=5.0)
    assert _au(sad, "AU15_L") > 0.3 and _au(sad, "AU12_L") < 0.05


def test_mood_lies_under_triggered_layers_and_the_base() -> None:
    mixer = Mixer()
    mixer.set_mood(-0.7, -0.3, now=0.0, ease=0.5)
    base = np.zeros(N_CHANNELS, dtype=np.float32)
    base[CHANNELS.index("AU15_L")] = 0.9
    frame = mixer.frame(base, now=2.0)
    assert _au(frame, "AU15_L") == pytest.approx(0.9)  # maximum of base and mood
    assert 0.3 < _au(frame, "AU15_R") < 0.9


@pytest.mark.parametrize(("valence", "arousal", "ease"),
                         [(1.5, 0.0, None), (0.0, float("nan"), None), (0.0, 0.0, 0.0)])
def test_bad_moods_are_refused(valence: float, arousal: float, ease: float | None) -> None:
    with pytest.raises(ParameterError, match=r"mood|ease"):
        Mixer().set_mood(valence, arousal, now=0.0, ease=ease)


def test_a_typo_in_the_prototype_set_is_caught_when_the_mixer_is_made() -> None:
    with pytest.raises(ParameterError, match=r"did you mean 'canonical'"):
        Mixer(prototypes="canonicl")
