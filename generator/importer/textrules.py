"""Generic rules for the lines of a plain-text page dump: what is site chrome, a credit, a byline.

These work for an outlet Dateline has never seen; an outlet profile only adds to them. Each rule
answers with the reason a line is what it is, so the import report can say why it was dropped.
"""

from __future__ import annotations

import re

# Short lines that are a widget's words, never an article's (payment buttons, sharing, navigation).
WIDGET_WORDS = frozenset(
    w.strip()
    for w in """once, monthly, annual, annually, yearly, weekly, continue, donate, share, tweet, email, e-mail,
    print, facebook, twitter, x, whatsapp, telegram, linkedin, reddit, pinterest, flipboard, vk,
    copy link, link copied, comments, comment, advertisement, advertising, ad, sponsored,
    skip to content, skip to main content, menu, search, close, open, log in, login, sign in, sign up,
    register, subscribe, subscribed, follow, follow us, home, next, previous, prev, back, back to top,
    top, listen, listen to this article, save, saved, bookmark, paiment methods, payment methods, more,
    read more, see more, show more, load more, related, related articles, most read, most popular,
    trending, newsletter, newsletters, cookie settings, accept, reject, ok, got it, loading, play video,
    watch, photo, photos, gallery, video, audio, podcast, share this article, share on facebook,
    share on twitter, preview, other amount, one-time, one time, per month, per year, caption, credit,
    enlarge, expand, shares, explore further, by, view comments, hide caption, toggle caption""".split(",")  # noqa: SIM905 - a word list reads best as text
)

CHROME = [
    (
        re.compile(
            r"\b(sign up|subscribe|register)\b.*\b(newsletter|emails?|updates|inbox|briefing)\b", re.I
        ),
        "newsletter",
    ),
    (
        re.compile(
            r"\bnewsletters?\b.*\b(contains|delivered|every (day|week|morning|friday|monday))\b", re.I
        ),
        "newsletter",
    ),
    (
        re.compile(
            r"\b(privacy policy|terms of (use|service)|cookie (policy|settings)|we use cookies)\b", re.I
        ),
        "legal notice",
    ),
    (re.compile(r"^dear readers?\b", re.I), "donation appeal"),
    (
        re.compile(
            r"\b(support (us|our (work|journalism))|donate( now)?|make a (donation|contribution)|"
            r"become a (member|supporter|subscriber|patron)|not ready to support|remind me later|"
            r"contribution makes|every contribution|independent journalism needs you)\b",
            re.I,
        ),
        "donation appeal",
    ),
    (re.compile(r"^(©|\(c\)|copyright\b)|\ball rights reserved\b", re.I), "copyright line"),
    (re.compile(r"^(share|follow us|follow) (on|this|via)\b", re.I), "sharing widget"),
    (
        re.compile(
            r"^(click|tap) (here|to)\b|\bjavascript\b|\benable (cookies|javascript)\b|\(opens in new window\)",
            re.I,
        ),
        "page notice",
    ),
    (re.compile(r"^(advertisement|sponsored content|promoted|paid content)\b", re.I), "advertisement"),
    (re.compile(r"\s[|•»›]\s.*\s[|•»›]\s"), "navigation"),
    (
        re.compile(r"^(photo|image|video|picture|slide)s?:?\s*\d+\s*(of|/)\s*(/\s*)?\d*$", re.I),
        "gallery counter",
    ),
    (re.compile(r"^\d+\s?of\s?\d+\S", re.I), "gallery caption"),
    (re.compile(r"^\d+\s+(comments?|shares?|views?|min(ute)?s? read)$", re.I), "counter"),
    (re.compile(r"^(reading time|estimated reading time|\d+ min(ute)? read)\b", re.I), "counter"),
]

