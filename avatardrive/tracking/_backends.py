"""Tracking backends: MediaPipe FaceLandmarker (Tasks API), recorded blendshapes.

A backend turns a :class:`VideoFrame` into an :class:`Observation` (or ``None`` when it finds no
face). MediaPipe is imported when a MediaPipe backend is made, never by ``import avatardrive``.

MediaPipe's C++ core writes a few INFO/WARNING lines to stderr when a graph starts (they are not
Python warnings); set ``GLOG_minloglevel=2`` in the environment before Python starts to hide them.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import sys
import threading
import weakref
from collections.abc import Iterator
from types import TracebackType
from typing import Any, Literal, Protocol, Self

import numpy as np
import numpy.typing as npt

from avatardrive._files import display_path
from avatardrive.errors import TrackingError
from avatardrive.tracking._arkit import ARKIT_NAMES, arkit_index
from avatardrive.tracking._estimate import Observation
from avatardrive.tracking._frames import VideoFrame, qt_environment_kept
from avatardrive.tracking._landmarks import pose_from_matrix
from avatardrive.tracking._model import MODEL_SHA256, find_model, sha256_of
from avatardrive.tracking._zoom import FaceZoom, ZoomParams

__all__ = [
    "Backend",
    "FaceLandmarkerBackend",
    "RecordedBlendshapes",
]

logger = logging.getLogger("avatardrive.tracking")

Float32Array = npt.NDArray[np.float32]
BackendKind = Literal["face", "blendshapes"]


class Backend(Protocol):
    """What the :class:`~avatardrive.tracking.Tracker` needs of a backend.

    ``name`` is stored in calibration files (``"facelandmarker"``, ``"livelink"``); ``kind``
    says what its observations hold and so which estimators can run on them: ``"face"``
    (landmarks, blendshapes and head pose) or ``"blendshapes"`` (recorded weights only).
    """

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def kind(self) -> BackendKind: ...

    def observe(self, frame: VideoFrame) -> Observation | None:
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
        with qt_environment_kept():  # mediapipe imports OpenCV
            import mediapipe  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise TrackingError(
            f"MediaPipe is not installed ({exc}); install the 'tracking' extra"
            f": pip install 'avatardrive[tracking]'"
        ) from None
    return mediapipe


def _image_of(frame: VideoFrame, backend: str) -> npt.NDArray[np.uint8]:
    if frame.image is None:
        raise TrackingError(f"the {backend} backend needs images; frame {frame.index} has none "
                            f"(recorded blendshapes go through RecordedBlendshapes)")
    image = frame.image
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise TrackingError(f"frame {frame.index}: image of shape {image.shape} and dtype "
                            f"{image.dtype}; expected (height, width, 3) uint8 RGB")
    return np.ascontiguousarray(image)


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


class FaceLandmarkerBackend(_Closing):
    """MediaPipe FaceLandmarker: 478 landmarks, 52 blendshapes and head pose in one inference.

    Parameters
    ----------
    model : str or path, optional
        A ``face_landmarker.task`` file; default: the cached official model (checked against its
        SHA-256; ``avatardrive models fetch`` puts it there).
    video : bool
        True (default) for frames of one stream (MediaPipe tracks between frames; frame times
        must increase), False for unrelated images.
    zoom : ZoomParams or None
        Follow a small face with a crop (a digital zoom), so that faces far from the camera are
        found and tracked (see :class:`FaceZoom`); ``None`` for full frames only.

    Raises
    ------
    TrackingError
        The file is missing, not a bundle, corrupt, or MediaPipe cannot load it.
    """

    name = "facelandmarker"
    kind: BackendKind = "face"

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        *,
        video: bool = True,
        zoom: ZoomParams | None = ZoomParams(),  # noqa: B008 - frozen dataclass
    ) -> None:
        path = find_model(model)
        mp = _mediapipe()
        self._mp = mp
        self.model = path
        digest = MODEL_SHA256 if model is None else sha256_of(path.read_bytes())
        self.version = f"mediapipe {mp.__version__}; {path.name} sha256 {digest[:16]}"
        self._video = video
        self._last_ms = -1
        self._landmarker: Any = _create_landmarker(mp, path, video=video)
        self._searcher: Any = None  # an IMAGE-mode landmarker for the zoom's search crops
        # MediaPipe's graphs are closed by close(), or else when this backend is collected or
        # Python exits (left to MediaPipe's own __del__ at exit they print a TypeError)
        self._graphs: list[Any] = [self._landmarker]
        self._finalizer = weakref.finalize(self, _close_graphs, self._graphs)
        _at_thread_exit(self._finalizer)
        self._zoom = None if zoom is None else FaceZoom(zoom)
        self._last_box: tuple[int, int, int, int] | None = None
        self._order: dict[str, int | None] = {}

    @property
    def zoom(self) -> FaceZoom | None:
        """The crop that follows a small face (``None`` when switched off)."""
        return self._zoom

    def observe(self, frame: VideoFrame) -> Observation | None:
        """Landmarks (pixels of the whole frame), blendshapes (ARKit order, the image's sides)
        and head pose of ``frame``'s face; ``None`` when there is none."""
        if self._landmarker is None:
            raise TrackingError("the facelandmarker backend is closed")
        pixels = _image_of(frame, self.name)
        stamp = max(round(frame.time * 1000.0), self._last_ms + 1)
        self._last_ms = stamp
        result, box = self._find(pixels, stamp)
        if result is None:
            return None
        landmarks, scores, matrix = result
        height, width = pixels.shape[:2]
        points = _to_frame(landmarks, box, width, height)
        if self._zoom is not None:
            self._zoom.found(points, pixels.shape)
        return Observation(landmarks=points, scores=scores,
                           head_pose=pose_from_matrix(matrix).astype(np.float32))

    def _find(
        self, pixels: npt.NDArray[np.uint8], stamp: int
    ) -> tuple[tuple[Any, Float32Array, Any] | None, tuple[int, int, int, int] | None]:
        """The landmarker's result for this frame and the crop it was found in (None: whole)."""
        zoom = self._zoom
        box = None if zoom is None else zoom.view(pixels.shape)
        result = self._detect(pixels, box, stamp)
        if result is None and self._video and box != self._last_box:
            # the view moved: video mode looked where the face was in the previous view, so
            # detect afresh in this one (video mode detects again from the next frame on)
            result = self._search(pixels, box)
        self._last_box = box
        if result is None and box is not None:  # the face left the crop: try the whole frame
            result, box = self._search(pixels, None), None
        if result is None and zoom is not None:
            search = zoom.search_box(pixels.shape)
            if search is not None:
                result, box = self._search(pixels, search), search
            if result is None:
                zoom.lost()
        return result, box

    def _detect(
        self, pixels: npt.NDArray[np.uint8], box: tuple[int, int, int, int] | None, stamp: int
    ) -> tuple[Any, Float32Array, Any] | None:
        image = self._image(pixels, box)
        if self._video:
            result = self._landmarker.detect_for_video(image, stamp)
        else:
            result = self._landmarker.detect(image)
        return self._unpack(result)

    def _search(
        self, pixels: npt.NDArray[np.uint8], box: tuple[int, int, int, int] | None
    ) -> tuple[Any, Float32Array, Any] | None:
        if self._searcher is None:
            self._searcher = _create_landmarker(self._mp, self.model, video=False)
            self._graphs.append(self._searcher)
        return self._unpack(self._searcher.detect(self._image(pixels, box)))

    def _image(self, pixels: npt.NDArray[np.uint8], box: tuple[int, int, int, int] | None) -> Any:
        if box is not None:
            x0, y0, x1, y1 = box
            pixels = np.ascontiguousarray(pixels[y0:y1, x0:x1])
        return self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=pixels)

    def _unpack(self, result: Any) -> tuple[Any, Float32Array, Any] | None:
        if not result.face_landmarks or not result.face_blendshapes:
            return None
        matrices = result.facial_transformation_matrixes
        matrix = np.asarray(matrices[0]) if matrices else np.eye(4)
        return result.face_landmarks[0], self._scores(result.face_blendshapes[0]), matrix

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

    def close(self) -> None:
        """Release MediaPipe's graphs (idempotent)."""
        self._finalizer()
        self._landmarker = self._searcher = None


