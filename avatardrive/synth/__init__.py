"""Synthesis: envelopes, emotion prototypes, blinks, asymmetry and timeline rendering.

All of it is pure: functions over arrays, seeded by the timeline, with no clocks or I/O.
"""

from avatardrive.synth._blinks import BlinkSchedule, blink_schedule
from avatardrive.synth._chunked import CHUNK_FRAMES, ChunkedRender
from avatardrive.synth._envelope import apex_sag, envelope, min_jerk
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
    "CHUNK_FRAMES",
    "MAX_RENDER_BYTES",
    "MICRO",
    "STYLE_DEFAULTS",
    "BlinkSchedule",
    "ChunkedRender",
    "EmotionLibrary",
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
    "min_jerk",
    "parse_library",
    "render",
    "render_resolved",
    "resolve_event",
    "resolve_timeline",
    "side_gains",
    "timeline_duration",
]
