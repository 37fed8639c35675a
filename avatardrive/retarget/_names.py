"""Shape-name matching: one key per name, so that spellings of the same shape meet.

ARKit streams spell ``eyeBlinkLeft`` (Apple, MediaPipe), ``EyeBlinkLeft`` (Live Link Face CSV) or
``eyeBlink_L``; VRM 0.x spells ``Blink_L`` and VRM 1.0 ``blinkLeft``; VRChat parameters arrive as
addresses such as ``/avatar/parameters/FT/v2/JawOpen``. :func:`shape_key` maps all of these to one
key, and a rig compares names by key only.
"""

from __future__ import annotations

import re

__all__ = ["shape_key"]

_SIDE_SUFFIX = re.compile(r"[_.\- ]([LR])$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[_.\- ]+")


def shape_key(name: str) -> str:
    """The matching key of a shape name.

    Steps: strip white space; keep the text after the last ``/`` (OSC address paths); turn a
    one-letter side suffix after a separator (``_L``, ``.R``, ``-L``) into ``Left``/``Right``;
    drop the separators ``_ . - `` and spaces; casefold.

    Examples
    --------
    >>> shape_key("eyeBlink_L") == shape_key("EyeBlinkLeft") == shape_key("eyeblinkleft")
    True
    >>> shape_key("/avatar/parameters/FT/v2/JawOpen")
    'jawopen'
    >>> shape_key("AU12_R")
    'au12right'
    """
    text = name.strip().rsplit("/", 1)[-1]
    side = _SIDE_SUFFIX.search(text)
    if side is not None:
        text = text[: side.start()] + ("Left" if side.group(1) in "Ll" else "Right")
    return _SEPARATORS.sub("", text).casefold()
