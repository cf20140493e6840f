from django.urls import path

from sandbox.jinjademo import views

app_name = "jinjademo"

urlpatterns = [
    path("", views.page, name="page"),
    path("streamed/", views.streamed, name="streamed"),
]
