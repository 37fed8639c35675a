"""``avatardrive recognize``: timelines, curve files, OpenFace takes and videos read as emotions."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from conftest import FaceKit, run_cli

from avatardrive.curves import Curves, read_curves, write_curves
from avatardrive.facs import CHANNELS
from avatardrive.synth import EMOTIONS, READOUT_NAMES

HEADER = "time,neutral,happiness,sadness,surprise,fear,anger,disgust,contempt,valence,arousal"


def top_at(table: Curves, time: float) -> str:
    row = table.values[round((time - table.start) * table.fps)]
    return EMOTIONS[int(np.argmax(row[: len(EMOTIONS)]))]


def test_a_timeline_reads_as_its_emotions_in_time(tmp_path: Path) -> None:
    timeline, output = tmp_path / "take.toml", tmp_path / "emotions.csv"
    timeline.write_text(
        'version = 1\nfps = 50\nseed = 2\n[blink]\nrate = 20\n'
        '[[events]]\nemotion = "sadness"\nstart = 1.0\napex = 1.5\n'
        '[[events]]\nemotion = "contempt"\nstart = 4.5\nintensity = 0.6\napex = 1.0\n',
        encoding="utf-8",
    )
    code, out, err = run_cli("recognize", str(timeline), "-o", str(output))
    assert code == 0, err
    assert err == ""  # a timeline has every channel: nothing to warn about
    wrote = (r"wrote .*emotions\.csv: \d+ frames at 50 fps; most probable — "
             r"neutral [\d.]+ s, sadness [\d.]+ s, contempt [\d.]+ s\n")
    assert re.fullmatch(wrote, out)
    assert output.read_text(encoding="utf-8").splitlines()[0] == HEADER
    table = read_curves(output)
    assert table.names == READOUT_NAMES and table.fps == 50
    np.testing.assert_allclose(table.values[:, : len(EMOTIONS)].sum(axis=1), 1.0, atol=1e-4)
    assert top_at(table, 0.5) == "neutral"
    assert top_at(table, 2.2) == "sadness"
    assert top_at(table, 5.3) == "contempt"
    assert table.values[int(2.2 * 50), READOUT_NAMES.index("valence")] < -0.5


def test_felt_and_no_smoothing_options(tmp_path: Path) -> None:
    timeline, output = tmp_path / "smile.toml", tmp_path / "emotions.csv"
    timeline.write_text('version = 1\nseed = 1\n[blink]\nrate = 0\n[[events]]\nemotion = '
                        '"happiness"\nstart = 0.5\nstyle = "posed"\napex = 1.0\n',
                        encoding="utf-8")  # fmt: skip
    code, _, err = run_cli("recognize", str(timeline), "-o", str(output), "--felt")
    assert code == 0, err
    table = read_curves(output)
    assert table.names == (*READOUT_NAMES, "felt")
    felt = table.values[:, -1]
    assert felt[: int(0.5 * 60)].max() == 0.0 and felt.max() > 0.9  # canonical 6+12: felt
    raw_output = tmp_path / "raw.csv"
    code, _, err = run_cli("recognize", str(timeline), "-o", str(raw_output), "--no-smoothing")
    assert code == 0, err
    raw = read_curves(raw_output)
    happiness = READOUT_NAMES.index("happiness")
    onset = int(np.argmax(raw.values[:, happiness] > 0.5))
    assert table.values[onset, happiness] < raw.values[onset, happiness]  # smoothing lags


def test_a_curve_file_without_some_rule_channels_warns_once(tmp_path: Path) -> None:
    keep = [c for c in CHANNELS if not c.startswith(("AU23_", "AU16_", "AU22_"))]
    values = np.zeros((120, len(keep)), dtype=np.float32)
    for name in ("AU4_L", "AU4_R", "AU7_L", "AU7_R", "AU5_L", "AU5_R"):
        values[40:100, keep.index(name)] = 0.7
    source, output = tmp_path / "partial.csv", tmp_path / "out.npz"
    write_curves(Curves(values, fps=60.0, names=keep), source)
    code, _, err = run_cli("recognize", str(source), "-o", str(output))
    assert code == 0, err
    lines = err.splitlines()
    assert len(lines) == 1
    assert re.fullmatch(r"avatardrive: warning: .*partial\.csv: 6 channels the emotion rules "
                        r"read are not in this curves input \(AU16, AU22, AU23\); they read as "
                        r"absent", lines[0])  # fmt: skip
    table = read_curves(output)
    assert top_at(table, 1.2) == "anger"  # brows and lids still read as anger without AU23


def test_an_openface_take_reads_its_smile(tmp_path: Path) -> None:
    aus = ("AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU12", "AU14",
           "AU15", "AU17", "AU20", "AU23", "AU25", "AU26", "AU45")  # fmt: skip
    lines = ["frame, face_id, timestamp, confidence, success, "
             + ", ".join(f"{au}_r" for au in aus)]  # fmt: skip
    for i in range(75):
        smile = 4.0 if 25 <= i < 60 else 0.0
        cells = [3.0 * smile / 4 if au == "AU06" else smile if au == "AU12" else 0.0 for au in aus]
        lines.append(f"{i + 1}, 0, {i / 25:.3f}, 0.98, 1, " + ", ".join(f"{c:.2f}" for c in cells))
    take, output = tmp_path / "take.csv", tmp_path / "emotions.csv"
    take.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _, err = run_cli("recognize", str(take), "-o", str(output))
    assert code == 0, err
    assert "this openface input (AU11, AU16, AU22, AU24, AU27, AU28, AU43)" in err
    table = read_curves(output)
    assert table.fps == 25
    assert top_at(table, 0.4) == "neutral"
    assert top_at(table, 1.8) == "happiness"
    assert table.values[int(1.8 * 25), READOUT_NAMES.index("happiness")] > 0.9


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    code, _, err = run_cli("recognize", str(tmp_path / "nope.toml"), "-o",
                           str(tmp_path / "x.csv"))  # fmt: skip
    assert code == 2 and len(err.splitlines()) == 1 and err.startswith("avatardrive: error:")
    timeline = tmp_path / "t.toml"
    timeline.write_text('version = 1\n[[events]]\nemotion = "joy"\nstart = 0\n', encoding="utf-8")
    code, _, err = run_cli("recognize", str(timeline), "-o", str(tmp_path / "x.txt"))
    assert code == 2 and re.search(r"suffix '\.txt'; expected one of \.csv", err)
    code, _, err = run_cli("recognize", str(tmp_path / "missing.mp4"), "-o",
                           str(tmp_path / "x.csv"))  # fmt: skip
    assert code == 2 and len(err.splitlines()) == 1 and "missing.mp4" in err


cv2 = pytest.importorskip("cv2")


def test_a_video_reads_neutral_then_happy(face: FaceKit, tmp_path: Path) -> None:
    from test_live import FPS, smile_video

    video, output = tmp_path / "smile.avi", tmp_path / "emotions.csv"
    profile = smile_video(face, video)
    code, out, err = run_cli("recognize", str(video), "-o", str(output))
    assert code == 0, err
    assert err == ""
    assert "calibrating the neutral on the first 1 s" in out
    table = read_curves(output)
    assert len(table.values) == len(profile) and table.fps == FPS
    happiness = table.values[:, READOUT_NAMES.index("happiness")]
    assert table.values[: int(1.2 * FPS), 0].min() > 0.9  # neutral while calibrating
    peak = int(np.argmax(profile))
    assert happiness[peak - 3 : peak + 4].max() > 0.7
    assert top_at(table, peak / FPS) == "happiness"


def test_a_folder_of_images_reads_through_the_tracker(face: FaceKit, tmp_path: Path) -> None:
    folder, output = tmp_path / "frames", tmp_path / "emotions.json"
    folder.mkdir()
    smile = face.lift_corners(0.08)
    for i in range(60):  # 1.5 s of rest face (the calibration), then 0.5 s of smile at 30 fps
        image = face.image if i < 45 else smile
        cv2.imwrite(str(folder / f"f{i:03d}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    code, _, err = run_cli("recognize", str(folder), "-o", str(output), "--fps", "30")
    assert code == 0, err
    table = read_curves(output)
    assert len(table.values) == 60 and table.fps == 30
    assert top_at(table, 1.0) == "neutral"
    assert top_at(table, 59 / 30) == "happiness"


def test_a_video_with_no_face_reads_neutral_with_one_warning(tmp_path: Path) -> None:
    video, output = tmp_path / "wall.avi", tmp_path / "emotions.csv"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (128, 128))
    rng = np.random.default_rng(0)
    for _ in range(20):
        writer.write(rng.integers(90, 110, (128, 128, 3), dtype=np.uint8))
    writer.release()
    code, _, err = run_cli("recognize", str(video), "-o", str(output))
    assert code == 0, err
    assert re.fullmatch(r"avatardrive: warning: .*wall\.avi: no face was found in any of its 20 "
                        r"frames; the read-out is neutral throughout\n", err)  # fmt: skip
    table = read_curves(output)
    assert len(table.values) == 20
    np.testing.assert_allclose(table.values[:, 0], 1.0)
