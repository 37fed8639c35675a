"""Synthesis: envelopes, emotion prototypes, blinks, asymmetry and timeline rendering.

All of it is pure: functions over arrays, seeded by the timeline, with no clocks or I/O.
"""

from avatardrive.synth._blinks import BlinkSchedule, blink_schedule
from avatardrive.synth._envelope import apex_sag, envelope, min_jerk
from avatardrive.synth._gaze import GAZE_MODES, GazeMode, IdleGaze
from avatardrive.synth._idle import IDLE_BLOCK_SECONDS, IdleLife, idle_block
from avatardrive.synth._library import (
    EmotionLibrary,
    Prototype,
    PrototypeSet,
    emotion_library,
    parse_library,
)
from avatardrive.synth._mixer import Layer, Mixer
from avatardrive.synth._render import (
    MAX_RENDER_BYTES,
    event_values,
    render,
    render_resolved,
    timeline_duration,
)
from avatardrive.synth._resolve import ResolvedEvent, resolve_event, resolve_timeline, side_gains
from avatardrive.synth._styles import MICRO, STYLE_DEFAULTS, StyleDefaults

__all__ = [
    "GAZE_MODES",
    "IDLE_BLOCK_SECONDS",
    "MAX_RENDER_BYTES",
    "MICRO",
    "STYLE_DEFAULTS",
    "BlinkSchedule",
    "EmotionLibrary",
    "GazeMode",
    "IdleGaze",
    "IdleLife",
    "Layer",
    "Mixer",
    "Prototype",
    "PrototypeSet",
    "ResolvedEvent",
    "StyleDefaults",
    "apex_sag",
    "blink_schedule",
    "emotion_library",
    "envelope",
    "event_values",
    "idle_block",
    "min_jerk",
    "parse_library",
    "render",
    "render_resolved",
    "resolve_event",
    "resolve_timeline",
    "side_gains",
    "timeline_duration",
]
