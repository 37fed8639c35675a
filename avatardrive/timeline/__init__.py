"""Timelines: the model of scripted events, its TOML/JSON file format and the authoring API."""

from avatardrive.timeline._format import (
    FORMAT_VERSION,
    dumps_timeline,
    load_timeline,
    loads_timeline,
    save_timeline,
    timeline_from_dict,
    timeline_to_dict,
)
from avatardrive.timeline._model import (
    BLEND_POLICIES,
    BLINK_TIMING,
    MAX_EVENT_SECONDS,
    MICRO_MAX_ONSET,
    MICRO_MAX_TOTAL,
    STYLES,
    Event,
    MoodKey,
    Policy,
    Style,
    Timeline,
    canonical_au_key,
)

__all__ = [
    "BLEND_POLICIES",
    "BLINK_TIMING",
    "FORMAT_VERSION",
    "MAX_EVENT_SECONDS",
    "MICRO_MAX_ONSET",
    "MICRO_MAX_TOTAL",
    "STYLES",
    "Event",
    "MoodKey",
    "Policy",
    "Style",
    "Timeline",
    "canonical_au_key",
    "dumps_timeline",
    "load_timeline",
    "loads_timeline",
    "save_timeline",
    "timeline_from_dict",
    "timeline_to_dict",
]
