"""Unit tests of generator.frontmatter.parse_front_matter: splitting, typing and validating fields."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from generator import frontmatter
from generator.config import SiteConfig
from generator.frontmatter import FrontMatter, parse_front_matter
from generator.model import Credit, Source, Topic
from generator.sources import read_source

CONFIG = SiteConfig(
    root=Path("/site"),
    title="Test archive",
    base_url="https://example.org/",
    topics=(Topic("conflict", "Conflict"), Topic("human-rights", "Human rights")),
)
PATH = "content/2020/02/talks.md"


def parse(text: str, config: SiteConfig = CONFIG) -> tuple[FrontMatter | None, list[str]]:
    matter, problems = parse_front_matter(Source(PATH, text, "digest"), config)
    return matter, [str(p) for p in problems]


def article(*lines: str, title: str | None = "Talks resume", date: str | None = "2020-02-18") -> str:
    """YAML front matter with a title and date (None leaves one out), then ``lines``, then a body."""
    head = [f"title: {title}"] if title is not None else []
    head += [f"date: {date}"] if date is not None else []
    return "---\n" + "\n".join([*head, *lines]) + "\n---\n\nBody text.\n"


def toml(*lines: str) -> str:
    """TOML front matter with a title and date, then ``lines``."""
    return '+++\ntitle = "Talks"\ndate = 2020-02-18\n' + "\n".join(lines) + "\n+++\nBody\n"


def ok(text: str, config: SiteConfig = CONFIG) -> FrontMatter:
    matter, problems = parse(text, config)
    assert matter is not None, problems
    assert not problems
    return matter


def errors(text: str) -> list[str]:
    matter, problems = parse(text)
    assert matter is None
    return problems


def test_yaml_front_matter_fields() -> None:
    matter = ok(
        article(
            'summary: "Turkey had pulled out: two weeks."',
            "source: The Moscow Times",
            "source_url: https://themoscowtimes.com/a",
            "authors: [Jane Doe, Jane Doe, Ali Veli]",
            "countries: [Turkey, Russia]",
            "topics: [conflict]",
            "tags: [joint patrols]",
            "language: pt-BR",
        )
    )
    assert (matter.title, matter.summary) == ("Talks resume", "Turkey had pulled out: two weeks.")
    assert (matter.source, matter.source_url) == ("The Moscow Times", "https://themoscowtimes.com/a")
    assert matter.authors == ("Jane Doe", "Ali Veli")
    assert [c.code for c in matter.countries] == ["TR", "RU"]
    assert [t.slug for t in matter.topics] == ["conflict"]
    assert [(t.slug, t.label) for t in matter.tags] == [("joint-patrols", "joint patrols")]
    assert (matter.language, matter.slug, matter.draft) == ("pt-BR", "talks-resume", False)
    assert (matter.body, matter.body_line) == ("\nBody text.\n", 13)


def test_toml_front_matter_fields() -> None:
    text = (
        '+++\ntitle = "Talks resume"\ndate = 2020-02-18\ncountries = ["NO", "Syria"]\n'
        'topics = ["Human rights"]\ndraft = true\n\n[credits]\nphoto = "Jane Doe"\n+++\nBody\n'
    )
    matter = ok(text)
    assert (matter.title, matter.published) == ("Talks resume", datetime(2020, 2, 18, tzinfo=UTC))
    assert [c.code for c in matter.countries] == ["NO", "SY"]
    assert [t.slug for t in matter.topics] == ["human-rights"]
    assert matter.credits == (Credit("Jane Doe", "photo"),)
    assert (matter.draft, matter.body, matter.body_line) == (True, "Body\n", 11)


def test_defaults() -> None:
    matter = ok(article())
    assert (matter.summary, matter.source, matter.updated, matter.has_time, matter.language) == (
        None,
        None,
        None,
        False,
        "en",
    )
    assert matter.authors == matter.credits == matter.countries == matter.topics == matter.tags == ()


MIDNIGHT, HALF_NINE = datetime(2020, 2, 18, tzinfo=UTC), datetime(2020, 2, 18, 9, 30, tzinfo=UTC)
HALF_NINE_PLUS3 = HALF_NINE.replace(tzinfo=timezone(timedelta(hours=3)))
YAML_DATE, TOML_DATE = article(date="{}", title="Talks"), '+++\ntitle = "Talks"\ndate = {}\n+++\n'


@pytest.mark.parametrize(
    ("template", "value", "moment", "has_time"),
    [
        *[(YAML_DATE, v, MIDNIGHT, False) for v in ("2020-02-18", "'2020-02-18'")],
        (YAML_DATE, "2020-02-18T09:30:00+03:00", HALF_NINE_PLUS3, True),
        *[
            (YAML_DATE, v, HALF_NINE, True)
            for v in ("2020-02-18T09:30:00Z", "2020-02-18 09:30", "2020-02-18T09:30")
        ],
        *[(TOML_DATE, v, MIDNIGHT, False) for v in ("2020-02-18", '"2020-02-18"')],
        (TOML_DATE, "2020-02-18T09:30:00+03:00", HALF_NINE_PLUS3, True),
        *[(TOML_DATE, v, HALF_NINE, True) for v in ("2020-02-18T09:30:00Z", "2020-02-18T09:30:00")],
    ],
)
def test_dates(template: str, value: str, moment: datetime, has_time: bool) -> None:
    """Dates without a time are midnight UTC; naive times are taken as UTC; offsets are kept."""
    matter = ok(template.replace("{}", value))
    assert (matter.published, matter.has_time) == (moment, has_time)
    assert matter.published.utcoffset() == moment.utcoffset()


@pytest.mark.parametrize(
    ("field", "codes"),
    [
        ("countries: NO", ["NO"]),
        ("countries: [NO, no, Norway]", ["NO"]),
        ("countries: [Türkiye, Turkey, TR, TUR]", ["TR"]),
        ("countries: [Syria, Turkey, Syria]", ["SY", "TR"]),
        ("countries:\n  - côte d'ivoire\n  - ' the United Kingdom '", ["CI", "GB"]),
    ],
)
def test_countries_normalised_and_deduplicated(field: str, codes: list[str]) -> None:
    assert [c.code for c in ok(article(field)).countries] == codes


def test_yaml_11_booleans_stay_text() -> None:
    assert errors(article("countries: [NO, on, y]")) == [
        f'{PATH}:4: countries: unknown country "on"',
        f'{PATH}:4: countries: unknown country "y"',
    ]


@pytest.mark.parametrize("title", ["1.10", "012", "yes", "off", "1e3", "0x1F", "2020-02-18", ".inf", "true"])
def test_scalars_that_yaml_11_would_convert_stay_text(title: str) -> None:
    assert ok(article(title=title)).title == title


def _shape(node: yaml.Node | None) -> object:
    """A composed node as plain data: kind, style, place and contents; its tag left out."""
    if node is None:
        return None
    place = (type(node).__name__, node.start_mark.line, node.start_mark.column, node.end_mark.index)
    if isinstance(node, yaml.ScalarNode):
        return (*place, node.style or None, node.value)
    if isinstance(node, yaml.SequenceNode):
        return (*place, node.flow_style, [_shape(item) for item in node.value])
    return (*place, node.flow_style, [(_shape(k), _shape(v)) for k, v in node.value])


@pytest.mark.parametrize(
    "block",
    [
        'title: "Talks resume"\ndate: 2020-02-18\ncountries: [NO, "GB", de]\ndraft: no',
        "tags:\n  - one\n  - 'two'\n  - 3\nsummary: >\n  folded\n  text\nempty:\nnull: ~",
        "credits: {photo: A. B., text: C}\nnested:\n  deeper: [1, [2, {x: y}]]\n? complex\n: key",
        "a: &x [1, 2]\nb: *x\nc:\n  <<: {k: v}\nd: !!str 12\ne: !custom value\nf: |\n  kept\n",
        "",
        "# only a comment",
    ],
)
def test_the_loader_composes_as_pyyamls_tags_aside(block: str) -> None:
    """Front matter is composed without PyYAML's type resolver (frontmatter._Loader): what it reads
    of the nodes, their kind, style, place and text, is as PyYAML's own safe loader gives."""
    ours = yaml.compose(block, Loader=frontmatter._Loader)
    theirs = yaml.compose(block, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    assert _shape(ours) == _shape(theirs)


def test_alias_bomb_is_refused_without_expanding() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [
        f"{n}: &{n} [" + ",".join([f"*{p}"] * 9) + "]" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    ]
    # Expanded, the bomb holds 9**9 strings; refused unexpanded it costs next to nothing.
    tracemalloc.start()
    problems = errors(article(*lines))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 5_000_000
    alias = "YAML anchors and aliases (&, *) are not allowed in front matter"
    assert problems == [f"{PATH}:5: b: {alias}"]


def test_unknown_field_is_a_warning_with_did_you_mean() -> None:
    matter, problems = parse(article("autor: Jane Doe", "mood: grim"))
    assert matter is not None
    assert problems == [
        f'{PATH}:4: warning: autor: unknown field (did you mean "authors"?)',
        f"{PATH}:5: warning: mood: unknown field",
    ]


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Turkey Rejoins Joint Russian Patrols in Syria", "turkey-rejoins-joint-russian-patrols-in-syria"),
        ("'Café au lait: 3 % more'", "cafe-au-lait-3-more"),
        ("Ünïcode Ελληνικά Привет", "unicode-ellenika-privet"),
        ("北京", "bei-jing"),
        ("Kyiv / Київ", "kyiv-kiiv"),
        ("word " * 40, "-".join(["word"] * 16)),
    ],
)
def test_slug_from_title(title: str, slug: str) -> None:
    assert ok(article(title=title)).slug == slug


