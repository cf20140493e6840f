from django.urls import path

from tests.e2e.cspapp import views

urlpatterns = [
    path("unordered/", views.unordered),
    path("buffered/", views.buffered),
    path("leak/", views.leak),
]
