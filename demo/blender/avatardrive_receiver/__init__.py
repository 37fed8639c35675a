"""AvatarDrive Receiver: avatardrive's OSC stream (generic or VMC) → shape keys of one object,
and the head, neck and eye bones of an armature when one is set.

A non-blocking UDP socket is polled by a ``bpy.app.timers`` function: every tick drains all
pending datagrams, decodes complete frames (generic: one per bundle; VMC: at
``/VMC/Ext/Blend/Apply``) and sets the newest value of each shape on the target object's shape
keys. Nothing blocks Blender's UI and no thread touches bpy.

Bone rotations (VMC ``/VMC/Ext/Bone/Pos``, or the generic ``/avatardrive/head`` and ``gaze``)
turn the armature's Neck, Head and eye bones (found by common names, or named in the panel): each
rotation is taken from Unity's convention into the armature's space and then into the bone's own
rest frame (``bones`` module), so bones with any roll turn the right way.

The OSC parser, the frame decoder, name matching and the socket loop are plain Python modules of
this package (``osc``, ``frames``, ``names``, ``bones``, ``receiver``) without bpy, tested outside
Blender.
UI: 3D Viewport ▸ Sidebar (N) ▸ AvatarDrive.
"""

import bpy

from . import bones, frames, names
from .receiver import UdpReceiver

bl_info = {
    "name": "AvatarDrive Receiver",
    "author": "avatardrive",
    "version": (0, 1, 0),
    "blender": (3, 0, 0),
    "location": "3D Viewport > Sidebar (N) > AvatarDrive",
    "description": "Drive shape keys and head/eye bones from avatardrive's OSC stream "
                   "(generic /avatardrive/... or VMC /VMC/Ext/...) over UDP",
    "warning": "",
    "doc_url": "",
    "category": "Animation",
}

_REDRAW_EVERY = 0.25  # seconds between status-line redraws
_MAX_UNMATCHED = 64


class _State:
    """What lives only while Blender runs: the socket, the matcher cache, the status."""

    def __init__(self) -> None:
        self.receiver = None  # UdpReceiver while running
        self.scene_name = ""
        self.interval = 1.0 / 120.0
        self.matcher = None  # names.NameMatcher for the current key set
        self.matcher_key = None  # (object name, key names, mode) it was built for
        self.unmatched = set()
        self.applied = 0
        self.pose_frames = 0  # decoder.pose_frames last applied
        self.missing_bones = set()
        self.last_error = ""
        self.since_redraw = 0.0


_STATE = _State()


# ------------------------------------------------------------------------------------- settings


def _shape_key_owner(_settings, obj):
    return obj.type in {"MESH", "CURVE", "SURFACE", "LATTICE"}


def _is_armature(_settings, obj):
    return obj.type == "ARMATURE"


_BONE_SETTINGS = {"Neck": "neck_bone", "Head": "head_bone", "LeftEye": "left_eye_bone",
                  "RightEye": "right_eye_bone"}


class AvatarDriveReceiverSettings(bpy.types.PropertyGroup):
    """Per-scene settings of the receiver."""

    port: bpy.props.IntProperty(
        name="Port", default=39539, min=0, max=65535,
        description="UDP port to listen on (VMC default 39539; 0 picks a free port)")
    host: bpy.props.EnumProperty(
        name="Listen on", default="LOCAL",
        items=[("LOCAL", "This machine", "Bind 127.0.0.1: only senders on this machine"),
               ("ALL", "All interfaces", "Bind 0.0.0.0: senders on the network too")])
    protocol: bpy.props.EnumProperty(
        name="Protocol", default="AUTO",
        items=[("AUTO", "Auto", "Accept the generic schema and VMC"),
               ("GENERIC", "Generic OSC", "<prefix><shape> f, one frame per bundle"),
               ("VMC", "VMC", "/VMC/Ext/Blend/Val s f, applied at /VMC/Ext/Blend/Apply")])
    prefix: bpy.props.StringProperty(
        name="Prefix", default=frames.GENERIC_PREFIX,
        description="Address prefix of the generic schema (must start and end with /)")
    target: bpy.props.PointerProperty(
        name="Target", type=bpy.types.Object, poll=_shape_key_owner,
        description="Object whose shape keys are driven")
    matching: bpy.props.EnumProperty(
        name="Names", default="LOOSE",
        items=[("LOOSE", "Loose", "Case-insensitive; mouthSmileLeft = MouthSmileLeft = "
                                  "mouthSmile_L"),
               ("EXACT", "Exact", "Shape key names must equal the sent names")])
    armature: bpy.props.PointerProperty(
        name="Armature", type=bpy.types.Object, poll=_is_armature,
        description="Armature whose head, neck and eye bones the stream rotates (optional)")
    neck_bone: bpy.props.StringProperty(
        name="Neck bone", default="", description="Empty: found by name (Neck, J_Bip_C_Neck, ...)")
    head_bone: bpy.props.StringProperty(
        name="Head bone", default="", description="Empty: found by name (Head, J_Bip_C_Head, ...)")
    left_eye_bone: bpy.props.StringProperty(
        name="Left eye bone", default="",
        description="The performer's left eye; empty: found by name (LeftEye, eye.L, ...)")
    right_eye_bone: bpy.props.StringProperty(
        name="Right eye bone", default="",
        description="The performer's right eye; empty: found by name (RightEye, eye.R, ...)")
    rate: bpy.props.FloatProperty(
        name="Poll rate", default=120.0, min=1.0, max=1000.0, subtype="NONE",
        description="Timer ticks per second; each tick drains all pending datagrams")


