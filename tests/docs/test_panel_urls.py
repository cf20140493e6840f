"""docs/panel-urls.md: every sample runs (Sybil), and the page says what the code does."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.docs.support import open_page

PAGE = "panel-urls.md"


def test_every_sample_runs(tmp_path):
    with open_page(PAGE, tmp_path) as project:
        project.run_samples()


@pytest.mark.django_db
def test_the_shop_walkthrough(tmp_path):
    with open_page(PAGE, tmp_path) as project:
        project.run_samples()
        client = Client(enforce_csrf_checks=True)
        page = client.get("/").content.decode()
        lazy = re.search(r'data-src="([^"]+)" data-load="lazy"', page).group(1)
        visible = re.search(r'data-src="([^"]+)" data-load="visible"', page).group(1)
        assert "<p>Loading recommendations…</p></djl-panel>" in page
        assert page.count("dj_layouts/panels.js") == 1
        assert client.get(lazy).content == b"<ul><li>Tea</li></ul>"
        assert client.get(visible).content == b"<p>5 stars</p>"

        action = re.search(r'<form method="post" action="([^"]+)"', page).group(1)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        posted = client.post(action, {"item": "tea", "csrfmiddlewaretoken": token})
        assert (posted.status_code, posted["Location"]) == (303, "/")
        swapped = client.post(
            action, {"item": "cake", "csrfmiddlewaretoken": token}, headers={"HX-Request": "true"}
        ).content.decode()
        assert swapped.startswith('<div class="cart"') and "<p>2 items</p>" in swapped
        assert client.post(action, {"item": "x"}).status_code == 403  # no CSRF token
        # The view is @panel_only: its own URL stays closed.
        assert client.get("/panels/cart/").status_code == 403
