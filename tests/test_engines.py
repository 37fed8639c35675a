"""Engine-side receivers in demo/: the Blender add-on and the Unity scripts, against real tools.

- The add-on's pure modules (``osc``, ``frames``, ``names``, ``receiver``) under plain pytest:
  golden datagrams from python-osc, strictness, hypothesis fuzzing, a real UDP socket.
- Blender (Debian ``blender``): the add-on installed from its zip, started by its operator, fed a
  real UDP stream built with python-osc; the shape key values come back as JSON.
- Mono (Debian ``mono-mcs`` + ``mono-runtime``): ``AvatarDriveOscParser.cs`` compiled with a
  console driver and fed a recorded stream, checked against python-osc and the Python parser;
  ``AvatarDriveReceiver.cs`` compiled against a stub of the few UnityEngine types it uses.

Without blender/mcs/mono these tests skip, except under ``CI=true`` where they fail.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import math
import os
import random
import select
import shutil
import socket
import struct
import subprocess
import sys
import time
import types
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message import OscMessage as PyOscMessage
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_packet import OscPacket

ROOT = Path(__file__).resolve().parent.parent
BLENDER_DIR = ROOT / "demo" / "blender"
ADDON_DIR = BLENDER_DIR / "avatardrive_receiver"
UNITY_DIR = ROOT / "demo" / "unity"
UNITY_TESTS = Path(__file__).resolve().parent / "unity"
APT_HINT = ("install the Debian packages: apt-get install -y --no-install-recommends "
            "blender mono-mcs mono-runtime")


def _load_pure_addon() -> tuple[types.ModuleType, ...]:
    """The add-on's bpy-free modules, imported without running its ``__init__`` (needs bpy)."""
    name = "avatardrive_receiver_pure"
    if name not in sys.modules:
        package = types.ModuleType(name)
        package.__path__ = [str(ADDON_DIR)]
        sys.modules[name] = package
    return tuple(importlib.import_module(f"{name}.{module}")
                 for module in ("osc", "frames", "names", "receiver"))


osc, frames, names, receiver_module = _load_pure_addon()


# ------------------------------------------------------------------------------ stream builders


def message(address: str, *args: Any, types_: str = "") -> PyOscMessage:
    """A python-osc message; ``types_`` forces type tags per argument (e.g. ``"d"``)."""
    builder = OscMessageBuilder(address)
    for i, arg in enumerate(args):
        builder.add_arg(arg, arg_type=types_[i] if i < len(types_) else None)
    return builder.build()


def bundle(*elements: Any, timetag: int = IMMEDIATELY) -> Any:
    builder = OscBundleBuilder(timetag)
    for element in elements:
        builder.add_content(element)
    return builder.build()


def vmc_frame(values: dict[str, float]) -> bytes:
    vals = [message("/VMC/Ext/Blend/Val", name, float(v)) for name, v in values.items()]
    return bytes(bundle(*vals, message("/VMC/Ext/Blend/Apply")).dgram)


def generic_frame(values: dict[str, float], *, au: dict[str, float] | None = None) -> bytes:
    shapes = [message(f"/avatardrive/{name}", float(v)) for name, v in values.items()]
    channels = [message(f"/avatardrive/au/{name}", float(v)) for name, v in (au or {}).items()]
    return bytes(bundle(*shapes, *channels).dgram)


def osc_string(text: str) -> bytes:
    raw = text.encode()
    return raw + b"\x00" * (4 - len(raw) % 4)


def raw_bundle(*elements: bytes, timetag: int = 1) -> bytes:
    body = b"".join(struct.pack(">i", len(e)) + e for e in elements)
    return b"#bundle\x00" + struct.pack(">Q", timetag) + body


def nested(datagram: bytes, depth: int) -> bytes:
    for _ in range(depth):
        datagram = raw_bundle(datagram)
    return datagram


def sized_element(size: int) -> bytes:
    """A bundle whose one element claims ``size`` bytes but holds 4."""
    return b"#bundle\x00" + bytes(8) + struct.pack(">i", size) + b"/a\0\0"


UNKNOWN_TAG_VAL = osc_string("/VMC/Ext/Blend/Val") + osc_string(",sX") + osc_string("A")
APPLY = bytes(message("/VMC/Ext/Blend/Apply").dgram)
VALID = vmc_frame({"Joy": 0.5})
MALFORMED = {
    "empty": b"",
    "not a multiple of 4": b"/abc",
    "garbage": b"garbage!",
    "no NUL in address": b"/abcdefg",
    "address without slash": osc_string("abc") + osc_string(",f") + bytes(4),
    "tags without comma": osc_string("/a") + osc_string("f") + bytes(4),
    "non-NUL string padding": b"/a\x00x" + osc_string(",f") + bytes(4),
    "float cut short": osc_string("/a") + osc_string(",ff") + bytes(4),
    "bytes after the arguments": osc_string("/a") + osc_string(",f") + bytes(8),
    "invalid UTF-8": b"/\xff\xfe\x00" + osc_string(",f") + bytes(4),
    "blob longer than the packet": osc_string("/a") + osc_string(",b") + struct.pack(">i", 64),
    "negative blob size": osc_string("/a") + osc_string(",b") + struct.pack(">i", -4),
    "truncated bundle": VALID[:-4],
    "bundle without timetag": b"#bundle\x00",
    "element size too big": sized_element(4096),
    "element size not a multiple of 4": sized_element(3),
    "negative element size": sized_element(-4),
    "zero element size": sized_element(0),
    "bundle nested too deep": nested(APPLY, osc.MAX_DEPTH + 1),
}


def record(datagrams: Sequence[bytes]) -> bytes:
    """Length-prefixed datagrams (uint32 big-endian), the format ParserCheck.exe reads."""
    return b"".join(struct.pack(">I", len(d)) + d for d in datagrams)


def send(port: int, datagrams: Sequence[bytes], *, pause_every: int = 50) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for i, datagram in enumerate(datagrams):
            sock.sendto(datagram, ("127.0.0.1", port))
            if pause_every and i % pause_every == pause_every - 1:
                time.sleep(0.002)  # never outrun a slow receiver's socket buffer


