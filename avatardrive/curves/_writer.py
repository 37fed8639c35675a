"""Curve files written chunk by chunk: memory stays at one chunk however long the curves are.

:class:`CurveWriter` writes CSV, NPZ or JSON in the same bytes as a whole-array write (NPZ: the
same arrays), atomically: rows go to a temporary file beside the target, renamed over it only once
the last frame is in. A failure (disk full, file too large, a bad value, an interrupt) removes the
temporary file and raises one :class:`~avatardrive.errors.CurveError`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import zipfile
from collections.abc import Sequence
from types import TracebackType
from typing import IO, Any, BinaryIO, cast

import numpy as np
import numpy.typing as npt

from avatardrive._files import atomic_output, display_path
from avatardrive.curves._curves import Curves
from avatardrive.curves._table import FORMAT_VERSION, ROWS_PER_CHUNK, PathArg, first_true, show32
from avatardrive.errors import CurveError, ParameterError

__all__ = ["CurveWriter", "write_curves_to"]

F32 = npt.NDArray[np.float32]
_NPY: Any = np.lib.format  # the .npy writers (untyped in numpy's stubs)


class _Format:
    """One file format: ``head``, then ``rows`` for each chunk, then ``tail``."""

    def __init__(self, out: BinaryIO, names: tuple[str, ...], fps: float, start: float,
                 n_frames: int) -> None:  # fmt: skip
        self.out, self.names, self.fps, self.start, self.n_frames = out, names, fps, start, n_frames

    def times(self, first: int, count: int) -> list[float]:
        """Times of frames ``first`` .. ``first + count`` (as :meth:`Curves.times`)."""
        frames = np.arange(first, first + count, dtype=np.float64)
        times: list[float] = (self.start + frames / self.fps).tolist()
        return times

    def head(self) -> None: ...

    def rows(self, values: F32, first: int) -> None: ...

    def tail(self) -> None: ...

    def abandon(self) -> None:
        """Release what the format holds open, after a failure; never raises."""


class _Csv(_Format):
    def head(self) -> None:
        header = io.StringIO()
        csv.writer(header, lineterminator="\n").writerow(["time", *self.names])
        self.out.write(header.getvalue().encode("utf-8"))
        self.row_format = "%.10g" + ",%.9g" * len(self.names) + "\n"

    def rows(self, values: F32, first: int) -> None:
        times, rows, fmt = self.times(first, values.shape[0]), values.tolist(), self.row_format
        text = "".join(fmt % (t, *row) for t, row in zip(times, rows, strict=True))
        self.out.write(text.encode("utf-8"))


class _Json(_Format):
    def head(self) -> None:
        names = json.dumps(list(self.names))
        self.out.write(
            (
                f'{{\n  "version": {FORMAT_VERSION},\n  "fps": {json.dumps(self.fps)},\n'
                f'  "start": {json.dumps(self.start)},\n  "names": {names},\n  "time": ['
            ).encode()
        )
        for first in range(0, self.n_frames, ROWS_PER_CHUNK):  # times first: cheap to recompute
            times = self.times(first, min(ROWS_PER_CHUNK, self.n_frames - first))
            text = ", ".join(json.dumps(t) for t in times)
            self.out.write(((", " if first else "") + text).encode("utf-8"))
        self.out.write(b'],\n  "values": [')

    def rows(self, values: F32, first: int) -> None:
        text = ",".join("\n    " + json.dumps(row) for row in values.tolist())  # exact float32
        self.out.write((("," if first else "") + text).encode("utf-8"))

    def tail(self) -> None:
        self.out.write(("\n  ]\n}\n" if self.n_frames else "]\n}\n").encode("utf-8"))


class _Npz(_Format):
    """The arrays of ``np.savez``: values (streamed), names, fps, start, version."""

    def head(self) -> None:
        self.archive = zipfile.ZipFile(self.out, mode="w", compression=zipfile.ZIP_STORED)
        self.member: IO[bytes] | None = self.archive.open("values.npy", "w", force_zip64=True)
        header = {"descr": "<f4", "fortran_order": False, "shape": (self.n_frames, len(self.names))}
        _NPY.write_array_header_2_0(self.member, header)

    def rows(self, values: F32, first: int) -> None:
        assert self.member is not None
        self.member.write(np.ascontiguousarray(values, dtype="<f4").tobytes())

    def tail(self) -> None:
        assert self.member is not None
        self.member.close()
        self.member = None
        arrays = {
            "names": np.array(self.names, dtype=np.str_),
            "fps": np.array(self.fps, dtype=np.float64),
            "start": np.array(self.start, dtype=np.float64),
            "version": np.array(FORMAT_VERSION, dtype=np.int64),
        }
        for key, array in arrays.items():
            with self.archive.open(f"{key}.npy", "w", force_zip64=True) as member:
                _NPY.write_array(member, array, allow_pickle=False)
        self.archive.close()

    def abandon(self) -> None:
        # close quietly now, so that no ZipFile.__del__ retries on a full disk at exit
        archive = getattr(self, "archive", None)
        if archive is None:
            return
        with contextlib.suppress(Exception):
            if self.member is not None:
                self.member.close()
        with contextlib.suppress(Exception):
            archive.close()
        archive.fp = None


_FORMATS: dict[str, type[_Format]] = {".csv": _Csv, ".json": _Json, ".npz": _Npz}


class CurveWriter:
    """Write curves of known length to a ``.csv``, ``.npz`` or ``.json`` file, chunk by chunk.

    Parameters
    ----------
    path
        The file; its suffix picks the format. Replaced only once every frame is written.
    names
        Column names (AU channels or rig shapes).
    fps, start
        The frame grid.
    n_frames
        How many frames will be written (NPZ and JSON put sizes before values).

    Raises
    ------
    CurveError
        The file cannot be written (naming the reason), a value is not finite, or more or fewer
        frames arrive than announced.

    Examples
    --------
    >>> with CurveWriter("out.npz", names=CHANNELS, fps=60, n_frames=n) as writer:  # doctest: +SKIP
    ...     for chunk in chunks:
    ...         writer.write(chunk)
    """

    def __init__(
        self,
        path: PathArg,
        *,
        names: Sequence[str],
        fps: float,
        n_frames: int,
        start: float = 0.0,
    ) -> None:
        suffix = os.path.splitext(os.fspath(path))[1].lower()
        if suffix not in _FORMATS:
            raise ParameterError(
                f"unknown curve file type {suffix or '(no suffix)'!r}; expected one of "
                f"{', '.join(_FORMATS)}",
                source=display_path(path),
            )
        self.source = display_path(path)
        self.names, self.n_frames, self.written = tuple(names), int(n_frames), 0
        self._stack = contextlib.ExitStack()
        self._closed = False
        with self._failures():
            raw = cast(BinaryIO, self._stack.enter_context(atomic_output(path, binary=True)))
            self._format = _FORMATS[suffix](raw, self.names, float(fps), float(start), n_frames)
            self._format.head()

    def write(self, values: npt.ArrayLike) -> None:
        """Append frames: float32 values shaped (frames, len(names)), all finite."""
        if self._closed:
            raise CurveError("write() after the writer was closed", source=self.source)
        array = np.asarray(values, dtype=np.float32)
        if array.ndim != 2 or array.shape[1] != len(self.names):
            self.discard()
            raise ParameterError(
                f"chunk of shape {array.shape}; expected (frames, {len(self.names)})",
                source=self.source,
            )
        bad = ~np.isfinite(array)
        if bool(bad.any()):
            row, col = first_true(bad)
            self.discard()
            raise CurveError(
                f"frame {self.written + row}, column {self.names[col]!r}: "
                f"{show32(array[row, col])} is not finite; curve files hold finite values only",
                source=self.source,
            )
        if self.written + array.shape[0] > self.n_frames:
            self.discard()
            raise CurveError(
                f"{self.written + array.shape[0]} frames; expected {self.n_frames}",
                source=self.source,
            )
        with self._failures():
            for begin in range(0, array.shape[0], ROWS_PER_CHUNK):
                part = array[begin : begin + ROWS_PER_CHUNK]
                self._format.rows(part, self.written)
                self.written += part.shape[0]

    def close(self) -> None:
        """Finish the file and rename it over the target."""
        if self._closed:
            return
        if self.written != self.n_frames:
            self.discard()
            raise CurveError(
                f"{self.written} frames written; expected {self.n_frames}", source=self.source
            )
        with self._failures():
            self._format.tail()
            self._closed = True
            self._stack.close()

    def discard(self) -> None:
        """Abandon the file: remove the temporary file, leave the target untouched."""
        if self._closed:
            return
        self._closed = True
        format_ = getattr(self, "_format", None)
        if format_ is not None:
            format_.abandon()
        with contextlib.suppress(_DiscardError, OSError):
            self._stack.__exit__(_DiscardError, _DiscardError(), None)

    @contextlib.contextmanager
    def _failures(self):  # type: ignore[no-untyped-def]
        try:
            yield
        except OSError as exc:
            self.discard()
            raise CurveError(f"cannot write ({exc.strerror or exc})", source=self.source) from None
        except BaseException:
            self.discard()
            raise

    def __enter__(self) -> CurveWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if error is None:
            self.close()
        else:
            self.discard()


class _DiscardError(Exception):
    """Raised into the atomic writer to make it drop the temporary file."""


def write_curves_to(curves: Curves, path: PathArg) -> None:
    """Write whole curves through a :class:`CurveWriter`."""
    with CurveWriter(
        path, names=curves.names, fps=curves.fps, start=curves.start, n_frames=curves.n_frames
    ) as writer:
        writer.write(curves.values)
