"""Which of an avatar's parameters avatardrive drives, and how: float, bool or N-bit binary.

Matching (PROTOCOLS.md, VRChat section): a parameter matches a value name when its path below
``/avatar/parameters/`` ends in that name at any prefix depth (``FT/v2/JawOpen``, ``v2/JawOpen``,
``JawOpen``, ``Custom/JawOpen`` all match ``JawOpen``; ``FT/v2/Head/Yaw`` matches ``Head/Yaw``)
and its type fits:

- ``Float`` -> the value as a float;
- ``Bool`` with the value's own name -> on when the value is past a threshold (0 for base
  shapes, 0.5 for combined parameters);
- ``Bool`` named ``<Name>1``, ``<Name>2``, ``<Name>4``, ... (powers of two from 1, contiguous)
  -> an N-bit binary encoding of ``|value|``, with ``<Name>Negative`` for negative values;
- ``Bool`` ``EyeTrackingActive``, ``ExpressionTrackingActive``, ``LipTrackingActive`` -> on while
  streaming.

Everything else is reported (:attr:`AvatarPlan.skipped`) and never sent.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from avatardrive.transport._vrchat_config import AVATAR_PARAMETERS, AvatarConfig, AvatarParameter

__all__ = [
    "TRACKING_FLAGS",
    "AvatarPlan",
    "BinaryRoute",
    "BoolRoute",
    "FloatRoute",
    "plan_all",
    "plan_avatar",
]

#: VRCFaceTracking's tracking-active bools (no ``v2/`` prefix).
TRACKING_FLAGS = ("EyeTrackingActive", "ExpressionTrackingActive", "LipTrackingActive")
#: Bits a synced float or int costs in VRChat's 256-bit budget.
SYNCED_FLOAT_BITS = 8
_BIT = re.compile(r"(?P<stem>.+?)(?P<suffix>Negative|[1-9][0-9]{0,2})")


@dataclass(frozen=True)
class FloatRoute:
    """Send value ``index`` (named ``name``) as a float to ``address``."""

    name: str
    address: str
    index: int


@dataclass(frozen=True)
class BoolRoute:
    """Send ``value > threshold`` of value ``index`` as a bool to ``address``."""

    name: str
    address: str
    index: int
    threshold: float


@dataclass(frozen=True)
class BinaryRoute:
    """Send ``|value|`` of value ``index`` as ``len(bits)`` bools, bit k to ``bits[k]``.

    ``negative`` is the address of ``<Name>Negative`` (on for negative values), if declared.
    """

    name: str
    index: int
    bits: tuple[str, ...]
    negative: str | None = None


@dataclass(frozen=True)
class AvatarPlan:
    """What to send to one avatar.

    Attributes
    ----------
    avatar
        Avatar id (or the config's source when it has none); ``"*"`` for :func:`plan_all`.
    floats, bools, binaries
        Routes per kind.
    flags
        Addresses of the tracking-active bools, on while streaming.
    skipped
        ``(parameter name, reason)`` for each face-tracking-looking parameter not driven.
    others
        How many writable parameters are not face-tracking parameters at all (left alone).
    """

    avatar: str
    floats: tuple[FloatRoute, ...] = ()
    bools: tuple[BoolRoute, ...] = ()
    binaries: tuple[BinaryRoute, ...] = ()
    flags: tuple[str, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()
    others: int = 0
    read_only: int = field(default=0)

    @property
    def synced_bits(self) -> int:
        """Bits of VRChat's 256-bit synced budget the driven parameters would use if synced."""
        bits = SYNCED_FLOAT_BITS * len(self.floats) + len(self.bools) + len(self.flags)
        return bits + sum(len(b.bits) + (b.negative is not None) for b in self.binaries)

    @property
    def binary_bits(self) -> int:
        """Bits of the binary parameters alone (what templates usually sync)."""
        return sum(len(b.bits) + (b.negative is not None) for b in self.binaries)

    @property
    def empty(self) -> bool:
        """Whether nothing would be sent."""
        return not (self.floats or self.bools or self.binaries or self.flags)


def plan_avatar(
    config: AvatarConfig,
    names: Sequence[str],
    *,
    drivable: Collection[str],
    base: Collection[str] = (),
) -> AvatarPlan:
    """Match an avatar's writable parameters against the value names avatardrive computes.

    Parameters
    ----------
    config
        The avatar's parameters.
    names
        Value names, in the order of the value vector the routes index.
    drivable
        The names something actually drives; the others are reported as skipped.
    base
        Base-shape names: a plain bool of one of them is on above 0 rather than 0.5.
    """
    index = {name: i for i, name in reversed(list(enumerate(names)))}
    floats: list[FloatRoute] = []
    bools: list[BoolRoute] = []
    flags: list[str] = []
    skipped: list[tuple[str, str]] = []
    bit_groups: dict[tuple[str, str], dict[str, str]] = {}
    others = 0
    for parameter in config.parameters:
        name = _match(parameter.path, index)
        last = parameter.path.rsplit("/", 1)[-1]
        if last in TRACKING_FLAGS and parameter.type == "Bool":
            flags.append(parameter.address)
        elif name is not None:
            reason = _cannot(parameter, name, drivable)
            if reason:
                skipped.append((parameter.name, reason))
            elif parameter.type == "Float":
                floats.append(FloatRoute(name, parameter.address, index[name]))
            else:
                threshold = 0.0 if name in base else 0.5
                bools.append(BoolRoute(name, parameter.address, index[name], threshold))
        elif (bit := _bit_of(parameter, index)) is not None:
            stem, suffix = bit
            bit_groups.setdefault((stem, parameter.address[: -len(suffix)]), {})[suffix] = (
                parameter.address)
        else:
            others += 1
    binaries = []
    for (stem, _), suffixes in bit_groups.items():
        route, reason = _binary(stem, suffixes, index)
        if route is None:
            skipped.append((stem, reason))
        elif stem not in drivable:
            skipped.append((stem, "nothing avatardrive computes drives it"))
        else:
            binaries.append(route)
    return AvatarPlan(config.id or config.source, tuple(floats), tuple(bools), tuple(binaries),
                      tuple(flags), tuple(skipped), others, config.read_only)


def plan_all(names: Sequence[str], *, drivable: Collection[str], prefix: str) -> AvatarPlan:
    """Every drivable name as a float at ``prefix + name``, plus the tracking-active bools.

    For ``force_all=1``: avatars without discovery get everything, as floats.
    """
    floats = tuple(FloatRoute(name, prefix + name, i) for i, name in enumerate(names)
                   if name in drivable)
    flags = tuple(AVATAR_PARAMETERS + flag for flag in TRACKING_FLAGS)
    return AvatarPlan("*", floats, flags=flags)


def _match(path: str, index: dict[str, int]) -> str | None:
    parts = path.split("/")
    for length in (2, 1):
        if len(parts) >= length and (candidate := "/".join(parts[-length:])) in index:
            return candidate
    return None


def _cannot(parameter: AvatarParameter, name: str, drivable: Collection[str]) -> str:
    if parameter.type == "Int":
        return "declared Int; face-tracking values are sent as Float, Bool or binary bools"
    if name not in drivable:
        return "nothing avatardrive computes drives it"
    return ""


def _bit_of(parameter: AvatarParameter, index: dict[str, int]) -> tuple[str, str] | None:
    if parameter.type != "Bool":
        return None
    match = _BIT.fullmatch(parameter.path)
    if match is None:
        return None
    stem = _match(match["stem"], index)
    suffix = match["suffix"]
    if stem is None or not (suffix == "Negative" or _power_of_two(int(suffix))):
        return None
    return stem, suffix


def _binary(stem: str, suffixes: dict[str, str],
            index: dict[str, int]) -> tuple[BinaryRoute | None, str]:
    weights = sorted(int(s) for s in suffixes if s != "Negative")
    if not weights:
        return None, "declares only <Name>Negative, no value bits"
    expected = [1 << k for k in range(len(weights))]
    if weights != expected:
        found = ", ".join(map(str, weights))
        return None, (f"bits {found} are not contiguous powers of two from 1; expected "
                      f"{', '.join(map(str, expected))}")
    bits = tuple(suffixes[str(w)] for w in weights)
    return BinaryRoute(stem, index[stem], bits, suffixes.get("Negative")), ""


def _power_of_two(number: int) -> bool:
    return number > 0 and number & (number - 1) == 0