def f32(value: float) -> float:
    """``value`` rounded to float32, as it travels in ``,f``."""
    return float(struct.unpack(">f", struct.pack(">f", value))[0])


def python_osc_messages(datagram: bytes) -> list[tuple[str, list[Any]]]:
    """Address and arguments of every message, as python-osc parses them (MIDI as bytes)."""
    def plain(arg: Any) -> Any:
        return bytes(arg) if isinstance(arg, tuple) else arg

    if datagram.startswith(b"#bundle\x00"):
        found = [t.message for t in OscPacket(datagram).messages]
    else:
        found = [PyOscMessage(datagram)]
    return [(m.address, [plain(a) for a in m.params]) for m in found]


# ------------------------------------------------------------------------- the pure OSC parser


GOLDEN = [
    message("/VMC/Ext/Blend/Val", "mouthSmileLeft", 0.73),
    message("/VMC/Ext/Blend/Apply"),
    message("/avatardrive/jawOpen", 0.25),
    message("/types", 7, -(2**40), 1.5, 0.125, "héllo", b"\x01\x02\x03", (1, 144, 60, 100),
            0x11223344, True, False, None, types_="ihfdsbmrTFN"),
    message("/e", ""),
    message("/x/yz", "abc", "abcd"),
]


@pytest.mark.parametrize("built", GOLDEN, ids=lambda m: m.address)
def test_messages_parse_like_python_osc(built: PyOscMessage) -> None:
    packet = osc.parse_packet(built.dgram)
    assert isinstance(packet, osc.OscMessage)
    assert [(packet.address, list(packet.args))] == python_osc_messages(built.dgram)


def test_type_tags_and_values_of_a_vmc_value() -> None:
    packet = osc.parse_packet(message("/VMC/Ext/Blend/Val", "Joy", 0.73).dgram)
    assert packet == osc.OscMessage("/VMC/Ext/Blend/Val", "sf", ("Joy", f32(0.73)))


def test_nested_bundles_keep_order_and_timetags() -> None:
    inner = bundle(message("/b", 2.0), timetag=123)
    outer = bundle(message("/a", 1.0), inner, message("/c", 3.0))
    packet = osc.parse_packet(outer.dgram)
    assert isinstance(packet, osc.OscBundle)
    assert packet.timetag == 1  # python-osc writes IMMEDIATELY as 1
    assert isinstance(packet.elements[1], osc.OscBundle)
    assert packet.elements[1].timetag == (123 + 2208988800) << 32  # Unix 123 s as NTP
    flat = [(m.address, list(m.args)) for m in osc.iter_messages(packet)]
    assert flat == python_osc_messages(outer.dgram) == [("/a", [1.0]), ("/b", [2.0]),
                                                        ("/c", [3.0])]


def test_old_style_message_without_type_tags() -> None:
    assert osc.parse_packet(osc_string("/ping")) == osc.OscMessage("/ping", "", ())


@pytest.mark.parametrize("datagram", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_datagrams_give_none(datagram: bytes) -> None:
    assert osc.parse_packet(datagram) is None


def test_max_depth_nesting_is_accepted() -> None:
    deep = nested(APPLY, osc.MAX_DEPTH)
    assert [m.address for m in osc.iter_messages(osc.parse_packet(deep))] == [
        "/VMC/Ext/Blend/Apply"]


def test_unknown_type_tag_skips_only_that_message() -> None:
    datagram = raw_bundle(UNKNOWN_TAG_VAL, bytes(message("/VMC/Ext/Blend/Apply").dgram))
    found = list(osc.iter_messages(osc.parse_packet(datagram)))
    assert found == [osc.OscMessage("/VMC/Ext/Blend/Val", "sX", None),
                     osc.OscMessage("/VMC/Ext/Blend/Apply", "", ())]
    arrays = osc_string("/a") + osc_string(",[f]") + bytes(4)
    assert osc.parse_packet(arrays) == osc.OscMessage("/a", "[f]", None)


_names = st.text(st.characters(codec="utf-8", exclude_characters="\x00 #*,/?[]{}"),
                 min_size=1, max_size=12)
_args = st.lists(st.one_of(
    st.integers(-(2**31), 2**31 - 1),
    st.integers(2**31, 2**62),
    st.floats(width=32, allow_nan=False),
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=10),
    st.binary(min_size=1, max_size=9),
    st.booleans(),
    st.none(),
), max_size=6)


@given(parts=st.lists(_names, min_size=1, max_size=3), args=_args)
@settings(deadline=None)  # a loaded 2-core CI box must not turn slowness into failures
def test_any_python_osc_message_parses_the_same(parts: list[str], args: list[Any]) -> None:
    built = message("/" + "/".join(parts), *args)
    packet = osc.parse_packet(built.dgram)
    assert isinstance(packet, osc.OscMessage)
    assert [(packet.address, list(packet.args))] == python_osc_messages(built.dgram)


@given(st.binary(max_size=256))
@settings(deadline=None)
def test_random_bytes_never_raise(data: bytes) -> None:
    packet = osc.parse_packet(data)
    assert packet is None or isinstance(packet, (osc.OscMessage, osc.OscBundle))
    frames.FrameDecoder().feed(osc.iter_messages(packet))


_SEEDS = [VALID, generic_frame({"jawOpen": 0.5, "cheekPuff": 0.1}, au={"AU26_L": 0.4}),
          bytes(GOLDEN[3].dgram), raw_bundle(UNKNOWN_TAG_VAL)]


@given(seed=st.sampled_from(_SEEDS), edits=st.lists(
    st.tuples(st.integers(0, 511), st.integers(0, 255), st.sampled_from(["set", "cut", "insert"])),
    min_size=1, max_size=4))
@settings(max_examples=300, deadline=None)
def test_mutated_datagrams_never_raise(seed: bytes, edits: list[tuple[int, int, str]]) -> None:
    data = bytearray(seed)
    for where, value, how in edits:
        where %= len(data) + 1
        if how == "set" and where < len(data):
            data[where] = value
        elif how == "cut":
            del data[where:]
        else:
            data[where:where] = bytes([value]) * 4
        if not data:
            break
    packet = osc.parse_packet(bytes(data))
    decoder = frames.FrameDecoder()
    for frame in decoder.feed(osc.iter_messages(packet)):
        assert all(isinstance(k, str) and 0.0 <= v <= 1.0 for k, v in frame.items())


