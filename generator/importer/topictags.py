"""Topics from keyword rules: a default vocabulary aligned with the IPTC Media Topics top level.

A rule is a keyword or phrase with a weight; ``displace*`` matches every word starting so,
and a plain word also matches its plural. Each match weighs by the rule's weight times where
it stands (title 3, summary 2, body 1). A topic is chosen when its total reaches the threshold
and a fair share of the strongest topic's. Sites extend or replace the rules in site.toml
(see :mod:`generator.importer.settings`); only topics in the site's vocabulary are ever chosen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from generator.model import Topic

PART_WEIGHT = {"title": 3.0, "summary": 2.0, "body": 1.0}

# slug -> "keyword=weight, ..." (weight 1 when left out). Slugs are the example site's; the other
# names a site may give the same IPTC topic are in ALIASES.
DEFAULT_RULES: dict[str, str] = {
    "conflict": "war=2, troops=2, soldier*=2, militar*=1, army, armed forces=2, airstrike*=2, "
    "air strike*=2, warplane*=2, bombing*=2, shelling=2, artillery=2, missile*=2, drone strike*=2, rebel*=1.5, "
    "militia*=2, insurgen*=2, offensive=1.5, assault=1.5, fighting=2, clashes=2, ceasefire=1.5, cease-fire=1.5, "
    "truce=1.5, terroris*=2, jihadist*=2, killed=1, casualties=1.5, invasion=2, occupation, frontline*=2, "
    "front line*=2, patrol*=1, battle*=1.5, combat*=1.5, weapons, gunmen=2, forces=1",
    "diplomacy": "talks=1.5, negotiat*=1.5, diplomat*=2, summit=2, foreign minister*=2, foreign ministry=2, "
    "ambassador*=2, embassy=1.5, sanctions=1.5, treaty=1.5, united nations=1.5, un security council=2, "
    "un=1, ceasefire=1, election*=2, parliament*=1.5, president=1, prime minister=1.5, government=1, "
    "opposition=1, minister*=1, kremlin=1, vote=1, referendum=2, bilateral=1.5, demands=1, envoy*=2",
    "economy": "economy=2, economic=1.5, inflation=2, gdp=2, trade=1.5, tariff*=2, market*=1.5, "
    "investor*=1.5, stock*=1, bank*=1, budget=1.5, unemployment=2, jobs=1, exports=1.5, imports=1.5, "
    "oil price*=2, currency=1.5, debt=1.5, recession=2, companies=1, company=1, business*=1, profit*=1.5",
    "crime-and-law": "court*=2, judge*=2, trial=2, sentenced=2, prison*=1.5, jail*=1.5, arrest*=1.5, "
    "police=1.5, prosecutor*=2, charged=1.5, convicted=2, lawsuit*=2, crime*=2, criminal*=1.5, murder*=2, "
    "fraud=2, corruption=2, verdict=2, lawyer*=1.5",
    "disaster": "earthquake*=3, flood*=2, hurricane*=3, cyclone*=3, typhoon*=3, wildfire*=3, tsunami*=3, "
    "landslide*=3, drought=2, disaster*=2, crash=1.5, explosion*=1.5, rescue*=1.5, victims=1, "
    "death toll=2, emergency=1",
    "health": "health=1.5, hospital*=1, disease*=2, virus*=2, vaccin*=2, epidemic*=2, pandemic*=2, "
    "outbreak*=2, patients=1.5, doctors=1, medical=1, cancer=2, covid*=2, coronavirus=2, infection*=2, "
    "medicine*=1.5",
    "environment": "climate=2, emissions=2, pollution=2, environment*=1.5, carbon=1.5, wildlife=2, "
    "forest*=1, deforestation=2, biodiversity=2, renewable*=1.5, global warming=2, species=1.5, "
    "conservation=1.5, glacier*=2",
    "human-rights": "human rights=3, rights group*=2, activist*=1.5, torture=2, repression=2, "
    "detained=1.5, dissident*=2, political prisoner*=2, freedom of speech=2, press freedom=2, censorship=2, "
    "discrimination=2, amnesty international=2, human rights watch=2, crackdown=1.5, persecut*=2, "
    "undesirable=1, foreign agent*=1.5",
    "refugees": "refugee*=2, asylum=2, migrant*=2, migration=2, displaced=2, displacement=2, fled=1.5, "
    "flee*=1.5, humanitarian=1, aid=1, camps=1, deport*=1.5, border crossing*=1, unhcr=2, evacuat*=1",
    "society": "school*=1, education=1.5, religio*=1.5, church*=1, mosque*=1, famil*=1, women=0.5, "
    "children=0.5, community=1, protest*=1, poverty=1.5, housing=1.5, pension*=1.5, social=1",
    "science-and-technology": "scientist*=2, research*=1.5, study=1, technology=2, internet=2, "
    "software=2, artificial intelligence=2, space=1, satellite*=1.5, rocket*=1.5, cyber*=2, hacker*=2, "
    "smartphone*=2, app=1, data=1",
    "sport": "football=2, soccer=2, match*=1, tournament*=2, championship*=2, olympic*=2, league=1.5, "
    "coach=1.5, player*=1.5, team=1, goal*=1, athlete*=2, world cup=2, stadium*=1.5, score*=1",
    "culture": "film*=1.5, movie*=1.5, music*=1.5, artist*=1.5, museum*=2, exhibition*=2, festival*=1.5, "
    "theatre=2, theater=2, novel*=1.5, book*=1, heritage=1.5, concert*=1.5, painting*=1.5",
    "media": "journalis*=2, newspaper*=2, media=1.5, broadcaster*=2, reporter*=1, editor*=1, "
    "press=1, television=1, news agency=1.5, independent journalism=2, outlet*=1",
}
# Other slugs sites give the same IPTC top-level topics.
ALIASES = {
    "diplomacy": ("politics", "politics-and-diplomacy", "politics-and-government"),
    "refugees": ("migration", "migration-and-refugees"),
    "conflict": ("conflict-war-and-peace", "war"),
    "disaster": ("disasters", "disaster-accident-and-emergency-incident"),
    "crime-and-law": ("crime-law-and-justice", "crime"),
    "culture": ("arts-and-culture", "arts-culture-entertainment-and-media"),
    "science-and-technology": ("science", "technology"),
    "sport": ("sports",),
}


@dataclass(frozen=True)
class TopicRules:
    """Keyword weights per topic slug, and when a topic's total is enough."""

    keywords: dict[str, dict[str, float]]
    threshold: float = 3.0
    share: float = 0.06  # of the strongest topic's total: a long war story still has room for its refugees
    max_topics: int = 4


