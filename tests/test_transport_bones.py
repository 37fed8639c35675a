"""Head and eye bones on the wire: VMC bone messages, generic OSC head/gaze, Live Link UDP and CSV.

Golden bytes against python-osc; the Live Link packet decoded by a parser written from the
description in PROTOCOLS.md (not from our encoder); real UDP sockets and receivers end to end.
"""

from __future__ import annotations

import math
import socket
import struct
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder
from receivers import osc_receiver, wait_for

from avatardrive._shapes import LIVE_LINK_PACKET_SHAPES, LIVE_LINK_ROTATIONS, LIVE_LINK_SHAPES
from avatardrive.errors import ParameterError, TransportError
from avatardrive.facs import CHANNELS, HEAD_AXES, N_CHANNELS, angles_to_channels
from avatardrive.pipeline import open_routes
from avatardrive.retarget import load_rig
from avatardrive.transport import (
    Frame,
    LiveLinkEncoder,
    UdpSink,
    make_encoder,
    osc_encoder,
    parse_destination,
    vmc_encoder,
)
from avatardrive.transport._frame import clean_pose

ARKIT = tuple(name[0].lower() + name[1:] for name in LIVE_LINK_SHAPES)
BONES = ("Neck", "Head", "LeftEye", "RightEye")


def pose_frame(values: np.ndarray, pose: np.ndarray, angles: np.ndarray, *, names: tuple[str, ...]
               = ARKIT, bones: tuple[str, ...] = BONES, time: float = 0.0) -> Frame:  # fmt: skip
    return Frame(0, time, names, values.astype(np.float32), bones=bones,
                 pose=pose.astype(np.float32), angles=angles.astype(np.float32))


def message(address: str, *args: object) -> OscMessageBuilder:
    builder = OscMessageBuilder(address)
    for arg in args:
        builder.add_arg(arg, "f" if isinstance(arg, float) else None)  # type: ignore[arg-type]
    return builder


def bundle(messages: list[OscMessageBuilder]) -> bytes:
    builder = OscBundleBuilder(IMMEDIATELY)
    for m in messages:
        builder.add_content(m.build())
    return bytes(builder.build().dgram)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12)


def random_pose(rng: np.random.Generator, n: int = 4) -> np.ndarray:
    pose = np.zeros((n, 7))
    pose[:, :3] = rng.normal(0, 0.1, (n, 3))
    q = rng.normal(size=(n, 4))
    pose[:, 3:] = q / np.linalg.norm(q, axis=1, keepdims=True)
    return pose.astype(np.float32)


# -- VMC ---------------------------------------------------------------------------------------


def test_vmc_bone_messages_are_byte_identical_to_python_osc(rng: np.random.Generator) -> None:
    values = rng.random(len(ARKIT)).astype(np.float32)
    pose = random_pose(rng)
    expected = bundle([
        *(message("/VMC/Ext/Blend/Val", n, float(v)) for n, v in zip(ARKIT, values, strict=True)),
        *(message("/VMC/Ext/Bone/Pos", bone, *(float(v) for v in row))
          for bone, row in zip(BONES, pose, strict=True)),
        message("/VMC/Ext/Blend/Apply"),
    ])  # fmt: skip
    encoder = vmc_encoder(ARKIT, bones=BONES)
    (datagram,) = encoder.encode(pose_frame(values, pose, np.zeros((4, 3))))
    assert bytes(datagram) == expected
    again = random_pose(rng)  # the prepared layout is rewritten, not rebuilt
    (datagram,) = encoder.encode(pose_frame(values, again, np.zeros((4, 3))))
    assert bytes(datagram) == bundle([
        *(message("/VMC/Ext/Blend/Val", n, float(v)) for n, v in zip(ARKIT, values, strict=True)),
        *(message("/VMC/Ext/Bone/Pos", bone, *(float(v) for v in row))
          for bone, row in zip(BONES, again, strict=True)),
        message("/VMC/Ext/Blend/Apply"),
    ])  # fmt: skip


