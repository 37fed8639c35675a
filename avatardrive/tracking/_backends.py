"""Tracking backends: MediaPipe FaceMesh, MediaPipe FaceLandmarker, recorded blendshapes.

A backend turns a :class:`Frame` into an :class:`Observation` (or ``None`` when it finds no
face). MediaPipe is imported when a MediaPipe backend is made, never by ``import avatardrive``.

MediaPipe's C++ core writes a few INFO/WARNING lines to stderr when a graph starts (they are not
Python warnings); set ``GLOG_minloglevel=2`` in the environment before Python starts to hide them.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Protocol, Self

import numpy as np
import numpy.typing as npt

from avatardrive._files import display_path
from avatardrive.errors import TrackingError
from avatardrive.tracking._arkit import ARKIT_NAMES, arkit_index
from avatardrive.tracking._estimate import Observation
from avatardrive.tracking._frames import Frame

__all__ = [
    "MODEL_URL",
    "Backend",
    "FaceLandmarkerBackend",
    "FaceMeshBackend",
    "RecordedBlendshapes",
    "check_model_file",
    "fetch_model",
]

logger = logging.getLogger("avatardrive.tracking")

#: The official MediaPipe FaceLandmarker bundle (float16, version 1), with blendshapes.
MODEL_URL = (
    "https://storage.googleapis.com/mediapipe-models/face_landmarker/face_landmarker/"
    "float16/1/face_landmarker.task"
)
_BLENDSHAPE_MEMBER = "face_blendshapes.tflite"
_MAX_MODEL_BYTES = 64 * 1024 * 1024

Float32Array = npt.NDArray[np.float32]


class Backend(Protocol):
    """What the :class:`~avatardrive.tracking.Tracker` needs of a backend.

    ``name`` is stored in calibration files (``"facemesh"``, ``"blendshape"``, ``"livelink"``);
    ``kind`` picks the estimator: ``"landmarks"`` or ``"blendshapes"``.
    """

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def kind(self) -> Literal["landmarks", "blendshapes"]: ...

    def observe(self, frame: Frame) -> Observation | None:
        """What the backend sees in ``frame``; ``None`` when there is no face."""
        ...

    def close(self) -> None: ...


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for a moment.

    MediaPipe's C++ side (absl, glog, TFLite) logs its graph set-up straight to fd 2, and only an
    environment variable set before Python starts would stop it. Python's own ``sys.stderr`` is
    flushed first and works again afterwards; keep the silenced span to the set-up calls.
    """
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 (a detached process): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _mediapipe() -> Any:
    try:
        import mediapipe  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise TrackingError(
            f"MediaPipe is not installed ({exc}); install the 'tracking' extra "
            f"(see the README for the lean install of mediapipe 0.10.21)"
        ) from None
    return mediapipe


def _image_of(frame: Frame, backend: str) -> npt.NDArray[np.uint8]:
    if frame.image is None:
        raise TrackingError(f"the {backend} backend needs images; frame {frame.index} has none "
                            f"(recorded blendshapes go through RecordedBlendshapes)")
    image = frame.image
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise TrackingError(f"frame {frame.index}: image of shape {image.shape} and dtype "
                            f"{image.dtype}; expected (height, width, 3) uint8 RGB")
    return np.ascontiguousarray(image)


# A NormalizedLandmark serialized by protobuf, when x, y and z are set and nothing else, is 17
# bytes: tag 0x0A, length 15, then tag 0x0D + float32 x, tag 0x15 + y, tag 0x1D + z.
_WIRE_SIZE = 17
_WIRE_TAGS = ((0, 0x0A), (1, 15), (2, 0x0D), (7, 0x15), (12, 0x1D))  # (offset, byte)