@dataclass(frozen=True)
class TopicTags:
    chosen: tuple[str, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)
    matches: dict[str, dict[str, int]] = field(default_factory=dict)

    def reasons(self, slug: str) -> str:
        words = ", ".join(f'"{w}" x{n}' if n > 1 else f'"{w}"' for w, n in self.matches.get(slug, {}).items())
        return f"weight {self.scores.get(slug, 0):g}: {words}"


def parse_keywords(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in text.split(","):
        word, _, weight = item.strip().partition("=")
        if word:
            out[word.strip().lower()] = float(weight) if weight else 1.0
    return out


def default_rules(vocabulary: tuple[Topic, ...]) -> TopicRules:
    """The built-in rules, for the topics of ``vocabulary`` (matched by slug or a common alias)."""
    keywords: dict[str, dict[str, float]] = {}
    for topic in vocabulary:
        for slug, text in DEFAULT_RULES.items():
            if topic.slug == slug or topic.slug in ALIASES.get(slug, ()):
                keywords[topic.slug] = parse_keywords(text)
    return TopicRules(keywords)


def _pattern(keyword: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in keyword.rstrip("*").split()]
    tail = r"\w*" if keyword.endswith("*") else r"(?:s|es)?"
    return re.compile(r"(?<!\w)" + r"[\s-]+".join(words) + tail + r"(?!\w)", re.IGNORECASE)


def tag_topics(title: str, summary: str | None, body: str, rules: TopicRules) -> TopicTags:
    parts = {"title": title, "summary": summary or "", "body": body}
    scores: dict[str, float] = {}
    matches: dict[str, dict[str, int]] = {}
    for slug, keywords in rules.keywords.items():
        for keyword, weight in keywords.items():
            pattern = _pattern(keyword)
            for part, text in parts.items():
                found = pattern.findall(text)
                # "UN" must be the body's capitals, not the French article "un" or a "Un-" prefix.
                if keyword == "un":
                    found = [f for f in found if f == "UN"]
                if found:
                    scores[slug] = scores.get(slug, 0.0) + weight * PART_WEIGHT[part] * len(found)
                    matches.setdefault(slug, {})[keyword] = matches.get(slug, {}).get(keyword, 0) + len(found)
    top = max(scores.values(), default=0.0)
    ranked = sorted(
        (s for s, v in scores.items() if v >= rules.threshold and v >= rules.share * top),
        key=lambda s: -scores[s],
    )[: rules.max_topics]
    # The site's vocabulary order, as in the hand-written example (conflict, diplomacy, refugees).
    order = list(rules.keywords)
    chosen = tuple(sorted(ranked, key=order.index))
    return TopicTags(chosen, {s: round(v, 2) for s, v in scores.items()}, matches)
