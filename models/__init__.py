"""The database tables, one module per aggregate; importing this registers them all."""
from models.base import Base, utcnow
from models.department import ApiToken, Category, Department, GazetteerEntry, RoutingOverride, Setting, Town
from models.inbound import InboundMessage
from models.notification import Notification
from models.photo import Photo
from models.resident import CategoryCorrection, Draft, DraftStatus, Resident
from models.ticket import Ticket, TicketCounter, TicketEvent, TicketReporter, TicketStatus
from models.staff import StaffAccount
from models.wechat_token import WeChatToken

__all__ = [
    "ApiToken", "Base", "Category", "CategoryCorrection", "Department", "Draft", "DraftStatus", "GazetteerEntry",
    "InboundMessage", "Notification", "Photo", "Resident", "StaffAccount", "RoutingOverride", "Setting", "Ticket", "TicketCounter",
    "TicketEvent", "TicketReporter", "TicketStatus", "Town", "WeChatToken", "utcnow",
]
