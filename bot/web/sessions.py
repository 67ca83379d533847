"""Portal sessions kept on the server (bot/infra/shared_state.py): the cookie carries only a random id, a session
ends on logout, after portal.idle_minutes without a request and portal.session_hours after it began, and its id
changes at login.

A visitor who is not logged in and holds nothing but the login form's CSRF token and a message for the next page gets
no row: those travel in a signed cookie of their own (VISITOR_COOKIE), so a crawler or a flood of login pages never
fills the store. Anything more (a login, a form kept for after the login) makes it a stored session."""
from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from flask import Flask, Request, Response, request
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import NullSession, SecureCookieSessionInterface, SessionInterface, SessionMixin
from itsdangerous import BadSignature
from werkzeug.datastructures import CallbackDict

from bot.infra.shared_state import SharedStore
from models import utcnow

log = logging.getLogger(__name__)
KEY_PREFIX = "session:"
# A session's last request is written back at most this often: idle expiry is this coarse, and a clerk paging
# through a list does not write to the database on every click.
TOUCH = timedelta(seconds=60)
VISITOR_COOKIE = "civicbot_visitor"
VISITOR_KEYS = frozenset({"csrf_token", "_flashes"})   # all a visitor's session may hold and stay a cookie
VISITOR_BYTES = 2048     # and only while it is this small (a cookie must stay under 4 KB)


class _VisitorCookie(SecureCookieSessionInterface):
    salt = "civicbot-visitor"   # its own: a visitor's cookie is never taken for anything else Flask signs


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

    def __init__(self, store: SharedStore, *, lifetime: timedelta, idle: timedelta, sessionless: str = ""):
        self.store, self.lifetime, self.idle = store, lifetime, idle
        self.visitors = _VisitorCookie()
        self.sessionless = sessionless

    def open_session(self, app: Flask, request: Request) -> ServerSession | NullSession:
        if self.sessionless and (request.path + "/").startswith(self.sessionless + "/"):
            # Pages the same for everyone (the public 办理公示): no session read, none saved, no cookie ever set.
            return self.make_null_session(app)
        sid = request.cookies.get(self.get_cookie_name(app), "")
        if not sid or len(sid) > 100:
            return self._visitor(app, request)
        now = utcnow()
        try:
            stored = self.store.get(_key(sid), now)
        except Exception:   # the store is away: no session, the portal asks for a login and /readyz says why
            log.exception("portal sessions cannot be read")
            return self._visitor(app, request)
        if stored is None:
            return self._visitor(app, request)
        created_at, seen_at = datetime.fromisoformat(stored["created"]), datetime.fromisoformat(stored["seen"])
        if now >= min(created_at + self.lifetime, seen_at + self.idle):
            return self._visitor(app, request)
        return ServerSession(self.serializer.loads(stored["data"]), sid, created_at, seen_at)

    def _visitor(self, app: Flask, request: Request) -> ServerSession:
        """A visitor's session from their signed cookie (empty when there is none, or it is forged or too old)."""
        value = request.cookies.get(VISITOR_COOKIE, "")
        serializer = self.visitors.get_signing_serializer(app)
        if not value or serializer is None:
            return ServerSession()
        try:
            return ServerSession(serializer.loads(value, max_age=int(self.idle.total_seconds())))
        except BadSignature:   # also when expired
            return ServerSession()

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not isinstance(session, ServerSession):
            return
        name, domain, path = self.get_cookie_name(app), self.get_cookie_domain(app), self.get_cookie_path(app)
        if session.accessed:
            response.vary.add("Cookie")
        had_visitor_cookie = VISITOR_COOKIE in request.cookies
        if not session:
            if session.sid is not None:   # logged out, or emptied: gone from the store and from the browser
                self.store.delete(_key(session.sid))
                response.delete_cookie(name, domain=domain, path=path)
            if had_visitor_cookie:
                response.delete_cookie(VISITOR_COOKIE, domain=domain, path=path)
            return
        if session.sid is None and self._save_visitor(app, session, response, had_visitor_cookie):
            return
        if had_visitor_cookie:   # a stored session from now on (a login): the visitor's cookie has done its work
            response.delete_cookie(VISITOR_COOKIE, domain=domain, path=path)
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

    def _save_visitor(self, app: Flask, session: ServerSession, response: Response, had_cookie: bool) -> bool:
        """Keep a visitor's small session in their signed cookie, with no row; False when it needs a stored one."""
        serializer = self.visitors.get_signing_serializer(app)
        if serializer is None or not set(session) <= VISITOR_KEYS:
            return False
        value = serializer.dumps(dict(session))
        if len(value) > VISITOR_BYTES:
            return False
        if self.get_cookie_name(app) in request.cookies:   # an ended session's id: forgotten
            response.delete_cookie(self.get_cookie_name(app), domain=self.get_cookie_domain(app),
                                   path=self.get_cookie_path(app))
        if session.modified or not had_cookie:
            response.set_cookie(VISITOR_COOKIE, value, httponly=True, domain=self.get_cookie_domain(app),
                                path=self.get_cookie_path(app), samesite="Lax",
                                secure=self.get_cookie_secure(app) or request.is_secure)
        return True
