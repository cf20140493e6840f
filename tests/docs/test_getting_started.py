"""docs/getting-started.md: every sample runs (Sybil), and the page says what the code does."""

from __future__ import annotations

import sys

from tests.docs.pages import check_settings_block, code_blocks, page_path, settings_blocks
from tests.docs.support import open_page

PAGE = "getting-started.md"


def test_every_sample_runs(tmp_path):
    with open_page(PAGE, tmp_path) as project:
        project.run_samples()


def test_getting_started_settings_install_the_app():
    (block,) = settings_blocks(PAGE)
    assert "dj_layouts" in check_settings_block(block)["INSTALLED_APPS"]


def test_getting_started_site(tmp_path, client):
    with open_page(PAGE, tmp_path) as project:
        home = client.get("/")
        assert home.status_code == 200
        html = home.content.decode()
        assert "<title>Welcome</title>" in html
        assert "<footer><p>© My site</p></footer>" in html
        assert '<main id="panel-content"><h1>Welcome!</h1>' in html

        about = client.get("/about/").content.decode()
        assert "<title>My site</title>" in about
        assert "<p>Founded in 2024.</p>" in about
        assert "<a href='/about/'>About</a>" in about

        assert client.get("/_panels/sidebar/").status_code == 403

        tests = project.module("myapp.tests")
        tests.test_home_page_has_the_sidebar()
        tests.test_the_sidebar_is_not_a_page()


def test_doc_project_leaves_nothing_behind(tmp_path):
    from dj_layouts import Layout

    with open_page(PAGE, tmp_path) as project:
        assert Layout.resolve("myapp.DefaultLayout").__module__ == "myapp.layouts"
        project.module("myapp.views")
    assert "myapp.DefaultLayout" not in Layout.registry
    assert not [name for name in sys.modules if name.split(".")[0] in ("myapp", "mysite")]
    assert str(tmp_path / "project") not in sys.path


def test_the_install_commands_get_this_library_not_the_existing_package():
    # `pip install dj-layouts` would install the existing package from PyPI (issue 16).
    commands = [b.code for b in code_blocks(PAGE) if b.lang == "sh"]
    installs = [line for block in commands for line in block.splitlines() if "pip install" in line]
    assert installs == [
        "python -m pip install ./dj-layouts",
        'python -m pip install "dj-layouts @ git+<repository URL>"',
        "python -m pip install pytest pytest-django",
    ]
    assert "Layout.registry" in commands[2]  # the way to check which package you got


def test_the_tests_say_they_need_pytest_django():
    (toml,) = [b for b in code_blocks(PAGE) if b.lang == "toml"]
    assert 'DJANGO_SETTINGS_MODULE = "mysite.settings"' in toml.code
    assert "pytest-django" in page_path(PAGE).read_text()
