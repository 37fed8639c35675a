"""The streaming pipeline (no Qt, no argparse).

- inputs: :func:`load_input` / :func:`load_curves` read any input as AU curves (timelines, curve
  files, OpenFace and Live Link Face takes);
- sources of base frames: :class:`CurvesSource`, :class:`IdleSource` (a living neutral face), the
  tracker (:class:`LiveSession`, :class:`PuppetController`);
- the per-frame step every loop shares: :class:`FrameStep` (poll control -> mix -> retarget per
  route -> send), with :class:`Route` per destination and :class:`CommandRouter`;
- pacing by the one clock: :class:`Player` (absolute deadlines), :class:`FramePump` (a source's
  own timing);
- recording as a sink: :class:`CurveRecorder` writes as it goes;
- trackers without a command line: :class:`TrackerOptions`, :func:`track_file`;
- batch jobs: :func:`find_inputs`, :func:`read_item_list`, :func:`plan_items`, :func:`run_batch`
  with a :class:`RenderJob` or :class:`TrackJob`, on a local process pool or a Dask scheduler
  (Dask is imported only then).
"""

from avatardrive.pipeline._batch import (
    MANIFEST_COLUMNS,
    PREVIOUS_RUN,
    BatchKind,
    BatchReport,
    InputSet,
    find_inputs,
    is_up_to_date,
    make_engine,
    plan_items,
    read_item_list,
    remove_orphans,
    run_batch,
    write_manifest,
)
from avatardrive.pipeline._batch_engines import DaskEngine, LocalEngine, default_workers
from avatardrive.pipeline._batch_work import (
    VIDEO_SUFFIXES,
    BatchItem,
    ItemResult,
    Job,
    RenderJob,
    TrackJob,
    run_item,
)
from avatardrive.pipeline._commands import CommandRouter
from avatardrive.pipeline._inputs import (
    INPUT_FORMATS,
    InputKind,
    LoadedInput,
    input_kind,
    load_curves,
    load_input,
)
from avatardrive.pipeline._live import LiveReport, LiveSession
from avatardrive.pipeline._player import BaseSource, Player, PlayReport
from avatardrive.pipeline._pump import Captured, FramePump
from avatardrive.pipeline._puppet import (
    BLINK_SECONDS,
    EMOTION_KEYS,
    KEY_HELP,
    FaceTracker,
    LayerStatus,
    PuppetController,
    PuppetState,
)
from avatardrive.pipeline._record import CurveRecorder
from avatardrive.pipeline._routes import Route, close_routes, open_routes, send_neutral
from avatardrive.pipeline._sources import CurvesSource, IdleSource
from avatardrive.pipeline._step import FrameStep
from avatardrive.pipeline._trackers import TrackedFile, TrackerOptions, track_file

__all__ = [
    "BLINK_SECONDS",
    "EMOTION_KEYS",
    "INPUT_FORMATS",
    "KEY_HELP",
    "MANIFEST_COLUMNS",
    "PREVIOUS_RUN",
    "VIDEO_SUFFIXES",
    "BaseSource",
    "BatchItem",
    "BatchKind",
    "BatchReport",
    "Captured",
    "CommandRouter",
    "CurveRecorder",
    "CurvesSource",
    "DaskEngine",
    "FaceTracker",
    "FramePump",
    "FrameStep",
    "IdleSource",
    "InputKind",
    "InputSet",
    "ItemResult",
    "Job",
    "LayerStatus",
    "LiveReport",
    "LiveSession",
    "LoadedInput",
    "LocalEngine",
    "PlayReport",
    "Player",
    "PuppetController",
    "PuppetState",
    "RenderJob",
    "Route",
    "TrackJob",
    "TrackedFile",
    "TrackerOptions",
    "close_routes",
    "default_workers",
    "find_inputs",
    "input_kind",
    "is_up_to_date",
    "load_curves",
    "load_input",
    "make_engine",
    "open_routes",
    "plan_items",
    "read_item_list",
    "remove_orphans",
    "run_batch",
    "run_item",
    "send_neutral",
    "track_file",
    "write_manifest",
]