def _at_thread_exit(hook: Any) -> None:
    """Run ``hook`` when Python exits, before the thread pools shut down.

    MediaPipe closes a graph through a thread pool, which ``concurrent.futures`` shuts down
    before ``atexit`` hooks run; ``threading``'s own exit hooks run earlier, last registered
    first. It is private API (CPython 3.9+), so fall back to ``atexit`` without it.
    """
    register = getattr(threading, "_register_atexit", None)
    try:
        if register is not None:
            register(hook)
            return
    except RuntimeError:  # already shutting down
        return
    atexit.register(hook)


def _close_graphs(graphs: list[Any]) -> None:
    with native_stderr_silenced():
        for graph in graphs:
            graph.close()
    graphs.clear()


def _to_frame(
    points: Any, box: tuple[int, int, int, int] | None, width: int, height: int
) -> Float32Array:
    """(478, 3) float32 pixels of the whole frame from landmarks normalized to ``box``."""
    x0, y0, x1, y1 = box if box is not None else (0, 0, width, height)
    array = np.array([(p.x, p.y, p.z) for p in points], dtype=np.float32)
    w, h = x1 - x0, y1 - y0
    array *= np.array([w, h, w], dtype=np.float32)
    array[:, 0] += x0
    array[:, 1] += y0
    return array


def _create_landmarker(mp: Any, path: Any, *, video: bool) -> Any:
    vision = mp.tasks.vision
    options = vision.FaceLandmarkerOptions(
        base_options=mp.tasks.BaseOptions(model_asset_path=str(path)),
        running_mode=vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE,
        num_faces=1,
        output_face_blendshapes=True,
        output_facial_transformation_matrixes=True,
    )
    try:
        with native_stderr_silenced():  # the graph's set-up logging
            return vision.FaceLandmarker.create_from_options(options)
    except (RuntimeError, ValueError, OSError) as exc:  # OSError: a member missing
        raise TrackingError(
            f"MediaPipe cannot load the model ({exc}); expected face_landmarker.task: run "
            f"`avatardrive models fetch`",
            source=display_path(path),
        ) from None

class RecordedBlendshapes(_Closing):
    """Backend for frames that already carry ARKit weights (a :class:`LiveLinkSource`).

    Frame ``shapes`` are matched to the ARKit names by ``shape_names`` (case-insensitive,
    ``_L``/``_R`` accepted); the recorded head pose is passed on.
    """

    name = "livelink"
    version = "1"
    kind: BackendKind = "blendshapes"

    def __init__(self) -> None:
        self._names: tuple[str, ...] | None = None
        self._index: npt.NDArray[np.intp] = np.zeros(0, dtype=np.intp)
        self._known: npt.NDArray[np.bool_] = np.zeros(0, dtype=bool)

    def observe(self, frame: VideoFrame) -> Observation | None:
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

    def close(self) -> None:
        """Nothing to release."""
