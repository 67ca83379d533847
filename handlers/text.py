"""Text messages: a description (or place) for the draft, a bare number that settles the place, or small talk that
opens nothing."""
from __future__ import annotations

from bot import texts
from bot.conversation.intents import CHOICE
from bot.conversation.turn import Reply, Turn
from handlers import several
from handlers.draft import summary, take_in
from handlers.place import settle_conflict, take_place, where

MAX_DESCRIPTION_CHARS = 2000
# Thanks deserve an answer in kind, not the account's introduction again.
THANKS = ("谢谢", "感谢", "多谢", "辛苦了", "点赞", "谢啦", "thank")


def add_description(turn: Turn, words: str) -> Reply:
    """Append the resident's words to the draft's description and say what we understood."""
    draft = turn.open_draft()
    before = draft.description
    words = words.strip()
    only_a_place = take_place(turn, words)
    if words and words not in draft.description and not only_a_place:
        draft.description = (draft.description + "\n" + words).strip()[:MAX_DESCRIPTION_CHARS]
    return several.take_in(turn, before)


def describe(turn: Turn) -> Reply:
    return add_description(turn, turn.inbound.content)


def greet(turn: Turn) -> Reply:
    content = turn.inbound.content.lower()
    return Reply(texts.THANKS_ANSWERED if any(word in content for word in THANKS) else texts.GREETING)


def show_draft(turn: Turn) -> Reply:
    """Small talk while a draft is open: remind the resident where the report stands.

    A draft that still has no description takes the words anyway: after sharing a location or a
    photo, what the resident types next is almost always the description, whatever it looks like."""
    assert turn.draft is not None  # the table calls this only while a draft is open
    if not turn.draft.description.strip():
        return add_description(turn, turn.inbound.content)
    return summary(turn, turn.step)


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
