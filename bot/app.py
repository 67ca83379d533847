"""The Flask application factory: settings, database, catalogue snapshot, job queue and blueprints."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask, redirect, url_for
from flask.sessions import SessionInterface
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from bot.config import Settings, load_config
from bot.infra import observability
from bot.infra.observability import configure_logging
from bot.infra.signing import secret_key
from bot.services import build_services
from bot.web import api, health, photo_links, portal, webhook


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app from the given settings, or from config.toml and CIVICBOT_* variables."""
    settings = settings or load_config()
    configure_logging(settings.logging.level)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.server.max_body_bytes   # the portal's upload routes allow photos
    app.extensions["civicbot"] = build_services(settings)
    _secure_sessions(app, settings)
    observability.install_request_ids(app)

    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    app.register_blueprint(photo_links.bp)
    app.register_blueprint(portal.bp)
    # After the blueprints: the portal's upload routes raise the body limit in a hook that must run before
    # CSRFProtect's, which reads the form (bot/web/portal/uploads.py).
    csrf = CSRFProtect(app)
    for machine_facing in (api.bp, photo_links.bp):  # bearer tokens or signed links, no cookies
        csrf.exempt(machine_facing)
    limiter = Limiter(get_remote_address, app=app, default_limits=[],
                      storage_uri=settings.queue.redis_url if settings.queue.backend == "redis"
                      else "memory://")
    # Flask types a view as sync or async; the limiter's generic decorator cannot hand that union back.
    app.view_functions["portal.login"] = limiter.limit("10 per minute", methods=["POST"])(  # type: ignore[assignment]
        app.view_functions["portal.login"])

    @app.get("/")
    def index():
        return redirect(url_for("portal.queue"))

    app.register_error_handler(HTTPException, _plain_error)
    _mount_webhook(app, settings)
    return app


def _mount_webhook(app: Flask, settings: Settings) -> None:
    """Serve the WeChat webhook at wechat.webhook_path from a Flask app of its own.

    WeChat signs every delivery and sends for all residents from a few addresses, so the portal's
    cookie session, CSRF check and rate limiter have nothing to do there (per-resident limits live in
    bot/cases/reports.py); yet as hooks of one app they ran on every delivery, a quarter of what a re-delivery cost.
    """
    webhook_app = Flask("bot.web.webhook")
    webhook_app.config.update(app.config)
    webhook_app.extensions = app.extensions  # the same services
    webhook_app.url_map.strict_slashes = False  # mounted, the webhook's own path is "": no redirect to "/"
    webhook_app.session_interface = _NoSession()
    observability.install_request_ids(webhook_app)
    webhook_app.register_blueprint(webhook.bp, url_prefix="/")
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
    # WeChat and API clients get a short text, never an HTML page or a stack trace.
    return error.description or error.name, error.code, {"Content-Type": "text/plain; charset=utf-8"}


def _secure_sessions(app: Flask, settings: Settings) -> None:
    """Portal sessions: signed cookies, HttpOnly, SameSite, Secure behind HTTPS, expiring."""
    app.config.update(
        SECRET_KEY=secret_key(settings),
        SESSION_COOKIE_NAME="civicbot_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.server.public_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.portal.session_hours),
        WTF_CSRF_TIME_LIMIT=settings.portal.session_hours * 3600,
    )
