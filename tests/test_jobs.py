"""jobs.py: which sync panels count as quick, and what sharing a thread hop keeps the same;
whether a task's outcome came from the panel cache.

On the async path, sync panels measured quicker than ``QUICK_SECONDS`` run together in
one worker thread; everything a page shows must be as when each had a thread of its own.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.cache import caches
from django.http import HttpResponse
from django.template import engines
from django.template.response import TemplateResponse

from dj_layouts import Panel, add_script, async_layout, cache, layout
from dj_layouts.jobs import QUICK_SECONDS, JobFactory, PanelTask, measured_quick
from tests._slots import make_layout, script_srcs, sections

pytestmark = pytest.mark.django_db

_seen: contextvars.ContextVar[str] = contextvars.ContextVar("seen", default="")


def _recorder(threads: dict[str, list[str]], name: str, delay: float = 0.0) -> Any:
    def panel(request: Any) -> str:
        threads.setdefault(name, []).append(threading.current_thread().name)
        # Each panel must start from the page's context, not from a sibling's.
        assert _seen.get() == "", f"{name} saw {_seen.get()!r}"
        _seen.set(name)
        add_script(request, f"/static/{name}.js")
        if delay:
            time.sleep(delay)
        return f"<p>{name}</p>"

    return panel


async def _until_quick(view: Any, rf: Any, panels: list[Panel]) -> None:
    """Render pages until ``panels`` are measured quick (a busy machine may slow one render)."""
    for _ in range(100):
        await view(rf.get("/"))
        if all(measured_quick(panel) for panel in panels):
            return
    raise AssertionError("the panels never rendered quickly")


def _view(panels: dict[str, Any]) -> Any:
    @async_layout(make_layout(panels, name="QuickLayout"))
    async def view(request: Any) -> Any:
        return HttpResponse("<h1>content</h1>")

    return view


async def test_quick_sync_panels_share_one_thread_and_the_page_is_unchanged(rf):
    threads: dict[str, list[str]] = {}
    names = [f"p{i}" for i in range(4)]
    panels = {name: Panel(_recorder(threads, name)) for name in names}
    view = _view(panels)

    first = await view(rf.get("/"))  # not measured yet: a thread each
    await _until_quick(view, rf, list(panels.values()))
    second = await view(rf.get("/"))

    assert first.content == second.content
    assert list(sections(second.content).items()) == [(n, f"<p>{n}</p>") for n in names]
    assert script_srcs(second.content) == [f"/static/{n}.js" for n in names]
    assert len({threads[name][-1] for name in names}) == 1


async def test_a_slow_sync_panel_keeps_a_thread_of_its_own(rf):
    # The slow panel waits for q1, defined after it: in one thread with q1, it never
    # could.
    q1_ran = threading.Event()

    def slow(request: Any) -> str:
        met = q1_ran.wait(5)
        time.sleep(QUICK_SECONDS * 20)
        return "<p>met</p>" if met else "<p>alone</p>"

    def q1(request: Any) -> str:
        q1_ran.set()
        return "<p>q1</p>"

    panels = {"q0": Panel(lambda r: "<p>q0</p>"), "slow": Panel(slow), "q1": Panel(q1)}
    view = _view(panels)
    await _until_quick(view, rf, [panels["q0"], panels["q1"]])
    q1_ran.clear()
    response = await view(rf.get("/"))

    assert not measured_quick(panels["slow"])
    assert sections(response.content) == {
        "q0": "<p>q0</p>",
        "slow": "<p>met</p>",
        "q1": "<p>q1</p>",
    }


async def test_a_sync_panel_with_a_timeout_is_never_grouped(rf):
    # On the second page q0 waits for the panel with a timeout: in one thread after
    # q0, that panel could never answer in time.
    answered = threading.Event()
    second_page = {"now": False}

    def q0(request: Any) -> str:
        if second_page["now"]:
            return "<p>met</p>" if answered.wait(5) else "<p>alone</p>"
        return "<p>q0</p>"

    def timed(request: Any) -> str:
        answered.set()
        return "<p>timed</p>"

    panels = {"q0": Panel(q0), "timed": Panel(timed, timeout=5), "q1": Panel(lambda r: "<p>q1</p>")}
    view = _view(panels)
    await _until_quick(view, rf, list(panels.values()))
    answered.clear()
    second_page["now"] = True
    response = await view(rf.get("/"))
    assert sections(response.content)["q0"] == "<p>met</p>"


async def test_one_slow_render_makes_a_quick_panel_slow_at_once(rf):
    delay = {"seconds": 0.0}

    def panel(request: Any) -> str:
        time.sleep(delay["seconds"])
        return "<p>x</p>"

    declared = Panel(panel)
    view = _view({"x": declared})
    await _until_quick(view, rf, [declared])
    delay["seconds"] = QUICK_SECONDS * 5
    await view(rf.get("/"))
    assert not measured_quick(declared)


def test_a_panel_never_rendered_is_not_quick():
    assert not measured_quick(Panel(lambda request: "<p>x</p>"))


def test_async_panels_and_literal_html_are_never_measured(rf):
    async def async_panel(request: Any) -> str:
        return "<p>a</p>"

    panels = {"a": Panel(async_panel), "lit": Panel(literal="<p>l</p>")}

    @layout(make_layout(panels, name="QuickUnmeasuredLayout"))
    def view(request: Any) -> Any:
        return HttpResponse("<h1>content</h1>")

    view(rf.get("/"))
    assert not measured_quick(panels["a"])
    assert measured_quick(panels["lit"])  # ready without a thread anyway: harmless


def _content_recording_its_thread(threads: dict[str, list[str]]) -> Any:
    """An async content view whose template records the thread that renders it."""
    template = engines["django"].from_string("<h1>{{ where }}</h1>")

    def where() -> str:
        threads.setdefault("content", []).append(threading.current_thread().name)
        return "content"

    async def content(request: Any) -> Any:
        return TemplateResponse(request, template, {"where": where})

    return content


async def test_quick_panels_left_at_the_end_run_in_the_hop_that_renders_the_templates(rf):
    threads: dict[str, list[str]] = {}
    names = [f"p{i}" for i in range(3)]
    panels = {name: Panel(_recorder(threads, name)) for name in names}
    view = async_layout(make_layout(panels, name="QuickHopLayout"))(
        _content_recording_its_thread(threads)
    )
    await _until_quick(view, rf, list(panels.values()))
    response = await view(rf.get("/"))

    assert list(sections(response.content).items()) == [(n, f"<p>{n}</p>") for n in names]
    assert script_srcs(response.content) == [f"/static/{n}.js" for n in names]
    # One thread hop for the page: the panels ran where the templates were rendered.
    assert {threads[name][-1] for name in names} == {threads["content"][-1]}


async def test_quick_panels_beside_a_slow_one_keep_their_own_thread(rf):
    threads: dict[str, list[str]] = {}
    quick = {name: Panel(_recorder(threads, name)) for name in ("q0", "q1")}
    slow_panel = Panel(lambda request: time.sleep(QUICK_SECONDS * 20) or "<p>slow</p>")
    view = async_layout(make_layout({**quick, "slow": slow_panel}, name="QuickBesideSlowLayout"))(
        _content_recording_its_thread(threads)
    )
    await _until_quick(view, rf, list(quick.values()))
    response = await view(rf.get("/"))

    assert not measured_quick(slow_panel)
    assert sections(response.content)["slow"] == "<p>slow</p>"
    # They overlap the slow panel in a worker thread instead of waiting for it.
    assert threads["q0"][-1] == threads["q1"][-1] != threads["content"][-1]


def test_quick_panels_stay_out_of_a_transaction_the_request_thread_holds(rf):
    # A sync test under django_db holds a transaction; async_to_sync sends the page's
    # thread hop back to this thread, where panels would see uncommitted writes.
    threads: dict[str, list[str]] = {}
    panels = {name: Panel(_recorder(threads, name)) for name in ("q0", "q1")}
    view = async_layout(make_layout(panels, name="QuickInTransactionLayout"))(
        _content_recording_its_thread(threads)
    )
    for _ in range(100):
        async_to_sync(view)(rf.get("/"))
        if all(measured_quick(panel) for panel in panels.values()):
            break
    response = async_to_sync(view)(rf.get("/"))

    assert list(sections(response.content)) == ["q0", "q1"]
    assert threads["content"][-1] == threading.current_thread().name
    assert threads["q0"][-1] == threads["q1"][-1]
    assert threads["q0"][-1].startswith("dj-layouts-panel_")


# -- a task's outcome says whether its HTML came from the panel cache ----------------------


@pytest.fixture
def cached_tasks(rf: Any, restore_layout_registry: None) -> Any:
    """``cached_tasks(source)``: a maker of fresh tasks (one page each) for a cached panel.

    The cache starts cold.
    """
    caches["default"].clear()

    def tasks(source: Any) -> Any:
        declared = Panel(source, cache=cache.sitewide(60))
        cached_layout = make_layout({"side": declared}, name="CachedTaskLayout")

        def task() -> PanelTask:
            factory = JobFactory(rf.get("/"), cached_layout, None)
            (made,), _ = factory.jobs([(0, declared)], {})
            return made

        return task

    return tasks


def test_run_says_a_hit_is_a_hit_without_a_probe(cached_tasks):
    # The sequential executor of a sync page calls run() without probing first.
    task = cached_tasks(lambda request: "<p>side</p>")

    cold, warm = task().run(), task().run()

    assert (cold.html, cold.cached) == ("<p>side</p>", False)
    assert (warm.html, warm.cached) == ("<p>side</p>", True)


async def test_arun_says_a_hit_is_a_hit_without_a_probe(cached_tasks):
    async def side(request: Any) -> str:
        return "<p>side</p>"

    task = cached_tasks(side)

    cold = await task().arun()
    warm = await task().arun()

    assert (cold.html, cold.cached) == ("<p>side</p>", False)
    assert (warm.html, warm.cached) == ("<p>side</p>", True)


async def test_a_request_that_waited_for_another_ones_render_is_a_hit(cached_tasks):
    # Two pages miss at once: one renders, the other waits for it and serves its HTML.
    renders = []

    async def side(request: Any) -> str:
        renders.append(1)
        await asyncio.sleep(0.1)
        return "<p>side</p>"

    task = cached_tasks(side)

    first, second = await asyncio.gather(task().arun(), task().arun())

    assert len(renders) == 1
    assert sorted([first.cached, second.cached]) == [False, True]
    assert first.html == second.html == "<p>side</p>"


# -- a hit needs no panel request ------------------------------------------------------------------


def _counting_panel_requests(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The panel names ``make_panel_request`` is called for, from now on."""
    from dj_layouts import jobs

    made: list[str] = []
    real = jobs.make_panel_request

    def counting(request: Any, **kwargs: Any) -> Any:
        made.append(kwargs["panel_name"])
        return real(request, **kwargs)

    monkeypatch.setattr(jobs, "make_panel_request", counting)
    return made


