"""Where the report is: the place each message names (the newest, or the corrected one, wins), the town it settles,
what to say when it is vague or does not settle the town, and the question when a point and the words disagree."""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot import texts
from bot.conversation.turn import Turn
from bot.understanding.places import SPANS, Place
from models import LocationSource

# Words that say the resident is correcting the place: then even a road may replace a village.
CORRECTION = re.compile(r"说错|打错|写错|记错|搞错|弄错|不对|更正|纠正|不是|改成|改为|改到|换成|应该是|应该在|"
                        r"地点|位置")
# What is left of a correction once the place and the correcting words are gone: politeness and particles.
_FILLER = re.compile(r"不好意思|抱歉|对不起|刚才|那个|应该|我|哦|噢|啊|呀|哎|唉|了|是|在|的|就|说|写|发|地址|地方")


@dataclass(frozen=True)
class Where:
    """What the draft knows of its place: a point and its town, the place in words and its town."""

    has_point: bool
    point_town: str | None
    words: Place | None

    @property
    def conflict(self) -> bool:
        """A point in one town and words naming another: the resident must say which is right."""
        return bool(self.point_town and self.words and self.words.town_code
                    and self.words.town_code != self.point_town)

    @property
    def town(self) -> str | None:
        return self.point_town or (self.words.town_code if self.words else None)


def take_place(turn: Turn, words: str) -> bool:
    """Let the place these words name become the draft's place; return True when the words did nothing else
    (说错了，是金胜村), so they need not join the description and blur its category.

    The newest place wins (说错了，是金胜村 / 不是…是… / 改成…), except that a road or an address that settles no
    town does not push out a place that did, unless the words say they correct it."""
    draft = turn.draft
    assert draft is not None  # called while the words are added to an open draft
    named = turn.catalogue.place_in(words)
    if named is None:
        return False
    correcting = bool(CORRECTION.search(words))
    before = turn.catalogue.place_in(draft.place_text) if draft.place_text else None
    if before and before.settles_town and not named.settles_town and not correcting:
        return False
    draft.place_text = named.place_text
    return correcting and before is not None and len(
        _FILLER.sub("", CORRECTION.sub("", turn.catalogue.places.without_places(words)))) <= 3


def where(turn: Turn) -> Where:
    draft = turn.draft
    assert draft is not None  # only an open draft has a place
    has_point = draft.latitude is not None and draft.longitude is not None
    point_town = (turn.catalogue.places.from_point(draft.latitude, draft.longitude)
                  if draft.latitude is not None and draft.longitude is not None else None)
    return Where(has_point, point_town, turn.catalogue.place_in(draft.place_text) if draft.place_text else None)


def settle_town(turn: Turn) -> Where:
    """Set the draft's town: a point inside the district wins, else the place in words; return what it rests on."""
    found = where(turn)
    assert turn.draft is not None
    turn.draft.town_code = found.town
    return found


def place_line(turn: Turn, found: Where) -> tuple[str, str]:
    """What the summary says of the place, and, once, what to send when it does not settle the town."""
    draft = turn.draft
    assert draft is not None
    names = turn.catalogue.places
    if found.conflict:
        return texts.PLACE_TO_CONFIRM, ""
    if found.has_point:
        return point_words(turn), ""
    if found.words:
        town = names.town_name(found.words.town_code)
        label = found.words.place_text + (f"（{town}）" if town and town not in found.words.place_text else "")
        changed = draft.loaded.get("place_text") != draft.place_text
        if not found.words.settles_town and changed and not found.has_point:
            return label, texts.place_not_settled(found.words.place_text, spans=found.words.kind == SPANS)
        return label, ""
    vague = names.vague_in(draft.description) if draft.description else None
    return (texts.vague_place(vague) if vague else ""), ""


def point_words(turn: Turn) -> str:
    """A shared point or a photo's, in words: its label, else the nearest known place, else its town."""
    draft = turn.draft
    assert draft is not None and draft.latitude is not None and draft.longitude is not None
    names = turn.catalogue.places
    town = names.town_name(names.from_point(draft.latitude, draft.longitude))
    if draft.location_label:
        return draft.location_label + (f"（{town}）" if town and town not in draft.location_label else "")
    return texts.point_place(photo=draft.location_source == LocationSource.PHOTO,
                             near=names.nearest(draft.latitude, draft.longitude), town_name=town)


def conflict_question(turn: Turn, found: Where) -> str:
    """The point says one town, the words another: show both and ask which is right (1 / 2)."""
    names = turn.catalogue.places
    assert found.words is not None
    return texts.place_question(point=point_words(turn), point_town=names.town_name(found.point_town) or "",
                                words=found.words.place_text,
                                words_town=names.town_name(found.words.town_code) or "")


def settle_conflict(turn: Turn, number: int) -> str | None:
    """1: the point is right (the words' place is dropped); 2: the words are (the point is dropped).
    Return what was settled, in words, or None when the number is neither."""
    draft = turn.draft
    assert draft is not None
    if number == 1:
        kept = point_words(turn)
        draft.place_text = ""
    elif number == 2:
        kept = draft.place_text
        draft.latitude = draft.longitude = None
        draft.location_label = ""
        draft.location_source = LocationSource.NONE
    else:
        return None
    return kept
