"""Recorded takes as AU curves: OpenFace and Live Link Face CSVs, on a uniform frame grid.

Both kinds are timed by their own clocks (OpenFace's ``timestamp``, Live Link's ``Timecode``), not
by row index: a take with dropped frames keeps its timing.
"""

from __future__ import annotations

import os

import numpy as np

from avatardrive._shapes import LIVE_LINK_SIGNS
from avatardrive.curves import Curves, from_samples
from avatardrive.facs import CHANNELS, GAZE_AXES, HEAD_AXES, angles_to_channels
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

    The head channels (AU51-56) come from ``HeadYaw/HeadPitch/HeadRoll`` and the gaze channels
    (AU61-64) from the eyes' yaw and pitch (their mean; eye roll is dropped) when the take has
    them, converted from Live Link's signs (:data:`avatardrive._shapes.LIVE_LINK_SIGNS`, radians)
    to avatardrive's; without eye columns the gaze comes from the ``eyeLook*`` shapes.

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
    signs = np.asarray(LIVE_LINK_SIGNS, dtype=np.float64)
    if recording.head_pose is not None:
        angles_to_channels(recording.head_pose * signs, HEAD_AXES, out=au)
    if recording.eye_pose is not None:
        eyes = recording.eye_pose.astype(np.float64).reshape(-1, 2, 3).mean(axis=1)
        angles_to_channels(eyes[:, :2] * signs[:2], GAZE_AXES, out=au)
    grid = from_samples(recording.times, au, fps=fps or recording.timecode_rate, names=CHANNELS)
    return grid.clamp(0.0, 1.0)


def read_take_curves(
    path: str | os.PathLike[str], *, kind: str, fps: float | None = None
) -> Curves:
    """Read a recorded take (``kind`` ``"openface"`` or ``"livelink"``) as AU curves."""
    if kind == "openface":
        return openface_curves(read_openface(path), fps=fps)
    return livelink_curves(read_live_link(path), fps=fps)

