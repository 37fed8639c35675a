"""Neutral calibration: capture, save and load per performer; a slowly-updating baseline.

A calibration is the performer's neutral measure vector (the estimator's: landmark measures and
ARKit scores for the fused one, ARKit scores for recorded blendshapes) and neutral head pose, made
by one backend. Its file is JSON::

    {"format": "avatardrive-calibration", "version": 1, "performer": "ana",
     "backend": "facelandmarker", "backend_version": "mediapipe 1.2.3; ...", "estimator_version": 2,
     "frames": 30, "head_pose": [0.4, -1.2, 0.3],
     "measures": {"brow_inner_L": 0.1247, ...}}
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from avatardrive._files import atomic_output, display_path, parse_json, read_text
from avatardrive.errors import ParameterError, TrackingError, excerpt

__all__ = [
    "CALIBRATION_FORMAT",
    "BaselineParams",
    "Calibration",
    "NeutralCapture",
    "RunningBaseline",
    "load_calibration",
    "save_calibration",
]

FloatArray = npt.NDArray[np.float64]
CALIBRATION_FORMAT = "avatardrive-calibration"
_VERSION = 1


@dataclass(frozen=True, eq=False)
class Calibration:
    """A performer's neutral, as measured by one backend.

    Attributes
    ----------
    backend : str
        Name of the backend that made it (``"facelandmarker"``, ``"livelink"``).
    backend_version : str
    estimator_version : int
    names : tuple of str
        Names of the measures.
    neutral : ndarray of float64, shape (len(names),)
        Neutral value of each measure.
    head_pose : ndarray of float64, shape (3,)
        Neutral (yaw, pitch, roll) in degrees.
    frames : int
        How many frames the neutral was taken from (their median).
    performer : str
    """

    backend: str
    backend_version: str
    estimator_version: int
    names: tuple[str, ...]
    neutral: FloatArray
    head_pose: FloatArray = field(default_factory=lambda: np.zeros(3))
    frames: int = 1
    performer: str = ""

    def __post_init__(self) -> None:
        neutral = np.asarray(self.neutral, dtype=np.float64)
        if neutral.shape != (len(self.names),):
            raise ParameterError(f"neutral has shape {neutral.shape}; expected "
                                 f"({len(self.names)},), one value per measure name")
        if not np.all(np.isfinite(neutral)):
            raise ParameterError("neutral holds a non-finite value; expected finite measures")
        object.__setattr__(self, "neutral", neutral)
        object.__setattr__(self, "head_pose", np.asarray(self.head_pose, dtype=np.float64))

    def check_backend(self, backend: str, *, source: str | None = None) -> None:
        """Raise :class:`TrackingError` unless this calibration was made by ``backend``."""
        if self.backend != backend:
            raise TrackingError(f"the calibration was made by the {self.backend} backend; "
                                f"expected {backend}", source=source)


def save_calibration(calibration: Calibration, path: str | os.PathLike[str]) -> None:
    """Write ``calibration`` as JSON (atomically: a failed write leaves ``path`` untouched)."""
    data = {
        "format": CALIBRATION_FORMAT,
        "version": _VERSION,
        "performer": calibration.performer,
        "backend": calibration.backend,
        "backend_version": calibration.backend_version,
        "estimator_version": calibration.estimator_version,
        "frames": calibration.frames,
        "head_pose": [round(float(v), 4) for v in calibration.head_pose],
        "measures": {name: float(v) for name, v in
                     zip(calibration.names, calibration.neutral, strict=True)},
    }
    with atomic_output(path) as f:
        json.dump(data, f, indent=1)
        f.write("\n")


def _field(data: dict[str, Any], key: str, kind: type | tuple[type, ...], source: str) -> Any:
    if key not in data:
        raise TrackingError(f"missing key {key!r}", source=source, where=key)
    value = data[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TrackingError(f"{excerpt(value)} has the wrong type", source=source, where=key)
    return value


_MAX_FILE_BYTES = 16 * 1024 * 1024  # a calibration holds a few hundred numbers


def _finite(value: object) -> bool:
    """A JSON number that is finite as a float (huge integers are not)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def load_calibration(
    path: str | os.PathLike[str], *, backend: str | None = None
) -> Calibration:
    """Read a calibration file written by :func:`save_calibration`.

    Parameters
    ----------
    path : str or path
    backend : str, optional
        The backend it will be used with; a file made by another backend is refused.

    Raises
    ------
    TrackingError
        Missing or malformed file, another format or version, or another backend
        (``"... was made by the livelink backend; expected facelandmarker"``).
    """
    source = display_path(path)
    text = read_text(path, error=TrackingError, expected="a calibration file (.json)",
                     max_bytes=_MAX_FILE_BYTES)  # fmt: skip
    data = parse_json(text, error=TrackingError, source=source)
    if not isinstance(data, dict) or data.get("format") != CALIBRATION_FORMAT:
        raise TrackingError(f"not a calibration file; expected format {CALIBRATION_FORMAT!r}",
                            source=source)
    if data.get("version") != _VERSION:
        raise TrackingError(f"version {data.get('version')!r}; expected {_VERSION}",
                            source=source, where="version")
    made_by = _field(data, "backend", str, source)
    if backend is not None and made_by != backend:
        raise TrackingError(f"the calibration was made by the {made_by} backend; "
                            f"expected {backend}", source=source, where="backend")
    measures = _field(data, "measures", dict, source)
    values = list(measures.values())
    if not all(_finite(v) for v in values):
        raise TrackingError("a measure is not a finite number", source=source, where="measures")
    pose = _field(data, "head_pose", list, source)
    if len(pose) != 3 or not all(_finite(v) for v in pose):
        raise TrackingError(f"{excerpt(pose)}; expected [yaw, pitch, roll] in degrees",
                            source=source, where="head_pose")  # fmt: skip
    return Calibration(
        backend=made_by,
        backend_version=str(_field(data, "backend_version", str, source)),
        estimator_version=int(_field(data, "estimator_version", int, source)),
        names=tuple(str(k) for k in measures),
        neutral=np.array(values, dtype=np.float64),
        head_pose=np.array(pose, dtype=np.float64),
        frames=int(_field(data, "frames", int, source)),
        performer=str(data.get("performer", "")),
    )


