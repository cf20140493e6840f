"""`manage.py seed_demo`: create the demo articles and comments, and the Wagtail page tree
when the sandbox has Wagtail (safe to run again)."""

from __future__ import annotations

import datetime
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from sandbox.demo.models import Article, Comment

ARTICLES = [
    {
        "slug": "panels-in-parallel",
        "title": "Panels in parallel",
        "summary": "Why a page can cost its slowest panel instead of the sum of all of them.",
        "body": "Under ASGI every panel of a page starts at once. Sync panel views run in "
        "worker threads of their own, async ones as tasks on the event loop.",
        "allow_comments": True,
        "published": datetime.date(2025, 3, 14),
        "comments": [
            ("Ada", "The dashboard demo made it click for me."),
            ("Grace", "Nice that sync views get real threads."),
        ],
    },
    {
        "slug": "quiet-announcement",
        "title": "A quiet announcement",
        "summary": "An article whose comments are closed: its comments panel is skipped.",
        "body": "Conditional panels look at the layout context; this article sets "
        "allow_comments to False, so the comments panel never runs.",
        "allow_comments": False,
        "published": datetime.date(2025, 2, 1),
        "comments": [("Linus", "This comment exists but is never shown.")],
    },
    {
        "slug": "one-script-many-panels",
        "title": "One script, many panels",
        "summary": "Render queues load a script once, however many panels ask for it.",
        "body": "Each view queues what it needs; the layout renders every queue once, "
        "content view first, then the panels in definition order.",
        "allow_comments": True,
        "published": datetime.date(2025, 1, 20),
        "comments": [],
    },
]


class Command(BaseCommand):
    help = (
        "Create the sandbox's demo articles and comments, and its Wagtail page tree; "
        "existing ones are updated."
    )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        for data in ARTICLES:
            fields = {key: value for key, value in data.items() if key not in ("slug", "comments")}
            article, _ = Article.objects.update_or_create(slug=data["slug"], defaults=fields)
            article.comments.all().delete()
            Comment.objects.bulk_create(
                Comment(article=article, author=author, body=body)
                for author, body in data["comments"]
            )
        self.stdout.write(f"Demo data ready: {Article.objects.count()} articles.")
        if apps.is_installed("sandbox.wagtaildemo"):
            from sandbox.wagtaildemo.tree import seed_tree

            self.stdout.write(f"Wagtail page tree ready: {seed_tree()} live pages.")
