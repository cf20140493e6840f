"""The panel endpoint's URLconf: ``path("_panels/", include("dj_layouts.urls"))``."""

from django.urls import re_path

from dj_layouts.endpoints import panel_view

app_name = "dj_layouts"

urlpatterns = [
    # Only the shape of a signed reference (payload[:timestamp]:signature), so the
    # project's own views under the same prefix ("_panels/sidebar/") still resolve.
    re_path(r"^(?P<reference>\.?[\w-]+(?::[\w-]+){1,2})/$", panel_view, name="panel"),
]
