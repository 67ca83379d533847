"""One row per ticket status: its stage (open, resolved, finished), the notice it sends, its label, its portal tab."""
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
    REPLY = "reply"              # a department's or HQ's answer, whatever the status
    REVIEW = "review"            # another reporter is still not satisfied: HQ reviews the resolution


class Tab(enum.StrEnum):
    """The portal's ticket lists. Some are one status; due soon, overdue, triage and all are conditions."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    RETURNED = "returned"
    RESOLVED = "resolved"
    TRIAGE = "triage"
    URGED = "urged"              # HQ's 督办 the department has yet to answer by finishing its turn
    EXTENSIONS = "extensions"    # 延期 / 挂账 applications awaiting HQ
    MINE = "mine"                # assigned to the signed-in staff member
    ALL = "all"


class Stage(enum.StrEnum):
    """How far a ticket has come, as deadlines, duplicates and the scores count it."""

    OPEN = "open"            # still to be worked: deadlines run, duplicates join it, it can fall overdue
    RESOLVED = "resolved"    # the department has finished; the reporter or HQ has yet to verify
    FINISHED = "finished"    # verified or closed
    DROPPED = "dropped"      # rejected, or merged into another ticket


@dataclass(frozen=True)
class StatusInfo:
    label: str                       # what residents and clerks read
    stage: Stage
    notice: NoticeKind | None        # what the reporters are told on reaching it
    tab: Tab | None                  # the portal list that holds exactly the tickets in this status
    clock_runs: bool = False         # a department holds it, so its deadline runs against that department


STATUSES: dict[TicketStatus, StatusInfo] = {
    S.RECEIVED: StatusInfo("已受理，待分派", Stage.OPEN, None, None),
    S.REGISTERED: StatusInfo("已立案，待分派", Stage.OPEN, None, None),
    S.DISPATCHED: StatusInfo("已派遣至责任部门", Stage.OPEN, NoticeKind.DISPATCHED, Tab.NEW, clock_runs=True),
    S.IN_PROGRESS: StatusInfo("处理中", Stage.OPEN, NoticeKind.ACCEPTED, Tab.IN_PROGRESS, clock_runs=True),
    S.RESOLVED: StatusInfo("已处理，待核查", Stage.RESOLVED, NoticeKind.RESOLVED, Tab.RESOLVED),
    S.VERIFIED: StatusInfo("已核查", Stage.FINISHED, None, None),
    S.CLOSED: StatusInfo("已办结", Stage.FINISHED, NoticeKind.CLOSED, None),
    S.REJECTED: StatusInfo("不予受理", Stage.DROPPED, NoticeKind.REJECTED, None),
    S.RETURNED: StatusInfo("重新分派中", Stage.OPEN, None, Tab.RETURNED),
    S.MERGED: StatusInfo("已合并到同类工单", Stage.DROPPED, None, None),
    S.REOPENED: StatusInfo("重新处理中", Stage.OPEN, NoticeKind.REOPENED, Tab.IN_PROGRESS, clock_runs=True),
}
assert set(STATUSES) == set(TicketStatus), "every ticket status needs a row"


def states_in(*stages: Stage) -> frozenset[TicketStatus]:
    return frozenset(status for status, info in STATUSES.items() if info.stage in stages)


OPEN_STATES = states_in(Stage.OPEN)
# Held for review, received, registered or returned, a ticket waits on HQ: no department's deadline runs.
CLOCK_STATES = frozenset(status for status, info in STATUSES.items() if info.clock_runs)


def status_label(status: TicketStatus | str) -> str:
    """The Chinese name of a status, for the chat, the portal and exports."""
    return STATUSES[TicketStatus(status)].label


def statuses_in_tab(tab: Tab) -> list[TicketStatus]:
    return [status for status, info in STATUSES.items() if info.tab == tab]
