"""One batch item, as a worker runs it: render a timeline or track a take into one output file.

Everything here pickles (plain frozen dataclasses and module-level functions), so the same
:func:`run_item` runs in this process, in a local pool process or on a Dask worker on another
machine. A worker keeps one tracker backend per thread (MediaPipe loads once) and resets it
between items, so an item's curves never depend on the items that ran before it on that worker.
"""

from __future__ import annotations

import atexit
import os
import platform
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from avatardrive.curves import write_curves
from avatardrive.errors import AvatarDriveError, TrackingError
from avatardrive.pipeline._inputs import input_kind, load_input
from avatardrive.pipeline._trackers import ImageBackend, TrackerOptions, track_file
from avatardrive.retarget import load_rig
from avatardrive.synth import render
from avatardrive.timeline import load_timeline
from avatardrive.tracking import Calibration

__all__ = [
    "VIDEO_SUFFIXES", "BatchItem", "ItemResult", "ItemStatus", "Job", "RenderJob", "TrackJob",
    "run_item",
]  # fmt: skip

#: Files ``batch track`` reads as videos (anything OpenCV's FFmpeg decodes; these by suffix).
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv")

ItemStatus = Literal["done", "skipped", "failed", "interrupted", "not run"]


@dataclass(frozen=True)
class BatchItem:
    """One input and the one file made from it.

    Attributes
    ----------
    input : str
        A timeline (render); a video file, a folder of images, a Live Link Face or OpenFace CSV
        (track).
    output : str
        ``.csv``, ``.npz`` or ``.json`` curve file.
    rig : str or None
        Render rig weights for this rig (a built-in name or a rig file) instead of AU curves.
    """

    input: str
    output: str
    rig: str | None = None


@dataclass(frozen=True)
class RenderJob:
    """Render timelines as ``avatardrive render`` does (``fps``: its ``--fps``)."""

    fps: float | None = None


@dataclass(frozen=True)
class TrackJob:
    """Track videos and image folders as ``avatardrive live --record --fast`` does; convert Live
    Link Face and OpenFace takes as ``avatardrive convert`` does (``fps``: its ``--fps``)."""

    tracker: TrackerOptions = field(default_factory=TrackerOptions)
    fps: float | None = None


Job = RenderJob | TrackJob


@dataclass(frozen=True)
class ItemResult:
    """What became of one item (a manifest row).

    Attributes
    ----------
    status : ItemStatus
        ``done``, ``skipped`` (up to date), ``failed``, ``interrupted`` (stopped while it ran,
        nothing written) or ``not run`` (stopped before it started).
    seconds : float
        Wall time of the item on its worker.
    cpu_seconds : float
        CPU time of the worker's process during the item (all its threads: MediaPipe's too).
    started_at : float
        When the worker began it (``time.time()`` on the worker's clock).
    frames : int or None
        Frames written.
    error : str
        One line for a failed item.
    worker : str
        ``host:pid`` of the process that ran it.
    internal : bool
        The failure is a fault of ours (a bug, a lost worker), not of the input.
    """

    input: str
    output: str
    status: ItemStatus
    seconds: float = 0.0
    frames: int | None = None
    cpu_seconds: float = 0.0
    started_at: float = 0.0
    error: str = ""
    worker: str = ""
    internal: bool = False


StopCheck = Callable[[], bool]