# ------------------------------------------------------------------------------- frame decoding


def feed(decoder: Any, *datagrams: bytes) -> list[dict[str, float]]:
    completed: list[dict[str, float]] = []
    for datagram in datagrams:
        completed += decoder.feed(osc.iter_messages(osc.parse_packet(datagram)))
    return completed


def test_vmc_values_wait_for_apply_even_across_datagrams() -> None:
    decoder = frames.FrameDecoder("vmc")
    val = bytes(message("/VMC/Ext/Blend/Val", "Joy", 0.25).dgram)
    apply = bytes(message("/VMC/Ext/Blend/Apply").dgram)
    assert feed(decoder, val) == []
    assert feed(decoder, apply) == [{"Joy": 0.25}]
    assert feed(decoder, apply) == [{}]  # an Apply with nothing pending is an empty frame
    assert feed(decoder, vmc_frame({"A": 0.5, "Blink_L": 1.0})) == [{"A": 0.5, "Blink_L": 1.0}]
    assert decoder.frames == 3


def test_generic_bundle_is_one_frame_and_au_channels_are_ignored() -> None:
    decoder = frames.FrameDecoder("generic")
    datagram = generic_frame({"jawOpen": 0.5, "mouthSmileLeft": 0.73}, au={"AU12_L": 0.9})
    assert feed(decoder, datagram) == [{"jawOpen": 0.5, "mouthSmileLeft": f32(0.73)}]
    assert feed(decoder, bytes(message("/avatardrive/cheekPuff", 0.5).dgram)) == [
        {"cheekPuff": 0.5}]
    assert decoder.ignored == 1


def test_values_clamp_and_nan_is_ignored() -> None:
    decoder = frames.FrameDecoder()
    got = feed(decoder, vmc_frame({"a": 1.7, "b": -0.2, "c": math.nan, "d": math.inf}),
               generic_frame({"e": math.nan, "f": -math.inf}))
    assert got == [{"a": 1.0, "b": 0.0, "d": 1.0}, {"f": 0.0}]
    assert decoder.ignored == 2


def test_wrong_type_tags_and_unknown_addresses_are_ignored() -> None:
    decoder = frames.FrameDecoder()
    datagram = bundle(message("/VMC/Ext/Blend/Val", "Joy", 1),  # ,si
                      message("/VMC/Ext/Blend/Val", 0.5, "Joy"),  # ,fs
                      message("/VMC/Ext/Blend/Val", "Joy", 0.5, 0.5),  # ,sff
                      message("/VMC/Ext/Blend/Val", "", 0.5),  # empty name
                      message("/avatardrive/jawOpen", 0.5, types_="d"),  # ,d
                      message("/avatardrive/jawOpen", "x"),
                      message("/avatardrive/", 0.5),
                      message("/VMC/Ext/OK", 1),
                      message("/VMC/Ext/Blend/Apply", 1))  # Apply with arguments
    assert feed(decoder, bytes(datagram.dgram), raw_bundle(UNKNOWN_TAG_VAL)) == []
    assert decoder.ignored == decoder.messages == 10


def test_protocol_choice_filters_the_other_schema() -> None:
    mixed = [vmc_frame({"Joy": 0.5}), generic_frame({"jawOpen": 0.25})]
    assert feed(frames.FrameDecoder("vmc"), *mixed) == [{"Joy": 0.5}]
    assert feed(frames.FrameDecoder("generic"), *mixed) == [{"jawOpen": 0.25}]
    assert feed(frames.FrameDecoder("auto"), *mixed) == [{"Joy": 0.5}, {"jawOpen": 0.25}]
    custom = frames.FrameDecoder("generic", prefix="/face/")
    assert feed(custom, bytes(message("/face/jawOpen", 0.5).dgram), mixed[1]) == [
        {"jawOpen": 0.5}]
    with pytest.raises(ValueError, match="protocol 'osc' is unknown"):
        frames.FrameDecoder("osc")
    with pytest.raises(ValueError, match="prefix 'face' must start and end"):
        frames.FrameDecoder(prefix="face")


def test_pending_vmc_names_are_bounded() -> None:
    decoder = frames.FrameDecoder()
    vals = [bytes(message("/VMC/Ext/Blend/Val", f"n{i}", 0.5).dgram)
            for i in range(frames.MAX_PENDING + 5)]
    (frame,) = feed(decoder, *vals, bytes(message("/VMC/Ext/Blend/Apply").dgram))
    assert len(frame) == frames.MAX_PENDING
    assert decoder.ignored == 5


def test_avatardrive_senders_decode_in_the_addon() -> None:
    """The real encoders (avatardrive.transport) → the add-on's parser and decoder."""
    from avatardrive.transport import Frame, osc_encoder, vmc_encoder

    shapes = ("mouthSmileLeft", "jawOpen", "Joy", "eyeBlinkLeft")
    values = np.array([0.73, 0.25, 1.5, np.nan], dtype=np.float32)  # sender clamps, NaN → 0
    want = {"mouthSmileLeft": f32(0.73), "jawOpen": 0.25, "Joy": 1.0, "eyeBlinkLeft": 0.0}
    frame = Frame(0, 0.0, shapes, values, ("AU12_L",), np.array([0.5], dtype=np.float32))
    for encoder in (vmc_encoder(shapes), osc_encoder(shapes, channels=("AU12_L",))):
        datagrams = [bytes(d) for d in encoder.encode(frame)]
        assert len(datagrams) == 1
        assert feed(frames.FrameDecoder(), *datagrams) == [want]
    # A frame too big for one datagram is split: VMC applies once, after the last part;
    # generic applies each part as it comes.
    for encoder, applies_once in ((vmc_encoder(shapes, max_datagram=96), True),
                                  (osc_encoder(shapes, max_datagram=64), False)):
        datagrams = [bytes(d) for d in encoder.encode(frame)]
        assert len(datagrams) > 1
        completed = feed(frames.FrameDecoder(), *datagrams)
        assert len(completed) == (1 if applies_once else len(datagrams))
        assert {k: v for c in completed for k, v in c.items()} == want


