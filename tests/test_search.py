"""The search index (generator/search.py) and the engine's pure functions (search-core.js, in node)."""

from __future__ import annotations

import bisect
import functools
import json
import random
import re
import shutil
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from generator import search, search_index
from generator.search import SearchDoc

REPO = Path(__file__).resolve().parent.parent
CORE_JS = REPO / "templates" / "static" / "search-core.js"
sys.path.insert(0, str(REPO / "bench"))
import corpus  # noqa: E402  (bench/corpus.py: the benchmark's sentence generator)

HOSTILE = "</script><script>alert(1)</script> \u2028 \"quoted\" 'single' <!-- \\ & \u2029"
COUNTRIES = (
    ("syria", "Syria"), ("turkiye", "Türkiye"), ("cote-d-ivoire", "Côte d'Ivoire"), ("france", "France"),
    ("germany", "Germany"), ("japan", "Japan"), ("brazil", "Brazil"), ("kenya", "Kenya"),
)  # fmt: skip
TOPICS = (("conflict", "Conflict"), ("refugees", "Migration and refugees"), ("economy", "Economy"))
_MARKUP = re.compile(r"\[([^\]]*)\]\([^)]*\)|[*|`#-]+")


def _made_up(rng: random.Random) -> str:
    return "".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(rng.randint(2, 4)))


@functools.cache
def _vocabulary(size: int = 60_000) -> tuple[list[str], list[float]]:
    """Names and rare words: a Zipf-like tail that gives the corpus a realistic vocabulary size."""
    rng = random.Random(5)
    words = sorted({_made_up(rng) for _ in range(size)})
    rng.shuffle(words)
    cumulative: list[float] = []
    total = 0.0
    for rank in range(len(words)):
        total += 1.0 / (rank + 10)
        cumulative.append(total)
    return words, cumulative


@functools.cache
def _paragraphs() -> tuple[str, ...]:
    rng = random.Random(11)
    bodies = (_MARKUP.sub(r"\1", corpus.body(rng)) for _ in range(400))
    return tuple(p for body in bodies for p in body.split("\n\n") if len(p) > 200)


