"""The preview face: geometry first (views._face_geometry, no Qt), then its pixels (Qt, off screen).

Mirror view throughout: the performer's left is the picture's left (x < 0 in face units, the
left half of an image).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from avatardrive.errors import ParameterError
from avatardrive.facs import CHANNELS, N_CHANNELS, channel_index
from avatardrive.views._face_geometry import (
    GAZE_UNIT_DEGREES,
    HEAD_UNIT_DEGREES,
    PART_NAMES,
    VIEW_BOX,
    FaceGeometry,
    face_geometry,
    head_pose,
)
from avatardrive.views._face_parts import EYEBALL

FloatArray = npt.NDArray[np.float64]


def frame(**aus: float) -> FloatArray:
    """An AU frame: ``AU12=0.5`` sets both sides, ``AU12_L=0.5`` one side."""
    values = np.zeros(N_CHANNELS)
    for key, value in aus.items():
        names = [key] if key.endswith(("_L", "_R")) else [f"{key}_L", f"{key}_R"]
        for name in names:
            values[channel_index(name)] = value
    return values


def corners(face: FaceGeometry) -> tuple[FloatArray, FloatArray]:
    """The lip corners (performer's left, right): the lips outline's extreme points across."""
    lips = face.parts["lips"].points
    return lips[lips[:, 0].argmin()], lips[lips[:, 0].argmax()]


def area(points: FloatArray) -> float:
    x, y = points[:, 0], points[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def centre(face: FaceGeometry, name: str) -> FloatArray:
    return np.asarray(face.parts[name].points.mean(axis=0))


# -- geometry --------------------------------------------------------------------------------


def test_every_part_is_there_in_drawing_order_and_finite_inside_the_view() -> None:
    rng = np.random.default_rng(3)
    x0, x1, y0, y1 = VIEW_BOX
    for values in [np.zeros(N_CHANNELS), np.ones(N_CHANNELS), *rng.random((60, N_CHANNELS))]:
        face = face_geometry(values)
        assert tuple(face.parts) == PART_NAMES
        for name, part in face.parts.items():
            assert part.points.ndim == 2 and part.points.shape[1] == 2, name
            assert np.isfinite(part.points).all(), name
            assert 0.0 <= part.strength <= 1.0, name
            xs, ys = part.points[:, 0], part.points[:, 1]
            bottom = -math.inf if name == "shoulders" else y0  # they run off a tall picture
            assert xs.min() >= x0 and xs.max() <= x1 and ys.min() >= bottom, name
            assert ys.max() <= y1, name


@settings(max_examples=150, deadline=None)
@given(arrays(np.float64, N_CHANNELS, elements=st.floats(0.0, 1.0)))
def test_lids_and_lips_never_cross_whatever_the_frame(values: FloatArray) -> None:
    face = face_geometry(values)
    for side in "LR":
        upper = face.parts[f"upper_lid_{side}"].points
        lower = face.parts[f"lower_lid_{side}"].points
        assert (upper[:, 1] >= lower[:, 1] - 1e-12).all()  # an eye never turns inside out
    top, bottom = face.parts["lip_line"].points, face.parts["lower_lip"].points
    assert (top[:, 1] >= bottom[:, 1] - 1e-12).all()  # the lips part, never cross
    lips = face.parts["lips"].points  # along the top from the left corner, back along the bottom
    outer_top, outer_bottom = lips[: len(top)], np.vstack([lips[:1], lips[len(top) - 1 :][::-1]])
    assert (outer_top[:, 1] >= top[:, 1] - 1e-9).all()  # the upper lip never folds through
    assert (outer_bottom[:, 1] <= bottom[:, 1] + 1e-9).all()  # nor the lower one


def test_bad_values_are_read_safely_and_a_bad_shape_is_refused() -> None:
    bad = np.full(N_CHANNELS, np.nan)
    bad[channel_index("AU12_L")] = np.inf
    face = face_geometry(bad)
    assert all(np.isfinite(part.points).all() for part in face.parts.values())
    assert np.allclose(face.parts["lips"].points,
                       face_geometry(frame(AU12_L=1.0)).parts["lips"].points)  # fmt: skip
    with pytest.raises(ParameterError, match=rf"shape \(3,\); expected \({N_CHANNELS},\)"):
        face_geometry(np.zeros(3))


def test_lip_corners_rise_and_widen_with_au12() -> None:
    heights, widths = [], []
    for value in (0.0, 0.25, 0.5, 1.0):
        left, right = corners(face_geometry(frame(AU12=value)))
        assert left[1] == pytest.approx(right[1]) and left[0] == pytest.approx(-right[0])
        heights.append(left[1])
        widths.append(right[0] - left[0])
    assert np.all(np.diff(heights) > 0.01) and np.all(np.diff(widths) > 0.0)


def test_au12_l_moves_the_performers_left_corner_alone() -> None:
    neutral_left, neutral_right = corners(face_geometry(frame()))
    left, right = corners(face_geometry(frame(AU12_L=1.0)))
    assert left[0] < 0 < right[0]  # the performer's left is the picture's left
    assert left[1] - neutral_left[1] > 0.05
    assert right == pytest.approx(neutral_right, abs=1e-12)


def test_lip_corners_fall_with_au15_and_lips_part_with_the_jaw() -> None:
    assert corners(face_geometry(frame(AU15=1.0)))[0][1] < corners(face_geometry(frame()))[0][1]
    shut = area(face_geometry(frame()).parts["mouth"].points)
    parted = area(face_geometry(frame(AU25=1.0)).parts["mouth"].points)
    dropped = area(face_geometry(frame(AU25=1.0, AU26=1.0)).parts["mouth"].points)
    stretched = area(face_geometry(frame(AU25=1.0, AU27=1.0)).parts["mouth"].points)
    assert shut < 1e-3 < parted < dropped < stretched
    assert area(face_geometry(frame(AU25=1.0, AU24=1.0)).parts["mouth"].points) < 1e-3


def test_lids_close_fully_at_au45_and_one_eye_at_au45_l() -> None:
    open_ = {side: area(face_geometry(frame()).parts[f"eye_{side}"].points) for side in "LR"}
    assert min(open_.values()) > 0.02
    shut = face_geometry(frame(AU45=1.0))
    assert area(shut.parts["eye_L"].points) == pytest.approx(0.0, abs=1e-12)
    assert area(shut.parts["eye_R"].points) == pytest.approx(0.0, abs=1e-12)
    half = face_geometry(frame(AU45=0.5))
    assert area(half.parts["eye_L"].points) == pytest.approx(0.5 * open_["L"], rel=0.05)
    wink = face_geometry(frame(AU45_L=1.0))
    assert area(wink.parts["eye_L"].points) == pytest.approx(0.0, abs=1e-12)
    assert area(wink.parts["eye_R"].points) == pytest.approx(open_["R"])
    wider = area(face_geometry(frame(AU5=1.0)).parts["eye_L"].points)
    narrower = area(face_geometry(frame(AU7=1.0)).parts["eye_L"].points)
    assert narrower < open_["L"] < wider


def test_brows_inner_rise_with_au1_outer_with_au2_and_fall_with_au4() -> None:
    rest = face_geometry(frame()).parts["brow_L"].points  # inner end first
    inner = face_geometry(frame(AU1=1.0)).parts["brow_L"].points - rest
    outer = face_geometry(frame(AU2=1.0)).parts["brow_L"].points - rest
    lowered = face_geometry(frame(AU4=1.0)).parts["brow_L"].points - rest
    assert inner[0, 1] > 0.08 and inner[0, 1] > 3 * inner[-1, 1]
    assert outer[-1, 1] > 0.08 and outer[-1, 1] > 3 * outer[0, 1]
    assert (lowered[:, 1] < 0).all() and lowered[0, 0] > 0.02  # down, and the inner end inward


def test_creases_show_with_their_aus_on_their_side() -> None:
    contempt = face_geometry(frame(AU12_L=0.6, AU14_L=0.8))
    assert contempt.parts["dimple_L"].strength == pytest.approx(0.8)
    assert contempt.parts["dimple_R"].strength == 0.0
    felt = face_geometry(frame(AU6=0.7, AU12=0.7))
    assert felt.parts["crows_feet_0_L"].strength == pytest.approx(0.7)
    assert face_geometry(frame()).parts["crows_feet_0_L"].strength == 0.0
    assert face_geometry(frame(AU9=0.9)).parts["nose_wrinkle_0_R"].strength == pytest.approx(0.9)
    assert face_geometry(frame(AU4=1.0)).parts["frown_L"].strength == pytest.approx(1.0)


@pytest.mark.parametrize(("unit", "sign"), [(51, 1.0), (52, -1.0)])
def test_the_head_turns_by_the_documented_angle(unit: int, sign: float) -> None:
    """AU51 = 1 turns 45° to the performer's left: symmetric pairs of points (same depth) come
    closer by cos 45°, and the face moves to the picture's left."""
    rest, turned = face_geometry(frame()), face_geometry(frame(**{f"AU{unit}": 1.0}))
    angle = HEAD_UNIT_DEGREES[unit]
    assert turned.yaw == pytest.approx(sign * angle)
    assert head_pose(frame(**{f"AU{unit}": 1.0})) == (turned.yaw, 0.0, 0.0)
    for pair in (("pupil_L", "pupil_R"), ("ear_L", "ear_R"), ("brow_L", "brow_R")):
        before = centre(rest, pair[1]) - centre(rest, pair[0])
        after = centre(turned, pair[1]) - centre(turned, pair[0])
        assert after[0] == pytest.approx(before[0] * math.cos(math.radians(angle)), rel=1e-9)
        assert after[1] == pytest.approx(before[1], abs=1e-9)
    nose = centre(turned, "nose_tip")[0] - centre(rest, "nose_tip")[0]
    assert -sign * nose > 0.3  # the nose, far in front, swings furthest


def test_the_head_tilts_and_nods_by_the_documented_angles() -> None:
    tilted = face_geometry(frame(AU55=1.0))
    line = centre(tilted, "pupil_R") - centre(tilted, "pupil_L")
    assert math.degrees(math.atan2(line[1], line[0])) == pytest.approx(HEAD_UNIT_DEGREES[55])
    outline = tilted.parts["head"].points - tilted.parts["head"].points.mean(axis=0)
    _, vectors = np.linalg.eigh(np.cov(outline.T))
    long_axis = vectors[:, -1] * np.sign(vectors[1, -1])
    assert math.degrees(math.atan2(-long_axis[0], long_axis[1])) == pytest.approx(30.0, abs=0.5)
    assert face_geometry(frame(AU56=0.5)).roll == pytest.approx(-15.0)
    up, down = face_geometry(frame(AU53=1.0)), face_geometry(frame(AU54=1.0))
    assert (up.pitch, down.pitch) == (HEAD_UNIT_DEGREES[53], -HEAD_UNIT_DEGREES[54])
    rest = centre(face_geometry(frame()), "nose_tip")[1]
    assert centre(up, "nose_tip")[1] > rest > centre(down, "nose_tip")[1]


@pytest.mark.parametrize(("unit", "axis", "sign"), [(61, 0, -1.0), (62, 0, 1.0), (63, 1, 1.0),
                                                    (64, 1, -1.0)])  # fmt: skip
def test_gaze_moves_both_irises_by_the_unit_angle(unit: int, axis: int, sign: float) -> None:
    rest, looking = face_geometry(frame()), face_geometry(frame(**{f"AU{unit}": 1.0}))
    expected = sign * EYEBALL * math.sin(math.radians(GAZE_UNIT_DEGREES[unit]))
    for side in "LR":
        moved = centre(looking, f"iris_{side}") - centre(rest, f"iris_{side}")
        assert moved[axis] == pytest.approx(expected, abs=1e-9)
        assert moved[1 - axis] == pytest.approx(0.0, abs=1e-9)


def test_head_and_gaze_channels_are_the_catalogue_s() -> None:
    for unit in (*HEAD_UNIT_DEGREES, *GAZE_UNIT_DEGREES):
        assert f"AU{unit}_L" in CHANNELS and f"AU{unit}_R" in CHANNELS


# -- pixels ----------------------------------------------------------------------------------

SIZE = 256


@pytest.fixture(scope="module")
def renderer(qt: Any) -> Any:
    from avatardrive.views._face_draw import FaceRenderer

    return FaceRenderer(qt, size=(SIZE, SIZE), note=False)


def ink(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.int16]:
    return image.astype(np.int16)


def test_a_rendered_neutral_face_is_left_right_symmetric(renderer: Any) -> None:
    image = ink(renderer.render(frame()))
    assert image.shape == (SIZE, SIZE, 3)
    assert image.std() > 20  # something is drawn
    mirrored = image[:, ::-1]
    # within a pixel: the smallest difference over shifts of -1, 0, +1 columns
    best = np.min([np.abs(image - np.roll(mirrored, shift, axis=1)).max(axis=2)
                   for shift in (-1, 0, 1)], axis=0)  # fmt: skip
    assert (best > 60).mean() < 0.002


def test_a_one_sided_smile_changes_pixels_on_the_performers_left(renderer: Any) -> None:
    neutral = ink(renderer.render(frame()))
    changed = np.abs(ink(renderer.render(frame(AU12_L=1.0, AU6_L=0.6))) - neutral).max(axis=2) > 40
    columns = changed.sum(axis=0)
    left, right = columns[: SIZE // 2].sum(), columns[SIZE // 2 :].sum()
    assert left > 200 and left > 8 * right
    assert columns[SIZE * 5 // 8 :].sum() == 0  # the right cheek and corner stay


def test_a_micro_expression_of_a_fifth_of_a_second_shows(renderer: Any) -> None:
    """A 0.2 s contempt (U12+U14, peak 0.4) at 60 fps: several frames differ visibly."""
    fps, n = 60, 12
    envelope = np.sin(np.linspace(0.0, math.pi, n)) * 0.4
    neutral = ink(renderer.render(frame()))
    visible = 0
    for value in envelope:
        image = ink(renderer.render(frame(AU12_R=value, AU14_R=value)))
        changed = np.abs(image - neutral).max(axis=2) > 40
        if changed[:, SIZE // 2 :].sum() > 30:
            visible += 1
    assert n / fps == pytest.approx(0.2)
    assert visible >= 5


def test_the_kept_head_draws_the_same_pixels_as_a_moving_one(renderer: Any) -> None:
    """The head's fills are kept while the head stays put: the pixels must not tell."""
    turned = frame(AU51=0.3, AU12=0.5)
    first = renderer.render(frame())  # the head moved since the last test: drawn as it is
    renderer.render(turned)
    moving = renderer.render(frame(AU12=0.5))  # moved again: drawn as it is
    renderer.render(frame(AU12=0.5))  # still: kept from now on
    kept = renderer.render(frame(AU12=0.5))
    assert np.array_equal(moving, kept)
    assert not np.array_equal(first, kept)