def _mesh_array(landmark_list: Any, width: int, height: int) -> Float32Array:
    """(n, 3) float32 pixels of a NormalizedLandmarkList, parsed from its wire bytes.

    Reading 478 protobuf messages attribute by attribute costs about 0.5 ms; the wire bytes
    parse in a few tens of microseconds. Anything unexpected falls back to the slow path.
    """
    n = len(landmark_list.landmark)
    data = landmark_list.SerializeToString()
    if len(data) == _WIRE_SIZE * n and all(
        data[at::_WIRE_SIZE] == bytes((tag,)) * n for at, tag in _WIRE_TAGS
    ):
        xyz: npt.NDArray[Any] = np.ndarray((n, 3), dtype="<f4", buffer=data, offset=3,
                                           strides=(_WIRE_SIZE, 5))  # protobuf: little-endian
        scaled = xyz * np.array([width, height, width], dtype=np.float32)
        return scaled.astype(np.float32, copy=False)
    return _points_array(landmark_list.landmark, width, height)


def _points_array(points: Any, width: int, height: int) -> Float32Array:
    array = np.array([(p.x, p.y, p.z) for p in points], dtype=np.float32)
    return array * np.array([width, height, width], dtype=np.float32)


class _Closing:
    def close(self) -> None:  # pragma: no cover - overridden
        pass

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class FaceMeshBackend(_Closing):
    """MediaPipe FaceMesh (478 landmarks with iris refinement), the default offline backend.

    Its models ship inside the mediapipe 0.10.21 wheel; nothing is downloaded.

    Parameters
    ----------
    static_image_mode : bool
        True to detect the face afresh in every frame (unrelated photos); False (default) to
        track it from frame to frame (video, webcam), which is faster and steadier.
    refine_landmarks : bool
        Iris and refined eye/lip contours (478 points instead of 468).
    min_detection_confidence, min_tracking_confidence : float
        MediaPipe's thresholds.
    """

    name = "facemesh"
    kind: Literal["landmarks", "blendshapes"] = "landmarks"

    def __init__(
        self,
        *,
        static_image_mode: bool = False,
        refine_landmarks: bool = True,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
    ) -> None:
        mp = _mediapipe()
        self.version = f"mediapipe {mp.__version__}"
        with native_stderr_silenced():
            self._mesh: Any = mp.solutions.face_mesh.FaceMesh(
                static_image_mode=static_image_mode,
                max_num_faces=1,
                refine_landmarks=refine_landmarks,
                min_detection_confidence=min_detection_confidence,
                min_tracking_confidence=min_tracking_confidence,
            )
        self._started = False

    def observe(self, frame: Frame) -> Observation | None:
        """Landmarks of the face in ``frame``, in pixels, or ``None`` when there is none."""
        if self._mesh is None:
            raise TrackingError("the facemesh backend is closed")
        image = _image_of(frame, self.name)
        if self._started:
            result = self._mesh.process(image)
        else:  # the graph starts on the first frame, logging its set-up from C++
            with native_stderr_silenced():
                result = self._mesh.process(image)
            self._started = True
        faces = result.multi_face_landmarks
        if not faces:
            return None
        height, width = image.shape[:2]
        return Observation(landmarks=_mesh_array(faces[0], width, height))

    def reset(self) -> None:
        """Forget the face tracked so far, as a new backend would (the next input is unrelated).

        Restarts MediaPipe's graph run (about 1 ms) without loading the models again.
        """
        if self._mesh is None:
            raise TrackingError("the facemesh backend is closed")
        with native_stderr_silenced():
            self._mesh.reset()
        self._started = False

    def close(self) -> None:
        """Release MediaPipe's graph (idempotent)."""
        if self._mesh is not None:
            with native_stderr_silenced():
                self._mesh.close()
            self._mesh = None


def check_model_file(path: str | os.PathLike[str]) -> Path:
    """Check that ``path`` looks like a FaceLandmarker bundle with blendshapes.

    A ``.task`` file is a zip archive of TFLite models; this checks that it exists, is a readable
    zip (CRCs included) and holds ``face_blendshapes.tflite``. Whether MediaPipe can load it is
    checked when a :class:`FaceLandmarkerBackend` is made.

    Raises
    ------
    TrackingError
        Naming the file and where to get a good one.
    """
    source = display_path(path)
    file = Path(path)
    hint = f"download face_landmarker.task with fetch_model() or from {MODEL_URL}"
    if not file.is_file():
        raise TrackingError(f"model file not found; {hint}", source=source)
    if not zipfile.is_zipfile(file):
        raise TrackingError(f"not a MediaPipe .task bundle (not a zip archive); {hint}",
                            source=source)
    try:
        with zipfile.ZipFile(file) as bundle:
            members = set(bundle.namelist())
            broken = bundle.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise TrackingError(f"the .task bundle is corrupt ({exc}); {hint}", source=source) from None
    if broken is not None:
        raise TrackingError(f"the .task bundle is corrupt (member {broken!r} fails its "
                            f"checksum); {hint}", source=source)
    if _BLENDSHAPE_MEMBER not in members:
        raise TrackingError(f"the bundle has no {_BLENDSHAPE_MEMBER}; expected the "
                            f"FaceLandmarker bundle with blendshapes: {hint}", source=source)
    return file


