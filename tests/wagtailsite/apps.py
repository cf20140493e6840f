from django.apps import AppConfig


class WagtailSiteConfig(AppConfig):
    name = "tests.wagtailsite"
    label = "wagtailsite"
