"""Names shared by every layer: the 52 ARKit shapes, shape-name matching, the head and eye bones.

Defined once here, below the layers (like :mod:`avatardrive.errors`), because tracking (MediaPipe
and Live Link Face input), retarget (rig files) and transport (the Live Link Face CSV and UDP
layouts) all speak this vocabulary. "Left" in an ARKit name is the performer's own left (Apple's
convention, also MediaPipe's and Live Link Face's).
"""

from __future__ import annotations

import re

__all__ = [
    "ARKIT_NAMES",
    "BONE_NAMES",
    "LIVE_LINK_PACKET_SHAPES",
    "LIVE_LINK_ROTATIONS",
    "LIVE_LINK_SHAPES",
    "LIVE_LINK_SIGNS",
    "shape_key",
]

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

#: The same 52 shapes in the order of Live Link Face's UDP packet (and Unreal's ARKit enum):
#: the CSV order with ``JawLeft`` before ``JawRight`` and ``MouthLeft`` before ``MouthRight``
#: (PROTOCOLS.md, "Live Link Face").
LIVE_LINK_PACKET_SHAPES: tuple[str, ...] = tuple(
    {"JawRight": "JawLeft", "JawLeft": "JawRight", "MouthRight": "MouthLeft",
     "MouthLeft": "MouthRight"}.get(name, name)
    for name in LIVE_LINK_SHAPES
)  # fmt: skip

#: Live Link Face's head and eye rotation values, after the 52 shapes (CSV columns and packet).
LIVE_LINK_ROTATIONS: tuple[str, ...] = (
    "HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll",
    "RightEyeYaw", "RightEyePitch", "RightEyeRoll",
)  # fmt: skip

#: Live Link value (radians) = sign x avatardrive angle (degrees, facs/_motion.py) in radians,
#: for yaw, pitch, roll. Checked by hand on the real takes of ../shared/data (README there):
#: both eyes' yaw is -0.61 x (look toward the performer's own left), r = -1.000, so yaw + means
#: toward the performer's own right (-1); eye pitch is -0.61 x (up - down), so pitch + means down
#: (-1). Head yaw moves with eye yaw (r = 0.92, the eyes leading by one frame: gaze shifts, not
#: the counter-rotation of fixation, which would correlate negatively), so the head shares the
#: eyes' signs. Roll cannot be read off the takes: ARKit's face frame is right-handed (+x the face's
#: own left); Live Link keeps its pitch and flips its yaw, i.e. mirrors x, which also flips roll,
#: making roll + a tilt toward the performer's own left shoulder (+1) - inferred, not measured.
LIVE_LINK_SIGNS: tuple[float, float, float] = (-1.0, -1.0, 1.0)

#: The same 52 shapes in camelCase, in MediaPipe's order (alphabetical; MediaPipe's extra
#: ``_neutral`` left out). The ``arkit52`` rig file lists exactly these, in Apple's order
#: (a test checks).
ARKIT_NAMES: tuple[str, ...] = tuple(
    sorted(name[0].lower() + name[1:] for name in LIVE_LINK_SHAPES)
)

#: The bones a rig may rotate (head and gaze), in Unity's ``HumanBodyBones`` spelling, which the
#: VMC protocol's ``/VMC/Ext/Bone/Pos`` uses; parents before children.
BONE_NAMES: tuple[str, ...] = ("Neck", "Head", "LeftEye", "RightEye")

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
