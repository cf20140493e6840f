"""The samples of docs/caching.md run and do what the page says."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.cache import caches
from django.db.models.signals import post_save
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from dj_layouts import Panel, layout
from tests._background import drain_background
from tests.docs.pages import (
    Block,
    DocProject,
    check_settings_block,
    code_blocks,
    python_blocks,
    run_block,
    snippet_blocks,
)

PAGE = "caching.md"
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"


def _first_line(code: str) -> str:
    return next(
        line
        for line in code.splitlines()
        if line.strip() and not line.startswith(("import", "from"))
    )


def test_every_sample_runs(project: DocProject) -> None:
    namespace = project.run_samples()
    assert namespace["WeatherLayout"].__module__ == "myapp.docs"


def _snippet(start: str) -> Block:
    [block] = [b for b in snippet_blocks(PAGE) if _first_line(b.code).startswith(start)]
    return block


@pytest.fixture
def project(tmp_path: Any, settings: Any) -> Iterator[DocProject]:
    settings.CACHES = {"default": {"BACKEND": LOCMEM, "LOCATION": uuid.uuid4().hex}}
    with DocProject(tmp_path, PAGE) as doc_project:
        yield doc_project
    drain_background()
    caches["default"].clear()


def _render(layout_class: Any, **cookies: str) -> str:
    """A page of ``layout_class`` for an anonymous visitor without a session."""
    request = RequestFactory().get("/")
    request.COOKIES.update(cookies)
    request.user = AnonymousUser()
    request.session = SessionStore()
    page = layout(layout_class)(lambda request: HttpResponse("<h1>Prices</h1>"))
    return str(page(request).content.decode())


def _html(client: Any, target: str = "/") -> str:
    response = client.get(target)
    assert response.status_code == 200
    return str(response.content.decode())


# -- the sample project ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_shop_page_serves_its_panels_from_the_cache(project: DocProject, client: Any) -> None:
    views = project.module("myapp.views")
    first = client.get("/")
    views.CATEGORIES.append("Games")  # the data changes; the cached nav does not, yet
    second = client.get("/")

    for response in (first, second):
        html = response.content.decode()
        assert "<nav><ul><li>Books</li><li>Music</li></ul></nav>" in html
        assert '<script src="/static/nav.js"></script>' in html  # replayed on the hit
        assert "<p>Hello guest</p><p>0 items</p>" in html
        assert "<p>You are at /</p>" in html
        assert "Cookie" in response["Vary"]  # per_session and per_user, hit or not
    assert "<p>You are at /shop/</p>" in _html(client, "/shop/")  # per_path

    from dj_layouts.cache import invalidate_panel

    invalidate_panel("nav")
    assert "<li>Games</li>" in _html(client)


@pytest.mark.django_db
def test_the_account_panel_is_per_user(project: DocProject, client: Any) -> None:
    client.force_login(User.objects.create_user("ann"))
    assert "<p>Hello ann</p>" in _html(client)
    client.force_login(User.objects.create_user("bob"))
    assert "<p>Hello bob</p>" in _html(client)
    client.logout()
    assert "<p>Hello guest</p>" in _html(client)


# -- the snippets -----------------------------------------------------------------------------------


def test_a_bad_timeout_fails_as_shown(project: DocProject) -> None:
    blocks = code_blocks(PAGE)
    sample = _snippet('cache.sitewide(timeout="1h")')
    shown = blocks[blocks.index(sample) + 1]
    assert shown.lang == "text"
    with pytest.raises(TypeError) as excinfo:
        run_block(sample, {"__name__": "myapp.docs"})
    assert f"TypeError: {excinfo.value}" == shown.code.strip()


def test_a_custom_key_gives_each_currency_its_entry(project: DocProject) -> None:
    namespace = {"__name__": "myapp.docs"}
    run_block(_snippet("def currency(request):"), namespace)
    views = project.module("myapp.views")
    for currency in ("EUR", "USD"):
        assert "<li>Books</li>" in _render(namespace["PriceLayout"], currency=currency)
    views.CATEGORIES.append("Games")

    assert "<li>Games</li>" not in _render(namespace["PriceLayout"])  # EUR, the default
    assert "<li>Games</li>" not in _render(namespace["PriceLayout"], currency="USD")
    assert "<li>Games</li>" in _render(namespace["PriceLayout"], currency="GBP")
    for key in ("layouts:panel:nav:EUR", "layouts:panel:nav:USD", "layouts:panel:nav:GBP"):
        assert caches["default"].get(key) is not None


def test_the_key_samples_hold(project: DocProject) -> None:
    run_block(_snippet('assert make_key("nav")'), {"__name__": "myapp.docs"})


@pytest.mark.django_db
def test_the_invalidation_sample_drops_what_it_says(project: DocProject, client: Any) -> None:
    client.force_login(User.objects.create_user("ann"))
    _html(client, "/shop/")
    user_id = User.objects.get(username="ann").pk
    default = caches["default"]
    default.set(f"layouts:panel:account:{user_id}", "kept", 60)
    default.set("layouts:panel:account:42", "user 42's", 60)
    assert default.get("layouts:panel:crumbs:/shop/") is not None
    project.module("myapp.views").CATEGORIES.append("Games")

    run_block(_snippet('invalidate_panel("nav")'), {"__name__": "myapp.docs"})

    assert default.get("layouts:panel:account:42") is None
    assert default.get(f"layouts:panel:account:{user_id}") == "kept"
    assert default.get("layouts:panel:crumbs:/shop/") is None
    assert "<li>Games</li>" in _html(client, "/shop/")  # every nav entry went


@pytest.mark.django_db
def test_the_signal_receiver_keeps_the_account_panel_current(
    project: DocProject, client: Any
) -> None:
    ann = User.objects.create_user("ann")
    client.force_login(ann)
    assert "<p>Hello ann</p>" in _html(client)
    ann.username = "anna"
    ann.save()
    assert "<p>Hello ann</p>" in _html(client)  # cached: the receiver is not there yet

    namespace: dict[str, Any] = {"__name__": "myapp.docs"}
    run_block(_snippet("@receiver(post_save, sender=User)"), namespace)
    try:
        ann.username = "annabel"
        ann.save()
        assert "<p>Hello annabel</p>" in _html(client)
    finally:
        post_save.disconnect(namespace["refresh_account_panel"], sender=User)


@pytest.mark.django_db
def test_refresh_func_refreshes_the_weather_in_the_background(
    project: DocProject, client: Any
) -> None:
    namespace: dict[str, Any] = {"__name__": "myapp.docs"}
    run_block(_snippet("FORECAST = "), namespace)
    weather_layout = namespace["WeatherLayout"]
    config = weather_layout.get_panels()["weather"].cache
    assert (config.timeout, config.stale_ttl) == (60, 3600)

    def weather(layout_class: Any) -> str:
        return _render(layout_class).split("<footer>")[1].split("</footer>")[0]

    assert [weather(weather_layout) for _ in range(2)] == ["<p>Cloudy</p>"] * 2  # fresh
    drain_background()
    assert weather(weather_layout) == "<p>Cloudy</p>"

    # The same panel a minute later, when its entry is stale: timeout 0.
    stale = type(
        "StaleWeatherLayout",
        (weather_layout,),
        {
            "__module__": "myapp.docs",
            "weather": Panel("myapp:weather", cache=dataclasses.replace(config, timeout=0)),
        },
    )
    caches["default"].clear()
    assert weather(stale) == "<p>Cloudy</p>"  # a miss renders the view
    assert weather(stale) == "<p>Cloudy</p>"  # stale: served, and refreshed
    drain_background()
    namespace["FORECAST"]["today"] = "Rain"
    assert weather(stale) == "<p>Sunny</p>"  # what ready_forecast() returned


def test_the_settings_samples_are_valid() -> None:
    redis, disabled = (check_settings_block(b) for b in python_blocks(PAGE) if b.is_settings)
    assert redis["CACHES"]["panels"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert redis["DJ_LAYOUTS"] == {"CACHE_BACKEND": "panels", "CACHE_LOCK_TIMEOUT": 30}
    assert disabled["DJ_LAYOUTS"] == {"CACHE_ENABLED": False}


@pytest.mark.django_db
def test_with_caching_off_panels_render_every_time(project: DocProject, client: Any) -> None:
    run_block(_snippet("with override_settings("), {"__name__": "myapp.docs"})
    views = project.module("myapp.views")
    with override_settings(DJ_LAYOUTS={"CACHE_ENABLED": False}):
        _html(client)
        views.CATEGORIES.append("Games")
        assert "<li>Games</li>" in _html(client)
