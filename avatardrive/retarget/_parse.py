"""Reading rig files: versioned TOML, validated key by key, includes merged.

Every problem becomes one :class:`~avatardrive.errors.RigError` whose message names the file, the
shape (index and name) and the key, the value and what was expected, e.g.
``bad.toml: shapes[2] (mouthSmileLeft).curve: 'cubic' is not a response curve; expected one of
linear, power, smoothstep``.

File format, version 1 (see the README, "Rigs")::

    version = 1
    name = "my-rig"                # optional, default: the file name
    title = "..."                  # optional
    scale = 1                      # 1 or 100: weights run over [0, scale]
    include = ["arkit52"]          # optional: built-in rig names or .toml paths (relative)

    [[shapes]]
    name = "mouthSmileLeft"
    aliases = ["Smile_L"]          # optional
    inputs = { AU12_L = 1.0 }      # channel (AU12_L) or AU (AU12 = mean of both sides)
    terms = [{ of = ["AU6_L", "AU12_L"], weight = 0.3 }]   # op = "product" (default) or "min"
    curve = "linear"               # linear | power (with exponent) | smoothstep
    gain = 1.0
    offset = 0.0
    clamp = [0.0, 1.0]             # within [0, 1], before scaling

    [[bones]]                      # optional: Neck, Head, LeftEye, RightEye (see _bones.py)
    name = "Head"
    share = 0.6                    # head bones: part of the head angles (shares add up to <= 1)
    degrees = { yaw = 45, pitch = 30, roll = 30 }     # per unit; default: facs unit angles
    axes = { yaw = "-y", pitch = "-x", roll = "+z" }  # Unity local axis per angle (default)
    limits = { yaw = [-50, 50] }   # degrees after the share; default: one unit either way
    position = [0.0, 0.0, 0.0]     # local position sent with the rotation (VMC), metres
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Mapping
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

from avatardrive._files import parse_toml, read_text
from avatardrive._shapes import BONE_NAMES, shape_key
from avatardrive.errors import ParameterError, RigError, excerpt
from avatardrive.facs import CHANNELS, channels_of, parse_au_key
from avatardrive.retarget._bones import AXIS_NAMES, BONE_AXES, RigBone, default_bone
from avatardrive.retarget._builtin import builtin_file, builtin_rigs
from avatardrive.retarget._spec import (
    RESPONSE_CURVES,
    RIG_FORMAT_VERSION,
    SCALES,
    TERM_OPS,
    Curve,
    RigShape,
    RigSpec,
    RigTerm,
    TermOp,
)

__all__ = ["MAX_FILE_BYTES", "parse_rig", "read_builtin", "read_rig", "resolve_au_key"]

#: Rig files larger than this are refused before parsing.
MAX_FILE_BYTES = 4 * 1024 * 1024
#: Largest magnitude accepted for a weight, gain or offset (keeps float32 arithmetic finite).
MAX_ABS = 1e6
MAX_EXPONENT = 100.0
MAX_FACTORS = 4
MAX_INCLUDE_DEPTH = 8
#: Smallest gain magnitude accepted: weights are undone by dividing by it.
MIN_GAIN = 1e-6
#: Most entries of one ``include`` list, and most shapes in a rig with its includes.
MAX_INCLUDES = 64
MAX_SHAPES = 50_000

_TOP_KEYS = ("version", "name", "title", "description", "scale", "include", "shapes", "bones")
_BONE_KEYS = ("name", "share", "degrees", "axes", "limits", "position")
_AXIS_SPELLINGS = ("+x", "-x", "+y", "-y", "+z", "-z")
MAX_DEGREES = 180.0
_SHAPE_KEYS = (
    "name", "aliases", "inputs", "terms", "curve", "exponent", "gain", "offset", "clamp",
)  # fmt: skip
_TERM_KEYS = ("of", "weight", "op")
_RIG_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


def _fail(where: str, message: str) -> RigError:
    return RigError(message, where=where or None)


def _unknown_key(key: object, allowed: tuple[str, ...], where: str) -> RigError:
    close = difflib.get_close_matches(str(key), allowed, n=1) if len(str(key)) < 100 else []
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    place = f"{where}.{key}" if where else str(key)
    return _fail(place, f"unknown key {excerpt(key)}{hint}; expected one of {', '.join(allowed)}")


def _check_keys(table: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in table:
        if key not in allowed:
            raise _unknown_key(key, allowed, where)


def _number(where: str, value: object, *, limit: float = MAX_ABS) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(where, f"{excerpt(value)} is a {type(value).__name__}; expected a number")
    try:
        number = float(value)
    except OverflowError:  # an integer beyond float range
        raise _fail(where, _too_large(value, limit)) from None
    if not math.isfinite(number):
        raise _fail(where, f"{excerpt(value)} is not finite; expected a finite number")
    if abs(number) > limit:
        raise _fail(where, _too_large(value, limit))
    return number


def _too_large(value: object, limit: float) -> str:
    return f"{excerpt(value)} is too large; expected a number in [-{limit:g}, {limit:g}]"


def _string(where: str, value: object) -> str:
    if not isinstance(value, str):
        raise _fail(where, f"{excerpt(value)} is a {type(value).__name__}; expected a string")
    return value


def _name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a shape (it becomes a curve column), or ``None``."""
    if not name.strip():
        return "empty name; expected a shape name such as 'jawOpen'"
    if name != name.strip():
        return f"{excerpt(name)} has white space around it; expected a bare name"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        return f"{excerpt(name)} holds a control character; expected printable text"
    if name.casefold() == "time":
        return (
            f"{excerpt(name)} is reserved for the time column of curve files; expected a shape name"
        )
    if not shape_key(name):
        return f"{excerpt(name)} has no letters or digits; expected a shape name"
    return None


