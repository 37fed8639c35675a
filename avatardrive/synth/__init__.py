"""Synthesis: envelopes, keyframes, transitions, mood, emotion prototypes, blinks, asymmetry and
timeline rendering.

All of it is pure: functions over arrays, seeded by the timeline, with no clocks or I/O.
"""

from avatardrive.synth._blinks import BlinkSchedule, blink_schedule
from avatardrive.synth._envelope import apex_sag, envelope, min_jerk
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
    "KAPPA",
    "MAX_RENDER_BYTES",
    "MICRO",
    "STYLE_DEFAULTS",
    "BlinkSchedule",
    "CircumplexPoint",
    "EmotionLibrary",
    "Layer",
    "Mixer",
    "MoodMap",
    "Moves",
    "Prototype",
    "PrototypeSet",
    "ResolvedEvent",
    "StyleDefaults",
    "apex_sag",
    "blink_schedule",
    "emotion_library",
    "envelope",
    "evaluate_moves",
    "event_curves",
    "event_values",
    "hand_over",
    "key_moves",
    "min_jerk",
    "mood_curves",
    "mood_map",
    "mood_path",
    "parse_library",
    "render",
    "render_resolved",
    "resolve_event",
    "resolve_timeline",
    "side_gains",
    "timeline_duration",
]
