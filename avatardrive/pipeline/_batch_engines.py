"""Where batch items run: a local process pool, or a Dask distributed scheduler.

Both engines take the same pickled ``(job, item)`` pairs to the same :func:`run_item`, so an item's
output does not depend on where it was made. Dask is imported only by :class:`DaskEngine`.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import multiprocessing.synchronize
import os
import signal
import uuid
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from avatardrive.errors import ParameterError
from avatardrive.pipeline._batch_work import BatchItem, ItemResult, Job, run_item

__all__ = ["DaskEngine", "Engine", "LocalEngine", "default_workers"]


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


def _pool_run_item(job: Job, item: BatchItem) -> ItemResult:
    if _stopped():
        return _not_run(item)
    return run_item(job, item, should_stop=_stopped)


class LocalEngine:
    """A pool of ``workers`` processes on this machine (spawned: no state shared with the
    parent). On :meth:`stop`, items not started are cancelled and running ones are abandoned at
    their next frame, writing nothing."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ParameterError(f"workers is {workers}; expected 1 or more")
        self.workers = workers
        self.settled_after_stop = True
        self.description = f"{workers} local worker process{'es' if workers > 1 else ''}"
        context = multiprocessing.get_context("spawn")
        self._stop = context.Event()
        self._pool = cf.ProcessPoolExecutor(workers, mp_context=context, initializer=_pool_start,
                                            initargs=(self._stop,))  # fmt: skip
        self._futures: dict[cf.Future[ItemResult], int] = {}
        self._items: Sequence[BatchItem] = ()

    def run(self, job: Job, items: Sequence[BatchItem]) -> Iterator[tuple[int, ItemResult]]:
        self._items = items
        self._futures = {self._pool.submit(_pool_run_item, job, item): i
                         for i, item in enumerate(items)}  # fmt: skip
        yield from self._collect(list(self._futures))

    def _collect(self, futures: list[cf.Future[ItemResult]]) -> Iterator[tuple[int, ItemResult]]:
        for future in cf.as_completed(futures):
            index = self._futures.pop(future)
            if future.cancelled():
                continue
            try:
                yield index, future.result()
            except Exception as error:  # the process died under it (BrokenProcessPool)
                yield index, _lost(self._items[index], error, where="local worker")

    def stop(self) -> list[tuple[int, ItemResult]]:
        self._stop.set()
        cancelled = sorted(i for future, i in self._futures.items() if future.cancel())
        return [(i, _not_run(self._items[i])) for i in cancelled]

    def finish(self) -> Iterator[tuple[int, ItemResult]]:
        """Running items see the stop at their next frame and end without writing."""
        yield from self._collect([f for f in self._futures if not f.cancelled()])

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
        self._futures: dict[Any, int] = {}
        self._items: Sequence[BatchItem] = ()

    def run(self, job: Job, items: Sequence[BatchItem]) -> Iterator[tuple[int, ItemResult]]:
        self._items = items
        run_id = uuid.uuid4().hex[:12]
        keys = [f"avatardrive-item-{run_id}-{i}" for i in range(len(items))]
        futures = self._client.map(run_item, [job] * len(items), items, key=keys, pure=False)
        self._futures = {future: i for i, future in enumerate(futures)}
        for future in self._distributed.as_completed(futures, loop=self._client.loop):
            index = self._futures.pop(future)
            if future.status == "cancelled":
                continue
            try:
                yield index, future.result()
            except Exception as error:  # KilledWorker, or a worker without avatardrive
                yield index, _lost(items[index], error, where="Dask worker")

    def stop(self) -> list[tuple[int, ItemResult]]:
        """Cancel every unfinished item; one already running ends on its worker and is written
        whole (a rerun then skips it)."""
        unfinished = sorted(self._futures.values())
        self._client.cancel(list(self._futures))
        self._futures.clear()
        note = "cancelled; if it was already running, its worker may still write it whole"
        return [(i, ItemResult(self._items[i].input, self._items[i].output, "interrupted",
                               error=note)) for i in unfinished]  # fmt: skip

    def finish(self) -> Iterator[tuple[int, ItemResult]]:
        return iter(())

    def close(self) -> None:
        self._client.close()