@pytest.mark.parametrize("slug", ["talks-resume", "2020", "Talks", "سوريا", "a"])
def test_valid_explicit_slugs(slug: str) -> None:
    assert ok(article(f"slug: {slug}")).slug == slug


def test_title_without_letters_can_have_a_slug() -> None:
    assert ok(article("slug: exclamations", title="'!!!'")).slug == "exclamations"


def test_tags_slugified_unicode_aware_and_deduplicated() -> None:
    tags = ok(
        article("tags: [Idlib offensive, idlib Offensive, Café, Привет мир, İstanbul, Istanbul, 北京]")
    ).tags
    assert [(t.slug, t.label) for t in tags] == [
        ("idlib-offensive", "Idlib offensive"),
        ("café", "Café"),
        ("привет-мир", "Привет мир"),
        ("istanbul", "İstanbul"),
        ("北京", "北京"),
    ]


def test_topics_by_slug_or_label_deduplicated_in_order() -> None:
    topics = ok(
        article("topics: [Human rights, conflict, human-rights, CONFLICT, Human Rights, Conflict]")
    ).topics
    assert [t.slug for t in topics] == ["human-rights", "conflict"]


@pytest.mark.parametrize(
    ("value", "config", "suffix"),
    [
        ("conflit", CONFIG, ' (did you mean "conflict"?)'),
        ("human right", CONFIG, ' (did you mean "human-rights"?)'),
        ("sport", CONFIG, " (site.toml lists: conflict, human-rights)"),
        (
            "conflict",
            SiteConfig(root=Path("/site"), title="T", base_url="/"),
            " (site.toml defines no [[topics]])",
        ),
    ],
)
def test_unknown_topic(value: str, config: SiteConfig, suffix: str) -> None:
    matter, problems = parse(article(f"topics: [{value}]"), config)
    assert matter is None
    assert problems == [f'{PATH}:4: topics: unknown topic "{value}"{suffix}']


