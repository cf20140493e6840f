"""What a panel shares with its page (SPEC §5), over the test client and real servers.

- Forms in panels on streamed pages: the CSRF cookie is decided before the headers
  leave, and every form's token posts, on the first visit and the second.
- One CSRF secret per page, whoever asks first (an eager panel, the content view).
- Session writes from concurrent panels are never lost; messages added in a panel
  show on the next page.
- An async view with streaming under WSGI answers (buffered, one warning), never 500.
"""

from __future__ import annotations

import html
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.test import Client

from tests import _services

ROOT = Path(__file__).resolve().parent.parent
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STREAMED = ["sync-ordered", "sync-unordered", "async-ordered", "async-unordered"]

pytestmark = pytest.mark.urls("tests.isolationapp.urls")


@pytest.fixture(autouse=True)
def _isolation_settings(settings):
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "tests.isolationapp"]
    settings.SESSION_ENGINE = "tests.isolationapp.slow_session"
    settings.MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"


def _tokens(page: str) -> list[str]:
    # Unordered pages carry each panel's HTML escaped in its fill, as the browser reads it.
    return TOKEN.findall(html.unescape(page))


def _serve(command: list[str], probe: str) -> Iterator[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.isolationapp.settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    }
    env.pop("PYTHONDEVMODE", None)  # dev mode's warnings would flood the server's log
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    url = probe.rsplit("/iso/", 1)[0]
    try:
        for _ in range(300):
            try:
                httpx.get(probe, timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None:
                    break
                time.sleep(0.05)
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            pytest.fail(f"the server did not start: {output}")
        yield url
    finally:
        _services.stop_process(process)


@pytest.fixture(scope="module")
def uvicorn_url() -> Iterator[str]:
    port = _services.free_port()
    command = [sys.executable, "-m", "uvicorn", "tests.isolationapp.asgi:application"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    yield from _serve(command, f"http://127.0.0.1:{port}/iso/submit/")


@pytest.fixture(scope="module")
def gunicorn_url() -> Iterator[str]:
    pytest.importorskip("gunicorn", reason="gunicorn is in the test dependencies")
    port = _services.free_port()
    command = [sys.executable, "-m", "gunicorn", "tests.isolationapp.wsgi:application"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "8"]
    command += ["--worker-class", "gthread", "--log-level", "warning"]
    yield from _serve(command, f"http://127.0.0.1:{port}/iso/submit/")


def _post_tokens(client: Client, body: str) -> list[int]:
    """Post each form's token from ``body``; the status of each post."""
    return [
        client.post("/iso/submit/", {"csrfmiddlewaretoken": token}).status_code
        for token in _tokens(body)
    ]


# -- forms in panels on streamed pages ---------------------------------------------------------
@pytest.mark.parametrize("name", STREAMED)
def test_streamed_page_with_forms_in_panels_sets_the_cookie_test_client(name):
    client = Client(enforce_csrf_checks=True)
    for visit in ("first", "second"):
        response = client.get(f"/iso/{name}/")
        body = b"".join(response).decode() if response.streaming else response.content.decode()
        assert "csrftoken" in client.cookies, visit
        statuses = _post_tokens(client, body)
        assert statuses == [200, 200], (visit, body)


def _server_visits(url: str, name: str, visits: int = 2) -> None:
    with httpx.Client(base_url=url, timeout=10) as client:
        for visit in range(visits):
            page = client.get(f"/iso/{name}/")
            assert page.status_code == 200
            assert "csrftoken" in client.cookies, (visit, page.headers)
            tokens = _tokens(page.text)
            assert len(tokens) == 2, page.text
            for token in tokens:
                posted = client.post(
                    "/iso/submit/",
                    data={"csrfmiddlewaretoken": token},
                    headers={"Referer": f"{url}/iso/{name}/"},
                )
                assert posted.status_code == 200, (visit, token)


@pytest.mark.parametrize("name", STREAMED)
def test_streamed_forms_in_panels_under_uvicorn(uvicorn_url, name):
    # The race the cookie lost under uvicorn showed in a few of many first visits.
    for _ in range(5):
        _server_visits(uvicorn_url, name, visits=1)
    _server_visits(uvicorn_url, name)


@pytest.mark.parametrize("name", STREAMED)
def test_streamed_forms_in_panels_under_gunicorn(gunicorn_url, name):
    for _ in range(3):
        _server_visits(gunicorn_url, name, visits=1)
    _server_visits(gunicorn_url, name)


# -- one secret per page --------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["eager-sync", "eager-async"])
def test_eager_panel_form_and_content_form_share_one_secret(name):
    for _ in range(5):
        client = Client(enforce_csrf_checks=True)
        body = client.get(f"/iso/{name}/").content.decode()
        assert "csrftoken" in client.cookies
        assert ">content<" in body and ">one<" in body
        statuses = _post_tokens(client, body)
        assert statuses == [200, 200]


def test_eager_and_content_forms_share_one_secret_under_uvicorn(uvicorn_url):
    with httpx.Client(base_url=uvicorn_url, timeout=10) as client:
        for _ in range(5):
            client.cookies.clear()
            page = client.get("/iso/eager-async/")
            tokens = _tokens(page.text)
            assert len(tokens) == 2
            for token in tokens:
                posted = client.post("/iso/submit/", data={"csrfmiddlewaretoken": token})
                assert posted.status_code == 200


# -- sessions and messages ------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["session-sync", "session-async"])
def test_session_writes_of_concurrent_panels_all_persist(name):
    for n in range(20):
        client = Client()
        client.get("/iso/start/")  # the visitor has a session; the page does not load it
        assert client.get(f"/iso/{name}/?n={n}").status_code == 200
        assert client.get("/iso/session/").content.decode() == f"seen_one={n},seen_two={n}"


def test_session_writes_of_concurrent_panels_under_uvicorn(uvicorn_url):
    for n in range(20):
        with httpx.Client(base_url=uvicorn_url, timeout=10) as client:
            client.get("/iso/start/")
            assert client.get(f"/iso/session-async/?n={n}").status_code == 200
            assert client.get("/iso/session/").text == f"seen_one={n},seen_two={n}"


def test_message_added_in_a_panel_shows_on_the_next_page():
    client = Client()
    assert client.get("/iso/messages/").status_code == 200
    assert client.get("/iso/read-messages/").content.decode() == "hello from one"


# -- async views streaming under WSGI -------------------------------------------------------------
@pytest.mark.parametrize("name", ["async-ordered", "async-unordered"])
def test_async_streamed_page_under_wsgi_is_sent_buffered(name, caplog):
    with caplog.at_level(logging.WARNING, logger="dj_layouts"):
        response = Client().get(f"/iso/{name}/")
    assert response.status_code == 200
    assert not response.streaming
    body = response.content.decode()
    assert body.count("<form") == 2 and "<h1>content</h1>" in body


@pytest.mark.parametrize("name", ["async-ordered", "async-unordered", "sync-unordered"])
def test_streamed_pages_answer_under_gunicorn(gunicorn_url, name):
    page = httpx.get(f"{gunicorn_url}/iso/{name}/", timeout=10)
    assert page.status_code == 200
    assert html.unescape(page.text).count("<form") == 2
