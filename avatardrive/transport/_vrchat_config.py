"""What a VRChat avatar listens to: its OSC config JSON, or its OSCQuery ``/avatar`` tree.

Config JSON (docs.vrchat.com, "OSC avatar parameters"; PROTOCOLS.md): keys ``id``, ``name``,
``parameters[]`` with ``name``, ``input {address, type}``, ``output {address, type}``; types
``Int``, ``Float``, ``Bool``; read-only built-ins have only ``output``. VRChat writes it with a
UTF-8 BOM and may add a ``hash`` key; files without the BOM are read too. Files live in
``<OSC folder>/<usr_id>/Avatars/<avtr_id>.json``.

OSCQuery: ``GET <endpoint>/avatar`` answers a JSON node tree (``FULL_PATH``, ``TYPE`` ``f`` /
``i`` / ``T`` / ``F``, ``ACCESS`` 0-3, ``VALUE``, ``CONTENTS``); ``/avatar/change`` holds the
current avatar id and ``/avatar/parameters/...`` the parameters.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from avatardrive.errors import TransportError

__all__ = [
    "AVATAR_PARAMETERS",
    "AvatarConfig",
    "AvatarParameter",
    "ParameterType",
    "default_osc_dirs",
    "find_avatar_config",
    "load_avatar_config",
    "parse_avatar_config",
    "parse_oscquery_avatar",
]

ParameterType = Literal["Float", "Int", "Bool"]
AVATAR_PARAMETERS = "/avatar/parameters/"
MAX_CONFIG_BYTES = 8 << 20
_TYPES: tuple[ParameterType, ...] = ("Float", "Int", "Bool")
_OSCQUERY_TYPES: Mapping[str, ParameterType] = {"f": "Float", "i": "Int", "T": "Bool", "F": "Bool"}
_EXPECTED = "a VRChat avatar OSC config (JSON with id, name and parameters[])"
_AVATAR_ID = re.compile(r"avtr_[0-9A-Za-z-]{1,64}")
_MAX_DEPTH = 32


@dataclass(frozen=True)
class AvatarParameter:
    """One avatar parameter that accepts input (has an ``input`` address)."""

    name: str
    address: str
    type: ParameterType

    @property
    def path(self) -> str:
        """The address below ``/avatar/parameters/`` (``FT/v2/JawOpen``), or the whole address."""
        return self.address.removeprefix(AVATAR_PARAMETERS)


@dataclass(frozen=True)
class AvatarConfig:
    """The writable parameters of one avatar.

    Attributes
    ----------
    id, name
        Avatar id (``avtr_...``; may be empty for hand-made files) and display name.
    parameters
        Writable parameters, in file order.
    read_only
        How many parameters had only an ``output`` (VRChat's built-ins).
    source
        Where it came from: a file path or an OSCQuery URL.
    """

    id: str
    name: str
    parameters: tuple[AvatarParameter, ...]
    read_only: int = 0
    source: str = ""


def parse_avatar_config(text: str | bytes, *, source: str = "avatar config") -> AvatarConfig:
    """Parse an avatar OSC config (with or without a UTF-8 BOM).

    Raises
    ------
    TransportError
        Naming ``source``, the key at fault (``parameters[3].input.type``), the value and what
        was expected.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as err:
            raise TransportError(f"byte {err.start} is not UTF-8; expected {_EXPECTED}",
                                 source=source) from None
    text = text.removeprefix("\ufeff")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise TransportError(f"is not JSON ({str(err)[:80]}); expected {_EXPECTED}",
                             source=source) from None
    if not isinstance(data, dict):
        raise TransportError(f"top level is {type(data).__name__}; expected {_EXPECTED}",
                             source=source)
    raw = data.get("parameters")
    if not isinstance(raw, list):
        problem = "is missing" if raw is None else f"is {type(raw).__name__}"
        raise TransportError(f"{problem}; expected a list of parameters", source=source,
                             where="parameters")
    parameters = []
    read_only = 0
    for i, entry in enumerate(raw):
        parameter = _parameter(entry, f"parameters[{i}]", source)
        if parameter is None:
            read_only += 1
        else:
            parameters.append(parameter)
    return AvatarConfig(_text(data.get("id", ""), "id", source), _text(data.get("name", ""),
                        "name", source), tuple(parameters), read_only, source)  # fmt: skip


def load_avatar_config(path: str | os.PathLike[str]) -> AvatarConfig:
    """Read and parse an avatar OSC config file (see :func:`parse_avatar_config`)."""
    source = os.fspath(path)
    file = Path(path)
    try:
        if not file.is_file():
            problem = "no such file" if not file.exists() else "is not a regular file"
            raise TransportError(f"{problem}; expected {_EXPECTED}", source=source)
        with file.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as err:
        raise TransportError(f"cannot be read ({err.strerror}); expected {_EXPECTED}",
                             source=source) from None
    if len(data) > MAX_CONFIG_BYTES:
        raise TransportError(f"is larger than {MAX_CONFIG_BYTES} bytes; expected {_EXPECTED}",
                             source=source)
    return parse_avatar_config(data, source=source)


def parse_oscquery_avatar(text: str | bytes, *, source: str) -> tuple[str, AvatarConfig]:
    """Parse VRChat's OSCQuery ``/avatar`` node: (current avatar id or ``""``, its parameters).

    A parameter is writable when its ``ACCESS`` is 2 (write) or 3 (read/write), or missing.

    Raises
    ------
    TransportError
        If the answer is not JSON or not an OSCQuery node tree.
    """
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise TransportError(f"answer is not JSON ({str(err)[:80]}); expected an OSCQuery node "
                             f"tree", source=source) from None
    if not isinstance(data, dict) or not isinstance(data.get("CONTENTS", {}), dict):
        raise TransportError("answer is not an OSCQuery node (an object with CONTENTS); "
                             "expected VRChat's /avatar tree", source=source)
    avatar_id = ""
    parameters: list[AvatarParameter] = []
    read_only = 0
    for node in _nodes(data, 0):
        path, kind = node.get("FULL_PATH"), node.get("TYPE")
        if not isinstance(path, str) or not isinstance(kind, str):
            continue
        if path == "/avatar/change":
            value = node.get("VALUE")
            if isinstance(value, list) and value and isinstance(value[0], str):
                avatar_id = value[0][:100]
        elif path.startswith(AVATAR_PARAMETERS) and kind in _OSCQUERY_TYPES:
            if node.get("ACCESS", 3) in (2, 3):
                parameters.append(AvatarParameter(path.removeprefix(AVATAR_PARAMETERS), path,
                                                  _OSCQUERY_TYPES[kind]))
            else:
                read_only += 1
    return avatar_id, AvatarConfig(avatar_id, "", tuple(parameters), read_only, source)


def default_osc_dirs() -> tuple[Path, ...]:
    """VRChat's OSC folders on this machine that exist: Windows, then Steam Proton on Linux."""
    home = Path.home()
    candidates = [
        Path(os.environ.get("USERPROFILE", home)) / "AppData/LocalLow/VRChat/VRChat/OSC",
        home / ".steam/steam/steamapps/compatdata/438100/pfx/drive_c/users/steamuser/AppData"
               "/LocalLow/VRChat/VRChat/OSC",
        home / ".local/share/Steam/steamapps/compatdata/438100/pfx/drive_c/users/steamuser"
               "/AppData/LocalLow/VRChat/VRChat/OSC",
    ]
    return tuple(p for p in candidates if p.is_dir())


def find_avatar_config(osc_dirs: tuple[Path, ...], avatar_id: str) -> Path | None:
    """The config file of ``avatar_id``: ``<dir>/<usr_id>/Avatars/<avatar_id>.json``.

    Returns None for an id that is not an ``avtr_...`` id (it would not be a safe file name) or
    when no folder has it.
    """
    if not _AVATAR_ID.fullmatch(avatar_id):
        return None
    for folder in osc_dirs:
        for candidate in sorted(folder.glob(f"*/Avatars/{avatar_id}.json")):
            if candidate.is_file():
                return candidate
    return None


def _parameter(entry: object, where: str, source: str) -> AvatarParameter | None:
    if not isinstance(entry, dict):
        raise TransportError(f"is {type(entry).__name__}; expected an object with name and "
                             f"input/output", source=source, where=where)
    name = _text(entry.get("name"), f"{where}.name", source, required=True)
    endpoint = entry.get("input")
    if endpoint is None:
        return None
    if not isinstance(endpoint, dict):
        raise TransportError(f"is {type(endpoint).__name__}; expected an object with address and "
                             f"type", source=source, where=f"{where}.input")
    address = _text(endpoint.get("address"), f"{where}.input.address", source, required=True)
    kind = endpoint.get("type")
    if kind not in _TYPES:
        raise TransportError(f"type {_excerpt(kind)} is unknown; expected Float, Int or Bool",
                             source=source, where=f"{where}.input.type")
    return AvatarParameter(name, address, kind)


def _text(value: object, where: str, source: str, *, required: bool = False) -> str:
    if isinstance(value, str) and (value or not required):
        return value
    raise TransportError(f"{_excerpt(value)} is not a {'non-empty ' if required else ''}string; "
                         f"expected text", source=source, where=where)


def _excerpt(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _nodes(node: dict[str, Any], depth: int) -> Iterator[dict[str, Any]]:
    if depth > _MAX_DEPTH:
        return
    yield node
    contents = node.get("CONTENTS")
    if isinstance(contents, dict):
        for child in contents.values():
            if isinstance(child, dict):
                yield from _nodes(child, depth + 1)
