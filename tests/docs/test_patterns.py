"""docs/patterns.md: every sample runs (Sybil), and the page says what the code does."""

from __future__ import annotations

from tests.docs.pages import check_settings_block, settings_blocks
from tests.docs.support import open_page, slots

PAGE = "patterns.md"


def test_every_sample_runs(tmp_path):
    with open_page(PAGE, tmp_path) as project:
        project.run_samples()


def test_patterns_dual_use_and_active_nav(tmp_path, client):
    with open_page(PAGE, tmp_path):
        home = client.get("/")
        page = slots(home)
        assert page["content"] == "<h1>Welcome</h1>"
        assert page["featured"] == "<article><h2>Layouts in depth</h2></article>"
        assert "<title>My site</title>" in home.content.decode()
        assert '<a href="/" aria-current="page">Home</a>' in page["nav"]

        article = client.get("/articles/2/")
        assert "<title>Writing panels</title>" in article.content.decode()
        assert '<a href="/articles/2/" aria-current="page">Articles</a>' in slots(article)["nav"]
        assert '<a href="/" aria-current' not in slots(article)["nav"]
        assert client.get("/articles/9/").status_code == 404


def test_patterns_sections_and_htmx(tmp_path, client):
    from django.test import override_settings

    with open_page(PAGE, tmp_path):
        blog = slots(client.get("/section/blog/"))
        assert (blog["content"], blog["sidebar"], blog["cart"]) == (
            "<h1>Blog</h1>\n",
            "<p>Recent posts</p>",
            "[no cart]",
        )
        store = slots(client.get("/section/store/"))
        assert (store["sidebar"], store["cart"]) == ("[no sidebar]", "<p>Your cart is empty</p>")
        other = slots(client.get("/section/about/"))
        assert (other["sidebar"], other["cart"]) == ("[no sidebar]", "[no cart]")

        (block,) = settings_blocks(PAGE)
        with override_settings(DJ_LAYOUTS=check_settings_block(block)["DJ_LAYOUTS"]):
            partial = client.get("/articles/2/", headers={"HX-Request": "true"})
            full = client.get("/articles/2/")
        assert partial.content.decode() == "<article><h2>Writing panels</h2></article>"
        assert "HX-Request" in partial["Vary"]
        assert "HX-Request" in full["Vary"]
        assert slots(full)["content"] == "<article><h2>Writing panels</h2></article>"
