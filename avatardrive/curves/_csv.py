"""CSV curve files: a header ``time,<name>,...`` then one row per frame.

Time is written with ``%.10g`` and values with ``%.9g``, enough digits to give back the same
float32. Reading infers fps from the time column and requires the times to lie on a uniform grid.
A well-formed file is parsed at C speed (``np.loadtxt``); only when that fails is it read again
cell by cell, to report the first bad line and cell.
"""

from __future__ import annotations

import csv
import io
import math
import warnings
from collections.abc import Callable

import numpy as np

from avatardrive.curves._curves import name_problem
from avatardrive.curves._table import (
    Float64Array,
    PathArg,
    Table,
    check_grid,
    check_increasing,
    check_regular,
    first_true,
    not_utf8,
    open_failure,
    read_text,
    show,
    to_float32,
)
from avatardrive.errors import CurveError

__all__ = ["read_csv"]

_TIME_DIGITS = 10  # significant digits of the time column


def read_csv(path: PathArg, source: str, fps: float | None) -> Table:
    check_regular(path, source)
    try:
        with open(path, encoding="utf-8-sig") as f:
            header_line, names = _csv_header(f, source)
            data = _csv_fast(f, len(names) + 1)
    except OSError as exc:
        raise open_failure(exc, source) from None
    except UnicodeDecodeError as exc:
        raise not_utf8(exc, path, source) from None
    known_lines: list[int] | None = None
    if data is None:  # something is wrong, or merely unusual: find it cell by cell
        data, known_lines = _csv_slow(read_text(path, source), header_line, names, source)
    line_of = _line_finder(path, source, header_line, known_lines)
    return _csv_table(data, names, fps, source, header_line, line_of)


def _csv_header(f: io.TextIOBase, source: str) -> tuple[int, tuple[str, ...]]:
    number = 0
    while True:
        line = f.readline()
        if not line:
            raise CurveError(
                "empty file; expected a header line 'time,<name>,...' then one row per frame",
                source=source,
            )
        number += 1
        if line.strip():
            break
    where = f"line {number}"
    try:
        cells = [cell.strip() for cell in next(csv.reader([line], skipinitialspace=True))]
    except csv.Error as exc:
        raise CurveError(
            f"header cannot be read as CSV ({exc})", source=source, where=where
        ) from None
    if cells[0].casefold() != "time":
        later = [j for j, cell in enumerate(cells) if cell.casefold() == "time"]
        if later:
            raise CurveError(
                f"'time' is column {later[0] + 1}; expected it first, then one column per curve",
                source=source,
                where=where,
            )
        raise CurveError(
            f"first column is {cells[0]!r}; expected 'time', then one column per curve",
            source=source,
            where=where,
        )
    seen = {"time": 1}
    for j, name in enumerate(cells[1:], start=2):
        key = name.casefold()
        if key in seen:
            raise CurveError(
                f"duplicate column {name!r} (columns {seen[key]} and {j}); expected unique "
                f"names (case-insensitive)",
                source=source,
                where=where,
            )
        problem = name_problem(name)
        if problem is not None:
            raise CurveError(f"column {j}: {problem}", source=source, where=where)
        seen[key] = j
    return number, tuple(cells[1:])


