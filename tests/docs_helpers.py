"""Shared helpers for tests that keep the code samples in ``docs/`` honest.

Any doc page's test can use them (``tests/test_docs.py`` does, for the pages it
owns). The conventions a page follows:

- A fenced block is found by its language: ``python`` (also ``py``), and
  ``django`` / ``html+django`` for templates. Blocks indented inside admonitions
  (``!!! note``, ``??? example``) count too.
- ``title="myapp/views.py"`` on a fence makes the block a *file* of the page's
  sample project: :class:`DocProject` writes it into a temporary directory that is
  importable (``import myapp.views``) and whose ``<package>/templates`` folders are
  template directories.
- ``title="settings.py"`` (any title ending in ``settings.py``) marks a settings
  snippet. It is never part of the project: :func:`check_settings_block` runs it on
  its own and validates its ``DJ_LAYOUTS`` against ``dj_layouts.conf``.
- An untitled ``python`` block is a snippet: :meth:`DocProject.run_snippets` runs
  them in page order in one namespace (whose ``__name__`` is ``myapp.docs``, or
  ``snippet_module=``, so a layout declared there registers as
  ``"myapp.<ClassName>"``), after the project's files became importable. Give
  layouts declared in snippets class names that no project file uses.
- An untitled template block must compile (:func:`compile_template`);
  ``{% load layouts %}`` is implied.

``DocProject`` also takes ``support=`` files the page relies on without showing
them, and undoes everything on exit (modules, settings, the layout registry and the
recorded layout references), so a page's layouts never leak into other tests. A
test that runs snippets without it should use the ``restore_layout_registry``
fixture instead.

Typical use::

    def test_my_page(tmp_path, client):
        with DocProject(tmp_path, "my-page.md") as project:
            namespace = project.run_snippets()
            assert client.get("/").status_code == 200
"""

from __future__ import annotations

import importlib
import re
import sys
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template import engines
from django.test import override_settings

DOCS = Path(__file__).resolve().parent.parent / "docs"

PYTHON = ("python", "py")
TEMPLATES = ("django", "html+django", "htmldjango")

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>.*)$")
_TITLE = re.compile(r"""title=(?:"([^"]*)"|'([^']*)')""")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: str
    line: int  # 1-based line of the opening fence
    lang: str
    title: str
    code: str

    @property
    def where(self) -> str:
        return f"docs/{self.page}:{self.line}"

    @property
    def is_settings(self) -> bool:
        return self.lang in PYTHON and self.title.endswith("settings.py")

    @property
    def is_file(self) -> bool:
        return bool(self.title) and not self.is_settings and "/" in self.title


def page_path(page: str | Path) -> Path:
    path = Path(page)
    return path if path.is_absolute() else DOCS / path


