from django.urls import include, path

from tests.streamapp import views

urlpatterns = [
    path("stream/buffered/", views.buffered),
    path("stream/ordered/", views.ordered),
    path("stream/unordered/", views.unordered),
    path("stream/not-found/", views.not_found),
    path("stream/already/", views.already_streaming),
    path("stream/sync-ordered/", views.sync_ordered),
    path("stream/sync-buffered/", views.sync_buffered),
    path("", include("tests.urls")),
]
