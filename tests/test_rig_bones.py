"""Rig bones: the head and gaze channels -> bone angles and Unity local quaternions."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from conftest import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from avatardrive.errors import RigError
from avatardrive.facs import GAZE_AXES, HEAD_AXES, N_CHANNELS, angles_to_channels
from avatardrive.retarget import load_rig, loads_rig

HEAD = 'version = 1\nname = "t"\n[[shapes]]\nname = "s"\ninputs = { AU12 = 1.0 }\n'


def au_of(head: tuple[float, float, float] = (0, 0, 0),
          gaze: tuple[float, float] = (0, 0)) -> np.ndarray:  # fmt: skip
    """An AU frame holding a head pose and a gaze, in degrees (avatardrive's signs)."""
    au = np.zeros(N_CHANNELS, dtype=np.float32)
    angles_to_channels(head, HEAD_AXES, out=au)
    angles_to_channels(gaze, GAZE_AXES, out=au)
    return au


def rotate(q: np.ndarray, v: tuple[float, float, float]) -> np.ndarray:
    """Rotate a vector by a unit quaternion (x, y, z, w): v' = q v q*."""
    x, y, z, w = (float(c) for c in q)
    matrix = np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])  # fmt: skip
    return matrix @ np.asarray(v, dtype=np.float64)


def unity_euler(x: float, y: float, z: float) -> np.ndarray:
    """Unity's Quaternion.Euler(x, y, z) in degrees: rotate about Z, then X, then Y."""
    def axis(k: int, degrees: float) -> np.ndarray:
        q = np.zeros(4)
        q[k], q[3] = math.sin(math.radians(degrees) / 2), math.cos(math.radians(degrees) / 2)
        return q

    def mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        (ax, ay, az, aw), (bx, by, bz, bw) = a, b
        return np.array([aw * bx + ax * bw + ay * bz - az * by,
                         aw * by - ax * bz + ay * bw + az * bx,
                         aw * bz + ax * by - ay * bx + az * bw,
                         aw * bw - ax * bx - ay * by - az * bz])  # fmt: skip

    return mul(mul(axis(1, y), axis(0, x)), axis(2, z))


# -- built-in rigs ----------------------------------------------------------------------------


@pytest.mark.parametrize(("rig", "bones"), [
    ("vrm0", ("Neck", "Head", "LeftEye", "RightEye")),
    ("vrm1", ("Neck", "Head", "LeftEye", "RightEye")),
    ("vrm1-perfectsync", ("Neck", "Head", "LeftEye", "RightEye")),
    ("arkit52", ("Head", "LeftEye", "RightEye")),
    ("facs", ("Head", "LeftEye", "RightEye")),
    ("vrcft", ()),
])  # fmt: skip
def test_builtin_rigs_declare_their_bones(rig: str, bones: tuple[str, ...]) -> None:
    loaded = load_rig(rig)
    assert loaded.bone_names == bones
    head_shares = sum(b.share for b in loaded.bones if b.drive == "head")
    assert head_shares == pytest.approx(1.0 if bones else 0.0)


@pytest.mark.parametrize("rig", ["arkit52", "vrm0", "vrm1-perfectsync"])
def test_a_head_turn_is_shared_to_the_whole_angle(rig: str) -> None:
    angles, _ = load_rig(rig).bone_frame(au_of(head=(20.0, -10.0, 6.0)))
    names = load_rig(rig).bone_names
    head = sum(angles[names.index(b)] for b in ("Neck", "Head") if b in names)
    np.testing.assert_allclose(head, [20.0, -10.0, 6.0], atol=1e-4)


def test_a_left_turn_points_the_face_to_the_avatars_own_left_in_unity() -> None:
    """Unity: the avatar faces +Z, its own left is -X, up is +Y."""
    _, rotations = load_rig("arkit52").bone_frame(au_of(head=(20.0, 0.0, 0.0)))
    forward = rotate(rotations[0], (0.0, 0.0, 1.0))
    assert forward[0] < 0  # toward the avatar's own left
    assert math.degrees(math.atan2(-forward[0], forward[2])) == pytest.approx(20.0, abs=1e-3)
    _, up = load_rig("arkit52").bone_frame(au_of(head=(0.0, 15.0, 0.0)))
    assert math.degrees(math.asin(rotate(up[0], (0, 0, 1))[1])) == pytest.approx(15.0, abs=1e-3)
    _, tilt = load_rig("arkit52").bone_frame(au_of(head=(0.0, 0.0, 12.0)))
    top = rotate(tilt[0], (0.0, 1.0, 0.0))  # the top of the head goes to the own left shoulder
    assert math.degrees(math.atan2(-top[0], top[1])) == pytest.approx(12.0, abs=1e-3)


