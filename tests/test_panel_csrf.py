"""Forms in panels: {% csrf_token %} in a panel gets the visitor a CSRF cookie that matches."""

from __future__ import annotations

import re

import pytest
from django.http import HttpResponse
from django.template import engines
from django.test import Client
from django.urls import path
from django.views.decorators.csrf import csrf_protect

from dj_layouts import Layout, Panel, layout

FORM = engines["django"].from_string(
    '<form method="post" action="/csrf/submit/">{% csrf_token %}<button>go</button></form>'
)


def form_panel(request):
    return HttpResponse(FORM.render({}, request))


def plain_panel(request):
    return "<p>no form</p>"


class CsrfLayout(Layout):
    template = "testapp/other.html"
    footer = Panel([form_panel, form_panel])


class NoFormLayout(Layout):
    template = "testapp/other.html"
    footer = Panel(plain_panel)


@layout(CsrfLayout)
def page(request):
    return HttpResponse("<h1>page</h1>")


@layout(NoFormLayout)
def no_form(request):
    return HttpResponse("<h1>page</h1>")


@csrf_protect
def submit(request):
    return HttpResponse("accepted")


urlpatterns = [
    path("csrf/page/", page),
    path("csrf/no-form/", no_form),
    path("csrf/submit/", submit),
]

pytestmark = pytest.mark.urls(__name__)


@pytest.mark.parametrize("executor", ["SequentialExecutor", "ThreadedExecutor"])
def test_a_form_in_a_panel_sets_a_matching_csrf_cookie(executor):
    import dj_layouts

    CsrfLayout._executor = getattr(dj_layouts, executor)()
    try:
        client = Client(enforce_csrf_checks=True)
        response = client.get("/csrf/page/")
    finally:
        CsrfLayout._executor = None
    assert "csrftoken" in response.cookies
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert len(tokens) == 2
    for token in tokens:
        posted = client.post("/csrf/submit/", {"csrfmiddlewaretoken": token})
        assert posted.status_code == 200, token


def test_no_cookie_when_no_panel_uses_the_token():
    response = Client().get("/csrf/no-form/")
    assert "csrftoken" not in response.cookies


def test_a_visitor_with_a_cookie_keeps_it():
    client = Client(enforce_csrf_checks=True)
    first = client.get("/csrf/page/").cookies["csrftoken"].value
    second = client.get("/csrf/page/")
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', second.content.decode())
    assert client.post("/csrf/submit/", {"csrfmiddlewaretoken": tokens[0]}).status_code == 200
    assert client.cookies["csrftoken"].value == first
