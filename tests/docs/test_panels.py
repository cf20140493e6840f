"""docs/panels.md: every sample runs (Sybil), and the page says what the code does."""

from __future__ import annotations

from tests.docs.support import get, open_page, render, slots

PAGE = "panels.md"


def test_every_sample_runs(tmp_path):
    with open_page(PAGE, tmp_path) as project:
        project.run_samples()


def test_panels_every_source_kind(tmp_path):
    from dj_layouts import render_with_layout

    with open_page(PAGE, tmp_path) as project:
        ns = project.run_samples()
        page = slots(
            render_with_layout(
                get(),
                ns["PanelsLayout"],
                "myapp/promo.html",
                {"page_title": "Content"},
                panels={"weather": ns["weather"], "featured": ns["featured"]},
            )
        )
        assert page == {
            "content": '<p class="promo">Content: 20% off today.</p>\n',
            "header": "<strong>My site</strong>",
            "nav": "<nav>Home · Blog</nav>",
            "sidebar": "[no sidebar]",
            "footer": "Open: Mon\u2013Fri",
            "ads": "[no ads]",
            "promo": '<p class="promo">Spring sale: 20% off today.</p>\n',
            "info": "<p>All systems go</p>",
            "news": "<ul><li>1.0 is out</li></ul><hr><p>Hello, guest!</p>",
            "greeting": "<p>Hello, guest!</p>",
            "related": "[no related]",
            "comments": "[no comments]",
            "banner": "[no banner]",
            "weather": "<p>Oslo: 21 °F</p>",
            "featured": "<article>Article 42</article>",
            "cart": "[no cart]",
        }
        more = slots(
            render_with_layout(
                get(),
                ns["PanelsLayout"],
                "myapp/promo.html",
                panels={"header": ns["notice"], "footer": ns["hours"], "news": ns["headlines"]},
            )
        )
        assert more["header"] == (
            "<p>Closed on Monday: see <a href='https://example.com'>hours</a></p>"
        )
        assert more["footer"] == "Open: Mon\u2013Fri"
        assert more["news"] == "<ul><li>1.0 is out</li></ul>\n<hr>\n<nav>Home · Blog</nav>"

        promo = slots(render(ns["PromoLayout"], "<p>x</p>"))
        assert promo["promo"] == '<p class="promo">Promo: 20% off today.</p>\n'

        widget = ns["weather_widget"](get())
        assert widget.content.decode() == "<p>Bergen: 21 °C</p>"

        timed = ns["TimedLayout"]
        assert timed.panel_timeout == 5
        assert timed.get_panels()["weather"].timeout == 1.5


def test_panels_conditions_and_overrides(tmp_path):
    with open_page(PAGE, tmp_path) as project:
        ns = project.run_samples()
        article = slots(ns["article_page"](get()))
        assert article["content"] == "<h1>Hello</h1>"
        assert article["comments"] == "<section>Comments</section>"
        assert article["ads"] == "<div>Ad</div>"
        assert article["banner"] == "[no banner]"
        assert slots(ns["article_page"](get("/?premium=1")))["ads"] == "[no ads]"

        landing = slots(ns["landing"](get()))
        assert landing["nav"] == "<nav>Landing</nav>"
        assert landing["ads"] == "[no ads]"
        assert landing["related"] == "<ul><li>1.0 is out</li></ul>"
        assert landing["greeting"] == "<p>Hello, guest!</p>"

        about = slots(ns["about"](get()))
        assert about["greeting"] == "[no greeting]"
        assert about["content"] == '<p class="promo">About: 20% off today.</p>\n'