def test_eyes_follow_the_gaze_alike_and_the_head_stays() -> None:
    angles, rotations = load_rig("vrm1").bone_frame(au_of(gaze=(-15.0, 10.0)))
    names = load_rig("vrm1").bone_names
    for eye in ("LeftEye", "RightEye"):
        np.testing.assert_allclose(angles[names.index(eye)], [-15.0, 10.0, 0.0], atol=1e-4)
        look = rotate(rotations[names.index(eye)], (0.0, 0.0, 1.0))
        assert look[0] > 0 and look[1] > 0  # to the avatar's right (+X) and up (+Y)
    np.testing.assert_allclose(rotations[names.index("Head")], [0, 0, 0, 1])


@pytest.mark.parametrize(("yaw", "pitch", "roll"), [(20, -10, 5), (-30, 12, -8), (0, 0, 0)])
def test_quaternions_match_unitys_euler_with_the_documented_signs(yaw: float, pitch: float,
                                                                  roll: float) -> None:
    _, rotations = load_rig("arkit52").bone_frame(au_of(head=(yaw, pitch, roll)))
    np.testing.assert_allclose(rotations[0], unity_euler(-pitch, -yaw, roll), atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float32, N_CHANNELS, elements=st.floats(-2, 2, width=32) | st.just(np.nan)))
def test_any_frame_gives_unit_quaternions_within_the_limits(au: np.ndarray) -> None:
    rig = load_rig("vrm0")
    angles, rotations = rig.bone_frame(au)
    assert np.isfinite(angles).all() and np.isfinite(rotations).all()
    np.testing.assert_allclose(np.linalg.norm(rotations, axis=1), 1.0, atol=1e-5)
    assert (rotations[:, 3] >= 0).all()
    for bone, row in zip(rig.bones, angles, strict=True):
        lo, hi = np.array(bone.limits).T
        assert (row >= lo - 1e-4).all() and (row <= hi + 1e-4).all()


def test_curves_and_frames_agree() -> None:
    from avatardrive.curves import Curves
    from avatardrive.facs import CHANNELS

    frames = np.stack([au_of(head=(a, -a / 2, a / 3), gaze=(a / 2, a / 4)) for a in (0, 10, 25)])
    rig = load_rig("vrm1")
    angles = rig.bone_angles(Curves(frames, fps=30.0, names=CHANNELS))
    for k, frame in enumerate(frames):
        one, rotation = rig.bone_frame(frame)
        np.testing.assert_allclose(angles[k], one, atol=1e-4)
        np.testing.assert_allclose(rig.bone_rotations(angles[k]), rotation, atol=1e-6)


# -- rig files ---------------------------------------------------------------------------------


def test_a_rig_file_sets_degrees_axes_limits_share_and_position() -> None:
    rig = loads_rig(HEAD + '''
[[bones]]
name = "Head"
share = 0.7
degrees = { yaw = 60 }
axes = { yaw = "+z", roll = "-y" }
limits = { yaw = [-20, 30] }
position = [0.0, 0.1, 0.02]
[[bones]]
name = "Neck"
share = 0.3
''')
    assert rig.bone_names == ("Neck", "Head")  # parents first, whatever the file's order
    head = rig.bones[1]
    assert (head.share, head.degrees, head.axes) == (0.7, (60.0, 30.0, 30.0), ("+z", "-x", "-y"))
    assert head.limits == ((-20.0, 30.0), (-21.0, 21.0), (-21.0, 21.0))
    np.testing.assert_allclose(rig.bone_positions[1], [0.0, 0.1, 0.02])
    angles, rotations = rig.bone_frame(au_of(head=(30.0, 0.0, 0.0)))  # 2/3 unit of 45°
    assert angles[1, 0] == pytest.approx(28.0, abs=1e-3)  # 2/3 x 60 x 0.7
    np.testing.assert_allclose(rotations[1][[0, 1]], [0.0, 0.0], atol=1e-7)  # about +z now
    assert rotations[1][2] > 0


def test_a_rig_replaces_an_included_bone_of_the_same_name() -> None:
    rig = loads_rig('version = 1\nname = "t"\ninclude = ["vrm1"]\n'
                    '[[bones]]\nname = "LeftEye"\ndegrees = { yaw = 10 }\n')
    assert rig.bone_names == ("Neck", "Head", "LeftEye", "RightEye")
    assert rig.bones[2].degrees[0] == 10.0 and rig.bones[3].degrees[0] == 30.0


