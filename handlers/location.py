"""Location messages: the shared point (and its label) places the draft and settles the town."""
from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.draft import summary, understand

if TYPE_CHECKING:
    from bot.conversation.table import Turn


def add_location(turn: Turn) -> str:
    draft = turn.open_draft()
    draft.latitude = turn.inbound.latitude
    draft.longitude = turn.inbound.longitude
    draft.location_label = turn.inbound.label
    draft.location_source = "shared"
    understand(turn)
    return summary(turn)
