"""Category menus: asking the resident when the classifier is unsure, and 改为 corrections before submitting."""
from __future__ import annotations

from bot import texts
from bot.conversation.intents import CHOICE, RECATEGORISE_COMMAND
from bot.conversation.turn import Reply, Turn
from handlers.draft import summary
from handlers.text import add_description
from models import CategoryCorrection, CategorySource, Step


def menu_text(turn: Turn, codes: list[str], *, unsure: bool) -> str:
    names = [turn.catalogue.category_name(code) for code in codes]
    return texts.category_menu(names, unsure=unsure)


def show_menu(turn: Turn) -> Reply:
    return summary(turn, Step.CHOOSING)


def choose_first(turn: Turn) -> Reply:
    """提交 while a menu waits: the category must be settled by the resident, not guessed."""
    assert turn.draft is not None  # a menu waits only on an open draft
    return Reply(texts.CHOOSE_FIRST + "\n" + menu_text(turn, turn.draft.menu, unsure=False), Step.CHOOSING)


def choose(turn: Turn) -> Reply:
    match = CHOICE.match(turn.inbound.content)
    assert match is not None  # the intent CHOOSE is a CHOICE match
    return _pick(turn, int(match.group(1)))


def recategorise(turn: Turn) -> Reply:
    """改为 3 picks from the last menu (or the full list); 改为 占道经营 picks by name; 改为 alone shows the list."""
    match = RECATEGORISE_COMMAND.match(turn.inbound.content)
    assert match is not None  # the intent RECATEGORISE is a RECATEGORISE_COMMAND match
    wanted = match.group(1)
    draft = turn.draft
    assert draft is not None  # the table calls this only while a draft is open
    if not wanted:
        return _open_full_menu(turn)
    if wanted.isdigit():
        if not draft.menu:
            draft.menu = list(turn.catalogue.categories)
        return _pick(turn, int(wanted))
    code = _by_name(turn, wanted)
    if code is None and turn.catalogue.place_in(wanted):
        return add_description(turn, turn.inbound.content)  # 改成金胜村: the place, not the category, changes
    if code is None:
        menu = _open_full_menu(turn)
        return Reply(texts.UNKNOWN_CATEGORY.format(name=wanted) + "\n" + menu.text, menu.step)
    return _settle(turn, code)


def _open_full_menu(turn: Turn) -> Reply:
    assert turn.draft is not None
    turn.draft.menu = list(turn.catalogue.categories)
    return Reply(menu_text(turn, turn.draft.menu, unsure=False), Step.CHOOSING)


def _by_name(turn: Turn, wanted: str) -> str | None:
    wanted = wanted.strip("【】[] ")
    for code, category in turn.catalogue.categories.items():
        if wanted in (category.name, code) or (len(wanted) >= 2 and wanted in category.name):
            return code
    return None


def _pick(turn: Turn, number: int) -> Reply:
    assert turn.draft is not None
    menu = turn.draft.menu
    if not 1 <= number <= len(menu):
        return Reply(texts.CHOICE_OUT_OF_RANGE.format(last=len(menu)) + "\n" + menu_text(turn, menu, unsure=False))
    return _settle(turn, menu[number - 1])


def _settle(turn: Turn, code: str) -> Reply:
    """Record the resident's category (a label for training once reviewed) and carry on collecting."""
    draft = turn.draft
    assert draft is not None
    if draft.description.strip():   # a label for training: words the resident wrote, and what they meant
        turn.session.add(CategoryCorrection(draft_id=draft.id, text=draft.description,
                                            predicted_code=draft.category_code,
                                            predicted_confidence=draft.category_confidence, chosen_code=code,
                                            created_at=turn.now))
    elif draft.photo_proposal and code != "other":
        draft.description = draft.photo_proposal   # a photo alone: its text, now confirmed, describes the problem
    draft.category_code = code
    draft.category_confidence = 1.0
    draft.category_source = CategorySource.RESIDENT
    draft.menu = []
    settled = summary(turn, Step.COLLECTING)
    return Reply(texts.CATEGORY_SET.format(name=turn.catalogue.category_name(code)) + "\n" + settled.text,
                 settled.step)


def recategorise_as_one(turn: Turn) -> Reply:
    """改为 … while several problems wait (handlers/several.py): one category named, so one report."""
    assert turn.draft is not None
    turn.draft.step = Step.COLLECTING
    reply = recategorise(turn)
    return Reply(reply.text, reply.step or Step.COLLECTING)
