"""VRChat avatars: configs, OSCQuery, plans, binary parameters, discovery over real sockets."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from receivers import free_port, wait_for
from vrchat_standin import send_avatar_change, vrchat_standin

from avatardrive.errors import TransportError
from avatardrive.facs import CHANNELS, N_CHANNELS, channel_index
from avatardrive.retarget import VRCFTParameters, load_rig
from avatardrive.transport import (
    AvatarConfig,
    AvatarEncoder,
    AvatarParameter,
    Frame,
    VRChatSink,
    binary_bits,
    load_avatar_config,
    open_sink,
    parse_avatar_config,
    parse_oscquery_avatar,
    plan_avatar,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
RIG = load_rig("vrcft")
FT = "/avatar/parameters/FT/v2/"


def param(address: str, kind: str = "Float", *, writable: bool = True) -> dict[str, Any]:
    name = address.removeprefix("/avatar/parameters/")
    entry: dict[str, Any] = {"name": name, "output": {"address": address, "type": kind}}
    if writable:
        entry["input"] = {"address": address, "type": kind}
    return entry


def template(avatar_id: str = "avtr_00000000-1111-2222-3333-444444444444") -> dict[str, Any]:
    """A face-tracking template in VRChat's format: floats kept local, binary bits synced."""
    parameters = [param(FT + n) for n in ("JawOpen", "EyeLidLeft", "SmileSadLeft", "EyeLeftX")]
    parameters += [param(f"{FT}JawOpen{b}", "Bool") for b in (1, 2, 4)]
    parameters += [param(f"{FT}SmileSadLeft{b}", "Bool") for b in (1, 2, 4, 8)]
    parameters += [param(f"{FT}SmileSadLeftNegative", "Bool")]
    parameters += [param(f"{FT}BrowExpressionLeft{b}", "Bool") for b in (1, 2, 8)]  # gap
    parameters += [param(f"{FT}MouthClosed", "Bool"), param(f"{FT}CheekPuffLeft", "Int")]
    parameters += [param("/avatar/parameters/LipTrackingActive", "Bool"),
                   param("/avatar/parameters/v2/Head/Yaw"), param("/avatar/parameters/Hat", "Bool"),
                   param("/avatar/parameters/VelocityX", writable=False)]
    return {"id": avatar_id, "name": "template", "parameters": parameters}


def other_avatar(avatar_id: str = "avtr_99999999-1111-2222-3333-444444444444") -> dict[str, Any]:
    return {"id": avatar_id, "name": "other",
            "parameters": [param("/avatar/parameters/MouthOpen"), param(f"{FT}TongueOut")]}


def write_config(path: Path, config: dict[str, Any], *, bom: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + json.dumps(config, indent=2).encode())
    return path


def au_frame(**values: float) -> np.ndarray:
    au = np.zeros(N_CHANNELS, dtype=np.float32)
    for name, value in values.items():
        au[channel_index(name)] = value
    return au


def frame(index: int, au: np.ndarray) -> Frame:
    return Frame(index, index / 60, RIG.shape_names, RIG.forward_frame(au), CHANNELS, au)


def open_vrchat(url: str) -> VRChatSink:
    sink = open_sink(url, parameters=VRCFTParameters)
    assert isinstance(sink, VRChatSink)
    return sink


# -- binary parameters --------------------------------------------------------------------------


@pytest.mark.parametrize("n_bits", [1, 2, 3, 4, 8])
def test_binary_bits_follow_the_rule_on_a_fine_grid(n_bits: int) -> None:
    values = np.linspace(-1.0, 1.0, 40001)
    bits, negative = binary_bits(values, n_bits)
    for value, row, neg in zip(values.tolist(), bits, negative, strict=True):
        v = abs(value)
        big = (1 << n_bits) - 1 if v > 0.99999 else int(np.floor(v * (1 << n_bits)))
        assert row.tolist() == [bool((big >> k) & 1) for k in range(n_bits)], value
        assert neg == (value < 0)
    decoded = (bits * (1 << np.arange(n_bits))).sum(axis=1) / (1 << n_bits)
    assert np.all(np.abs(decoded - np.abs(values)) <= 1 / (1 << n_bits) + 1e-12)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-1.5, 1.5) | st.just(float("nan")), min_size=3, max_size=3))
