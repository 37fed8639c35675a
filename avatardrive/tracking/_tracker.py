"""The per-frame tracking pipeline, built from small stages.

::

    backend.observe -> estimator.measure -> NeutralStage (capture / calibration, baseline)
      -> estimator.activation, respond -> filter -> EyeClosure (AU45 -> AU43)
      -> MouthOcclusion (a covered mouth relaxes to neutral)
      -> LostFace (hold, relax, reacquire blend) -> one clamp to [0, 1], float32

Inside, every value is float64; the one conversion to float32 and the one clamp (which also
turns NaN into 0) happen at the exit, in :meth:`Tracker._result`. :class:`Tracker` is pure
computation apart from the backend's MediaPipe call: no sockets, threads or clocks; time comes
from the frames.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from avatardrive.errors import ParameterError, TrackingError
from avatardrive.facs import N_CHANNELS, channels_of
from avatardrive.tracking._backends import Backend
from avatardrive.tracking._calibration import (
    BaselineParams,
    Calibration,
    NeutralCapture,
    RunningBaseline,
)
from avatardrive.tracking._estimate import (
    ESTIMATOR_VERSION,
    BlendshapeEstimator,
    Estimator,
    FusedEstimator,
    Observation,
)
from avatardrive.tracking._filters import (
    AttackDecayParams,
    AUFilter,
    OneEuroParams,
    make_filter,
)
from avatardrive.tracking._frames import VideoFrame
from avatardrive.tracking._occlusion import MouthOcclusion, OcclusionParams, mouth_appearance

__all__ = ["DEFAULT_FILTER", "LostFaceParams", "TrackResult", "Tracker", "rest_calibration"]

logger = logging.getLogger("avatardrive.tracking")

FloatArray = npt.NDArray[np.float64]
Float32Array = npt.NDArray[np.float32]
_BLINK = channels_of(45)
_CLOSED = channels_of(43)
_CLOSED_LEVEL = 0.5

#: The tracker's default smoothing: One Euro with blink-safe settings.
DEFAULT_FILTER = OneEuroParams()


def _min_jerk(u: float) -> float:
    u = min(max(u, 0.0), 1.0)
    return u * u * u * (10.0 - 15.0 * u + 6.0 * u * u)


@dataclass(frozen=True)
class LostFaceParams:
    """What the output does when the face is lost and found again (seconds).

    The last output is held for ``hold``, then relaxes to neutral along a minimum-jerk offset over
    ``relax``. When the face is found again the output blends from where it is to the new
    estimate over ``reacquire``, so nothing jumps; the same blend runs when a neutral capture
    ends and estimates start (or switch to the new neutral).
    """

    hold: float = 0.25
    relax: float = 0.5
    reacquire: float = 0.2

    def __post_init__(self) -> None:
        for name in ("hold", "relax", "reacquire"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ParameterError(f"LostFaceParams.{name} is {value!r}; expected >= 0")


@dataclass(frozen=True, eq=False)
class TrackResult:
    """The tracker's output for one frame.

    Attributes
    ----------
    time : float
        The frame's time in seconds.
    au : ndarray of float32, shape (N_CHANNELS,)
        AU channels in [0, 1] (never NaN), performer's sides.
    head_pose : ndarray of float32, shape (3,)
        (yaw, pitch, roll) in degrees, performer-centred (see ``avatardrive.tracking``); relative
        to the calibrated neutral pose unless the tracker was made with ``head_relative=False``.
    face_found : bool
        Whether the backend found a face in this frame.
    landmarks : ndarray of float32, shape (478, 3), or None
        The mesh in pixels, when the backend gives one and found a face.
    calibrating : bool
        True while the neutral is being captured (the AU output is neutral meanwhile).
    mouth_covered : float
        How covered the mouth looks, 0-1 (its AU channels are relaxed by as much).
    """

    time: float
    au: Float32Array
    head_pose: Float32Array
    face_found: bool
    landmarks: Float32Array | None = None
    calibrating: bool = False
    mouth_covered: float = 0.0


class EyeClosure:
    """Moves an eye closure held longer than ``after`` seconds from AU45 (blink) to AU43."""

    def __init__(self, after: float) -> None:
        self.after = float(after)
        self._since = [math.inf, math.inf]

    def apply(self, au: FloatArray, time: float) -> None:
        """Update the AU frame ``(N_CHANNELS,)`` in place."""
        for side, (blink, closed) in enumerate(zip(_BLINK, _CLOSED, strict=True)):
            closure = float(au[blink])
            since = self._since[side]
            since = min(since, time) if closure >= _CLOSED_LEVEL else math.inf
            self._since[side] = since
            if time - since >= self.after:
                au[closed] = max(float(au[closed]), closure)
                au[blink] = 0.0

    def reset(self) -> None:
        """Forget running closures (the face was lost)."""
        self._since = [math.inf, math.inf]


class LostFace:
    """Hold, relax and reacquire (see :class:`LostFaceParams`), around the last output."""

    def __init__(self, params: LostFaceParams) -> None:
        self.params = params
        self.out = np.zeros(N_CHANNELS)  # the last output (AU frame, head pose)
        self.pose = np.zeros(3)
        self._lost_since: float | None = None
        self._held = (self.out, self.pose)
        self._blend_from: tuple[FloatArray, FloatArray, float] | None = None
        self._warned = False

    @property
    def is_lost(self) -> bool:
        """Whether the face is lost now."""
        return self._lost_since is not None

    def start_blend(self, time: float) -> None:
        """Blend from the last output to the estimates from ``time`` on (over ``reacquire``)."""
        self._blend_from = (self.out.copy(), self.pose.copy(), time)

    def found(
        self, au: FloatArray, head: FloatArray, time: float
    ) -> tuple[FloatArray, FloatArray]:
        """The output for a frame with a face: the estimate, or a blend toward it."""
        if self._blend_from is not None:
            start_au, start_head, t0 = self._blend_from
            span = self.params.reacquire
            w = 1.0 if span <= 0 else _min_jerk((time - t0) / span)
            if w >= 1.0:
                self._blend_from = None
            au = start_au + w * (au - start_au)
            head = start_head + w * (head - start_head)
        return au, head

    def reacquired(self, time: float) -> bool:
        """Call on a frame with a face; True when it ends a loss (a blend has started)."""
        if self._lost_since is None:
            return False
        logger.info("face found again at %.3f s", time)
        self._lost_since = None
        self.start_blend(time)
        return True

    def lost(self, index: int, time: float) -> tuple[FloatArray, FloatArray]:
        """The output for a frame without a face: the held output, relaxing to neutral."""
        if self._lost_since is None:
            self._lost_since = time
            self._held = (self.out.copy(), self.pose.copy())
            self._blend_from = None
            log = logger.info if self._warned else logger.warning
            log("no face in frame %d (%.3f s); holding the last expression, then relaxing to "
                "neutral", index, time)
            self._warned = True
        elapsed = max(time - self._lost_since, 0.0)
        p = self.params
        keep = 1.0 if elapsed <= p.hold else 1.0 - _min_jerk(
            (elapsed - p.hold) / p.relax if p.relax > 0 else 1.0
        )
        held_au, held_head = self._held
        return held_au * keep, held_head * keep


class NeutralStage:
    """The calibrated neutral: a running capture, the calibration in use, an optional baseline.

    ``step`` feeds a capture (when one runs) and reports whether the output must stay neutral;
    ``relative`` gives raw activations relative to the neutral, minus the baseline.
    """

    def __init__(
        self, backend: Backend, estimator: Estimator, *, baseline: BaselineParams | None
    ) -> None:
        self.backend = backend
        self.estimator = estimator
        self.calibration: Calibration | None = None
        self.capture: NeutralCapture | None = None
        self.performer = ""
        self._baseline = None if baseline is None else RunningBaseline(baseline, N_CHANNELS)

    def use(self, calibration: Calibration) -> None:
        """Use ``calibration`` from now on (stops a running capture)."""
        calibration.check_backend(self.backend.name)
        if calibration.names != self.estimator.measure_names:
            raise TrackingError(
                f"the calibration's measures do not match this estimator (calibration "
                f"estimator version {calibration.estimator_version}, this one "
                f"{ESTIMATOR_VERSION}); calibrate again"
            )
        self.calibration = calibration
        self.capture = None
        if self._baseline is not None:
            self._baseline.reset()

    def start(self, seconds: float) -> None:
        """Capture a new neutral from the next ``seconds`` of frames with a face."""
        self.capture = NeutralCapture(seconds=seconds)

    def step(self, measures: FloatArray, pose: FloatArray, time: float) -> bool | None:
        """Feed a running capture: True while it runs, False when it has just ended (the new
        calibration is in use), None when no capture runs."""
        capture = self.capture
        if capture is None:
            return None
        capture.add(measures, pose, time)
        if not capture.done:
            return True
        calibration = capture.result(
            backend=self.backend.name,
            backend_version=self.backend.version,
            estimator_version=ESTIMATOR_VERSION,
            names=self.estimator.measure_names,
            performer=self.performer,
        )
        self.use(calibration)
        logger.info("calibrated the neutral from %d frames", calibration.frames)
        return False

    def relative(self, measures: FloatArray, time: float) -> FloatArray:
        """Raw AU activations ``(N_CHANNELS,)`` relative to the neutral, minus the baseline."""
        assert self.calibration is not None
        raw = self.estimator.activation(measures, self.calibration.neutral)
        if self._baseline is not None:
            raw = raw - self._baseline.update(raw, time)
        return raw


def _default_estimator(backend: Backend) -> Estimator:
    if backend.kind == "face":
        return FusedEstimator()
    return BlendshapeEstimator()


class Tracker:
    """Frames in, AU frames out: estimation, neutral calibration, filtering, face-lost handling.

    Parameters
    ----------
    backend : Backend
        :class:`FaceLandmarkerBackend` or :class:`RecordedBlendshapes`.
        The tracker does not close it.
    calibration : Calibration, optional
        A neutral made earlier by the same backend. Without one, the first
        ``calibrate_seconds`` of frames with a face are captured as the neutral (the output is
        neutral meanwhile, then blends in over ``lost.reacquire``).
    filter : OneEuroParams, AttackDecayParams or None
        Smoothing of the AU channels (default One Euro, blink-safe); ``None`` for raw output.
    calibrate_seconds : float
        Span of the automatic (or requested) neutral capture; 0 takes a single frame.
    lost : LostFaceParams
        Hold / relax / reacquire timing.
    baseline : BaselineParams, optional
        A slowly-updating baseline for long sessions (off by default).
    estimator : Estimator, optional
        Default: :class:`FusedEstimator` for FaceLandmarker, :class:`BlendshapeEstimator`
        (rig ``arkit52``) for recorded blendshapes.
    eyes_closed_after : float
        Seconds an eye must stay more than half closed before its closure moves from AU45
        (blink) to AU43 (eyes closed).
    head_relative : bool
        Report head pose relative to the calibrated neutral pose (default) or absolute.
    occlusion : OcclusionParams or None
        Relax the mouth's AUs while it looks covered (see :class:`MouthOcclusion`; needs images
        and landmarks); ``None`` to switch it off. Its neutral appearance is taken with the
        neutral capture, or, with a given calibration, over the first ``calibrate_seconds``.
    performer : str
        Stored with a calibration captured by this tracker.

    Raises
    ------
    TrackingError
        ``calibration`` was made by another backend or another estimator.
    """

    def __init__(
        self,
        backend: Backend,
        *,
        calibration: Calibration | None = None,
        filter: OneEuroParams | AttackDecayParams | None = DEFAULT_FILTER,
        calibrate_seconds: float = 1.0,
        lost: LostFaceParams | None = None,
        baseline: BaselineParams | None = None,
        estimator: Estimator | None = None,
        eyes_closed_after: float = 0.5,
        head_relative: bool = True,
        performer: str = "",
        occlusion: OcclusionParams | None = OcclusionParams(),  # noqa: B008 - frozen
    ) -> None:
        self.backend = backend
        self.estimator = estimator or _default_estimator(backend)
        self.lost = lost or LostFaceParams()
        self.calibrate_seconds = float(calibrate_seconds)
        self.head_relative = head_relative
        self._filter: AUFilter | None = make_filter(filter)
        self._neutral = NeutralStage(backend, self.estimator, baseline=baseline)
        self._neutral.performer = performer
        self._eyes = EyeClosure(eyes_closed_after)
        self._face = LostFace(self.lost)
        self._mouth = None if occlusion is None else MouthOcclusion(occlusion)
        self._mouth_since: float | None = None  # collecting a reference outside a capture
        if calibration is not None:
            self.set_calibration(calibration)
        else:
            self.recalibrate()

    @property
    def performer(self) -> str:
        """Stored with a calibration captured by this tracker."""
        return self._neutral.performer

    @performer.setter
    def performer(self, name: str) -> None:
        self._neutral.performer = name

    @property
    def eyes_closed_after(self) -> float:
        """Seconds before a held closure moves from AU45 to AU43."""
        return self._eyes.after

    @property
    def calibration(self) -> Calibration | None:
        """The neutral in use (``None`` while the first capture runs)."""
        return self._neutral.calibration

    @property
    def calibrating(self) -> bool:
        """Whether a neutral capture is running."""
        return self._neutral.capture is not None

    def set_calibration(self, calibration: Calibration) -> None:
        """Use ``calibration`` from now on (stops a running capture)."""
        self._neutral.use(calibration)

    def recalibrate(self, seconds: float | None = None) -> None:
        """Capture a new neutral from the next ``seconds`` (default ``calibrate_seconds``) of
        frames with a face; the previous calibration stays in use until the capture ends."""
        self._neutral.start(self.calibrate_seconds if seconds is None else seconds)

    def update(self, frame: VideoFrame) -> TrackResult:
        """Track one frame.

        Returns
        -------
        TrackResult
            AU frame ``(N_CHANNELS,)`` float32 in [0, 1], head pose, face found, landmarks.
        """
        time = frame.time
        observation = self.backend.observe(frame)
        if observation is None:
            au, head = self._face.lost(frame.index, time)
            self._eyes.reset()
            if self._mouth is not None:
                self._mouth.reset()
            return self._result(time, au, head, None, calibrating=self.calibrating)
        measures, pose = self.estimator.measure(observation, mirrored=frame.mirrored)
        capture = self._neutral.step(measures, pose, time)
        if capture is False:  # the output switches from neutral (or the old neutral): blend
            self._face.start_blend(time)
            self._reset_filter()
        covered = self._mouth_step(frame, observation, capture, time)
        if self.calibration is None:
            au, head = np.zeros(N_CHANNELS), np.zeros(3)
        else:
            au, head = self._estimate(measures, pose, time)
        if self._face.reacquired(time):  # found again: blend from where the output is
            self._reset_filter()
        au, head = self._face.found(au, head, time)
        return self._result(time, au, head, observation, calibrating=bool(capture),
                            covered=covered)

    # -- stages -------------------------------------------------------------------------------

    def _mouth_step(
        self, frame: VideoFrame, observation: Observation, capture: bool | None, time: float
    ) -> float:
        """Collect the mouth's neutral appearance, or measure how covered it is now."""
        mouth = self._mouth
        if mouth is None or frame.image is None or observation.landmarks is None:
            return 0.0
        appearance = mouth_appearance(frame.image, observation.landmarks)
        if capture is not None:  # with the neutral capture (True: running; False: just ended)
            mouth.add_reference(appearance)
            if capture is False:
                mouth.set_reference()
        elif mouth.reference is None:  # a calibration was given: a reference of our own
            self._mouth_since = time if self._mouth_since is None else self._mouth_since
            mouth.add_reference(appearance)
            if time - self._mouth_since >= self.calibrate_seconds:
                mouth.set_reference()
        return mouth.update(appearance, time)

    def _reset_filter(self) -> None:
        if self._filter is not None:
            self._filter.reset()

    def _estimate(
        self, measures: FloatArray, pose: FloatArray, time: float
    ) -> tuple[FloatArray, FloatArray]:
        calibration = self.calibration
        assert calibration is not None
        au = self.estimator.respond(self._neutral.relative(measures, time))
        self._eyes.apply(au, time)
        if self._filter is not None:
            au = self._filter.update(au, time)
        if self._mouth is not None:
            self._mouth.apply(au)
        head = pose - calibration.head_pose if self.head_relative else pose
        return au, head

    def _result(
        self,
        time: float,
        au: FloatArray,
        head: FloatArray,
        observation: Observation | None,
        *,
        calibrating: bool,
        covered: float = 0.0,
    ) -> TrackResult:
        """The exit: the one clamp to [0, 1] (NaN -> 0) and the one conversion to float32."""
        out = np.fmin(np.fmax(au, 0.0), 1.0)  # fmax turns NaN into 0
        pose = np.where(np.isfinite(head), head, 0.0)
        self._face.out, self._face.pose = out, pose
        return TrackResult(
            time=time,
            au=out.astype(np.float32),
            head_pose=pose.astype(np.float32),
            face_found=observation is not None,
            landmarks=None if observation is None else observation.landmarks,
            calibrating=calibrating,
            mouth_covered=covered,
        )


def rest_calibration(backend: Backend, estimator: Estimator) -> Calibration:
    """A neutral of all zeros: for recordings that are already relative to a rest face (Live
    Link Face takes), so that nothing of the take is swallowed by a calibration capture.

    Parameters
    ----------
    backend : Backend
        The backend whose observations the estimator reads (its name and version are stored).
    estimator : Estimator
        The estimator the tracker uses (its measure names are the calibration's).

    Returns
    -------
    Calibration
        Neutral zeros, shape (len(estimator.measure_names),).
    """
    names = estimator.measure_names
    return Calibration(backend=backend.name, backend_version=backend.version,
                       estimator_version=ESTIMATOR_VERSION, names=names,
                       neutral=np.zeros(len(names)))  # fmt: skip