def _visitor(rf: Any, target: str, pk: int | None, session_key: str | None) -> Any:
    from types import SimpleNamespace

    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.signed_cookies import SessionStore

    request = rf.get(target)
    request.user = SimpleNamespace(pk=pk, is_authenticated=True) if pk else AnonymousUser()
    if session_key is not None:
        request.session = SessionStore(session_key)
    return request


@pytest.mark.parametrize(
    "strategy", ["sitewide", "per_user", "per_path", "per_user_per_path", "per_session"]
)
@pytest.mark.parametrize(
    ("target", "pk", "session_key"),
    [("/a/?x=1", None, None), ("/b/", 42, "session-key-1"), ("/", 7, "")],
)
def test_a_built_in_strategy_keys_without_a_panel_request(
    rf, restore_layout_registry, monkeypatch, strategy, target, pk, session_key
):
    from dj_layouts.requests import make_panel_request

    declared = Panel(lambda request: "<p>side</p>", cache=getattr(cache, strategy)(60))
    cached_layout = make_layout({"side": declared}, name="KeyedLayout")
    made = _counting_panel_requests(monkeypatch)
    request = _visitor(rf, target, pk, session_key)
    factory = JobFactory(request, cached_layout, None)
    (task,), _ = factory.jobs([(0, declared)], {"slots": ["side"]})
    assert task.cache is not None

    key = task.cache.key

    assert made == []
    # The key the panel's own request gives, as before.
    panel_request = make_panel_request(
        request,
        layout_class=cached_layout,
        panel_name="side",
        layout_context={},
        queues=task.queues,
    )
    assert key == declared.cache.make_key("side", panel_request)
    # The request a miss renders with is still the panel's own.
    assert task.cache.request.layout_role == "panel"
    assert made == ["side"]


