"""Streaming and file commands: ``play`` (any input to engines), ``serve`` (a living neutral face
driven by control messages), ``monitor`` (a debugging receiver), ``export`` (any input as a Live
Link Face CSV or rig weights) and ``convert`` (any input as AU curve files)."""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TextIO

import numpy as np
from numpy.typing import NDArray

from avatardrive.cli import _args
from avatardrive.cli._cmd_timeline import check_output
from avatardrive.cli._console import (
    RateMeter,
    StatusLine,
    elapsed_text,
    progress,
    quiet_logging,
)
from avatardrive.curves import Curves, write_curves
from avatardrive.errors import ParameterError
from avatardrive.pipeline import (
    BaseSource,
    CurvesSource,
    IdleSource,
    Player,
    PlayReport,
    Route,
    close_routes,
    load_input,
    open_routes,
)
from avatardrive.retarget import load_rig
from avatardrive.synth import GAZE_MODES, IdleLife, Mixer
from avatardrive.transport import (
    ControlListener,
    Frame,
    LiveLinkCsvSink,
    MonitorSnapshot,
    StreamMonitor,
    ValueRange,
)
from avatardrive.views._monitor_view import run_monitor_window
from avatardrive.views._puppet_plots import window_qt

__all__ = ["add_quiet_option", "control_text", "errors_text", "register"]

FloatArray = NDArray[np.float32]

_MONITOR_TOP = 12


def _play_report(out: TextIO, report: PlayReport, routes: list[Route], elapsed: float) -> None:
    clock = report.clock
    out.write(
        f"played {clock.frames} frames in {elapsed:.2f} s, skipped {clock.skipped}; lateness "
        f"p50 {clock.p50 * 1e3:.2f} ms, p99 {clock.p99 * 1e3:.2f} ms\n"
    )
    for route in routes:
        stats = getattr(route.sink, "stats", None)
        detail = f" ({stats.datagrams} datagrams, {stats.errors} errors)" if stats else ""
        out.write(f"  -> {route.label} as {route.rig.name}{detail}\n")
    if report.commands:
        out.write(f"control: {report.commands} commands, {report.rejected_commands} ignored\n")


def errors_text(routes: Sequence[Route]) -> str:
    """`` errors=0`` (one destination) or `` errors=0,12`` (in ``--to`` order) for a status
    line; empty when no destination counts errors (a file)."""
    counts = [str(stats.errors) for r in routes if (stats := getattr(r.sink, "stats", None))]
    return f" errors={','.join(counts)}" if counts else ""


def control_text(control: ControlListener | None) -> str:
    """`` cmds=3 rejected=1`` (control commands accepted, datagrams rejected) for a status line;
    empty without a control port."""
    if control is None:
        return ""
    stats = control.stats
    rejected = stats.malformed + stats.unknown_address + stats.dropped
    return f" cmds={stats.accepted} rejected={rejected}"


def _play_status(player: Player, routes: list[Route], control: ControlListener | None,
                 ) -> Callable[[float], str]:  # fmt: skip
    meter = RateMeter()

    def render(elapsed: float) -> str:
        clock = player.stats
        rate = meter(elapsed, clock.frames)
        return (f"{elapsed_text(elapsed)} frames={clock.frames} fps={rate:.1f} "
                f"skipped={clock.skipped} late={clock.p99 * 1e3:.1f}ms"
                f"{errors_text(routes)}{control_text(control)}")

    return render


def _stream(
    args: argparse.Namespace, out: TextIO, err: TextIO, base: BaseSource, *, frames: int | None,
    mixer: Mixer, what: str,
) -> int:  # fmt: skip
    """Open the routes and control port, stream ``base`` until ``frames`` or a stop, report."""
    say = _silent if args.quiet else out.write
    routes = open_routes(args.to, rig=args.rig)
    control = None
    try:
        if args.control:
            control = ControlListener(args.control, host=args.control_host)
        player = Player(base, routes, rate=args.rate, mixer=mixer, control=control)
        if control is not None:
            host, port = control.address
            say(f"control: listening on {host}:{port}\n")
        say(f"{what} at {args.rate:g} Hz to {', '.join(r.label for r in routes)}\n")
        out.flush()
        began = time.monotonic()
        status = StatusLine(err, _play_status(player, routes, control), quiet=args.quiet)
        with quiet_logging(args.quiet), status:
            report = player.run(frames=frames)
    finally:
        close_routes(routes)
        if control is not None:
            control.close()
    if report.interrupted:
        say("stopped; sent a neutral frame\n")
    if not args.quiet:
        _play_report(out, report, routes, time.monotonic() - began)
    return 0


def _silent(text: str) -> int:
    return 0