@pytest.mark.parametrize(
    ("lines", "credits"),
    [
        (["credits: [Reuters, AP, Reuters]"], (Credit("Reuters"), Credit("AP"))),
        (["credits: Reuters contributed reporting."], (Credit("Reuters contributed reporting."),)),
        (
            ["credits:", "  agency: Reuters", "  photo: syria.mil.ru"],
            (Credit("Reuters", "agency"), Credit("syria.mil.ru", "photo")),
        ),
    ],
)
def test_credits_as_list_or_table(lines: list[str], credits: tuple[Credit, ...]) -> None:
    assert ok(article(*lines)).credits == credits


@pytest.mark.parametrize(
    ("text", "draft"),
    [(article(f"draft: {v}"), v.lower() == "true") for v in ("true", "false", "True", "FALSE", "~")]
    + [(toml(f"draft = {v}"), v.strip('"') == "true") for v in ("true", "false", '"true"')],
)
def test_draft(text: str, draft: bool) -> None:
    assert ok(text).draft is draft


DATE = "expected a date like 2020-02-18 or 2020-02-18T09:30:00+03:00, got"
NOT_REAL = "is not a real date or time (check the day, month and hour)"
ONLY = 'may hold only letters, digits and "-" (no "/", ".", spaces or other marks)'

