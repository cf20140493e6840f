from django.urls import include, path

from sandbox.demo import panels, views

demo_patterns = [
    path("", views.home, name="home"),
    # layouts and panels
    path("sources/", views.SourcesView.as_view(), name="sources"),
    path("layouts/inheritance/", views.inheritance, name="inheritance"),
    path("layouts/context/", views.context_demo, name="context"),
    path("overrides/", views.overrides, name="overrides"),
    path("overrides/class/", views.OverridesView.as_view(), name="overrides_class"),
    path("articles/<slug:slug>/", views.article, name="article"),
    path("partial/", views.partial, name="partial"),
    # views
    path("views/sync-function/", views.sync_function, name="sync_function"),
    path("views/async-function/", views.async_function, name="async_function"),
    path("views/sync-class/", views.SyncArticleView.as_view(), name="sync_class"),
    path("views/async-class/", views.AsyncArticlesView.as_view(), name="async_class"),
    path("views/shortcut/", views.shortcut, name="shortcut"),
    path("views/async-shortcut/", views.async_shortcut, name="async_shortcut"),
    path("views/panel-only/", views.panel_only_page, name="panel_only_page"),
    # concurrency
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/sequential/", views.dashboard_sequential, name="dashboard_sequential"),
    path("dashboard/threaded/", views.ThreadedDashboardView.as_view(), name="dashboard_threaded"),
    path("eager/", views.eager, name="eager"),
    path("streaming/ordered/", views.streaming_ordered, name="streaming_ordered"),
    path("streaming/unordered/", views.streaming_unordered, name="streaming_unordered"),
    path("streaming/buffered/", views.streaming_buffered, name="streaming_buffered"),
    path("eager/off/", views.eager_off, name="eager_off"),
    path("timeouts/", views.timeouts, name="timeouts"),
    # queues, errors, caching
    path("queues/", views.queues, name="queues"),
    path("errors/", views.errors, name="errors"),
    path("errors/custom/", views.errors_custom, name="errors_custom"),
    path("cache/", views.cache_demo, name="cache"),
    path("cache/invalidate/", views.cache_invalidate, name="cache_invalidate"),
    # panels with their own URL
    path("panel-urls/", views.panel_urls, name="panel_urls"),
    path("edge/", views.edge, name="edge"),
    path("edge/as-proxy/", views.edge_as_proxy, name="edge_as_proxy"),
    path("panel-urls/htmx/", views.panel_urls_htmx, name="panel_urls_htmx"),
    # panel views: each answers with a fragment (they work on their own too)
    path("panels/clock/", panels.clock, name="clock"),
    path("panels/articles/<slug:slug>/", panels.article_card, name="article_card"),
    path("panels/request-facts/", panels.request_facts, name="request_facts"),
    path("panels/members-only/", panels.members_only, name="members_only"),
    path("panels/dashboard/orders/", panels.dash_orders, name="dash_orders"),
    path("panels/dashboard/weather/", panels.dash_weather, name="dash_weather"),
    path("panels/stock-widget/", panels.stock_widget, name="stock_widget"),
    path("panels/broken/", panels.broken_view, name="broken_view"),
    path("panels/missing/", panels.missing, name="missing"),
]

urlpatterns = [
    path("", include((demo_patterns, "demo"))),
    # A URL name without a namespace: Panel(url_name="greeting").
    path("panels/greeting/", panels.greeting, name="greeting"),
]