# ------------------------------------------------------------------------------- name matching

ALIASES = [
    ("mouthSmileLeft", "mouthsmileleft"), ("MouthSmileLeft", "mouthsmileleft"),
    ("mouthSmile_L", "mouthsmileleft"), ("mouth_smile_left", "mouthsmileleft"),
    ("mouthSmile.L", "mouthsmileleft"), ("eyeBlink_R", "eyeblinkright"),
    ("Blink_L", "blinkleft"), ("mouthRoll", "mouthroll"), ("mouthRollLower", "mouthrolllower"),
    ("Joy", "joy"), ("A", "a"), ("_L", "left"), ("Fcl_MTH_A", "fclmtha"), ("Émoi_R", "émoiright"),
]


@pytest.mark.parametrize(("name", "key"), ALIASES)
def test_loose_keys(name: str, key: str) -> None:
    assert names.loose_key(name) == key


def test_matcher_prefers_exact_names_and_sets_all_loose_ones() -> None:
    matcher = names.NameMatcher(["mouthSmile_L", "MouthSmileLeft", "jawOpen", "Joy"])
    assert matcher.match("MouthSmileLeft") == ("MouthSmileLeft",)
    assert matcher.match("mouthSmileLeft") == ("mouthSmile_L", "MouthSmileLeft")
    assert matcher.match("JawOpen") == ("jawOpen",)
    assert matcher.match("joy") == ("Joy",)
    assert matcher.match("Sorrow") == ()
    exact = names.NameMatcher(["jawOpen"], mode="exact")
    assert exact.match("jawOpen") == ("jawOpen",)
    assert exact.match("JawOpen") == ()


# ---------------------------------------------------------------------- UDP receiver, plain Python


def test_udp_receiver_drains_and_keeps_the_newest_values() -> None:
    with receiver_module.UdpReceiver(0) as rx:
        assert rx.running and rx.port > 0
        send(rx.port, [vmc_frame({"Joy": 0.1 * i, "A": 0.5}) for i in range(1, 6)]
             + [b"garbage!", generic_frame({"jawOpen": 0.25})])
        merged: dict[str, float] = {}
        deadline = time.monotonic() + 10
        while rx.stats.packets < 7 and time.monotonic() < deadline:
            merged.update(rx.poll())
            time.sleep(0.01)
        assert merged == {"Joy": f32(0.5), "A": 0.5, "jawOpen": 0.25}
        assert (rx.stats.packets, rx.stats.frames, rx.stats.malformed) == (7, 6, 1)
        assert "malformed datagram of 8 bytes" in rx.stats.last_error
        assert rx.poll() == {}
    assert not rx.running and rx.port == 0
    assert rx.poll() == {}


def test_udp_receiver_reports_a_busy_port() -> None:
    with receiver_module.UdpReceiver(0) as first:
        second = receiver_module.UdpReceiver(first.port)
        with pytest.raises(OSError, match=r"[Aa]ddress already in use|[Oo]nly one usage"):
            second.start()
        assert not second.running


def test_make_zip_has_one_addon_folder(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_zip", BLENDER_DIR / "make_zip.py")
    assert spec is not None and spec.loader is not None
    make_zip = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_zip)
    out = tmp_path / "addon.zip"
    assert make_zip.main(["--out", str(out)]) == 0
    with zipfile.ZipFile(out) as archive:
        members = sorted(archive.namelist())
        init = archive.read("avatardrive_receiver/__init__.py").decode()
    assert members == [f"avatardrive_receiver/{m}.py"
                       for m in ("__init__", "bones", "frames", "names", "osc", "receiver")]
    assert "bl_info" in init and "def register" in init and "def unregister" in init


# ---------------------------------------------------------------------------- real engine tools


def require(tool: str) -> str:
    """The path of ``tool``; skip without it, or fail under CI=true."""
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} is not installed; {APT_HINT}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: {message}")
        pytest.skip(message)
    return path


def wait_for_file(path: Path, process: subprocess.Popen[Any], timeout: float, log: Path) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return json.loads(path.read_text())
        if process.poll() is not None:
            break
        time.sleep(0.05)
    pytest.fail(f"no {path.name} after {timeout:.0f} s (exit {process.poll()}); "
                f"log:\n{log.read_text()[-3000:]}")


def blender_stream() -> tuple[list[bytes], int, dict[str, float]]:
    """Datagrams for the Blender test, the frames they complete, and the expected shape keys."""
    datagrams = [vmc_frame({"Joy": 0.1 * k, "JawOpen": 0.05 * k, "A": 0.1 * k})
                 for k in range(1, 6)]  # 5 frames; PascalCase JawOpen
    datagrams += [MALFORMED["garbage"], MALFORMED["truncated bundle"],
                  MALFORMED["element size too big"], MALFORMED["bundle nested too deep"]]
    datagrams.append(bytes(bundle(                           # 1 frame
        message("/VMC/Ext/Blend/Val", "Joy", 1),              # wrong tags: ignored
        message("/VMC/Ext/Blend/Val", "browInnerUp", math.nan),  # NaN: ignored
        message("/VMC/Ext/Blend/Val", "eyeBlinkLeft", 1.7),   # clamped to 1
        message("/VMC/Ext/Blend/Val", "NoSuchShape", 0.5),    # unmatched
        message("/VMC/Ext/Blend/Apply")).dgram))
    datagrams.append(raw_bundle(UNKNOWN_TAG_VAL))            # unknown tag: ignored, no frame
    datagrams.append(generic_frame({"mouthSmileLeft": 0.73, "MouthSmileRight": 0.41},
                                   au={"AU12_L": 0.9}))      # 1 frame; mouthSmile_R by alias
    datagrams.append(bytes(message("/avatardrive/cheekPuff", 0.33).dgram))  # 1 frame, unbundled
    datagrams += [generic_frame({"browInnerUp": 0.6 * i / 19}) for i in range(20)]  # 20 frames
    datagrams.append(generic_frame({"jawOpen": 0.125}))      # 1 frame: generic after VMC
    datagrams.append(bytes(message("/VMC/Ext/Blend/Val", "Blink_R", 0.6).dgram))
    datagrams.append(bytes(message("/VMC/Ext/Blend/Apply").dgram))  # 1 frame, unbundled VMC
    datagrams.append(bytes(message("/VMC/Ext/Blend/Val", "Blink_L", 0.8).dgram))  # never applied
    expected = {"Joy": 0.5, "A": 0.5, "jawOpen": 0.125, "eyeBlinkLeft": 1.0,
                "mouthSmileLeft": 0.73, "mouthSmile_R": 0.41, "cheekPuff": 0.33,
                "browInnerUp": 0.6, "Blink_R": 0.6, "Blink_L": 0.0, "mouthClose": 0.0}
    return datagrams, 5 + 1 + 1 + 1 + 20 + 1 + 1, expected


