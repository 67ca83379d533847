"""Voice messages: WeChat's speech recognition text stands in for typed words."""
from __future__ import annotations

from typing import TYPE_CHECKING

from bot import texts
from handlers.text import add_description

if TYPE_CHECKING:
    from bot.conversation.table import Turn


def describe(turn: Turn) -> str:
    return add_description(turn, turn.inbound.content)


def empty(turn: Turn) -> str:
    """Recognition was empty (not switched on, or nothing heard): ask kindly for words."""
    return texts.EMPTY_VOICE
