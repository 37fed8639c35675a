"""The streaming pipeline (no Qt, no argparse).

- inputs: :func:`load_input` / :func:`load_curves` read any input as AU curves (timelines, curve
  files, OpenFace and Live Link Face takes);
- sources of base frames: :class:`CurvesSource`, :class:`IdleSource` (a living neutral face), the
  tracker (:class:`LiveSession`, :class:`PuppetController`);
- the per-frame step every loop shares: :class:`FrameStep` (poll control -> mix -> retarget per
  route -> send), with :class:`Route` per destination and :class:`CommandRouter`;
- pacing by the one clock: :class:`Player` (absolute deadlines), :class:`FramePump` (a source's
  own timing);
- recording as a sink: :class:`CurveRecorder` writes as it goes.
"""

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

__all__ = [
    "BLINK_SECONDS",
    "EMOTION_KEYS",
    "INPUT_FORMATS",
    "KEY_HELP",
    "BaseSource",
    "Captured",
    "CommandRouter",
    "CurveRecorder",
    "CurvesSource",
    "FaceTracker",
    "FramePump",
    "FrameStep",
    "IdleSource",
    "InputKind",
    "LayerStatus",
    "LiveReport",
    "LiveSession",
    "LoadedInput",
    "PlayReport",
    "Player",
    "PuppetController",
    "PuppetState",
    "Route",
    "close_routes",
    "input_kind",
    "load_curves",
    "load_input",
    "open_routes",
    "send_neutral",
]
