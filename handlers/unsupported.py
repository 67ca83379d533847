"""Links, videos and kinds we do not handle: a polite request for text, photo or location."""
from __future__ import annotations

from bot import texts
from bot.conversation.turn import Reply, Turn


def unsupported(turn: Turn) -> Reply:
    return Reply(texts.UNSUPPORTED)
