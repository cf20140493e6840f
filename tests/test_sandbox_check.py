"""The sandbox's configuration, checked without a browser (fast; runs in every test session).

The browser tests (tests/e2e) exercise the sandbox's pages; these make a broken
sandbox fail CI even on a machine without Chromium. The sandbox is checked with its
Wagtail pages and without them (``DJ_LAYOUTS_SANDBOX_WAGTAIL=0``, or no Wagtail
installed, as in the test sessions of Django 4.2); the Wagtail page tree itself is
checked where Wagtail is installed (``nox -s wagtail`` runs this module too).
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, sandbox_env

needs_wagtail = pytest.mark.skipif(
    importlib.util.find_spec("wagtail") is None, reason="Wagtail is not installed"
)
#: The sandbox with its Wagtail pages (when Wagtail is installed), and without them.
WAGTAIL = [pytest.param("1", marks=needs_wagtail, id="wagtail"), pytest.param("0", id="plain")]


def run_manage(*args: str, database: Path, wagtail: str = "1") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "sandbox" / "manage.py"), *args],
        cwd=ROOT,
        env={**sandbox_env(database), "DJ_LAYOUTS_SANDBOX_WAGTAIL": wagtail},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def manage_ok(*args: str, database: Path, wagtail: str = "1") -> str:
    done = run_manage(*args, database=database, wagtail=wagtail)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.parametrize("wagtail", WAGTAIL)
def test_sandbox_passes_the_system_checks(tmp_path: Path, wagtail: str) -> None:
    out = manage_ok("check", "--fail-level", "WARNING", database=tmp_path / "db.sqlite3")

    assert out == "System check identified no issues (0 silenced).\n"


@pytest.mark.parametrize("wagtail", WAGTAIL)
def test_sandbox_models_match_their_migrations(tmp_path: Path, wagtail: str) -> None:
    manage_ok("makemigrations", "--check", "--dry-run", database=tmp_path / "db.sqlite3")


def test_without_wagtail_the_sandbox_has_no_wagtail_app(tmp_path: Path) -> None:
    script = "from django.apps import apps; print(apps.is_installed('sandbox.wagtaildemo'))"
    out = manage_ok("shell", "-c", script, database=tmp_path / "db.sqlite3", wagtail="0")

    assert out.splitlines()[-1] == "False"


# -- the Wagtail page tree ---------------------------------------------------------------

#: A ``manage.py shell`` prelude: ``tree()`` describes the page tree as plain data, and
#: ``seed()`` runs seed_demo as the sandbox's start does. One process per test: each
#: start of a Django process with Wagtail takes seconds.
PRELUDE = """
import io, json
from django.core.management import call_command
from wagtail.models import Page, Revision, Site

def tree():
    site = Site.objects.get(is_default_site=True)
    pages = Page.objects.filter(depth__gt=1).order_by("path")
    return {
        "pages": [[p.depth, type(p.specific).__name__, p.url, p.title, p.live] for p in pages],
        "site_root": site.root_page.url,
        "sites": Site.objects.count(),
        "revisions": Revision.objects.count(),
    }

def seed():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()
"""

SEEDED_TREE = {
    "pages": [
        [2, "SectionPage", "/wagtail-pages/", "Wagtail pages", True],
        [3, "SectionPage", "/wagtail-pages/guides/", "Guides", True],
        [
            4,
            "ArticlePage",
            "/wagtail-pages/guides/panels-around-a-page/",
            "Panels around a page",
            True,
        ],
        [
            4,
            "ArticlePage",
            "/wagtail-pages/guides/one-template-both-ways/",
            "One template, both ways",
            True,
        ],
        [
            4,
            "ArticlePage",
            "/wagtail-pages/guides/previews-skip-the-layout/",
            "Previews skip the layout",
            True,
        ],
        [3, "SectionPage", "/wagtail-pages/news/", "News", True],
        [
            4,
            "ArticlePage",
            "/wagtail-pages/news/the-sandbox-has-a-page-tree/",
            "The sandbox has a page tree",
            True,
        ],
    ],
    # Wagtail's welcome page is gone: the tree's home is the site's root page.
    "site_root": "/wagtail-pages/",
    "sites": 1,
    "revisions": 7,
}


def run_script(script: str, database: Path) -> object:
    """Run ``PRELUDE`` and ``script`` in the sandbox; what ``script`` printed last, as JSON."""
    out = manage_ok("shell", "-c", PRELUDE + script, database=database)
    return json.loads(out.strip().splitlines()[-1])


PREVIEW = """
import html, re
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from sandbox.wagtaildemo.models import ArticlePage
page = ArticlePage.objects.get(slug="panels-around-a-page")
# An editor's preview in the admin: the edit form posted to the preview view, then shown.
editor = User.objects.create_superuser("editor", "editor@example.com", "x")
client = Client(HTTP_HOST="localhost")
client.force_login(editor)
edit_url = f"/cms/pages/{page.pk}/edit/"
form = client.get(edit_url).content.decode()
fields = {}
for tag in re.findall(r"<input[^>]*>", form):
    name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
    if name and not re.search(r'type="(checkbox|submit)"', tag):
        fields[name[1]] = html.unescape(value[1]) if value else ""
