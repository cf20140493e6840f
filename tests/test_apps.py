"""The AppConfig: layouts.py autodiscovery and check registration."""

from __future__ import annotations

import sys

import pytest
from django.apps import apps
from django.core import checks

from dj_layouts import Layout
from dj_layouts.apps import DjLayoutsConfig
from dj_layouts.checks import check_layout_references, check_layouts, check_settings

pytestmark = pytest.mark.usefixtures("restore_layout_registry")


def test_the_app_config():
    config = apps.get_app_config("dj_layouts")
    assert isinstance(config, DjLayoutsConfig)
    assert config.verbose_name == "dj-layouts"


def test_layouts_modules_of_installed_apps_are_imported_at_start_up():
    assert "tests.testapp.layouts" in sys.modules
    module = sys.modules["tests.testapp.layouts"]
    assert Layout.registry["tests.SiteLayout"] is module.SiteLayout
    assert Layout.registry["tests.OtherLayout"] is module.OtherLayout
    assert module.SiteLayout.key == "tests.SiteLayout"
    assert "tests.BaseLayout" not in Layout.registry  # abstract


def test_ready_can_run_again_without_clashes():
    before = dict(Layout.registry)
    apps.get_app_config("dj_layouts").ready()
    assert dict(Layout.registry) == before


def test_the_checks_are_registered():
    registered = checks.registry.registry.get_checks()
    for check in (check_settings, check_layout_references, check_layouts):
        assert check in registered
