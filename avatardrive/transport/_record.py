"""Sinks that keep frames: in memory (tests, previews) and in an NPZ recording.

An NPZ recording holds the arrays ``version`` (0-d, 1), ``index`` (frames,) int64, ``time``
(frames,) float64 seconds, ``names`` (shapes,) unicode, ``values`` (frames, shapes) float32,
``channels`` (channels,) unicode and ``au`` (frames, channels) float32 — exactly what was sent,
not clamped, so a recording shows what the pipeline produced. Frame indices may have gaps
(skipped frames); ``time`` is the stream time of each frame.
"""

from __future__ import annotations

import os
import zipfile
from collections import deque
from dataclasses import dataclass
from types import TracebackType

import numpy as np
from numpy.typing import NDArray

from avatardrive._files import atomic_output, display_path
from avatardrive.errors import TransportError
from avatardrive.transport._frame import FloatArray, Frame

__all__ = ["MemorySink", "NpzRecorder", "Recording", "read_recording"]

RECORDING_VERSION = 1
_ARRAYS = ("version", "index", "time", "names", "values", "channels", "au")


class MemorySink:
    """Keep copies of the frames sent, oldest first (at most ``maxlen`` if given)."""

    def __init__(self, *, maxlen: int | None = None) -> None:
        self.frames: deque[Frame] = deque(maxlen=maxlen)
        self.closed = False

    def send(self, frame: Frame) -> None:
        """Store a copy of ``frame`` (its arrays copied, its name tuples shared)."""
        if self.closed:
            raise TransportError("send() after close(); expected an open sink",
                                 source="MemorySink")
        self.frames.append(Frame(frame.index, frame.time, frame.names, frame.values.copy(),
                                 frame.channels, frame.au.copy(), frame.bones,
                                 frame.pose.copy(), frame.angles.copy()))  # fmt: skip

    def close(self) -> None:
        """Stop accepting frames; the stored ones stay readable."""
        self.closed = True

    def values(self) -> FloatArray:
        """Stored values stacked, shape (frames, shapes); every frame must share the names."""
        if len({f.names for f in self.frames}) > 1:
            raise TransportError("frames have different names; expected one name set",
                                 source="MemorySink")
        width = len(self.frames[0].names) if self.frames else 0
        return np.array([f.values for f in self.frames], dtype=np.float32).reshape(-1, width)


@dataclass(frozen=True)
class Recording:
    """A read NPZ recording (see the module docstring for the arrays)."""

    index: NDArray[np.int64]
    time: NDArray[np.float64]
    names: tuple[str, ...]
    values: FloatArray
    channels: tuple[str, ...]
    au: FloatArray


class NpzRecorder:
    """Record frames to an NPZ file, written through a temporary file renamed on close.

    The first frame fixes the names and channels; a frame with others raises.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path
        self._source = display_path(path)
        self._names: tuple[str, ...] | None = None
        self._channels: tuple[str, ...] = ()
        self._index: list[int] = []
        self._time: list[float] = []
        self._values: _Rows | None = None
        self._au: _Rows | None = None
        self._closed = False

    def send(self, frame: Frame) -> None:
        """Append one frame."""
        if self._closed:
            raise TransportError("send() after close(); expected an open sink",
                                 source=self._source)
        if self._values is None or self._au is None:
            self._names, self._channels = frame.names, frame.channels
            self._values, self._au = _Rows(len(frame.names)), _Rows(len(frame.channels))
        elif frame.names != self._names or frame.channels != self._channels:
            raise TransportError("names or channels differ from the first frame's; expected "
                                 "one name set per recording", source=self._source,
                                 where=f"frame {frame.index}")
        self._index.append(frame.index)
        self._time.append(frame.time)
        self._values.append(frame.values)
        self._au.append(frame.au)

    def close(self) -> None:
        """Write the file (also when no frame came: an empty recording)."""
        if self._closed:
            return
        self._closed = True
        arrays = {
            "version": np.array(RECORDING_VERSION, dtype=np.int64),
            "index": np.array(self._index, dtype=np.int64),
            "time": np.array(self._time, dtype=np.float64),
            "names": np.array(self._names or (), dtype=str),
            "values": self._values.array() if self._values else np.zeros((0, 0), np.float32),
            "channels": np.array(self._channels, dtype=str),
            "au": self._au.array() if self._au else np.zeros((0, 0), np.float32),
        }
        try:
            with atomic_output(self.path, binary=True) as f:
                np.savez(f, **arrays)  # type: ignore[arg-type]
        except OSError as exc:
            raise TransportError(f"cannot be written ({exc.strerror}); expected a writable "
                                 f"location", source=self._source) from None

    def discard(self) -> None:
        """Drop the recording without writing a file."""
        self._closed = True

    def __enter__(self) -> NpzRecorder:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close() if error is None else self.discard()


def read_recording(path: str | os.PathLike[str]) -> Recording:
    """Read an NPZ recording written by :class:`NpzRecorder`.

    Raises
    ------
    TransportError
        If the file cannot be read or its arrays do not fit together.
    """
    source = display_path(path)
    try:
        with open(path, "rb") as f, np.load(f, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in _ARRAYS}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise TransportError(f"cannot be read ({exc}); expected an NPZ recording with arrays "
                             f"{', '.join(_ARRAYS)}", source=source) from None
    recording = Recording(arrays["index"].astype(np.int64), arrays["time"].astype(np.float64),
                          tuple(str(n) for n in arrays["names"]),
                          arrays["values"].astype(np.float32),
                          tuple(str(c) for c in arrays["channels"]),
                          arrays["au"].astype(np.float32))
    _check_recording(recording, int(arrays["version"]), source)
    return recording


def _check_recording(rec: Recording, version: int, source: str) -> None:
    frames = len(rec.index)
    shapes = {"time": (rec.time.shape, (frames,)),
              "values": (rec.values.shape, (frames, len(rec.names))),
              "au": (rec.au.shape, (frames, len(rec.channels)))}
    if version != RECORDING_VERSION:
        raise TransportError(f"version {version}; expected {RECORDING_VERSION}", source=source,
                             where="array 'version'")
    for key, (shape, expected) in shapes.items():
        if shape != expected and not (frames == 0 and shape[0] == 0):
            raise TransportError(f"has shape {shape}; expected {expected}", source=source,
                                 where=f"array {key!r}")


class _Rows:
    """A growing (rows, width) float32 table, filled block by block."""

    _BLOCK = 4096

    def __init__(self, width: int) -> None:
        self._blocks: list[FloatArray] = []
        self._block = np.empty((self._BLOCK, width), dtype=np.float32)
        self._filled = 0

    def append(self, row: FloatArray) -> None:
        if self._filled == len(self._block):
            self._blocks.append(self._block)
            self._block = np.empty_like(self._block)
            self._filled = 0
        self._block[self._filled] = row
        self._filled += 1

    def array(self) -> FloatArray:
        return np.concatenate([*self._blocks, self._block[: self._filled]])