def test_the_encoder_sends_the_bits_binary_bits_gives(values: list[float]) -> None:
    config = AvatarConfig("avtr_x", "", tuple(
        [AvatarParameter(f"a{b}", f"/p/a{b}", "Bool") for b in (1, 2)]
        + [AvatarParameter(f"b{b}", f"/p/b{b}", "Bool") for b in (1, 2, 4, 8)]
        + [AvatarParameter("bNegative", "/p/bNegative", "Bool"),
           AvatarParameter("c", "/p/c", "Bool")]))
    plan = plan_avatar(config, ("a", "b", "c"), drivable={"a", "b", "c"})
    lo, hi = np.full(3, -1.0, np.float32), np.ones(3, np.float32)
    encoder = AvatarEncoder(plan, ("a", "b", "c"), lo=lo, hi=hi)
    sent = {bytes(m).split(b"\x00")[0].decode(): bytes(m).endswith(b",T\x00\x00")
            for m in encoder.encode(0, 0.0, np.array(values, np.float32))}
    clean = np.clip(np.nan_to_num(np.array(values, np.float32), nan=-1.0), -1, 1)
    a_bits, _ = binary_bits(clean[:1], 2)
    b_bits, b_negative = binary_bits(clean[1:2], 4)
    assert [sent[f"/p/a{b}"] for b in (1, 2)] == a_bits[0].tolist()
    assert [sent[f"/p/b{b}"] for b in (1, 2, 4, 8)] == b_bits[0].tolist()
    assert sent["/p/bNegative"] == bool(b_negative[0])
    assert sent["/p/c"] == bool(clean[2] > 0.5)


# -- configs and OSCQuery -----------------------------------------------------------------------


@pytest.mark.parametrize("bom", [True, False])
def test_configs_with_and_without_a_bom_parse(tmp_path: Path, bom: bool) -> None:
    config = load_avatar_config(write_config(tmp_path / "a.json", template(), bom=bom))
    assert config.id.startswith("avtr_") and config.read_only == 1
    assert AvatarParameter("FT/v2/JawOpen", FT + "JawOpen", "Float") in config.parameters


@pytest.mark.parametrize(("text", "pattern"), [
    ("{not json", r"x\.json: is not JSON .*; expected a VRChat avatar OSC config"),
    ('{"id": "a"}', r"x\.json: parameters: is missing; expected a list of parameters"),
    ('{"parameters": {}}', r"parameters: is dict; expected a list"),
    ('{"parameters": [{"name": "a", "input": {"address": "/a", "type": "Double"}}]}',
     r"parameters\[0\]\.input\.type: type 'Double' is unknown; expected Float, Int or Bool"),
    ('{"parameters": [{"input": {"address": "/a", "type": "Bool"}}]}',
     r"parameters\[0\]\.name: None is not a non-empty string"),
    ("[1, 2]", r"top level is list"),
])  # fmt: skip
def test_bad_configs_name_the_key_and_what_was_expected(text: str, pattern: str) -> None:
    with pytest.raises(TransportError, match=pattern):
        parse_avatar_config(text, source="x.json")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_bytes_parse_or_raise_a_transport_error(data: bytes) -> None:
    for parse in (lambda d: parse_avatar_config(d, source="f"),
                  lambda d: parse_oscquery_avatar(d, source="u")):
        message = ""
        try:
            parse(data)
        except TransportError as err:
            message = str(err)
        assert len(message) < 300


