"""Batch commands: ``batch render`` (timelines) and ``batch track`` (videos, image folders, takes).

Local process pool by default; ``--scheduler tcp://HOST:8786`` (or ``DASK_SCHEDULER_ADDRESS``)
sends the same items to a Dask cluster.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import TextIO

from avatardrive.cli import _args
from avatardrive.errors import ParameterError
from avatardrive.pipeline import (
    PREVIOUS_RUN,
    BatchKind,
    BatchReport,
    InputSet,
    ItemResult,
    Job,
    RenderJob,
    TrackerOptions,
    TrackJob,
    find_inputs,
    plan_items,
    read_item_list,
    run_batch,
)
from avatardrive.retarget import load_rig

__all__ = ["register"]

MANIFEST_NAME = "batch.csv"
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"


def progress_line(done: int, total: int, seconds: float, failed: int) -> str:
    """``[12/200] 3.4 items/s, ETA 0:00:55, 1 failed`` (one place, to swap for a progress bar)."""
    rate = done / seconds if seconds > 0 else 0.0
    eta = "?" if rate <= 0 else _clock((total - done) / rate)
    failures = f", {failed} failed" if failed else ""
    return f"[{done}/{total}] {rate:.1f} items/s, ETA {eta}{failures}"


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


class _Progress:
    """Items done, items/s and ETA on one rewritten stderr line, when stderr is a terminal;
    failures as they happen, one line each, always."""

    def __init__(self, stream: TextIO, *, every: float = 0.2) -> None:
        self.stream, self.every = stream, every
        self.live = stream.isatty()
        self.total = self.done = self.failed = 0
        self.began = time.monotonic()
        self.shown_at = 0.0
        self.shown = False

    def start(self, total: int) -> None:
        self.total, self.began = total, time.monotonic()

    def __call__(self, result: ItemResult) -> None:
        if result.worker == PREVIOUS_RUN:
            self.stream.write(f"failed (last run; unchanged since, so not retried: --force "
                              f"retries it): {result.error}\n")  # fmt: skip
            return
        if result.status == "skipped":
            return
        self.done += 1
        if result.status == "failed":
            self.failed += 1
            self._clear()
            self.stream.write(f"failed: {result.error}\n")
        now = time.monotonic()
        if self.live and (now - self.shown_at >= self.every or self.done == self.total):
            line = progress_line(self.done, self.total, now - self.began, self.failed)
            self.stream.write("\r" + line + "\x1b[K")
            self.stream.flush()
            self.shown_at, self.shown = now, True

    def _clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.shown = False

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.shown = False


def _input_sets(args: argparse.Namespace, kind: BatchKind) -> list[InputSet]:
    if not args.inputs and not args.list:
        raise ParameterError("no inputs; expected folders, files or patterns, or --list FILE")
    out_dir = os.path.abspath(args.output)
    sets = []
    for spec in args.inputs:
        if os.path.isdir(spec) and os.path.abspath(spec) == out_dir:
            raise ParameterError(f"output folder {args.output!r} is the input folder {spec!r}; "
                                 f"expected a separate folder")  # fmt: skip
        sets.append(find_inputs(spec, kind=kind, skip=[out_dir]))
    sets.extend(read_item_list(path, kind=kind) for path in args.list or ())
    return sets


def _engine_options(args: argparse.Namespace) -> dict[str, object]:
    if args.workers is not None:
        return {"workers": args.workers}
    scheduler = args.scheduler or os.environ.get(SCHEDULER_ENV) or None
    return {"scheduler": scheduler}


def _run(args: argparse.Namespace, out: TextIO, err: TextIO, kind: BatchKind, job: Job) -> int:
    rig = getattr(args, "rig", None)
    if rig is not None:
        load_rig(rig)  # a bad --rig fails every item: say so once, before any work
    items = plan_items(_input_sets(args, kind), out_dir=args.output, output_format=args.format,
                       rig=rig)  # fmt: skip
    manifest = args.manifest or os.path.join(args.output, MANIFEST_NAME)
    progress = _Progress(err)
    try:
        report = run_batch(items, job, force=args.force, manifest=manifest, on_result=progress,
                           on_start=progress.start, **_engine_options(args))  # type: ignore[arg-type]  # fmt: skip
    finally:
        progress.close()
    out.write(_summary(kind, report, manifest) + "\n")
    return _exit_code(report, manifest, err)


def _summary(kind: BatchKind, report: BatchReport, manifest: str) -> str:
    counts = report.counts
    ran = report.ran
    rate = f" ({ran / report.seconds:.1f} items/s)" if ran and report.seconds > 0 else ""
    parts = [f"{counts[s]} {s}" for s in ("done", "skipped", "failed", "interrupted", "not run")
             if counts.get(s)]  # fmt: skip
    return (f"batch {kind}: {', '.join(parts) or 'nothing'} of {len(report.results)} items in "
            f"{report.seconds:.1f} s{rate} on {report.engine}; manifest {manifest}")  # fmt: skip


def _exit_code(report: BatchReport, manifest: str, err: TextIO) -> int:
    if report.interrupted:
        err.write("avatardrive: interrupted; finished outputs are kept, a rerun resumes\n")
        return 130
    failed = report.failed
    if not failed:
        return 0
    err.write(f"avatardrive: error: {len(failed)} of {len(report.results)} items failed "
              f"(listed above and in {manifest})\n")  # fmt: skip
    return 1 if any(r.internal for r in failed) else 2


def _cmd_render(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    return _run(args, out, err, "render", RenderJob(fps=args.fps))


def _cmd_track(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    options = TrackerOptions(
        model=args.model,
        calibration=args.calibration,
        calibrate_seconds=0.0 if args.no_calibrate else args.calibrate_seconds,
        filtered=not args.no_filter,
        mirrored=args.mirrored,
        image_fps=args.image_fps,
    )
    return _run(args, out, err, "track", TrackJob(options, fps=args.fps))


def _add_common(parser: argparse.ArgumentParser, what: str, *, pattern: str, columns: str) -> None:
    parser.add_argument("inputs", nargs="*", metavar="INPUT",
                        help=f"{what}: a folder (walked recursively), a glob pattern in quotes "
                        f"({pattern!r}) or a file")  # fmt: skip
    parser.add_argument("--list", action="append", metavar="CSV",
                        help=f"a list of items: a CSV with an 'input' column and optional "
                        f"{columns}; paths relative to the list")  # fmt: skip
    parser.add_argument("-o", "--output", required=True, metavar="DIR",
                        help="output folder: one file per input, mirroring the input tree")
    parser.add_argument("--format", default="csv", choices=("csv", "npz", "json"),
                        help="output format (csv)")  # fmt: skip
    parser.add_argument("--force", action="store_true",
                        help="redo items whose output is newer than their input (skipped "
                        "otherwise)")  # fmt: skip
    parser.add_argument("--manifest", metavar="CSV",
                        help=f"where the per-item report goes (DIR/{MANIFEST_NAME})")  # fmt: skip
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_args.at_least_one, metavar="N",
                       help="local worker processes (default: the cores)")  # fmt: skip
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="a Dask scheduler (tcp://HOST:8786) to run on instead; default: "
                       f"${SCHEDULER_ENV} when set. Workers need `pip install "
                       "'avatardrive[tracking,batch]'` and the same paths")  # fmt: skip


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``batch render`` and ``batch track`` to the ``avatardrive`` command line."""
    batch = commands.add_parser(
        "batch",
        help="render timelines or track videos in bulk, locally or on a Dask cluster",
        description="Many inputs, one output each, in parallel: a local process pool by default, "
        "a Dask cluster with --scheduler. Items whose output is newer than the input are skipped; "
        "a bad item is listed and the rest go on; DIR/batch.csv records every item. Exit 0 when "
        "every item is done, 2 when some input was bad, 1 on an internal fault, 130 on Ctrl-C.",
    )
    actions = batch.add_subparsers(dest="action", metavar="ACTION", required=True)

    render_cmd = actions.add_parser(
        "render",
        help="render timelines into AU curves or rig weights",
        description="Render each timeline as `avatardrive render` does (the same bytes).",
    )
    _add_common(render_cmd, "timelines (.toml, .json)", pattern="lines/**/*.toml",
                columns="'rig' and 'format' columns")  # fmt: skip
    render_cmd.add_argument("--fps", type=_args.fps, help="frame rate (default: each timeline's)")
    render_cmd.add_argument("--rig", metavar="NAME|FILE",
                            help="write rig weights for this rig (a list's 'rig' column overrides "
                            "it per item)")  # fmt: skip
    render_cmd.set_defaults(func=_cmd_render)

    track = actions.add_parser(
        "track",
        help="track videos and image folders into AU curves; convert recorded takes",
        description="Track each video or folder of images as `avatardrive live --video FILE "
        "--record OUT --fast` does (the same bytes); Live Link Face and OpenFace CSV takes are "
        "converted as `avatardrive convert` does. Each input calibrates its own neutral on its "
        "first second unless --calibration gives one.",
    )
    _add_common(track, "videos, folders of images, Live Link Face or OpenFace CSVs",
                pattern="shoots/**/*.mp4", columns="'format' column")  # fmt: skip
    track.add_argument("--model", metavar="FILE",
                       help="face_landmarker.task: use MediaPipe's 52 blendshapes (the "
                       "path must exist on every worker)")  # fmt: skip
    calibration = track.add_mutually_exclusive_group()
    calibration.add_argument("--calibration", metavar="FILE",
                             help="one neutral for all inputs (`avatardrive calibrate`)")
    calibration.add_argument("--no-calibrate", action="store_true",
                             help="take each input's first frame as its neutral")  # fmt: skip
    track.add_argument("--calibrate-seconds", type=_args.seconds, default=1.0, metavar="SECONDS",
                       help="span of each input's neutral capture (1 s)")  # fmt: skip
    track.add_argument("--no-filter", action="store_true", help="no smoothing (raw estimates)")
    track.add_argument("--mirrored", action="store_true", help="the images are mirror images")
    track.add_argument("--image-fps", type=_args.fps, default=30.0,
                       help="frame rate of image folders (30)")  # fmt: skip
    track.add_argument("--fps", type=_args.fps,
                       help="resample takes to this rate (default: their own)")  # fmt: skip
    track.set_defaults(func=_cmd_track)
