"""Tracking options of ``avatardrive live`` end to end: a frame that does not decode, the
estimator choice, the camera listing."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import FaceKit

from avatardrive.curves import read_au_curves

cv2 = pytest.importorskip("cv2")
FPS = 30


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "avatardrive", *args], capture_output=True,
                          text=True, timeout=180, check=False)


def smile_folder(face: FaceKit, folder: Path, *, sides: str = "LR", broken: int | None = None,
                 ) -> int:
    """1 s of rest face, then 1 s of a 0.08 IOD smile, as numbered PNGs; ``broken``: that
    image is replaced by bytes that do not decode. Returns the number of files."""
    folder.mkdir()
    smile = face.lift_corners(0.08, sides=sides)
    frames = [face.image] * FPS + [smile] * FPS
    for i, image in enumerate(frames):
        path = folder / f"{i:03d}.png"
        if i == broken:
            path.write_bytes(b"\x89PNG\r\n\x1a\n not really")
        else:
            cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return len(frames)


def test_a_broken_image_mid_folder_is_skipped_and_the_run_goes_on(
    face: FaceKit, tmp_path: Path
) -> None:
    folder, record = tmp_path / "take", tmp_path / "tracked.csv"
    n = smile_folder(face, folder, broken=40)
    done = run("live", "--images", str(folder), "--record", str(record), "--fast")
    assert done.returncode == 0, done.stderr
    assert f"tracked {n - 1} frames ({n - 1} with a face)" in done.stdout
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert re.fullmatch(r".*040\.png: frame 40 does not decode \(not an image, or damaged\); "
                        r"skipped", lines[0])
    smile = read_au_curves(record).column("AU12_L")
    assert len(smile) == n - 1 and smile[-10:].min() > 0.2


@pytest.mark.parametrize("estimator", ["fused", "geometric", "learned"])
def test_each_estimator_reads_a_one_sided_smile(face: FaceKit, tmp_path: Path,
                                                estimator: str) -> None:
    folder, record = tmp_path / "take", tmp_path / "tracked.npz"
    smile_folder(face, folder, sides="L")
    done = run("live", "--images", str(folder), "--estimator", estimator, "--record",
               str(record), "--fast")
    assert done.returncode == 0, done.stderr
    curves = read_au_curves(record)
    rest, smile = curves.values[20:FPS], curves.values[-10:]
    left, right = curves.names.index("AU12_L"), curves.names.index("AU12_R")
    assert rest.max() < 0.1  # neutral after calibration, for every estimator
    assert smile[:, left].mean() > 0.15
    if estimator != "learned":  # the learned path leaks a one-sided smile to the other side
        assert smile[:, right].mean() < 0.05
    assert np.isfinite(curves.values).all()


def test_estimator_needing_landmarks_is_refused_for_live_link(tmp_path: Path) -> None:
    take = tmp_path / "take.csv"
    scene = tmp_path / "s.toml"
    scene.write_text("version = 1\nfps = 30\nduration = 1\n")
    assert run("export", str(scene), "--format", "livelink-csv", "-o", str(take)).returncode == 0
    done = run("live", "--livelink", str(take), "--estimator", "fused", "--fast")
    assert done.returncode == 2
    assert re.fullmatch(r"avatardrive: error: --estimator fused needs landmarks; a Live Link "
                        r"recording has blendshapes only: use --estimator learned \(its "
                        r"default\)\n", done.stderr)


def test_list_cameras() -> None:
    done = run("live", "--list-cameras")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    # this machine has no camera; a machine with one lists "0: name (640x480 at 30 fps)"
    assert lines == ["no cameras found (OpenCV indices 0-9)"] or all(
        re.fullmatch(r"\d+:( .+)? \(\d+x\d+( at [\d.]+ fps)?\)", line) for line in lines)
