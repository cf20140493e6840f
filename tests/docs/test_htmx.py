"""The samples of docs/htmx.md run and do what the page says."""

from __future__ import annotations

import inspect

import pytest
from django.test import Client, RequestFactory, override_settings

from dj_layouts import async_render_error_page, render_error_page
from dj_layouts.conf import DEFAULTS
from tests.docs.pages import (
    DocProject,
    check_settings_block,
    compile_template,
    run_block,
    settings_blocks,
    snippet_blocks,
    template_blocks,
)

PAGE = "htmx.md"
SHOP = "myapp.CatalogLayout"
DOCS = "myapp.DocsLayout"
SMART_VARY = "HX-Request, HX-History-Restore-Request, DJ-Layout, Cookie"


def _untitled_template() -> str:
    (block,) = [b for b in template_blocks(PAGE) if not b.title]
    return block.code


#: The templates the page does not show. The product page is the page's own
#: template sample (what a content template does when it is sent alone).
SUPPORT = {
    "myapp/templates/myapp/docs.html": (
        "{% load layouts %}<!DOCTYPE html><html><head><title>{{ title }} · Docs</title></head>"
        '<body hx-boost="true"><div id="layout" class="docs" {% layout_hx_headers %}>'
        '<nav id="toc">{% panel "toc" %}{% endpanel %}</nav>'
        '<article id="panel-content">{% panel "content" %}{% endpanel %}</article>'
        "</div></body></html>"
    ),
    "myapp/templates/myapp/cart.html": '<p class="cart">{{ cart_count }} in cart</p>',
    "myapp/templates/myapp/products.html": "<h1>Products</h1>",
    "myapp/templates/myapp/added.html": "<h1>Added</h1><p>{{ count }} in cart</p>",
    "myapp/templates/myapp/docs_home.html": "<h1>Docs</h1>",
    "myapp/templates/myapp/404.html": "<h1>Not found</h1><p>{{ path }}</p>",
    "myapp/templates/myapp/500.html": "<h1>Server error</h1>",
}


def project(tmp_path):
    support = dict(SUPPORT)
    support["myapp/templates/myapp/product.html"] = _untitled_template().replace(
        "product.name", "name"
    )
    return DocProject(tmp_path, PAGE, support=support, root_urlconf="mysite.urls")


def smart_settings() -> dict:
    blocks = settings_blocks(PAGE)
    return check_settings_block(blocks[1])["DJ_LAYOUTS"]


def hx(layout_key: str | None = None, **more: str) -> dict[str, str]:
    headers = {"HX-Request": "true", **more}
    if layout_key:
        headers["DJ-Layout"] = layout_key
    return headers


def test_every_sample_runs(tmp_path):
    with project(tmp_path) as site:
        namespace = site.run_samples()
    assert {"render_error_page", "async_render_error_page"} <= set(namespace)


def test_the_settings_samples_are_valid_and_state_the_defaults():
    detectors, smart = (check_settings_block(b)["DJ_LAYOUTS"] for b in settings_blocks(PAGE))
    assert detectors == {
        "PARTIAL_DETECTORS": [
            "dj_layouts.detection.htmx_detector",
            "dj_layouts.detection.query_param_detector",
        ]
    }
    assert smart["HTMX_SMART_ROUTING"] is True
    for key in ("HTMX_CONTENT_TARGET", "HTMX_COOKIE_NAME", "HTMX_COOKIE_DOMAIN"):
        assert smart[key] == DEFAULTS[key], key


def test_the_signatures_shown_are_the_real_ones():
    namespace: dict = {"__name__": "myapp.docs"}
    (block,) = snippet_blocks(PAGE)
    run_block(block, namespace)
    for name, real in (
        ("render_error_page", render_error_page),
        ("async_render_error_page", async_render_error_page),
    ):
        shown = inspect.signature(namespace[name]).parameters.values()
        assert [(p.name, p.kind, p.default) for p in shown] == [
            (p.name, p.kind, p.default) for p in inspect.signature(real).parameters.values()
        ], name
    assert inspect.iscoroutinefunction(namespace["async_render_error_page"])


def test_every_template_sample_compiles():
    for block in template_blocks(PAGE):
        compile_template(block)
    assert len(template_blocks(PAGE)) == 2


def test_the_detector_sample(tmp_path, client):
    with project(tmp_path) as proj:
        detector = proj.module("myapp.detectors").turbo_frame_detector
        rf = RequestFactory()
        assert detector(rf.get("/", headers={"Turbo-Frame": "main"})) is True
        assert detector(rf.get("/")) is False
        conf = {"PARTIAL_DETECTORS": ["myapp.detectors.turbo_frame_detector"]}
        with override_settings(DJ_LAYOUTS=conf, STATIC_URL="/static/"):
            partial = client.get("/products/", headers={"Turbo-Frame": "main"})
            full = client.get("/products/")
    assert partial.content == b"<h1>Products</h1>"
    assert partial["Vary"] == full["Vary"] == "Turbo-Frame"
    assert full.content.startswith(b"<!DOCTYPE html>")


