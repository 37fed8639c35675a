"""The streaming pipeline: routes to destinations, control input, and the loops that pace, mix,
retarget and send AU frames (no Qt, no argparse)."""

from avatardrive.pipeline._inputs import (
    INPUT_FORMATS,
    InputKind,
    LoadedInput,
    input_kind,
    load_curves,
    load_input,
)
from avatardrive.pipeline._live import LiveReport, LiveSession
from avatardrive.pipeline._player import (
    CommandRouter,
    Player,
    PlayReport,
    Route,
    open_routes,
    send_neutral,
)
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

__all__ = [
    "BLINK_SECONDS",
    "EMOTION_KEYS",
    "INPUT_FORMATS",
    "KEY_HELP",
    "Captured",
    "CommandRouter",
    "FaceTracker",
    "FramePump",
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
    "input_kind",
    "load_curves",
    "load_input",
    "open_routes",
    "send_neutral",
]
