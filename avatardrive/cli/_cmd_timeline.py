"""Timeline commands: ``render``, ``validate`` and ``emotions``."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from typing import TextIO

from avatardrive.cli import _args
from avatardrive.cli._summary import blink_summary, event_peaks, format_peaks
from avatardrive.curves import CURVE_SUFFIXES, CurveWriter, write_curves
from avatardrive.errors import ParameterError
from avatardrive.facs import CHANNELS
from avatardrive.retarget import Rig, load_rig
from avatardrive.synth import ChunkedRender, emotion_library, render, resolve_timeline
from avatardrive.timeline import Timeline, load_timeline

__all__ = ["check_output", "register"]


class _ProgressBar:
    """A progress bar on stderr, shown only once a render has taken longer than a second."""

    def __init__(self, stream: TextIO, *, delay: float = 1.0, width: int = 30) -> None:
        self.stream, self.delay, self.width = stream, delay, width
        self.began = time.monotonic()
        self.shown = False

    def __call__(self, fraction: float) -> None:
        if time.monotonic() - self.began < self.delay:
            return
        filled = round(fraction * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\rrendering [{bar}] {fraction:4.0%}")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")


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
    bar = _ProgressBar(err)
    began = time.monotonic()
    try:
        if args.summary:  # the summary looks at whole curves: render them in memory
            curves = render(timeline, fps=args.fps, progress=bar)
            written = curves if rig is None else rig.forward(curves)
            write_curves(written, args.output)
            frames, fps, names = curves.n_frames, curves.fps, written.names
        else:
            frames, fps, names = _render_chunked(timeline, args.fps, rig, args.output, bar)
    finally:
        bar.close()
    seconds = time.monotonic() - began
    columns = "channels" if rig is None else f"shapes of rig {rig.name}"
    out.write(
        f"wrote {args.output}: {frames} frames x {len(names)} {columns} "
        f"at {fps:g} fps ({frames / fps:.2f} s) in {seconds:.2f} s\n"
    )
    if args.summary:
        resolved = resolve_timeline(timeline)
        out.write("\n" + format_peaks(event_peaks(curves, resolved)) + "\n")
        count, rate = blink_summary(curves)
        out.write(
            f"\nblinks (AU45): {count} in {curves.duration:.1f} s = {rate:.1f} per minute "
            f"(setting {timeline.blink_rate:g})\n"
        )
    return 0


def _render_chunked(
    timeline: Timeline, fps: float | None, rig: Rig | None, output: str, bar: _ProgressBar
) -> tuple[int, float, tuple[str, ...]]:
    """Render and write chunk by chunk (memory of one chunk); return frames, fps and columns."""
    plan = ChunkedRender(timeline, fps=fps)
    names = CHANNELS if rig is None else rig.shape_names
    with CurveWriter(output, names=names, fps=plan.fps, n_frames=plan.n_frames) as writer:
        for chunk in plan.chunks(progress=bar):
            writer.write((chunk if rig is None else rig.forward(chunk)).values)
    return plan.n_frames, plan.fps, tuple(names)


def _cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    timeline = load_timeline(args.timeline)
    plan = ChunkedRender(timeline)  # resolves every event and checks the size of the render
    duration = plan.n_frames / plan.fps
    out.write(
        f"{args.timeline}: ok - {len(timeline.events)} events, {duration:.2f} s at "
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


def _cmd_emotions(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    library = emotion_library()
    if args.set is not None and args.set not in library.sets:
        raise ParameterError(
            f"unknown prototype set {args.set!r}; expected one of {', '.join(library.sets)}"
        )
    for set_name, info in library.sets.items():
        if args.set is not None and set_name != args.set:
            continue
        out.write(f"\n[{set_name}] {info.title}\n  source: {info.source}\n")
        for proto in library:
            if proto.set != set_name:
                continue
            optional = f" [{_au_list(proto.optional)}]" if proto.optional else ""
            out.write(f"  {proto.qualified_name:<34} {_au_list(proto.aus)}{optional}\n")
            if args.sources:
                out.write(f"  {'':<34} source: {proto.source}\n")
    return 0


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
    emotions.set_defaults(func=_cmd_emotions)