def test_blender_addon_drives_shape_keys(tmp_path: Path) -> None:
    blender = require("blender")
    zip_path = tmp_path / "avatardrive_receiver.zip"
    subprocess.run([sys.executable, str(BLENDER_DIR / "make_zip.py"), "--out", str(zip_path)],
                   check=True, capture_output=True, timeout=60)
    datagrams, frame_count, expected = blender_stream()
    ready, out, log = tmp_path / "ready.json", tmp_path / "out.json", tmp_path / "blender.log"
    env = {**os.environ, "BLENDER_USER_SCRIPTS": str(tmp_path / "user_scripts"),
           "BLENDER_USER_CONFIG": str(tmp_path / "user_config")}
    command = [blender, "--background", "--factory-startup", "--python-exit-code", "1",
               "--python", str(BLENDER_DIR / "headless_receiver.py"), "--",
               "--port", "0", "--install-zip", str(zip_path), "--shapes", ",".join(expected),
               "--frames", str(frame_count), "--seconds", "90", "--ready", str(ready),
               "--out", str(out)]
    with log.open("w") as log_file, subprocess.Popen(
            command, stdout=log_file, stderr=subprocess.STDOUT, env=env, cwd=tmp_path) as process:
        try:
            port = wait_for_file(ready, process, 90, log)["port"]
            send(port, datagrams)
            code = process.wait(timeout=110)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert code == 0, log.read_text()[-3000:]
    report = json.loads(out.read_text())
    assert report["addon_file"].startswith(str(tmp_path / "user_scripts")), report["addon_file"]
    assert report["timer_registered"] and not report["timer_registered_after_stop"]
    values = report["values"]
    for name, value in expected.items():
        assert values[name] == pytest.approx(value, abs=1e-5), (name, report)
    assert values["Basis"] == 0.0
    assert report["packets"] == len(datagrams)
    assert report["frames"] == frame_count and report["malformed"] == 4
    assert any("No shape key for: NoSuchShape" in line for line in report["status"])
    assert report["status_after_stop"][0] == "Stopped"


def bone_datagrams(head: tuple[float, float, float], gaze: tuple[float, float],
                   frames_: int = 8) -> list[bytes]:  # fmt: skip
    """VMC bundles of the vrm0 rig (Neck, Head, eyes) for one head pose and gaze, in degrees."""
    from avatardrive.facs import GAZE_AXES, HEAD_AXES, N_CHANNELS, angles_to_channels
    from avatardrive.retarget import load_rig
    from avatardrive.transport import Frame, vmc_encoder

    rig = load_rig("vrm0")
    au = np.zeros(N_CHANNELS, dtype=np.float32)
    angles_to_channels(head, HEAD_AXES, out=au)
    angles_to_channels(gaze, GAZE_AXES, out=au)
    angles, rotations = rig.bone_frame(au)
    pose = np.zeros((len(rig.bone_names), 7), dtype=np.float32)
    pose[:, 3:] = rotations
    encoder = vmc_encoder(rig.shape_names, bones=rig.bone_names)
    weights = rig.forward_frame(au)
    frame = Frame(0, 0.0, rig.shape_names, weights, bones=rig.bone_names, pose=pose,
                  angles=angles)  # fmt: skip
    return [bytes(encoder.encode(frame)[0]) for _ in range(frames_)]


def quaternion_rotate(q: Sequence[float], v: Sequence[float]) -> np.ndarray:
    """Rotate ``v`` by the unit quaternion ``q`` given as (w, x, y, z)."""
    w, x, y, z = q
    matrix = np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])  # fmt: skip
    return matrix @ np.asarray(v, dtype=np.float64)


def test_decoder_keeps_bone_rotations_from_vmc_and_the_generic_schema() -> None:
    decoder = frames.FrameDecoder()
    for datagram in bone_datagrams((20.0, 0.0, 0.0), (0.0, 0.0), frames_=2):
        decoder.feed(osc.iter_messages(osc.parse_packet(datagram)))
    assert decoder.pose_frames == 2 and set(decoder.poses) == {"Neck", "Head", "LeftEye",
                                                               "RightEye"}  # fmt: skip
    x, y, z, w = decoder.poses["Head"]  # 10° of the turn, Unity: negative about Y
    assert (x, z) == (0.0, 0.0) and y == pytest.approx(-math.sin(math.radians(5)), abs=1e-6)
    bad = bytes(bundle(message("/VMC/Ext/Bone/Pos", "Head", 0.0, 0.0, 0.0, math.nan, 0.0, 0.0,
                               1.0, types_="sfffffff"),
                       message("/VMC/Ext/Bone/Pos", "Head", 1.0),
                       message("/VMC/Ext/Blend/Apply")).dgram)
    decoder.feed(osc.iter_messages(osc.parse_packet(bad)))
    assert decoder.poses["Head"] == (x, y, z, w) and decoder.ignored == 2
    generic = frames.FrameDecoder("generic")
    generic.feed(osc.iter_messages(osc.parse_packet(bytes(bundle(
        message("/avatardrive/jawOpen", 0.5), message("/avatardrive/head", 0.0, 20.0, 0.0),
        message("/avatardrive/gaze", -30.0, 0.0)).dgram))))  # fmt: skip
    hx, hy, hz, _ = generic.poses["Head"]  # chin up 20°: Unity negative about X
    assert hx == pytest.approx(-math.sin(math.radians(10))) and hy == hz == 0.0
    assert generic.poses["LeftEye"] == generic.poses["RightEye"]
    assert generic.poses["LeftEye"][1] == pytest.approx(math.sin(math.radians(15)))


