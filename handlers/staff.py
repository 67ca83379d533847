"""Staff commands by chat, from a WeChat bound to a staff account: 绑定, 解绑, 帮助, 我的待办, 详情, 接单, 退回,
办结 (then its after-photo) and 取消办结; and the polite answer a resident gets for them. They never touch the
resident's draft.

Every step goes through do_transition with the staff member as the actor (channel "wechat"), so the portal's
permissions hold: a ticket another department works is "not found", as in the portal."""
from __future__ import annotations

from bot import staff_texts
from bot.cases.actors import Actor
from bot.cases.binding import Bound, bound_staff, do_bind, do_unbind, forget_resolution
from bot.cases.by_chat import (
    do_start_resolve,
    resolution_waiting,
    staff_actor,
    todo,
    visible_ticket,
)
from bot.cases.deadlines import overdue
from bot.cases.lookups import split_ticket_number
from bot.cases.statuses import status_label
from bot.cases.workflow import Inputs, TransitionRefused, allowed_actions, do_transition
from bot.conversation.turn import Reply, Turn
from bot.photos.after_photo import RESOLVE_BY_CHAT
from bot.photos.pic_url import media_key
from models import Photo, PhotoKind, PhotoStatus, StaffAccount, Ticket, TicketStatus

# The chat's word for each step a staff member may take by chat; 由我承办 is 接单 of a ticket already in progress.
CHAT_WORDS = {"accept": "接单", "claim": "接单", "resolve": "办结", "return": "退回"}
LABELS = {"accept": "接单", "claim": "接单", "return": "退回指挥部"}


def _staff(turn: Turn) -> StaffAccount:
    assert turn.resident.staff_id is not None  # the router sends only bound staff here
    return turn.session.get_one(StaffAccount, turn.resident.staff_id)


def _department_name(turn: Turn, code: str) -> str:
    return turn.catalogue.routing.department_names.get(code, code)


def _args(turn: Turn) -> tuple[str | None, str]:
    """The ticket number and the words after it, from “接单 JY-…”, “办结 jy… 说明”."""
    words = turn.inbound.content.strip()[2:]   # every staff verb is two characters
    return split_ticket_number(words)


def _deadline(turn: Turn, ticket: Ticket) -> str:
    return turn.catalogue.calendar.local(ticket.deadline_at).strftime("%m月%d日 %H:%M")


def _marks(turn: Turn, ticket: Ticket) -> list[str]:
    marks = []
    if overdue(ticket, turn.now):
        marks.append("已超期")
    elif ticket.status in (TicketStatus.DISPATCHED, TicketStatus.REOPENED) and ticket.assignee_staff_id is None:
        marks.append("待接单")
    if ticket.urged_at is not None:
        marks.append("督办")
    if ticket.extension_asked_at is not None:
        marks.append("延期待批")
    return marks


# ---- binding

def bind(turn: Turn) -> Reply:
    code = "".join(char for char in turn.inbound.content if char.isdigit())
    if not code:
        return Reply(staff_texts.BIND_USAGE)
    chat = turn.settings.staff_chat
    outcome = do_bind(turn.inbound.openid, code, now=turn.now, failures_per_hour=chat.bind_failures_per_hour,
                      session=turn.session)
    if outcome.result == Bound.TOO_MANY:
        return Reply(staff_texts.BIND_TOO_MANY)
    if outcome.result == Bound.WRONG:
        return Reply(staff_texts.BIND_WRONG.format(minutes=chat.bind_code_minutes))
    assert outcome.staff is not None  # the other outcomes name the account
    if outcome.result == Bound.OTHER_ACCOUNT:
        return Reply(staff_texts.BIND_OTHER_ACCOUNT.format(username=outcome.staff.username))
    return Reply(staff_texts.BOUND.format(name=outcome.staff.display_name or outcome.staff.username,
                                          department=_department_name(turn, outcome.staff.department_code)))


def unbind(turn: Turn) -> Reply:
    staff = bound_staff(turn.inbound.openid, session=turn.session, active_only=False)
    if staff is None:
        return Reply(staff_texts.NOT_BOUND)
    do_unbind(staff)
    return Reply(staff_texts.UNBOUND)


def not_bound(turn: Turn) -> Reply:
    return Reply(staff_texts.NOT_BOUND)


def staff_only(turn: Turn) -> Reply:
    return Reply(staff_texts.STAFF_ONLY)


# ---- looking

def help_(turn: Turn) -> Reply:
    staff = _staff(turn)
    return Reply(staff_texts.HELP.format(name=staff.display_name or staff.username,
                                         department=_department_name(turn, staff.department_code)))


def my_todo(turn: Turn) -> Reply:
    page = todo(_staff(turn), session=turn.session)
    if not page.tickets:
        return Reply(staff_texts.NO_TODO)
    return Reply(staff_texts.todo([(t.number, turn.catalogue.category_name(t.category_code), status_label(t.status),
                                    _deadline(turn, t), _marks(turn, t)) for t in page.tickets], page.more))


