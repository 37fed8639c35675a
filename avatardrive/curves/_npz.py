"""NPZ curve files: arrays ``values``, ``names``, ``fps``, ``start`` and ``version``."""

from __future__ import annotations

import math
import zipfile
import zlib
from collections.abc import Callable
from typing import BinaryIO, cast

import numpy as np
import numpy.typing as npt

from avatardrive.curves._table import (
    FORMAT_VERSION,
    PathArg,
    Table,
    check_regular,
    file_names,
    first_true,
    open_failure,
    show,
    show_array,
    to_float32,
)
from avatardrive.errors import CurveError

__all__ = ["read_npz"]

_ARRAYS = ("values", "names", "fps", "start", "version")
_EXPECTED = "expected an NPZ archive of arrays values, names, fps, start and version"
#: Largest array read from an NPZ (uncompressed): twice the largest render.
MAX_ARRAY_BYTES = 4 * 1024**3


def read_npz(path: PathArg, source: str, fps: float | None) -> Table:
    check_regular(path, source)
    try:
        with open(path, "rb") as f:  # our handle: np.load leaks its own on a bad archive
            arrays = _load_arrays(f, source)
    except OSError as exc:
        raise open_failure(exc, source) from None

    def fail(key: str) -> Callable[[str], CurveError]:
        return lambda message: CurveError(message, source=source, where=f"array {key!r}")

    version = arrays["version"]
    if version.shape != () or version.dtype.kind not in "iu" or int(version) != FORMAT_VERSION:
        raise fail("version")(f"is {show_array(version)}; expected the 0-d integer 1")
    rate = _npz_scalar(arrays["fps"], fail("fps"))
    if rate <= 0:
        raise fail("fps")(f"is {rate!r}; expected a frame rate above 0")
    if fps is not None and not math.isclose(rate, fps, rel_tol=1e-9, abs_tol=0.0):
        raise fail("fps")(f"{rate:g} disagrees with fps={fps:g} asked for; expected them equal")
    start = _npz_scalar(arrays["start"], fail("start"))
    names = _npz_names(arrays["names"], source)
    values = arrays["values"]
    if values.ndim != 2 or values.dtype.kind not in "iuf" or values.shape[1] != len(names):
        raise fail("values")(
            f"has shape {values.shape} and dtype {values.dtype}; expected float32 of shape "
            f"(frames, {len(names)}), one column per name"
        )

    def locate(row: int, col: int) -> str:
        return f"array 'values'[{row}, {col}] (column {names[col]!r})"

    bad = ~np.isfinite(values)
    if bool(bad.any()):
        row, col = first_true(bad)
        raise CurveError(
            f"{show(float(values[row, col]))} is not a finite number; expected finite values",
            source=source,
            where=locate(row, col),
        )
    converted = to_float32(values.astype(np.float64, copy=False), source, locate)
    return Table(converted, names, rate, start, locate)


def _load_arrays(f: BinaryIO, source: str) -> dict[str, npt.NDArray[np.generic]]:
    try:
        archive = np.load(f, allow_pickle=False)
    except (ValueError, EOFError, zipfile.BadZipFile, NotImplementedError, RuntimeError):
        raise CurveError(f"not a readable NPZ archive; {_EXPECTED}", source=source) from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise CurveError(f"holds a single array; {_EXPECTED}", source=source)
    with archive:
        for key in _ARRAYS:
            if key not in archive.files:
                raise CurveError(f"missing; {_EXPECTED}", source=source, where=f"array {key!r}")
        for key in archive.files:
            if key not in _ARRAYS:
                raise CurveError(f"unexpected; {_EXPECTED}", source=source, where=f"array {key!r}")
        members = archive.zip
        assert members is not None  # an open NpzFile has its zip
        for key in _ARRAYS:  # a zip bomb is refused by the size it declares (reads stop there)
            size = members.getinfo(f"{key}.npy").file_size
            if size > MAX_ARRAY_BYTES:
                raise CurveError(
                    f"holds {size} bytes uncompressed; expected at most {MAX_ARRAY_BYTES} bytes",
                    source=source,
                    where=f"array {key!r}",
                )
        return {key: _npz_member(archive, key, source) for key in _ARRAYS}


def _npz_member(archive: np.lib.npyio.NpzFile, key: str, source: str) -> npt.NDArray[np.generic]:
    try:
        return cast(npt.NDArray[np.generic], archive[key])
    except MemoryError:
        raise CurveError(
            "its header claims more data than memory holds; expected a real array",
            source=source,
            where=f"array {key!r}",
        ) from None
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError,
            RuntimeError) as exc:  # fmt: skip
        raise CurveError(
            f"cannot be read ({str(exc)[:80]}); expected a plain numeric or unicode array",
            source=source,
            where=f"array {key!r}",
        ) from None


def _npz_scalar(array: npt.NDArray[np.generic], fail: Callable[[str], CurveError]) -> float:
    if array.shape != () or array.dtype.kind not in "iuf":
        raise fail(f"is {show_array(array)}; expected a 0-d float64")
    result = float(cast(float, array[()]))
    if not math.isfinite(result):
        raise fail(f"is {result!r}; expected a finite number")
    return result


def _npz_names(array: npt.NDArray[np.generic], source: str) -> tuple[str, ...]:
    if array.ndim != 1 or array.dtype.kind != "U":
        raise CurveError(
            f"has shape {array.shape} and dtype {array.dtype}; expected a 1-d unicode array "
            f"of column names",
            source=source,
            where="array 'names'",
        )
    names = [str(name) for name in array.tolist()]
    return file_names(names, source, lambda i: f"array 'names'[{i}]")
