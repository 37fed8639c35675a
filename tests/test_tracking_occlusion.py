"""A covered mouth relaxes to neutral instead of following the mouth MediaPipe invents; the rest
of the face keeps tracking. Real model, the astronaut's face, boxes and hands drawn over it."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from conftest import FaceKit

from avatardrive.errors import ParameterError
from avatardrive.facs import CHANNELS
from avatardrive.tracking import (
    FaceLandmarkerBackend,
    MouthOcclusion,
    OcclusionParams,
    Tracker,
    TrackResult,
    VideoFrame,
)
from avatardrive.tracking._occlusion import mouth_appearance

pytest.importorskip("mediapipe")
cv2 = pytest.importorskip("cv2")
FPS = 30.0


@pytest.fixture(scope="module")
def still() -> Iterator[FaceLandmarkerBackend]:
    with FaceLandmarkerBackend(video=False, zoom=None) as backend:
        yield backend


def appearance(backend: FaceLandmarkerBackend, image: np.ndarray) -> np.ndarray:
    observation = backend.observe(VideoFrame(0, 0.0, np.ascontiguousarray(image)))
    assert observation is not None and observation.landmarks is not None
    return mouth_appearance(image, observation.landmarks)


def degraded(face: FaceKit) -> dict[str, np.ndarray]:
    img = face.image
    rng = np.random.default_rng(4)
    _, jpeg = cv2.imencode(".jpg", img[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 20])
    return {
        "dark": (img * 0.4).astype(np.uint8),
        "bright": np.clip(img * 1.6, 0, 255).astype(np.uint8),
        "noise": np.clip(img + rng.normal(0, 30, img.shape), 0, 255).astype(np.uint8),
        "jpeg": np.ascontiguousarray(cv2.imdecode(jpeg, cv2.IMREAD_COLOR)[:, :, ::-1]),
        "smile": face.lift_corners(0.1),
        "frown": face.lift_corners(-0.06),
    }


def test_cover_is_told_from_light_noise_and_expressions(still: FaceLandmarkerBackend,
                                                        face: FaceKit) -> None:
    mouth = MouthOcclusion()
    mouth.add_reference(appearance(still, face.image))
    assert mouth.set_reference()
    for name, image in degraded(face).items():
        assert mouth.degree(appearance(still, image)) == 0.0, name
    assert mouth.degree(appearance(still, face.cover_mouth(skin=False))) == 1.0
    assert mouth.degree(appearance(still, face.cover_mouth(skin=True))) == 1.0


def au(result: TrackResult, *names: str) -> float:
    return max(float(result.au[CHANNELS.index(n)]) for n in names)


def run(tracker: Tracker, images: list[np.ndarray], start: float) -> list[TrackResult]:
    return [tracker.update(VideoFrame(round((start + k / FPS) * FPS), start + k / FPS, image))
            for k, image in enumerate(images)]


def test_a_covered_mouth_relaxes_while_the_brows_keep_tracking(face: FaceKit) -> None:
    frown = face.lift_corners(-0.06)
    brows_up = face.raise_brows(0.1)
    covered_brows = face.cover_mouth(skin=True, image=brows_up)
    with FaceLandmarkerBackend() as backend:
        tracker = Tracker(backend, calibrate_seconds=1.0)
        run(tracker, [face.image] * 31, 0.0)
        before = run(tracker, [frown] * 15, 1.1)[-1]
        boxed = run(tracker, [face.cover_mouth(skin=False)] * 15, 1.6)
        hand = run(tracker, [covered_brows] * 15, 2.1)
        after = run(tracker, [frown] * 30, 2.6)[-1]  # release: time constant 0.3 s
    assert au(before, "AU15_L", "AU15_R") > 0.3 and before.mouth_covered < 0.05
    # uncovered, a box read AU15 1.0; covered, the mouth relaxes within a few frames
    assert max(au(r, "AU15_L", "AU15_R") for r in boxed[5:]) < 0.05
    assert min(r.mouth_covered for r in boxed[5:]) > 0.9
    assert max(r.au[[CHANNELS.index(f"AU{n}_{s}") for n in (12, 15, 20, 25, 26) for s in "LR"]]
               .max() for r in hand[5:]) < 0.05
    assert au(hand[-1], "AU1_L") > 0.3 and au(hand[-1], "AU2_R") > 0.3  # brows still tracked
    assert au(after, "AU15_L", "AU15_R") > 0.3 and after.mouth_covered < 0.05  # back again


def test_with_a_given_calibration_the_reference_is_taken_from_the_first_second(
    face: FaceKit,
) -> None:
    with FaceLandmarkerBackend() as backend:
        first = Tracker(backend, calibrate_seconds=0.5)
        run(first, [face.image] * 20, 0.0)
        assert first.calibration is not None
    with FaceLandmarkerBackend() as backend:
        tracker = Tracker(backend, calibration=first.calibration, calibrate_seconds=0.5)
        start = run(tracker, [face.image] * 20, 0.0)
        boxed = run(tracker, [face.cover_mouth(skin=False)] * 15, 0.7)
    assert all(r.mouth_covered == 0.0 for r in start)
    assert boxed[-1].mouth_covered > 0.9 and au(boxed[-1], "AU15_L", "AU15_R") < 0.05


def test_occlusion_params_are_checked() -> None:
    with pytest.raises(ParameterError, match=r"OcclusionParams\.texture is \(0\.2, 0\.5\); "
                                             r"expected \(start, full\) with start > full"):
        OcclusionParams(texture=(0.2, 0.5))
    with pytest.raises(ParameterError, match=r"OcclusionParams\.release is -1\.0"):
        OcclusionParams(release=-1.0)
