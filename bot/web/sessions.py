"""Portal sessions kept on the server (bot/infra/shared_state.py): the cookie carries only a random id, a session
ends on logout, after portal.idle_minutes without a request and portal.session_hours after it began, and its id
changes at login."""
from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from flask import Flask, Request, Response, request
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from bot.infra.shared_state import SharedStore
from models import utcnow

log = logging.getLogger(__name__)
KEY_PREFIX = "session:"
# A session's last request is written back at most this often: idle expiry is this coarse, and a clerk paging
# through a list does not write to the database on every click.
TOUCH = timedelta(seconds=60)


class ServerSession(CallbackDict, SessionMixin):
    """The session's values; sid is None until it is first stored."""

    def __init__(self, data: dict | None = None, sid: str | None = None, created_at: datetime | None = None,
                 seen_at: datetime | None = None):
        def changed(_self) -> None:
            self.modified = True

        super().__init__(data or {}, changed)
        self.sid, self.created_at, self.seen_at = sid, created_at, seen_at
        self.new = sid is None
        self.modified = False
        self.rotate = False


def renew(session: SessionMixin) -> None:
    """Give the session a new id when it is next saved (at login): an id planted before login is worth nothing."""
    if isinstance(session, ServerSession):
        session.rotate = True


def _key(sid: str) -> str:
    # Only a hash of the id is stored: whoever reads the table or Redis cannot take over a session.
    return KEY_PREFIX + hashlib.sha256(sid.encode("utf-8", "surrogateescape")).hexdigest()


class ServerSessionInterface(SessionInterface):
    serializer = TaggedJSONSerializer()   # Flask's own: flashes' tuples and Markup come back as they went in

    def __init__(self, store: SharedStore, *, lifetime: timedelta, idle: timedelta):
        self.store, self.lifetime, self.idle = store, lifetime, idle

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        sid = request.cookies.get(self.get_cookie_name(app), "")
        if not sid or len(sid) > 100:
            return ServerSession()
        now = utcnow()
        try:
            stored = self.store.get(_key(sid), now)
        except Exception:   # the store is away: no session, the portal asks for a login and /readyz says why
            log.exception("portal sessions cannot be read")
            return ServerSession()
        if stored is None:
            return ServerSession()
        created_at, seen_at = datetime.fromisoformat(stored["created"]), datetime.fromisoformat(stored["seen"])
        if now >= min(created_at + self.lifetime, seen_at + self.idle):
            return ServerSession()
        return ServerSession(self.serializer.loads(stored["data"]), sid, created_at, seen_at)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not isinstance(session, ServerSession):
            return
        name, domain, path = self.get_cookie_name(app), self.get_cookie_domain(app), self.get_cookie_path(app)
        if session.accessed:
            response.vary.add("Cookie")
        if not session:
            if session.sid is not None:   # logged out, or emptied: gone from the store and from the browser
                self.store.delete(_key(session.sid))
                response.delete_cookie(name, domain=domain, path=path)
            return
        now = utcnow()
        if session.rotate and session.sid is not None:
            self.store.delete(_key(session.sid))
            session.sid = None
        fresh = session.sid is None
        if fresh:
            session.sid, session.created_at = secrets.token_urlsafe(32), now
        assert session.sid is not None and session.created_at is not None
        if fresh or session.modified or session.seen_at is None or now - session.seen_at >= TOUCH:
            ends = session.created_at + self.lifetime
            self.store.put(_key(session.sid), {"data": self.serializer.dumps(dict(session)),
                                               "created": session.created_at.isoformat(), "seen": now.isoformat()},
                           min(ends, now + self.idle), now)
        if fresh:   # Secure behind HTTPS: configured, or the scheme as the client used it (X-Forwarded-Proto)
            response.set_cookie(name, session.sid, expires=session.created_at + self.lifetime,
                                httponly=True, domain=domain, path=path, samesite="Lax",
                                secure=self.get_cookie_secure(app) or request.is_secure)
