"""Frames and the frame-source interface; webcam, video file and image-folder sources.

Mirroring convention
--------------------
"Left" and "right" always mean the performer's own sides. In an **unmirrored** image (a photo, a
video from a camera, the raw frames of a webcam read through OpenCV) the performer faces the
camera, so the performer's left appears on the image's **right**. A **mirrored** image (a selfie
preview, a virtual camera with "mirror" switched on) shows the performer's left on the image's
left. Sources say which kind they deliver through ``mirrored``; the estimators use it to name the
sides (they never flip pixels). Every source defaults to ``mirrored=False``, because that is what
OpenCV delivers from a webcam and what cameras record; pass ``mirrored=True`` for a source that
mirrors.

Timing
------
Every frame carries ``time``, seconds since the source's first frame: ``index / fps`` for video
files and image folders, the recorded timecode for Live Link recordings, the capture clock for a
webcam. Replaying at the original pace is the caller's job (sources never sleep).
"""

from __future__ import annotations

import abc
import contextlib
import logging
import os
import re
import time as _time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from avatardrive._files import display_path
from avatardrive.errors import ParameterError, TrackingError

__all__ = [
    "IMAGE_SUFFIXES",
    "CameraInfo",
    "FrameSource",
    "ImageFolderSource",
    "VideoFrame",
    "VideoSource",
    "WebcamSource",
    "list_cameras",
]

logger = logging.getLogger("avatardrive.tracking")

#: File name endings an :class:`ImageFolderSource` reads (case-insensitive).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
_DEFAULT_WEBCAM_FPS = 30.0
_EXACT_COUNT_SUFFIXES = (".avi", ".mp4", ".m4v", ".mov")


@dataclass(frozen=True, eq=False)
class VideoFrame:
    """One frame from a source: an image, or recorded ARKit blendshape weights.

    Attributes
    ----------
    index : int
        Position in the source, from 0.
    time : float
        Seconds since the source's first frame.
    image : ndarray of uint8, shape (height, width, 3), or None
        RGB pixels (sources convert from OpenCV's BGR). ``None`` for recorded blendshapes.
    mirrored : bool
        True when the image is a mirror image (the performer's left on the image's left).
    shapes : ndarray of float32, shape (n_shapes,), or None
        Recorded blendshape weights (Live Link Face), named by ``shape_names``.
    shape_names : tuple of str, or None
        Names of ``shapes`` as the recording spells them, e.g. ``"MouthSmileLeft"``.
    head_pose : ndarray of float32, shape (3,), or None
        Recorded head (yaw, pitch, roll) in degrees, when the recording has it.
    """

    index: int
    time: float
    image: npt.NDArray[np.uint8] | None = None
    mirrored: bool = False
    shapes: npt.NDArray[np.float32] | None = None
    shape_names: tuple[str, ...] | None = None
    head_pose: npt.NDArray[np.float32] | None = None


# The former name, until tracking/_livelink.py (the lead's) imports VideoFrame; not exported.
Frame = VideoFrame


class FrameSource(abc.ABC):
    """The one interface of every frame source: ``open`` / ``read`` / ``close``.

    A source is a context manager (``with VideoSource(path) as source:`` opens and closes it).
    ``read()`` returns the next :class:`VideoFrame`, or ``None`` at the end of a finite source.

    Attributes
    ----------
    description : str
        What the source reads, for messages (a path, ``"webcam 0"``).
    fps : float
        Nominal frames per second (known after ``open``).
    mirrored : bool
        Whether frames are mirror images; copied into every frame.
    frame_index : int
        Position of the next frame in the source: frames read so far plus frames skipped
        because they do not decode (each skip is logged as a warning naming the frame).
    """

    description: str
    fps: float
    mirrored: bool
    frame_index: int

    def __init__(self, description: str, *, mirrored: bool, fps: float = 0.0) -> None:
        self.description = description
        self.mirrored = bool(mirrored)
        self.fps = fps
        self.frame_index = 0
        self._open = False

    @property
    def is_open(self) -> bool:
        """Whether ``open`` has succeeded and ``close`` has not been called since."""
        return self._open

    def open(self) -> Self:
        """Open the source (idempotent); raise :class:`TrackingError` if it cannot be used."""
        if not self._open:
            self._do_open()
            self._open = True
            self.frame_index = 0
        return self

    def read(self) -> VideoFrame | None:
        """The next frame, or ``None`` at the end of the source.

        Raises
        ------
        TrackingError
            The source is not open, or it fails (a camera stops, a video is truncated).
        """
        if not self._open:
            raise TrackingError("read() before open(); use 'with source:' or call open()",
                                source=self.description)
        frame = self._do_read()
        if frame is not None:
            self.frame_index += 1
        return frame

    def close(self) -> None:
        """Release the source (idempotent)."""
        if self._open:
            self._open = False
            self._do_close()

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @abc.abstractmethod
    def _do_open(self) -> None: ...

    @abc.abstractmethod
    def _do_read(self) -> VideoFrame | None: ...

    def _do_close(self) -> None:  # noqa: B027 - optional hook
        pass


