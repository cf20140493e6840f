"""Streamed pages: the layout template split at its panel slots, parts sent as panels finish.

The layout template is rendered once, up front, with a marker in every panel
slot and queue position (``StreamPlan``). The rendered text is cut at those
markers into parts. ``ordered`` sends the parts in document order, each as
soon as the panels before it are done (no JavaScript); ``unordered`` sends the
whole shell with each slot's fallback at once and the runtime (``static/dj_layouts/
stream.js``), then each panel's HTML, escaped, in a ``<djl-fill>`` element that the
runtime's custom element puts into its slot as soon as it is parsed.

The logic is a generator of steps (``_Emit``, ``_Need``, ``_Next``) that the
sync and async drivers feed with outcomes: one body, two thin shells.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.html import escape

from dj_layouts import detection
from dj_layouts import stream_markup as markup
from dj_layouts.conf import get_settings
from dj_layouts.errors import PanelError, PanelRenderError
from dj_layouts.queues import QueueCollector, QueueItem, get_csp_nonce
from dj_layouts.stream_plan import Part, Slot, StreamPlan, Text

if TYPE_CHECKING:
    from dj_layouts.executors import AsyncPanelRun, PanelJob, PanelOutcome, PanelRun
    from dj_layouts.layout import Layout

logger = logging.getLogger("dj_layouts")


class StreamedPage(Protocol):
    """What streaming needs of the page it sends (``page.Page`` is one)."""

    request: HttpRequest
    layout_class: type[Layout]
    queues: QueueCollector
    streaming: str | None

    def log_error(self, error: PanelError) -> None: ...

    def error_html(self, error: PanelError) -> str: ...


#: What a driver is handed: the content's response, the plan, its parts, the jobs.
class StreamArgs(Protocol):
    @property
    def response(self) -> HttpResponse: ...

    @property
    def plan(self) -> StreamPlan: ...

    @property
    def parts(self) -> list[Part]: ...

    @property
    def jobs(self) -> list[PanelJob]: ...


ORDERED = "ordered"
UNORDERED = "unordered"


@dataclass
class _Emit:
    text: str


@dataclass
class _Need:
    index: int


class _Next:
    """Ask the driver for the next outcome, in completion order."""


_Step = _Emit | _Need | _Next
_Steps = Generator[_Step, Any, None]


class Streamer:
    """Turns a rendered plan and panel outcomes into the parts of the page."""

    def __init__(
        self, page: StreamedPage, plan: StreamPlan, parts: list[Part], jobs: list[PanelJob]
    ) -> None:
        self.page = page
        self.token = plan.token
        self.parts = parts
        self.indices = {job.name: job.index for job in jobs}
        self.job_count = len(jobs)
        self.nonce = get_csp_nonce(page.request)
        self.content: QueueCollector = page.queues
        self.panel_queues: dict[int, QueueCollector] = {}
        self.emitted: dict[str, set[tuple[str, ...]]] = {}  # queue name -> keys already sent

    # -- shared pieces -----------------------------------------------------------------
    def outcome_html(self, outcome: PanelOutcome, error_html: str | None) -> str:
        if outcome.error is None:
            if outcome.queues is not None:
                self.panel_queues[outcome.index] = outcome.queues
            return outcome.html
        return error_html or ""

    def error_html(self, outcome: PanelOutcome) -> str:
        """What fills a failed panel's slot once bytes have left: the status is sent."""
        assert outcome.error is not None
        if get_settings().debug_errors:
            self.page.log_error(outcome.error)
            message = str(PanelRenderError(outcome.error))
            return f'<pre class="dj-layouts-debug-error">{escape(message)}</pre>'
        return self.page.error_html(outcome.error)

    def queue_html(self, name: str, indices: list[int]) -> str:
        sources = [self.panel_queues[i] for i in sorted(indices) if i in self.panel_queues]
        if not any(source.has_items() for source in sources):
            return self._render_new(name, self.content)
        merged = QueueCollector(self.content.spec)
        merged.merge(self.content)
        for source in sources:
            merged.merge(source)
        return self._render_new(name, merged)

    def late_items(self, index: int) -> str:
        """Items a panel added to queues that were already sent, to go out with its part."""
        collector = self.panel_queues.get(index)
        if collector is None or not collector.has_items():
            return ""
        return "".join(self._render_new(name, collector) for name in list(self.emitted))

    def _render_new(self, name: str, collector: QueueCollector) -> str:
        sent = self.emitted.setdefault(name, set())
        items: list[QueueItem] = [item for key, item in collector.entries(name) if key not in sent]
        sent.update(item.key for item in items)
        if not items:
            return ""
        return str(collector.spec.queues[name].render(items, self.page.request))

    def slot_text(self, slot: Slot, html: str | None) -> str:
        return html if html is not None and html.strip() else slot.fallback

    def feed(self) -> Generator[str | None, Any, None]:
        """The page as text to send, with ``None`` where it needs the next outcome.

        The driver answers each ``None`` with ``(outcome, html)`` of the next panel to
        finish; text is sent as it comes.
        """
        done: dict[int, str] = {}
        steps = self.ordered() if self.page.streaming == ORDERED else self.unordered()
        reply: Any = None
        while True:
            try:
                part = steps.send(reply)
            except StopIteration:
                return
            reply = None
            if isinstance(part, _Emit):
                if part.text:
                    yield part.text
            elif isinstance(part, _Need):
                while part.index not in done:
                    outcome, html = yield None
                    done[outcome.index] = html
                reply = done[part.index]
            else:
                reply = yield None

    # -- ordered: document order, no JavaScript ----------------------------------------------
    def ordered(self) -> _Steps:
        last_slot = max(
            (i for i, part in enumerate(self.parts) if isinstance(part, Slot)), default=-1
        )
        seen: list[int] = []
        for position, part in enumerate(self.parts):
            if isinstance(part, Text):
                yield _Emit(part.text)
            elif isinstance(part, Slot):
                index = self.indices.get(part.name)
                if index is None:
                    yield _Emit(part.fallback)
                    continue
                html = yield _Need(index)
                seen.append(index)
                yield _Emit(self.slot_text(part, html) + self.late_items(index))
            else:
                if position > last_slot:
                    # A queue after the last slot holds everything: wait for every panel.
                    for index in sorted(self.indices.values()):
                        yield _Need(index)
                    seen = list(self.indices.values())
                yield _Emit(self.queue_html(part.name, seen))

    # -- unordered: the shell at once, panels in completion order --------------------------
    def unordered(self) -> _Steps:
        url = markup.runtime_url()
        if url is None:
            logger.warning(
                "Page %s asked for unordered streaming, which needs the runtime %s served by "
                "django.contrib.staticfiles; it is not installed, so the page streams ordered. "
                "Add 'django.contrib.staticfiles' to INSTALLED_APPS, or use streaming='ordered'.",
                self.page.request.path,
                markup.RUNTIME,
            )
            yield from self.ordered()
            return
        head, tail = self._split_tail()
        yield _Emit(head + markup.runtime_tag(url, self.token, self.nonce))
        slots: dict[str, list[Slot]] = {}
        for part in self.parts:
            if isinstance(part, Slot) and part.name in self.indices:
                slots.setdefault(part.name, []).append(part)
        for _ in range(self.job_count):
            outcome, html = yield _Next()
            late = self.late_items(outcome.index)
            parts = slots.get(outcome.name, [])
            if not parts:
                yield _Emit(late)  # no slot to fill: only its queue items go out
            elif (html or "").strip():
                yield _Emit(markup.fill(self.token, [p.number for p in parts], html + late))
            else:
                # The fallback stays (the runtime only takes the marks away), or replaces
                # the slot's loading placeholder.
                keep = [p.number for p in parts if p.loading is None]
                fills = [markup.fill(self.token, keep, None)] if keep else []
                fills += [
                    markup.fill(self.token, [p.number], p.fallback)
                    for p in parts
                    if p.loading is not None
                ]
                yield _Emit(late + "".join(fills))
        yield _Emit(tail)

    def _split_tail(self) -> tuple[str, str]:
        """The shell up to ``</body>`` (slots show their fallbacks), and the rest.

        A slot is written as its number between two comments that carry the page's
        token; its panel's name is never written.
        """
        texts: list[str] = []
        for part in self.parts:
            if isinstance(part, Text):
                texts.append(part.text)
            elif isinstance(part, Slot) and part.name not in self.indices:
                texts.append(part.fallback)  # no panel of that name: nothing will come
            elif isinstance(part, Slot):
                shown = part.fallback if part.loading is None else part.loading
                texts.append(markup.slot(self.token, part.number, shown))
            else:
                texts.append(self.queue_html(part.name, []))
        shell = "".join(texts)
        cut = shell.lower().rfind("</body>")
        if cut == -1:
            return shell, ""
        return shell[:cut], shell[cut:]


