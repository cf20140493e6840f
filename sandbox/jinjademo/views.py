from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dj_layouts import layout
from sandbox.jinjademo.layouts import JinjaLayout


@layout(JinjaLayout)
def page(request: HttpRequest) -> HttpResponse:
    return render(request, "jinjademo/page.html")


@layout(JinjaLayout, streaming="unordered")
def streamed(request: HttpRequest) -> HttpResponse:
    return render(request, "jinjademo/page.html", {"streamed": True})
