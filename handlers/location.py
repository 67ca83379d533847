"""Location messages: the shared point (and its label) places the draft and settles the town; and the resident's
1 or 2 when that point and the place in their words disagree."""
from __future__ import annotations

from bot import texts
from bot.conversation.intents import CHOICE
from bot.conversation.turn import Reply, Turn
from handlers.draft import summary, take_in
from handlers.place import settle_conflict, where
from handlers.text import show_draft
from models import LocationSource


def add_location(turn: Turn) -> Reply:
    draft = turn.open_draft()
    draft.latitude = turn.inbound.latitude
    draft.longitude = turn.inbound.longitude
    draft.location_label = turn.inbound.label
    draft.location_source = LocationSource.SHARED
    return take_in(turn)


def choose_place(turn: Turn) -> Reply:
    """A bare number while collecting: it answers the place question when one waits (1 the point, 2 the words);
    otherwise the summary is shown again."""
    match = CHOICE.match(turn.inbound.content)
    assert match is not None and turn.draft is not None  # the intent CHOOSE is a CHOICE match, on an open draft
    if not where(turn).conflict:
        return show_draft(turn)
    kept = settle_conflict(turn, int(match.group(1)))
    if kept is None:
        return summary(turn, turn.step)  # neither 1 nor 2: the question is asked again
    settled = take_in(turn)
    return Reply(texts.PLACE_SETTLED.format(place=kept) + "\n" + settled.text, settled.step)
