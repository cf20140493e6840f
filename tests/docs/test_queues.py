"""The samples of docs/queues.md run, and the page they build is the page the docs show."""

from __future__ import annotations

import re
from typing import Any

import django
import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import AsyncClient, Client, RequestFactory, override_settings

from dj_layouts import add_script, layout
from tests.docs.pages import (
    DocProject,
    check_settings_block,
    code_blocks,
    compile_template,
    page_path,
    settings_blocks,
    template_blocks,
)

PAGE = "queues.md"
_SECTION = re.compile(r"<!--(\w+)-->(.*?)<!--/\1-->", re.S)


def normalise(html: str) -> list[str]:
    """Lines without surrounding blanks, empty lines dropped: what a reader compares."""
    return [line.strip() for line in html.splitlines() if line.strip()]


def documented_page() -> list[str]:
    (block,) = [block for block in code_blocks(PAGE) if block.lang == "html"]
    return normalise(block.code)


def settings_block(marker: str) -> Any:
    (block,) = [block for block in settings_blocks(PAGE) if marker in block.code]
    return block


def test_every_sample_runs(tmp_path):
    # The Django 6 settings sample is skipped on the page: test_the_django_6_csp_settings.
    with DocProject(tmp_path, PAGE) as project:
        namespace = project.run_samples()
    assert {"BundledLayout", "debug_queues"} <= set(namespace)


def test_every_template_block_compiles():
    titles = [block.title for block in template_blocks(PAGE)]
    assert titles == [
        "shop/templates/shop/layout.html",
        "shop/templates/shop/reviews.html",
        "shop/templates/shop/scripts.html",
    ]
    for block in template_blocks(PAGE):
        compile_template(block)


def test_the_sample_page_is_the_documented_page(tmp_path):
    with DocProject(tmp_path, PAGE):
        response = Client().get("/product/7/")
    assert response.status_code == 200
    assert normalise(response.content.decode()) == documented_page()


async def test_the_sample_page_is_the_same_under_asgi(tmp_path):
    with DocProject(tmp_path, PAGE):
        response = await AsyncClient().get("/product/7/")
    assert response.status_code == 200
    assert normalise(response.content.decode()) == documented_page()


def test_a_queue_with_its_own_template(tmp_path):
    with DocProject(tmp_path, PAGE) as project:
        namespace = project.run_samples()

        @layout(namespace["BundledLayout"])
        def view(request):
            add_script(request, "/static/shop/first.js")
            return HttpResponse("<h1>bundled</h1>")

        response = view(RequestFactory().get("/"))
    html = response.content.decode()
    scripts = html[html.index("<!-- 4 scripts") : html.index("</body>")]
    assert normalise(scripts) == [
        "<!-- 4 scripts for queue scripts -->",
        '<script src="/static/shop/first.js"></script>',
        '<script src="/static/shop/cart.js" defer></script>',
        '<script src="/static/shop/stars.js" defer></script>',
        '<script>Stars.init(document.querySelectorAll(".stars"));</script>',
    ]


def test_looking_at_the_queues(tmp_path):
    expected = "<p>scripts, styles, head_extra: ['/static/shop/debug.js']</p>"
    assert f"`{expected}`" in page_path(PAGE).read_text()
    with DocProject(tmp_path, PAGE) as project:
        namespace = project.run_samples()
        response = namespace["debug_queues"](RequestFactory().get("/"))
    main = re.search(r"<main>(.*?)</main>", response.content.decode(), re.S)
    assert main is not None
    assert main.group(1) == expected


def assert_nonces_match_the_header(response: Any) -> None:
    (nonce,) = set(re.findall(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]))
    lines = normalise(response.content.decode())
    tagged = [
        line
        for line in lines
        if line.startswith(("<script", "<style")) or 'rel="stylesheet"' in line
    ]
    assert len(tagged) == 8
    for line in tagged:
        assert f' nonce="{nonce}"' in line, line
    # Fragments of a RenderQueue are left as written.
    assert '<link rel="canonical" href="/product/7/">' in lines
    # Apart from the nonces, the page is the documented one.
    assert [line.replace(f' nonce="{nonce}"', "") for line in lines] == documented_page()


@pytest.mark.skipif(
    django.VERSION < (6,),
    reason="the sample imports django.utils.csp, which arrived in Django 6.0",
)
def test_the_django_6_csp_settings(tmp_path):
    sample = check_settings_block(settings_block("django.middleware.csp"))
    with (
        DocProject(tmp_path, PAGE),
        override_settings(
            MIDDLEWARE=[*settings.MIDDLEWARE, *sample["MIDDLEWARE"]],
            SECURE_CSP=sample["SECURE_CSP"],
        ),
    ):
        response = Client().get("/product/7/")
    assert_nonces_match_the_header(response)


def test_the_django_csp_settings(tmp_path):
    sample = check_settings_block(settings_block("csp.middleware.CSPMiddleware"))
    with (
        DocProject(tmp_path, PAGE),
        override_settings(
            MIDDLEWARE=[*settings.MIDDLEWARE, *sample["MIDDLEWARE"]],
            CONTENT_SECURITY_POLICY=sample["CONTENT_SECURITY_POLICY"],
        ),
    ):
        response = Client().get("/product/7/")
    assert_nonces_match_the_header(response)
