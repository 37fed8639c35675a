"""Streaming: the real-time clock, OSC encoders and address schemas, sinks, control input.

Layers inside, bottom up (sockets only in the top row)::

    _osc         bytes <-> types: builders and a strict parser
    _layout      fixed packet layouts: prepared bundle bytes, float slots rewritten per frame
    _encoders    schemas: generic OSC, VMC, VRChat (quantized, change-only, rate-capped)
    _frame       Frame, the Sink seam, value ranges (clamp; NaN -> lo)
    _livelink    Live Link Face CSV sink      _record   memory sink, NPZ recorder
    _clock       FrameClock: absolute deadlines, skipped frames counted, lateness stats
    _udp         UdpSink (per destination)    _control  ControlListener   _monitor  StreamMonitor
    _vrchat_config / _vrchat_plan / _vrchat     avatar configs, OSCQuery, plans, VRChatSink

- clock: :class:`FrameClock`, :class:`Tick`, :class:`ClockStats`
- frames and sinks: :class:`Frame`, :class:`Sink`, :class:`ValueRange`, :func:`open_sink`,
  :class:`UdpSink`, :class:`MemorySink`, :class:`LiveLinkCsvSink`, :class:`NpzRecorder`
- destinations: :func:`parse_destination`, :class:`Destination`
- encoders: :func:`make_encoder`, :func:`osc_encoder`, :func:`vmc_encoder`,
  :class:`VRChatEncoder`; :class:`Readout`, the seam for values computed from each frame's AU
  channels (the emotion read-out of ``osc://...?emotions=1``)
- control: :class:`ControlListener` and the commands it queues
- monitor: :class:`StreamMonitor`, :class:`MonitorState`, :class:`MonitorSnapshot`
- VRChat: :class:`VRChatSink`, :class:`AvatarWatcher`, :func:`load_avatar_config`,
  :func:`parse_avatar_config`, :func:`plan_avatar`, :class:`AvatarPlan`, :func:`binary_bits`
- network fetches: :func:`fetch_url`, :func:`fetch_wheel_member` (a file inside a registry wheel)
"""

from avatardrive.transport._clock import ClockStats, FrameClock, Tick
from avatardrive.transport._control import (
    Calibrate,
    ControlCommand,
    ControlListener,
    ControlStats,
    Neutral,
    SetMood,
    TriggerAU,
    TriggerEmotion,
    parse_command,
)
from avatardrive.transport._destination import (
    DEFAULT_PORTS,
    DEFAULT_RIGS,
    SCHEMES,
    Destination,
    parse_destination,
)
from avatardrive.transport._encoders import (
    BundleEncoder,
    Encoder,
    Readout,
    VRChatEncoder,
    make_encoder,
    osc_encoder,
    vmc_encoder,
)
from avatardrive.transport._fetch import fetch_url, fetch_wheel_member
from avatardrive.transport._frame import Frame, Sink, ValueRange
from avatardrive.transport._livelink import (
    LIVE_LINK_COLUMNS,
    LIVE_LINK_SHAPES,
    LiveLinkCsvSink,
    livelink_timecode,
)
from avatardrive.transport._monitor import MonitorSnapshot, MonitorState, StreamMonitor
from avatardrive.transport._open import open_sink
from avatardrive.transport._osc import OscBundle, OscMessage, iter_messages, parse_packet
from avatardrive.transport._record import MemorySink, NpzRecorder, Recording, read_recording
from avatardrive.transport._udp import SinkStats, UdpSink
from avatardrive.transport._vrchat import (
    AvatarEncoder,
    AvatarWatcher,
    DerivedParameters,
    ParameterFactory,
    VRChatSink,
    binary_bits,
)
from avatardrive.transport._vrchat_config import (
    AvatarConfig,
    AvatarParameter,
    load_avatar_config,
    parse_avatar_config,
    parse_oscquery_avatar,
)
from avatardrive.transport._vrchat_plan import (
    TRACKING_FLAGS,
    AvatarPlan,
    BinaryRoute,
    BoolRoute,
    FloatRoute,
    plan_all,
    plan_avatar,
)

__all__ = [
    "DEFAULT_PORTS",
    "DEFAULT_RIGS",
    "LIVE_LINK_COLUMNS",
    "LIVE_LINK_SHAPES",
    "SCHEMES",
    "TRACKING_FLAGS",
    "AvatarConfig",
    "AvatarEncoder",
    "AvatarParameter",
    "AvatarPlan",
    "AvatarWatcher",
    "BinaryRoute",
    "BoolRoute",
    "BundleEncoder",
    "Calibrate",
    "ClockStats",
    "ControlCommand",
    "ControlListener",
    "ControlStats",
    "DerivedParameters",
    "Destination",
    "Encoder",
    "FloatRoute",
    "Frame",
    "FrameClock",
    "LiveLinkCsvSink",
    "MemorySink",
    "MonitorSnapshot",
    "MonitorState",
    "Neutral",
    "NpzRecorder",
    "OscBundle",
    "OscMessage",
    "ParameterFactory",
    "Readout",
    "Recording",
    "SetMood",
    "Sink",
    "SinkStats",
    "StreamMonitor",
    "Tick",
    "TriggerAU",
    "TriggerEmotion",
    "UdpSink",
    "VRChatEncoder",
    "VRChatSink",
    "ValueRange",
    "binary_bits",
    "fetch_url",
    "fetch_wheel_member",
    "iter_messages",
    "livelink_timecode",
    "load_avatar_config",
    "make_encoder",
    "open_sink",
    "osc_encoder",
    "parse_avatar_config",
    "parse_command",
    "parse_destination",
    "parse_oscquery_avatar",
    "parse_packet",
    "plan_all",
    "plan_avatar",
    "read_recording",
    "vmc_encoder",
]
