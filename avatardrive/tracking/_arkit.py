"""The 52 ARKit blendshape names, name matching and the left/right swap of a mirror image.

"Left" in an ARKit name is the performer's own left (Apple's convention, also MediaPipe's and
Live Link Face's).
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import numpy.typing as npt

__all__ = ["ARKIT_NAMES", "arkit_index", "mirror_permutation"]

#: The 52 ARKit blendshapes in MediaPipe's order (alphabetical; MediaPipe has no ``tongueOut``).
ARKIT_NAMES: tuple[str, ...] = (
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft", "eyeBlinkRight",
    "eyeLookDownLeft", "eyeLookDownRight", "eyeLookInLeft", "eyeLookInRight", "eyeLookOutLeft",
    "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight", "eyeSquintLeft", "eyeSquintRight",
    "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft", "jawOpen", "jawRight", "mouthClose",
    "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft", "mouthFrownRight", "mouthFunnel",
    "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthPressLeft", "mouthPressRight",
    "mouthPucker", "mouthRight", "mouthRollLower", "mouthRollUpper", "mouthShrugLower",
    "mouthShrugUpper", "mouthSmileLeft", "mouthSmileRight", "mouthStretchLeft",
    "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight", "noseSneerLeft",
    "noseSneerRight", "tongueOut",
)

_SIDE_SUFFIX = re.compile(r"_([lr])$")


def _key(name: str) -> str:
    """``"MouthSmile_L"``, ``"mouthSmileLeft"``, ``"MOUTHSMILELEFT"`` -> ``"mouthsmileleft"``."""
    text = name.strip().casefold()
    match = _SIDE_SUFFIX.search(text)
    if match:
        text = text[: match.start()] + ("left" if match.group(1) == "l" else "right")
    return text.replace("_", "")


@cache
def _lookup() -> dict[str, int]:
    return {_key(name): i for i, name in enumerate(ARKIT_NAMES)}


def arkit_index(name: str) -> int | None:
    """Index of an ARKit blendshape in :data:`ARKIT_NAMES`, or ``None`` for another name.

    Matching ignores case and accepts ``_L`` / ``_R`` for ``Left`` / ``Right``.
    """
    return _lookup().get(_key(name))


@cache
def mirror_permutation() -> npt.NDArray[np.intp]:
    """Index array that swaps every ``...Left`` shape with its ``...Right`` partner.

    ``weights[mirror_permutation()]`` turns weights measured on a mirror image into the
    performer's own sides.
    """
    perm = np.arange(len(ARKIT_NAMES), dtype=np.intp)
    for i, name in enumerate(ARKIT_NAMES):
        for a, b in (("Left", "Right"), ("Right", "Left")):
            if name.endswith(a):
                partner = arkit_index(name[: -len(a)] + b)
                assert partner is not None
                perm[i] = partner
    return perm
