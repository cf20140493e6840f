"""Behaviour of async pages: AsyncLayoutMixin, @async_layout and async_render_with_layout.

Every scenario runs against each way of writing an async layout view (``KINDS``):
a decorated function, class-based views with async and sync handlers, a
``LayoutMixin`` view with async handlers, and the shortcut.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from braces.views import LoginRequiredMixin as BracesLoginRequiredMixin
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.models import AnonymousUser, User
from django.http import (
    HttpResponse,
    HttpResponseNotFound,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.urls import path
from django.views import View

from dj_layouts import (
    AsyncLayoutMixin,
    Layout,
    LayoutMixin,
    Panel,
    PanelRenderError,
    PanelTimeout,
    ThreadedExecutor,
    add_script,
    async_layout,
    async_render_with_layout,
    layout,
    render_with_layout,
)
from dj_layouts.queues import QueueCollector
from tests._slots import Tracker, make_layout, script_srcs, sections

KINDS = ["function", "cbv-async", "cbv-sync", "layoutmixin-async", "shortcut"]
#: The kinds whose content view can answer anything (the shortcut always renders a template).
VIEW_KINDS = KINDS[:-1]
ERROR_HTML = (
    '<div class="dj-layouts-panel-error" data-panel="{}" role="alert">'
    "This part of the page could not be loaded.</div>\n"
)


def default_content(request: Any) -> HttpResponse:
    add_script(request, "/static/content.js")
    return HttpResponse("<h1>content</h1>")


def make_view(kind: str, page_layout: type[Layout], content: Any = default_content) -> Any:
    """An async layout view of ``kind`` whose content view is the sync ``content``."""
    if kind == "function":

        @async_layout(page_layout)
        async def function_view(request):
            return content(request)

        return function_view
    if kind == "cbv-async":

        class AsyncHandlerView(AsyncLayoutMixin, View):
            layout_class = page_layout

            async def get(self, request):
                return content(request)

        return AsyncHandlerView.as_view()
    if kind == "cbv-sync":

        class SyncHandlerView(AsyncLayoutMixin, View):
            layout_class = page_layout

            def get(self, request):
                return content(request)

        return SyncHandlerView.as_view()
    if kind == "layoutmixin-async":

        class LayoutMixinAsyncView(LayoutMixin, View):
            layout_class = page_layout

            async def get(self, request):
                return content(request)

        return LayoutMixinAsyncView.as_view()
    assert kind == "shortcut"

    async def shortcut_view(request):
        return await async_render_with_layout(
            request, page_layout, "testapp/slots_content.html", {"heading": "content"}
        )

    return shortcut_view


def main_html(response: Any) -> str:
    text = response.content.decode()
    return text[text.index("<main>") + 6 : text.index("</main>")].strip()


class Gates:
    """Panels that end in a forced order: each waits for the next one to end first.

    Under an executor that does not overlap them they cannot finish (the wait fails).
    """

    def __init__(self, names: list[str], delay: float = 0.03) -> None:
        self.tracker = Tracker()
        self.names = names
        self.delay = delay
        self.done = {name: threading.Event() for name in names}

    def _after(self, name: str) -> threading.Event | None:
        index = self.names.index(name)
        return self.done[self.names[index + 1]] if index + 1 < len(self.names) else None

    def sync_panel(self, name: str) -> Any:
        def panel(request: Any) -> str:
            self.tracker.start(name)
            add_script(request, f"/static/{name}.js")
            after = self._after(name)
            try:
                assert after is None or after.wait(5), f"{name} never saw the next panel end"
                time.sleep(self.delay)
            finally:
                self.tracker.end(name)
                self.done[name].set()
            return f"<p>{name}</p>"

        return panel

    def async_panel(self, name: str) -> Any:
        async def panel(request: Any) -> str:
            self.tracker.start(name)
            add_script(request, f"/static/{name}.js")
            after = self._after(name)
            try:
                for _ in range(1000):
                    if after is None or after.is_set():
                        break
                    await asyncio.sleep(0.005)
                assert after is None or after.is_set(), f"{name} never saw the next panel end"
                await asyncio.sleep(self.delay)
            finally:
                self.tracker.end(name)
                self.done[name].set()
            return f"<p>{name}</p>"

        return panel


# -- concurrency ------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
async def test_five_blocking_sync_panels_render_at_the_same_time(rf, kind):
    tracker = Tracker()
    panels = {f"p{i}": tracker.sync_panel(f"p{i}", 0.1) for i in range(5)}
    view = make_view(kind, make_layout(panels))
    started = time.perf_counter()
    response = await view(rf.get("/"))
    assert time.perf_counter() - started < 0.3
    assert sections(response.content) == {f"p{i}": f"<p>p{i}</p>" for i in range(5)}


@pytest.mark.parametrize("kind", KINDS)
async def test_each_sync_panel_gets_a_worker_thread_of_its_own(rf, kind):
    # Not one by one on asgiref's single thread: all five wait for each other.
    tracker = Tracker()
    barrier = threading.Barrier(5)
    panels = {f"p{i}": tracker.sync_panel(f"p{i}", barrier=barrier) for i in range(5)}
    response = await make_view(kind, make_layout(panels))(rf.get("/"))
    assert sections(response.content) == {f"p{i}": f"<p>p{i}</p>" for i in range(5)}
    assert len(set(tracker.threads.values())) == 5


@pytest.mark.parametrize("kind", KINDS)
async def test_five_async_panels_render_at_the_same_time(rf, kind):
    tracker = Tracker()
    panels = {f"p{i}": tracker.async_panel(f"p{i}", 0.1) for i in range(5)}
    view = make_view(kind, make_layout(panels))
    started = time.perf_counter()
    response = await view(rf.get("/"))
    assert time.perf_counter() - started < 0.3
    assert sections(response.content) == {f"p{i}": f"<p>p{i}</p>" for i in range(5)}
    assert tracker.peak == 5


@pytest.mark.django_db
async def test_panels_render_at_the_same_time_under_the_asgi_handler(async_client, settings):
    tracker = Tracker()
    panels = {f"p{i}": tracker.sync_panel(f"p{i}", 0.1) for i in range(3)}
    panels.update({f"a{i}": tracker.async_panel(f"a{i}", 0.1) for i in range(2)})
    ASGI_VIEWS["concurrent"] = make_view("function", make_layout(panels))
    settings.ROOT_URLCONF = __name__
    started = time.perf_counter()
    response = await async_client.get("/asgi/concurrent/")
    assert time.perf_counter() - started < 0.3
    assert response.status_code == 200
    assert list(sections(response.content)) == ["p0", "p1", "p2", "a0", "a1"]


def _sync_views(page_layout: type[Layout]) -> list[Any]:
    @layout(page_layout)
    def function_view(request):
        return default_content(request)

    class SyncView(LayoutMixin, View):
        layout_class = page_layout

        def get(self, request):
            return default_content(request)

    def shortcut_view(request):
        return render_with_layout(
            request, page_layout, "testapp/slots_content.html", {"heading": "content"}
        )

    return [function_view, SyncView.as_view(), shortcut_view]


@pytest.mark.parametrize("which", [0, 1, 2], ids=["function", "cbv", "shortcut"])
def test_threaded_executor_renders_a_sync_views_panels_at_the_same_time(rf, which):
    tracker = Tracker()
    barrier = threading.Barrier(5)
    panels = {f"p{i}": tracker.sync_panel(f"p{i}", 0.1, barrier=barrier) for i in range(5)}
    view = _sync_views(make_layout(panels, executor=ThreadedExecutor))[which]
    view(rf.get("/"))  # the executor's pool starts its threads
    started = time.perf_counter()
    response = view(rf.get("/"))
    assert time.perf_counter() - started < 0.3
    # The barrier makes all five wait for each other: a panel that did not run at
    # the same time as the others would fail, and show the error template.
    assert sections(response.content) == {f"p{i}": f"<p>p{i}</p>" for i in range(5)}
    assert "<h1>content</h1>" in main_html(response)


# -- ordering ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
async def test_panels_finishing_in_reverse_keep_definition_order(rf, kind):
    names = ["p0", "p1", "p2", "p3", "p4"]
    gates = Gates(names)
    panels = {
        name: gates.async_panel(name) if i % 2 else gates.sync_panel(name)
        for i, name in enumerate(names)
    }
    response = await make_view(kind, make_layout(panels))(rf.get("/"))
    assert gates.tracker.ended() == list(reversed(names))
    assert list(sections(response.content).items()) == [(name, f"<p>{name}</p>") for name in names]
    assert script_srcs(response.content) == ["/static/content.js"] + [
        f"/static/{name}.js" for name in names
    ]


# -- errors --------------------------------------------------------------------------------------
def _failing_sync(tracker: Tracker, name: str, message: str, delay: float = 0.0) -> Any:
    def panel(request: Any) -> str:
        tracker.start(name)
        try:
            time.sleep(delay)
            raise ValueError(message)
        finally:
            tracker.end(name)

    return panel


def _failing_async(tracker: Tracker, name: str, message: str, delay: float = 0.0) -> Any:
    async def panel(request: Any) -> str:
        tracker.start(name)
        try:
            await asyncio.sleep(delay)
            raise ValueError(message)
        finally:
            tracker.end(name)

    return panel


@pytest.mark.parametrize("kind", KINDS)
async def test_a_failing_panel_never_stops_the_others(rf, kind, caplog):
    tracker = Tracker()
    panels = {
        "slow_sync": tracker.sync_panel("slow_sync", 0.1),
        "bad_sync": _failing_sync(tracker, "bad_sync", "sync boom"),
        "bad_async": _failing_async(tracker, "bad_async", "async boom"),
        "slow_async": tracker.async_panel("slow_async", 0.1),
    }
    response = await make_view(kind, make_layout(panels))(rf.get("/"))
    assert response.status_code == 200
    assert sections(response.content) == {
        "slow_sync": "<p>slow_sync</p>",
        "bad_sync": ERROR_HTML.format("bad_sync"),
        "bad_async": ERROR_HTML.format("bad_async"),
        "slow_async": "<p>slow_async</p>",
    }
    assert "<h1>content</h1>" in main_html(response)
    errors = [record.getMessage() for record in caplog.records if record.name == "dj_layouts"]
    assert errors == [
        "Panel 'bad_sync' of layout tests.SlotsLayout failed: ValueError: sync boom",
        "Panel 'bad_async' of layout tests.SlotsLayout failed: ValueError: async boom",
    ]


@pytest.mark.parametrize("kind", KINDS)
async def test_debug_mode_raises_the_first_failing_panel_after_the_others_settled(
    rf, kind, settings
):
    settings.DJ_LAYOUTS = {"DEBUG_ERRORS": True}
    tracker = Tracker()
    panels = {
        "slow_sync": tracker.sync_panel("slow_sync", 0.2),
        # First in definition order, but it fails after `early_failure` does.
        "late_failure": _failing_sync(tracker, "late_failure", "first in order", delay=0.1),
        "early_failure": _failing_async(tracker, "early_failure", "second in order"),
        "slow_async": tracker.async_panel("slow_async", 0.3),
    }
    view = make_view(kind, make_layout(panels))
    with pytest.raises(PanelRenderError) as excinfo:
        await view(rf.get("/"))
    assert str(excinfo.value) == "Panel 'late_failure' failed to render: ValueError: first in order"
    assert excinfo.value.panel_error.panel_name == "late_failure"
    assert isinstance(excinfo.value.__cause__, ValueError)
    assert excinfo.value.__cause__ is excinfo.value.panel_error.exception
    assert tracker.ended()[0] == "early_failure"
    # Both slow panels ran to completion before the error was raised.
    assert sorted(tracker.ended()) == ["early_failure", "late_failure", "slow_async", "slow_sync"]


# -- timeouts ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
async def test_a_sync_panel_past_its_timeout_does_not_hold_the_page(rf, kind, caplog):
    tracker = Tracker()
    panels = {
        "slow": Panel(tracker.sync_panel("slow", 2), timeout=0.2),
        "quick": tracker.sync_panel("quick"),
    }
    started = time.perf_counter()
    response = await make_view(kind, make_layout(panels))(rf.get("/"))
    assert time.perf_counter() - started < 1
    assert sections(response.content) == {
        "slow": ERROR_HTML.format("slow"),
        "quick": "<p>quick</p>",
    }
    assert [record.getMessage() for record in caplog.records if record.name == "dj_layouts"] == [
        "Panel 'slow' of layout tests.SlotsLayout failed: PanelTimeout: "
        "Panel 'slow' did not answer within 0.2 s."
    ]
    assert "slow" not in tracker.ended()


async def test_a_timed_out_sync_panel_is_abandoned_and_finishes_on_its_own(rf):
    finished = threading.Event()

    def slow(request: Any) -> str:
        time.sleep(1)
        finished.set()
        return "<p>too late</p>"

    view = make_view("function", make_layout({"slow": Panel(slow, timeout=0.2)}))
    response = await view(rf.get("/"))
    assert sections(response.content) == {"slow": ERROR_HTML.format("slow")}
    assert not finished.is_set()
    assert await sync_to_async(finished.wait, thread_sensitive=False)(3)


@pytest.mark.parametrize("kind", KINDS)
async def test_an_async_panel_past_its_timeout_is_cancelled(rf, kind):
    cancelled: list[str] = []

    async def slow(request: Any) -> str:
        try:
            await asyncio.sleep(2)
        except asyncio.CancelledError:
            cancelled.append("slow")
            raise
        return "<p>too late</p>"

    panels = {"slow": Panel(slow, timeout=0.2), "quick": "<p>quick</p>"}
    started = time.perf_counter()
    response = await make_view(kind, make_layout(panels))(rf.get("/"))
    assert time.perf_counter() - started < 1
    assert cancelled == ["slow"]
    assert sections(response.content) == {
        "slow": ERROR_HTML.format("slow"),
        "quick": "<p>quick</p>",
    }


@pytest.mark.parametrize("kind", KINDS)
async def test_layout_panel_timeout_applies_to_panels_without_their_own(rf, kind):
    tracker = Tracker()
    panels = {
        "slow": tracker.async_panel("slow", 2),
        "patient": Panel(tracker.sync_panel("patient", 0.4), timeout=5),
    }
    page_layout = make_layout(panels, panel_timeout=0.2)
    started = time.perf_counter()
    response = await make_view(kind, page_layout)(rf.get("/"))
    assert time.perf_counter() - started < 1
    assert sections(response.content) == {
        "slow": ERROR_HTML.format("slow"),
        "patient": "<p>patient</p>",
    }


@pytest.mark.parametrize("kind", KINDS)
async def test_a_timeout_in_debug_mode_is_a_panel_render_error(rf, kind, settings):
    settings.DJ_LAYOUTS = {"DEBUG_ERRORS": True}
    tracker = Tracker()
    panels = {"slow": Panel(tracker.sync_panel("slow", 2), timeout=0.2)}
    started = time.perf_counter()
    with pytest.raises(PanelRenderError) as excinfo:
        await make_view(kind, make_layout(panels))(rf.get("/"))
    assert time.perf_counter() - started < 1
    assert str(excinfo.value) == (
        "Panel 'slow' failed to render: PanelTimeout: Panel 'slow' did not answer within 0.2 s."
    )
    assert isinstance(excinfo.value.__cause__, PanelTimeout)


# -- cancellation ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
async def test_cancelling_the_view_task_cancels_the_panel_tasks(rf, kind):
    started: list[str] = []
    cancelled: list[str] = []

    def waiting_panel(name: str) -> Any:
        async def panel(request: Any) -> str:
            started.append(name)
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                cancelled.append(name)
                raise
            return "<p>never</p>"

        return panel

    names = ["a", "b", "c"]
    view = make_view(kind, make_layout({name: waiting_panel(name) for name in names}))
    task = asyncio.ensure_future(view(rf.get("/")))
    for _ in range(200):
        if len(started) == 3:
            break
        await asyncio.sleep(0.01)
    assert sorted(started) == names
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(50):
        if len(cancelled) == 3:
            break
        await asyncio.sleep(0.01)
    assert sorted(cancelled) == names


# -- decoration ------------------------------------------------------------------------------------
def test_async_layout_rejects_a_sync_view():
    page_layout = make_layout({})

    def sync_view(request):
        return HttpResponse("x")

    with pytest.raises(TypeError) as excinfo:
        async_layout(page_layout)(sync_view)
    assert excinfo.value.args == (
        "@async_layout needs an async view, and "
        "tests.test_async.test_async_layout_rejects_a_sync_view.<locals>.sync_view is sync; "
        "use @layout (or make it async def).",
    )


# -- responses that are not wrapped, panel role ------------------------------------------------------
PASSTHROUGH = {
    "not-found": lambda: HttpResponseNotFound("<p>nope</p>"),
    "redirect": lambda: HttpResponseRedirect("/elsewhere/"),
    "streaming": lambda: StreamingHttpResponse(iter([b"a", b"b"])),
    "server-error": lambda: HttpResponse("<p>down</p>", status=503),
}


@pytest.mark.parametrize("kind", VIEW_KINDS)
@pytest.mark.parametrize("answer", list(PASSTHROUGH))
async def test_responses_other_than_a_plain_200_pass_through(rf, kind, answer):
    tracker = Tracker()
    own = PASSTHROUGH[answer]()
    view = make_view(
        kind, make_layout({"side": tracker.async_panel("side")}), content=lambda request: own
    )
    response = await view(rf.get("/"))
    assert response is own
    assert tracker.started() == []


@pytest.mark.parametrize("kind", VIEW_KINDS)
async def test_in_panel_role_the_view_answers_only_its_content(rf, kind):
    tracker = Tracker()
    view = make_view(kind, make_layout({"side": tracker.async_panel("side")}))
    request = rf.get("/")
    # What a layout hands its panels (see dj_layouts.requests).
    request.layout_role = "panel"
    request.layout_queues = QueueCollector.for_layout(make_layout({}))
    response = await view(request)
    assert response.content == b"<h1>content</h1>"
    assert [item.src for item in request.layout_queues["scripts"]] == ["/static/content.js"]
    assert tracker.started() == []


@pytest.mark.parametrize("kind", KINDS)
async def test_a_layout_view_used_as_a_panel_of_another_layout_renders_its_content(rf, kind):
    tracker = Tracker()
    inner = make_view(kind, make_layout({"side": tracker.async_panel("side")}, name="InnerLayout"))
    outer = make_view("function", make_layout({"nested": inner, "own": "<p>own</p>"}))
    response = await outer(rf.get("/"))
    nested = sections(response.content)["nested"]
    assert nested.strip() == "<h1>content</h1>"
    assert sections(response.content)["own"] == "<p>own</p>"
    assert tracker.started() == []


# -- access mixins placed before ours ------------------------------------------------------------------
LOGIN_MIXINS = {"django": LoginRequiredMixin, "braces": BracesLoginRequiredMixin}
LOGIN_BASES = {
    "async-mixin-async-get": (AsyncLayoutMixin, True),
    "async-mixin-sync-get": (AsyncLayoutMixin, False),
    "layout-mixin-async-get": (LayoutMixin, True),
}
GUARDED_PANELS = Tracker()
GUARDED_LAYOUT = make_layout(
    {"side": GUARDED_PANELS.async_panel("side"), "more": GUARDED_PANELS.sync_panel("more")},
    name="GuardedLayout",
)


def _greeting(request: Any) -> HttpResponse:
    return HttpResponse(f"<h1>hello {request.user.get_username()}</h1>")


def guarded_view(mixin_name: str, base_name: str) -> Any:
    mixin = LOGIN_MIXINS[mixin_name]
    base, async_get = LOGIN_BASES[base_name]
    if async_get:

        class AsyncGuarded(mixin, base, View):  # type: ignore[misc, valid-type]
            layout_class = GUARDED_LAYOUT

            async def get(self, request):
                return _greeting(request)

        return AsyncGuarded.as_view()

    class SyncGuarded(mixin, base, View):  # type: ignore[misc, valid-type]
        layout_class = GUARDED_LAYOUT

        def get(self, request):
            return _greeting(request)

    return SyncGuarded.as_view()


ASGI_VIEWS: dict[str, Any] = {}


async def _asgi_view(request: Any, name: str) -> Any:
    return await ASGI_VIEWS[name](request)


urlpatterns = [
    path(f"guarded/{mixin}/{base}/", guarded_view(mixin, base))
    for mixin in LOGIN_MIXINS
    for base in LOGIN_BASES
] + [path("asgi/<str:name>/", _asgi_view)]

GUARDED = [(mixin, base) for mixin in LOGIN_MIXINS for base in LOGIN_BASES]


@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("mixin", "base"), GUARDED)
async def test_login_required_mixins_compose_under_the_async_client(async_client, mixin, base):
    url = f"/guarded/{mixin}/{base}/"
    response = await async_client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"

    user = await User.objects.acreate(username="ann")
    await sync_to_async(async_client.force_login)(user)
    response = await async_client.get(url)
    assert response.status_code == 200
    assert main_html(response) == "<h1>hello ann</h1>"
    assert sections(response.content) == {"side": "<p>side</p>", "more": "<p>more</p>"}


@pytest.mark.parametrize(("mixin", "base"), GUARDED)
async def test_login_required_mixins_compose_when_the_view_is_awaited(rf, mixin, base):
    view = guarded_view(mixin, base)
    request = rf.get("/guarded/")
    request.user = AnonymousUser()
    response = await view(request)
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/guarded/"

    request = rf.get("/guarded/")
    request.user = User(username="bob")
    response = await view(request)
    assert response.status_code == 200
    assert main_html(response) == "<h1>hello bob</h1>"
    assert sections(response.content) == {"side": "<p>side</p>", "more": "<p>more</p>"}