def test_blender_addon_turns_head_and_eye_bones(tmp_path: Path) -> None:
    blender = require("blender")
    datagrams = bone_datagrams((20.0, 0.0, 10.0), (-15.0, 10.0))
    ready, out, log = tmp_path / "ready.json", tmp_path / "out.json", tmp_path / "blender.log"
    command = [blender, "--background", "--factory-startup", "--python-exit-code", "1",
               "--python", str(BLENDER_DIR / "headless_receiver.py"), "--",
               "--port", "0", "--armature", "--protocol", "VMC", "--frames",
               str(len(datagrams)), "--seconds", "90", "--ready", str(ready), "--out", str(out)]
    with log.open("w") as log_file, subprocess.Popen(
            command, stdout=log_file, stderr=subprocess.STDOUT, cwd=tmp_path) as process:
        try:
            port = wait_for_file(ready, process, 90, log)["port"]
            send(port, datagrams)
            code = process.wait(timeout=110)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert code == 0, log.read_text()[-3000:]
    report = json.loads(out.read_text())
    bones = report["bones"]
    # Blender: the character faces -Y, its own left is +X, up is +Z
    forward = quaternion_rotate(bones["Head"], (0.0, -1.0, 0.0))
    assert math.degrees(math.atan2(forward[0], -forward[1])) == pytest.approx(20.0, abs=0.05)
    assert forward[2] == pytest.approx(0.0, abs=1e-4)
    up = quaternion_rotate(bones["Head"], (0.0, 0.0, 1.0))
    left = (math.cos(math.radians(20)), math.sin(math.radians(20)), 0.0)  # after the turn
    assert math.degrees(math.asin(float(np.dot(up, left)))) == pytest.approx(10.0, abs=0.05)
    head_inverse = np.array(bones["Head"]) * (1, -1, -1, -1)
    for eye in ("eye.L", "eye.R"):  # the eyes in the head: 15° to the right, 10° up
        w1, x1, y1, z1 = head_inverse
        w2, x2, y2, z2 = bones[eye]
        relative = (w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2, w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
                    w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2, w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2)
        look = quaternion_rotate(relative, (0.0, -1.0, 0.0))
        assert math.degrees(math.asin(look[2])) == pytest.approx(10.0, abs=0.05), eye
        assert math.degrees(math.atan2(-look[0], -look[1])) == pytest.approx(15.0, abs=0.05), eye
    assert not any(line.startswith("No bone for") for line in report["status"])


BLENDER_UI_CHECK = """
import json, socket, sys
sys.path.insert(0, sys.argv[-2])
import bpy
import avatardrive_receiver as addon

addon.register()
settings = bpy.context.scene.avatardrive_receiver
used, operators = [], []


class Layout:  # records what the panel draws
    enabled = True

    def column(self):
        return self

    def box(self):
        return self

    def prop(self, data, name, **kw):
        used.append(name)

    def operator(self, idname, **kw):
        operators.append(idname)

    def label(self, text="", **kw):
        pass


class Panel:
    layout = Layout()


addon.AvatarDriveReceiverPanel.draw(Panel(), bpy.context)
known = set(settings.bl_rna.properties.keys())
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
    busy.bind(("127.0.0.1", 0))
    settings.port = busy.getsockname()[1]
    try:  # called from Python, an operator's ERROR report is raised as RuntimeError
        started = sorted(bpy.ops.avatardrive.receiver_start())
    except RuntimeError as error:
        started = str(error)
status = addon.status_lines()
addon.unregister()
json.dump({"unknown": sorted(set(used) - known), "used": used, "operators": operators,
           "ops_exist": [hasattr(bpy.ops.avatardrive, i.split(".")[1]) for i in operators],
           "busy_port_start": started, "status": status,
           "unregistered": not hasattr(bpy.types.Scene, "avatardrive_receiver")},
          open(sys.argv[-1], "w"))
"""


