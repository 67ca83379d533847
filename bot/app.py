"""The Flask application factory: settings, database, catalogue snapshot, job queue and blueprints."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask, redirect, url_for
from flask.sessions import SessionInterface
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from bot.config import Settings, load_config
from bot.infra import observability
from bot.infra.observability import configure_logging
from bot.infra.signing import secret_key
from bot.services import build_services
from bot.web import api, health, open311, photo_links, portal, public, webhook
from bot.web.errors import install_error_pages
from bot.web.security_headers import install_security_headers
from bot.web.sessions import ServerSessionInterface


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app from the given settings, or from config.toml and CIVICBOT_* variables."""
    settings = settings or load_config()
    configure_logging(settings.logging.level)
    app = Flask(__name__, static_folder=None)   # the portal serves its own (bot/web/portal/static)
    app.url_map.converters["int"] = BoundedInt   # before any route is added
    app.config["MAX_CONTENT_LENGTH"] = settings.server.max_body_bytes   # the portal's upload routes allow photos
    app.extensions["civicbot"] = build_services(settings)
    _secure_sessions(app, settings)
    observability.install_request_ids(app)
    install_security_headers(app, settings)

    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    app.register_blueprint(photo_links.bp)
    app.register_blueprint(open311.bp, url_prefix=open311.PREFIX)
    app.register_blueprint(portal.bp)
    app.register_blueprint(public.bp)
    # After the blueprints: the portal's upload routes raise the body limit in a hook that must run before
    # CSRFProtect's, which reads the form (bot/web/portal/uploads.py).
    csrf = CSRFProtect(app)
    for machine_facing in (api.bp, photo_links.bp, open311.bp):  # bearer tokens, signed links, API keys: no cookies
        csrf.exempt(machine_facing)
    # Login attempts are slowed down per account and per client address in the shared store
    # (bot/cases/login_delays.py), not by a limiter counting in each worker's memory.

    @app.get("/")
    def index():
        return redirect(url_for("portal.queue"))

    install_error_pages(app)
    _mount_webhook(app, settings)
    _trust_proxies(app, settings)
    return app


class BoundedInt(IntegerConverter):
    """An <int:…> part of an address: a number the database can hold (64 bits), else no such page (404) rather than
    an OverflowError deep in the driver."""

    def __init__(self, url_map, fixed_digits: int = 0, min: int | None = 0, max: int | None = 2**63 - 1,
                 signed: bool = False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _trust_proxies(app: Flask, settings: Settings) -> None:
    """Believe X-Forwarded-For, -Proto and -Host from as many proxies as server.trusted_proxies says (nginx: 1), so
    that /metrics, the login delays and the logs see the client's address, and cookies know HTTPS; none by default,
    so that a client cannot claim another address by sending the header itself."""
    hops = settings.server.trusted_proxies
    if hops:
        # Outermost, so the webhook (mounted below) sees the same addresses. mypy refuses assignments to methods.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def _mount_webhook(app: Flask, settings: Settings) -> None:
    """Serve the WeChat webhook at wechat.webhook_path from a Flask app of its own.

    WeChat signs every delivery and sends for all residents from a few addresses, so the portal's
    cookie session, CSRF check and rate limiter have nothing to do there (per-resident limits live in
    bot/cases/reports.py); yet as hooks of one app they ran on every delivery, a quarter of what a re-delivery cost.
    """
    webhook_app = Flask("bot.web.webhook", static_folder=None)
    webhook_app.config.update(app.config)
    webhook_app.extensions = app.extensions  # the same services
    webhook_app.url_map.strict_slashes = False  # mounted, the webhook's own path is "": no redirect to "/"
    webhook_app.session_interface = _NoSession()
    observability.install_request_ids(webhook_app)
    webhook_app.register_blueprint(webhook.bp, url_prefix="/")
    install_security_headers(webhook_app, settings)
    webhook_app.register_error_handler(HTTPException, _plain_error)
    # Flask's documented way to wrap the app in WSGI middleware; mypy refuses assignments to methods.
    app.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, {settings.wechat.webhook_path.rstrip("/"): webhook_app})


class _NoSession(SessionInterface):
    """WeChat sends no cookies and the webhook keeps no session, so none is read or signed per delivery."""

    def open_session(self, app, request):
        return self.make_null_session(app)

    def save_session(self, app, session, response) -> None:
        return None


def _plain_error(error: HTTPException):
    # WeChat gets a short text, never an HTML page or a stack trace.
    return error.description or error.name, error.code, {"Content-Type": "text/plain; charset=utf-8"}


def _secure_sessions(app: Flask, settings: Settings) -> None:
    """Portal sessions kept on the server (bot/web/sessions.py): the cookie holds only the session's id, HttpOnly,
    SameSite=Lax, Secure behind HTTPS; they end when idle and at an absolute lifetime."""
    portal = settings.portal
    lifetime = timedelta(hours=portal.session_hours)
    app.config.update(
        SECRET_KEY=secret_key(settings),   # signs the CSRF tokens and residents' photo links
        SESSION_COOKIE_NAME="civicbot_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.server.public_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=lifetime,
        WTF_CSRF_TIME_LIMIT=int(lifetime.total_seconds()),
    )
    app.session_interface = ServerSessionInterface(app.extensions["civicbot"].shared, lifetime=lifetime,
                                                   idle=timedelta(minutes=portal.idle_minutes),
                                                   sessionless=public.PREFIX)
