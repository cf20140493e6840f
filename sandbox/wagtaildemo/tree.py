"""The sandbox's Wagtail page tree, built by ``manage.py seed_demo`` (safe to run again).

The tree's home becomes the root page of the default site, in place of the welcome
page Wagtail's first migration makes. Pages that are missing are created; pages that
differ from the seed are set back to it and published again; pages already as seeded
are left alone (no new revision on every start of the sandbox).
"""

from __future__ import annotations

from typing import Any

from wagtail.models import Page, Site

from sandbox.wagtaildemo.models import ArticlePage, SectionPage

HOME = {
    "slug": "wagtail-pages",
    "title": "Wagtail pages",
    "intro": "A Wagtail page tree served through dj-layouts: every page is a Wagtail page "
    "model with WagtailLayoutMixin, and the cards around it are the layout's panels.",
}

SECTIONS: list[dict[str, Any]] = [
    {
        "slug": "guides",
        "title": "Guides",
        "intro": "How a Wagtail page becomes the content of a layout.",
        "articles": [
            {
                "slug": "panels-around-a-page",
                "title": "Panels around a page",
                "intro": "The page renders its own template; the layout's panels render "
                "around it, side by side in a thread pool.",
                "body": "<p>WagtailLayoutMixin comes before Page in the model's bases. "
                "Wagtail finds the page and calls its serve(); the mixin hands the page to "
                "the same engine as LayoutMixin.</p><p>The sidebar lists this page's "
                "siblings: a panel that reads the page tree.</p>",
            },
            {
                "slug": "one-template-both-ways",
                "title": "One template, both ways",
                "intro": "In a layout the page's template renders its content block alone; "
                "in a preview, the whole of its base template.",
                "body": "<p>While a layout renders the page, base_template in the template "
                "context is layouts/blank.html; outside one it is unset, and the template "
                "extends its own base.</p>",
            },
            {
                "slug": "previews-skip-the-layout",
                "title": "Previews skip the layout",
                "intro": "An editor's preview is served by Wagtail alone: no layout, no panels.",
                "body": "<p>Open this page in the admin (/cms/) and preview it: the page "
                "arrives through its own base template, without the cards around it.</p>",
            },
        ],
    },
    {
        "slug": "news",
        "title": "News",
        "intro": "What changed lately.",
        "articles": [
            {
                "slug": "the-sandbox-has-a-page-tree",
                "title": "The sandbox has a page tree",
                "intro": "seed_demo builds this tree at every start of the sandbox.",
                "body": "<p>Pages that are missing are made again; edits in the admin are "
                "set back to the seed at the next start.</p>",
            },
        ],
    },
]


def seed_tree() -> int:
    """Build or update the tree; the number of live pages in it."""
    home = _home()
    for section in SECTIONS:
        fields = {key: value for key, value in section.items() if key != "articles"}
        parent = _child(home, SectionPage, fields)
        for article in section["articles"]:
            _child(parent, ArticlePage, article)
    return Page.objects.live().descendant_of(home, inclusive=True).count()


def _home() -> SectionPage:
    home = _child(Page.get_first_root_node(), SectionPage, HOME)
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True)
    elif site.root_page_id != home.pk:
        welcome = site.root_page
        site.root_page = home
        site.save()
        # Wagtail's welcome page: no site shows it any more.
        if type(welcome.specific) is Page and welcome.is_leaf():
            welcome.delete()
    return home


def _child(parent: Page, model: type[Page], fields: dict[str, Any]) -> Any:
    """``parent``'s child of type ``model`` with ``fields["slug"]``, made or set to ``fields``."""
    page = model.objects.child_of(parent).filter(slug=fields["slug"]).first()
    if page is None:
        page = parent.add_child(instance=model(**fields))
    elif page.live and all(getattr(page, key) == value for key, value in fields.items()):
        return page
    for key, value in fields.items():
        setattr(page, key, value)
    page.save_revision().publish()
    return page
