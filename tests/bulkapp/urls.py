from django.urls import path

from tests.bulkapp import views

urlpatterns = [
    path("hang/", views.hang),
    path("hang-sync/", views.hang_sync),
    path("fast/", views.fast),
    path("cached/", views.cached),
]
