"""Faces far from the camera: a crop that follows a small face (real model, real images)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FaceKit

from avatardrive.errors import ParameterError
from avatardrive.facs import CHANNELS
from avatardrive.tracking import FaceLandmarkerBackend, FaceZoom, Tracker, VideoFrame, ZoomParams
from avatardrive.tracking._zoom import search_tiles

pytest.importorskip("mediapipe")
cv2 = pytest.importorskip("cv2")
WIDTH, HEIGHT = 1280, 720


def far(face: FaceKit, image: np.ndarray, fraction: float, x: int = 800) -> np.ndarray:
    """``image`` scaled so that the eye corners are ``fraction`` of a 720p frame's width."""
    scale = fraction * WIDTH / face.iod
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    canvas = np.full((HEIGHT, WIDTH, 3), (96, 104, 112), dtype=np.uint8)
    y = HEIGHT // 2 - small.shape[0] // 2
    canvas[y:y + small.shape[0], x:x + small.shape[1]] = small
    return canvas


def smile_at(face: FaceKit, fraction: float, *, zoom: ZoomParams | None) -> tuple[int, float,
                                                                                  float]:
    """(frames with a face of 69, highest AU at rest after calibration, mean AU12 smiling)."""
    rest, smile = far(face, face.image, fraction), far(face, face.lift_corners(0.08), fraction)
    images = [rest] * 45 + [smile] * 24
    with FaceLandmarkerBackend(zoom=zoom) as backend:
        tracker = Tracker(backend, calibrate_seconds=1.0)
        results = [tracker.update(VideoFrame(k, k / 30, image)) for k, image in enumerate(images)]
    au12 = [CHANNELS.index("AU12_L"), CHANNELS.index("AU12_R")]
    return (sum(r.face_found for r in results), max(r.au.max() for r in results[36:45]),
            float(np.mean([r.au[au12].mean() for r in results[-8:]])))


def test_a_face_at_4_percent_of_720p_is_tracked_through_the_zoom(face: FaceKit) -> None:
    found, rest, smile = smile_at(face, 0.04, zoom=ZoomParams())
    assert found >= 64  # found within the first few frames (tile search), then every frame
    assert rest < 0.1 and smile > 0.2


def test_without_the_zoom_a_face_at_4_percent_is_not_found(face: FaceKit) -> None:
    found, _, _ = smile_at(face, 0.04, zoom=None)
    assert found == 0


def test_the_zoom_follows_a_moving_face_and_lets_go_of_a_near_one(face: FaceKit) -> None:
    with FaceLandmarkerBackend(zoom=ZoomParams(small=0.08)) as backend:  # lets go above 0.112
        boxes, found = [], 0
        for k, x in enumerate(range(300, 900, 30)):  # drifting right, 30 px a frame
            observation = backend.observe(VideoFrame(k, k / 30, far(face, face.image, 0.04, x)))
            found += observation is not None
            boxes.append(backend.zoom.box if backend.zoom else None)
        assert found >= len(boxes) - 4
        assert boxes[-1] is not None and boxes[-1][0] > 500  # the crop moved with the face
        big = far(face, face.image, 0.13, 300)
        for k in range(3):
            assert backend.observe(VideoFrame(100 + k, (100 + k) / 30, big)) is not None
        assert backend.zoom is not None and backend.zoom.box is None  # a near face: full frame


def test_search_tiles_cover_the_frame() -> None:
    tiles = search_tiles(WIDTH, HEIGHT, 0.6)
    assert tiles[0] == (424, 144, 856, 576)  # the centre first
    covered = np.zeros((HEIGHT, WIDTH), dtype=bool)
    for x0, y0, x1, y1 in tiles:
        assert x1 - x0 == y1 - y0 == 432 and x0 >= 0 and x1 <= WIDTH and y1 <= HEIGHT
        covered[y0:y1, x0:x1] = True
    assert covered.all()
    zoom = FaceZoom()
    assert zoom.search_box((240, 320, 3)) is None  # too small a frame to search in tiles
    assert ZoomParams(small=0.1).margin == 6.0
    with pytest.raises(ParameterError, match=r"ZoomParams\.margin is 0; expected > 0"):
        ZoomParams(margin=0)