def _response(page: StreamedPage, content: HttpResponseBase, body: Any) -> StreamingHttpResponse:
    """A streaming response carrying the content view's status, headers and cookies."""
    headers = {k: v for k, v in content.items() if k.lower() != "content-length"}
    headers["X-Accel-Buffering"] = "no"
    response = StreamingHttpResponse(body, status=content.status_code, headers=headers)
    response.cookies = content.cookies
    detection.mark_full_page(page.request, page.layout_class, response)
    return response


def _after_stream(page: StreamedPage) -> None:
    """Keep what panels wrote to the session once the headers had left.

    The session middleware saved the session before the body was sent; panels
    that wrote to it since (or added messages kept in the session) are saved
    here. A session that did not exist yet cannot be: its cookie is gone.
    """
    request = page.request
    storage = request.__dict__.get("_messages")
    update = getattr(storage, "update", None)
    if update is not None and getattr(storage, "_queued_messages", None):
        update(HttpResponse())
    session = request.__dict__.get("session")
    if (
        session is not None
        and getattr(session, "modified", False)
        and getattr(session, "session_key", None)
        and not session.is_empty()
    ):
        session.save()


# -- the sync driver ---------------------------------------------------------------------------
def sync_stream(page: StreamedPage, step: StreamArgs, run: PanelRun) -> StreamingHttpResponse:
    streamer = Streamer(page, step.plan, step.parts, step.jobs)
    charset = step.response.charset

    def body() -> Iterator[bytes]:
        feed = streamer.feed()
        try:
            text = next(feed, _END)
            while text is not _END:
                if text is None:
                    outcome = next(run)
                    text = _send(feed, (outcome, _html(streamer, outcome)))
                else:
                    yield text.encode(charset)
                    text = next(feed, _END)
        finally:
            run.close()
        _after_stream(page)

    return _response(page, step.response, body())


