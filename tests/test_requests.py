"""Panel requests: a GET copy of the main request that cannot change it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse, QueryDict
from django.test import modify_settings
from django.urls import path
from django.views import View

from dj_layouts import (
    FrozenLayoutContext,
    Layout,
    LayoutContext,
    LayoutMixin,
    Panel,
    ScriptQueue,
)
from dj_layouts.queues import QueueCollector

#: Every request a panel or the content view saw during the current test.
PANELS: list = []
MAIN: list = []
MIDDLEWARE_CALLS: list = []


def record(request):
    PANELS.append(request)
    return f"<i>seen {len(PANELS)}</i>"


def meddle(request):
    """A panel that changes everything on its request it can reach."""
    request.META["HTTP_X_TAG"] = "meddled"
    request.COOKIES["flavour"] = "meddled"
    request.tag = "meddled"
    request.method = "DELETE"
    request.GET = QueryDict("q=meddled")
    request.layout_role = "meddled"
    request.added_by_panel = True
    PANELS.append(request)
    return "<i>meddled</i>"


class RequestsPageLayout(Layout):
    template = "testapp/core/slots.html"
    layout_context_defaults = {"slots": ["first", "meddler", "second"], "title": "default"}
    scripts = ScriptQueue()
    first = Panel(record)
    meddler = Panel(meddle)
    second = Panel(record)


class RequestsPageView(LayoutMixin, View):
    layout_class = RequestsPageLayout

    def get(self, request, **kwargs):
        MAIN.append(request)
        request.layout_context["title"] = "written by the view"
        return HttpResponse("<p>content</p>")

    def post(self, request, **kwargs):
        # Deliberately never touches request.POST, FILES or body.
        return self.get(request, **kwargs)


class TagMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        MIDDLEWARE_CALLS.append(request.path)
        request.tag = "from-middleware"
        return self.get_response(request)


urlpatterns = [path("page/<slug:slug>/", RequestsPageView.as_view(), name="requests-page")]

pytestmark = pytest.mark.urls(__name__)

WITH_TAG_MIDDLEWARE = modify_settings(MIDDLEWARE={"append": f"{__name__}.TagMiddleware"})


@pytest.fixture(autouse=True)
def _clear_records():
    PANELS.clear()
    MAIN.clear()
    MIDDLEWARE_CALLS.clear()
    yield
    PANELS.clear()
    MAIN.clear()
    MIDDLEWARE_CALLS.clear()


def _post_request(rf):
    return rf.post(
        "/page/s/?q=1",
        data={"a": "1", "upload": SimpleUploadedFile("notes.txt", b"file body")},
    )


def test_panel_request_is_an_empty_get(rf):
    request = _post_request(rf)
    response = RequestsPageView.as_view()(request, slug="s")
    assert response.status_code == 200
    assert len(PANELS) == 3
    for panel in PANELS[::2]:  # not the meddler, which changed its own request
        assert type(panel) is type(request)
        assert panel.method == "GET"
        assert panel is not request
        assert panel.POST == {}
        assert not panel.FILES
        assert panel.body == b""
        assert panel.META["REQUEST_METHOD"] == "GET"
        assert panel.META["CONTENT_LENGTH"] == "0"
        assert panel.GET["q"] == "1"
        assert panel.path == "/page/s/"


def test_the_main_requests_body_is_not_parsed_to_make_panel_requests(rf):
    request = _post_request(rf)
    RequestsPageView.as_view()(request, slug="s")
    assert [request] == MAIN
    assert "_post" not in vars(request)
    assert "_files" not in vars(request)
    assert "_body" not in vars(request)
    assert request._read_started is False
    # ...and it is still there, intact, for whoever reads it later.
    assert request.method == "POST"
    assert request.POST["a"] == "1"
    assert request.FILES["upload"].read() == b"file body"


def test_the_main_requests_body_is_not_parsed_through_the_test_client(client):
    response = client.post("/page/s/", data={"a": "1"})
    assert response.status_code == 200
    [main] = MAIN
    assert "_post" not in vars(main)
    assert main._read_started is False
    assert [panel.POST for panel in PANELS] == [{}, {}, {}]


def test_panel_request_roles_and_frozen_layout_context(rf):
    request = rf.get("/page/s/")
    RequestsPageView.as_view()(request, slug="s")
    assert request.layout_role == "main"
    assert request.is_layout_partial is False
    assert type(request.layout_context) is LayoutContext
    first, _meddler, second = PANELS
    for panel in (first, second):
        assert panel.layout_role == "panel"
        assert panel.is_layout_partial is False
        assert type(panel.layout_context) is FrozenLayoutContext
        # The snapshot is taken after the content view ran.
        assert panel.layout_context == {
            "slots": ["first", "meddler", "second"],
            "title": "written by the view",
        }
        assert panel.layout_context is not request.layout_context
        with pytest.raises(TypeError) as excinfo:
            panel.layout_context["title"] = "panel write"
        assert excinfo.value.args == ("layout_context is read-only in panel views",)
    assert request.layout_context["title"] == "written by the view"


def test_each_panel_gets_its_own_empty_queue_collector(rf):
    seen = []

    def check_queues(request):
        collector = request.layout_queues
        seen.append((collector, [len(collector[name]) for name in collector]))
        request.layout_queues["scripts"]  # the layout's queues are declared on it
        return ""

    class QueuedLayout(Layout):
        template = "testapp/core/slots.html"
        scripts = ScriptQueue()
        one = Panel(check_queues)
        two = Panel(check_queues)

    class QueuedView(LayoutMixin, View):
        layout_class = QueuedLayout

        def get(self, request):
            from dj_layouts import add_script

            add_script(request, "/static/content.js")
            return HttpResponse("c")

    request = rf.get("/")
    QueuedView.as_view()(request)
    (first, first_sizes), (second, second_sizes) = seen
    assert isinstance(first, QueueCollector)
    assert first is not second
    assert request.layout_queues not in (first, second)
    assert first_sizes == second_sizes == [0]
    assert [item.src for item in request.layout_queues["scripts"]] == ["/static/content.js"]


@pytest.mark.django_db
@WITH_TAG_MIDDLEWARE
def test_panels_see_user_session_cookies_get_meta_resolver_match_and_middleware_attrs(
    client, django_user_model
):
    user = django_user_model.objects.create_user("alice", password="pw")
    client.force_login(user)
    session = client.session
    session["cart"] = "3 items"
    session.save()
    client.cookies["flavour"] = "vanilla"
    response = client.get("/page/s/?q=1", headers={"X-Tag": "original"})
    assert response.status_code == 200
    assert MIDDLEWARE_CALLS == ["/page/s/"]  # panels do not go through middleware
    [main] = MAIN
    first, _meddler, second = PANELS
    for panel in (first, second):
        assert panel.user.username == "alice"
        assert panel.user is main.user
        assert panel.session["cart"] == "3 items"
        assert panel.session is main.session
        assert panel.COOKIES["flavour"] == "vanilla"
        assert panel.GET["q"] == "1"
        assert panel.META["HTTP_X_TAG"] == "original"
        assert panel.resolver_match.url_name == "requests-page"
        assert panel.resolver_match.kwargs == {"slug": "s"}
        assert panel.tag == "from-middleware"


@WITH_TAG_MIDDLEWARE
def test_a_panel_cannot_change_the_main_request_or_another_panels(client):
    client.cookies["flavour"] = "vanilla"
    response = client.get("/page/s/?q=1", headers={"X-Tag": "original"})
    assert response.status_code == 200
    [main] = MAIN
    first, meddler, second = PANELS
    # The meddler really changed its own request...
    assert meddler.META["HTTP_X_TAG"] == "meddled"
    assert meddler.COOKIES["flavour"] == "meddled"
    assert meddler.tag == "meddled"
    assert meddler.method == "DELETE"
    # ...but the panel after it, and the main request, see the originals.
    for request, role in ((second, "panel"), (main, "main")):
        assert request.META["HTTP_X_TAG"] == "original"
        assert request.COOKIES["flavour"] == "vanilla"
        assert request.tag == "from-middleware"
        assert request.method == "GET"
        assert request.GET["q"] == "1"
        assert request.layout_role == role
        assert not hasattr(request, "added_by_panel")
    assert first.META is not second.META
    assert first.COOKIES is not second.COOKIES
