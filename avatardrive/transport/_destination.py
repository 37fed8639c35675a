"""Destinations as URLs: ``vmc://127.0.0.1:39539``, ``osc://host:port?au=1``, ``vrchat://``.

=========  ============  ===========  ==================================================
scheme     default port  default rig  query options (all optional)
=========  ============  ===========  ==================================================
osc        (required)    arkit52      rig, au (0/1), emotions (0/1), prefix (default
                                      ``/avatardrive/``)
vmc        39539         vrm0         rig
vrchat     9000          vrcft        rig, prefix (default ``/avatar/parameters/FT/v2/``),
                                      keepalive (s, default 1), max_rate (msg/s, default 2000),
                                      avatar (config JSON file), force_all (0/1), listen
                                      (port for ``/avatar/change``, default 9001, or off),
                                      oscquery (``http://host:port``, auto or off; default
                                      auto = mDNS if ``zeroconf`` is installed), osc_dir
                                      (VRChat's OSC folder; default: found per platform)
=========  ============  ===========  ==================================================

For ``vrchat``, ``prefix`` is used only with ``force_all=1``; discovered avatars are sent to
the addresses they declare.

A missing host means ``127.0.0.1``; IPv6 literals go in brackets (``vmc://[::1]:39539``).
"""

from __future__ import annotations

import math
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from avatardrive.errors import TransportError

__all__ = ["DEFAULT_PORTS", "DEFAULT_RIGS", "SCHEMES", "Destination", "parse_destination"]

SCHEMES = ("osc", "vmc", "vrchat")
DEFAULT_PORTS: Mapping[str, int] = {"vmc": 39539, "vrchat": 9000}
DEFAULT_RIGS: Mapping[str, str] = {"osc": "arkit52", "vmc": "vrm0", "vrchat": "vrcft"}
_DEFAULT_OPTIONS: Mapping[str, Mapping[str, str]] = {
    "osc": {"au": "0", "emotions": "0", "prefix": "/avatardrive/"},
    "vmc": {},
    "vrchat": {"prefix": "/avatar/parameters/FT/v2/", "keepalive": "1", "max_rate": "2000",
               "avatar": "", "force_all": "0", "listen": "9001", "oscquery": "auto",
               "osc_dir": ""},
}
_FORMS = "osc://host:port, vmc://host[:port] or vrchat://host[:port], optionally ?key=value&…"
_RIG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_PREFIX = re.compile(r"/(?:[^\s#*,?\[\]{}/]+/)*")
_BOOLEANS = {"1": "1", "true": "1", "yes": "1", "0": "0", "false": "0", "no": "0"}


