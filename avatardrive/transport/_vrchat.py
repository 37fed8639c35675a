"""VRChat: send each avatar what it declares, in its types, found as VRCFaceTracking finds it.

Pieces, bottom up:

- :func:`binary_bits`: VRCFaceTracking's binary parameter rule (PROTOCOLS.md).
- :class:`AvatarEncoder`: one :class:`~avatardrive.transport._vrchat_plan.AvatarPlan` -> plain
  messages. Floats are quantized to 1/127, change-only with a keep-alive, rate-capped (the
  :class:`VRChatEncoder` rules); bools, binary bits and the tracking-active flags are sent when
  the plan loads and then only when they change, and are never held back by the rate cap (a
  dropped change would never be repeated), though they count against it.
- :class:`AvatarWatcher`: a daemon thread that listens for ``/avatar/change`` on VRChat's output
  port and resolves the new avatar's parameters through OSCQuery (a given URL, or mDNS when the
  optional ``zeroconf`` package is installed) or the avatar's config JSON in VRChat's OSC folder.
  All network and file work happens on that thread: the clock never waits for it.
- :class:`VRChatSink`: the :class:`~avatardrive.transport.Sink` for ``vrchat://`` URLs. It
  expands each frame into the VRCFaceTracking v2 parameters (through a ``parameters`` factory
  given by the caller, e.g. :class:`avatardrive.retarget.VRCFTParameters`), plans against the
  current avatar and sends through a :class:`UdpSink`.

Wire form: one plain OSC message per parameter that is due, as VRChat's OSC documentation
describes and every OSC receiver accepts; no bundles.
"""

from __future__ import annotations

import logging
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from avatardrive.errors import AvatarDriveError, TransportError
from avatardrive.transport._destination import Destination, parse_destination
from avatardrive.transport._encoders import Datagram, Encoder, Readout, VRChatEncoder
from avatardrive.transport._frame import UNIT_RANGE, FloatArray, Frame, ValueRange, sanitize
from avatardrive.transport._log import WarnOnce
from avatardrive.transport._osc import iter_messages, osc_string, parse_packet
from avatardrive.transport._udp import SinkStats, UdpSink
from avatardrive.transport._vrchat_config import (
    AvatarConfig,
    default_osc_dirs,
    find_avatar_config,
    load_avatar_config,
    parse_oscquery_avatar,
)
from avatardrive.transport._vrchat_plan import AvatarPlan, plan_all, plan_avatar

__all__ = [
    "AvatarEncoder",
    "AvatarWatcher",
    "DerivedParameters",
    "ParameterFactory",
    "VRChatSink",
    "binary_bits",
]

logger = logging.getLogger(__name__)

BoolArray = NDArray[np.bool_]
ALL_ON = 0.99999
MAX_OSCQUERY_BYTES = 4 << 20


class DerivedParameters(Protocol):
    """Values computed from a frame's shapes and AU channels (VRCFaceTracking v2 parameters)."""

    names: tuple[str, ...]
    drivable: frozenset[str]
    base: frozenset[str]
    lo: FloatArray
    hi: FloatArray

    def compute(self, values: FloatArray, au: FloatArray | None = None, *,
                out: FloatArray | None = None) -> FloatArray:
        """One value per name for one frame."""
        ...


#: Builds the derived parameters for a frame's shape names and AU channel names.
ParameterFactory = Callable[[Sequence[str], Sequence[str]], DerivedParameters]


def binary_bits(values: FloatArray, n_bits: int) -> tuple[BoolArray, BoolArray]:
    """VRCFaceTracking's binary parameter encoding.

    With ``v = |value|``: every bit is on when ``v > 0.99999``, else ``big = floor(v * 2**n)``
    and bit k is ``(big >> k) & 1``; the negative flag is ``value < 0``.

    Parameters
    ----------
    values : ndarray, shape (n,)
        Finite values in [-1, 1].
    n_bits
        Bits of the encoding, 1 to 16.

    Returns
    -------
    bits : ndarray, shape (n, n_bits), bool
        Bit k in column k (weight ``2**k``).
    negative : ndarray, shape (n,), bool
    """
    v = np.abs(np.asarray(values, dtype=np.float64))
    big = np.floor(np.minimum(v, 1.0) * (1 << n_bits)).astype(np.int64)
    big = np.where(v > ALL_ON, (1 << n_bits) - 1, np.minimum(big, (1 << n_bits) - 1))
    bits = ((big[:, None] >> np.arange(n_bits)) & 1).astype(bool)
    return bits, np.asarray(values) < 0