@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is not here")
def test_real_vrchat_config_has_nothing_for_face_tracking() -> None:
    config = load_avatar_config(DATA / "machinad_avtr_46040475_plain.json")  # UTF-8 BOM, hash
    assert config.id == "avtr_46040475-8cfe-410f-9744-cdaa117887bc"
    assert (len(config.parameters), config.read_only) == (17, 28)
    plan = plan_for(config)
    assert plan.empty and plan.others == 17


@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is not here")
def test_hand_made_face_tracking_config_gets_floats_for_what_we_drive() -> None:
    config = load_avatar_config(DATA / "hazre_VRCFTReceiver_vrc_parameters_FT_template.json")
    plan = plan_for(config)
    driven = {route.name for route in plan.floats}
    assert {"SmileSadLeft", "BrowExpressionLeft", "MouthOpen", "EyeLidLeft", "EyeLeftX",
            "CheekPuffSuckLeft", "LipFunnel", "JawOpen"} <= driven
    assert len(plan.floats) == 119 and not plan.binaries
    assert ("FT/v2/JawX", "nothing avatardrive computes drives it") in plan.skipped


def plan_for(config: AvatarConfig):  # type: ignore[no-untyped-def]
    derived = VRCFTParameters(RIG.shape_names, CHANNELS)
    own = [n for n in RIG.shape_names if n not in derived.names]
    return plan_avatar(config, (*derived.names, *own), drivable=derived.drivable | set(own),
                       base=derived.base)


def test_plan_types_bits_flags_and_skips() -> None:
    plan = plan_for(parse_avatar_config(json.dumps(template())))
    assert {r.address for r in plan.floats} == {FT + "JawOpen", FT + "EyeLidLeft",
                                                FT + "SmileSadLeft", FT + "EyeLeftX",
                                                "/avatar/parameters/v2/Head/Yaw"}
    binaries = {b.name: b for b in plan.binaries}
    assert binaries["JawOpen"].bits == tuple(f"{FT}JawOpen{b}" for b in (1, 2, 4))
    assert binaries["JawOpen"].negative is None
    assert binaries["SmileSadLeft"].negative == f"{FT}SmileSadLeftNegative"
    assert [(b.name, b.threshold) for b in plan.bools] == [("MouthClosed", 0.0)]
    assert plan.flags == ("/avatar/parameters/LipTrackingActive",)
    reasons = dict(plan.skipped)
    assert re.match(r"bits 1, 2, 8 are not contiguous", reasons["BrowExpressionLeft"])
    assert reasons["FT/v2/CheekPuffLeft"].startswith("declared Int")
    assert plan.others == 1  # Hat
    assert plan.synced_bits == 5 * 8 + 1 + 1 + 3 + 5


def test_oscquery_tree_gives_the_same_parameters_as_the_file() -> None:
    from vrchat_standin import oscquery_tree

    config = template()
    current, parsed = parse_oscquery_avatar(json.dumps(oscquery_tree(config)), source="u")
    from_file = parse_avatar_config(json.dumps(config))
    assert current == config["id"]
    assert sorted(parsed.parameters, key=str) == sorted(from_file.parameters, key=str)


# -- the sink over real sockets -----------------------------------------------------------------


def bools_at(received: list[tuple[str, tuple[Any, ...]]], address: str) -> list[bool]:
    return [bool(args[0]) for a, args in received if a == address]


