"""One row per ticket status: whether it is still open, the notice it sends, its label and its portal tab."""
from __future__ import annotations

import enum
from dataclasses import dataclass

from models import TicketStatus

S = TicketStatus


class NoticeKind(enum.StrEnum):
    """The news a reporter gets when their ticket reaches a status (the outbox's `kind`)."""

    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    RESOLVED = "resolved"
    REJECTED = "rejected"
    REOPENED = "reopened"
    CLOSED = "closed"


class Tab(enum.StrEnum):
    """The portal's ticket lists. Some are one status; due soon, overdue, triage and all are conditions."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    RETURNED = "returned"
    RESOLVED = "resolved"
    TRIAGE = "triage"
    ALL = "all"


@dataclass(frozen=True)
class StatusInfo:
    label: str                       # what residents and clerks read
    open: bool                       # still to be worked: counts for deadlines, duplicates and overdue marks
    notice: NoticeKind | None        # what the reporters are told on reaching it
    tab: Tab | None                  # the portal list that holds exactly the tickets in this status


STATUSES: dict[TicketStatus, StatusInfo] = {
    S.RECEIVED: StatusInfo("已受理，待分派", True, None, None),
    S.REGISTERED: StatusInfo("已立案，待分派", True, None, None),
    S.DISPATCHED: StatusInfo("已派遣至责任部门", True, NoticeKind.DISPATCHED, Tab.NEW),
    S.IN_PROGRESS: StatusInfo("处理中", True, NoticeKind.ACCEPTED, Tab.IN_PROGRESS),
    S.RESOLVED: StatusInfo("已处理，待核查", False, NoticeKind.RESOLVED, Tab.RESOLVED),
    S.VERIFIED: StatusInfo("已核查", False, None, None),
    S.CLOSED: StatusInfo("已办结", False, NoticeKind.CLOSED, None),
    S.REJECTED: StatusInfo("不予受理", False, NoticeKind.REJECTED, None),
    S.RETURNED: StatusInfo("重新分派中", True, None, Tab.RETURNED),
    S.MERGED: StatusInfo("已合并到同类工单", False, None, None),
    S.REOPENED: StatusInfo("重新处理中", True, NoticeKind.REOPENED, Tab.IN_PROGRESS),
}
assert set(STATUSES) == set(TicketStatus), "every ticket status needs a row"

OPEN_STATES = frozenset(status for status, info in STATUSES.items() if info.open)


def status_label(status: TicketStatus | str) -> str:
    """The Chinese name of a status, for the chat, the portal and exports."""
    return STATUSES[TicketStatus(status)].label


def statuses_in_tab(tab: Tab) -> list[TicketStatus]:
    return [status for status, info in STATUSES.items() if info.tab == tab]
