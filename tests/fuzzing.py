"""Fuzzing whole paths: generated and mutated inputs, and the one property they must all keep.

Five kinds of case, each a function of one integer seed (so any case can be replayed):

- ``timeline``: timeline text (TOML or JSON) -> load -> render -> retarget to every built-in
  rig -> encode (VMC, generic OSC, VRChat) -> parse the datagrams back;
- ``rig``: rig text -> load -> forward and inverse;
- ``curves``: curve file bytes (CSV, JSON, NPZ) -> read;
- ``take``: OpenFace and Live Link Face CSV text (empty, one row, gaps, failed rows, extreme
  but valid numbers) -> ``load_input`` (timed by the take's clock, resampled) -> retarget ->
  encode, as ``play``, ``convert`` and ``export`` take it;
- ``datagram``: bytes -> the control listener's parser.

The property is always the same: a clean :class:`~avatardrive.errors.AvatarDriveError` with a
short one-line message, or finite output in range. Anything else raises :class:`FindingError`.
``tests/test_fuzz.py`` runs a small budget of each; ``benchmarks/fuzz.py`` runs campaigns.

Inputs are built from a vocabulary of valid keys and values, with hostile values mixed in
(huge, tiny, negative, non-finite, wrong types, deep nesting, long strings) and, for a share of
the cases, byte-level mutations of a valid text (cut, repeat, splice in a hostile token).
"""

from __future__ import annotations

import io
import json
import math
import random
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from avatardrive._shapes import LIVE_LINK_ROTATIONS, LIVE_LINK_SHAPES
from avatardrive.curves import read_curves
from avatardrive.errors import AvatarDriveError
from avatardrive.facs import CHANNELS, N_CHANNELS
from avatardrive.pipeline import load_input
from avatardrive.retarget import Rig, builtin_rigs, load_rig
from avatardrive.synth import ChunkedRender
from avatardrive.timeline import load_timeline
from avatardrive.transport import (
    Frame,
    VRChatEncoder,
    iter_messages,
    osc_encoder,
    parse_command,
    parse_packet,
    vmc_encoder,
)

__all__ = ["KINDS", "FindingError", "case_input", "run_case"]

#: Longest error line accepted (the CLI adds "avatardrive: error: ").
MAX_MESSAGE = 480
#: Frames rendered per case at most: longer timelines are sampled at their start and end.
MAX_FRAMES = 3000


class FindingError(AssertionError):
    """A case broke the property: another exception, a bad message, or a bad value."""


@dataclass(frozen=True)
class CaseInput:
    """What a case feeds in: the file's bytes and suffix."""

    kind: str
    seed: int
    data: bytes
    suffix: str


# --- vocabulary -------------------------------------------------------------------------------

EMOTIONS = ("happiness", "sadness", "anger", "fear", "surprise", "disgust", "contempt",
            "dong:anger", "nope", "")  # fmt: skip
AU_KEYS = ("AU1", "AU2", "AU4", "AU6", "AU12", "AU12_L", "L12", "R14", "U12", "AU25", "AU45",
           "AU51", "AU61", "15", "AU26_L", "AU99", "AU0", "x", "AU" + "1" * 30)  # fmt: skip
HOSTILE_NUMBERS: tuple[Any, ...] = (
    0, 0.0, -0.0, 1, -1, 0.5, 1e-300, 5e-324, 1e308, -1e308, 1e16, 2**53 + 1, 2**63, 10**30,
    10**400, 3600.0, 3600.0001, 0.001, 0.0009, 0.26, 0.5, 1000, 1001,
)  # fmt: skip
HOSTILE_VALUES: tuple[Any, ...] = (
    "A", "E", "F", "", "x" * 5000, True, False, [], [1, 2], {}, {"a": 1}, "nan", "1e308",
)  # fmt: skip
HOSTILE_TOKENS = (
    b"1e308", b"-1e308", b"nan", b"inf", b"9" * 400, b"9" * 5000, b"[" * 2000, b"{a=" * 2000,
    b"\x00", b"\xff\xfe", b'"', b"'", b"\n[[events]]\n", b"\n[[shapes]]\n", b"=", b"\\u0000",
    b"-0", b"0x10", b"1_000", b"\r\n", "\u00e9".encode(), b"\xed\xa0\x80",
)  # fmt: skip


class _Rng(random.Random):
    """A seeded generator that also knows how hostile this case is (share of bad values)."""

    def __init__(self, seed: str) -> None:
        super().__init__(seed)
        self.hostile = self.choice((0.0, 0.0, 0.01, 0.03, 0.1, 0.3))


