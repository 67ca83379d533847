"""Links, videos and kinds we do not handle: a polite request for text, photo or location (an image that came with
nothing to fetch: to send it again)."""
from __future__ import annotations

from bot import texts
from bot.conversation.turn import Reply, Turn


def unsupported(turn: Turn) -> Reply:
    return Reply(texts.PHOTO_UNREADABLE if turn.inbound.kind == "image" else texts.UNSUPPORTED)
