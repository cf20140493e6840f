"""The markup of unordered pages: everything written is escaped, names never appear."""

from __future__ import annotations

from django.test import override_settings

from dj_layouts import stream_markup


def test_a_fill_carries_the_html_escaped_and_the_slot_numbers():
    html = '<p title="a\'b">x</template></djl-fill>&amp;<!--</p>'
    assert stream_markup.fill("abc", [1, 4], html) == (
        '<djl-fill data-page="abc" data-slots="1 4" data-html="&lt;p title=&quot;a&#x27;b&quot;'
        '&gt;x&lt;/template&gt;&lt;/djl-fill&gt;&amp;amp;&lt;!--&lt;/p&gt;"></djl-fill>'
    )


def test_a_fill_without_html_keeps_the_fallback():
    assert stream_markup.fill("abc", [2], None) == (
        '<djl-fill data-page="abc" data-slots="2"></djl-fill>'
    )


def test_a_slot_is_its_number_and_the_page_token_around_the_fallback():
    assert stream_markup.slot("abc", 3, "<p>wait</p>") == (
        "<!--djl:abc:3--><p>wait</p><!--/djl:abc:3-->"
    )


def test_the_runtime_tag_escapes_its_url_and_nonce():
    assert stream_markup.runtime_tag('/s/a"b.js', "abc", 'n"1') == (
        '<script src="/s/a&quot;b.js" data-page="abc" nonce="n&quot;1"></script>'
    )
    assert stream_markup.runtime_tag("/s/x.js", "abc", None) == (
        '<script src="/s/x.js" data-page="abc"></script>'
    )


@override_settings(STATIC_URL="https://cdn.example.com/assets/")
def test_the_runtime_url_is_a_static_url():
    assert stream_markup.runtime_url() == "https://cdn.example.com/assets/dj_layouts/stream.js"
