"""The public face of avatardrive.transport: exactly the intended names, and a light import."""

from __future__ import annotations

import subprocess
import sys

import avatardrive.transport

INTENDED = {
    # clock
    "FrameClock", "Tick", "ClockStats",
    # frames and sinks
    "Frame", "Sink", "ValueRange", "open_sink", "UdpSink", "SinkStats", "MemorySink",
    "LiveLinkCsvSink", "NpzRecorder", "Recording", "read_recording", "livelink_timecode",
    "LIVE_LINK_COLUMNS", "LIVE_LINK_SHAPES", "LIVE_LINK_ROTATIONS", "livelink_rotations",
    # destinations
    "Destination", "parse_destination", "SCHEMES", "DEFAULT_PORTS", "DEFAULT_RIGS",
    # encoders
    "Encoder", "BundleEncoder", "VRChatEncoder", "make_encoder", "osc_encoder", "vmc_encoder",
    "Readout",
    "LiveLinkEncoder",
    # OSC packets
    "OscMessage", "OscBundle", "parse_packet", "iter_messages",
    # control
    "ControlListener", "ControlStats", "ControlCommand", "TriggerEmotion", "TriggerAU",
    "Neutral", "SetMood", "Calibrate", "parse_command",
    # monitor
    "StreamMonitor", "MonitorState", "MonitorSnapshot",
    # VRChat: avatar configs, plans, discovery, the sink
    "VRChatSink", "AvatarWatcher", "AvatarEncoder", "AvatarConfig", "AvatarParameter",
    "AvatarPlan", "FloatRoute", "BoolRoute", "BinaryRoute", "TRACKING_FLAGS", "DerivedParameters",
    "ParameterFactory", "binary_bits", "load_avatar_config", "parse_avatar_config",
    "parse_oscquery_avatar", "plan_avatar", "plan_all",
    # network fetches (the FaceLandmarker model)
    "fetch_url", "fetch_wheel_member",
}  # fmt: skip


def test_public_names_are_exactly_the_intended_ones() -> None:
    assert set(avatardrive.transport.__all__) == INTENDED
    for name in INTENDED:
        assert getattr(avatardrive.transport, name) is not None


def test_import_needs_no_other_layer() -> None:
    # python-osc is a core dependency now (it parses what the listeners receive): it may load.
    code = (
        "import sys, avatardrive.transport\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('avatardrive.') and "
        "m.split('.')[1] not in ('transport', 'errors', '_files', '_shapes'))\n"
        "print(','.join(loaded))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == ""
