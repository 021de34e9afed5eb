"""The persona taxonomy (星图标签体系): every tag an account can carry, in documented families.

A tag has a stable id (`family.value`, never renamed: saved segments and exported bitmaps name
it), Chinese and English labels and a definition saying how `plaudit persona refresh` decides
it. Ids are ASCII so they can be typed in segment expressions; cities use pinyin.

Two families are *ordered*: `age` and `spend`. Besides their band tags, the segment language
compares them numerically (`age in 25..35`, `spend >= 5000`); see docs/segments.md.
"""

from __future__ import annotations

from typing import NamedTuple

from plaudit.catalog.categories import CATEGORIES

__all__ = [
    "AGE_BANDS",
    "CITY_NAMES",
    "EXCLUSIVE_FAMILIES",
    "FAMILIES",
    "SPEND_BANDS",
    "TAGS",
    "TAGS_BY_ID",
    "Family",
    "Tag",
    "family_tags",
    "most_tags_per_account",
]


class Family(NamedTuple):
    id: str
    en: str
    zh: str
    description: str


class Tag(NamedTuple):
    id: str
    family: str
    en: str
    zh: str
    definition: str


FAMILIES: tuple[Family, ...] = (
    Family("gender", "Gender", "性别", "Gender as declared in the profile."),
    Family("age", "Age band", "年龄段", "Age at the refresh, from the profile's birth year."),
    Family("province", "Province", "省份", "Provincial division of the profile (34 in all)."),
    Family("city_tier", "City tier", "城市等级", "Tier of the profile's city (Yicai ranking)."),
    Family("city", "City", "城市", "The profile's city, for the 50 largest cities."),
    Family("spend", "Monthly spending", "月消费", "Declared monthly spending band, CNY."),
    Family(
        "interest",
        "Interest",
        "兴趣",
        "Content categories the account engages with: recency-weighted likes and comments "
        "(half-life 30 days; a comment weighs 2 likes). interest.X: weight >= 1 and at "
        "least 10% of the account's weight; interest.X.strong: weight >= 3 and at least 25%.",
    ),
    Family(
        "activity", "Activity level", "活跃度", "Interactions (likes, comments, shares) in 30 days."
    ),
    Family(
        "hours",
        "Active hours",
        "活跃时段",
        "The time of day (China time, UTC+8) of most of the account's interactions in 90 days.",
    ),
    Family("device", "Device class", "设备类型", "Kinds of device the account interacted from."),
    Family("tenure", "Tenure", "注册时长", "Time since the account was created."),
    Family("role", "Account role", "账号类型", "The kind of account."),
    Family("follows", "Following", "关注数", "How many creators the account follows."),
    Family("creator", "Creator reach", "创作者影响力", "Followers of a creator account."),
    Family(
        "engage",
        "Engagement propensity",
        "互动倾向",
        "How the account engages beyond likes, over its whole history.",
    ),
    Family(
        "life",
        "Life-stage signals",
        "人生阶段",
        "Inferred signals combining age, city and interests; signals, not facts.",
    ),
    Family(
        "campaign",
        "Campaign responsiveness",
        "活动响应",
        "Response to interaction tasks. Empty until campaigns exist: no account has these "
        "tags yet.",
    ),
)

EXCLUSIVE_FAMILIES: frozenset[str] = frozenset(
    {"gender", "age", "province", "city_tier", "city", "spend", "activity", "hours", "tenure",
     "role", "follows"}
)  # fmt: skip
"""Families whose tags never overlap: an account has at most one tag of each (counting uses
this to sum intersections instead of building a union)."""

AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("13_17", 13, 17),
    ("18_24", 18, 24),
    ("25_29", 25, 29),
    ("30_34", 30, 34),
    ("35_39", 35, 39),
    ("40_44", 40, 44),
    ("45_49", 45, 49),
    ("50_54", 50, 54),
    ("55_59", 55, 59),
    ("60_plus", 60, 150),
)
"""(tag suffix, youngest, oldest) of each age band."""

SPEND_BANDS: tuple[tuple[str, str, int, int | None], ...] = (
    ("0_1000", "0-1000", 0, 1000),
    ("1000_3000", "1000-3000", 1000, 3000),
    ("3000_5000", "3000-5000", 3000, 5000),
    ("5000_10000", "5000-10000", 5000, 10000),
    ("10000_plus", "10000+", 10000, None),
)
"""(tag suffix, profile value, lower bound, upper bound or None) of each spending band, CNY."""