# ------------------------------------------------------------------------------ start, stop, tick


def start_receiver(scene):
    """Bind the socket for ``scene``'s settings and register the timer; return the receiver.

    Raises ``OSError`` if the port cannot be bound and ``ValueError`` for a bad prefix.
    """
    stop_receiver()
    settings = scene.avatardrive_receiver
    receiver = UdpReceiver(
        settings.port, host="0.0.0.0" if settings.host == "ALL" else "127.0.0.1",
        protocol=settings.protocol.lower(), prefix=settings.prefix)
    receiver.start()
    _STATE.receiver, _STATE.scene_name = receiver, scene.name
    _STATE.interval = 1.0 / settings.rate
    _STATE.matcher = _STATE.matcher_key = None
    _STATE.unmatched.clear()
    _STATE.missing_bones.clear()
    _STATE.applied, _STATE.last_error, _STATE.pose_frames = 0, "", 0
    if not bpy.app.timers.is_registered(timer_tick):
        bpy.app.timers.register(timer_tick, first_interval=0.0, persistent=True)
    return receiver


def stop_receiver():
    """Close the socket and unregister the timer; safe when not running."""
    receiver, _STATE.receiver = _STATE.receiver, None
    if receiver is not None:
        receiver.stop()
    if bpy.app.timers.is_registered(timer_tick):
        bpy.app.timers.unregister(timer_tick)


def timer_tick():
    """The ``bpy.app.timers`` function: drain the socket, apply the newest values.

    Returns the seconds until the next call, or ``None`` (unregister) once stopped.
    """
    receiver = _STATE.receiver
    if receiver is None or not receiver.running:
        return None
    scene = bpy.data.scenes.get(_STATE.scene_name)
    if scene is None:
        _STATE.last_error = f"scene {_STATE.scene_name!r} is gone; receiver stopped"
        receiver.stop()
        return None
    try:
        values = receiver.poll()
        if values:
            _apply(scene.avatardrive_receiver, values)
        if receiver.decoder.pose_frames != _STATE.pose_frames:
            _STATE.pose_frames = receiver.decoder.pose_frames
            _apply_poses(scene.avatardrive_receiver, receiver.decoder.poses)
    except Exception as error:  # keep the timer alive; show the problem in the panel
        _STATE.last_error = f"{type(error).__name__}: {error}"
    _redraw_status()
    return _STATE.interval


def _apply(settings, values):
    obj = settings.target
    key = getattr(obj.data, "shape_keys", None) if obj is not None else None
    if key is None:
        _STATE.last_error = ("no target object with shape keys" if obj is None
                             else f"{obj.name!r} has no shape keys")
        return
    blocks = key.key_blocks
    matcher = _matcher(obj.name, key, settings.matching.lower())
    for name, value in values.items():
        targets = matcher.match(name)
        if not targets and len(_STATE.unmatched) < _MAX_UNMATCHED:
            _STATE.unmatched.add(name)
        for target in targets:
            blocks[target].value = value
    _STATE.applied += 1


def _apply_poses(settings, poses):
    """Rotate the armature's bones: Unity local rotation → armature space → the bone's frame."""
    from mathutils import Quaternion

    armature = settings.armature
    if armature is None or armature.type != "ARMATURE":
        return
    pose_bones = armature.pose.bones
    for role in bones.BONE_ROLES:
        rotation = poses.get(role)
        if rotation is None:
            continue
        name = bones.find_bone(pose_bones.keys(), role, getattr(settings, _BONE_SETTINGS[role]))
        if name is None:
            _STATE.missing_bones.add(role)
            continue
        pose_bone = pose_bones[name]
        rest = pose_bone.bone.matrix_local.to_quaternion()
        turned = rest.inverted() @ Quaternion(bones.unity_to_blender(rotation)) @ rest
        pose_bone.rotation_mode = "QUATERNION"
        pose_bone.rotation_quaternion = turned


