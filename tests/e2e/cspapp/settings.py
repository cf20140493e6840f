"""tests.settings with a CSP chosen per request (``?csp=none|nonce|self``), for uvicorn."""

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.e2e.cspapp"]
ROOT_URLCONF = "tests.e2e.cspapp.urls"
MIDDLEWARE = ["tests.e2e.cspapp.middleware.csp"]
