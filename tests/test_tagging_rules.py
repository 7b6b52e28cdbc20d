"""Country words that mean something else, the outlet's own name, and topic keyword rules."""

from __future__ import annotations

import pytest

from generator.importer.countrytags import tag_countries
from generator.importer.gazetteer import table, tokens
from generator.importer.settings import load_settings
from generator.importer.topictags import TopicRules, tag_topics
from generator.model import Topic


def _found(body: str, title: str = "", ignore: tuple[str, ...] = ()) -> set[str]:
    tags = tag_countries(title, None, body, ignore=ignore)
    return set(tags.main) | set(tags.mentioned)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Georgia's governor said Atlanta voters would decide the runoff in the state senate race.", {"US"}),
        ("Georgia and Armenia met in Tbilisi to talk about the Caucasus.", {"GE", "AM"}),
        ("Michael Jordan scored 40 points. Jordan later thanked the fans.", set()),
        ("Jordan closed its border crossing with Syria, officials in Amman said.", {"JO", "SY"}),
        ("The turkey was roasted for Thanksgiving dinner. Turkey prices rose.", set()),
        ("Turkey and Türkiye are one country; Turkish troops crossed the border.", {"TR"}),
        ("Chad Johnson caught the ball. Chad said he felt good.", set()),
        ("Chad closed its border after fighting near N'Djamena.", {"TD"}),
        ("Niger's junta met in Niamey. Oil leaked in the Niger Delta.", {"NE", "NG"}),
        ("The Gulf of Guinea, Guinea-Bissau, Equatorial Guinea and Papua New Guinea.", {"GW", "GQ", "PG"}),
        ("Fighting in Congo near Goma displaced thousands.", {"CD"}),
        ("Voters in the Republic of Congo went to the polls. Congo's capital Brazzaville was calm.", {"CG"}),
        ("North Korea fired a missile. Korea has been divided since 1945.", {"KP"}),
        ("Wildfires burned in New Mexico and the Gulf of Mexico was calm.", {"US"}),
        ("Ivory Coast and Côte d'Ivoire name the same country.", {"CI"}),
        ("Norway's capital Oslo", {"NO"}),
        ("a guinea pig, a chad of paper and a turkey sandwich", set()),
    ],
)
def test_ambiguous_country_words(text: str, expected: set[str]) -> None:
    assert _found(text) == expected


@pytest.mark.parametrize(
    "body",
    [
        "The delegation arrived in Jordan. Jordan Peterson spoke.",
        "Jordan Peterson spoke. The delegation then arrived in Jordan.",
        "Mr. Jordan spoke. Refugees in Jordan waited.",
    ],
)
def test_the_country_in_a_place_context_stays_a_mention_beside_a_person(body: str) -> None:
    tags = tag_countries("", None, body)
    assert tags.main == ()  # the person makes the article's subject doubtful: never main
    assert tags.mentioned == ("JO",)
    assert "is the country, though" in tags.reasons("JO")
    assert len(tags.ignored()) == 1  # only the person's own "Jordan" is dropped


def test_a_person_after_a_sentence_end_is_named_by_the_next_word() -> None:
    tags = tag_countries("", None, "The delegation arrived in Jordan. Jordan Peterson spoke.")
    assert tags.ignored() == ['body "Jordan": a person\'s name ("Jordan Peterson")']


@pytest.mark.parametrize(
    "body",
    [
        "Pippen passed to Jordan. Michael Jordan scored.",  # "to" fits a person as well as a place
        "Fans in Jordan's hometown cheered. Michael Jordan waved.",  # possessive: the person's
    ],
)
def test_the_person_still_wins_outside_a_place_context(body: str) -> None:
    assert _found(body) == set()


def test_the_outlets_own_name_never_counts() -> None:
    text = "The Moscow Times reported the verdict, citing court documents from Minsk."
    assert _found(text, ignore=("The Moscow Times",)) == {"BY"}
    assert "RU" in _found(text)


def test_main_and_mentioned_by_weight() -> None:
    tags = tag_countries(
        "Sudan's Army Retakes Khartoum Bridge",
        "Fighting in the Sudanese capital eased on Monday.",
        "Sudan's army said it had retaken a bridge in Khartoum. Darfur remained tense. Egypt urged calm.",
    )
    assert tags.main == ("SD",)
    assert tags.mentioned == ("EG",)
    assert "reaction" in tags.reasons("EG")


def test_gazetteer_is_small_and_lazy() -> None:
    entries, longest = table()
    assert entries[tokens("Hasakah")].codes == ("SY",)
    assert entries[tokens("pro-Iranian")[1:]].codes == ("IR",)
    assert entries[tokens("Congo")].codes == ("CD", "CG")
    assert longest <= 8


def test_topic_rules_weights_and_threshold() -> None:
    rules = TopicRules(
        {"sport": {"football": 2.0, "match*": 1.0}, "economy": {"market*": 1.0}}, threshold=3.0, share=0.1
    )
    tags = tag_topics(
        "Football Final Sells Out", None, "The match drew a record crowd; markets were closed.", rules
    )
    assert tags.chosen == ("sport",)
    assert tags.scores == {"sport": 7.0, "economy": 1.0}
    assert tags.reasons("sport") == 'weight 7: "football", "match*"'


def test_topic_rules_from_site_toml(tmp_path) -> None:
    (tmp_path / "site.toml").write_text(
        'title = "T"\n[[topics]]\nslug = "sport"\nlabel = "Sport"\n[[topics]]\nslug = "media"\nlabel = "Media"\n'
        '[tagging]\nthreshold = 1.5\n[tagging.topics.sport]\nkeywords = { "regatta" = 2 }\n'
        '[tagging.topics.media]\nkeywords = ["podcast"]\nreplace = true\n',
        encoding="utf-8",
    )
    settings = load_settings(tmp_path)
    assert settings.topics.threshold == 1.5
    assert settings.topics.keywords["sport"]["regatta"] == 2.0
    assert "football" in settings.topics.keywords["sport"]  # the built-in rules stay
    assert settings.topics.keywords["media"] == {"podcast": 1.0}
    assert settings.config.topics == (Topic("sport", "Sport"), Topic("media", "Media"))


def test_bad_tagging_settings_are_reported(tmp_path) -> None:
    (tmp_path / "site.toml").write_text(
        'title = "T"\n[[topics]]\nslug = "sport"\nlabel = "Sport"\n'
        '[tagging]\nthreshold = "high"\nmood = 1\n[tagging.topics.weather]\nkeywords = ["rain"]\n',
        encoding="utf-8",
    )
    from generator.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    messages = [d.message for d in caught.value.diagnostics]
    assert "tagging.topics.weather: no such topic in [[topics]]" in messages
    assert "tagging.threshold: expected a number of 0 or more" in messages
    assert "tagging.mood: unknown setting" in messages
