"""Emergencies (fire, injury, crime, gas, people in danger): the numbers to call before anything else, in every step,
then an offer to file a report once the resident is safe."""
from __future__ import annotations

from bot import texts
from bot.catalogue.snapshot import CatalogueSnapshot
from bot.conversation.turn import Reply, Turn
from handlers.answers import MAX_OFFERED_CHARS
from models import Step


def words_for(content: str, catalogue: CatalogueSnapshot) -> str:
    """What to call and what to do for every kind of emergency the words describe ("" for none)."""
    found = catalogue.knowledge.emergencies_in(content)
    if not found:
        return ""
    services = list(dict.fromkeys(service for emergency in found for service in emergency.services))
    return texts.emergency(services, [emergency.answer for emergency in found])


def answer(turn: Turn) -> Reply:
    # First in the reply, even before the notice that an old draft expired.
    turn.notices.insert(0, words_for(turn.inbound.content, turn.catalogue))
    if turn.draft is not None:
        return Reply(texts.DRAFT_KEPT_CHOOSING if turn.step == Step.CHOOSING else texts.DRAFT_KEPT)
    turn.resident.offered_report = turn.inbound.content.strip()[:MAX_OFFERED_CHARS]
    return Reply(texts.EMERGENCY_OFFER)