def detail(turn: Turn) -> Reply:
    found = _ticket_for(turn, "detail")
    if isinstance(found, Reply):
        return found
    ticket, staff, actor = found
    assignee = turn.session.get(StaffAccount, ticket.assignee_staff_id) if ticket.assignee_staff_id else None
    latest = [f"{turn.catalogue.calendar.local(event.at):%m-%d %H:%M} "
              f"{(event.reason or status_label(event.to_status)).split('。')[0][:30]}" for event in ticket.events[-2:]]
    actions = list(dict.fromkeys(CHAT_WORDS[rule.action] for rule in allowed_actions(ticket, actor)
                                 if rule.action in CHAT_WORDS))
    return Reply(staff_texts.detail(
        number=ticket.number, category=turn.catalogue.category_name(ticket.category_code),
        status=status_label(ticket.status), assignee=(assignee.display_name or assignee.username) if assignee else "",
        town=turn.catalogue.places.town_name(ticket.town_code) or "待确认",
        place=ticket.location_label or ticket.place_text, description=ticket.description,
        deadline=_deadline(turn, ticket), marks=_marks(turn, ticket), photos=len(ticket.photos), latest=latest,
        actions=actions))


def _ticket_for(turn: Turn, usage: str) -> Reply | tuple[Ticket, StaffAccount, Actor]:
    """The ticket the command names and the staff member acting on it, if their department may see it; otherwise the
    answer to give."""
    number, _rest = _args(turn)
    if number is None:
        return Reply(staff_texts.USAGE[usage])
    staff = _staff(turn)
    actor, department = staff_actor(staff, session=turn.session)
    ticket = visible_ticket(number, department, session=turn.session)
    if ticket is None:
        return Reply(staff_texts.NOT_FOUND.format(number=number))
    return ticket, staff, actor


# ---- acting

def accept(turn: Turn) -> Reply:
    """接单: accept a dispatched ticket, or take over one already in progress (由我承办)."""
    found = _ticket_for(turn, "accept")
    if isinstance(found, Reply):
        return found
    ticket, staff, actor = found
    if ticket.status == TicketStatus.IN_PROGRESS and ticket.assignee_staff_id == staff.id:
        return Reply(staff_texts.DONE.format(label="接单", number=ticket.number))
    allowed = {rule.action for rule in allowed_actions(ticket, actor)}
    action = "claim" if "accept" not in allowed and "claim" in allowed else "accept"
    try:
        do_transition(ticket, actor, action, now=turn.now, session=turn.session, inputs=Inputs(note=_args(turn)[1]),
                      catalogue=turn.catalogue)
    except TransitionRefused as exc:
        return Reply(staff_texts.REFUSED.format(label=LABELS[action], number=ticket.number, reason=exc))
    return Reply(staff_texts.ACCEPTED.format(number=ticket.number, deadline=_deadline(turn, ticket)))


def return_(turn: Turn) -> Reply:
    """退回: give the ticket back to HQ with a reason (a department admin's step, as in the portal)."""
    found = _ticket_for(turn, "return")
    if isinstance(found, Reply):
        return found
    ticket, staff, actor = found
    reason = _args(turn)[1]
    try:
        do_transition(ticket, actor, "return", now=turn.now, session=turn.session, inputs=Inputs(note=reason),
                      catalogue=turn.catalogue)
    except TransitionRefused as exc:
        return Reply(staff_texts.REFUSED.format(label=LABELS["return"], number=ticket.number, reason=exc))
    return Reply(staff_texts.RETURNED.format(number=ticket.number, reason=reason))


def resolve(turn: Turn) -> Reply:
    """办结 with a note: checked now, taken when the after-photo comes (the next photo this staff member sends)."""
    found = _ticket_for(turn, "resolve")
    if isinstance(found, Reply):
        return found
    ticket, staff, actor = found
    note = _args(turn)[1]
    try:
        do_start_resolve(staff, actor, ticket, note, now=turn.now, session=turn.session)
    except TransitionRefused as exc:
        return Reply(staff_texts.REFUSED.format(label="办结", number=ticket.number, reason=exc))
    return Reply(staff_texts.RESOLVE_WAITING.format(
        minutes=turn.settings.staff_chat.resolve_photo_minutes, number=ticket.number, note=note))


def cancel_resolve(turn: Turn) -> Reply:
    staff = _staff(turn)
    if not resolution_waiting(staff, now=turn.now, minutes=turn.settings.staff_chat.resolve_photo_minutes):
        return Reply(staff_texts.NO_RESOLVE_WAITING)
    ticket = turn.session.get(Ticket, staff.resolving_ticket_id)
    forget_resolution(staff)
    return Reply(staff_texts.RESOLVE_CANCELLED.format(number=ticket.number if ticket else ""))


def after_photo(turn: Turn) -> Reply | None:
    """A photo while a 办结 waits: the after-photo, fetched and cleaned by a job that then resolves the ticket.
    None when no 办结 waits: then the photo is a resident's, as from anyone."""
    staff = _staff(turn)
    if not resolution_waiting(staff, now=turn.now, minutes=turn.settings.staff_chat.resolve_photo_minutes):
        return None
    if staff.resolving_photo_id is not None:
        return Reply(staff_texts.PHOTO_STILL_WORKING)
    inbound = turn.inbound
    photo = Photo(kind=PhotoKind.AFTER, staff_id=staff.id, media_id=media_key(inbound.media_id, inbound.pic_url),
                  pic_url=inbound.pic_url, inbound_message_id=turn.delivery.record_id, status=PhotoStatus.RECORDED,
                  created_at=turn.now)
    turn.session.add(photo)
    turn.session.flush()
    staff.resolving_photo_id = photo.id
    turn.later(RESOLVE_BY_CHAT, photo.id)
    ticket = turn.session.get(Ticket, staff.resolving_ticket_id)
    return Reply(staff_texts.PHOTO_RECEIVED.format(number=ticket.number if ticket else ""))
