from django.urls import path

from tests.cacheproc import views

urlpatterns = [
    path("ready/", views.ready),
    path("page/", views.page),
    path("swr/", views.swr_page),
    path("panel/slow/", views.slow_panel, name="slow"),
]
