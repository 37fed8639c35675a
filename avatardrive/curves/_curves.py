"""The curve container: values over time on a uniform frame grid.

A :class:`Curves` holds a float32 array shaped ``(frames, columns)``, time first, so that one frame
is one contiguous row: the unit the streamer sends. Columns are named; AU curves use the program's
one channel order, :data:`avatardrive.facs.CHANNELS`, and rig weights use a rig's shape names.
Frame ``i`` lies at time ``start + i / fps`` seconds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from avatardrive.errors import ParameterError
from avatardrive.facs import CHANNELS

__all__ = [
    "GRID_TOLERANCE",
    "Curves",
    "au_curves",
    "check_fps",
    "check_names",
    "name_problem",
    "some_names",
    "zeros",
]

#: Fraction of a frame below which a difference in frame-index arithmetic counts as float error.
GRID_TOLERANCE = 1e-6

FloatArray = npt.NDArray[np.float32]


def name_problem(name: object) -> str | None:
    """Why ``name`` cannot name a curve column, or ``None`` when it can.

    A name is a non-empty string without surrounding white space or control characters, and not
    ``time`` (which names the time column of curve files).
    """
    if not isinstance(name, str):
        return f"{name!r} is a {type(name).__name__}; expected a string"
    if not name:
        return "empty name; expected a column name such as 'AU12_L'"
    if name != name.strip():
        return f"{name!r} has white space around it; expected a bare name"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        return f"{name!r} holds a control character; expected printable text"
    if name.casefold() == "time":
        return f"{name!r} is reserved for the time column of curve files; expected a curve name"
    return None


def check_names(names: Sequence[str]) -> tuple[str, ...]:
    """``names`` as a tuple, or :class:`ParameterError` for a bad or repeated name."""
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise ParameterError(f"names is {names!r}; expected a sequence of column names")
    result = tuple(names)
    seen: dict[str, int] = {}
    for i, name in enumerate(result):
        problem = name_problem(name)
        if problem is not None:
            raise ParameterError(f"names[{i}]: {problem}")
        key = name.casefold()
        if key in seen:
            raise ParameterError(
                f"names[{i}] {name!r} repeats names[{seen[key]}] {result[seen[key]]!r}; "
                f"expected unique names (case-insensitive)"
            )
        seen[key] = i
    return result


def _check_real(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ParameterError(f"{what} is {value!r}; expected a number")
    result = float(value)
    if not math.isfinite(result):
        raise ParameterError(f"{what} is {result!r}; expected a finite number")
    return result


def check_fps(fps: object, what: str = "fps") -> float:
    """``fps`` as a float, or :class:`ParameterError` unless it is finite and above 0."""
    result = _check_real(fps, what)
    if result <= 0.0:
        raise ParameterError(f"{what} is {result!r}; expected a frame rate above 0")
    return result


def _as_values(values: npt.ArrayLike, n_columns: int) -> FloatArray:
    try:
        array = np.asarray(values)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"values cannot be read as an array ({exc})") from None
    if array.dtype.kind not in "biuf":
        raise ParameterError(f"values have dtype {array.dtype}; expected real numbers")
    if array.ndim != 2 or array.shape[1] != n_columns:
        raise ParameterError(
            f"values have shape {array.shape}; expected (frames, {n_columns}), one column per name"
        )
    with np.errstate(over="ignore"):  # a float64 beyond float32's range becomes inf
        return np.ascontiguousarray(array, dtype=np.float32)


class Curves:
    """Values over time on a uniform frame grid.

    Parameters
    ----------
    values : array_like, shape (frames, columns)
        The curve values, converted to a C-contiguous float32 array (no copy is made when it
        already is one). Time is the first axis, so one frame is one contiguous row.
    fps : float
        Frames per second; finite and above 0.
    start : float
        Time of frame 0 in seconds.
    names : sequence of str, length columns
        Column names, unique case-insensitively. Defaults to the AU channels
        :data:`avatardrive.facs.CHANNELS`.

    Attributes
    ----------
    values : np.ndarray, float32, shape (frames, columns)
    fps : float
    start : float
    names : tuple of str

    Raises
    ------
    ParameterError
        If ``fps`` or ``start`` is not a finite number (``fps`` > 0), the names are not unique or
        their count does not match the columns of ``values``.
    """

    __slots__ = ("_lookup", "fps", "names", "start", "values")

    values: FloatArray
    fps: float
    start: float
    names: tuple[str, ...]

    def __init__(
        self,
        values: npt.ArrayLike,
        *,
        fps: float,
        start: float = 0.0,
        names: Sequence[str] = CHANNELS,
    ) -> None:
        self.names = check_names(names)
        self.fps = check_fps(fps)
        self.start = _check_real(start, "start")
        self.values = _as_values(values, len(self.names))
        self._lookup = {name.casefold(): i for i, name in enumerate(self.names)}

    @property
    def n_frames(self) -> int:
        """Number of frames (rows of :attr:`values`)."""
        return int(self.values.shape[0])

    @property
    def duration(self) -> float:
        """Seconds covered by the frames: ``n_frames / fps``."""
        return self.n_frames / self.fps

    @property
    def end(self) -> float:
        """``start + duration``: the time just after the last frame."""
        return self.start + self.duration

    def times(self) -> npt.NDArray[np.float64]:
        """Time of every frame in seconds.

        Returns
        -------
        np.ndarray, float64, shape (frames,)
            ``start + i / fps``.
        """
        return self.start + np.arange(self.n_frames, dtype=np.float64) / self.fps

    def index(self, name: str) -> int:
        """Column index of ``name`` (case-insensitive).

        Raises
        ------
        ParameterError
            If no column has that name.
        """
        if not isinstance(name, str):
            raise ParameterError(f"column name is {name!r}; expected a string")
        try:
            return self._lookup[name.strip().casefold()]
        except KeyError:
            raise ParameterError(
                f"unknown column {name!r}; expected one of {some_names(self.names)}"
            ) from None

    def column(self, name: str) -> npt.NDArray[np.float32]:
        """The values of one column.

        Returns
        -------
        np.ndarray, float32, shape (frames,)
            A view into :attr:`values`.
        """
        return self.values[:, self.index(name)]

    def slice(self, t0: float, t1: float) -> Curves:
        """The frames whose time ``t`` satisfies ``t0 <= t < t1``.

        Frame membership is decided by frame-index arithmetic that forgives float error of up to
        a millionth of a frame, so slices ``[a, b)`` and ``[b, c)`` join into ``[a, c)`` exactly.

        Parameters
        ----------
        t0, t1 : float
            Bounds in seconds; may be infinite; ``t0 <= t1``.

        Returns
        -------
        Curves
            A copy, shape (kept frames, columns), starting at the time of its first frame.
        """
        lo = _check_bound(t0, "t0")
        hi = _check_bound(t1, "t1")
        if hi < lo:
            raise ParameterError(f"slice [{lo!r}, {hi!r}) ends before it starts; expected t0 <= t1")
        first = self._frame_at_or_after(lo)
        stop = max(first, self._frame_at_or_after(hi))
        return Curves(
            self.values[first:stop].copy(),
            fps=self.fps,
            start=self.start + first / self.fps,
            names=self.names,
        )

    def _frame_at_or_after(self, t: float) -> int:
        position = (t - self.start) * self.fps
        if position <= 0.0:
            return 0
        if position >= self.n_frames:
            return self.n_frames
        return min(self.n_frames, max(0, math.ceil(position - GRID_TOLERANCE)))

    def resample(self, fps: float) -> Curves:
        """Linear interpolation onto a grid of another frame rate.

        The new grid has the same start and covers the same duration:
        ``round(n_frames * fps / self.fps)`` frames (at least one when there are any). Frames past
        the last original frame hold its value.

        Parameters
        ----------
        fps : float
            The new frame rate.

        Returns
        -------
        Curves
            float32 values, shape (new frames, columns).
        """
        new_fps = check_fps(fps)
        n = self.n_frames
        if n == 0:
            return Curves(self.values.copy(), fps=new_fps, start=self.start, names=self.names)
        exact = n * new_fps / self.fps
        n_new = max(1, math.floor(exact + 0.5 + GRID_TOLERANCE))
        position = np.arange(n_new, dtype=np.float64) * self.fps / new_fps
        nearest = np.rint(position)
        position = np.where(np.abs(position - nearest) < GRID_TOLERANCE, nearest, position)
        position = np.minimum(position, n - 1)
        below = np.floor(position).astype(np.intp)
        above = np.minimum(below + 1, n - 1)
        fraction = (position - below).astype(np.float32)[:, None]
        low = self.values[below]
        with np.errstate(invalid="ignore", over="ignore"):
            mixed = low + fraction * (self.values[above] - low)
        values = np.where(fraction == 0.0, low, mixed)
        return Curves(values, fps=new_fps, start=self.start, names=self.names)

    def clamp(self, lo: float = 0.0, hi: float = 1.0) -> Curves:
        """Clip every value into ``[lo, hi]``; NaN becomes ``lo``, infinities are clipped.

        Returns
        -------
        Curves
            A copy, shape (frames, columns).
        """
        low = _check_real(lo, "lo")
        high = _check_real(hi, "hi")
        if high < low:
            raise ParameterError(f"clamp range [{low!r}, {high!r}] is empty; expected lo <= hi")
        values = np.nan_to_num(self.values, nan=low, posinf=high, neginf=low)
        np.clip(values, low, high, out=values)
        return Curves(values, fps=self.fps, start=self.start, names=self.names)

    def equals(self, other: object, *, atol: float = 0.0) -> bool:
        """Whether ``other`` is :class:`Curves` with the same names, fps, start, shape and values.

        fps must agree to a relative 1e-9, start to 1e-9 s, and every value to within ``atol``
        (NaN equals NaN in the same place).
        """
        tolerance = _check_real(atol, "atol")
        if tolerance < 0.0:
            raise ParameterError(f"atol is {tolerance!r}; expected 0 or more")
        if not isinstance(other, Curves):
            return False
        return (
            self.names == other.names
            and math.isclose(self.fps, other.fps, rel_tol=1e-9, abs_tol=0.0)
            and abs(self.start - other.start) <= 1e-9
            and self.values.shape == other.values.shape
            and bool(
                np.allclose(self.values, other.values, rtol=0.0, atol=tolerance, equal_nan=True)
            )
        )

    def select(self, names: Sequence[str]) -> Curves:
        """Some columns, in the order given (case-insensitive names).

        Returns
        -------
        Curves
            A copy, shape (frames, len(names)), with the names spelled as in ``self``.
        """
        if isinstance(names, str) or not isinstance(names, Sequence):
            raise ParameterError(f"names is {names!r}; expected a sequence of column names")
        indices = [self.index(name) for name in names]
        return Curves(
            self.values[:, indices],
            fps=self.fps,
            start=self.start,
            names=[self.names[i] for i in indices],
        )

    def __repr__(self) -> str:
        return (
            f"Curves({self.n_frames} frames x {len(self.names)} columns, fps={self.fps:g}, "
            f"start={self.start:g}, duration={self.duration:g} s)"
        )


def _check_bound(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ParameterError(f"{what} is {value!r}; expected a time in seconds")
    result = float(value)
    if math.isnan(result):
        raise ParameterError(f"{what} is nan; expected a time in seconds")
    return result


def some_names(names: Sequence[str], *, limit: int = 6) -> str:
    """A few of ``names`` for a message: ``"'AU1_L', 'AU1_R', ... (86 columns)"``."""
    if not names:
        return "no columns (there are none)"
    shown = ", ".join(repr(name) for name in names[:limit])
    return f"{shown}, ... ({len(names)} columns)" if len(names) > limit else shown


def au_curves(values: npt.ArrayLike, *, fps: float, start: float = 0.0) -> Curves:
    """AU curves: one column per AU channel, in the order of :data:`avatardrive.facs.CHANNELS`.

    Parameters
    ----------
    values : array_like, shape (frames, N_CHANNELS)
    fps : float
    start : float

    Returns
    -------
    Curves
    """
    return Curves(values, fps=fps, start=start, names=CHANNELS)


def zeros(
    n_frames: int, *, fps: float, start: float = 0.0, names: Sequence[str] = CHANNELS
) -> Curves:
    """Curves of ``n_frames`` frames, all 0.

    Returns
    -------
    Curves
        float32 values, shape (n_frames, len(names)).
    """
    if isinstance(n_frames, bool) or not isinstance(n_frames, (int, np.integer)) or n_frames < 0:
        raise ParameterError(f"n_frames is {n_frames!r}; expected a whole number 0 or more")
    names = check_names(names)
    return Curves(
        np.zeros((int(n_frames), len(names)), dtype=np.float32),
        fps=fps,
        start=start,
        names=names,
    )
