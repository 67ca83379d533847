"""Events: subscribe and unsubscribe; periodic LOCATION reports and page views need no answer."""
from __future__ import annotations

from bot import texts
from bot.conversation.turn import Reply, Turn


def subscribe(turn: Turn) -> Reply:
    turn.resident.subscribed = True
    return Reply(texts.WELCOME)


def unsubscribe(turn: Turn) -> Reply:
    """WeChat shows no reply to an unsubscribe; we only stop counting the resident as a follower."""
    turn.resident.subscribed = False
    return Reply("")


def ignore(turn: Turn) -> Reply:
    """LOCATION reports arrive every few seconds while a resident chats: answer "success" and move on."""
    return Reply("")
