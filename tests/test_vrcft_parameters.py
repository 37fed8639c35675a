"""VRCFaceTracking v2 parameters computed from shapes, gaze and head AUs (retarget layer)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from avatardrive.facs import CHANNELS, N_CHANNELS, channel_index
from avatardrive.retarget import VRCFTParameters, load_rig, v2_parameter_names

RIG = load_rig("vrcft")
PARAMS = VRCFTParameters(RIG.shape_names, CHANNELS)
HAND_MADE_TEMPLATE = {  # names a face-tracking template avatar declares (FT/v2/...)
    "SmileSadLeft", "SmileFrownRight", "BrowExpressionLeft", "CheekPuffSuckLeft", "JawX",
    "MouthX", "LipFunnel", "MouthOpen", "EyeLeftX", "EyeY", "EyeLidLeft", "MouthCornerYLeft",
    "LipPucker", "MouthTightenerStretchLeft", "JawZ", "BrowDownLeft", "MouthSmileLeft",
    "MouthSadLeft", "EyeClosedLeft", "EyeOpenLeft", "EyeSquint", "CheekPuffSuck",
}  # fmt: skip


def au_frame(**values: float) -> np.ndarray:
    au = np.zeros(N_CHANNELS, dtype=np.float32)
    for name, value in values.items():
        au[channel_index(name)] = value
    return au


def shapes(rng: np.random.Generator) -> np.ndarray:
    return rng.random(len(RIG.shape_names), dtype=np.float32)


def test_every_v2_name_a_template_uses_is_computed() -> None:
    assert set(v2_parameter_names()) >= HAND_MADE_TEMPLATE
    assert {"Head/Yaw", "Head/Pitch", "Head/Roll", "EyeRightX", "EyeLeftY"} <= set(PARAMS.names)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_combined_parameters_follow_vrcfacetracking_formulas(seed: int) -> None:
    rng = np.random.default_rng(seed)
    w = shapes(rng)
    s = dict(zip(RIG.shape_names, w.astype(float).tolist(), strict=True))
    got = PARAMS.as_dict(w, np.zeros(N_CHANNELS, np.float32))
    clip = lambda x, lo=-1.0: min(1.0, max(lo, x))  # noqa: E731
    for x in ("Left", "Right"):
        smile = 0.8 * s[f"MouthCornerPull{x}"] + 0.2 * s[f"MouthCornerSlant{x}"]
        expected = {
            f"SmileSad{x}": smile - max(s[f"MouthFrown{x}"], s[f"MouthStretch{x}"]),
            f"SmileFrown{x}": smile - s[f"MouthFrown{x}"],
            f"BrowExpression{x}": min(1, 0.5 * s[f"BrowInnerUp{x}"] + 0.5 * s[f"BrowOuterUp{x}"])
            - (0.75 * s[f"BrowLowerer{x}"] + 0.25 * s[f"BrowPinch{x}"]),
            f"CheekPuffSuck{x}": s[f"CheekPuff{x}"],  # no CheekSuck shape: suck is 0
            f"EyeLid{x}": 0.75 * clip(s[f"EyeLid{x}"] / 0.75, 0) + 0.25 * s[f"EyeWide{x}"],
        }
        for name, value in expected.items():
            assert math.isclose(got[name], clip(value), abs_tol=1e-6), name
    four = ("LipFunnelUpperLeft", "LipFunnelUpperRight", "LipFunnelLowerLeft",
            "LipFunnelLowerRight")
    assert math.isclose(got["LipFunnel"], sum(s[n] for n in four) / 4, abs_tol=1e-6)
    mouth = ("MouthUpperUpRight", "MouthUpperUpLeft", "MouthLowerDownRight", "MouthLowerDownLeft")
    assert math.isclose(got["MouthOpen"], 0.25 * sum(s[n] for n in mouth), abs_tol=1e-6)
    assert math.isclose(got["JawZ"], s["JawForward"], abs_tol=1e-6)
    assert got["JawX"] == 0.0 and got["MouthX"] == 0.0  # no sideways jaw or mouth shapes
    assert all(math.isfinite(v) for v in got.values())


def test_eyelids_rest_at_three_quarters_and_widen_to_one() -> None:
    rest = au_frame()
    got = PARAMS.as_dict(RIG.forward_frame(rest), rest)
    assert got["EyeLidLeft"] == got["EyeLidRight"] == 0.75
    assert got["EyeOpenLeft"] == 1.0 and got["EyeClosedLeft"] == 0.0
    wide = au_frame(AU5_L=1.0, AU5_R=1.0)
    assert PARAMS.as_dict(RIG.forward_frame(wide), wide)["EyeLidLeft"] == 1.0
    shut = au_frame(AU45_L=1.0)
    got = PARAMS.as_dict(RIG.forward_frame(shut), shut)
    assert got["EyeLidLeft"] == 0.0 and got["EyeClosedLeft"] == 1.0 and got["EyeLidRight"] == 0.75


def test_gaze_is_the_tangent_of_the_angle_plus_right_and_up() -> None:
    look = au_frame(AU62_L=1.0, AU62_R=1.0, AU63_L=0.5, AU63_R=0.5)  # right and a little up
    got = PARAMS.as_dict(RIG.forward_frame(look), look)
    for name in ("EyeLeftX", "EyeRightX", "EyeX"):
        assert math.isclose(got[name], math.tan(math.radians(30.0)), rel_tol=1e-6)
    for name in ("EyeLeftY", "EyeRightY", "EyeY"):
        assert math.isclose(got[name], math.tan(math.radians(12.5)), rel_tol=1e-6)
    left_down = au_frame(AU61_L=1.0, AU61_R=1.0, AU64_L=1.0, AU64_R=1.0)
    got = PARAMS.as_dict(RIG.forward_frame(left_down), left_down)
    assert got["EyeX"] < 0 and got["EyeY"] < 0


def test_head_axes_are_plus_minus_one_for_ninety_degrees() -> None:
    head = au_frame(AU52_L=1.0, AU52_R=1.0, AU54_L=1.0, AU54_R=1.0, AU55_L=1.0, AU55_R=1.0)
    got = PARAMS.as_dict(RIG.forward_frame(head), head)
    assert math.isclose(got["Head/Yaw"], 0.5, rel_tol=1e-6)  # 45 deg to the right
    assert math.isclose(got["Head/Pitch"], 1 / 3, rel_tol=1e-6)  # 30 deg down
    assert math.isclose(got["Head/Roll"], 1 / 3, rel_tol=1e-6)  # 30 deg tilt left


def test_nan_and_out_of_range_inputs_give_finite_values_in_range() -> None:
    w = np.full(len(RIG.shape_names), np.nan, dtype=np.float32)
    au = np.full(N_CHANNELS, np.inf, dtype=np.float32)
    values = PARAMS.compute(w, au)
    assert np.isfinite(values).all()
    assert (values >= PARAMS.lo).all() and (values <= PARAMS.hi).all()


def test_drivable_names_exclude_what_no_shape_feeds() -> None:
    assert {"JawX", "TongueUp", "CheekSuckLeft"}.isdisjoint(PARAMS.drivable)
    assert {"SmileSadLeft", "CheekPuffSuckLeft", "EyeLeftX", "Head/Yaw"} <= PARAMS.drivable
    no_channels = VRCFTParameters(RIG.shape_names)
    assert "EyeLeftX" not in no_channels.drivable and "SmileSadLeft" in no_channels.drivable
