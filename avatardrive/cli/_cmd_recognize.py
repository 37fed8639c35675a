"""The ``recognize`` command: what a face reads as, frame by frame, written as a CSV.

Inputs: anything :func:`avatardrive.pipeline.load_input` reads (a timeline, our curve files, an
OpenFace or Live Link Face take), a video file, or a folder of images (these two through the
tracker, as ``avatardrive live`` does).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import TextIO

import numpy as np
import numpy.typing as npt

from avatardrive.cli import _args
from avatardrive.cli._cmd_live import add_calibration_options, make_tracker, open_backend
from avatardrive.cli._cmd_timeline import check_output
from avatardrive.curves import Curves, read_curves, write_curves
from avatardrive.errors import TrackingError
from avatardrive.facs import CHANNELS, channels_of, parse_au_key
from avatardrive.pipeline import LoadedInput, load_input
from avatardrive.retarget import load_rig
from avatardrive.synth import (
    DEFAULT_SMOOTHING,
    EMOTIONS,
    READOUT_NAMES,
    EmotionReader,
    EmotionReading,
    missing_channels,
    read_emotion_curves,
)
from avatardrive.tracking import FrameSource, ImageFolderSource, VideoSource, read_openface

__all__ = ["VIDEO_SUFFIXES", "register"]

#: Inputs read through the tracker (a folder of images is one too).
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg")
_WARNING = "avatardrive: warning: "


def _is_footage(path: str) -> bool:
    return os.path.isdir(path) or Path(path).suffix.lower() in VIDEO_SUFFIXES


def _channels_in(loaded: LoadedInput) -> tuple[str, ...]:
    """The AU channels the input really carries (the loader fills the others with 0)."""
    if loaded.kind == "timeline":
        return CHANNELS
    if loaded.kind == "openface":
        units = read_openface(loaded.path).units
        return tuple(CHANNELS[i] for unit in units for i in channels_of(unit))
    if loaded.kind == "livelink":
        keys = [parse_au_key(name) for shape in load_rig("arkit52").shapes
                for name, weight in shape.inputs if weight != 0]  # fmt: skip
        driven = {f"{key.code}_{side}" for key in keys for side in (key.side or "LR")}
        return tuple(c for c in CHANNELS if c in driven)
    return _curve_file_channels(loaded.path)


def _curve_file_channels(path: str) -> tuple[str, ...]:
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        with open(path, encoding="utf-8") as handle:
            header = handle.readline()
        names = [name.strip() for name in header.split(",")[1:]]
    elif suffix == ".json":
        with open(path, encoding="utf-8") as handle:
            names = list(json.load(handle).get("names", ()))
    else:
        names = list(read_curves(path).names)
    wanted = {name.casefold() for name in names}
    return tuple(c for c in CHANNELS if c.casefold() in wanted)


def _warn_missing(loaded: LoadedInput, err: TextIO) -> None:
    missing = missing_channels(_channels_in(loaded))
    if not missing:
        return
    units = sorted({int(name[2:].split("_")[0]) for name in missing})
    err.write(
        f"{_WARNING}{loaded.path}: {len(missing)} channels the emotion rules read are not in "
        f"this {loaded.kind} input (AU{', AU'.join(map(str, units))}); they read as absent\n"
    )


def _read_file(args: argparse.Namespace, err: TextIO) -> tuple[EmotionReading, float, float]:
    loaded = load_input(args.input, fps=args.fps)
    _warn_missing(loaded, err)
    curves = loaded.curves
    smoothing = None if args.no_smoothing else DEFAULT_SMOOTHING
    return read_emotion_curves(curves, smoothing=smoothing), curves.fps, curves.start


def _open_footage(args: argparse.Namespace) -> FrameSource:
    if os.path.isdir(args.input):
        source: FrameSource = ImageFolderSource(args.input, fps=args.fps or 30.0,
                                                mirrored=args.mirrored)  # fmt: skip
    else:
        source = VideoSource(args.input, mirrored=args.mirrored)
    source.open()
    return source


def _read_footage(
    args: argparse.Namespace, out: TextIO, err: TextIO
) -> tuple[EmotionReading, float, float]:
    source = _open_footage(args)  # a bad path fails here, before MediaPipe loads
    try:
        backend = open_backend(args)
        try:
            tracker = make_tracker(args, backend, out)
            reader = EmotionReader(smoothing=None if args.no_smoothing else DEFAULT_SMOOTHING)
            rows: list[npt.NDArray[np.float32]] = []
            felt: list[float] = []
            faces = 0
            while (frame := source.read()) is not None:
                result = tracker.update(frame)
                faces += result.face_found
                rows.append(reader.update(result.au, result.time).copy())
                felt.append(reader.felt)
        finally:
            backend.close()
    finally:
        source.close()
    if not rows:
        raise TrackingError("no frames could be read; expected a video with frames",
                            source=args.input)  # fmt: skip
    if faces == 0:
        err.write(f"{_WARNING}{args.input}: no face was found in any of its {len(rows)} "
                  f"frames; the read-out is neutral throughout\n")  # fmt: skip
    elif faces < len(rows):
        err.write(f"{_WARNING}{args.input}: no face in {len(rows) - faces} of {len(rows)} "
                  f"frames; those read the tracker's held, then relaxed, face\n")  # fmt: skip
    reading = EmotionReading(np.array(rows, dtype=np.float32), np.array(felt, dtype=np.float32))
    return reading, source.fps or 30.0, 0.0


def _summary(reading: EmotionReading, fps: float) -> str:
    tops = list(reading.top())
    seconds = {name: tops.count(name) / fps for name in EMOTIONS}
    shown = [f"{name} {seconds[name]:.1f} s" for name in EMOTIONS if seconds[name] > 0]
    return ", ".join(shown) or "no frames"


def _cmd_recognize(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    check_output(args.output)
    if _is_footage(args.input):
        reading, fps, start = _read_footage(args, out, err)
    else:
        reading, fps, start = _read_file(args, err)
    if args.felt:
        columns = np.column_stack([reading.values, reading.felt]).astype(np.float32)
        table = Curves(columns, fps=fps, start=start, names=(*READOUT_NAMES, "felt"))
    else:
        table = Curves(reading.values, fps=fps, start=start, names=READOUT_NAMES)
    write_curves(table, args.output)
    out.write(f"wrote {args.output}: {len(reading.values)} frames at {fps:g} fps; most probable "
              f"— {_summary(reading, fps)}\n")  # fmt: skip
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``recognize`` to the ``avatardrive`` command line."""
    recognize = commands.add_parser(
        "recognize",
        help="read a face's emotions frame by frame (timeline, curves, take or video)",
        description="Read what a face reads as, frame by frame: probabilities of neutral and "
        "the seven basic emotions, valence and arousal, from the prototype library and Dong "
        "et al.'s coding rules (see README, 'Reading emotion back'). Columns: time, "
        f"{', '.join(READOUT_NAMES)}.",
    )
    recognize.add_argument(
        "input",
        help="a timeline (.toml/.json), a curve file (.csv/.npz/.json), an OpenFace or Live "
        "Link Face CSV, a video file or a folder of images",
    )
    recognize.add_argument("-o", "--output", required=True,
                           help="where to write the read-out: .csv, .npz or .json")  # fmt: skip
    recognize.add_argument("--fps", type=_args.fps,
                           help="frame rate of the read-out for files (default: the input's "
                           "own); of a folder of images (default 30)")  # fmt: skip
    recognize.add_argument("--felt", action="store_true",
                           help="add a 'felt' column: the felt-smile (Duchenne) score")  # fmt: skip
    recognize.add_argument("--no-smoothing", action="store_true",
                           help="read every frame on its own (default: median of three frames, "
                           "then an 80 ms low-pass, as live)")  # fmt: skip
    recognize.add_argument("--mirrored", action="store_true",
                           help="video/images: the images are mirror images")  # fmt: skip
    recognize.add_argument("--model", metavar="FILE",
                           help="video/images: face_landmarker.task, for MediaPipe's "
                           "blendshapes")  # fmt: skip
    recognize.add_argument("--calibrate-seconds", type=_args.seconds, default=1.0,
                           metavar="SECONDS",
                           help="video/images: span of the neutral capture at the start (1 s)")
    add_calibration_options(recognize)
    recognize.set_defaults(func=_cmd_recognize, livelink=None)  # open_backend reads it
