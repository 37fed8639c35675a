"""Timeline commands: ``render``, ``validate`` and ``emotions``."""

from __future__ import annotations

import argparse
import math
import os
import time
from collections.abc import Callable, Sequence
from typing import TextIO

from avatardrive.cli import _args
from avatardrive.cli._console import progress, table
from avatardrive.cli._summary import PEAK_COLUMNS, blink_summary, event_peaks, peak_rows
from avatardrive.curves import CURVE_SUFFIXES, CurveWriter, write_curves
from avatardrive.errors import ParameterError
from avatardrive.facs import CHANNELS
from avatardrive.retarget import Rig, load_rig
from avatardrive.synth import (
    ChunkedRender,
    emotion_library,
    mood_map,
    render,
    resolve_timeline,
)
from avatardrive.timeline import Timeline, load_timeline

__all__ = ["check_output", "register"]


def check_output(path: str, *, suffixes: Sequence[str] | None = None) -> None:
    """Refuse an output path with the wrong suffix or a missing folder, before any work."""
    allowed = CURVE_SUFFIXES if suffixes is None else tuple(suffixes)
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in allowed:
        raise ParameterError(
            f"output {path!r} has suffix {suffix or '(none)'!r}; expected one of "
            f"{', '.join(allowed)}"
        )
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise ParameterError(
            f"output folder {parent!r} does not exist; expected an existing folder"
        )


