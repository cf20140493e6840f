"""The DJ_LAYOUTS setting: defaults, validation, and override_settings."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.http.cookie import parse_cookie
from django.test import override_settings

from dj_layouts import Layout, layout
from dj_layouts.conf import DEFAULTS, get_settings
from dj_layouts.detection import htmx_detector, query_param_detector

KNOWN = ", ".join(sorted(DEFAULTS))
CONTENT_TARGET = (
    "a CSS selector in printable ASCII (it is sent as the HX-Retarget header, "
    "so no line breaks or other control characters)"
)
COOKIE_NAME = (
    "a cookie name: an RFC 6265 token of letters, digits and !#$%&'*+-.^_`|~ "
    "that is not a cookie attribute such as 'path' or 'expires'"
)
COOKIE_DOMAIN = (
    "None or a cookie domain such as '.example.com' "
    "(dot-separated labels of ASCII letters, digits and hyphens)"
)


def test_spec_keys_and_their_defaults():
    with override_settings(DJ_LAYOUTS={}):
        conf = get_settings()
    assert (
        conf.DEBUG_ERRORS,
        conf.CACHE_ENABLED,
        conf.CACHE_BACKEND,
        conf.PARTIAL_DETECTORS,
        conf.DETECTOR_RAISE_EXCEPTIONS,
        conf.HTMX_SMART_ROUTING,
        conf.HTMX_CONTENT_TARGET,
        conf.HTMX_COOKIE_NAME,
        conf.HTMX_COOKIE_DOMAIN,
    ) == (None, True, "default", (), False, False, "#panel-content", "dj_layout_current", None)
    assert conf.detectors == ()
    assert (
        conf.MAX_ABANDONED_THREADS,
        conf.CIRCUIT_BREAKER_FAILURES,
        conf.CIRCUIT_BREAKER_WINDOW,
        conf.CIRCUIT_BREAKER_COOLDOWN,
    ) == (64, 5, 60, 30)
    for key, default in DEFAULTS.items():
        value = getattr(conf, key)
        assert value == (tuple(default) if isinstance(default, list) else default), key


def test_no_dj_layouts_setting_at_all_means_the_defaults():
    with override_settings(DJ_LAYOUTS={"CACHE_ENABLED": False}):
        del settings.DJ_LAYOUTS
        assert not hasattr(settings, "DJ_LAYOUTS")
        conf = get_settings()
    assert conf.CACHE_ENABLED is True
    assert conf.HTMX_COOKIE_NAME == "dj_layout_current"


def test_given_values_are_used():
    with override_settings(
        DJ_LAYOUTS={
            "DEBUG_ERRORS": True,
            "HTMX_COOKIE_NAME": "current_layout",
            "HTMX_COOKIE_DOMAIN": ".example.com",
            "PARTIAL_DETECTORS": [
                "dj_layouts.detection.htmx_detector",
                "dj_layouts.detection.query_param_detector",
            ],
        }
    ):
        conf = get_settings()
    assert conf.DEBUG_ERRORS is True
    assert conf.HTMX_COOKIE_NAME == "current_layout"
    assert conf.HTMX_COOKIE_DOMAIN == ".example.com"
    assert conf.PARTIAL_DETECTORS == (
        "dj_layouts.detection.htmx_detector",
        "dj_layouts.detection.query_param_detector",
    )
    assert conf.detectors == (htmx_detector, query_param_detector)


def test_an_unknown_key_is_improperly_configured_naming_it():
    with (
        override_settings(DJ_LAYOUTS={"DEBUG_ERROR": True}),
        pytest.raises(ImproperlyConfigured) as excinfo,
    ):
        get_settings()
    assert excinfo.value.args == (
        f"DJ_LAYOUTS['DEBUG_ERROR'] is not a known setting. Known settings: {KNOWN}.",
    )
    for key in ("DEBUG_ERRORS", "CACHE_ENABLED", "HTMX_COOKIE_DOMAIN", "PARTIAL_DETECTORS"):
        assert key in KNOWN


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("DEBUG_ERRORS", "yes", "None, True or False"),
        ("DEBUG_ERRORS", 1, "None, True or False"),
        ("CACHE_ENABLED", None, "True or False"),
        ("CACHE_ENABLED", 0, "True or False"),
        ("CACHE_BACKEND", "", "the alias of a CACHES entry"),
        ("CACHE_BACKEND", None, "the alias of a CACHES entry"),
        (
            "PARTIAL_DETECTORS",
            "dj_layouts.detection.htmx_detector",
            "a list of dotted paths to detector functions",
        ),
        ("PARTIAL_DETECTORS", [htmx_detector], "a list of dotted paths to detector functions"),
        ("DETECTOR_RAISE_EXCEPTIONS", "no", "True or False"),
        ("HTMX_SMART_ROUTING", 1, "True or False"),
        ("HTMX_CONTENT_TARGET", "", CONTENT_TARGET),
        ("HTMX_CONTENT_TARGET", 5, CONTENT_TARGET),
        ("HTMX_COOKIE_NAME", 5, COOKIE_NAME),
        ("HTMX_COOKIE_NAME", "", COOKIE_NAME),
        ("HTMX_COOKIE_DOMAIN", 5, COOKIE_DOMAIN),
        ("HTMX_COOKIE_DOMAIN", "", COOKIE_DOMAIN),
        ("CACHE_LOCK_TIMEOUT", 0, "a positive number of seconds"),
        ("CACHE_LOCK_TIMEOUT", "10", "a positive number of seconds"),
        ("SYNC_PANEL_WORKERS", 0, "None or a positive int"),
        ("SYNC_PANEL_WORKERS", True, "None or a positive int"),
        ("SYNC_PANEL_WORKERS", 2.5, "None or a positive int"),
        ("CACHE_IO_WORKERS", 0, "a positive int"),
        ("REFRESH_WORKERS", None, "a positive int"),
        ("MAX_ABANDONED_THREADS", 0, "a positive int"),
        ("MAX_ABANDONED_THREADS", None, "a positive int"),
        ("MAX_ABANDONED_THREADS", 1.5, "a positive int"),
        ("CIRCUIT_BREAKER_FAILURES", 0, "None or a positive int"),
        ("CIRCUIT_BREAKER_FAILURES", False, "None or a positive int"),
        ("CIRCUIT_BREAKER_WINDOW", 0, "a positive number of seconds"),
        ("CIRCUIT_BREAKER_WINDOW", None, "a positive number of seconds"),
        ("CIRCUIT_BREAKER_COOLDOWN", -1, "a positive number of seconds"),
        ("CIRCUIT_BREAKER_COOLDOWN", "30", "a positive number of seconds"),
    ],
)
def test_a_wrong_type_is_improperly_configured_naming_the_key(key, value, expected):
    with override_settings(DJ_LAYOUTS={key: value}), pytest.raises(ImproperlyConfigured) as excinfo:
        get_settings()
    assert excinfo.value.args == (f"DJ_LAYOUTS[{key!r}] must be {expected}, not {value!r}.",)


def test_dj_layouts_must_be_a_dict():
    with (
        override_settings(DJ_LAYOUTS=[("DEBUG_ERRORS", True)]),
        pytest.raises(ImproperlyConfigured) as excinfo,
    ):
        get_settings()
    assert excinfo.value.args == ("DJ_LAYOUTS must be a dict, not list.",)


def test_every_problem_is_reported_at_once():
    with (
        override_settings(DJ_LAYOUTS={"NOPE": 1, "CACHE_ENABLED": "yes"}),
        pytest.raises(ImproperlyConfigured) as excinfo,
    ):
        get_settings()
    assert excinfo.value.args == (
        f"DJ_LAYOUTS['NOPE'] is not a known setting. Known settings: {KNOWN}. "
        "DJ_LAYOUTS['CACHE_ENABLED'] must be True or False, not 'yes'.",
    )


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        (
            "no_such_module.detector",
            "which cannot be imported: No module named 'no_such_module'. "
            "Give the dotted path of a function.",
        ),
        (
            "dj_layouts.detection.no_such_detector",
            'which cannot be imported: Module "dj_layouts.detection" does not define a '
            '"no_such_detector" attribute/class. Give the dotted path of a function.',
        ),
        (
            "dj_layouts.detection.LAYOUT_HEADER",
            "which is not callable. Give the dotted path of a function.",
        ),
        (
            "dj_layouts.async_resolve_panel_source",
            "which is async. A detector is a plain function detector(request) -> bool.",
        ),
    ],
)
def test_a_bad_detector_path_is_improperly_configured(path, problem):
    with (
        override_settings(DJ_LAYOUTS={"PARTIAL_DETECTORS": [path]}),
        pytest.raises(ImproperlyConfigured) as excinfo,
    ):
        get_settings()
    assert excinfo.value.args == (f"DJ_LAYOUTS['PARTIAL_DETECTORS'] names {path!r}, {problem}",)


def test_override_settings_takes_effect_at_once():
    assert get_settings().CACHE_ENABLED is True
    with override_settings(DJ_LAYOUTS={"CACHE_ENABLED": False}):
        assert get_settings().CACHE_ENABLED is False
        with override_settings(DJ_LAYOUTS={"CACHE_ENABLED": True, "HTMX_COOKIE_NAME": "x"}):
            assert get_settings().HTMX_COOKIE_NAME == "x"
        assert get_settings().HTMX_COOKIE_NAME == "dj_layout_current"
        assert get_settings().CACHE_ENABLED is False
    assert get_settings().CACHE_ENABLED is True


def test_debug_errors_none_follows_debug_as_it_changes():
    with override_settings(DJ_LAYOUTS={}):
        conf = get_settings()
        with override_settings(DEBUG=True):
            assert get_settings().debug_errors is True
        with override_settings(DEBUG=False):
            assert get_settings().debug_errors is False
    with override_settings(DEBUG=True, DJ_LAYOUTS={"DEBUG_ERRORS": False}):
        assert get_settings().debug_errors is False
    with override_settings(DEBUG=False, DJ_LAYOUTS={"DEBUG_ERRORS": True}):
        assert get_settings().debug_errors is True
    assert conf.DEBUG_ERRORS is None


@pytest.mark.usefixtures("restore_layout_registry")
def test_a_bad_setting_surfaces_when_a_page_is_rendered(rf):
    class ConfLayout(Layout):
        template = "testapp/core/other.html"

    @layout(ConfLayout)
    def view(request):
        return HttpResponse("x")

    with (
        override_settings(DJ_LAYOUTS={"UNKNOWN": True}),
        pytest.raises(ImproperlyConfigured) as excinfo,
    ):
        view(rf.get("/"))
    assert excinfo.value.args[0].startswith("DJ_LAYOUTS['UNKNOWN'] is not a known setting.")
    assert view(rf.get("/")).status_code == 200


# -- string settings are validated for what they are used as -----------------------------
BAD_COOKIE_NAMES = [
    "bad name;",
    "a b",
    "a;b",
    "a=b",
    "a,b",
    'a"b',
    "a:b",  # http.cookies allows ":", RFC 6265 does not
    "a/b",
    "a\tb",
    "a\r\nSet-Cookie: x=1",
    "café",
    "path",  # cookie attributes: SimpleCookie refuses them
    "Expires",
    "max-age",
]
GOOD_COOKIE_NAMES = ["dj_layout_current", "layout", "x", "a-b.c", "A!#$%&'*+-.^_`|~9"]


@pytest.mark.parametrize("name", BAD_COOKIE_NAMES)
def test_a_cookie_name_that_is_not_a_token_is_improperly_configured(name):
    with (
        override_settings(DJ_LAYOUTS={"HTMX_COOKIE_NAME": name}),
        pytest.raises(ImproperlyConfigured) as excinfo,
    ):
        get_settings()
    assert excinfo.value.args == (
        f"DJ_LAYOUTS['HTMX_COOKIE_NAME'] must be {COOKIE_NAME}, not {name!r}.",
    )


@pytest.mark.parametrize("name", GOOD_COOKIE_NAMES)
def test_an_accepted_cookie_name_sets_and_reads_back(name):
    with override_settings(DJ_LAYOUTS={"HTMX_COOKIE_NAME": name}):
        accepted = get_settings().HTMX_COOKIE_NAME
    response = HttpResponse()
    response.set_cookie(accepted, "demo.SiteLayout", domain=".example.com")
    header = response.cookies[accepted].output(header="")
    assert parse_cookie(header.split(";")[0].strip()) == {name: "demo.SiteLayout"}


@pytest.mark.parametrize(
    "domain",
    [
        "exa mple.com",
        "example.com;",
        "example.com\r\nX: y",
        "-example.com",
        "example-.com",
        "example..com",
        "example.com.",
        ".",
        "..example.com",
        "exämple.com",
        "example.com/path",
        "a" * 64 + ".com",
        ".".join(["abcdefghi"] * 26),  # 259 characters
    ],
)
def test_a_bad_cookie_domain_is_improperly_configured(domain):
    with (
        override_settings(DJ_LAYOUTS={"HTMX_COOKIE_DOMAIN": domain}),
        pytest.raises(ImproperlyConfigured) as excinfo,
    ):
        get_settings()
    assert excinfo.value.args == (
        f"DJ_LAYOUTS['HTMX_COOKIE_DOMAIN'] must be {COOKIE_DOMAIN}, not {domain!r}.",
    )


@pytest.mark.parametrize(
    "domain", ["example.com", ".example.com", "localhost", "a-b.xn--p1ai", "127.0.0.1", "a" * 63]
)
def test_a_good_cookie_domain_is_accepted(domain):
    with override_settings(DJ_LAYOUTS={"HTMX_COOKIE_DOMAIN": domain}):
        conf = get_settings()
    response = HttpResponse()
    response.set_cookie(conf.HTMX_COOKIE_NAME, "demo.SiteLayout", domain=conf.HTMX_COOKIE_DOMAIN)
    assert response.cookies["dj_layout_current"].output(header="") == (
        f" dj_layout_current=demo.SiteLayout; Domain={domain}; Path=/"
    )


@pytest.mark.parametrize(
    "target",
    ["#main\r\n", "#main\nX-Evil: 1", "#a\rb", "#a\x00", "#a\tb", "#a\x7f", "#café", "   "],
)
def test_a_content_target_that_cannot_be_a_header_is_improperly_configured(target):
    with (
        override_settings(DJ_LAYOUTS={"HTMX_CONTENT_TARGET": target}),
        pytest.raises(ImproperlyConfigured) as excinfo,
    ):
        get_settings()
    assert excinfo.value.args == (
        f"DJ_LAYOUTS['HTMX_CONTENT_TARGET'] must be {CONTENT_TARGET}, not {target!r}.",
    )


@pytest.mark.parametrize("target", ["#panel-content", "main > .content", '[data-x="1 2"]', "#a~b"])
def test_an_accepted_content_target_is_a_valid_header(target):
    with override_settings(DJ_LAYOUTS={"HTMX_CONTENT_TARGET": target}):
        accepted = get_settings().HTMX_CONTENT_TARGET
    response = HttpResponse()
    response["HX-Retarget"] = accepted
    assert response.serialize_headers().decode("ascii").endswith(f"HX-Retarget: {target}")


def test_a_detector_whose_module_raises_on_import_is_improperly_configured(tmp_path, monkeypatch):
    (tmp_path / "crashing_detectors.py").write_text("raise ValueError('no config')\n")
    monkeypatch.syspath_prepend(tmp_path)
    path = "crashing_detectors.detector"
    with (
        override_settings(DJ_LAYOUTS={"PARTIAL_DETECTORS": [path]}),
        pytest.raises(ImproperlyConfigured) as excinfo,
    ):
        get_settings()
    assert excinfo.value.args == (
        f"DJ_LAYOUTS['PARTIAL_DETECTORS'] names {path!r}, whose module fails to import: "
        "ValueError: no config. Fix the module or the path.",
    )


@pytest.mark.usefixtures("restore_layout_registry")
def test_a_bad_cookie_name_is_reported_as_a_setting_not_a_cookie_error(rf):
    class CookieLayout(Layout):
        template = "testapp/core/other.html"

    @layout(CookieLayout)
    def view(request):
        return HttpResponse("x")

    settings_value = {"HTMX_SMART_ROUTING": True, "HTMX_COOKIE_NAME": "bad name;"}
    with (
        override_settings(DJ_LAYOUTS=settings_value),
        pytest.raises(ImproperlyConfigured) as excinfo,
    ):
        view(rf.get("/"))
    assert excinfo.value.args == (
        f"DJ_LAYOUTS['HTMX_COOKIE_NAME'] must be {COOKIE_NAME}, not 'bad name;'.",
    )