def _cmd_play(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    loaded = load_input(args.input, fps=args.rate)
    curves = loaded.curves
    frames: int | None = curves.n_frames
    if args.loop:
        frames = None if args.seconds is None else round(args.seconds * args.rate)
    elif args.seconds is not None:
        frames = min(curves.n_frames, round(args.seconds * args.rate))
    timeline = loaded.timeline
    mixer = Mixer() if timeline is None else Mixer(
        seed=timeline.seed, avatar_asymmetry=timeline.asymmetry, prototypes=timeline.prototypes
    )  # fmt: skip
    base = CurvesSource(curves, loop=args.loop)
    return _stream(args, out, err, base, frames=frames, mixer=mixer,
                   what=f"playing {args.input} ({loaded.kind})")  # fmt: skip


def _cmd_serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    gaze = None if args.gaze == "off" else args.gaze
    life = IdleLife(fps=args.rate, blink_rate=args.blink_rate, seed=args.seed, gaze=gaze,
                    head=not args.still_head)  # fmt: skip
    base = IdleSource(life)
    frames = None if args.seconds is None else round(args.seconds * args.rate)
    blinks = f"{args.blink_rate:g} blinks/min" if args.blink_rate > 0 else "no blinks"
    eyes = "still eyes" if gaze is None else f"{gaze} gaze"
    head = "still head" if args.still_head or gaze is None else "head alive"
    return _stream(args, out, err, base, frames=frames, mixer=Mixer(seed=args.seed),
                   what=f"serving a living neutral face ({blinks}, {eyes}, {head}, "
                   f"seed {args.seed})")  # fmt: skip


def _format_values(values: Mapping[str, float], *, top: int) -> list[str]:
    ranked = sorted(values.items(), key=lambda item: (-abs(item[1]), item[0]))[:top]
    return [f"    {name:<40.40} {value:8.3f}" for name, value in ranked]


def _monitor_status(snapshot: MonitorSnapshot, *, top: int, peaks: bool = False) -> str:
    head = (
        f"frames {snapshot.frames}  rate {snapshot.rate:.1f}/s  max gap "
        f"{snapshot.max_gap * 1e3:.0f} ms  datagrams {snapshot.datagrams}  malformed "
        f"{snapshot.malformed}  shapes {len(snapshot.values)}"
    )
    values = snapshot.peaks if peaks else snapshot.values
    title = "  peak value per shape:" if peaks else "  current values:"
    return "\n".join([head, title, *_format_values(values, top=top)]) + "\n"


def _watch_monitor(monitor: StreamMonitor, args: argparse.Namespace, out: TextIO,
                   err: TextIO) -> float | None:  # fmt: skip
    """Watch until ``--seconds``, ``--idle`` or Ctrl-C: a live status on a terminal, a status
    block every ``--every`` seconds when asked; return the monotonic time of the first datagram
    (None if nothing arrived)."""
    began = time.monotonic()
    next_status = None if args.every is None else began + args.every
    first_seen: float | None = None

    def render(elapsed: float) -> str:
        return f"{elapsed_text(elapsed)}  " + _monitor_status(monitor.snapshot(), top=args.top)

    live = StatusLine(err, render, quiet=args.quiet or next_status is not None)
    try:
        with quiet_logging(args.quiet), live:
            while True:
                time.sleep(0.05)
                now = time.monotonic()
                snapshot = monitor.snapshot()
                if first_seen is None and snapshot.datagrams:
                    first_seen = now - snapshot.age
                if args.seconds is not None and now - began >= args.seconds:
                    break
                silent = snapshot.age if snapshot.datagrams else now - began
                if args.idle is not None and silent >= args.idle:
                    break
                if next_status is not None and now >= next_status:
                    out.write(_monitor_status(snapshot, top=args.top))
                    out.flush()
                    next_status += args.every
    except KeyboardInterrupt:
        pass
    return first_seen


def _cmd_monitor(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    qt = window_qt("monitor") if args.plot else None  # no gui extra or display: say so first
    with StreamMonitor(args.port, host=args.host) as monitor:
        host, port = monitor.address
        stop = "close the window, Esc or Ctrl-C" if qt is not None else "Ctrl-C"
        if not args.quiet:
            out.write(f"monitor: listening on {host}:{port} ({stop} to stop)\n")
            out.flush()
        if qt is not None:
            first_seen = run_monitor_window(qt, monitor, top=args.top, seconds=args.seconds,
                                            idle=args.idle)  # fmt: skip
        else:
            first_seen = _watch_monitor(monitor, args, out, err)
        snapshot = monitor.snapshot()
    if args.quiet:
        return 0
    span = (time.monotonic() - snapshot.age) - first_seen if first_seen is not None else 0.0
    average = (snapshot.frames - 1) / span if span > 0 and snapshot.frames > 1 else 0.0
    snapshot = dataclasses.replace(snapshot, rate=average)
    out.write(
        "\nreceived in all (rate: the average):\n"
        + _monitor_status(snapshot, top=10**6, peaks=True)
    )
    return 0


def _export_livelink(curves: Curves, path: str, rig_name: str,
                     update: Callable[[float], None]) -> int:  # fmt: skip
    """Write ``curves`` retargeted to the rig as a Live Link Face CSV; return the frame count."""
    rig = load_rig(rig_name)
    weights = rig.forward(curves)
    angles = rig.bone_angles(curves).astype(np.float32)  # head and eye columns
    pose = np.zeros((len(rig.bone_names), 7), dtype=np.float32)  # unused by the CSV
    pose[:, 6] = 1.0
    sink = LiveLinkCsvSink(path, rate=round(curves.fps), ranges=ValueRange(0.0, rig.scale))
    with sink:
        for index, row in enumerate(weights.values):
            sink.send(Frame(index, float(index / curves.fps), rig.shape_names, row,
                            bones=rig.bone_names, pose=pose, angles=angles[index]))
            if index % 256 == 0:
                update(index / weights.n_frames)
    return weights.n_frames


def _cmd_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    check_output(args.output, suffixes=(".csv",) if args.format == "livelink-csv" else None)
    with progress(err, "reading", quiet=args.quiet) as update:
        curves = load_input(args.input, fps=args.fps, progress=update).curves
    if args.format == "livelink-csv" and round(curves.fps) != curves.fps:
        raise ParameterError(f"fps {curves.fps:g}; a Live Link CSV needs a whole frame rate")
    with progress(err, "writing", quiet=args.quiet) as update:
        if args.format == "livelink-csv":
            frames = _export_livelink(curves, args.output, args.rig, update)
        else:
            weights = load_rig(args.rig).forward(curves)
            write_curves(weights, args.output)
            frames = weights.n_frames
    if not args.quiet:
        out.write(f"wrote {args.output}: {frames} frames of {args.rig} as {args.format}\n")
    return 0


INPUT_HELP = ("a timeline (.toml/.json), a curve file (.csv/.npz/.json from render or --record), "
              "an OpenFace 2.x CSV or a Live Link Face CSV")
_CONTROL_MESSAGES = ("/avatardrive/emotion s f, /avatardrive/micro s f, /avatardrive/au s f f, "
                     "/avatardrive/neutral")


def _add_stream_options(parser: argparse.ArgumentParser, *, control_required: bool) -> None:
    """``--to``, ``--rig``, ``--rate``, ``--seconds`` and the control port (play and serve)."""
    parser.add_argument("--to", action="append", required=True, metavar="URL",
                        help="destination, e.g. vmc://127.0.0.1:39539, "
                        "osc://host:port?rig=arkit52, vrchat://127.0.0.1:9000, "
                        "livelink://host:11111 (repeat for several)")  # fmt: skip
    parser.add_argument("--rig", help="rig for destinations whose URL names none (default per "
                        "scheme: vmc vrm0, vrchat vrcft, osc arkit52)")  # fmt: skip
    parser.add_argument("--rate", type=_args.fps, default=60.0, help="frames per second (60)")
    parser.add_argument("--seconds", type=_args.seconds, help="stop after this many seconds")
    parser.add_argument("--control", type=_args.port_number, metavar="PORT",
                        required=control_required,
                        help="listen for control messages on this UDP port")  # fmt: skip
    parser.add_argument("--control-host", default="127.0.0.1",
                        help="address the control port binds (127.0.0.1)")  # fmt: skip
    add_quiet_option(parser)


def add_quiet_option(parser: argparse.ArgumentParser) -> None:
    """``--quiet``: no progress, status line or report; errors only."""
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="print nothing but errors (no status line, no report)")  # fmt: skip


def _cmd_convert(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    check_output(args.output)
    with progress(err, "reading", quiet=args.quiet) as update:
        loaded = load_input(args.input, fps=args.fps, progress=update)
    curves = loaded.curves
    write_curves(curves, args.output)
    if not args.quiet:
        out.write(f"wrote {args.output}: {curves.n_frames} frames at {curves.fps:g} fps from "
                  f"the {loaded.kind} {args.input}\n")  # fmt: skip
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``play``, ``serve``, ``monitor``, ``export`` and ``convert`` to the command line."""
    play = commands.add_parser(
        "play",
        help="stream a timeline, curve file or recorded take to engines (VMC, VRChat, OSC)",
        description="Play an input in real time to one or more destinations. Control messages "
        f"({_CONTROL_MESSAGES}) layer expressions on top. The end of the input, Ctrl-C, SIGTERM "
        "or SIGHUP sends a final neutral frame.",
    )
    play.add_argument("input", help=INPUT_HELP)
    _add_stream_options(play, control_required=False)
    play.add_argument("--loop", action="store_true", help="start over at the end")
    play.set_defaults(func=_cmd_play)

    serve = commands.add_parser(
        "serve",
        help="stream a living neutral face and layer what the control port triggers",
        description="No timeline: streams a neutral face with spontaneous blinks, idle gaze "
        "(saccades between fixations) and head life, all seeded, and "
        f"layers whatever arrives on the control port ({_CONTROL_MESSAGES}) until stopped "
        "(Ctrl-C, SIGTERM or SIGHUP: a final neutral frame). The mode a game uses to drive an "
        "NPC's face from game events.",
    )
    _add_stream_options(serve, control_required=True)
    serve.add_argument("--blink-rate", type=_args.blink_rate, default=17.0, metavar="PER_MIN",
                       help="spontaneous blinks per minute, 0 for none (17)")  # fmt: skip
    serve.add_argument("--gaze", choices=(*GAZE_MODES, "off"), default="listening",
                       help="idle gaze: saccades and fixations of a listener (default), a "
                       "speaker, free looking, or off")  # fmt: skip
    serve.add_argument("--still-head", action="store_true",
                       help="keep the head still (by default it joins large gaze shifts and "
                       "sways slowly)")  # fmt: skip
    serve.add_argument("--seed", type=_args.seed, default=0,
                       help="random seed of blinks, gaze and head (0)")  # fmt: skip
    serve.set_defaults(func=_cmd_serve)

    monitor = commands.add_parser(
        "monitor",
        help="receive an OSC stream and show its values, frame rate and gaps",
        description="A debugging receiver for any OSC sender (VMC, VRChat, generic).",
    )
    monitor.add_argument(
        "--port", type=_args.port_number, default=39539, help="UDP port (39539, VMC)"
    )
    monitor.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    monitor.add_argument("--every", type=_args.seconds,
                         help="print a status block every N seconds (for logs; on a terminal "
                         "a live status is shown without it)")  # fmt: skip
    monitor.add_argument("--top", type=int, default=_MONITOR_TOP, help="values shown per status")
    monitor.add_argument("--seconds", type=_args.seconds, help="stop after this many seconds")
    monitor.add_argument("--idle", type=_args.seconds,
                         help="stop once the stream has been silent this long, or once "
                         "no sender has appeared for this long")  # fmt: skip
    monitor.add_argument("--plot", action="store_true",
                         help="show the values live in a window: bars of the current values "
                         "(--top), scrolling lines of the most active keys; rate and gaps in the "
                         "title (needs the gui extra)")  # fmt: skip
    add_quiet_option(monitor)
    monitor.set_defaults(func=_cmd_monitor)

    export = commands.add_parser(
        "export",
        help="write any input as rig weights (Live Link Face CSV, CSV, NPZ, JSON)",
        description="Read an input (a timeline is rendered), retarget it and write it for other "
        "tools: "
        "--format livelink-csv writes Live Link Face's CSV (PascalCase ARKit names, Timecode, "
        "BlendShapeCount).",
    )
    export.add_argument("input", help=INPUT_HELP)
    export.add_argument("--rig", default="arkit52", help="rig name or file (arkit52)")
    export.add_argument(
        "--format", choices=("livelink-csv", "weights"), default="livelink-csv",
        help="livelink-csv (default) or weights (.csv/.npz/.json by suffix)",
    )  # fmt: skip
    export.add_argument("--fps", type=_args.fps, help="frame rate (default: the input's)")
    export.add_argument("-o", "--output", required=True, help="output file")
    add_quiet_option(export)
    export.set_defaults(func=_cmd_export)

    convert = commands.add_parser(
        "convert",
        help="convert any input into an AU curve file (CSV, NPZ, JSON)",
        description="Read a timeline (rendered), a curve file, an OpenFace 2.x CSV or a Live Link "
        "Face CSV and write its AU curves as .csv, .npz or .json (by the output's suffix). "
        "Recorded takes are timed by their own clocks and resampled onto a uniform grid.",
    )
    convert.add_argument("input", help=INPUT_HELP)
    convert.add_argument("-o", "--output", required=True, help="output .csv, .npz or .json")
    convert.add_argument("--fps", type=_args.fps, help="frame rate (default: the input's)")
    add_quiet_option(convert)
    convert.set_defaults(func=_cmd_convert)
