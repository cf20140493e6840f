"""Counting the SQL queries a panel runs in its own thread.

Django's connections are per thread, and so is anything that watches them through
them (django-debug-toolbar's SQL panel wraps the connections of the request's
thread only): queries a panel runs in a worker thread are invisible to it. A page
whose timing is wanted counts each sync panel's queries in the thread it runs in,
with ``connection.execute_wrapper``, so the timing record can show them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from django.db import connections


class QueryCounter:
    """An ``execute_wrapper`` that counts every query it lets through."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def counting_queries() -> Iterator[QueryCounter]:
    """Count the queries run on this thread's connections (every database alias)."""
    counter = QueryCounter()
    with ExitStack() as stack:
        # connections.all() makes this thread's wrappers without connecting.
        for connection in connections.all():
            stack.enter_context(connection.execute_wrapper(counter))
        yield counter