@dataclass(frozen=True)
class _Bit:
    """One bool address and the prepared messages for on and off."""

    on: bytes
    off: bytes


def _bool_messages(address: str) -> _Bit:
    head = osc_string(address)
    return _Bit(head + osc_string(",T"), head + osc_string(",F"))


class AvatarEncoder:
    """Encode value vectors for one avatar plan (see the module notes for the rules).

    Parameters
    ----------
    plan
        What to send.
    names
        Value names; the plan's routes index them.
    lo, hi : ndarray, shape (len(names),)
        Value ranges.
    keepalive, max_rate
        As for :class:`VRChatEncoder`.
    """

    def __init__(self, plan: AvatarPlan, names: Sequence[str], *, lo: FloatArray, hi: FloatArray,
                 keepalive: float = 1.0, max_rate: float = 2000.0) -> None:
        self.plan = plan
        float_names = tuple(route.name for route in plan.floats)
        self._float_index = np.array([r.index for r in plan.floats], dtype=np.intp)
        ranges = ValueRange(overrides={n: (float(lo[i]), float(hi[i]))
                                       for n, i in zip(names, range(len(names)), strict=True)})
        self._floats = VRChatEncoder(float_names, ranges=ranges, keepalive=keepalive,
                                     max_rate=max_rate,
                                     addresses=[r.address for r in plan.floats])
        self._lo, self._hi = lo, hi
        self._clean = np.zeros(len(names), dtype=np.float32)
        # bool states in this order: plain bools, every binary's bits, Negative bits, flags
        addresses = [r.address for r in plan.bools]
        addresses += [a for binary in plan.binaries for a in binary.bits]
        addresses += [b.negative for b in plan.binaries if b.negative is not None]
        addresses += list(plan.flags)
        self._bits = [_bool_messages(address) for address in addresses]
        self._bool_index = np.array([r.index for r in plan.bools], dtype=np.intp)
        self._thresholds = np.array([r.threshold for r in plan.bools], dtype=np.float32)
        self._binary_index = np.array([b.index for b in plan.binaries], dtype=np.intp)
        widths = np.array([len(b.bits) for b in plan.binaries], dtype=np.int64)
        self._widths = widths
        self._max_width = int(widths.max()) if len(widths) else 0
        self._bit_used = np.arange(self._max_width) < widths[:, None]  # (binaries, max width)
        self._negative_index = np.array([b.index for b in plan.binaries if b.negative is not None],
                                        dtype=np.intp)
        self._last_bits: BoolArray | None = None
        self._names = float_names

    def encode(self, index: int, time: float, values: FloatArray) -> list[Datagram]:
        """Messages due for this frame's values (shape (len(names),))."""
        clean = sanitize(values, self._lo, self._hi, out=self._clean)
        state = self._bit_state(clean, on=True)
        changed = np.ones(len(state), dtype=bool) if self._last_bits is None else (
            state != self._last_bits)
        self._last_bits = state
        messages: list[Datagram] = [self._bits[k].on if state[k] else self._bits[k].off
                                    for k in np.flatnonzero(changed).tolist()]
        self._floats.spend(len(messages))
        frame = Frame(index, time, self._names, clean[self._float_index])
        return [*messages, *self._floats.encode(frame)]

    def goodbye(self) -> list[bytes]:
        """Tracking-active flags off, so the avatar falls back to its own animations."""
        first_flag = len(self._bits) - len(self.plan.flags)
        return [bit.off for bit in self._bits[first_flag:]]

    def _bit_state(self, clean: FloatArray, *, on: bool) -> BoolArray:
        v = np.abs(clean[self._binary_index]).astype(np.float64)
        top = (np.int64(1) << self._widths) - 1
        big = np.where(v > ALL_ON, top, np.minimum(np.floor(v * (top + 1)).astype(np.int64), top))
        bits = ((big[:, None] >> np.arange(self._max_width)) & 1).astype(bool)
        return np.concatenate([
            clean[self._bool_index] > self._thresholds,
            bits[self._bit_used],  # row by row: each binary's bits, lowest first
            clean[self._negative_index] < 0,
            np.full(len(self.plan.flags), on),
        ])


@dataclass(frozen=True)
class AvatarState:
    """The avatar the watcher last resolved: ``version`` grows with every change."""

    version: int
    config: AvatarConfig | None


