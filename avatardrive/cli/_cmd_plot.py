"""The ``plot`` command: the timeline authoring view, as a window or a PNG.

Qt and pyqtgraph (the ``gui`` extra) load only when the command runs, so the rest of the command
line works without them; without them ``plot`` says how to install them and exits with 2.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from avatardrive.cli import _args
from avatardrive.errors import AvatarDriveError
from avatardrive.pipeline import load_input
from avatardrive.retarget import Rig, load_rig
from avatardrive.views._plot_draw import DEFAULT_SIZE, png_target, save_png
from avatardrive.views._plot_model import Figure, authoring_figure, curves_figure
from avatardrive.views._plot_qt import Qt, application, display_problem, load_qt
from avatardrive.views._plot_watch import FileWatcher, watch_loop
from avatardrive.views._plot_window import run_window

__all__ = ["png_target", "register"]


def _builder(args: argparse.Namespace, rig: Rig | None) -> Callable[[Path], Figure]:
    def build(path: Path) -> Figure:
        loaded = load_input(path)
        if loaded.timeline is not None:
            return authoring_figure(loaded.timeline, rig=rig, start=args.start, end=args.end,
                                    top_shapes=args.shapes)  # fmt: skip
        title = f"{path.name} ({loaded.kind}) — AU curves by face region"
        return curves_figure(loaded.curves, rig=rig, start=args.start, end=args.end,
                             top_shapes=args.shapes, title=title)  # fmt: skip

    return build


def _describe(figure: Figure) -> str:
    rig = f", rig {figure.rig.title}" if figure.rig is not None else ""
    return f"{len(figure.regions)} face regions, {len(figure.spans)} events{rig}"


def _write_png(qt: Qt, figure: Figure, target: Path, size: tuple[int, int], out: TextIO) -> None:
    save_png(qt, figure, target, size=size)
    out.write(f"wrote {target} ({size[0]}x{size[1]} px): {_describe(figure)}\n")
    out.flush()


def _watch_png(
    qt: Qt, watcher: FileWatcher[Figure], target: Path, args: argparse.Namespace, out: TextIO,
    err: TextIO,
) -> None:  # fmt: skip
    def rewrite(changed: FileWatcher[Figure]) -> None:
        if changed.error is not None or changed.result is None:
            err.write(f"avatardrive: error: {changed.error} (kept {target})\n")
            err.flush()
            return
        _write_png(qt, changed.result, target, args.size, out)

    out.write(f"watching {watcher.path} for changes (Ctrl-C to stop)\n")
    out.flush()
    watch_loop(watcher, rewrite)


def _cmd_plot(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    target = None if args.output is None else png_target(args.output)
    qt = load_qt()
    if target is None and (problem := display_problem()) is not None:
        raise AvatarDriveError(
            f"cannot open a plot window: {problem}; write a PNG instead with -o FILE.png, "
            f"or run where a display is available (set DISPLAY)"
        )
    rig = None if args.rig is None else load_rig(args.rig)
    watcher = FileWatcher(args.timeline, _builder(args, rig))
    figure = watcher.load()
    if target is None:
        return run_window(qt, watcher, size=args.size, watch=args.watch)
    application(qt, offscreen=True)
    _write_png(qt, figure, target, args.size, out)
    if args.watch:
        _watch_png(qt, watcher, target, args, out, err)
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``plot`` command to the ``avatardrive`` command line."""
    plot = commands.add_parser(
        "plot",
        help="plot a timeline's AU curves by face region (window or PNG)",
        description="Plot a timeline for authoring: its AU curves grouped by face region (left "
        "side solid, right side dashed), its events as labelled spans, and with --rig the weights "
        "of the rig's most active shapes. Opens a window, or writes a PNG with -o. Needs the gui "
        "extra: pip install 'avatardrive[gui]'.",
    )
    plot.add_argument("timeline", metavar="input", help="a timeline (.toml/.json), a curve file "
                      "(.csv/.npz/.json), an OpenFace 2.x CSV or a Live Link Face CSV")  # fmt: skip
    plot.add_argument("-o", "--output", metavar="FILE.png", help="write a PNG instead of a window")
    plot.add_argument(
        "--rig",
        metavar="NAME|FILE",
        help="add a panel of rig weights (built-in rig name such as arkit52, or a rig file)",
    )
    plot.add_argument(
        "--shapes",
        type=_args.at_least_one,
        default=8,
        metavar="N",
        help="rig shapes to show (default: 8)",
    )
    plot.add_argument(
        "--watch",
        action="store_true",
        help="re-render whenever the timeline file changes (with -o: rewrite the PNG)",
    )
    plot.add_argument(
        "--size",
        type=_args.image_size,
        default=DEFAULT_SIZE,
        metavar="WxH",
        help=f"image or window size in pixels (default: {DEFAULT_SIZE[0]}x{DEFAULT_SIZE[1]})",
    )
    plot.add_argument(
        "--from",
        dest="start",
        type=_args.time_point,
        metavar="SECONDS",
        help="start of the time window",
    )
    plot.add_argument(
        "--to", dest="end", type=_args.time_point, metavar="SECONDS", help="end of the time window"
    )
    plot.set_defaults(func=_cmd_plot)
