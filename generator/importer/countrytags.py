"""Which countries an article is about, and which it only mentions.

Every gazetteer phrase found in the title, summary and body is a hit; the rules of
:mod:`generator.importer.ambiguity` drop or re-point the hits that are people, a US state,
a bird or the other Congo. Each remaining hit weighs by where it stands (a title mention
says more than one in the tenth paragraph); a country whose weight is a fair share of the
strongest one's is a main country, any other is only mentioned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise

from generator.countries import country_by_code
from generator.importer.ambiguity import SENTENCE_END, Hit, apply_rules
from generator.importer.gazetteer import TOKEN_RE, table

PART_WEIGHT = {"title": 3.0, "summary": 2.0, "body": 1.0}
KIND_WEIGHT = {"name": 1.0, "demonym": 1.0, "place": 0.8, "venue": 0.3}
MAIN_SHARE = 0.2  # of the strongest country's weight
MAIN_MINIMUM = 2.0  # one passing mention in the body is never enough
REACTION_WEIGHT = 0.5  # "The United States condemned the launch": a reaction, not the story
_REACTION = re.compile(
    r"^(?:,[^,.;]{1,60},)?\s+(?:has |have |had |also |quickly |swiftly )?(?:said|says|condemned|condemns|welcomed|"
    r"welcomes|urged|urges|called (?:on|for)|calls (?:on|for)|denied|denies|congratulated|voiced|expressed|"
    r"praised|critici[sz]ed|warned|offered|pledged|demanded)\b"
)
_SUBJECT_START = re.compile(r"(?:^|[.!?][\"”’]?\s+)(?:The\s+)?$")
_JOIN = re.compile(r"[ \t\-\u2010\u2011.'’]{1,3}")  # what may stand between the words of one phrase


@dataclass(frozen=True)
class CountryTags:
    """The countries of one article, by ISO alpha-2 code, in order of first appearance."""

    main: tuple[str, ...] = ()
    mentioned: tuple[str, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)
    hits: tuple[Hit, ...] = ()

    def reasons(self, code: str) -> str:
        """One line: the weight and the words that made it, for reports and --explain."""
        counted: dict[str, int] = {}
        for hit in self.hits:
            if not hit.dropped and hit.codes == (code,):
                label = f'{hit.part} "{hit.surface}"' + (f" ({hit.note})" if hit.note else "")
                counted[label] = counted.get(label, 0) + 1
        words = ", ".join(f"{label} x{n}" if n > 1 else label for label, n in counted.items())
        return f"weight {self.scores.get(code, 0):g}: {words}"

    def ignored(self) -> list[str]:
        return [f'{hit.part} "{hit.surface}": {hit.dropped}' for hit in self.hits if hit.dropped]


def tag_countries(title: str, summary: str | None, body: str, *, ignore: tuple[str, ...] = ()) -> CountryTags:
    """Tag one article; ``ignore`` lists names that never count (the outlet's own, "The Moscow Times")."""
    parts = {"title": title, "summary": summary or "", "body": body}
    hits: list[Hit] = []
    for part, text in parts.items():
        hits += _find(part, _blank(text, ignore))
    apply_rules(hits, _blank("\n".join(parts.values()), ignore))
    scores: dict[str, float] = {}
    order: list[str] = []
    capped: set[str] = set()  # countries seen only where a person of the same name is in the text
    for hit in hits:
        if hit.dropped or len(hit.codes) != 1:
            continue
        code = hit.codes[0]
        if hit.mention_only:
            capped.add(code)
        weight = PART_WEIGHT[hit.part] * KIND_WEIGHT[hit.kind]
        if hit.reaction:
            weight *= REACTION_WEIGHT
            hit.note = hit.note or "a reaction"
        scores[code] = scores.get(code, 0.0) + weight
        if code not in order:
            order.append(code)
    ranked = sorted(scores.values(), reverse=True)
    top = ranked[0] if ranked else 0.0
    # A mention-only country is never main: _people rescues it from a person of that name, and only
    # _evidence (other words for the country) can undo that; it did not, so the article is not about it.
    candidates = [c for c in order if c not in capped]
    main = tuple(c for c in candidates if scores[c] >= MAIN_MINIMUM and scores[c] >= MAIN_SHARE * top)
    if not main and ranked and (len(ranked) == 1 or top >= 2 * ranked[1]):
        # A story that names one country, however briefly, is about it ("in North Carolina").
        main = tuple(c for c in candidates if scores[c] == top)[:1]
    mentioned = tuple(c for c in order if c not in main)
    return CountryTags(main, mentioned, {c: round(s, 2) for c, s in scores.items()}, tuple(hits))


def country_name(code: str) -> str:
    return country_by_code(code).name


def _blank(text: str, names: tuple[str, ...]) -> str:
    """``text`` with every ``names`` occurrence replaced by spaces, so offsets and sentences stay put."""
    for name in names:
        if name.strip():
            pattern = re.compile(r"(?<!\w)" + re.escape(name.strip()) + r"(?!\w)", re.IGNORECASE)
            text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    return text


def _find(part: str, text: str) -> list[Hit]:
    entries, longest = table()
    words = [(m.group(0), m.start(), m.end()) for m in TOKEN_RE.finditer(text)]
    hits: list[Hit] = []
    i = 0
    while i < len(words):
        for n in range(min(longest, len(words) - i), 0, -1):
            span = words[i : i + n]
            if n > 1 and not all(_JOIN.fullmatch(text[a[2] : b[1]]) for a, b in pairwise(span)):
                continue
            entry = entries.get(tuple(w for w, _, _ in span))
            if entry is None:
                continue
            start, end = span[0][1], span[-1][2]
            prev = words[i - 1] if i else ("", 0, 0)
            after = words[i + n] if i + n < len(words) else ("", end, end)
            before_prev = text[words[i - 2][2] : prev[1]] if i >= 2 else ""
            hit = Hit(
                codes=entry.codes,
                kind=entry.kind,
                surface=text[start:end],
                part=part,
                index=i,
                prev=prev[0],
                prev_gap=text[prev[2] : start] if i else "",
                next=after[0],
                next_gap=text[end : after[1]],
                prev_sentence_start=i < 2 or bool(SENTENCE_END.search(before_prev)),
            )
            if not entry.codes:
                hit.dropped = f'part of "{entry.phrase}"'
            hit.reaction = entry.kind == "name" and bool(
                _SUBJECT_START.search(text[max(0, start - 8) : start])
                and _REACTION.match(text[end : end + 90])
            )
            hits.append(hit)
            i += n
            break
        else:
            i += 1
    return hits
