"""Shared steps on a resident's draft: refresh what we understood and say what is still missing."""
from __future__ import annotations

from bot import texts
from bot.conversation.store import DraftState
from bot.conversation.turn import Reply, Turn
from handlers.place import conflict_question, place_line, settle_town
from models import CategorySource, Step

MENU_SIZE = 3


def missing_parts(draft: DraftState) -> list[str]:
    """Name what a draft still needs before it can become a ticket (photos are optional)."""
    missing = []
    if not draft.description.strip():
        missing.append("description")
    if not draft.has_location:
        missing.append("location")
    return missing


def understand(turn: Turn) -> Step:
    """Re-classify the whole description and settle the town (a shared point wins over place names); return
    the step the dialogue goes to: a menu when the category is unsure, otherwise on collecting."""
    draft = turn.draft
    assert draft is not None  # the table calls this only while a draft is open
    step = turn.step
    if draft.description and draft.category_source != CategorySource.RESIDENT:
        step = _classify(turn)
    settle_town(turn)  # the place in words was taken message by message (handlers/place.py)
    return step


def _classify(turn: Turn) -> Step:
    """Take the classifier's category when it is sure enough; otherwise ask with a short numbered menu."""
    draft = turn.draft
    assert draft is not None  # the table calls this only while a draft is open
    result = turn.catalogue.classify(draft.description)
    draft.category_code = result.category or "other"
    draft.category_confidence = result.confidence if result.category else 0.0
    if (result.category and result.confidence >= turn.settings.classifier.ask_below
            and result.surely_a_report):
        draft.menu = []
        return Step.COLLECTING
    likely = [code for code, _ in result.ranking if code != "other"][:MENU_SIZE]
    # With no likely candidates at all, a menu of just 其他 would be no choice: offer the full list.
    draft.menu = (likely + ["other"]) if likely else list(turn.catalogue.categories)
    return Step.CHOOSING


def summary(turn: Turn, step: Step) -> Reply:
    """Say what we understood so far and what is still missing (with the category menu while one waits)."""
    draft = turn.draft
    assert draft is not None  # the table calls this only while a draft is open
    catalogue = turn.catalogue
    found = settle_town(turn)
    place, place_note = place_line(turn, found)
    missing = missing_parts(draft) + (["place_choice"] if found.conflict else [])
    choosing = step == Step.CHOOSING
    text = texts.draft_summary(
        category_name=catalogue.category_name(draft.category_code) if draft.description and not choosing else None,
        description=draft.description, place=place,
        town_name=None if found.conflict else catalogue.places.town_name(draft.town_code),
        photo_count=draft.photo_count, missing=missing,
        outside_district=found.has_point and found.point_town is None, choosing=choosing, place_note=place_note)
    if choosing:
        names = [catalogue.category_name(code) for code in draft.menu]
        text += "\n" + texts.category_menu(names, unsure=True)
    elif found.conflict:
        text += "\n" + conflict_question(turn, found)
    return Reply(text, step)


def take_in(turn: Turn) -> Reply:
    """After the draft changed: understand it again and say where it stands."""
    return summary(turn, understand(turn))
