"""What the recorded-take readers share: streaming a CSV's rows with one clear error for bad
text, gathering numbers in blocks of arrays, and a take's frame rate.

OpenFace and Live Link Face takes can hold hundreds of thousands of rows: rows are read one at a
time and only the numbers kept, in blocks (no list of Python strings or floats per row).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from avatardrive._files import display_path, open_regular
from avatardrive.errors import TrackingError

__all__ = ["Blocks", "csv_rows", "median_rate"]

_BLOCK_ROWS = 4096
_MAX_CELL = 1000  # characters: a take's cell is a short number or a timecode
_MAX_FILE_BYTES = 2 * 1024**3
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def csv_rows(path: str | os.PathLike[str], *, expected: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of the non-blank rows of a UTF-8 CSV, streamed.

    Parameters
    ----------
    path : str or path
    expected : str
        What the file should be, for messages (``"an OpenFace CSV"``).

    Raises
    ------
    TrackingError
        Not a regular file (a FIFO, a device), larger than 2 GiB, UTF-16 or not UTF-8, not CSV,
        or a cell longer than 1,000 characters; the message names the file (and line).
    """
    source = display_path(path)
    with open_regular(path, error=TrackingError, expected=expected) as raw:
        if os.fstat(raw.fileno()).st_size > _MAX_FILE_BYTES:
            raise TrackingError(f"larger than {_MAX_FILE_BYTES >> 30} GiB; expected {expected}",
                                source=source)  # fmt: skip
        if cast(io.BufferedReader, raw).peek(2)[:2] in _UTF16_BOMS:  # open_regular buffers
            raise TrackingError(f"UTF-16 text; expected a UTF-8 file ({expected}; save it as "
                                "UTF-8)", source=source)  # fmt: skip
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        try:
            for number, row in enumerate(csv.reader(text), start=1):
                if any(len(cell) > _MAX_CELL for cell in row):
                    raise TrackingError(
                        f"a cell longer than {_MAX_CELL} characters; expected numbers",
                        source=source, where=f"line {number}",
                    )  # fmt: skip
                if any(cell.strip() for cell in row):
                    yield number, row
        except UnicodeDecodeError as err:
            raise TrackingError(f"byte {err.start} is not UTF-8; expected {expected} in UTF-8",
                                source=source) from None  # fmt: skip
        except csv.Error as err:
            raise TrackingError(f"not a readable CSV ({err}); expected {expected}",
                                source=source) from None  # fmt: skip
        except OSError as err:
            raise TrackingError(f"cannot be read ({err.strerror or err})",
                                source=source) from None  # fmt: skip
        finally:
            text.detach()


class Blocks:
    """Rows of a fixed width gathered in blocks of arrays.

    Parameters
    ----------
    width : int
        Numbers per row.
    dtype : numpy floating type
    """

    def __init__(self, width: int, dtype: type[np.floating[Any]]) -> None:
        self.width, self.dtype = width, dtype
        self.blocks: list[npt.NDArray[Any]] = []
        self.rows = 0

    def append(self, values: npt.ArrayLike) -> None:
        """Add one row of ``width`` numbers."""
        if self.rows % _BLOCK_ROWS == 0:
            self.blocks.append(np.empty((_BLOCK_ROWS, self.width), dtype=self.dtype))
        self.blocks[-1][self.rows % _BLOCK_ROWS] = values
        self.rows += 1

    def array(self) -> npt.NDArray[Any]:
        """The rows so far, shape (rows, width)."""
        if not self.blocks:
            return np.empty((0, self.width), dtype=self.dtype)
        joined: npt.NDArray[Any] = np.concatenate(self.blocks)[: self.rows]
        return joined


def median_rate(times: npt.NDArray[np.float64], *, default: float) -> float:
    """Frames per second of a take from its times' median step (``default`` for one row).

    Parameters
    ----------
    times : ndarray of float64, shape (rows,)
        Seconds, non-decreasing.
    default : float
        The rate when no two rows differ in time.
    """
    steps = np.diff(times)
    steps = steps[steps > 0]
    return float(1.0 / np.median(steps)) if steps.size else default