_PROVINCES: tuple[tuple[str, str, str], ...] = (
    ("BJ", "Beijing", "北京"), ("TJ", "Tianjin", "天津"), ("HE", "Hebei", "河北"),
    ("SX", "Shanxi", "山西"), ("NM", "Inner Mongolia", "内蒙古"), ("LN", "Liaoning", "辽宁"),
    ("JL", "Jilin", "吉林"), ("HL", "Heilongjiang", "黑龙江"), ("SH", "Shanghai", "上海"),
    ("JS", "Jiangsu", "江苏"), ("ZJ", "Zhejiang", "浙江"), ("AH", "Anhui", "安徽"),
    ("FJ", "Fujian", "福建"), ("JX", "Jiangxi", "江西"), ("SD", "Shandong", "山东"),
    ("HA", "Henan", "河南"), ("HB", "Hubei", "湖北"), ("HN", "Hunan", "湖南"),
    ("GD", "Guangdong", "广东"), ("GX", "Guangxi", "广西"), ("HI", "Hainan", "海南"),
    ("CQ", "Chongqing", "重庆"), ("SC", "Sichuan", "四川"), ("GZ", "Guizhou", "贵州"),
    ("YN", "Yunnan", "云南"), ("XZ", "Tibet", "西藏"), ("SN", "Shaanxi", "陕西"),
    ("GS", "Gansu", "甘肃"), ("QH", "Qinghai", "青海"), ("NX", "Ningxia", "宁夏"),
    ("XJ", "Xinjiang", "新疆"), ("HK", "Hong Kong", "香港"), ("MO", "Macao", "澳门"),
    ("TW", "Taiwan", "台湾"),
)  # fmt: skip

_CITIES: tuple[tuple[str, str], ...] = (
    ("Chongqing", "重庆"), ("Shanghai", "上海"), ("Beijing", "北京"), ("Chengdu", "成都"),
    ("Guangzhou", "广州"), ("Shenzhen", "深圳"), ("Tianjin", "天津"), ("Xi'an", "西安"),
    ("Suzhou", "苏州"), ("Zhengzhou", "郑州"), ("Wuhan", "武汉"), ("Hangzhou", "杭州"),
    ("Baoding", "保定"), ("Shijiazhuang", "石家庄"), ("Linyi", "临沂"), ("Dongguan", "东莞"),
    ("Qingdao", "青岛"), ("Changsha", "长沙"), ("Harbin", "哈尔滨"), ("Nanyang", "南阳"),
    ("Wenzhou", "温州"), ("Foshan", "佛山"), ("Handan", "邯郸"), ("Ningbo", "宁波"),
    ("Weifang", "潍坊"), ("Hefei", "合肥"), ("Nanjing", "南京"), ("Jinan", "济南"),
    ("Xuzhou", "徐州"), ("Shenyang", "沈阳"), ("Changchun", "长春"), ("Zhoukou", "周口"),
    ("Ganzhou", "赣州"), ("Heze", "菏泽"), ("Quanzhou", "泉州"), ("Nanning", "南宁"),
    ("Kunming", "昆明"), ("Jining", "济宁"), ("Fuzhou", "福州"), ("Fuyang", "阜阳"),
    ("Shangqiu", "商丘"), ("Nantong", "南通"), ("Hong Kong", "香港"), ("Wuxi", "无锡"),
    ("Dalian", "大连"), ("Cangzhou", "沧州"), ("Xingtai", "邢台"), ("Yantai", "烟台"),
    ("Luoyang", "洛阳"), ("Jinhua", "金华"),
)  # fmt: skip
"""The 50 largest cities by 2020 census population (the names profiles use), with zh names."""

CITY_NAMES: dict[str, str] = {
    "".join(ch for ch in name.lower() if ch.isalpha()): name for name, _ in _CITIES
}
"""City tag suffix (pinyin, letters only) -> the city name stored in profiles."""