class AvatarWatcher:
    """Follow VRChat's current avatar and resolve its parameters, off the hot path.

    Parameters
    ----------
    listen
        UDP port for ``/avatar/change`` (VRChat sends on 9001); None: do not listen.
    host
        Address to listen on.
    oscquery
        An OSCQuery endpoint (``http://127.0.0.1:PORT``), ``"auto"`` (mDNS when ``zeroconf`` is
        installed) or None.
    osc_dirs
        VRChat OSC folders searched for ``<usr>/Avatars/<avtr_id>.json``.
    initial
        The avatar to start with (``?avatar=FILE.json``).
    timeout
        Seconds an OSCQuery request may take.
    label
        For log messages (the destination URL).
    """

    def __init__(self, *, listen: int | None = 9001, host: str = "127.0.0.1",
                 oscquery: str | None = "auto", osc_dirs: Sequence[Path] = (),
                 initial: AvatarConfig | None = None, timeout: float = 1.5,
                 label: str = "vrchat") -> None:
        self._oscquery = oscquery
        self._found: str | None = None  # the endpoint mDNS found, kept while it answers
        self._osc_dirs = tuple(osc_dirs)
        self._timeout = timeout
        self._label = label
        self._warn = WarnOnce(logger)
        self._lock = threading.Lock()
        self._state = AvatarState(1 if initial else 0, initial)
        self._stop = threading.Event()
        self._socket: socket.socket | None = None
        self.port: int | None = None
        if listen is not None:
            self._socket = self._bind(host, listen)
        self._thread = threading.Thread(target=self._run, name=f"avatar watcher {label}",
                                        daemon=True)
        self._thread.start()

    @property
    def state(self) -> AvatarState:
        """The current avatar (read each frame; cheap)."""
        return self._state

    def close(self) -> None:
        """Stop the thread and close the socket."""
        self._stop.set()
        self._thread.join(timeout=self._timeout + 1.0)
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def _bind(self, host: str, port: int) -> socket.socket | None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((host, port))
        except OSError as err:
            sock.close()
            logger.warning("%s: cannot listen for /avatar/change on %s:%d (%s); avatar changes "
                           "will not be seen", self._label, host, port, err.strerror)
            return None
        sock.settimeout(0.2)
        self.port = sock.getsockname()[1]
        return sock

    def _run(self) -> None:
        if self._state.config is None and self._oscquery is not None:
            self._resolve("")  # ask OSCQuery for the current avatar at once, as VRCFT does
        while not self._stop.is_set():
            if self._socket is None:
                self._stop.wait(0.2)
                continue
            try:
                data = self._socket.recv(65535)
            except (TimeoutError, OSError):
                continue
            for avatar_id in _avatar_changes(data):
                self._resolve(avatar_id)

    def _resolve(self, avatar_id: str) -> None:
        try:
            config = self._lookup(avatar_id)
        except AvatarDriveError as err:
            logger.warning("%s: avatar %s: %s; keeping the last known parameters", self._label,
                           avatar_id or "(current)", err)
            return
        if config is None:
            if avatar_id:
                logger.warning("%s: no parameters found for avatar %s (no OSCQuery answer, no "
                               "config in %s); keeping the last known parameters", self._label,
                               avatar_id[:80], ", ".join(map(str, self._osc_dirs)) or
                               "any VRChat OSC folder")  # fmt: skip
            return
        with self._lock:
            self._state = AvatarState(self._state.version + 1, config)
        logger.info("%s: avatar %s: %d writable parameters", self._label, config.id or "?",
                    len(config.parameters))

    def _lookup(self, avatar_id: str) -> AvatarConfig | None:
        endpoint = self._endpoint()
        if endpoint is not None:
            found = self._ask_oscquery(endpoint, avatar_id)
            if found is not None:
                return found
            self._found = None
        path = find_avatar_config(self._osc_dirs, avatar_id) if avatar_id else None
        return None if path is None else load_avatar_config(path)

    def _endpoint(self) -> str | None:
        if self._oscquery == "auto":
            if self._found is None:
                self._found = find_oscquery_mdns(timeout=self._timeout)
            return self._found
        return self._oscquery

    def _ask_oscquery(self, endpoint: str, avatar_id: str) -> AvatarConfig | None:
        url = endpoint.rstrip("/") + "/avatar"
        try:
            with urllib.request.urlopen(url, timeout=self._timeout) as answer:
                body = answer.read(MAX_OSCQUERY_BYTES + 1)
        except (urllib.error.URLError, OSError, ValueError) as err:
            self._warn("oscquery", "%s: OSCQuery %s does not answer (%s); falling back to config "
                       "files", self._label, url, getattr(err, "reason", err))
            return None
        if len(body) > MAX_OSCQUERY_BYTES:
            raise TransportError(f"answer is larger than {MAX_OSCQUERY_BYTES} bytes; expected an "
                                 f"OSCQuery node tree", source=url)
        current, config = parse_oscquery_avatar(body, source=url)
        if avatar_id and current and current != avatar_id:
            logger.info("%s: OSCQuery still shows avatar %s, not %s", self._label, current[:80],
                        avatar_id[:80])
        return config