def _csv_fast(f: io.TextIOBase, n_cells: int) -> Float64Array | None:
    """All rows at C speed, or ``None`` when anything is unusual."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # loadtxt warns about a table without rows
        try:
            data = np.loadtxt(
                f, delimiter=",", dtype=np.float64, comments=None, ndmin=2, quotechar='"'
            )
        except ValueError:  # includes UnicodeDecodeError: the careful path reports it
            return None
    if data.shape[0] == 0:
        return np.empty((0, n_cells), dtype=np.float64)
    return data if data.shape[1] == n_cells else None


def _data_lines(text: str, header_line: int) -> list[tuple[int, str]]:
    lines = text.split("\n")
    return [
        (number, line)
        for number, line in enumerate(lines[header_line:], start=header_line + 1)
        if line.strip()
    ]


def _csv_slow(
    text: str, header_line: int, names: tuple[str, ...], source: str
) -> tuple[Float64Array, list[int]]:
    """Parse row by row, raising for the first bad line or cell."""
    columns = ("time", *names)
    rows: list[list[float]] = []
    numbers: list[int] = []
    for number, line in _data_lines(text, header_line):
        where = f"line {number}"
        try:
            cells = next(csv.reader([line], skipinitialspace=True))
        except csv.Error as exc:
            raise CurveError(f"cannot be read as CSV ({exc})", source=source, where=where) from None
        if len(cells) != len(columns):
            raise CurveError(
                f"{len(cells)} cells; expected {len(columns)}: time and the {len(names)} "
                f"columns named on line {header_line}",
                source=source,
                where=where,
            )
        row: list[float] = []
        for name, cell in zip(columns, cells, strict=True):
            try:
                row.append(_number(cell))
            except ValueError:
                raise CurveError(
                    f"column {name!r}: {cell.strip()!r} is not a number; expected a decimal "
                    f"number such as 0.25",
                    source=source,
                    where=where,
                ) from None
        rows.append(row)
        numbers.append(number)
    data = np.array(rows, dtype=np.float64).reshape(len(rows), len(columns))
    return data, numbers


def _number(cell: str) -> float:
    text = cell.strip()
    if "_" in text:  # float() takes 1_000; a curve file should not
        raise ValueError(text)
    return float(text)


def _line_finder(
    path: PathArg, source: str, header_line: int, known: list[int] | None
) -> Callable[[int], str]:
    """``row -> "line N"``; the line numbers are found only when a message needs one."""
    cache = known

    def line_of(row: int) -> str:
        nonlocal cache
        if cache is None:
            cache = [number for number, _ in _data_lines(read_text(path, source), header_line)]
        return f"line {cache[row]}" if row < len(cache) else f"data row {row + 1}"

    return line_of


def _csv_table(
    data: Float64Array,
    names: tuple[str, ...],
    fps: float | None,
    source: str,
    header_line: int,
    line_of: Callable[[int], str],
) -> Table:
    columns = ("time", *names)
    bad = ~np.isfinite(data)
    if bool(bad.any()):
        row, col = first_true(bad)
        raise CurveError(
            f"column {columns[col]!r}: {show(data[row, col])} is not a finite number; expected "
            f"finite values",
            source=source,
            where=line_of(row),
        )
    time = data[:, 0]
    n = int(time.shape[0])
    check_increasing(time, source, line_of)
    if fps is not None:
        rate = fps
    elif n == 0:
        raise CurveError(
            "no data rows; cannot infer fps from an empty table (pass fps= to read it)",
            source=source,
            where=f"line {header_line}",
        )
    elif n == 1:
        raise CurveError(
            f"one data row cannot give fps (time {show(time[0])}); pass fps= to read_curves",
            source=source,
            where=line_of(0),
        )
    else:
        rate = _infer_fps(time)
    start = float(time[0]) if n else 0.0
    check_grid(time, start, rate, source, line_of)

    def locate(row: int, col: int) -> str:
        return f"{line_of(row)}: column {names[col]!r}"

    values = to_float32(data[:, 1:], source, locate)
    return Table(values, names, rate, start, locate)


def _infer_fps(time: Float64Array) -> float:
    """fps of an increasing time column of two or more rows.

    ``(n - 1) / (t_last - t_first)``, snapped to the nearest integer if within 1e-6 relative.
    Otherwise the value with the fewest decimals (up to 6) whose grid reproduces every time to
    the precision it is written with (10 significant digits), so that short files of, say,
    29.97 fps read back as 29.97; failing that, rounded to 6 decimals.
    """
    n = int(time.shape[0])
    raw = (n - 1) / float(time[-1] - time[0])
    nearest = round(raw)
    if nearest > 0 and abs(raw - nearest) <= 1e-6 * raw:
        return float(nearest)
    fitted = _simplest_fitting_fps(time, raw)
    if fitted is not None:
        return fitted
    rounded = round(raw, 6)
    return rounded if rounded > 0 else raw


def _simplest_fitting_fps(time: Float64Array, raw: float) -> float | None:
    magnitude = np.abs(time)
    exponent = np.floor(np.log10(np.where(magnitude > 0, magnitude, 1.0)))
    half_unit = np.where(magnitude > 0, 0.5 * 10.0 ** (exponent - (_TIME_DIGITS - 1)), 0.0)
    tolerance = half_unit + half_unit[0] + 8 * np.finfo(np.float64).eps * float(magnitude.max())
    n = int(time.shape[0])
    span = float(time[-1] - time[0])
    slack = float(tolerance[-1])
    lowest = (n - 1) / (span + slack)
    highest = (n - 1) / (span - slack) if span > slack else math.inf
    frame = np.arange(n, dtype=np.float64)
    for decimals in range(7):
        scale = int(10**decimals)
        k_low = math.ceil(lowest * scale - 1e-9)
        k_high = math.floor(highest * scale + 1e-9) if math.isfinite(highest) else k_low + 10**9
        if k_low > k_high:
            continue
        k = min(max(round(raw * scale), k_low), k_high)
        if k <= 0:
            continue
        candidate = k / scale
        if bool(np.all(np.abs(time - (time[0] + frame / candidate)) <= tolerance)):
            return candidate
    return None
