from __future__ import annotations

from django.urls import include, path

from bench import edge_pages, endpoint_pages, pages, streaming_pages

urlpatterns = [
    # First, as docs/panel-urls.md shows it: a panel refresh is not resolved past every page.
    path("_panels/", include("dj_layouts.urls")),
    path("page/", pages.server_page),
    path("plain/", pages.server_plain_page),
    path("load/async/", pages.load_async_page),
    path("load/sync/", pages.load_sync_page),
    path("stream/ordered/", streaming_pages.ordered),
    path("stream/unordered/", streaming_pages.unordered),
    path("stream/buffered/", streaming_pages.buffered),
    path("endpoint/lazy/", endpoint_pages.lazy),
    path("endpoint/inline/", endpoint_pages.inline),
    path("endpoint/bare/", endpoint_pages.small_panel),
    *(path(f"endpoint/served/{way}/", view) for way, view in endpoint_pages.served.items()),
    path("edge/", edge_pages.page),
    path("edge/kept/", edge_pages.kept_page),
    path("edge/bare/", edge_pages.bare),
    path("edge/renders/", edge_pages.counts),
]
