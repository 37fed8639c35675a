"""``avatardrive live`` / ``calibrate`` / ``models fetch`` end to end, on real images and files."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import FaceKit
from pythonosc.udp_client import SimpleUDPClient
from receivers import free_port, osc_receiver, values_of, wait_for

from avatardrive.curves import read_au_curves

cv2 = pytest.importorskip("cv2")
FPS = 30.0


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "avatardrive", *args]


def run(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cli(*args), capture_output=True, text=True, timeout=timeout, check=False)


def smile_video(face: FaceKit, path: Path, *, sides: str = "LR") -> np.ndarray:
    """1.2 s neutral (the calibration), a smile rising over 0.5 s, held 0.4 s, fading over 0.5 s,
    then 0.5 s neutral; returns the profile (0-1) per frame."""
    t = np.arange(int(3.1 * FPS)) / FPS

    def rise(u: np.ndarray) -> np.ndarray:
        u = np.clip(u, 0.0, 1.0)
        return u**3 * (10 - 15 * u + 6 * u * u)

    profile = rise((t - 1.2) / 0.5) - rise((t - 2.1) / 0.5)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (256, 256))
    for amount in profile:
        image = face.image if amount < 1e-3 else face.lift_corners(0.08 * amount, sides=sides)
        writer.write(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    writer.release()
    return profile


def test_live_video_record_follows_the_smile(face: FaceKit, tmp_path: Path) -> None:
    video, record = tmp_path / "smile.avi", tmp_path / "tracked.csv"
    profile = smile_video(face, video)
    done = run("live", "--video", str(video), "--record", str(record), "--fast")
    assert done.returncode == 0, done.stderr
    assert "calibrating the neutral on the first 1 s" in done.stdout
    curves = read_au_curves(record)
    assert curves.n_frames == len(profile) and curves.fps == FPS
    smile = (curves.column("AU12_L") + curves.column("AU12_R")) / 2
    assert smile[: int(1.2 * FPS)].max() < 0.1  # neutral while calibrating and before the smile
    assert smile.max() > 0.25  # FaceLandmarker follows about 60 % of the warp (README)
    assert 1.5 <= np.argmax(smile) / FPS <= 2.4
    assert smile[-5:].max() < 0.15  # and fades again
    assert np.corrcoef(smile, profile)[0, 1] > 0.85


def test_live_one_sided_smile_is_the_performers_side(face: FaceKit, tmp_path: Path) -> None:
    video, record = tmp_path / "left.avi", tmp_path / "tracked.npz"
    smile_video(face, video, sides="L")
    done = run("live", "--video", str(video), "--record", str(record), "--fast")
    assert done.returncode == 0, done.stderr
    curves = read_au_curves(record)
    assert curves.column("AU12_L").max() > 0.25
    assert curves.column("AU12_R").max() < 0.1
    mirrored = tmp_path / "mirrored.npz"  # the same video declared a mirror image: sides swap
    done = run("live", "--video", str(video), "--mirrored", "--record", str(mirrored), "--fast")
    assert done.returncode == 0, done.stderr
    flipped = read_au_curves(mirrored)
    assert flipped.column("AU12_R").max() > 0.25 and flipped.column("AU12_L").max() < 0.1


def test_live_link_csv_replays_with_its_timing_and_sides(tmp_path: Path) -> None:
    scene = tmp_path / "scene.toml"
    scene.write_text(
        "version = 1\nfps = 30\nduration = 3.0\n[blink]\nrate = 0\n[[events]]\n"
        "aus = { AU12_L = 0.8, AU1 = 0.5 }\nstart = 1.5\nonset = 0.3\napex = 0.6\noffset = 0.4\n"
        "style = 'posed'\n"
    )
    take, record = tmp_path / "take.csv", tmp_path / "tracked.csv"
    done = run("export", str(scene), "--format", "livelink-csv", "-o", str(take))
    assert done.returncode == 0, done.stderr
    began = time.monotonic()
    done = run("live", "--livelink", str(take), "--record", str(record),
               "--to", f"osc://127.0.0.1:{free_port()}")  # fmt: skip
    elapsed = time.monotonic() - began
    assert done.returncode == 0, done.stderr
    assert "tracked 90 frames (90 with a face)" in done.stdout
    assert re.search(r"in (2\.[89]\d|3\.\d\d) s", done.stdout), done.stdout  # original timing
    assert elapsed >= 2.8
    curves = read_au_curves(record)
    assert curves.fps == 30 and curves.n_frames == 90
    left, right = curves.column("AU12_L"), curves.column("AU12_R")
    assert left.max() > 0.5 and right.max() < 0.1  # mouthSmileLeft is the performer's left
    assert 1.7 <= np.argmax(left) / 30 <= 2.5
    assert curves.column("AU1_L").max() > 0.3  # browInnerUp comes back as AU1 on both sides
    assert abs(curves.column("AU1_L").max() - curves.column("AU1_R").max()) < 0.05


def test_calibrate_saves_a_neutral_that_live_uses(face: FaceKit, tmp_path: Path) -> None:
    video = tmp_path / "smile.avi"
    smile_video(face, video)
    neutral = tmp_path / "neutral.json"
    done = run("calibrate", "--video", str(video), "-o", str(neutral), "--performer", "Ada")
    assert done.returncode == 0, done.stderr
    data = json.loads(neutral.read_text())
    assert data["backend"] == "facelandmarker" and data["performer"] == "Ada"
    record = tmp_path / "tracked.csv"
    done = run("live", "--video", str(video), "--calibration", str(neutral), "--record",
               str(record), "--fast")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"using the neutral in {neutral}" in done.stdout
    smile = read_au_curves(record).column("AU12_L")
    assert smile[:10].max() < 0.1 and smile.max() > 0.25  # no capture phase: estimates at once


def test_no_face_gives_a_neutral_stream_and_one_warning(tmp_path: Path) -> None:
    folder = tmp_path / "blank"
    folder.mkdir()
    for i in range(12):
        cv2.imwrite(str(folder / f"{i}.png"), np.full((120, 160, 3), 90, dtype=np.uint8))
    record = tmp_path / "tracked.csv"
    done = run("live", "--images", str(folder), "--fps", "24", "--record", str(record), "--fast")
    assert done.returncode == 0, done.stderr
    assert "tracked 12 frames (0 with a face)" in done.stdout
    assert done.stderr.lower().count("no face") == 1
    curves = read_au_curves(record)
    assert curves.fps == 24 and not curves.values.any()


@pytest.mark.parametrize(
    ("make", "args", "pattern"),
    [
        (None, ("--camera", "7"), r"no camera at index 7"),
        ("video", ("--video", "{path}"), r"bad\.avi.*does not open"),
        ("folder", ("--images", "{path}"), r"empty.*(no images|empty)"),
        ("csv", ("--livelink", "{path}"), r"take\.csv.*(missing|column)"),
    ],
)
def test_bad_inputs_exit_2_with_one_line(
    tmp_path: Path, make: str | None, args: tuple[str, ...], pattern: str
) -> None:
    path = {"video": tmp_path / "bad.avi", "folder": tmp_path / "empty",
            "csv": tmp_path / "take.csv"}.get(make or "", tmp_path)  # fmt: skip
    if make == "video":
        path.write_bytes(b"not a video at all")
    elif make == "folder":
        path.mkdir()
    elif make == "csv":
        path.write_text("Timecode,BlendShapeCount,EyeBlinkLeft\n00:00:00:00.000,61,0.1\n")
    record = tmp_path / "out.csv"
    done = run("live", *(a.format(path=path) for a in args), "--record", str(record), "--fast")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert re.search(pattern, done.stderr, re.IGNORECASE), done.stderr
    assert not record.exists()


def test_calibration_from_another_backend_is_refused(face: FaceKit, tmp_path: Path) -> None:
    take = tmp_path / "take.csv"
    scene = tmp_path / "s.toml"
    scene.write_text("version = 1\nfps = 30\nduration = 2\n")
    assert run("export", str(scene), "-o", str(take)).returncode == 0
    neutral = tmp_path / "neutral.json"
    assert run("calibrate", "--livelink", str(take), "-o", str(neutral)).returncode == 0
    video = tmp_path / "v.avi"
    smile_video(face, video)
    done = run("live", "--video", str(video), "--calibration", str(neutral), "--fast")
    assert done.returncode == 2
    assert re.search(r"neutral\.json: backend: .*livelink.*expected facelandmarker", done.stderr)


def test_models_fetch_without_internet_says_where_to_get_the_file(tmp_path: Path) -> None:
    target = tmp_path / "face_landmarker.task"
    done = run("models", "fetch", "-o", str(target), timeout=120)
    if done.returncode == 0:  # a machine with internet: the file was fetched and checked
        assert target.stat().st_size > 1_000_000
        return
    assert done.returncode == 2
    assert "face_landmarker.task" in done.stderr and "download" in done.stderr
    assert not target.exists()


def test_control_emotions_layer_on_the_tracked_face(face: FaceKit, tmp_path: Path) -> None:
    video = tmp_path / "rest.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (256, 256))
    for _ in range(int(6 * FPS)):  # six seconds of a rest face
        writer.write(cv2.cvtColor(face.image, cv2.COLOR_RGB2BGR))
    writer.release()
    control = free_port()
    with osc_receiver() as (port, received):
        process = subprocess.Popen(
            cli("live", "--video", str(video), "--to", f"osc://127.0.0.1:{port}",
                "--control", str(control)),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            smile = "/avatardrive/mouthSmileLeft"
            assert wait_for(lambda: len(values_of(received, smile)) > 40, timeout=60)  # calibrated
            baseline = max(values_of(received, smile)[-10:])
            client = SimpleUDPClient("127.0.0.1", control)
            with contextlib.closing(client._sock):
                client.send_message("/avatardrive/emotion", ["happiness", 0.9, 0.3, 1.0, 0.5])
                assert wait_for(lambda: max(values_of(received, smile)[-3:]) > baseline + 0.5,
                                timeout=10)  # fmt: skip
        finally:
            out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        assert "tracked 180 frames (180 with a face)" in out
        assert values_of(received, smile)[-1] == 0.0  # the final neutral frame
