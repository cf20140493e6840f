"""The panel endpoint's URLconf: ``path("_panels/", include("dj_layouts.urls"))``."""

from django.urls import path

from dj_layouts.endpoints import panel_view

app_name = "dj_layouts"

urlpatterns = [
    path("<str:reference>/", panel_view, name="panel"),
]