def test_vmc_status_messages_tell_receivers_the_sender_is_alive(rng: np.random.Generator) -> None:
    names = ("Joy", "A")
    values = np.array([0.5, 0.25], dtype=np.float32)
    pose = random_pose(rng, 1)
    encoder = make_encoder(parse_destination("vmc://127.0.0.1:39539?status=1"), names,
                           bones=("Head",))  # fmt: skip
    (datagram,) = encoder.encode(pose_frame(values, pose, np.zeros((1, 3)), names=names,
                                            bones=("Head",), time=12.5))  # fmt: skip
    assert bytes(datagram) == bundle([
        message("/VMC/Ext/Blend/Val", "Joy", 0.5), message("/VMC/Ext/Blend/Val", "A", 0.25),
        message("/VMC/Ext/Bone/Pos", "Head", *(float(v) for v in pose[0])),
        message("/VMC/Ext/OK", 1), message("/VMC/Ext/T", 12.5), message("/VMC/Ext/Blend/Apply"),
    ])  # fmt: skip
    plain = make_encoder(parse_destination("vmc://127.0.0.1:39539"), names)
    assert b"/VMC/Ext/OK" not in bytes(plain.encode(Frame(0, 0.0, names, values))[0])


def test_bad_poses_never_reach_the_wire() -> None:
    pose = np.array([[np.nan, np.inf, -1e9, np.nan, 0.0, 0.0, 1.0],
                     [0.0, 0.0, 0.0, 2.0, -3.0, 0.0, 0.5]], dtype=np.float32)  # fmt: skip
    out = np.empty_like(pose)
    clean_pose(pose, out=out)
    np.testing.assert_array_equal(out[0], [0.0, 100.0, -100.0, 0.0, 0.0, 0.0, 1.0])
    np.testing.assert_array_equal(out[1, 3:], [1.0, -1.0, 0.0, 0.5])


def test_frames_check_their_bone_arrays() -> None:
    with pytest.raises(ParameterError, match=r"^frame 0: pose has shape \(3, 7\) and angles "
                                             r"\(4, 3\); expected \(4, 7\) and \(4, 3\)"):
        Frame(0, 0.0, (), np.zeros(0, np.float32), bones=BONES,
              pose=np.zeros((3, 7), np.float32), angles=np.zeros((4, 3), np.float32))


def send_play(url: str, au: dict[str, float], tmp_path: Path, seconds: float = 0.4) -> None:
    """Run `play` of a timeline holding ``au`` from the start, to ``url``."""
    keys = ", ".join(f"{k} = {v}" for k, v in au.items())
    scene = tmp_path / "turn.toml"
    scene.write_text(f"version = 1\nduration = 5\n[blink]\nrate = 0\n[[events]]\n"
                     f"aus = {{ {keys} }}\nstart = 0.0\nonset = 0.05\napex = 100\noffset = 0.5\n"
                     f"style = 'posed'\n")  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "avatardrive", "play", str(scene), "--to", url,
                           "--seconds", str(seconds)], capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(("rig", "bones"), [("arkit52", ("Head",)), ("vrm0", ("Neck", "Head"))])