_END: Any = object()


def _send(feed: Generator[str | None, Any, None], value: Any) -> Any:
    try:
        return feed.send(value)
    except StopIteration:
        return _END


def _html(streamer: Streamer, outcome: PanelOutcome) -> str:
    error = streamer.error_html(outcome) if outcome.error is not None else None
    return streamer.outcome_html(outcome, error)


# -- the async driver --------------------------------------------------------------------------
def async_stream(page: StreamedPage, step: StreamArgs, run: AsyncPanelRun) -> StreamingHttpResponse:
    streamer = Streamer(page, step.plan, step.parts, step.jobs)
    charset = step.response.charset

    async def body() -> AsyncIterator[bytes]:
        feed = streamer.feed()
        pending: list[str] = []  # parts ready to go, sent together before any wait
        try:
            text = next(feed, _END)
            while text is not _END:
                if text is not None:
                    pending.append(text)
                    text = next(feed, _END)
                    continue
                if pending and not run.ready():
                    yield "".join(pending).encode(charset)
                    pending.clear()
                outcome = await run.__anext__()
                text = _send(feed, (outcome, await _ahtml(streamer, outcome)))
            if pending:
                yield "".join(pending).encode(charset)
        finally:
            # Finished, failed, or the client went away: stop whatever still runs.
            await run.aclose()
        await _after_stream_off_loop(page)

    return _response(page, step.response, body())


_after_stream_off_loop = sync_to_async(_after_stream)


async def _ahtml(streamer: Streamer, outcome: PanelOutcome) -> str:
    error = None
    if outcome.error is not None:
        # on_panel_error() renders a template, which may touch the database.
        error = await sync_to_async(streamer.error_html)(outcome)
    return streamer.outcome_html(outcome, error)
