"""Panel caching (dj_layouts.cache): strategies, keys, hits, invalidation, SWR, stampedes.

Every test that stores something runs twice: on LocMemCache and on a real Redis
server (Django's RedisCache), through the ``backend`` fixture.
"""

from __future__ import annotations

import asyncio
import functools
import math
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.cache import CacheKeyWarning, caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.checks import Error, run_checks
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.urls import include, path
from django.utils.functional import SimpleLazyObject
from django.views import View

from dj_layouts import (
    AsyncLayoutMixin,
    GatherExecutor,
    Layout,
    LayoutMixin,
    Panel,
    PanelRenderError,
    SequentialExecutor,
    ThreadedExecutor,
    add_script,
    async_render_with_layout,
    cache,
    render_with_layout,
)
from dj_layouts import cache as cache_module
from dj_layouts.cache import CacheConfig, ainvalidate_panel, invalidate_panel, make_key
from dj_layouts.cache import driver as driver_module
from dj_layouts.cache import flow as flow_module
from dj_layouts.cache import keys as keys_module
from dj_layouts.cache import lock as lock_module
from dj_layouts.cache import refresh as refresh_module
from dj_layouts.executors import refresh_pool, shared_pool
from tests._background import drain_background
from tests.cacheproc.fixtures import redis_caches, redis_server  # noqa: F401 - redis_url

LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
rf = RequestFactory()


# -- what the panels did ------------------------------------------------------------------


