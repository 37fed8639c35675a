"""Rig commands: ``rigs`` (list the built-in rigs), ``rig show`` and ``rig check``."""

from __future__ import annotations

import argparse
from importlib import resources
from typing import TextIO

from avatardrive.cli._console import table
from avatardrive.retarget import Rig, RigBone, RigShape, RigTerm, builtin_rigs, load_rig

__all__ = ["format_rig", "register"]


def _term_text(term: RigTerm) -> str:
    return f"min({', '.join(term.factors)})" if term.op == "min" else "*".join(term.factors)


def format_drive(shape: RigShape) -> str:
    """The drive of a shape as a formula: ``AU8 + 0.35*AU26 - 0.35*AU26*AU25``."""
    parts = [(weight, key) for key, weight in shape.inputs]
    parts += [(term.weight, _term_text(term)) for term in shape.terms]
    if not parts:
        return "(no AU: stays at rest)"
    pieces = []
    for i, (weight, text) in enumerate(parts):
        body = text if abs(weight) == 1.0 else f"{abs(weight):g}*{text}"
        if i == 0:
            pieces.append(f"-{body}" if weight < 0 else body)
        else:
            pieces.append(f" {'-' if weight < 0 else '+'} {body}")
    return "".join(pieces)


def format_response(shape: RigShape) -> str:
    """``linear``, ``power 1.5``, ``smoothstep``, plus gain/offset/clamp when not the default."""
    parts = [f"power {shape.exponent:g}" if shape.curve == "power" else shape.curve]
    if shape.gain != 1.0:
        parts.append(f"gain {shape.gain:g}")
    if shape.offset != 0.0:
        parts.append(f"offset {shape.offset:+g}")
    if shape.clamp != (0.0, 1.0):
        parts.append(f"clamp [{shape.clamp[0]:g}, {shape.clamp[1]:g}]")
    return ", ".join(parts)


def _name_cell(shape: RigShape) -> str:
    return f"{shape.name} [{', '.join(shape.aliases)}]" if shape.aliases else shape.name


def format_bone(bone: RigBone) -> str:
    """One bone as a line: what drives it, degrees per unit, share, limits and Unity axes."""
    angles = ("yaw", "pitch", "roll") if bone.drive == "head" else ("yaw", "pitch")
    per_unit = ", ".join(f"{a} {bone.degrees[k]:g}°" for k, a in enumerate(angles))
    limits = ", ".join(f"{a} [{bone.limits[k][0]:g}, {bone.limits[k][1]:g}]°"
                       for k, a in enumerate(angles))  # fmt: skip
    axes = ", ".join(f"{a} {bone.axes[k]}" for k, a in enumerate(angles))
    drive = "head AU51-56" if bone.drive == "head" else "gaze AU61-64"
    share = f", share {bone.share:g}" if bone.drive == "head" else ""
    position = "" if not any(bone.position) else (
        f", position ({', '.join(f'{v:g}' for v in bone.position)}) m")
    return (f"{bone.name:<8}  {drive}{share}; per unit {per_unit}; limits {limits}; "
            f"Unity axes {axes}{position}")


def format_bones(rig: Rig) -> list[str]:
    """The bone section of ``rig show`` (empty for a rig without bones)."""
    if not rig.bones:
        return ["bones: none (head and gaze reach this rig only through its shapes)"]
    return [
        f"bones ({len(rig.bones)}): the head and gaze channels rotate them; angles in the "
        "performer's signs (yaw + = own left,",
        "pitch + = up, roll + = toward the own left shoulder), sent as Unity local quaternions:",
        *(f"  {format_bone(bone)}" for bone in rig.bones),
    ]


