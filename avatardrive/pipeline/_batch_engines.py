"""Where batch items run: a local process pool, or a Dask distributed scheduler.

Both engines take the same pickled ``(job, items)`` tasks to the same :func:`run_item`, so an
item's output does not depend on where it was made. Short items (timelines) travel several to a
task, so that handing them out does not cost more than making them; videos go one to a task.
Dask is imported only by :class:`DaskEngine`.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import multiprocessing.synchronize
import os
import signal
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from typing import Any, Protocol

from avatardrive.errors import ParameterError
from avatardrive.pipeline._batch_work import BatchItem, ItemResult, Job, TrackJob, run_item

__all__ = ["DaskEngine", "Engine", "LocalEngine", "default_workers"]


class ItemWork(Protocol):
    """What runs one item in a worker (:func:`run_item`)."""

    def __call__(
        self, job: Job, item: BatchItem, *, should_stop: Callable[[], bool] | None = None
    ) -> ItemResult: ...


Chunk = tuple[int, ...]
#: Items a task carries at most, and the tasks each worker should get at least (for balance).
_MAX_CHUNK = 32
_TASKS_PER_WORKER = 4


def chunk_size(job: Job, items: int, workers: int) -> int:
    """Items per task: 1 for tracking (each item is seconds of work), more for short renders."""
    if isinstance(job, TrackJob):
        return 1
    return max(1, min(_MAX_CHUNK, items // (max(1, workers) * _TASKS_PER_WORKER)))


def chunks(count: int, size: int) -> list[Chunk]:
    """``range(count)`` in consecutive tuples of ``size``."""
    return [tuple(range(start, min(count, start + size))) for start in range(0, count, size)]


def run_chunk(
    work: ItemWork, job: Job, items: Sequence[BatchItem], should_stop: Callable[[], bool] | None
) -> list[ItemResult]:
    """Run ``items`` one after another in this worker; after a stop, the rest are not run."""
    results = []
    for item in items:
        if should_stop is not None and should_stop():
            results.append(_not_run(item))
        else:
            results.append(work(job, item, should_stop=should_stop))
    return results


def _dask_chunk(job: Job, items: Sequence[BatchItem]) -> list[ItemResult]:
    return run_chunk(run_item, job, items, None)


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class Engine(Protocol):
    """Runs items somewhere and hands back their results as they finish."""

    description: str
    #: Whether no item is running any more once :meth:`finish` has returned.
    settled_after_stop: bool

    def run(self, job: Job, items: Sequence[BatchItem]) -> Iterator[tuple[int, ItemResult]]:
        """Yield ``(index into items, result)`` as items finish, in any order."""
        ...

    def stop(self) -> list[tuple[int, ItemResult]]:
        """Stop (Ctrl-C): cancel what has not started; return the results of those items."""
        ...

    def finish(self) -> Iterator[tuple[int, ItemResult]]:
        """After :meth:`stop`: the results of the items that were running."""
        ...

    def close(self) -> None: ...


def _not_run(item: BatchItem) -> ItemResult:
    return ItemResult(item.input, item.output, "not run")


def _lost(item: BatchItem, error: BaseException, *, where: str) -> ItemResult:
    """The result of an item whose worker failed it (not the item's own error)."""
    return ItemResult(item.input, item.output, "failed", internal=True,
                      error=f"{where}: {type(error).__name__}: {error}")  # fmt: skip


# -- local pool --------------------------------------------------------------------------------

_stop_event: multiprocessing.synchronize.Event | None = None


def _pool_start(stop: multiprocessing.synchronize.Event) -> None:
    """In each pool process: Ctrl-C is the parent's to handle; it tells us through ``stop``."""
    global _stop_event
    _stop_event = stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stopped() -> bool:
    return _stop_event is not None and _stop_event.is_set()


def _pool_run_chunk(work: ItemWork, job: Job, items: Sequence[BatchItem]) -> list[ItemResult]:
    return run_chunk(work, job, items, _stopped)


class LocalEngine:
    """A pool of ``workers`` processes on this machine (spawned: no state shared with the
    parent). ``work`` is what runs an item in a worker: :func:`run_item`, or another
    module-level function with its signature.

    At most ``2 * workers`` tasks are handed to the pool at a time. When a worker process dies
    (a crash in a native library, the out-of-memory killer), the pool is started again and the
    items that were in it are retried one at a time, so the one that kills its worker is failed
    alone and the others go on. On :meth:`stop`, items not started are cancelled and running
    ones are abandoned at their next frame, writing nothing.
    """

    def __init__(self, workers: int, *, work: ItemWork = run_item) -> None:
        if workers < 1:
            raise ParameterError(f"workers is {workers}; expected 1 or more")
        self.workers = workers
        self.work = work
        self.settled_after_stop = True
        self.description = f"{workers} local worker process{'es' if workers > 1 else ''}"
        self._context = multiprocessing.get_context("spawn")
        self._stop = self._context.Event()
        self._pool = self._new_pool()
        self._futures: dict[cf.Future[list[ItemResult]], Chunk] = {}
        self._items: Sequence[BatchItem] = ()
        self._waiting: deque[Chunk] = deque()
        self._suspects: deque[int] = deque()

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(self.workers, mp_context=self._context,
                                      initializer=_pool_start, initargs=(self._stop,))  # fmt: skip

    def run(self, job: Job, items: Sequence[BatchItem]) -> Iterator[tuple[int, ItemResult]]:
        self._items = items
        self._waiting = deque(chunks(len(items), chunk_size(job, len(items), self.workers)))
        self._suspects = deque()
        while self._waiting or self._suspects or self._futures:
            alone = self._fill(job)
            done, _ = cf.wait(self._futures, return_when=cf.FIRST_COMPLETED)
            died: list[int] = []
            for future in done:
                yield from self._results(future, died)
            if died:
                yield from self._after_death(died, alone=alone)

    def _fill(self, job: Job) -> bool:
        """Hand tasks to the pool; True when a suspect runs alone."""
        if self._suspects:
            if not self._futures:
                self._submit(job, (self._suspects.popleft(),))
            return True
        while self._waiting and len(self._futures) < 2 * self.workers:
            self._submit(job, self._waiting.popleft())
        return False

    def _submit(self, job: Job, chunk: Chunk) -> None:
        items = [self._items[i] for i in chunk]
        self._futures[self._pool.submit(_pool_run_chunk, self.work, job, items)] = chunk

    def _results(
        self, future: cf.Future[list[ItemResult]], died: list[int]
    ) -> Iterator[tuple[int, ItemResult]]:
        chunk = self._futures.pop(future)
        if future.cancelled():
            return
        try:
            yield from zip(chunk, future.result(), strict=True)
        except BrokenProcessPool:
            died.extend(chunk)
        except Exception as error:  # a task that does not pickle, say
            for index in chunk:
                yield index, _lost(self._items[index], error, where="local worker")

    def _after_death(self, died: list[int], *, alone: bool) -> Iterator[tuple[int, ItemResult]]:
        """A worker died: every task in the pool failed with it. Start a new pool; retry those
        items one at a time, or fail the one that was running alone."""
        for future in list(self._futures):  # the dead pool fails them all at once
            future.exception()
            yield from self._results(future, died)
        self._pool.shutdown(wait=True)
        self._pool = self._new_pool()
        if alone:
            for index in died:
                item = self._items[index]
                yield index, ItemResult(item.input, item.output, "failed", internal=True,
                                        error=f"{item.input}: its worker process died while "
                                        f"running it (a crash, or out of memory)")  # fmt: skip
        else:
            self._suspects.extend(sorted(died))

    def stop(self) -> list[tuple[int, ItemResult]]:
        self._stop.set()
        cancelled = [i for future, chunk in self._futures.items() if future.cancel()
                     for i in chunk]  # fmt: skip
        waiting = [i for chunk in self._waiting for i in chunk]
        never = sorted([*cancelled, *waiting, *self._suspects])
        self._waiting.clear()
        self._suspects.clear()
        return [(i, _not_run(self._items[i])) for i in never]

    def finish(self) -> Iterator[tuple[int, ItemResult]]:
        """Running items see the stop at their next frame and end without writing."""
        died: list[int] = []
        for future in cf.as_completed([f for f in self._futures if not f.cancelled()]):
            yield from self._results(future, died)
        for index in died:
            item = self._items[index]
            yield index, ItemResult(item.input, item.output, "interrupted",
                                    error="its worker process died while stopping")  # fmt: skip

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


# -- Dask ------------------------------------------------------------------------------------

DASK_MISSING = (
    "--scheduler needs Dask on this machine and on the workers: pip install 'avatardrive[batch]'"
)


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ParameterError(DASK_MISSING) from None
    return distributed


def _absolute(path: str) -> str:
    return os.path.abspath(path)


def _absolute_item(item: BatchItem) -> BatchItem:
    """Paths as a worker with another working folder must see them (on shared storage)."""
    rig = item.rig
    if rig is not None and os.path.isfile(rig):  # a rig file, not a built-in name
        rig = _absolute(rig)
    return BatchItem(_absolute(item.input), _absolute(item.output), rig)


def _absolute_job(job: Job) -> Job:
    if not isinstance(job, TrackJob):
        return job
    options = job.tracker
    model = None if options.model is None else _absolute(options.model)
    calibration = None if options.calibration is None else _absolute(options.calibration)
    return replace(job, tracker=replace(options, model=model, calibration=calibration))


def _check_address(distributed: Any, address: str) -> None:
    """Refuse a malformed address before a client is made (a failed client lingers 20 s)."""
    try:
        protocol, location = distributed.comm.parse_address(address)
        if protocol in ("tcp", "tls"):
            distributed.comm.parse_host_port(location)
    except ValueError as error:
        raise ParameterError(f"scheduler address {address!r}: {error}; expected "
                             f"tcp://HOST:PORT (a `dask scheduler` listens on 8786)") from None


class DaskEngine:
    """Items as tasks on a running Dask scheduler (``tcp://host:8786``).

    The workers need avatardrive (``pip install 'avatardrive[tracking,batch]'``) and the input and
    output paths at the same place as this machine (a shared filesystem). Dask reschedules the
    items of a worker that dies; outputs are renamed into place whole, so an item made twice is
    the same file once.
    """

    def __init__(self, address: str, *, timeout: float = 10.0) -> None:
        distributed = _distributed()
        self.settled_after_stop = False
        self._distributed = distributed
        _check_address(distributed, address)
        try:
            self._client = distributed.Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as error:
            raise ParameterError(
                f"cannot reach the Dask scheduler at {address!r} ({error}); expected a running "
                f"`dask scheduler` (and workers) at that address"
            ) from None
        workers = self._client.scheduler_info().get("workers", {})
        threads = sum(int(w.get("nthreads", 0)) for w in workers.values())
        self.description = f"Dask scheduler {address} ({len(workers)} workers, {threads} threads)"
        self.threads = max(1, threads)
        self._futures: dict[Any, Chunk] = {}
        self._items: Sequence[BatchItem] = ()

    def run(self, job: Job, items: Sequence[BatchItem]) -> Iterator[tuple[int, ItemResult]]:
        self._items = items
        run_id = uuid.uuid4().hex[:12]
        tasks = chunks(len(items), chunk_size(job, len(items), self.threads))
        keys = [f"avatardrive-items-{run_id}-{chunk[0]}" for chunk in tasks]
        batches = [[_absolute_item(items[i]) for i in chunk] for chunk in tasks]
        futures = self._client.map(_dask_chunk, [_absolute_job(job)] * len(tasks), batches,
                                   key=keys, pure=False)  # fmt: skip
        self._futures = dict(zip(futures, tasks, strict=True))
        for future in self._distributed.as_completed(futures, loop=self._client.loop):
            chunk = self._futures.pop(future)
            if future.status == "cancelled":
                continue
            try:
                results = future.result()
            except Exception as error:  # KilledWorker, or a worker without avatardrive
                for index in chunk:
                    yield index, _lost(items[index], error, where="Dask worker")
                continue
            for index, result in zip(chunk, results, strict=True):  # the paths as given here
                yield index, replace(result, input=items[index].input,
                                     output=items[index].output)  # fmt: skip

    def stop(self) -> list[tuple[int, ItemResult]]:
        """Cancel every unfinished task; an item already running ends on its worker and is written
        whole (a rerun then skips it)."""
        unfinished = sorted(i for chunk in self._futures.values() for i in chunk)
        self._client.cancel(list(self._futures))
        self._futures.clear()
        note = "cancelled; if it was already running, its worker may still write it whole"
        return [(i, ItemResult(self._items[i].input, self._items[i].output, "interrupted",
                               error=note)) for i in unfinished]  # fmt: skip

    def finish(self) -> Iterator[tuple[int, ItemResult]]:
        return iter(())

    def close(self) -> None:
        self._client.close()
