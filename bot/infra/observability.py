"""Observability: JSON logs carrying a request id and the ticket number, and the webhook's Prometheus counters."""
from __future__ import annotations

import logging
import uuid
from contextvars import ContextVar

from flask import Flask, request
from prometheus_client import Counter, Histogram
from pythonjsonlogger.json import JsonFormatter

request_id: ContextVar[str] = ContextVar("request_id", default="-")
ticket_number: ContextVar[str] = ContextVar("ticket_number", default="")

MESSAGES = Counter("civicbot_messages_total", "WeChat deliveries received, by message type", ["type"])
REPLIES = Counter("civicbot_replies_total", "Webhook answers, by outcome", ["outcome"])
LATENCY = Histogram("civicbot_webhook_seconds", "Time to answer a WeChat delivery",
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))

class ContextFilter(logging.Filter):
    """Put the request id and, once known, the ticket number on every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.ticket = ticket_number.get()
        return True


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(ticket)s",
                                       rename_fields={"asctime": "time", "levelname": "level"}))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    if level != "DEBUG":  # huey logs every periodic run at INFO: once a minute per task, not news
        logging.getLogger("huey").setLevel(logging.WARNING)


def install_request_ids(app: Flask) -> None:
    """Give each request an id (X-Request-Id when a proxy sent one) for its log lines and its response."""
    @app.before_request
    def _start():
        request_id.set(request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex[:16])
        ticket_number.set("")

    @app.after_request
    def _finish(response):
        response.headers["X-Request-Id"] = request_id.get()
        return response


def record_delivery(kind: str, outcome: str, seconds: float) -> None:
    MESSAGES.labels(kind).inc()
    REPLIES.labels(outcome).inc()
    LATENCY.observe(seconds)
