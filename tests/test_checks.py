"""System checks: configuration errors reported at start-up, with exact messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.http import HttpResponse
from django.test import override_settings
from django.urls import NoReverseMatch, include, path, reverse
from django.views import View

from dj_layouts import ConditionalPanel, Layout, LayoutMixin, Panel, cache, layout
from dj_layouts.checks import check_layout_references, check_layouts, check_settings
from dj_layouts.conf import DEFAULTS


def word_view(request, word):
    return HttpResponse(word)


urlpatterns = [
    path("checks/", include(([path("word/<str:word>/", word_view, name="word")], "checks"))),
    path("", include("tests.testapp.urls")),
]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.usefixtures("restore_layout_registry")]


def _about(messages, layout_class):
    """The messages about one layout (other tests' layouts may be registered too)."""
    return [message for message in messages if message.obj is layout_class]


def _ids(messages):
    return sorted(message.id for message in messages if message.id.startswith("dj_layouts."))


# -- E001: settings ---------------------------------------------------------------------
def test_valid_settings_pass():
    with override_settings(DJ_LAYOUTS={"DEBUG_ERRORS": True}):
        assert check_settings() == []


def test_bad_settings_are_e001():
    with override_settings(DJ_LAYOUTS={"NOPE": 1, "CACHE_ENABLED": "yes"}):
        messages = check_settings()
    known = ", ".join(sorted(DEFAULTS))
    assert messages == [
        checks.Error(
            f"DJ_LAYOUTS['NOPE'] is not a known setting. Known settings: {known}.",
            hint="Fix the DJ_LAYOUTS setting.",
            id="dj_layouts.E001",
        ),
        checks.Error(
            "DJ_LAYOUTS['CACHE_ENABLED'] must be True or False, not 'yes'.",
            hint="Fix the DJ_LAYOUTS setting.",
            id="dj_layouts.E001",
        ),
    ]


def test_bad_settings_through_run_checks():
    with override_settings(DJ_LAYOUTS={"HTMX_COOKIE_NAME": ""}):
        messages = checks.run_checks()
    assert [m for m in messages if m.id == "dj_layouts.E001"] == [
        checks.Error(
            "DJ_LAYOUTS['HTMX_COOKIE_NAME'] must be a cookie name: an RFC 6265 token of "
            "letters, digits and !#$%&'*+-.^_`|~ that is not a cookie attribute such as "
            "'path' or 'expires', not ''.",
            hint="Fix the DJ_LAYOUTS setting.",
            id="dj_layouts.E001",
        )
    ]


BAD_COOKIE_NAME = (
    "DJ_LAYOUTS['HTMX_COOKIE_NAME'] must be a cookie name: an RFC 6265 token of letters, "
    "digits and !#$%&'*+-.^_`|~ that is not a cookie attribute such as 'path' or 'expires', "
    "not 'bad name;'."
)


def test_a_bad_cookie_name_is_e001():
    with override_settings(DJ_LAYOUTS={"HTMX_COOKIE_NAME": "bad name;"}):
        messages = check_settings()
    assert messages == [
        checks.Error(BAD_COOKIE_NAME, hint="Fix the DJ_LAYOUTS setting.", id="dj_layouts.E001")
    ]


def _cached_panel_layout():
    class CachedPanelLayout(Layout):
        template = "testapp/core/slots.html"
        nav = Panel("<p>nav</p>", cache=cache.sitewide(60))

    return CachedPanelLayout


def test_check_command_with_bad_settings_and_a_cached_panel_reports_e001():
    _cached_panel_layout()
    with (
        override_settings(DJ_LAYOUTS={"HTMX_COOKIE_NAME": "bad name;"}),
        pytest.raises(SystemCheckError) as excinfo,
    ):
        call_command("check")
    assert f"?: (dj_layouts.E001) {BAD_COOKIE_NAME}" in str(excinfo.value)
    assert "E006" not in str(excinfo.value)


def test_cached_panels_are_checked_again_once_the_settings_are_valid():
    layout_class = _cached_panel_layout()
    with override_settings(DJ_LAYOUTS={"CACHE_BACKEND": "nowhere"}):
        messages = [m for m in check_layouts() if m.id == "dj_layouts.E006"]
    assert [m.msg for m in messages] == [
        f"Panel 'nav' of layout {layout_class.key} caches in the backend 'nowhere', "
        "which is not in CACHES."
    ]


#: The sandbox's settings with two bad values; the sandbox has cached panels, whose
#: check used to read the settings and end `manage.py check` with a traceback.
BAD_SETTINGS_MODULE = """
from sandbox.settings import *  # noqa: F403

DJ_LAYOUTS = {
    **DJ_LAYOUTS,  # noqa: F405
    "HTMX_COOKIE_NAME": "bad name;",
    "HTMX_CONTENT_TARGET": "#main\\r\\n",
}
"""


def test_manage_py_check_with_bad_settings_prints_e001_not_a_traceback(tmp_path: Path):
    from tests.e2e.conftest import ROOT, sandbox_env

    (tmp_path / "bad_settings.py").write_text(BAD_SETTINGS_MODULE)
    env = sandbox_env(tmp_path / "db.sqlite3")
    env.update(DJANGO_SETTINGS_MODULE="bad_settings", PYTHONPATH=f"{tmp_path}:{env['PYTHONPATH']}")
    done = subprocess.run(
        [sys.executable, str(ROOT / "sandbox" / "manage.py"), "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert f"?: (dj_layouts.E001) {BAD_COOKIE_NAME}" in done.stderr
    assert (
        "?: (dj_layouts.E001) DJ_LAYOUTS['HTMX_CONTENT_TARGET'] must be a CSS selector in "
        "printable ASCII (it is sent as the HX-Retarget header, so no line breaks or other "
        "control characters), not '#main\\r\\n'." in done.stderr
    )
    assert done.stderr.endswith("System check identified 2 issues (0 silenced).\n")


# -- E002: unregistered layout references ------------------------------------------------
def test_an_unregistered_string_reference_is_e002():
    @layout("nowhere.MissingLayout")
    def view(request):
        return HttpResponse("x")

    class MissingKeyView(LayoutMixin, View):
        layout_class = "nowhere.OtherMissingLayout"

    known = ", ".join(sorted(Layout.registry))
    hint = (
        f"Registered layouts: {known}. Define the layout in <app>/layouts.py or fix the key: "
        "'<first segment of the module path>.<ClassName>' (for myapp/layouts.py, "
        "'myapp.PageLayout'), or the layout's registry_key."
    )
    messages = [m for m in check_layout_references() if "nowhere." in m.msg]
    assert messages == [
        checks.Error(
            "@layout on tests.test_checks.test_an_unregistered_string_reference_is_e002."
            "<locals>.view refers to the layout 'nowhere.MissingLayout', which is not registered.",
            hint=hint,
            id="dj_layouts.E002",
        ),
        checks.Error(
            "test_an_unregistered_string_reference_is_e002.<locals>.MissingKeyView.layout_class "
            "refers to the layout 'nowhere.OtherMissingLayout', which is not registered.",
            hint=hint,
            id="dj_layouts.E002",
        ),
    ]


def test_a_reference_that_gets_registered_later_passes():
    @layout("tests.ChecksLateLayout")
    def view(request):
        return HttpResponse("x")

    assert [m.msg for m in check_layout_references() if "ChecksLateLayout" in m.msg] == [
        "@layout on tests.test_checks.test_a_reference_that_gets_registered_later_passes."
        "<locals>.view refers to the layout 'tests.ChecksLateLayout', which is not registered."
    ]

    class ChecksLateLayout(Layout):
        template = "testapp/core/other.html"

    assert [m for m in check_layout_references() if "ChecksLateLayout" in m.msg] == []


# -- layouts: E003, W001, E004, E005, W002 ------------------------------------------------
def test_a_sound_layout_has_no_messages():
    class SoundLayout(Layout):
        template = "testapp/core/slots.html"
        url = Panel("checks:word", context={"word": "x"})
        plain = Panel("testapp:sidebar")
        tpl = Panel(template="testapp/core/panel.html")
        literal = Panel("<p>x</p>")
        maybe = ConditionalPanel("<p>x</p>", condition="object.flag")

    assert _about(check_layouts(), SoundLayout) == []


# -- W003, W004, W005: literal text that looks like a name; slots --------------------------
@pytest.mark.parametrize(
    ("text", "looks", "hint"),
    [
        (
            "header",
            "a URL name without its namespace",
            'Write Panel(url_name="header") to call that view, or Panel(literal="header") to '
            "keep the text.",
        ),
        (
            "myapp.sidebar",
            "a dotted path to a view",
            "Pass the view itself (import it), or url_name= with its URL name, or "
            'Panel(literal="myapp.sidebar") to keep the text.',
        ),
    ],
)
def test_literal_text_that_looks_like_a_url_name_or_a_dotted_path_is_w003(text, looks, hint):
    class WordyLayout(Layout):
        template = "testapp/core/slots.html"
        header = Panel(text)
        kept = Panel(literal=text)  # said explicitly: no warning
        sentence = Panel("Hello, world.")

    assert _about(check_layouts(), WordyLayout) == [
        checks.Warning(
            f"Panel 'header' of layout tests.WordyLayout renders the literal text {text!r}, "
            f"which looks like {looks}.",
            hint=hint,
            obj=WordyLayout,
            id="dj_layouts.W003",
        )
    ]


def test_a_slot_for_an_undeclared_panel_is_w004_through_extends_and_include():
    class TypoSlotLayout(Layout):
        template = "testapp/checks/child.html"
        header = Panel("<h1>h</h1>")
        footer = Panel("<p>f</p>")
        sidebar = Panel("<p>s</p>")

    assert _about(check_layouts(), TypoSlotLayout) == [
        checks.Warning(
            "The template 'testapp/checks/child.html' of layout tests.TypoSlotLayout places "
            "the panel 'sidebr', which the layout does not declare; did you mean 'sidebar'?",
            hint="Declared panels: 'header', 'footer', 'sidebar'. Fix the name in the template, "
            "or declare 'sidebr' on the layout.",
            obj=TypoSlotLayout,
            id="dj_layouts.W004",
        ),
        checks.Warning(
            "Panel 'sidebar' of layout tests.TypoSlotLayout has no slot: its template "
            "'testapp/checks/child.html' (with what it extends and includes) has no "
            "{% panel 'sidebar' %}. Pages do not run it.",
            hint='Add {% panel "sidebar" %}{% endpanel %} to the template, or remove the panel.',
            obj=TypoSlotLayout,
            id="dj_layouts.W005",
        ),
    ]


def test_a_slot_for_a_panel_only_views_add_is_no_w004():
    class PerViewSlotLayout(Layout):
        template = "testapp/checks/child.html"  # places 'sidebr' too, not close to these
        header = Panel("<h1>h</h1>")
        footer = Panel("<p>f</p>")

    assert _about(check_layouts(), PerViewSlotLayout) == []


def test_a_panel_removed_from_a_base_layout_may_keep_its_slot():
    class FullLayout(Layout):
        template = "testapp/checks/child.html"
        header = Panel("<h1>h</h1>")
        footer = Panel("<p>f</p>")
        sidebr = Panel("<p>s</p>")

    class TrimmedLayout(FullLayout):
        sidebr = None

    assert _about(check_layouts(), FullLayout) == []
    assert _about(check_layouts(), TrimmedLayout) == []


def test_slots_decided_at_render_time_give_no_w005():
    class DynamicLayout(Layout):
        template = "testapp/checks/dynamic.html"  # {% include extra_template %}
        header = Panel("<h1>h</h1>")
        footer = Panel("<p>f</p>")
        elsewhere = Panel("<p>maybe in the included template</p>")

    class PerRequestLayout(Layout):
        template = "testapp/checks/base.html"
        elsewhere = Panel("<p>x</p>")

        def get_template(self, request):
            return "testapp/checks/child.html"

    class LoopLayout(Layout):
        template = "testapp/core/slots.html"  # {% panel slot %} in a loop
        anything = Panel("<p>x</p>")

    for layout_class in (DynamicLayout, PerRequestLayout, LoopLayout):
        assert _about(check_layouts(), layout_class) == []


def test_a_missing_layout_template_is_e003():
    class NoFileLayout(Layout):
        template = "testapp/core/no-such-layout.html"

    assert _about(check_layouts(), NoFileLayout) == [
        checks.Error(
            "Layout tests.NoFileLayout uses the template 'testapp/core/no-such-layout.html', "
            "which cannot be found.",
            hint="Check the name, or add the template to a templates directory.",
            obj=NoFileLayout,
            id="dj_layouts.E003",
        )
    ]


def test_a_missing_error_template_is_w001():
    class NoErrorFileLayout(Layout):
        template = "testapp/core/slots.html"
        error_template = "testapp/core/no-such-error.html"

    assert _about(check_layouts(), NoErrorFileLayout) == [
        checks.Warning(
            "Layout tests.NoErrorFileLayout has error_template 'testapp/core/no-such-error.html', "
            "which cannot be found; failed panels will render empty.",
            obj=NoErrorFileLayout,
            id="dj_layouts.W001",
        )
    ]


def test_a_url_panel_that_cannot_be_reversed_is_e004():
    class BadUrlLayout(Layout):
        template = "testapp/core/slots.html"
        namespace = Panel("nowhere:sidebar")
        name = Panel("checks:nothing")
        args = Panel("checks:word")

    with pytest.raises(NoReverseMatch) as missing_name:
        reverse("checks:nothing")
    with pytest.raises(NoReverseMatch) as missing_args:
        reverse("checks:word")
    hint = "Check the URL name (with its namespace) and the panel's context=."
    assert _about(check_layouts(), BadUrlLayout) == [
        checks.Error(
            "Panel 'namespace' of layout tests.BadUrlLayout: Panel URL name 'nowhere:sidebar' "
            "cannot be reversed: 'nowhere' is not a registered namespace",
            hint=hint,
            obj=BadUrlLayout,
            id="dj_layouts.E004",
        ),
        checks.Error(
            "Panel 'name' of layout tests.BadUrlLayout: Panel URL name 'checks:nothing' "
            f"cannot be reversed: {missing_name.value}",
            hint=hint,
            obj=BadUrlLayout,
            id="dj_layouts.E004",
        ),
        checks.Error(
            "Panel 'args' of layout tests.BadUrlLayout: Panel URL name 'checks:word' "
            f"cannot be reversed: {missing_args.value}",
            hint=hint,
            obj=BadUrlLayout,
            id="dj_layouts.E004",
        ),
    ]


def test_a_url_panel_whose_context_does_not_fit_is_e004():
    class BadContextLayout(Layout):
        template = "testapp/core/slots.html"
        word = Panel("checks:word", context={"wrod": "typo"})

    with pytest.raises(NoReverseMatch) as django_error:
        reverse("checks:word")
    assert [m.msg for m in _about(check_layouts(), BadContextLayout)] == [
        "Panel 'word' of layout tests.BadContextLayout: Panel URL name 'checks:word' cannot be "
        f"reversed with the panel context {{'wrod': 'typo'}}: {django_error.value}"
    ]


def test_a_missing_panel_template_is_e005():
    class NoPanelFileLayout(Layout):
        template = "testapp/core/slots.html"
        side = Panel(template="testapp/core/no-such-panel.html")

    assert _about(check_layouts(), NoPanelFileLayout) == [
        checks.Error(
            "Panel 'side' of layout tests.NoPanelFileLayout renders the template "
            "'testapp/core/no-such-panel.html', which cannot be found.",
            obj=NoPanelFileLayout,
            id="dj_layouts.E005",
        )
    ]


def test_an_eager_conditional_panel_with_a_context_lookup_is_w002():
    class EagerLookupLayout(Layout):
        template = "testapp/core/slots.html"
        maybe = ConditionalPanel("<p>x</p>", condition="object.flag", eager=True)
        fine = ConditionalPanel("<p>x</p>", condition=lambda context: True, eager=True)

    assert _about(check_layouts(), EagerLookupLayout) == [
        checks.Warning(
            "Panel 'maybe' of layout tests.EagerLookupLayout is eager and its condition looks up "
            "'object.flag' in the layout context, which it sees before the content view runs.",
            hint="Make the condition independent of what the content view sets, "
            "or drop eager=True.",
            obj=EagerLookupLayout,
            id="dj_layouts.W002",
        )
    ]


def test_a_layout_template_with_a_syntax_error_does_not_crash_the_checks():
    class SyntaxErrorLayout(Layout):
        template = "testapp/core/syntax-error.html"

    assert _about(check_layouts(), SyntaxErrorLayout) == []


def test_layout_messages_through_run_checks():
    class EverythingWrongLayout(Layout):
        template = "testapp/core/no-such-layout.html"
        error_template = "testapp/core/no-such-error.html"
        url = Panel("nowhere:x")
        tpl = Panel(template="testapp/core/no-such-panel.html")

    messages = _about(checks.run_checks(), EverythingWrongLayout)
    assert _ids(messages) == [
        "dj_layouts.E003",
        "dj_layouts.E004",
        "dj_layouts.E005",
        "dj_layouts.W001",
    ]


def test_the_test_projects_own_layouts_pass_the_checks():
    from tests.testapp.layouts import OtherLayout, SiteLayout

    messages = check_layouts()
    assert _about(messages, SiteLayout) == []
    assert _about(messages, OtherLayout) == []


# -- panels with their own URL: E007, W006, E009 ----------------------------------------------
def test_a_late_panel_without_the_endpoint_in_the_urlconf_is_e007():
    class LazyLayout(Layout):
        template = "testapp/core/slots.html"
        later = Panel("<p>x</p>", load="lazy")
        refreshed = Panel("<p>y</p>", endpoint=True)
        inline = Panel("<p>z</p>")

    assert _about(check_layouts(), LazyLayout) == [
        checks.Error(
            "Layout tests.LazyLayout has panels with their own URL ('later', 'refreshed'), "
            "and the panel endpoint is not in the URLconf.",
            hint='Add path("_panels/", include("dj_layouts.urls")) to your urlpatterns.',
            obj=LazyLayout,
            id="dj_layouts.E007",
        )
    ]


@pytest.mark.urls("tests.test_endpoints")
def test_the_endpoint_in_the_urlconf_passes():
    class ReachableLayout(Layout):
        template = "testapp/core/slots.html"
        layout_context_defaults = {"site": "Acme", "ids": [1, 2], "meta": {"a": None}}
        later = Panel("<p>x</p>", load="visible", cache=cache.sitewide(timeout=60))
        edge = Panel("<p>x</p>", load="edge", cache=cache.per_path(timeout=60))

    assert _about(check_layouts(), ReachableLayout) == []


@pytest.mark.urls("tests.test_endpoints")
def test_a_context_default_that_cannot_travel_is_w003():
    class HeavyLayout(Layout):
        template = "testapp/core/slots.html"
        layout_context_defaults = {"site": "Acme", "since": object()}
        later = Panel("<p>x</p>", load="lazy")

    class InlineLayout(Layout):
        template = "testapp/core/slots.html"
        layout_context_defaults = {"since": object()}
        now = Panel("<p>x</p>")

    messages = check_layouts()
    assert _about(messages, HeavyLayout) == [
        checks.Warning(
            "Layout tests.HeavyLayout has panels with their own URL ('later'), and its "
            "layout_context_defaults value 'since' (object) cannot travel in a panel URL: "
            "a content view that changes it makes the page fail with a TypeError.",
            hint="Panel URLs carry what the content view changes in the layout "
            "context as JSON values (str, int, float, bool, None, lists and dicts "
            "of them): keep an id there instead.",
            obj=HeavyLayout,
            id="dj_layouts.W006",
        )
    ]
    assert _about(messages, InlineLayout) == []


@pytest.mark.urls("tests.test_endpoints")
@pytest.mark.parametrize("strategy", ["per_user", "per_user_per_path", "per_session"])
def test_a_per_user_panel_marked_edge_is_e009(strategy):
    class PrivateEdgeLayout(Layout):
        template = "testapp/core/slots.html"
        mine = Panel("<p>x</p>", load="edge", cache=getattr(cache, strategy)(timeout=60))
        lazy = Panel("<p>x</p>", load="lazy", cache=getattr(cache, strategy)(timeout=60))

    assert _about(check_layouts(), PrivateEdgeLayout) == [
        checks.Error(
            f"Panel 'mine' of layout tests.PrivateEdgeLayout is cached {strategy} and marked "
            "load='edge': a shared proxy would serve one visitor's panel to another.",
            hint="Use load='lazy' or 'inline' for per-user panels (on a layout with "
            "edge_page_timeout an inline one is fetched by the proxy on every visit, "
            "never kept); edge is for panels cached sitewide or per path.",
            obj=PrivateEdgeLayout,
            id="dj_layouts.E009",
        )
    ]


# -- pages kept at the edge: E007 for their holes, E010 -------------------------------------------
def test_the_holes_of_an_edge_page_need_the_endpoint_e007():
    class KeptWithoutEndpoint(Layout):
        template = "testapp/core/slots.html"
        edge_page_timeout = 60
        mine = Panel(word_view)
        shared = Panel(word_view, cache=cache.sitewide(timeout=60))
        literal = Panel("<p>z</p>")

    assert _about(check_layouts(), KeptWithoutEndpoint) == [
        checks.Error(
            "Layout tests.KeptWithoutEndpoint has panels with their own URL ('mine'), "
            "and the panel endpoint is not in the URLconf.",
            hint='Add path("_panels/", include("dj_layouts.urls")) to your urlpatterns.',
            obj=KeptWithoutEndpoint,
            id="dj_layouts.E007",
        )
    ]


@pytest.mark.urls("tests.test_endpoints")
def test_an_edge_page_kept_as_long_as_panel_urls_live_is_e010():
    class KeptTooLong(Layout):
        template = "testapp/core/slots.html"
        edge_page_timeout = 3600
        mine = Panel(word_view)

    class KeptBriefly(Layout):
        template = "testapp/core/slots.html"
        edge_page_timeout = 3599
        mine = Panel(word_view)

    expected = [
        checks.Error(
            "Layout tests.KeptTooLong has edge_page_timeout = 3600, which is not below the "
            "PANEL_URL_MAX_AGE of 3600 s: a page the proxy keeps that long would still "
            "include panel URLs that have expired.",
            hint="Lower edge_page_timeout below 3600, or raise DJ_LAYOUTS['PANEL_URL_MAX_AGE'].",
            obj=KeptTooLong,
            id="dj_layouts.E010",
        )
    ]
    messages = check_layouts()
    assert _about(messages, KeptTooLong) == expected
    assert _about(messages, KeptBriefly) == []
    with override_settings(DJ_LAYOUTS={"PANEL_URL_MAX_AGE": 7200}):
        assert _about(check_layouts(), KeptTooLong) == []
