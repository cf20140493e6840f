from django.http import HttpResponse

from dj_layouts import add_script, layout, panel_only


def sidebar(request):
    add_script(request, "/static/sidebar.js")
    return HttpResponse(f"<nav>sidebar for {request.path}</nav>")


def echo(request, word="none"):
    return HttpResponse(f"<b>{word}</b>")


@panel_only
def only_panel(request):
    return HttpResponse("<i>only as panel</i>")


@layout("tests.SiteLayout")
def home(request):
    request.layout_context["title"] = "Home"
    return HttpResponse("<h1>home</h1>")


def empty(request):
    return HttpResponse("")
