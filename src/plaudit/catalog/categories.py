"""Content categories of videos, with the names users know in Chinese and English.

The list follows the vertical categories short-video platforms show creators (Douyin's and
Kuaishou's creator centres group content much like this); persona interest tags derive from it.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["CATEGORIES", "CATEGORY_IDS", "Category"]


class Category(NamedTuple):
    id: str
    en: str
    zh: str


CATEGORIES: tuple[Category, ...] = (
    Category("food", "Food", "美食"),
    Category("travel", "Travel", "旅行"),
    Category("beauty", "Beauty", "美妆"),
    Category("fashion", "Fashion", "穿搭"),
    Category("fitness", "Fitness", "健身"),
    Category("sports", "Sports", "体育"),
    Category("gaming", "Gaming", "游戏"),
    Category("music", "Music", "音乐"),
    Category("dance", "Dance", "舞蹈"),
    Category("comedy", "Comedy", "搞笑"),
    Category("film", "Film & TV", "影视"),
    Category("anime", "Anime", "二次元"),
    Category("education", "Education", "教育"),
    Category("study", "Study check-in", "学习打卡"),
    Category("tech", "Technology", "科技"),
    Category("digital", "Gadgets", "数码"),
    Category("cars", "Cars", "汽车"),
    Category("finance", "Finance", "财经"),
    Category("parenting", "Parenting", "亲子"),
    Category("pets", "Pets", "萌宠"),
    Category("home", "Home & living", "家居"),
    Category("farming", "Rural life", "三农"),
    Category("health", "Health", "健康"),
    Category("news", "News", "资讯"),
    Category("culture", "Culture & history", "人文"),
    Category("art", "Art & crafts", "手工艺术"),
    Category("photography", "Photography", "摄影"),
    Category("outdoors", "Outdoors", "户外"),
    Category("emotion", "Relationships", "情感"),
    Category("vlog", "Daily vlog", "日常"),
    Category("charity", "Charity", "公益"),
    Category("shopping", "Shopping", "好物分享"),
)

CATEGORY_IDS: frozenset[str] = frozenset(c.id for c in CATEGORIES)