def _shape_name(where: str, value: object) -> str:
    name = _string(where, value)
    problem = _name_problem(name)
    if problem is not None:
        raise _fail(where, problem)
    return name


def resolve_au_key(key: str) -> tuple[str, tuple[int, ...]]:
    """Canonical spelling and channel indices of an AU key in a rig file.

    ``"AU12_L"`` (any case) is one channel; ``"AU12"`` is the mean of both sides.

    Returns
    -------
    tuple of (str, tuple of int)
        ``("AU12_L", (i,))`` or ``("AU12", (left, right))``.

    Raises
    ------
    ParameterError
        Neither a channel of the catalogue nor an AU of it.
    """
    try:
        parsed = parse_au_key(key, midline_sides=True)  # the one AU-key grammar (facs)
    except ParameterError:
        parsed = None
    if parsed is None or parsed.side == "U":
        raise ParameterError(
            f"unknown AU channel {excerpt(key)}; expected a channel such as 'AU12_L' or "
            f"'AU12_R', or an AU such as 'AU12' (the mean of both sides), for an AU in the "
            f"catalogue"
        )
    left, right = channels_of(parsed.number)
    if parsed.side is None:
        return parsed.code, (left, right)
    index = left if parsed.side == "L" else right
    return CHANNELS[index], (index,)


def _au_key(where: str, key: object) -> tuple[str, tuple[int, ...]]:
    if not isinstance(key, str):
        raise _fail(where, f"{excerpt(key)} is a {type(key).__name__}; expected an AU name")
    try:
        return resolve_au_key(key)
    except ParameterError as err:
        raise _fail(where, err.message) from None


def _inputs(where: str, value: object) -> tuple[tuple[str, float], ...]:
    if not isinstance(value, Mapping):
        raise _fail(
            where, f"{excerpt(value)}; expected a table of AU = weight, e.g. {{ AU12_L = 1.0 }}"
        )
    result: list[tuple[str, float]] = []
    owner: dict[int, str] = {}
    for raw_key, raw_weight in value.items():
        place = f"{where}.{raw_key}"
        key, channels = _au_key(place, raw_key)
        for channel in channels:
            if channel in owner:
                raise _fail(
                    place,
                    f"channel {CHANNELS[channel]} is also fed by {excerpt(owner[channel])}; "
                    f"expected "
                    f"each channel once per shape",
                )
            owner[channel] = str(raw_key)
        result.append((key, _number(place, raw_weight)))
    return tuple(result)


