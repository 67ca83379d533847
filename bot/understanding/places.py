"""Resolve where a report is: the town (属地) from a shared point or from place names in the text."""
from __future__ import annotations

import re
from dataclasses import dataclass

from shapely.geometry import Point, shape
from shapely.prepared import prep

from bot.understanding.features import normalise

# Place-like words: a name of two or more characters ending in one of these.
_ADDRESS = re.compile(
    r"([\u4e00-\u9fa5A-Za-z0-9]{2,12}?(?:大道|大街|路口|路|街|巷|胡同|小区|社区|村|广场|公园|市场|大桥|桥|"
    r"大厦|花园|学校|小学|中学|大学|医院|超市|车站|公交站|号楼|号院|\d+号))")
# Words residents put before a place; they are not part of its name.
_LEADING_NOISE = re.compile(r"^(?:我们|我家|咱们|我|这个|那个|这里|那里|就在|位于|在|到|从|去|"
                            r"有人|楼下|门口|附近|旁边|对面|这|那|的)+")


@dataclass(frozen=True)
class TownArea:
    code: str
    name: str
    short_names: tuple[str, ...]
    boundary: dict | None


@dataclass(frozen=True)
class Place:
    """What the text or point told us: a place label and, when settled, the town."""

    town_code: str | None
    place_text: str
    reason: str


class PlaceResolver:
    """Town from a point (inside a town polygon) or from gazetteer and town names in text."""

    def __init__(self, towns: list[TownArea], gazetteer: list[tuple[str, str | None]]):
        self._towns = {town.code: town for town in towns}
        self._areas = [(town.code, prep(shape(town.boundary))) for town in towns if town.boundary]
        names: dict[str, tuple[str | None, bool]] = {}
        for name, town in gazetteer:
            if normalise(name):
                names[normalise(name)] = (town, False)
        for area in towns:
            for name in (area.name, *area.short_names):
                if normalise(name):
                    names[normalise(name)] = (area.code, True)
        # One list, longest first: 晋祠镇 (a town) is matched before 晋祠 (the temple),
        # and 古唐苑小区 before any shorter name inside it.
        self._names = sorted(((name, town, is_town) for name, (town, is_town) in names.items()),
                             key=lambda item: len(item[0]), reverse=True)

    def town_name(self, code: str | None) -> str | None:
        return self._towns[code].name if code in self._towns else None

    def from_point(self, latitude: float, longitude: float) -> str | None:
        """Return the code of the town whose polygon holds the point (GCJ-02, as WeChat sends it)."""
        point = Point(longitude, latitude)
        for code, area in self._areas:
            if area.contains(point):
                return code
        return None

    def from_text(self, text: str) -> Place | None:
        """Find a known place or an address in the text; the town only when the names agree."""
        folded = normalise(text)
        found_towns: list[str] = []
        places: list[str] = []
        town_mentions: list[str] = []
        reasons: list[str] = []
        for name, town, is_town in self._names:
            if name not in folded:
                continue
            folded = folded.replace(name, "\0")  # so 晋祠路 does not also count as 晋祠
            if is_town:
                assert town is not None  # a town's own names carry its code
                town_mentions.append(town)
                reasons.append(f"提到“{name}”")
            elif town:
                places.append(name)
                reasons.append(f"地名“{name}”属{self._towns[town].name}" if town in self._towns else name)
            else:
                places.append(name)
                reasons.append(f"地名“{name}”跨多个镇街")
            if town:
                found_towns.append(town)
        if not places and not town_mentions:
            address = self._address(text)
            if not address:
                return None
            return Place(None, address, f"地址“{address}”未能确定镇街")
        distinct = sorted(set(found_towns))
        town = distinct[0] if len(distinct) == 1 else None
        if len(distinct) > 1:
            reasons.append("涉及多个镇街，待指挥部确认")
        label = places[0] if places else self._towns[town_mentions[0]].name
        return Place(town, label[:200], "；".join(reasons))

    @staticmethod
    def _address(text: str) -> str | None:
        for match in _ADDRESS.finditer(_name_characters(text)):
            candidate = _LEADING_NOISE.sub("", match.group(1))
            stem = re.sub(r"(大道|大街|路口|路|街|巷|胡同|小区|社区|村|广场|公园|市场|大桥|桥|大厦|花园|学校|"
                          r"小学|中学|大学|医院|超市|车站|公交站|号楼|号院|\d+号)$", "", candidate)
            if len(stem) >= 2:
                return candidate
        return None


def _name_characters(text: str) -> str:
    """Keep only characters that can be part of a place name, so punctuation splits names."""
    return re.sub(r"[^\u4e00-\u9fa5A-Za-z0-9]+", " ", text)
