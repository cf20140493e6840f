"""ASGI entry point: `uvicorn sandbox.asgi:application` from the repository root."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")

application = get_asgi_application()
