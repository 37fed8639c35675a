"""Matching incoming shape names to a mesh's shape keys (pure Python 3.9+, no bpy).

Loose matching, the default, compares :func:`loose_key` of both sides: case-insensitive, with
a one-letter side suffix ``_L``/``_R`` (also ``.L``, ``-L``, `` L``) read as ``Left``/``Right``
and the separators ``_ . - space`` dropped. So ``mouthSmileLeft`` (ARKit), ``MouthSmileLeft``
(Live Link, PascalCase), ``mouthSmile_L``, ``mouth_smile_left`` and ``mouthSmile.L`` (Blender's
mirror convention) all match one another, and VRM 0.x ``Blink_L`` matches ``BlinkLeft``. A bare
trailing letter is not a side (``mouthRoll`` keeps its ``l``).

An exact name wins over loose matches; when several keys share a loose key and none is exact, all
of them are set.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["EXACT", "LOOSE", "MATCHING", "NameMatcher", "loose_key"]

EXACT, LOOSE = "exact", "loose"
MATCHING = (EXACT, LOOSE)
_SIDE = re.compile(r"[_.\- ]([lr])\Z")
_SEPARATORS = re.compile(r"[_.\- ]+")
_SIDES = {"l": "left", "r": "right"}


def loose_key(name: str) -> str:
    """The case- and alias-insensitive key of a name: ``mouthSmile_L`` → ``mouthsmileleft``."""
    key = name.lower()
    side = _SIDE.search(key)
    if side:
        key = key[:side.start()] + _SIDES[side.group(1)]
    return _SEPARATORS.sub("", key)


class NameMatcher:
    """Looks up incoming names among a fixed set of target names (e.g. one mesh's shape keys).

    Parameters
    ----------
    targets
        The names that may be set, in their own spelling.
    mode
        ``"loose"`` (case-insensitive with aliases) or ``"exact"``.
    """

    def __init__(self, targets: Iterable[str], *, mode: str = LOOSE) -> None:
        if mode not in MATCHING:
            raise ValueError(f"matching {mode!r} is unknown; expected one of {MATCHING}")
        self.mode = mode
        self.targets = tuple(dict.fromkeys(targets))
        self._loose: dict[str, tuple[str, ...]] = {}
        for target in self.targets:
            key = loose_key(target)
            self._loose[key] = (*self._loose.get(key, ()), target)
        self._exact = frozenset(self.targets)
        self._cache: dict[str, tuple[str, ...]] = {}

    def match(self, name: str) -> tuple[str, ...]:
        """The target names ``name`` sets (empty if none)."""
        found = self._cache.get(name)
        if found is None:
            if name in self._exact:
                found = (name,)
            elif self.mode == LOOSE:
                found = self._loose.get(loose_key(name), ())
            else:
                found = ()
            if len(self._cache) < 4096:
                self._cache[name] = found
        return found