# Lines after which nothing of the article follows: reader comments, appeals, the site's footer.
END_MARKERS = re.compile(
    r"^(comments?( \(\d+\))?|\d+ comments?|leave a (reply|comment)|join the (conversation|discussion)|"
    r"a message from\b|dear readers?\b|sign up for (our|the)\b|you must log in to post|"
    r"most (read|popular|viewed)( stories| articles)?$|popular on\b|more (from|stories from)\b.{0,40}$|"
    r"what to read next|share this (article|story)|tags?:|filed under:?$|about the authors?$|"
    r"(sobre|über|à propos de) (?-i:[A-ZÀ-Þ][\w'’.-]+( [A-ZÀ-Þ][\w'’.-]+){0,3})$)",
    re.I,
)
# Lines that stand between an article's paragraphs as often as after them ("Related", "Read more"):
# dropped, but the article may go on below them.
INTERLUDES = re.compile(
    r"^(read more|related( articles| stories| coverage| content|:)?|see (more|also)|don'?t miss|"
    r"recommended( for you)?|you (may|might) also like|more on this( story)?|trending( now)?|"
    r"latest (news|headlines|stories)|top stories|editor'?s picks?|most (read|popular|viewed|shared))\b.{0,60}$",
    re.I,
)
CAPTION = re.compile(r"\((image|photo|picture|pic|credit|video|source)s?:\s*[^)]{1,60}\)\s*$", re.I)

AGENCIES = (
    r"Reuters|AP|AFP|The Associated Press|Associated Press|Bloomberg|TASS|Interfax|Xinhua|dpa|DPA|EFE|ANSA|"
    r"Kyodo|Anadolu( Agency)?|RIA Novosti|Sputnik|UPI|PA|Agencies|Staff and agencies|agencies|CNN|BBC"
)
AGENCY_CREDIT = re.compile(
    r"^\(?\s*((" + AGENCIES + r")\b.{0,80}\b(contributed|reporting|reported)\b|"
    r"(additional )?reporting by\b|(writing|editing|compiled|translated) by\b|"
    r"[A-Z][\w'’.-]*( [A-Z][\w'’.-]*){0,3} contributed (reporting|to this)\b|"
    r"with (reporting|additional reporting) (by|from)\b|"
    r"(this (article|story|report) (was|is|has been) (originally |first )?(published|produced|reported)))",
)
PHOTO_CREDIT_LINE = re.compile(
    r"^(\(?(photo|image|picture|photograph|illustration|cover photo|top photo|main photo)s?( credit)?\s*[:/]|"
    r"\(?(photo|image)s? (by|courtesy( of)?)\b)",
    re.I,
)
# A credit stuck to the end of a caption: "... killed Turkish troops. syria.mil.ru", "... troops. Sergei Ivanov / TASS".
_CREDIT_SOURCES = (
    r"AP|AFP|Reuters|EPA|TASS|Getty Images|Shutterstock|Unsplash|Pixabay|Wikimedia Commons|Anadolu Agency|"
    r"Xinhua|Sputnik|RIA Novosti|Kremlin\.ru|Pool|Handout|Flickr|Instagram|Twitter|Facebook|Telegram|"
    r"Moskva News Agency|Kommersant|Vedomosti"
)
TRAILING_CREDIT = re.compile(
    r"(?<=[.!?”\"’)])\s+("
    r"(?:[\w-]+\.)+[a-z]{2,}(?:/\S*)?"  # a web address: syria.mil.ru
    r"|(?:[A-Z][\w.'’-]*\s){0,4}[A-Z][\w.'’-]*\s?/\s?(?:[A-Z][\w.'’-]*\s?){1,4}"  # Name / Agency
    r"|(?:" + _CREDIT_SOURCES + r")(?:\s?/\s?[\w.'’ -]{1,40})?"
    r"|(?:Photo|Image|Credit):\s.{1,60}"
    r")$"
)
_NAME = r"[A-ZÀ-Þ][\w'’.-]+(?:\s+(?:[A-ZÀ-Þ][\w'’.-]+|de|da|do|dos|van|von|der|den|al|el|bin|ibn|ben)){0,4}"
BYLINE = re.compile(
    r"^(?i:(?:(?:written|words|story|text|posted|published|reported) )?by|authors?:|por)\s+"
    r"(?P<names>" + _NAME + r"(?:\s*(?:,|\band\b|&)\s*" + _NAME + r")*)"
    r"(?:\s*(?:[,|•·—–-]|\b(?:for|in|on|at)\b)\s*.{0,60})?$"
)
# A line that is nothing but a picture agency or "Name / Agency": a photo credit on its own line.
PHOTO_SOURCE_LINE = re.compile(
    r"^(?:(?:AP|AFP|EPA|Reuters) Photo\b.{0,60}|Getty Images.{0,40}|Shutterstock|Unsplash|Pixabay|"
    r"Wikimedia Commons|Flickr|Handout|Pool photo.{0,40}|"
    r"(?:[A-Z][\w.'’-]*\s){0,4}[A-Z][\w.'’-]*\s?/\s?(?:[A-Z][\w.'’-]*\s?){1,4})$"
)
AGENCY_LINE = re.compile(r"^(?:" + AGENCIES + r")$")
_MONTHS = r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
DATE_LINE = re.compile(
    r"^((published|updated|posted|last updated|first published|modified)( on| at)?:?\s*)?"
    r"([A-Z][a-z]+,?\s+)?(" + _MONTHS + r"\s+\d{1,2},?\s+\d{4}|\d{1,2}\s+" + _MONTHS + r",?\s+\d{4}|"
    r"\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{2,4})"
    r"([\s,|•·-]+(at\s+)?\d{1,2}[:.]\d{2}\s*([ap]\.?m\.?)?(\s*[A-Z]{2,4})?)?\s*(\|.*)?$",
    re.I,
)
_INNER_STOP = re.compile(r"[.!?。！？][\"”’)]*\s+[\"“‘(]?[A-Z]")
# The first line of a news story often opens with a dateline: "SAN FRANCISCO (AP) — ", "MOSCOW, Feb. 18 -".
STORY_OPENING = re.compile(
    r"^[A-ZÀ-Þ][A-ZÀ-Þ .,'’-]{2,40}(?:,? [A-Z][a-z]{1,5}\.?(?: \d{1,2})?)?,?\s*(?:\([\w .]+\)\s*)?[—–-]{1,2}\s"
)
SENTENCE_END = re.compile(r"[.!?…:;。！？][\"”’)\]」』]*$")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
# Chinese, Japanese and Korean run words together: about two characters make a word.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]{2}")


