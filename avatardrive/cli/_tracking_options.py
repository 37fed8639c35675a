"""Tracking options shared by the commands that track: ``--estimator``, ``--list-cameras``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TextIO

from avatardrive.errors import TrackingError
from avatardrive.tracking import (
    Backend,
    BlendshapeEstimator,
    Estimator,
    FusedEstimator,
    LandmarkEstimator,
    list_cameras,
)

__all__ = ["ESTIMATORS", "ListCameras", "make_estimator"]

#: ``--estimator`` choices.
ESTIMATORS: dict[str, Callable[[], Estimator]] = {
    "fused": FusedEstimator,
    "geometric": LandmarkEstimator,
    "learned": BlendshapeEstimator,
}


def make_estimator(args: argparse.Namespace, backend: Backend) -> Estimator | None:
    """The ``--estimator`` asked for; None for the backend's default (fused for FaceLandmarker,
    learned for recorded blendshapes)."""
    choice = getattr(args, "estimator", None)
    if choice is None:
        return None
    if backend.kind == "blendshapes" and choice != "learned":
        raise TrackingError(f"--estimator {choice} needs landmarks; a Live Link recording has "
                            f"blendshapes only: use --estimator learned (its default)")
    return ESTIMATORS[choice]()


class ListCameras(argparse.Action):
    """``--list-cameras``: list the cameras instead of running the command."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        namespace.func = cmd_list_cameras


def cmd_list_cameras(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Print one line per camera OpenCV can open (like OpenSeeFace's ``-l``)."""
    cameras = list_cameras()
    for camera in cameras:
        out.write(camera.describe() + "\n")
    if not cameras:
        out.write("no cameras found (OpenCV indices 0-9)\n")
    return 0