def test_a_custom_key_func_still_gets_the_panel_request(rf, restore_layout_registry, monkeypatch):
    seen: list[Any] = []

    def key_func(request: Any) -> str:
        seen.append((request.layout_role, request.layout_panel_name, request.method))
        return "v"

    declared = Panel(lambda request: "<p>side</p>", cache=cache.custom(key_func, 60))
    cached_layout = make_layout({"side": declared}, name="CustomKeyLayout")
    made = _counting_panel_requests(monkeypatch)
    factory = JobFactory(rf.post("/", {"a": "1"}), cached_layout, None)
    (task,), _ = factory.jobs([(0, declared)], {"slots": ["side"]})

    assert task.cache is not None
    assert task.cache.key == "layouts:panel:side:v"
    assert seen == [("panel", "side", "GET")]
    assert made == ["side"]


def test_only_a_miss_or_a_refresh_builds_the_panel_request(
    rf, restore_layout_registry, monkeypatch
):
    from tests._background import drain_background

    caches["default"].clear()
    renders: list[str] = []

    def side(request: Any) -> str:
        renders.append(request.layout_role)
        add_script(request, "/static/side.js")
        return "<p>side</p>"

    cached_layout = make_layout(
        {"side": Panel(side, cache=cache.sitewide(60, stale_ttl=60))}, name="HitLayout"
    )

    @layout(cached_layout)
    def view(request: Any) -> HttpResponse:
        return HttpResponse("<h1>content</h1>")

    made = _counting_panel_requests(monkeypatch)

    cold = view(rf.get("/"))
    assert (made, renders) == (["side"], ["panel"])
    warm = view(rf.get("/"))
    assert made == ["side"]  # a hit: no panel request
    # The queue items the render added are replayed on the hit.
    assert script_srcs(warm.content) == script_srcs(cold.content) == ["/static/side.js"]
    assert sections(warm.content)["side"] == "<p>side</p>"

    key = "layouts:panel:side"
    entry = caches["default"].get(key)
    caches["default"].set(key, {**entry, "fresh_until": time.time() - 1}, 60)
    stale = view(rf.get("/"))
    drain_background()
    assert sections(stale.content)["side"] == "<p>side</p>"
    assert made == ["side", "side"]  # the background refresh renders with its own
    assert renders == ["panel", "panel"]
