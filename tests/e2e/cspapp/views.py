"""One page with panels that test the unordered runtime, streamed and buffered."""

from __future__ import annotations

import asyncio

from django.http import HttpResponse

from dj_layouts import Layout, Panel, async_layout


async def slow(request):
    await asyncio.sleep(float(request.GET.get("slow", "0.4")))
    return "<p class='done'>slow done</p>"


def scripts(request):
    nonce = getattr(request, "csp_nonce", "")
    return (
        f'<p>scripts</p><script nonce="{nonce}">window.nonceRan = (window.nonceRan || 0) + 1'
        "</script><script>window.bareRan = (window.bareRan || 0) + 1</script>"
        '<script src="/static/cspapp/external.js"></script>'
    )


class CspLayout(Layout):
    template = "cspapp/layout.html"
    slow = Panel(slow)
    scripts = Panel(scripts)
    svg = Panel('<circle cx="5" cy="5" r="3"/><a href="#x"><text>t</text></a>')
    math = Panel("<mi>x</mi><mo>=</mo><mn>1</mn>")
    rows = Panel("<tr><td>row 1</td></tr><tr><td>row 2</td></tr>")
    stray = Panel(
        '<p>a</template>b</script>c</p><p title="&quot;&lt;/template&gt;">d</p>'
        # A fill the page did not send (no page token) stays an inert, empty element.
        '<djl-fill data-page="forged" data-slots="0" data-html="&lt;b&gt;forged"></djl-fill>'
    )


async def content(request):
    return HttpResponse("<h1>content</h1>")


unordered = async_layout(CspLayout, streaming="unordered")(content)
buffered = async_layout(CspLayout)(content)


async def after(request):
    await asyncio.sleep(0.2)
    return "<p>after done</p>"


class LeakLayout(Layout):
    template = "cspapp/leak.html"
    open = Panel("<p>before</p><!-- an unclosed comment <p>swallowed</p>")
    after = Panel(after)


leak = async_layout(LeakLayout, streaming="unordered")(content)
