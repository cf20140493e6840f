"""The DJ_LAYOUTS setting: defaults, validation, and override_settings."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import override_settings

from dj_layouts import Layout, layout
from dj_layouts.conf import DEFAULTS, get_settings
from dj_layouts.detection import htmx_detector, query_param_detector

KNOWN = ", ".join(sorted(DEFAULTS))


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
        ("HTMX_CONTENT_TARGET", "", "a CSS selector string"),
        ("HTMX_COOKIE_NAME", 5, "a cookie name"),
        ("HTMX_COOKIE_DOMAIN", 5, "None or a cookie domain"),
        ("HTMX_COOKIE_DOMAIN", "", "None or a cookie domain"),
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
