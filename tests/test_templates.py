"""The Jinja environment: site templates over the theme, autoescape, errors located at template lines."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
from conftest import MakeSite
from markupsafe import Markup

from generator.templates import TemplateSet, _printed, load_templates
from generator.views import ArticleCard, GroupView, Link, PageView, SiteView

SITE = SiteView(
    title="Fixture archive",
    description="A site written by a test",
    language="en",
    home_url="/",
    nav=(Link("Home", "/", current=True),),
    stylesheets=("/assets/style.css",),
    icon="/assets/favicon.svg",
    generator="Dateline test",
)
PAGE = PageView(
    kind="404",
    title="Page not found",
    head_title="Page not found · Fixture archive",
    description="",
    language="en",
    direction="ltr",
    canonical_url="https://example.org/404.html",
)


def templates_of(make_site: MakeSite, files: dict[str, str | bytes]) -> TemplateSet:
    return load_templates(make_site(files))


def render(templates: TemplateSet, name: str, **values: object) -> str:
    return templates.env.get_template(name).render(site=SITE, page=PAGE, **values)


def failure(templates: TemplateSet, name: str, **values: object) -> str:
    """The one-line message a build shows for the error that rendering ``name`` raises."""
    with pytest.raises(jinja2.TemplateError) as raised:
        render(templates, name, **values)
    return str(templates.diagnostic(raised.value, name))


def test_the_theme_draws_a_site_without_templates(make_site: MakeSite) -> None:
    templates = templates_of(make_site, {})
    assert templates.where(templates.env.get_template("404.html").filename) == "<default theme>/404.html"
    html = render(templates, "404.html")
    assert '<html lang="en" dir="ltr">' in html
    assert "<h1>Page not found</h1>" in html


def test_a_site_template_overrides_the_theme_and_can_extend_it(make_site: MakeSite) -> None:
    templates = templates_of(
        make_site,
        {
            "templates/404.html": """\
                {% extends "base.html" %}
                {% block content %}<p class="mine">Lost: {{ page.title }}</p>{% endblock %}
                """
        },
    )
    assert templates.where(templates.env.get_template("404.html").filename) == "templates/404.html"
    assert templates.where(templates.env.get_template("base.html").filename) == "<default theme>/base.html"
    html = render(templates, "404.html")
    assert '<p class="mine">Lost: Page not found</p>' in html
    assert '<nav class="site-nav" aria-label="Main">' in html  # from the theme's base.html
    assert "The page you asked for is not in this archive" not in html  # the theme's 404 is not used


def test_a_site_partial_overrides_the_theme_inside_theme_templates(make_site: MakeSite) -> None:
    # The theme's home.html includes partials/cards.html: the site's copy is the one found.
    templates = templates_of(make_site, {"templates/partials/cards.html": "<p>my cards</p>\n"})
    home = PageView(**{**PAGE.__dict__, "kind": "home", "title": "Fixture archive"})
    html = templates.env.get_template("home.html").render(site=SITE, page=home)
    assert "<p>my cards</p>" in html
    assert "No articles yet." not in html


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {"templates/x.html": "<p>\n  {{ page.title }}\n  {{ page.nope }}\n</p>\n"},
            'templates/x.html:3: undefined variable: PageView has no field "nope" '
            "(the fields templates get are listed in generator/views.py)",
            id="field",
        ),
        pytest.param(
            {"templates/x.html": "<p>{{ site.title }}</p>\n{{ headline }}\n"},
            "templates/x.html:2: undefined variable: 'headline' is undefined",
            id="name",
        ),
        pytest.param(
            {"templates/x.html": "{% for link in site.nav %}\n{{ link.href }}\n{% endfor %}\n"},
            'templates/x.html:2: undefined variable: Link has no field "href" '
            "(the fields templates get are listed in generator/views.py)",
            id="loop",
        ),
        pytest.param(
            {
                "templates/x.html": "<main>\n{% include 'partials/y.html' %}\n</main>\n",
                "templates/partials/y.html": "<p>ok</p>\n<p>ok</p>\n<p>{{ page.nope }}</p>\n",
            },
            'templates/partials/y.html:3: undefined variable: PageView has no field "nope" '
            "(the fields templates get are listed in generator/views.py)",
            id="included",
        ),
        pytest.param(
            {
                "templates/x.html": (
                    '{% extends "base.html" %}\n{% block content %}\n<p>fine</p>\n'
                    "<p>{{ page.article.title }}</p>\n{% endblock %}\n"
                )
            },
            "templates/x.html:4: undefined variable: 'None' has no attribute 'title'",
            id="extends-theme",
        ),
    ],
)
def test_an_undefined_variable_is_reported_at_its_template_line(
    make_site: MakeSite, files: dict[str, str | bytes], expected: str
) -> None:
    assert failure(templates_of(make_site, files), "x.html") == expected


def test_a_syntax_error_is_reported_at_its_line(make_site: MakeSite) -> None:
    templates = templates_of(make_site, {"templates/x.html": "<p>fine</p>\n{% if %}\n{% endif %}\n"})
    message = failure(templates, "x.html")
    assert message.startswith("templates/x.html:2: template syntax error: ")


def test_a_template_that_is_not_utf8_is_reported_at_its_line(make_site: MakeSite) -> None:
    templates = templates_of(make_site, {"templates/x.html": b"<p>fine</p>\n<p>caf\xe9</p>\n"})
    assert failure(templates, "x.html").startswith("templates/x.html:2: ")


def test_a_missing_parent_template_is_named_where_it_is_used(make_site: MakeSite) -> None:
    templates = templates_of(make_site, {"templates/x.html": "\n\n{% extends 'layout.html' %}\n"})
    with pytest.raises(jinja2.TemplateError) as raised:
        templates.digest("x.html")
    assert (
        str(templates.diagnostic(raised.value, "x.html"))
        == "templates/x.html:3: template not found: layout.html"
    )


def test_autoescape_is_on_for_site_and_theme_templates(make_site: MakeSite) -> None:
    templates = templates_of(make_site, {"templates/x.html": "{{ text }}|{{ made }}\n"})
    text = '<script>alert("x")</script> & more'
    assert render(templates, "x.html", text=text, made=Markup("<b>safe</b>")) == (
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more|<b>safe</b>\n"
    )
    hostile = PageView(**{**PAGE.__dict__, "title": "<img src=x onerror=alert(1)>"})
    html = templates.env.get_template("404.html").render(site=SITE, page=hostile)
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


PRINTING = """\
{% macro box(x) %}<i>{{ x }}</i>{% endmacro %}
{% macro box_of(x) %}[{{ caller() }}]{{ x }}{% endmacro %}
{% set captured %}<u>{{ text }}</u>{% endset %}
{{ text }}|{{ made }}|{{ number }}|{{ box(text) }}|{{ captured }}|{{ text|e }}|{{ text ~ made }}
{% filter upper %}{{ text }}{% endfilter %}|{% call box_of(text) %}{{ made }}{% endcall %}
{{ box(captured) }}|{{ [text] }}|{{ none }}|{{ "'" }}
"""


def test_templates_print_what_markupsafe_escape_prints(make_site: MakeSite) -> None:
    """Dateline's templates print with their own escape (templates._printed): the page is what
    Jinja with MarkupSafe's escape() makes, for plain text, markup, numbers, macros and captures."""
    templates = templates_of(make_site, {"templates/x.html": PRINTING, "templates/y.html": "{{ missing }}"})
    values = {"text": "<a href=\"x\">'&'</a>", "made": Markup("<b>safe</b>"), "number": 3, "none": None}
    plain = templates.env.overlay()  # the same settings, with Jinja's own template class
    plain.template_class = jinja2.Template
    expected = plain.from_string(PRINTING).render(**values)
    assert "&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;" in expected
    template = templates.env.get_template("x.html")
    assert template.root_render_func.__globals__["escape"] is _printed
    assert template.render(**values) == expected
    with pytest.raises(jinja2.UndefinedError):
        templates.env.get_template("y.html").render()


