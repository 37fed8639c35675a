"""Batch jobs: many inputs, one output each, on a local process pool or a Dask cluster.

- :func:`find_inputs` / :func:`read_item_list` turn folders, glob patterns and item lists into
  inputs, and :func:`plan_items` maps them to outputs in a folder that mirrors the input tree;
- :func:`run_batch` skips items whose output is newer than their input, runs the rest (see
  :mod:`avatardrive.pipeline._batch_engines`), lists each failure with its one-line error, stops
  cleanly on Ctrl-C and writes a manifest (``batch.csv``) of every item.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import io
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from avatardrive._files import atomic_output, display_path, read_text
from avatardrive.curves import CURVE_SUFFIXES
from avatardrive.errors import ParameterError
from avatardrive.pipeline._batch_engines import DaskEngine, Engine, LocalEngine, default_workers
from avatardrive.pipeline._batch_work import (
    VIDEO_SUFFIXES,
    BatchItem,
    ItemResult,
    Job,
)
from avatardrive.tracking import IMAGE_SUFFIXES

__all__ = [
    "MANIFEST_COLUMNS", "PREVIOUS_RUN", "BatchKind", "BatchReport", "InputSet", "find_inputs",
    "is_up_to_date", "make_engine", "plan_items", "previous_failures", "read_item_list",
    "remove_orphans", "run_batch", "write_manifest",
]  # fmt: skip

BatchKind = Literal["render", "track"]

#: Inputs each kind of batch picks up when it walks a folder.
RENDER_SUFFIXES = (".toml", ".json")
TAKE_SUFFIXES = (".csv",)
MANIFEST_COLUMNS = ("input", "output", "status", "seconds", "frames", "error", "fault", "worker")
#: ``worker`` of a failure carried over from the previous run's manifest.
PREVIOUS_RUN = "(previous run)"
_GLOB_CHARS = frozenset("*?[")
_MAX_LIST_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class InputSet:
    """Inputs found under one root; outputs mirror their paths relative to ``root``.

    ``rigs`` and ``formats`` are per input (``None``: the batch's default).
    """

    root: str
    inputs: tuple[str, ...]
    rigs: tuple[str | None, ...] = ()
    formats: tuple[str | None, ...] = ()


# -- finding inputs ----------------------------------------------------------------------------


def _is_image_folder(path: Path) -> bool:
    with contextlib.suppress(OSError):
        return any(p.suffix.lower() in IMAGE_SUFFIXES and p.is_file() for p in path.iterdir())
    return False


def _wanted(path: Path, kind: BatchKind) -> bool:
    suffix = path.suffix.lower()
    if kind == "render":
        return path.is_file() and suffix in RENDER_SUFFIXES
    if path.is_dir():
        return _is_image_folder(path)
    return path.is_file() and suffix in VIDEO_SUFFIXES + TAKE_SUFFIXES


def _walk(root: Path, kind: BatchKind, skip: Sequence[Path]) -> list[str]:
    """Inputs under ``root`` in name order; hidden names (our temporary files) and ``skip``
    (the output folder) are left out."""
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs
                         if not d.startswith(".") and (here / d).resolve() not in skip)  # fmt: skip
        if kind == "track" and here != root and _is_image_folder(here):
            found.append(str(here))  # a folder of images is one take
        found.extend(str(here / f) for f in sorted(files)
                     if not f.startswith(".") and _wanted(here / f, kind))  # fmt: skip
    return sorted(found)


def _glob_root(pattern: str) -> str:
    """The folder part of ``pattern`` before its first wildcard."""
    parts = Path(pattern).parts
    fixed: list[str] = []
    for part in parts:
        if _GLOB_CHARS & set(part):
            break
        fixed.append(part)
    return str(Path(*fixed)) if fixed else "."


def find_inputs(spec: str, *, kind: BatchKind, skip: Sequence[str] = ()) -> InputSet:
    """The inputs a command-line argument names: a folder, a glob pattern or one file.

    Parameters
    ----------
    spec
        A folder (walked recursively: timelines ``.toml``/``.json`` for render; videos, folders
        of images and ``.csv`` takes for track), a pattern (``takes/**/*.mp4``) or one input.
    kind
        ``"render"`` or ``"track"``.
    skip
        Folders never walked into (the output folder, when it is inside the input folder).

    Raises
    ------
    ParameterError
        Nothing exists at ``spec`` and no path matches it.
    """
    skipped = [Path(s).resolve() for s in skip]
    path = Path(spec)
    if path.is_dir() and not (kind == "track" and _is_image_folder(path)):
        return InputSet(spec, tuple(_walk(path, kind, skipped)))
    if path.exists():
        return InputSet(str(path.parent), (spec,))
    if _GLOB_CHARS & set(spec):
        matches = sorted(m for m in glob.glob(spec, recursive=True)
                         if not Path(m).name.startswith("."))  # fmt: skip
        if matches:
            return InputSet(_glob_root(spec), tuple(matches))
        raise ParameterError(f"pattern {spec!r} matches no file; expected at least one input")
    raise ParameterError(f"{spec!r}: no such file or folder; expected an input, a folder or a "
                         f"glob pattern")  # fmt: skip


def read_item_list(path: str, *, kind: BatchKind) -> InputSet:
    """Items from a list file: a CSV with an ``input`` column and optional ``rig`` and
    ``format`` (csv, npz, json) columns; relative inputs and rig files are relative to the list.

    Raises
    ------
    ParameterError
        The file is missing or not such a CSV (the message names the line and the value).
    """
    source = display_path(path)
    text = read_text(path, error=ParameterError, expected="an item list (CSV with an 'input' "
                     "column)", max_bytes=_MAX_LIST_BYTES)  # fmt: skip
    rows = csv.DictReader(io.StringIO(text))
    columns = [c.strip().lower() for c in rows.fieldnames or ()]
    if "input" not in columns:
        raise ParameterError(f"header {','.join(columns) or '(none)'!r} has no 'input' column; "
                             f"expected input[,rig][,format]", source=source)  # fmt: skip
    if kind == "track" and "rig" in columns:
        raise ParameterError("a 'rig' column is for batch render; tracking writes AU curves",
                             source=source)  # fmt: skip
    base = Path(path).parent
    inputs, rigs, formats = [], [], []
    for row in rows:
        line = rows.line_num  # blank lines are skipped but counted
        cells = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
        if not cells.get("input"):
            raise ParameterError("the input cell is empty; expected a path", source=source,
                                 where=f"line {line}")  # fmt: skip
        inputs.append(str(base / cells["input"]))
        rig = cells.get("rig") or None
        looks_like_file = rig is not None and (os.sep in rig or rig.lower().endswith(".toml"))
        rigs.append(str(base / rig) if looks_like_file and rig is not None else rig)
        formats.append(_format(cells.get("format") or None, source=source, where=f"line {line}"))
    if not inputs:
        raise ParameterError("no items; expected one row per input after the header",
                             source=source)  # fmt: skip
    parents = [os.path.dirname(os.path.abspath(i)) for i in inputs]
    return InputSet(os.path.commonpath(parents), tuple(inputs), tuple(rigs), tuple(formats))


def _format(
    value: str | None, *, source: str | None = None, where: str | None = None
) -> str | None:
    if value is None:
        return None
    suffix = "." + value.lower().lstrip(".")
    if suffix not in CURVE_SUFFIXES:
        raise ParameterError(f"format {value!r}; expected one of "
                             f"{', '.join(s[1:] for s in CURVE_SUFFIXES)}", source=source,
                             where=where)  # fmt: skip
    return suffix


# -- planning ----------------------------------------------------------------------------------


def _output_for(input_: str, root: str, out_dir: str, suffix: str) -> str:
    relative = os.path.relpath(os.path.abspath(input_), os.path.abspath(root))
    if relative == "." or relative.startswith(".."):
        relative = os.path.basename(os.path.abspath(input_))
    stem = relative if Path(input_).is_dir() else os.path.splitext(relative)[0]
    return os.path.join(out_dir, stem + suffix)


def plan_items(
    sets: Iterable[InputSet],
    *,
    out_dir: str,
    output_format: str = "csv",
    rig: str | None = None,
) -> list[BatchItem]:
    """One item per input, its output under ``out_dir`` at the input's path below its root.

    Parameters
    ----------
    sets
        From :func:`find_inputs` and :func:`read_item_list`.
    out_dir
        The output folder (made when items run).
    output_format
        ``csv``, ``npz`` or ``json``, unless an item says otherwise.
    rig
        The rig of every item whose list row names none.

    Raises
    ------
    ParameterError
        No inputs, a bad format, or two inputs that would make the same output file.
    """
    default_suffix = _format(output_format)
    assert default_suffix is not None
    items: list[BatchItem] = []
    made_by: dict[str, str] = {}
    for inputs in sets:
        for k, input_ in enumerate(inputs.inputs):
            item_format = inputs.formats[k] if k < len(inputs.formats) else None
            item_rig = inputs.rigs[k] if k < len(inputs.rigs) else None
            output = _output_for(input_, inputs.root, out_dir, item_format or default_suffix)
            key = os.path.normcase(os.path.abspath(output))
            if key in made_by:
                if os.path.abspath(made_by[key]) == os.path.abspath(input_):
                    continue  # the same input named twice: once is enough
                raise ParameterError(f"{made_by[key]!r} and {input_!r} would both be written to "
                                     f"{output!r}; expected one input per output (rename one, "
                                     f"or give them different formats)")  # fmt: skip
            made_by[key] = input_
            items.append(BatchItem(input_, output, item_rig or rig))
    if not items:
        raise ParameterError("no inputs found; expected timelines (render) or videos, image "
                             "folders and takes (track)")  # fmt: skip
    return items


def _mtime(path: str) -> float:
    stat = os.stat(path)
    newest = stat.st_mtime
    if Path(path).is_dir():  # a folder of images changes when one of its images does
        with os.scandir(path) as entries:
            newest = max([newest, *(e.stat().st_mtime for e in entries if e.is_file())])
    return newest


def _newest(item: BatchItem) -> float:
    """When the item's input (or its rig file) last changed."""
    sources = [item.input] + ([item.rig] if item.rig and os.path.isfile(item.rig) else [])
    return max(_mtime(s) for s in sources)


def is_up_to_date(item: BatchItem) -> bool:
    """The output exists and is newer than the input (and than the item's rig file)."""
    try:
        return os.stat(item.output).st_mtime >= _newest(item)
    except OSError:
        return False


# -- running -----------------------------------------------------------------------------------


@dataclass
class BatchReport:
    """Every item's result, in item order, and how the batch ended."""

    results: list[ItemResult]
    seconds: float
    engine: str
    interrupted: bool = False
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for result in self.results:
            self.counts[result.status] = self.counts.get(result.status, 0) + 1

    @property
    def failed(self) -> list[ItemResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def ran(self) -> int:
        """Items that ran in this batch (done, failed or interrupted on a worker)."""
        return sum(r.worker not in ("", PREVIOUS_RUN) for r in self.results)

    @property
    def ok(self) -> bool:
        """Every item is done or was already up to date."""
        return all(r.status in ("done", "skipped") for r in self.results)


OnResult = Callable[[ItemResult], None]


def make_engine(*, scheduler: str | None = None, workers: int | None = None) -> Engine:
    """A :class:`DaskEngine` when ``scheduler`` is given, else a :class:`LocalEngine`."""
    if scheduler:
        return DaskEngine(scheduler)
    return LocalEngine(workers or default_workers())


def run_batch(
    items: Sequence[BatchItem],
    job: Job,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    engine: Engine | None = None,
    force: bool = False,
    manifest: str | None = None,
    on_result: OnResult | None = None,
    on_start: Callable[[int], None] | None = None,
) -> BatchReport:
    """Run every item not up to date; write the manifest; never raise for one bad item.

    Parameters
    ----------
    items
        From :func:`plan_items`.
    job
        :class:`RenderJob` or :class:`TrackJob`.
    workers
        Size of the local process pool (default: the cores).
    scheduler
        A Dask scheduler address (``tcp://host:8786``): run there instead of locally.
    engine
        Where items run, instead of ``workers`` / ``scheduler``; it stays open (the caller's to
        close, or to run more batches on). Otherwise an engine is made (a pool started, a
        scheduler reached) only when some item needs running, and closed at the end.
    force
        Redo items whose output is up to date, and inputs that failed last time.
    manifest
        CSV written (atomically) at the end, also after Ctrl-C: one row per item. An input the
        previous manifest lists as bad (``fault`` ``input``) that has not changed since is not
        tried again: its row is carried over (``worker`` says ``(previous run)``).
    on_result
        Called with each result as it comes (skipped items first).
    on_start
        Called with the number of items about to run, once skipping is done.

    Returns
    -------
    BatchReport
        With ``interrupted`` set when Ctrl-C (or SIGTERM) stopped it; finished outputs stay.
    """
    began = time.monotonic()
    results: list[ItemResult | None] = [None] * len(items)
    todo: list[int] = []
    known_bad = {} if force or manifest is None else previous_failures(manifest)
    for index, item in enumerate(items):
        if force:
            todo.append(index)
            continue
        result = _unchanged(item, known_bad.get((item.input, item.output)))
        if result is None:
            todo.append(index)
            continue
        results[index] = result
        if on_result is not None:
            on_result(result)
    if on_start is not None:
        on_start(len(todo))
    runner = engine
    if runner is None and todo:
        runner = make_engine(scheduler=scheduler, workers=workers)
    interrupted = False
    try:
        if runner is not None and todo:
            interrupted = _run(runner, job, [items[i] for i in todo], todo, results, on_result)
        if interrupted:
            _count_finished(items, todo, results)
    finally:
        if runner is not None and engine is None:
            runner.close()
        if runner is None or not interrupted or runner.settled_after_stop:
            remove_orphans(items)  # no writer of ours is left
        final = [r or ItemResult(items[i].input, items[i].output, "not run")
                 for i, r in enumerate(results)]  # fmt: skip
        where = runner.description if runner else "no workers (nothing to run)"
        report = BatchReport(final, time.monotonic() - began, where, interrupted)
        if manifest is not None:
            write_manifest(report.results, manifest)
    return report


def _unchanged(item: BatchItem, failure: tuple[str, float] | None) -> ItemResult | None:
    """The result of an item that needs no run: up to date, or bad and unchanged since."""
    if is_up_to_date(item):
        return ItemResult(item.input, item.output, "skipped")
    if failure is not None:
        error, when = failure
        with contextlib.suppress(OSError):
            if _newest(item) <= when:
                return ItemResult(item.input, item.output, "failed", error=error,
                                  worker=PREVIOUS_RUN)  # fmt: skip
    return None


def previous_failures(manifest: str) -> dict[tuple[str, str], tuple[str, float]]:
    """``(input, output) -> (error, manifest time)`` of the inputs a manifest lists as bad.

    A missing file, or one that is not a manifest of ours, lists none (it is a record of the
    last run, not an input: the new manifest replaces it).
    """
    try:
        when = os.stat(manifest).st_mtime
        with open(manifest, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error):
        return {}
    return {(row["input"], row["output"]): (row["error"], when) for row in rows
            if row.get("status") == "failed" and row.get("fault") == "input"
            and row.get("input") is not None and row.get("output") is not None
            and row.get("error") is not None}  # fmt: skip


def _count_finished(
    items: Sequence[BatchItem], todo: Sequence[int], results: list[ItemResult | None]
) -> None:
    """After a stop: an item reported unfinished whose output is now up to date was made in
    this run (a task of several items, cancelled after some were written): it is done."""
    for index in todo:
        result = results[index]
        if result is not None and result.status in ("interrupted", "not run") and (
            is_up_to_date(items[index])
        ):
            results[index] = replace(result, status="done", error="")


def _run(
    engine: Engine,
    job: Job,
    batch: Sequence[BatchItem],
    positions: Sequence[int],
    results: list[ItemResult | None],
    on_result: OnResult | None,
) -> bool:
    """Fill ``results`` from ``engine``; True when Ctrl-C stopped it."""

    def record(pairs: Iterable[tuple[int, ItemResult]]) -> None:
        for index, result in pairs:
            results[positions[index]] = result
            if on_result is not None:
                on_result(result)

    try:
        record(engine.run(job, batch))
        return False
    except KeyboardInterrupt:
        record(engine.stop())
        record(engine.finish())
        return True


def remove_orphans(items: Iterable[BatchItem]) -> None:
    """Remove the temporary files of outputs whose writer died (a killed worker): hidden
    ``.NAME.XXXXXXXX.tmp`` / ``.raw`` files beside an item's output. Only called when no item
    of the batch is running. Each output folder is listed once."""
    names: dict[str, set[str]] = {}
    for item in items:
        folder, name = os.path.split(item.output)
        names.setdefault(folder or ".", set()).add(name)
    for folder, outputs in names.items():
        with contextlib.suppress(OSError), os.scandir(folder) as entries:
            for entry in entries:
                if _temporary_of(entry.name) in outputs:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(entry.path)


def _temporary_of(name: str) -> str | None:
    """The output a temporary file name belongs to (``.out.csv.k2j4x9aa.tmp`` -> ``out.csv``)."""
    if not name.startswith(".") or not name.endswith((".tmp", ".raw")):
        return None
    return name[1:-4].rpartition(".")[0] or None


def write_manifest(results: Sequence[ItemResult], path: str) -> None:
    """Write one CSV row per item (:data:`MANIFEST_COLUMNS`); ``fault`` of a failed item is
    ``input`` (a bad input) or ``internal`` (a fault of ours or a lost worker)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path) as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(MANIFEST_COLUMNS)
        for r in results:
            frames = "" if r.frames is None else str(r.frames)
            fault = "" if r.status != "failed" else "internal" if r.internal else "input"
            writer.writerow([r.input, r.output, r.status, f"{r.seconds:.3f}", frames, r.error,
                             fault, r.worker])  # fmt: skip

