from django.apps import AppConfig


class HtmxDemoConfig(AppConfig):
    name = "sandbox.htmxdemo"
    label = "htmxdemo"
    verbose_name = "dj-layouts with htmx: smart routing"
