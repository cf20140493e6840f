from django.apps import AppConfig


class JinjaDemoConfig(AppConfig):
    name = "sandbox.jinjademo"
    label = "jinjademo"
    verbose_name = "dj-layouts with Jinja2 templates"
