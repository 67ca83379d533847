"""Category menus: asking the resident when the classifier is unsure, and 改为 corrections before submitting."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot import texts
from handlers.draft import summary
from models import CategoryCorrection

if TYPE_CHECKING:
    from bot.conversation.table import Turn

CHOICE = re.compile(r"^\s*(\d{1,2})\s*[.。、]?\s*$")
RECATEGORISE_COMMAND = re.compile(r"^\s*(?:改为|改成|类别改为|改类别|更改类别|换类别)\s*[:：]?\s*(.*?)\s*$")
OTHER = "other"


def menu_text(turn: Turn, codes: list[str], *, unsure: bool) -> str:
    names = [turn.knowledge.category_name(code) for code in codes]
    return texts.category_menu(names, unsure=unsure)


def show_menu(turn: Turn) -> str:
    return summary(turn)


def choose_first(turn: Turn) -> str:
    """提交 while a menu waits: the category must be settled by the resident, not guessed."""
    return texts.CHOOSE_FIRST + "\n" + menu_text(turn, turn.draft.menu, unsure=False)


def choose(turn: Turn) -> str:
    match = CHOICE.match(turn.inbound.content)
    return _pick(turn, int(match.group(1)))


def recategorise(turn: Turn) -> str:
    """改为 3 picks from the last menu (or the full list); 改为 占道经营 picks by name; 改为 alone shows the list."""
    wanted = RECATEGORISE_COMMAND.match(turn.inbound.content).group(1)
    draft = turn.draft
    if not wanted:
        return _open_full_menu(turn)
    if wanted.isdigit():
        if not draft.menu:
            draft.menu = list(turn.knowledge.categories)
        return _pick(turn, int(wanted))
    code = _by_name(turn, wanted)
    if code is None:
        return texts.UNKNOWN_CATEGORY.format(name=wanted) + "\n" + _open_full_menu(turn)
    return _settle(turn, code)


def _open_full_menu(turn: Turn) -> str:
    turn.draft.menu = list(turn.knowledge.categories)
    turn.draft.step = "choosing_category"
    return menu_text(turn, turn.draft.menu, unsure=False)


def _by_name(turn: Turn, wanted: str) -> str | None:
    wanted = wanted.strip("【】[] ")
    for code, category in turn.knowledge.categories.items():
        if wanted in (category.name, code) or (len(wanted) >= 2 and wanted in category.name):
            return code
    return None


def _pick(turn: Turn, number: int) -> str:
    menu = turn.draft.menu
    if not 1 <= number <= len(menu):
        return texts.CHOICE_OUT_OF_RANGE.format(last=len(menu)) + "\n" + menu_text(turn, menu, unsure=False)
    return _settle(turn, menu[number - 1])


def _settle(turn: Turn, code: str) -> str:
    """Record the resident's category (a label for training once reviewed) and carry on collecting."""
    draft = turn.draft
    turn.session.add(CategoryCorrection(draft_id=draft.id, text=draft.description, predicted_code=draft.category_code,
                                        predicted_confidence=draft.category_confidence, chosen_code=code,
                                        created_at=turn.now))
    draft.category_code = code
    draft.category_confidence = 1.0
    draft.category_source = "resident"
    draft.menu = []
    draft.step = "collecting"
    return texts.CATEGORY_SET.format(name=turn.knowledge.category_name(code)) + "\n" + summary(turn)
