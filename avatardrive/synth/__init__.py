"""Synthesis: envelopes, keyframes, transitions, mood, emotion prototypes, blinks, idle gaze and
head life, asymmetry and timeline rendering, and the emotion read-out that reads AU frames back as
emotions (:class:`EmotionReader`).

All of it is pure: functions over arrays, seeded by the timeline, with no clocks or I/O.
"""

from avatardrive.synth._blinks import BlinkSchedule, blink_schedule
from avatardrive.synth._chunked import CHUNK_FRAMES, ChunkedRender
from avatardrive.synth._envelope import apex_sag, envelope, min_jerk
from avatardrive.synth._gaze import GAZE_MODES, GazeMode, IdleGaze
from avatardrive.synth._idle import IDLE_BLOCK_SECONDS, IdleLife, idle_block
from avatardrive.synth._library import (
    CircumplexPoint,
    EmotionLibrary,
    Prototype,
    PrototypeSet,
    emotion_library,
    parse_library,
)
from avatardrive.synth._mixer import Layer, Mixer
from avatardrive.synth._mood import KAPPA, MoodMap, mood_curves, mood_map, mood_path
from avatardrive.synth._reader import (
    AFFECT,
    ANTAGONISTS,
    BASIC_EMOTIONS,
    DEFAULT_SMOOTHING,
    EMOTIONS,
    READ_SETS,
    READOUT_NAMES,
    READOUT_RANGES,
    RULE_AUS,
    EmotionModel,
    EmotionReader,
    EmotionReading,
    ReadoutSmoothing,
    compile_model,
    emotion_model,
    missing_channels,
    prototype_emotions,
    read_emotion_curves,
    read_emotions,
    smooth_frames,
)
from avatardrive.synth._render import (
    MAX_RENDER_BYTES,
    event_values,
    render,
    render_resolved,
    timeline_duration,
)
from avatardrive.synth._resolve import (
    ResolvedEvent,
    event_curves,
    hand_over,
    resolve_event,
    resolve_timeline,
    side_gains,
)
from avatardrive.synth._schedule import Moves, evaluate_moves, key_moves
from avatardrive.synth._styles import MICRO, STYLE_DEFAULTS, StyleDefaults

__all__ = [
    "AFFECT",
    "ANTAGONISTS",
    "BASIC_EMOTIONS",
    "CHUNK_FRAMES",
    "DEFAULT_SMOOTHING",
    "EMOTIONS",
    "GAZE_MODES",
    "IDLE_BLOCK_SECONDS",
    "KAPPA",
    "MAX_RENDER_BYTES",
    "MICRO",
    "READOUT_NAMES",
    "READOUT_RANGES",
    "READ_SETS",
    "RULE_AUS",
    "STYLE_DEFAULTS",
    "BlinkSchedule",
    "ChunkedRender",
    "CircumplexPoint",
    "EmotionLibrary",
    "EmotionModel",
    "EmotionReader",
    "EmotionReading",
    "GazeMode",
    "IdleGaze",
    "IdleLife",
    "Layer",
    "Mixer",
    "MoodMap",
    "Moves",
    "Prototype",
    "PrototypeSet",
    "ReadoutSmoothing",
    "ResolvedEvent",
    "StyleDefaults",
    "apex_sag",
    "blink_schedule",
    "compile_model",
    "emotion_library",
    "emotion_model",
    "envelope",
    "evaluate_moves",
    "event_curves",
    "event_values",
    "hand_over",
    "idle_block",
    "key_moves",
    "min_jerk",
    "missing_channels",
    "mood_curves",
    "mood_map",
    "mood_path",
    "parse_library",
    "prototype_emotions",
    "read_emotion_curves",
    "read_emotions",
    "render",
    "render_resolved",
    "resolve_event",
    "resolve_timeline",
    "side_gains",
    "smooth_frames",
    "timeline_duration",
]
