"""Login attempts slowed down instead of locked out: progressive delays per client address and per account, counted
in the shared store so that every web worker agrees.

- An address gets ADDRESS_FREE wrong passwords an hour, then waits 1, 2, 4 … seconds (at most ADDRESS_MAX) between
  tries: one guesser is slowed down, whichever accounts it tries.
- An account gets ACCOUNT_FREE wrong passwords, then every address waits before each try on it, at most ACCOUNT_MAX,
  counted from that address's own first or last try (the pair's wait). Guessers on other addresses cannot take the
  owner's turn, so the owner on a clean address logs in after at most ACCOUNT_MAX: a delay, never a lockout.
- What counts is the username as typed, whether or not such an account exists: the answer and the time it takes are
  the same for an unknown name as for a wrong password.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.infra.shared_state import SharedStore, Value

ADDRESS_FREE, ADDRESS_MAX = 10, timedelta(minutes=15)
ACCOUNT_FREE, ACCOUNT_MAX = 5, timedelta(seconds=60)
FORGET = timedelta(hours=1)   # failures are forgotten after an hour without one


@dataclass(frozen=True)
class Turn:
    """Whether this try may check the password now; if not, how many seconds to wait."""

    wait_seconds: int = 0

    @property
    def allowed(self) -> bool:
        return self.wait_seconds == 0


def delay(failures: int, free: int, longest: timedelta) -> timedelta:
    """No wait for the first `free` failures, then 1 s doubling with each failure, up to `longest`."""
    if failures <= free:
        return timedelta(0)
    return min(longest, timedelta(seconds=2 ** min(failures - free - 1, 30)))


def _account(username: str) -> str:
    return hashlib.sha256(username.strip().lower().encode("utf-8", "surrogateescape")).hexdigest()[:32]


def _keys(username: str, address: str) -> tuple[str, str, str]:
    account = _account(username)
    return f"login:address:{address}", f"login:account:{account}", f"login:pair:{account}:{address}"


def _seconds(wait: timedelta) -> int:
    return max(1, math.ceil(wait.total_seconds()))


def _at(value: Value | None, name: str) -> datetime | None:
    return datetime.fromisoformat(value[name]) if value and name in value else None


def check_login_turn(username: str, address: str, now: datetime, *, store: SharedStore) -> Turn:
    """Take this try's turn, counting it as a failure until record_login_success says otherwise; or say how long
    to wait. Each count is one atomic update, so simultaneous tries are counted one after another."""
    address_key, account_key, pair_key = _keys(username, address)
    ready = _at(store.get(address_key, now), "not_before")
    if ready and ready > now:
        return Turn(_seconds(ready - now))
    account = store.get(account_key, now)
    failures = int(account["failures"]) if account else 0
    if failures > ACCOUNT_FREE:
        wait = store.update(pair_key, lambda pair: _pair_turn(pair, failures, now), now)
        if wait:
            return Turn(wait)
    wait = store.update(address_key, lambda found: _count_failure(found, now, ADDRESS_FREE, ADDRESS_MAX), now)
    if wait:
        return Turn(wait)
    store.update(account_key, lambda found: _count_failure(found, now, ACCOUNT_FREE, ACCOUNT_MAX), now)
    return Turn()


def _pair_turn(pair: Value | None, failures: int, now: datetime) -> tuple[Value, datetime, int]:
    """The wait of this address on this account: a first try waits the account's delay, later ones their own."""
    ready = _at(pair, "not_before")
    if ready is None or ready > now:
        ready = ready or now + delay(failures, ACCOUNT_FREE, ACCOUNT_MAX)
        return {"not_before": ready.isoformat()}, ready + FORGET, _seconds(ready - now)
    ready = now + delay(failures + 1, ACCOUNT_FREE, ACCOUNT_MAX)   # this try, if it fails, sets the next wait
    return {"not_before": ready.isoformat()}, ready + FORGET, 0


def _count_failure(found: Value | None, now: datetime, free: int,
                   longest: timedelta) -> tuple[Value, datetime, int]:
    ready = _at(found, "not_before")
    if ready and ready > now:   # another worker took the turn meanwhile
        return dict(found or {}), ready + FORGET, _seconds(ready - now)
    failures = (int(found["failures"]) if found else 0) + 1
    ready = now + delay(failures, free, longest)
    return {"failures": failures, "not_before": ready.isoformat()}, ready + FORGET, 0


def record_login_success(username: str, address: str, now: datetime, *, store: SharedStore) -> None:
    """The password was right: the account's count starts again, and the address's try is not held against it
    (its wait stays, so a guesser cannot clear its own delay by logging in to an account of its own)."""
    address_key, account_key, pair_key = _keys(username, address)
    store.delete(account_key)
    store.delete(pair_key)
    store.update(address_key, lambda found: _refund(found, now), now)


def record_password_step(username: str, address: str, now: datetime, *, store: SharedStore) -> None:
    """The password was right and a TOTP code comes next: the address's try is refunded (an office logging in is
    not slowed down), but the account's count stays until the code is right, so whoever holds a stolen password
    guesses codes under the account's delays too."""
    address_key, _, _ = _keys(username, address)
    store.update(address_key, lambda found: _refund(found, now), now)


def _refund(found: Value | None, now: datetime) -> tuple[Value | None, datetime, Any]:
    if not found:
        return None, now, None
    kept = {**found, "failures": max(0, int(found["failures"]) - 1)}
    ready = _at(found, "not_before") or now
    return kept, max(ready, now) + FORGET, None


def clear_login_delays(username: str, *, store: SharedStore) -> None:
    """Forget an account's failures (an administrator vouches for its owner); addresses keep theirs."""
    store.delete(f"login:account:{_account(username)}")
