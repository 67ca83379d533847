"""Location messages: the shared point (and its label) places the draft and settles the town."""
from __future__ import annotations

from bot.conversation.turn import Reply, Turn
from handlers.draft import take_in
from models import LocationSource


def add_location(turn: Turn) -> Reply:
    draft = turn.open_draft()
    draft.latitude = turn.inbound.latitude
    draft.longitude = turn.inbound.longitude
    draft.location_label = turn.inbound.label
    draft.location_source = LocationSource.SHARED
    return take_in(turn)
