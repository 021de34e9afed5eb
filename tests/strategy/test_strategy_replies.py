"""Reply suggestions: chosen by the comment's language and intent and by the fan's standing."""

from __future__ import annotations

import pytest

from plaudit.strategy import FanStanding, suggest, thank
from plaudit.strategy.replies import intent_of, language_of

LOYAL = FanStanding("lily", follower=True, new_follower=False, loyal=True)
NEW = FanStanding("momo", follower=True, new_follower=True, loyal=False)
VISITOR = FanStanding("leo", follower=False, new_follower=False, loyal=False)


@pytest.mark.parametrize(
    ("body", "language", "intent"),
    [
        ("这个怎么做？", "zh", "question"),
        ("同款在哪里买", "zh", "question"),
        ("太好看了吧", "zh", "praise"),
        ("求教程！", "zh", "request"),
        ("有点无聊", "zh", "criticism"),
        ("来了来了", "zh", "reaction"),
        ("How did you film this", "en", "question"),
        ("I love this", "en", "praise"),
        ("part 2 please", "en", "request"),
        ("badminton later", "en", "reaction"),  # "bad" only as a whole word
    ],
)
def test_language_and_intent(body: str, language: str, intent: str) -> None:
    assert language_of(body) == language
    assert intent_of(body) == intent


def test_suggestion_mentions_the_fan_and_answers_in_the_comment_language() -> None:
    zh = suggest(1, "这个怎么做？", LOYAL)
    assert zh.body.startswith("@lily ")
    assert zh.language == "zh"
    assert zh.intent == "question"
    en = suggest(1, "这个怎么做？", LOYAL, language="en")
    assert en.language == "en"
    assert en.body.startswith("@lily ")
    assert en.body != zh.body


def test_the_fan_changes_the_template() -> None:
    loyal, new, visitor = (suggest(4, "太好看了", fan) for fan in (LOYAL, NEW, VISITOR))
    assert (loyal.audience, new.audience, visitor.audience) == ("loyal", "new", "visitor")
    assert "老粉" in loyal.body
    assert "欢迎新朋友" in new.body
    assert "老粉" not in visitor.body
    assert "欢迎" not in visitor.body


def test_same_comment_same_suggestion_and_neighbours_vary() -> None:
    assert suggest(7, "I love this", LOYAL) == suggest(7, "I love this", LOYAL)
    assert suggest(7, "I love this", LOYAL).body != suggest(8, "I love this", LOYAL).body


def test_thank_you_notes_fit_the_fan() -> None:
    assert "一直以来" in thank(LOYAL, "zh").body
    assert thank(NEW, "en").body.startswith("@momo Welcome")
    assert thank(VISITOR, "zh").audience == "fan"
