"""Shared steps on a resident's draft: refresh what we understood and say what is still missing."""
from __future__ import annotations

from typing import TYPE_CHECKING

from bot import texts
from models import Draft

if TYPE_CHECKING:
    from bot.conversation.table import Turn


def missing_parts(draft: Draft) -> list[str]:
    """Name what a draft still needs before it can become a ticket (photos are optional)."""
    missing = []
    if not draft.description.strip():
        missing.append("description")
    if not draft.has_location:
        missing.append("location")
    return missing


CHOOSING = "choosing_category"
COLLECTING = "collecting"
MENU_SIZE = 3


def understand(turn: Turn) -> None:
    """Re-classify the whole description and settle the town: a shared point wins over place names."""
    draft = turn.draft
    knowledge = turn.knowledge
    if draft.description:
        if draft.category_source != "resident":
            _classify(turn)
        place = knowledge.place_in(draft.description)
        if place:
            draft.place_text = place.place_text
        text_town = place.town_code if place else None
    else:
        text_town = None
    point_town = (knowledge.places.from_point(draft.latitude, draft.longitude)
                  if draft.latitude is not None else None)
    draft.town_code = point_town or text_town


def _classify(turn: Turn) -> None:
    """Take the classifier's category when it is sure enough; otherwise ask with a short numbered menu."""
    draft = turn.draft
    result = turn.knowledge.classify(draft.description)
    draft.category_code = result.category or "other"
    draft.category_confidence = result.confidence if result.category else 0.0
    if (result.category and result.confidence >= turn.settings["classifier"]["ask_below"]
            and result.surely_a_report):
        draft.step, draft.menu = COLLECTING, []
        return
    likely = [code for code, _ in result.ranking if code != "other"][:MENU_SIZE]
    # With no likely candidates at all, a menu of just 其他 would be no choice: offer the full list.
    draft.step, draft.menu = CHOOSING, (likely + ["other"]) if likely else list(turn.knowledge.categories)


def summary(turn: Turn) -> str:
    draft = turn.draft
    knowledge = turn.knowledge
    place = draft.location_label or draft.place_text
    if draft.latitude is not None and not draft.location_label:
        place = f"已收到定位（{draft.latitude:.5f}, {draft.longitude:.5f}）"
    choosing = draft.step == CHOOSING
    text = texts.draft_summary(
        category_name=knowledge.category_name(draft.category_code) if draft.description and not choosing else None,
        description=draft.description, place=place,
        town_name=knowledge.places.town_name(draft.town_code),
        photo_count=draft.count_photos(), missing=missing_parts(draft),
        outside_district=draft.latitude is not None
        and knowledge.places.from_point(draft.latitude, draft.longitude) is None, choosing=choosing)
    if choosing:
        names = [knowledge.category_name(code) for code in draft.menu]
        text += "\n" + texts.category_menu(names, unsure=True)
    return text
