"""Tests of the address schemas: golden bytes against python-osc, clamping, VRChat sending rules."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder

from avatardrive.errors import TransportError
from avatardrive.transport import (
    LIVE_LINK_SHAPES,
    BundleEncoder,
    Frame,
    ValueRange,
    VRChatEncoder,
    iter_messages,
    make_encoder,
    osc_encoder,
    parse_destination,
    parse_packet,
    vmc_encoder,
)
from avatardrive.transport._layout import PacketLayout, bundle_layouts, slot_message

Values = NDArray[np.float32]
ARKIT = tuple(name[0].lower() + name[1:] for name in LIVE_LINK_SHAPES)
CHANNELS = ("AU1_L", "AU1_R", "AU12_L", "AU12_R")


def frame(values: object, names: tuple[str, ...] = ARKIT, *, time: float = 0.0, index: int = 0,
          au: object = None) -> Frame:
    array = np.asarray(values, dtype=np.float32)
    if au is None:
        return Frame(index, time, names, array)
    return Frame(index, time, names, array, CHANNELS, np.asarray(au, dtype=np.float32))


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
def values() -> Values:
    return np.random.default_rng(4).random(len(ARKIT)).astype(np.float32)


# ---------------------------------------------------------------------------- golden: python-osc


def test_vmc_bundle_is_byte_identical_to_python_osc(values: Values) -> None:
    expected = bundle([*(message("/VMC/Ext/Blend/Val", n, float(v))
                         for n, v in zip(ARKIT, values, strict=True)),
                       message("/VMC/Ext/Blend/Apply")])
    (datagram,) = vmc_encoder(ARKIT).encode(frame(values))
    assert bytes(datagram) == expected


def test_vmc_encoder_reuses_its_layout_frame_after_frame(values: Values) -> None:
    encoder = vmc_encoder(ARKIT)
    encoder.encode(frame(values))
    (datagram,) = encoder.encode(frame(values[::-1].copy()))
    expected = bundle([*(message("/VMC/Ext/Blend/Val", n, float(v))
                         for n, v in zip(ARKIT, values[::-1], strict=True)),
                       message("/VMC/Ext/Blend/Apply")])
    assert bytes(datagram) == expected


def test_osc_bundle_with_au_channels_is_byte_identical_to_python_osc(values: Values) -> None:
    au = [0.1, 0.2, 0.3, 0.4]
    expected = bundle([*(message(f"/avatardrive/{n}", float(v))
                         for n, v in zip(ARKIT, values, strict=True)),
                       *(message(f"/avatardrive/au/{c}", float(np.float32(v)))
                         for c, v in zip(CHANNELS, au, strict=True))])
    encoder = osc_encoder(ARKIT, channels=CHANNELS)
    (datagram,) = encoder.encode(frame(values, au=au))
    assert bytes(datagram) == expected


def test_vrchat_messages_are_byte_identical_to_python_osc(values: Values) -> None:
    quantized = np.round(values * 127).astype(np.float32) / np.float32(127)
    expected = [message(f"/avatar/parameters/FT/v2/{n}", float(q)).build().dgram
                for n, q in zip(ARKIT, quantized, strict=True)]
    datagrams = VRChatEncoder(ARKIT).encode(frame(values))
    assert [bytes(d) for d in datagrams] == expected


def test_golden_bytes_of_a_tiny_vmc_packet() -> None:
    (datagram,) = vmc_encoder(("A",)).encode(frame([0.5], ("A",)))
    assert bytes(datagram) == (
        b"#bundle\x00" b"\x00\x00\x00\x00\x00\x00\x00\x01"
        b"\x00\x00\x00\x20" b"/VMC/Ext/Blend/Val\x00\x00" b",sf\x00" b"A\x00\x00\x00"
        b"\x3f\x00\x00\x00"
        b"\x00\x00\x00\x1c" b"/VMC/Ext/Blend/Apply\x00\x00\x00\x00" b",\x00\x00\x00"
    )


def test_golden_bytes_of_a_tiny_generic_packet() -> None:
    (datagram,) = osc_encoder(("jawOpen",)).encode(frame([1.0], ("jawOpen",)))
    assert bytes(datagram) == (
        b"#bundle\x00\x00\x00\x00\x00\x00\x00\x00\x01"
        b"\x00\x00\x00\x20/avatardrive/jawOpen\x00\x00\x00\x00,f\x00\x00\x3f\x80\x00\x00"
    )


# ------------------------------------------------------------------------------------ clamping


@pytest.mark.parametrize("make", [vmc_encoder, osc_encoder])
def test_encoders_clamp_and_map_nan_to_lo(make: object) -> None:
    names = ("a", "b", "c", "d", "e", "f")
    encoder = make(names, ranges=ValueRange(overrides={"f": (-1.0, 1.0)}))  # type: ignore[operator]
    raw = [np.nan, np.inf, -np.inf, 1.5, -0.25, np.nan]
    (datagram,) = encoder.encode(frame(raw, names))
    sent = [m.args[-1] for m in iter_messages(parse_packet(bytes(datagram)))
            if m.tags.endswith("f")]
    assert sent == [0.0, 1.0, 0.0, 1.0, 0.0, -1.0]


def test_vrchat_quantizes_and_clamps() -> None:
    names = ("a", "b", "c", "JawX")
    encoder = VRChatEncoder(names, ranges=ValueRange(overrides={"JawX": (-1.0, 1.0)}))
    datagrams = encoder.encode(frame([0.5, np.nan, 7.0, -np.inf], names))
    sent = [parse_packet(bytes(d)) for d in datagrams]
    assert [m.args[0] for m in sent] == [  # type: ignore[union-attr]
        float(np.float32(64 / 127)), 0.0, 1.0, -1.0]


def test_value_range_rejects_bad_bounds() -> None:
    with pytest.raises(ValueError, match=r"overrides\['x'\]: range \(1.0, 0.0\)"):
        ValueRange(overrides={"x": (1.0, 0.0)})


# --------------------------------------------------------------------------- VRChat behaviour


def sent_names(datagrams: list[bytearray]) -> list[str]:
    return [parse_packet(bytes(d)).address.rsplit("/", 1)[1]  # type: ignore[union-attr]
            for d in datagrams]


def test_vrchat_sends_only_changes_until_the_keepalive() -> None:
    names = ("a", "b", "c")
    encoder = VRChatEncoder(names, keepalive=1.0)
    assert sent_names(encoder.encode(frame([0.1, 0.2, 0.3], names, time=0.0))) == ["a", "b", "c"]
    assert sent_names(encoder.encode(frame([0.1, 0.2, 0.3], names, time=0.1))) == []
    # 0.301 quantizes like 0.3: not a change
    assert sent_names(encoder.encode(frame([0.1, 0.5, 0.301], names, time=0.2))) == ["b"]
    assert sent_names(encoder.encode(frame([0.1, 0.5, 0.3], names, time=1.0))) == ["a", "c"]
    assert sent_names(encoder.encode(frame([0.1, 0.5, 0.3], names, time=1.2))) == ["b"]


def test_vrchat_rate_cap_sends_the_stalest_first() -> None:
    names = tuple(f"p{i}" for i in range(10))
    encoder = VRChatEncoder(names, max_rate=40.0, keepalive=100.0)  # burst 4, +1 per 25 ms
    rng = np.random.default_rng(1)
    counts, seen = [], set()
    for k in range(40):
        sent = sent_names(encoder.encode(frame(rng.random(10), names, time=k * 0.025)))
        counts.append(len(sent))
        seen.update(sent)
    assert counts[0] == 4
    assert max(counts[1:]) <= 1
    assert sum(counts) <= 4 + 40  # never above the cap
    assert seen == set(names)  # every parameter gets its turn
    assert encoder.capped > 0


def test_vrchat_restarted_stream_resends_everything() -> None:
    names = ("a", "b")
    encoder = VRChatEncoder(names)
    encoder.encode(frame([0.1, 0.2], names, time=5.0))
    assert sent_names(encoder.encode(frame([0.1, 0.2], names, time=0.0))) == ["a", "b"]


# ------------------------------------------------------------------------------------ layouts


def test_big_frames_split_into_bundles_with_apply_last() -> None:
    names = tuple(f"shape{i:03d}" for i in range(100))
    encoder = vmc_encoder(names, max_datagram=1024)
    values = np.linspace(0, 1, 100, dtype=np.float32)
    datagrams = encoder.encode(frame(values, names))
    assert len(datagrams) > 1
    assert all(len(d) <= 1024 for d in datagrams)
    messages = [m for d in datagrams for m in iter_messages(parse_packet(bytes(d)))]
    assert [m.args for m in messages[:-1]] == [(n, float(v)) for n, v in zip(names, values,
                                                                            strict=True)]
    assert messages[-1].address == "/VMC/Ext/Blend/Apply"


def test_a_message_too_big_for_a_datagram_is_refused() -> None:
    with pytest.raises(TransportError, match=r"does not fit in a datagram"):
        bundle_layouts([slot_message("/" + "x" * 200)], max_datagram=128)


def test_layout_rejects_unaligned_slots() -> None:
    with pytest.raises(TransportError, match=r"not 4-byte aligned"):
        PacketLayout(bytes(8), [2])


@pytest.mark.parametrize("name", ["", "mouth smile", "a/b", "a#", "x*", "{y}", "tab\t"])
def test_names_that_cannot_be_addresses_are_refused(name: str) -> None:
    with pytest.raises(TransportError, match=r"names\[1\]: .* cannot be part of an OSC address"):
        osc_encoder(("ok", name))
    with pytest.raises(TransportError, match=r"cannot be part of an OSC address"):
        VRChatEncoder(("ok", name))


def test_vmc_names_only_need_to_be_osc_strings() -> None:
    assert isinstance(vmc_encoder(("mouth smile", "Blink_L")), BundleEncoder)
    with pytest.raises(TransportError, match=r"names\[0\]: '' cannot be an OSC string"):
        vmc_encoder(("",))


@pytest.mark.parametrize(("url", "kind", "first"), [
    ("vmc://127.0.0.1", BundleEncoder, "/VMC/Ext/Blend/Val"),
    ("osc://127.0.0.1:9000?prefix=/face/", BundleEncoder, "/face/a"),
    ("vrchat://?prefix=/avatar/parameters/", VRChatEncoder, "/avatar/parameters/a"),
])
def test_make_encoder_follows_the_destination(url: str, kind: type, first: str) -> None:
    encoder = make_encoder(parse_destination(url), ("a",), channels=("AU1_L",))
    assert isinstance(encoder, kind)
    f = Frame(0, 0.0, ("a",), np.zeros(1, np.float32), ("AU1_L",), np.zeros(1, np.float32))
    messages = [m for d in encoder.encode(f) for m in iter_messages(parse_packet(bytes(d)))]
    assert messages[0].address == first
    assert all("/au/" not in m.address for m in messages)  # au=1 not asked for


def test_make_encoder_sends_au_channels_when_asked() -> None:
    encoder = make_encoder(parse_destination("osc://127.0.0.1:9000?au=1"), ("a",),
                           channels=("AU1_L",))
    f = Frame(0, 0.0, ("a",), np.zeros(1, np.float32), ("AU1_L",), np.ones(1, np.float32))
    (datagram,) = encoder.encode(f)
    assert [m.address for m in iter_messages(parse_packet(bytes(datagram)))] == [
        "/avatardrive/a", "/avatardrive/au/AU1_L"]


@pytest.mark.parametrize(("key", "value"), [("keepalive", 0.0), ("max_rate", float("nan"))])
def test_vrchat_options_are_checked(key: str, value: float) -> None:
    with pytest.raises(ValueError, match=rf"{key} is .*; expected a finite number above 0"):
        VRChatEncoder(("a",), **{key: value})  # type: ignore[arg-type]
