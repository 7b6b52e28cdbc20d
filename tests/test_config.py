"""site.toml validation: every problem reported at once, each with its key and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.config import SiteConfig, load_config
from generator.errors import BuildFailed, ConfigError

BASE = 'title = "Archive"\nbase_url = "https://example.org/"\n'
TOPICS = '\n[[topics]]\nslug = "conflict"\nlabel = "Conflict"\n'


def site(tmp_path: Path, text: str) -> Path:
    root = tmp_path / "site"
    root.mkdir(exist_ok=True)
    (root / "site.toml").write_text(text, encoding="utf-8")
    return root


def load(tmp_path: Path, text: str, **overrides: object) -> SiteConfig:
    return load_config(site(tmp_path, text), **overrides)  # type: ignore[arg-type]


def problems(tmp_path: Path, text: str, **overrides: object) -> list[str]:
    with pytest.raises(ConfigError) as failure:
        load(tmp_path, text, **overrides)
    return [str(d) for d in failure.value.diagnostics]


def test_valid_config_and_defaults(tmp_path: Path) -> None:
    config = load(tmp_path, BASE + TOPICS)
    assert (config.title, config.base_url, config.base_path) == ("Archive", "https://example.org/", "/")
    assert (config.description, config.language, config.page_size, config.links) == ("", "en", 20, "clean")
    assert config.root == (tmp_path / "site").resolve()
    assert config.output_dir == config.root / "output"
    assert [(t.slug, t.label) for t in config.topics] == [("conflict", "Conflict")]
    assert config.content_dir == config.root / "content"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as failure:
        load_config(tmp_path)
    assert [str(d) for d in failure.value.diagnostics] == [f"site.toml: no site.toml in {tmp_path.resolve()}"]
    assert failure.value.show().endswith("\nbuild failed: 1 problem")
    assert isinstance(failure.value, BuildFailed)


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    root = tmp_path / "site"
    root.mkdir()
    (root / "site.toml").write_bytes(b"\xef\xbb\xbf" + BASE.replace("\n", "\r\n").encode())
    assert load_config(root).title == "Archive"


def test_not_utf8(tmp_path: Path) -> None:
    root = tmp_path / "site"
    root.mkdir()
    (root / "site.toml").write_bytes(b'base_url = "https://example.org/"\ntitle = "Caf\xe9"\n')
    with pytest.raises(ConfigError) as failure:
        load_config(root)
    assert [str(d) for d in failure.value.diagnostics] == [
        "site.toml:2: not valid UTF-8 (byte 0xe9); save the file as UTF-8"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'title = "Archive\n',
            'site.toml:1: TOML syntax error: a quoted value is not closed: add the missing " at the end of the line',
        ),
        (
            'title = "Archive"\nbase_url = https://example.org/\n',
            'site.toml:2: TOML syntax error: this value is not valid: put text in quotes, like title = "My title"',
        ),
        ('title = "A"\ntitle = "B"\n', "site.toml:2: TOML syntax error: this key is already set above"),
        ('title = "A"\ntitle = "B"', "site.toml:2: TOML syntax error: this key is already set above"),
        (
            'title = "A"\n\n[[topics]\n',
            "site.toml:3: TOML syntax error: Expected ']]' at the end of an array declaration",
        ),
        (
            'title = "A"\npage_size = [1, 2\n',
            'site.toml:2: TOML syntax error: a [list] is not closed: add the missing "]"',
        ),
        ('title = "A"\n[x]\n[x]\n', "site.toml:3: TOML syntax error: Cannot declare ('x',) twice"),
    ],
)
def test_toml_syntax_error_names_the_line(tmp_path: Path, text: str, message: str) -> None:
    assert problems(tmp_path, text) == [message]


@pytest.mark.parametrize(
    ("key", "suffix"),
    [
        ("titel", ' (did you mean "title"?)'),
        ("baseurl", ' (did you mean "base_url"?)'),
        ("pagesize", ' (did you mean "page_size"?)'),
        ("outptu", ' (did you mean "output"?)'),
        ("colour", ""),
    ],
)
def test_unknown_key_with_did_you_mean(tmp_path: Path, key: str, suffix: str) -> None:
    assert problems(tmp_path, BASE + f'{key} = "x"\n') == [f"site.toml:3: {key}: unknown setting{suffix}"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("title = 3", "title: expected a string, got 3"),
        ("description = []", "description: expected a string, got a list"),
        ("base_url = 4", "base_url: expected a URL like https://example.org/, got 4"),
        ('page_size = "20"', 'page_size: expected a whole number, got "20"'),
        ("page_size = 2.5", "page_size: expected a whole number, got 2.5"),
        ("page_size = true", "page_size: expected a whole number, got true"),
        ("links = true", 'links: expected "clean" or "offline", got true'),
        ("output = 1", "output: expected a folder path, got 1"),
        ("language = {code = 'en'}", "language: expected a language code like en, got a table"),
        ('topics = "conflict"', 'topics: expected an array of [[topics]] tables, got "conflict"'),
    ],
)
def test_wrong_types(tmp_path: Path, line: str, message: str) -> None:
    key = line.split(" ", 1)[0]
    text = line + "\n" + "".join(ln + "\n" for ln in BASE.splitlines() if not ln.startswith(key))
    assert problems(tmp_path, text) == [f"site.toml:1: {message}"]


@pytest.mark.parametrize(
    "url",
    [
        "example.org",
        "ftp://example.org/",
        "https://",
        "https://example.org/?page=1",
        "https://example.org/#top",
        "/archive/",
    ],
)
def test_bad_base_url(tmp_path: Path, url: str) -> None:
    message = f'base_url: expected an http(s) URL like https://example.org/archive/, got "{url}"'
    assert problems(tmp_path, f'title = "A"\nbase_url = "{url}"\n') == [f"site.toml:2: {message}"]


@pytest.mark.parametrize(
    ("url", "base_url", "base_path"),
    [
        ("https://example.org", "https://example.org/", "/"),
        ("https://example.org/", "https://example.org/", "/"),
        ("http://example.org/archive", "http://example.org/archive/", "/archive/"),
        ("https://example.org/news/archive/", "https://example.org/news/archive/", "/news/archive/"),
    ],
)
def test_base_url_gets_a_trailing_slash_and_keeps_its_sub_path(
    tmp_path: Path, url: str, base_url: str, base_path: str
) -> None:
    config = load(tmp_path, f'title = "A"\nbase_url = "{url}"\n')
    assert (config.base_url, config.base_path) == (base_url, base_path)


@pytest.mark.parametrize(
    ("size", "valid"), [(0, False), (-1, False), (1, True), (10_000, True), (10_001, False)]
)
def test_page_size_bounds(tmp_path: Path, size: int, valid: bool) -> None:
    text = BASE + f"page_size = {size}\n"
    if valid:
        assert load(tmp_path, text).page_size == size
    else:
        assert problems(tmp_path, text) == [
            f"site.toml:3: page_size: expected a number from 1 to 10000, got {size}"
        ]


def test_links_mode(tmp_path: Path) -> None:
    assert load(tmp_path, BASE + 'links = "offline"\n').links == "offline"
    assert load(tmp_path, BASE + 'links = "clean"\n', links="offline").links == "offline"
    assert problems(tmp_path, BASE + 'links = "relative"\n') == [
        'site.toml:3: links: expected "clean" or "offline", got "relative"'
    ]


def test_language(tmp_path: Path) -> None:
    assert load(tmp_path, BASE + 'language = "pt-BR"\n').language == "pt-BR"
    assert problems(tmp_path, BASE + 'language = "english"\n') == [
        'site.toml:3: language: expected a language code like en or pt-BR, got "english"'
    ]


def test_bad_topics_each_named_at_its_own_entry(tmp_path: Path) -> None:
    text = (
        BASE
        + TOPICS
        + (
            '\n[[topics]]\nslug = "Human Rights"\nlabel = "Human rights"\n'  # header on line 8
            '\n[[topics]]\nslug = "conflict"\nlabel = "War"\n'  # line 12
            '\n[[topics]]\nslug = "health"\nlable = "Health"\n'  # line 16
            '\n[[topics]]\nslug = "sport"\nlabel = ""\n'  # line 20
            "\n[[topics]]\nlabel = 'Economy'\n"  # line 24
            "\n[[topics]]\nslug = 'media'\nlabel = 'Media'\npage_size = 5\n"  # line 27
        )
    )
    assert problems(tmp_path, text) == [
        "site.toml:8: topics[2].slug: expected lowercase words joined by '-', got \"Human Rights\"",
        'site.toml:12: topics[3].slug: "conflict" is defined twice',
        "site.toml:16: topics[4].label: missing: every topic needs a label",
        'site.toml:16: topics[4].lable: unknown setting (did you mean "label"?)',
        'site.toml:20: topics[5].label: expected a string, got ""',
        "site.toml:24: topics[6].slug: expected lowercase words joined by '-', got nothing",
        "site.toml:27: topics[7].page_size: unknown setting; site-wide settings like page_size must come before"
        " the first [[topics]]",
    ]


def test_topics_must_be_tables(tmp_path: Path) -> None:
    assert problems(tmp_path, BASE + 'topics = ["conflict"]\n') == [
        "site.toml:3: topics[1]: expected a table with slug and label"
    ]


@pytest.mark.parametrize(
    ("output", "message"),
    [
        (
            ".",
            'the output folder may not be the site folder itself: choose a folder inside it, like "output"',
        ),
        (
            "./",
            'the output folder may not be the site folder itself: choose a folder inside it, like "output"',
        ),
        ("content", "the output folder may not be content: it holds the site's own files"),
        ("templates", "the output folder may not be templates: it holds the site's own files"),
        ("static", "the output folder may not be static: it holds the site's own files"),
        ("site.toml", "the output folder may not be site.toml: it holds the site's own files"),
        ("content/2020", "the output folder may not be inside content/: it holds the site's own files"),
        ("templates/out", "the output folder may not be inside templates/: it holds the site's own files"),
        ("/", "refusing to use / as the output folder"),
        ("..", "the output folder may not be {parent}: it holds the site folder"),
        ("../..", "the output folder may not be {grandparent}: it holds the site folder"),
    ],
)
def test_output_folder_that_would_destroy_the_site(tmp_path: Path, output: str, message: str) -> None:
    root = (tmp_path / "site").resolve()
    expected = message.format(parent=root.parent, grandparent=root.parent.parent)
    assert problems(tmp_path, BASE + f'output = "{output}"\n') == [f"site.toml:3: output: {expected}"]


def test_output_override_is_checked_too(tmp_path: Path) -> None:
    assert problems(tmp_path, BASE, output=Path("/")) == ["--output: refusing to use / as the output folder"]
    root = (tmp_path / "site").resolve()
    assert problems(tmp_path, BASE, output=root / "content") == [
        "--output: the output folder may not be content: it holds the site's own files"
    ]


@pytest.mark.parametrize("output", ["output", "public", "build/site", "../site-output"])
def test_acceptable_output_folders(tmp_path: Path, output: str) -> None:
    config = load(tmp_path, BASE + f'output = "{output}"\n')
    assert config.output_dir == ((tmp_path / "site") / output).resolve()


def test_output_override_wins_over_the_file(tmp_path: Path) -> None:
    config = load(tmp_path, BASE + 'output = "public"\n', output=tmp_path / "elsewhere")
    assert config.output_dir == (tmp_path / "elsewhere").resolve()


def test_every_problem_is_reported_together(tmp_path: Path) -> None:
    text = (
        'titel = "Archive"\n'
        'base_url = "example.org"\n'
        "page_size = 0\n"
        'links = "relative"\n'
        'output = "."\n'
        'language = "english"\n'
        '\n[[topics]]\nslug = "Bad Slug"\nlabel = "Bad"\n'
    )
    with pytest.raises(ConfigError) as failure:
        load(tmp_path, text)
    assert failure.value.show().splitlines() == [
        "site.toml: title: required setting is missing",
        'site.toml:1: titel: unknown setting (did you mean "title"?)',
        'site.toml:2: base_url: expected an http(s) URL like https://example.org/archive/, got "example.org"',
        "site.toml:3: page_size: expected a number from 1 to 10000, got 0",
        'site.toml:4: links: expected "clean" or "offline", got "relative"',
        'site.toml:5: output: the output folder may not be the site folder itself: choose a folder inside it, like "output"',
        'site.toml:6: language: expected a language code like en or pt-BR, got "english"',
        "site.toml:8: topics[1].slug: expected lowercase words joined by '-', got \"Bad Slug\"",
        "build failed: 8 problems",
    ]