def _term(where: str, raw: object) -> RigTerm:
    if not isinstance(raw, Mapping):
        raise _fail(where, f"{excerpt(raw)}; expected a table {{ of = [...], weight = ... }}")
    _check_keys(raw, _TERM_KEYS, where)
    op = raw.get("op", "product")
    if op not in TERM_OPS:
        raise _fail(
            f"{where}.op",
            f"{excerpt(op)} is not a term operation; expected one of {', '.join(TERM_OPS)}",
        )
    if "of" not in raw:
        raise _fail(f"{where}.of", "missing key 'of'; expected a list of AU channels")
    factors = raw["of"]
    if not isinstance(factors, list) or not 1 <= len(factors) <= MAX_FACTORS:
        raise _fail(
            f"{where}.of", f"{excerpt(factors)}; expected a list of 1 to {MAX_FACTORS} AU channels"
        )
    keys = tuple(_au_key(f"{where}.of[{j}]", factor)[0] for j, factor in enumerate(factors))
    if "weight" not in raw:
        raise _fail(f"{where}.weight", "missing key 'weight'; expected a finite number")
    op_name: TermOp = "min" if op == "min" else "product"
    return RigTerm(op=op_name, factors=keys, weight=_number(f"{where}.weight", raw["weight"]))


def _terms(where: str, value: object) -> tuple[RigTerm, ...]:
    if not isinstance(value, list):
        raise _fail(
            where, f"{excerpt(value)}; expected an array of {{ of = [...], weight = ... }} tables"
        )
    return tuple(_term(f"{where}[{k}]", raw) for k, raw in enumerate(value))


def _curve(where: str, raw: Mapping[str, Any]) -> tuple[Curve, float]:
    curve = raw.get("curve", "linear")
    if curve not in RESPONSE_CURVES:
        raise _fail(
            f"{where}.curve",
            f"{excerpt(curve)} is not a response curve; "
            f"expected one of {', '.join(RESPONSE_CURVES)}",
        )
    if curve != "power":
        if "exponent" in raw:
            raise _fail(
                f"{where}.exponent",
                f"given for curve {excerpt(curve)}; expected it with 'power' only",
            )
        return curve, 1.0
    if "exponent" not in raw:
        raise _fail(f"{where}.exponent", "missing key 'exponent'; curve 'power' needs one")
    exponent = _number(f"{where}.exponent", raw["exponent"], limit=MAX_EXPONENT)
    if exponent <= 0.0:
        raise _fail(
            f"{where}.exponent",
            f"{excerpt(exponent)} is not above 0; expected (0, {MAX_EXPONENT:g}]",
        )
    if exponent < 1.0 / MAX_EXPONENT:  # its inverse, 1 / exponent, must stay a usable power
        raise _fail(
            f"{where}.exponent",
            f"{exponent:g} is too small to invert; expected [{1.0 / MAX_EXPONENT:g}, "
            f"{MAX_EXPONENT:g}]",
        )
    return "power", exponent


def _clamp(where: str, value: object) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise _fail(where, f"{excerpt(value)}; expected [lo, hi] with 0 <= lo < hi <= 1")
    lo = _number(f"{where}[0]", value[0])
    hi = _number(f"{where}[1]", value[1])
    if not 0.0 <= lo < hi <= 1.0:
        raise _fail(where, f"{excerpt(value)}; expected [lo, hi] with 0 <= lo < hi <= 1")
    return lo, hi