fields["title"] = "An unsaved title"
posted = client.post(edit_url + "preview/", fields).json()
assert posted["is_valid"], posted
in_admin = client.get(edit_url + "preview/")
# What Wagtail's preview views call: serve_preview(), which does not call serve().
previewed = page.make_preview_request()
# A serve_preview() of a project's own that does call serve() (older Wagtail did).
request = RequestFactory().get(page.url, HTTP_HOST="localhost")
request.is_preview = True
served = page.serve(request)
served.render()
print(json.dumps([
    [response.status_code, response.content.decode()]
    for response in (in_admin, previewed, served)
]))
"""


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A sandbox database, migrated and seeded once by the commands ``nox -s sandbox`` runs."""
    database = tmp_path_factory.mktemp("seeded") / "db.sqlite3"
    manage_ok("migrate", "--noinput", database=database)
    return database, manage_ok("seed_demo", database=database)


@pytest.fixture
def database(seeded: tuple[Path, str], tmp_path: Path) -> Path:
    """A copy of the seeded database, for one test to change."""
    copy = tmp_path / "db.sqlite3"
    shutil.copyfile(seeded[0], copy)
    return copy


@needs_wagtail
def test_seed_demo_builds_the_wagtail_page_tree_once(
    seeded: tuple[Path, str], database: Path
) -> None:
    # seed_demo runs at every start of the sandbox: again, it changes nothing.
    found = run_script("print(json.dumps([tree(), seed(), tree()]))", database)

    assert "Wagtail page tree ready: 7 live pages." in seeded[1]
    assert found == [
        SEEDED_TREE,
        "Demo data ready: 3 articles.\nWagtail page tree ready: 7 live pages.\n",
        SEEDED_TREE,
    ]


@needs_wagtail
def test_seed_demo_sets_an_edited_page_back_and_remakes_a_deleted_one(database: Path) -> None:
    script = (
        "Page.objects.get(slug='guides').specific.save_revision()\n"  # a draft: left alone
        "news = Page.objects.get(slug='news').specific\n"
        "news.title = 'Edited'\n"
        "news.save_revision().publish()\n"
        "Page.objects.get(slug='one-template-both-ways').delete()\n"
        "seed()\n"
        "print(json.dumps(tree()))\n"
    )
    found = run_script(script, database)

    assert isinstance(found, dict)
    # The deleted page is made again, after its siblings; News has its title back.
    assert sorted(found["pages"]) == sorted(SEEDED_TREE["pages"])
    assert found["pages"][-3][2] == "/wagtail-pages/guides/one-template-both-ways/"
    # 7 seeded, the draft, the edit, less the deleted page's, the new page's, News set back.
    assert found["revisions"] == 7 + 1 + 1 - 1 + 1 + 1
    assert (found["site_root"], found["sites"]) == ("/wagtail-pages/", 1)


@needs_wagtail
def test_a_wagtail_preview_in_the_sandbox_bypasses_the_layout(database: Path) -> None:
    responses = run_script(PREVIEW, database)

    assert isinstance(responses, list)
    titles = []
    for status, html in responses:
        assert status == 200
        assert '<p class="crumb" id="served-alone">Served by Wagtail alone' in html
        titles.append(re.search(r"<h1>(.*?)</h1>", html)[1])
        # None of the layout: no top bar, no panel slots, no sidebar.
        assert 'class="topbar"' not in html and "slot-" not in html
    assert titles == ["An unsaved title", "Panels around a page", "Panels around a page"]
