from django.urls import path

from tests.testapp import views

app_name = "testapp"

urlpatterns = [
    path("sidebar/", views.sidebar, name="sidebar"),
    path("echo/", views.echo, name="echo-default"),
    path("echo/<str:word>/", views.echo, name="echo"),
    path("only-panel/", views.only_panel, name="only-panel"),
    path("home/", views.home, name="home"),
    path("empty/", views.empty, name="empty"),
]

# Render queues (tests/test_queues.py).
from tests.testapp import queue_views  # noqa: E402

urlpatterns += [
    path("queues/sync/", queue_views.sync_page, name="queues-sync"),
    path("queues/async/", queue_views.async_page, name="queues-async"),
]
