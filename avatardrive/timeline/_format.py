"""Timeline files: TOML (version 1, see DESIGN.md) and JSON with the same keys.

Reading validates everything and raises one :class:`TimelineError` naming the file, the line
(TOML; JSON only for syntax errors), the event index and key, the value and what was expected.
Writing is atomic (temporary file, then rename).
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from avatardrive._files import atomic_output, parse_json, parse_toml, read_text
from avatardrive.errors import TimelineError, excerpt
from avatardrive.timeline._model import Event, Timeline

__all__ = [
    "FORMAT_VERSION",
    "dumps_timeline",
    "load_timeline",
    "loads_timeline",
    "save_timeline",
    "timeline_from_dict",
    "timeline_to_dict",
]

FORMAT_VERSION = 1
#: Files larger than this are refused before parsing (a 100,000-event timeline is about 10 MB).
MAX_FILE_BYTES = 64 * 1024 * 1024
#: Most events in one timeline file: 10,000 events render in a few seconds (100,000 would take
#: half a minute); longer performances are split into several files.
MAX_EVENTS = 10_000

_TOP_KEYS = (
    "version",
    "fps",
    "duration",
    "seed",
    "blend",
    "prototypes",
    "avatar",
    "blink",
    "events",
)
_AVATAR_KEYS = ("asymmetry",)
_BLINK_KEYS = ("rate",)
_EVENT_KEYS = (
    "emotion", "aus", "start", "intensity", "onset", "apex", "offset", "style", "micro",
    "asymmetry", "side_lag", "side", "lags", "priority", "sample", "label",
)  # fmt: skip


def _unknown_key(key: str, allowed: tuple[str, ...], where: str) -> TimelineError:
    close = difflib.get_close_matches(key, allowed, n=1) if len(key) < 100 else []
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return TimelineError(
        f"unknown key {excerpt(key)}{hint}; expected one of {', '.join(allowed)}",
        where=where or key,
    )


def _check_keys(table: Mapping[str, Any], allowed: tuple[str, ...], section: str) -> None:
    for key in table:
        if key not in allowed:
            raise _unknown_key(key, allowed, f"{section}.{key}" if section else key)


def _table(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise TimelineError(f"{excerpt(value)}; expected a table [{key}]", where=key)
    return value


def _event_from_dict(raw: object, index: int) -> Event:
    where = f"events[{index}]"
    if not isinstance(raw, Mapping):
        raise TimelineError(f"{excerpt(raw)}; expected a table of event keys", where=where)
    _check_keys(raw, _EVENT_KEYS, where)
    if "start" not in raw:
        raise TimelineError(
            "missing key 'start'; expected the event's start in seconds", where=f"{where}.start"
        )
    try:
        options: dict[str, Any] = dict(raw)
        return Event(**options)
    except TimelineError as err:
        raise err.located(where=where) from None


def timeline_from_dict(
    data: Mapping[str, Any],
    *,
    source: str | None = None,
    lines: dict[tuple[str, str], int] | None = None,
) -> Timeline:
    """Build and validate a :class:`Timeline` from parsed TOML or JSON.

    Raises
    ------
    TimelineError
        Naming ``source``, the line (when ``lines`` knows it), the key and the value.
    """
    located = lines or {}

    def locate(err: TimelineError) -> TimelineError:
        where = err.where or ""
        match = re.match(r"(events\[\d+\])?\.?([A-Za-z_]*)", where)
        section, key = (match.group(1) or "", match.group(2)) if match else ("", "")
        if not section and key in ("avatar", "blink"):
            section, key = key, where.split(".")[1] if "." in where else ""
        line = located.get((section, key)) or located.get((section, ""))
        return type(err)(
            err.message, source=source, where=f"line {line}: {where}" if line else where
        )

    try:
        if not data:
            raise TimelineError("the file is empty; expected 'version = 1' and [[events]] tables")
        _check_keys(data, _TOP_KEYS, "")
        if "version" not in data:
            raise TimelineError("missing key 'version'; expected version = 1", where="version")
        if data["version"] != FORMAT_VERSION or isinstance(data["version"], bool):
            raise TimelineError(
                f"{excerpt(data['version'])} is not a supported version; expected {FORMAT_VERSION}",
                where="version",
            )
        avatar, blink = _table(data, "avatar"), _table(data, "blink")
        _check_keys(avatar, _AVATAR_KEYS, "avatar")
        _check_keys(blink, _BLINK_KEYS, "blink")
        raw_events = data.get("events", [])
        if not isinstance(raw_events, list):
            raise TimelineError(
                f"{excerpt(raw_events)}; expected an array of [[events]]", where="events"
            )
        if len(raw_events) > MAX_EVENTS:
            raise TimelineError(
                f"{len(raw_events)} events; expected at most {MAX_EVENTS} in one timeline file "
                f"(split it into several)",
                where="events",
            )
        events = [_event_from_dict(raw, i) for i, raw in enumerate(raw_events)]
        settings = {
            "fps": data.get("fps", 60.0),
            "duration": data.get("duration"),
            "seed": data.get("seed", 0),
            "asymmetry": avatar.get("asymmetry", 0.0),
            "blink_rate": blink.get("rate", 17.0),
            "blend": data.get("blend", "max"),
            "prototypes": data.get("prototypes", "canonical"),
        }
        return Timeline(events=events, source=source, lines=dict(located), **settings)
    except TimelineError as err:
        raise locate(err) from None


_HEADER = re.compile(r"^\s*\[\[\s*events\s*\]\]\s*(#.*)?$")
_HEADERS = re.compile(r"^[ \t]*\[\[[ \t]*events[ \t]*\]\]", re.MULTILINE)
_TABLE = re.compile(r"^\s*\[\s*([A-Za-z_]+)\s*\]\s*(#.*)?$")
_ANY_TABLE = re.compile(r"^\s*\[")
_KEY = re.compile(r"^\s*\"?([A-Za-z_][A-Za-z0-9_]*)\"?\s*=")


def _toml_lines(text: str) -> dict[tuple[str, str], int]:
    """Where each key sits: ``("events[2]", "intensity") -> 14``; ``(section, "")`` the header."""
    found: dict[tuple[str, str], int] = {}
    section, events = "", -1
    for number, line in enumerate(text.splitlines(), start=1):
        if _HEADER.match(line):
            events += 1
            section = f"events[{events}]"
            found[(section, "")] = number
        elif (table := _TABLE.match(line)) is not None:
            section = table.group(1)
            found[(section, "")] = number
        elif _ANY_TABLE.match(line):
            section = "?"
        elif (key := _KEY.match(line)) is not None:
            found.setdefault((section, key.group(1)), number)
    return found


def loads_timeline(text: str, *, fmt: str = "toml", source: str | None = None) -> Timeline:
    """Parse timeline text in ``fmt`` ``"toml"`` or ``"json"``.

    Raises
    ------
    TimelineError
        Syntax errors (with the parser's line), then any validation error.
    """
    if fmt == "json":
        data = parse_json(text, error=TimelineError, source=source) if text.strip() else {}
        if not isinstance(data, dict):
            raise TimelineError(
                f"top level is {type(data).__name__}; expected an object", source=source
            )
        return timeline_from_dict(data, source=source)
    if fmt != "toml":
        raise TimelineError(
            f"format {excerpt(fmt)} is unknown; expected toml or json", source=source
        )
    headers = len(_HEADERS.findall(text))
    if headers > MAX_EVENTS:  # counted before parsing: refusing a huge file takes no time
        raise TimelineError(
            f"{headers} events; expected at most {MAX_EVENTS} in one timeline file "
            f"(split it into several)",
            source=source,
            where="events",
        )
    data = parse_toml(text, error=TimelineError, source=source)
    return timeline_from_dict(data, source=source, lines=_toml_lines(text))


def load_timeline(path: str | os.PathLike[str]) -> Timeline:
    """Read a timeline file (``.toml`` or ``.json``; other suffixes are read as TOML).

    Raises
    ------
    TimelineError
        The file is missing, unreadable, too large, malformed or invalid.
    """
    source = os.fspath(path)
    file = Path(path)
    text = read_text(
        path, error=TimelineError, expected="a timeline file (.toml or .json)",
        max_bytes=MAX_FILE_BYTES,
    )  # fmt: skip
    fmt = "json" if file.suffix.lower() == ".json" else "toml"
    return loads_timeline(text, fmt=fmt, source=source)


def _event_to_dict(event: Event) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in _EVENT_KEYS:
        value = getattr(event, key)
        defaults = {"style": "spontaneous", "micro": False, "asymmetry": 0.0, "priority": 0}
        if (
            value is None
            or (key in defaults and value == defaults[key])
            or (key == "lags" and not value)
        ):
            continue
        out[key] = dict(value) if isinstance(value, Mapping) else value
    return out


def timeline_to_dict(timeline: Timeline) -> dict[str, Any]:
    """The timeline as plain data with the file format's keys (defaults left out)."""
    data: dict[str, Any] = {"version": FORMAT_VERSION, "fps": timeline.fps}
    if timeline.duration is not None:
        data["duration"] = timeline.duration
    data["seed"] = timeline.seed
    if timeline.blend != "max":
        data["blend"] = timeline.blend
    if timeline.prototypes != "canonical":
        data["prototypes"] = timeline.prototypes
    data["avatar"] = {"asymmetry": timeline.asymmetry}
    data["blink"] = {"rate": timeline.blink_rate}
    data["events"] = [_event_to_dict(e) for e in timeline.events]
    return data


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TimelineError(f"{excerpt(value)} cannot be written; expected a finite number")
        return repr(value)
    if isinstance(value, str):  # JSON escapes are TOML escapes, but TOML also refuses DEL
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, Mapping):
        inner = ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    raise TimelineError(f"{excerpt(value)} cannot be written to TOML")


def dumps_timeline(timeline: Timeline, *, fmt: str = "toml") -> str:
    """The timeline as file text in ``fmt`` ``"toml"`` or ``"json"``."""
    data = timeline_to_dict(timeline)
    if fmt == "json":
        return json.dumps(data, indent=2, allow_nan=False) + "\n"
    lines = [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, (dict, list))]
    for table in ("avatar", "blink"):
        lines += ["", f"[{table}]"] + [f"{k} = {_toml_value(v)}" for k, v in data[table].items()]
    for event in data["events"]:
        lines += ["", "[[events]]"] + [f"{k} = {_toml_value(v)}" for k, v in event.items()]
    return "\n".join(lines) + "\n"


def save_timeline(timeline: Timeline, path: str | os.PathLike[str]) -> None:
    """Write ``timeline`` to ``path`` as TOML, or JSON for a ``.json`` suffix, atomically."""
    fmt = "json" if Path(path).suffix.lower() == ".json" else "toml"
    text = dumps_timeline(timeline, fmt=fmt)
    with atomic_output(path) as f:
        f.write(text)