@pytest.fixture
def site(tmp_path):
    with (
        project(tmp_path),
        override_settings(DJ_LAYOUTS=smart_settings(), STATIC_URL="/static/", DEBUG=False),
    ):
        yield


def test_a_full_page_names_its_layout_and_sets_the_cookie(site, client):
    page = client.get("/products/")
    html = page.content.decode()
    assert (
        "<div id=\"layout\" hx-headers='{&quot;DJ-Layout&quot;: &quot;myapp.CatalogLayout&quot;}'>"
        in html
    )
    assert '<main id="panel-content"><h1>Products</h1></main>' in html
    assert '<aside id="cart"><p class="cart">0 in cart</p></aside>' in html
    assert page.cookies["dj_layout_current"].value == SHOP
    assert page["Vary"] == SMART_VARY
    assert "HX-Retarget" not in page


def test_same_layout_partial_other_layout_full_page(site, client):
    partial = client.get("/products/", headers=hx(SHOP))
    assert (partial.content, partial["HX-Retarget"]) == (b"<h1>Products</h1>", "#panel-content")
    other = client.get("/docs/", headers=hx(SHOP))
    assert other.content.startswith(b"<!DOCTYPE html>")
    assert (other["HX-Retarget"], other["HX-Reswap"]) == ("body", "outerHTML")
    assert other.cookies["dj_layout_current"].value == DOCS
    assert other["Vary"] == SMART_VARY


def test_the_tab_header_wins_over_the_cookie(site):
    browser = Client()
    browser.cookies["dj_layout_current"] = DOCS  # another tab went to the docs last
    shop_tab = browser.get("/products/", headers=hx(SHOP))
    assert (shop_tab.content, shop_tab["HX-Retarget"]) == (b"<h1>Products</h1>", "#panel-content")
    cookie_only = browser.get("/products/", headers=hx())
    assert cookie_only["HX-Retarget"] == "body"


def test_a_history_restore_gets_the_full_page(site, client):
    restore = client.get("/products/", headers=hx(SHOP, **{"HX-History-Restore-Request": "true"}))
    assert restore.content.startswith(b"<!DOCTYPE html>")
    assert "HX-Retarget" not in restore


def test_the_cart_view_forces_the_full_page(site):
    browser = Client()
    added = browser.post("/cart/add/", headers=hx(SHOP))
    html = added.content.decode()
    assert '<aside id="cart"><p class="cart">1 in cart</p></aside>' in html
    assert '<main id="panel-content"><h1>Added</h1><p>1 in cart</p></main>' in html
    assert (added["HX-Retarget"], added["HX-Reswap"]) == ("body", "outerHTML")
    again = browser.post("/cart/add/", headers=hx(SHOP))
    assert '<p class="cart">2 in cart</p>' in again.content.decode()


def test_a_product_partial_carries_its_title_and_scripts(site, client):
    partial = client.get("/products/teapot/", headers=hx(SHOP))
    assert partial.content.decode().split() == [
        "<title>Teapot</title>",
        "<h1>Teapot</h1>",
        "<script",
        'src="myapp/gallery.js"',
        "defer></script>",
    ]
    full = client.get("/products/teapot/").content.decode()
    assert "<title>Teapot · Shop</title>" in full
    assert full.count("<title>") == 1
    assert '<script src="myapp/gallery.js" defer></script>' in full


def test_the_views_404_is_inside_the_shop(site, client):
    partial = client.get("/products/unicorn/", headers=hx(SHOP))
    assert (partial.status_code, partial["HX-Retarget"]) == (404, "#panel-content")
    assert partial.content == b"<h1>Not found</h1><p>/products/unicorn/</p>"
    full = client.get("/products/unicorn/")
    assert full.status_code == 404
    assert '<main id="panel-content"><h1>Not found</h1>' in full.content.decode()


def test_handler404_follows_the_current_layout(site):
    docs_tab = Client().get("/nowhere/", headers=hx(DOCS))
    assert (docs_tab.status_code, docs_tab["HX-Retarget"]) == (404, "#panel-content")
    assert docs_tab.content == b"<h1>Not found</h1><p>/nowhere/</p>"
    fresh = Client().get("/nowhere/")
    html = fresh.content.decode()
    assert fresh.status_code == 404
    assert '<aside id="cart">' in html  # the shop, for a visitor with no layout yet
    browser = Client()
    browser.get("/docs/")
    docs_page = browser.get("/nowhere/")  # the cookie names the docs now
    assert '<nav id="toc">' in docs_page.content.decode()


def test_handler500_drops_the_cart_panel(site, tmp_path):
    from mysite.urls import handler500

    response = handler500(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert '<aside id="cart"></aside>' in html
    assert '<main id="panel-content"><h1>Server error</h1></main>' in html