def _avatar_changes(data: bytes) -> list[str]:
    try:
        packet = parse_packet(data)
    except TransportError:
        return []  # not OSC: ignored (VRChat's port carries only OSC)
    return [str(m.args[0])[:200] for m in iter_messages(packet)
            if m.address == "/avatar/change" and m.args and isinstance(m.args[0], str)]


def find_oscquery_mdns(*, timeout: float = 1.5) -> str | None:
    """VRChat's OSCQuery HTTP endpoint found over mDNS (``_oscjson._tcp``), or None.

    Needs the optional ``zeroconf`` package (``pip install avatardrive[vrchat]``); without it,
    returns None at once.
    """
    try:
        import zeroconf  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None
    found: list[str] = []

    def on_change(zeroconf: object, service_type: str, name: str, state_change: object) -> None:
        if name.startswith("VRChat-Client") and not found:
            info = zc.get_service_info(service_type, name, timeout=int(timeout * 1000))
            if info is not None and info.parsed_addresses():
                found.append(f"http://{info.parsed_addresses()[0]}:{info.port}")

    zc = zeroconf.Zeroconf()
    try:
        browser = zeroconf.ServiceBrowser(zc, "_oscjson._tcp.local.", handlers=[on_change])
        deadline = threading.Event()
        deadline.wait(timeout)
        browser.cancel()
    finally:
        zc.close()
    return found[0] if found else None


class VRChatSink:
    """The ``vrchat://`` sink: discovered, typed, binary-encoded VRChat avatar parameters.

    Parameters
    ----------
    destination
        A ``vrchat://`` :class:`Destination` or URL. Options (see ``_destination``): ``avatar``
        (config file), ``force_all``, ``listen``, ``oscquery``, ``osc_dir``, plus ``prefix``,
        ``keepalive``, ``max_rate``.
    ranges
        Ranges of the frame's own values (rig weights).
    parameters
        Builds the derived VRCFaceTracking v2 parameters for a frame's names and channels;
        None sends only the frame's own names.

    Notes
    -----
    Until an avatar is known (``avatar=``, OSCQuery, or ``/avatar/change`` with a config file),
    nothing is sent and one warning says why; ``force_all=1`` sends every drivable value as a
    float at ``prefix + name`` instead, with no discovery.

    Raises
    ------
    TransportError
        If ``avatar=`` names a file that is not a valid avatar config.
    """

    def __init__(self, destination: Destination | str, *, ranges: ValueRange = UNIT_RANGE,
                 parameters: ParameterFactory | None = None) -> None:
        if isinstance(destination, str):
            destination = parse_destination(destination)
        self.destination = destination
        self._parameters = parameters
        self._ranges = ranges
        self._warn = WarnOnce(logger)
        opts = destination.options
        initial = load_avatar_config(opts["avatar"]) if opts.get("avatar") else None
        self.watcher: AvatarWatcher | None = None
        if opts.get("force_all") != "1":
            listen = opts.get("listen", "9001")
            oscquery = opts.get("oscquery", "auto")
            osc_dir = opts.get("osc_dir", "")
            self.watcher = AvatarWatcher(
                listen=None if listen == "off" else int(listen),
                oscquery=None if oscquery == "off" else oscquery,
                osc_dirs=(Path(osc_dir),) if osc_dir else default_osc_dirs(),
                initial=initial, label=destination.url)
        self._encoder: _FrameEncoder | None = None
        self._udp = UdpSink(destination, ranges=ranges, encoders=self._encoder_for)

    @property
    def plan(self) -> AvatarPlan | None:
        """The plan in use (None before the first frame or while no avatar is known)."""
        return None if self._encoder is None else self._encoder.plan

    @property
    def stats(self) -> SinkStats:
        """The UDP sink's counters."""
        return self._udp.stats

    def send(self, frame: Frame) -> None:
        """Expand, plan and send one frame (see :class:`UdpSink.send` for errors)."""
        self._udp.send(frame)

    def close(self) -> None:
        """Turn the tracking-active flags off, then close the socket and the watcher."""
        try:
            if self._encoder is not None and self._udp.connected:
                self._udp.transmit(self._encoder.goodbye())
        finally:
            self._udp.close()
            if self.watcher is not None:
                self.watcher.close()

    def __enter__(self) -> VRChatSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"VRChatSink({self.destination.url!r})"

    def _encoder_for(self, destination: Destination, names: Sequence[str], *,
                     channels: Sequence[str] = (), ranges: ValueRange = UNIT_RANGE,
                     readout: Readout | None = None) -> Encoder:  # fmt: skip
        del readout  # VRChat parameters carry no read-out
        derived = None if self._parameters is None else self._parameters(names, channels)
        self._encoder = _FrameEncoder(self, tuple(names), tuple(channels), derived)
        return self._encoder


