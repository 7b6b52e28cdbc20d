"""Rules for country words that often mean something else: people, a US state, a bird, two Congos.

Each rule looks at one article as a whole, because the clue that settles a word is usually
elsewhere in the text: "Tbilisi" two paragraphs down makes "Georgia" the country, "Michael
Jordan" in the first line makes every later "Jordan" the player.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Country words that are also common first names or surnames.
NAME_LIKE = frozenset({"Jordan", "Chad", "Georgia", "India", "Israel", "Paris", "Sofia", "Florence", "Kenya"})
# Of those, the ones often followed by a surname ("Chad Johnson"), so a capitalised next word means a person.
FIRST_NAMES_TOO = frozenset({"Jordan", "Chad", "Georgia"})
# Capitalised words that may stand right before a country without making it a surname.
NOT_GIVEN = frozenset(
    """In From To And But Of For With At On By As The A An Why How Where When What While Both Only Then
    Like Unlike Via Across Inside Outside Near Visit Visits Visiting Neighbouring Neighboring King Queen
    Kingdom Republic Hashemite Northern Southern Eastern Western Central North South East West
    Democratic Ambassador President Prime Minister Foreign Government Army Embassy Border Says Said
    Tells Told After Before Against Between Around Toward Towards Into Over Under Since Until Within
    Without Does Did Is Was Will Would Can Could May Might Must Should Than That This These Those Our
    Their His Her Its Also Even Today Yesterday Monday Tuesday Wednesday Thursday Friday Saturday Sunday
    Mr Mrs Ms Dr""".split()  # noqa: SIM905 - a word list reads best as text
)
# Capitalised words that follow a place's name as often as a surname follows a first name.
AFTER_PLACE = frozenset(
    """Governor Gov State Secretary Senate House Assembly Power Tech Supreme Court Department Police Army
    Air Airlines Airways Times Post News Valley River Basin Lake Sea Coast Border Parliament Government
    Ministry Embassy National Central University International Football Republic Kingdom Crown Prince
    Princess King Queen Foreign Prime President Minister Armed Defense Defence Forces Olympic Open
    Bulldogs Democrats Republicans Democratic Republican Public Health Electric Railway Port Bank Stock
    Exchange Cup""".split()  # noqa: SIM905 - a word list reads best as text
)
HONORIFICS = frozenset({"Mr", "Mrs", "Ms", "Miss", "Dr", "Sir", "Dame", "Coach", "Senator", "Sen", "Rep"})
# Lower-case words after which a name-like word is a place, not a person ("arrived in Jordan").
# Kept narrow on purpose: "passed to Jordan" or "a letter from Chad" are people as often as places.
PLACE_BEFORE = frozenset({"in", "across", "inside", "throughout", "neighbouring", "neighboring"})
GIVEN_NAMES = frozenset(
    """Michael Vernon Barbara Hamilton Eddie Mary James John Robert David William Richard Joseph Thomas
    Charles Christopher Daniel Matthew Anthony Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian
    George Edward Ronald Timothy Jason Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry
    Justin Scott Brandon Benjamin Samuel Gregory Frank Alexander Raymond Patrick Jack Dennis Jerry Tyler
    Aaron Jose Adam Henry Nathan Douglas Zachary Peter Kyle Walter Ethan Jeremy Harold Keith Christian
    Roger Noah Gerald Carl Terry Sean Austin Arthur Lawrence Jesse Dylan Bryan Joe Jordan Billy Bruce
    Albert Willie Gabriel Logan Alan Juan Wayne Roy Ralph Randy Eugene Vincent Russell Elijah Louis
    Bobby Philip Johnny Patricia Jennifer Linda Elizabeth Susan Jessica Sarah Karen Nancy Lisa Betty
    Margaret Sandra Ashley Kimberly Emily Donna Michelle Dorothy Carol Amanda Melissa Deborah Stephanie
    Rebecca Sharon Laura Cynthia Kathleen Amy Shirley Angela Helen Anna Brenda Pamela Nicole Emma
    Samantha Katherine Christine Debra Rachel Catherine Carolyn Janet Ruth Maria Heather Diane Virginia
    Julie Joyce Victoria Olivia Kelly Christina Lauren Joan Evelyn Judith Megan Cheryl Andrea Hannah
    Martha Jacqueline Frances Gloria Ann Teresa Kathryn Sara Janice Jean Alice Madison Doris Abigail
    Julia Judy Grace Denise Amber Marilyn Beverly Danielle Theresa Sophia Marie Diana Brittany Natalie
    Isabella Charlotte Rose Alexis Kayla Katie Chris Tom Tim Mike Jim Bob Bill Dan Ben Sam Max Leo Jake
    Luke""".split()  # noqa: SIM905 - a word list reads best as text
)
SENTENCE_END = re.compile(r"[.!?:;\"“”]\s*$|^\s*$")

BIRD_CUES = re.compile(
    r"\b(thanksgiving|roast(ed|ing)?|poultry|gobbl\w*|stuffing|feathers?|turkeys|drumsticks?|birds?|"
    r"recipe|oven|gravy|carv(e|ed|ing)|hatcher\w*|avian|flocks?|butterball|farmers?|sandwich\w*)\b",
    re.IGNORECASE,
)
GE_CUES = re.compile(
    r"\b(Caucasus|Tbilisi|Georgians?|Abkhazi\w*|Ossetia\w*|NATO|Kremlin|Russia|Russian|Soviet|Black Sea|"
    r"Armenia|Azerbaijan|Moscow|Batumi|European Union|EU)\b"
)
US_STATE_CUES = re.compile(
    r"\b(Atlanta|Savannah|Augusta|Macon|Gov\.|governor|county|counties|state legislature|state senate|"
    r"Peach State|Ga\.|Republicans?|Democrats?|Democratic|Alabama|Florida|Tennessee|South Carolina|"
    r"North Carolina|Senate race|runoff|primary|voters|Fulton|U\.S\. state|state of Georgia|Georgia state)\b"
)


@dataclass
class Hit:
    """One gazetteer match in one part of the article; rules may re-point or drop it."""

    codes: tuple[str, ...]
    kind: str
    surface: str  # as written in the text
    part: str  # title, summary or body
    index: int  # token index in its part
    prev: str  # the token before ("" at the start), and the text between them
    prev_gap: str
    next: str
    next_gap: str
    prev_sentence_start: bool  # the token before begins a sentence
    reaction: bool = False  # the subject of "said", "condemned", "welcomed": weighs less
    dropped: str = ""  # why it does not count, when it does not
    mention_only: bool = False  # read as the country against a person of that name: never a main country
    note: str = ""  # how an ambiguous word was read


def is_person(hit: Hit) -> str:
    """The person's name when ``hit`` is part of one ("Michael Jordan"), else ""."""
    word = hit.surface
    if word not in NAME_LIKE:
        return ""
    # "Mr. Jordan" is one name; "in Jordan. Jordan Peterson" is a sentence end, not "Jordan Jordan".
    if (hit.prev_gap == " " and hit.prev in GIVEN_NAMES) or (
        hit.prev_gap in (" ", ". ") and hit.prev in HONORIFICS
    ):
        return f"{hit.prev} {word}"
    if (
        hit.part != "title"
        and hit.prev_gap == " "
        and hit.prev[:1].isupper()
        and hit.prev not in NOT_GIVEN
        and not hit.prev_sentence_start
    ):
        return f"{hit.prev} {word}"
    if (
        word in FIRST_NAMES_TOO
        and hit.part != "title"
        and hit.next_gap == " "
        and hit.next[:1].isupper()
        and hit.next not in NOT_GIVEN
        and hit.next not in AFTER_PLACE
    ):
        return f"{word} {hit.next}"
    return ""


