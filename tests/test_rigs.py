"""The built-in rigs: names, counts, and what emotions do to them."""

from __future__ import annotations

import numpy as np
import pytest

from avatardrive.curves import Curves
from avatardrive.facs import CHANNELS, N_CHANNELS, action_units
from avatardrive.retarget import Rig, builtin_rigs, load_rig
from avatardrive.synth import render
from avatardrive.timeline import Event, Timeline

#: PROTOCOLS.md, "ARKit 52".
ARKIT_52 = [
    "eyeBlinkLeft",
    "eyeLookDownLeft",
    "eyeLookInLeft",
    "eyeLookOutLeft",
    "eyeLookUpLeft",
    "eyeSquintLeft",
    "eyeWideLeft",
    "eyeBlinkRight",
    "eyeLookDownRight",
    "eyeLookInRight",
    "eyeLookOutRight",
    "eyeLookUpRight",
    "eyeSquintRight",
    "eyeWideRight",
    "jawForward",
    "jawLeft",
    "jawRight",
    "jawOpen",
    "mouthClose",
    "mouthFunnel",
    "mouthPucker",
    "mouthLeft",
    "mouthRight",
    "mouthSmileLeft",
    "mouthSmileRight",
    "mouthFrownLeft",
    "mouthFrownRight",
    "mouthDimpleLeft",
    "mouthDimpleRight",
    "mouthStretchLeft",
    "mouthStretchRight",
    "mouthRollLower",
    "mouthRollUpper",
    "mouthShrugLower",
    "mouthShrugUpper",
    "mouthPressLeft",
    "mouthPressRight",
    "mouthLowerDownLeft",
    "mouthLowerDownRight",
    "mouthUpperUpLeft",
    "mouthUpperUpRight",
    "browDownLeft",
    "browDownRight",
    "browInnerUp",
    "browOuterUpLeft",
    "browOuterUpRight",
    "cheekPuff",
    "cheekSquintLeft",
    "cheekSquintRight",
    "noseSneerLeft",
    "noseSneerRight",
    "tongueOut",
]
#: PROTOCOLS.md, "VRM expressions": the VRM 1.0 presets, and the 0.x presets in UniVRM casing.
VRM1 = [
    "happy",
    "angry",
    "sad",
    "relaxed",
    "surprised",
    "aa",
    "ih",
    "ou",
    "ee",
    "oh",
    "blink",
    "blinkLeft",
    "blinkRight",
    "lookUp",
    "lookDown",
    "lookLeft",
    "lookRight",
    "neutral",
]
VRM0 = [
    "Neutral",
    "A",
    "I",
    "U",
    "E",
    "O",
    "Blink",
    "Joy",
    "Angry",
    "Sorrow",
    "Fun",
    "LookUp",
    "LookDown",
    "LookLeft",
    "LookRight",
    "Blink_L",
    "Blink_R",
]
VRM0_TO_1 = {
    "Neutral": "neutral", "A": "aa", "I": "ih", "U": "ou", "E": "ee", "O": "oh", "Blink": "blink",
    "Joy": "happy", "Angry": "angry", "Sorrow": "sad", "Fun": "relaxed", "LookUp": "lookUp",
    "LookDown": "lookDown", "LookLeft": "lookLeft", "LookRight": "lookRight",
    "Blink_L": "blinkLeft", "Blink_R": "blinkRight",
}  # fmt: skip


def _unified_expressions() -> set[str]:
    """The VRCFaceTracking names PROTOCOLS.md lists (base shapes, sided where it says so)."""
    sided = [
        "EyeSquint",
        "EyeWide",
        "BrowPinch",
        "BrowLowerer",
        "BrowInnerUp",
        "BrowOuterUp",
        "NasalDilation",
        "NasalConstrict",
        "CheekSquint",
        "CheekPuff",
        "CheekSuck",
        "LipSuckUpper",
        "LipSuckLower",
        "LipSuckCorner",
        "LipFunnelUpper",
        "LipFunnelLower",
        "LipPuckerUpper",
        "LipPuckerLower",
        "MouthUpperUp",
        "MouthUpperDeepen",
        "NoseSneer",
        "MouthLowerDown",
        "MouthUpper",
        "MouthLower",
        "MouthCornerPull",
        "MouthCornerSlant",
        "MouthFrown",
        "MouthStretch",
        "MouthDimple",
        "MouthPress",
        "MouthTightener",
        "EyeLid",
    ]
    single = [
        "JawOpen",
        "JawRight",
        "JawLeft",
        "JawForward",
        "JawBackward",
        "JawClench",
        "JawMandibleRaise",
        "MouthClosed",
        "MouthRaiserUpper",
        "MouthRaiserLower",
        "TongueOut",
        "TongueUp",
        "TongueDown",
        "TongueRight",
        "TongueLeft",
        "TongueRoll",
    ]
    return {f"{b}{s}" for b in sided for s in ("Left", "Right")} | set(single)


def run(timeline: Timeline, rig: Rig) -> Curves:
    return rig.forward(render(timeline))


def event_timeline(*events: Event, duration: float = 4.0) -> Timeline:
    return Timeline(events=list(events), fps=60, duration=duration, blink_rate=0, seed=3)