def format_rig(rig: Rig) -> str:
    """The mapping of a rig as a readable table, then what its inverse cannot recover."""
    # Aligned by hand, not with rich's table(): a drive formula must stay on one line to read as
    # one, and rich folds cells at the terminal's width.
    head = f"{rig.name} - {rig.title}" if rig.title else rig.name
    lines = [
        head,
        f"source: {rig.source}",
        f"format version {rig.version}, {rig.n_shapes} shapes, values 0-{rig.scale:g}",
        "",
    ]
    names = [_name_cell(s) for s in rig.shapes]
    drives = [format_drive(s) for s in rig.shapes]
    width_name = max(len("shape"), *(len(n) for n in names))
    width_drive = max(len("drive"), *(len(d) for d in drives))
    lines.append(f"{'#':>3}  {'shape':<{width_name}}  {'drive':<{width_drive}}  response")
    for i, shape in enumerate(rig.shapes):
        lines.append(
            f"{i:>3}  {names[i]:<{width_name}}  {drives[i]:<{width_drive}}  "
            f"{format_response(shape)}"
        )
    lines += [
        "",
        "drive: a weighted sum of AU channels (AU12 alone = the mean of AU12_L and AU12_R) and "
        "of products",
        "(AU6_L*AU12_L) or minima (min(AU4, AU7)); clipped to [0, 1], then the response; "
        f"weights x {rig.scale:g}.",
        "[...] = aliases accepted on input; case, '_' and L/Left spellings are ignored.",
        "",
        *format_bones(rig),
        "",
        str(rig.inexpressible()),
    ]
    return "\n".join(lines)


def _cmd_rigs(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    rigs = [load_rig(name) for name in builtin_rigs()]
    rows = [[rig.name, str(rig.n_shapes), f"0-{rig.scale:g}", rig.title] for rig in rigs]
    table(out, ["rig", "shapes", "values", "title"], rows, numbers=(1,),
          title="built-in rigs (`avatardrive rig show NAME` prints the mapping)")  # fmt: skip
    examples = resources.files("avatardrive.rigs").joinpath("examples")
    found = sorted(e.name for e in examples.iterdir() if e.name.endswith(".toml"))
    if found:
        out.write("\nexamples to start your own rig from (README: Writing your own rig file):\n")
        for name in found:
            out.write(f"  {examples.joinpath(name)}\n")
    return 0


def _cmd_show(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    out.write(format_rig(load_rig(args.rig)) + "\n")
    return 0


def _cmd_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    rig = load_rig(args.file)
    used = {c for shape in rig.shapes for key, _ in shape.inputs for c in _channels(key)}
    used |= {c for s in rig.shapes for t in s.terms for f in t.factors for c in _channels(f)}
    idle = [s.name for s in rig.shapes if not s.inputs and not s.terms]
    report = rig.inexpressible()
    out.write(
        f"{args.file}: ok - rig {rig.name!r}, {rig.n_shapes} shapes, values 0-{rig.scale:g}, "
        f"driven by {len(used)} AU channels; the inverse recovers {len(report.expressible)} "
        f"channels on their own\n"
    )
    if idle:
        out.write(f"  at rest whatever the AUs (no inputs): {', '.join(idle)}\n")
    if rig.bones:
        out.write(f"  bones turned by the head and gaze channels: {', '.join(rig.bone_names)}\n")
    return 0


def _channels(key: str) -> tuple[str, ...]:
    return (key,) if "_" in key else (f"{key}_L", f"{key}_R")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the rig commands to the ``avatardrive`` command line."""
    rigs = commands.add_parser(
        "rigs",
        help="list the built-in rigs with their shape counts",
        description="List the built-in rigs: name, number of shapes, value range, title.",
    )
    rigs.set_defaults(func=_cmd_rigs)

    rig = commands.add_parser(
        "rig",
        help="show or check a rig (built-in name or .toml file)",
        description="Show a rig's mapping from AU channels to shapes, or check a rig file.",
    )
    actions = rig.add_subparsers(dest="rig_command", metavar="ACTION", required=True)
    show = actions.add_parser(
        "show",
        help="print a rig's mapping as a table",
        description="Print a rig's mapping (drive formula and response of every shape) and the "
        "AU channels its inverse cannot recover.",
    )
    show.add_argument("rig", metavar="NAME|FILE", help="built-in rig name or rig file (.toml)")
    show.set_defaults(func=_cmd_show)
    check = actions.add_parser(
        "check",
        help="validate a rig file",
        description="Validate a rig file. Exit 0 if valid, 2 with one line naming the file, the "
        "shape and the key otherwise.",
    )
    check.add_argument("file", metavar="FILE", help="rig file (.toml)")
    check.set_defaults(func=_cmd_check)
