"""docs/jinja2.md: the samples run, and the shop page renders as the page says."""

from __future__ import annotations

import re

from django.test import Client, override_settings

from tests.docs.pages import DocProject, run_block, settings_blocks

PAGE = "jinja2.md"


def test_every_sample_runs(tmp_path):
    with DocProject(tmp_path, PAGE) as project:
        namespace = project.run_samples()
    env = namespace["environment"](autoescape=True)
    assert env.globals["site_name"] == "Shop" and "panel" in env.globals


def test_the_shop_page_renders_with_the_jinja2_backend(tmp_path):
    with DocProject(tmp_path, PAGE) as project:
        project.run_samples()
        settings_ns = {"__name__": "mysite.settings"}
        run_block(settings_blocks(PAGE)[0], settings_ns)
        templates = settings_ns["TEMPLATES"]
        templates[0] = {**templates[0], "DIRS": [project.root / "shop" / "jinja2"]}
        client = Client(enforce_csrf_checks=True)
        with override_settings(TEMPLATES=templates):
            html = client.get("/").content.decode()
            token = re.search(r'name="csrfmiddlewaretoken" value="(\w+)"', html).group(1)
            posted = client.post("/", {"csrfmiddlewaretoken": token})
    assert "<title>Shop</title><style>.cart { float: right }</style></head>" in html
    assert "<main><h1>Welcome</h1></main>" in html
    assert "<footer>© Shop</footer>" in html
    assert html.rstrip().endswith(
        '<dialog id="cart-help">Need help?</dialog><script src="/static/cart.js" defer></script>\n'
        "</body>\n</html>"
    )
    assert "hx-headers='{&quot;DJ-Layout&quot;: &quot;shop.ShopLayout&quot;}'" in html
    assert posted.status_code == 200  # the panel's token matches the page's cookie