@dataclass(frozen=True)
class Destination:
    """Where one stream goes, parsed and validated from a URL by :func:`parse_destination`.

    Attributes
    ----------
    scheme
        Address schema: ``osc`` (generic), ``vmc`` or ``vrchat``.
    host, port
        Receiver; ``host`` is resolved when the sink opens, off the hot path.
    rig
        Rig whose shape names this destination receives.
    options
        Every option of the scheme, validated, as strings (defaults filled in); read them
        typed through :attr:`au`, :attr:`emotions`, :attr:`prefix`, :attr:`keepalive`,
        :attr:`max_rate`.
    """

    scheme: str
    host: str
    port: int
    rig: str
    options: Mapping[str, str] = field(default_factory=dict, hash=False)

    @property
    def url(self) -> str:
        """Canonical URL, with only the options that differ from the defaults."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        defaults = _DEFAULT_OPTIONS.get(self.scheme, {})
        query = {k: v for k, v in self.options.items() if defaults.get(k) != v}
        if self.rig != DEFAULT_RIGS.get(self.scheme):
            query = {"rig": self.rig, **query}
        tail = f"?{urllib.parse.urlencode(query, safe='/')}" if query else ""
        return f"{self.scheme}://{host}:{self.port}{tail}"

    @property
    def au(self) -> bool:
        """Generic OSC only: also send ``<prefix>au/<channel>`` for every AU channel."""
        return self._option("au") == "1"

    @property
    def emotions(self) -> bool:
        """Generic OSC only: also send the emotion read-out, ``<prefix>read/<name> f``."""
        return self._option("emotions") == "1"

    @property
    def prefix(self) -> str:
        """Address prefix for shape names (``osc`` and ``vrchat``), ending in ``/``."""
        return self._option("prefix") or "/"

    @property
    def keepalive(self) -> float:
        """VRChat: resend an unchanged value after this many seconds."""
        return float(self._option("keepalive") or "1")

    @property
    def max_rate(self) -> float:
        """VRChat: at most this many messages per second."""
        return float(self._option("max_rate") or "2000")

    def __str__(self) -> str:
        return self.url

    def _option(self, key: str) -> str | None:
        return self.options.get(key, _DEFAULT_OPTIONS.get(self.scheme, {}).get(key))


def parse_destination(url: str) -> Destination:
    """Parse and validate a destination URL.

    Parameters
    ----------
    url
        E.g. ``"vmc://127.0.0.1:39539"``, ``"osc://localhost:9000?au=1&rig=facs"``,
        ``"vrchat://127.0.0.1?prefix=/avatar/parameters/"``.

    Raises
    ------
    TransportError
        Naming the URL (as ``source``), the part at fault and what was expected.
    """
    try:
        parts = urllib.parse.urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise TransportError(f"cannot be parsed ({exc}); expected {_FORMS}", source=url) from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        problem = f"scheme {parts.scheme!r} is not one of osc, vmc, vrchat" if scheme else (
            "has no scheme")
        raise TransportError(f"{problem}; expected {_FORMS}", source=url, where="scheme")
    if parts.path not in ("", "/") or parts.fragment:
        raise TransportError(f"has a path or fragment {parts.path + parts.fragment!r}; expected "
                             f"{_FORMS}", source=url, where="path")
    options = _parse_query(parts.query, scheme, url)
    rig = options.pop("rig", DEFAULT_RIGS[scheme])
    return Destination(scheme, parts.hostname or "127.0.0.1", _port(port, scheme, url), rig,
                       MappingProxyType(options))


def _port(port: int | None, scheme: str, url: str) -> int:
    if port is None:
        if scheme not in DEFAULT_PORTS:
            raise TransportError(f"has no port; expected {scheme}://host:port", source=url,
                                 where="port")
        return DEFAULT_PORTS[scheme]
    if not 1 <= port <= 65535:
        raise TransportError(f"port {port} is out of range; expected 1..65535", source=url,
                             where="port")
    return port


def _parse_query(query: str, scheme: str, url: str) -> dict[str, str]:
    try:
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise TransportError(f"query {query!r} is not key=value pairs joined by '&'; expected "
                             f"{_FORMS}", source=url, where="query") from None
    options = dict(_DEFAULT_OPTIONS[scheme])
    allowed = sorted({"rig", *options})
    seen: set[str] = set()
    for key, value in pairs:
        where = f"query key {key!r}"
        if key not in allowed:
            raise TransportError(f"is not an option of {scheme}://; expected one of "
                                 f"{', '.join(allowed)}", source=url, where=where)
        if key in seen:
            raise TransportError("is given twice; expected it once", source=url, where=where)
        seen.add(key)
        options[key] = _check_option(key, value, url, where)
    return options


def _check_option(key: str, value: str, url: str, where: str) -> str:
    def fail(expected: str) -> TransportError:
        return TransportError(f"value {value!r} is not valid; expected {expected}", source=url,
                              where=where)

    if key == "rig" and not _RIG.fullmatch(value):
        raise fail("a rig name such as arkit52, vrm0, vrm1, vrcft or facs")
    if key in ("au", "emotions", "force_all"):
        if value.lower() not in _BOOLEANS:
            raise fail("1 or 0")
        return _BOOLEANS[value.lower()]
    if key == "prefix" and not _PREFIX.fullmatch(value):
        raise fail("an OSC address prefix starting and ending with '/', e.g. /avatar/parameters/")
    if key == "listen":
        if value.lower() == "off":
            return "off"
        if not (value.isdigit() and 1 <= int(value) <= 65535):
            raise fail("a UDP port 1..65535 or off")
        return str(int(value))
    if key == "oscquery" and value.lower() in ("auto", "off"):
        return value.lower()
    if key == "oscquery":
        endpoint = urllib.parse.urlsplit(value)
        if endpoint.scheme != "http" or not endpoint.hostname:
            raise fail("auto, off or an OSCQuery endpoint such as http://127.0.0.1:9100")
    if key in ("avatar", "osc_dir") and (not value or "\x00" in value):
        raise fail("a file path" if key == "avatar" else "a folder path")
    if key in ("keepalive", "max_rate"):
        try:
            number = float(value)
        except ValueError:
            expected = "a number of seconds" if key == "keepalive" else "messages per second"
            raise fail(expected) from None
        if not (math.isfinite(number) and number > 0):
            raise fail("a finite number above 0")
    return value
