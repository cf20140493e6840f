"""A bounded pool of daemon threads that knows which of its threads were given up on.

``concurrent.futures.ThreadPoolExecutor`` joins its threads at interpreter exit, so a
process whose panels hang on an upstream waits for them before it exits (gunicorn
took 23 s after SIGTERM). ``WorkerPool`` keeps its interface (``submit``,
``shutdown``, usable with ``loop.run_in_executor``) with daemon threads that do not
hold up exit, and two things a bulkhead needs:

- ``submit_until(deadline, ...)``: work still queued when its deadline passes never
  starts;
- ``abandon(future)``: the caller stopped waiting for work that is running. The
  thread keeps running it; it is counted (process-wide, in ``ABANDONED``), and the
  pool may start one thread more in its place, so hung work never starves fresh
  work, up to ``DJ_LAYOUTS["MAX_ABANDONED_THREADS"]`` extra threads in the process.
  Beyond that, a pool whose every thread is stuck refuses work at once
  (``PoolExhausted``) instead of queuing it for ever.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

from dj_layouts.conf import get_settings

T = TypeVar("T")

logger = logging.getLogger("dj_layouts.executors")


class PoolExhausted(RuntimeError):
    """Every thread of a pool runs work that was given up on, and it may not grow."""


class AbandonLedger:
    """Process-wide count of threads given up on, and of the extra threads granted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = 0
        self.total = 0
        self.granted = 0

    def abandon(self) -> bool:
        """Count one more; True when the pool may start a thread in its place."""
        cap = get_settings().MAX_ABANDONED_THREADS
        with self._lock:
            self.now += 1
            self.total += 1
            if self.granted < cap:
                self.granted += 1
                return True
            return False

    def finished(self, *, granted: bool) -> None:
        with self._lock:
            self.now -= 1
            if granted:
                self.granted -= 1


ABANDONED = AbandonLedger()


class _Work:
    __slots__ = ("abandoned", "args", "deadline", "fn", "future", "granted", "kwargs", "thread")

    def __init__(
        self,
        future: Future[Any],
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        deadline: float | None,
    ) -> None:
        self.future = future
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.deadline = deadline
        self.abandoned = False
        self.granted = False
        self.thread: threading.Thread | None = None


class WorkerPool(Executor):
    """At most ``max_workers`` threads at work, plus one per granted abandoned thread."""

    def __init__(self, max_workers: int, *, name: str) -> None:
        self.max_workers = max_workers
        self.name = name
        self._cond = threading.Condition()
        self._queue: deque[_Work] = deque()
        self._running: dict[Future[Any], _Work] = {}
        self._threads: set[threading.Thread] = set()
        self._idle = 0
        self._starting = 0  # started threads that have not looked at the queue yet
        self._extra = 0  # threads started in place of granted abandoned ones
        self._stuck = 0  # abandoned threads that got no replacement
        self._shutdown = False
        self._numbers = itertools.count()

    def __repr__(self) -> str:
        return f"<WorkerPool {self.name} max_workers={self.max_workers}>"

    @property
    def abandoned(self) -> int:
        """Threads of this pool running work that was given up on."""
        with self._cond:
            return sum(work.abandoned for work in self._running.values())

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        return self.submit_until(None, fn, *args, **kwargs)

    def submit_until(
        self, deadline: float | None, fn: Callable[..., T], /, *args: Any, **kwargs: Any
    ) -> Future[T]:
        """Like ``submit``; if still queued at ``deadline`` (``time.monotonic()``), never run."""
        future: Future[T] = Future()
        with self._cond:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            if self._stuck >= self.max_workers:
                raise PoolExhausted(
                    f"every thread of the {self.name} pool ({self.max_workers}) runs a panel "
                    "that timed out and has not returned, and "
                    f"DJ_LAYOUTS['MAX_ABANDONED_THREADS'] ({get_settings().MAX_ABANDONED_THREADS}) "
                    "threads were already started in place of such threads. Fix the upstream "
                    "those panels wait on, or raise MAX_ABANDONED_THREADS."
                )
            self._queue.append(_Work(future, fn, args, kwargs, deadline))
            self._start_threads()
            self._cond.notify()
        return future

    def _start_threads(self) -> None:
        # Called with the lock held.
        while len(self._queue) > self._idle + self._starting and len(self._threads) < (
            self.max_workers + self._extra
        ):
            thread = threading.Thread(
                target=self._work,
                name=f"dj-layouts-{self.name}_{next(self._numbers)}",
                daemon=True,  # never holds up interpreter exit
            )
            self._threads.add(thread)
            self._starting += 1
            thread.start()

    def _take(self, *, first: bool) -> _Work | None:
        with self._cond:
            if first:
                self._starting -= 1
            while True:
                while not self._queue:
                    current = threading.current_thread()
                    if self._shutdown or len(self._threads) > self.max_workers + self._extra:
                        self._threads.discard(current)
                        return None
                    self._idle += 1
                    self._cond.wait()
                    self._idle -= 1
                work = self._queue.popleft()
                if work.deadline is not None and time.monotonic() >= work.deadline:
                    work.future.cancel()  # its caller gave up on it: never start it
                    continue
                if work.future.set_running_or_notify_cancel():
                    work.thread = threading.current_thread()
                    self._running[work.future] = work
                    return work

    def _work(self) -> None:
        work = self._take(first=True)
        while work is not None:
            try:
                work.future.set_result(work.fn(*work.args, **work.kwargs))
            except BaseException as exc:
                work.future.set_exception(exc)
            self._done(work)
            work = self._take(first=False)

    def _done(self, work: _Work) -> None:
        with self._cond:
            del self._running[work.future]
            if work.abandoned:
                if work.granted:
                    self._extra -= 1
                else:
                    self._stuck -= 1
        if work.abandoned:
            ABANDONED.finished(granted=work.granted)

    def abandon(self, future: Future[Any]) -> int | None:
        """Stop counting on running ``future``; the process's abandoned count, or None.

        None when the work was not running here (it finished, or never started).
        """
        with self._cond:
            work = self._running.get(future)
            if work is None or work.abandoned:
                return None
            work.abandoned = True
            work.granted = ABANDONED.abandon()
            if work.granted:
                self._extra += 1
                self._start_threads()
            else:
                self._stuck += 1
            return ABANDONED.now

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._cond:
            self._shutdown = True
            if cancel_futures:
                while self._queue:
                    self._queue.popleft().future.cancel()
            self._cond.notify_all()
            # Threads stuck in abandoned work may never return: exit must not wait for them.
            stuck = {work.thread for work in self._running.values() if work.abandoned}
            threads = self._threads - stuck
        if wait:
            for thread in threads:
                if thread is not threading.current_thread():
                    thread.join()
