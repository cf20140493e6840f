"""docs/security.md: every sample runs (Sybil), and the page says what the code does."""

from __future__ import annotations

import logging

from tests.docs.support import get, make_user, open_page, render_slots

PAGE = "security.md"


def test_every_sample_runs(tmp_path):
    with open_page(PAGE, tmp_path) as project:
        project.run_samples()


def test_security_samples(tmp_path, caplog):
    with open_page(PAGE, tmp_path) as project:
        ns = project.run_samples()
        hello = ns["greeting"](get("/?name=<script>alert(1)</script>"))
        assert hello.content.decode() == "<p>Hello, &lt;script&gt;alert(1)&lt;/script&gt;!</p>"

        anonymous = render_slots(info=ns["account_summary"], news=ns["report_panel"])
        assert anonymous["info"] == "[no info]"
        with caplog.at_level(logging.ERROR, logger="dj_layouts"):
            assert anonymous["news"] != "<p>Quarterly numbers</p>"
        assert "dj-layouts-panel-error" in anonymous["news"]

        request = get()
        request.user = make_user(is_superuser=True, is_active=True)
        signed_in = render_slots(
            request=request, info=ns["account_summary"], news=ns["report_panel"]
        )
        assert signed_in["info"] == "<p>Signed in as ada</p>"
        assert signed_in["news"] == "<p>Quarterly numbers</p>"

        store = ns["StoreLayout"].get_panels()
        assert (store["nav"].cache.strategy, store["cart"].cache.strategy) == (
            "sitewide",
            "per_session",
        )
