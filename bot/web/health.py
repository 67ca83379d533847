"""Operations endpoints: /healthz, /readyz and Prometheus metrics at /metrics."""
from __future__ import annotations

import os

from flask import Blueprint, Response, abort, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select, text

from bot.infra.observability import LATENCY, MESSAGES, REPLIES
from bot.services import Services
from bot.web import services
from models import Photo, PhotoStatus, Ticket

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process is up."""
    return "ok"


@bp.get("/readyz")
def readyz():
    """The database and the job queue answer; 503 otherwise, so a load balancer stops sending traffic."""
    problems = []
    try:
        with services().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not ready"; the reason is in the body
        problems.append(f"database: {type(exc).__name__}")
    try:
        services().jobs.huey.pending_count()
    except Exception as exc:
        problems.append(f"queue: {type(exc).__name__}")
    if problems:
        return Response("not ready: " + "; ".join(problems), status=503, mimetype="text/plain")
    return "ready"


class StateCollector:
    """Gauges read at scrape time: jobs pending and failed, tickets by state."""

    def __init__(self, services: Services):
        self.services = services

    def collect(self):
        queue = self.services.jobs.huey
        jobs = GaugeMetricFamily("civicbot_jobs", "Jobs by state", labels=["state"])
        jobs.add_metric(["pending"], queue.pending_count())
        jobs.add_metric(["scheduled"], queue.scheduled_count())
        tickets = GaugeMetricFamily("civicbot_tickets", "Tickets by state", labels=["state"])
        with self.services.sessions() as session:
            jobs.add_metric(["failed_photos"], session.scalar(select(func.count()).select_from(Photo)
                                                              .where(Photo.status == PhotoStatus.FAILED)))
            for state, count in session.execute(select(Ticket.status, func.count()).group_by(Ticket.status)):
                tickets.add_metric([state.value], count)
        yield jobs
        yield tickets


@bp.get("/metrics")
def metrics():
    """Prometheus text format; from loopback only, unless a bearer token is configured and given."""
    token = services().settings.metrics.token
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
    registry.register(StateCollector(services()))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
