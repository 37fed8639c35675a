"""Live tracking: frame sources, MediaPipe backends, AU estimation, calibration, filtering.

- sources (one interface, :class:`FrameSource`: ``open`` / ``read`` / ``close``):
  :class:`WebcamSource`, :class:`VideoSource`, :class:`ImageFolderSource`,
  :class:`LiveLinkSource` (with :func:`read_live_link`, :func:`parse_timecode`)
- backends: :class:`FaceMeshBackend` (default, offline), :class:`FaceLandmarkerBackend`
  (52 blendshapes from a ``face_landmarker.task`` file, :func:`fetch_model`),
  :class:`RecordedBlendshapes` (Live Link recordings)
- estimation: :class:`LandmarkEstimator` (:class:`LandmarkGains`), :class:`BlendshapeEstimator`,
  :func:`blendshapes_to_au`, :func:`landmark_measures`
- calibration: :class:`Calibration`, :func:`save_calibration`, :func:`load_calibration`,
  :class:`BaselineParams`
- filtering: :class:`OneEuroParams`, :class:`AttackDecayParams`, :func:`filter_latency`
- the per-frame pipeline: :class:`Tracker` -> :class:`TrackResult`

Left and right always mean the performer's own sides; a source's ``mirrored`` flag says whether
its images are mirror images (see :mod:`avatardrive.tracking._frames`). Head pose is (yaw, pitch,
roll) in degrees: yaw > 0 turns toward the performer's left, pitch > 0 looks up, roll > 0 tilts
the head toward the performer's left shoulder.

MediaPipe and OpenCV are imported only when a backend or an image source is used.
"""

from avatardrive.tracking._arkit import ARKIT_NAMES
from avatardrive.tracking._backends import (
    MODEL_URL,
    Backend,
    FaceLandmarkerBackend,
    FaceMeshBackend,
    RecordedBlendshapes,
    check_model_file,
    fetch_model,
)
from avatardrive.tracking._calibration import (
    BaselineParams,
    Calibration,
    load_calibration,
    save_calibration,
)
from avatardrive.tracking._calibration_store import (
    calibration_path,
    calibrations_dir,
    saved_calibrations,
)
from avatardrive.tracking._estimate import (
    ESTIMATOR_VERSION,
    BlendshapeEstimator,
    Estimator,
    InverseRig,
    LandmarkEstimator,
    LandmarkGains,
    Observation,
    blendshapes_to_au,
)
from avatardrive.tracking._filters import (
    AttackDecayParams,
    FilterLatency,
    OneEuroParams,
    filter_latency,
)
from avatardrive.tracking._frames import (
    Frame,
    FrameSource,
    ImageFolderSource,
    VideoSource,
    WebcamSource,
)
from avatardrive.tracking._landmarks import landmark_measures, measure_names
from avatardrive.tracking._livelink import (
    LiveLinkRecording,
    LiveLinkSource,
    parse_timecode,
    read_live_link,
)
from avatardrive.tracking._openface import OpenFaceTake, is_openface_header, read_openface
from avatardrive.tracking._takes import livelink_curves, openface_curves, read_take_curves
from avatardrive.tracking._tracker import DEFAULT_FILTER, LostFaceParams, Tracker, TrackResult

__all__ = [
    "ARKIT_NAMES",
    "DEFAULT_FILTER",
    "ESTIMATOR_VERSION",
    "MODEL_URL",
    "AttackDecayParams",
    "Backend",
    "BaselineParams",
    "BlendshapeEstimator",
    "Calibration",
    "Estimator",
    "FaceLandmarkerBackend",
    "FaceMeshBackend",
    "FilterLatency",
    "Frame",
    "FrameSource",
    "ImageFolderSource",
    "InverseRig",
    "LandmarkEstimator",
    "LandmarkGains",
    "LiveLinkRecording",
    "LiveLinkSource",
    "LostFaceParams",
    "Observation",
    "OneEuroParams",
    "OpenFaceTake",
    "RecordedBlendshapes",
    "TrackResult",
    "Tracker",
    "VideoSource",
    "WebcamSource",
    "blendshapes_to_au",
    "calibration_path",
    "calibrations_dir",
    "check_model_file",
    "fetch_model",
    "filter_latency",
    "is_openface_header",
    "landmark_measures",
    "livelink_curves",
    "load_calibration",
    "measure_names",
    "openface_curves",
    "parse_timecode",
    "read_live_link",
    "read_openface",
    "read_take_curves",
    "save_calibration",
    "saved_calibrations",
]
