"""Convert a Dateline corpus into Hugo and Pelican sites, build them, and check their outputs.

    python bench/peers.py SITE_DIR DEST_DIR [--tool hugo|pelican|both] [--build]

The peers' config and templates live in bench/peers/hugo and bench/peers/pelican;
bench/peers/README.md says how their sites match a Dateline build.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
PEERS = BENCH / "peers"
TOOLS = ("hugo", "pelican")
PAGE_SIZE = 20


@dataclass(frozen=True)
class Entry:
    """One Dateline article, as read back from its Markdown file."""

    slug: str
    title: str
    date: str  # as written: 2019-03-04 or 2019-03-04T10:15:00+02:00
    summary: str | None
    authors: tuple[str, ...]
    countries: tuple[str, ...]
    topics: tuple[str, ...]
    tags: tuple[str, ...]
    body: str


def _date_text(value: object) -> str:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def read_entry(path: Path) -> Entry:
    _, head, body = path.read_text(encoding="utf-8").split("---\n", 2)
    meta = yaml.safe_load(head)
    return Entry(
        slug=path.stem,
        title=meta["title"],
        date=_date_text(meta["date"]),
        summary=meta.get("summary"),
        authors=tuple(meta.get("authors") or ()),
        countries=tuple(meta.get("countries") or ()),
        topics=tuple(meta.get("topics") or ()),
        tags=tuple(meta.get("tags") or ()),
        body=body.lstrip("\n"),
    )


def read_entries(site_dir: Path) -> list[Entry]:
    return [read_entry(path) for path in sorted((site_dir / "content").rglob("*.md"))]


def _fresh_site(tool: str, dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(PEERS / tool, dest, ignore=shutil.ignore_patterns("__pycache__", "README.md"))
    content = dest / "content"
    content.mkdir(parents=True, exist_ok=True)
    return content


# ---------------------------------------------------------------- Hugo


def hugo_page(entry: Entry) -> str:
    fields = {"title": entry.title, "date": entry.date}
    if entry.summary:
        fields["summary"] = entry.summary
    head = [f"{key}: {json.dumps(value)}" for key, value in fields.items()]
    lists = {
        "authors": entry.authors,
        "countries": entry.countries,
        "topics": entry.topics,
        "tags": entry.tags,
    }
    head += [f"{key}: {json.dumps(list(values))}" for key, values in lists.items() if values]
    return "---\n" + "\n".join(head) + "\n---\n\n" + entry.body


def write_hugo(entries: list[Entry], dest: Path) -> Path:
    """A Hugo site in ``dest``: bench/peers/hugo plus ``content/posts/<slug>.md``."""
    posts = _fresh_site("hugo", dest) / "posts"
    posts.mkdir()
    for entry in entries:
        (posts / f"{entry.slug}.md").write_text(hugo_page(entry), encoding="utf-8")
    return dest


def hugo_command(site: Path, output: Path, cache: Path) -> list[str]:
    hugo = shutil.which("hugo") or "hugo"
    paths = [str(p.resolve()) for p in (site, output, cache)]
    return [hugo, "--source", paths[0], "--destination", paths[1], "--cacheDir", paths[2]]


# ---------------------------------------------------------------- Pelican


def pelican_tags(entry: Entry) -> list[str]:
    """Pelican has one multi-valued taxonomy: countries and topics become prefixed tags."""
    return [
        *entry.tags,
        *(f"country-{code.lower()}" for code in entry.countries),
        *(f"topic-{slug}" for slug in entry.topics),
    ]


def pelican_page(entry: Entry) -> str:
    head = [f"Title: {entry.title}", f"Date: {entry.date}", f"Slug: {entry.slug}"]
    if entry.summary:
        head.append(f"Summary: {entry.summary}")
    if entry.authors:
        head.append(f"Authors: {', '.join(entry.authors)}")
    head.append(f"Tags: {', '.join(pelican_tags(entry))}")
    head.append("Source: Synthetic benchmark corpus")
    return "\n".join(head) + "\n\n" + entry.body


def write_pelican(entries: list[Entry], dest: Path) -> Path:
    """A Pelican site in ``dest``: bench/peers/pelican plus ``content/<slug>.md``."""
    content = _fresh_site("pelican", dest)
    for entry in entries:
        (content / f"{entry.slug}.md").write_text(pelican_page(entry), encoding="utf-8")
    return dest


def pelican_command(site: Path, output: Path, python: str = sys.executable) -> list[str]:
    content, settings, out = (str(p.resolve()) for p in (site / "content", site / "pelicanconf.py", output))
    return [python, "-m", "pelican", content, "-s", settings, "-o", out, "-q"]


# ---------------------------------------------------------------- availability


def available(tool: str, python: str = sys.executable) -> str | None:
    """Why ``tool`` cannot run here, or None when it can."""
    if tool == "hugo" and shutil.which("hugo") is None:
        return "hugo not found (apt-get install -y hugo)"
    if tool == "pelican" and _run([python, "-c", "import pelican, markdown"]) is None:
        return f"pelican or markdown not importable by {python} (pip install pelican markdown)"
    return None


def version(tool: str, python: str = sys.executable) -> str:
    command = (
        [shutil.which("hugo") or "hugo", "version"]
        if tool == "hugo"
        else [python, "-m", "pelican", "--version"]
    )
    text = _run(command)
    return text.strip().splitlines()[0] if text and text.strip() else "unknown"


def _run(command: list[str]) -> str | None:
    """The command's standard output, or None when it fails or cannot start."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError:
        return None
    return done.stdout if done.returncode == 0 else None


