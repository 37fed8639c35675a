"""Envelopes, asymmetry, blending, micro-expressions, blinks and realism of rendered curves."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from avatardrive.curves import Curves
from avatardrive.errors import TimelineError
from avatardrive.facs import CHANNELS, channels_of
from avatardrive.synth import (
    blink_schedule,
    envelope,
    min_jerk,
    render,
    resolve_event,
    side_gains,
)
from avatardrive.timeline import Event, Timeline

FPS = 240.0


def quiet(**settings_: object) -> Timeline:
    """A timeline with no blinks and a symmetric face, for isolating one effect."""
    options: dict[str, object] = {"fps": FPS, "blink_rate": 0.0, "asymmetry": 0.0, "seed": 5}
    options.update(settings_)
    return Timeline(**options)  # type: ignore[arg-type]


def column(curves: Curves, name: str) -> np.ndarray:
    return curves.values[:, CHANNELS.index(name)].astype(np.float64)


def first_rise(values: np.ndarray, fps: float, threshold: float = 1e-3) -> float:
    return float(np.argmax(values > threshold)) / fps


# --- envelopes ---------------------------------------------------------------------------------


def test_min_jerk_profile_and_peak_speed() -> None:
    u = np.linspace(0, 1, 100001)
    position = min_jerk(u)
    speed = np.gradient(position, u)
    assert position[0] == 0.0 and position[-1] == 1.0
    assert np.all(np.diff(position) >= 0)
    assert speed.max() == pytest.approx(1.875, abs=1e-4)  # 1.875 A / T
    assert u[np.argmax(speed)] == pytest.approx(0.5, abs=1e-3)


@settings(max_examples=200)
@given(
    onset=st.floats(0.02, 3.0),
    apex=st.floats(0.0, 3.0),
    offset=st.floats(0.02, 3.0),
)
def test_envelope_bounds_and_single_velocity_peak(onset: float, apex: float, offset: float) -> None:
    t = np.linspace(-0.5, onset + apex + offset + 0.5, 4000)
    values = envelope(t, onset=onset, apex=apex, offset=offset)
    assert np.all((values >= 0) & (values <= 1))
    assert np.all(values[t < 0] == 0) and np.all(values[t > onset + apex + offset] == 0)
    rising = values[(t >= 0) & (t <= onset)]
    velocity = np.diff(rising)
    assert np.all(velocity >= -1e-12)  # monotone onset
    peak = int(np.argmax(velocity))
    assert np.all(np.diff(velocity[: peak + 1]) >= -1e-9)  # speeds up to one peak ...
    assert np.all(np.diff(velocity[peak:]) <= 1e-9)  # ... then only slows down
    assert np.all(values[(t >= onset) & (t <= onset + apex)] == pytest.approx(1.0))


@settings(max_examples=100, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    style=st.sampled_from(["spontaneous", "posed"]),
    intensity=st.floats(0.05, 1.0),
    name=st.sampled_from(["happiness", "fear", "du:hatred", "awe"]),
)
def test_default_offsets_at_least_onsets_and_macro_totals(
    seed: int, style: str, intensity: float, name: str
) -> None:
    event = Event(start=0.0, emotion=name, style=style, intensity=intensity)  # type: ignore[arg-type]
    resolved = resolve_event(event, index=0, seed=seed)
    assert resolved.offset >= resolved.onsets.max() - 1e-12
    total = float(resolved.onsets.max()) + resolved.apex + resolved.offset
    assert 0.5 <= total <= 4.0  # macro-expressions 0.5-4 s (FACS_DATA section 1)
    assert (
        np.all(resolved.amplitudes <= 1.0)
        and resolved.amplitudes.max() == pytest.approx(intensity, rel=1e-6)
    ) or resolved.amplitudes.max() < intensity  # side gains may only lower it


@settings(max_examples=100, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    style=st.sampled_from(["spontaneous", "posed"]),
    name=st.sampled_from(["contempt", "anger", "surprise", "sadness"]),
)
def test_micro_expressions_are_short_fast_and_low(seed: int, style: str, name: str) -> None:
    event = Event(start=0.0, emotion=name, micro=True, style=style)  # type: ignore[arg-type]
    resolved = resolve_event(event, index=0, seed=seed)
    total = float(np.max(resolved.delays + resolved.onsets)) + resolved.apex + resolved.offset
    assert total < 0.5
    assert resolved.onsets.max() < 0.26
    assert resolved.amplitudes.max() <= 0.35 + 1e-9


def test_micro_renders_under_half_a_second() -> None:
    timeline = quiet(duration=2.0)
    timeline.micro("surprise", at=0.5)
    curves = render(timeline)
    active = np.flatnonzero(curves.values.max(axis=1) > 1e-4)
    assert 0 < (active[-1] - active[0] + 1) / FPS < 0.5
    assert curves.values.max() <= 0.35


def test_spontaneous_peak_speed_grows_with_amplitude() -> None:
    speeds = []
    for intensity in (0.3, 0.6, 0.9):
        timeline = quiet(duration=5.0)
        timeline.emotion("happiness.social", at=0.5, intensity=intensity, side_lag=0.0)
        values = column(render(timeline), "AU12_L")
        speeds.append(float(np.max(np.diff(values))) * FPS)
    assert speeds[0] < speeds[1] < speeds[2]


def test_posed_is_faster_and_tighter_than_spontaneous() -> None:
    onsets, spreads = {}, {}
    for style in ("spontaneous", "posed"):
        durations, spread = [], []
        for seed in range(40):
            event = Event(start=0.0, emotion="fear", style=style, intensity=0.8, sample=False)  # type: ignore[arg-type]
            resolved = resolve_event(event, index=0, seed=seed)
            durations.append(resolved.onsets.max())
            spread.append(np.ptp(resolved.delays))
        onsets[style], spreads[style] = np.mean(durations), np.mean(spread)
    assert onsets["posed"] < onsets["spontaneous"]
    assert spreads["posed"] < spreads["spontaneous"] / 2


def test_spontaneous_apex_fluctuates_and_posed_apex_is_steady() -> None:
    timeline = quiet(duration=6.0)
    timeline.emotion(
        "happiness.social",
        at=0.2,
        intensity=0.8,
        onset=0.4,
        apex=3.0,
        offset=1.0,
        style="spontaneous",
        side_lag=0.0,
    )
    apex = column(render(timeline), "AU12_L")[int(1.0 * FPS) : int(3.2 * FPS)]
    assert 0.005 < np.ptp(apex) <= 0.05 * 0.8 + 1e-6
    posed = quiet(duration=6.0)
    posed.emotion(
        "happiness.social",
        at=0.2,
        intensity=0.8,
        onset=0.4,
        apex=3.0,
        offset=1.0,
        style="posed",
        side_lag=0.0,
    )
    steady = column(render(posed), "AU12_L")[int(1.0 * FPS) : int(3.2 * FPS)]
    assert np.ptp(steady) < 1e-6


def test_felt_smile_au6_follows_au12() -> None:
    for seed in range(10):
        timeline = quiet(duration=6.0, seed=seed)
        timeline.emotion("happiness", at=0.5, intensity=0.8, side_lag=0.0, sample=False)
        curves = render(timeline)
        au12, au6 = column(curves, "AU12_L"), column(curves, "AU6_L")
        lag = first_rise(au6, FPS) - first_rise(au12, FPS)
        assert 0.0 <= lag <= 0.15 + 1 / FPS
        rise12 = np.argmax(au12 >= 0.98 * au12.max()) / FPS
        rise6 = np.argmax(au6 >= 0.98 * au6.max()) / FPS
        assert abs(rise6 - rise12) <= 0.1 + 2 / FPS


# --- asymmetry ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("side", "lit", "dark"), [("right", "R", "L"), ("left", "L", "R")])
def test_contempt_is_one_sided(side: str, lit: str, dark: str) -> None:
    timeline = quiet(duration=5.0, asymmetry=0.1)
    timeline.emotion("contempt", at=0.5, intensity=0.6, side=side)
    curves = render(timeline)
    for au in ("AU12", "AU14"):
        assert column(curves, f"{au}_{lit}").max() > 0.3
        assert column(curves, f"{au}_{dark}").max() == 0.0


def test_one_sided_keys_act_on_one_side() -> None:
    timeline = quiet(duration=4.0)
    timeline.aus({"AU14_L": 0.5, "R2": "C"}, at=0.5, style="posed")
    curves = render(timeline)
    assert column(curves, "AU14_L").max() == pytest.approx(0.5, abs=1e-3)
    assert column(curves, "AU14_R").max() == 0.0
    assert column(curves, "AU2_R").max() == pytest.approx(0.6, abs=1e-3)
    assert column(curves, "AU2_L").max() == 0.0


@settings(max_examples=30, deadline=None)
@given(avatar=st.floats(-0.3, 0.3), seed=st.integers(0, 1000))
def test_bilateral_events_equal_up_to_avatar_gain(avatar: float, seed: int) -> None:
    timeline = quiet(duration=5.0, asymmetry=avatar, seed=seed)
    timeline.emotion("surprise", at=0.5, side_lag=0.0, intensity=0.9)
    curves = render(timeline)
    gain_left, gain_right = side_gains(avatar)
    for au in (1, 2, 5):
        left, right = channels_of(au)
        lv, rv = curves.values[:, left].astype(float), curves.values[:, right].astype(float)
        assert np.allclose(lv * gain_right, rv * gain_left, atol=1e-6)
    left, right = channels_of(26)  # the jaw acts on the midline: never asymmetric
    assert np.array_equal(curves.values[:, left], curves.values[:, right])


def test_event_asymmetry_and_side_lag() -> None:
    timeline = quiet(duration=5.0)
    timeline.emotion("sadness", at=0.5, asymmetry=0.3, side_lag=0.04, style="posed", sample=False)
    curves = render(timeline)
    left, right = column(curves, "AU15_L"), column(curves, "AU15_R")
    assert right.max() == pytest.approx(0.7 * left.max(), rel=1e-3)
    assert first_rise(right, FPS) - first_rise(left, FPS) == pytest.approx(0.04, abs=1.5 / FPS)


def test_side_gains() -> None:
    assert side_gains(0.1) == (1.0, pytest.approx(0.9))
    assert side_gains(-0.2) == (pytest.approx(0.8), 1.0)
    assert side_gains(0.1, 0.5) == (1.0, pytest.approx(0.45))


# --- blending ----------------------------------------------------------------------------------


def _two_brow_raises(blend: str) -> Curves:
    timeline = quiet(duration=5.0, blend=blend)
    timeline.aus(
        {"AU1": 0.6},
        at=0.5,
        onset=0.2,
        apex=2.0,
        offset=0.5,
        style="posed",
        side_lag=0.0,
        lags={"AU1": 0.0},
        priority=0,
    )
    timeline.aus(
        {"AU1": 0.5},
        at=1.0,
        onset=0.2,
        apex=0.5,
        offset=0.5,
        style="posed",
        side_lag=0.0,
        lags={"AU1": 0.0},
        priority=1,
    )
    return render(timeline)


def test_blend_policies_combine_overlaps() -> None:
    at = int(1.5 * FPS)  # both events at apex
    assert column(_two_brow_raises("max"), "AU1_L")[at] == pytest.approx(0.6, abs=1e-6)
    assert column(_two_brow_raises("sum"), "AU1_L")[at] == pytest.approx(1.0, abs=1e-6)
    assert column(_two_brow_raises("priority"), "AU1_L")[at] == pytest.approx(0.5, abs=1e-6)
    late = int(2.6 * FPS)  # the high-priority event is over: the lower one shows again
    assert column(_two_brow_raises("priority"), "AU1_L")[late] == pytest.approx(0.6, abs=1e-6)


def test_micro_contempt_inside_a_smile_shows_then_gives_way() -> None:
    timeline = quiet(duration=8.0)
    timeline.emotion("happiness", at=0.5, intensity=0.7, apex=4.0, side_lag=0.0, sample=False)
    timeline.micro("contempt", at=2.5, intensity=0.35)
    curves = render(timeline)
    dimple, smile = column(curves, "AU14_R"), column(curves, "AU12_R")
    before, during, after = (
        dimple[int(2.3 * FPS)],
        dimple[int(2.5 * FPS) : int(3.0 * FPS)],
        dimple[int(3.2 * FPS)],
    )
    assert before == 0.0 and during.max() > 0.25 and after == 0.0
    assert smile[int(2.4 * FPS) : int(3.3 * FPS)].min() > 0.6  # the smile goes on


# --- blinks ------------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [10.0, 17.0, 26.0])
def test_blink_rate_within_20_percent_over_ten_minutes(rate: float) -> None:
    for seed in range(3):
        schedule = blink_schedule(600.0, rate=rate, seed=seed)
        assert abs(len(schedule) / 10.0 - rate) <= 0.2 * rate


def test_blinks_close_faster_than_they_open_and_are_partial_sometimes() -> None:
    schedule = blink_schedule(600.0, rate=17, seed=1)
    assert np.all(schedule.closing < schedule.opening)
    totals = schedule.closing + schedule.hold + schedule.opening
    assert np.all((totals >= 0.1) & (totals <= 0.4))  # 100-400 ms (Stern et al. 1984)
    assert 0.15 < np.mean(schedule.amplitudes < 0.9) < 0.45
    gaps = np.diff(schedule.starts)
    assert np.all(gaps >= 0.5)
    log_gaps = np.log(gaps)  # log-normal spacing: log-intervals roughly symmetric
    assert abs(np.mean(log_gaps) - np.median(log_gaps)) < 0.15


def test_rendered_blinks_both_eyes_close_faster_than_open() -> None:
    timeline = quiet(duration=60.0, blink_rate=20)
    curves = render(timeline)
    left, right = column(curves, "AU45_L"), column(curves, "AU45_R")
    assert left.max() > 0.85 and np.corrcoef(left, right)[0, 1] > 0.9
    peaks = [
        i
        for i in range(1, len(left) - 1)
        if left[i] >= 0.5 and left[i] == left[max(0, i - 60) : i + 60].max()
    ]
    assert peaks
    for peak in peaks:
        start = peak - int(np.argmax(left[peak::-1] == 0))
        end = peak + int(np.argmax(left[peak:] == 0))
        assert (peak - start) < (end - peak)


def test_blink_rate_zero_disables_blinks() -> None:
    curves = render(quiet(duration=60.0, blink_rate=0.0))
    assert not curves.values.any()


def test_a_take_shorter_than_its_first_blink_renders_without_one() -> None:
    seeds = [seed for seed in range(20) if len(blink_schedule(1.0, rate=17.0, seed=seed)) == 0]
    assert seeds  # at 17 a minute most 1 s takes see no blink
    curves = render(quiet(duration=1.0, blink_rate=17.0, seed=seeds[0]))
    assert not curves.values.any()


# --- whole renders -----------------------------------------------------------------------------


def test_render_is_reproducible_bit_for_bit_and_seeded() -> None:
    def scene(seed: int) -> Timeline:
        timeline = Timeline(seed=seed, blink_rate=20, asymmetry=0.05)
        timeline.emotion("happiness", at=0.5)
        timeline.emotion("fear", at=3.0)
        timeline.micro("contempt", at=1.5)
        return timeline

    first, second = render(scene(3)), render(scene(3))
    assert first.values.tobytes() == second.values.tobytes()
    assert first.values.tobytes() != render(scene(4)).values.tobytes()


def test_default_duration_is_last_end_plus_one_second() -> None:
    timeline = quiet()
    timeline.aus(
        {"AU1": 0.5}, at=1.0, onset=0.5, apex=1.0, offset=0.5, lags={"AU1": 0.0}, side_lag=0.0
    )
    assert render(timeline).duration == pytest.approx(4.0, abs=1 / FPS)


def test_unknown_emotion_names_event_and_suggests() -> None:
    timeline = quiet()
    timeline.emotion("hapiness", at=1.0)
    with pytest.raises(
        TimelineError, match=r"events\[0\]\.emotion: unknown emotion 'hapiness'.*happiness"
    ):
        render(timeline)


def test_huge_duration_is_refused_up_front() -> None:
    timeline = quiet(duration=3.0e7)
    with pytest.raises(TimelineError, match=r"duration: .* GiB .*expected under"):
        render(timeline)


def test_many_events_render_within_bounds() -> None:
    rng = np.random.default_rng(0)
    events = [
        Event(
            start=float(s),
            emotion=str(rng.choice(["happiness", "fear", "contempt"])),
            micro=bool(rng.random() < 0.2),
        )
        for s in rng.uniform(0, 3000, 100_000)
    ]
    curves = render(Timeline(events=events, fps=10, duration=3010, blink_rate=17))
    assert np.isfinite(curves.values).all()
    assert curves.values.min() >= 0.0 and curves.values.max() <= 1.0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    aus=st.dictionaries(
        st.sampled_from(["AU1", "AU4", "L12", "AU25", "AU26", "AU45", "U14"]),
        st.floats(0.0, 1.0),
        min_size=1,
        max_size=4,
    ),
    blend=st.sampled_from(["max", "sum", "priority"]),
    asymmetry=st.floats(-1.0, 1.0),
    durations=st.tuples(st.floats(0.001, 2.0), st.floats(0.0, 2.0), st.floats(0.001, 2.0)),
    starts=st.lists(st.floats(0.0, 3.0), min_size=1, max_size=5),
)
def test_rendered_curves_are_finite_and_in_range(
    aus: dict[str, float],
    blend: str,
    asymmetry: float,
    durations: tuple[float, float, float],
    starts: list[float],
) -> None:
    timeline = Timeline(fps=60, blend=blend, asymmetry=asymmetry, blink_rate=30)  # type: ignore[arg-type]
    onset, apex, offset = durations
    for i, start in enumerate(starts):
        timeline.aus(
            aus,
            at=start,
            onset=onset,
            apex=apex,
            offset=offset,
            priority=i % 2,
            intensity=1.0 if i % 2 else None,
        )
    values = render(timeline).values
    assert values.dtype == np.float32 and values.shape[1] == len(CHANNELS)
    assert np.isfinite(values).all() and values.min() >= 0.0 and values.max() <= 1.0
