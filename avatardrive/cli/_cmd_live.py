"""Live tracking commands: ``live`` and ``calibrate`` (``models fetch`` is in _cmd_models)."""

from __future__ import annotations

import argparse
import contextlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from avatardrive.cli import _args
from avatardrive.cli._cmd_stream import add_quiet_option, control_text, errors_text
from avatardrive.cli._cmd_timeline import check_output
from avatardrive.cli._console import RateMeter, StatusLine, elapsed_text, quiet_logging
from avatardrive.cli._tracking_options import ESTIMATORS, ListCameras, make_estimator
from avatardrive.errors import ParameterError, TrackingError
from avatardrive.pipeline import CurveRecorder, LiveSession, Route, close_routes, open_routes
from avatardrive.synth import Mixer
from avatardrive.tracking import (
    Backend,
    FaceLandmarkerBackend,
    FrameSource,
    ImageFolderSource,
    LiveLinkSource,
    RecordedBlendshapes,
    Tracker,
    TrackResult,
    VideoSource,
    WebcamSource,
    calibration_path,
    calibrations_dir,
    load_calibration,
    rest_calibration,
    save_calibration,
)
from avatardrive.transport import ControlListener

__all__ = [
    "add_calibration_options", "add_input_options", "make_tracker", "open_backend", "open_source",
    "register",
]  # fmt: skip


def open_source(args: argparse.Namespace) -> FrameSource:
    if args.camera is not None:
        source: FrameSource = WebcamSource(args.camera, mirrored=args.mirrored)
    elif args.video is not None:
        source = VideoSource(args.video, mirrored=args.mirrored)
    elif args.images is not None:
        source = ImageFolderSource(args.images, fps=args.fps, mirrored=args.mirrored)
    else:
        source = LiveLinkSource(args.livelink)
    source.open()
    return source


def open_backend(args: argparse.Namespace) -> Backend:
    if args.livelink is not None:
        return RecordedBlendshapes()
    return FaceLandmarkerBackend(args.model)


def make_tracker(args: argparse.Namespace, backend: Backend, out: TextIO) -> Tracker:
    filter_options: dict[str, object] = {"estimator": make_estimator(args, backend)}
    if getattr(args, "no_filter", False):
        filter_options["filter"] = None
    if getattr(args, "calibration", None):
        path = calibration_path(args.calibration, must_exist=True)
        calibration = load_calibration(path, backend=backend.name)
        out.write(f"using the neutral in {path}\n")
        return Tracker(backend, calibration=calibration, **filter_options)  # type: ignore[arg-type]
    if getattr(args, "no_calibrate", False):
        out.write("no calibration: the first frame is taken as the neutral\n")
        return Tracker(backend, calibrate_seconds=0.0, **filter_options)  # type: ignore[arg-type]
    if getattr(args, "livelink", None) and args.calibrate_seconds is None:
        tracker = Tracker(backend, calibrate_seconds=0.0, **filter_options)  # type: ignore[arg-type]
        tracker.set_calibration(rest_calibration(backend, tracker.estimator))
        out.write("a Live Link take is already relative to a rest face: no calibration "
                  "(--calibrate-seconds S captures one)\n")  # fmt: skip
        return tracker
    seconds = calibrate_seconds(args)
    out.write(
        f"calibrating the neutral on the first {seconds:g} s of input: "
        f"hold a rest face (as Live Link Face asks)\n"
    )
    return Tracker(backend, calibrate_seconds=seconds, **filter_options)  # type: ignore[arg-type]


def calibrate_seconds(args: argparse.Namespace) -> float:
    """The neutral capture's span: ``--calibrate-seconds``, 1 s when not given."""
    given = getattr(args, "calibrate_seconds", None)
    return DEFAULT_CALIBRATE_SECONDS if given is None else float(given)


DEFAULT_CALIBRATE_SECONDS = 1.0
NOT_STREAMING = "not streaming: no --to destination given (tracking only; add --to URL to stream)"


def _open_recorder(args: argparse.Namespace, source: FrameSource) -> CurveRecorder | None:
    if not args.record:
        return None
    return CurveRecorder(args.record, fps=source.fps if source.fps > 0 else 30.0)


class _LiveCounts:
    """Frames and faces so far, counted by the session's ``on_result`` (for the status line)."""

    def __init__(self) -> None:
        self.frames = self.faces = 0
        self.face_now = False

    def __call__(self, result: TrackResult, mixed: object) -> None:
        self.frames += 1
        self.faces += int(result.face_found)
        self.face_now = result.face_found


