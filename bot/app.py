"""The Flask application factory: settings, database, catalogue snapshot, job queue and blueprints."""
from __future__ import annotations

import logging

from flask import Flask
from werkzeug.exceptions import HTTPException

from bot.config import load_config
from bot.db import make_engine, make_sessionmaker, transaction
from bot.jobs import JobQueue
from bot.knowledge import load_knowledge
from bot.signing import LinkSigner, secret_key
from bot.storage import make_storage


def create_app(settings: dict | None = None) -> Flask:
    """Build the app from the given settings, or from config.toml and CIVICBOT_* variables."""
    settings = settings or load_config()
    logging.basicConfig(level=settings["logging"]["level"],
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = Flask(__name__)
    app.config["CIVICBOT"] = settings
    app.config["WECHAT"] = settings["wechat"]
    app.config["MAX_CONTENT_LENGTH"] = settings["server"]["max_body_bytes"]
    engine = make_engine(settings)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        knowledge = load_knowledge(settings, session=session)
    app.extensions["civicbot.engine"] = engine
    app.extensions["civicbot.sessions"] = sessions
    app.extensions["civicbot.knowledge"] = knowledge
    app.extensions["civicbot.queue"] = JobQueue(settings)
    app.extensions["civicbot.storage"] = make_storage(settings)
    app.extensions["civicbot.signer"] = LinkSigner(secret_key(settings), settings["media"]["link_hours"] * 3600)

    from bot import api, photo_links, webhook
    app.register_blueprint(webhook.bp, url_prefix=settings["wechat"]["webhook_path"].rstrip("/"))
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    app.register_blueprint(photo_links.bp)

    @app.errorhandler(HTTPException)
    def plain_error(error: HTTPException):
        # WeChat and API clients get a short text, never an HTML page or a stack trace.
        return error.description or error.name, error.code, {"Content-Type": "text/plain; charset=utf-8"}

    @app.get("/healthz")
    def healthz():
        return "ok"

    return app
