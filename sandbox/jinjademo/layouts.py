"""A layout whose template, content and panels are all Jinja2 (sandbox/jinjademo/jinja2/)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dj_layouts import Layout, Panel, RenderQueue, StyleQueue


def greeting(request: HttpRequest) -> HttpResponse:
    return render(request, "jinjademo/greeting.html", {"who": "<Jinja2 & friends>"})


def feedback(request: HttpRequest) -> HttpResponse:
    return render(request, "jinjademo/feedback.html")


class JinjaLayout(Layout):
    registry_key = "jinjademo.Jinja"
    template = "jinjademo/layout.html"
    layout_context_defaults = {"title": "Jinja2 templates"}
    styles = StyleQueue()
    notes = RenderQueue()
    greeting = Panel(greeting)
    feedback = Panel(feedback)
    empty = Panel()  # no source: the slot shows its fallback