class _FrameEncoder:
    """A frame's names expanded by the derived parameters, planned per avatar state."""

    def __init__(self, sink: VRChatSink, names: tuple[str, ...], channels: tuple[str, ...],
                 derived: DerivedParameters | None) -> None:
        self.names, self.channels = names, channels
        self._sink, self._derived = sink, derived
        own = [i for i, name in enumerate(names) if derived is None or name not in derived.names]
        self._own = np.array(own, dtype=np.intp)
        lo, hi = sink._ranges.bounds([names[i] for i in own])
        if derived is None:
            self.values_names: tuple[str, ...] = tuple(names[i] for i in own)
            self._lo, self._hi = lo, hi
            self._drivable: frozenset[str] = frozenset(self.values_names)
            self._derived_values = np.zeros(0, dtype=np.float32)
        else:
            self.values_names = (*derived.names, *(names[i] for i in own))
            self._lo = np.concatenate([derived.lo, lo]).astype(np.float32)
            self._hi = np.concatenate([derived.hi, hi]).astype(np.float32)
            own_names = frozenset(names[i] for i in own)
            self._drivable = derived.drivable | own_names
            self._derived_values = np.zeros(len(derived.names), dtype=np.float32)
        self._base = frozenset(names) if derived is None else derived.base
        self._values = np.zeros(len(self.values_names), dtype=np.float32)
        self._version = -1
        self._avatar: AvatarEncoder | None = None

    @property
    def plan(self) -> AvatarPlan | None:
        return None if self._avatar is None else self._avatar.plan

    def encode(self, frame: Frame) -> list[Datagram]:
        avatar = self._current()
        if avatar is None:
            return []
        values = self._values
        if self._derived is not None:
            self._derived.compute(frame.values, frame.au if self.channels else None,
                                  out=self._derived_values)
            values[: len(self._derived_values)] = self._derived_values
        values[len(self._derived_values):] = frame.values[self._own]
        return avatar.encode(frame.index, frame.time, values)

    def goodbye(self) -> list[bytes]:
        return [] if self._avatar is None else self._avatar.goodbye()

    def _current(self) -> AvatarEncoder | None:
        sink = self._sink
        watcher = sink.watcher
        version = 0 if watcher is None else watcher.state.version
        if version == self._version:
            return self._avatar
        self._version = version
        destination = sink.destination
        if watcher is None:
            plan = plan_all(self.values_names, drivable=self._drivable, prefix=destination.prefix)
        else:
            config = watcher.state.config
            if config is None:
                sink._warn("unknown", "%s: no avatar parameters known yet: nothing is sent until "
                           "VRChat reports an avatar (/avatar/change) whose parameters OSCQuery "
                           "or its config file gives; or use ?avatar=FILE.json, ?oscquery=URL "
                           "or ?force_all=1", destination.url)
                self._avatar = None
                return None
            plan = plan_avatar(config, self.values_names, drivable=self._drivable,
                               base=self._base)
            logger.info("%s: avatar %s: %d floats, %d bools, %d binary parameters, %d flags",
                        destination.url, plan.avatar[:80], len(plan.floats), len(plan.bools),
                        len(plan.binaries), len(plan.flags))
            malformed = [f"{name} ({reason})" for name, reason in plan.skipped
                         if reason.startswith(("bits ", "declares only"))]
            if malformed:
                logger.warning("%s: avatar %s: binary parameters not sent: %s", destination.url,
                               plan.avatar[:80], "; ".join(malformed[:3])[:300])
        self._avatar = AvatarEncoder(plan, self.values_names, lo=self._lo, hi=self._hi,
                                     keepalive=destination.keepalive,
                                     max_rate=destination.max_rate)
        return self._avatar
