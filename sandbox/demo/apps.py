from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "sandbox.demo"
    label = "demo"
    verbose_name = "dj-layouts demo pages"
    default_auto_field = "django.db.models.BigAutoField"
