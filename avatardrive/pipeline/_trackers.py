"""Building a tracker for a recorded input without a command line: backend, source, tracker.

:class:`TrackerOptions` holds what ``avatardrive live`` takes as options (backend model,
calibration, filter, mirrored, image-folder frame rate) as plain data that pickles, so a batch
worker on another machine can build the same tracker. :func:`track_file` tracks one video or
image folder into a curve file exactly as ``avatardrive live --video FILE --record OUT --fast``
does: one row per input frame, the tracked AU frame before any trigger.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from avatardrive.errors import ParameterError, TrackingError
from avatardrive.pipeline._record import CurveRecorder
from avatardrive.tracking import (
    Calibration,
    FaceLandmarkerBackend,
    FrameSource,
    ImageFolderSource,
    Tracker,
    VideoSource,
    load_calibration,
)

__all__ = ["DEFAULT_IMAGE_FPS", "TrackedFile", "TrackerOptions", "track_file"]

#: Frame rate of an image folder when none is given (as ``live --images``).
DEFAULT_IMAGE_FPS = 30.0
#: Frame rate recorded when a source does not know its own (as ``live --record``).
_FALLBACK_FPS = 30.0

ImageBackend = FaceLandmarkerBackend


@dataclass(frozen=True)
class TrackerOptions:
    """How to track recorded video: the options of ``avatardrive live`` as data.

    Attributes
    ----------
    model : str or None
        Another ``face_landmarker.task``; ``None``: the cached official model.
    calibration : str or None
        A neutral saved by ``avatardrive calibrate``, used for every input; ``None``: each input
        calibrates on its first ``calibrate_seconds`` (or its first frame when that is 0).
    calibrate_seconds : float
        Span of the neutral capture at the start of each input.
    filtered : bool
        Smooth the estimates (``False`` is ``live --no-filter``).
    mirrored : bool
        The images are mirror images.
    image_fps : float
        Frame rate of image folders.
    """

    model: str | None = None
    calibration: str | None = None
    calibrate_seconds: float = 1.0
    filtered: bool = True
    mirrored: bool = False
    image_fps: float = DEFAULT_IMAGE_FPS

    def __post_init__(self) -> None:
        if not self.calibrate_seconds >= 0.0:
            raise ParameterError(
                f"calibrate_seconds is {self.calibrate_seconds!r}; expected 0 or more seconds"
            )
        if not self.image_fps > 0.0:
            raise ParameterError(f"image_fps is {self.image_fps!r}; expected a positive rate")

    def open_backend(self) -> ImageBackend:
        """A new backend for image input (MediaPipe loads here)."""
        return FaceLandmarkerBackend(self.model)

    def load_calibration(self, backend: ImageBackend) -> Calibration | None:
        """The saved neutral, checked against ``backend``; ``None`` when there is none."""
        if self.calibration is None:
            return None
        return load_calibration(self.calibration, backend=backend.name)

    def tracker(self, backend: ImageBackend, *, calibration: Calibration | None = None) -> Tracker:
        """A fresh tracker on ``backend`` (its filter and calibration capture start anew).

        ``calibration`` defaults to :meth:`load_calibration`; pass one to avoid rereading it.
        """
        neutral = self.load_calibration(backend) if calibration is None else calibration
        if self.filtered:
            return Tracker(backend, calibration=neutral, calibrate_seconds=self.calibrate_seconds)
        return Tracker(backend, calibration=neutral, calibrate_seconds=self.calibrate_seconds,
                       filter=None)  # fmt: skip

    def open_source(self, path: str | os.PathLike[str]) -> FrameSource:
        """An open source for a video file or a folder of images.

        Raises
        ------
        TrackingError
            The file is not a video that decodes, or the folder holds no images.
        """
        source: FrameSource
        if Path(path).is_dir():
            source = ImageFolderSource(path, fps=self.image_fps, mirrored=self.mirrored)
        else:
            source = VideoSource(path, mirrored=self.mirrored)
        source.open()
        return source


@dataclass(frozen=True)
class TrackedFile:
    """What :func:`track_file` did: frames read and frames with a face."""

    frames: int
    faces: int


def track_file(
    source: FrameSource,
    tracker: Tracker,
    output: str | os.PathLike[str],
    *,
    should_stop: Callable[[], bool] | None = None,
) -> TrackedFile:
    """Track every frame of ``source`` and write the AU curves to ``output`` as they come.

    The result is the file ``avatardrive live --record OUT --fast`` writes for the same input
    and options, byte for byte. Memory stays flat: frames go to a scratch file beside
    ``output`` (:class:`CurveRecorder`), and nothing is left behind when tracking fails.

    Parameters
    ----------
    source
        An open source (closed by the caller).
    tracker
        A fresh tracker.
    output
        ``.csv``, ``.npz`` or ``.json`` file.
    should_stop
        Asked between frames; ``True`` aborts (``KeyboardInterrupt``, nothing written).

    Raises
    ------
    TrackingError
        The input ends before its first frame, or a frame does not decode.
    KeyboardInterrupt
        ``should_stop`` said so.
    """
    fps = source.fps if source.fps > 0 else _FALLBACK_FPS
    faces = 0
    with CurveRecorder(output, fps=fps) as recorder:
        while (frame := source.read()) is not None:
            if should_stop is not None and should_stop():
                raise KeyboardInterrupt("batch stopped")
            result = tracker.update(frame)
            recorder.write(result.au)
            faces += int(result.face_found)
        frames = recorder.frames
        if frames == 0:
            raise TrackingError("no frames were read; nothing to record",
                                source=source.description)  # fmt: skip
    return TrackedFile(frames, faces)