def words(line: str) -> list[str]:
    found = _WORD.findall(line)
    if _CJK.search(line):
        found = [w for w in found if not _CJK.search(w)] + _CJK.findall(line)
    return found


def chrome_reason(line: str) -> str:
    """Why ``line`` is site chrome rather than article text, or ""."""
    folded = line.strip().casefold().rstrip(".:!…")
    if folded in WIDGET_WORDS or (len(folded) < 60 and all(w in WIDGET_WORDS for w in folded.split())):
        return "widget words"
    if len(words(line)) <= 60:
        for pattern, reason in CHROME:
            if pattern.search(line):
                return reason
    return ""


def is_prose(line: str) -> bool:
    """A sentence or more of running text, as opposed to a headline, a label or a list item."""
    credit = TRAILING_CREDIT.search(line)
    line = line[: credit.start()] if credit else line
    found = words(line)
    if len(found) < 8:
        return False
    capitalised = sum(1 for w in found if w[0].isupper())
    if len(found) < 25 and capitalised / len(found) > 0.6:
        return False  # Headline Case: a title, a teaser or a navigation entry
    if SENTENCE_END.search(line):
        return True
    # A long line without a final stop is prose only if it has sentences inside: a tag cloud has none.
    return len(found) >= 20 and bool(_INNER_STOP.search(line))


def is_title_like(line: str) -> bool:
    found = words(line)
    return (
        2 <= len(found) <= 30 and not line.rstrip().endswith((".", ",", ";", ":")) and not chrome_reason(line)
    )


def byline_names(line: str) -> list[str]:
    """The people a byline names ("By Jane Doe and John Roe, Reuters" -> two names), or []."""
    match = BYLINE.match(line.strip())
    if not match or len(words(line)) > 14:
        return []
    names = re.split(r"\s*(?:,|\band\b|&)\s*", match.group("names"))
    agencies = re.compile(r"^(" + AGENCIES + r")( staff)?$", re.I)
    return [n.strip() for n in names if n.strip() and not agencies.match(n.strip())]