class FaceLandmarkerBackend(_Closing):
    """MediaPipe FaceLandmarker: 478 landmarks and 52 blendshapes, from a ``.task`` model file.

    Parameters
    ----------
    model : str or path
        ``face_landmarker.task`` (see :func:`fetch_model`).
    video : bool
        True (default) for frames of one stream (MediaPipe tracks and filters between frames;
        frame times must increase), False for unrelated images.

    Raises
    ------
    TrackingError
        The file is missing, not a bundle, corrupt, or MediaPipe cannot load it.
    """

    name = "blendshape"
    kind: Literal["landmarks", "blendshapes"] = "blendshapes"

    def __init__(self, model: str | os.PathLike[str], *, video: bool = True) -> None:
        path = check_model_file(model)
        mp = _mediapipe()
        self._mp = mp
        self.model = path
        self.version = f"mediapipe {mp.__version__}; {path.name} sha256 {_sha256(path)[:16]}"
        self._video = video
        self._last_ms = -1
        self._landmarker: Any = _create_landmarker(mp, path, video=video)
        self._order: dict[str, int | None] = {}

    def observe(self, frame: Frame) -> Observation | None:
        """Blendshapes (ARKit order, image's sides) and landmarks of ``frame``'s face."""
        if self._landmarker is None:
            raise TrackingError("the blendshape backend is closed")
        pixels = _image_of(frame, self.name)
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=pixels)
        if self._video:
            stamp = max(round(frame.time * 1000.0), self._last_ms + 1)
            self._last_ms = stamp
            result = self._landmarker.detect_for_video(image, stamp)
        else:
            result = self._landmarker.detect(image)
        if not result.face_landmarks or not result.face_blendshapes:
            return None
        height, width = pixels.shape[:2]
        return Observation(
            landmarks=_points_array(result.face_landmarks[0], width, height),
            scores=self._scores(result.face_blendshapes[0]),
        )

    def _scores(self, categories: Any) -> Float32Array:
        scores = np.zeros(len(ARKIT_NAMES), dtype=np.float32)
        for category in categories:
            name = category.category_name
            if name not in self._order:
                self._order[name] = arkit_index(name)
            k = self._order[name]
            if k is not None:
                scores[k] = category.score
        return scores

    def reset(self) -> None:
        """Forget the face tracked so far, as a new backend would (the next input is unrelated).

        In video mode the landmarker is made again from the (already checked) model file: the
        Tasks API has no other way to restart its tracking and clock.
        """
        if self._landmarker is None:
            raise TrackingError("the blendshape backend is closed")
        if self._video:
            with native_stderr_silenced():
                self._landmarker.close()
            self._landmarker = None
            self._landmarker = _create_landmarker(self._mp, self.model, video=True)
        self._last_ms = -1

    def close(self) -> None:
        """Release MediaPipe's graph (idempotent)."""
        if self._landmarker is not None:
            with native_stderr_silenced():
                self._landmarker.close()
            self._landmarker = None


