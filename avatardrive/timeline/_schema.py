"""The timeline file format's vocabulary and its text: keys, version, and plain data written as
TOML (by tomli-w) or JSON, atomically.

Below the model: :class:`~avatardrive.timeline.Timeline` saves itself through here, and the
reader (``_format``) checks keys against the same tuples.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomli_w

from avatardrive._files import atomic_output
from avatardrive.errors import TimelineError

__all__ = [
    "AVATAR_KEYS",
    "BLINK_KEYS",
    "EVENT_KEYS",
    "FORMAT_VERSION",
    "MAX_EVENTS",
    "MAX_FILE_BYTES",
    "MOOD_KEYS",
    "TOP_KEYS",
    "dumps_data",
    "save_data",
]

FORMAT_VERSION = 1
#: Files larger than this are refused before parsing (a 100,000-event timeline is about 10 MB).
MAX_FILE_BYTES = 64 * 1024 * 1024
#: Most events in one timeline file: 10,000 events render in a few seconds (100,000 would take
#: half a minute); longer performances are split into several files.
MAX_EVENTS = 10_000

TOP_KEYS = (
    "version",
    "fps",
    "duration",
    "seed",
    "blend",
    "prototypes",
    "avatar",
    "blink",
    "events",
    "mood",
)
AVATAR_KEYS = ("asymmetry",)
BLINK_KEYS = ("rate",)
EVENT_KEYS = (
    "emotion", "aus", "start", "intensity", "onset", "apex", "offset", "style", "micro",
    "asymmetry", "side_lag", "side", "lags", "priority", "sample", "label", "from", "after",
    "hold",
)  # fmt: skip
MOOD_KEYS = ("at", "valence", "arousal")



def _check_finite(value: Any, where: str) -> None:
    """tomli-w writes ``inf`` and ``nan`` (valid TOML); a timeline must not hold them."""
    if isinstance(value, float) and not math.isfinite(value):
        raise TimelineError(f"{value!r} cannot be written; expected a finite number", where=where)
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _check_finite(inner, f"{where}.{key}")
    if isinstance(value, list | tuple):
        for index, inner in enumerate(value):
            _check_finite(inner, f"{where}[{index}]")


def _toml_array_table(name: str, table: Mapping[str, Any]) -> str:
    """``[[name]]`` then ``table`` written by tomli-w; its tables as ``[name.KEY]`` sub-tables."""
    nested = {k: v for k, v in table.items() if isinstance(v, Mapping)}
    plain = {k: v for k, v in table.items() if k not in nested}
    parts = [f"[[{name}]]\n" + tomli_w.dumps(plain)]
    parts += [tomli_w.dumps({name: {key: value}}) for key, value in nested.items()]
    return "\n".join(parts)


def dumps_data(data: Mapping[str, Any], *, fmt: str = "toml") -> str:
    """A timeline's plain data as file text: ``fmt`` ``"toml"`` (tomli-w) or ``"json"``.

    tomli-w formats every key and value; events and mood keys are joined here as ``[[events]]``
    and ``[[mood]]`` tables, because tomli-w alone turns a list of short events into one inline
    array, which the loader cannot give line numbers for. An event's ``aus`` and ``lags`` are
    ``[events.aus]`` sub-tables.
    """
    if fmt == "json":
        return json.dumps(data, indent=2, allow_nan=False) + "\n"
    for key, value in data.items():
        _check_finite(value, key)
    rest = dict(data)
    arrays = {name: rest.pop(name) for name in ("events", "mood") if name in rest}
    sections = [tomli_w.dumps(rest)]
    for name, tables in arrays.items():
        sections += [_toml_array_table(name, table) for table in tables]
    return "\n".join(sections)


def save_data(data: Mapping[str, Any], path: str | os.PathLike[str]) -> None:
    """Write a timeline's plain data to ``path`` (TOML for ``.toml``, JSON for ``.json``),
    atomically.

    Raises
    ------
    TimelineError
        Any other suffix (``.yaml`` is not written as TOML under another name), or a value that
        is not finite.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in (".toml", ".json"):
        raise TimelineError(
            f"suffix {suffix or '(none)'!r} is not a timeline format; expected .toml or .json",
            source=os.fspath(path),
        )
    text = dumps_data(data, fmt=suffix[1:])
    with atomic_output(path) as f:
        f.write(text)