def _number(rng: _Rng, lo: float, hi: float) -> Any:
    if rng.random() >= rng.hostile:
        return round(rng.uniform(lo, hi), rng.choice((1, 3, 6)))
    return rng.choice(HOSTILE_NUMBERS + HOSTILE_VALUES if rng.random() < 0.3 else HOSTILE_NUMBERS)


def _maybe(rng: _Rng, share: float) -> bool:
    return rng.random() < share


def _odd(rng: _Rng) -> bool:
    """Whether to put an odd (often invalid) choice here."""
    return rng.random() < rng.hostile


def _event(rng: _Rng, span: float) -> dict[str, Any]:
    event: dict[str, Any] = {"start": _number(rng, 0.0, span)}
    if _maybe(rng, 0.7):
        event["emotion"] = rng.choice(EMOTIONS if _odd(rng) else EMOTIONS[:8])
    if "emotion" not in event or (_odd(rng) and _maybe(rng, 0.3)):
        keys = AU_KEYS if _odd(rng) else AU_KEYS[:14]
        aus = {rng.choice(keys): _number(rng, 0.0, 1.0) for _ in range(rng.randint(1, 4))}
        event["aus"] = aus
    optional = (
        ("intensity", 0, 1, 0.4),
        ("onset", 0.01, 2, 0.3),
        ("apex", 0, 3, 0.3),
        ("offset", 0.01, 2, 0.3),
        ("asymmetry", -1, 1, 0.2),
        ("side_lag", -0.2, 0.2, 0.1),
    )
    for key, lo, hi, share in optional:
        if _maybe(rng, share):
            event[key] = _number(rng, lo, hi)
    if _maybe(rng, 0.25):
        event["micro"] = rng.choice((True, True, False, 1) if _odd(rng) else (True, False))
        if event["micro"] is True:
            for key in ("onset", "apex", "offset"):
                event.pop(key, None) if not _odd(rng) else None
    if _maybe(rng, 0.15):
        event["style"] = rng.choice(("spontaneous", "posed", "wild") if _odd(rng) else ("posed",))
    if _maybe(rng, 0.1):
        event["side"] = rng.choice(("left", "right", "up") if _odd(rng) else ("left", "right"))
    if _maybe(rng, 0.1):
        event["lags"] = {
            rng.choice(("AU6", "AU12") if not _odd(rng) else AU_KEYS): _number(rng, 0, 0.5)
        }
    if _maybe(rng, 0.1):
        event["priority"] = rng.choice((0, 1, -5, 10**30, 1.5) if _odd(rng) else (0, 1, 2))
    if _odd(rng) and _maybe(rng, 0.2):
        event[rng.choice(("labl", "strat", "emotions"))] = 1
    return event


def timeline_data(rng: _Rng) -> dict[str, Any]:
    """A timeline as plain data: mostly valid, hostile values mixed in."""
    span = rng.choice((0.5, 2.0, 5.0, 20.0, 60.0))
    data: dict[str, Any] = {
        "version": rng.choice((2, "1", 1.0)) if _odd(rng) and _maybe(rng, 0.1) else 1
    }
    if _maybe(rng, 0.5):
        data["fps"] = rng.choice((1, 1000, 0, 10**30, -1) if _odd(rng) else (24, 30, 60, 29.97))
    if _maybe(rng, 0.6):
        data["duration"] = _number(rng, 0.001, span) if _odd(rng) else _number(rng, span, 2 * span)
    if _maybe(rng, 0.7):
        data["seed"] = rng.choice(
            (0, 1, 2, 7, rng.randrange(2**63)) + ((-1, 2**63, 10**400) if _odd(rng) else ())
        )
    if _maybe(rng, 0.2):
        data["blend"] = rng.choice(("max", "sum", "priority") + (("min",) if _odd(rng) else ()))
    if _maybe(rng, 0.3):
        data["avatar"] = {"asymmetry": _number(rng, -1, 1)}
    if _maybe(rng, 0.5):
        data["blink"] = {"rate": rng.choice((0, 1, 17, 30, 120, _number(rng, 0, 60)))}
    data["events"] = [_event(rng, span) for _ in range(rng.choice((0, 1, 1, 2, 3, 5, 12)))]
    return data