def test_a_20_degree_turn_reaches_vmc_receivers_as_a_head_rotation(
    rig: str, bones: tuple[str, ...], tmp_path: Path
) -> None:
    """python-osc receives; vmcp (a VMC protocol package) reads the bone messages."""
    vmcp_events = pytest.importorskip("vmcp.events")
    with osc_receiver() as (port, received):
        send_play(f"vmc://127.0.0.1:{port}?rig={rig}", {"AU51": 20 / 45}, tmp_path)
        assert wait_for(lambda: sum(a == "/VMC/Ext/Blend/Apply" for a, _ in received) >= 10)
    events = [vmcp_events.BoneTransformEvent.from_message_data("test", a, args)
              for a, args in list(received) if a == "/VMC/Ext/Bone/Pos"]  # fmt: skip
    per_frame = len(load_rig(rig).bone_names)
    frames = [events[k:k + per_frame] for k in range(0, len(events), per_frame)]
    held = {str(e.joint.value): e for e in frames[len(frames) // 2]}  # the end sends a rest frame
    assert all(e.rotation.w == 1.0 for e in frames[-1])  # ... the identity for every bone
    yaw = 0.0
    for bone in bones:
        rotation = held[bone].rotation
        phi, theta, psi = rotation.to_euler()  # about X, Y, Z (radians)
        assert abs(phi) < 1e-6 and abs(psi) < 1e-6
        yaw += math.degrees(theta)
    assert yaw == pytest.approx(-20.0, abs=0.05)  # Unity: negative about Y = the own left
    # the Apply closes every bundle, after the bones
    order = [a for a, _ in list(received)]
    last_apply = len(order) - 1 - order[::-1].index("/VMC/Ext/Blend/Apply")
    assert order[last_apply - 1] == "/VMC/Ext/Bone/Pos"


# -- generic OSC --------------------------------------------------------------------------------


def test_osc_head_and_gaze_are_byte_identical_to_python_osc(rng: np.random.Generator) -> None:
    names = ("jawOpen", "mouthSmileLeft")
    values = np.array([0.25, 0.5], dtype=np.float32)
    angles = np.array([[4.0, -2.0, 1.0], [6.0, -3.0, 2.0], [-10.0, 5.0, 0.0], [-12.0, 7.0, 0.0]])
    encoder = osc_encoder(names, bones=BONES)
    (datagram,) = encoder.encode(pose_frame(values, np.zeros((4, 7)), angles, names=names))
    assert bytes(datagram) == bundle([
        message("/avatardrive/jawOpen", 0.25), message("/avatardrive/mouthSmileLeft", 0.5),
        message("/avatardrive/head", 10.0, -5.0, 3.0), message("/avatardrive/gaze", -11.0, 6.0),
    ])  # fmt: skip


def test_osc_head_needs_a_rig_with_bones() -> None:
    destination = parse_destination("osc://127.0.0.1:9?head=1")
    assert destination.head and not parse_destination("osc://127.0.0.1:9").head
    with pytest.raises(TransportError, match=r"^osc://127\.0\.0\.1:9\?head=1: the frames carry no "
                                             r"head or eye bones; expected a rig with bones for "
                                             r"head=1"):
        make_encoder(destination, ("jawOpen",), bones=())


def test_osc_head_reaches_a_python_osc_receiver_in_degrees(tmp_path: Path) -> None:
    with osc_receiver() as (port, received):
        send_play(f"osc://127.0.0.1:{port}?head=1", {"AU51": 20 / 45, "AU64": 0.4}, tmp_path)
        assert wait_for(lambda: sum(a == "/avatardrive/gaze" for a, _ in received) >= 10)
    heads = [args for a, args in list(received) if a == "/avatardrive/head"]
    gazes = [args for a, args in list(received) if a == "/avatardrive/gaze"]
    np.testing.assert_allclose(heads[len(heads) // 2], [20.0, 0.0, 0.0], atol=0.01)
    np.testing.assert_allclose(gazes[len(gazes) // 2], [0.0, -10.0], atol=0.01)  # 0.4 x 25° down
    assert heads[-1] == (0.0, 0.0, 0.0)  # the closing rest frame


# -- Live Link UDP -----------------------------------------------------------------------------


def parse_live_link(packet: bytes) -> dict[str, object]:
    """A Live Link Face packet, read from PROTOCOLS.md's description (not from our encoder)."""
    at = 0

    def take(fmt: str) -> tuple[object, ...]:
        nonlocal at
        size = struct.calcsize(fmt)
        values = struct.unpack_from(fmt, packet, at)
        at += size
        return values

    def text() -> str:
        (length,) = take(">i")
        assert isinstance(length, int)
        return bytes(take(f">{length}s")[0]).decode("utf-8")  # type: ignore[call-overload]

    (version,) = take(">B")
    device, subject = text(), text()
    frame, sub_frame, numerator, denominator = take(">ifii")
    (count,) = take(">B")
    values = take(f">{count}f")
    assert at == len(packet), "trailing bytes"
    names = [*LIVE_LINK_PACKET_SHAPES, *LIVE_LINK_ROTATIONS]
    return {"version": version, "device": device, "subject": subject, "frame": frame,
            "sub_frame": sub_frame, "fps": (numerator, denominator), "count": count,
            "values": dict(zip(names, values, strict=True))}  # fmt: skip


def test_packet_order_swaps_only_the_jaw_and_mouth_sides() -> None:
    moved = [(a, b) for a, b in zip(LIVE_LINK_SHAPES, LIVE_LINK_PACKET_SHAPES, strict=True)
             if a != b]  # fmt: skip
    assert moved == [("JawRight", "JawLeft"), ("JawLeft", "JawRight"),
                     ("MouthRight", "MouthLeft"), ("MouthLeft", "MouthRight")]  # fmt: skip
    assert LIVE_LINK_PACKET_SHAPES.index("JawLeft") == 15  # as Unreal's ARKit enum
    assert LIVE_LINK_PACKET_SHAPES.index("MouthLeft") == 21


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1, width=32), min_size=52, max_size=52),
       st.lists(st.floats(-40, 40, width=32), min_size=12, max_size=12),
       st.floats(0, 1e5), st.sampled_from([24, 30, 60]))  # fmt: skip
def test_every_value_round_trips_through_the_packet(
    shapes: list[float], angles: list[float], time: float, fps: int
) -> None:
    device = str(uuid.UUID(int=7))
    encoder = LiveLinkEncoder(ARKIT, bones=BONES, subject="Face 1", device=device, fps=fps)
    table = np.array(angles, dtype=np.float32).reshape(4, 3)
    table[2:, 2] = 0.0  # eyes have no roll
    (packet,) = encoder.encode(pose_frame(np.array(shapes), np.zeros((4, 7)), table, time=time))
    got = parse_live_link(bytes(packet))
    assert (got["version"], got["device"], got["subject"], got["count"]) == (6, device, "Face 1",
                                                                             61)  # fmt: skip
    assert got["fps"] == (fps, 1)
    frames = time * fps
    assert got["frame"] == math.floor(frames)
    assert got["sub_frame"] == pytest.approx(frames - math.floor(frames), abs=1e-3)
    values = got["values"]
    assert isinstance(values, dict)
    for name, value in zip(ARKIT, shapes, strict=True):
        assert values[name[0].upper() + name[1:]] == np.float32(value)
    head = np.radians(table[0] + table[1]) * (-1, -1, 1)  # Live Link: yaw + right, pitch + down
    left, right = np.radians(table[2]) * (-1, -1, 1), np.radians(table[3]) * (-1, -1, 1)
    expected = [*head, *left, *right]
    for name, value in zip(LIVE_LINK_ROTATIONS, expected, strict=True):
        assert values[name] == pytest.approx(value, abs=1e-6)


def test_live_link_names_are_checked() -> None:
    with pytest.raises(TransportError, match=r"^names\[1\]: name 'Joy' is no Live Link Face "
                                             r"value; expected ARKit 52 names"):
        LiveLinkEncoder(("jawOpen", "Joy"))
    with pytest.raises(TransportError, match=r"^livelink://h\?fps=0: query key 'fps': value '0' "
                                             r"is not valid; expected a whole number"):
        parse_destination("livelink://h?fps=0")
    with pytest.raises(TransportError, match=r"query key 'device': value 'abc' is not valid; "
                                             r"expected a 36-character UUID"):
        parse_destination("livelink://h?device=abc")


def test_livelink_destination_streams_real_packets_from_a_route() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver:
        receiver.bind(("127.0.0.1", 0))
        receiver.settimeout(5)
        port = receiver.getsockname()[1]
        (route,) = open_routes([f"livelink://127.0.0.1:{port}?subject=Kim"])
        assert route.rig.name == "arkit52"
        au = np.zeros(N_CHANNELS, dtype=np.float32)
        angles_to_channels([20.0, -6.0, 3.0], HEAD_AXES, out=au)
        au[CHANNELS.index("AU12_L")] = 0.5
        route.send(au, index=0, time=1.25)
        route.sink.close()
        got = parse_live_link(receiver.recv(2048))
    assert got["subject"] == "Kim" and len(str(got["device"])) == 36
    assert (got["frame"], got["fps"]) == (75, (60, 1))
    values = got["values"]
    assert isinstance(values, dict)
    assert values["MouthSmileLeft"] > 0.3 and values["MouthSmileRight"] == 0.0
    np.testing.assert_allclose([values["HeadYaw"], values["HeadPitch"], values["HeadRoll"]],
                               np.radians([-20.0, 6.0, 3.0]), atol=1e-5)  # fmt: skip


def test_udp_sink_rebuilds_its_encoder_when_the_bones_change() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver:
        receiver.bind(("127.0.0.1", 0))
        receiver.settimeout(5)
        with UdpSink(f"vmc://127.0.0.1:{receiver.getsockname()[1]}") as sink:
            values = np.zeros(2, dtype=np.float32)
            sink.send(Frame(0, 0.0, ("A", "I"), values))
            plain = receiver.recv(4096)
            sink.send(pose_frame(values, random_pose(np.random.default_rng(1), 1),
                                 np.zeros((1, 3)), names=("A", "I"), bones=("Head",)))
            with_bone = receiver.recv(4096)
    assert b"/VMC/Ext/Bone/Pos" not in plain and with_bone.count(b"/VMC/Ext/Bone/Pos") == 1


def test_route_sends_the_rigs_bones_with_every_frame() -> None:
    rig = load_rig("vrm0")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver:
        receiver.bind(("127.0.0.1", 0))
        receiver.settimeout(5)
        (route,) = open_routes([f"vmc://127.0.0.1:{receiver.getsockname()[1]}"])
        route.send(np.zeros(N_CHANNELS, dtype=np.float32), index=0, time=0.0)
        route.sink.close()
        packet = receiver.recv(8192)
    assert packet.count(b"/VMC/Ext/Bone/Pos") == len(rig.bone_names) == 4
    # at rest every bone is the identity rotation at its declared (zero) position
    identity = struct.pack(">7f", 0, 0, 0, 0, 0, 0, 1)
    assert packet.count(identity) == 4
