from dj_layouts import Layout, Panel, cache


class CacheProcLayout(Layout):
    template = "cacheproc/layout.html"
    slow = Panel(url_name="slow", cache=cache.sitewide(timeout=60))


class SwrLayout(Layout):
    template = "cacheproc/layout.html"
    slow = Panel(url_name="slow", cache=cache.sitewide(timeout=1, stale_ttl=60))
