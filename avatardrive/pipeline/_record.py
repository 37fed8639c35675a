"""Recording a session's AU frames to disk as it runs, so memory stays flat however long it is.

Frames go to a raw float32 scratch file beside the target as they arrive (a curve file's header
needs the frame count, unknown until the end); at the end the scratch file is copied chunk by
chunk through :class:`~avatardrive.curves.CurveWriter` (CSV, NPZ or JSON by suffix), which renames
it into place. An aborted recording leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from types import TracebackType

import numpy as np
from numpy.typing import NDArray

from avatardrive._files import display_path
from avatardrive.curves import CURVE_SUFFIXES, CurveWriter
from avatardrive.errors import CurveError
from avatardrive.facs import CHANNELS, N_CHANNELS

__all__ = ["CurveRecorder"]

FloatArray = NDArray[np.float32]
_CHUNK_FRAMES = 65_536  # frames copied from the scratch file at a time while finishing


class CurveRecorder:
    """Write AU frames one at a time; :meth:`close` makes the curve file.

    Parameters
    ----------
    path : str or path
        Target ``.csv``, ``.npz`` or ``.json`` file.
    fps : float
        Frame rate the rows are written at (row ``i`` is at ``i / fps`` seconds).
    """

    def __init__(self, path: str | os.PathLike[str], *, fps: float) -> None:
        target = Path(path)
        if target.suffix.lower() not in CURVE_SUFFIXES:
            raise CurveError(f"suffix {target.suffix or '(none)'!r}; expected one of "
                             f"{', '.join(CURVE_SUFFIXES)}", source=display_path(path))  # fmt: skip
        self.path = target
        self.fps = fps
        self.frames = 0
        fd, scratch = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".raw",
                                       dir=target.parent or ".")  # fmt: skip
        self._scratch = Path(scratch)
        self._file = os.fdopen(fd, "wb")
        self._row = np.zeros(N_CHANNELS, dtype=np.float32)

    @property
    def bytes_written(self) -> int:
        """Bytes of frames written to the scratch file so far."""
        return self.frames * N_CHANNELS * 4

    def write(self, frame: FloatArray) -> None:
        """Append one AU frame, shape (N_CHANNELS,); NaN becomes 0, values are clipped to [0, 1]."""
        np.clip(np.nan_to_num(frame, nan=0.0), 0.0, 1.0, out=self._row)
        self._file.write(self._row.tobytes())
        self.frames += 1

    def close(self) -> int:
        """Write the curve file (atomically) and remove the scratch file; return the frame count.

        Raises
        ------
        CurveError
            No frame was recorded (nothing is written).
        """
        self._file.close()
        try:
            if self.frames == 0:
                raise CurveError("no frames were recorded; nothing to write",
                                 source=display_path(self.path))  # fmt: skip
            values = np.memmap(self._scratch, dtype=np.float32, mode="r",
                               shape=(self.frames, N_CHANNELS))  # fmt: skip
            with CurveWriter(self.path, names=CHANNELS, fps=self.fps,
                             n_frames=self.frames) as writer:  # fmt: skip
                for first in range(0, self.frames, _CHUNK_FRAMES):  # one chunk in memory
                    writer.write(values[first : first + _CHUNK_FRAMES])
            del values
        finally:
            self._remove_scratch()
        return self.frames

    def abort(self) -> None:
        """Drop the recording: nothing is written."""
        self._file.close()
        self._remove_scratch()

    def _remove_scratch(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._scratch.unlink()

    def __enter__(self) -> CurveRecorder:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()
