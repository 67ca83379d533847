"""The database tables, one module per aggregate; importing this registers them all."""
from models.base import Base, utcnow
from models.department import ApiToken, Category, Department, GazetteerEntry, RoutingOverride, Setting, Town
from models.inbound import InboundMessage
from models.photo import Photo
from models.resident import Draft, DraftStatus, Resident
from models.ticket import Ticket, TicketCounter, TicketEvent, TicketStatus

__all__ = [
    "ApiToken", "Base", "Category", "Department", "Draft", "DraftStatus", "GazetteerEntry",
    "InboundMessage", "Photo", "Resident", "RoutingOverride", "Setting", "Ticket", "TicketCounter",
    "TicketEvent", "TicketStatus", "Town", "utcnow",
]
