"""Who acts on a ticket, as the workflow sees them: a staff member, the reporter, the system or the router."""
from __future__ import annotations

from dataclasses import dataclass

from models import DepartmentKind

# A department's staff work its tickets; its admin may also return and assign them; HQ triages, corrects,
# urges and verifies.
DEPT_STAFF, DEPT_ADMIN, HQ_ADMIN = "dept_staff", "dept_admin", "hq_admin"
# The reporter confirms or rejects a resolution in the chat; the system closes what nobody answered; the router
# registers and dispatches a new report whose category and town settle where it goes.
RESIDENT, SYSTEM, ROUTER = "resident", "system", "router"


@dataclass(frozen=True)
class Actor:
    """A logged-in staff member, the reporter, or the system."""

    name: str                  # "staff:wang", "system:deadline"
    department_code: str
    department_kind: str       # a DepartmentKind, or resident | system | router
    role: str                  # staff | admin
    staff_id: int | None = None
    resident_id: int | None = None   # for the resident actor: whose report they may confirm
    channel: str = ""                # how they act: "" the portal (or the system), "wechat" a staff command by chat

    @property
    def workflow_role(self) -> str:
        if self.department_kind in (RESIDENT, SYSTEM, ROUTER):
            return self.department_kind
        if self.department_kind == DepartmentKind.HQ:
            return HQ_ADMIN
        return DEPT_ADMIN if self.role == "admin" else DEPT_STAFF


SYSTEM_ACTOR = Actor("system:feedback", "", SYSTEM, "")
ROUTER_ACTOR = Actor("system:router", "", ROUTER, "")
