"""The words of the demo: nicknames, video titles and comment bodies, from small templates.

Nicknames mix the styles seen on Chinese short-video apps (小/阿 + a given-name character,
playful suffixes, Latin nicknames); comments are the short reactions that make up most
comment sections, in Chinese and some English.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from plaudit.catalog.categories import CATEGORIES

__all__ = ["COMMENT_BODIES", "display_names", "video_titles"]

_PREFIXES = ("小", "阿", "大", "老", "", "", "", "")
_CORES = (
    "明", "丽", "芳", "伟", "静", "敏", "婷", "杰", "磊", "欣", "悦", "晨", "雨", "阳",
    "宇", "萱", "涵", "轩", "浩", "琪", "鹏", "雪", "瑶", "博", "凡", "可", "乐", "桃",
)  # fmt: skip
_SUFFIXES = (
    "", "", "", "酱", "同学", "呀", "的日常", "爱生活", "不吃香菜", "今天也要加油",
    "在路上", "2024", "_", "🌸", "不熬夜",
)  # fmt: skip
_LATIN = ("Lily", "Kevin", "Momo", "Coco", "Leo", "Amy", "Jack", "Nana", "Tina", "Sunny")
_CREATOR_STYLES = ("{nick}{zh}", "{nick}的{zh}日记", "{nick}说{zh}", "{nick}{zh}vlog")

_TOPICS: dict[str, tuple[str, ...]] = {
    "food": ("红烧肉", "螺蛳粉", "火锅", "煎饼果子"), "travel": ("大理", "川西", "西湖"),
    "beauty": ("通勤妆", "防晒", "眼妆"), "fashion": ("秋冬穿搭", "小个子穿搭", "配色"),
    "fitness": ("帕梅拉", "跳绳", "深蹲"), "sports": ("篮球", "羽毛球", "马拉松"),
    "gaming": ("王者荣耀", "原神", "和平精英"), "music": ("翻唱", "吉他弹唱", "钢琴"),
    "dance": ("街舞", "广场舞", "手势舞"), "comedy": ("办公室", "我妈", "室友"),
    "film": ("电影解说", "经典台词", "剧情混剪"), "anime": ("cos", "番剧推荐", "手办"),
    "education": ("英语口语", "数学思维", "历史冷知识"), "study": ("考研", "早起背单词", "图书馆"),
    "tech": ("AI", "编程", "芯片"), "digital": ("手机测评", "耳机", "平板"),
    "cars": ("新能源车", "试驾", "自驾"), "finance": ("理财", "基金", "记账"),
    "parenting": ("宝宝辅食", "亲子游戏", "育儿"), "pets": ("猫咪", "柯基", "仓鼠"),
    "home": ("收纳", "出租屋改造", "好物"), "farming": ("插秧", "赶集", "农家菜"),
    "health": ("养生", "八段锦", "护眼"), "news": ("今日热点", "天气", "科普"),
    "culture": ("非遗", "古建筑", "书法"), "art": ("手工", "水彩", "剪纸"),
    "photography": ("手机摄影", "人像", "夜景"), "outdoors": ("露营", "徒步", "钓鱼"),
    "emotion": ("情侣日常", "异地恋", "成长"), "vlog": ("上班", "周末", "独居"),
    "charity": ("公益", "支教", "助农"), "shopping": ("开箱", "平价好物", "双十一"),
}  # fmt: skip
_HOOKS = (
    "新手必看", "第{n}天", "三分钟学会", "你一定没见过", "今日份", "挑战{n}小时",
    "真实体验", "保姆级教程", "太绝了", "合集 Part {n}", "| daily", "| try it",
)  # fmt: skip

COMMENT_BODIES: tuple[str, ...] = tuple(
    base + tail
    for base in (
        "太好看了", "哈哈哈哈哈", "学到了", "求教程", "这也太可爱了吧", "支持一下",
        "已关注", "第一次刷到", "绝了", "收藏了", "笑死我了", "有被治愈到", "打卡",
        "来了来了", "好听", "什么时候更新", "同款在哪里买", "太真实了", "Amazing",
        "Love this", "So cute", "Great video", "where is this?", "Thanks for sharing",
    )
    for tail in ("", "！", "👍", "❤️", "😂")
)  # fmt: skip
"""Every comment body the generator writes."""

_ZH = tuple(c.zh for c in CATEGORIES)


def _nickname(r: int) -> str:
    """A nickname from the bits of a random integer (one draw per name keeps this cheap)."""
    if r % 7 == 0:
        return f"{_LATIN[(r >> 3) % len(_LATIN)]}{(r >> 8) % 1000}"
    prefix = _PREFIXES[(r >> 3) % len(_PREFIXES)]
    core = _CORES[(r >> 6) % len(_CORES)]
    second = _CORES[(r >> 11) % len(_CORES)] if (r >> 16) % 3 == 0 else ""
    return prefix + core + second + _SUFFIXES[(r >> 18) % len(_SUFFIXES)]


def display_names(rng: np.random.Generator, creator_category: NDArray[np.intp]) -> list[str]:
    """One display name per account; `creator_category` is -1 for a fan, else the creator's
    primary category, which creators put in their names."""
    bits = rng.integers(0, 1 << 40, len(creator_category)).tolist()
    names = []
    for r, category in zip(bits, creator_category.tolist(), strict=True):
        nick = _nickname(r)
        if category >= 0:
            style = _CREATOR_STYLES[(r >> 24) % len(_CREATOR_STYLES)]
            nick = style.format(nick=nick, zh=_ZH[category])
        names.append(nick)
    return names


def video_titles(rng: np.random.Generator, category: NDArray[np.uint8]) -> list[str]:
    """A short title per video, about its category."""
    bits = rng.integers(0, 1 << 40, len(category)).tolist()
    titles = []
    for r, index in zip(bits, category.tolist(), strict=True):
        topics = _TOPICS[CATEGORIES[index].id]
        hook = _HOOKS[(r >> 4) % len(_HOOKS)].format(n=1 + (r >> 10) % 30)
        titles.append(f"{topics[r % len(topics)]} {hook} #{_ZH[index]}")
    return titles
