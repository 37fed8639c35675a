"""Shared fixtures: a real face (``skimage.data.astronaut()``), its mesh, and warps of it.

The tracking tests need MediaPipe, OpenCV and scikit-image (the ``tracking`` extra plus
scikit-image); they are skipped where those are not installed.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from faces import FaceKit, Image, astronaut_face

#: Real receivers (oscdump) and port helpers, as fixtures for every test module.
pytest_plugins = ("receivers",)


@pytest.fixture(scope="session")
def astronaut() -> Image:
    """The astronaut photo cropped to 256 x 256 around the face (RGB)."""
    pytest.importorskip("skimage.data")
    return astronaut_face()


@pytest.fixture(scope="session")
def face_model() -> Path:
    """The real FaceLandmarker model in the user's cache, fetched and verified if missing
    (``make test`` fetches it first; a failure here fails the test, it never skips)."""
    pytest.importorskip("mediapipe")
    from avatardrive.cli._cmd_models import fetch_face_model

    path, _ = fetch_face_model()
    return path


@pytest.fixture(scope="session")
def face(astronaut: Image, face_model: Path) -> FaceKit:
    """The astronaut's face with its mesh (one FaceLandmarker run, shared by all tests)."""
    pytest.importorskip("cv2")
    from avatardrive.tracking import FaceLandmarkerBackend, VideoFrame

    with FaceLandmarkerBackend(video=False, zoom=None) as backend:
        observation = backend.observe(VideoFrame(0, 0.0, astronaut))
    assert observation is not None and observation.landmarks is not None
    return FaceKit(astronaut, observation.landmarks)


def run_cli(*argv: str) -> tuple[int, str, str]:
    """Run the command line in-process: (exit code, stdout, stderr)."""
    from avatardrive.cli._main import main

    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def qt() -> Any:
    """pyqtgraph and Qt, with an off-screen QApplication; skipped (or failed under CI) if absent."""
    from avatardrive.errors import AvatarDriveError
    from avatardrive.views._plot_qt import application, load_qt

    try:
        loaded = load_qt()
    except AvatarDriveError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the gui extra must be installed under CI: {error}")
        pytest.skip(f"the gui extra is not installed: {error}")
    application(loaded, offscreen=True)
    return loaded
