"""docs/layout-context.md: every sample runs (Sybil), and the page says what the code does."""

from __future__ import annotations

from tests.docs.support import get, open_page, render, slots

PAGE = "layout-context.md"


def test_every_sample_runs(tmp_path):
    with open_page(PAGE, tmp_path) as project:
        project.run_samples()


def test_layout_context_layers(tmp_path):
    from dj_layouts import FrozenLayoutContext

    with open_page(PAGE, tmp_path) as project:
        ns = project.run_samples()
        page = ns["pricing"](get("/shop/pricing/"))
        assert slots(page)["nav"] == "<p>shop \u203a Pricing</p>"
        assert "<title>Pricing</title>" in page.content.decode()
        assert ns["draft"] == {"page_title": "Changed"}
        assert type(ns["draft"]) is dict
        assert ns["snapshot"] == {"page_title": "Pricing"}
        assert ns["mine"] == {"filters": {"tags": ["django", "htmx", "python"]}}
        assert type(ns["mine"]["filters"]["tags"]) is list
        assert ns["nested"] == {"filters": {"tags": ["django", "htmx"]}}
        assert ns["direct"].content == b"<h2>Welcome</h2>"
        panel_request = get("/x/")
        panel_request.layout_context = FrozenLayoutContext({"section": "Shop"})
        assert ns["section_title"](panel_request).content == b"<h2>Shop</h2>"


def test_layout_context_wins_over_context_processors(tmp_path):
    from dj_layouts import Layout

    with open_page(PAGE, tmp_path):
        plain = type(
            "ProcessorLayout",
            (Layout,),
            {"template": "myapp/processor.html", "__module__": "myapp.t"},
        )
        assert render(plain, "").content.decode() == "[from-processor]"
        plain.layout_context_defaults = {"processor_value": "from-layout"}
        assert render(plain, "").content.decode() == "[from-layout]"


def test_async_views_accept_an_async_get_layout_context(tmp_path):
    from asgiref.sync import async_to_sync
    from django.http import HttpResponse

    from dj_layouts import Layout, async_layout

    with open_page(PAGE, tmp_path):

        class AsyncContextLayout(Layout):
            template = "myapp/layout.html"

            async def get_layout_context(self, request):
                return {"page_title": "From async"}

        @async_layout(AsyncContextLayout)
        async def view(request):
            return HttpResponse("")

        page = async_to_sync(view)(get())
        assert "<title>From async</title>" in page.content.decode()
