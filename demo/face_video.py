"""Make the demo's test-face video: the astronaut photo (scikit-image) smiling and fading.

    python demo/face_video.py demo-out/face.avi

MediaPipe FaceLandmarker finds the lip corners in the photo; each frame lifts them (and the cheeks a
little) with a smooth displacement field, following a rise-hold-fall profile, after a second of
rest face for the tracker's calibration. Written with OpenCV as MJPG.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
from skimage import data

from avatardrive.tracking import FaceLandmarkerBackend, VideoFrame

FPS = 30.0
SIZE = 256
CORNERS = (61, 291)  # lip corners in MediaPipe's mesh
LIFT = 0.08  # of the inter-ocular distance, at the apex


def face_image() -> np.ndarray:
    """The astronaut's face, 256 x 256 RGB."""
    return np.ascontiguousarray(data.astronaut()[0:SIZE, 97 : 97 + SIZE])


def profile(n: int) -> np.ndarray:
    """1.2 s rest, 0.5 s rise, 0.8 s hold, 0.6 s fall, rest (values 0-1 per frame)."""
    t = np.arange(n) / FPS

    def rise(u: np.ndarray) -> np.ndarray:
        u = np.clip(u, 0.0, 1.0)
        return u**3 * (10 - 15 * u + 6 * u * u)

    return rise((t - 1.2) / 0.5) - rise((t - 2.5) / 0.6)


def lifted(image: np.ndarray, corners: np.ndarray, *, lift: float, iod: float) -> np.ndarray:
    """The image with the corners moved up by ``lift`` (pixels), neighbours following smoothly."""
    ys, xs = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    sigma = 0.12 * iod
    dy = np.zeros_like(xs)
    for cx, cy in corners:
        dy += -lift * np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * sigma**2))
    return cv2.remap(image, xs, ys - dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def write_video(path: Path, *, seconds: float = 4.0) -> int:
    """Write the video; return its frame count."""
    image = face_image()
    with FaceLandmarkerBackend(video=False, zoom=None) as backend:
        observation = backend.observe(VideoFrame(0, 0.0, image))
    if observation is None or observation.landmarks is None:
        raise RuntimeError("FaceLandmarker found no face in the astronaut photo")
    mesh = observation.landmarks
    corners = mesh[list(CORNERS), :2]
    iod = float(np.linalg.norm(mesh[263, :2] - mesh[33, :2]))
    amounts = profile(round(seconds * FPS))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (SIZE, SIZE))
    try:
        for amount in amounts:
            frame = lifted(image, corners, lift=LIFT * iod * float(amount), iod=iod)
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    return len(amounts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", help="video file to write (.avi)")
    args = parser.parse_args()
    frames = write_video(Path(args.output))
    print(f"wrote {args.output}: {frames} frames at {FPS:g} fps")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
