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
