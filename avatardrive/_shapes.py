"""Blendshape names shared by every layer: the 52 ARKit shapes and shape-name matching.

Defined once here, below the layers (like :mod:`avatardrive.errors`), because tracking (MediaPipe
and Live Link Face input), retarget (rig files) and transport (the Live Link Face CSV and UDP
layouts) all speak this vocabulary. "Left" in an ARKit name is the performer's own left (Apple's
convention, also MediaPipe's and Live Link Face's).
"""

from __future__ import annotations

import re

__all__ = ["ARKIT_NAMES", "LIVE_LINK_SHAPES", "shape_key"]

#: The 52 ARKit blendshapes in PascalCase, in Live Link Face's column order (its CSV and UDP).
LIVE_LINK_SHAPES: tuple[str, ...] = (
    "EyeBlinkLeft", "EyeLookDownLeft", "EyeLookInLeft", "EyeLookOutLeft", "EyeLookUpLeft",
    "EyeSquintLeft", "EyeWideLeft", "EyeBlinkRight", "EyeLookDownRight", "EyeLookInRight",
    "EyeLookOutRight", "EyeLookUpRight", "EyeSquintRight", "EyeWideRight", "JawForward",
    "JawRight", "JawLeft", "JawOpen", "MouthClose", "MouthFunnel", "MouthPucker", "MouthRight",
    "MouthLeft", "MouthSmileLeft", "MouthSmileRight", "MouthFrownLeft", "MouthFrownRight",
    "MouthDimpleLeft", "MouthDimpleRight", "MouthStretchLeft", "MouthStretchRight",
    "MouthRollLower", "MouthRollUpper", "MouthShrugLower", "MouthShrugUpper", "MouthPressLeft",
    "MouthPressRight", "MouthLowerDownLeft", "MouthLowerDownRight", "MouthUpperUpLeft",
    "MouthUpperUpRight", "BrowDownLeft", "BrowDownRight", "BrowInnerUp", "BrowOuterUpLeft",
    "BrowOuterUpRight", "CheekPuff", "CheekSquintLeft", "CheekSquintRight", "NoseSneerLeft",
    "NoseSneerRight", "TongueOut",
)  # fmt: skip

#: The same 52 shapes in camelCase, in MediaPipe's order (alphabetical; MediaPipe's extra
#: ``_neutral`` left out). The ``arkit52`` rig file lists exactly these, in Apple's order
#: (a test checks).
ARKIT_NAMES: tuple[str, ...] = tuple(
    sorted(name[0].lower() + name[1:] for name in LIVE_LINK_SHAPES)
)

_SIDE_SUFFIX = re.compile(r"[_.\- ]([LR])$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[_.\- ]+")


def shape_key(name: str) -> str:
    """The matching key of a shape name, so that spellings of the same shape meet.

    ARKit streams spell ``eyeBlinkLeft`` (Apple, MediaPipe), ``EyeBlinkLeft`` (Live Link Face)
    or ``eyeBlink_L``; VRM 0.x spells ``Blink_L`` and VRM 1.0 ``blinkLeft``; VRChat parameters
    arrive as addresses such as ``/avatar/parameters/FT/v2/JawOpen``.

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
