"""Resolve where a report is: the town (属地) from a shared point, or from known places named in the text.

A place in words counts only when it resolves to something known: a gazetteer entry (village, community,
landmark, road), a town's name, or an address that names a building or community (古唐苑小区, 康乐苑3号楼) or a
road with a house number (建设路12号). Words that only point (俺们村, 咱小区, 这个公园, 我家楼下, 路口) never
count, however they are put; `vague_in` finds them so the bot can say what it did not understand.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from shapely.geometry import Point, shape
from shapely.prepared import prep

from bot.understanding.features import fold

# What a place found in words says about the town.
SETTLED = "settled"   # one town
SPANS = "spans"       # a known place across several towns (a road, a river), or names in different towns
ADDRESS = "address"   # an address pattern we cannot place in a town

_SEPARATORS = re.compile(r"[^\u4e00-\u9fffa-z0-9\s]+")
_SPACES = re.compile(r"\s+")
# A house or building number right after a known name belongs to the place: 晋源社区3号楼.
_NUMBER = re.compile(r"^[东西南北]?\d{1,5}(?:号楼|号院|号|栋|幢|单元)(?:\d{1,4}(?:单元|号|室))?")
# "不是义井村，是金胜村": a name right after a negation is the wrong one.
_NEGATED = re.compile(r"(?:不是|不在|并非|而非)(?:在|去)?$")

# Addresses not in the gazetteer: a name before a building or community word, or before a road word and a number.
_BUILDING_WORDS = ("小区|社区|花园|家园|公寓|大厦|广场|商场|购物中心|市场|学校|小学|中学|大学|学院|幼儿园|"
                   "医院|卫生院|超市|宾馆|酒店|车站|公交站|加油站|工业园|产业园|公园|苑|村")
_BUILDING = re.compile(rf"([\u4e00-\u9fff0-9]{{1,8}})((?:{_BUILDING_WORDS})(?:\d{{1,5}}(?:号楼|号院|号|栋|幢|单元))?)")
_NUMBERED_ROAD = re.compile(r"([\u4e00-\u9fff]{1,8})((?:大道|大街|街|路|巷|胡同)\d{1,5}号(?:院|楼)?)")
# Characters a proper name does not contain: pronouns, particles, verbs of asking and saying.
_NOT_IN_NAMES = set("我你他她它们咱俺这那哪谁的了吗呢吧啊呀么嘛呗着过就是有没也都还又很太请问管说看找去来"
                    "从给把被让对和跟与或些啥咋怎样个条片块每某全整该本此其在到")
# Words that sound like a name before 村/小区/路 but name nothing: 隔壁村, 老旧小区, 十字路口.
_GENERIC_STEMS = {
    "隔壁", "附近", "对面", "旁边", "楼下", "门口", "周边", "周围", "城中",
    "新农", "老旧", "居民", "住宅", "商品房", "高档", "十字", "丁字", "大马",
    "水泥", "柏油", "步行", "商业", "小吃", "美食", "农贸", "孩子", "单位",
    "公司", "工厂", "家里", "老家", "外地", "邻近", "山里", "乡下", "农家",
    "城里",
}

# Words that point at a place without naming it, longest first; found only to tell the resident.
_VAGUE = re.compile(
    r"(?:俺们|我们|咱们|你们|他们|俺|咱|我家|我|本|隔壁|附近|这个|那个|这条|那条|这片|那片|这家|那家|这|那)"
    r"(?:村口|村里|村|小区门口|小区里|小区|楼下|楼道|单元|院里|院子|家属院|街上|街|路口|路上|路边|路|巷子|公园|广场|"
    r"河边|河里|厕所|工地|市场|学校|饭店|地方|附近|一片|一带|边|里|儿)"
    r"|家门口|家楼下|楼下|门口|村口|村里|路口|路边|河里|河边|附近|旁边|对面|这边|那边|这儿|这里|那里|那儿|这块|那块")


@dataclass(frozen=True)
class TownArea:
    code: str
    name: str
    short_names: tuple[str, ...]
    boundary: dict | None


@dataclass(frozen=True)
class Place:
    """A place named in words: its label, its town when one is settled, why, and what kind of answer it is."""

    town_code: str | None
    place_text: str
    reason: str
    kind: str = SETTLED

    @property
    def settles_town(self) -> bool:
        return self.town_code is not None


@dataclass(frozen=True)
class _Hit:
    position: int
    name: str
    town: str | None
    is_town: bool
    label: str


class PlaceResolver:
    """Town from a point (inside a town polygon) or from gazetteer and town names in text."""

    def __init__(self, towns: list[TownArea], gazetteer: list[tuple[str, str | None]],
                 points: dict[str, tuple[float, float]] | None = None):
        self._towns = {town.code: town for town in towns}
        self._areas = [(town.code, prep(shape(town.boundary))) for town in towns if town.boundary]
        names: dict[str, tuple[str | None, bool]] = {}
        for name, town in gazetteer:
            if fold_name(name):
                names[fold_name(name)] = (town, False)
        for area in towns:
            for name in (area.name, *area.short_names):
                if fold_name(name):
                    names[fold_name(name)] = (area.code, True)
        # One list, longest first: 晋祠镇 (a town) is matched before 晋祠 (the temple),
        # and 古唐苑小区 before any shorter name inside it.
        self._names = sorted(((name, town, is_town) for name, (town, is_town) in names.items()),
                             key=lambda item: len(item[0]), reverse=True)
        gazetteer_towns = dict(gazetteer)
        self._points = [(name, latitude, longitude, gazetteer_towns.get(name))
                        for name, (latitude, longitude) in (points or {}).items()]

    @property
    def areas(self) -> list[TownArea]:
        """The towns in catalogue order with their boundaries (GeoJSON, GCJ-02): the map draws them."""
        return list(self._towns.values())

    def town_name(self, code: str | None) -> str | None:
        return self._towns[code].name if code in self._towns else None

    def from_point(self, latitude: float, longitude: float) -> str | None:
        """Return the code of the town whose polygon holds the point (GCJ-02, as WeChat sends it)."""
        point = Point(longitude, latitude)
        for code, area in self._areas:
            if area.contains(point):
                return code
        return None

    def nearest(self, latitude: float, longitude: float, within_m: float = 1500) -> str | None:
        """The known place (with coordinates in the gazetteer) nearest the point, if one is within reach."""
        best = min(((_metres(latitude, longitude, lat, lng), name) for name, lat, lng, _ in self._points),
                   default=None)
        return best[1] if best and best[0] <= within_m else None

    def from_text(self, text: str) -> Place | None:
        """Find the known places (or an address) in the text; the town only when the names agree."""
        folded = _chunks(text)
        hits, folded = self._known(folded)
        places = [hit for hit in hits if not hit.is_town]
        addresses = _addresses(folded) if not places else []
        if not hits and not addresses:
            return None
        towns = sorted({hit.town for hit in hits if hit.town})
        town = towns[0] if len(towns) == 1 else None
        reasons = [f"提到“{hit.name}”" if hit.is_town
                   else f"地名“{hit.name}”属{self._towns[hit.town].name}" if hit.town in self._towns
                   else f"地名“{hit.name}”跨多个镇街" for hit in hits]
        reasons += [f"地址“{address}”" for address in addresses]
        if len(towns) > 1:
            reasons.append("涉及多个镇街，待指挥部确认")
        rest = places[0].label if places else addresses[0] if addresses else ""
        if len(towns) > 1:
            label = "、".join(dict.fromkeys(hit.label for hit in hits))
        elif town:
            # A place of the town names it best; else the town's name stays in the label (罗城街道晋祠路),
            # so that the label alone settles the same town again.
            label = next((hit.label for hit in places if hit.town == town), None) or self._towns[town].name + rest
        else:
            label = rest
        kind = SETTLED if town else SPANS if hits else ADDRESS
        if not town and not hits:
            reasons.append("未能确定镇街")
        return Place(town, label[:200], "；".join(reasons), kind)

    def without_places(self, text: str) -> str:
        """The text with every known name and address taken out (folded, without punctuation)."""
        _, masked = self._known(_chunks(text))
        for address in _addresses(masked):
            masked = masked.replace(address, "")
        return masked.replace("\0", "").replace("|", "")

    def vague_in(self, text: str) -> str | None:
        """The words that point at a place without naming it (俺们村口, 我家楼下), if any: to say what we lack."""
        match = _VAGUE.search(_chunks(text))
        return match.group(0) if match else None

    def _known(self, folded: str) -> tuple[list[_Hit], str]:
        """Known names in the text, in the order written; each is masked, so 晋祠路 does not also count as 晋祠."""
        hits = []
        for name, town, is_town in self._names:
            start = folded.find(name)
            while start >= 0:
                end = start + len(name)
                number = _NUMBER.match(folded[end:])
                if not _NEGATED.search(folded[max(0, start - 4):start]):
                    hits.append(_Hit(start, name, town, is_town, name + (number.group(0) if number else "")))
                folded = folded[:start] + "\0" * len(name) + folded[end:]
                start = folded.find(name, end)
        return sorted(hits, key=lambda hit: hit.position), folded


def fold_name(text: str) -> str:
    """A name as the resolver compares it: width, case and traditional characters folded, spaces dropped."""
    return _SPACES.sub("", fold(text))


def _chunks(text: str) -> str:
    """The text folded, spaces dropped, punctuation kept as one separator so no name spans two phrases."""
    return _SEPARATORS.sub("|", fold_name(text))


def _addresses(folded: str) -> list[str]:
    found = []
    for pattern in (_BUILDING, _NUMBERED_ROAD):
        for chunk in folded.split("|"):
            for match in pattern.finditer(chunk.replace("\0", "|")):
                stem = _name_stem(match.group(1))
                if stem:
                    found.append(stem + match.group(2))
    return found


def _name_stem(words: str) -> str:
    """The part of the words before 小区/村/路 that can be a proper name; empty when none can."""
    stem = words.split("|")[-1]
    for index in range(len(stem) - 1, -1, -1):
        if stem[index] in _NOT_IN_NAMES:
            stem = stem[index + 1:]
            break
    if len(stem) < 2 or stem in _GENERIC_STEMS or stem.isdigit():
        return ""
    return stem


def _metres(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Distance on the ground, close enough for places a few kilometres apart."""
    dy = (lat2 - lat1) * 111_320
    dx = (lng2 - lng1) * 111_320 * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, dy)