def code_blocks(page: str | Path) -> list[Block]:
    """Every fenced block of ``page`` (a name under ``docs/`` or a path), in order."""
    path = page_path(page)
    name = str(path.relative_to(DOCS)) if path.is_relative_to(DOCS) else str(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, fence, info = opening["indent"], opening["fence"], opening["info"]
        body: list[str] = []
        j = i + 1
        while j < len(lines):
            closing = _FENCE.match(lines[j])
            if (
                closing
                and closing["fence"][0] == fence[0]
                and len(closing["fence"]) >= len(fence)
                and not closing["info"].strip()
            ):
                break
            body.append(lines[j])
            j += 1
        else:
            raise AssertionError(f"docs/{name}:{i + 1}: the fence is never closed.")
        lang = (info.split() or [""])[0].lstrip("{.").lower()
        title_match = _TITLE.search(info)
        title = (title_match[1] or title_match[2]) if title_match else ""
        code = textwrap.dedent("\n".join(_strip_indent(line, indent) for line in body))
        blocks.append(Block(name, i + 1, lang, title, code + "\n"))
        i = j + 1
    return blocks


def _strip_indent(line: str, indent: str) -> str:
    return line[len(indent) :] if line.startswith(indent) else line.lstrip(" \t")


def python_blocks(page: str | Path) -> list[Block]:
    """The page's Python blocks (snippets, project files and settings snippets)."""
    return [block for block in code_blocks(page) if block.lang in PYTHON]


def snippet_blocks(page: str | Path) -> list[Block]:
    """Untitled Python blocks: run in page order by ``DocProject.run_snippets``."""
    return [b for b in python_blocks(page) if not b.is_file and not b.is_settings]


def settings_blocks(page: str | Path) -> list[Block]:
    return [block for block in python_blocks(page) if block.is_settings]


def template_blocks(page: str | Path) -> list[Block]:
    return [block for block in code_blocks(page) if block.lang in TEMPLATES]


def file_blocks(page: str | Path) -> list[Block]:
    return [block for block in code_blocks(page) if block.is_file]


def run_block(block: Block, namespace: dict[str, Any]) -> None:
    """Execute one Python block in ``namespace``; a failure names the block."""
    try:
        code = compile(block.code, block.where, "exec")
        exec(code, namespace)
    except Exception as exc:
        raise AssertionError(f"The sample at {block.where} failed: {exc!r}") from exc


def compile_template(block: Block) -> Any:
    """Compile a template block with the project's Django engine."""
    source = block.code
    if "{% load layouts %}" not in source:
        source = "{% load layouts %}" + source
    try:
        return engines["django"].from_string(source)
    except Exception as exc:
        raise AssertionError(f"The template at {block.where} does not compile: {exc!r}") from exc


def check_settings_block(block: Block) -> dict[str, Any]:
    """Run a settings snippet on its own and validate its ``DJ_LAYOUTS``.

    Returns the snippet's namespace. Fails when ``DJ_LAYOUTS`` names a key
    ``dj_layouts.conf`` does not know, or a value it rejects.
    """
    from dj_layouts.conf import DEFAULTS, validation_errors

    namespace: dict[str, Any] = {"__name__": "mysite.settings"}
    run_block(block, namespace)
    value = namespace.get("DJ_LAYOUTS")
    if value is not None:
        unknown = sorted(set(value) - set(DEFAULTS))
        assert not unknown, f"{block.where}: unknown DJ_LAYOUTS keys {unknown}"
        problems = validation_errors(value)
        assert not problems, f"{block.where}: {problems}"
    return namespace


class DocProject:
    """A page's sample project on disk, importable and routable while open.

    ``support`` adds files the page does not show (path -> text); the page's own
    file blocks are written after them and win. ``root_urlconf`` names the URLconf
    module; by default one is generated that includes every ``<package>/urls.py``.
    On exit every imported module of the project is forgotten, and the layout
    registry and the list of layout references (what the system checks read) are
    restored, so other tests never see the project's layouts.
    """

    def __init__(
        self,
        tmp_path: Path,
        page: str | Path,
        *,
        support: dict[str, str] | None = None,
        root_urlconf: str | None = None,
        snippet_module: str = "myapp.docs",
    ) -> None:
        self.root = tmp_path / "project"
        self.page = page
        self.support = dict(support or {})
        self.root_urlconf = root_urlconf
        self.snippet_module = snippet_module
        self.namespace: dict[str, Any] = {"__name__": snippet_module}
        self._overrides: list[override_settings] = []

    # -- files -------------------------------------------------------------------
    def files(self) -> dict[str, str]:
        files = dict(self.support)
        for block in file_blocks(self.page):
            files[block.title] = block.code
        return files

    def _write(self) -> set[str]:
        packages: set[str] = set()
        for relative, text in self.files().items():
            target = self.root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            packages.add(Path(relative).parts[0])
        for package in packages:
            for folder in (self.root / package).rglob("*"):
                if folder.is_dir() and "templates" not in folder.relative_to(self.root).parts:
                    (folder / "__init__.py").touch(exist_ok=True)
            (self.root / package / "__init__.py").touch(exist_ok=True)
        return packages

    def _urlconf(self, packages: Iterable[str]) -> str:
        if self.root_urlconf:
            return self.root_urlconf
        includes = [p for p in sorted(packages) if (self.root / p / "urls.py").exists()]
        lines = ["from django.urls import include, path", "", "urlpatterns = ["]
        lines += [f'    path("", include("{p}.urls")),' for p in includes]
        lines.append("]")
        (self.root / "_docs_root_urls.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return "_docs_root_urls"

    # -- context manager ---------------------------------------------------------------
    def __enter__(self) -> DocProject:
        # ``dj_layouts.layout`` is also the name of the decorator the package exports.
        layout_module = importlib.import_module("dj_layouts.layout")
        views_module = importlib.import_module("dj_layouts.views")

        self._registry = dict(layout_module._registry)
        self._references = list(views_module.layout_references)
        self._modules = set(sys.modules)
        self.root.mkdir(parents=True, exist_ok=True)
        self.packages = self._write()
        sys.path.insert(0, str(self.root))
        importlib.invalidate_caches()
        try:
            template_dirs = [str(p) for p in sorted(self.root.glob("*/templates"))]
            templates = [dict(engine) for engine in settings.TEMPLATES]
            templates[0]["DIRS"] = [*template_dirs, *templates[0].get("DIRS", [])]
            self._override(TEMPLATES=templates, ROOT_URLCONF=self._urlconf(self.packages))
            for package in sorted(self.packages):
                # What autodiscovery does for an installed app's layouts.py.
                if (self.root / package / "layouts.py").exists():
                    importlib.import_module(f"{package}.layouts")
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def _override(self, **values: Any) -> None:
        override = override_settings(**values)
        override.enable()
        self._overrides.append(override)

    def __exit__(self, *exc_info: Any) -> None:
        # ``dj_layouts.layout`` is also the name of the decorator the package exports.
        layout_module = importlib.import_module("dj_layouts.layout")
        views_module = importlib.import_module("dj_layouts.views")

        while self._overrides:
            self._overrides.pop().disable()
        for name in set(sys.modules) - self._modules:
            if name.split(".")[0] in self.packages | {"_docs_root_urls"}:
                del sys.modules[name]
        if str(self.root) in sys.path:
            sys.path.remove(str(self.root))
        layout_module._registry.clear()
        layout_module._registry.update(self._registry)
        views_module.layout_references[:] = self._references

    # -- running the page -----------------------------------------------------------------
    def run_snippets(self) -> dict[str, Any]:
        """Run the page's untitled Python blocks in order; return their namespace."""
        for block in snippet_blocks(self.page):
            run_block(block, self.namespace)
        return self.namespace

    def module(self, name: str) -> Any:
        return importlib.import_module(name)
