from django.apps import AppConfig


class BlogConfig(AppConfig):
    """The app docs/wagtail.md's samples are written for (label ``blog``); no models of its own."""

    name = "tests.wagtailsite.blog"
    label = "blog"