_QT_VARIABLES = ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR")


@contextlib.contextmanager
def qt_environment_kept() -> Iterator[None]:
    """Undo what importing OpenCV does to Qt's environment.

    The ``opencv-contrib-python`` wheel (which mediapipe requires) points
    ``QT_QPA_PLATFORM_PLUGIN_PATH`` and ``QT_QPA_FONTDIR`` at its own Qt 5 plugins when ``cv2``
    is imported; PySide6 (Qt 6) would then fail to load its platform plugin. The variables are
    put back as they were (or removed) after the import.
    """
    saved = {name: os.environ.get(name) for name in _QT_VARIABLES}
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _cv2() -> Any:
    """OpenCV, imported on first use so that ``import avatardrive.tracking`` stays light."""
    try:
        with qt_environment_kept():
            import cv2
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise TrackingError(
            f"OpenCV is not installed ({exc}); install the 'tracking' extra: "
            f"pip install 'avatardrive[tracking]'"
        ) from None
    return cv2


@contextlib.contextmanager
def _opencv_silenced(cv2: Any) -> Iterator[None]:
    """OpenCV's own logging off for a moment (``cv2.utils.logging`` in OpenCV 5, top level
    before)."""
    logging_api: Any = getattr(getattr(cv2, "utils", None), "logging", None)
    api: Any = logging_api if hasattr(logging_api, "getLogLevel") else cv2
    level = api.getLogLevel()
    api.setLogLevel(0)
    try:
        yield
    finally:
        api.setLogLevel(level)


#: Largest image decoded (pixels): 8K by 8K. A 20,000 x 20,000 image would take 1.2 GB as BGR.
MAX_IMAGE_PIXELS = 8192 * 8192


def _check_image_size(path: Path, *, frame: int) -> None:
    """Refuse an image larger than :data:`MAX_IMAGE_PIXELS` from its header, before decoding."""
    from PIL import Image  # reads the header only; Pillow comes with the tracking extra

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
        size = f"{width} x {height} pixels"
    except Image.DecompressionBombError as exc:  # Pillow's own limit, far above ours
        pixels = re.search(r"\((\d+) pixels\)", str(exc))
        width, height = (int(pixels.group(1)) if pixels else MAX_IMAGE_PIXELS + 1), 1
        size = f"{width} pixels"
    except (OSError, ValueError):
        return  # not for Pillow to judge: OpenCV decodes it or says it does not decode
    if width * height > MAX_IMAGE_PIXELS:
        raise TrackingError(
            f"{size} is too large; expected at most {MAX_IMAGE_PIXELS} pixels (8192 x 8192): "
            f"scale the image down",
            source=display_path(path), where=f"frame {frame}",
        )


def _positive_fps(fps: float, what: str) -> float:
    value = float(fps)
    if not np.isfinite(value) or value <= 0.0:
        raise ParameterError(f"{what} is {fps!r}; expected a frame rate above 0")
    return value


def _to_rgb(cv2: Any, bgr: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    if bgr.ndim == 2:
        return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_GRAY2RGB))
    if bgr.shape[2] == 4:
        return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGRA2RGB))
    return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