# (text, the one expected problem): each names the line of the file the problem is on.
PROBLEMS = {
    "no title": (article(title=None), "1: title: required field is missing"),
    "no date": (article(date=None), "1: date: required field is missing"),
    "title ~": (article(title="~"), "2: title: required field is missing"),
    "title empty": (article(title=""), "2: title: required field is missing"),
    "title quoted empty": (article(title='""'), "2: title: must not be empty"),
    "title list": (article(title="[Talks, Geneva]"), "2: title: expected text, got a list"),
    "title table": (article(title="{a: b}"), "2: title: expected text, got a table"),
    "date yesterday": (article(date="yesterday"), f'3: date: {DATE} "yesterday"'),
    "date 10:00": (article(date="10:00"), f'3: date: {DATE} "10:00"'),
    "date list": (article(date="[2020-02-18]"), f"3: date: {DATE} a list"),
    "date feb 30": (article(date="2020-02-30"), f'3: date: "2020-02-30" {NOT_REAL}'),
    "date 25h": (article(date="2020-02-18T25:00"), f'3: date: "2020-02-18T25:00" {NOT_REAL}'),
    "toml time": (
        '+++\ntitle = "T"\ndate = 09:30:00\n+++\n',
        f"3: date: {DATE} a time of day (09:30:00) without a date",
    ),
    "updated": (article("updated: soon"), f'4: updated: {DATE} "soon"'),
    "slug ../x": (article("slug: ../x"), f'4: slug: "../x" {ONLY}'),
    "slug /etc/passwd": (article("slug: /etc/passwd"), f'4: slug: "/etc/passwd" {ONLY}'),
    "slug a/b": (article("slug: a/b"), f'4: slug: "a/b" {ONLY}'),
    "slug spaces": (article('slug: "two words"'), f'4: slug: "two words" {ONLY}'),
    "slug -talks": (article("slug: -talks"), f'4: slug: "-talks" {ONLY}'),
    "slug NUL": (article('slug: "a\\0b"'), f'4: slug: "a\\x00b" {ONLY}'),
    "slug con": (article("slug: con"), '4: slug: "con" is a reserved name'),
    "slug page": (article("slug: page"), '4: slug: "page" is a reserved name'),
    "slug 300": (article("slug: " + "a" * 300), "4: slug: longer than 120 characters"),
    "draft yes": (article("draft: yes"), '4: draft: expected true or false, got "yes"'),
    "draft 1": (article("draft: 1"), '4: draft: expected true or false, got "1"'),
    "draft list": (article("draft: [true]"), "4: draft: expected true or false, got a list"),
    "toml draft 1": (toml("draft = 1"), "4: draft: expected true or false, got 1"),
    "country": (
        article("countries:", "  - Syria", "  - Frence"),
        '6: countries: unknown country "Frence" (did you mean "France"?)',
    ),
    "mentioned": (
        article("countries_mentioned: [Narnia]"),
        '4: countries_mentioned: unknown country "Narnia" (did you mean "Armenia"?)',
    ),
    "nested list": (
        article("countries:", "  - [Syria]"),
        "5: countries: expected a list of text, got a list",
    ),
    "credit table": (article("credits:", "  photo: [a]"), "4: credits: photo: expected text, got a list"),
    "language": (
        article("language: english"),
        '4: language: expected a language code like en or pt-BR, got "english"',
    ),
    "source_url": (
        article("source_url: ftp://example.org"),
        '4: source_url: expected an http(s) URL, got "ftp://example.org"',
    ),
    "empty file": ("", "1: empty file: an article needs front matter and a body"),
    "no front matter": (
        "# Talks\n\nBody\n",
        "1: no front matter: start the file with a '---' line, then title: and date:",
    ),
    "unclosed": ("---\ntitle: Talks\n\nBody\n", "1: front matter is not closed: add a '---' line after it"),
    "unclosed toml": (
        '+++\ntitle = "Talks"\n---\n',
        "1: front matter is not closed: add a '+++' line after it",
    ),
    "not a mapping": ("---\n- a\n- b\n---\n", "2: front matter must be a set of 'key: value' lines"),
    "key not plain": (article("[a]: b"), "4: front matter keys must be plain words"),
    "too deep": (article("credits: [[[[[a]]]]]"), "4: credits: nested too deeply"),
    "yaml list": (
        article("countries: [Syria, Turkey", "topics: [conflict]"),
        '4: YAML syntax error: a [list] is not closed: add the missing "]" or a "," between items',
    ),
    "yaml table": (
        article("credits: {photo: X", "topics: [conflict]"),
        '4: YAML syntax error: a {table} is not closed: add the missing "}" or a "," between items',
    ),
    "yaml quote": (
        article('summary: "Talks', "topics: [conflict]"),
        "4: YAML syntax error: a quoted value is not closed: add the missing closing quote",
    ),
    "yaml colon": (
        article(title="Breaking: talks resume"),
        '2: YAML syntax error: a ": " inside a value: put the whole value in quotes, like title: "Breaking: talks resume"',
    ),
    "yaml indent": (
        article("summary: Short", "  source: AP"),
        "5: YAML syntax error: this line is indented, but the line above already has a value: remove the indent",
    ),
    "yaml quotes": (
        article(title="'It's here'"),
        '2: YAML syntax error: this is not a "key: value" line: check its quotes (a value that starts with one ends with it)',
    ),
    "yaml tab": (
        article("countries:", "\t- Syria"),
        "5: YAML syntax error: a tab is used for indenting: YAML needs spaces",
    ),
    "yaml @": (
        article(title="@home"),
        '2: YAML syntax error: a value cannot start with "@": put the whole value in quotes',
    ),
    "toml unquoted": (
        "+++\ntitle = Talks\n+++\n",
        '2: TOML syntax error: this value is not valid: put text in quotes, like title = "My title"',
    ),
    "toml string": (
        '+++\ntitle = "Talks\ndate = 2020-02-18\n+++\n',
        '2: TOML syntax error: a quoted value is not closed: add the missing " at the end of the line',
    ),
    "toml array": (
        toml('countries = ["Syria"'),
        '4: TOML syntax error: a [list] is not closed: add the missing "]"',
    ),
    "alias": (
        article("summary: &s Short", "source: *s"),
        "5: source: YAML anchors and aliases (&, *) are not allowed in front matter",
    ),
    "toml dup at end": (toml('title = "Again"'), "4: TOML syntax error: this key is already set above"),
    "toml dup": (
        toml('title = "Again"', "draft = true"),
        "4: TOML syntax error: this key is already set above",
    ),
    "duplicate key": (article("title: Again"), "4: title: set twice (first on line 2)"),
    "tag": (article("tags:", "  - fine", "  - '!!!'"), '6: tags: tag "!!!" has no letters or digits'),
    "unsluggable title": (
        article(title="'!!!'"),
        "2: title: cannot make a URL slug from this title: set slug: in the front matter",
    ),
}


