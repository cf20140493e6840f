"""Building a panel's own request from the main request."""

from __future__ import annotations

from io import BytesIO
from typing import TYPE_CHECKING

from django.http import HttpRequest, QueryDict
from django.utils.datastructures import MultiValueDict

from dj_layouts.context import FrozenLayoutContext

if TYPE_CHECKING:
    from dj_layouts.queues import QueueCollector

MAIN = "main"
PANEL = "panel"


def is_panel_request(request: HttpRequest) -> bool:
    return getattr(request, "layout_role", None) == PANEL


def make_panel_request(
    request: HttpRequest,
    *,
    panel_name: str,
    layout_context: FrozenLayoutContext,
    queues: QueueCollector,
    empty_post: QueryDict | None = None,
) -> HttpRequest:
    """A GET copy of ``request`` for one panel.

    The copy shares what middleware attached (``user``, ``session``, ...) but has
    its own ``META``, ``COOKIES`` and attributes, so a panel cannot change the main
    request or another panel's. The main request's body is never parsed for it.
    ``empty_post`` lets the panels of one page share one immutable, empty ``POST``.
    """
    panel = object.__new__(type(request))
    attrs = request.__dict__.copy()
    meta = dict(request.META)
    meta["REQUEST_METHOD"] = "GET"
    meta["CONTENT_LENGTH"] = "0"
    attrs.update(
        method="GET",
        META=meta,
        environ=meta,  # WSGIRequest.environ is META itself
        COOKIES=dict(request.COOKIES),
        _post=QueryDict() if empty_post is None else empty_post,
        _files=MultiValueDict(),
        _body=b"",
        _stream=BytesIO(),
        _read_started=False,
        layout_role=PANEL,
        layout_panel_name=panel_name,
        is_layout_partial=False,
        layout_context=layout_context,
        layout_queues=queues,
    )
    panel.__dict__ = attrs
    return panel
