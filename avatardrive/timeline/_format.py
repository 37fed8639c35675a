"""Timeline files: TOML (version 1, see DESIGN.md) and JSON with the same keys.

Reading validates everything and raises one :class:`TimelineError` naming the file, the line
(TOML; JSON only for syntax errors), the event index and key, the value and what was expected.
Writing is atomic (temporary file, then rename).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from avatardrive._files import parse_json, parse_toml, read_text
from avatardrive.errors import TimelineError, excerpt
from avatardrive.timeline._model import Event, MoodKey, Timeline
from avatardrive.timeline._schema import (
    AVATAR_KEYS,
    BLINK_KEYS,
    EVENT_KEYS,
    FORMAT_VERSION,
    MAX_EVENTS,
    MAX_FILE_BYTES,
    MOOD_KEYS,
    TOP_KEYS,
    dumps_data,
    save_data,
)

__all__ = [
    "FORMAT_VERSION",
    "dumps_timeline",
    "load_timeline",
    "loads_timeline",
    "save_timeline",
    "timeline_from_dict",
    "timeline_to_dict",
]


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
    _check_keys(raw, EVENT_KEYS, where)
    if "start" not in raw:
        raise TimelineError(
            "missing key 'start'; expected the event's start in seconds", where=f"{where}.start"
        )
    if "from" in raw and "after" in raw:
        raise TimelineError(
            "both 'from' and 'after'; expected one of them (they mean the same)",
            where=f"{where}.after",
        )
    try:
        options: dict[str, Any] = dict(raw)
        if "from" in options:
            options["after"] = options.pop("from")
        return Event(**options)
    except TimelineError as err:
        raise err.located(where=where) from None


def _mood_from_dict(raw: object, index: int) -> MoodKey:
    where = f"mood[{index}]"
    if not isinstance(raw, Mapping):
        raise TimelineError(f"{raw!r}; expected a table {{ at, valence, arousal }}", where=where)
    _check_keys(raw, MOOD_KEYS, where)
    for key in MOOD_KEYS:
        if key not in raw:
            raise TimelineError(
                f"missing key '{key}'; expected at, valence and arousal", where=f"{where}.{key}"
            )
    try:
        return MoodKey(**dict(raw))
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
        match = re.match(r"((?:events|mood)\[\d+\])?\.?([A-Za-z_]*)", where)
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
        _check_keys(data, TOP_KEYS, "")
        if "version" not in data:
            raise TimelineError("missing key 'version'; expected version = 1", where="version")
        if data["version"] != FORMAT_VERSION or isinstance(data["version"], bool):
            raise TimelineError(
                f"{excerpt(data['version'])} is not a supported version; expected {FORMAT_VERSION}",
                where="version",
            )
        avatar, blink = _table(data, "avatar"), _table(data, "blink")
        _check_keys(avatar, AVATAR_KEYS, "avatar")
        _check_keys(blink, BLINK_KEYS, "blink")
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
        raw_mood = data.get("mood", [])
        if not isinstance(raw_mood, list):
            raise TimelineError(f"{raw_mood!r}; expected an array of [[mood]]", where="mood")
        mood = [_mood_from_dict(raw, i) for i, raw in enumerate(raw_mood)]
        settings = {
            "fps": data.get("fps", 60.0),
            "duration": data.get("duration"),
            "seed": data.get("seed", 0),
            "asymmetry": avatar.get("asymmetry", 0.0),
            "blink_rate": blink.get("rate", 17.0),
            "blend": data.get("blend", "max"),
            "prototypes": data.get("prototypes", "canonical"),
        }
        return Timeline(events=events, mood=mood, source=source, lines=dict(located), **settings)
    except TimelineError as err:
        raise locate(err) from None


_HEADER = re.compile(r"^\s*\[\[\s*(events|mood)\s*\]\]\s*(#.*)?$")
_HEADERS = re.compile(r"^[ \t]*\[\[[ \t]*events[ \t]*\]\]", re.MULTILINE)
_TABLE = re.compile(r"^\s*\[\s*([A-Za-z_]+)\s*\]\s*(#.*)?$")
_ANY_TABLE = re.compile(r"^\s*\[")
_KEY = re.compile(r"^\s*\"?([A-Za-z_][A-Za-z0-9_]*)\"?\s*=")


def _toml_lines(text: str) -> dict[tuple[str, str], int]:
    """Where each key sits: ``("events[2]", "intensity") -> 14``; ``(section, "")`` the header."""
    found: dict[tuple[str, str], int] = {}
    section, counts = "", {"events": -1, "mood": -1}
    for number, line in enumerate(text.splitlines(), start=1):
        if (header := _HEADER.match(line)) is not None:
            array = header.group(1)
            counts[array] += 1
            section = f"{array}[{counts[array]}]"
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


def timeline_to_dict(timeline: Timeline) -> dict[str, Any]:
    """The timeline as plain data with the file format's keys (defaults left out)."""
    return timeline.to_dict()


def dumps_timeline(timeline: Timeline, *, fmt: str = "toml") -> str:
    """The timeline as file text in ``fmt`` ``"toml"`` (written by tomli-w) or ``"json"``."""
    return dumps_data(timeline.to_dict(), fmt=fmt)


def save_timeline(timeline: Timeline, path: str | os.PathLike[str]) -> None:
    """Write ``timeline`` to ``path``: TOML for ``.toml``, JSON for ``.json``, atomically.

    Raises
    ------
    TimelineError
        Any other suffix (``.yaml`` is not written as TOML under another name).
    """
    save_data(timeline.to_dict(), path)
