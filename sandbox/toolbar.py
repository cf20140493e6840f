"""When the sandbox shows django-debug-toolbar: on the dashboard pages, with DEBUG on."""

from django.conf import settings
from django.http import HttpRequest


def show_toolbar(request: HttpRequest) -> bool:
    # /__debug__/ serves the toolbar's panels, fetched by the toolbar on a dashboard page.
    return bool(settings.DEBUG) and request.path.startswith(("/dashboard/", "/__debug__/"))