def test_blender_panel_operators_and_busy_port(tmp_path: Path) -> None:
    blender = require("blender")
    out = tmp_path / "ui.json"
    result = subprocess.run(
        [blender, "--background", "--factory-startup", "--python-exit-code", "1",
         "--python-expr", BLENDER_UI_CHECK, "--", str(BLENDER_DIR), str(out)],
        capture_output=True, text=True, timeout=110, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["unknown"] == [] and "target" in report["used"] and "port" in report["used"]
    assert report["operators"] == ["avatardrive.receiver_start"] and all(report["ops_exist"])
    assert "cannot start" in report["busy_port_start"]
    assert any(line.startswith("Last error: cannot start:") for line in report["status"])
    assert report["status"][0] == "Stopped" and report["unregistered"]


@pytest.fixture(scope="session")
def unity_build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("unity")


_BUILT: dict[str, list[str]] = {}


def unity_program(name: str, build_dir: Path) -> list[str]:
    """The command running ParserCheck.exe or ReceiverCheck.exe, built with mcs once per session.

    Called in the test itself (not in a fixture) so that under CI=true a missing tool is a
    failure of the test rather than a setup error.
    """
    mcs, mono = require("mcs"), require("mono")
    if name not in _BUILT:
        files = {
            "ParserCheck": [UNITY_DIR / "AvatarDriveOscParser.cs",
                            UNITY_TESTS / "ParserCheck.cs", UNITY_TESTS / "Json.cs"],
            "ReceiverCheck": [UNITY_DIR / "AvatarDriveOscParser.cs",
                              UNITY_DIR / "AvatarDriveReceiver.cs",
                              UNITY_TESTS / "UnityEngineStub.cs", UNITY_TESTS / "ReceiverCheck.cs",
                              UNITY_TESTS / "Json.cs"],
        }[name]
        exe = build_dir / f"{name}.exe"
        result = subprocess.run(
            [mcs, "-langversion:7", "-warnaserror+", f"-out:{exe}", *map(str, files)],
            capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        _BUILT[name] = [mono, str(exe)]
    return _BUILT[name]


def run_lines(command: list[str], tmp: Path) -> list[dict[str, Any]]:
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=tmp)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def unity_stream(seed: int = 4) -> list[bytes]:
    """Frames of both schemas, every argument type, malformed datagrams and random mutations."""
    good = [vmc_frame({"Joy": 0.2 * k, "Blink_L": 0.1 * k, "mouthSmileLeft": 0.73})
            for k in range(1, 4)]
    good += [generic_frame({"jawOpen": 0.25 * k, "MouthSmileLeft": 0.5}, au={"AU26_L": 0.3})
             for k in range(1, 4)]
    good += [bytes(m.dgram) for m in GOLDEN]
    good += [bytes(bundle(bundle(message("/VMC/Ext/Blend/Val", "A", 0.6)),
                          message("/VMC/Ext/Blend/Val", "E", 2.0),
                          message("/VMC/Ext/Blend/Val", "I", math.nan),
                          message("/VMC/Ext/Blend/Val", "O", 1),
                          message("/VMC/Ext/Blend/Apply")).dgram),
             raw_bundle(UNKNOWN_TAG_VAL, bytes(message("/avatardrive/cheekPuff", 0.4).dgram)),
             bytes(message("/VMC/Ext/Blend/Val", "U", 0.3).dgram),
             bytes(message("/VMC/Ext/Blend/Apply").dgram)]
    rng = random.Random(seed)
    mutated = []
    for _ in range(300):
        data = bytearray(rng.choice(good))
        for _ in range(rng.randint(1, 3)):
            where = rng.randrange(len(data))
            if rng.random() < 0.7:
                data[where] = rng.randrange(256)
            else:
                del data[where - where % 4:]
                if not data:
                    break
        mutated.append(bytes(data))
    return good + list(MALFORMED.values()) + mutated


def comparable(value: Any) -> Any:
    """JSON-like form for equality: tuples and bytes as lists, NaN as the string "NaN"."""
    if isinstance(value, (list, tuple, bytes)):
        return [comparable(item) for item in value]
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return value


def test_unity_parser_matches_python_osc_and_the_blender_parser(
        unity_build_dir: Path, tmp_path: Path) -> None:
    parser_check = unity_program("ParserCheck", unity_build_dir)
    datagrams = unity_stream()
    stream = tmp_path / "stream.bin"
    stream.write_bytes(record(datagrams))
    lines = run_lines([*parser_check, "stream", str(stream)], tmp_path)
    parsed = [line for line in lines if "datagram" in line and "ok" in line]
    got_frames = [line["values"] for line in lines if "frame" in line]
    (summary,) = [line["summary"] for line in lines if "summary" in line]
    assert len(parsed) == len(datagrams) == summary["datagrams"]

    decoder = frames.FrameDecoder()
    want_frames: list[dict[str, float]] = []
    for datagram, line in zip(datagrams, parsed, strict=True):
        packet = osc.parse_packet(datagram)
        assert line["ok"] == (packet is not None), (datagram, line)
        mine = [[m.address, m.tags, m.args] for m in osc.iter_messages(packet)]
        assert comparable(line["messages"]) == comparable(mine), datagram
        want_frames += decoder.feed(osc.iter_messages(packet))
    assert got_frames == want_frames
    assert summary["malformed"] == sum(not line["ok"] for line in parsed) >= len(MALFORMED)

    well_formed = len(GOLDEN) + 6
    for datagram, line in zip(datagrams[:well_formed], parsed[:well_formed], strict=True):
        assert comparable(python_osc_messages(datagram)) == comparable(
            [[m[0], m[2]] for m in line["messages"]])
    assert got_frames[:6] == [
        {"Joy": f32(0.2), "Blink_L": f32(0.1), "mouthSmileLeft": f32(0.73)},
        {"Joy": f32(0.4), "Blink_L": f32(0.2), "mouthSmileLeft": f32(0.73)},
        {"Joy": f32(0.6), "Blink_L": f32(0.1 * 3), "mouthSmileLeft": f32(0.73)},
        {"jawOpen": 0.25, "MouthSmileLeft": 0.5},
        {"jawOpen": 0.5, "MouthSmileLeft": 0.5},
        {"jawOpen": 0.75, "MouthSmileLeft": 0.5},
    ]
    assert {"A": f32(0.6), "E": 1.0} in got_frames and {"cheekPuff": f32(0.4)} in got_frames
    assert {"U": f32(0.3)} in got_frames


def test_unity_protocol_choice(unity_build_dir: Path, tmp_path: Path) -> None:
    parser_check = unity_program("ParserCheck", unity_build_dir)
    stream = tmp_path / "stream.bin"
    stream.write_bytes(record([vmc_frame({"Joy": 0.5}), generic_frame({"jawOpen": 0.25}),
                               bytes(message("/face/cheekPuff", 0.75).dgram)]))
    def frames_for(*options: str) -> list[dict[str, float]]:
        lines = run_lines([*parser_check, "stream", str(stream), *options],
                          tmp_path)
        return [line["values"] for line in lines if "frame" in line]

    assert frames_for("vmc") == [{"Joy": 0.5}]
    assert frames_for("generic") == [{"jawOpen": 0.25}]
    assert frames_for("auto") == [{"Joy": 0.5}, {"jawOpen": 0.25}]
    assert frames_for("generic", "/face/") == [{"cheekPuff": 0.75}]


def test_unity_names_agree_with_the_blender_addon(
        unity_build_dir: Path, tmp_path: Path) -> None:
    parser_check = unity_program("ParserCheck", unity_build_dir)
    (tmp_path / "names.txt").write_text("\n".join(n for n, _ in ALIASES) + "\n", encoding="utf-8")
    lines = run_lines([*parser_check, "names", "names.txt"], tmp_path)
    assert [(line["name"], line["key"]) for line in lines] == ALIASES

    targets = ["mouthSmile_L", "MouthSmileLeft", "jawOpen", "Joy", "Blink_L"]
    queries = ["MouthSmileLeft", "mouthSmileLeft", "JawOpen", "joy", "BlinkLeft", "Sorrow"]
    (tmp_path / "targets.txt").write_text("\n".join(targets) + "\n")
    (tmp_path / "queries.txt").write_text("\n".join(queries) + "\n")
    for mode in ("loose", "exact"):
        lines = run_lines([*parser_check, "match", "targets.txt",
                           "queries.txt", mode], tmp_path)
        matcher = names.NameMatcher(targets, mode=mode)
        assert [[targets[i] for i in line["targets"]] for line in lines] == [
            list(matcher.match(q)) for q in queries]


def read_line(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    assert ready, f"no output from {process.args} within {timeout} s"
    return process.stdout.readline()


def test_unity_receiver_sets_blendshape_weights(
        unity_build_dir: Path, tmp_path: Path) -> None:
    receiver_check = unity_program("ReceiverCheck", unity_build_dir)
    shapes = ["Basis", "mouthSmileLeft", "MouthSmile_R", "jawOpen", "Joy", "Blink_L",
              "eyeBlinkLeft"]
    datagrams = [vmc_frame({"Joy": 0.1 * k, "Blink_L": 0.2}) for k in range(1, 6)]
    datagrams += [b"garbage!", MALFORMED["truncated bundle"]]
    datagrams += [generic_frame({"mouthSmileLeft": 0.73, "mouthSmileRight": 0.41,
                                 "EyeBlinkLeft": 1.5, "NoSuchShape": 0.5}, au={"AU12_L": 0.9})]
    datagrams += [generic_frame({"jawOpen": i / 40}) for i in range(11)]
    command = [*receiver_check, "auto", ",".join(shapes)]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, cwd=tmp_path) as process:
        try:
            port = json.loads(read_line(process, 30))["port"]
            send(port, datagrams)
            out, err = process.communicate(f"{5 + 1 + 11} 20\n", timeout=40)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert process.returncode == 0, err
    report = json.loads(out.splitlines()[-1])
    weights = report["weights"]
    want = {"Basis": 0.0, "mouthSmileLeft": 73.0, "MouthSmile_R": 41.0, "jawOpen": 25.0,
            "Joy": 50.0, "Blink_L": 20.0, "eyeBlinkLeft": 100.0}
    assert weights == pytest.approx(want, abs=1e-3)
    assert (report["packets"], report["malformed"], report["frames"]) == (19, 2, 17)
    assert report["unmatched"] == ["NoSuchShape"] and report["port_after_disable"] == 0


def unity_mul(a: Sequence[float], b: Sequence[float]) -> np.ndarray:
    """Hamilton product of (x, y, z, w) quaternions, as Unity's Quaternion * does."""
    (ax, ay, az, aw), (bx, by, bz, bw) = a, b
    return np.array([aw * bx + ax * bw + ay * bz - az * by, aw * by - ax * bz + ay * bw + az * bx,
                     aw * bz + ax * by - ay * bx + az * bw, aw * bw - ax * bx - ay * by - az * bz])


def same_rotation(a: Sequence[float], b: Sequence[float]) -> bool:
    return bool(abs(abs(float(np.dot(a, b))) - 1.0) < 1e-5)


def test_unity_decoder_keeps_the_same_bone_rotations_as_the_blender_addon(
        unity_build_dir: Path, tmp_path: Path) -> None:
    parser_check = unity_program("ParserCheck", unity_build_dir)
    datagrams = bone_datagrams((20.0, 5.0, 10.0), (-15.0, 10.0), frames_=1)
    datagrams.append(bytes(bundle(message("/avatardrive/head", -12.0, 4.0, 3.0),
                                  message("/avatardrive/gaze", 7.0, -9.0)).dgram))
    stream = tmp_path / "stream.bin"
    stream.write_bytes(record(datagrams))
    lines = run_lines([*parser_check, "stream", str(stream)], tmp_path)
    poses = [line["poses"] for line in lines if "poses" in line]
    decoder = frames.FrameDecoder()
    want = []
    for datagram in datagrams:
        decoder.feed(osc.iter_messages(osc.parse_packet(datagram)))
        want.append(dict(decoder.poses))
    assert len(poses) == len(want) == 2
    for got, expected in zip(poses, want, strict=True):
        assert set(got) == set(expected)
        for name, rotation in expected.items():
            np.testing.assert_allclose(got[name], rotation, atol=1e-6)


def test_unity_receiver_turns_animator_bones(unity_build_dir: Path, tmp_path: Path) -> None:
    """A rig whose rest rotations are not the identity, under a turned root."""
    receiver_check = unity_program("ReceiverCheck", unity_build_dir)
    datagrams = bone_datagrams((20.0, 5.0, 10.0), (-15.0, 10.0))
    command = [*receiver_check, "vmc", "Joy,A", "bones"]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, cwd=tmp_path) as process:
        try:
            port = json.loads(read_line(process, 30))["port"]
            send(port, datagrams)
            out, err = process.communicate(f"{len(datagrams)} 20\n", timeout=40)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert process.returncode == 0, err
    report = json.loads(out.splitlines()[-1])
    decoder = frames.FrameDecoder()
    decoder.feed(osc.iter_messages(osc.parse_packet(datagrams[0])))
    sent = decoder.poses
    whole_head = unity_mul(sent["Neck"], sent["Head"])
    assert same_rotation(report["bones"]["Neck"], sent["Neck"])
    assert same_rotation(report["bones"]["Head"], whole_head)
    for eye in ("LeftEye", "RightEye"):
        assert same_rotation(report["bones"][eye], unity_mul(whole_head, sent[eye]))
    # the head's change in the avatar's axes: forward (+Z) turned 20° toward its own left (-X)
    w = report["bones"]["Head"]
    forward = quaternion_rotate((w[3], w[0], w[1], w[2]), (0.0, 0.0, 1.0))
    assert math.degrees(math.atan2(-forward[0], forward[2])) == pytest.approx(20.0, abs=0.05)
    assert report["poses_applied"] >= 1 and report["frames"] == len(datagrams)


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("path", sorted(ADDON_DIR.glob("*.py")), ids=lambda p: p.name)
def test_only_the_addon_entry_point_imports_bpy(path: Path) -> None:
    modules = imported_modules(path)
    if path.name == "__init__.py":
        assert "bpy" in modules
    else:  # pure standard library, so that it runs in Blender's Python and under pytest
        assert modules <= set(sys.stdlib_module_names) - {"bpy"}, modules
