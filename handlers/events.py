"""Events: subscribe and unsubscribe; periodic LOCATION reports and page views need no answer."""
from __future__ import annotations

from typing import TYPE_CHECKING

from bot import texts

if TYPE_CHECKING:
    from bot.conversation.table import Turn


def subscribe(turn: Turn) -> str:
    turn.resident.subscribed = True
    return texts.WELCOME


def unsubscribe(turn: Turn) -> str:
    """WeChat shows no reply to an unsubscribe; we only stop counting the resident as a follower."""
    turn.resident.subscribed = False
    return ""


def ignore(turn: Turn) -> str:
    """LOCATION reports arrive every few seconds while a resident chats: answer "success" and move on."""
    return ""
