"""Streaming: the real-time clock, OSC encoders and address schemas, sinks, control input.

Layers inside, bottom up (sockets only in the top row)::

    _osc         bytes <-> types: builders and a strict parser
    _layout      fixed packet layouts: prepared bundle bytes, float slots rewritten per frame
    _encoders    schemas: generic OSC, VMC, VRChat (quantized, change-only, rate-capped)
    _frame       Frame, the Sink seam, value ranges (clamp; NaN -> lo)
    _livelink    Live Link Face CSV sink      _record   memory sink, NPZ recorder
    _clock       FrameClock: absolute deadlines, skipped frames counted, lateness stats
    _udp         UdpSink (per destination)    _control  ControlListener   _monitor  StreamMonitor

- clock: :class:`FrameClock`, :class:`Tick`, :class:`ClockStats`
- frames and sinks: :class:`Frame`, :class:`Sink`, :class:`ValueRange`, :func:`open_sink`,
  :class:`UdpSink`, :class:`MemorySink`, :class:`LiveLinkCsvSink`, :class:`NpzRecorder`
- destinations: :func:`parse_destination`, :class:`Destination`
- encoders: :func:`make_encoder`, :func:`osc_encoder`, :func:`vmc_encoder`,
  :class:`VRChatEncoder`
- control: :class:`ControlListener` and the commands it queues
- monitor: :class:`StreamMonitor`, :class:`MonitorState`, :class:`MonitorSnapshot`
- network fetches: :func:`fetch_url`, :func:`fetch_wheel_member` (a file inside a registry wheel)
"""

from avatardrive.transport._clock import ClockStats, FrameClock, Tick
from avatardrive.transport._control import (
    Calibrate,
    ControlCommand,
    ControlListener,
    ControlStats,
    Neutral,
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

__all__ = [
    "DEFAULT_PORTS",
    "DEFAULT_RIGS",
    "LIVE_LINK_COLUMNS",
    "LIVE_LINK_SHAPES",
    "SCHEMES",
    "BundleEncoder",
    "Calibrate",
    "ClockStats",
    "ControlCommand",
    "ControlListener",
    "ControlStats",
    "Destination",
    "Encoder",
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
    "Recording",
    "Sink",
    "SinkStats",
    "StreamMonitor",
    "Tick",
    "TriggerAU",
    "TriggerEmotion",
    "UdpSink",
    "VRChatEncoder",
    "ValueRange",
    "fetch_url",
    "fetch_wheel_member",
    "iter_messages",
    "livelink_timecode",
    "make_encoder",
    "open_sink",
    "osc_encoder",
    "parse_command",
    "parse_destination",
    "parse_packet",
    "read_recording",
    "vmc_encoder",
]
