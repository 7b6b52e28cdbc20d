"""``dateline import``: raw inputs in, clean tagged articles out, one outcome per article for the report.

The batch never stops for one bad input: each failure becomes an outcome with its message.
Plain-text dumps are read first as a whole, so lines that recur across an outlet's articles
can be recognised as boilerplate before any single dump is cleaned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from slugify import slugify

from generator import __version__
from generator.errors import UsageError
from generator.frontmatter import parse_front_matter
from generator.importer.boilerplate import repeated_lines
from generator.importer.countrytags import CountryTags, country_name, tag_countries
from generator.importer.draft import Draft, InputError
from generator.importer.feeds import feed_drafts
from generator.importer.htmlpage import html_draft
from generator.importer.plaintext import clean_text
from generator.importer.profiles import OutletProfile, find_profile, profile_for_url
from generator.importer.reading import RawInput, collect, read_input
from generator.importer.settings import ImportSettings, load_settings
from generator.importer.topictags import TopicTags, tag_topics
from generator.importer.writer import DRAFTS, ContentIndex, render, write_atomic
from generator.model import Source

_CREDIT_ORDER = ("agency", "photo")


@dataclass(frozen=True)
class ImportOptions:
    date: date | None = None
    source: str | None = None
    profile: str | None = None
    dry_run: bool = False
    force: bool = False


@dataclass
class Outcome:
    """What became of one input (or one feed entry)."""

    name: str
    status: str = "failed"  # new, replaced, renamed, skipped, failed
    path: Path | None = None
    message: str = ""
    draft: bool = False
    kept: list[str] = field(default_factory=list)
    dropped: list[tuple[int | None, str, str]] = field(default_factory=list)  # (line, text, why)
    tags: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def run_import(
    site: Path, inputs: list[Path], options: ImportOptions
) -> tuple[ImportSettings, list[Outcome]]:
    settings = load_settings(site)
    chosen = _chosen_profile(options.profile, settings.profiles)
    files = collect(inputs)
    if not files:
        raise UsageError("nothing to import: no such files, or no .txt, .html or feed files in those folders")
    raws: list[RawInput | Outcome] = []
    for path in files:
        try:
            raws.append(read_input(path, path.name))
        except InputError as exc:
            raws.append(Outcome(path.name, message=str(exc)))
    profiles = {id(r): chosen or _detect(r, settings.profiles) for r in raws if isinstance(r, RawInput)}
    boilerplate = _batch_boilerplate([r for r in raws if isinstance(r, RawInput)], profiles, options)
    index = ContentIndex(settings.config.content_dir)
    outcomes: list[Outcome] = []
    for raw in raws:
        if isinstance(raw, Outcome):
            outcomes.append(raw)
            continue
        for made in _drafts(raw, profiles[id(raw)], boilerplate, options):
            if isinstance(made, Outcome):
                outcomes.append(made)
                continue
            made.notes[:0] = raw.notes
            outcomes.append(_finish(made, settings, index, options))
    return settings, outcomes


def _chosen_profile(name: str | None, profiles: tuple[OutletProfile, ...]) -> OutletProfile | None:
    if name is None:
        return None
    found = find_profile(name, profiles)
    if found is None:
        known = ", ".join(f'"{p.name}"' for p in profiles)
        raise UsageError(f'--profile: no outlet profile "{name}" (known: {known}); add one to site.toml')
    return found


def _detect(raw: RawInput, profiles: tuple[OutletProfile, ...]) -> OutletProfile | None:
    if raw.kind != "text":
        return None
    lines = [line.strip() for line in raw.text.splitlines() if line.strip()]
    return next((p for p in profiles if p.recognises(lines)), None)


def _batch_boilerplate(
    raws: list[RawInput], profiles: dict[int, OutletProfile | None], options: ImportOptions
) -> dict[str, frozenset[str]]:
    groups: dict[str, list[str]] = {}
    for raw in raws:
        if raw.kind == "text":
            groups.setdefault(_group(raw, profiles[id(raw)], options), []).append(raw.text)
    return {key: repeated_lines(texts) for key, texts in groups.items()}


def _group(raw: RawInput, profile: OutletProfile | None, options: ImportOptions) -> str:
    # Without a profile or --source, files of one folder are taken to come from one outlet.
    return profile.name if profile else options.source or str(raw.path.parent)


def _drafts(
    raw: RawInput,
    profile: OutletProfile | None,
    boilerplate: dict[str, frozenset[str]],
    options: ImportOptions,
) -> list[Draft | Outcome]:
    try:
        if raw.kind == "feed":
            made = feed_drafts(raw.data, raw.name)
            return [
                Outcome(m.origin or raw.name, message=str(m)) if isinstance(m, InputError) else m
                for m in made
            ]
        draft = Draft(origin=raw.name, digest=raw.digest)
        if raw.kind == "html":
            return [html_draft(raw.text, draft)]
        return [_text_draft(raw, draft, profile, boilerplate[_group(raw, profile, options)])]
    except InputError as exc:
        return [Outcome(raw.name, message=str(exc))]
    except Exception as exc:  # one odd input must not stop the batch; its message says what broke
        return [Outcome(raw.name, message=f"could not be read ({type(exc).__name__}: {exc})")]


def _text_draft(
    raw: RawInput, draft: Draft, profile: OutletProfile | None, repeated: frozenset[str]
) -> Draft:
    cleaned = clean_text(raw.text, profile, repeated)
    if not cleaned.paragraphs:
        raise InputError("no article text found: no line reads as running text")
    draft.title, draft.summary = cleaned.title, cleaned.dek
    draft.body = "\n\n".join(cleaned.paragraphs)
    draft.authors, draft.credits = cleaned.authors, cleaned.credits
    draft.dropped = [(n, text, why) for n, text, why in cleaned.dropped]
    if profile:
        draft.source, draft.ignore_names = profile.name, profile.names
    draft.date_hint = cleaned.date_hint
    return draft


def _finish(draft: Draft, settings: ImportSettings, index: ContentIndex, options: ImportOptions) -> Outcome:
    out = Outcome(draft.origin, warnings=list(draft.notes))
    by_url = profile_for_url(draft.source_url, settings.profiles)
    if by_url:
        draft.source, draft.ignore_names = by_url.name, by_url.names
    draft.source = options.source or draft.source
    made_title = not draft.title
    if not draft.title:
        words = draft.paragraphs[0].split()[:12] if draft.paragraphs else []
        if not words:
            out.message = "no article text found"
            return out
        draft.title = " ".join(words).rstrip(".,;:") + "…"
        out.warnings.append("no title found: made one from the first words; correct title: in the file")
    ignore = (*draft.ignore_names, *([draft.source] if draft.source else []))
    # A title made from the first words would count them twice.
    title = "" if made_title else draft.title
    countries = tag_countries(title, draft.summary, draft.body, ignore=ignore)
    topics = tag_topics(title, draft.summary, draft.body, settings.topics)
    published = draft.published or options.date
    out.draft = published is None
    slug = slugify(draft.title, max_length=80, word_boundary=True) or "article"
    folder = DRAFTS if published is None else f"{published:%Y/%m}"
    place = index.place(folder, slug, draft.digest, force=options.force)
    fields = {
        "title": draft.title,
        "date": published,
        "summary": draft.summary,
        "source": draft.source,
        "source_url": draft.source_url,
        "authors": draft.authors,
        "credits": {k: draft.credits[k] for k in sorted(draft.credits, key=_credit_rank)},
        "countries": [country_name(c) for c in countries.main],
        "countries_mentioned": [country_name(c) for c in countries.mentioned],
        "topics": list(topics.chosen),
        "language": draft.language or settings.config.language,
        "slug": place.slug if place.slug != slug else None,
        "draft": True if out.draft else None,
        "provenance": {"file": draft.origin, "sha256": draft.digest, "dateline": __version__},
    }
    comments = (
        {"draft": "no publication date known: add date: YYYY-MM-DD, then remove this line"}
        if out.draft
        else None
    )
    text = render(fields, draft.body, comments=comments)
    out.path, out.status = place.path, place.action
    _describe(out, draft, countries, topics)
    if place.action == "skip":
        # Nothing is written, so neither the draft warning nor the --date hint applies: the
        # article on disk keeps whatever date it has.
        out.draft = False
        out.message = f"already imported as {place.path.name} (same content hash); --force replaces it"
        return out
    if draft.date_hint:
        out.warnings.append(
            f'the text shows a date ("{draft.date_hint}"): if it is the publication date, use --date'
        )
    if out.draft:
        out.warnings.append(
            "no publication date in the input: written as a draft; pass --date YYYY-MM-DD, "
            "or set date: in the file and remove draft: true"
        )
    problems = _validate(text, settings, place.path)
    if problems:
        out.status, out.message = "failed", "; ".join(problems)
        return out
    if not options.dry_run:
        try:
            write_atomic(place.path, text)
        except OSError as exc:
            out.status, out.message = "failed", f"cannot write {place.path.name}: {exc.strerror or exc}"
            return out
        index.remember(draft.digest, place.path)
    if place.action == "renamed" and place.existing is not None:
        out.message = f"{place.existing.name} is another article: written with a suffix"
    return out


def _credit_rank(role: str) -> tuple[int, str]:
    return (_CREDIT_ORDER.index(role) if role in _CREDIT_ORDER else len(_CREDIT_ORDER), role)


def _validate(text: str, settings: ImportSettings, path: Path) -> list[str]:
    """The build's own front-matter check, so every written article builds."""
    rel = (
        path.relative_to(settings.config.root).as_posix()
        if path.is_relative_to(settings.config.root)
        else str(path)
    )
    _, problems = parse_front_matter(Source(rel, text, ""), settings.config)
    return [str(p) for p in problems if p.severity == "error"]


def _describe(out: Outcome, draft: Draft, countries: CountryTags, topics: TopicTags) -> None:
    paragraphs = len(draft.paragraphs)
    out.kept.append(f'title: "{draft.title}"')
    if draft.summary:
        out.kept.append(f'summary: "{_short(draft.summary)}"')
    out.kept.append(f"body: {paragraphs} paragraph{'s' if paragraphs != 1 else ''}")
    out.kept += [f"credit ({role}): {text}" for role, text in draft.credits.items()]
    if draft.authors:
        out.kept.append(f"authors: {', '.join(draft.authors)}")
    out.dropped = list(draft.dropped)
    for code in countries.main:
        out.tags.append(f"country {country_name(code)}: main, {countries.reasons(code)}")
    for code in countries.mentioned:
        out.tags.append(f"country {country_name(code)}: mentioned, {countries.reasons(code)}")
    out.tags += [f"not a country: {line}" for line in countries.ignored()]
    out.tags += [f"topic {slug}: {topics.reasons(slug)}" for slug in topics.chosen]


def _short(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
