"""The ways in: the WeChat webhook, the departments' API, photo links and the portal."""
from __future__ import annotations

from flask import current_app

from bot.services import Services


def services() -> Services:
    """The current app's services (bot/services.py)."""
    return current_app.extensions["civicbot"]
