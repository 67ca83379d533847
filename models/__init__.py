"""The database tables, one module per aggregate; importing this registers them all."""
from models.audit import AuditAnchor
from models.base import Base, utcnow
from models.department import (
                               ApiToken,
                               Category,
                               Department,
                               DepartmentKind,
                               GazetteerEntry,
                               RoutingOverride,
                               Setting,
                               Town,
)
from models.inbound import InboundMessage
from models.notification import Notification, NotificationStatus
from models.number import FlyerNumber, NumberSighting, NumberStatus, PhotoReading
from models.open311 import Open311Client, Open311Request
from models.photo import Photo, PhotoKind, PhotoStatus
from models.resident import (
                               CategoryCorrection,
                               CategorySource,
                               CorrectionReview,
                               Draft,
                               DraftStatus,
                               LocationSource,
                               Resident,
                               Step,
)
from models.shared_state import SharedState
from models.staff import AccountEvent, BindAttempt, BindCode, StaffAccount, StaffRole
from models.staff_notice import StaffChannel, StaffNotice, StaffNoticeStatus
from models.ticket import (
                               CoHandler,
                               ExtensionKind,
                               ExtensionRequest,
                               Hold,
                               HoldEnd,
                               Priority,
                               Ticket,
                               TicketCounter,
                               TicketEvent,
                               TicketRating,
                               TicketReporter,
                               TicketStatus,
)
from models.wechat_token import WeChatToken

# Registers the hook that seals each new ticket event into its ticket's hash chain, for every session.
from models import sealing  # noqa: F401  isort: skip

__all__ = [
    "AccountEvent", "ApiToken", "AuditAnchor", "Base", "BindAttempt", "BindCode", "Category", "CategoryCorrection",
    "CategorySource",
    "CoHandler",
    "CorrectionReview", "Department", "DepartmentKind", "Draft", "DraftStatus", "ExtensionKind", "ExtensionRequest",
    "FlyerNumber", "GazetteerEntry", "Hold", "HoldEnd", "InboundMessage", "LocationSource", "Notification",
    "NotificationStatus", "NumberSighting", "NumberStatus", "Open311Client", "Open311Request", "Photo", "PhotoKind",
    "PhotoReading", "PhotoStatus",
    "Priority", "Resident", "RoutingOverride", "Setting", "SharedState", "StaffAccount", "StaffChannel",
    "StaffNotice", "StaffNoticeStatus", "StaffRole", "Step", "Ticket", "TicketCounter", "TicketEvent",
    "TicketRating", "TicketReporter", "TicketStatus", "Town", "WeChatToken", "utcnow",
]
