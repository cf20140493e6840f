"""The code samples of ``docs/*.md``, parsed and run by Sybil.

Sybil (``sybil.parsers.markdown``) finds the fenced blocks of a page and runs them
in page order in one namespace per page; ``<!-- invisible-code-block: python -->``
adds setup a reader does not see, ``<!-- skip: next -->`` leaves out a sample that
is not meant to run (the page's test then says why and runs it on its own terms).
What this module adds is the page's *sample project*:

- ``title="myapp/views.py"`` on a fence makes the block a file of the project:
  :class:`DocProject` writes every such block into a temporary directory that is
  importable and whose ``<package>/templates`` folders are template directories.
  As an example, a Python file is imported and a template file is loaded.
- ``title="settings.py"`` (any title ending in ``settings.py``) marks a settings
  snippet: it runs on its own and its ``DJ_LAYOUTS`` is validated by ``dj_layouts.conf``.
- An untitled ``python`` block is a snippet, run by Sybil's own Python evaluator in
  the page namespace, whose ``__name__`` is ``myapp.docs`` (or ``snippet_module=``),
  so a layout declared there registers as ``"myapp.<ClassName>"``.
- An untitled ``django`` / ``html+django`` block must compile (``{% load layouts %}``
  is implied).

A failing sample fails with its page and line (``docs/panels.md:42``): Sybil
compiles each snippet with the page as its file name and the lines padded.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template import engines
from django.template.loader import get_template
from django.test import override_settings
from sybil import Document, Example, Region
from sybil.evaluators.python import PythonEvaluator
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser
from sybil.parsers.markdown.lexers import FencedCodeBlockLexer

DOCS = Path(__file__).resolve().parents[2] / "docs"

PYTHON = ("python", "py")
TEMPLATES = ("django", "html+django", "htmldjango")

_TITLE = re.compile(r"""title=(?:"([^"]*)"|'([^']*)')""")
_FENCES = FencedCodeBlockLexer(language=r".*", mapping={"language": "info", "source": "source"})


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page, as Sybil's Markdown lexer found it."""

    page: str
    line: int  # 1-based line of the opening fence
    lang: str
    title: str
    code: str

    @property
    def where(self) -> str:
        prefix = "" if Path(self.page).is_absolute() else "docs/"
        return f"{prefix}{self.page}:{self.line}"

    @property
    def is_settings(self) -> bool:
        return self.lang in PYTHON and self.title.endswith("settings.py")

    @property
    def is_file(self) -> bool:
        return bool(self.title) and not self.is_settings and "/" in self.title


def page_path(page: str | Path) -> Path:
    path = Path(page)
    return path if path.is_absolute() else DOCS / path


def _block(document: Document, region: Region) -> Block:
    info = region.lexemes["info"].strip()
    lang = (info.split() or [""])[0].lstrip("{.").lower()
    title_match = _TITLE.search(info)
    title = (title_match[1] or title_match[2]) if title_match else ""
    line = document.text.count("\n", 0, region.start) + 1
    path = Path(document.path)
    page = path.relative_to(DOCS).as_posix() if path.is_relative_to(DOCS) else str(path)
    return Block(page, line, lang, title, str(region.lexemes["source"]))


def _regions(document: Document) -> Iterator[tuple[Region, Block]]:
    for region in _FENCES(document):
        yield region, _block(document, region)


def code_blocks(page: str | Path) -> list[Block]:
    """Every fenced block of ``page`` (a name under ``docs/`` or a path), in order."""
    path = page_path(page)
    document = Document(path.read_text(encoding="utf-8"), str(path))
    return sorted((block for _, block in _regions(document)), key=lambda block: block.line)


def python_blocks(page: str | Path) -> list[Block]:
    """The page's Python blocks (snippets, project files and settings snippets)."""
    return [block for block in code_blocks(page) if block.lang in PYTHON]


def snippet_blocks(page: str | Path) -> list[Block]:
    """Untitled Python blocks: what Sybil runs in the page namespace."""
    return [b for b in python_blocks(page) if not b.title]


def settings_blocks(page: str | Path) -> list[Block]:
    return [block for block in python_blocks(page) if block.is_settings]


def template_blocks(page: str | Path) -> list[Block]:
    return [block for block in code_blocks(page) if block.lang in TEMPLATES]


def file_blocks(page: str | Path) -> list[Block]:
    return [block for block in code_blocks(page) if block.is_file]


def run_block(
    block: Block, namespace: dict[str, Any], *, future_imports: tuple[str, ...] = ()
) -> None:
    """Run one Python block in ``namespace`` with Sybil's evaluator; tracebacks name the page."""
    path = page_path(block.page)
    document = Document(path.read_text(encoding="utf-8"), str(path))
    (region,) = [r for r, b in _regions(document) if b.line == block.line]
    region.parsed = region.lexemes["source"]
    PythonEvaluator(future_imports)(Example(document, block.line, 1, region, namespace))


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


# -- Sybil parsers for the blocks that are not plain snippets ------------------------------


def _import_file(example: Example) -> None:
    block: Block = example.parsed
    try:
        if block.title.endswith(".py"):
            importlib.import_module(block.title[:-3].replace("/", "."))
        elif block.lang in TEMPLATES and "/templates/" in block.title:
            get_template(block.title.split("/templates/", 1)[1])
    except Exception as exc:
        # The traceback names the file in the temporary project; say where it is shown.
        raise AssertionError(f"{block.title} at {block.where} failed: {exc!r}") from exc


def _check_settings(example: Example) -> None:
    check_settings_block(example.parsed)


def _compile_template(example: Example) -> None:
    compile_template(example.parsed)


def project_parser(document: Document) -> Iterable[Region]:
    """Regions for project files, settings snippets and untitled templates.

    Untitled Python blocks are left to Sybil's ``PythonCodeBlockParser``.
    """
    for region, block in _regions(document):
        if block.is_settings:
            evaluator = _check_settings
        elif block.is_file:
            evaluator = _import_file
        elif block.lang in TEMPLATES and not block.title:
            evaluator = _compile_template
        else:
            continue
        yield Region(region.start, region.end, block, evaluator)


PARSERS = (PythonCodeBlockParser(), SkipParser(), project_parser)


def parse(page: str | Path) -> Document:
    """The page as a Sybil document: its examples, in page order."""
    return Document.parse(str(page_path(page)), *PARSERS)


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
        self.document = parse(page)
        self.namespace = self.document.namespace
        self.namespace["__name__"] = snippet_module
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
    def run_samples(self) -> dict[str, Any]:
        """Run every sample of the page through Sybil, in page order; return the namespace.

        Project files are imported, settings snippets validated, templates compiled and
        snippets executed in the page namespace.
        """
        for example in self.document:
            example.evaluate()
        return self.namespace

    def module(self, name: str) -> Any:
        return importlib.import_module(name)
