"""Staff commands, recognised before the resident's conversation: which one a message is, and who answers it.

A WeChat bound to an active staff account (the turn's resident.staff_id) gets its commands answered by
handlers/staff.py; everything else it sends — words, photos, locations — is a resident's, so staff can still report
what they see. Anyone may send 绑定 <code>; an unbound WeChat that types another staff command is told politely that
it is one, and no draft is opened."""
from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Callable

from bot.conversation.turn import Reply, Turn
from bot.understanding.features import normalise
from handlers import staff

Handler = Callable[[Turn], Reply]


class StaffIntent(enum.StrEnum):
    BIND = "bind"
    UNBIND = "unbind"
    HELP = "help"
    TODO = "todo"
    DETAIL = "detail"
    ACCEPT = "accept"
    RETURN = "return"
    RESOLVE = "resolve"
    CANCEL_RESOLVE = "cancel_resolve"


BIND = re.compile(r"^\s*绑定\s*[:：]?\s*[\d\s]*$")
VERBS = {"接单": StaffIntent.ACCEPT, "退回": StaffIntent.RETURN, "办结": StaffIntent.RESOLVE,
         "详情": StaffIntent.DETAIL}
WORDS = {"解绑": StaffIntent.UNBIND, "解除绑定": StaffIntent.UNBIND, "我的待办": StaffIntent.TODO,
         "待办": StaffIntent.TODO, "取消办结": StaffIntent.CANCEL_RESOLVE, "工作帮助": StaffIntent.HELP,
         "工作指令": StaffIntent.HELP}
STAFF_HELP = {"帮助", "help", "使用说明"}   # a resident's 帮助; for bound staff, their commands (and how to report)
NUMBER_START = re.compile(r"^[\s:：]*JY", re.IGNORECASE)

BOUND: dict[StaffIntent, Handler] = {
    StaffIntent.BIND: staff.bind, StaffIntent.UNBIND: staff.unbind, StaffIntent.HELP: staff.help_,
    StaffIntent.TODO: staff.my_todo, StaffIntent.DETAIL: staff.detail, StaffIntent.ACCEPT: staff.accept,
    StaffIntent.RETURN: staff.return_, StaffIntent.RESOLVE: staff.resolve,
    StaffIntent.CANCEL_RESOLVE: staff.cancel_resolve,
}
UNBOUND: dict[StaffIntent, Handler] = {
    **dict.fromkeys(StaffIntent, staff.staff_only), StaffIntent.BIND: staff.bind, StaffIntent.UNBIND: staff.not_bound}


def staff_intent_of(content: str, *, bound: bool) -> StaffIntent | None:
    """The staff command these words are, if any. A resident's words that merely begin with a verb ("退回来的…")
    are theirs; only a verb alone or followed by a ticket number is a command to them."""
    if BIND.match(content):
        return StaffIntent.BIND
    words = normalise(content)
    if words in WORDS:
        return WORDS[words]
    if bound and words in STAFF_HELP:
        return StaffIntent.HELP
    stripped = content.strip()
    verb = VERBS.get(stripped[:2])
    if verb is None:
        return None
    rest = unicodedata.normalize("NFKC", stripped[2:])
    return verb if bound or not rest.strip() or NUMBER_START.match(rest) else None


def answer(turn: Turn) -> Reply | None:
    """The staff command's answer, or None when the message is not one (the resident's conversation answers it)."""
    inbound = turn.inbound
    bound = turn.resident.staff_id is not None
    if inbound.kind == "image":
        return staff.after_photo(turn) if bound else None
    if inbound.kind != "text":
        return None
    intent = staff_intent_of(inbound.content, bound=bound)
    if intent is None:
        return None
    return (BOUND if bound else UNBOUND)[intent](turn)
