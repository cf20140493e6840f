"""dj_layouts.querycount: a thread's queries on every database alias, and only its own."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from dj_layouts.querycount import counting_queries


@pytest.mark.django_db(databases=["default", "threads"])
def test_counts_every_alias_of_this_thread_only():
    def elsewhere():
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 0")

    with counting_queries() as counter:
        for alias in ("default", "threads", "default"):
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join()
    assert counter.count == 3
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 2")  # after the block: the wrapper is gone
    assert counter.count == 3