class WebcamSource(FrameSource):
    """Live frames from a camera through OpenCV.

    Parameters
    ----------
    index : int
        OpenCV camera index.
    mirrored : bool
        Whether the camera delivers mirror images. OpenCV delivers a webcam's frames unmirrored
        (as a photo: the performer's left on the image's right), so the default is False.
    width, height : int, optional
        Requested capture size; the camera may pick another.
    fps : float, optional
        Requested frame rate; ``fps`` reports what the camera says (30 when it says nothing).
    clock : callable returning seconds
        Capture clock for frame times; ``time.monotonic`` by default.

    Raises
    ------
    TrackingError
        On ``open``: ``"no camera at index 0"``; on ``read``: the camera stopped delivering.
    """

    def __init__(
        self,
        index: int = 0,
        *,
        mirrored: bool = False,
        width: int | None = None,
        height: int | None = None,
        fps: float | None = None,
        clock: Callable[[], float] = _time.monotonic,
    ) -> None:
        super().__init__(f"webcam {index}", mirrored=mirrored)
        self.index = int(index)
        self._request = (width, height, None if fps is None else _positive_fps(fps, "fps"))
        self._clock = clock
        self._cap: Any = None
        self._t0 = 0.0

    def _do_open(self) -> None:
        cv2 = _cv2()
        with _opencv_silenced(cv2):  # OpenCV's warning about a missing device; we raise instead
            cap = cv2.VideoCapture(self.index)
            opened = bool(cap.isOpened())
        if not opened:
            cap.release()
            raise TrackingError(f"no camera at index {self.index}", source=self.description)
        width, height, fps = self._request
        if width:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        if height:
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        if fps:
            cap.set(cv2.CAP_PROP_FPS, fps)
        reported = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = reported if np.isfinite(reported) and reported > 0 else _DEFAULT_WEBCAM_FPS
        self._cap = cap
        self._t0 = self._clock()

    def _do_read(self) -> VideoFrame | None:
        ok, bgr = self._cap.read()
        now = self._clock() - self._t0
        if not ok or bgr is None:
            raise TrackingError(
                f"the camera stopped delivering frames after {self.frame_index}",
                source=self.description,
            )
        return VideoFrame(self.frame_index, now, _to_rgb(_cv2(), bgr), mirrored=self.mirrored)

    def _do_close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


@dataclass(frozen=True)
class CameraInfo:
    """A camera OpenCV can open: its index, what it delivers by default, and its name."""

    index: int
    width: int
    height: int
    fps: float
    name: str = ""

    def describe(self) -> str:
        """One line: ``0: HD Webcam (1280x720 at 30 fps)``."""
        label = f"{self.index}: {self.name}" if self.name else f"{self.index}:"
        rate = f" at {self.fps:g} fps" if self.fps > 0 else ""
        return f"{label} ({self.width}x{self.height}{rate})"


def _camera_name(index: int) -> str:
    """The device's name on Linux (``/sys/class/video4linux/video<N>/name``), else ``""``."""
    try:
        return Path(f"/sys/class/video4linux/video{index}/name").read_text().strip()
    except OSError:
        return ""


def list_cameras(*, max_index: int = 10) -> list[CameraInfo]:
    """The cameras OpenCV can open among indices ``0 .. max_index - 1`` (each is opened, read
    for its size and rate, and closed); ``[]`` when there are none."""
    cv2 = _cv2()
    found = []
    for index in range(max_index):
        with _opencv_silenced(cv2):
            cap = cv2.VideoCapture(index)
            try:
                if not cap.isOpened():
                    continue
                width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0)
                height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
                fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
            finally:
                cap.release()
        found.append(CameraInfo(index, width, height, fps if np.isfinite(fps) else 0.0,
                                _camera_name(index)))
    return found