_TIERS = (
    ("new1", "New tier-1 city", "新一线城市"),
    ("1", "Tier-1 city", "一线城市"),
    ("2", "Tier-2 city", "二线城市"),
    ("3", "Tier-3 city", "三线城市"),
    ("4", "Tier-4 city", "四线城市"),
    ("5", "Tier-5 city", "五线城市"),
)

_HOURS = (
    ("morning", "Morning (6-11h)", "上午 (6-11点)", 6, 11),
    ("noon", "Midday (11-14h)", "午间 (11-14点)", 11, 14),
    ("afternoon", "Afternoon (14-18h)", "下午 (14-18点)", 14, 18),
    ("evening", "Evening (18-22h)", "晚间 (18-22点)", 18, 22),
    ("night", "Night (22-2h)", "深夜 (22-2点)", 22, 26),
    ("late_night", "Small hours (2-6h)", "凌晨 (2-6点)", 26, 30),
)


def _t(family: str, value: str, en: str, zh: str, definition: str) -> Tag:
    return Tag(f"{family}.{value}", family, en, zh, definition)


def _demographic_tags() -> list[Tag]:
    gender = [
        _t("gender", "female", "Women", "女性", "Profile gender is female."),
        _t("gender", "male", "Men", "男性", "Profile gender is male."),
        _t("gender", "other", "Other gender", "其他性别", "Profile gender is other."),
        _t("gender", "undisclosed", "Gender undisclosed", "未披露性别", "Gender not given."),
    ]
    age = [
        _t(
            "age",
            suffix,
            f"Aged {lo}+" if hi > 100 else f"Aged {lo}-{hi}",
            f"{lo}岁以上" if hi > 100 else f"{lo}-{hi}岁",
            f"Age {lo} or over at the refresh." if hi > 100 else f"Age {lo} to {hi}.",
        )
        for suffix, lo, hi in AGE_BANDS
    ]
    province = [
        _t("province", code.lower(), en, zh, f"Profile province is CN-{code}.")
        for code, en, zh in _PROVINCES
    ]
    tier = [_t("city_tier", v, en, zh, f"Profile city tier is {v}.") for v, en, zh in _TIERS]
    city = [
        _t("city", "".join(c for c in en.lower() if c.isalpha()), en, zh, f"Lives in {en}.")
        for en, zh in _CITIES
    ]
    spend = [
        _t(
            "spend",
            suffix,
            f"Spends {value} CNY/month",
            f"月消费{value}元",
            f"Declared monthly spending band {value} CNY.",
        )
        for suffix, value, _lo, _hi in SPEND_BANDS
    ]
    return gender + age + province + tier + city + spend


def _interest_tags() -> list[Tag]:
    tags: list[Tag] = []
    for cat in CATEGORIES:
        tags.append(_t("interest", cat.id, cat.en, cat.zh, f"Engages with {cat.en} content."))
        tags.append(
            _t(
                "interest",
                f"{cat.id}.strong",
                f"{cat.en} (strong)",
                f"{cat.zh}(强兴趣)",
                f"Engages strongly with {cat.en} content.",
            )
        )
    return tags


