"""Links, videos and kinds we do not handle: a polite request for text, photo or location."""
from __future__ import annotations

from typing import TYPE_CHECKING

from bot import texts

if TYPE_CHECKING:
    from bot.conversation.table import Turn


def unsupported(turn: Turn) -> str:
    return texts.UNSUPPORTED
