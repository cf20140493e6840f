"""docs/layouts.md: every sample runs (Sybil), and the page says what the code does."""

from __future__ import annotations

import logging

from tests.docs.support import get, open_page, render, slots

PAGE = "layouts.md"


def test_every_sample_runs(tmp_path):
    with open_page(PAGE, tmp_path) as project:
        project.run_samples()


def test_layouts_registry_and_inheritance(tmp_path):
    from dj_layouts import Layout

    with open_page(PAGE, tmp_path) as project:
        ns = project.run_samples()
        assert list(ns["SiteLayout"].get_panels()) == ["header", "nav", "footer"]
        assert list(ns["SiteLayout"].get_queues()) == ["scripts", "styles"]
        assert Layout.registry["myapp.PlainLayout"] is ns["PlainLayout"]
        assert Layout.registry.get("myapp.ShopLayout") is not ns["ShopLayout"]
        # registry_key and abstract are not inherited.
        child = type("ShopChildLayout", (ns["ShopLayout"],), {"__module__": "myapp.docs"})
        assert Layout.registry["myapp.ShopChildLayout"] is child
        assert not child.abstract

        blog = slots(render(ns["BlogLayout"], "<p>x</p>"))
        assert blog["nav"] == "<nav>blog nav</nav>"
        assert blog["sidebar"] == "<p>sidebar</p>"
        assert blog["footer"] == "[no footer]"
        assert blog["header"] == "<strong>My site</strong>"
        assert slots(render(ns["SiteLayout"], "<p>x</p>"))["nav"] == "<nav>site nav</nav>"


def test_layouts_extension_points(tmp_path, caplog):
    from dj_layouts import Panel

    def broken(request):
        raise RuntimeError("database down")

    with open_page(PAGE, tmp_path) as project:
        account = project.run_samples()["AccountLayout"]
        assert account().get_layout_context(get("/account/settings/")) == {"section": "account"}
        assert account().get_layout_context(get("/")) == {"section": "home"}

        with caplog.at_level(logging.ERROR, logger="dj_layouts"):
            page = render(account, "<p>me</p>", panels={"nav": Panel(broken)})
        assert slots(page)["nav"] == '<p class="unavailable">nav is unavailable.</p>'
        assert "database down" in caplog.text
        assert "<p>PRINT</p>" not in page.content.decode()

        printed = render(account, "<p>me</p>", request=get("/?print=1"))
        assert "<p>PRINT</p>" in printed.content.decode()
        assert slots(printed)["content"] == "<p>me</p>"
