from django.urls import path

from tests.isolationapp import views

urlpatterns = [
    *(path(f"iso/{name}/", view) for name, view in views.PAGES.items()),
    path("iso/session/", views.show_session),
    path("iso/start/", views.start_session),
    path("iso/read-messages/", views.show_messages),
    path("iso/submit/", views.submit),
]