@pytest.mark.parametrize(("bones", "pattern"), [
    ('name = "Jaw"', r"bones\[0\]\.name: 'Jaw' is not a bone avatardrive drives; expected one "
                     r"of Neck, Head, LeftEye, RightEye"),
    ('name = "Head"\nshare = 1.5', r"bones\[0\] \(Head\)\.share: 1\.5; expected a part of the "
                                   r"head turn in \(0, 1\]"),
    ('name = "LeftEye"\nshare = 0.5', r"share: given for an eye"),
    ('name = "LeftEye"\ndegrees = { roll = 5 }', r"degrees\.roll: unknown key 'roll'; expected "
                                                 r"one of yaw, pitch$"),
    ('name = "Head"\naxes = { yaw = "y" }', r"axes\.yaw: 'y'; expected one of \+x, -x"),
    ('name = "Head"\naxes = { yaw = "-x" }', r"axes: .*expected yaw, pitch and roll on three "
                                             r"different axes"),
    ('name = "Head"\nlimits = { yaw = [5, 10] }', r"limits\.yaw: \[5, 10\]; expected \[lo, hi\] "
                                                  r"in degrees with lo <= 0 <= hi"),
    ('name = "Head"\nposition = [0, 1]', r"position: \[0, 1\]; expected \[x, y, z\]"),
    ('name = "Head"\nspin = 1', r"spin: unknown key 'spin'"),
])  # fmt: skip
def test_bad_bones_name_the_file_bone_and_key(bones: str, pattern: str) -> None:
    with pytest.raises(RigError, match=r"^bad\.toml: (bones\[0\] \(\w+\)\.)?" + pattern):
        loads_rig(HEAD + "[[bones]]\n" + bones + "\n", source="bad.toml")


def test_head_shares_above_the_whole_turn_are_refused() -> None:
    text = HEAD + '[[bones]]\nname = "Neck"\nshare = 0.6\n[[bones]]\nname = "Head"\nshare = 0.6\n'
    with pytest.raises(RigError, match=r"^bad\.toml: bones: the head bones' shares add up to "
                                       r"1\.2; expected at most 1"):
        loads_rig(text, source="bad.toml")
    twice = HEAD + '[[bones]]\nname = "Head"\n[[bones]]\nname = "Head"\n'
    with pytest.raises(RigError, match=r"bones\[1\]\.name: 'Head' is given twice"):
        loads_rig(twice, source="bad.toml")


def test_rig_show_prints_the_bones() -> None:
    code, out, _ = run_cli("rig", "show", "vrm0")
    assert code == 0
    assert re.search(r"^bones \(4\):", out, re.MULTILINE)
    assert re.search(r"^  Neck +head AU51-56, share 0\.5; per unit yaw 45°, pitch 30°, roll 30°; "
                     r"limits yaw \[-22\.5, 22\.5\]°.*Unity axes yaw -y, pitch -x, roll \+z$",
                     out, re.MULTILINE)  # fmt: skip
    assert re.search(r"^  LeftEye +gaze AU61-64; per unit yaw 30°, pitch 25°", out, re.MULTILINE)
    code, out, _ = run_cli("rig", "show", "vrcft")
    assert "bones: none" in out


@pytest.mark.parametrize("head", [(20.0, 0.0, 10.0), (-30.0, 12.0, -8.0), (5.0, -25.0, 20.0)])
def test_neck_and_head_together_make_exactly_the_whole_rotation(
    head: tuple[float, float, float],
) -> None:
    """Shares split the rotation on its own axis: Neck * Head == the arkit52 Head (one bone)."""
    _, whole = load_rig("arkit52").bone_frame(au_of(head=head))
    _, split = load_rig("vrm0").bone_frame(au_of(head=head))
    neck, head_q = split[0].astype(np.float64), split[1].astype(np.float64)
    composed = unity_mul(neck, head_q)
    np.testing.assert_allclose(composed, whole[0], atol=2e-6)
    np.testing.assert_allclose(neck, head_q, atol=1e-6)  # half each, about the same axis


def unity_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    (ax, ay, az, aw), (bx, by, bz, bw) = a, b
    return np.array([aw * bx + ax * bw + ay * bz - az * by, aw * by - ax * bz + ay * bw + az * bx,
                     aw * bz + ax * by - ay * bx + az * bw, aw * bw - ax * bx - ay * by - az * bz])
