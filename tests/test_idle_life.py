"""Idle life: head and gaze as AU channels, saccade statistics, the head joining large shifts,
blinks that go with them, and seamless blocks (FACS_DATA section 8)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from avatardrive.facs import (
    CHANNELS,
    GAZE_AXES,
    HEAD_AXES,
    N_CHANNELS,
    angles_from_channels,
    angles_to_channels,
)
from avatardrive.synth import GAZE_MODES, IdleLife

FPS = 60.0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-60, 60), min_size=3, max_size=3))
def test_head_angles_round_trip_through_channels_within_one_unit(angles: list[float]) -> None:
    au = angles_to_channels(angles, HEAD_AXES, out=np.zeros(N_CHANNELS, dtype=np.float32))
    assert au.min() >= 0.0 and au.max() <= 1.0
    back = angles_from_channels(au, HEAD_AXES)
    limits = np.array([axis.degrees for axis in HEAD_AXES])
    np.testing.assert_allclose(back, np.clip(angles, -limits, limits), atol=1e-4)


def test_signs_are_the_performers_own_sides() -> None:
    au = angles_to_channels([20.0, -10.0], GAZE_AXES, out=np.zeros(N_CHANNELS, dtype=np.float32))
    assert au[CHANNELS.index("AU61_L")] == pytest.approx(20 / 30)  # eyes to own left
    assert au[CHANNELS.index("AU64_R")] == pytest.approx(10 / 25)  # eyes down
    assert au[CHANNELS.index("AU62_L")] == 0.0 and au[CHANNELS.index("AU63_L")] == 0.0
    head = angles_to_channels([0, 0, 15.0], HEAD_AXES, out=np.zeros(N_CHANNELS, dtype=np.float32))
    assert head[CHANNELS.index("AU55_L")] == head[CHANNELS.index("AU55_R")] == pytest.approx(0.5)


def ten_minutes(mode: str, seed: int = 1) -> tuple[IdleLife, np.ndarray]:
    life = IdleLife(fps=FPS, seed=seed, gaze=mode)  # type: ignore[arg-type]
    return life, np.concatenate([life.next_block() for _ in range(20)])


@pytest.mark.parametrize("mode", GAZE_MODES)
def test_saccade_amplitudes_follow_free_looking(mode: str) -> None:
    life, frames = ten_minutes(mode)
    assert frames.shape == (36000, N_CHANNELS)
    assert np.all(np.isfinite(frames)) and frames.min() >= 0.0 and frames.max() <= 1.0
    assert life.gaze is not None
    amplitudes = np.array([a for _, a, _ in life.gaze.shifts])
    assert 0.45 <= (amplitudes < 5).mean() <= 0.65  # Malinov et al. 2000: 53 %
    assert 0.76 <= (amplitudes < 15).mean() <= 0.92  # 83 %
    assert 15 <= len(amplitudes) / 10 <= 90  # shifts per minute


def test_listening_fixes_longer_than_speaking() -> None:
    listening, _ = ten_minutes("listening")
    speaking, _ = ten_minutes("speaking")
    assert listening.gaze is not None and speaking.gaze is not None
    assert len(listening.gaze.shifts) < 0.75 * len(speaking.gaze.shifts)


def test_the_head_joins_only_large_shifts_and_blinks_go_with_the_largest() -> None:
    life, frames = ten_minutes("speaking", seed=3)
    assert life.gaze is not None
    head = angles_from_channels(frames, HEAD_AXES)
    blink = frames[:, CHANNELS.index("AU45_L")] > 0.5
    blink_starts = np.flatnonzero(np.diff(blink.astype(int)) == 1) / FPS
    large = [t for t, a, _ in life.gaze.shifts if a > 33]
    assert large, "expected some gaze shifts above 33°"
    with_blink = sum(np.any(np.abs(blink_starts - t) < 0.15) for t in large)
    assert with_blink >= 0.85 * len(large)  # Evinger et al. 1994: 97 %
    for _t, amplitude, head_part in life.gaze.shifts:  # Freedman & Sparks 1997
        assert head_part <= max(amplitude - 20.0, 0.0) + 1e-9
    assert any(head_part > 0 for _t, _a, head_part in life.gaze.shifts)
    assert np.abs(head[:, 0]).max() <= 14.0  # idle: the head stays near straight ahead


def test_blocks_join_without_a_jump() -> None:
    life = IdleLife(fps=FPS, seed=5, gaze="free", seconds=2.0)
    frames = np.concatenate([life.next_block() for _ in range(60)])
    gaze = angles_from_channels(frames, GAZE_AXES)
    steps = np.abs(np.diff(gaze, axis=0)).max(axis=1)
    edges = np.arange(1, 60) * int(2.0 * FPS) - 1
    # a saccade moves at most ~40° in 25 ms + 2.5 ms/° (min-jerk peak 1.875x mean): per frame < 20°
    assert steps.max() < 20.0
    assert steps[edges].max() <= steps.max()
    still = IdleLife(fps=FPS, seed=5, gaze=None).next_block()
    assert angles_from_channels(still, GAZE_AXES).max() == 0.0