class Renders:
    """How many times each panel source ran (thread-safe)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()

    def __call__(self, name: str) -> int:
        with self.lock:
            self.counts[name] += 1
            return self.counts[name]

    def __getitem__(self, name: str) -> int:
        return self.counts[name]


renders = Renders()


def nav(request: HttpRequest) -> HttpResponse:
    number = renders("nav")
    add_script(request, "/static/nav.js")
    return HttpResponse(f"<nav>nav {number}</nav>")


def other_nav(request: HttpRequest) -> HttpResponse:
    number = renders("other_nav")
    return HttpResponse(f"<nav>other {number}</nav>")


async def anav(request: HttpRequest) -> HttpResponse:
    number = renders("anav")
    add_script(request, "/static/anav.js")
    return HttpResponse(f"<nav>anav {number}</nav>")


def slow(request: HttpRequest) -> str:
    number = renders("slow")
    time.sleep(0.3)
    add_script(request, "/static/slow.js")
    return f"<p>slow {number}</p>"


async def aslow(request: HttpRequest) -> str:
    number = renders("aslow")
    await asyncio.sleep(0.3)
    add_script(request, "/static/aslow.js")
    return f"<p>aslow {number}</p>"


def who(request: HttpRequest) -> str:
    number = renders("who")
    user = getattr(request, "user", None)
    name = user.pk if user is not None and user.is_authenticated else "anon"
    return f"<p>{name} {request.path} {number}</p>"


class NavView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(f"<nav>view {renders('NavView')}</nav>")


class OtherNavView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(f"<nav>other view {renders('OtherNavView')}</nav>")


# URLs for URL-name panels and for whole-page tests through the test client.
panel_patterns = ([path("nav/", nav, name="nav")], "cachetests")
urlpatterns = [
    path("", include("tests.urls")),
    path("cache-tests/", include(panel_patterns)),
]


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_counts() -> None:
    renders.counts.clear()


@pytest.fixture(params=["locmem", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request: pytest.FixtureRequest, settings: Any) -> Iterator[str]:
    """The default cache is LocMemCache or RedisCache; ``other`` is always LocMemCache."""
    unique = f"dj-layouts-cache-tests-{uuid.uuid4().hex}"
    other = {"BACKEND": LOCMEM, "LOCATION": f"{unique}-other"}
    if request.param == "redis":
        settings.CACHES = redis_caches(request.getfixturevalue("redis_url"), other=other)
    else:
        settings.CACHES = {"default": {"BACKEND": LOCMEM, "LOCATION": unique}, "other": other}
    settings.ROOT_URLCONF = __name__
    caches["default"].clear()
    yield request.param
    drain_background()
    caches["default"].clear()
    caches["other"].clear()
    caches.close_all()


@pytest.fixture(autouse=True)
def _no_flight_left_behind() -> Iterator[None]:
    yield
    assert not flow_module.flights


def get(target: str = "/", user: Any = None, session_key: str | None = None) -> HttpRequest:
    request = rf.get(target)
    request.user = user if user is not None else AnonymousUser()
    if session_key is not None:
        request.session = SessionStore(session_key)
    return request


def user(pk: int) -> SimpleNamespace:
    return SimpleNamespace(pk=pk, is_authenticated=True)


def page(layout_class: Any, request: HttpRequest | None = None, **kwargs: Any) -> Any:
    return render_with_layout(
        request or get(), layout_class, "testapp/core/content.html", {"heading": "h"}, **kwargs
    )


async def apage(layout_class: Any, request: HttpRequest | None = None, **kwargs: Any) -> Any:
    return await async_render_with_layout(
        request or get(), layout_class, "testapp/core/content.html", {"heading": "h"}, **kwargs
    )


def scripts(response: Any) -> str:
    html = response.content.decode()
    return html.split('<div id="scripts">', 1)[1].split("</div>", 1)[0]


# -- declaring a cache -----------------------------------------------------------------------

STRATEGIES = {
    "sitewide": cache.sitewide,
    "per_user": cache.per_user,
    "per_path": cache.per_path,
    "per_user_per_path": cache.per_user_per_path,
    "per_session": cache.per_session,
    "custom": lambda timeout, **kw: cache.custom(lambda r: "", timeout, **kw),
}


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_each_strategy_returns_a_cache_config(name: str) -> None:
    refresh = lambda request: "<p>fresh</p>"  # noqa: E731
    config = STRATEGIES[name](60, backend="other", stale_ttl=30, refresh_func=refresh)

    assert isinstance(config, CacheConfig)
    assert config.strategy == name
    assert (config.timeout, config.backend, config.stale_ttl) == (60.0, "other", 30.0)
    assert config.refresh_func is refresh
    assert STRATEGIES[name](5).backend is None
    assert STRATEGIES[name](5).stale_ttl == 0


@pytest.mark.parametrize("name", list(STRATEGIES))
@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        ("60", TypeError, "timeout must be a number of seconds (0 or more), not '60'."),
        (None, TypeError, "timeout must be a number of seconds (0 or more), not None."),
        (True, TypeError, "timeout must be a number of seconds (0 or more), not True."),
        (-1, ValueError, "timeout must be a finite number of seconds, 0 or more, not -1."),
        (math.nan, ValueError, "timeout must be a finite number of seconds, 0 or more, not nan."),
        (math.inf, ValueError, "timeout must be a finite number of seconds, 0 or more, not inf."),
    ],
)
def test_a_bad_timeout_is_an_error_at_declaration(
    name: str, value: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as excinfo:
        STRATEGIES[name](value)
    assert excinfo.value.args == (f"cache.{name}(): {message}",)


def test_a_bad_stale_ttl_backend_or_refresh_func_is_an_error_at_declaration() -> None:
    with pytest.raises(ValueError) as excinfo:
        cache.per_user(60, stale_ttl=-5)
    assert excinfo.value.args == (
        "cache.per_user(): stale_ttl must be a finite number of seconds, 0 or more, not -5.",
    )
    with pytest.raises(TypeError) as excinfo:
        cache.sitewide(60, stale_ttl="1m")
    assert excinfo.value.args == (
        "cache.sitewide(): stale_ttl must be a number of seconds (0 or more), not '1m'.",
    )
    for backend in ("", 3):
        with pytest.raises(TypeError) as excinfo:
            cache.per_path(60, backend=backend)
        assert excinfo.value.args == (
            f"cache.per_path(): backend must be the alias of a CACHES entry, not {backend!r}.",
        )
    with pytest.raises(TypeError) as excinfo:
        cache.per_session(60, refresh_func="myapp.refresh")
    assert excinfo.value.args == (
        "cache.per_session(): refresh_func must be callable, not 'myapp.refresh'.",
    )


async def _async_key(request: HttpRequest) -> str:
    return "x"


def test_custom_needs_a_plain_key_func() -> None:
    with pytest.raises(TypeError) as excinfo:
        cache.custom("lang", 60)
    assert excinfo.value.args == ("cache.custom(): key_func must be callable, not 'lang'.",)
    with pytest.raises(TypeError) as excinfo:
        cache.custom(_async_key, 60)
    assert excinfo.value.args == (
        "cache.custom(): key_func tests.test_cache._async_key is async; it must be a plain "
        "function that returns the key's vary part as a str.",
    )


def test_a_panel_takes_only_a_cache_config() -> None:
    with pytest.raises(TypeError) as excinfo:
        Panel("<p>x</p>", cache=60)
    assert excinfo.value.args == (
        "Panel(cache=...) must come from dj_layouts.cache (e.g. cache.sitewide(timeout=300)), "
        "not 60.",
    )


def test_a_cache_config_can_be_built_directly_as_in_the_original_package() -> None:
    config = CacheConfig(key_func=lambda request: request.GET.get("lang", ""), timeout=600)

    assert config.make_key("price", rf.get("/?lang=fr")) == "layouts:panel:price:fr"
    assert config.make_key("price", rf.get("/")) == "layouts:panel:price"
    with pytest.raises(ValueError) as excinfo:
        CacheConfig(key_func=str, timeout=-1)
    assert excinfo.value.args == (
        "cache.custom(): timeout must be a finite number of seconds, 0 or more, not -1.",
    )


# -- keys -------------------------------------------------------------------------------------


def _lazy_user(pk: int) -> SimpleLazyObject:
    return SimpleLazyObject(lambda: user(pk))


@pytest.mark.parametrize(
    ("config", "request_", "key"),
    [
        (cache.sitewide(60), get("/about/"), "layouts:panel:nav"),
        (cache.per_user(60), get("/", user(42)), "layouts:panel:nav:42"),
        (cache.per_user(60), get("/", _lazy_user(7)), "layouts:panel:nav:7"),
        (cache.per_user(60), get("/"), "layouts:panel:nav:anonymous"),
        (cache.per_path(60), get("/about/?page=2"), "layouts:panel:nav:/about/"),
        (cache.per_user_per_path(60), get("/about/", user(42)), "layouts:panel:nav:42:/about/"),
        (cache.per_user_per_path(60), get("/about/"), "layouts:panel:nav:anonymous:/about/"),
        (
            cache.per_session(60),
            get("/", session_key="abcdefgh123"),
            "layouts:panel:nav:abcdefgh123",
        ),
        (cache.per_session(60), get("/", session_key=""), "layouts:panel:nav:no-session"),
        (cache.per_session(60), get("/"), "layouts:panel:nav:no-session"),
        (cache.custom(lambda r: "GBP", 60), get("/"), "layouts:panel:nav:GBP"),
        (cache.custom(lambda r: "", 60), get("/"), "layouts:panel:nav"),
    ],
)
def test_keys_keep_the_documented_format(config: CacheConfig, request_: Any, key: str) -> None:
    assert config.make_key("nav", request_) == key


def _user_id_key(request: HttpRequest) -> Any:
    return 42  # forgot str()


def test_a_key_func_that_returns_no_str_is_a_clear_error() -> None:
    config = cache.custom(_user_id_key, 60)
    with pytest.raises(TypeError) as excinfo:
        config.make_key("nav", get())
    assert excinfo.value.args == (
        "The key_func tests.test_cache._user_id_key of cache.custom() must return a str, not 42.",
    )


@pytest.mark.parametrize(
    "vary",
    ["/a b/", "tab\there", "line\nbreak", "del\x7f", "nbsp\u00a0x", "x" * 300, "é" * 100],
)
def test_a_vary_part_that_a_backend_cannot_store_is_hashed(vary: str) -> None:
    key = make_key("nav", vary)

    assert key.startswith("layouts:panel:nav:h-")
    assert len(key) == len("layouts:panel:nav:h-") + 40
    assert key == make_key("nav", vary)
    assert key != make_key("nav", vary + "y")


def test_a_storable_vary_part_stays_readable() -> None:
    assert make_key("nav", "/café/") == "layouts:panel:nav:/café/"
    assert make_key("nav", "42:/a:lock") == "layouts:panel:nav:42:/a:lock"


def test_locmem_does_warn_about_the_raw_keys_we_avoid() -> None:
    # Proof that the next test would fail (warnings are errors) if keys were not hashed.
    with pytest.warns(CacheKeyWarning):
        LocMemCache("raw-key-check", {}).set("layouts:panel:nav:/a b/", "x")


def test_entries_with_unstorable_vary_parts_never_warn(backend: str, make_layout: Any) -> None:
    page_layout = make_layout(who=Panel(who, cache=cache.per_path(60)))
    weird = ["/a%20b/", "/tab%09/", "/" + "long/" * 60]
    first = [page(page_layout, get(target)) for target in weird]
    second = [page(page_layout, get(target)) for target in weird]

    assert renders["who"] == 3
    assert [r.content for r in first] == [r.content for r in second]
    for target in weird:
        request = get(target)
        assert caches["default"].get(make_key("who", request.path)) is not None


# -- hits --------------------------------------------------------------------------------------


def test_a_cached_panel_renders_once_and_its_queue_items_are_replayed(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]]
) -> None:
    page_layout = make_layout(nav=Panel(nav, cache=cache.sitewide(60)))
    first, second, third = page(page_layout), page(page_layout), page(page_layout)

    assert renders["nav"] == 1
    assert slots(first)["nav"] == slots(second)["nav"] == slots(third)["nav"] == "<nav>nav 1</nav>"
    for response in (first, second, third):
        assert scripts(response).count('<script src="/static/nav.js"></script>') == 1


def nav_too(request: HttpRequest) -> str:
    renders("nav_too")
    add_script(request, "/static/nav.js")
    add_script(request, "/static/nav-too.js")
    return "<p>too</p>"


def test_replayed_queue_items_are_deduplicated(backend: str, make_layout: Any) -> None:
    page_layout = make_layout(
        nav=Panel(nav, cache=cache.sitewide(60)), too=Panel(nav_too, cache=cache.sitewide(60))
    )
    page(page_layout)
    hit = page(page_layout)

    assert (renders["nav"], renders["nav_too"]) == (1, 1)
    assert scripts(hit) == (
        '<script src="/static/nav.js"></script>\n<script src="/static/nav-too.js"></script>'
    )


def _source_kinds() -> dict[str, Any]:
    return {
        "url name": "cachetests:nav",
        "callable": nav,
        "async callable": anav,
        "class-based view": NavView,
        "list": [nav, "<hr>", anav],
        "async list": [anav, anav],
    }


@pytest.mark.parametrize("kind", list(_source_kinds()))
@pytest.mark.parametrize("view_kind", ["sync", "async"])
def test_every_source_kind_can_be_cached(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]], kind: str, view_kind: str
) -> None:
    page_layout = make_layout(panel=Panel(_source_kinds()[kind], cache=cache.sitewide(60)))
    render = page if view_kind == "sync" else lambda *a: asyncio.run(apage(*a))
    first = render(page_layout)
    before = dict(renders.counts)
    second = render(page_layout)

    assert before and dict(renders.counts) == before  # the hit called nothing
    assert slots(first)["panel"] == slots(second)["panel"]
    assert slots(second)["panel"].startswith("<nav>")


def test_template_and_literal_panels_are_cached_too(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]]
) -> None:
    def get_layout_context(self: Any, request: HttpRequest) -> dict[str, Any]:
        return {"site_name": f"site {renders('context')}"}

    page_layout = make_layout(
        tpl=Panel(template="testapp/core/panel.html", cache=cache.sitewide(60)),
        lit=Panel("<p>literal</p>", cache=cache.sitewide(60)),
        empty=Panel(cache=cache.sitewide(60)),
        get_layout_context=get_layout_context,
    )
    first, second = page(page_layout), page(page_layout)

    # The template saw "site 1"; its HTML is served again although the context changed.
    assert slots(first)["tpl"] == slots(second)["tpl"] == "<p>site 1//panel</p>\n"
    assert renders["context"] == 2
    assert slots(second)["lit"] == "<p>literal</p>"
    assert slots(second)["empty"] == "fallback:empty"
    for name in ("tpl", "lit", "empty"):
        assert caches["default"].get(make_key(name)) is not None


EXECUTORS = {
    "default": None,
    "sequential": SequentialExecutor(),
    "gather": GatherExecutor(),
    "threaded": ThreadedExecutor(max_workers=4),
}


@pytest.mark.parametrize("executor", list(EXECUTORS))
@pytest.mark.parametrize("source", [nav, anav], ids=["sync panel", "async panel"])
async def test_hits_under_every_executor_from_an_async_view(
    backend: str,
    make_layout: Any,
    slots: Callable[..., dict[str, str]],
    executor: str,
    source: Any,
) -> None:
    page_layout = make_layout(
        executor=EXECUTORS[executor], panel=Panel(source, cache=cache.per_path(60))
    )
    responses = [await apage(page_layout) for _ in range(3)]

    name = source.__name__
    assert renders[name] == 1
    assert {slots(r)["panel"] for r in responses} == {f"<nav>{name} 1</nav>"}
    assert all(f"/static/{name}.js" in scripts(r) for r in responses)


@pytest.mark.parametrize("executor", list(EXECUTORS))
@pytest.mark.parametrize("source", [nav, anav], ids=["sync panel", "async panel"])
def test_hits_under_every_executor_from_a_sync_view(
    backend: str,
    make_layout: Any,
    slots: Callable[..., dict[str, str]],
    executor: str,
    source: Any,
) -> None:
    page_layout = make_layout(
        executor=EXECUTORS[executor], panel=Panel(source, cache=cache.per_path(60))
    )
    responses = [page(page_layout) for _ in range(3)]

    name = source.__name__
    assert renders[name] == 1
    assert {slots(r)["panel"] for r in responses} == {f"<nav>{name} 1</nav>"}
    assert all(f"/static/{name}.js" in scripts(r) for r in responses)


# -- an entry is only ever served for the source that rendered it ------------------------------


def test_two_layouts_with_a_same_named_panel_never_share_html(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]]
) -> None:
    first = make_layout("FirstLayout", nav=Panel(nav, cache=cache.sitewide(60)))
    second = make_layout("SecondLayout", nav=Panel(other_nav, cache=cache.sitewide(60)))

    seen = [slots(page(layout_class))["nav"] for layout_class in (first, second, first, second)]

    assert seen[0::2] == ["<nav>nav 1</nav>", "<nav>nav 2</nav>"]
    assert seen[1::2] == ["<nav>other 1</nav>", "<nav>other 2</nav>"]


def test_a_per_view_override_never_serves_the_layouts_entry(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]]
) -> None:
    page_layout = make_layout(nav=Panel(nav, cache=cache.sitewide(60)))
    override = {"nav": Panel(other_nav, cache=cache.sitewide(60))}

    assert slots(page(page_layout))["nav"] == "<nav>nav 1</nav>"
    assert slots(page(page_layout, panels=override))["nav"] == "<nav>other 1</nav>"
    assert slots(page(page_layout))["nav"] == "<nav>nav 2</nav>"


def test_lambdas_and_class_based_views_are_told_apart(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]]
) -> None:
    pairs = [
        (Panel(lambda r: "<p>a</p>", cache=cache.sitewide(60)),
         Panel(lambda r: "<p>b</p>", cache=cache.sitewide(60))),
        (Panel(NavView, cache=cache.sitewide(60)), Panel(OtherNavView, cache=cache.sitewide(60))),
    ]  # fmt: skip
    for one, two in pairs:
        first = make_layout("FirstLayout", nav=one)
        second = make_layout("SecondLayout", nav=two)
        html = [slots(page(layout_class))["nav"] for layout_class in (first, second)]
        assert html[0] != html[1]


def test_the_same_source_in_two_layouts_shares_one_entry(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]]
) -> None:
    first = make_layout("FirstLayout", nav=Panel(nav, cache=cache.sitewide(60)))
    second = make_layout("SecondLayout", nav=Panel(nav, cache=cache.sitewide(60)))

    assert slots(page(first))["nav"] == slots(page(second))["nav"] == "<nav>nav 1</nav>"
    assert renders["nav"] == 1


# -- what is never stored ------------------------------------------------------------------------


def flaky(request: HttpRequest) -> HttpResponse:
    number = renders("flaky")
    if number == 1:
        raise RuntimeError("database is down")
    return HttpResponse(f"<p>flaky {number}</p>")


def missing_once(request: HttpRequest) -> HttpResponse:
    number = renders("missing_once")
    return HttpResponse(f"<p>found {number}</p>", status=404 if number == 1 else 200)


@pytest.mark.parametrize(
    ("source", "second_html"), [(flaky, "<p>flaky 2</p>"), (missing_once, "<p>found 2</p>")]
)
def test_errors_and_non_200_answers_are_not_stored(
    backend: str,
    make_layout: Any,
    slots: Callable[..., dict[str, str]],
    settings: Any,
    source: Any,
    second_html: str,
) -> None:
    settings.DJ_LAYOUTS = {"DEBUG_ERRORS": False}
    page_layout = make_layout(panel=Panel(source, cache=cache.sitewide(60)))
    failed, second, third = page(page_layout), page(page_layout), page(page_layout)

    assert 'class="dj-layouts-panel-error"' in slots(failed)["panel"]
    assert slots(second)["panel"] == slots(third)["panel"] == second_html
    assert renders[source.__name__] == 2


def sleepy_once(request: HttpRequest) -> str:
    number = renders("sleepy_once")
    if number == 1:
        time.sleep(0.8)
    return f"<p>sleepy {number}</p>"


async def asleepy_once(request: HttpRequest) -> str:
    number = renders("asleepy_once")
    if number == 1:
        await asyncio.sleep(0.8)
    return f"<p>asleepy {number}</p>"


@pytest.mark.parametrize("source", [sleepy_once, asleepy_once])
@pytest.mark.parametrize("view_kind", ["sync", "async"])
def test_a_render_that_timed_out_is_not_stored(
    backend: str,
    make_layout: Any,
    slots: Callable[..., dict[str, str]],
    settings: Any,
    source: Any,
    view_kind: str,
) -> None:
    settings.DJ_LAYOUTS = {"DEBUG_ERRORS": False}
    page_layout = make_layout(
        executor=ThreadedExecutor(), panel=Panel(source, cache=cache.sitewide(60), timeout=0.3)
    )
    render = page if view_kind == "sync" else lambda *a: asyncio.run(apage(*a))
    timed_out = render(page_layout)
    time.sleep(1.0)  # a sync panel's abandoned thread has finished by now
    second, third = render(page_layout), render(page_layout)

    assert 'class="dj-layouts-panel-error"' in slots(timed_out)["panel"]
    label = source.__name__.split("_")[0]
    assert slots(second)["panel"] == slots(third)["panel"] == f"<p>{label} 2</p>"
    assert renders[source.__name__] == 2


# -- settings and backends ---------------------------------------------------------------------


def test_cache_enabled_false_turns_panel_caching_off(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]], settings: Any
) -> None:
    settings.DJ_LAYOUTS = {"CACHE_ENABLED": False}
    page_layout = make_layout(nav=Panel(nav, cache=cache.sitewide(60)))

    assert [slots(page(page_layout))["nav"] for _ in range(2)] == [
        "<nav>nav 1</nav>",
        "<nav>nav 2</nav>",
    ]
    assert caches["default"].get(make_key("nav")) is None


def test_backend_names_the_caches_alias(backend: str, make_layout: Any) -> None:
    page_layout = make_layout(nav=Panel(nav, cache=cache.sitewide(60, backend="other")))
    page(page_layout)
    page(page_layout)

    assert renders["nav"] == 1
    assert caches["other"].get(make_key("nav")) is not None
    assert caches["default"].get(make_key("nav")) is None


def test_the_cache_backend_setting_is_the_default_alias(
    backend: str, make_layout: Any, settings: Any
) -> None:
    settings.DJ_LAYOUTS = {"CACHE_BACKEND": "other"}
    page_layout = make_layout(nav=Panel(nav, cache=cache.sitewide(60)))
    page(page_layout)
    page(page_layout)

    assert renders["nav"] == 1
    assert caches["other"].get(make_key("nav")) is not None
    assert caches["default"].get(make_key("nav")) is None


def _cache_errors() -> list[Any]:
    return [m for m in run_checks() if m.id == "dj_layouts.E006"]


def test_a_backend_alias_missing_from_caches_is_a_system_check_error(make_layout: Any) -> None:
    make_layout("CachedLayout", nav=Panel(nav, cache=cache.sitewide(60, backend="redis")))

    assert _cache_errors() == [
        Error(
            "Panel 'nav' of layout tests.CachedLayout caches in the backend 'redis', which is "
            "not in CACHES.",
            hint="Add 'redis' to CACHES, or set backend= one of: 'default'.",
            id="dj_layouts.E006",
        )
    ]


def test_a_cache_backend_setting_missing_from_caches_is_a_system_check_error(
    make_layout: Any, settings: Any
) -> None:
    settings.DJ_LAYOUTS = {"CACHE_BACKEND": "panels"}
    make_layout("CachedLayout", nav=Panel(nav, cache=cache.per_user(60)))

    assert [(e.msg, e.hint) for e in _cache_errors()] == [
        (
            "Panel 'nav' of layout tests.CachedLayout caches in the backend 'panels', which "
            "is not in CACHES.",
            "Add 'panels' to CACHES, or set DJ_LAYOUTS[\"CACHE_BACKEND\"] = one of: 'default'.",
        )
    ]


def test_no_check_error_when_every_alias_exists(make_layout: Any) -> None:
    make_layout("CachedLayout", nav=Panel(nav, cache=cache.sitewide(60, backend="default")))
    assert _cache_errors() == []


def test_a_missing_alias_at_run_time_fails_only_that_panel(
    make_layout: Any, slots: Callable[..., dict[str, str]], settings: Any
) -> None:
    page_layout = make_layout(
        nav=Panel(nav, cache=cache.sitewide(60, backend="nope")), plain=Panel(other_nav)
    )
    settings.DJ_LAYOUTS = {"DEBUG_ERRORS": True}
    with pytest.raises(PanelRenderError) as excinfo:
        page(page_layout)
    assert isinstance(excinfo.value.__cause__, ImproperlyConfigured)
    assert excinfo.value.__cause__.args == (
        "Panel 'nav' caches in the backend 'nope', which is not in CACHES. Add it to CACHES "
        "or pass backend= one of: 'default'.",
    )
    settings.DJ_LAYOUTS = {"DEBUG_ERRORS": False}
    html = slots(asyncio.run(apage(page_layout)))
    assert 'class="dj-layouts-panel-error"' in html["nav"]
    assert html["plain"] == "<nav>other 2</nav>"


# -- vary parts on real pages --------------------------------------------------------------------


def test_per_user_entries(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]]
) -> None:
    page_layout = make_layout(who=Panel(who, cache=cache.per_user(60)))
    visitors = [user(1), user(2), None, user(1), None, user(2)]
    html = [slots(page(page_layout, get("/", visitor)))["who"] for visitor in visitors]

    assert html[:3] == ["<p>1 / 1</p>", "<p>2 / 2</p>", "<p>anon / 3</p>"]
    assert html[3:] == [html[0], html[2], html[1]]
    assert renders["who"] == 3


def test_per_path_and_per_user_per_path_entries(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]]
) -> None:
    page_layout = make_layout(
        path_panel=Panel(who, cache=cache.per_path(60)),
        both=Panel(other_nav, cache=cache.per_user_per_path(60)),
    )
    for target, visitor in [("/a/", None), ("/b/?x=1", None), ("/a/?y=2", user(1)), ("/b/", None)]:
        page(page_layout, get(target, visitor))

    assert renders["who"] == 2  # /a/ and /b/, whoever asks
    assert renders["other_nav"] == 3  # anon /a/, anon /b/, user 1 /a/


def test_per_session_entries(backend: str, make_layout: Any) -> None:
    page_layout = make_layout(nav=Panel(other_nav, cache=cache.per_session(60)))
    for session_key in ["session-one-1", "session-two-2", "session-one-1", None, None]:
        page(page_layout, get("/", session_key=session_key))

    assert renders["other_nav"] == 3  # two sessions, and everyone without one


async def test_a_key_that_needs_the_database_is_made_off_the_event_loop(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]]
) -> None:
    loaded_in: list[int] = []

    def load_user() -> SimpleNamespace:
        loaded_in.append(threading.get_ident())
        return user(5)

    page_layout = make_layout(who=Panel(anav, cache=cache.per_user(60)))
    request = get("/")
    request.user = SimpleLazyObject(load_user)
    await apage(page_layout, request)

    assert loaded_in and loaded_in[0] != threading.get_ident()
    assert caches["default"].get(make_key("who", "5")) is not None


# -- invalidation ----------------------------------------------------------------------------------


def test_invalidate_panel_drops_every_entry_of_the_panel(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]]
) -> None:
    page_layout = make_layout(
        who=Panel(who, cache=cache.per_user(60)), nav=Panel(nav, cache=cache.sitewide(60))
    )
    for visitor in (user(1), user(2)):
        page(page_layout, get("/", visitor))

    invalidate_panel("who")
    html = [slots(page(page_layout, get("/", visitor)))["who"] for visitor in (user(1), user(2))]

    assert html == ["<p>1 / 3</p>", "<p>2 / 4</p>"]
    assert renders["nav"] == 1  # other panels keep their entries


def test_invalidate_panel_with_vary_drops_one_entry(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]]
) -> None:
    page_layout = make_layout(who=Panel(who, cache=cache.per_user(60)))
    for visitor in (user(1), user(2)):
        page(page_layout, get("/", visitor))

    invalidate_panel("who", vary=1)
    html = [slots(page(page_layout, get("/", visitor)))["who"] for visitor in (user(1), user(2))]

    assert html == ["<p>1 / 3</p>", "<p>2 / 2</p>"]


def test_invalidate_panel_sitewide_entry_by_its_documented_key(
    backend: str, make_layout: Any
) -> None:
    page_layout = make_layout(nav=Panel(nav, cache=cache.sitewide(60)))
    page(page_layout)
    invalidate_panel("nav", vary="")
    page(page_layout)
    caches["default"].delete("layouts:panel:nav")  # what the original package documented
    page(page_layout)

    assert renders["nav"] == 3


async def test_ainvalidate_panel(backend: str, make_layout: Any) -> None:
    page_layout = make_layout(nav=Panel(anav, cache=cache.per_path(60)))
    await apage(page_layout, get("/a/"))
    await apage(page_layout, get("/b/"))
    await ainvalidate_panel("nav", vary="/a/")
    await apage(page_layout, get("/a/"))
    await apage(page_layout, get("/b/"))
    assert renders["anav"] == 3
    await ainvalidate_panel("nav")
    await apage(page_layout, get("/b/"))
    assert renders["anav"] == 4


def test_invalidate_panel_finds_the_backends_registered_layouts_use(
    backend: str, make_layout: Any
) -> None:
    page_layout = make_layout(nav=Panel(nav, cache=cache.sitewide(60, backend="other")))
    page(page_layout)
    invalidate_panel("nav")
    page(page_layout)
    invalidate_panel("nav", backend="default")  # not where the entry is
    page(page_layout)

    assert renders["nav"] == 2


def test_invalidate_panel_needs_a_panel_name() -> None:
    for bad in ("", None):
        with pytest.raises(TypeError) as excinfo:
            invalidate_panel(bad)  # type: ignore[arg-type]
        assert excinfo.value.args == (
            f"invalidate_panel(): panel_name must be a panel's name, not {bad!r}.",
        )


def invalidating(request: HttpRequest) -> str:
    number = renders("invalidating")
    if number == 1:
        invalidate_panel("panel")  # the data changed while this render ran
    return f"<p>{number}</p>"


def test_an_entry_rendered_while_its_panel_was_invalidated_is_not_served(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]]
) -> None:
    page_layout = make_layout(panel=Panel(invalidating, cache=cache.sitewide(60)))
    html = [slots(page(page_layout))["panel"] for _ in range(3)]

    assert html == ["<p>1</p>", "<p>2</p>", "<p>2</p>"]


# -- stale-while-revalidate ---------------------------------------------------------------------------


def slow_refresh(request: HttpRequest) -> HttpResponse:
    number = renders("slow_refresh")
    if number > 1:
        time.sleep(0.6)  # the background refresh is slow; nobody may wait for it
    add_script(request, f"/static/refresh-{number}.js")
    return HttpResponse(f"<p>version {number}</p>")


async def aslow_refresh(request: HttpRequest) -> HttpResponse:
    number = renders("aslow_refresh")
    if number > 1:
        await asyncio.sleep(0.6)
    add_script(request, f"/static/refresh-{number}.js")
    return HttpResponse(f"<p>version {number}</p>")


def _timed(render: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    response = render()
    return response, time.perf_counter() - started


@pytest.mark.parametrize("source", [slow_refresh, aslow_refresh])
@pytest.mark.parametrize("executor", ["sequential", "threaded"])
def test_wsgi_a_stale_entry_is_served_at_once_and_refreshed_once(
    backend: str,
    make_layout: Any,
    slots: Callable[..., dict[str, str]],
    source: Any,
    executor: str,
) -> None:
    page_layout = make_layout(
        executor=EXECUTORS[executor],
        panel=Panel(source, cache=cache.sitewide(timeout=0, stale_ttl=60)),
    )
    page(page_layout)  # the miss: version 1, stale at once (timeout=0)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: _timed(lambda: page(page_layout)), range(8)))

    assert {slots(r)["panel"] for r, _ in results} == {"<p>version 1</p>"}
    assert all("/static/refresh-1.js" in scripts(r) for r, _ in results)
    assert max(seconds for _, seconds in results) < 0.4  # the refresh takes 0.6 s
    drain_background()
    assert renders[source.__name__] == 2
    refreshed = page(page_layout)
    assert slots(refreshed)["panel"] == "<p>version 2</p>"
    assert "/static/refresh-2.js" in scripts(refreshed)


@pytest.mark.parametrize("source", [slow_refresh, aslow_refresh])
async def test_asgi_a_stale_entry_is_served_at_once_and_refreshed_once(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]], source: Any
) -> None:
    page_layout = make_layout(panel=Panel(source, cache=cache.sitewide(timeout=0, stale_ttl=60)))
    await apage(page_layout)

    async def timed() -> tuple[Any, float]:
        started = time.perf_counter()
        response = await apage(page_layout)
        return response, time.perf_counter() - started

    results = await asyncio.gather(*(timed() for _ in range(10)))

    assert {slots(r)["panel"] for r, _ in results} == {"<p>version 1</p>"}
    assert max(seconds for _, seconds in results) < 0.4
    await asyncio.to_thread(drain_background)
    assert renders[source.__name__] == 2
    assert slots(await apage(page_layout))["panel"] == "<p>version 2</p>"


def test_a_fresh_entry_is_not_refreshed(backend: str, make_layout: Any) -> None:
    page_layout = make_layout(panel=Panel(slow_refresh, cache=cache.sitewide(60, stale_ttl=60)))
    for _ in range(3):
        page(page_layout)
    drain_background()
    assert renders["slow_refresh"] == 1


def test_an_entry_past_its_stale_ttl_is_a_miss(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]]
) -> None:
    page_layout = make_layout(nav=Panel(nav, cache=cache.sitewide(timeout=0, stale_ttl=0.3)))
    page(page_layout)
    time.sleep(0.4)
    html = slots(page(page_layout))["nav"]  # rendered inline, not served stale

    assert html == "<nav>nav 2</nav>"


def refresh_str(request: HttpRequest) -> str:
    add_script(request, "/static/refreshed.js")
    return f"<p>refreshed {renders('refresh_str')}</p>"


async def arefresh_response(request: HttpRequest) -> HttpResponse:
    add_script(request, "/static/refreshed.js")
    return HttpResponse(f"<p>refreshed {renders('arefresh_response')}</p>")


@pytest.mark.parametrize("refresh", [refresh_str, arefresh_response])
def test_refresh_func_replaces_the_source_in_background_refreshes(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]], refresh: Any
) -> None:
    config = cache.sitewide(timeout=0, stale_ttl=60, refresh_func=refresh)
    page_layout = make_layout(nav=Panel(nav, cache=config))
    assert slots(page(page_layout))["nav"] == "<nav>nav 1</nav>"  # a miss uses the source
    assert slots(page(page_layout))["nav"] == "<nav>nav 1</nav>"  # stale; refresh starts
    drain_background()
    refreshed = page(page_layout)

    assert slots(refreshed)["nav"] == "<p>refreshed 1</p>"
    assert "/static/refreshed.js" in scripts(refreshed)
    assert "/static/nav.js" not in scripts(refreshed)
    assert renders["nav"] == 1


def broken_refresh(request: HttpRequest) -> str:
    renders("broken_refresh")
    raise RuntimeError("the feed is down")


def test_a_failing_refresh_keeps_the_stale_entry(
    backend: str,
    make_layout: Any,
    slots: Callable[..., dict[str, str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = cache.sitewide(timeout=0, stale_ttl=60, refresh_func=broken_refresh)
    page_layout = make_layout(nav=Panel(nav, cache=config))
    page(page_layout)
    for _ in range(2):
        assert slots(page(page_layout))["nav"] == "<nav>nav 1</nav>"
        drain_background()

    assert renders["broken_refresh"] == 2  # each stale hit may try again
    failures = [r for r in caplog.records if r.name == "dj_layouts" and r.levelname == "ERROR"]
    assert [r.getMessage() for r in failures] == [
        "Background refresh of panel 'nav' failed; its stale entry is kept until it expires."
    ] * 2
    assert failures[0].exc_info is not None


# -- stampedes ---------------------------------------------------------------------------------------


async def test_concurrent_async_misses_render_once(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]]
) -> None:
    page_layout = make_layout(panel=Panel(aslow, cache=cache.sitewide(60)))
    responses = await asyncio.gather(*(apage(page_layout) for _ in range(20)))

    assert renders["aslow"] == 1
    assert {slots(r)["panel"] for r in responses} == {"<p>aslow 1</p>"}
    assert all("/static/aslow.js" in scripts(r) for r in responses)


@pytest.mark.parametrize("executor", ["sequential", "threaded"])
def test_concurrent_sync_misses_render_once(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]], executor: str
) -> None:
    page_layout = make_layout(
        executor=EXECUTORS[executor], panel=Panel(slow, cache=cache.sitewide(60))
    )
    with ThreadPoolExecutor(10) as pool:
        responses = list(pool.map(lambda _: page(page_layout), range(10)))

    assert renders["slow"] == 1
    assert {slots(r)["panel"] for r in responses} == {"<p>slow 1</p>"}
    assert all("/static/slow.js" in scripts(r) for r in responses)


async def always_failing(request: HttpRequest) -> str:
    renders("always_failing")
    await asyncio.sleep(0.3)
    raise RuntimeError("no luck")


async def test_waiters_of_a_failed_render_try_side_by_side_not_in_a_queue(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]], settings: Any
) -> None:
    settings.DJ_LAYOUTS = {"DEBUG_ERRORS": False}
    page_layout = make_layout(panel=Panel(always_failing, cache=cache.sitewide(60)))
    started = time.perf_counter()
    responses = await asyncio.gather(*(apage(page_layout) for _ in range(10)))
    elapsed = time.perf_counter() - started

    assert all('class="dj-layouts-panel-error"' in slots(r)["panel"] for r in responses)
    assert renders["always_failing"] == 10
    assert elapsed < 1.5  # 0.3 s + 0.3 s side by side, not 10 x 0.3 s


def slow_holder(request: HttpRequest) -> str:
    number = renders("slow_holder")
    time.sleep(1.5)
    return f"<p>holder {number}</p>"


def test_a_waiter_takes_over_when_the_lock_holder_is_too_slow(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]], settings: Any
) -> None:
    # A 1 s lease and a 1.5 s render: one waiter takes over after 1 s; the others get
    # the first holder's entry at 1.5 s, before the second lease runs out.
    settings.DJ_LAYOUTS = {"CACHE_LOCK_TIMEOUT": 1}
    page_layout = make_layout(panel=Panel(slow_holder, cache=cache.sitewide(60)))
    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(lambda _: _timed(lambda: page(page_layout)), range(6)))

    assert renders["slow_holder"] == 2
    html = [slots(r)["panel"] for r, _ in responses]
    assert set(html) == {"<p>holder 1</p>", "<p>holder 2</p>"}
    assert html.count("<p>holder 1</p>") == 5
    assert max(seconds for _, seconds in responses) < 3.5


async def test_a_cancelled_render_lets_a_waiter_take_over_at_once(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]]
) -> None:
    page_layout = make_layout(panel=Panel(aslow, cache=cache.sitewide(60)))
    leader = asyncio.ensure_future(apage(page_layout))
    await asyncio.sleep(0.1)
    waiter = asyncio.ensure_future(apage(page_layout))
    await asyncio.sleep(0.1)
    leader.cancel()  # e.g. the client went away
    started = time.perf_counter()
    response = await waiter

    assert leader.cancelled()
    assert slots(response)["panel"] == "<p>aslow 2</p>"
    assert time.perf_counter() - started < 1.0  # far less than the 10 s lock timeout


def _lock_key(panel: Panel, vary: str = "") -> str:
    key = make_key(panel.name or "?", vary)
    return keys_module.side_key(keys_module.LOCK_PREFIX, key, keys_module.fingerprint(panel))


@pytest.mark.parametrize("outcome", ["released", "failed"])
def test_a_waiter_renders_when_another_process_lets_go_of_the_lock(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]], outcome: str
) -> None:
    page_layout = make_layout(nav=Panel(nav, cache=cache.sitewide(60)))
    lock = _lock_key(page_layout.get_panels()["nav"])
    assert caches["default"].add(lock, "another process", 30)
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(page, page_layout)
        time.sleep(0.3)
        assert not waiting.done()
        if outcome == "released":
            caches["default"].delete(lock)
        else:
            caches["default"].set(lock, lock_module.FAILED, 1)
        response = waiting.result(timeout=5)

    assert slots(response)["nav"] == "<nav>nav 1</nav>"


def test_a_waiter_is_served_the_entry_another_process_stored(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]]
) -> None:
    from dj_layouts.queues import QueueCollector, Script

    page_layout = make_layout(nav=Panel(nav, cache=cache.sitewide(60)))
    panel = page_layout.get_panels()["nav"]
    assert caches["default"].add(_lock_key(panel), "another process", 30)
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(page, page_layout)
        time.sleep(0.3)
        # What the other process stores when its render is done.
        queues = QueueCollector.for_layout(page_layout)
        queues.add("scripts", Script("/static/elsewhere.js"))
        elsewhere = get()
        elsewhere.layout_queues = queues
        writer = cache_module.PanelCache(panel, panel.cache, elsewhere)
        caches["default"].set(writer.key, writer.entry("<nav>elsewhere</nav>", None, queues), 60)
        response = waiting.result(timeout=5)

    assert slots(response)["nav"] == "<nav>elsewhere</nav>"
    assert "/static/elsewhere.js" in scripts(response)
    assert renders["nav"] == 0


# -- the event loop is never blocked ----------------------------------------------------------------


async def test_locmem_hits_are_answered_without_a_worker_thread(
    settings: Any, make_layout: Any, slots: Callable[..., dict[str, str]]
) -> None:
    settings.CACHES = {"default": {"BACKEND": LOCMEM, "LOCATION": f"hits-{uuid.uuid4().hex}"}}
    settings.DJ_LAYOUTS = {"SYNC_PANEL_WORKERS": 1}
    panels = {f"p{i}": Panel(nav, cache=cache.sitewide(60)) for i in range(5)}
    page_layout = make_layout(**panels)
    await apage(page_layout)  # fills the cache, using the pool
    release = threading.Event()
    blocker = shared_pool().submit(release.wait, 10)  # the pool's only thread is busy
    try:
        response = await asyncio.wait_for(apage(page_layout), 3)
    finally:
        release.set()
        blocker.result(5)

    assert renders["nav"] == 5
    assert {slots(response)[name] for name in panels} == {
        f"<nav>nav {i}</nav>" for i in range(1, 6)
    }


@pytest.mark.redis
async def test_redis_io_never_blocks_the_event_loop(
    redis_url: str, settings: Any, make_layout: Any, slots: Callable[..., dict[str, str]]
) -> None:
    import redis

    settings.CACHES = redis_caches(redis_url)
    caches["default"].clear()
    page_layout = make_layout(nav=Panel(anav, cache=cache.sitewide(60)))
    await apage(page_layout)  # connects
    gaps: list[float] = []
    done = asyncio.Event()

    async def tick() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = asyncio.ensure_future(tick())
    with redis.Redis.from_url(redis_url) as admin:
        admin.execute_command("CLIENT", "PAUSE", 400, "ALL")  # every cache call now waits
        started = time.perf_counter()
        response = await apage(page_layout)
        elapsed = time.perf_counter() - started
    done.set()
    await ticker
    caches["default"].clear()
    caches.close_all()

    assert slots(response)["nav"] == "<nav>anav 1</nav>"
    assert elapsed >= 0.3  # the hit did wait for Redis...
    assert max(gaps) < 0.15  # ...while the event loop kept running


# -- Vary -------------------------------------------------------------------------------------------


class _LayoutByName:
    """Resolves its layout per request: the tests declare them (no reference at import)."""

    layout_name = ""

    def get_layout_class(self) -> Any:
        return Layout.resolve(self.layout_name)


class SessionPage(_LayoutByName, LayoutMixin, View):
    layout_name = "tests.SessionPanelLayout"

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("<h1>session page</h1>")


class AsyncSessionPage(_LayoutByName, AsyncLayoutMixin, View):
    layout_name = "tests.SessionPanelLayout"

    async def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("<h1>session page</h1>")


class SitewidePage(_LayoutByName, LayoutMixin, View):
    layout_name = "tests.SitewidePanelLayout"

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("<h1>sitewide page</h1>")


urlpatterns += [
    path("vary/session/", SessionPage.as_view()),
    path("vary/async-session/", AsyncSessionPage.as_view()),
    path("vary/sitewide/", SitewidePage.as_view()),
]


@pytest.mark.parametrize("target", ["/vary/session/", "/vary/async-session/"])
def test_a_per_session_panel_makes_the_page_vary_on_cookie_even_on_a_hit(
    backend: str, make_layout: Any, client: Any, settings: Any, target: str
) -> None:
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    make_layout("SessionPanelLayout", cart=Panel(other_nav, cache=cache.per_session(60)))
    make_layout("SitewidePanelLayout", nav=Panel(other_nav, cache=cache.sitewide(60)))
    responses = [client.get(target) for _ in range(2)]
    control = [client.get("/vary/sitewide/") for _ in range(2)]

    assert renders["other_nav"] == 2  # one per layout: the second requests were hits
    assert all("Cookie" in r.get("Vary", "") for r in responses)
    assert not any("Cookie" in r.get("Vary", "") for r in control)


# -- more sources, more paths -----------------------------------------------------------------------


def greet(request: HttpRequest, word: str = "hi") -> str:
    return f"<p>{word} {renders(word)}</p>"


class Greeter:
    def __init__(self, word: str) -> None:
        self.word = word

    def __call__(self, request: HttpRequest) -> str:
        return f"<p>{self.word} {renders(self.word)}</p>"


class Shouter(Greeter):
    def __call__(self, request: HttpRequest) -> str:
        return f"<p>{self.word.upper()} {renders(self.word)}</p>"


def test_partials_and_callable_objects_are_told_apart(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]]
) -> None:
    pairs = [
        (functools.partial(greet, word="hello"), functools.partial(greet, word="bye")),
        (Greeter("hey"), Shouter("yo")),
    ]
    for one, two in pairs:
        first = make_layout("FirstLayout", nav=Panel(one, cache=cache.sitewide(60)))
        second = make_layout("SecondLayout", nav=Panel(two, cache=cache.sitewide(60)))
        html = [slots(page(layout_class))["nav"] for layout_class in (first, second, first)]
        assert html[0] != html[1]
        assert html[2].endswith(" 2</p>")  # the second layout's entry replaced the first's


def test_a_source_is_recognised_in_every_process() -> None:
    # No memory address in what an entry records, so processes agree on it.
    fingerprint = keys_module.fingerprint
    assert fingerprint(Panel(functools.partial(greet, word="a"))) == fingerprint(
        Panel(functools.partial(greet, word="a"))
    )
    assert fingerprint(Panel(Greeter("a"))) == fingerprint(Panel(Greeter("b")))
    assert fingerprint(Panel(greet)) != fingerprint(Panel(greet, context={"word": "a"}))
    assert fingerprint(Panel([greet, "<hr>"])) != fingerprint(Panel([greet, "<hr>"], join="\n"))


async def test_per_user_hits_on_async_views_need_no_thread_once_the_user_is_loaded(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]]
) -> None:
    page_layout = make_layout(who=Panel(who, cache=cache.per_user(60)))
    loaded = SimpleLazyObject(lambda: user(3))
    assert loaded.pk == 3  # the content view or a middleware looked at it already
    for visitor in (user(3), loaded, user(4)):
        await apage(page_layout, get("/", visitor))

    assert renders["who"] == 2


async def aslow_holder(request: HttpRequest) -> str:
    number = renders("aslow_holder")
    await asyncio.sleep(1.5)
    return f"<p>holder {number}</p>"


async def test_an_async_waiter_takes_over_when_the_lock_holder_is_too_slow(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]], settings: Any
) -> None:
    settings.DJ_LAYOUTS = {"CACHE_LOCK_TIMEOUT": 1}
    page_layout = make_layout(panel=Panel(aslow_holder, cache=cache.sitewide(60)))
    responses = await asyncio.gather(*(apage(page_layout) for _ in range(6)))

    assert renders["aslow_holder"] == 2
    html = [slots(r)["panel"] for r in responses]
    assert html.count("<p>holder 1</p>") == 5


def _panel_cache(page_layout: Any, name: str, request: HttpRequest | None = None) -> Any:
    from dj_layouts.queues import QueueCollector

    panel = page_layout.get_panels()[name]
    request = request or get()
    request.layout_queues = QueueCollector.for_layout(page_layout)
    return cache_module.PanelCache(panel, panel.cache, request)


def test_an_abandoned_render_leaves_no_flight_and_no_error(backend: str, make_layout: Any) -> None:
    page_layout = make_layout(nav=Panel(nav, cache=cache.sitewide(60)))
    flow = flow_module.lookup(_panel_cache(page_layout, "nav"))
    assert flow.send(None)[0] == driver_module.GET
    assert flow.send({})[0] == driver_module.ADD  # a miss: take the lock
    assert flow.send(True) == (driver_module.RENDER,)
    assert flow_module.flights
    flow.close()  # e.g. its event loop went away; nothing may be raised or yielded

    assert not flow_module.flights


@pytest.fixture
def database_cache(settings: Any, transactional_db: None) -> None:
    from django.core.management import call_command

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "dj_layouts_test_cache",
        }
    }
    call_command("createcachetable", verbosity=0)


async def test_the_database_cache_is_used_through_djangos_async_api(
    database_cache: None, settings: Any, make_layout: Any, slots: Callable[..., dict[str, str]]
) -> None:
    settings.DJ_LAYOUTS = {"DEBUG_ERRORS": False}
    page_layout = make_layout(
        nav=Panel(anav, cache=cache.sitewide(60)),
        broken=Panel(always_failing, cache=cache.sitewide(60)),
    )
    responses = await asyncio.gather(*(apage(page_layout) for _ in range(4)))
    responses.append(await apage(page_layout))

    assert renders["anav"] == 1
    assert {slots(r)["nav"] for r in responses} == {"<nav>anav 1</nav>"}
    assert all('class="dj-layouts-panel-error"' in slots(r)["broken"] for r in responses)
    assert renders["always_failing"] == 5


async def test_a_lock_lease_taken_over_in_the_database_cache(
    database_cache: None, settings: Any, make_layout: Any, slots: Callable[..., dict[str, str]]
) -> None:
    settings.DJ_LAYOUTS = {"CACHE_LOCK_TIMEOUT": 1}
    page_layout = make_layout(panel=Panel(aslow_holder, cache=cache.sitewide(60)))
    responses = await asyncio.gather(*(apage(page_layout) for _ in range(3)))

    assert renders["aslow_holder"] == 2
    assert [slots(r)["panel"] for r in responses].count("<p>holder 1</p>") == 2
    # The first holder left the lock of the one that took over alone; that one let go.
    lock = _lock_key(page_layout.get_panels()["panel"])
    assert await caches["default"].aget(lock) is None


@pytest.mark.parametrize("view_kind", ["sync", "async"])
def test_no_refresh_while_another_process_refreshes(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]], view_kind: str
) -> None:
    # An async panel on an async view takes the refresh lock in the worker thread.
    source = nav if view_kind == "sync" else anav
    page_layout = make_layout(nav=Panel(source, cache=cache.sitewide(timeout=0, stale_ttl=60)))
    render = page if view_kind == "sync" else lambda *a: asyncio.run(apage(*a))
    render(page_layout)
    refresh_lock = keys_module.side_key(
        keys_module.REFRESH_PREFIX,
        make_key("nav"),
        keys_module.fingerprint(page_layout.get_panels()["nav"]),
    )
    assert caches["default"].add(refresh_lock, "another process", 30)
    for _ in range(3):
        assert slots(render(page_layout))["nav"] == f"<nav>{source.__name__} 1</nav>"
        drain_background()
    assert renders[source.__name__] == 1

    caches["default"].delete(refresh_lock)  # that process is done (or gone)
    render(page_layout)
    drain_background()
    assert renders[source.__name__] == 2


def test_a_refresh_finds_the_entry_refreshed_meanwhile(backend: str, make_layout: Any) -> None:
    page_layout = make_layout(nav=Panel(nav, cache=cache.sitewide(timeout=60, stale_ttl=60)))
    page(page_layout)  # a fresh entry
    refresher = _panel_cache(page_layout, "nav")
    refresh_module.refresh(refresher, uuid.uuid4().hex, acquire=True)

    assert renders["nav"] == 1


def test_a_refresh_that_cannot_start_still_serves_the_stale_entry(
    backend: str,
    make_layout: Any,
    slots: Callable[..., dict[str, str]],
    settings: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    page_layout = make_layout(nav=Panel(nav, cache=cache.sitewide(timeout=0, stale_ttl=60)))
    page(page_layout)
    settings.DJ_LAYOUTS = {"REFRESH_WORKERS": 3}  # a pool of its own, for this test
    refresh_pool().shutdown()  # as at interpreter exit

    assert slots(page(page_layout))["nav"] == "<nav>nav 1</nav>"
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
        "Panel 'nav': could not start refreshing its stale entry."
    ]
    assert not refresh_module.refreshing


@pytest.mark.parametrize("view_kind", ["sync", "async"])
def test_a_cache_that_is_down_leaves_the_panels_uncached(
    settings: Any,
    make_layout: Any,
    slots: Callable[..., dict[str, str]],
    caplog: pytest.LogCaptureFixture,
    view_kind: str,
) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there
    settings.CACHES = redis_caches(f"redis://127.0.0.1:{port}/0")
    page_layout = make_layout(
        nav=Panel(nav, cache=cache.sitewide(60)),
        other=Panel(other_nav, cache=cache.per_path(60, stale_ttl=60)),
        anav=Panel(anav, cache=cache.per_user(60)),
    )
    render = page if view_kind == "sync" else lambda *a: asyncio.run(apage(*a))
    html = [slots(render(page_layout)) for _ in range(2)]
    caches.close_all()

    assert [h["nav"] for h in html] == ["<nav>nav 1</nav>", "<nav>nav 2</nav>"]
    assert [h["other"] for h in html] == ["<nav>other 1</nav>", "<nav>other 2</nav>"]
    assert [h["anav"] for h in html] == ["<nav>anav 1</nav>", "<nav>anav 2</nav>"]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    pattern = re.compile(
        r"Panel '(\w+)': the cache 'default' failed \(ConnectionError: .+\); "
        r"the panel renders without it\."
    )
    matches = [pattern.fullmatch(message) for message in warnings]
    assert all(matches), warnings
    # Once per panel and request: a failed backend is left alone for the rest of it.
    assert sorted(m.group(1) for m in matches if m) == [
        "anav",
        "anav",
        "nav",
        "nav",
        "other",
        "other",
    ]


def exits_once(request: HttpRequest) -> str:
    if renders("exits_once") == 1:
        raise SystemExit(3)
    return "<p>still here</p>"


def test_a_render_stopped_by_system_exit_lets_go_of_its_lock(
    backend: str, make_layout: Any, slots: Callable[..., dict[str, str]]
) -> None:
    page_layout = make_layout(panel=Panel(exits_once, cache=cache.sitewide(60)))
    with pytest.raises(SystemExit):
        page(page_layout)
    started = time.perf_counter()

    assert slots(page(page_layout))["panel"] == "<p>still here</p>"
    assert time.perf_counter() - started < 1  # not the 10 s the lock would have lasted


# -- reading a page's entries at once (prefetch) ----------------------------------------------------


def _page_caches(page_layout: Any, request: HttpRequest | None = None) -> list[Any]:
    """One PanelCache per cached panel, each with its own panel request, as Page makes them."""
    from dj_layouts.queues import QueueCollector

    made = []
    for panel in page_layout.get_panels().values():
        panel_request = get() if request is None else request
        panel_request.layout_queues = QueueCollector.for_layout(page_layout)
        made.append(cache_module.PanelCache.for_panel(panel, page_layout, panel_request))
    return made


def _count_get_many(monkeypatch: pytest.MonkeyPatch, alias: str = "default") -> list[list[str]]:
    backend_cache = caches[alias]
    calls: list[list[str]] = []
    get_many, aget_many = backend_cache.get_many, backend_cache.aget_many

    def counting(keys: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(list(keys))
        return get_many(keys, *args, **kwargs)

    async def acounting(keys: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(list(keys))
        return await aget_many(keys, *args, **kwargs)

    monkeypatch.setattr(backend_cache, "get_many", counting)
    monkeypatch.setattr(backend_cache, "aget_many", acounting)
    return calls


def test_prefetch_reads_a_page_of_hits_with_one_get_many(
    backend: str, make_layout: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    panels = {f"p{i}": Panel(nav, cache=cache.sitewide(60)) for i in range(5)}
    page_layout = make_layout(**panels)
    page(page_layout)  # fills the cache
    calls = _count_get_many(monkeypatch)
    panel_caches = _page_caches(page_layout)

    cache_module.PanelCache.prefetch([*panel_caches, None])
    html = [panel_cache.probe() for panel_cache in panel_caches]

    assert len(calls) == 1  # one round trip for the page, not one per panel
    assert sorted(html) == [f"<nav>nav {i}</nav>" for i in range(1, 6)]
    assert all(c.queues.dump() for c in panel_caches)  # each hit replayed its script
    assert renders["nav"] == 5


@pytest.mark.parametrize("path", ["sync", "async"])
def test_a_warm_page_of_cached_panels_reads_the_cache_once(
    backend: str, make_layout: Any, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    panels = {f"p{i}": Panel(nav, cache=cache.sitewide(60)) for i in range(5)}
    page_layout = make_layout(**panels)
    first = page(page_layout)
    calls = _count_get_many(monkeypatch)

    again = page(page_layout) if path == "sync" else async_to_sync(apage)(page_layout)

    assert again.content == first.content
    assert len(calls) == 1  # one round trip for the page, not one per panel
    assert renders["nav"] == 5


def test_a_prefetched_hit_needs_no_read_of_its_own_when_rendered(
    backend: str, make_layout: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    page_layout = make_layout(nav=Panel(nav, cache=cache.sitewide(60)))
    page(page_layout)
    calls = _count_get_many(monkeypatch)
    [panel_cache] = _page_caches(page_layout)

    cache_module.PanelCache.prefetch([panel_cache])

    assert panel_cache.render() == "<nav>nav 1</nav>"
    assert len(calls) == 1
    assert renders["nav"] == 1


def test_a_prefetched_miss_renders_and_stores_the_entry(
    backend: str, make_layout: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    page_layout = make_layout(nav=Panel(nav, cache=cache.sitewide(60)))
    [panel_cache] = _page_caches(page_layout)

    cache_module.PanelCache.prefetch([panel_cache])

    assert panel_cache.probe() is None
    assert panel_cache.render() == "<nav>nav 1</nav>"
    [again] = _page_caches(page_layout)
    cache_module.PanelCache.prefetch([again])
    assert again.probe() == "<nav>nav 1</nav>"
    assert renders["nav"] == 1


def test_a_prefetched_stale_hit_is_served_and_refreshed(backend: str, make_layout: Any) -> None:
    page_layout = make_layout(nav=Panel(nav, cache=cache.sitewide(timeout=0, stale_ttl=60)))
    page(page_layout)
    [panel_cache] = _page_caches(page_layout)

    cache_module.PanelCache.prefetch([panel_cache])

    assert panel_cache.probe() == "<nav>nav 1</nav>"
    drain_background()
    assert renders["nav"] == 2


@pytest.mark.parametrize("view_kind", ["sync", "async"])
def test_prefetch_leaves_a_failing_backend_to_each_panel(
    settings: Any, make_layout: Any, caplog: pytest.LogCaptureFixture, view_kind: str
) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there
    settings.CACHES = redis_caches(f"redis://127.0.0.1:{port}/0")
    page_layout = make_layout(nav=Panel(nav, cache=cache.sitewide(60)))
    [panel_cache] = _page_caches(page_layout)

    if view_kind == "sync":
        cache_module.PanelCache.prefetch([panel_cache])  # raises nothing, logs nothing
    else:
        asyncio.run(cache_module.PanelCache.aprefetch([panel_cache]))
    assert caplog.records == []
    assert panel_cache.probe() is None
    assert panel_cache.render() == "<nav>nav 1</nav>"
    caches.close_all()
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
        "Panel 'nav': the cache 'default' failed"
    ]


async def test_aprefetch_reads_every_backend_once_and_loads_the_user_off_the_loop(
    backend: str, make_layout: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    page_layout = make_layout(
        nav=Panel(nav, cache=cache.sitewide(60)),
        who=Panel(who, cache=cache.per_user(60)),
        other=Panel(other_nav, cache=cache.sitewide(60, backend="other")),
    )
    await apage(page_layout, get("/", user(3)))
    calls = _count_get_many(monkeypatch)
    other_calls = _count_get_many(monkeypatch, "other")
    loaded_on: list[Any] = []

    def lazy_user() -> Any:
        loaded_on.append(threading.current_thread())
        return user(3)

    panel_caches = _page_caches(page_layout, get("/", SimpleLazyObject(lazy_user)))
    await cache_module.PanelCache.aprefetch(panel_caches)
    html = [panel_cache.probe() for panel_cache in panel_caches]

    assert sorted(html) == ["<nav>nav 1</nav>", "<nav>other 1</nav>", "<p>3 / 1</p>"]
    assert (len(calls), len(other_calls)) == (1, 1)  # one read per backend
    assert loaded_on and threading.current_thread() not in loaded_on


def _broken_key(request: HttpRequest) -> str:
    raise LookupError("no tenant")


@pytest.mark.parametrize("view_kind", ["sync", "async"])
def test_prefetch_leaves_a_key_that_cannot_be_made_to_its_panel(
    backend: str, make_layout: Any, view_kind: str
) -> None:
    page_layout = make_layout(
        nav=Panel(nav, cache=cache.sitewide(60)),
        tenant=Panel(other_nav, cache=cache.custom(_broken_key, 60)),
    )
    page(page_layout)
    panel_caches = _page_caches(page_layout)

    if view_kind == "sync":
        cache_module.PanelCache.prefetch(panel_caches)
    else:
        asyncio.run(cache_module.PanelCache.aprefetch(panel_caches))

    assert panel_caches[0].probe() == "<nav>nav 1</nav>"
    with pytest.raises(LookupError) as excinfo:
        panel_caches[1].render()
    assert excinfo.value.args == ("no tenant",)


def test_a_panel_without_a_cache_has_no_panel_cache(make_layout: Any, settings: Any) -> None:
    page_layout = make_layout(nav=Panel(nav), cached=Panel(nav, cache=cache.sitewide(60)))
    made = dict(zip(page_layout.get_panels(), _page_caches(page_layout), strict=True))
    settings.DJ_LAYOUTS = {"CACHE_ENABLED": False}

    assert made["nav"] is None
    assert made["cached"] is not None
    assert _page_caches(page_layout) == [None, None]