def _matcher(object_name, key, mode):
    reference = key.reference_key.name if key.use_relative else None
    targets = tuple(block.name for block in key.key_blocks if block.name != reference)
    cache_key = (object_name, targets, mode)
    if _STATE.matcher_key != cache_key:
        _STATE.matcher = names.NameMatcher(targets, mode=mode)
        _STATE.matcher_key = cache_key
        _STATE.unmatched.clear()
    return _STATE.matcher


def _redraw_status():
    _STATE.since_redraw += _STATE.interval
    if _STATE.since_redraw < _REDRAW_EVERY:
        return
    _STATE.since_redraw = 0.0
    for window in bpy.context.window_manager.windows:
        for area in window.screen.areas:
            if area.type == "VIEW_3D":
                area.tag_redraw()


def status_lines():
    """The status shown in the panel, as lines of text."""
    receiver = _STATE.receiver
    if receiver is None or not receiver.running:
        lines = ["Stopped"]
    else:
        stats = receiver.stats
        lines = [f"Listening on {receiver.host}:{receiver.port} ({receiver.decoder.protocol})",
                 f"Packets {stats.packets}  Frames {stats.frames}  Applied {_STATE.applied}",
                 f"Malformed {stats.malformed}  Ignored messages {stats.ignored}"]
        if stats.last_error:
            lines.append(f"Last stream problem: {stats.last_error}")
    if _STATE.unmatched:
        shown = sorted(_STATE.unmatched)
        more = f" (+{len(shown) - 4} more)" if len(shown) > 4 else ""
        lines.append(f"No shape key for: {', '.join(shown[:4])}{more}")
    if _STATE.missing_bones:
        lines.append(f"No bone for: {', '.join(sorted(_STATE.missing_bones))}")
    if _STATE.last_error:
        lines.append(f"Last error: {_STATE.last_error}")
    return lines


# --------------------------------------------------------------------------------- operators, UI


class AvatarDriveStartReceiver(bpy.types.Operator):
    """Listen for the stream and drive the target's shape keys"""

    bl_idname = "avatardrive.receiver_start"
    bl_label = "Start Receiver"

    def execute(self, context):
        try:
            receiver = start_receiver(context.scene)
        except (OSError, ValueError) as error:
            _STATE.last_error = f"cannot start: {error}"
            self.report({"ERROR"}, _STATE.last_error)
            return {"CANCELLED"}
        self.report({"INFO"}, f"AvatarDrive receiver listening on UDP {receiver.port}")
        return {"FINISHED"}


class AvatarDriveStopReceiver(bpy.types.Operator):
    """Stop listening"""

    bl_idname = "avatardrive.receiver_stop"
    bl_label = "Stop Receiver"

    def execute(self, context):
        stop_receiver()
        return {"FINISHED"}


class AvatarDriveReceiverPanel(bpy.types.Panel):
    """Settings, start/stop and status of the receiver."""

    bl_idname = "AVATARDRIVE_PT_receiver"
    bl_label = "AvatarDrive Receiver"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "AvatarDrive"

    def draw(self, context):
        settings = context.scene.avatardrive_receiver
        layout = self.layout
        running = _STATE.receiver is not None and _STATE.receiver.running
        column = layout.column()
        column.prop(settings, "target")
        column.prop(settings, "matching")
        column.prop(settings, "armature")
        if settings.armature is not None:
            for prop in _BONE_SETTINGS.values():
                column.prop_search(settings, prop, settings.armature.data, "bones")
        settings_column = column.column()
        settings_column.enabled = not running  # socket settings apply at start
        settings_column.prop(settings, "protocol")
        settings_column.prop(settings, "port")
        settings_column.prop(settings, "host")
        if settings.protocol != "VMC":
            settings_column.prop(settings, "prefix")
        settings_column.prop(settings, "rate")
        if running:
            layout.operator(AvatarDriveStopReceiver.bl_idname, icon="PAUSE")
        else:
            layout.operator(AvatarDriveStartReceiver.bl_idname, icon="PLAY")
        box = layout.box()
        for line in status_lines():
            box.label(text=line)


_CLASSES = (
    AvatarDriveReceiverSettings,
    AvatarDriveStartReceiver,
    AvatarDriveStopReceiver,
    AvatarDriveReceiverPanel,
)


def register():
    for cls in _CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Scene.avatardrive_receiver = bpy.props.PointerProperty(
        type=AvatarDriveReceiverSettings)


def unregister():
    stop_receiver()
    del bpy.types.Scene.avatardrive_receiver
    for cls in reversed(_CLASSES):
        bpy.utils.unregister_class(cls)
