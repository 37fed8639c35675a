"""Live tracking: frame sources (and a video writer), MediaPipe backends, AU estimation,
calibration, filtering.

- sources (one interface, :class:`FrameSource`: ``open`` / ``read`` / ``close``):
  :class:`WebcamSource` (:func:`list_cameras`), :class:`VideoSource`, :class:`ImageFolderSource`,
  :class:`LiveLinkSource` (with :func:`read_live_link`, :func:`parse_timecode`)
- backends: :class:`FaceLandmarkerBackend` (MediaPipe Tasks: landmarks, 52 blendshapes and
  head pose in one inference; :class:`FaceZoom` follows a small face with a crop),
  :class:`RecordedBlendshapes` (Live Link recordings)
- the model file: :func:`find_model`, :func:`default_model_path` (the user's cache),
  :func:`check_model_file`, :func:`install_model`, :data:`MODEL_URL`, :data:`MODEL_SHA256`,
  :data:`MODEL_FALLBACK` (downloading is ``avatardrive.transport``'s job)
- estimation: :class:`FusedEstimator` (default: geometric and learned blended per AU),
  :class:`LandmarkEstimator` (:class:`LandmarkGains`), :class:`BlendshapeEstimator`,
  :func:`blendshapes_to_au`, :func:`landmark_measures`
- calibration: :class:`Calibration`, :func:`save_calibration`, :func:`load_calibration`,
  :class:`BaselineParams`
- occlusion: :class:`MouthOcclusion` (:class:`OcclusionParams`): a covered mouth relaxes
- filtering: :class:`OneEuroParams`, :class:`AttackDecayParams`, :func:`filter_latency`
- the per-frame pipeline: :class:`Tracker` -> :class:`TrackResult`

Left and right always mean the performer's own sides; a source's ``mirrored`` flag says whether
its images are mirror images (see :mod:`avatardrive.tracking._frames`). Head pose is (yaw, pitch,
roll) in degrees: yaw > 0 turns toward the performer's left, pitch > 0 looks up, roll > 0 tilts
the head toward the performer's left shoulder.

MediaPipe and OpenCV are imported only when a backend or an image source is used.
"""

from avatardrive.tracking._arkit import ARKIT_NAMES
from avatardrive.tracking._backends import Backend, FaceLandmarkerBackend, RecordedBlendshapes
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
    FusedEstimator,
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
    IMAGE_SUFFIXES,
    CameraInfo,
    FrameSource,
    ImageFolderSource,
    VideoFrame,
    VideoSource,
    WebcamSource,
    list_cameras,
)
from avatardrive.tracking._landmarks import landmark_measures, measure_names
from avatardrive.tracking._livelink import (
    LiveLinkRecording,
    LiveLinkSource,
    parse_timecode,
    read_live_link,
)
from avatardrive.tracking._model import (
    MODEL_FALLBACK,
    MODEL_SHA256,
    MODEL_URL,
    check_model_file,
    default_model_path,
    find_model,
    install_model,
)
from avatardrive.tracking._occlusion import MOUTH_AUS, MouthOcclusion, OcclusionParams
from avatardrive.tracking._openface import OpenFaceTake, is_openface_header, read_openface
from avatardrive.tracking._takes import livelink_curves, openface_curves, read_take_curves
from avatardrive.tracking._tracker import (
    DEFAULT_FILTER,
    LostFaceParams,
    Tracker,
    TrackResult,
    rest_calibration,
)
from avatardrive.tracking._video_out import VIDEO_CODECS, VideoWriter
from avatardrive.tracking._zoom import FaceZoom, ZoomParams

__all__ = [
    "ARKIT_NAMES",
    "DEFAULT_FILTER",
    "ESTIMATOR_VERSION",
    "IMAGE_SUFFIXES",
    "MODEL_FALLBACK",
    "MODEL_SHA256",
    "MODEL_URL",
    "MOUTH_AUS",
    "VIDEO_CODECS",
    "AttackDecayParams",
    "Backend",
    "BaselineParams",
    "BlendshapeEstimator",
    "Calibration",
    "CameraInfo",
    "Estimator",
    "FaceLandmarkerBackend",
    "FaceZoom",
    "FilterLatency",
    "FrameSource",
    "FusedEstimator",
    "ImageFolderSource",
    "InverseRig",
    "LandmarkEstimator",
    "LandmarkGains",
    "LiveLinkRecording",
    "LiveLinkSource",
    "LostFaceParams",
    "MouthOcclusion",
    "Observation",
    "OcclusionParams",
    "OneEuroParams",
    "OpenFaceTake",
    "RecordedBlendshapes",
    "TrackResult",
    "Tracker",
    "VideoFrame",
    "VideoSource",
    "VideoWriter",
    "WebcamSource",
    "ZoomParams",
    "blendshapes_to_au",
    "calibration_path",
    "calibrations_dir",
    "check_model_file",
    "default_model_path",
    "filter_latency",
    "find_model",
    "install_model",
    "is_openface_header",
    "landmark_measures",
    "list_cameras",
    "livelink_curves",
    "load_calibration",
    "measure_names",
    "openface_curves",
    "parse_timecode",
    "read_live_link",
    "read_openface",
    "read_take_curves",
    "rest_calibration",
    "save_calibration",
    "saved_calibrations",
]
