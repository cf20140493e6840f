"""tests.settings with the streaming URLs at the root, for a real uvicorn server."""

from tests.settings import *  # noqa: F403

ROOT_URLCONF = "tests.streamapp.urls"
