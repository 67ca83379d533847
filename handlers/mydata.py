"""我的数据 and 删除我的数据: what is held about the resident, and erasing it after a confirmation."""
from __future__ import annotations

from datetime import timedelta

from bot import texts
from bot.cases.privacy import do_erase_identity, what_we_hold
from bot.conversation.turn import Reply, Turn
from models import Step

CONFIRM_WITHIN = timedelta(minutes=10)


def my_data(turn: Turn) -> Reply:
    held = what_we_hold(turn.resident.id, turn.resident.openid, session=turn.session)
    openid = turn.resident.openid
    masked = openid[:4] + "…" + openid[-4:] if len(openid) > 10 else openid
    first_seen = turn.catalogue.calendar.local(turn.resident.created_at).strftime("%Y-%m-%d")
    return Reply(texts.MY_DATA.format(openid=masked, first_seen=first_seen, messages=held.messages,
                                      tickets=held.tickets, photos=held.photos, drafts=held.drafts))


def ask_erase(turn: Turn) -> Reply:
    turn.resident.erase_requested_at = turn.now
    return Reply(texts.ERASE_ASK.format(minutes=int(CONFIRM_WITHIN.total_seconds() // 60)))


def confirm_erase(turn: Turn) -> Reply:
    asked = turn.resident.erase_requested_at
    if asked is None or turn.now - asked > CONFIRM_WITHIN:
        return Reply(texts.NOTHING_TO_ERASE)
    turn.draft = None  # deleted with the rest of the resident's data
    # The inbound log row of this very message goes too; the reply is still returned to WeChat.
    turn.delivery.erase_from_log(turn.connection, f"erasing:{turn.resident.id}")
    unlinked = do_erase_identity(turn.resident.id, turn.resident.openid, session=turn.session)
    return Reply(texts.ERASED.format(tickets=unlinked), Step.IDLE)
