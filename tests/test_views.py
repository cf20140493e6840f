"""LayoutMixin and PanelOnlyMixin on class-based views, and their composition with other mixins."""

from __future__ import annotations

import pytest
from braces import views as braces
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpResponse, HttpResponseNotFound, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import include, path
from django.views import View
from django.views.generic import RedirectView, TemplateView

from dj_layouts import Layout, LayoutMixin, Panel, PanelOnlyMixin, ScriptQueue, add_script, layout

#: Names of the panels that ran during the current test, in order.
RAN: list[str] = []


def _recording(name, html):
    def panel_view(request):
        RAN.append(name)
        return html

    return panel_view


class ViewsPageLayout(Layout):
    template = "testapp/core/slots-scripts.html"
    layout_context_defaults = {"slots": ["side", "counted", "extra"], "title": "views"}
    scripts = ScriptQueue()
    side = Panel(_recording("side", "<p>side</p>"))
    counted = Panel(_recording("counted", "<p>counted</p>"))


class ViewsOtherLayout(Layout):
    template = "testapp/core/other.html"


class HomeView(LayoutMixin, TemplateView):
    layout_class = ViewsPageLayout
    template_name = "testapp/core/content.html"

    def get_context_data(self, **kwargs):
        add_script(self.request, "/static/home.js")
        return {**super().get_context_data(**kwargs), "heading": "Home"}


class KeyedView(LayoutMixin, TemplateView):
    layout_class = "tests.ViewsPageLayout"
    template_name = "testapp/core/content.html"


class MissingLayoutView(LayoutMixin, View):
    def get(self, request):
        return HttpResponse("never")


class NotFoundView(LayoutMixin, View):
    layout_class = ViewsPageLayout

    def get(self, request):
        return HttpResponseNotFound("<p>not here</p>")


class GoView(LayoutMixin, RedirectView):
    layout_class = ViewsPageLayout
    url = "/elsewhere/"


class StreamView(LayoutMixin, View):
    layout_class = ViewsPageLayout

    def get(self, request):
        return StreamingHttpResponse(iter(["<p>one</p>", "<p>two</p>"]))


class HeadersView(LayoutMixin, View):
    layout_class = ViewsPageLayout

    def get(self, request):
        response = HttpResponse("<p>with headers</p>", content_type="text/html; charset=utf-8")
        response["X-Custom"] = "kept"
        response["Content-Length"] = "20"
        response.set_cookie("flavour", "chocolate")
        return response


class DualView(LayoutMixin, View):
    """A page of its own, and a panel of another layout."""

    layout_class = ViewsPageLayout

    def get(self, request):
        RAN.append(f"dual as {request.layout_role}")
        return HttpResponse("<p>dual content</p>")


class OnlyPanelView(PanelOnlyMixin, View):
    def get(self, request):
        return HttpResponse(f"<p>only panel, {request.layout_role}</p>")


class DjangoLoginView(LoginRequiredMixin, LayoutMixin, TemplateView):
    layout_class = ViewsPageLayout
    template_name = "testapp/core/content.html"


class BracesLoginView(braces.LoginRequiredMixin, LayoutMixin, TemplateView):
    layout_class = ViewsPageLayout
    template_name = "testapp/core/content.html"


class BracesStaffView(braces.StaffuserRequiredMixin, LayoutMixin, TemplateView):
    layout_class = ViewsPageLayout
    template_name = "testapp/core/content.html"


class BracesHeadlineView(braces.SetHeadlineMixin, LayoutMixin, TemplateView):
    layout_class = ViewsPageLayout
    template_name = "testapp/core/headline.html"
    headline = "Braces headline"


view_patterns = [
    path("home/", HomeView.as_view(), name="home"),
    path("keyed/", KeyedView.as_view(), name="keyed"),
    path("missing/", NotFoundView.as_view(), name="missing"),
    path("go/", GoView.as_view(), name="go"),
    path("stream/", StreamView.as_view(), name="stream"),
    path("headers/", HeadersView.as_view(), name="headers"),
    path("dual/", DualView.as_view(), name="dual"),
    path("only/", OnlyPanelView.as_view(), name="only"),
    path("django-login/", DjangoLoginView.as_view(), name="django-login"),
    path("braces-login/", BracesLoginView.as_view(), name="braces-login"),
    path("braces-staff/", BracesStaffView.as_view(), name="braces-staff"),
    path("braces-headline/", BracesHeadlineView.as_view(), name="braces-headline"),
]
urlpatterns = [path("views/", include((view_patterns, "views")))]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.usefixtures("restore_layout_registry")]


@pytest.fixture(autouse=True)
def _clear_ran():
    RAN.clear()
    yield
    RAN.clear()


# -- a full page ----------------------------------------------------------------------------
def test_template_view_renders_inside_the_layout(client, slots):
    response = client.get("/views/home/")
    assert response.status_code == 200
    page = slots(response)
    assert page["content"] == '<h1>Home</h1><p class="content-path">/views/home/</p>\n'
    assert (page["side"], page["counted"], page["extra"]) == (
        "<p>side</p>",
        "<p>counted</p>",
        "fallback:extra",
    )
    assert RAN == ["side", "counted"]
    html = response.content.decode()
    assert '<div id="scripts"><script src="/static/home.js"></script></div>' in html
    assert html.count("<main>") == 1


