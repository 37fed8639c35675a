"""The built-in rig files: TOML package data ``avatardrive.rigs`` (the repository's ``rigs/``)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from importlib.abc import Traversable

__all__ = ["builtin_file", "builtin_rigs"]

_PACKAGE = "avatardrive.rigs"


def _folder() -> Traversable:
    return resources.files(_PACKAGE)


@cache
def builtin_rigs() -> tuple[str, ...]:
    """Names of the built-in rigs, sorted: ``("arkit52", "facs", "vrcft", "vrm0", ...)``."""
    return tuple(
        sorted(
            entry.name[: -len(".toml")]
            for entry in _folder().iterdir()
            if entry.is_file() and entry.name.endswith(".toml")
        )
    )


def builtin_file(name: str) -> Traversable | None:
    """The file of a built-in rig (name matched case-insensitively), or ``None``."""
    wanted = name.strip().casefold()
    for known in builtin_rigs():
        if known.casefold() == wanted:
            return _folder().joinpath(f"{known}.toml")
    return None