def _create_landmarker(mp: Any, path: Path, *, video: bool) -> Any:
    vision = mp.tasks.vision
    options = vision.FaceLandmarkerOptions(
        base_options=mp.tasks.BaseOptions(model_asset_path=str(path)),
        running_mode=vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE,
        num_faces=1,
        output_face_blendshapes=True,
    )
    try:
        with native_stderr_silenced():  # the graph's set-up logging, as for FaceMesh
            return vision.FaceLandmarker.create_from_options(options)
    except (RuntimeError, ValueError) as exc:
        raise TrackingError(
            f"MediaPipe cannot load the model ({exc}); expected face_landmarker.task from "
            f"{MODEL_URL}",
            source=display_path(path),
        ) from None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class RecordedBlendshapes(_Closing):
    """Backend for frames that already carry ARKit weights (a :class:`LiveLinkSource`).

    Frame ``shapes`` are matched to the ARKit names by ``shape_names`` (case-insensitive,
    ``_L``/``_R`` accepted); the recorded head pose is passed on.
    """

    name = "livelink"
    version = "1"
    kind: Literal["landmarks", "blendshapes"] = "blendshapes"

    def __init__(self) -> None:
        self._names: tuple[str, ...] | None = None
        self._index: npt.NDArray[np.intp] = np.zeros(0, dtype=np.intp)
        self._known: npt.NDArray[np.bool_] = np.zeros(0, dtype=bool)

    def observe(self, frame: Frame) -> Observation | None:
        """The frame's recorded weights in ARKit order (a recording always has a face)."""
        if frame.shapes is None or frame.shape_names is None:
            raise TrackingError(f"frame {frame.index} has no recorded blendshapes; the "
                                f"livelink backend replays Live Link Face recordings")
        if frame.shape_names is not self._names:
            self._names = frame.shape_names
            found = [arkit_index(name) for name in frame.shape_names]
            self._known = np.array([k is not None for k in found], dtype=bool)
            self._index = np.array([k for k in found if k is not None], dtype=np.intp)
        scores = np.zeros(len(ARKIT_NAMES), dtype=np.float32)
        scores[self._index] = np.asarray(frame.shapes, dtype=np.float32)[self._known]
        return Observation(scores=scores, head_pose=frame.head_pose)

    def reset(self) -> None:
        """Nothing to forget: every recorded frame stands alone."""

    def close(self) -> None:
        """Nothing to release."""


def fetch_model(
    dest: str | os.PathLike[str],
    *,
    url: str = MODEL_URL,
    sha256: str | None = None,
    timeout: float = 60.0,
) -> Path:
    """Download the FaceLandmarker model to ``dest`` and verify it.

    The download goes to a temporary file beside ``dest``; it becomes ``dest`` only after it
    passes :func:`check_model_file`, the ``sha256`` check when one is given, and a trial load by
    MediaPipe. (Third-party notes give the official float16/1 bundle as 3,758,596 bytes with
    SHA-256 ``64184e22...e0bc9ff``; pass it as ``sha256`` to pin it.)

    Parameters
    ----------
    dest : str or path
        Where to store the model, e.g. ``"face_landmarker.task"``.
    url : str
        Where to download it from (default: the official bundle, :data:`MODEL_URL`).
    sha256 : str, optional
        Expected SHA-256 (hex) of the file.
    timeout : float
        Seconds to wait for the server.

    Returns
    -------
    Path
        ``dest``.

    Raises
    ------
    TrackingError
        No connection (the message says where to get the file by hand), or the download fails
        verification; ``dest`` is left untouched either way.
    """
    target = Path(dest)
    source = display_path(dest)
    data = _download(url, timeout=timeout, source=source)
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256.lower():
        raise TrackingError(f"the download from {url} does not have the expected SHA-256 "
                            f"{sha256}", source=source)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".task",
                               dir=target.parent if str(target.parent) else ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        checked = check_model_file(tmp)
        _create_landmarker(_mediapipe(), checked, video=False).close()
        os.replace(tmp, target)
    except TrackingError as exc:
        raise TrackingError(f"the download from {url} is not a usable model: {exc.message}",
                            source=source) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    logger.info("%s: FaceLandmarker model saved (%d bytes)", source, len(data))
    return target


def _download(url: str, *, timeout: float, source: str) -> bytes:
    manual = (f"without internet, download {MODEL_URL} on a connected machine and pass the "
              f"file's path")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data: bytes = response.read(_MAX_MODEL_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TrackingError(f"cannot download the model from {url} ({reason}); {manual}",
                            source=source) from None
    if len(data) > _MAX_MODEL_BYTES:
        raise TrackingError(f"the download from {url} is larger than "
                            f"{_MAX_MODEL_BYTES} bytes; expected a model of a few MB",
                            source=source)
    return data
