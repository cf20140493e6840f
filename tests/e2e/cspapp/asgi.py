import os

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.e2e.cspapp.settings")
# Serves /static/ (the streaming runtime among it) as a production server would.
application = ASGIStaticFilesHandler(get_asgi_application())
