"""Tests of destination URLs: defaults per scheme, options, and errors that name the URL."""

from __future__ import annotations

import pytest

from avatardrive.errors import TransportError
from avatardrive.transport import DEFAULT_PORTS, DEFAULT_RIGS, Destination, parse_destination


@pytest.mark.parametrize(("url", "scheme", "host", "port", "rig"), [
    ("vmc://127.0.0.1:39539", "vmc", "127.0.0.1", 39539, "vrm0"),
    ("vmc://", "vmc", "127.0.0.1", 39539, "vrm0"),
    ("VMC://LocalHost", "vmc", "localhost", 39539, "vrm0"),
    ("vrchat://127.0.0.1", "vrchat", "127.0.0.1", 9000, "vrcft"),
    ("osc://studio.local:7000", "osc", "studio.local", 7000, "arkit52"),
    ("osc://[::1]:7000?rig=facs", "osc", "::1", 7000, "facs"),
    ("vmc://10.0.0.2:39540?rig=vrm1", "vmc", "10.0.0.2", 39540, "vrm1"),
])
def test_urls_parse_with_scheme_defaults(url: str, scheme: str, host: str, port: int,
                                         rig: str) -> None:
    d = parse_destination(url)
    assert (d.scheme, d.host, d.port, d.rig) == (scheme, host, port, rig)


def test_defaults_are_documented_constants() -> None:
    assert DEFAULT_PORTS == {"vmc": 39539, "vrchat": 9000, "livelink": 11111}
    assert DEFAULT_RIGS == {"osc": "arkit52", "vmc": "vrm0", "vrchat": "vrcft",
                            "livelink": "arkit52"}


def test_options_are_typed_with_defaults() -> None:
    osc = parse_destination("osc://h:1?au=1&prefix=/face/")
    assert (osc.au, osc.prefix) == (True, "/face/")
    assert parse_destination("osc://h:1").prefix == "/avatardrive/"
    assert parse_destination("osc://h:1?au=false").au is False
    vrc = parse_destination("vrchat://?keepalive=0.5&max_rate=300&prefix=/avatar/parameters/")
    assert (vrc.keepalive, vrc.max_rate, vrc.prefix) == (0.5, 300.0, "/avatar/parameters/")
    default = parse_destination("vrchat://")
    assert (default.keepalive, default.max_rate, default.prefix) == (
        1.0, 2000.0, "/avatar/parameters/FT/v2/")


def test_canonical_url_round_trips() -> None:
    for url in ["vmc://127.0.0.1:39539", "osc://[::1]:7000?rig=facs&au=1",
                "vrchat://127.0.0.1:9000?prefix=/avatar/parameters/"]:
        d = parse_destination(url)
        assert d.url == url
        assert parse_destination(d.url) == d
        assert str(d) == url


def test_destinations_are_hashable_values() -> None:
    a, b = parse_destination("vmc://"), parse_destination("vmc://127.0.0.1:39539")
    assert a == b
    assert len({a, b}) == 1
    assert isinstance(a, Destination)


@pytest.mark.parametrize(("url", "pattern"), [
    ("http://127.0.0.1:9000", r"^http://127.0.0.1:9000: scheme: scheme 'http' is not one of "
                              r"osc, vmc, vrchat, livelink; expected osc://host:port"),
    ("127.0.0.1:9000", r"^127.0.0.1:9000: scheme: has no scheme; expected osc://host:port"),
    ("osc://127.0.0.1", r"^osc://127.0.0.1: port: has no port; expected osc://host:port$"),
    ("vmc://127.0.0.1:0", r"port: port 0 is out of range; expected 1..65535"),
    ("vmc://127.0.0.1:99999", r"cannot be parsed .*; expected"),
    ("vmc://127.0.0.1:port", r"cannot be parsed"),
    ("vmc://127.0.0.1/path", r"path: has a path or fragment '/path'"),
    ("vmc://?rig=", r"query key 'rig': value '' is not valid; expected a rig name"),
    ("vmc://?rig=../etc", r"query key 'rig': value '../etc' is not valid"),
    ("vmc://?au=1", r"query key 'au': is not an option of vmc://; expected one of rig, status$"),
    ("osc://h:1?au=maybe", r"query key 'au': value 'maybe' is not valid; expected 1 or 0"),
    ("osc://h:1?prefix=avatar", r"prefix starting and ending with '/'"),
    ("osc://h:1?prefix=/a b/", r"prefix starting and ending with '/'"),
    ("vrchat://?keepalive=0", r"query key 'keepalive': value '0' .* finite number above 0"),
    ("vrchat://?max_rate=fast", r"expected messages per second"),
    ("vrchat://?rig=a&rig=b", r"query key 'rig': is given twice"),
    ("vrchat://?novalue", r"query: query 'novalue' is not key=value pairs"),
])
def test_bad_urls_name_the_url_and_what_is_expected(url: str, pattern: str) -> None:
    with pytest.raises(TransportError, match=pattern) as info:
        parse_destination(url)
    assert info.value.source == url