# -- names and counts ---------------------------------------------------------------------------


def test_builtin_rigs_load_with_their_shape_counts() -> None:
    counts = {name: load_rig(name).n_shapes for name in builtin_rigs()}
    assert counts == {
        "arkit52": 52,
        "facs": 86,
        "vrcft": 62,
        "vrm0": 17,
        "vrm1": 18,
        "vrm1-perfectsync": 70,
    }
    for name in builtin_rigs():
        rig = load_rig(name)
        assert rig.name == name and rig.version == 1 and rig.scale == 1.0
        assert rig.source.endswith(f"{name}.toml") and rig.title
        assert len({n.casefold() for n in rig.shape_names}) == rig.n_shapes


def test_arkit52_has_exactly_the_52_names_in_order() -> None:
    assert load_rig("arkit52").shape_names == tuple(ARKIT_52)


def test_vrm_rigs_have_the_preset_names() -> None:
    assert load_rig("vrm1").shape_names == tuple(VRM1)
    assert load_rig("vrm0").shape_names == tuple(VRM0)
    assert load_rig("vrm1-perfectsync").shape_names == tuple(VRM1 + ARKIT_52)


def test_vrcft_uses_only_unified_expressions_names_and_its_facs_shapes() -> None:
    names = set(load_rig("vrcft").shape_names)
    assert names <= _unified_expressions()
    for side in ("Left", "Right"):
        for shape in ("MouthTightener", "BrowPinch", "BrowLowerer", "NasalDilation", "EyeLid"):
            assert f"{shape}{side}" in names
    report = load_rig("vrcft").inexpressible()
    assert {"AU23_L", "AU1_L", "AU1_R", "AU38_R", "AU13_L"} <= set(report.expressible)


def test_facs_rig_is_the_identity() -> None:
    rig = load_rig("facs")
    assert rig.shape_names == CHANNELS
    au = np.random.default_rng(1).random(N_CHANNELS, dtype=np.float32)
    np.testing.assert_allclose(rig.forward_frame(au), au, atol=1e-6)
    midline_equal = au.copy()  # midline units (AU25, AU26, gaze, ...) have equal sides
    for k, unit in enumerate(action_units()):
        if unit.midline:
            midline_equal[2 * k + 1] = midline_equal[2 * k]
    back = rig.inverse_frame(rig.forward_frame(midline_equal))
    np.testing.assert_allclose(back, midline_equal, atol=1e-5)


def test_vrm0_and_vrm1_agree_shape_for_shape() -> None:
    vrm0, vrm1 = load_rig("vrm0"), load_rig("vrm1")
    au = np.random.default_rng(2).random((200, N_CHANNELS), dtype=np.float32)
    w0 = vrm0.forward(Curves(au, fps=30))
    w1 = vrm1.forward(Curves(au, fps=30))
    for old, new in VRM0_TO_1.items():
        if old == "O":  # VRM 0.x has no `surprised`: its O also takes a startle's dropped jaw
            continue
        np.testing.assert_allclose(w0.column(old), w1.column(new), atol=1e-6, err_msg=old)


# -- emotions through the rigs ------------------------------------------------------------------


def test_neutral_timeline_keeps_every_weight_at_rest() -> None:
    curves = render(event_timeline(duration=2.0))
    assert not curves.values.any()
    for name in builtin_rigs():
        rig = load_rig(name)
        weights = rig.forward(curves).values
        np.testing.assert_array_equal(weights, np.broadcast_to(rig.rest, weights.shape))
    # VRCFaceTracking's EyeLid: openness x 0.75 (+ EyeWide x 0.25), so an open eye rests at 0.75
    assert load_rig("vrcft").rest[load_rig("vrcft").shape_index("EyeLidLeft")] == 0.75


def test_happiness_drives_smiles_cheeks_and_happy() -> None:
    timeline = event_timeline(Event(start=0.5, emotion="happiness", style="posed"))
    arkit = run(timeline, load_rig("arkit52"))
    for shape in ("mouthSmileLeft", "mouthSmileRight", "cheekSquintLeft", "cheekSquintRight"):
        assert arkit.column(shape).max() > 0.5, shape
    assert arkit.column("mouthFrownLeft").max() == 0.0
    assert run(timeline, load_rig("vrm1")).column("happy").max() > 0.5
    assert run(timeline, load_rig("vrm0")).column("Joy").max() > 0.5


def test_felt_smile_squints_the_cheek_more_than_the_cheek_raiser_alone() -> None:
    rig = load_rig("arkit52")
    both = run(event_timeline(Event(start=0.5, aus={"AU6": 0.6, "AU12": 0.8})), rig)
    alone = run(event_timeline(Event(start=0.5, aus={"AU6": 0.6})), rig)
    assert both.column("cheekSquintLeft").max() > alone.column("cheekSquintLeft").max() + 0.1


