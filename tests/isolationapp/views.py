"""Pages whose panels carry forms, write the session or add messages (tests/test_isolation.py)."""

from __future__ import annotations

import time

from django.contrib import messages
from django.http import HttpResponse
from django.template import engines
from django.views.decorators.csrf import csrf_protect

from dj_layouts import GatherExecutor, Layout, Panel, ThreadedExecutor, async_layout, layout

FORM = engines["django"].from_string(
    '<form method="post" action="/iso/submit/">{% csrf_token %}<button>{{ who }}</button></form>'
)


def form_panel(request):
    time.sleep(0.05)  # both panels are in flight at once
    return HttpResponse(FORM.render({"who": request.layout_panel_name}, request))


def session_panel(request):
    # Both panels start at once and write at once: the session is loaded under them.
    request.session[f"seen_{request.layout_panel_name}"] = request.GET.get("n", "1")
    return f"<p>{request.layout_panel_name} wrote</p>"


def message_panel(request):
    messages.info(request, f"hello from {request.layout_panel_name}")
    return "<p>message added</p>"


def content_with_form(request):
    return HttpResponse(FORM.render({"who": "content"}, request))


class FormLayout(Layout):
    template = "isolationapp/layout.html"
    executor = ThreadedExecutor(max_workers=4)
    one = Panel(form_panel)
    two = Panel(form_panel)


class AsyncFormLayout(FormLayout):
    executor = GatherExecutor()


class OrderedFormLayout(FormLayout):
    streaming = "ordered"


class UnorderedFormLayout(FormLayout):
    streaming = "unordered"


class AsyncOrderedFormLayout(AsyncFormLayout):
    streaming = "ordered"


class AsyncUnorderedFormLayout(AsyncFormLayout):
    streaming = "unordered"


class EagerFormLayout(FormLayout):
    one = Panel(form_panel, eager=True)
    two = Panel("<p>plain</p>")


class AsyncEagerFormLayout(EagerFormLayout):
    executor = GatherExecutor()


class SessionLayout(FormLayout):
    one = Panel(session_panel)
    two = Panel(session_panel)


class AsyncSessionLayout(SessionLayout):
    executor = GatherExecutor()


class MessageLayout(FormLayout):
    one = Panel(message_panel)
    two = Panel("<p>no message</p>")


def _sync(layout_class):
    @layout(layout_class)
    def view(request):
        return HttpResponse("<h1>content</h1>")

    return view


def _async(layout_class):
    @async_layout(layout_class)
    async def view(request):
        return HttpResponse("<h1>content</h1>")

    return view


@layout(EagerFormLayout)
def eager_sync(request):
    return content_with_form(request)


@async_layout(AsyncEagerFormLayout)
async def eager_async(request):
    return content_with_form(request)


def start_session(request):
    request.session["started"] = True
    return HttpResponse("started")


def show_session(request):
    seen = sorted((key, value) for key, value in request.session.items() if key.startswith("seen_"))
    return HttpResponse(",".join(f"{key}={value}" for key, value in seen))


def show_messages(request):
    return HttpResponse("|".join(str(message) for message in messages.get_messages(request)))


@csrf_protect
def submit(request):
    return HttpResponse("accepted")


PAGES = {
    "sync-ordered": _sync(OrderedFormLayout),
    "sync-unordered": _sync(UnorderedFormLayout),
    "async-ordered": _async(AsyncOrderedFormLayout),
    "async-unordered": _async(AsyncUnorderedFormLayout),
    "sync-buffered": _sync(FormLayout),
    "async-buffered": _async(AsyncFormLayout),
    "eager-sync": eager_sync,
    "eager-async": eager_async,
    "session-sync": _sync(SessionLayout),
    "session-async": _async(AsyncSessionLayout),
    "messages": _sync(MessageLayout),
}
