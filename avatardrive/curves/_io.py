"""Reading and writing curve files: CSV, NPZ or JSON, chosen by suffix.

Values round-trip bit for bit in all three formats. Every problem in a file becomes one
:class:`CurveError` naming the file, the line (CSV, 1-based) or key/array (JSON/NPZ), the value
and what was expected. Writes are atomic: a failed write leaves nothing behind.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from avatardrive._files import display_path
from avatardrive.curves._csv import read_csv
from avatardrive.curves._curves import Curves, check_fps, check_names, some_names
from avatardrive.curves._json import read_json
from avatardrive.curves._npz import read_npz
from avatardrive.curves._table import PathArg, Table, first_true, show32
from avatardrive.curves._writer import write_curves_to
from avatardrive.errors import CurveError, ParameterError
from avatardrive.facs import CHANNELS, N_CHANNELS, channel_index

__all__ = ["CURVE_SUFFIXES", "read_au_curves", "read_curves", "write_curves"]

#: File suffixes the curve readers and writers know (matched case-insensitively).
CURVE_SUFFIXES: tuple[str, ...] = (".csv", ".npz", ".json")


def read_curves(
    path: PathArg, *, names: Sequence[str] | None = None, fps: float | None = None
) -> Curves:
    """Read curves from a ``.csv``, ``.npz`` or ``.json`` file (suffix case-insensitive).

    Values are not range-checked: rig weights may run 0-100.

    Parameters
    ----------
    path : str or os.PathLike
    names : sequence of str, optional
        The columns the file must hold, exactly (case-insensitive, any order); the result has
        them in this order and spelling. A missing or an extra column is a :class:`CurveError`.
    fps : float, optional
        CSV: the frame rate, instead of inferring it from the time column (needed for a file of
        one row). NPZ/JSON: must agree with the file's fps.

    Returns
    -------
    Curves
        float32 values, shape (frames, columns).

    Raises
    ------
    CurveError
        For a missing or malformed file.
    ParameterError
        For an unknown suffix or bad arguments.
    """
    wanted = None if names is None else check_names(names)
    table = _read_table(path, fps)
    curves = _to_curves(table, display_path(path))
    return curves if wanted is None else _match_names(curves, wanted, display_path(path))


def read_au_curves(path: PathArg, *, fps: float | None = None) -> Curves:
    """Read AU curves: every column an AU channel, every value in [0, 1].

    Column names match :data:`avatardrive.facs.CHANNELS` case-insensitively; channels the file
    lacks are 0.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.csv``, ``.npz`` or ``.json`` curve file.
    fps : float, optional
        As for :func:`read_curves`.

    Returns
    -------
    Curves
        float32 values, shape (frames, N_CHANNELS), ``names == CHANNELS``.

    Raises
    ------
    CurveError
        As :func:`read_curves`, and for a column that is not an AU channel or a value outside
        [0, 1].
    """
    table = _read_table(path, fps)
    source = display_path(path)
    indices: list[int] = []
    for j, name in enumerate(table.names):
        try:
            index = channel_index(name)
        except ParameterError:
            raise CurveError(
                "not an AU channel; expected names such as AU12_L",
                source=source,
                where=f"column {name!r}",
            ) from None
        if index in indices:
            other = table.names[indices.index(index)]
            raise CurveError(
                f"is channel {CHANNELS[index]} again (as column {other!r}); expected each "
                f"channel once",
                source=source,
                where=f"column {table.names[j]!r}",
            )
        indices.append(index)
    outside = ~((table.values >= 0.0) & (table.values <= 1.0))
    if bool(outside.any()):
        row, col = first_true(outside)
        raise CurveError(
            f"{show32(table.values[row, col])} is outside [0, 1]; AU curve values must lie "
            f"in [0, 1]",
            source=source,
            where=table.locate(row, col),
        )
    values = np.zeros((table.values.shape[0], N_CHANNELS), dtype=np.float32)
    values[:, indices] = table.values
    return Curves(values, fps=table.fps, start=table.start, names=CHANNELS)


def write_curves(curves: Curves, path: PathArg) -> None:
    """Write curves to a ``.csv``, ``.npz`` or ``.json`` file, atomically.

    Parameters
    ----------
    curves : Curves
        float32 values, shape (frames, columns); all finite.
    path : str or os.PathLike
        The suffix picks the format (case-insensitive). An existing file is replaced only once
        the new one is complete.

    Raises
    ------
    ParameterError
        For an unknown suffix or something other than :class:`Curves`.
    CurveError
        If a value is NaN or infinite (``clamp()`` first), or the file cannot be written.
    """
    if not isinstance(curves, Curves):
        raise ParameterError(f"curves is a {type(curves).__name__}; expected Curves")
    suffix = _suffix(path)
    source = display_path(path)
    bad = ~np.isfinite(curves.values)
    if bool(bad.any()):
        row, col = first_true(bad)
        raise CurveError(
            f"frame {row}, column {curves.names[col]!r}: {show32(curves.values[row, col])} "
            f"is not finite; curve files hold finite values only (clamp() first)",
            source=source,
        )
    del suffix  # checked; the writer picks the format by it
    write_curves_to(curves, path)


def _suffix(path: PathArg) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise ParameterError(f"path is {path!r}; expected a file path")
    suffix = Path(path).suffix.lower()
    if suffix not in CURVE_SUFFIXES:
        raise ParameterError(
            f"unknown curve file type {suffix or '(no suffix)'!r}; expected one of "
            f"{', '.join(CURVE_SUFFIXES)}",
            source=display_path(path),
        )
    return suffix


def _read_table(path: PathArg, fps: float | None) -> Table:
    suffix = _suffix(path)
    rate = None if fps is None else check_fps(fps)
    reader = {".csv": read_csv, ".npz": read_npz, ".json": read_json}[suffix]
    return reader(path, display_path(path), rate)


def _to_curves(table: Table, source: str) -> Curves:
    try:
        return Curves(table.values, fps=table.fps, start=table.start, names=table.names)
    except ParameterError as exc:  # the readers check all of this first; kept as a safety net
        raise CurveError(exc.message, source=source) from None


def _match_names(curves: Curves, wanted: tuple[str, ...], source: str) -> Curves:
    have = {name.casefold() for name in curves.names}
    for name in wanted:
        if name.casefold() not in have:
            raise CurveError(
                f"missing; the file has {some_names(curves.names)}",
                source=source,
                where=f"column {name!r}",
            )
    keys = {name.casefold() for name in wanted}
    for name in curves.names:
        if name.casefold() not in keys:
            raise CurveError(
                f"unexpected; expected only the columns asked for: {some_names(wanted)}",
                source=source,
                where=f"column {name!r}",
            )
    return Curves(curves.select(wanted).values, fps=curves.fps, start=curves.start, names=wanted)
