"""AU estimation: from landmark geometry, from ARKit blendshapes (rig inverse), or both fused.

Both estimators share one shape: ``measure(observation, mirrored=)`` turns a backend's output into
a measure vector (performer's sides) and a head pose; ``activation(measures, neutral)`` turns it,
relative to a calibrated neutral, into raw AU activations (before the dead zone and the clip,
so that a drifting baseline can be removed first); ``respond(raw)`` gives the final AU frame.

Landmark estimator
------------------
``raw = C @ relu(S @ d)`` with ``d = (measures - neutral) / scale``: every AU channel is a weighted
sum of rectified, signed measure changes (``S`` picks a measure and a direction, ``C`` holds the
gains). Eyelid measures are divided by the performer's neutral eye opening, so that a blink is a
fraction of their own eye; everything else is in inter-ocular units. The gains
(:class:`LandmarkGains`) are set from facial anthropometry so that a strong, clear action reaches
0.7-1.0: a full smile lifts the lip corners by about 8 mm (0.09 of the 90 mm outer-eye-corner
distance), brows rise about 10 mm in surprise, the jaw drops 15-20 mm.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any, Protocol, cast

import numpy as np
import numpy.typing as npt

from avatardrive.curves import Curves
from avatardrive.errors import AvatarDriveError, ParameterError, TrackingError
from avatardrive.facs import CHANNELS, N_CHANNELS, channels_of
from avatardrive.tracking._arkit import ARKIT_NAMES, arkit_index, mirror_permutation
from avatardrive.tracking._landmarks import (
    SIDED_MEASURES,
    landmark_measures,
    measure_names,
)

__all__ = [
    "ESTIMATOR_VERSION",
    "BlendshapeEstimator",
    "Estimator",
    "FusedEstimator",
    "InverseRig",
    "LandmarkEstimator",
    "LandmarkGains",
    "Observation",
    "blendshapes_to_au",
]

FloatArray = npt.NDArray[np.float64]
Float32Array = npt.NDArray[np.float32]

#: Version of the measure definitions and AU mapping; stored in calibration files.
ESTIMATOR_VERSION = 2


@dataclass(frozen=True, eq=False)
class Observation:
    """What a backend saw in one frame.

    Attributes
    ----------
    landmarks : ndarray of float32, shape (478, 3), or None
        Mesh points in pixels (x right, y down; z depth in the units of x, away from the camera).
    scores : ndarray of float32, shape (52,), or None
        ARKit blendshape weights in :data:`ARKIT_NAMES` order, sides as the backend names them
        (for a mirrored frame, the image's sides).
    head_pose : ndarray of float32, shape (3,), or None
        Head (yaw, pitch, roll) in degrees as for an unmirrored image (FaceLandmarker's
        transformation matrix, or a recording's), when the backend has one.
    """

    landmarks: Float32Array | None = None
    scores: Float32Array | None = None
    head_pose: Float32Array | None = None


def observed_pose(observation: Observation, *, mirrored: bool) -> FloatArray:
    """Head (yaw, pitch, roll) of an observation, performer-centred: the backend's own pose
    when it has one, else the pose of its landmarks, else zeros."""
    if observation.head_pose is not None:
        yaw, pitch, roll = (float(v) for v in observation.head_pose)
        return np.array([-yaw, pitch, -roll] if mirrored else [yaw, pitch, roll])
    if observation.landmarks is not None:
        return landmark_measures(observation.landmarks, mirrored=mirrored)[1]
    return np.zeros(3)


class Estimator(Protocol):
    """Turns observations into AU frames, relative to a calibrated neutral."""

    @property
    def measure_names(self) -> tuple[str, ...]:
        """Names of the measure vector's entries (stored with a calibration)."""
        ...

    def measure(self, observation: Observation, *, mirrored: bool) -> tuple[FloatArray, FloatArray]:
        """``(measures (M,), head_pose (3,) degrees)`` of one observation, performer's sides."""
        ...

    def activation(self, measures: FloatArray, neutral: FloatArray) -> FloatArray:
        """Raw AU activations, shape ``(N_CHANNELS,)``, before the dead zone and clip."""
        ...

    def respond(self, raw: FloatArray) -> FloatArray:
        """The AU frame ``(N_CHANNELS,)`` in [0, 1] (NaN -> 0), from raw activations.

        float64 like everything inside the tracker, which converts to float32 once, at its exit.
        """
        ...


@dataclass(frozen=True)
class LandmarkGains:
    """Gains of the landmark estimator: AU value per unit of measure change.

    Units: inter-ocular distances (IOD, outer eye corners 33-263) for most; fractions of the
    neutral eye opening for ``au5``, ``au7`` and ``au45``. ``dead_zone`` is subtracted from every
    activation (and the rest rescaled to reach 1) to keep tracker noise out of the output.
    """

    au1: float = 10.0  # inner brow height over the eye corners; 0.09 IOD (8 mm) -> 0.9
    au2: float = 10.0  # outer brow height
    au4: float = 9.0  # inner brow lowering
    au4_gap: float = 10.0  # inner brow moving toward the midline (brows drawn together)
    au5: float = 2.5  # upper lid rising, per neutral opening; +0.3 -> 0.75
    au6: float = 14.0  # cheek rising under the eye; 0.05 IOD -> 0.7
    au7: float = 3.0  # lower lid rising, per neutral opening; +0.25 -> 0.75
    au9: float = 15.0  # nose wing (ala) rising
    au10: float = 12.0  # upper lip rising toward the nose tip
    au12: float = 12.0  # lip corner rising over the mouth's middle; 0.075 IOD (7 mm) -> 0.9
    au12_out: float = 3.0  # lip corner moving outward (adds to AU12)
    au15: float = 16.0  # lip corner falling
    au17: float = 10.0  # lower lip rising over the chin
    au18: float = 9.0  # lip corner moving inward (mouth narrowing)
    au20: float = 12.0  # lip corner moving outward
    au20_inhibit: float = 15.0  # ... minus a rising corner (a smile widens too)
    au24: float = 13.0  # lips thinning (pressed)
    au25: float = 7.0  # inner lips parting; 0.11 IOD -> 0.77
    au26: float = 4.0  # nose tip to chin; 0.2 IOD -> 0.8
    au45: float = 2.0  # upper lid falling, per neutral opening; 0.5 -> 0.95 (see below)
    dead_zone: float = 0.1
    min_eye_open: float = 0.03  # floor (IOD) of the neutral eye opening used for scaling
    # Landmarks of a small face are less precise (a 3x downscaled face read AU15 0.30 at rest):
    # below `small_face` pixels between the outer eye corners the dead zone grows linearly, by up
    # to `small_face_dead_zone` (at 32 px: +0.13; measured in benchmarks/bench_robustness.py).
    small_face: float = 48.0
    small_face_dead_zone: float = 0.4

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if not np.isfinite(value) or value < 0:
                raise ParameterError(f"LandmarkGains.{field.name} is {value!r}; "
                                     f"expected a finite number >= 0")
        if self.dead_zone >= 1.0:
            raise ParameterError(f"LandmarkGains.dead_zone is {self.dead_zone}; expected < 1")


# (AU, measure, direction, gain field, sign of the gain).
_TERMS: tuple[tuple[int, str, float, str, float], ...] = (
    (1, "brow_inner", +1.0, "au1", 1.0),
    (2, "brow_outer", +1.0, "au2", 1.0),
    (4, "brow_inner", -1.0, "au4", 1.0),
    (4, "brow_gap", -1.0, "au4_gap", 1.0),
    (5, "lid_upper", +1.0, "au5", 1.0),
    (45, "lid_upper", -1.0, "au45", 1.0),
    (7, "lid_lower", +1.0, "au7", 1.0),
    (6, "cheek", +1.0, "au6", 1.0),
    (9, "ala", +1.0, "au9", 1.0),
    (10, "lip_upper", +1.0, "au10", 1.0),
    (12, "corner", +1.0, "au12", 1.0),
    (12, "corner_out", +1.0, "au12_out", 1.0),
    (15, "corner", -1.0, "au15", 1.0),
    (20, "corner_out", +1.0, "au20", 1.0),
    (20, "corner", +1.0, "au20_inhibit", -1.0),
    (18, "corner_out", -1.0, "au18", 1.0),
    (24, "lip_thick", -1.0, "au24", 1.0),
    (17, "chin", +1.0, "au17", 1.0),
    (25, "lip_gap", +1.0, "au25", 1.0),
    (26, "jaw", +1.0, "au26", 1.0),
)
_EYELID = ("lid_upper", "lid_lower")
#: The last landmark measure: the face's size in pixels (outer eye corners, 33-263), which sets
#: how precise the other measures are; no AU reads it.
FACE_SIZE = "face_px"
_OUTER_CORNERS = (33, 263)


class LandmarkEstimator:
    """AU estimates from the landmark geometry of MediaPipe's face mesh (see the module docstring).

    AUs estimated per side: 1, 2, 4, 5, 6, 7, 9, 10, 12, 15, 17, 18, 20, 24, 45 (eye closure;
    the tracker moves a sustained closure to AU43); midline: 25, 26 (both channels equal).
    """

    def __init__(self, *, gains: LandmarkGains | None = None) -> None:
        self.gains = gains or LandmarkGains()
        names = (*measure_names(), FACE_SIZE)
        self._names = names
        self._select, self._combine = self._matrices(names)
        self._lid_rows = np.array([names.index(f"{m}_{s}") for m in _EYELID for s in "LR"])
        self._open_rows = np.array([names.index(f"eye_open_{s}") for _ in _EYELID for s in "LR"])
        self._scaled: tuple[FloatArray, FloatArray] | None = None  # (neutral, 1 / scale)

    @property
    def measure_names(self) -> tuple[str, ...]:
        return self._names

    def _matrices(self, names: tuple[str, ...]) -> tuple[FloatArray, FloatArray]:
        rows: dict[tuple[str, float], int] = {}
        entries: list[tuple[int, int, float]] = []  # (channel, feature, gain)
        for au, measure, direction, field, sign in _TERMS:
            gain = sign * float(getattr(self.gains, field))
            sides = ("L", "R") if measure in SIDED_MEASURES else ("", "")
            for channel, side in zip(channels_of(au), sides, strict=True):
                name = f"{measure}_{side}" if side else measure
                feature = rows.setdefault((name, direction), len(rows))
                entries.append((channel, feature, gain))
        select = np.zeros((len(rows), len(names)))
        for (name, direction), k in rows.items():
            select[k, names.index(name)] = direction
        combine = np.zeros((N_CHANNELS, len(rows)))
        for channel, feature, gain in entries:
            combine[channel, feature] += gain
        return select, combine

    def measure(
        self, observation: Observation, *, mirrored: bool
    ) -> tuple[FloatArray, FloatArray]:
        if observation.landmarks is None:
            raise TrackingError("the landmark estimator needs landmarks; the backend gave none")
        landmarks = observation.landmarks
        measures, pose = landmark_measures(landmarks, mirrored=mirrored)
        if observation.head_pose is not None:
            pose = observed_pose(observation, mirrored=mirrored)
        a, b = _OUTER_CORNERS
        size = float(np.hypot(landmarks[a, 0] - landmarks[b, 0], landmarks[a, 1] - landmarks[b, 1]))
        return np.append(measures, size), pose

    def _inverse_scale(self, neutral: FloatArray) -> FloatArray:
        """1 / scale of each measure: the neutral eye opening for the lids, else 1 (cached)."""
        if self._scaled is None or self._scaled[0] is not neutral:
            inverse = np.ones(len(self._names))
            opening = np.maximum(neutral[self._open_rows], self.gains.min_eye_open)
            inverse[self._lid_rows] = 1.0 / opening
            self._scaled = (neutral, inverse)
        return self._scaled[1]

    def activation(self, measures: FloatArray, neutral: FloatArray) -> FloatArray:
        delta = measures - neutral
        delta *= self._inverse_scale(neutral)
        features = self._select @ delta
        np.maximum(features, 0.0, out=features)
        raw = self._combine @ features
        g = self.gains
        shortfall = 1.0 - float(measures[-1]) / g.small_face if g.small_face > 0 else 0.0
        if shortfall > 0.0:
            raw -= g.small_face_dead_zone * min(shortfall, 1.0)
        return np.asarray(raw, dtype=np.float64)

    def respond(self, raw: FloatArray) -> FloatArray:
        dz = self.gains.dead_zone
        out = (raw - dz) * (1.0 / (1.0 - dz))
        return np.fmin(np.fmax(out, 0.0), 1.0)  # fmax turns NaN into 0


class InverseRig(Protocol):
    """What the blendshape estimator needs of a rig (``avatardrive.retarget``)."""

    @property
    def shape_names(self) -> tuple[str, ...]:
        """The rig's shape names, in weight-vector order."""
        ...

    def shape_index(self, name: str) -> int:
        """Index of a shape, accepting ARKit camelCase, PascalCase and _L/_R aliases."""
        ...

    def inverse_frame(self, weights: Float32Array) -> Float32Array:
        """AU frame ``(N_CHANNELS,)`` of one frame of rig weights ``(n_shapes,)``."""
        ...


def load_inverse_rig(name: str) -> InverseRig:
    """Load a rig of ``avatardrive.retarget`` by name, for its inverse solve."""
    try:
        retarget: Any = importlib.import_module("avatardrive.retarget")
    except ImportError as exc:
        raise TrackingError(f"blendshapes need avatardrive.retarget for the inverse solve "
                            f"({exc})") from None
    return cast(InverseRig, retarget.load_rig(name))


#: The highest rest a blendshape's scale is taken from (see :meth:`BlendshapeEstimator.weights`).
MAX_REST = 0.95
#: A relative weight below this counts as at rest: MediaPipe's frame-to-frame jitter on a still
#: face, which would otherwise keep the inverse solve busy with dozens of tiny weights.
AT_REST = 0.02


class BlendshapeEstimator:
    """AU estimates from ARKit blendshapes through a rig's inverse solve.

    Each weight is taken relative to its calibrated neutral, ``(w - n) / (1 - n)`` clipped to
    [0, 1] (MediaPipe's blendshapes rest above zero on many faces), then the rig's bounded
    least-squares inverse maps the 52 weights to AU channels.

    Parameters
    ----------
    rig : InverseRig or str
        A rig object, or the name of a rig for :func:`avatardrive.retarget.load_rig` (loaded on
        first use).
    """

    def __init__(self, *, rig: InverseRig | str = "arkit52") -> None:
        self._rig_arg = rig

    @property
    def measure_names(self) -> tuple[str, ...]:
        return ARKIT_NAMES

    @cached_property
    def rig(self) -> InverseRig:
        """The rig (loaded on first use)."""
        rig = self._rig_arg
        return load_inverse_rig(rig) if isinstance(rig, str) else rig

    @cached_property
    def _placement(self) -> tuple[int, npt.NDArray[np.intp]]:
        rig = self.rig
        try:
            index = np.array([rig.shape_index(name) for name in ARKIT_NAMES], dtype=np.intp)
        except AvatarDriveError as exc:
            raise TrackingError(f"the rig cannot take ARKit blendshapes: {exc}") from None
        return len(rig.shape_names), index

    def measure(
        self, observation: Observation, *, mirrored: bool
    ) -> tuple[FloatArray, FloatArray]:
        if observation.scores is None:
            raise TrackingError("the blendshape estimator needs blendshape scores; "
                                "the backend gave none")
        scores = np.asarray(observation.scores, dtype=np.float64)
        if mirrored:
            scores = scores[mirror_permutation()]
        return scores, observed_pose(observation, mirrored=mirrored)

    def weights(self, scores: FloatArray, neutral: FloatArray) -> Float32Array:
        """Rig weight vector ``(n_shapes,)`` of ARKit scores relative to ``neutral``.

        The whole calibrated rest is removed, however high (MediaPipe reads ``mouthSmile``
        0.90 on a face that smiles slightly at rest); only the divisor is floored at
        ``1 - MAX_REST`` so that a rest near 1 does not amplify noise without bound. Relative
        weights under :data:`AT_REST` count as 0.
        """
        rest = np.clip(neutral, 0.0, 1.0)
        span = np.maximum(1.0 - rest, 1.0 - MAX_REST)
        relative = np.clip((scores - rest) / span, 0.0, 1.0)
        relative[relative < AT_REST] = 0.0
        n_shapes, index = self._placement
        weights = np.zeros(n_shapes, dtype=np.float32)
        weights[index] = relative
        return weights

    def activation(self, measures: FloatArray, neutral: FloatArray) -> FloatArray:
        weights = self.weights(measures, neutral)
        if not weights.any():  # all at rest: nothing to solve
            return np.zeros(N_CHANNELS)
        au = self.rig.inverse_frame(weights)
        return np.asarray(au, dtype=np.float64).reshape(N_CHANNELS)

    def respond(self, raw: FloatArray) -> FloatArray:
        return np.fmin(np.fmax(raw, 0.0), 1.0)  # fmax turns NaN into 0


def scores_from_mapping(
    scores: Mapping[str, float], *, where: str = "frame"
) -> Float32Array:
    """ARKit weights ``(52,)`` in :data:`ARKIT_NAMES` order from ``{name: score}``.

    ``_neutral`` (MediaPipe's first category) is ignored; shapes not given are 0.

    Raises
    ------
    TrackingError
        An unknown name or a non-finite score.
    """
    out = np.zeros(len(ARKIT_NAMES), dtype=np.float32)
    for name, value in scores.items():
        if name == "_neutral":
            continue
        k = arkit_index(name)
        if k is None:
            raise TrackingError(f"unknown blendshape {name!r}; expected one of the 52 ARKit "
                                f"names such as 'mouthSmileLeft'", where=where)
        number = float(value)
        if not np.isfinite(number):
            raise TrackingError(f"{name} is {value!r}; expected a finite number", where=where)
        out[k] = number
    return out


def blendshapes_to_au(
    frames: Sequence[Mapping[str, float]],
    *,
    fps: float,
    rig: InverseRig | str = "arkit52",
    neutral: Mapping[str, float] | None = None,
    mirrored: bool = False,
) -> Curves:
    """AU curves of recorded blendshape frames (a list of ``{name: score}``).

    Parameters
    ----------
    frames : sequence of mapping
        One mapping per frame, e.g. MediaPipe's categories as ``{"mouthSmileLeft": 0.8, ...}``.
    fps : float
        Frame rate of the recording.
    rig : InverseRig or str
        The rig whose inverse solve maps ARKit weights to AUs.
    neutral : mapping, optional
        The performer's neutral scores (default: all 0).
    mirrored : bool
        True when the scores were measured on mirror images (sides are swapped back).

    Returns
    -------
    Curves
        AU curves, shape ``(len(frames), N_CHANNELS)``, named :data:`CHANNELS`.
    """
    estimator = BlendshapeEstimator(rig=rig)
    rest = (np.zeros(len(ARKIT_NAMES)) if neutral is None
            else scores_from_mapping(neutral, where="neutral").astype(np.float64))
    values = np.zeros((len(frames), N_CHANNELS), dtype=np.float32)
    for i, frame in enumerate(frames):
        observation = Observation(scores=scores_from_mapping(frame, where=f"frame {i}"))
        scores, _ = estimator.measure(observation, mirrored=mirrored)
        values[i] = estimator.respond(estimator.activation(scores, rest))
    return Curves(values, fps=fps, names=CHANNELS)


#: Weight of the geometric estimate per AU in :class:`FusedEstimator` (the learned one gets the
#: rest); AUs not listed have no landmark term and are learned only (weight 0). Chosen by
#: measurement (benchmarks/bench_robustness.py) on warped astronaut faces and degraded copies,
#: calibrated on the clean face:
#: - geometric only: AU10 (mouthUpperUp rises with every smile: learned AU10 0.37 on a smile,
#:   0.46 on a 3x downscaled neutral), AU15 (mouthFrown stays 0 on lowered corners), AU18, AU45
#:   (eyeBlink 0.11 on lids 90 % closed; geometric 1.0);
#: - mostly geometric: AU12 0.8 (learned reads 0.27 on closed lids and 0.21 under JPEG q20, is
#:   not monotone past a 0.06 lift and leaks a one-sided smile to the other side);
#: - mostly learned: AU9 0.2 (landmark noseWing height reads 0.5 under JPEG q20 and downscale);
#: - even: AU6 (cheekSquint stays 0 on every image, so AU6 is geometric at half strength: the
#:   landmark cheek reads 0.3-0.4 on degraded images), the brows, lids, AU17/20/24/25/26.
FUSION_WEIGHTS: dict[int, float] = {
    1: 0.5, 2: 0.5, 4: 0.5, 5: 0.5, 6: 0.5, 7: 0.5, 9: 0.2, 10: 1.0, 12: 0.8, 15: 1.0,
    17: 0.5, 18: 1.0, 20: 0.5, 24: 0.5, 25: 0.5, 26: 0.5, 45: 1.0,
}


#: Dead zone of the learned estimate inside :class:`FusedEstimator` (like the geometric one's):
#: sensor noise sigma 30 moved mouthLowerDown enough to read AU16 0.25 without it.
LEARNED_DEAD_ZONE = 0.1


class FusedEstimator:
    """Geometric and learned estimates from one FaceLandmarker observation, blended per AU.

    The measure vector is the landmark measures followed by the 52 ARKit scores, so one
    calibration holds both neutrals. Each AU channel is ``w * geometric + (1 - w) * learned``
    with ``w`` from ``weights`` (default :data:`FUSION_WEIGHTS`; 0 for AUs not listed), both
    estimates on the same scale (the geometric one after its dead zone).

    Parameters
    ----------
    weights : mapping of AU number to float in [0, 1], optional
        Weight of the geometric estimate per AU.
    gains : LandmarkGains, optional
    rig : InverseRig or str
        The rig of the learned estimator's inverse solve (``arkit52``).
    """

    def __init__(
        self,
        *,
        weights: Mapping[int, float] | None = None,
        gains: LandmarkGains | None = None,
        rig: InverseRig | str = "arkit52",
    ) -> None:
        self.geometric = LandmarkEstimator(gains=gains)
        self.learned = BlendshapeEstimator(rig=rig)
        self.weights = dict(FUSION_WEIGHTS if weights is None else weights)
        w = np.zeros(N_CHANNELS)
        for au, value in self.weights.items():
            if not 0.0 <= value <= 1.0:
                raise ParameterError(f"fusion weight of AU{au} is {value!r}; expected [0, 1]")
            w[list(channels_of(au))] = value
        self._w = w
        self._split = len(self.geometric.measure_names)
        self._names = self.geometric.measure_names + ARKIT_NAMES

    @property
    def measure_names(self) -> tuple[str, ...]:
        return self._names

    def measure(
        self, observation: Observation, *, mirrored: bool
    ) -> tuple[FloatArray, FloatArray]:
        shape, pose = self.geometric.measure(observation, mirrored=mirrored)
        scores, _ = self.learned.measure(observation, mirrored=mirrored)
        return np.concatenate([shape, scores]), pose

    def parts(self, measures: FloatArray, neutral: FloatArray) -> tuple[FloatArray, FloatArray]:
        """(geometric, learned) activations ``(N_CHANNELS,)`` each, on the output scale."""
        k = self._split
        geometric = self.geometric.activation(measures[:k], neutral[:k])
        dz = self.geometric.gains.dead_zone
        geometric = (geometric - dz) * (1.0 / (1.0 - dz))
        learned = self.learned.activation(measures[k:], neutral[k:])
        learned = (learned - LEARNED_DEAD_ZONE) * (1.0 / (1.0 - LEARNED_DEAD_ZONE))
        return geometric, learned

    def activation(self, measures: FloatArray, neutral: FloatArray) -> FloatArray:
        geometric, learned = self.parts(measures, neutral)
        return np.asarray(self._w * geometric + (1.0 - self._w) * learned, dtype=np.float64)

    def respond(self, raw: FloatArray) -> FloatArray:
        return np.fmin(np.fmax(raw, 0.0), 1.0)  # fmax turns NaN into 0

