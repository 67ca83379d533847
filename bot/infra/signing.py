"""The deployment's secret key and the signed, expiring links residents open without logging in."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

from bot.config import Settings


def secret_key(settings: Settings) -> str:
    """server.secret_key, or one generated once into var/secret_key (set it explicitly on several machines)."""
    if settings.server.secret_key:
        return settings.server.secret_key
    path = Path(settings.var_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another worker wrote it first
        else:
            with os.fdopen(descriptor, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


class LinkSigner:
    def __init__(self, key: str, max_age_seconds: int):
        self._serializer = URLSafeTimedSerializer(key, salt="civicbot-resident-link")
        self.max_age = max_age_seconds

    def sign(self, kind: str, value: int) -> str:
        return self._serializer.dumps([kind, value])

    def check(self, token: str, kind: str) -> int | None:
        """The value the token carries, or None when it is forged, expired or of another kind."""
        try:
            found_kind, value = self._serializer.loads(token, max_age=self.max_age)
        except (BadSignature, ValueError, TypeError):
            return None
        return value if found_kind == kind else None
