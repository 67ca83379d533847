"""A workflow step being applied (Change) and the inputs it reads from the clerk (Inputs), checked for presence."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from bot.cases.actors import Actor
from bot.cases.statuses import OPEN_STATES
from bot.catalogue.snapshot import CatalogueSnapshot
from models import Department, DepartmentKind, Priority, StaffAccount, Ticket


class Input(enum.StrEnum):
    """What a step may read from the clerk besides the ticket."""

    NOTE = "note"                  # a reason, or a note kept among staff
    REPLY = "reply"                # words for the reporters
    PHOTO = "photo"                # an after-photo, or HQ's on-site photo
    DEPARTMENT = "department"      # the (new) lead, or a co-handler
    MERGE_TARGET = "merge_target"  # the earlier ticket this one duplicates
    DEADLINE = "deadline"          # a proposed or corrected deadline
    ASSIGNEE = "assignee"          # a staff member of the lead department
    PRIORITY = "priority"
    CATEGORY = "category"
    TOWN = "town"
    LOCATION = "location"


@dataclass(frozen=True)
class Inputs:
    note: str = ""
    reply: str = ""
    department: Department | None = None
    merge_target: Ticket | None = None
    deadline: datetime | None = None           # naive UTC
    assignee: StaffAccount | None = None
    priority: Priority | None = None
    category_code: str = ""
    town_code: str = ""
    location: str = ""


@dataclass
class Change:
    """One step being applied: what its checks, effects and reason read; details are added to the reason."""

    ticket: Ticket
    actor: Actor
    now: datetime
    inputs: Inputs
    catalogue: CatalogueSnapshot | None
    session: Session
    details: list[str] = field(default_factory=list)

    @property
    def department(self) -> Department:
        assert self.inputs.department is not None  # check_transition refuses a step that needs one without it
        return self.inputs.department

    @property
    def merge_target(self) -> Ticket:
        assert self.inputs.merge_target is not None  # as above
        return self.inputs.merge_target

    @property
    def assignee_name(self) -> str:
        assignee = self.inputs.assignee
        return (assignee.display_name or assignee.username) if assignee else ""

    def department_name(self, code: str | None) -> str:
        names = self.catalogue.routing.department_names if self.catalogue else {}
        return names.get(code or "", code or "")

    def local(self, moment: datetime) -> str:
        shown = self.catalogue.calendar.local(moment) if self.catalogue else moment
        return shown.strftime("%Y-%m-%d %H:%M")


_MISSING = {
    Input.NOTE: "请填写说明或理由。",
    Input.REPLY: "请填写给市民的答复。",
    Input.PHOTO: "请上传至少一张照片（处置后照片或现场照片）。",
    Input.DEPARTMENT: "请选择承办部门。",
    Input.MERGE_TARGET: "请填写一张仍在办理中的原工单编号。",
    Input.DEADLINE: "请填写一个晚于现在的日期和时间。",
    Input.ASSIGNEE: "请选择承办人。",
    Input.PRIORITY: "请选择优先级。",
    Input.CATEGORY: "请选择类别。",
    Input.TOWN: "请选择镇街。",
    Input.LOCATION: "请填写位置。",
}


def missing(need: Input, change: Change, photo_count: int) -> str:
    """Why the step lacks this input, for the clerk; "" when it is there."""
    given, ticket, catalogue = change.inputs, change.ticket, change.catalogue
    target = given.merge_target
    categories = catalogue.categories if catalogue else {given.category_code: None}
    towns = catalogue.routing.town_names if catalogue else {given.town_code: ""}
    present = {
        Input.NOTE: bool(given.note.strip()),
        Input.REPLY: bool(given.reply.strip()),
        Input.PHOTO: photo_count > 0,
        Input.DEPARTMENT: given.department is not None and given.department.kind != DepartmentKind.HQ,
        Input.MERGE_TARGET: target is not None and target.id != ticket.id and target.status in OPEN_STATES,
        Input.DEADLINE: given.deadline is not None and given.deadline > change.now,
        Input.ASSIGNEE: given.assignee is not None,
        Input.PRIORITY: given.priority is not None,
        Input.CATEGORY: bool(given.category_code) and given.category_code in categories,
        Input.TOWN: bool(given.town_code) and given.town_code in towns,
        Input.LOCATION: bool(given.location.strip()),
    }[need]
    return "" if present else _MISSING[need]