@pytest.mark.parametrize(
    ("override", "changes"),
    [
        ("base.html", True),  # article.html extends it
        ("partials/cards.html", True),  # included for related articles
        ("404.html", False),  # article.html does not use it
    ],
)
def test_a_template_digest_covers_what_it_extends_and_includes(
    make_site: MakeSite, override: str, changes: bool
) -> None:
    theme_only = load_templates(make_site({}, name="plain"))
    overridden = load_templates(make_site({f"templates/{override}": "<p>mine</p>\n"}, name="custom"))
    assert (theme_only.digest("article.html") != overridden.digest("article.html")) is changes


def _card(country_url: str) -> ArticleCard:
    return ArticleCard(
        title="Talks resume",
        url="/2020/02/talks-resume/",
        date_iso="2020-02-18",
        date_label="18 February 2020",
        summary="Talks resume.",
        source=None,
        countries=(Link("Syria", country_url),),
        topics=(Link("Conflict", "/topics/conflict/"),),
    )


def test_a_card_is_found_by_its_value_in_the_card_memo(tmp_path: Path) -> None:
    """The memo keys cards by value, with a hash each card makes once: an equal card made anew
    (a later build's, after an edit) finds the same output, a card whose link changed does not."""
    card_html = load_templates(tmp_path).env.globals["card_html"]
    first = card_html(_card("/countries/syria/"), 2)
    assert card_html(_card("/countries/syria/"), 2) is first
    changed = card_html(_card("/countries/syria-arab-republic/"), 2)
    assert changed is not first and "/countries/syria-arab-republic/" in changed
    assert hash(_card("/countries/syria/")) == hash(_card("/countries/syria/"))


def test_lists_of_links_are_found_by_value_in_their_memo(tmp_path: Path) -> None:
    """The same lists on every page of a series are rendered once: an equal list made anew (the
    next page's) finds the same output; one whose count or current page differs does not."""
    groups_html = load_templates(tmp_path).env.globals["groups_html"]

    def groups(count: int, current: bool = False) -> tuple[GroupView, ...]:
        return (GroupView("Topics in Syria", (Link("Conflict", "/c/", count, current=current),)),)

    first = groups_html(groups(3), 2)
    assert groups_html(groups(3), 2) is first
    assert '<a href="/c/">Conflict</a> <span class="count">(3)</span>' in first
    assert groups_html(groups(4), 2) is not first
    assert 'aria-current="page"' in groups_html(groups(3, current=True), 2)
    assert "<h3" in groups_html(groups(3), 3)
    assert hash(groups(3)[0]) == hash(groups(3)[0])
