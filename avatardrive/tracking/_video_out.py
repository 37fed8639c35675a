"""Writing frames to a video file with OpenCV: the counterpart of :class:`VideoSource`.

Video files are this layer's business because OpenCV is (DESIGN.md: only ``tracking`` imports it).
The file is written beside its target under a temporary name and renamed over it when closed
without error, so a failed or interrupted write never leaves a half-written video.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from avatardrive._files import display_path
from avatardrive.errors import ParameterError, TrackingError
from avatardrive.tracking._frames import _cv2

__all__ = ["VIDEO_CODECS", "VideoWriter"]

#: Suffix -> the FourCC OpenCV writes it with (built into every opencv-python wheel).
VIDEO_CODECS = {".mp4": "mp4v", ".avi": "MJPG"}
_CHANNELS = {"rgb": 3, "bgr": 3, "bgra": 4}


class VideoWriter:
    """Writes RGB frames of one size to an ``.mp4`` (MPEG-4 part 2) or ``.avi`` (MJPG) file.

    Use as a context manager: leaving the block without an error puts the file in place; an error
    removes it.

    Parameters
    ----------
    path : path-like
        ``.mp4`` or ``.avi``, in an existing folder.
    fps : float
        Frame rate written into the file.
    size : (int, int)
        Width and height of every frame, in pixels (even numbers: codecs want them).

    Raises
    ------
    ParameterError
        For an unknown suffix, a missing folder, an odd size or a bad frame rate.
    TrackingError
        When OpenCV is missing or cannot open a writer.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, fps: float, size: tuple[int, int]
    ) -> None:
        self.path = Path(path)
        source = display_path(path)
        codec = VIDEO_CODECS.get(self.path.suffix.lower())
        if codec is None:
            raise ParameterError(f"video {source!r} has suffix {self.path.suffix or '(none)'!r}; "
                                 f"expected one of {', '.join(VIDEO_CODECS)}")  # fmt: skip
        if not math.isfinite(fps) or fps <= 0.0:
            raise ParameterError(f"video frame rate {fps!r}; expected a number above 0")
        width, height = size
        if width <= 0 or height <= 0 or width % 2 or height % 2:
            raise ParameterError(f"video size {width}x{height}; expected even sides above 0")
        folder = self.path.parent
        if not folder.resolve().is_dir():
            raise ParameterError(f"folder {str(folder)!r} of {source!r} does not exist")
        self.size = (width, height)
        self.frames = 0
        cv2 = _cv2()
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=self.path.suffix,
                                   dir=folder)  # fmt: skip
        os.close(fd)
        self._tmp = Path(tmp)
        self._writer: Any = cv2.VideoWriter(
            str(self._tmp), cv2.VideoWriter_fourcc(*codec), float(fps), (width, height)
        )
        if not self._writer.isOpened():
            self._discard()
            raise TrackingError(f"OpenCV cannot write {codec} video", source=source)

    def write(self, image: npt.NDArray[np.uint8], *, order: str = "rgb") -> None:
        """Append one frame: uint8, shape (height, width, channels), channels in ``order``.

        ``order`` is ``"rgb"``, ``"bgr"`` (OpenCV's own: no conversion) or ``"bgra"`` (4
        channels, e.g. the memory of a Qt ``RGB32`` image: converted by OpenCV, fast).
        """
        width, height = self.size
        channels = _CHANNELS.get(order)
        if channels is None:
            raise ParameterError(f"channel order {order!r}; expected one of "
                                 f"{', '.join(_CHANNELS)}")  # fmt: skip
        if image.shape != (height, width, channels) or image.dtype != np.uint8:
            raise ParameterError(f"video frame of shape {image.shape} and type {image.dtype}; "
                                 f"expected ({height}, {width}, {channels}) uint8")  # fmt: skip
        cv2 = _cv2()
        if order == "rgb":
            image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
        elif order == "bgra":
            image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
        self._writer.write(image)
        self.frames += 1

    def close(self) -> None:
        """Finish the file and put it in place."""
        if self._writer is None:
            return
        self._writer.release()
        self._writer = None
        os.replace(self._tmp, self.path)

    def _discard(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        with contextlib.suppress(FileNotFoundError):
            self._tmp.unlink()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:  # fmt: skip
        if kind is None:
            self.close()
        else:
            self._discard()