def run_item(job: Job, item: BatchItem, *, should_stop: StopCheck | None = None) -> ItemResult:
    """Make ``item.output`` from ``item.input``; never raises for a bad input.

    Parameters
    ----------
    job
        What to do with the input, and with which options.
    item
        The input and output paths.
    should_stop
        Asked now and then; ``True`` abandons the item (status ``interrupted``, nothing written).

    Returns
    -------
    ItemResult
        ``done`` with the frames written, or ``failed`` with the one-line error.
    """
    began, began_cpu, started_at = time.perf_counter(), time.process_time(), time.time()
    worker = f"{platform.node()}:{os.getpid()}"

    def result(status: ItemStatus, **details: object) -> ItemResult:
        return ItemResult(item.input, item.output, status, time.perf_counter() - began,
                          cpu_seconds=time.process_time() - began_cpu, started_at=started_at,
                          worker=worker, **details)  # type: ignore[arg-type]  # fmt: skip

    try:
        Path(item.output).parent.mkdir(parents=True, exist_ok=True)
        if isinstance(job, RenderJob):
            frames = _render_item(job, item, should_stop)
        else:
            frames = _track_item(job, item, should_stop)
    except KeyboardInterrupt:
        if should_stop is not None and should_stop():
            return result("interrupted", error="stopped while running; nothing written")
        raise
    except AvatarDriveError as error:
        return result("failed", error=str(error))
    except OSError as error:
        return result("failed", error=f"{item.output}: cannot write ({error.strerror or error})")
    except Exception as error:  # a bug: listed with the item, the batch goes on
        return result("failed", error=f"internal error: {type(error).__name__}: {error}",
                      internal=True)  # fmt: skip
    return result("done", frames=frames)


def _render_item(job: RenderJob, item: BatchItem, should_stop: StopCheck | None) -> int:
    rig = None if item.rig is None else load_rig(item.rig)  # a bad rig fails before rendering
    timeline = load_timeline(item.input)

    def progress(fraction: float) -> None:
        if should_stop is not None and should_stop():
            raise KeyboardInterrupt("batch stopped")

    curves = render(timeline, fps=job.fps, progress=progress)
    written = curves if rig is None else rig.forward(curves)
    progress(1.0)
    write_curves(written, item.output)
    return written.n_frames


_TAKE_KINDS = ("livelink", "openface")


def _track_item(job: TrackJob, item: BatchItem, should_stop: StopCheck | None) -> int:
    path = Path(item.input)
    if path.is_dir() or path.suffix.lower() in VIDEO_SUFFIXES:
        return _track_images(job, item, should_stop)
    kind = input_kind(path)
    if kind not in _TAKE_KINDS:
        raise TrackingError(f"is a {kind} file; expected a video ({', '.join(VIDEO_SUFFIXES)}), "
                            f"a folder of images, or a Live Link Face or OpenFace CSV",
                            source=item.input)  # fmt: skip
    curves = load_input(path, fps=job.fps).curves
    write_curves(curves, item.output)
    return curves.n_frames


def _track_images(job: TrackJob, item: BatchItem, should_stop: StopCheck | None) -> int:
    options = job.tracker
    source = options.open_source(item.input)  # a bad file fails here, before MediaPipe loads
    try:
        backend, calibration = _worker_backend(options)
        try:
            tracker = options.tracker(backend, calibration=calibration)
            return track_file(source, tracker, item.output, should_stop=should_stop).frames
        except BaseException:
            _drop_backend(options)  # a failure may leave MediaPipe's graph mid-run
            raise
    finally:
        source.close()


# -- per-worker state --------------------------------------------------------------------------

_worker = threading.local()
_all_backends: list[ImageBackend] = []
_all_lock = threading.Lock()


def _worker_backend(options: TrackerOptions) -> tuple[ImageBackend, Calibration | None]:
    """This thread's backend for ``options`` (made once, reset for each item) and calibration."""
    cache: dict[tuple[str | None, str | None], tuple[ImageBackend, Calibration | None]]
    cache = getattr(_worker, "backends", None) or {}
    _worker.backends = cache
    key = (options.model, options.calibration)
    if key in cache:
        backend, calibration = cache[key]
        backend.reset()
        return backend, calibration
    backend = options.open_backend()
    try:
        calibration = options.load_calibration(backend)
    except BaseException:
        backend.close()
        raise
    cache[key] = (backend, calibration)
    with _all_lock:
        if not _all_backends:
            atexit.register(_close_all)
        _all_backends.append(backend)
    return backend, calibration


def _drop_backend(options: TrackerOptions) -> None:
    cache = getattr(_worker, "backends", None) or {}
    entry = cache.pop((options.model, options.calibration), None)
    if entry is not None:
        entry[0].close()


def _close_all() -> None:
    """Close every backend explicitly at exit (MediaPipe's own finalizers complain)."""
    with _all_lock:
        for backend in _all_backends:
            backend.close()
        _all_backends.clear()
