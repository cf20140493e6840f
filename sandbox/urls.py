"""The sandbox's URLs. Django serves the static files itself, under runserver and uvicorn."""

import mimetypes
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import include, path, re_path

from sandbox import wagtaildemo


def static_file(request: HttpRequest, path: str) -> HttpResponse:
    """A static file from the apps' static/ folders (a demo server has no web server in front).

    Read whole into a plain response: Django's FileResponse is a sync iterator,
    which ASGI servers warn about on every file.
    """
    found = finders.find(path)
    if not found or not Path(found).is_file():
        raise Http404(f"No static file {path!r}.")
    content_type = mimetypes.guess_type(found)[0] or "application/octet-stream"
    return HttpResponse(Path(found).read_bytes(), content_type=content_type)


urlpatterns = [
    path("", include("sandbox.demo.urls")),
    path("htmx/", include("sandbox.htmxdemo.urls")),
    # The panel endpoint: lazy panels, refreshes and panel forms (docs/panel-urls.md).
    path("_panels/", include("dj_layouts.urls")),
    path("jinja2/", include("sandbox.jinjademo.urls")),
    # Further demo apps go here.
    re_path(rf"^{settings.STATIC_URL.lstrip('/')}(?P<path>.+)$", static_file),
]

if wagtaildemo.ENABLED:
    from wagtail import urls as wagtail_urls
    from wagtail.admin import urls as wagtailadmin_urls

    urlpatterns += [
        path(wagtaildemo.ADMIN_PREFIX, include(wagtailadmin_urls)),
        # Wagtail serves its pages under a prefix of their own: no other URL changes.
        path(wagtaildemo.PAGES_PREFIX, include(wagtail_urls)),
    ]

if getattr(settings, "TOOLBAR", False):
    from debug_toolbar.toolbar import debug_toolbar_urls

    urlpatterns += debug_toolbar_urls()
