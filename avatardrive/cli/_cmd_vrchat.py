"""VRChat commands: ``vrchat check AVATAR.json`` — what an avatar accepts and what we will send."""

from __future__ import annotations

import argparse
from typing import TextIO

from avatardrive.facs import CHANNELS
from avatardrive.retarget import VRCFTParameters, load_rig
from avatardrive.transport import AvatarPlan, load_avatar_config, plan_avatar

__all__ = ["format_plan", "register"]

SYNCED_BUDGET = 256


def format_plan(plan: AvatarPlan, *, title: str, writable: int) -> str:
    """A readable report of a plan: driven parameters and how, what cannot be, the bit budget."""
    rows: list[tuple[str, str, str]] = []
    rows += [(route.address, "float", route.name) for route in plan.floats]
    rows += [(route.address, f"bool (on above {route.threshold:g})", route.name)
             for route in plan.bools]
    for binary in plan.binaries:
        stem = binary.bits[0][:-1]
        suffixes = ",".join(str(1 << k) for k in range(len(binary.bits)))
        sign = " + Negative" if binary.negative else ""
        how = f"{len(binary.bits)}-bit binary{' + sign' if binary.negative else ''}"
        rows.append((f"{stem}{{{suffixes}}}{sign}", how, binary.name))
    rows += [(address, "bool, on while streaming", "tracking active") for address in plan.flags]
    lines = [title, f"{writable} writable parameters ({plan.read_only} read-only built-ins "
             f"ignored)", ""]
    lines.append(f"avatardrive drives {len(rows)}:")
    if rows:
        width = max(len(r[0]) for r in rows)
        how_width = max(len(r[1]) for r in rows)
        lines += [f"  {a:<{width}}  {h:<{how_width}}  <- {n}" for a, h, n in rows]
    else:
        lines.append("  nothing: the avatar declares no face-tracking parameter avatardrive "
                     "computes")
    if plan.skipped:
        lines += ["", f"cannot drive {len(plan.skipped)}:"]
        width = max(len(name) for name, _ in plan.skipped)
        lines += [f"  {name:<{width}}  {reason}" for name, reason in plan.skipped]
    if plan.others:
        lines += ["", f"left alone: {plan.others} other parameters (not face tracking)"]
    lines += [
        "",
        f"synced-bit budget: {plan.synced_bits} of {SYNCED_BUDGET} bits if every driven "
        f"parameter is synced (floats 8 bits, bools 1); binary parameters alone use "
        f"{plan.binary_bits}.",
    ]
    if plan.synced_bits > SYNCED_BUDGET:
        lines.append("  (VRChat syncs at most 256 bits: templates keep most floats local and "
                     "sync the binary bits)")
    return "\n".join(lines)


def _cmd_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    config = load_avatar_config(args.file)
    rig = load_rig(args.rig)
    derived = VRCFTParameters(rig.shape_names, CHANNELS)
    own = [name for name in rig.shape_names if name not in derived.names]
    names = (*derived.names, *own)
    plan = plan_avatar(config, names, drivable=derived.drivable | set(own), base=derived.base)
    title = f"{args.file}: avatar {config.id or '(no id)'}"
    if config.name:
        title += f" {config.name!r}"
    out.write(format_plan(plan, title=title, writable=len(config.parameters)) + "\n")
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the VRChat commands to the ``avatardrive`` command line."""
    vrchat = commands.add_parser(
        "vrchat",
        help="check a VRChat avatar's OSC config before streaming to it",
        description="VRChat avatars: what they accept and what avatardrive sends them.",
    )
    actions = vrchat.add_subparsers(dest="vrchat_command", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check",
        help="list what an avatar accepts, what avatardrive drives and how, and the bit budget",
        description="Read an avatar OSC config (VRChat's OSC folder: <usr_id>/Avatars/"
                    "<avtr_id>.json) and list the parameters avatardrive will drive (float, "
                    "bool, N-bit binary), those it cannot, and the synced-bit budget.",
    )
    check.add_argument("file", metavar="AVATAR.json", help="the avatar's OSC config file")
    check.add_argument("--rig", default="vrcft",
                       help="rig whose shapes feed the parameters (default vrcft)")
    check.set_defaults(func=_cmd_check)