def _aliases(where: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _fail(where, f"{excerpt(value)}; expected a list of names")
    return tuple(_shape_name(f"{where}[{j}]", alias) for j, alias in enumerate(value))


def _shape(index: int, raw: object, source: str) -> RigShape:
    where = f"shapes[{index}]"
    if not isinstance(raw, Mapping):
        raise _fail(where, f"{excerpt(raw)}; expected a table of shape keys")
    if "name" not in raw:
        raise _fail(f"{where}.name", "missing key 'name'; expected the shape's output name")
    name = _shape_name(f"{where}.name", raw["name"])
    where = f"{where} ({name})"
    _check_keys(raw, _SHAPE_KEYS, where)
    curve, exponent = _curve(where, raw)
    gain = _number(f"{where}.gain", raw.get("gain", 1.0))
    if gain == 0.0:
        raise _fail(f"{where}.gain", "0 silences the shape; expected a gain other than 0")
    if abs(gain) < MIN_GAIN:  # float32 arithmetic would round it to 0 or lose the inverse
        raise _fail(
            f"{where}.gain",
            f"{gain:g} is too small to invert; expected a gain of magnitude at least {MIN_GAIN:g}",
        )
    return RigShape(
        name=name,
        inputs=_inputs(f"{where}.inputs", raw.get("inputs", {})),
        terms=_terms(f"{where}.terms", raw.get("terms", [])),
        curve=curve,
        exponent=exponent,
        gain=gain,
        offset=_number(f"{where}.offset", raw.get("offset", 0.0)),
        clamp=_clamp(f"{where}.clamp", raw.get("clamp", [0.0, 1.0])),
        aliases=_aliases(f"{where}.aliases", raw.get("aliases", [])),
        source=source,
    )


def _version(data: Mapping[str, Any]) -> int:
    if "version" not in data:
        raise _fail("version", f"missing key 'version'; expected version = {RIG_FORMAT_VERSION}")
    version = data["version"]
    if isinstance(version, bool) or version != RIG_FORMAT_VERSION:
        raise _fail(
            "version",
            f"{excerpt(version)} is not a supported version; expected {RIG_FORMAT_VERSION}",
        )
    return RIG_FORMAT_VERSION


def _scale(data: Mapping[str, Any]) -> float:
    scale = _number("scale", data.get("scale", 1.0))
    if scale not in SCALES:
        raise _fail("scale", f"{excerpt(data['scale'])} is not a rig scale; expected 1 or 100")
    return scale


def _rig_name(data: Mapping[str, Any], default: str) -> str:
    if "name" not in data:
        return default
    name = _string("name", data["name"])
    if not _RIG_NAME.match(name):
        raise _fail(
            "name", f"{excerpt(name)}; expected letters, digits and _ . + - (e.g. 'my-rig')"
        )
    return name


def _check_unique(shapes: list[RigShape], first_own: int) -> None:
    """Names and aliases must not meet (by key) across the rig, included shapes included."""
    owner: dict[str, tuple[int, str]] = {}
    for i, shape in enumerate(shapes):
        for j, text in enumerate((shape.name, *shape.aliases)):
            key = shape_key(text)
            if key in owner and owner[key][0] != i:
                other_index, other = owner[key]
                own = i - first_own
                where = f"shapes[{own}] ({shape.name})" if own >= 0 else "include"
                where += ".name" if j == 0 else f".aliases[{j - 1}]"
                origin = "" if other_index >= first_own else f" (from {shapes[other_index].source})"
                raise _fail(
                    where,
                    f"{excerpt(text)} is already the name or an alias of shape "
                    f"{excerpt(other)}{origin}; "
                    f"expected unique shape names (compared without case, '_' or side spelling)",
                )
            owner.setdefault(key, (i, shape.name))


def parse_rig(
    text: str,
    *,
    source: str = "<rig>",
    base: Path | None = None,
    default_name: str | None = None,
    _stack: tuple[str, ...] = (),
) -> RigSpec:
    """Parse and validate the text of a rig file.

    Parameters
    ----------
    text
        TOML text, format version 1.
    source
        Where the text came from, for messages and :attr:`RigShape.source`.
    base
        Folder against which ``include`` paths are resolved; the current folder by default.
    default_name
        The rig's name when the file gives none; the stem of ``source`` by default.

    Returns
    -------
    RigSpec

    Raises
    ------
    RigError
        Naming ``source``, the shape and the key.
    """
    data = parse_toml(text, error=RigError, source=source)
    try:
        return _from_dict(data, source, base, default_name, _stack)
    except RigError as err:
        if err.source:  # raised while reading an included file: it names that file
            raise
        raise err.located(source=source) from None


def _from_dict(
    data: Mapping[str, Any],
    source: str,
    base: Path | None,
    default_name: str | None,
    stack: tuple[str, ...],
) -> RigSpec:
    if not data:
        raise _fail("", "the file is empty; expected version = 1 and [[shapes]] tables")
    _check_keys(data, _TOP_KEYS, "")
    version = _version(data)
    name = _rig_name(data, default_name or Path(source).stem)
    scale = _scale(data)
    title = _string("title", data.get("title", ""))
    description = _string("description", data.get("description", ""))
    includes = _include_list(data.get("include", []))
    shapes: list[RigShape] = []
    included_bones: dict[str, RigBone] = {}
    for k, entry in enumerate(includes):
        spec = _included(entry, f"include[{k}]", source, base, stack)
        shapes.extend(spec.shapes)
        included_bones.update({bone.name: bone for bone in spec.bones})
    first_own = len(shapes)
    raw_shapes = data.get("shapes", [])
    if not isinstance(raw_shapes, list):
        raise _fail("shapes", f"{excerpt(raw_shapes)}; expected an array of [[shapes]] tables")
    if first_own + len(raw_shapes) > MAX_SHAPES:
        raise _fail(
            "shapes",
            f"{first_own + len(raw_shapes)} shapes with the included ones; "
            f"expected at most {MAX_SHAPES}",
        )
    shapes.extend(_shape(i, raw, source) for i, raw in enumerate(raw_shapes))
    if not shapes:
        raise _fail("shapes", "no shapes; expected at least one [[shapes]] table or an include")
    _check_unique(shapes, first_own)
    bones = _bones(data.get("bones", []), source, included_bones)
    return RigSpec(
        name=name,
        version=version,
        scale=scale,
        shapes=tuple(shapes),
        source=source,
        title=title,
        description=description,
        includes=includes,
        bones=bones,
    )


def _include_list(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _fail("include", f"{excerpt(value)}; expected a list of rig names or .toml paths")
    if len(value) > MAX_INCLUDES:
        raise _fail(
            "include", f"{len(value)} entries; expected at most {MAX_INCLUDES} included rigs"
        )
    entries = tuple(_string(f"include[{k}]", entry) for k, entry in enumerate(value))
    seen: dict[str, int] = {}
    for k, entry in enumerate(entries):
        key = entry.strip().casefold()
        if key in seen:
            raise _fail(
                f"include[{k}]",
                f"{excerpt(entry)} repeats include[{seen[key]}]; expected each rig included once",
            )
        seen[key] = k
    return entries


def _included(
    entry: str, where: str, source: str, base: Path | None, stack: tuple[str, ...]
) -> RigSpec:
    """One included rig: a built-in name, or a .toml path relative to ``base``."""
    if len(stack) >= MAX_INCLUDE_DEPTH:
        raise _fail(where, f"{excerpt(entry)}: includes nest deeper than {MAX_INCLUDE_DEPTH}")
    if entry.lower().endswith(".toml"):
        path = (base or Path.cwd()) / entry
        if _file_key(path) in stack:
            raise _fail(
                where, f"{excerpt(entry)} includes itself (an include cycle); expected a tree"
            )
        return read_rig(path, _stack=stack)
    file = builtin_file(entry)
    if file is None:
        close = difflib.get_close_matches(entry, builtin_rigs(), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise _fail(
            where,
            f"{excerpt(entry)} is not a built-in rig{hint}; "
            f"expected one of {', '.join(builtin_rigs())} "
            f"or a path ending in .toml",
        )
    if _builtin_key(file) in stack:
        raise _fail(where, f"{excerpt(entry)} includes itself (an include cycle); expected a tree")
    return read_builtin(file, _stack=stack)


def _file_key(path: Path) -> str:
    return os.path.normcase(os.path.abspath(path))


def _builtin_key(file: Traversable) -> str:
    return f"builtin:{file.name}"


def read_builtin(file: Traversable, *, _stack: tuple[str, ...] = ()) -> RigSpec:
    """Parse a built-in rig file from the package data."""
    return parse_rig(
        file.read_text("utf-8"),
        source=str(file),
        base=None,
        default_name=file.name.removesuffix(".toml"),
        _stack=(*_stack, _builtin_key(file)),
    )


def read_rig(path: str | os.PathLike[str], *, _stack: tuple[str, ...] = ()) -> RigSpec:
    """Read and validate a rig file.

    Raises
    ------
    RigError
        The file is missing, unreadable, too large, not UTF-8 TOML, or invalid.
    """
    source = os.fspath(path)
    file = Path(path)
    text = read_text(
        path, error=RigError, max_bytes=MAX_FILE_BYTES,
        expected=f"a rig file (.toml) or a built-in rig name ({', '.join(builtin_rigs())})",
    )  # fmt: skip
    return parse_rig(text, source=source, base=file.parent, _stack=(*_stack, _file_key(file)))


# -- bones ---------------------------------------------------------------------------------------


def _bones(value: object, source: str, included: dict[str, RigBone]) -> tuple[RigBone, ...]:
    """The rig's bones: included ones, replaced by the file's own of the same name."""
    if not isinstance(value, list):
        raise _fail("bones", f"{value!r}; expected an array of [[bones]] tables")
    bones = dict(included)
    own: set[str] = set()
    for index, raw in enumerate(value):
        bone = _bone(index, raw, source)
        if bone.name in own:
            raise _fail(f"bones[{index}].name", f"{bone.name!r} is given twice; expected each "
                        f"bone once")
        own.add(bone.name)
        bones[bone.name] = bone
    shares = sum(b.share for b in bones.values() if b.drive == "head")
    if shares > 1.0 + 1e-6:
        raise _fail("bones", f"the head bones' shares add up to {shares:g}; expected at most 1 "
                    f"(e.g. Neck 0.4 and Head 0.6: together the whole head turn)")
    return tuple(bones[name] for name in BONE_NAMES if name in bones)


def _bone(index: int, raw: object, source: str) -> RigBone:
    where = f"bones[{index}]"
    if not isinstance(raw, Mapping):
        raise _fail(where, f"{raw!r}; expected a table of bone keys")
    if "name" not in raw:
        raise _fail(f"{where}.name", f"missing key 'name'; expected one of {', '.join(BONE_NAMES)}")
    name = raw["name"]
    if name not in BONE_NAMES:
        raise _fail(f"{where}.name", f"{name!r} is not a bone avatardrive drives; expected one "
                    f"of {', '.join(BONE_NAMES)}")
    where = f"{where} ({name})"
    _check_keys(raw, _BONE_KEYS, where)
    base = default_bone(name, source=source)
    angles = AXIS_NAMES[: len(BONE_AXES[name])]
    share = 1.0
    if "share" in raw:
        if base.drive != "head":
            raise _fail(f"{where}.share", "given for an eye; expected it on Neck and Head only")
        share = _number(f"{where}.share", raw["share"])
        if not 0.0 < share <= 1.0:
            raise _fail(f"{where}.share", f"{share!r}; expected a part of the head turn in (0, 1]")
    degrees = list(base.degrees)
    for k, angle in _angle_items(f"{where}.degrees", raw.get("degrees", {}), angles):
        degrees[k] = _number(f"{where}.degrees.{angle}", raw["degrees"][angle], limit=MAX_DEGREES)
    limits = [(-d * share, d * share) for d in degrees]
    for k, angle in _angle_items(f"{where}.limits", raw.get("limits", {}), angles):
        limits[k] = _limit(f"{where}.limits.{angle}", raw["limits"][angle])
    axes = list(base.axes)
    for k, angle in _angle_items(f"{where}.axes", raw.get("axes", {}), AXIS_NAMES):
        spelled = raw["axes"][angle]
        if spelled not in _AXIS_SPELLINGS:
            raise _fail(f"{where}.axes.{angle}", f"{spelled!r}; expected one of "
                        f"{', '.join(_AXIS_SPELLINGS)}")
        axes[k] = spelled
    if len({a[1] for a in axes}) != 3:
        raise _fail(f"{where}.axes", f"{axes}; expected yaw, pitch and roll on three different "
                    f"axes")
    return RigBone(name, share, (degrees[0], degrees[1], degrees[2]),
                   (axes[0], axes[1], axes[2]), (limits[0], limits[1], limits[2]),
                   _position(f"{where}.position", raw.get("position", [0.0, 0.0, 0.0])),
                   source)  # fmt: skip


def _angle_items(where: str, value: object, allowed: tuple[str, ...]) -> list[tuple[int, str]]:
    if not isinstance(value, Mapping):
        raise _fail(where, f"{value!r}; expected a table such as {{ yaw = ..., pitch = ... }}")
    _check_keys(value, allowed, where)
    return [(AXIS_NAMES.index(key), key) for key in value]


def _limit(where: str, value: object) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise _fail(where, f"{value!r}; expected [lo, hi] in degrees with lo <= 0 <= hi")
    lo = _number(f"{where}[0]", value[0], limit=MAX_DEGREES)
    hi = _number(f"{where}[1]", value[1], limit=MAX_DEGREES)
    if not lo <= 0.0 <= hi:
        raise _fail(where, f"{value!r}; expected [lo, hi] in degrees with lo <= 0 <= hi")
    return lo, hi


def _position(where: str, value: object) -> tuple[float, float, float]:
    if not isinstance(value, list) or len(value) != 3:
        raise _fail(where, f"{value!r}; expected [x, y, z] in metres (Unity axes)")
    x, y, z = (_number(f"{where}[{k}]", v, limit=100.0) for k, v in enumerate(value))
    return x, y, z
