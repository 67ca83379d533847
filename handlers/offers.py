"""An offer to file (made after a question that describes a problem, or an emergency) taken up or let go by the
resident's next message."""
from __future__ import annotations

from bot import texts
from bot.conversation.intents import Intent
from bot.conversation.turn import Reply, Turn
from bot.understanding.features import normalise
from handlers.commands import submit
from handlers.draft import missing_parts
from handlers.text import add_description
from models import Step

# Replies that take the offer up ("提交" files it at once when nothing is missing).
YES = frozenset(normalise(word) for word in (
    "1", "是", "是的", "对", "要", "要的", "需要", "反映", "要反映", "我要反映", "帮我反映", "反映一下", "提交"))
# Messages that carry on with the problem: the draft starts with the words offered, then takes these in.
CARRY_ON = frozenset({Intent.DESCRIBE, Intent.VOICE, Intent.PHOTO, Intent.LOCATION})


def about_offer(turn: Turn, intent: Intent) -> Intent:
    """The offer stands for the next message only: a yes takes it up; a description, photo or location takes it up
    too; anything else lets it go."""
    offered = turn.resident.offered_report
    if not offered or turn.inbound.kind == "event":
        return intent
    if turn.draft is None and turn.inbound.kind in ("text", "voice") and normalise(turn.inbound.content) in YES:
        return Intent.TAKE_OFFER
    turn.resident.offered_report = ""
    if turn.draft is None and intent in CARRY_ON:
        turn.open_draft().description = offered
    return intent


def take_offer(turn: Turn) -> Reply:
    """Start the draft with the words offered; "提交" also submits it when it is complete."""
    words, turn.resident.offered_report = turn.resident.offered_report, ""
    started = add_description(turn, words)
    if normalise(turn.inbound.content) == normalise("提交") and started.step == Step.COLLECTING:
        assert turn.draft is not None  # add_description opened it
        if not missing_parts(turn.draft):
            submitted = submit(turn)
            return Reply(submitted.text, submitted.step or Step.COLLECTING)
    return Reply(texts.OFFER_TAKEN + "\n" + started.text, started.step or Step.COLLECTING)
