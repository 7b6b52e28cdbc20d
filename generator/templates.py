"""The Jinja environment: the site's templates over the default theme.

Autoescape is on and an undefined variable is an error, reported as
``templates/article.html:12: ...`` like any other problem of a build.
"""

from __future__ import annotations

import hashlib
import re
import traceback
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.loaders import split_template_path
from markupsafe import Markup

from generator.errors import Diagnostic, not_utf8
from generator.metadata import escaped

THEME_NAME = "<default theme>"


class TemplateProblem(jinja2.TemplateError):
    """A template that cannot be used, located in the file that is wrong (a TemplateError, so code
    that handles Jinja's errors handles it too)."""

    def __init__(self, message: str, filename: str, lineno: int | None) -> None:
        super().__init__(message)
        self.filename, self.lineno = filename, lineno


class _Loader(jinja2.FileSystemLoader):
    """Jinja's file loader, with a file that is not UTF-8 reported at its line, not as a traceback."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        try:
            return super().get_source(environment, template)
        except UnicodeDecodeError:
            for folder in self.searchpath:
                path = Path(folder, *split_template_path(template))
                if path.is_file():
                    data = path.read_bytes()
                    try:
                        data.decode(self.encoding)
                    except UnicodeDecodeError as exc:
                        line, message = not_utf8(data, exc)
                        raise TemplateProblem(message, str(path), line) from None
                    break
            raise


def theme_dir() -> Path:
    """The default theme: packaged as ``generator/_theme``, or the repository's ``templates/``."""
    packaged = Path(__file__).parent / "_theme"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "templates"


