"""docs/views.md: every sample runs (Sybil), and the page says what the code does."""

from __future__ import annotations

import pytest

from tests.docs.support import get, make_user, open_page, render_slots, slots

PAGE = "views.md"


def test_every_sample_runs(tmp_path):
    with open_page(PAGE, tmp_path) as project:
        project.run_samples()


def test_views_panel_view_visited_directly(tmp_path):
    from django.core.exceptions import PermissionDenied
    from django.http import HttpResponse

    from dj_layouts import Layout, Panel, layout

    with open_page(PAGE, tmp_path) as project:
        ns = project.run_samples()
        direct = ns["cart_summary"](get("/panels/cart/"))
        assert direct.content == b"<p>0 items in your cart</p>"
        with pytest.raises(PermissionDenied):
            ns["chart"](get("/panels/chart/"))

        class CartLayout(Layout):
            template = "myapp/layout.html"
            layout_context_defaults = {"cart_count": 3}
            nav = Panel(ns["cart_summary"])

        page = layout(CartLayout)(lambda request: HttpResponse("<h1>Shop</h1>"))(get("/"))
        assert slots(page)["nav"] == "<p>3 items in your cart</p>"


def test_views_function_views(tmp_path):
    from asgiref.sync import async_to_sync

    with open_page(PAGE, tmp_path) as project:
        ns = project.run_samples()

        anonymous = ns["dashboard"](get("/dashboard/"))
        assert (anonymous.status_code, anonymous["Location"]) == (302, "/login/")

        request = get("/dashboard/")
        request.user = make_user()
        page = ns["dashboard"](request)
        assert page.status_code == 200
        assert page.cookies["seen_dashboard"].value == "1"
        assert "<title>Dashboard</title>" in page.content.decode()
        assert slots(page)["content"] == "<h1>Hello ada</h1>"
        assert slots(page)["nav"] == "<nav>site nav</nav>"

        news = async_to_sync(ns["news"])(get("/news/"))
        assert slots(news)["content"] == "<h1>News</h1>"
        assert (
            ns["message"]
            == "@layout cannot wrap the async view myapp.views.feed; use @async_layout."
        )


def test_views_class_based_views_and_access_mixins(tmp_path):
    from asgiref.sync import async_to_sync
    from django.core.exceptions import PermissionDenied

    with open_page(PAGE, tmp_path) as project:
        ns = project.run_samples()

        dashboard = ns["DashboardView"].as_view()(get("/dashboard/"))
        assert slots(dashboard)["content"] == "<h1>Hello guest</h1>"
        assert slots(dashboard)["footer"] == "[no footer]"
        assert "<title>Dashboard</title>" in dashboard.content.decode()

        news = async_to_sync(ns["NewsView"].as_view())(get("/news/"))
        assert slots(news)["content"] == "<h1>News</h1>"

        account = ns["AccountView"].as_view()
        denied = async_to_sync(account)(get("/account/"))
        assert (denied.status_code, denied["Location"]) == (302, "/login/?next=/account/")
        request = get("/account/")
        request.user = make_user()
        assert slots(async_to_sync(account)(request))["content"] == "<h1>Your account</h1>"

        reports = ns["ReportsView"].as_view()
        request = get("/reports/")
        request.user = make_user()
        with pytest.raises(PermissionDenied):
            reports(request)
        request = get("/reports/")
        request.user = make_user(is_staff=True)
        assert slots(reports(request))["content"] == "<h1>Hello </h1>"


def test_views_panel_only_and_shortcuts(tmp_path):
    from django.core.exceptions import PermissionDenied

    with open_page(PAGE, tmp_path) as project:
        ns = project.run_samples()
        with pytest.raises(PermissionDenied) as excinfo:
            ns["cart_badge"](get())
        assert excinfo.value.args == (
            "myapp.views.cart_badge only renders as a panel of a layout, not as a page of its own.",
        )
        with pytest.raises(PermissionDenied):
            ns["RecentPostsPanel"].as_view()(get())
        page = render_slots(
            cart=ns["cart_badge"], info=ns["notifications"], related=ns["RecentPostsPanel"]
        )
        assert (page["cart"], page["info"]) == ("<span>3</span>", "<span>2 new</span>")
        assert page["related"] == "<ul><li>Post</li></ul>"

        assert slots(ns["about"](get("/about/")))["content"] == "<p>Since 2024</p>"
        missing = ns["page_not_found"](get("/nope/"), None)
        assert missing.status_code == 404
        assert slots(missing)["content"] == "<h1>Not found</h1>"
        assert slots(missing)["nav"] == "<nav>site nav</nav>"
