from __future__ import annotations

from django.urls import path

from bench import pages, streaming_pages

urlpatterns = [
    path("page/", pages.server_page),
    path("plain/", pages.server_plain_page),
    path("load/async/", pages.load_async_page),
    path("load/sync/", pages.load_sync_page),
    path("stream/ordered/", streaming_pages.ordered),
    path("stream/unordered/", streaming_pages.unordered),
    path("stream/buffered/", streaming_pages.buffered),
]