def rig_data(rng: _Rng) -> dict[str, Any]:
    """A rig file as plain data: shapes with inputs, terms, curves, gains and clamps."""
    data: dict[str, Any] = {"version": 2 if _odd(rng) and _maybe(rng, 0.1) else 1}
    if _maybe(rng, 0.2):
        data["scale"] = rng.choice((1, 100) + ((50, 0) if _odd(rng) else ()))
    if _maybe(rng, 0.15):
        include = [
            rng.choice((*builtin_rigs(), "nope", "missing.toml") if _odd(rng) else builtin_rigs())
        ]
        data["include"] = include * (rng.choice((1, 2)) if _odd(rng) else 1)
    shapes = []
    for i in range(rng.choice((1, 2, 3, 5, 10, 40) + ((0,) if _odd(rng) else ()))):
        shape: dict[str, Any] = {"name": rng.choice(("", "a b", "s0")) if _odd(rng) else f"s{i}"}
        extra = ("AU12", "AU1") + (("AU99_L", "nope") if _odd(rng) else ())
        channels = [rng.choice(CHANNELS + extra) for _ in range(3)]
        shape["inputs"] = {c: _number(rng, -2, 2) for c in channels[: rng.randint(1, 3)]}
        if _maybe(rng, 0.2):
            factors = [rng.choice(CHANNELS) for _ in range(rng.randint(1, 5 if _odd(rng) else 3))]
            term: dict[str, Any] = {"of": factors, "weight": _number(rng, -1, 1)}
            if _maybe(rng, 0.3):
                term["op"] = rng.choice(("product", "min") + (("max",) if _odd(rng) else ()))
            shape["terms"] = [term]
        if _maybe(rng, 0.3):
            shape["curve"] = rng.choice(
                ("linear", "power", "smoothstep") + (("cubic",) if _odd(rng) else ())
            )
            if shape["curve"] == "power" or _odd(rng):
                shape["exponent"] = _number(rng, 0.1, 5)
        for key, lo, hi, share in (("gain", -3, 3, 0.3), ("offset", -1, 1, 0.3)):
            if _maybe(rng, share):
                shape[key] = _number(rng, lo, hi)
        if _maybe(rng, 0.2):
            shape["clamp"] = [_number(rng, 0, 0.5), _number(rng, 0.5, 1)]
        shapes.append(shape)
    data["shapes"] = shapes
    return data


# --- text ---------------------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if value.bit_length() < 14_000 else "9" * 5000
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ("nan" if value != value else "inf")
    if isinstance(value, str):
        return json.dumps(value).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(str(k))} = {_toml_value(v)}"
                                for k, v in value.items()) + " }"  # fmt: skip
    raise TypeError(value)


def to_toml(data: dict[str, Any]) -> str:
    """TOML text of ``data``: scalars, then tables, then arrays of tables (events, shapes)."""
    lines = [f"{k} = {_toml_value(v)}" for k, v in data.items()
             if not isinstance(v, dict) and not (isinstance(v, list) and v and
                                                  all(isinstance(e, dict) for e in v))]  # fmt: skip
    for key, value in data.items():
        if isinstance(value, dict):
            lines += ["", f"[{key}]"] + [f"{k} = {_toml_value(v)}" for k, v in value.items()]
    for key, value in data.items():
        if isinstance(value, list) and value and all(isinstance(e, dict) for e in value):
            for entry in value:
                lines += ["", f"[[{key}]]"]
                lines += [f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in entry.items()]
    return "\n".join(lines) + "\n"