def test_layout_template_gets_layout_context_request_and_context_processors(client):
    html = client.get("/views/home/").content.decode()
    assert "<title>views</title>" in html
    assert '<p class="proc">from-processor</p>' in html
    assert '<p class="path">/views/home/</p>' in html


def test_a_registry_key_as_layout_class(client, slots):
    page = slots(client.get("/views/keyed/"))
    assert page["side"] == "<p>side</p>"


def test_missing_layout_class_is_improperly_configured(rf):
    with pytest.raises(ImproperlyConfigured) as excinfo:
        MissingLayoutView.as_view()(rf.get("/"))
    assert excinfo.value.args == (
        "MissingLayoutView is missing a layout. Define MissingLayoutView.layout_class "
        "or override MissingLayoutView.get_layout_class().",
    )


def test_get_layout_class_hook_picks_the_layout_per_request(rf):
    class PickingView(LayoutMixin, View):
        def get_layout_class(self):
            return ViewsOtherLayout if "other" in self.request.GET else ViewsPageLayout

        def get(self, request):
            return HttpResponse("<p>picked</p>")

    other = PickingView.as_view()(rf.get("/?other=1")).content.decode()
    default = PickingView.as_view()(rf.get("/")).content.decode()
    assert other == '<body class="core-other"><main><p>picked</p></main><!-- /content --></body>\n'
    assert "<title>views</title>" in default


def test_get_layout_panels_hook(rf, slots):
    class HookedView(LayoutMixin, View):
        layout_class = ViewsPageLayout

        def get_layout_panels(self):
            return {"side": Panel(f"<p>side for {self.request.GET['who']}</p>")}

        def get(self, request):
            return HttpResponse("c")

    page = slots(HookedView.as_view()(rf.get("/?who=bob")))
    assert page["side"] == "<p>side for bob</p>"
    assert RAN == ["counted"]


# -- layout_panels ------------------------------------------------------------------------
def test_layout_panels_replace_keeps_position_none_suppresses_new_names_are_appended(rf, slots):
    class OverridingView(LayoutMixin, View):
        layout_class = ViewsPageLayout
        layout_panels = {
            "extra": Panel(_recording("extra", "<p>extra</p>")),
            "side": Panel(_recording("new side", "<p>new side</p>")),
            "counted": None,
        }

        def get(self, request):
            return HttpResponse("c")

    page = slots(OverridingView.as_view()(rf.get("/")))
    assert (page["side"], page["counted"], page["extra"]) == (
        "<p>new side</p>",
        "fallback:counted",
        "<p>extra</p>",
    )
    assert RAN == ["new side", "extra"]  # definition order; the suppressed panel never ran


def test_layout_panels_accept_plain_sources(rf, slots):
    class PlainView(LayoutMixin, View):
        layout_class = ViewsPageLayout
        layout_panels = {"side": "<p>plain side</p>", "extra": None}

        def get(self, request):
            return HttpResponse("c")

    page = slots(PlainView.as_view()(rf.get("/")))
    assert page["side"] == "<p>plain side</p>"
    assert isinstance(PlainView.layout_panels["side"], Panel)
    assert ViewsPageLayout.get_panels()["side"].name == "side"


@pytest.mark.parametrize(
    ("panels", "message"),
    [
        (
            ["side"],
            "BadPanels.layout_panels: panels must be a dict of name -> Panel or None, not ['side'].",
        ),
        (
            {"content": Panel("<p>x</p>")},
            "BadPanels.layout_panels: 'content' is not a valid panel name (an identifier other than 'content').",
        ),
        (
            {"not a name": None},
            "BadPanels.layout_panels: 'not a name' is not a valid panel name (an identifier other than 'content').",
        ),
        (
            {"side": 42},
            "BadPanels.layout_panels: panel 'side': Panel: unsupported panel source 42 (int). "
            "Use a URL name ('app:name'), literal HTML, a template=, a callable, a list of those, or None.",
        ),
    ],
)
def test_bad_layout_panels_are_a_type_error_at_class_creation(panels, message):
    with pytest.raises(TypeError) as excinfo:
        type(
            "BadPanels", (LayoutMixin, View), {"__qualname__": "BadPanels", "layout_panels": panels}
        )
    assert excinfo.value.args == (message,)


def test_an_abstract_or_bad_layout_class_is_a_type_error_at_class_creation():
    class AbstractViewsLayout(Layout):
        abstract = True
        template = "testapp/core/slots.html"

    with pytest.raises(TypeError) as abstract:
        type(
            "AbstractView",
            (LayoutMixin, View),
            {"__qualname__": "AbstractView", "layout_class": AbstractViewsLayout},
        )
    assert abstract.value.args == (
        "AbstractView.layout_class: layout "
        "test_an_abstract_or_bad_layout_class_is_a_type_error_at_class_creation.<locals>."
        "AbstractViewsLayout is abstract and cannot render.",
    )
    with pytest.raises(TypeError) as bad:
        type("BadView", (LayoutMixin, View), {"__qualname__": "BadView", "layout_class": 42})
    assert bad.value.args == (
        "BadView.layout_class: the layout must be a Layout subclass or a registry key such as "
        "'myapp.DefaultLayout', not 42.",
    )