def test_config_file_drives_floats_bits_and_flags(tmp_path: Path) -> None:
    path = write_config(tmp_path / "avatar.json", template())
    with vrchat_standin() as vrc:
        with open_vrchat(f"vrchat://127.0.0.1:{vrc.osc_port}?avatar={path}&listen=off"
                         f"&oscquery=off") as sink:
            sink.send(frame(0, au_frame()))
            sink.send(frame(1, au_frame(AU26_L=1.0, AU26_R=1.0, AU12_L=1.0)))  # jaw 0.7, smile
            assert wait_for(lambda: any(a == f"{FT}JawOpen2" for a in vrc.addresses()))
            time.sleep(0.1)
        assert wait_for(lambda: len(bools_at(vrc.received,
                                             "/avatar/parameters/LipTrackingActive")) == 2)
    got = vrc.received
    declared = {p["input"]["address"] for p in template()["parameters"] if "input" in p}
    assert set(vrc.addresses()) <= declared  # nothing the avatar does not declare
    assert "/avatar/parameters/Hat" not in vrc.addresses()
    assert [round(args[0] * 127) for a, args in got if a == FT + "EyeLidLeft"] == [95]  # 0.75
    # JawOpen 0.7 -> floor(0.7 * 8) = 5 = bits 1 and 4; first frame sent every bit off
    assert bools_at(got, f"{FT}JawOpen1") == [False, True]
    assert bools_at(got, f"{FT}JawOpen2") == [False]
    assert bools_at(got, f"{FT}JawOpen4") == [False, True]
    # SmileSadLeft 0.8 -> floor(0.8 * 16) = 12 = bits 4 and 8
    assert bools_at(got, f"{FT}SmileSadLeft8") == [False, True]
    assert bools_at(got, f"{FT}SmileSadLeftNegative") == [False]
    assert bools_at(got, "/avatar/parameters/LipTrackingActive") == [True, False]  # on, closed


