"""What every curve file reader shares: the table it returns and the checks that name a place.

A reader returns a :class:`Table`: finite float32 values, names, fps, start and a ``locate`` that
names where a cell came from (``"line 7: column 'AU12_L'"``, ``"key 'values[3][5]'"``), so that
later checks (AU values in [0, 1]) can point into the file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt

from avatardrive._files import file_kind_problem
from avatardrive.curves._curves import name_problem
from avatardrive.errors import CurveError

__all__ = [
    "FORMAT_VERSION",
    "ROWS_PER_CHUNK",
    "Float64Array",
    "FloatArray",
    "PathArg",
    "Table",
    "brief",
    "check_grid",
    "check_increasing",
    "file_names",
    "first_true",
    "open_failure",
    "read_text",
    "show",
    "show32",
    "show_array",
    "to_float32",
]

#: The ``version`` written into NPZ and JSON curve files.
FORMAT_VERSION = 1
#: Rows formatted per write when writing text files.
ROWS_PER_CHUNK = 4096

PathArg = str | os.PathLike[str]
FloatArray = npt.NDArray[np.float32]
Float64Array = npt.NDArray[np.float64]

_OFF_GRID = 0.25  # frames a time may stray from start + i / fps


@dataclass(frozen=True)
class Table:
    """What a reader found: finite float32 values and where each cell came from."""

    values: FloatArray  # (frames, columns)
    names: tuple[str, ...]
    fps: float
    start: float
    locate: Callable[[int, int], str]  # (frame, column) -> "line 7: column 'AU12_L'"


def open_failure(exc: OSError, source: str) -> CurveError:
    if isinstance(exc, FileNotFoundError):
        return CurveError("no such file", source=source)
    if isinstance(exc, IsADirectoryError):
        return CurveError("is a directory; expected a curve file", source=source)
    if isinstance(exc, PermissionError):
        return CurveError("permission denied", source=source)
    return CurveError(f"cannot be read ({exc.strerror or exc})", source=source)


def check_regular(path: PathArg, source: str) -> None:
    """Refuse FIFOs, devices and sockets (also behind a symbolic link) before opening them."""
    try:
        kind = file_kind_problem(os.stat(path).st_mode)
    except OSError as exc:
        raise open_failure(exc, source) from None
    if kind is not None:
        raise CurveError(f"is {kind}; expected a curve file (.csv, .npz or .json)", source=source)


def not_utf8(exc: UnicodeDecodeError, path: PathArg, source: str) -> CurveError:
    """The error for a text file that is not UTF-8, naming UTF-16 when it is."""
    with contextlib.suppress(OSError), open(path, "rb") as f:
        if f.read(2) in (b"\xff\xfe", b"\xfe\xff"):
            return CurveError("is UTF-16 text; expected UTF-8 (save it as UTF-8)", source=source)
    return CurveError(f"not UTF-8 text ({exc.reason})", source=source)


def read_text(path: PathArg, source: str) -> str:
    check_regular(path, source)
    try:
        with open(path, encoding="utf-8-sig") as f:
            return f.read()
    except OSError as exc:
        raise open_failure(exc, source) from None
    except UnicodeDecodeError as exc:
        raise not_utf8(exc, path, source) from None


def file_names(
    names: Sequence[object], source: str, where: Callable[[int], str]
) -> tuple[str, ...]:
    """Column names read from a file; a bad or repeated one is a CurveError at ``where(i)``."""
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        problem = name_problem(name)
        if problem is not None:
            raise CurveError(problem, source=source, where=where(i))
        key = cast(str, name).casefold()
        if key in seen:
            raise CurveError(
                f"{name!r} repeats names[{seen[key]}]; expected unique names (case-insensitive)",
                source=source,
                where=where(i),
            )
        seen[key] = i
    return tuple(cast(str, name) for name in names)


def first_true(mask: npt.NDArray[np.bool_]) -> tuple[int, ...]:
    """Index of the first True of ``mask``, in row-major order."""
    flat = int(np.flatnonzero(mask)[0])
    return tuple(int(i) for i in np.unravel_index(flat, mask.shape))


def check_increasing(time: Float64Array, source: str, where: Callable[[int], str]) -> None:
    """Raise for the first time not after the one before it; ``where(row)`` names its place."""
    steps = np.flatnonzero(np.diff(time) <= 0.0)
    if steps.size:
        row = int(steps[0]) + 1
        raise CurveError(
            f"time {show(time[row])} is not after the previous time {show(time[row - 1])}; "
            f"expected increasing times",
            source=source,
            where=where(row),
        )


def check_grid(
    time: Float64Array, start: float, fps: float, source: str, where: Callable[[int], str]
) -> None:
    """Raise for the first time further than a quarter frame from ``start + i / fps``."""
    expected = start + np.arange(time.shape[0], dtype=np.float64) / fps
    with np.errstate(over="ignore", invalid="ignore"):  # times near 1e308: inf is off the grid
        off = np.flatnonzero(~(np.abs(time - expected) * fps <= _OFF_GRID))
    if off.size:
        row = int(off[0])
        raise CurveError(
            f"time {show(time[row])} is off the uniform frame grid; expected "
            f"{expected[row]:.10g} (start {start:.10g} + {row} / {fps:g} fps) within "
            f"{_OFF_GRID} frame",
            source=source,
            where=where(row),
        )


def to_float32(data: Float64Array, source: str, where: Callable[[int, int], str]) -> FloatArray:
    """float32 copy of finite float64 ``data``; a value beyond float32's range is an error."""
    with np.errstate(over="ignore"):
        values = np.ascontiguousarray(data, dtype=np.float32)
    bad = ~np.isfinite(values)
    if bool(bad.any()):
        row, col = first_true(bad)
        raise CurveError(
            f"{show(data[row, col])} is too large for float32; expected magnitudes below 3.4e38",
            source=source,
            where=where(row, col),
        )
    return values


def show(value: float | np.floating[npt.NBitBase]) -> str:
    return repr(float(value))


def show32(value: float | np.floating[npt.NBitBase]) -> str:
    return str(np.float32(value))


def brief(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def show_array(array: npt.NDArray[np.generic]) -> str:
    if array.size <= 4:
        return f"{array.tolist()!r} (dtype {array.dtype}, shape {array.shape})"
    return f"an array of dtype {array.dtype} and shape {array.shape}"
