"""The emotion read-out: our own renders read back as themselves, the sourced rules, smoothing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from avatardrive.errors import ParameterError
from avatardrive.facs import CHANNELS, N_CHANNELS, channel_index
from avatardrive.synth import (
    BASIC_EMOTIONS,
    EMOTIONS,
    READOUT_NAMES,
    EmotionReader,
    ReadoutSmoothing,
    compile_model,
    emotion_library,
    missing_channels,
    read_emotion_curves,
    read_emotions,
    render,
)
from avatardrive.timeline import Timeline

FPS = 60.0


def frame(**aus: float) -> np.ndarray:
    """One AU frame from channel names (``AU12_L=0.5``) or both sides (``AU12=0.5``)."""
    out = np.zeros(N_CHANNELS, dtype=np.float32)
    for key, value in aus.items():
        names = [key] if key.endswith(("_L", "_R")) else [f"{key}_L", f"{key}_R"]
        for name in names:
            out[channel_index(name)] = value
    return out


def apex_reading(emotion: str, *, style: str, intensity: float, seed: int) -> np.ndarray:
    timeline = Timeline(seed=seed, blink_rate=17.0)
    timeline.emotion(emotion, at=0.5, intensity=intensity, style=style, apex=1.0)
    curves = render(timeline)
    reading = read_emotion_curves(curves)
    blinkless = curves.values.copy()
    blinkless[:, [channel_index("AU45_L"), channel_index("AU45_R")]] = 0.0
    apex = int(np.argmax(blinkless.sum(axis=1)))
    return reading.values[apex]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("intensity", [0.5, 0.9])
@pytest.mark.parametrize("style", ["posed", "spontaneous"])
@pytest.mark.parametrize("emotion", BASIC_EMOTIONS)
def test_every_basic_emotion_reads_back_as_itself_at_its_apex(
    emotion: str, style: str, intensity: float, seed: int
) -> None:
    values = apex_reading(emotion, style=style, intensity=intensity, seed=seed)
    probabilities = dict(zip(EMOTIONS, values[: len(EMOTIONS)].tolist(), strict=True))
    top = max(probabilities, key=probabilities.__getitem__)
    assert top == emotion, probabilities
    assert probabilities[emotion] > 0.6
    assert probabilities["neutral"] < 0.05


def test_a_neutral_stretch_with_blinks_reads_neutral() -> None:
    timeline = Timeline(seed=4, blink_rate=30.0, duration=12.0)
    timeline.emotion("anger", at=8.0, intensity=0.8)
    curves = render(timeline)
    blinks = curves.values[: int(7.5 * FPS), channel_index("AU45_L")]
    assert blinks.max() > 0.5  # the stretch holds real blinks
    reading = read_emotion_curves(curves)
    rest = reading.values[: int(7.5 * FPS)]
    assert rest[:, 0].min() > 0.99
    assert set(reading.top()[: int(7.5 * FPS)]) == {"neutral"}
    np.testing.assert_allclose(rest[:, -2:], 0.0, atol=0.01)  # valence, arousal at rest
    assert reading.top()[int(9.5 * FPS)] == "anger"


def test_one_sided_au12_au14_reads_contempt_and_both_sided_does_not() -> None:
    for side in ("L", "R"):
        one_sided = read_emotions(frame(**{f"AU12_{side}": 0.5, f"AU14_{side}": 0.5}))
        assert one_sided.top() == "contempt"
        assert one_sided["contempt"] > 0.9
    both = read_emotions(frame(AU12=0.5, AU14=0.5))
    assert both.top() == "happiness"
    assert both["contempt"] < 0.01
    crossed = read_emotions(frame(AU12_L=0.5, AU14_R=0.5))  # different sides: not the display
    assert crossed["contempt"] < 0.5


def test_au6_with_au12_reads_a_felt_smile_au12_alone_a_social_one() -> None:
    social = read_emotions(frame(AU12=0.6))
    felt = read_emotions(frame(AU6=0.45, AU12=0.6))
    assert social.top() == felt.top() == "happiness"
    assert float(social.felt) == 0.0
    assert float(felt.felt) > 0.9
    weak_cheek = read_emotions(frame(AU6=0.1, AU12=0.6))
    assert 0.0 < float(weak_cheek.felt) < float(felt.felt)


@pytest.mark.parametrize("micro", ["anger", "fear"])
def test_a_micro_expression_reads_above_the_smile_masking_it(micro: str) -> None:
    timeline = Timeline(seed=1, blink_rate=0.0)
    timeline.emotion("happiness", at=0.3, intensity=0.5, apex=3.0, style="posed")
    timeline.micro(micro, at=1.5)
    curves = render(timeline)
    reading = read_emotion_curves(curves)
    times = np.arange(len(curves.values)) / curves.fps
    during = (times >= 1.5) & (times <= 2.0)
    before = (times >= 1.0) & (times < 1.45)
    assert set(np.array(reading.top())[before]) == {"happiness"}
    peak = int(np.flatnonzero(during)[np.argmax(reading[micro][during])])
    assert reading[micro][peak] > reading["happiness"][peak]
    assert reading.top()[peak] == micro
    after = times >= 2.4
    assert reading["happiness"][after & (times < 3.0)].min() > 0.9  # the mask is back


def test_a_single_frame_spike_does_not_register_but_three_frames_do() -> None:
    values = np.zeros((60, N_CHANNELS), dtype=np.float32)
    values[30] = frame(AU4=0.9, AU5=0.9, AU7=0.9, AU23=0.9)
    from avatardrive.curves import Curves

    spike = read_emotion_curves(Curves(values, fps=FPS))
    assert spike["anger"].max() < 0.01
    raw = read_emotion_curves(Curves(values, fps=FPS), smoothing=None)
    assert raw.top()[30] == "anger"  # the spike is there to be removed
    values[30:36] = values[30]  # 0.1 s: registers
    short = read_emotion_curves(Curves(values, fps=FPS))
    assert short["anger"].max() > 0.8


@pytest.mark.parametrize("chunk", [7, 8192])
def test_the_live_reader_matches_the_batch_read_frame_for_frame(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("avatardrive.synth._reader._CHUNK", chunk)  # state crosses chunks
    timeline = Timeline(seed=3)
    timeline.emotion("fear", at=0.5)
    timeline.micro("disgust", at=2.0)
    timeline.emotion("happiness", at=2.6)
    curves = render(timeline)
    batch = read_emotion_curves(curves)
    reader = EmotionReader()
    live = np.array([reader.update(row, i / curves.fps).copy()
                     for i, row in enumerate(curves.values)])  # fmt: skip
    np.testing.assert_allclose(live, batch.values, atol=2e-5)
    assert reader.felt == pytest.approx(float(batch.felt[-1]), abs=1e-5)
    assert {"fear", "happiness"} <= set(batch.top())


def test_time_running_backwards_restarts_the_live_smoothing() -> None:
    reader = EmotionReader(smoothing=ReadoutSmoothing(tau=0.5))
    anger = frame(AU4=0.9, AU5=0.9, AU7=0.9, AU23=0.9)
    for i in range(5):
        reader.update(np.zeros(N_CHANNELS, dtype=np.float32), i / FPS)
    slow = reader.update(anger, 5 / FPS)[EMOTIONS.index("anger")]
    restarted = reader.update(anger, 0.0)[EMOTIONS.index("anger")]
    assert slow < 0.1 < 0.9 < restarted


def test_compound_prototypes_read_as_mixtures() -> None:
    library = emotion_library()
    for name, parts in [("du:happily_surprised", ("happiness", "surprise")),
                        ("du:fearfully_angry", ("fear", "anger"))]:  # fmt: skip
        prototype = library.get(name)
        aus = {key.code: value for key, value in prototype.aus}
        reading = read_emotions(frame(**aus))
        top_two = sorted(BASIC_EMOTIONS, key=lambda e: -float(reading[e]))[:2]
        assert set(parts) & set(top_two), (name, reading.as_dict())
        assert sum(float(reading[e]) for e in parts) > 0.7


def test_dong_exclusive_au20_moves_surprise_toward_fear() -> None:
    surprise = read_emotions(frame(AU1=0.6, AU2=0.6, AU5=0.4, AU26=0.6))
    with_au20 = read_emotions(frame(AU1=0.6, AU2=0.6, AU5=0.4, AU26=0.6, AU20=0.6))
    assert surprise.top() == "surprise"
    assert float(with_au20["fear"]) > float(surprise["fear"]) + 0.3


def test_valence_and_arousal_follow_the_emotion() -> None:
    happy = read_emotions(frame(AU6=0.6, AU12=0.8)).as_dict()
    sad = read_emotions(frame(AU1=0.6, AU4=0.6, AU15=0.6)).as_dict()
    assert happy["valence"] > 0.5 and sad["valence"] < -0.5
    assert happy["arousal"] > sad["arousal"]


@settings(max_examples=200, deadline=None)
@given(
    hnp.arrays(
        np.float32,
        (3, N_CHANNELS),
        elements=st.floats(-2.0, 2.0, width=32) | st.just(np.nan) | st.just(np.inf),
    )
)
def test_any_frame_reads_as_a_distribution_in_range(au: np.ndarray) -> None:
    reading = read_emotions(au)
    values = reading.values
    assert values.shape == (3, len(READOUT_NAMES))
    assert np.isfinite(values).all() and np.isfinite(reading.felt).all()
    probabilities = values[:, : len(EMOTIONS)]
    assert (probabilities >= 0).all() and (probabilities <= 1).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert (np.abs(values[:, -2:]) <= 1.0 + 1e-6).all()
    assert ((reading.felt >= 0) & (reading.felt <= 1)).all()
    live = EmotionReader(smoothing=None)
    np.testing.assert_allclose(live.update(au[0], 0.0), values[0], atol=2e-5)


def test_missing_channels_names_what_a_take_cannot_show() -> None:
    openface_aus = (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 28, 45)
    have = [c for c in CHANNELS if int(c[2:].split("_")[0]) in openface_aus]
    missing = missing_channels(have)
    assert {"AU16_L", "AU22_R", "AU24_L", "AU43_R"} <= set(missing)
    assert not {"AU12_L", "AU20_R"} & set(missing)
    assert missing_channels(CHANNELS) == ()


def test_bad_arguments_are_reported() -> None:
    with pytest.raises(ParameterError, match=r"prototype set 'nope' is not in the library"):
        compile_model(emotion_library(), sets=["nope"])
    with pytest.raises(ParameterError, match=r"no prototype of .*contempt.* in sets du"):
        compile_model(emotion_library(), sets=["du"])
    with pytest.raises(ParameterError, match=r"au has shape \(3,\); expected \(frames, 86\)"):
        read_emotions(np.zeros(3))
    with pytest.raises(ParameterError, match=r"median_frames is 2; expected 1 or 3"):
        ReadoutSmoothing(median_frames=2)
