"""The Jinja environment: the site's templates over the default theme.

Autoescape is on and an undefined variable is an error, reported as
``templates/article.html:12: ...`` like any other problem of a build.
"""

from __future__ import annotations

import hashlib
import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from jinja2 import meta, nodes
from markupsafe import Markup

from generator.errors import Diagnostic

THEME_NAME = "<default theme>"


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
            for part in sorted(self._closure(name)):
                source, _filename, _uptodate = self.env.loader.get_source(self.env, part)  # type: ignore[union-attr]
                h.update(f"{part}\0{source}\0".encode())
            self._digests[name] = h.hexdigest()
        return self._digests[name]

    def _closure(self, name: str) -> set[str]:
        seen: set[str] = set()
        todo = [name]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            source, filename, _ = self.env.loader.get_source(self.env, current)  # type: ignore[union-attr]
            tree = self.env.parse(source, current, filename)
            for used in {node.name for node in tree.find_all(nodes.Name)}:  # card_html() renders card.html
                memo = self.env.globals.get(used)
                if isinstance(memo, _MacroMemo):
                    todo.append(memo.template)
            for ref in meta.find_referenced_templates(tree):
                # A name computed at render time could be any template: depend on all of them.
                todo.extend(
                    self.env.list_templates(extensions=["html", "xml", "txt"]) if ref is None else [ref]
                )
        return seen

    def diagnostic(self, exc: BaseException, template: str) -> Diagnostic:
        """A located message for an error raised while loading or rendering ``template``."""
        if isinstance(exc, jinja2.TemplateSyntaxError):
            return Diagnostic(self.where(exc.filename), exc.lineno, f"template syntax error: {exc.message}")
        if isinstance(exc, jinja2.TemplateNotFound):
            return Diagnostic("templates", None, f"template not found: {exc.name}")
        if isinstance(exc, RecursionError):
            return Diagnostic(
                self.where(self._origin(exc, template)[0]), None, "templates include each other forever"
            )
        filename, line = self._origin(exc, template)
        if isinstance(exc, jinja2.UndefinedError):
            return Diagnostic(self.where(filename), line, f"undefined variable: {_plain_undefined(str(exc))}")
        return Diagnostic(self.where(filename), line, f"{type(exc).__name__}: {exc}")

    def _origin(self, exc: BaseException, template: str) -> tuple[str | None, int | None]:
        """The innermost template frame of the traceback; Jinja maps its lines to the template."""
        folders = [str(f.resolve()) for f in self.folders]
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if any(str(Path(frame.filename).resolve()).startswith(f) for f in folders):
                return frame.filename, frame.lineno
        return template, None


def _plain_undefined(message: str) -> str:
    """Jinja's "'generator.views.PageView object' has no attribute 'x'" in a template author's words."""
    match = re.fullmatch(r"'(?:[\w.]+\.)?(\w+) object' has no attribute '([^']+)'", message)
    if match is None:
        return message
    kind, name = match.groups()
    return f'{kind} has no field "{name}" (the fields templates get are listed in generator/views.py)'


def load_templates(site_root: Path) -> TemplateSet:
    folders = tuple(d for d in (site_root / "templates", theme_dir()) if d.is_dir())
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(f) for f in folders]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.globals["card_html"] = _MacroMemo(env, "partials/card.html", "card")
    return TemplateSet(env=env, site_root=site_root.resolve(), folders=folders)


class _MacroMemo:
    """A macro whose output depends on its arguments alone, each output made once.

    An article's card appears on some twenty list pages (its countries, topics, tags, months and
    their pages); rendering it once rather than on every page saves a fifth of a cold build.
    """

    LIMIT = 50_000  # outputs kept (about 1 KB each): memory stays bounded on the largest archives

    def __init__(self, env: jinja2.Environment, template: str, name: str) -> None:
        self.env = env
        self.template = template
        self.name = name
        self.made: dict[tuple[object, ...], Markup] = {}

    def __call__(self, *args: object) -> Markup:
        made = self.made.get(args)
        if made is None:
            macro = getattr(self.env.get_template(self.template).module, self.name)
            made = macro(*args)
            if len(self.made) >= self.LIMIT:
                self.made.clear()
            self.made[args] = made
        return made