def _cmd_render(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    check_output(args.output)
    rig = None if args.rig is None else load_rig(args.rig)  # a bad rig fails before rendering
    timeline = load_timeline(args.timeline)
    began = time.monotonic()
    with progress(err, "rendering", quiet=args.quiet) as update:
        if args.summary:  # the summary looks at whole curves: render them in memory
            curves = render(timeline, fps=args.fps, progress=update)
            written = curves if rig is None else rig.forward(curves)
            write_curves(written, args.output)
            frames, fps, names = curves.n_frames, curves.fps, written.names
        else:  # chunk by chunk: memory does not grow with the timeline's length
            frames, fps, names = _render_chunked(timeline, args.fps, rig, args.output, update)
    seconds = time.monotonic() - began
    if args.quiet:
        return 0
    columns = "channels" if rig is None else f"shapes of rig {rig.name}"
    out.write(
        f"wrote {args.output}: {frames} frames x {len(names)} {columns} "
        f"at {fps:g} fps ({frames / fps:.2f} s) in {seconds:.2f} s\n"
    )
    if args.summary:  # curves: rendered whole above
        resolved = resolve_timeline(timeline)
        out.write("\n")
        table(out, PEAK_COLUMNS, peak_rows(event_peaks(curves, resolved)), numbers=(3, 4, 5, 6))
        count, rate = blink_summary(curves)
        out.write(
            f"\nblinks (AU45): {count} in {curves.duration:.1f} s = {rate:.1f} per minute "
            f"(setting {timeline.blink_rate:g})\n"
        )
    return 0


def _render_chunked(
    timeline: Timeline, fps: float | None, rig: Rig | None, output: str,
    update: Callable[[float], None],
) -> tuple[int, float, tuple[str, ...]]:  # fmt: skip
    """Render and write chunk by chunk (memory of one chunk); return frames, fps and columns."""
    plan = ChunkedRender(timeline, fps=fps)
    names = CHANNELS if rig is None else rig.shape_names
    with CurveWriter(output, names=names, fps=plan.fps, n_frames=plan.n_frames) as writer:
        for chunk in plan.chunks(progress=update):
            writer.write((chunk if rig is None else rig.forward(chunk)).values)
    return plan.n_frames, plan.fps, tuple(names)


def _cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    timeline = load_timeline(args.timeline)
    plan = ChunkedRender(timeline)  # resolves every event and checks the size of the render
    duration = plan.n_frames / plan.fps
    mood = f", {len(timeline.mood)} mood keys" if timeline.mood else ""
    out.write(
        f"{args.timeline}: ok - {len(timeline.events)} events{mood}, {duration:.2f} s at "
        f"{timeline.fps:g} fps, seed {timeline.seed}, blend {timeline.blend}\n"
    )
    return 0


def _au_list(items: Sequence[tuple[object, float]]) -> str:
    parts = []
    for key, value in items:
        code = getattr(key, "code", str(key))
        side = getattr(key, "side", None)
        prefix = side if side else ""
        parts.append(f"{prefix}{code[2:]}" if prefix else code[2:])
        parts[-1] += "ABCDE"[min(4, max(0, round(value * 5) - 1))]
    return "+".join(parts)


def _mood_lines(valence: float, arousal: float) -> list[str]:
    """What a mood maps to: its strength and direction, the emotions mixed, the AUs shown."""
    library = emotion_library()
    moods = mood_map(library)
    frame = moods.frame(valence, arousal)
    weights = moods.weights([valence], [arousal])[0]
    angle = math.degrees(math.atan2(arousal, valence)) % 360.0
    strength = float(weights.sum())
    lines = [
        f"mood valence {valence:+.2f}, arousal {arousal:+.2f}: direction {angle:.0f} degrees, "
        f"strength {strength:.2f}"
    ]
    placed = {p.emotion: p for p in library.circumplex}
    for index in sorted(range(len(moods.names)), key=lambda i: -weights[i]):
        if weights[index] < 0.005:
            continue
        point = placed[moods.names[index]]
        lines.append(
            f"  {weights[index]:5.2f} x {point.emotion:<22} at ({point.valence:+.2f}, "
            f"{point.arousal:+.2f})"
        )
    sides: dict[str, list[float]] = {}
    for name, value in zip(CHANNELS, frame.tolist(), strict=True):
        sides.setdefault(name.split("_")[0], []).append(value)
    shown = [
        f"{au} {max(values):.2f}" if max(values) - min(values) < 0.005
        else f"{au} {values[0]:.2f}/{values[1]:.2f} (L/R)"
        for au, values in sorted(sides.items(), key=lambda item: -max(item[1]))
        if max(values) >= 0.01
    ]  # fmt: skip
    lines.append("  AUs: " + (", ".join(shown) if shown else "none (a neutral face)"))
    return lines


def _cmd_emotions(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.mood is not None:
        out.write("\n".join(_mood_lines(*args.mood)) + "\n")
        return 0
    library = emotion_library()
    if args.set is not None and args.set not in library.sets:
        raise ParameterError(
            f"unknown prototype set {args.set!r}; expected one of {', '.join(library.sets)}"
        )
    for set_name, info in library.sets.items():
        if args.set is not None and set_name != args.set:
            continue
        columns = ["prototype", "AUs", "optional AUs"] + (["source"] if args.sources else [])
        rows = [
            [proto.qualified_name, _au_list(proto.aus), _au_list(proto.optional)]
            + ([proto.source] if args.sources else [])
            for proto in library
            if proto.set == set_name
        ]
        out.write("\n")
        table(out, columns, rows, title=f"[{set_name}] {info.title}",
              caption=f"source: {info.source}")  # fmt: skip
    return 0


def _mood_value(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; expected -1 to 1") from None
    if not (math.isfinite(value) and -1.0 <= value <= 1.0):
        raise argparse.ArgumentTypeError(f"{text!r} is out of range; expected -1 to 1")
    return value


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the timeline commands to the ``avatardrive`` command line."""
    render_cmd = commands.add_parser(
        "render",
        help="render a timeline into AU curves (CSV, NPZ or JSON)",
        description="Render a timeline into AU curves: a time column, then AU1_L, AU1_R, ...",
    )
    render_cmd.add_argument("timeline", help="timeline file (.toml or .json)")
    render_cmd.add_argument(
        "-o", "--output", required=True, help="output file: .csv, .npz or .json"
    )
    render_cmd.add_argument("--fps", type=_args.fps, help="frame rate (default: the timeline's)")
    render_cmd.add_argument(
        "--rig",
        metavar="NAME|FILE",
        help="write rig weights instead of AU curves: a time column, then the rig's shape names "
        "(built-in rig name such as arkit52, or a rig file; `avatardrive rigs` lists them)",
    )
    render_cmd.add_argument(
        "--summary",
        action="store_true",
        help="print which AUs peak when and how high, and the blink rate",
    )
    render_cmd.add_argument("-q", "--quiet", action="store_true",
                            help="print nothing but errors (no progress bar, no report)")
    render_cmd.set_defaults(func=_cmd_render)

    validate = commands.add_parser(
        "validate",
        help="check a timeline file",
        description="Check a timeline file: syntax, "
        "keys, values and emotion names. Exit 0 if valid, 2 with one line naming the problem.",
    )
    validate.add_argument("timeline", help="timeline file (.toml or .json)")
    validate.set_defaults(func=_cmd_validate)

    emotions = commands.add_parser(
        "emotions",
        help="list the emotion prototypes with their AUs and sources",
        description="List the emotion prototype library: each prototype's AUs (letters are FACS "
        "intensities, [..] optional AUs, U = one side chosen by the event) and its source.",
    )
    emotions.add_argument("--set", help="only this prototype set (canonical, dong, ...)")
    emotions.add_argument("--sources", action="store_true", help="show each prototype's source")
    emotions.add_argument(
        "--mood",
        nargs=2,
        type=_mood_value,
        metavar=("VALENCE", "AROUSAL"),
        help="print what a mood (valence and arousal in [-1, 1]) maps to: the emotions mixed "
        "and the AUs shown",
    )
    emotions.set_defaults(func=_cmd_emotions)
