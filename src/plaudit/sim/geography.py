"""Where accounts live: province, city and city tier, drawn consistently with each other.

Sources:

- Province populations (10,000s): the Seventh National Population Census, Communiqué No. 3
  (National Bureau of Statistics, 11 May 2021), which also lists Hong Kong, Macao and Taiwan.
- City populations: the same census's results for prefecture-level cities, rounded.
- City tiers: Yicai's New First-Tier Cities Institute, 2023 City Business Attractiveness
  Ranking (4 first-tier, 15 new first-tier, 30 second-tier cities); the third-tier entries
  here are a selection of its 70 and a few assignments are approximate. The ranking covers the
  mainland only; for Hong Kong, Macao and Taiwan the tiers below are our own, by size.

A province's people outside the listed cities live in "other city of <province>", split over
tiers 3, 4 and 5. Internet use is higher in bigger cities (CNNIC's 47th report: 70% of users
urban against a 64% urbanisation rate), so bigger tiers get a mild uplift. Hong Kong, Macao and
Taiwan get a low reach factor: a mainland app has comparatively few users there.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from plaudit.accounts.model import CITY_TIERS
from plaudit.sim.sampling import cdf_of, pick

__all__ = [
    "CITIES",
    "PLACES",
    "PLACE_TIERS",
    "PROVINCES",
    "City",
    "Place",
    "Province",
    "draw_places",
]


class Province(NamedTuple):
    code: str  # ISO 3166-2:CN without "CN-"
    name: str
    population: int  # 10,000s, 2020 census


class City(NamedTuple):
    name: str
    province: str
    tier: str
    population: int  # 10,000s, 2020 census


class Place(NamedTuple):
    province: str
    city: str
    tier: str


PROVINCES: tuple[Province, ...] = (
    Province("BJ", "Beijing", 2189), Province("TJ", "Tianjin", 1387),
    Province("HE", "Hebei", 7461), Province("SX", "Shanxi", 3492),
    Province("NM", "Inner Mongolia", 2405), Province("LN", "Liaoning", 4259),
    Province("JL", "Jilin", 2407), Province("HL", "Heilongjiang", 3185),
    Province("SH", "Shanghai", 2487), Province("JS", "Jiangsu", 8475),
    Province("ZJ", "Zhejiang", 6457), Province("AH", "Anhui", 6103),
    Province("FJ", "Fujian", 4154), Province("JX", "Jiangxi", 4519),
    Province("SD", "Shandong", 10153), Province("HA", "Henan", 9937),
    Province("HB", "Hubei", 5775), Province("HN", "Hunan", 6644),
    Province("GD", "Guangdong", 12601), Province("GX", "Guangxi", 5013),
    Province("HI", "Hainan", 1008), Province("CQ", "Chongqing", 3205),
    Province("SC", "Sichuan", 8367), Province("GZ", "Guizhou", 3856),
    Province("YN", "Yunnan", 4721), Province("XZ", "Tibet", 365),
    Province("SN", "Shaanxi", 3953), Province("GS", "Gansu", 2502),
    Province("QH", "Qinghai", 592), Province("NX", "Ningxia", 720),
    Province("XJ", "Xinjiang", 2585), Province("HK", "Hong Kong", 747),
    Province("MO", "Macao", 68), Province("TW", "Taiwan", 2356),
)  # fmt: skip

CITIES: tuple[City, ...] = (
    # first tier
    City("Shanghai", "SH", "1", 2487), City("Beijing", "BJ", "1", 2189),
    City("Shenzhen", "GD", "1", 1756), City("Guangzhou", "GD", "1", 1868),
    # new first tier
    City("Chengdu", "SC", "new1", 2094), City("Chongqing", "CQ", "new1", 3205),
    City("Hangzhou", "ZJ", "new1", 1194), City("Xi'an", "SN", "new1", 1295),
    City("Wuhan", "HB", "new1", 1232), City("Suzhou", "JS", "new1", 1275),
    City("Zhengzhou", "HA", "new1", 1260), City("Nanjing", "JS", "new1", 931),
    City("Tianjin", "TJ", "new1", 1387), City("Changsha", "HN", "new1", 1005),
    City("Dongguan", "GD", "new1", 1047), City("Ningbo", "ZJ", "new1", 940),
    City("Foshan", "GD", "new1", 950), City("Hefei", "AH", "new1", 937),
    City("Qingdao", "SD", "new1", 1007),
    # second tier
    City("Kunming", "YN", "2", 846), City("Shenyang", "LN", "2", 907),
    City("Jinan", "SD", "2", 920), City("Wuxi", "JS", "2", 746),
    City("Xiamen", "FJ", "2", 516), City("Fuzhou", "FJ", "2", 829),
    City("Wenzhou", "ZJ", "2", 957), City("Jinhua", "ZJ", "2", 705),
    City("Harbin", "HL", "2", 1001), City("Dalian", "LN", "2", 745),
    City("Guiyang", "GZ", "2", 599), City("Nanning", "GX", "2", 874),
    City("Quanzhou", "FJ", "2", 878), City("Shijiazhuang", "HE", "2", 1124),
    City("Changchun", "JL", "2", 907), City("Nanchang", "JX", "2", 626),
    City("Huizhou", "GD", "2", 604), City("Changzhou", "JS", "2", 528),
    City("Jiaxing", "ZJ", "2", 540), City("Xuzhou", "JS", "2", 908),
    City("Nantong", "JS", "2", 773), City("Taiyuan", "SX", "2", 530),
    City("Baoding", "HE", "2", 1154), City("Zhuhai", "GD", "2", 244),
    City("Zhongshan", "GD", "2", 442), City("Lanzhou", "GS", "2", 436),
    City("Linyi", "SD", "2", 1102), City("Weifang", "SD", "2", 939),
    City("Yantai", "SD", "2", 710), City("Shaoxing", "ZJ", "2", 527),
    # third tier (a selection, with every remaining provincial capital)
    City("Taizhou", "ZJ", "3", 662), City("Haikou", "HI", "3", 287),
    City("Urumqi", "XJ", "3", 405), City("Luoyang", "HA", "3", 706),
    City("Langfang", "HE", "3", 546), City("Shantou", "GD", "3", 550),
    City("Huzhou", "ZJ", "3", 337), City("Xianyang", "SN", "3", 396),
    City("Yancheng", "JS", "3", 671), City("Jining", "SD", "3", 836),
    City("Hohhot", "NM", "3", 345), City("Yangzhou", "JS", "3", 456),
    City("Ganzhou", "JX", "3", 898), City("Fuyang", "AH", "3", 820),
    City("Zhangzhou", "FJ", "3", 505), City("Jieyang", "GD", "3", 558),
    City("Jiangmen", "GD", "3", 480), City("Guilin", "GX", "3", 493),
    City("Handan", "HE", "3", 941), City("Wuhu", "AH", "3", 364),
    City("Sanya", "HI", "3", 103), City("Huai'an", "JS", "3", 456),
    City("Zunyi", "GZ", "3", 660), City("Yinchuan", "NX", "3", 286),
    City("Hengyang", "HN", "3", 665), City("Shangrao", "JX", "3", 649),
    City("Liuzhou", "GX", "3", 416), City("Zibo", "SD", "3", 470),
    City("Putian", "FJ", "3", 321), City("Mianyang", "SC", "3", 487),
    City("Zhanjiang", "GD", "3", 698), City("Shangqiu", "HA", "3", 782),
    City("Yichang", "HB", "3", 401), City("Cangzhou", "HE", "3", 730),
    City("Lianyungang", "JS", "3", 460), City("Nanyang", "HA", "3", 971),
    City("Bengbu", "AH", "3", 330), City("Zhumadian", "HA", "3", 701),
    City("Chuzhou", "AH", "3", 399), City("Xingtai", "HE", "3", 711),
    City("Chaozhou", "GD", "3", 257), City("Qinhuangdao", "HE", "3", 314),
    City("Zhaoqing", "GD", "3", 411), City("Jingzhou", "HB", "3", 523),
    City("Zhoukou", "HA", "3", 903), City("Ma'anshan", "AH", "3", 216),
    City("Qingyuan", "GD", "3", 397), City("Weihai", "SD", "3", 291),
    City("Jiujiang", "JX", "3", 460), City("Xinxiang", "HA", "3", 625),
    City("Xinyang", "HA", "3", 623), City("Xiangyang", "HB", "3", 527),
    City("Yueyang", "HN", "3", 505), City("Anqing", "AH", "3", 417),
    City("Heze", "SD", "3", 880), City("Yichun", "JX", "3", 501),
    City("Huanggang", "HB", "3", 588), City("Tai'an", "SD", "3", 547),
    City("Suqian", "JS", "3", 499), City("Zhuzhou", "HN", "3", 390),
    City("Ningde", "FJ", "3", 315), City("Anshan", "LN", "3", 333),
    City("Nanchong", "SC", "3", 561), City("Lu'an", "AH", "3", 440),
    City("Daqing", "HL", "3", 278), City("Baotou", "NM", "3", 271),
    City("Jilin", "JL", "3", 362), City("Datong", "SX", "3", 311),
    City("Xining", "QH", "3", 247), City("Lhasa", "XZ", "4", 87),
    # outside the mainland ranking: our own tiers
    City("Hong Kong", "HK", "1", 747), City("Macao", "MO", "2", 68),
    City("Taipei", "TW", "1", 260), City("New Taipei", "TW", "2", 400),
    City("Taichung", "TW", "2", 282), City("Kaohsiung", "TW", "2", 277),
)  # fmt: skip

_TIER_UPLIFT = {"1": 1.15, "new1": 1.1, "2": 1.05, "3": 1.0, "4": 0.95, "5": 0.9}
_OTHER_SPLIT = (("3", 0.1), ("4", 0.4), ("5", 0.5))
_REACH = {"HK": 0.2, "MO": 0.2, "TW": 0.1}


def _places() -> tuple[tuple[Place, ...], tuple[float, ...]]:
    """Every listed city plus each province's remainder by tier, with its weight."""
    places: list[Place] = []
    weights: list[float] = []
    for province in PROVINCES:
        reach = _REACH.get(province.code, 1.0)
        listed = [c for c in CITIES if c.province == province.code]
        for city in listed:
            places.append(Place(province.code, city.name, city.tier))
            weights.append(city.population * _TIER_UPLIFT[city.tier] * reach)
        rest = province.population - sum(c.population for c in listed)
        for tier, share in _OTHER_SPLIT if rest > 0 else ():
            places.append(Place(province.code, f"other city of {province.name}", tier))
            weights.append(rest * share * _TIER_UPLIFT[tier] * reach)
    return tuple(places), tuple(weights)


PLACES, _PLACE_WEIGHTS = _places()
_PLACE_CDF = cdf_of(_PLACE_WEIGHTS)

PLACE_TIERS: NDArray[np.intp] = np.array([CITY_TIERS.index(p.tier) for p in PLACES])
"""Each place's tier as an index into `CITY_TIERS`, for vectorised use."""


def draw_places(rng: np.random.Generator, n: int) -> NDArray[np.intp]:
    """Indexes into `PLACES` for `n` people, by population share."""
    return pick(_PLACE_CDF, rng.random(n))
