"""Run the AvatarDrive Receiver add-on in Blender without a UI; report the shape key values as JSON.

    blender --background --factory-startup --python-exit-code 1 \\
        --python demo/blender/headless_receiver.py -- --port 39539 --seconds 10 --out values.json

A probe mesh with the requested shape keys is created, the add-on is loaded (from this folder, or
installed from a zip as Edit ▸ Preferences ▸ Add-ons ▸ Install… does), the receiver is started
with its operator, and the add-on's own timer function is called in a loop: Blender in
``--background`` mode quits when this script ends and never runs ``bpy.app.timers`` by itself, so
the loop stands in for Blender's event loop (the timer is registered all the same and checked).

It stops after ``--seconds``, or once ``--frames`` frames were decoded (then it keeps draining
for ``--settle`` seconds). ``--ready`` names a file that receives ``{"port": …}`` once the socket
listens (port 0 picks a free port). The JSON written to ``--out`` holds every shape key value, the
receiver's counters and status lines. Use it to check that a stream reaches Blender at all.
With ``--armature``, a humanoid head rig (Neck and Head pointing up, eyes pointing forward, the
character facing -Y as Blender's are) is driven too, and the report holds each bone's rotation
in armature space relative to its rest (``bones``: quaternion w, x, y, z).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import addon_utils
import bpy

HERE = Path(__file__).resolve().parent
MODULE = "avatardrive_receiver"
DEFAULT_SHAPES = ("mouthSmileLeft", "mouthSmileRight", "jawOpen", "eyeBlinkLeft",
                  "eyeBlinkRight", "Joy", "A", "Blink_L", "Blink_R")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="headless_receiver.py", description=__doc__)
    parser.add_argument("--port", type=int, default=39539)
    parser.add_argument("--protocol", choices=["AUTO", "GENERIC", "VMC"], default="AUTO")
    parser.add_argument("--shapes", default=",".join(DEFAULT_SHAPES),
                        help="comma-separated shape keys of the probe mesh")
    parser.add_argument("--matching", choices=["LOOSE", "EXACT"], default="LOOSE")
    parser.add_argument("--install-zip", type=Path,
                        help="install the add-on from this zip (as the Preferences do)")
    parser.add_argument("--seconds", type=float, default=10.0, help="stop after this long")
    parser.add_argument("--frames", type=int, default=0, help="stop after this many frames")
    parser.add_argument("--settle", type=float, default=0.3)
    parser.add_argument("--ready", type=Path, help="write {'port': ...} here once listening")
    parser.add_argument("--armature", action="store_true",
                        help="also drive a probe armature's Neck, Head and eye bones")
    parser.add_argument("--out", type=Path, required=True)
    return parser.parse_args(argv)


def load_addon(zip_path: Path | None):  # -> the add-on module
    if zip_path is not None:
        result = bpy.ops.preferences.addon_install(filepath=str(zip_path), overwrite=True)
        if result != {"FINISHED"}:
            raise RuntimeError(f"installing {zip_path} failed: {result}")
        addon_utils.modules_refresh()
    elif str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    module = addon_utils.enable(MODULE, default_set=True, handle_error=_raise)
    if module is None:
        raise RuntimeError(f"enabling {MODULE} failed")
    return module


def _raise(error: BaseException) -> None:
    raise error


def make_probe(shapes: list[str]) -> bpy.types.Object:
    mesh = bpy.data.meshes.new("AvatarDriveProbe")
    mesh.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    obj = bpy.data.objects.new("AvatarDriveProbe", mesh)
    bpy.context.scene.collection.objects.link(obj)
    obj.shape_key_add(name="Basis", from_mix=False)
    for name in shapes:
        obj.shape_key_add(name=name, from_mix=False)
    return obj


# bone: (head, tail, parent, roll) in metres; the character faces -Y, its own left is +X
PROBE_BONES = {
    "Neck": ((0.0, 0.0, 1.40), (0.0, 0.0, 1.50), None, 0.0),
    "Head": ((0.0, 0.0, 1.50), (0.0, 0.0, 1.70), "Neck", 0.0),
    "eye.L": ((0.03, -0.08, 1.60), (0.03, -0.10, 1.60), "Head", 0.4),  # rolled on purpose
    "eye.R": ((-0.03, -0.08, 1.60), (-0.03, -0.10, 1.60), "Head", 0.0),
}


def make_armature() -> bpy.types.Object:
    armature = bpy.data.armatures.new("AvatarDriveRig")
    obj = bpy.data.objects.new("AvatarDriveRig", armature)
    bpy.context.scene.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    for name, (head, tail, parent, roll) in PROBE_BONES.items():
        bone = armature.edit_bones.new(name)
        bone.head, bone.tail, bone.roll = head, tail, roll
        if parent is not None:
            bone.parent = armature.edit_bones[parent]
    bpy.ops.object.mode_set(mode="OBJECT")
    return obj


def bone_report(obj: bpy.types.Object) -> dict[str, list[float]]:
    """Each bone's posed rotation relative to its rest, in armature space (w, x, y, z)."""
    bpy.context.view_layer.update()
    report = {}
    for pose_bone in obj.pose.bones:
        posed = pose_bone.matrix.to_quaternion()
        rest = pose_bone.bone.matrix_local.to_quaternion()
        report[pose_bone.name] = list(posed @ rest.inverted())
    return report


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    module = load_addon(args.install_zip)
    obj = make_probe([s for s in args.shapes.split(",") if s])
    settings = bpy.context.scene.avatardrive_receiver
    armature = make_armature() if args.armature else None
    if armature is not None:
        settings.armature = armature
    settings.target, settings.port = obj, args.port
    settings.protocol, settings.matching = args.protocol, args.matching
    if bpy.ops.avatardrive.receiver_start() != {"FINISHED"}:
        raise RuntimeError("; ".join(module.status_lines()))
    receiver = module._STATE.receiver
    timer_registered = bpy.app.timers.is_registered(module.timer_tick)
    if args.ready is not None:
        temporary = args.ready.with_name(args.ready.name + ".tmp")
        temporary.write_text(json.dumps({"port": receiver.port}))
        os.replace(temporary, args.ready)  # the reader never sees a half-written file

    deadline = time.monotonic() + args.seconds
    settled_at = None
    ticks = 0
    while time.monotonic() < deadline:
        interval = module.timer_tick()  # what Blender's event loop would call
        ticks += 1
        if interval is None:
            break
        if args.frames and settled_at is None and receiver.stats.frames >= args.frames:
            settled_at = time.monotonic() + args.settle
        if settled_at is not None and time.monotonic() >= settled_at:
            break
        time.sleep(interval)

    stats = receiver.stats
    report = {
        "addon_file": module.__file__,
        "port": receiver.port,
        "timer_registered": timer_registered,
        "ticks": ticks,
        "values": {block.name: block.value for block in obj.data.shape_keys.key_blocks},
        "packets": stats.packets, "frames": stats.frames, "malformed": stats.malformed,
        "ignored": stats.ignored, "status": module.status_lines(),
        "bones": bone_report(armature) if armature is not None else {},
    }
    bpy.ops.avatardrive.receiver_stop()
    report["timer_registered_after_stop"] = bpy.app.timers.is_registered(module.timer_tick)
    report["status_after_stop"] = module.status_lines()
    args.out.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    # Blender passes its own arguments too; ours follow "--". Run Blender with
    # --python-exit-code 1 so that an exception here makes it exit non-zero.
    sys.exit(main(sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []))
