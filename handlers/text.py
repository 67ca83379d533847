"""Text messages: a description (or place) for the draft, or small talk that opens nothing."""
from __future__ import annotations

from bot import texts
from bot.conversation.turn import Reply, Turn
from handlers import several
from handlers.draft import summary

MAX_DESCRIPTION_CHARS = 2000
# Thanks deserve an answer in kind, not the account's introduction again.
THANKS = ("谢谢", "感谢", "多谢", "辛苦了", "点赞", "谢啦", "thank")


def add_description(turn: Turn, words: str) -> Reply:
    """Append the resident's words to the draft's description and say what we understood."""
    draft = turn.open_draft()
    before = draft.description
    words = words.strip()
    if words and words not in draft.description:
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
