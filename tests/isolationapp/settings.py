"""tests.settings with the isolation pages at the root, for real uvicorn and gunicorn servers.

Sessions (and the messages kept in them) live in the process's memory cache, shared
by the server's threads.
"""

from tests.settings import *  # noqa: F403

ROOT_URLCONF = "tests.isolationapp.urls"
INSTALLED_APPS = [*INSTALLED_APPS, "tests.isolationapp"]  # noqa: F405
SESSION_ENGINE = "tests.isolationapp.slow_session"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