def _mutate(rng: _Rng, data: bytes) -> bytes:
    """A few byte-level edits: cut, repeat, splice a hostile token, flip a byte."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not out:
            out += rng.choice(HOSTILE_TOKENS)
            continue
        at = rng.randrange(len(out))
        choice = rng.random()
        if choice < 0.3:
            out[at:at] = rng.choice(HOSTILE_TOKENS)
        elif choice < 0.5:
            del out[at : at + rng.randint(1, 40)]
        elif choice < 0.7:
            out[at:at] = out[at : at + rng.randint(1, 80)] * rng.randint(1, 30)
        elif choice < 0.85:
            out[at] = rng.randrange(256)
        else:
            digits = str(rng.choice((0, 1e308, 10**40, -3, 0.5))).encode()
            out[at:at] = digits
    return bytes(out)


def _json_text(data: dict[str, Any]) -> str:
    def default(value: Any) -> Any:
        raise TypeError(value)

    return json.dumps(data, default=default)  # NaN/Infinity appear as tokens JSON refuses


def case_input(kind: str, seed: int) -> CaseInput:
    """The input of case ``seed`` of ``kind`` (deterministic)."""
    rng = _Rng(f"{kind}:{seed}")
    if kind == "timeline":
        data = timeline_data(rng)
        suffix = ".json" if _maybe(rng, 0.25) else ".toml"
        text = (_json_text(data) if suffix == ".json" else to_toml(data)).encode()
        if _maybe(rng, 0.25):
            text = _mutate(rng, text)
        return CaseInput(kind, seed, text, suffix)
    if kind == "rig":
        text = to_toml(rig_data(rng)).encode()
        if _maybe(rng, 0.25):
            text = _mutate(rng, text)
        return CaseInput(kind, seed, text, ".toml")
    if kind == "curves":
        return _curve_input(rng, seed)
    if kind == "datagram":
        return CaseInput(kind, seed, _datagram(rng), ".osc")
    if kind == "take":
        data = (_openface_text(rng) if _maybe(rng, 0.5) else _livelink_text(rng)).encode()
        if _maybe(rng, 0.3):
            data = _mutate(rng, data)
        return CaseInput(kind, seed, data, ".csv")
    raise ValueError(f"unknown kind {kind!r}")


def _curve_input(rng: _Rng, seed: int) -> CaseInput:
    frames = rng.choice((2, 5, 50) + ((0, 1) if _odd(rng) else ()))
    names = [rng.choice(CHANNELS) for _ in range(rng.choice((1, 3, N_CHANNELS)))]
    if _maybe(rng, 0.9):
        names = list(dict.fromkeys(names))
    fps = rng.choice((30.0, 60.0, 29.97) + ((0.0, -1.0, 1e308) if _odd(rng) else ()))
    values = np.array([[_number(rng, 0, 1) if _maybe(rng, 0.05) else rng.random()
                        for _ in names] for _ in range(frames)], dtype=object)  # fmt: skip
    suffix = rng.choice((".csv", ".csv", ".json", ".npz"))
    times = [i / fps if fps > 0 else i for i in range(frames)]
    if suffix == ".csv":
        rows = [",".join(["time", *names])]
        rows += [
            ",".join(str(v) for v in [t, *row])
            for t, row in zip(times, values.tolist(), strict=True)
        ]
        data = ("\n".join(rows) + "\n").encode()
        if _maybe(rng, 0.1):
            data = data.decode().encode(rng.choice(("utf-16", "latin-1", "utf-8-sig")), "replace")
    elif suffix == ".json":
        document = {"version": 1, "fps": fps, "start": 0.0, "names": names, "time": times,
                    "values": values.tolist()}  # fmt: skip
        data = _json_text(document).encode()
    else:
        buffer = io.BytesIO()
        numeric = [[v if isinstance(v, (int, float)) and abs(v) < 1e300 else np.nan for v in row]
                   for row in values.tolist()]  # fmt: skip
        arrays = {"values": np.array(numeric, dtype=np.float64).reshape(frames, len(names)),
                  "names": np.array(names), "fps": np.array(fps), "start": np.array(0.0),
                  "version": np.array(2 if _odd(rng) else 1)}  # fmt: skip
        with zipfile.ZipFile(buffer, "w") as archive:
            for key, array in arrays.items():
                with archive.open(f"{key}.npy", "w") as member:
                    np.lib.format.write_array(member, array, allow_pickle=False)
        data = buffer.getvalue()
    if _maybe(rng, 0.3):
        data = _mutate(rng, data)
    return CaseInput("curves", seed, data, suffix)


def _take_times(rng: _Rng) -> list[float]:
    """Row times: none, one, regular, with gaps, repeated, or far from zero (all valid)."""
    rows = rng.choice((0, 1, 2, 30) + ((200,) if _odd(rng) else ()))
    step = rng.choice((1 / 60, 1 / 25, 1 / 15, 0.0, 2.5))
    times, t = [], rng.choice((0.0, 0.0, 86000.0))
    for _ in range(rows):
        times.append(t)
        t += step * (rng.choice((1, 1, 1, 7)) if step else 1)
    return times


def _openface_text(rng: _Rng) -> str:
    """An OpenFace FeatureExtraction CSV (", " padding), some rows failed."""
    units = [1, 2, 4, 6, 12, 15, 20, 25, 26, 45][: rng.choice((0, 1, 10))]
    header = ["frame", "face_id", "timestamp", "confidence", "success", "pose_Rx", "pose_Ry",
              "pose_Rz", "gaze_angle_x", "gaze_angle_y",
              *(f"AU{u:02d}_r" for u in units)]  # fmt: skip
    lines = [", ".join(header)]
    for i, t in enumerate(_take_times(rng)):
        failed = _maybe(rng, 0.2)
        pose = [_number(rng, -3.2, 3.2) if _maybe(rng, 0.05) else rng.uniform(-0.5, 0.5)
                for _ in range(5)]  # fmt: skip
        cells = [i + 1, rng.choice((0, 0, 1)), t, 0.02 if failed else 0.98, 0 if failed else 1,
                 *pose, *(_number(rng, 0, 5) if _maybe(rng, 0.05) else rng.uniform(0, 5)
                          for _ in units)]  # fmt: skip
        lines.append(", ".join(str(c) for c in cells))
    return "\n".join(lines) + "\n"


def _livelink_text(rng: _Rng) -> str:
    """A Live Link Face CSV: Timecode, a count column, the 52 shapes, maybe head and eyes."""
    rotations = LIVE_LINK_ROTATIONS if _maybe(rng, 0.7) else ()
    count = rng.choice(("BlendShapeCount", "BlendshapeCount"))
    lines = [",".join(["Timecode", count, *LIVE_LINK_SHAPES, *rotations])]
    for t in _take_times(rng):
        frames = int(t * 60)
        seconds = frames // 60
        code = (f"{seconds // 3600 % 24:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}:"
                f"{frames % 60:02d}.{rng.randrange(1000):03d}")  # fmt: skip
        shapes = [_number(rng, 0, 1) if _maybe(rng, 0.02) else rng.random()
                  for _ in LIVE_LINK_SHAPES]  # fmt: skip
        turns = [rng.uniform(-1.5, 1.5) for _ in rotations]
        lines.append(",".join([code, "61", *(str(v) for v in (*shapes, *turns))]))
    return "\n".join(lines) + "\n"


def _osc_string(text: bytes) -> bytes:
    return text + b"\x00" * (4 - len(text) % 4)


def _datagram(rng: _Rng) -> bytes:
    if _maybe(rng, 0.3):
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 64)))
    verb = rng.choice((b"emotion", b"micro", b"au", b"neutral", b"calibrate", b"x"))
    address = b"/avatardrive/" + verb
    tags, args = b",", b""
    for _ in range(rng.randint(0, 4)):
        tag = rng.choice(b"sfidTFNIbh")
        tags += bytes([tag])
        if tag == ord("s"):
            args += _osc_string(rng.choice((b"happiness", b"AU12", b"x" * 300, b"", b"nope")))
        elif tag == ord("f"):
            args += np.array(rng.choice((0.5, 1.0, -1.0, float("nan"), float("inf"), 1e38)),
                             dtype=">f4").tobytes()  # fmt: skip
        elif tag in b"ih":
            args += rng.randrange(2**32).to_bytes(4 if tag == ord("i") else 8, "big")
        elif tag == ord("d"):
            args += np.array(rng.choice((0.5, float("nan"))), dtype=">f8").tobytes()
        elif tag == ord("b"):
            size = rng.choice((0, 4, 2**31 - 1))
            args += size.to_bytes(4, "big") + b"\x00" * min(size, 8)
    message = _osc_string(address) + _osc_string(tags) + args
    if _maybe(rng, 0.3):
        message = b"#bundle\x00" + b"\x00" * 8 + len(message).to_bytes(4, "big") + message
    return _mutate(rng, message) if _maybe(rng, 0.3) else message


# --- running a case --------------------------------------------------------------------------


def check_error(error: AvatarDriveError) -> None:
    """A clean error: one short line that says what was expected (or why it cannot be)."""
    text = str(error)
    if "\n" in text or len(text) > MAX_MESSAGE:
        raise FindingError(f"error message of {len(text)} characters: {text[:200]!r}")


def check_values(what: str, values: np.ndarray, lo: float, hi: float) -> None:
    if not np.isfinite(values).all():
        raise FindingError(f"{what}: {int((~np.isfinite(values)).sum())} values are not finite")
    if values.size and (values.min() < lo or values.max() > hi):
        raise FindingError(
            f"{what}: values in [{values.min()}, {values.max()}]; expected [{lo}, {hi}]"
        )


@cache
def _rigs() -> tuple[Rig, ...]:
    return tuple(load_rig(name) for name in builtin_rigs())


@cache
def _encoders(rig_name: str) -> tuple[Callable[[Frame], Any], ...]:
    rig = load_rig(rig_name)
    names = rig.shape_names
    vrchat = VRChatEncoder(names, prefix="/avatar/parameters/")
    return (vmc_encoder(names).encode, osc_encoder(names).encode, vrchat.encode)


def _sampled_render(render: ChunkedRender) -> np.ndarray:
    if render.n_frames <= MAX_FRAMES:
        return render.render(0, render.n_frames)
    half = MAX_FRAMES // 2
    return np.concatenate(
        [render.render(0, half), render.render(render.n_frames - half, render.n_frames)]
    )


def _timeline_case(path: Path) -> None:
    timeline = load_timeline(path)
    values = _sampled_render(ChunkedRender(timeline, chunk_frames=MAX_FRAMES))
    check_values("render", values, 0.0, 1.0)
    rows = values[:: max(1, values.shape[0] // 40)]
    for rig in _rigs():
        weights = np.stack([rig.forward_frame(row) for row in rows])
        check_values(f"rig {rig.name}", weights, 0.0, rig.scale)
        if rig.name in ("arkit52", "vrm1"):
            for encode in _encoders(rig.name):
                for i, row in enumerate(weights[:4]):
                    for datagram in encode(Frame(i, i / 30, rig.shape_names, row)):
                        _check_datagram(bytes(datagram), rig.scale)


def _check_datagram(data: bytes, scale: float) -> None:
    for message in iter_messages(parse_packet(data)):
        numbers = [a for a in message.args if isinstance(a, float)]
        check_values(f"datagram {message.address}", np.array(numbers), 0.0, max(1.0, scale))


def _rig_case(path: Path) -> None:
    rig = load_rig(path)
    rng = np.random.default_rng(len(rig.shape_names))
    frames = np.vstack([np.zeros(N_CHANNELS), np.ones(N_CHANNELS), rng.random((6, N_CHANNELS))])
    for au in frames.astype(np.float32):
        check_values("forward", rig.forward_frame(au), 0.0, rig.scale)
    weights = np.vstack([np.zeros(rig.n_shapes), np.full(rig.n_shapes, rig.scale),
                         rng.random((4, rig.n_shapes)) * rig.scale,
                         rng.normal(0, 10 * rig.scale, (2, rig.n_shapes)),
                         np.full(rig.n_shapes, np.nan)])  # fmt: skip
    for row in weights.astype(np.float32):
        check_values("inverse", rig.inverse_frame(row), 0.0, 1.0)
    rig.inexpressible()


def _curves_case(path: Path) -> None:
    curves = read_curves(path)
    check_values("curves", curves.values, -np.inf, np.inf)


def _take_case(path: Path) -> None:
    curves = load_input(path).curves
    check_values("take", curves.values, 0.0, 1.0)
    rows = curves.values[:: max(1, curves.n_frames // 20)]
    for rig in _rigs():
        weights = np.stack([rig.forward_frame(row) for row in rows])
        check_values(f"rig {rig.name}", weights, 0.0, rig.scale)
        if rig.name == "arkit52":
            for encode in _encoders(rig.name):
                for i, row in enumerate(weights[:4]):
                    for datagram in encode(Frame(i, i / 30, rig.shape_names, row)):
                        _check_datagram(bytes(datagram), rig.scale)


def _datagram_case(data: bytes) -> None:
    for message in iter_messages(parse_packet(data)):
        parse_command(message)


def run_case(case: CaseInput, folder: Path | None = None) -> str:
    """Run one case; return ``"ok"`` or ``"error"`` (a clean error); raise :class:`FindingError`."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning printed beside the one line breaks it too
        return _run(case, folder)


def _run(case: CaseInput, folder: Path | None) -> str:
    try:
        if case.kind == "datagram":
            _datagram_case(case.data)
            return "ok"
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            path = Path(tmp) / f"case{case.suffix}"
            path.write_bytes(case.data)
            cases = {"timeline": _timeline_case, "rig": _rig_case, "curves": _curves_case,
                     "take": _take_case}  # fmt: skip
            cases[case.kind](path)
        return "ok"
    except AvatarDriveError as error:
        check_error(error)
        return "error"
    except FindingError:
        raise
    except Exception as error:  # anything else breaks the property
        raise FindingError(f"{type(error).__name__}: {str(error)[:300]}") from error


KINDS = ("timeline", "rig", "curves", "take", "datagram")
