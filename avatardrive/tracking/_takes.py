"""Recorded takes as AU curves: OpenFace and Live Link Face CSVs, on a uniform frame grid.

Both kinds are timed by their own clocks (OpenFace's ``timestamp``, Live Link's ``Timecode``), not
by row index: a take with dropped frames keeps its timing.
"""

from __future__ import annotations

import os

from avatardrive.curves import Curves, from_samples
from avatardrive.facs import CHANNELS
from avatardrive.retarget import load_rig
from avatardrive.tracking._livelink import LiveLinkRecording, read_live_link
from avatardrive.tracking._openface import OpenFaceTake, read_openface, relax_invalid

__all__ = ["livelink_curves", "openface_curves", "read_take_curves"]


def _grid_fps(fps: float | None, take_fps: float) -> float:
    return float(fps) if fps is not None else float(round(take_fps, 3))


def openface_curves(take: OpenFaceTake, *, fps: float | None = None) -> Curves:
    """An OpenFace take as AU curves; failed rows relax toward neutral.

    Parameters
    ----------
    take : OpenFaceTake
    fps : float, optional
        Frame rate of the result (default: the take's median rate).

    Returns
    -------
    Curves
        float32 in [0, 1], shape (frames, N_CHANNELS), ``names == CHANNELS``, ``start == 0``.
    """
    relaxed = relax_invalid(take.times, take.au, take.valid)
    return from_samples(take.times, relaxed, fps=_grid_fps(fps, take.fps), names=CHANNELS)


def livelink_curves(recording: LiveLinkRecording, *, fps: float | None = None) -> Curves:
    """A Live Link Face take as AU curves, through the ``arkit52`` rig's inverse.

    Parameters
    ----------
    recording : LiveLinkRecording
    fps : float, optional
        Frame rate of the result (default: its timecode rate, e.g. 60).

    Returns
    -------
    Curves
        float32 in [0, 1], shape (frames, N_CHANNELS), ``names == CHANNELS``, ``start == 0``.
    """
    weights = Curves(recording.weights, fps=1.0, start=0.0, names=recording.names)
    au = load_rig("arkit52").inverse(weights).values
    grid = from_samples(recording.times, au, fps=fps or recording.timecode_rate, names=CHANNELS)
    return grid.clamp(0.0, 1.0)


def read_take_curves(
    path: str | os.PathLike[str], *, kind: str, fps: float | None = None
) -> Curves:
    """Read a recorded take (``kind`` ``"openface"`` or ``"livelink"``) as AU curves."""
    if kind == "openface":
        return openface_curves(read_openface(path), fps=fps)
    return livelink_curves(read_live_link(path), fps=fps)