def _behaviour_tags() -> list[Tag]:
    return [
        _t("activity", "dormant", "Dormant", "沉默", "No interaction in 30 days."),
        _t("activity", "low", "Light", "低活跃", "1 to 4 interactions in 30 days."),
        _t("activity", "medium", "Regular", "中活跃", "5 to 29 interactions in 30 days."),
        _t("activity", "high", "Heavy", "高活跃", "30 or more interactions in 30 days."),
        *(
            _t("hours", v, en, zh, f"Most interactions between {a % 24}h and {b % 24}h.")
            for v, en, zh, a, b in _HOURS
        ),
        _t("device", "ios", "iPhone", "苹果手机", "Interacted from an iPhone app."),
        _t("device", "android", "Android phone", "安卓手机", "Interacted from an Android app."),
        _t("device", "harmonyos", "HarmonyOS phone", "鸿蒙手机", "Interacted from HarmonyOS."),
        _t("device", "tablet", "Tablet", "平板", "Interacted from an iPad or tablet."),
        _t("device", "web", "Web browser", "网页端", "Interacted from a web browser."),
        _t("device", "multi", "Several devices", "多设备", "Interacted from two or more devices."),
        _t("tenure", "new", "New (< 30 days)", "新用户(30天内)", "Created under 30 days ago."),
        _t("tenure", "1_3m", "1-3 months", "1-3个月", "Created 30 to 89 days ago."),
        _t("tenure", "3_12m", "3-12 months", "3-12个月", "Created 90 to 364 days ago."),
        _t("tenure", "1y_plus", "Over a year", "一年以上", "Created a year or more ago."),
        _t("role", "fan", "Fan", "粉丝用户", "A fan account."),
        _t("role", "creator", "Creator", "创作者", "A creator account."),
        _t("role", "brand", "Brand", "品牌", "A brand account."),
        _t("follows", "none", "Follows nobody", "无关注", "Follows no creator."),
        _t("follows", "1_5", "Follows 1-5", "关注1-5人", "Follows 1 to 5 creators."),
        _t("follows", "6_20", "Follows 6-20", "关注6-20人", "Follows 6 to 20 creators."),
        _t("follows", "21_plus", "Follows 21+", "关注21人以上", "Follows over 20 creators."),
        _t("creator", "followers_10", "10+ followers", "粉丝10+", "A creator with 10+ followers."),
        _t("creator", "followers_100", "100+ followers", "粉丝100+", "Creator, 100+ followers."),
        _t("creator", "followers_1000", "1000+ followers", "粉丝1000+", "Creator, 1000+ fans."),
        _t("engage", "commenter", "Commenter", "评论者", "Has commented on a video."),
        _t("engage", "sharer", "Sharer", "分享者", "Has shared a video."),
        _t("engage", "heavy_liker", "Heavy liker", "点赞达人", "In the top 10% of likes given."),
        _t(
            "engage",
            "conversational",
            "Conversational",
            "爱聊天",
            "At least one comment for every five likes, and 3+ comments.",
        ),
    ]


def _life_stage_tags() -> list[Tag]:
    return [
        _t("life", "student", "Student", "学生", "Aged 13-22 with an education/study interest."),
        _t(
            "life",
            "young_professional",
            "Young professional",
            "都市白领",
            "Aged 23-35 in a tier-1, new tier-1 or tier-2 city.",
        ),
        _t("life", "parent", "Parent", "宝爸宝妈", "Aged 25-50 with a parenting interest."),
        _t("life", "pet_owner", "Pet owner", "养宠人士", "Strong interest in pets."),
        _t("life", "car_intender", "Car intender", "购车意向", "Strong interest in cars."),
        _t("life", "homemaker", "Home maker", "居家达人", "Strong interest in home & living."),
        _t("life", "retiree", "Retiree", "退休人士", "Aged 60 or over."),
    ]


def _campaign_tags() -> list[Tag]:
    note = " Empty until campaigns exist."
    return [
        _t("campaign", "responder", "Task responder", "任务参与者", "Took part in a task." + note),
        _t("campaign", "redeemer", "Coupon redeemer", "领券核销者", "Redeemed a coupon." + note),
        _t("campaign", "donor", "Like-to-donate", "点赞公益参与者", "Liked to donate." + note),
    ]


TAGS: tuple[Tag, ...] = tuple(
    _demographic_tags()
    + _interest_tags()
    + _behaviour_tags()
    + _life_stage_tags()
    + _campaign_tags()
)
TAGS_BY_ID: dict[str, Tag] = {tag.id: tag for tag in TAGS}


def family_tags(family: str) -> tuple[Tag, ...]:
    """The tags of one family, in taxonomy order."""
    return tuple(tag for tag in TAGS if tag.family == family)


# interest.X needs at least 10% of the account's weight and interest.X.strong at least 25%
# (compute._interests), and a strong category is also a plain one. With p plain and s strong
# tags the shares need 0.1 p + 0.15 s <= 1, so p + s <= 10 - s / 2: at most 10 in all.
_INTEREST_MOST = 10


def most_tags_per_account(family: str) -> int:
    """How many tags of one family a single account can carry at once.

    This is the family's share of an insight profile's sensitivity (privacy.py): adding or
    removing one account moves at most this many of the family's cells. Exclusive families
    give 1, interests follow from their share thresholds, any other family is bounded by its
    size. A bound that no account can exceed by construction, so it needs no data.
    """
    if family in EXCLUSIVE_FAMILIES:
        return 1
    if family == "interest":
        return _INTEREST_MOST
    return len(family_tags(family))