@dataclass(frozen=True)
class TemplateSet:
    """The environment plus where each template folder is, for readable error locations."""

    env: jinja2.Environment
    site_root: Path
    folders: tuple[Path, ...]
    _digests: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    # What each template uses, by name: every page template extends base.html, which is parsed once.
    _uses: dict[str, tuple[str, list[tuple[str, tuple[str, int] | None, bool]]]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def where(self, filename: str | None) -> str:
        if not filename:
            return "templates"
        path = Path(filename).resolve()
        if path.is_relative_to(self.site_root):
            return path.relative_to(self.site_root).as_posix()
        theme = theme_dir().resolve()
        if path.is_relative_to(theme):
            return f"{THEME_NAME}/{path.relative_to(theme).as_posix()}"
        return path.as_posix()

    def digest(self, name: str) -> str:
        """A hash of ``name`` and every template it extends, includes or imports, recursively."""
        if not name:
            return "no template"  # feeds are written by code
        if name not in self._digests:
            h = hashlib.sha256()
            for part, source in sorted(self._closure(name).items()):
                h.update(f"{part}\0{source}\0".encode())
            self._digests[name] = h.hexdigest()
        return self._digests[name]

    def digests(self) -> dict[str, str]:
        """The digest of every template asked for so far, by name (see known())."""
        return dict(self._digests)

    def known(self, digests: dict[str, str]) -> None:
        """Take ``digests`` as those of their templates, without reading them: the digests a build
        made of these same template files (the caller vouches for that). Working them out parses
        every template of a page and all it uses: 40 to 50 ms of a rebuild after one edit."""
        self._digests.update(digests)

    def _closure(self, name: str) -> dict[str, str]:
        """The source of ``name`` and of every template it uses, by name; a missing one that must
        exist raises, located at the line that names it."""
        sources: dict[str, str] = {}
        missing: set[str] = set()  # names that may be missing and are
        # (template, where it is named: file and line, or None; whether it may be missing)
        todo: list[tuple[str, tuple[str, int] | None, bool]] = [(name, None, False)]
        while todo:
            current, named_at, optional = todo.pop()
            if current in sources or (optional and current in missing):
                continue
            try:
                source, uses = self._uses_of(current)
            except jinja2.TemplateNotFound:
                if optional:
                    missing.add(current)
                    continue
                if named_at is None:
                    raise
                raise TemplateProblem(f"template not found: {current}", *named_at) from None
            sources[current] = source
            todo.extend(uses)
        return sources

    def _uses_of(self, name: str) -> tuple[str, list[tuple[str, tuple[str, int] | None, bool]]]:
        """The source of ``name`` and the templates it uses: (name, where it is named, may be missing)."""
        if name in self._uses:
            return self._uses[name]
        source, filename, _ = self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
        tree = self.env.parse(source, name, filename)
        uses: list[tuple[str, tuple[str, int] | None, bool]] = []
        for used in sorted(
            {node.name for node in tree.find_all(nodes.Name)}
        ):  # card_html() renders card.html, groups_html() group_lists.html
            memo = self.env.globals.get(used)
            if isinstance(memo, _MacroMemo):
                uses.append((memo.template, None, False))
        for ref, line, may_miss in _references(tree):
            if ref is None:  # computed at render time, so it could be any template: depend on all
                uses.extend(
                    (t, None, True) for t in self.env.list_templates(extensions=["html", "xml", "txt"])
                )
            else:
                uses.append((ref, (filename or name, line), may_miss))
        self._uses[name] = (source, uses)
        return source, uses

    def diagnostic(self, exc: BaseException, template: str) -> Diagnostic:
        """A located message for an error raised while loading or rendering ``template``."""
        if isinstance(exc, jinja2.TemplateSyntaxError):
            return Diagnostic(self.where(exc.filename), exc.lineno, f"template syntax error: {exc.message}")
        if isinstance(exc, TemplateProblem):
            return Diagnostic(self.where(exc.filename), exc.lineno, str(exc.message))
        if isinstance(exc, RecursionError):
            return Diagnostic(
                self.where(self._origin(exc, template)[0]), None, "templates include each other forever"
            )
        filename, line = self._origin(exc, template)
        if isinstance(exc, jinja2.TemplateNotFound):  # a name computed at render time
            return Diagnostic(self.where(filename), line, f"template not found: {exc.name}")
        if isinstance(exc, jinja2.UndefinedError):
            return Diagnostic(self.where(filename), line, f"undefined variable: {_plain_undefined(str(exc))}")
        return Diagnostic(self.where(filename), line, f"{type(exc).__name__}: {exc}")

    def raised_in_template(self, exc: BaseException) -> bool:
        """Whether ``exc`` came from running template code, rather than from Dateline's own."""
        return self._template_frame(exc) is not None

    def _origin(self, exc: BaseException, template: str) -> tuple[str | None, int | None]:
        """The innermost template frame of the traceback; Jinja maps its lines to the template."""
        return self._template_frame(exc) or (self._file_of(template), None)

    def _template_frame(self, exc: BaseException) -> tuple[str, int | None] | None:
        folders = [str(f.resolve()) for f in self.folders]
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if any(str(Path(frame.filename).resolve()).startswith(f) for f in folders):
                return frame.filename, frame.lineno
        return None

    def _file_of(self, template: str) -> str | None:
        """The file a template name stands for, as the loader finds it."""
        for folder in self.folders:
            if template and (folder / template).is_file():
                return str(folder / template)
        return None


def _references(ast: nodes.Template) -> Iterator[tuple[str | None, int, bool]]:
    """Each template that ``ast`` extends, includes or imports: its name (None when computed at
    render time), the line naming it, and whether it may be missing (``ignore missing``, or one of a
    list of which the first that exists is used)."""
    for node in ast.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        target = node.template
        optional = bool(getattr(node, "ignore_missing", False))
        if isinstance(target, nodes.Const) and isinstance(target.value, str):
            yield target.value, node.lineno, optional
        elif isinstance(target, (nodes.Tuple, nodes.List)) and all(
            isinstance(item, nodes.Const) and isinstance(item.value, str) for item in target.items
        ):
            for item in target.items:
                yield item.value, node.lineno, True  # type: ignore[attr-defined]
        else:
            yield None, node.lineno, True


def _plain_undefined(message: str) -> str:
    """Jinja's "'generator.views.PageView object' has no attribute 'x'" in a template author's words."""
    match = re.fullmatch(r"'(?:[\w.]+\.)?(\w+) object' has no attribute '([^']+)'", message)
    if match is None:
        return message
    kind, name = match.groups()
    return f'{kind} has no field "{name}" (the fields templates get are listed in generator/views.py)'


def _printed(value: object) -> str:
    """What ``{{ value }}`` prints: the text of MarkupSafe's escape(), as a plain string."""
    if type(value) is str:
        return escaped(value)
    html = getattr(value, "__html__", None)
    return html() if html is not None else escaped(str(value))  # type: ignore[no-any-return]


class _Template(jinja2.Template):
    """Jinja's template, printing with _printed() instead of MarkupSafe's escape().

    In compiled templates every ``{{ ... }}`` is ``escape(...)``, whose result is joined into the
    page at once. escape() returns each piece as a new Markup, made by a constructor written in
    Python: a quarter of the template time of a cold build, for a wrapper the join throws away.
    Only output calls escape() (filters such as ``|e`` have their own); what a macro, a call block
    or ``{% set %}`` captures is still wrapped in Markup by Jinja, so nothing is escaped twice.
    """

    @classmethod
    def from_code(
        cls,
        environment: jinja2.Environment,
        code: CodeType,
        globals: MutableMapping[str, Any],
        uptodate: Callable[[], bool] | None = None,
    ) -> jinja2.Template:
        template = super().from_code(environment, code, globals, uptodate)
        # Every function of the compiled module (root, blocks, macros) reads escape from here.
        template.root_render_func.__globals__["escape"] = _printed
        return template


def load_templates(site_root: Path) -> TemplateSet:
    folders = tuple(d for d in (site_root / "templates", theme_dir()) if d.is_dir())
    env = jinja2.Environment(
        loader=_Loader([str(f) for f in folders]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.template_class = _Template
    env.globals["card_html"] = _MacroMemo(env, "partials/card.html", "card", limit=20_000)
    env.globals["groups_html"] = _MacroMemo(env, "partials/group_lists.html", "group_lists", limit=2_000)
    return TemplateSet(env=env, site_root=site_root.resolve(), folders=folders)


class _MacroMemo:
    """A macro whose output depends on its arguments alone, each output made once.

    An article's card appears on some twenty list pages (its countries, topics, tags, months and
    their pages); rendering it once rather than on every page saves a fifth of a cold build. The
    lists of links beside a list (the front page's countries and topics, a country's topics) are
    the same on every page of its series: the front page's alone took an eighth of the rendering
    of a cold build at 10,000 articles, made on each of its 500 pages.

    At most ``limit`` outputs are kept (in every worker), so memory stays bounded: cards are about
    1 KB each, lists of links up to some 20 KB.
    """

    def __init__(self, env: jinja2.Environment, template: str, name: str, *, limit: int) -> None:
        self.env = env
        self.template = template
        self.name = name
        self.limit = limit
        self.made: dict[tuple[object, ...], Markup] = {}

    def __call__(self, *args: object) -> Markup:
        made = self.made.get(args)
        if made is None:
            macro = getattr(self.env.get_template(self.template).module, self.name)
            made = macro(*args)
            if len(self.made) >= self.limit:
                self.made.clear()
            self.made[args] = made
        return made
