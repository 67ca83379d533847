"""Voice messages: WeChat's speech recognition text stands in for typed words."""
from __future__ import annotations

from bot import texts
from bot.conversation.turn import Reply, Turn
from handlers.text import add_description


def describe(turn: Turn) -> Reply:
    return add_description(turn, turn.inbound.content)


def empty(turn: Turn) -> Reply:
    """Recognition was empty (not switched on, or nothing heard): ask kindly for words."""
    return Reply(texts.EMPTY_VOICE)
