"""The page models of the sandbox's Wagtail tree: sections and the articles in them.

Both are ``WagtailLayoutMixin`` pages on one layout (``layouts.py``): the page's own
template renders the content, the layout's panels render around it.
"""

from __future__ import annotations

from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page

from dj_layouts.wagtail import WagtailLayoutMixin


class SectionPage(WagtailLayoutMixin, Page):
    """A section: its intro, then its live child pages."""

    intro = models.CharField(max_length=300, blank=True)

    layout_class = "wagtaildemo.Pages"
    template = "wagtaildemo/section_page.html"
    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["wagtaildemo.SectionPage", "wagtaildemo.ArticlePage"]


class ArticlePage(WagtailLayoutMixin, Page):
    """An article of a section: an intro and a rich-text body."""

    intro = models.CharField(max_length=300, blank=True)
    body = RichTextField(blank=True)

    layout_class = "wagtaildemo.Pages"
    template = "wagtaildemo/article_page.html"
    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    parent_page_types = ["wagtaildemo.SectionPage"]
    subpage_types: list[str] = []