def apply_rules(hits: list[Hit], full_text: str) -> None:
    """Drop or re-point the hits that the article's own clues show are not the country they look like."""
    _people(hits)
    _turkey_the_bird(hits, full_text)
    _georgia(hits, full_text)
    _two_countries(hits)


def _evidence(hits: list[Hit], code: str, besides: str) -> list[Hit]:
    return [h for h in hits if not h.dropped and h.codes == (code,) and h.surface != besides]


def _people(hits: list[Hit]) -> None:
    named: dict[str, str] = {}
    for hit in hits:
        name = is_person(hit)
        if name:
            hit.dropped = f'a person\'s name ("{name}")'
            named.setdefault(hit.surface, name)
    for word, name in named.items():
        # A surname seen once makes the bare word a person throughout, unless the country shows up otherwise.
        same = [h for h in hits if h.surface == word and not h.dropped]
        if same and not _evidence(hits, same[0].codes[0], word):
            for hit in same:
                if _place_context(hit):
                    # "arrived in Jordan" is the country even in an article that names Jordan Peterson;
                    # with the person in the same text it is kept, but only ever as a mention.
                    hit.mention_only = True
                    hit.note = f'"{hit.prev} {word}" is the country, though "{name}" is named: a mention only'
                else:
                    hit.dropped = f'the person named earlier ("{name}")'


def _place_context(hit: Hit) -> bool:
    """The word stands where only a place fits: after "in", "across"…, and not as "in Jordan's"."""
    return hit.prev in PLACE_BEFORE and hit.prev_gap == " " and not hit.next_gap.startswith(("'", "’"))


def _turkey_the_bird(hits: list[Hit], text: str) -> None:
    birds = [h for h in hits if h.surface.casefold() == "turkey" and not h.dropped]
    cues = sorted({m.group(0).lower() for m in BIRD_CUES.finditer(text)})
    if birds and cues and not _evidence(hits, "TR", birds[0].surface):
        for hit in birds:
            hit.dropped = f"turkey the bird (the text speaks of {', '.join(cues[:3])})"


def _georgia(hits: list[Hit], text: str) -> None:
    georgia = [h for h in hits if h.surface.casefold() == "georgia" and not h.dropped]
    if not georgia or _evidence(hits, "GE", georgia[0].surface) or GE_CUES.search(text):
        return
    cue = US_STATE_CUES.search(text)
    if cue:
        for hit in georgia:
            hit.codes, hit.kind = ("US",), "place"
            hit.note = f'the US state (the text speaks of "{cue.group(0)}")'


def _two_countries(hits: list[Hit]) -> None:
    for hit in hits:
        if len(hit.codes) < 2 or hit.dropped:
            continue
        counts = {code: len(_evidence(hits, code, "")) for code in hit.codes}
        best = max(counts.values())
        winners = [code for code in hit.codes if counts[code] == best]
        if best and len(winners) == 1:
            hit.note = f'"{hit.surface}" read as {winners[0]}: the text names it otherwise too'
            hit.codes = (winners[0],)
        elif best:
            hit.dropped = f'"{hit.surface}" could be {" or ".join(winners)}: both are named'
        else:
            # With no other clue the larger, far more reported country is meant (DR Congo, South Korea).
            hit.note = f'"{hit.surface}" read as {hit.codes[0]}: no clue for {", ".join(hit.codes[1:])}'
            hit.codes = hit.codes[:1]