# -- responses that pass through -------------------------------------------------------------
def test_non_200_passes_through_untouched(client):
    response = client.get("/views/missing/")
    assert response.status_code == 404
    assert response.content == b"<p>not here</p>"
    assert RAN == []


def test_redirect_passes_through_untouched(client):
    response = client.get("/views/go/")
    assert response.status_code == 302
    assert response["Location"] == "/elsewhere/"
    assert response.content == b""
    assert RAN == []


def test_method_not_allowed_passes_through(client):
    response = client.post("/views/home/")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert RAN == []


def test_streaming_response_passes_through(client):
    response = client.get("/views/stream/")
    assert response.status_code == 200
    assert response.streaming is True
    assert b"".join(response.streaming_content) == b"<p>one</p><p>two</p>"
    assert RAN == []


def test_template_response_is_rendered_once_and_kept(rf):
    response = HomeView.as_view()(rf.get("/views/home/"))
    assert isinstance(response, TemplateResponse)
    assert response.is_rendered is True
    content = response.content
    assert b"<h1>Home</h1>" in content
    assert b"<title>views</title>" in content
    response.render()  # a later render() (Django's handler calls it) changes nothing
    assert response.content == content


def test_headers_and_cookies_set_by_the_content_view_are_kept(client, slots):
    response = client.get("/views/headers/")
    assert response.status_code == 200
    assert response["X-Custom"] == "kept"
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response.cookies["flavour"].value == "chocolate"
    assert slots(response)["content"] == "<p>with headers</p>"
    # The stale length from the content view was dropped; CommonMiddleware set the page's.
    assert response["Content-Length"] == str(len(response.content))


def test_a_stale_content_length_is_removed(rf):
    response = HeadersView.as_view()(rf.get("/"))
    assert "Content-Length" not in response
    assert b"<title>views</title>" in response.content


# -- dual use and PanelOnlyMixin ------------------------------------------------------------
def test_a_layout_view_used_as_a_panel_returns_its_partial(client, rf, make_layout, slots):
    outer = make_layout("OuterViewsLayout", dual=Panel("views:dual"))
    page = slots(layout(outer)(lambda request: HttpResponse("outer"))(rf.get("/outer/")))
    assert page["dual"] == "<p>dual content</p>"
    assert page["content"] == "outer"
    assert RAN == ["dual as panel"]  # and not the inner layout's panels
    RAN.clear()
    own_page = slots(client.get("/views/dual/"))
    assert own_page["content"] == "<p>dual content</p>"
    assert RAN == ["dual as main", "side", "counted"]


def test_panel_only_view_is_forbidden_outside_a_panel(client, rf):
    assert client.get("/views/only/").status_code == 403
    with pytest.raises(PermissionDenied) as excinfo:
        OnlyPanelView.as_view()(rf.get("/"))
    assert excinfo.value.args == (
        "OnlyPanelView only renders as a panel of a layout, not as a page of its own.",
    )


def test_panel_only_view_works_inside_a_panel(rf, make_layout, slots):
    outer = make_layout("OnlyViewsLayout", only=Panel("views:only"), direct=Panel(OnlyPanelView))
    page = slots(layout(outer)(lambda request: HttpResponse("outer"))(rf.get("/")))
    assert page["only"] == "<p>only panel, panel</p>"
    assert page["direct"] == "<p>only panel, panel</p>"


# -- composition with access mixins placed before LayoutMixin ---------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/views/django-login/", "/views/braces-login/", "/views/braces-staff/"]
)
def test_an_access_mixins_redirect_passes_through_untouched(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"
    assert response.content == b""
    assert RAN == []


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/views/django-login/", "/views/braces-login/"])
def test_a_logged_in_user_gets_the_page(client, django_user_model, slots, url):
    client.force_login(django_user_model.objects.create_user("alice", password="pw"))
    response = client.get(url)
    assert response.status_code == 200
    assert slots(response)["content"] == f'<h1></h1><p class="content-path">{url}</p>\n'
    assert RAN == ["side", "counted"]


@pytest.mark.django_db
def test_braces_staff_mixin(client, django_user_model, slots):
    client.force_login(django_user_model.objects.create_user("bob", password="pw"))
    assert client.get("/views/braces-staff/").status_code == 302
    client.force_login(django_user_model.objects.create_user("carol", password="pw", is_staff=True))
    response = client.get("/views/braces-staff/")
    assert response.status_code == 200
    assert slots(response)["side"] == "<p>side</p>"


def test_braces_context_mixin_before_layout_mixin(client, slots):
    page = slots(client.get("/views/braces-headline/"))
    assert page["content"] == "<h2>Braces headline</h2>\n"
    assert page["side"] == "<p>side</p>"