# ---------------------------------------------------------------- output checks


@dataclass(frozen=True)
class Expected:
    articles: int
    countries: int
    topics: int
    tags: int
    largest_term: tuple[str, int]  # the tag with most articles, and their number

    @staticmethod
    def of(entries: list[Entry]) -> Expected:
        counts: dict[str, int] = {}
        for entry in entries:
            for tag in entry.tags:
                counts[tag] = counts.get(tag, 0) + 1
        largest = max(sorted(counts.items()), key=lambda item: item[1])
        return Expected(
            articles=len(entries),
            countries=len({c for e in entries for c in e.countries}),
            topics=len({t for e in entries for t in e.topics}),
            tags=len(counts),
            largest_term=largest,
        )


@dataclass(frozen=True)
class Check:
    html: int
    files: int
    found: dict[str, int]
    expected: dict[str, int]

    @property
    def ok(self) -> bool:
        return self.found == self.expected

    def describe(self) -> str:
        wrong = [
            f"{k} {self.found[k]}/{self.expected[k]}"
            for k in self.expected
            if self.found[k] != self.expected[k]
        ]
        status = "complete" if not wrong else "MISSING " + ", ".join(wrong)
        return f"{self.found['articles']} articles, {status}"


ARTICLE_PAGE = re.compile(r"^\d{4}/\d{2}/[^/]+/index\.html$")


def count_files(output: Path) -> tuple[int, int]:
    """(HTML files, all files) under ``output``."""
    files = [p for p in output.rglob("*") if p.is_file()]
    return sum(1 for p in files if p.suffix == ".html"), len(files)


def _terms(folder: Path, prefix: str = "") -> int:
    if not folder.is_dir():
        return 0
    return sum(1 for p in folder.iterdir() if p.name.startswith(prefix) and (p / "index.html").exists())


def _last_page(output: Path, base: str, total: int) -> int:
    """1 when listing ``base`` has exactly ceil(total/20) pages, else 0."""
    pages = max(1, math.ceil(total / PAGE_SIZE))
    last = output / base / "page" / str(pages) / "index.html" if pages > 1 else output / base / "index.html"
    beyond = output / base / "page" / str(pages + 1) / "index.html"
    return int(last.exists() and not beyond.exists())


def check_output(tool: str, output: Path, expected: Expected) -> Check:
    """Count article, term and listing pages in a peer's output and compare them with the corpus."""
    html, files = count_files(output)
    articles = sum(
        1 for p in output.rglob("index.html") if ARTICLE_PAGE.match(p.relative_to(output).as_posix())
    )
    tag, tagged = expected.largest_term
    if tool == "hugo":
        countries, topics = _terms(output / "countries"), _terms(output / "topics")
        tags = _terms(output / "tags")
    else:
        countries, topics = _terms(output / "tags", "country-"), _terms(output / "tags", "topic-")
        tags = _terms(output / "tags") - countries - topics
    found = {
        "articles": articles,
        "countries": countries,
        "topics": topics,
        "tags": tags,
        "home pages": _last_page(output, "", expected.articles),
        f"tag '{tag}' pages": _last_page(output, f"tags/{tag}", tagged),
    }
    wanted = {
        "articles": expected.articles,
        "countries": expected.countries,
        "topics": expected.topics,
        "tags": expected.tags,
        "home pages": 1,
        f"tag '{tag}' pages": 1,
    }
    return Check(html, files, found, wanted)


# ---------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("site_dir", type=Path, help="a Dateline site written by bench/corpus.py")
    parser.add_argument("dest", type=Path, help="folder for <tool>/ sites and <tool>-output/")
    parser.add_argument("--tool", choices=(*TOOLS, "both"), default="both")
    parser.add_argument("--build", action="store_true", help="also build each site (untimed) and check it")
    parser.add_argument("--pelican-python", default=sys.executable, help="Python that has pelican installed")
    args = parser.parse_args(argv)
    entries = read_entries(args.site_dir)
    for tool in TOOLS if args.tool == "both" else (args.tool,):
        site = args.dest / tool
        (write_hugo if tool == "hugo" else write_pelican)(entries, site)
        print(f"{tool}: wrote {len(entries)} articles to {site}")
        if args.build:
            output = args.dest / f"{tool}-output"
            shutil.rmtree(output, ignore_errors=True)
            cache = args.dest / "hugo-cache"
            if tool == "hugo":
                command = hugo_command(site, output, cache)
            else:
                command = pelican_command(site, output, args.pelican_python)
            subprocess.run(command, check=True)
            print(f"{tool}: {check_output(tool, output, Expected.of(entries)).describe()}")


if __name__ == "__main__":
    main()