class VideoSource(FrameSource):
    """Frames of a video file, decoded by OpenCV (FFmpeg).

    Frame ``i`` has time ``i / fps`` (constant frame rate). A frame that does not decode in the
    middle of the video is skipped with one warning naming it (the frames after it keep their
    times). A video whose decoding stops before
    the frame count its container declares is truncated or corrupt: ``read`` raises
    :class:`TrackingError` naming the frame where decoding stopped, after returning every frame
    before it (the caller keeps those). AVI, MP4 and QuickTime files store an exact count, so any
    shortfall is an error; other containers (Matroska, WebM, MPEG-TS) only let FFmpeg estimate it
    from the duration, so a shortfall of up to 2 frames or 1 % is accepted there.

    Parameters
    ----------
    path : str or path
        The video file.
    mirrored : bool
        Whether the video is a mirror image (see the module docstring).
    fps : float, optional
        Override the container's frame rate (for timing only).
    count_tolerance : int, optional
        Frames the decoded count may fall short of the declared count without an error
        (default: as described above).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        mirrored: bool = False,
        fps: float | None = None,
        count_tolerance: int | None = None,
    ) -> None:
        super().__init__(display_path(path), mirrored=mirrored)
        self.path = Path(path)
        self._fps_override = None if fps is None else _positive_fps(fps, "fps")
        self._tolerance = count_tolerance
        self.count_tolerance = 0
        self.declared_frames = 0
        self._cap: Any = None

    def _do_open(self) -> None:
        if not self.path.is_file():
            raise TrackingError("no such video file", source=self.description)
        cv2 = _cv2()
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            cap.release()
            raise TrackingError(
                "the video does not open (not a video, an unsupported codec, or its header "
                "is damaged)",
                source=self.description,
            )
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        if self._fps_override is not None:
            fps = self._fps_override
        if not np.isfinite(fps) or fps <= 0:
            cap.release()
            raise TrackingError("the video does not declare a frame rate; pass fps=",
                                source=self.description)
        self.fps = fps
        self.declared_frames = max(0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0))
        if self._tolerance is not None:
            self.count_tolerance = max(0, int(self._tolerance))
        elif self.path.suffix.lower() in _EXACT_COUNT_SUFFIXES:
            self.count_tolerance = 0
        else:
            self.count_tolerance = max(2, self.declared_frames // 100)
        self._cap = cap

    def _do_read(self) -> VideoFrame | None:
        first_bad: int | None = None
        while True:
            i = self.frame_index
            ok, bgr = self._cap.read()
            if ok and bgr is not None:
                if first_bad is not None:
                    _warn_skipped(self.description, first_bad, i - 1)
                return VideoFrame(i, i / self.fps, _to_rgb(_cv2(), bgr), mirrored=self.mirrored)
            if not self.declared_frames or i >= self.declared_frames - self.count_tolerance:
                break  # the end (or close enough to it, for an estimated count)
            first_bad = i if first_bad is None else first_bad
            self.frame_index += 1  # skip it: a later frame may decode
        if first_bad is not None:
            raise TrackingError(
                f"decoding stopped at frame {first_bad} of the {self.declared_frames} the "
                f"container declares; the file is truncated or corrupt (frames "
                f"0-{first_bad - 1} were read)",
                source=self.description,
                where=f"frame {first_bad}",
            )
        return None

    def _do_close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


def _warn_skipped(source: str, first: int, last: int) -> None:
    frames = f"frame {first} does" if first == last else f"frames {first}-{last} do"
    logger.warning("%s: %s not decode; skipped (the frames after it are read)", source, frames)


def _natural_key(path: Path) -> list[object]:
    return [int(part) if part.isdigit() else part.casefold()
            for part in re.split(r"(\d+)", path.name)]


class ImageFolderSource(FrameSource):
    """The images of one folder, in natural name order (``2.png`` before ``10.png``).

    Parameters
    ----------
    folder : str or path
        The folder; files ending in one of :data:`IMAGE_SUFFIXES` are read, others ignored.
    fps : float
        Frame rate that times the images: image ``i`` is at ``i / fps`` seconds.
    mirrored : bool
        Whether the images are mirror images.

    Raises
    ------
    TrackingError
        On ``open``: not a folder, or no images in it. An image that does not decode is
        skipped with a warning naming it; the images after it keep their times.
    """

    def __init__(
        self, folder: str | os.PathLike[str], *, fps: float, mirrored: bool = False
    ) -> None:
        super().__init__(display_path(folder), mirrored=mirrored,
                         fps=_positive_fps(fps, "fps"))
        self.folder = Path(folder)
        self.files: tuple[Path, ...] = ()

    def _do_open(self) -> None:
        if not self.folder.is_dir():
            raise TrackingError("not a folder; expected a folder of images",
                                source=self.description)
        files = [p for p in self.folder.iterdir()
                 if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
        if not files:
            raise TrackingError(
                f"no images in the folder; expected files ending in {', '.join(IMAGE_SUFFIXES)}",
                source=self.description,
            )
        self.files = tuple(sorted(files, key=_natural_key))

    def _do_read(self) -> VideoFrame | None:
        cv2 = _cv2()
        while (i := self.frame_index) < len(self.files):
            path = self.files[i]
            _check_image_size(path, frame=i)
            with _opencv_silenced(cv2):  # its own messages about the damage; ours follows
                bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if bgr is not None:
                return VideoFrame(i, i / self.fps, _to_rgb(cv2, bgr), mirrored=self.mirrored)
            logger.warning("%s: frame %d does not decode (not an image, or damaged); skipped",
                           display_path(path), i)
            self.frame_index += 1  # its time slot stays empty: later frames keep their times
        return None
