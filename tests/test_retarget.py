"""Retargeting: the rig file format, the forward map, the inverse solve, name matching."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import avatardrive.retarget as retarget
from avatardrive.curves import Curves
from avatardrive.errors import ParameterError, RigError
from avatardrive.facs import CHANNELS, N_CHANNELS, action_unit, channel_index
from avatardrive.retarget import load_rig, loads_rig, match_columns, shape_key
from avatardrive.retarget._boxls import box_lsq, box_lsq_scipy

#: Round trip AU -> arkit52 -> AU: largest error accepted on a channel the rig expresses.
ROUND_TRIP_TOLERANCE = 0.01


def frame(**values: float) -> np.ndarray:
    """An AU frame with some channels set: ``frame(AU12_L=0.5)``."""
    result = np.zeros(N_CHANNELS, dtype=np.float32)
    for name, value in values.items():
        result[channel_index(name)] = value
    return result


def rig_text(*shapes: str, head: str = 'version = 1\nname = "t"\n') -> str:
    return head + "".join(f"\n[[shapes]]\n{shape}\n" for shape in shapes)


# -- the package face -------------------------------------------------------------------------


def test_exported_names_are_exactly_the_public_api() -> None:
    assert set(retarget.__all__) == {
        "RESPONSE_CURVES",
        "RIG_FORMAT_VERSION",
        "SCALES",
        "TERM_OPS",
        "TIKHONOV",
        "ColumnMatch",
        "InverseReport",
        "Rig",
        "RigShape",
        "RigTerm",
        "builtin_rigs",
        "load_rig",
        "loads_rig",
        "match_columns",
        "shape_key",
        "VRCFTParameters",
        "v2_parameter_names",
    }
    for name in retarget.__all__:
        assert getattr(retarget, name) is not None


# -- the forward map, shape by shape ----------------------------------------------------------


def test_forward_follows_the_documented_formula() -> None:
    rig = loads_rig(
        rig_text(
            'name = "mean"\ninputs = { AU1 = 1.0 }',
            'name = "sided"\ninputs = { AU12_L = 0.5, AU4_L = -1.0 }',
            'name = "prod"\nterms = [{ of = ["AU6_L", "AU12_L"], weight = 2.0 }]',
            'name = "least"\nterms = [{ op = "min", of = ["AU4", "AU7"], weight = 1.0 }]',
            'name = "pow"\ninputs = { AU2_L = 1.0 }\ncurve = "power"\nexponent = 2.0',
            'name = "smooth"\ninputs = { AU2_R = 1.0 }\ncurve = "smoothstep"',
            'name = "open"\ninputs = { AU45_L = 1.0, AU43_L = 1.0 }\ngain = -1.0\noffset = 1.0',
            'name = "clamped"\ninputs = { AU26 = 2.0 }\nclamp = [0.1, 0.6]',
        )
    )
    au = frame(
        AU1_L=0.2, AU1_R=0.6, AU12_L=0.8, AU4_L=0.1, AU6_L=0.5, AU4_R=0.3, AU7_L=0.9,
        AU7_R=0.1, AU2_L=0.5, AU2_R=0.25, AU45_L=0.7, AU43_L=0.6, AU26_L=0.2, AU26_R=0.2,
    )  # fmt: skip
    expected = [
        0.4,  # mean of AU1 sides
        0.5 * 0.8 - 0.1,  # sum of sided inputs
        2.0 * 0.5 * 0.8,  # product
        min((0.1 + 0.3) / 2, (0.9 + 0.1) / 2),  # min of side means
        0.5**2,  # power
        3 * 0.25**2 - 2 * 0.25**3,  # smoothstep
        0.0,  # 1 - clip(0.7 + 0.6): the lid is shut
        0.4,  # 2 * 0.2 inside the clamp
    ]
    np.testing.assert_allclose(rig.forward_frame(au), expected, atol=1e-6)
    np.testing.assert_allclose(rig.rest, [0, 0, 0, 0, 0, 0, 1, 0.1])  # open lid; clamp floor


def test_scale_multiplies_last_and_the_inverse_divides_first() -> None:
    text = rig_text('name = "a"\ninputs = { AU12_L = 1.0 }', head="version = 1\nscale = 100\n")
    rig = loads_rig(text)
    assert rig.scale == 100.0
    weights = rig.forward_frame(frame(AU12_L=0.37))
    assert weights[0] == pytest.approx(37.0, abs=1e-4)
    back = rig.inverse_frame(weights)
    assert back[channel_index("AU12_L")] == pytest.approx(0.37, abs=1e-5)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float32, N_CHANNELS, elements=st.floats(width=32, allow_nan=True)))
def test_forward_is_always_within_range_and_never_nan(au: np.ndarray) -> None:
    for name in ("arkit52", "vrm1", "vrcft"):
        rig = load_rig(name)
        weights = rig.forward_frame(au)
        assert weights.dtype == np.float32
        assert np.all(np.isfinite(weights))
        assert np.all((weights >= 0.0) & (weights <= rig.scale))


def test_nan_counts_as_zero_and_infinity_as_full() -> None:
    rig = load_rig("arkit52")
    smile = rig.shape_index("mouthSmileLeft")
    nan_frame = frame(AU6_L=0.5)
    nan_frame[channel_index("AU12_L")] = np.nan
    np.testing.assert_array_equal(rig.forward_frame(nan_frame), rig.forward_frame(frame(AU6_L=0.5)))
    inf_frame = frame()
    inf_frame[channel_index("AU12_L")] = np.inf
    assert rig.forward_frame(inf_frame)[smile] == 1.0


def test_forward_over_curves_matches_frame_by_frame() -> None:
    rig = load_rig("vrm1-perfectsync")
    rng = np.random.default_rng(7)
    values = rng.random((5000, N_CHANNELS), dtype=np.float32)  # more than one block
    values[3, 5] = np.nan
    curves = Curves(values, fps=50, start=1.5)
    weights = rig.forward(curves)
    assert weights.names == rig.shape_names
    assert (weights.fps, weights.start, weights.values.dtype) == (50, 1.5, np.float32)
    out = np.empty(rig.n_shapes, dtype=np.float32)
    for i in (0, 3, 4095, 4096, 4999):
        returned = rig.forward_frame(values[i], out=out)
        assert returned is out
        np.testing.assert_allclose(weights.values[i], out, atol=1e-6)
    assert rig.forward(Curves(np.zeros((0, N_CHANNELS)), fps=60)).values.shape == (0, 70)


def test_forward_accepts_au_curves_with_some_channels_only() -> None:
    rig = load_rig("arkit52")
    curves = Curves([[0.5, 0.25]], fps=30, names=["au12_r", "AU1_L"])
    weights = rig.forward(curves).values[0]
    assert weights[rig.shape_index("mouthSmileRight")] == pytest.approx(0.5)
    assert weights[rig.shape_index("browInnerUp")] == pytest.approx(0.125)
    with pytest.raises(ParameterError, match=r"column 'jawOpen' is not an AU channel"):
        rig.forward(Curves([[0.5]], fps=30, names=["jawOpen"]))


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda r: r.forward_frame(np.zeros(85)), r"au has shape \(85,\); expected \(86,\)"),
        (lambda r: r.forward_frame(["a"] * 86), r"dtype <U1; expected real numbers"),
        (
            lambda r: r.forward_frame(np.zeros(86), out=np.zeros(52)),
            r"out has shape \(52,\) and dtype float64; expected a contiguous float32",
        ),
        (lambda r: r.inverse_frame(np.zeros(3)), r"weights has shape \(3,\); expected \(52,\)"),
        (lambda r: r.forward(np.zeros((3, 86))), r"curves is a ndarray; expected Curves"),
        (lambda r: r.shape_index("smile"), r"rig 'arkit52' has no shape 'smile'"),
    ],
)
def test_bad_arguments_raise_parameter_errors(call: Any, pattern: str) -> None:
    with pytest.raises(ParameterError, match=pattern):
        call(load_rig("arkit52"))


def test_rigs_are_immutable() -> None:
    rig = load_rig("arkit52")
    with pytest.raises(AttributeError, match="immutable"):
        rig.scale = 100.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        rig.rest[0] = 1.0


# -- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["eyeBlinkLeft", "EyeBlinkLeft", "eyeBlink_L", "EYEBLINK_l", "eye_blink_left", "eyeBlink.L"],
)
def test_arkit_spellings_all_find_the_shape(name: str) -> None:
    assert load_rig("arkit52").shape_index(name) == 0


def test_aliases_and_cross_version_names() -> None:
    vrm0, vrm1 = load_rig("vrm0"), load_rig("vrm1")
    assert vrm0.shape_index("blinkLeft") == vrm0.shape_index("Blink_L")
    assert vrm1.shape_index("Blink_L") == vrm1.shape_index("blinkLeft")
    assert vrm1.shape_names[vrm1.shape_index("Joy")] == "happy"
    assert vrm0.shape_names[vrm0.shape_index("happy")] == "Joy"
    assert vrm0.shape_names[vrm0.shape_index("aa")] == "A"
    vrcft = load_rig("vrcft")
    assert vrcft.shape_names[vrcft.shape_index("/avatar/parameters/FT/v2/JawOpen")] == "JawOpen"
    assert shape_key("AU12_R") == "au12right"


def test_match_columns_reports_unknown_and_missing() -> None:
    rig = load_rig("arkit52")
    live_link = ["EyeBlinkLeft", "JawOpen", "HeadYaw", "MouthSmile_L", "_neutral"]
    match = match_columns(rig, live_link)
    assert match.shapes == (0, 17, -1, 23, -1)
    assert match.unknown == ("HeadYaw", "_neutral")
    assert len(match.missing) == 49 and "eyeBlinkLeft" not in match.missing
    assert match.columns.tolist() == [0, 1, 3] and match.targets.tolist() == [0, 17, 23]
    with pytest.raises(ParameterError, match=r"columns 'jawOpen' and 'JawOpen' both name shape"):
        match_columns(rig, ["jawOpen", "JawOpen"])


# -- the inverse --------------------------------------------------------------------------------


def test_arkit_reports_what_it_cannot_express() -> None:
    report = load_rig("arkit52").inexpressible()
    for code in ("AU11", "AU13", "AU23", "AU38", "AU39"):
        assert {f"{code}_L", f"{code}_R"} <= set(report.missing)
    assert {"AU1", "AU17", "AU18", "AU22", "AU28"} <= set(report.merged_sides)
    assert ("AU43_L", "AU45_L", "AU46_L") in report.groups
    assert {"AU12_L", "AU12_R", "AU6_L", "AU4_R", "AU61_L"} <= set(report.expressible)
    assert not set(report.expressible) & set(report.missing)
    assert report.lossy
    text = str(report)
    assert re.search(r"no path, come back 0 \(22 channels\): AU11, AU13, AU23, AU38, AU39", text)
    assert re.search(r"sides merged, come back equal \(6 AUs\): AU1, AU17", text)
    assert not load_rig("facs").inexpressible().lossy


def _expressible_frame(rig: retarget.Rig, raw: np.ndarray) -> np.ndarray:
    """``raw`` restricted to what ``rig`` can express, below saturation."""
    report = rig.inexpressible()
    au = raw.astype(np.float32).copy()
    au[[channel_index(c) for c in report.missing]] = 0.0
    for k in range(0, N_CHANNELS, 2):  # merged sides and midline units: both sides equal
        code = CHANNELS[k].rsplit("_", 1)[0]
        if code in report.merged_sides or action_unit(int(code[2:])).midline:
            au[k] = au[k + 1] = (au[k] + au[k + 1]) / 2
    for _ in range(5):  # keep every shape below 1: saturation hides what drove it
        top = float(rig.forward_frame(au).max())
        if top < 0.97:
            break
        au *= 0.95 / top
    return au


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hnp.arrays(np.float64, N_CHANNELS, elements=st.floats(0.0, 1.0)),
    st.floats(0.05, 1.0),
)
def test_round_trip_recovers_every_channel_arkit_expresses(raw: np.ndarray, level: float) -> None:
    rig = load_rig("arkit52")
    report = rig.inexpressible()
    au = _expressible_frame(rig, raw * level)
    weights = rig.forward_frame(au)
    back = rig.inverse_frame(weights)
    assert back.dtype == np.float32 and np.all((back >= 0.0) & (back <= 1.0))
    for name in report.expressible:
        i = channel_index(name)
        assert abs(back[i] - au[i]) <= ROUND_TRIP_TOLERANCE, name
    for code in report.merged_sides:  # merged sides come back equal, at the true (equal) value
        left, right = channel_index(f"{code}_L"), channel_index(f"{code}_R")
        assert back[left] == pytest.approx(back[right], abs=1e-6)
        assert abs(back[left] - au[left]) <= ROUND_TRIP_TOLERANCE, code
    for name in report.missing:
        assert back[channel_index(name)] == 0.0
    # channels only seen together (AU43/45/46) may split differently, but the rig cannot tell
    np.testing.assert_allclose(rig.forward_frame(back), weights, atol=ROUND_TRIP_TOLERANCE)


def test_browinnerup_splits_evenly_into_both_sides() -> None:
    rig = load_rig("arkit52")
    weights = np.zeros(rig.n_shapes, dtype=np.float32)
    weights[rig.shape_index("browInnerUp")] = 0.6
    back = rig.inverse_frame(weights)
    assert back[channel_index("AU1_L")] == pytest.approx(0.6, abs=1e-4)
    assert back[channel_index("AU1_R")] == pytest.approx(0.6, abs=1e-4)
    assert np.count_nonzero(back > 1e-4) == 2


def test_inverse_of_curves_matches_frames_and_fills_missing_shapes_with_rest() -> None:
    rig = load_rig("vrcft")
    rng = np.random.default_rng(3)
    au = rng.random((40, N_CHANNELS), dtype=np.float32) * 0.4
    weights = rig.forward(Curves(au, fps=30))
    back = rig.inverse(weights)
    assert back.names == CHANNELS and back.fps == 30 and back.values.dtype == np.float32
    for i in (0, 17, 39):
        np.testing.assert_allclose(back.values[i], rig.inverse_frame(weights.values[i]), atol=1e-4)
    # a stream with only one column: the lids (rest = open) stay open, the rest at 0
    only = Curves(np.full((2, 1), 0.5, dtype=np.float32), fps=30, names=["v2/JawOpen", "x"][:1])
    result = rig.inverse(only).values
    assert result[0, channel_index("AU45_L")] == pytest.approx(0.0, abs=1e-6)
    assert result[0, channel_index("AU27_L")] + result[0, channel_index("AU26_L")] > 0.3


def test_inverse_of_noisy_arkit_curves_matches_frames() -> None:
    """Many frames of a tracker-like stream reach a bound: batch and frame paths still agree."""
    rig = load_rig("arkit52")
    rng = np.random.default_rng(5)
    au = rng.random((60, N_CHANNELS), dtype=np.float32) * rng.random((60, 1), dtype=np.float32)
    clean = rig.forward(Curves(au, fps=30)).values
    noisy = np.clip(clean + rng.normal(0.0, 0.03, clean.shape), 0.0, 1.0).astype(np.float32)
    back = rig.inverse(Curves(noisy, fps=30, names=rig.shape_names)).values
    for i in range(0, 60, 7):
        np.testing.assert_allclose(back[i], rig.inverse_frame(noisy[i]), atol=2e-3)
    assert np.all((back >= 0.0) & (back <= 1.0))


def test_inverse_treats_nan_weights_as_rest() -> None:
    rig = load_rig("vrcft")
    weights = rig.rest.copy()
    weights[rig.shape_index("EyeLidLeft")] = np.nan
    np.testing.assert_array_equal(rig.inverse_frame(weights), np.zeros(N_CHANNELS))


@settings(max_examples=80, deadline=None)
@given(
    hnp.arrays(np.float64, 52, elements=st.floats(0.0, 1.0)),
    hnp.arrays(np.float64, 52, elements=st.floats(-0.3, 0.3)),
)
def test_bounded_solver_agrees_with_scipy(target: np.ndarray, noise: np.ndarray) -> None:
    model = load_rig("arkit52")._inverse  # the solver on a real rig's normal equations
    b = np.clip(target * 0.7 + noise, 0.0, 1.0)
    start = np.clip(model.pinv @ b, 0.0, 1.0)
    ours = box_lsq(model.hessian, model.matrix.T @ b, start, inverse=model.hessian_inverse)
    theirs = box_lsq_scipy(model.stacked, np.concatenate([b, np.zeros(model.n_variables)]))
    assert ours is not None
    assert np.all((ours >= 0.0) & (ours <= 1.0))

    def cost(a: np.ndarray) -> float:
        return float(np.sum((model.matrix @ a - b) ** 2) + retarget.TIKHONOV**2 * np.sum(a**2))

    assert cost(ours) <= cost(theirs) + 1e-9


# -- rig files: errors --------------------------------------------------------------------------

SMILE = 'name = "mouthSmileLeft"\ninputs = { AU12_L = 1.0 }'
OK = 'name = "ok"\ninputs = { AU1 = 1.0 }'


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        (
            rig_text(OK, 'name = "b"', SMILE + '\ncurve = "cubic"'),
            r"bad\.toml: shapes\[2\] \(mouthSmileLeft\)\.curve: 'cubic' is not a response curve;"
            r" expected one of linear, power, smoothstep",
        ),
        (
            rig_text(OK, 'name = "browInnerUp"\ninputs = { AU99_L = 1.0 }'),
            r"bad\.toml: shapes\[1\] \(browInnerUp\)\.inputs\.AU99_L: unknown AU channel 'AU99_L'",
        ),
        (
            rig_text(OK, 'name = "x"\nterms = [{ of = ["AU6_L", "AU3_L"], weight = 1 }]'),
            r"bad\.toml: shapes\[1\] \(x\)\.terms\[0\]\.of\[1\]: unknown AU channel 'AU3_L'",
        ),
        (
            rig_text(OK, SMILE, 'name = "MouthSmile_L"'),
            r"bad\.toml: shapes\[2\] \(MouthSmile_L\)\.name: 'MouthSmile_L' is already the name "
            r"or an alias of shape 'mouthSmileLeft'",
        ),
        (
            rig_text(OK, 'name = "x"\ninputs = { AU12_L = nan }'),
            r"bad\.toml: shapes\[1\] \(x\)\.inputs\.AU12_L: nan is not finite",
        ),
        (
            rig_text(OK, 'name = "x"\nterms = [{ of = ["AU6_L"], weight = inf }]'),
            r"bad\.toml: shapes\[1\] \(x\)\.terms\[0\]\.weight: inf is not finite",
        ),
        (
            rig_text(OK, 'name = "x"\ngain = -inf'),
            r"bad\.toml: shapes\[1\] \(x\)\.gain: -inf is not finite",
        ),
        (rig_text(OK, head=""), r"bad\.toml: version: missing key 'version'; expected version = 1"),
        (rig_text(OK, head="version = 2\n"), r"bad\.toml: version: 2 is not a supported version"),
        ("version = 1\n[[shapes]\n", r"bad\.toml: line 2: TOML syntax error: .*; expected valid"),
        ("", r"bad\.toml: the file is empty"),
        (rig_text(OK, 'name = "x"\ncurv = "power"'), r"\(x\)\.curv: unknown key 'curv' \(did you"),
        (
            rig_text(OK, 'name = "x"\ncurve = "power"'),
            r"\(x\)\.exponent: missing key 'exponent'; curve 'power' needs one",
        ),
        (rig_text(OK, 'name = "x"\nclamp = [0.5, 0.2]'), r"\(x\)\.clamp: \[0\.5, 0\.2\]; expected"),
        (rig_text(OK, 'name = "x"\ngain = 0'), r"\(x\)\.gain: 0 silences the shape"),
        (
            rig_text(OK, 'name = "x"\ninputs = { AU12 = 1, AU12_L = 1 }'),
            r"\(x\)\.inputs\.AU12_L: channel AU12_L is also fed by 'AU12'",
        ),
        (
            rig_text(OK, 'name = "x"\nterms = [{ op = "max", of = ["AU6"], weight = 1 }]'),
            r"\(x\)\.terms\[0\]\.op: 'max' is not a term operation; expected one of product, min",
        ),
        (
            rig_text(OK, head="version = 1\nscale = 10\n"),
            r"bad\.toml: scale: 10 is not a rig scale; expected 1 or 100",
        ),
        (rig_text("inputs = { AU1 = 1 }"), r"bad\.toml: shapes\[0\]\.name: missing key 'name'"),
        (
            rig_text(OK, head='version = 1\ninclude = ["arkit"]\n'),
            r"bad\.toml: include\[0\]: 'arkit' is not a built-in rig \(did you mean 'arkit52'\?\)",
        ),
        (
            rig_text('name = "jawOpen"', head='version = 1\ninclude = ["arkit52"]\n'),
            r"bad\.toml: shapes\[0\] \(jawOpen\)\.name: 'jawOpen' is already the name or an "
            r"alias of shape 'jawOpen' \(from .*arkit52\.toml\)",
        ),
        ("version = 1\n", r"bad\.toml: shapes: no shapes; expected at least one"),
    ],
)
def test_malformed_rig_files_name_file_shape_and_key(
    tmp_path: Path, text: str, pattern: str
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    with pytest.raises(RigError) as caught:
        load_rig(bad)
    message = str(caught.value)
    assert "\n" not in message
    assert re.search(pattern, message), message


def test_include_cycles_and_missing_includes(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(rig_text(OK, head='version = 1\ninclude = ["b.toml"]\n'))
    (tmp_path / "b.toml").write_text(
        rig_text('name = "y"', head='version = 1\ninclude = ["a.toml"]\n')
    )
    with pytest.raises(RigError, match=r"include\[0\]: 'a\.toml' includes itself"):
        load_rig(tmp_path / "a.toml")
    (tmp_path / "c.toml").write_text(rig_text(OK, head='version = 1\ninclude = ["none.toml"]\n'))
    with pytest.raises(RigError, match=r"none\.toml: no such file"):
        load_rig(tmp_path / "c.toml")


def test_a_user_rig_can_extend_a_builtin(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        rig_text(
            'name = "lipTightLeft"\ninputs = { AU23_L = 1.0 }',
            head='version = 1\nname = "mine"\ninclude = ["arkit52"]\n',
        )
    )
    rig = load_rig(str(path))
    assert rig.name == "mine" and rig.n_shapes == 53
    assert rig.shape_names[:52] == load_rig("arkit52").shape_names
    assert "AU23_L" in rig.inexpressible().expressible


def test_load_rig_names_and_paths(tmp_path: Path) -> None:
    assert load_rig("ARKit52") is load_rig("arkit52")  # built-ins are shared
    with pytest.raises(RigError, match=r"unknown rig 'arkit'( \(did you mean 'arkit52'\?\))?;"):
        load_rig("arkit")
    with pytest.raises(RigError, match=r"none\.toml: no such file"):
        load_rig(tmp_path / "none.toml")
    with pytest.raises(RigError, match=r"is a directory"):
        load_rig(str(tmp_path) + "/")
    with pytest.raises(ParameterError, match=r"rig is 3; expected"):
        load_rig(3)  # type: ignore[arg-type]


# -- fuzzing the parser -------------------------------------------------------------------------

_KEYS = st.sampled_from(
    ["AU1", "AU12_L", "AU26", "AU99_L", "au6_r", "AU25_L", "12", "L12", "jaw", ""]
)
_NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-(10**12), 10**12), st.booleans()
)
_SHAPE = st.fixed_dictionaries(
    {"name": st.one_of(st.text(max_size=8), st.sampled_from(["a", "b", "A", "a_L", "aLeft"]))},
    optional={
        "inputs": st.dictionaries(_KEYS, _NUMBERS, max_size=3),
        "terms": st.lists(
            st.fixed_dictionaries(
                {"of": st.lists(_KEYS, max_size=5), "weight": _NUMBERS},
                optional={"op": st.sampled_from(["product", "min", "max"])},
            ),
            max_size=2,
        ),
        "curve": st.sampled_from(["linear", "power", "smoothstep", "cubic"]),
        "exponent": _NUMBERS,
        "gain": _NUMBERS,
        "offset": _NUMBERS,
        "clamp": st.lists(_NUMBERS, max_size=3),
        "aliases": st.lists(st.text(max_size=5), max_size=2),
        "colour": st.just("red"),
    },
)
_RIG = st.fixed_dictionaries(
    {"shapes": st.lists(_SHAPE, max_size=4)},
    optional={
        "version": st.sampled_from([1, 1, 1, 2, "1"]),
        "scale": st.sampled_from([1, 100, 100.0, 7, -1]),
        "name": st.text(max_size=6),
    },
)


def _rig_or_error(text: str, source: str) -> retarget.Rig | RigError:
    """The rig, or the one :class:`RigError` it raises; any other exception fails the test."""
    try:
        return loads_rig(text, source=source)
    except RigError as err:
        return err


@settings(max_examples=300, deadline=None)
@given(_RIG)
def test_parser_fuzz_gives_a_rig_or_one_rig_error(data: dict[str, Any]) -> None:
    try:
        text = tomli_w.dumps(data)
    except (TypeError, ValueError):  # tomli_w cannot write it (e.g. a control character)
        return
    rig = _rig_or_error(text, "fuzz.toml")
    if isinstance(rig, RigError):
        assert str(rig).startswith("fuzz.toml") and "\n" not in str(rig)
        return
    au = np.random.default_rng(0).random(N_CHANNELS, dtype=np.float32)
    weights = rig.forward_frame(au)
    assert np.all(np.isfinite(weights)) and np.all((weights >= 0) & (weights <= rig.scale))
    assert np.all(np.isfinite(rig.inverse_frame(weights)))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 4), st.text(max_size=3))
def test_parser_fuzz_on_mutated_rig_text(position: int, cut: int, insert: str) -> None:
    text = Path(load_rig("arkit52").source).read_text("utf-8")[:3000]
    position %= len(text)
    mutated = text[:position] + insert + text[position + cut :]
    result = _rig_or_error(mutated, "m.toml")
    if isinstance(result, RigError):
        assert str(result).startswith("m.toml") and "\n" not in str(result)


def test_large_weights_are_refused_before_float32_overflows() -> None:
    with pytest.raises(RigError, match=r"inputs\.AU1: 1e\+300 is too large"):
        loads_rig(rig_text('name = "x"\ninputs = { AU1 = 1e300 }'))
    assert math.isfinite(loads_rig(rig_text(OK)).forward_frame(np.ones(86))[0])
