"""Reply suggestions from templates: no external model, so every suggestion is explainable.

A suggestion is chosen by the comment (its language and what it does: asks, praises, requests,
criticises, or just reacts) and by the fan (new follower, loyal fan, not following). The
variant among equals is picked by the comment id, so the same comment always gets the same
suggestion and neighbouring comments do not all get the same words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["FanStanding", "Suggestion", "intent_of", "language_of", "suggest", "thank"]

_CJK = re.compile(r"[\u3400-\u9fff]")
_CUES: tuple[tuple[str, str, str], ...] = (  # intent, Chinese cues, English words (| separated)
    ("question", "?|？|吗|怎么|什么|哪里|哪个|多少|为啥|为什么", "how|what|where|which|why|when"),
    ("criticism", "不好|难看|失望|无聊|差评|不行|退步", "boring|bad|worse|disappointed|meh"),
    ("request", "求|再来|多发|更新|下期|出一期|教程", "please|more|next|tutorial"),
    (
        "praise",
        "好看|喜欢|太棒|厉害|绝了|爱了|牛|赞|好听|好吃|学到|感动",
        "love|great|amazing|awesome|nice|cool|beautiful",
    ),
)


def _pattern(zh: str, en: str) -> re.Pattern[str]:
    """Chinese cues anywhere (no word breaks in Chinese); English ones as whole words."""
    chinese = "|".join(re.escape(cue) for cue in zh.split("|"))
    return re.compile(rf"{chinese}|\b(?:{en})\b", re.IGNORECASE)


_INTENTS = tuple((intent, _pattern(zh, en)) for intent, zh, en in _CUES)


@dataclass(frozen=True)
class FanStanding:
    """What the template needs to know about the fan."""

    handle: str
    follower: bool
    new_follower: bool  # followed within the last 14 days
    loyal: bool  # among the creator's most valuable fans in the plan


@dataclass(frozen=True)
class Suggestion:
    language: str
    intent: str
    audience: str  # new | loyal | fan | visitor: which template row was used
    body: str

    def as_dict(self) -> dict[str, str]:
        return {
            "language": self.language,
            "intent": self.intent,
            "audience": self.audience,
            "body": self.body,
        }


def language_of(text: str) -> str:
    return "zh" if _CJK.search(text) else "en"


def intent_of(text: str) -> str:
    for intent, pattern in _INTENTS:
        if pattern.search(text):
            return intent
    return "reaction"


_REPLIES: dict[tuple[str, str], tuple[str, ...]] = {
    ("zh", "question"): (
        "@{handle} 好问题！我下条视频里详细说说～",
        "@{handle} 谢谢提问，简单说一下：我会在评论区置顶补充细节！",
    ),
    ("zh", "praise"): (
        "@{handle} 谢谢喜欢！你的支持是我更新的动力❤️",
        "@{handle} 被你夸到了，开心！下期继续努力～",
    ),
    ("zh", "request"): (
        "@{handle} 收到！已经加进下期的计划啦，敬请期待～",
        "@{handle} 好主意，安排上！有进展第一时间告诉你",
    ),
    ("zh", "criticism"): (
        "@{handle} 谢谢直言，我会认真改进，欢迎继续提建议",
        "@{handle} 收到反馈了，哪里可以更好？很想听听你的想法",
    ),
    ("zh", "reaction"): (
        "@{handle} 谢谢你的评论～",
        "@{handle} 谢谢来看！常来玩呀",
    ),
    ("en", "question"): (
        "@{handle} Great question! I'll cover it in detail in my next video.",
        "@{handle} Thanks for asking - I'll pin a fuller answer in the comments.",
    ),
    ("en", "praise"): (
        "@{handle} Thank you so much! Your support keeps me going.",
        "@{handle} That made my day - more coming soon!",
    ),
    ("en", "request"): (
        "@{handle} Noted! It's on the list for an upcoming video.",
        "@{handle} Great idea - I'll let you know when it's up.",
    ),
    ("en", "criticism"): (
        "@{handle} Thanks for being honest - I'll work on it. What would you change?",
        "@{handle} Fair point, thank you. Feedback like this helps me improve.",
    ),
    ("en", "reaction"): (
        "@{handle} Thanks for watching and commenting!",
        "@{handle} Thanks for stopping by!",
    ),
}

_OPENERS: dict[tuple[str, str], str] = {
    ("zh", "new"): "欢迎新朋友！",
    ("zh", "loyal"): "老粉来啦！",
    ("zh", "visitor"): "",
    ("zh", "fan"): "",
    ("en", "new"): "Welcome aboard! ",
    ("en", "loyal"): "Always great to see you! ",
    ("en", "visitor"): "",
    ("en", "fan"): "",
}

_THANKS: dict[tuple[str, str], str] = {
    ("zh", "loyal"): "@{handle} 一直以来谢谢你的支持！每条视频都有你的点赞，真的很感动❤️",
    ("zh", "new"): "@{handle} 欢迎关注！谢谢你的点赞，希望以后的视频你也喜欢～",
    ("zh", "fan"): "@{handle} 好久不见！谢谢你的支持，最近更新了新内容，欢迎来看看～",
    ("en", "loyal"): "@{handle} Thank you for being here for every video - it means a lot!",
    ("en", "new"): "@{handle} Welcome, and thanks for the likes! Hope you enjoy what's next.",
    ("en", "fan"): "@{handle} Thanks for your support! There's new stuff up - hope you like it.",
}


def _audience(fan: FanStanding) -> str:
    if fan.new_follower:
        return "new"
    if fan.loyal:
        return "loyal"
    return "fan" if fan.follower else "visitor"


def suggest(
    comment_id: int, body: str, fan: FanStanding, language: str | None = None
) -> Suggestion:
    """The reply suggested for this comment from this fan (in the comment's language unless
    another is asked for)."""
    language = language or language_of(body)
    intent, audience = intent_of(body), _audience(fan)
    variants = _REPLIES[(language, intent)]
    text = variants[comment_id % len(variants)].format(handle=fan.handle)
    opener = _OPENERS[(language, audience)] if intent in ("praise", "reaction") else ""
    if opener:
        mention, _, rest = text.partition(" ")
        text = f"{mention} {opener}{rest}"
    return Suggestion(language, intent, audience, text)


def thank(fan: FanStanding, language: str) -> Suggestion:
    """A thank-you to a fan who has not commented: loyal, new, or drifting away."""
    audience = _audience(fan) if fan.follower else "fan"
    audience = audience if audience in ("loyal", "new") else "fan"
    return Suggestion(
        language, "thanks", audience, _THANKS[(language, audience)].format(handle=fan.handle)
    )
