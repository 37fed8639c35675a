"""JSON curve files: ``{"version": 1, "fps", "start", "names", "time", "values"}``.

``values`` holds one array per frame; each float is written as the shortest repr of the float32
value, so it reads back bit for bit.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import cast

import numpy as np

from avatardrive._files import parse_failure
from avatardrive.curves._table import (
    FORMAT_VERSION,
    Float64Array,
    PathArg,
    Table,
    brief,
    check_grid,
    file_names,
    first_true,
    read_text,
    show,
    to_float32,
)
from avatardrive.errors import CurveError

__all__ = ["read_json"]

_KEYS = ("version", "fps", "start", "names", "time", "values")


def read_json(path: PathArg, source: str, fps: float | None) -> Table:
    text = read_text(path, source)
    keys = ", ".join(_KEYS)
    if not text.strip():
        raise CurveError(f"empty file; expected a JSON object with keys {keys}", source=source)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CurveError(
            f"invalid JSON: {exc.msg} (column {exc.colno})",
            source=source,
            where=f"line {exc.lineno}",
        ) from None
    except RecursionError:
        raise CurveError("invalid JSON: nested too deeply", source=source) from None
    except ValueError as exc:  # a number beyond Python's 4,300-digit limit
        raise CurveError(f"invalid JSON: {parse_failure(exc, 'JSON')}", source=source) from None
    if not isinstance(document, dict):
        raise CurveError(
            f"top level is a JSON {_json_type(document)}; expected an object with keys {keys}",
            source=source,
        )
    for key in _KEYS:
        if key not in document:
            raise CurveError(f"missing; expected keys {keys}", source=source, where=f"key {key!r}")
    for key in document:
        if key not in _KEYS:
            raise CurveError(
                f"unexpected; expected only keys {keys}", source=source, where=f"key {key!r}"
            )

    def fail(key: str) -> Callable[[str], CurveError]:
        return lambda message: CurveError(message, source=source, where=f"key {key!r}")

    version = document["version"]
    if type(version) is not int or version != FORMAT_VERSION:
        raise fail("version")(f"{brief(version)} is not a supported version; expected 1")
    rate = _json_number(document["fps"], fail("fps"))
    if rate <= 0:
        raise fail("fps")(f"{rate!r} is not a frame rate; expected a number above 0")
    if fps is not None and not math.isclose(rate, fps, rel_tol=1e-9, abs_tol=0.0):
        raise fail("fps")(f"{rate:g} disagrees with fps={fps:g} asked for; expected them equal")
    start = _json_number(document["start"], fail("start"))
    names = _json_names(document["names"], source)
    maybe_bool = "true" in text or "false" in text
    data = _json_table(document["values"], len(names), source, maybe_bool)
    time = _json_vector(document["time"], source, maybe_bool)
    if time.shape[0] != data.shape[0]:
        raise fail("time")(
            f"has {time.shape[0]} entries; expected {data.shape[0]}, one per row of 'values'"
        )
    for key, array in (("time", time), ("values", data)):
        bad = ~np.isfinite(array)
        if bool(bad.any()):
            position = first_true(bad)
            raise CurveError(
                f"{show(array[position])} is not a finite number; expected finite values",
                source=source,
                where=f"key {_json_key(key, position)!r}",
            )

    def locate(row: int, col: int) -> str:
        return f"key {_json_key('values', (row, col))!r} (column {names[col]!r})"

    check_grid(time, start, rate, source, lambda row: f"key 'time[{row}]'")
    values = to_float32(data, source, locate)
    return Table(values, names, rate, start, locate)


def _json_type(value: object) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def _json_key(key: str, position: tuple[int, ...]) -> str:
    return key + "".join(f"[{i}]" for i in position)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _json_number(value: object, fail: Callable[[str], CurveError]) -> float:
    if not _is_number(value):
        raise fail(f"{brief(value)} is not a number; expected a number")
    try:
        result = float(cast(float, value))
    except OverflowError:
        raise fail(f"{brief(value)} is too large; expected a finite number") from None
    if not math.isfinite(result):
        raise fail(f"{result!r} is not a finite number; expected a finite number")
    return result


def _json_names(value: object, source: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise CurveError(
            f"is a JSON {_json_type(value)}; expected an array of column names",
            source=source,
            where="key 'names'",
        )
    return file_names(value, source, lambda i: f"key 'names[{i}]'")


def _numeric_array(value: list[object]) -> Float64Array | None:
    try:
        array = np.array(value)
    except (ValueError, TypeError, OverflowError):
        return None
    if array.dtype.kind not in "iuf":
        return None
    return array.astype(np.float64)


def _json_table(value: object, n_columns: int, source: str, maybe_bool: bool) -> Float64Array:
    """``values`` as float64, shape (rows, n_columns), or the first bad entry reported."""
    if not isinstance(value, list):
        raise CurveError(
            f"is a JSON {_json_type(value)}; expected an array of rows of {n_columns} numbers",
            source=source,
            where="key 'values'",
        )
    if not maybe_bool:
        array = _numeric_array(value)
        if array is not None and array.ndim == 2 and array.shape[1] == n_columns:
            return array
        if array is not None and array.shape == (0,):
            return np.empty((0, n_columns), dtype=np.float64)
    for r, row in enumerate(value):
        where = f"key 'values[{r}]'"
        if not isinstance(row, list):
            raise CurveError(
                f"is a JSON {_json_type(row)}; expected an array of {n_columns} numbers",
                source=source,
                where=where,
            )
        if len(row) != n_columns:
            raise CurveError(
                f"has {len(row)} numbers; expected {n_columns}, one per name",
                source=source,
                where=where,
            )
        for c, cell in enumerate(row):
            if not _is_number(cell):
                raise CurveError(
                    f"{brief(cell)} is not a number; expected a number",
                    source=source,
                    where=f"key 'values[{r}][{c}]'",
                )
    try:
        return np.array(value, dtype=np.float64).reshape(len(value), n_columns)
    except OverflowError:
        raise CurveError(
            "holds a number too large; expected finite numbers", source=source, where="key 'values'"
        ) from None


def _json_vector(value: object, source: str, maybe_bool: bool) -> Float64Array:
    """``time`` as float64, shape (rows,), or the first bad entry reported."""
    if not isinstance(value, list):
        raise CurveError(
            f"is a JSON {_json_type(value)}; expected an array of times in seconds",
            source=source,
            where="key 'time'",
        )
    if not maybe_bool:
        array = _numeric_array(value)
        if array is not None and array.ndim == 1:
            return array
    for i, cell in enumerate(value):
        if not _is_number(cell):
            raise CurveError(
                f"{brief(cell)} is not a number; expected a time in seconds",
                source=source,
                where=f"key 'time[{i}]'",
            )
    try:
        return np.array(value, dtype=np.float64).reshape(len(value))
    except OverflowError:
        raise CurveError(
            "holds a number too large; expected finite times", source=source, where="key 'time'"
        ) from None