def synthetic_docs(n: int, seed: int = 1, *, hostile_every: int = 0) -> Iterator[SearchDoc]:
    """``n`` articles of some 650 words, newest first: paragraphs of bench/corpus.py prose (its
    few hundred common words) and a tail of rare words, names and places (a vocabulary of 60,000)."""
    vocabulary, cumulative = _vocabulary()
    paragraphs = _paragraphs()
    for i in range(n):
        rng = random.Random(seed * 1_000_003 + i)
        prose = "\n\n".join(rng.choices(paragraphs, k=rng.randint(5, 8)))
        names = " ".join(rng.choices(vocabulary, cum_weights=cumulative, k=120))
        day = (date(2024, 12, 31) - timedelta(days=i * 3650 // max(n, 1))).isoformat()
        title = corpus.title(rng) + " " + rng.choice(vocabulary).capitalize()
        if hostile_every and i % hostile_every == 0:
            title = f"{title} {HOSTILE}"
        slug = f"{title.lower().split()[0]}-{i}"
        yield SearchDoc(
            id=f"content/{i:06d}-{slug}.md",
            title=title,
            path=f"{day[:4]}/{day[5:7]}/{slug}/index.html",
            date=day,
            date_label=day,
            countries=tuple(rng.sample(COUNTRIES, rng.randint(1, 3))),
            topics=tuple(rng.sample(TOPICS, rng.randint(1, 2))),
            tags=tuple(rng.sample(vocabulary[:300], rng.randint(0, 3))),
            summary=corpus.sentence(rng, 30)[0],
            text=prose + "\n" + names,
        )


@functools.cache
def corpus_files(n: int) -> dict[str, bytes]:
    """The search files of ``synthetic_docs(n)``, made once per test session (10,000 take seconds)."""
    return search_index.search_files(synthetic_docs(n, hostile_every=997))


def doc(
    title: str, day: str, *, summary: str = "", text: str = "", country: str = "syria", **fields
) -> SearchDoc:
    names = dict(COUNTRIES)
    slug = re.sub(r"\W+", "-", title.lower()).strip("-") or "x"
    return SearchDoc(
        id=f"content/{title}.md",
        title=title,
        path=f"{day[:4]}/{day[5:7]}/{slug}/index.html",
        date=day,
        date_label=day,
        countries=((country, names[country]),),
        topics=fields.pop("topics", (TOPICS[0],)),
        summary=summary,
        text=text,
        **fields,
    )


# -- node: the engine (search-core.js) run against generated files -----------------------------------

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")
_RUNNER = r"""
const fs = require("fs"), path = require("path"), vm = require("vm");
const core = require(process.argv[1]);
const [dir, requests] = [process.argv[2], JSON.parse(fs.readFileSync(0, "utf8"))];
const run = (name) => vm.runInThisContext(fs.readFileSync(path.join(dir, name), "utf8"));
run("index.js");
const engine = new core.Engine(core.shards.index, async (name) => run(name), core.shards);
(async () => {
  const out = [];
  for (const [kind, arg, filters] of requests) {
    if (kind === "words") out.push(arg.map((t) => engine.words.words(t)));
    if (kind === "terms") out.push(arg.map((w) => engine.words.term(w)));
    if (kind === "query") out.push(engine.words.query(arg));
    if (kind === "highlight") out.push(engine.words.highlight(arg[0], new Set(arg[1])));
    if (kind === "search") {
      const result = await engine.search(arg, filters || {});
      const rows = await engine.rows(result.docs);
      out.push({ titles: rows.map((row) => row[0]), rows, terms: [...result.terms].sort() });
    }
  }
  process.stdout.write(JSON.stringify(out));
})();
"""


def write_files(files: dict[str, bytes], out: Path) -> Path:
    for name, data in files.items():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return out / search.FOLDER


def node(folder: Path, *requests: list) -> list:
    assert NODE
    result = subprocess.run(
        [NODE, "-e", _RUNNER, str(CORE_JS), str(folder)],
        input=json.dumps(requests),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def engine_on(tmp_path: Path):
    """``engine_on(docs)(*requests)``: answers from search-core.js over the index of ``docs``."""

    def make(docs: list[SearchDoc]):
        folder = write_files(search_index.search_files(docs), tmp_path / "out")
        return lambda *requests: node(folder, *requests)

    return make


# -- words ------------------------------------------------------------------------------------------


def test_words_are_lowercased_and_lose_their_accents() -> None:
    assert search.words("Türkiye, CÔTE d’Ivoire; İstanbul") == ["turkiye", "cote", "d", "ivoire", "istanbul"]
    assert search.words("Straße Ærø Łódź ΟΔΟΣ") == ["strasse", "aero", "lodz", "οδοσ"]
    assert search.words("snake_case 9/11 e-mail") == ["snake", "case", "9", "11", "e", "mail"]


def test_words_keep_letters_of_every_script_whole() -> None:
    assert search.words("हिन्दी समाचार") == ["हिन्दी", "समाचार"]  # vowel signs are marks, not breaks
    assert search.words("مُحَمَّد") == ["محمد"]  # Arabic vowel points are dropped
    assert search.words("日本 経済") == ["日本", "経済"]


def test_terms_drop_stopwords_and_plural_s() -> None:
    assert [search.term(w) for w in ("the", "of", "a", "x", "日")] == ["", "", "", "", "日"]
    stems = {"refugees": "refugee", "cities": "city", "patrols": "patrol", "crisis": "crisis"}
    stems |= {"status": "status", "days": "days", "bus": "bus", "news": "new", "2020s": "2020s"}
    assert {w: search.term(w) for w in stems} == stems
    assert search.terms("The refugees of the cities") == {"refugee", "city"}


def test_the_words_seen_are_forgotten_when_too_many(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "_TERMS_KEPT", 3)
    monkeypatch.setattr(search, "_TERMS", search._Terms())
    text = "refugees cities the patrols borders ministers talks"
    assert search.body_terms(text) == "border city minister patrol refugee talk|||"
    assert 0 < len(search._TERMS) <= 3
    assert search.body_terms(text) == "border city minister patrol refugee talk|||"


@needs_node
def test_the_engine_splits_words_exactly_as_python(engine_on) -> None:
    samples = [
        "Türkiye CÔTE d’Ivoire İstanbul Straße ΟΔΟΣ ΣΊΣΥΦΟΣ snake_case ½ ﬁnance",
        "हिन्दी समाचार, مُحَمَّد، עִבְרִית 日本の経済 한국어 ещё Ёлка",
        "emoji 👍🏽 and 𝐁𝐨𝐥𝐝 math, 𝔉𝔯𝔞𝔨𝔱𝔲𝔯, ﾊﾝｶｸ full-width ＡＢＣ",
    ]
    # Every character of the Basic Multilingual Plane that Python's Unicode knows, between two letters.
    known = [chr(c) for c in range(0x20, 0xFFFE) if unicodedata.category(chr(c)) not in ("Cn", "Cs")]
    samples += ["".join(f"a{ch}b " for ch in known[i : i + 2000]) for i in range(0, len(known), 2000)]
    words = [search.words(s) for s in samples]
    ask = engine_on([doc("Anything", "2020-01-01")])
    js_words, js_terms = ask(["words", samples], ["terms", [w for ws in words for w in ws]])
    assert js_words == words
    assert js_terms == [search.term(w) for ws in words for w in ws]


# -- the files --------------------------------------------------------------------------------------


def test_hostile_text_stays_data_in_valid_scripts(tmp_path: Path) -> None:
    hostile = doc(HOSTILE, "2021-05-05", summary=HOSTILE, text=HOSTILE, tags=(HOSTILE,))
    files = search_index.search_files([hostile, doc("Calm title", "2020-01-01")])
    for name, data in files.items():
        text = data.decode("utf-8")
        assert "<" not in text and "\u2028" not in text and "\u2029" not in text, name
        assert text.startswith("__datelineSearch.") and text.endswith(");\n"), name
    folder = write_files(files, tmp_path / "out")
    if NODE:
        for name in files:
            check = subprocess.run(
                [NODE, "--check", str(tmp_path / "out" / name)], capture_output=True, check=False
            )
            assert check.returncode == 0, (name, check.stderr)
        [found] = node(folder, ["search", "alert script"])
        assert found["titles"] == [HOSTILE]  # read back exactly, as a string
        assert found["rows"][0][4] == HOSTILE


def test_the_same_articles_give_the_same_bytes_in_any_order() -> None:
    docs = list(synthetic_docs(120))
    first = search_index.search_files(docs)
    assert search_index.search_files(iter(docs)) == first
    assert search_index.search_files(random.Random(2).sample(docs, len(docs))) == first
    assert list(first) == sorted(first)


def test_shards_hold_ranges_of_terms_of_bounded_size() -> None:
    files = corpus_files(2000)
    index = _data(files[search.INDEX_FILE])
    firsts = [first for first, _ in index["terms"]]
    assert firsts == sorted(firsts, key=lambda t: t.encode("utf-16-be"))
    previous_last = ""
    for first, name in index["terms"]:
        terms, postings = _data(files[f"search/{name}"])
        assert terms[0] == first and len(terms) == len(postings)
        assert terms == sorted(terms, key=lambda t: t.encode("utf-16-be"))
        assert previous_last < first
        previous_last = terms[-1]
        biggest = max(len(t) + sum(map(len, p)) + 12 for t, p in zip(terms, postings, strict=True))
        assert len(files[f"search/{name}"]) < search_index.TERM_SHARD_BYTES + biggest + 200
    assert len(index["docs"]) == 2000 // search_index.DOCS_PER_CHUNK
    assert sum(n for _, _, _, n in index["years"]) == index["count"] == 2000


def test_a_first_search_of_a_10000_article_archive_loads_well_under_5_mb() -> None:
    files = corpus_files(10_000)
    index = _data(files[search.INDEX_FILE])
    firsts = [first.encode("utf-16-be") for first, _ in index["terms"]]
    chunks = sorted((len(files[f"search/{name}"]) for name in index["docs"]), reverse=True)
    scripts = sum((REPO / "templates" / "static" / name).stat().st_size for name in search.SCRIPTS)
    for word in ("harbour", "bridge", "volunteer", *synthetic_rare_words(3)):
        shards: set[str] = set()
        for end in range(2, len(word) + 1):  # typed a letter at a time: each prefix's range of shards
            low = bisect.bisect_right(firsts, word[:end].encode("utf-16-be")) - 1
            high = bisect.bisect_right(firsts, (word[:end] + "\uffff").encode("utf-16-be")) - 1
            shards |= {index["terms"][n][1] for n in range(low, high + 1)}
        terms_bytes = sum(len(files[f"search/{name}"]) for name in shards)
        # at most the 20 biggest chunks of what results show, for the first page of 20 results
        total = len(files[search.INDEX_FILE]) + terms_bytes + sum(chunks[:20]) + scripts
        assert total < 5_000_000, (word, total)


def synthetic_rare_words(n: int) -> tuple[str, ...]:
    """Words of the rare tail, each in a handful of the 10,000 articles."""
    vocabulary, _ = _vocabulary()
    return tuple(vocabulary[20_000 + 7919 * i].lower() for i in range(n))


def _data(script: bytes) -> Any:
    """The arguments of the registry call in a generated file."""
    text = script.decode("utf-8")
    call = re.match(r"__datelineSearch\.(\w+)\((.*)\);\n\Z", text, re.S)
    assert call, text[:80]
    args = json.loads(f"[{call.group(2)}]")
    return args[0] if call.group(1) == "index" else args


# -- the engine -------------------------------------------------------------------------------------

RANKED = [
    doc("Old harbour news", "2019-03-01"),
    doc("Budget talks", "2023-01-01", text="The harbour was mentioned once."),
    doc("New harbour opens", "2022-06-01"),
    doc("Ferry strike", "2021-01-01", summary="Workers closed the harbour."),
    doc("Council meeting", "2024-01-01", text="Harbour, harbour and harbour again: harbour."),
    doc("Tagged story", "2020-01-01", tags=("Harbour works",)),
    doc("Unrelated", "2024-05-05", text="Nothing to see."),
]


@needs_node
def test_title_matches_come_first_then_summary_tags_places_then_body_then_recency(engine_on) -> None:
    [found] = engine_on(RANKED)(["search", "harbour"])
    assert found["titles"] == [
        "New harbour opens",  # title, newer
        "Old harbour news",  # title, older
        "Ferry strike",  # summary, newer than the tag
        "Tagged story",  # tag
        "Council meeting",  # body, often
        "Budget talks",  # body, once
    ]


@needs_node
def test_the_word_being_typed_matches_as_a_prefix_and_others_whole(engine_on) -> None:
    ask = engine_on(RANKED)
    typing, done, two = ask(["search", "harb"], ["search", "harb "], ["search", "new harb"])
    assert len(typing["titles"]) == 6 and typing["terms"] == ["harbour"]
    assert done["titles"] == []  # a finished word must match whole
    assert two["titles"] == ["New harbour opens", "Old harbour news"]  # every word must match (news -> new)


@needs_node
def test_accents_case_and_plurals_do_not_matter(engine_on) -> None:
    docs = [
        doc("Elections in Türkiye", "2020-01-01", country="turkiye"),
        doc("Refugee camps", "2021-01-01", text="Cities and refugees."),
        doc("Ivory coast", "2022-01-01", country="cote-d-ivoire"),
    ]
    ask = engine_on(docs)
    turkey, refugees, city, country = ask(
        ["search", "TURKIYE"], ["search", "refugees "], ["search", "city"], ["search", "côte"]
    )
    assert turkey["titles"] == ["Elections in Türkiye"]
    assert refugees["titles"] == city["titles"] == ["Refugee camps"]
    assert country["titles"] == ["Ivory coast"]  # countries are searched


@needs_node
def test_filters_by_country_topic_and_year_with_or_without_words(engine_on) -> None:
    docs = [
        doc("Harbour in Syria", "2020-05-01"),
        doc("Harbour in France", "2021-05-01", country="france", topics=(TOPICS[2],)),
        doc("Market in France", "2021-06-01", country="france"),
    ]
    ask = engine_on(docs)
    france, economy, year, everything, nothing = ask(
        ["search", "harbour", {"countries": "france"}],
        ["search", "harbour", {"topics": "economy"}],
        ["search", "", {"year": "2021"}],
        ["search", "harbour", {"countries": "", "topics": "", "year": ""}],
        ["search", "", {}],
    )
    assert france["titles"] == economy["titles"] == ["Harbour in France"]
    assert year["titles"] == ["Market in France", "Harbour in France"]  # newest first
    assert everything["titles"] == ["Harbour in France", "Harbour in Syria"]
    assert nothing["titles"] == []


@needs_node
def test_highlights_mark_whole_words_whose_terms_matched(engine_on) -> None:
    ask = engine_on([doc("Anything", "2020-01-01")])
    [pieces] = ask(["highlight", ["Two Harbours, one harbourmaster; Türkiye!", ["harbour", "turkiye"]]])
    assert pieces == [
        ["Two ", False],
        ["Harbours", True],
        [", one harbourmaster; ", False],
        ["Türkiye", True],
        ["!", False],
    ]
    query = ask(["query", "The refugees cit"])[0]
    assert query == [{"exact": "refugee", "prefixes": []}, {"exact": "cit", "prefixes": ["cit"]}]


@needs_node
def test_words_of_any_script_are_found_across_many_small_shards(engine_on, monkeypatch) -> None:
    monkeypatch.setattr(
        search_index, "TERM_SHARD_BYTES", 1
    )  # a shard a term: the engine must pick the right one
    titles = [
        "𠀀𠀁 astral ideographs",
        "ﬀ ligature and ＡＢＣ",
        "한국어 뉴스",
        "Ünïcödé zebra",
        "\uffe0 sign and aardvark",
    ]
    docs = [doc(title, f"2020-01-{n + 10}") for n, title in enumerate(titles)]
    ask = engine_on(docs)
    found = ask(
        *(
            ["search", query]
            for query in ("𠀀𠀁", "ff", "abc", "한국어", "unicode", "zebra", "aardvark", "zz")
        )
    )
    expected = [titles[0], titles[1], titles[1], titles[2], titles[3], titles[3], titles[4]]
    assert [f["titles"] for f in found] == [[t] for t in expected] + [[]]


@needs_node
def test_an_empty_archive_has_a_working_index(engine_on) -> None:
    files = search_index.search_files([])
    assert _data(files[search.INDEX_FILE])["count"] == 0 and len(files) == 1
    [found] = engine_on([])(["search", "anything"])
    assert found["titles"] == []


def test_articles_and_links_from_the_build() -> None:
    from datetime import UTC, datetime

    from generator.model import Article, Country, Tag, Topic
    from generator.urls import Links

    article = Article(
        source_path="content/x.md", slug="turkey-patrols", title="Patrols", has_time=False, updated=None,
        published=datetime(2020, 2, 18, tzinfo=UTC), summary="Short.", source=None, source_url=None, authors=(),
        credits=(), countries=(Country("TR", "Türkiye", "turkiye"),), topics=(Topic("conflict", "Conflict"),),
        tags=(Tag("idlib", "Idlib"),), language="en", draft=False, body_digest="x",
    )  # fmt: skip
    found = SearchDoc.from_article(article, "Body text.")
    assert (found.path, found.date, found.date_label) == (
        "2020/02/turkey-patrols/index.html",
        "2020-02-18",
        "18 February 2020",
    )
    assert (found.countries, found.topics, found.tags) == (
        (("turkiye", "Türkiye"),),
        (("conflict", "Conflict"),),
        ("Idlib",),
    )
    for mode, base, expected in (
        ("offline", "https://example.org/", ("index.js", "../", "offline", ("../assets/search-core.js", "../assets/search.js"))),
        ("clean", "https://example.org/archive/", ("/archive/search/index.js", "/archive/", "clean", ("/archive/assets/search-core.js", "/archive/assets/search.js"))),
    ):  # fmt: skip
        links = Links(mode, base)  # type: ignore[arg-type]
        page = search.search_page(
            lambda target, links=links: links.url(target, source="search/index.html"),
            offline=mode == "offline",
        )
        assert (page.index_url, page.root_url, page.link_mode, page.scripts) == expected


def test_the_page_inserts_no_markup_and_loads_nothing_from_elsewhere() -> None:
    page = [REPO / "templates" / "search.html", *(REPO / "templates" / "static" / n for n in search.SCRIPTS)]
    for path in page:
        text = path.read_text(encoding="utf-8")
        for risky in (
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "http://",
            "https://",
        ):
            assert risky not in text, (path.name, risky)
        assert not re.search(r"\son[a-z]+\s*=", text), path.name  # no inline event handlers
        assert path.suffix != ".js" or '"use strict";' in text
