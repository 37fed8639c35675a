"""Head pose and gaze in and out of recorded takes: Live Link Face CSV and OpenFace CSV.

Fixtures are written here from the documented formats (PROTOCOLS.md); the real takes in
../shared/data are checked when present.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli

from avatardrive._shapes import LIVE_LINK_ROTATIONS, LIVE_LINK_SHAPES
from avatardrive.facs import GAZE_AXES, HEAD_AXES, angles_from_channels
from avatardrive.tracking._takes import read_take_curves

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
if not DATA.is_dir():
    DATA = Path("/work/shared/data")


def livelink_take(path: Path, rows: list[dict[str, float]]) -> Path:
    """A Live Link Face CSV at 60 fps with the given shape and rotation values (others 0)."""
    header = ["Timecode", "BlendShapeCount", *LIVE_LINK_SHAPES, *LIVE_LINK_ROTATIONS]
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        for k, row in enumerate(rows):
            cells = [row.get(name, 0.0) for name in header[2:]]
            writer.writerow([f"10:00:00:{k:02d}.000", 61, *cells])
    return path


def test_live_link_head_and_eyes_become_head_and_gaze_channels(tmp_path: Path) -> None:
    # Live Link's signs: yaw + = the performer's own right, pitch + = down (radians)
    rows = [{"HeadYaw": math.radians(-20), "HeadPitch": math.radians(-9),
             "HeadRoll": math.radians(6), "LeftEyeYaw": math.radians(12),
             "RightEyeYaw": math.radians(8), "LeftEyePitch": math.radians(10),
             "RightEyePitch": math.radians(10), "LeftEyeRoll": 0.3}] * 6  # fmt: skip
    curves = read_take_curves(livelink_take(tmp_path / "take.csv", rows), kind="livelink")
    head = angles_from_channels(curves.values, HEAD_AXES)
    gaze = angles_from_channels(curves.values, GAZE_AXES)
    np.testing.assert_allclose(head, [[20.0, 9.0, 6.0]] * len(head), atol=1e-3)
    np.testing.assert_allclose(gaze, [[-10.0, -10.0]] * len(gaze), atol=1e-3)


def test_live_link_export_then_import_keeps_head_and_eyes(tmp_path: Path) -> None:
    scene = tmp_path / "scene.toml"
    scene.write_text(
        "version = 1\nfps = 60\nduration = 2\n[blink]\nrate = 0\n"
        "[[events]]\naus = { AU51 = 0.4, AU54 = 0.3, AU56 = 0.2, AU62 = 0.5, AU63 = 0.6 }\n"
        "start = 0.2\nonset = 0.3\napex = 0.8\noffset = 0.4\nstyle = 'posed'\n"
    )
    out = tmp_path / "take.csv"
    code, _, err = run_cli("export", str(scene), "-o", str(out))
    assert code == 0, err
    with out.open() as file:
        table = list(csv.DictReader(file))
    peak = table[70]  # inside the apex
    assert float(peak["HeadYaw"]) == pytest.approx(-math.radians(0.4 * 45), abs=1e-6)
    assert float(peak["HeadPitch"]) == pytest.approx(math.radians(0.3 * 30), abs=1e-6)
    assert float(peak["HeadRoll"]) == pytest.approx(-math.radians(0.2 * 30), abs=1e-6)
    assert float(peak["LeftEyeYaw"]) == float(peak["RightEyeYaw"]) == pytest.approx(
        math.radians(0.5 * 30), abs=1e-6)
    assert float(peak["LeftEyePitch"]) == pytest.approx(-math.radians(0.6 * 25), abs=1e-6)
    code, _, err = run_cli("render", str(scene), "-o", str(tmp_path / "au.npz"))
    assert code == 0, err
    from avatardrive.curves import read_curves

    original = read_curves(tmp_path / "au.npz")
    back = read_take_curves(out, kind="livelink")
    assert back.n_frames == original.n_frames
    for axes in (HEAD_AXES, GAZE_AXES):
        np.testing.assert_allclose(angles_from_channels(back.values, axes),
                                   angles_from_channels(original.values, axes), atol=1e-3)


def openface_take(path: Path, rows: list[tuple[float, float, float, float, float]]) -> Path:
    """OpenFace FeatureExtraction columns (padded ', '): pose_R* and gaze_angle_* in radians."""
    header = ["frame", "face_id", "timestamp", "confidence", "success", "gaze_angle_x",
              "gaze_angle_y", "pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry", "pose_Rz",
              "AU12_r"]  # fmt: skip
    lines = [", ".join(header)]
    for k, (rx, ry, rz, gx, gy) in enumerate(rows):
        cells = [k + 1, 0, k * 0.04, 0.98, 1, gx, gy, 0, 0, 500, rx, ry, rz, 0.0]
        lines.append(", ".join(f"{c:g}" for c in cells))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_openface_pose_and_gaze_become_head_and_gaze_channels(tmp_path: Path) -> None:
    # chin down 10°, nose toward the image's left (own right) 20°, own-left side down 5°;
    # world gaze 5° toward the image's right and 15° down
    rad = math.radians
    row = (rad(10), rad(20), rad(5), rad(5), rad(15))
    curves = read_take_curves(openface_take(tmp_path / "of.csv", [row] * 5), kind="openface")
    head = angles_from_channels(curves.values, HEAD_AXES)
    gaze = angles_from_channels(curves.values, GAZE_AXES)
    np.testing.assert_allclose(head, [[-20.0, -10.0, 5.0]] * len(head), atol=1e-3)
    # eyes in the head: world gaze minus the head's turn
    np.testing.assert_allclose(gaze, [[25.0, -5.0]] * len(gaze), atol=1e-3)


@pytest.mark.skipif(not (DATA / "llf_sentien_MySlate_24_iPhone14_4.csv").exists(),
                    reason="the shared real takes are not here")  # fmt: skip
def test_real_takes_read_with_plausible_head_and_gaze() -> None:
    take = read_take_curves(DATA / "llf_sentien_MySlate_24_iPhone14_4.csv", kind="livelink")
    head = angles_from_channels(take.values, HEAD_AXES)
    gaze = angles_from_channels(take.values, GAZE_AXES)
    # recorded HeadYaw -0.18..+0.25 rad: about 14° one way and 10° the other, never clipped
    assert -16 < head[:, 0].min() < -12 and 8 < head[:, 0].max() < 12
    assert gaze[:, 1].mean() < -5  # the performer mostly looks down (eye pitch > 0 in the take)
    # head and eyes turn together in this take's gaze shifts
    assert np.corrcoef(head[:, 0], gaze[:, 0])[0, 1] > 0.8
    laugh = read_take_curves(DATA / "openface_SMYLE_AD_YAMV_MV_laugh.csv", kind="openface")
    pitch = angles_from_channels(laugh.values, HEAD_AXES)[:, 1]
    assert (pitch < -15).all()  # pose_Rx 0.34..0.41 rad: the head bent down 20-23°
