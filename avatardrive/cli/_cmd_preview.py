"""The ``preview`` command: any input played on the built-in preview face, to a video, GIF or PNG.

Qt (the ``gui`` extra) draws the face and OpenCV (the ``tracking`` extra) writes videos; both load
only when the command runs.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import TextIO

from avatardrive.cli import _args
from avatardrive.cli._cmd_timeline import check_output
from avatardrive.cli._console import progress
from avatardrive.curves import Curves
from avatardrive.errors import ParameterError
from avatardrive.pipeline import load_input
from avatardrive.views._plot_qt import application, load_qt
from avatardrive.views._preview import GIF_MAX_FPS, PREVIEW_SUFFIXES, write_preview

__all__ = ["register"]

DEFAULT_SIZE = (512, 512)


def _window(curves: Curves, start: float | None, end: float | None) -> Curves:
    """The part of the clip from ``start`` to ``end`` (seconds), or all of it."""
    if start is None and end is None:
        return curves
    lo = curves.start if start is None else start
    hi = math.inf if end is None else end
    if hi <= lo:
        raise ParameterError(f"--to {end:g} is not after --from {lo:g}; expected a later time")
    part = curves.slice(lo, hi)
    if part.n_frames == 0:
        raise ParameterError(f"--from/--to select no frame; the input runs from "
                             f"{curves.start:g} to {curves.end:.3f} s")  # fmt: skip
    return part


def _percent(bar: Callable[[float], None], *, step: int) -> Callable[[int, int], None]:
    """Progress per frame, passed on to the bar only when the percentage passes a multiple of
    ``step``."""
    shown = [-1]

    def update(done: int, total: int) -> None:
        percent = 100 * done // max(total, 1) // step * step
        if percent != shown[0]:
            shown[0] = percent
            bar(percent / 100)

    return update


def _cmd_preview(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    check_output(args.output, suffixes=PREVIEW_SUFFIXES)
    if args.at and not args.output.lower().endswith(".png"):
        raise ParameterError("--at chooses the times of a contact sheet; expected -o FILE.png")
    loaded = load_input(args.input, fps=args.fps)
    curves = _window(loaded.curves, args.start, args.end)
    qt = load_qt()
    application(qt, offscreen=True)
    with progress(err, "drawing") as bar:  # a bar on a terminal; nothing in a log
        report = write_preview(qt, curves, args.output, size=args.size, with_plot=args.with_plot,
                               times=args.at, progress=_percent(bar, step=1))  # fmt: skip
    width, height = report.size
    if report.fps:
        what = (f"{report.frames} frames at {report.fps:g} fps "
                f"({report.frames / report.fps:.2f} s)")  # fmt: skip
    else:
        what = f"a contact sheet of {report.frames} times"
    lanes = ""
    if report.units:
        lanes = "; curves of " + ", ".join(f"AU{n}" for n in report.units)
    out.write(f"wrote {report.path} ({width}x{height} px): {what} of {loaded.kind} "
              f"{loaded.path}{lanes}\n")  # fmt: skip
    if args.output.lower().endswith(".gif") and curves.fps > GIF_MAX_FPS:
        out.write(f"(the GIF plays at {report.fps:g} fps; the input's {curves.fps:g} fps is kept "
                  f"in .mp4)\n")  # fmt: skip
    return 0


def _times(text: str) -> list[float]:
    """``--at 1,2.5,4``: times in seconds, 0 or more."""
    return [_args.time_point(part) for part in text.split(",") if part.strip()]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``preview`` command to the ``avatardrive`` command line."""
    preview = commands.add_parser(
        "preview",
        help="play any input on the built-in preview face: video, GIF or contact sheet",
        description="Play a timeline, a curve file, or a recorded take (OpenFace or Live Link "
        "Face CSV) on avatardrive's built-in preview face - drawn from the AU channels "
        "themselves, shown as a mirror shows the performer (their left on the picture's left). "
        "-o FILE.mp4 (or .avi) writes a video at the input's frame rate, FILE.gif a short "
        f"animated GIF (at most {GIF_MAX_FPS:g} fps), FILE.png a contact sheet of chosen times. "
        "Needs the gui extra (and tracking for videos).",
    )
    preview.add_argument("input", help="timeline (.toml/.json), curve file, or recorded take")
    preview.add_argument("-o", "--output", required=True, metavar="FILE",
                         help="output: .mp4, .avi, .gif or .png")  # fmt: skip
    preview.add_argument(
        "--size", type=_args.image_size, default=DEFAULT_SIZE, metavar="WxH",
        help=f"the face's size in pixels (default: {DEFAULT_SIZE[0]}x{DEFAULT_SIZE[1]}); "
        "--with-plot adds the curves on the right",
    )  # fmt: skip
    preview.add_argument(
        "--with-plot", action="store_true",
        help="the face beside the curves of the 8 most active AUs and a time cursor (a clip up "
        "to 12 s is shown whole, a longer one scrolls)",
    )  # fmt: skip
    preview.add_argument("--from", dest="start", type=_args.time_point, metavar="SECONDS",
                         help="start here (default: the beginning)")  # fmt: skip
    preview.add_argument("--to", dest="end", type=_args.time_point, metavar="SECONDS",
                         help="stop here (default: the end)")  # fmt: skip
    preview.add_argument("--fps", type=_args.fps, metavar="FPS",
                         help="frame rate (default: the input's own)")  # fmt: skip
    preview.add_argument("--at", type=_times, metavar="T1,T2,...",
                         help="with -o FILE.png: the times (seconds) on the contact sheet "
                         "(default: 6 evenly spaced)")  # fmt: skip
    preview.set_defaults(func=_cmd_preview)