class NeutralCapture:
    """Collects measure vectors for ``seconds`` of frames; their median is the neutral.

    Parameters
    ----------
    seconds : float
        Span of frame time to capture (0: a single frame).
    """

    def __init__(self, *, seconds: float) -> None:
        if not math.isfinite(seconds) or seconds < 0:
            raise ParameterError(f"calibrate seconds is {seconds!r}; expected a number >= 0")
        self.seconds = float(seconds)
        self._measures: list[FloatArray] = []
        self._poses: list[FloatArray] = []
        self._start: float | None = None
        self._last = 0.0

    @property
    def done(self) -> bool:
        """Whether enough frames have been seen."""
        return bool(self._measures) and self._last - (self._start or 0.0) >= self.seconds

    def add(self, measures: FloatArray, head_pose: FloatArray, time: float) -> None:
        """Add one frame's measures ``(M,)`` and head pose ``(3,)`` at ``time`` seconds."""
        if self._start is None:
            self._start = time
        self._last = time
        self._measures.append(np.array(measures, dtype=np.float64))
        self._poses.append(np.array(head_pose, dtype=np.float64))

    def result(
        self, *, backend: str, backend_version: str, estimator_version: int,
        names: tuple[str, ...], performer: str = "",
    ) -> Calibration:
        """The calibration: the median of the captured frames."""
        if not self._measures:
            raise TrackingError("no face was seen while calibrating")
        return Calibration(
            backend=backend,
            backend_version=backend_version,
            estimator_version=estimator_version,
            names=names,
            neutral=np.median(np.stack(self._measures), axis=0),
            head_pose=np.median(np.stack(self._poses), axis=0),
            frames=len(self._measures),
            performer=performer,
        )


@dataclass(frozen=True)
class BaselineParams:
    """A slowly-updating baseline for long sessions (OpenFace-style neutral drift correction).

    Every ``interval`` seconds the raw AU activations are sampled; the ``percentile``-th
    percentile of the samples of the last ``window`` seconds, per channel, is taken as the
    channel's resting level and subtracted (clamped to ``[-max_shift, max_shift]``). It starts
    acting once ``warmup`` seconds of samples exist.
    """

    window: float = 60.0
    percentile: float = 10.0
    interval: float = 0.5
    warmup: float = 5.0
    max_shift: float = 0.3

    def __post_init__(self) -> None:
        if not (0 < self.interval <= self.warmup <= self.window):
            raise ParameterError(f"baseline interval {self.interval}, warmup {self.warmup}, "
                                 f"window {self.window}; expected 0 < interval <= warmup <= "
                                 f"window")
        if not 0 <= self.percentile <= 100:
            raise ParameterError(f"baseline percentile {self.percentile}; expected 0-100")


class RunningBaseline:
    """Running low percentile of raw activations (see :class:`BaselineParams`).

    ``update(raw, time)`` returns the current baseline, shape ``(channels,)``; the work is a ring
    buffer write per ``interval`` and one percentile over the window, so it is cheap per frame.
    """

    def __init__(self, params: BaselineParams, n_channels: int) -> None:
        self.params = params
        size = max(1, round(params.window / params.interval))
        self._ring = np.zeros((size, n_channels))
        self._count = 0
        self._next = -math.inf
        self._baseline = np.zeros(n_channels)

    def update(self, raw: FloatArray, time: float) -> FloatArray:
        """Sample ``raw`` ``(channels,)`` when due and return the baseline ``(channels,)``."""
        p = self.params
        if time >= self._next:
            self._ring[self._count % len(self._ring)] = raw
            self._count += 1
            self._next = time + p.interval
            if self._count * p.interval >= p.warmup:
                window = self._ring[: min(self._count, len(self._ring))]
                level = np.percentile(window, p.percentile, axis=0)
                self._baseline = np.clip(level, -p.max_shift, p.max_shift)
        return self._baseline

    def reset(self) -> None:
        """Forget every sample (after a recalibration)."""
        self._count = 0
        self._next = -math.inf
        self._baseline[:] = 0.0
