"""The ``puppet`` command: live puppeteering in a window, with hotkeys, streamed to engines.

Qt and pyqtgraph (the ``gui`` extra) load only when the command runs; without them it says how to
install them and exits with 2, before any camera or model is opened.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from typing import TextIO

from avatardrive.cli import _args
from avatardrive.cli._cmd_live import (
    add_calibration_options,
    add_input_options,
    make_tracker,
    open_backend,
    open_source,
)
from avatardrive.errors import TrackingError
from avatardrive.pipeline import FramePump, PuppetController, Route, open_routes
from avatardrive.retarget import load_rig
from avatardrive.synth import Mixer
from avatardrive.tracking import FrameSource
from avatardrive.transport import ControlListener
from avatardrive.views._puppet_plots import window_qt
from avatardrive.views._puppet_window import DEFAULT_SIZE, PuppetWindow, run_puppet

__all__ = ["DEFAULT_RIG", "puppet_session", "register"]

DEFAULT_RIG = "arkit52"


def _title(source: FrameSource, routes: list[Route]) -> str:
    where = f" → {', '.join(r.label for r in routes)}" if routes else " (not streaming)"
    return f"avatardrive puppet — {source.description}{where}"


def _report(out: TextIO, window: PuppetWindow, controller: PuppetController) -> None:
    stats = window.stats
    state = window.state
    rate = f", {state.rate:.1f} fps at the end" if state is not None else ""
    out.write(
        f"puppeteered {controller.frames} frames{rate}; drew {stats.draws} times "
        f"({stats.deferred} draws put off to keep the stream on time); sent a neutral frame\n"
    )


def _close_routes(routes: list[Route]) -> None:
    for route in routes:
        route.sink.close()


@contextlib.contextmanager
def puppet_session(
    args: argparse.Namespace, out: TextIO
) -> Iterator[tuple[PuppetController, FramePump, str]]:
    """Open what ``puppet`` needs from its parsed options; close it all again on exit.

    Yields
    ------
    (PuppetController, FramePump, str)
        The controller (tracker, mixer, routes), the paced source, and a window title. On exit
        the routes get a neutral frame, then the control port, backend, source and routes close.
    """
    default_camera = all(
        getattr(args, name) is None for name in ("camera", "video", "images", "livelink")
    )
    if default_camera:
        args.camera = 0
    rig = load_rig(args.rig or DEFAULT_RIG)
    with contextlib.ExitStack() as stack:
        routes = open_routes(args.to or [], rig=args.rig)
        stack.callback(_close_routes, routes)
        source = _open(args, default_camera=default_camera)  # before MediaPipe loads
        stack.callback(source.close)
        backend = open_backend(args)
        stack.callback(backend.close)
        tracker = make_tracker(args, backend, out)
        control = ControlListener(args.control) if args.control else None
        if control is not None:
            stack.callback(control.close)
        controller = PuppetController(tracker, routes, rig=rig, mixer=Mixer(), control=control)
        stack.callback(controller.close)  # first of all: the neutral frame
        pump = FramePump(source, realtime=not args.fast, max_frames=args.max_frames)
        yield controller, pump, _title(source, routes)


def _open(args: argparse.Namespace, *, default_camera: bool) -> FrameSource:
    try:
        return open_source(args)
    except TrackingError as error:
        if not default_camera:
            raise
        raise TrackingError(
            f"{error.message}; without a camera, give --video FILE, --images DIR or --livelink CSV",
            source=error.source,
        ) from None


def _cmd_puppet(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    qt = window_qt("puppeteering")  # no gui extra or no display: say so before opening anything
    with puppet_session(args, out) as (controller, pump, title):
        out.write(f"{title}\n")
        out.flush()
        window = run_puppet(qt, controller, pump, size=args.size, title=title)
    _report(out, window, controller)
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``puppet`` command to the ``avatardrive`` command line."""
    puppet = commands.add_parser(
        "puppet",
        help="puppeteer an avatar live in a window: tracked face, hotkey emotions, curves",
        description="Track a face (webcam 0 by default) and stream it, in a window showing the "
        "camera with the face mesh, the last 10 s of AU curves and the rig's weights. Hotkeys "
        "layer expressions on the tracked face: 1-7 happiness, sadness, surprise, fear, anger, "
        "disgust, contempt (Shift: posed), M then 1-7 a micro-expression, B blink, C calibrate "
        "the neutral, Space freeze, Esc quit. Needs the gui extra: pip install "
        "'avatardrive[gui]'.",
    )
    add_input_options(puppet, required=False)
    add_calibration_options(puppet)
    puppet.add_argument("--to", action="append", metavar="URL",
                        help="destination (repeat for several): vmc://127.0.0.1:39539, "
                        "osc://host:port?rig=arkit52, vrchat://127.0.0.1:9000")  # fmt: skip
    puppet.add_argument("--rig", metavar="NAME|FILE",
                        help=f"rig whose weights the window shows ({DEFAULT_RIG}); also the rig "
                        "of destinations whose URL names none")  # fmt: skip
    puppet.add_argument("--control", type=_args.port_number, metavar="PORT",
                        help="listen for control messages on this UDP port")  # fmt: skip
    puppet.add_argument("--fast", action="store_true",
                        help="replay files as fast as they go, not in real time")  # fmt: skip
    puppet.add_argument("--max-frames", type=int, metavar="N",
                        help="stop after this many input frames")  # fmt: skip
    puppet.add_argument("--size", type=_args.image_size, default=DEFAULT_SIZE, metavar="WxH",
                        help=f"window size ({DEFAULT_SIZE[0]}x{DEFAULT_SIZE[1]})")  # fmt: skip
    puppet.set_defaults(func=_cmd_puppet)