def test_a_malformed_bit_set_is_one_warning_and_not_sent(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    path = write_config(tmp_path / "avatar.json", template())
    with vrchat_standin() as vrc, open_vrchat(
            f"vrchat://127.0.0.1:{vrc.osc_port}?avatar={path}&listen=off&oscquery=off") as sink:
        for k in range(3):
            sink.send(frame(k, au_frame(AU1_L=1.0, AU2_L=1.0)))
        assert wait_for(lambda: FT + "JawOpen" in vrc.addresses())
    warnings = [r.getMessage() for r in caplog.records if "binary parameters not sent" in
                r.getMessage()]
    assert len(warnings) == 1 and "BrowExpressionLeft (bits 1, 2, 8" in warnings[0]
    assert not any("BrowExpressionLeft" in a for a in vrc.addresses())


def test_nothing_is_sent_before_an_avatar_is_known(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    with vrchat_standin() as vrc, \
            open_vrchat(f"vrchat://127.0.0.1:{vrc.osc_port}?listen=off&oscquery=off") as sink:
        for k in range(5):
            sink.send(frame(k, au_frame(AU26_L=1.0, AU26_R=1.0)))
        time.sleep(0.2)
    assert vrc.received == []
    warnings = [r.getMessage() for r in caplog.records if "no avatar parameters" in r.getMessage()]
    assert len(warnings) == 1 and "force_all=1" in warnings[0]


def test_force_all_sends_every_drivable_float_and_the_flags() -> None:
    with vrchat_standin() as vrc, \
            open_vrchat(f"vrchat://127.0.0.1:{vrc.osc_port}?force_all=1") as sink:
        assert sink.watcher is None
        sink.send(frame(0, au_frame()))
        assert wait_for(lambda: len(vrc.received) > 100)
        time.sleep(0.1)
    addresses = set(vrc.addresses())
    assert {FT + "SmileSadLeft", FT + "EyeLidLeft", FT + "Head/Yaw", FT + "EyeY",
            "/avatar/parameters/EyeTrackingActive"} <= addresses
    assert FT + "JawX" not in addresses and FT + "TongueUp" not in addresses


def test_discovery_through_oscquery_and_avatar_change_mid_stream(tmp_path: Path) -> None:
    listen = free_port()
    with vrchat_standin(template()) as vrc:
        url = (f"vrchat://127.0.0.1:{vrc.osc_port}?listen={listen}&oscquery={vrc.oscquery}"
               f"&osc_dir={tmp_path}")
        with open_vrchat(url) as sink:
            assert sink.watcher is not None
            assert wait_for(lambda: sink.watcher.state.config is not None)  # asked at start
            sink.send(frame(0, au_frame()))
            assert wait_for(lambda: FT + "JawOpen" in vrc.addresses())
            version = sink.watcher.state.version
            vrc.change_avatar(other_avatar(), notify=listen)
            assert wait_for(lambda: sink.watcher.state.version > version)
            before = len(vrc.received)
            sink.send(frame(1, au_frame(AU26_L=1.0, AU26_R=1.0)))  # the next frame switches
            assert wait_for(lambda: "/avatar/parameters/MouthOpen" in vrc.addresses())
            time.sleep(0.1)
            after = vrc.addresses()[before:]
    assert set(after) == {"/avatar/parameters/MouthOpen", FT + "TongueOut"}
    assert vrc.requests >= 2


def test_discovery_through_the_config_folder(tmp_path: Path) -> None:
    config = template()
    write_config(tmp_path / "usr_1234" / "Avatars" / f"{config['id']}.json", config)
    listen = free_port()
    with vrchat_standin() as vrc:
        url = f"vrchat://127.0.0.1:{vrc.osc_port}?listen={listen}&oscquery=off&osc_dir={tmp_path}"
        with open_vrchat(url) as sink:
            sink.send(frame(0, au_frame()))
            send_avatar_change(listen, config["id"])
            assert wait_for(lambda: sink.watcher is not None and
                            sink.watcher.state.config is not None)
            for k in range(1, 3):
                sink.send(frame(k, au_frame(AU26_L=1.0, AU26_R=1.0)))
            assert wait_for(lambda: f"{FT}JawOpen4" in vrc.addresses())


@pytest.mark.parametrize("mode", ["garbage", "gone", "slow"])
def test_a_bad_oscquery_endpoint_warns_and_keeps_the_last_set(
    tmp_path: Path, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    path = write_config(tmp_path / "a.json", template())
    listen = free_port()
    with vrchat_standin(other_avatar()) as vrc:
        vrc.mode, vrc.delay = mode, 3.0
        url = (f"vrchat://127.0.0.1:{vrc.osc_port}?avatar={path}&listen={listen}"
               f"&oscquery={vrc.oscquery}&osc_dir={tmp_path}")
        with open_vrchat(url) as sink:
            send_avatar_change(listen, other_avatar()["id"])
            longest = 0.0
            for k in range(30):  # the clock never waits for discovery
                start = time.perf_counter()
                sink.send(frame(k, au_frame(AU26_L=k / 30, AU26_R=k / 30)))
                longest = max(longest, time.perf_counter() - start)
                time.sleep(0.02)
            assert wait_for(lambda: vrc.requests >= 1)
            assert longest < 0.5
            if mode != "slow":
                assert wait_for(lambda: any("avatar" in r.getMessage() for r in caplog.records))
            assert sink.watcher is not None and sink.watcher.state.config is not None
            assert sink.watcher.state.config.source == str(path)  # still the last known set
    assert FT + "JawOpen" in vrc.addresses() and "/avatar/parameters/MouthOpen" not in (
        vrc.addresses())


def test_a_change_to_an_unknown_avatar_warns_once_and_keeps_streaming(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    path = write_config(tmp_path / "a.json", template())
    listen = free_port()
    with vrchat_standin() as vrc:
        url = (f"vrchat://127.0.0.1:{vrc.osc_port}?avatar={path}&listen={listen}&oscquery=off"
               f"&osc_dir={tmp_path}")
        with open_vrchat(url) as sink:
            send_avatar_change(listen, "avtr_unknown-0000")
            assert wait_for(lambda: any("no parameters found for avatar avtr_unknown"
                                        in r.getMessage() for r in caplog.records))
            sink.send(frame(0, au_frame()))
            assert wait_for(lambda: FT + "JawOpen" in vrc.addresses())


def test_a_bad_avatar_file_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"parameters": [{"name": "x", "input": {"address": "/a", "type": "Str"}}]}')
    with pytest.raises(TransportError, match=r"bad\.json: parameters\[0\]\.input\.type"):
        open_vrchat(f"vrchat://127.0.0.1:9?avatar={bad}&listen=off")


# -- the whole path: a VRChat stand-in process, `avatardrive play`, real sockets ----------------

SMILE_SCENE = (
    "version = 1\nduration = 5\n[blink]\nrate = 0\n[[events]]\n"
    "aus = { AU12 = 0.8, AU26 = 0.6 }\nstart = 0.1\nonset = 0.2\napex = 100\noffset = 0.5\n"
    "style = 'posed'\n"
)


def test_play_discovers_the_avatar_of_a_vrchat_process_and_sends_its_types(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path / "template.json", template())
    scene = tmp_path / "scene.toml"
    scene.write_text(SMILE_SCENE)
    standin = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("vrchat_standin.py")), str(config)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert standin.stdout is not None and standin.stdin is not None
        _, osc_port, _, oscquery = standin.stdout.readline().split()
        url = (f"vrchat://127.0.0.1:{osc_port}?listen={free_port()}&oscquery={oscquery}"
               f"&osc_dir={tmp_path}")
        done = subprocess.run([sys.executable, "-m", "avatardrive", "play", str(scene), "--to",
                               url, "--seconds", "1.5"],
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        out, _ = standin.communicate(timeout=30)
    finally:
        if standin.poll() is None:
            standin.kill()
            standin.communicate()
    lines = [line.split() for line in out.splitlines()]
    declared = {p["input"]["address"] for p in template()["parameters"] if "input" in p}
    assert lines and {line[0] for line in lines} <= declared
    smile = [float(line[1]) for line in lines if line[0] == FT + "SmileSadLeft"]
    assert max(smile) > 0.5 and smile[-1] == 0.0  # smiled, then the neutral frame
    assert [line[1] for line in lines if line[0] == FT + "SmileSadLeft8"][:2] == ["False", "True"]
    assert [line[1] for line in lines if line[0] == "/avatar/parameters/LipTrackingActive"] == [
        "True", "False"]  # on while streaming, off at the end


def test_oscquery_found_over_mdns_when_zeroconf_is_installed() -> None:
    zeroconf = pytest.importorskip("zeroconf")
    import socket

    with vrchat_standin(template()) as vrc:
        port = int(vrc.oscquery.rsplit(":", 1)[1])
        advertiser = zeroconf.Zeroconf(interfaces=["127.0.0.1"])
        info = zeroconf.ServiceInfo(
            "_oscjson._tcp.local.", "VRChat-Client-AD14TEST._oscjson._tcp.local.",
            addresses=[socket.inet_aton("127.0.0.1")], port=port, server="vrchat-standin.local.")
        advertiser.register_service(info)
        try:
            with open_vrchat(f"vrchat://127.0.0.1:{vrc.osc_port}?listen=off") as sink:
                assert sink.watcher is not None
                assert wait_for(lambda: sink.watcher.state.config is not None, timeout=10)
                sink.send(frame(0, au_frame()))
                assert wait_for(lambda: FT + "JawOpen" in vrc.addresses())
        finally:
            advertiser.unregister_service(info)
            advertiser.close()


def test_avatar_change_listener_survives_a_hundred_thousand_hostile_datagrams() -> None:
    import random

    from hostile_osc import random_datagrams

    from avatardrive.transport._osc import osc_bundle, osc_message
    from avatardrive.transport._vrchat import _avatar_changes

    changes = 0
    for data in random_datagrams(random.Random(9000), 100_000):
        found = _avatar_changes(data)  # python-osc behind the wrapper: nothing but a list
        assert all(isinstance(a, str) and len(a) <= 200 for a in found)
        changes += len(found)
    assert changes == 0  # none of them carries /avatar/change
    change = osc_message("/avatar/change", ["avtr_1234"])
    assert _avatar_changes(osc_bundle([osc_message("/x", [1.0]), change])) == ["avtr_1234"]
