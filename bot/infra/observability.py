"""Observability: JSON logs with a request id, /healthz and /readyz, and Prometheus metrics at /metrics."""
from __future__ import annotations

import logging
import os
import uuid
from contextvars import ContextVar

from flask import Blueprint, Flask, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy import func, select, text

request_id: ContextVar[str] = ContextVar("request_id", default="-")
ticket_number: ContextVar[str] = ContextVar("ticket_number", default="")

MESSAGES = Counter("civicbot_messages_total", "WeChat deliveries received, by message type", ["type"])
REPLIES = Counter("civicbot_replies_total", "Webhook answers, by outcome", ["outcome"])
LATENCY = Histogram("civicbot_webhook_seconds", "Time to answer a WeChat delivery",
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))

bp = Blueprint("observe", __name__)


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


def install(app: Flask) -> None:
    """Add /healthz, /readyz and /metrics, and request ids."""
    app.register_blueprint(bp)
    install_request_ids(app)


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


@bp.get("/healthz")
def healthz():
    """The process is up."""
    return "ok"


@bp.get("/readyz")
def readyz():
    """The database and the job queue answer; 503 otherwise, so a load balancer stops sending traffic."""
    problems = []
    try:
        with current_app.extensions["civicbot.engine"].connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not ready"; the reason is in the body
        problems.append(f"database: {type(exc).__name__}")
    try:
        current_app.extensions["civicbot.queue"].huey.pending_count()
    except Exception as exc:
        problems.append(f"queue: {type(exc).__name__}")
    if problems:
        return Response("not ready: " + "; ".join(problems), status=503, mimetype="text/plain")
    return "ready"


class StateCollector:
    """Gauges read at scrape time: jobs pending and failed, tickets by state."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        from models import Photo, Ticket
        queue = self.app.extensions["civicbot.queue"].huey
        jobs = GaugeMetricFamily("civicbot_jobs", "Jobs by state", labels=["state"])
        jobs.add_metric(["pending"], queue.pending_count())
        jobs.add_metric(["scheduled"], queue.scheduled_count())
        tickets = GaugeMetricFamily("civicbot_tickets", "Tickets by state", labels=["state"])
        with self.app.extensions["civicbot.sessions"]() as session:
            jobs.add_metric(["failed_photos"], session.scalar(select(func.count()).select_from(Photo)
                                                              .where(Photo.status == "failed")))
            for state, count in session.execute(select(Ticket.status, func.count()).group_by(Ticket.status)):
                tickets.add_metric([state.value], count)
        yield jobs
        yield tickets


@bp.get("/metrics")
def metrics():
    """Prometheus text format; from loopback only, unless a bearer token is configured and given."""
    token = current_app.config["CIVICBOT"]["metrics"]["token"]
    if token:
        if request.headers.get("Authorization", "") != f"Bearer {token}":
            abort(401)
    elif request.remote_addr not in ("127.0.0.1", "::1"):
        abort(404)
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        multiprocess.MultiProcessCollector(registry)  # the counters of every gunicorn worker
    else:
        for metric in (MESSAGES, REPLIES, LATENCY):
            registry.register(metric)
    registry.register(StateCollector(current_app._get_current_object()))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
