"""dj_layouts.querycount: the queries of one context, in whatever thread they run.

A counter is held in a context variable: ``sync_to_async`` carries it into the
threads it runs code in (where the async ORM queries), a plain thread does not.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from dj_layouts.querycount import _count, counting_queries, watch, watch_this_thread
from tests.testapp.models import Note


def select(alias: str = "default") -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")


@pytest.mark.django_db(databases=["default", "threads"])
def test_counts_every_alias_but_not_a_thread_started_without_the_context():
    watch_this_thread()
    with counting_queries() as counter:
        for alias in ("default", "threads", "default"):
            select(alias)
        thread = threading.Thread(target=select)  # threads do not inherit the context
        thread.start()
        thread.join()
    assert counter.count == 3
    assert counter.threads == {threading.current_thread().name: 3}
    select()  # after the block: nothing counts
    assert counter.count == 3


@pytest.mark.django_db
async def test_counts_queries_that_sync_to_async_runs_in_other_threads():
    def here() -> str:
        select()
        return threading.current_thread().name

    with counting_queries() as counter:
        sensitive = await sync_to_async(here)()
        other = await sync_to_async(here, thread_sensitive=False)()
        await Note.objects.acount()  # the async ORM: a thread-sensitive sync_to_async
    assert sensitive != other and threading.current_thread().name not in (sensitive, other)
    assert counter.count == 3
    assert counter.threads == {sensitive: 2, other: 1}


@pytest.mark.django_db
async def test_tasks_querying_in_the_same_thread_at_once_each_get_their_own_count():
    # Both tasks' queries run one after another in the one thread-sensitive thread,
    # interleaved: a per-thread count would mix them up.
    turns = [asyncio.Event() for _ in range(7)]
    turns[0].set()

    async def task(queries: int, first_turn: int) -> int:
        with counting_queries() as counter:
            for turn in range(first_turn, first_turn + 2 * queries, 2):
                await turns[turn].wait()
                await Note.objects.acount()
                turns[turn + 1].set()
        return counter.count

    assert await asyncio.gather(task(3, 0), task(2, 1)) == [3, 2]


@pytest.mark.django_db
def test_a_nested_counter_adds_to_the_one_it_is_in():
    watch_this_thread()
    with counting_queries() as outer:
        select()
        with counting_queries() as inner:
            select()
            select()
    assert (outer.count, inner.count) == (3, 2)


@pytest.mark.django_db(databases=["threads"])
def test_connections_opened_in_any_thread_are_watched_once():
    found: list[list[object]] = []

    def connect() -> None:
        connection = connections["threads"]
        connection.close()
        connection.ensure_connection()  # connection_created
        found.append(list(connection.execute_wrappers))
        watch(connection)
        found.append(list(connection.execute_wrappers))
        connection.close()

    thread = threading.Thread(target=connect)
    thread.start()
    thread.join()
    assert found == [[_count], [_count]]


@pytest.mark.django_db
def test_the_counter_stays_first_among_the_wrappers_of_a_connection_opened_inside_another():
    # A connection that opens inside `with connection.execute_wrapper(...)` gets the
    # counting wrapper then; the block's exit must still remove its own wrapper.
    def other(execute, sql, params, many, context):
        return execute(sql, params, many, context)

    def connect() -> None:
        connection = connections["default"]
        connection.execute_wrappers.clear()
        with connection.execute_wrapper(other):
            select()
        found.append(list(connection.execute_wrappers))

    found: list[list[object]] = []
    thread = threading.Thread(target=connect)
    thread.start()
    thread.join()
    assert found == [[_count]]
