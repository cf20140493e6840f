"""Counting the SQL queries each panel runs, whichever thread runs them.

Django's connections are per thread, and so is anything that watches them through
them: django-debug-toolbar's SQL panel wraps the connections of the request's
thread only. A panel's queries run in the thread of its executor (a worker thread),
or, for an async panel awaited on the event loop, in the threads its
``sync_to_async`` calls go to, where async panels of the same page run theirs side
by side. So a counter cannot be a thread's: it is the panel's, held in a context
variable, which ``sync_to_async`` and the executors carry into every thread that
works for the panel.

One ``execute_wrapper`` on each connection (put there when the connection opens,
``connection_created``) adds each query to the counter of the context it runs in,
if there is one. Outside a counted panel it costs a context-variable read per
query.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created


class QueryCounter:
    """The queries of one panel: how many, and how many in each thread.

    A panel that renders a layout page of its own (a nested page) counts its inner
    panels' queries too: a counter adds each query to the counters it is nested in.
    """

    def __init__(self, outer: QueryCounter | None = None) -> None:
        self.count = 0
        #: Queries by the name of the thread that ran them.
        self.threads: dict[str, int] = {}
        self.outer = outer

    def add(self, thread: str) -> None:
        counter: QueryCounter | None = self
        while counter is not None:
            counter.count += 1
            counter.threads[thread] = counter.threads.get(thread, 0) + 1
            counter = counter.outer


_counter: ContextVar[QueryCounter | None] = ContextVar("dj_layouts_query_counter", default=None)


def _count(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
    counter = _counter.get()
    if counter is not None:
        counter.add(threading.current_thread().name)
    return execute(sql, params, many, context)


def watch(connection: BaseDatabaseWrapper) -> None:
    """Put the counting wrapper on ``connection``, once."""
    if _count not in connection.execute_wrappers:
        # First in the list, not last: a connection often opens inside another
        # wrapper's `with connection.execute_wrapper(...)` block, whose exit pops
        # the list's last item.
        connection.execute_wrappers.insert(0, _count)


def _on_connection_created(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    watch(connection)


# Every connection any thread opens from now on (worker threads, sync_to_async's).
connection_created.connect(_on_connection_created, dispatch_uid="dj_layouts.querycount")


def watch_this_thread() -> None:
    """Watch this thread's connections, which may have opened before this module was imported.

    ``connections.all()`` makes this thread's connection wrappers without connecting.
    """
    for connection in connections.all():
        watch(connection)


@contextmanager
def counting_queries() -> Iterator[QueryCounter]:
    """Count the queries run in this context, in whatever thread, until the block ends."""
    counter = QueryCounter(_counter.get())
    token = _counter.set(counter)
    try:
        yield counter
    finally:
        _counter.reset(token)