@pytest.mark.parametrize(("text", "message"), PROBLEMS.values(), ids=PROBLEMS.keys())
def test_problem_names_its_line(text: str, message: str) -> None:
    assert errors(text) == [f"{PATH}:{message}"]


def test_every_problem_is_reported_on_its_own_line() -> None:
    # Lines:      4             5          6             7                            8        9         10
    lines = [
        "countries:",
        "  - Syria",
        "  - Narnia",
        "topics: [conflict, sport]",
        "tags:",
        "  - ok",
        "  - '???'",
    ]
    text = article(*lines, "draft: perhaps", date="someday")  # draft on line 11, date on line 3
    assert [p.split(": ", 1)[0] for p in errors(text)] == [f"{PATH}:{n}" for n in (3, 6, 7, 10, 11)]


@pytest.mark.parametrize(("bom", "newline"), [("\ufeff", "\r\n"), ("\ufeff", "\n"), ("", "\r\n"), ("", "\r")])
def test_bom_and_crlf_file_is_valid(bom: str, newline: str, tmp_path: Path) -> None:
    path = tmp_path / "content/talks.md"
    path.parent.mkdir()
    path.write_bytes((bom + article("countries: [Syria]")).replace("\n", newline).encode())
    source = read_source(tmp_path, path)
    assert isinstance(source, Source) and source.text == article("countries: [Syria]")
    matter, problems = parse_front_matter(source, CONFIG)
    assert matter is not None and not problems
    assert (matter.title, matter.body_line) == ("Talks resume", 6)
