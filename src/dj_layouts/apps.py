from __future__ import annotations

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class DjLayoutsConfig(AppConfig):
    name = "dj_layouts"
    verbose_name = "dj-layouts"

    def ready(self) -> None:
        from dj_layouts import checks  # noqa: F401 - registers the system checks

        # Like admin.py: every installed app's layouts.py registers its layouts.
        autodiscover_modules("layouts")
