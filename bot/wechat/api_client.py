"""The one way civicbot calls the WeChat API: a configurable base URL and one shared, locked access token."""
from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from bot.config import Settings
from bot.infra.db import transaction
from models import WeChatToken, utcnow

log = logging.getLogger(__name__)

# Refresh this long before WeChat's 7200 s run out, so no call goes out with a dying token.
REFRESH_MARGIN_SECONDS = 300
INVALID_TOKEN_CODES = {40001, 40014, 42001}

Fetch = Callable[[], tuple[str, int]]


class TokenStore(Protocol):
    """Where the deployment's single access token lives, shared by every worker and machine."""

    def current(self) -> tuple[str, float] | None: ...

    def refresh(self, stale: str | None, fetch: Fetch) -> str: ...


class TokenUnavailable(Exception):
    """No token could be had: another worker's fetch is stuck, or WeChat refused."""


class DatabaseTokenStore:
    """The token in the database. A refresh takes a short lease in the row, then fetches with no database
    lock held (a slow WeChat must not stall the webhook's writes); other workers wait for the new token."""

    LEASE_SECONDS = 30
    POLL_SECONDS = 0.2

    def __init__(self, sessions: sessionmaker[Session], app_id: str):
        self._sessions = sessions
        self._app_id = app_id

    def current(self) -> tuple[str, float] | None:
        with self._sessions() as session:
            row = session.get(WeChatToken, self._app_id)
            return (row.token, _epoch(row.expires_at)) if row and row.token else None

    def refresh(self, stale: str | None, fetch: Fetch) -> str:
        """Fetch a new token unless another worker already replaced the stale one (or is fetching it now)."""
        deadline = time.monotonic() + self.LEASE_SECONDS + 5
        me = uuid.uuid4().hex  # per call: two threads of one worker must not share a lease
        while True:
            outcome = self._take_lease(stale, me)
            if isinstance(outcome, str):
                return outcome
            if outcome:
                break
            if time.monotonic() > deadline:
                raise TokenUnavailable("another worker's token refresh did not finish")
            time.sleep(self.POLL_SECONDS)
        try:
            token, expires_in = fetch()
        except Exception:
            self._release(None, 0)
            raise
        self._release(token, expires_in)
        return token

    def _take_lease(self, stale: str | None, me: str) -> str | bool:
        """A fresh token (str), True when this worker now holds the lease, False when another one does."""
        try:
            with transaction(self._sessions) as session:
                row = session.scalar(select(WeChatToken).where(WeChatToken.app_id == self._app_id).with_for_update())
                now = utcnow()
                if (row and row.token and row.token != stale
                        and _epoch(row.expires_at) - time.time() > REFRESH_MARGIN_SECONDS):
                    return row.token
                if row and row.lease_until and row.lease_until > now and row.lease_owner != me:
                    return False
                if row is None:
                    row = WeChatToken(app_id=self._app_id, token="", expires_at=now)  # nosec B106  # no token yet
                    session.add(row)
                row.lease_owner, row.lease_until = me, now + timedelta(seconds=self.LEASE_SECONDS)
                return True
        except IntegrityError:
            # The first fetch ever: there was no row to lock, and another worker inserted it first. It holds
            # the lease now (PostgreSQL lets both look; SQLite's write lock had made them take turns).
            return False

    def _release(self, token: str | None, expires_in: int) -> None:
        with transaction(self._sessions) as session:
            row = session.get_one(WeChatToken, self._app_id)  # made by _take_lease
            if token:
                row.token, row.fetched_at = token, utcnow()
                row.expires_at = utcnow() + timedelta(seconds=expires_in)
            row.lease_owner, row.lease_until = "", None


class RedisTokenStore:
    """The token in Redis, refreshed under a Redis lock, for deployments that run Redis."""

    def __init__(self, url: str, app_id: str):
        import redis  # the optional `redis` extra: only deployments that configure Redis have it

        self._redis = redis.Redis.from_url(url)
        self._key = f"civicbot:wechat_token:{app_id}"

    def current(self) -> tuple[str, float] | None:
        token, expires = self._redis.hmget(self._key, "token", "expires_at")
        # A client made without decode_responses answers bytes; redis types the answer for either setting.
        return (token.decode(), float(expires)) if token and expires else None  # type: ignore[union-attr]

    def refresh(self, stale: str | None, fetch: Fetch) -> str:
        with self._redis.lock(self._key + ":lock", timeout=30, blocking_timeout=30):
            found = self.current()
            if found and found[0] != stale and found[1] - time.time() > REFRESH_MARGIN_SECONDS:
                return found[0]
            token, expires_in = fetch()
            self._redis.hset(self._key, mapping={"token": token, "expires_at": time.time() + expires_in})
            return token


def _epoch(naive_utc) -> float:
    return naive_utc.replace(tzinfo=UTC).timestamp()


class WeChatApi(WeChatClient):
    """wechatpy's client, but every call (the token fetch too) goes to the configured base URL, and the
    access token comes from the shared store: fetched once for the deployment, never one per worker."""

    def __init__(self, app_id: str, secret: str, base_url: str, store: TokenStore, timeout: float = 10.0):
        super().__init__(app_id, secret, timeout=timeout, auto_retry=False)
        self.API_BASE_URL = base_url.rstrip("/") + "/"
        self.store = store
        self._used: str | None = None

    @property
    def access_token(self) -> str:
        found = self.store.current()
        if found and found[1] - time.time() > REFRESH_MARGIN_SECONDS:
            token = found[0]
        else:
            token = self.store.refresh(found[0] if found else None, self._fetch)
        self._used = token
        return token

    def fetch_access_token(self):
        token = self.store.refresh(self._used, self._fetch)
        self._used = token
        return {"access_token": token}

    def _fetch(self) -> tuple[str, int]:
        log.info("fetching a new WeChat access token for %s", self.appid)
        result = self._fetch_access_token(url=self.API_BASE_URL + "token", params={
            "grant_type": "client_credential", "appid": self.appid, "secret": self.secret})
        return result["access_token"], int(result.get("expires_in", 7200))

    def _request(self, method, url_or_endpoint, **kwargs):
        """Make the call; on an invalid-token answer refresh once (shared) and try once more."""
        retried = kwargs.pop("_retried", False)
        try:
            return super()._request(method, url_or_endpoint, **kwargs)
        except WeChatClientException as exc:
            if retried or exc.errcode not in INVALID_TOKEN_CODES:
                raise
            log.info("WeChat said the access token is invalid (%s); refreshing once", exc.errcode)
            self.fetch_access_token()
            params = dict(kwargs.get("params") or {})
            params.pop("access_token", None)
            return self._request(method, url_or_endpoint, **{**kwargs, "params": params, "_retried": True})


def make_api(settings: Settings, sessions: sessionmaker[Session]) -> WeChatApi:
    wechat = settings.wechat
    if settings.queue.backend == "redis" and settings.queue.redis_url:
        store: TokenStore = RedisTokenStore(settings.queue.redis_url, wechat.app_id)
    else:
        store = DatabaseTokenStore(sessions, wechat.app_id)
    return WeChatApi(wechat.app_id, wechat.app_secret, wechat.api_base_url, store)