def _live_status(counts: _LiveCounts, routes: list[Route],
                 control: ControlListener | None) -> Callable[[float], str]:  # fmt: skip
    meter = RateMeter()

    def render(elapsed: float) -> str:
        rate = meter(elapsed, counts.frames)
        face = "yes" if counts.face_now else "NO"
        return (f"{elapsed_text(elapsed)} frames={counts.frames} fps={rate:.1f} face={face} "
                f"with-face={counts.faces}/{counts.frames}{errors_text(routes)}"
                f"{control_text(control)}")

    return render


def _cmd_live(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.record:
        check_output(args.record)
    say = out.write if not args.quiet else (lambda text: 0)
    routes = open_routes(args.to or [], rig=args.rig)
    if not routes:
        say(NOT_STREAMING + "\n")
    with contextlib.ExitStack() as stack:
        stack.callback(close_routes, routes)
        source = open_source(args)  # bad input fails here, before MediaPipe loads
        stack.callback(source.close)
        backend = open_backend(args)
        stack.callback(backend.close)
        tracker = make_tracker(args, backend, out if not args.quiet else io.StringIO())
        control = ControlListener(args.control) if args.control else None
        if control is not None:
            stack.callback(control.close)
        recorder = _open_recorder(args, source)
        counts = _LiveCounts()
        session = LiveSession(source, tracker, routes, mixer=Mixer(), control=control,
                              realtime=not args.fast, recorder=recorder,
                              on_result=counts)  # fmt: skip
        say(
            f"tracking {source.description}"
            + (f" -> {', '.join(r.label for r in routes)}" if routes else "")
            + "\n"
        )
        out.flush()
        status = StatusLine(err, _live_status(counts, routes, control), quiet=args.quiet)
        try:
            with quiet_logging(args.quiet), status:
                report = session.run(max_frames=args.max_frames)
        except BaseException:
            if recorder is not None:
                recorder.abort()
            raise
    rate = report.frames / report.seconds if report.seconds > 0 else 0.0
    say(
        f"tracked {report.frames} frames ({report.faces} with a face) in "
        f"{report.seconds:.2f} s = {rate:.1f} fps"
        + ("; stopped, sent a neutral frame" if report.interrupted else "")
        + "\n"
    )
    if recorder is not None:
        if report.frames == 0:
            recorder.abort()
            raise TrackingError("no frames were read; nothing to record", source=args.record)
        recorder.close()
        say(f"wrote {args.record}: the tracked AU curves, one row per input frame\n")
    return 0


def _calibration_output(args: argparse.Namespace) -> Path:
    """Where ``calibrate`` writes: ``-o FILE``, or a name (``-o ana``, else ``--performer``) in
    the calibrations folder, created if need be."""
    target = args.output or args.performer
    if not target:
        raise ParameterError("no output; expected -o FILE, -o NAME (saved in "
                             f"{calibrations_dir()}) or --performer NAME")
    path = calibration_path(target)
    if path.parent == calibrations_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
    if not path.parent.is_dir():
        raise TrackingError(f"folder {str(path.parent)!r} does not exist", source=str(path))
    return path


def _cmd_calibrate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    output = _calibration_output(args)
    source = open_source(args)  # bad input fails here, before MediaPipe loads
    try:
        backend = open_backend(args)
        try:
            tracker = make_tracker(args, backend, out)
            tracker.performer = args.performer
            while tracker.calibrating:
                frame = source.read()
                if frame is None:
                    break
                tracker.update(frame)
        finally:
            backend.close()
    finally:
        source.close()
    calibration = tracker.calibration
    if calibration is None or tracker.calibrating:
        raise TrackingError(
            f"the input ended before {calibrate_seconds(args):g} s with a face were seen; "
            "expected a longer input with a face in it",
            source=args.video or args.images or args.livelink or f"camera {args.camera}",
        )
    save_calibration(calibration, output)
    out.write(
        f"wrote {output}: the {calibration.backend} neutral of "
        f"{args.performer or 'this performer'} from {calibration.frames} frames\n"
    )
    return 0


def add_input_options(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """The input options shared by ``live``, ``calibrate`` and ``puppet``.

    ``required=False`` (``puppet``) makes the source optional: webcam 0 by default.
    """
    source = parser.add_mutually_exclusive_group(required=required)
    camera_help = "webcam index (OpenCV)" if required else "webcam index (default: 0)"
    source.add_argument("--camera", type=int, metavar="N", help=camera_help)
    source.add_argument("--list-cameras", action=ListCameras, nargs=0,
                        help="list the cameras OpenCV can open, and exit")  # fmt: skip
    source.add_argument("--video", metavar="FILE", help="a video file")
    source.add_argument("--images", metavar="DIR", help="a folder of images, in name order")
    source.add_argument("--livelink", metavar="CSV", help="a Live Link Face CSV recording")
    parser.add_argument("--fps", type=_args.fps, default=30.0,
                        help="frame rate of --images (30)")  # fmt: skip
    parser.add_argument("--mirrored", action="store_true",
                        help="the images are mirror images (a selfie preview); left and right "
                        "always mean the performer's own sides")  # fmt: skip
    parser.add_argument("--model", metavar="FILE",
                        help="another face_landmarker.task (default: the cached official "
                        "model; `avatardrive models fetch` puts it there)")  # fmt: skip
    parser.add_argument("--estimator", choices=sorted(ESTIMATORS),
                        help="AUs from landmark geometry, MediaPipe's blendshapes, or both "
                        "fused per AU (default: fused; learned for --livelink)")  # fmt: skip
    parser.add_argument("--calibrate-seconds", type=_args.seconds, metavar="SECONDS",
                        help="span of the neutral capture (1 s; a --livelink take is not "
                        "calibrated unless this is given: it is already relative to a rest "
                        "face)")  # fmt: skip


def add_calibration_options(parser: argparse.ArgumentParser) -> None:
    """``--calibration FILE | --no-calibrate`` and ``--no-filter`` (``live`` and ``puppet``)."""
    calibration = parser.add_mutually_exclusive_group()
    calibration.add_argument("--calibration", metavar="FILE|NAME",
                             help="a neutral saved by `avatardrive calibrate`: a file, or a "
                             "name in the calibrations folder")  # fmt: skip
    calibration.add_argument("--no-calibrate", action="store_true",
                             help="take the first frame as the neutral")  # fmt: skip
    parser.add_argument("--no-filter", action="store_true", help="no smoothing (raw estimates)")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``live`` and ``calibrate`` to the ``avatardrive`` command line."""
    live = commands.add_parser(
        "live",
        help="track a face (camera, video, images, Live Link CSV) and stream its AUs",
        description="Track a face into AU curves and stream them. By default the first second "
        "of input calibrates the neutral: hold a rest face. Control messages layer emotions, "
        "micro-expressions and AU pulses on top; /avatardrive/calibrate recalibrates.",
    )
    add_input_options(live)
    add_calibration_options(live)
    live.add_argument("--to", action="append", metavar="URL",
                      help="destination (repeat for several): vmc://127.0.0.1:39539; without "
                      "one, nothing is streamed (and live says so)")  # fmt: skip
    live.add_argument("--rig", help="rig for destinations whose URL names none")
    live.add_argument("--record", metavar="OUT",
                      help="write the tracked AU curves: .csv, .npz or .json")  # fmt: skip
    live.add_argument("--control", type=_args.port_number, metavar="PORT",
                      help="listen for control messages on this UDP port (127.0.0.1)")  # fmt: skip
    live.add_argument("--fast", action="store_true",
                      help="replay files as fast as possible, not at their own timing")  # fmt: skip
    live.add_argument("--max-frames", type=int, help="stop after this many input frames")
    add_quiet_option(live)
    live.set_defaults(func=_cmd_live)

    calibrate = commands.add_parser(
        "calibrate",
        help="capture a performer's neutral face and save it",
        description="Capture a neutral from the start of the input (hold a rest face) and save "
        "it for `avatardrive live --calibration`.",
    )
    add_input_options(calibrate)
    calibrate.add_argument("-o", "--output", metavar="FILE|NAME",
                           help="calibration file (.json), or a name: saved as NAME.json in the "
                           f"calibrations folder ({calibrations_dir()}) for `live --calibration "
                           "NAME` (default: --performer)")  # fmt: skip
    calibrate.add_argument("--performer", default="",
                           help="the performer's name, stored (and the default NAME)")
    calibrate.set_defaults(func=_cmd_calibrate)
