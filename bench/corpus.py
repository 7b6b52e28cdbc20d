"""Deterministic synthetic news archive for measuring Dateline.

Every article is generated English-like filler from a fixed word list: no real
news. Each one carries ``source: "Synthetic benchmark corpus"`` and the tag
``synthetic``. Output depends only on ``n`` and ``seed`` (seeded
``random.Random`` per article, no clock, no ``hash()``), and the corpus of size
``n`` is a prefix of the corpus of any larger size with the same seed.

    python bench/corpus.py OUT_DIR -n 1000 [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCE = "Synthetic benchmark corpus"
SYNTHETIC_TAG = "synthetic"
FIRST_DAY = date(2015, 1, 1)
DAYS = (date(2024, 12, 31) - FIRST_DAY).days + 1


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


TOPICS: tuple[tuple[str, str, str], ...] = (
    ("conflict", "Conflict", "Armed conflict and security"),
    ("diplomacy", "Politics and diplomacy", "Governments, elections and international relations"),
    ("economy", "Economy", "Trade, markets and public finance"),
    ("crime-and-law", "Crime and law", "Courts, policing and legislation"),
    ("disaster", "Disaster", "Natural hazards and emergencies"),
    ("health", "Health", "Public health and medicine"),
    ("environment", "Environment", "Climate, nature and pollution"),
    ("human-rights", "Human rights", "Civil liberties and the rights of people"),
    ("refugees", "Migration and refugees", "People on the move and the places that receive them"),
    ("society", "Society", "Communities, education and everyday life"),
    ("science-and-technology", "Science and technology", "Research, technology and innovation"),
    ("sport", "Sport", "Competitions, clubs and athletes"),
    ("culture", "Culture", "Arts, heritage and entertainment"),
    ("media", "Media", "Press, broadcasting and publishing"),
)
TOPIC_WEIGHTS = (9, 10, 8, 6, 5, 6, 5, 4, 4, 5, 3, 3, 3, 2)

# Real ISO 3166-1 alpha-2 codes, most frequent first (Zipf-like weights below).
COUNTRIES = _words(
    "US GB FR DE UA RU CN IN SY IL TR IR IQ AF PK NG EG ZA BR MX JP KR KP ES IT PL SE NO NL BE CH AT "
    "GR PT IE DK FI CA AU NZ AR CL CO VE PE KE ET SD SO CD ML LY TN MA SA YE LB JO ID PH TH VN MM BD"
)
COUNTRY_WEIGHTS = tuple(1.0 / (rank + 1) ** 0.9 for rank in range(len(COUNTRIES)))

DETERMINERS = _words("the the the a a this that each every another their its our some")
ADJECTIVES = _words(
    "quiet early bright narrow open northern southern eastern western local regional small large "
    "steady gentle careful simple broad green grey distant recent patient modest clear formal final "
    "annual ordinary common plain warm cold dry wooden upper lower central outer inner whole partial "
    "spare careful rapid slow silent busy empty crowded shared brief long"
)
NOUNS = _words(
    "harbour bridge river valley garden market village council committee library school bakery "
    "orchard meadow station tower window lantern ledger archive museum kitchen workshop courtyard "
    "canal forest hillside pathway railway ferry island plateau meeting report survey schedule "
    "season harvest festival choir orchestra painting sculpture journal notebook map compass "
    "lighthouse cottage square fountain avenue district quarter gallery theatre studio farm barn "
    "field fence gate road tunnel clock bell boat sail rope basket table chair shelf drawer lamp "
    "candle letter parcel ticket timetable proposal design budget plan draft index catalogue "
    "volunteer gardener baker teacher student neighbour visitor carpenter painter writer keeper"
)
VERBS = _words(
    "described reviewed opened closed painted visited measured repaired counted collected "
    "welcomed outlined followed crossed finished started planned shared noted recorded moved "
    "carried built watched cleaned sorted organised prepared improved replaced extended "
    "considered discussed published arranged returned gathered marked checked tested"
)
PREPOSITIONS = _words("near beside behind across along under over through around beyond towards within")
CONNECTIVES = _words("and but while although because so yet")
HEADLINE_VERBS = _words(
    "reviews opens closes plans extends considers prepares welcomes outlines repairs measures "
    "publishes arranges records gathers marks"
)
CODE_LANGUAGES = ("python", "json", "text")
SYLLABLES_ON = _words("b br c d dr f g gr h k l m n p pr r s st t tr v w z")
SYLLABLES_V = _words("a e i o u ai ea io ou")
SYLLABLES_CODA = ["", "", "n", "r", "l", "s", "k", "nd", "rt", "sk", "m"]


@dataclass(frozen=True)
class Article:
    slug: str
    day: date
    text: str  # the whole file: front matter and body

    @property
    def path(self) -> Path:
        return Path("content") / f"{self.day:%Y}" / f"{self.day:%m}" / f"{self.slug}.md"


# ---------------------------------------------------------------- vocabularies


def _made_up_word(rng: random.Random, syllables: int) -> str:
    parts = [rng.choice(SYLLABLES_ON) + rng.choice(SYLLABLES_V) for _ in range(syllables)]
    return "".join(parts) + rng.choice(SYLLABLES_CODA)


def _made_up_words(seed: int, count: int, taken: set[str]) -> tuple[str, ...]:
    rng = random.Random(seed)
    found: list[str] = []
    seen = set(taken)
    while len(found) < count:
        word = _made_up_word(rng, rng.randint(2, 3))
        if word not in seen:
            seen.add(word)
            found.append(word)
    return tuple(found)


TAG_POOL = _made_up_words(20240601, 300, {SYNTHETIC_TAG, *NOUNS, *ADJECTIVES, *VERBS})
AUTHOR_POOL = tuple(
    f"{first.capitalize()} {last.capitalize()}"
    for first, last in zip(_made_up_words(7001, 40, set()), _made_up_words(7002, 40, set()), strict=True)
)


# ---------------------------------------------------------------- prose


def _noun_phrase(rng: random.Random) -> list[str]:
    words = [rng.choice(DETERMINERS)]
    if rng.random() < 0.45:
        words.append(rng.choice(ADJECTIVES))
    words.append(rng.choice(NOUNS))
    if words[0] == "a" and words[1][0] in "aeiou":
        words[0] = "an"
    return words


def _clause(rng: random.Random, budget: int) -> list[str]:
    """Subject, verb, object, then prepositional phrases while they fit in ``budget`` words."""
    words = _noun_phrase(rng)[1:] if budget < 6 else _noun_phrase(rng)
    words += [rng.choice(VERBS), *_noun_phrase(rng)]
    while rng.random() < 0.45:
        phrase = [rng.choice(PREPOSITIONS), *_noun_phrase(rng)]
        if len(words) + len(phrase) > budget:
            break
        words += phrase
    return words


def _decorate(rng: random.Random, words: list[str]) -> list[str]:
    roll = rng.random()
    if roll < 0.04:
        i = rng.randrange(1, len(words))
        words[i] = f"*{words[i]}*"
    elif roll < 0.06:
        i = rng.randrange(1, len(words))
        words[i] = f"**{words[i]}**"
    elif roll < 0.08:
        i = rng.randrange(1, len(words) - 1)
        anchor = " ".join(words[i : i + 2])
        words[i : i + 2] = [f"[{anchor}](https://example.org/ref/{rng.choice(NOUNS)}-{rng.randrange(1000)})"]
    return words


def sentence(rng: random.Random, max_words: int = 40) -> tuple[str, int]:
    """One sentence and its word count (at most ``max_words`` when that is 5 or more)."""
    words = _clause(rng, max_words)
    if rng.random() < 0.3 and max_words - len(words) >= 7:
        second = _clause(rng, max_words - len(words) - 1)
        if len(words) + 1 + len(second) <= max_words:
            words[-1] += ","
            words += [rng.choice(CONNECTIVES), *second]
    count = len(words)
    words = _decorate(rng, words)
    text = " ".join(words)
    return text[0].upper() + text[1:] + ".", count


def paragraph(rng: random.Random, target: int) -> tuple[str, int]:
    parts: list[str] = []
    used = 0
    while target - used >= 5:
        text, count = sentence(rng, target - used)
        parts.append(text)
        used += count
    return " ".join(parts), used


def _table(rng: random.Random) -> str:
    columns = rng.randint(3, 4)
    header = [rng.choice(NOUNS).capitalize() for _ in range(columns)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * columns]
    for _ in range(rng.randint(3, 6)):
        cells = [rng.choice(NOUNS)] + [str(rng.randint(1, 9999)) for _ in range(columns - 1)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _bullets(rng: random.Random) -> str:
    items = []
    for _ in range(rng.randint(3, 6)):
        words = [*_noun_phrase(rng), rng.choice(VERBS), *_noun_phrase(rng)]
        items.append("- " + " ".join(words).capitalize())
    return "\n".join(items)


def _code(rng: random.Random) -> str:
    language = rng.choice(CODE_LANGUAGES)
    names = [f"{rng.choice(ADJECTIVES)}_{rng.choice(NOUNS)}" for _ in range(rng.randint(3, 7))]
    if language == "python":
        body = [f"def {names[0]}({names[1]}):"]
        body += [f"    {name} = {names[1]} * {rng.randint(2, 99)}" for name in names[2:]]
        body.append(f"    return {names[-1]}")
    elif language == "json":
        body = [json.dumps({name: rng.randint(0, 500) for name in names}, indent=2)]
    else:
        body = [f"{name:<24} {rng.randint(0, 9999):>6}" for name in names]
    return f"```{language}\n" + "\n".join(body) + "\n```"


def body(rng: random.Random) -> str:
    """500 to 900 words of prose in 40-120 word paragraphs, with optional extras."""
    total = rng.randint(500, 900)
    blocks: list[str] = []
    used = 0
    while total - used >= 5:
        remaining = total - used
        target = remaining if remaining <= 120 else rng.randint(40, min(120, remaining - 40))
        text, count = paragraph(rng, max(target, 40))
        blocks.append(text)
        used += count
    extras = [(0.2, _table), (0.2, _bullets), (0.2, _code)]
    for probability, make in extras:
        if rng.random() < probability:
            blocks.insert(rng.randint(1, len(blocks)), make(rng))
    if rng.random() < 0.3 and len(blocks) > 3:
        heading = " ".join(_noun_phrase(rng)[1:]).capitalize()
        blocks.insert(rng.randint(2, len(blocks) - 1), f"## {heading}")
    return "\n\n".join(blocks) + "\n"


# ---------------------------------------------------------------- metadata


def _weighted_sample(
    rng: random.Random, items: tuple[str, ...], weights: tuple[float, ...], k: int
) -> list[str]:
    chosen: list[str] = []
    while len(chosen) < k:
        item = rng.choices(items, weights)[0]
        if item not in chosen:
            chosen.append(item)
    return chosen


def title(rng: random.Random) -> str:
    words = [*_noun_phrase(rng)[1:], rng.choice(HEADLINE_VERBS), *_noun_phrase(rng)]
    if rng.random() < 0.4:
        words += [rng.choice(PREPOSITIONS), *_noun_phrase(rng)[1:]]
    text = " ".join(words)
    return text[0].upper() + text[1:]


def slugify(text: str) -> str:
    return "-".join(text.lower().split())


def _date_value(rng: random.Random, day: date) -> str:
    if rng.random() < 0.6:
        return day.isoformat()
    offset = rng.choice(("+00:00", "+01:00", "+02:00", "+03:00", "-05:00", "+05:30", "+09:00"))
    return f"{day.isoformat()}T{rng.randint(0, 23):02d}:{rng.choice((0, 15, 30, 45)):02d}:00{offset}"


def _yaml_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def front_matter(rng: random.Random, head: str, day: date) -> str:
    topic_slugs = tuple(t[0] for t in TOPICS)
    fields = [f"title: {json.dumps(head)}", f"date: {_date_value(rng, day)}"]
    if rng.random() < 0.5:
        fields.append(f"summary: {json.dumps(sentence(rng, 25)[0])}")
    fields.append(f"source: {json.dumps(SOURCE)}")
    if rng.random() < 0.5:
        fields.append(f"authors: {_yaml_list(rng.sample(AUTHOR_POOL, rng.randint(1, 2)))}")
    countries = _weighted_sample(rng, tuple(COUNTRIES), COUNTRY_WEIGHTS, rng.randint(1, 3))
    fields.append(f"countries: {_yaml_list(countries)}")
    topics = _weighted_sample(rng, topic_slugs, TOPIC_WEIGHTS, rng.randint(1, 3))
    fields.append(f"topics: {_yaml_list(topics)}")
    tags = [SYNTHETIC_TAG, *rng.sample(TAG_POOL, rng.randint(0, 4))]
    fields.append(f"tags: {_yaml_list(tags)}")
    return "---\n" + "\n".join(fields) + "\n---\n"


def make_article(rng: random.Random, taken: set[str], day: date | None = None) -> Article:
    """One article with a slug not in ``taken`` (which is updated)."""
    head = title(rng)
    while slugify(head) in taken:
        head = title(rng)
    slug = slugify(head)
    taken.add(slug)
    if day is None:
        day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
    text = front_matter(rng, head, day) + "\n" + body(rng)
    return Article(slug=slug, day=day, text=text)


# ---------------------------------------------------------------- site files


def site_toml() -> str:
    lines = [
        'title = "Synthetic benchmark archive"',
        'description = "Generated articles for measuring Dateline"',
        'base_url = "https://example.org/"',
        'language = "en"',
        "page_size = 20",
    ]
    for slug, label, description in TOPICS:
        lines += [
            "",
            "[[topics]]",
            f'slug = "{slug}"',
            f'label = "{label}"',
            f'description = "{description}"',
        ]
    return "\n".join(lines) + "\n"


def _write(site_dir: Path, article: Article) -> Path:
    path = site_dir / article.path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(article.text, encoding="utf-8")
    return path


def write_corpus(site_dir: Path, n: int, seed: int = 1) -> None:
    """Write a complete Dateline site of ``n`` synthetic articles into ``site_dir``."""
    site_dir.mkdir(parents=True, exist_ok=True)
    (site_dir / "site.toml").write_text(site_toml(), encoding="utf-8")
    taken: set[str] = set()
    for index in range(n):
        _write(site_dir, make_article(random.Random(seed * 1_000_003 + index), taken))


def article_paths(site_dir: Path) -> list[Path]:
    """Every article file of the site, in a stable order."""
    return sorted((site_dir / "content").rglob("*.md"))


def edit_article(site_dir: Path, n_index: int) -> Path:
    """Append a one-sentence paragraph to article ``n_index`` (in path order); return its path.

    A paragraph of its own, so that a body ending in a table, list or code block stays valid.
    """
    paths = article_paths(site_dir)
    path = paths[n_index % len(paths)]
    text = path.read_text(encoding="utf-8").rstrip("\n")
    path.write_text(text + "\n\nThis sentence was appended by the benchmark edit step.\n", encoding="utf-8")
    return path


def add_article(site_dir: Path, seed: int) -> Path:
    """Add one new article, dated in January 2025 (newer than the corpus); return its path."""
    taken = {path.stem for path in article_paths(site_dir)}
    rng = random.Random(f"add-article:{seed}")
    article = make_article(rng, taken, day=date(2025, 1, 1) + timedelta(days=seed % 31))
    return _write(site_dir, article)


def touch_template(site_dir: Path) -> Path:
    """Change the site's article template, copying the default theme's one first if needed."""
    target = site_dir / "templates" / "article.html"
    if not target.exists():
        default = REPO_ROOT / "templates" / "article.html"
        if not default.exists():
            raise FileNotFoundError(f"no default article template at {default}")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(default, target)
    count = target.read_text(encoding="utf-8").count("<!-- bench touch")
    with target.open("a", encoding="utf-8") as handle:
        handle.write(f"\n<!-- bench touch {count + 1} -->\n")
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("site_dir", type=Path)
    parser.add_argument("-n", type=int, default=1000, help="number of articles")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    write_corpus(args.site_dir, args.n, args.seed)
    print(f"wrote {args.n} articles to {args.site_dir}")


if __name__ == "__main__":
    main()
