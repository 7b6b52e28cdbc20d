"""Input problems that the fault tests (tests/test_faults.py) reach only in part, one small site each."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.build import BuildOptions, build
from generator.config import load_config
from generator.errors import BuildFailed, ConfigError

SITE_TOML = 'title = "T"\nbase_url = "https://example.org/"\n'


def write_site(root: Path, files: dict[str, str | bytes]) -> Path:
    site = root / "site"
    for name, data in {"site.toml": SITE_TOML, **files}.items():
        path = site / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    return site


def problems(site: Path) -> list[str]:
    with pytest.raises(BuildFailed) as failed:
        build(site, BuildOptions(output=site.parent / "out", cache=False, jobs=1))
    return [str(d) for d in failed.value.diagnostics]


def article(front: str, body: str = "Body.") -> str:
    return f"---\ntitle: Talks\ndate: 2020-02-18\n{front}---\n\n{body}\n"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'title = "T"\rbase_url = "x"\rdescription = "caf\xe9"\r', id="cr-line-ends"),
        pytest.param(b'\xef\xbb\xbftitle = "T"\nbase_url = "x"\ndescription = "caf\xe9"\n', id="bom"),
    ],
)
def test_site_toml_not_utf8_names_the_line_and_byte(tmp_path: Path, raw: bytes) -> None:
    site = write_site(tmp_path, {"site.toml": raw})
    with pytest.raises(ConfigError) as failed:
        load_config(site)
    assert [str(d) for d in failed.value.diagnostics] == [
        "site.toml:3: not valid UTF-8 (byte 0xe9); save the file as UTF-8"
    ]


@pytest.mark.parametrize("slug", ["COM¹", "lpt³", "con-txt", "aux"])
def test_windows_names_in_any_form_are_refused_as_slugs(tmp_path: Path, slug: str) -> None:
    site = write_site(tmp_path, {"content/a.md": article(f"slug: {slug}\n")})
    if slug == "con-txt":  # not a reserved name: "con.txt" would be, but a slug holds no dots
        build(site, BuildOptions(output=tmp_path / "out", cache=False, jobs=1))
        return
    assert problems(site) == [f'content/a.md:4: slug: "{slug}" is a reserved name']


def test_titles_and_tags_that_make_windows_names_are_refused(tmp_path: Path) -> None:
    site = write_site(tmp_path, {"content/a.md": article("tags: [Nul, LPT²]\n").replace("Talks", "Aux")})
    assert problems(site) == [
        'content/a.md:2: title: makes the URL slug "aux", a name Windows reserves: set slug: in the front matter',
        'content/a.md:4: tags: tag "LPT²" makes the folder tags/lpt2/, a name Windows reserves: spell it another way',
        'content/a.md:4: tags: tag "Nul" makes the folder tags/nul/, a name Windows reserves: spell it another way',
    ]


def test_control_character_in_yaml_names_its_line(tmp_path: Path) -> None:
    site = write_site(tmp_path, {"content/a.md": article("summary: caf\u00e9 \x1b[31m red\n")})
    assert problems(site) == [
        "content/a.md:4: a control character (U+001B) is not allowed in front matter: remove it"
    ]


def test_missing_include_is_located_in_an_included_template(tmp_path: Path) -> None:
    site = write_site(
        tmp_path,
        {
            "content/a.md": article(""),
            "templates/article.html": '{% extends "base.html" %}\n{% block content %}\n'
            '{% include "parts/card.html" %}\n{% endblock %}\n',
            "templates/parts/card.html": "<p>card</p>\n\n{% include 'parts/missing.html' %}\n",
        },
    )
    assert problems(site) == ["templates/parts/card.html:3: template not found: parts/missing.html"]


def test_optional_includes_may_be_missing(tmp_path: Path) -> None:
    site = write_site(
        tmp_path,
        {
            "content/a.md": article(""),
            "templates/article.html": '{% extends "base.html" %}\n{% block content %}\n'
            '{% include "nothere.html" ignore missing %}{% include ["nothere.html", "x.html"] %}\n'
            "{% endblock %}\n",
            "templates/x.html": "<p>x</p>\n",
        },
    )
    build(site, BuildOptions(output=tmp_path / "out", cache=False, jobs=1))
    assert "<p>x</p>" in (tmp_path / "out/2020/02/talks/index.html").read_text(encoding="utf-8")


def test_template_error_at_render_time_names_the_template_line(tmp_path: Path) -> None:
    site = write_site(
        tmp_path,
        {
            "content/a.md": article(""),
            "templates/article.html": '{% extends "base.html" %}\n{% block content %}\n'
            "{{ 2.0 ** (page.title|length * 1000) }}\n{% endblock %}\n",
        },
    )
    [message] = problems(site)
    assert message.startswith("templates/article.html:3: "), message
    assert "OverflowError" in message