@pytest.mark.parametrize("side", ["left", "right"])
def test_contempt_drives_one_side_only(side: str) -> None:
    timeline = event_timeline(Event(start=0.5, emotion="contempt", side=side, style="posed"))
    this, other = ("Left", "Right") if side == "left" else ("Right", "Left")
    arkit = run(timeline, load_rig("arkit52"))
    vrcft = run(timeline, load_rig("vrcft"))
    for rig_curves, smile, dimple in (
        (arkit, "mouthSmile", "mouthDimple"),
        (vrcft, "MouthCornerPull", "MouthDimple"),
    ):
        assert rig_curves.column(f"{smile}{this}").max() > 0.1
        assert rig_curves.column(f"{dimple}{this}").max() > 0.1
        assert rig_curves.column(f"{smile}{other}").max() == 0.0
        assert rig_curves.column(f"{dimple}{other}").max() == 0.0


@pytest.mark.parametrize(
    ("emotion", "preset"),
    [("happiness", "happy"), ("sadness", "sad"), ("surprise", "surprised"), ("anger", "angry")],
)
def test_each_basic_emotion_peaks_in_its_vrm_preset(emotion: str, preset: str) -> None:
    timeline = event_timeline(Event(start=0.5, emotion=emotion, style="posed"))
    weights = run(timeline, load_rig("vrm1"))
    emotions = ("happy", "angry", "sad", "relaxed", "surprised")
    peaks = {name: float(weights.column(name).max()) for name in emotions}
    assert max(peaks, key=peaks.__getitem__) == preset, peaks
    assert peaks[preset] > 0.5
    assert all(v < 0.3 for k, v in peaks.items() if k != preset), peaks


def test_blinks_close_lids_in_every_eye_rig() -> None:
    timeline = Timeline(events=[], fps=60, duration=20.0, blink_rate=30, seed=1)
    curves = render(timeline)
    assert curves.column("AU45_L").max() > 0.6
    arkit = load_rig("arkit52").forward(curves)
    assert arkit.column("eyeBlinkLeft").max() > 0.6
    assert load_rig("vrm1").forward(curves).column("blink").max() > 0.5
    assert load_rig("vrcft").forward(curves).column("EyeLidLeft").min() < 0.4


def test_gaze_goes_to_the_performers_side() -> None:
    rig = load_rig("arkit52")
    weights = run(event_timeline(Event(start=0.5, aus={"AU61": 0.8})), rig)  # eyes left
    assert weights.column("eyeLookOutLeft").max() > 0.5  # the left eye turns out
    assert weights.column("eyeLookInRight").max() > 0.5  # the right eye turns in
    assert weights.column("eyeLookInLeft").max() == 0.0
    vrm = run(event_timeline(Event(start=0.5, aus={"AU61": 0.8})), load_rig("vrm1"))
    assert vrm.column("lookLeft").max() > 0.5 and vrm.column("lookRight").max() == 0.0


BASIC = ("happiness", "sadness", "surprise", "fear", "anger", "disgust", "contempt")
VRM_EMOTIONS = {"vrm1": ("happy", "angry", "sad", "relaxed", "surprised"),
                "vrm0": ("Joy", "Angry", "Sorrow", "Fun", "O")}  # fmt: skip
VRM_SPEECH = {"vrm1": ("aa", "ih", "ee"), "vrm0": ("A", "I", "E")}


@pytest.mark.parametrize("rig_name", ["vrm0", "vrm1"])
@pytest.mark.parametrize("emotion", BASIC)
def test_every_basic_emotion_visibly_moves_the_vrm_rigs(rig_name: str, emotion: str) -> None:
    weights = run(event_timeline(Event(start=0.5, emotion=emotion, style="posed")),
                  load_rig(rig_name))
    peak = max(float(weights.column(name).max()) for name in VRM_EMOTIONS[rig_name])
    assert peak > 0.3, (emotion, peak)


@pytest.mark.parametrize("rig_name", ["vrm0", "vrm1"])
@pytest.mark.parametrize("micro", [False, True])
def test_a_fear_flash_does_not_look_like_speech(rig_name: str, micro: bool) -> None:
    for fear in ("fear", "fear.open", "dong:fear", "matsumoto:fear"):
        event = Event(start=0.5, emotion=fear, style="posed", micro=micro)
        weights = run(event_timeline(event), load_rig(rig_name))
        for viseme in VRM_SPEECH[rig_name]:
            assert weights.column(viseme).max() < 0.05, (fear, viseme)


@pytest.mark.parametrize("rig_name", ["vrm0", "vrm1"])
def test_speech_still_drives_the_visemes(rig_name: str) -> None:
    speech = event_timeline(Event(start=0.5, aus={"AU25": 0.8, "AU26": 0.6, "AU20": 0.5}))
    weights = run(speech, load_rig(rig_name))
    for viseme in VRM_SPEECH[rig_name]:
        assert weights.column(viseme).max() > 0.2, viseme


def test_disgust_reads_as_a_smaller_angry_than_anger() -> None:
    rig = load_rig("vrm1")
    disgust = run(event_timeline(Event(start=0.5, emotion="disgust", style="posed")), rig)
    anger = run(event_timeline(Event(start=0.5, emotion="anger", style="posed")), rig)
    assert 0.3 < disgust.column("angry").max() < anger.column("angry").max()
