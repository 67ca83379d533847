"""Load settings from config.toml, with CIVICBOT_* environment variables overriding them."""
from __future__ import annotations

import copy
import os
import tomllib
from pathlib import Path
from typing import Any

# Defaults every deployment starts from; config.toml only needs what differs.
DEFAULTS: dict[str, dict[str, Any]] = {
    "server": {"host": "127.0.0.1", "port": 8000, "workers": 2, "max_body_bytes": 1024 * 1024,
               "public_url": "http://127.0.0.1:8000", "secret_key": ""},
    "wechat": {
        "token": "civicbot-dev-token",
        "mode": "plain",  # plain | compat | safe
        "app_id": "",
        "app_secret": "",
        "encoding_aes_key": "",
        "webhook_path": "/wechat",
        "api_base_url": "https://api.weixin.qq.com/cgi-bin/",
    },
    "database": {"url": "sqlite:///var/civicbot.db", "busy_timeout_ms": 10000},
    "queue": {"backend": "sqlite", "path": "var/jobs.db", "redis_url": "", "workers": 2},
    "conversation": {
        "draft_timeout_minutes": 30,
        "duplicate_wait_seconds": 4.0,
        "recent_tickets": 5,
    },
    "media": {
        "root": "var/media",
        "max_bytes": 10 * 1024 * 1024,   # WeChat allows 10 MB images
        "max_pixels": 40_000_000,        # larger images are refused as possible decompression bombs
        "fetch_attempts": 6,             # then the photo is marked failed and the resident told
        "retry_base_seconds": 10,        # 10, 20, 40, 80, 160 s between attempts
        "link_hours": 72,                # how long a resident's photo link works
    },
    "deadlines": {"warn_hours": 4, "check_minutes": 5},
    "notifications": {"template_id": ""},
    "feedback": {"answer_hours": 72},  # no rating within this long: the resolution counts as verified  # a template message for residents outside the 48 h window
    "portal": {"session_hours": 8, "demo_accounts": False},
    "classifier": {
        "model": "var/classifier.npz",
        "ask_below": 0.5,  # below this confidence the resident picks the category from a short menu
        "corpus": "data/corpus/messages.tsv",
        "external": "data/external/messages.tsv",
    },
    "data": {
        "departments": "data/departments.toml",
        "towns": "data/towns.toml",
        "town_polygons": "data/towns.geojson",
        "gazetteer": "data/gazetteer.csv",
        "categories": "data/categories.toml",
        "calendar": "data/calendar.toml",
        "moderation": "data/moderation.toml",
    },
    "limits": {"reports_per_hour": 10},
    "duplicates": {"radius_m": 100, "window_hours": 72, "photo_distance": 6},
    "logging": {"level": "INFO"},
    "metrics": {"token": ""},  # empty: /metrics answers loopback only
}

ENV_PREFIX = "CIVICBOT_"


class ConfigError(Exception):
    """The configuration is missing, unreadable or inconsistent."""


def config_path() -> Path:
    """Return the config file in use: $CIVICBOT_CONFIG, else ./config.toml."""
    return Path(os.environ.get("CIVICBOT_CONFIG", "config.toml")).resolve()


def load_config(path: Path | str | None = None, overrides: dict | None = None,
                environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Merge defaults, the TOML file, CIVICBOT_* variables and explicit overrides."""
    path = Path(path).resolve() if path else config_path()
    settings = copy.deepcopy(DEFAULTS)
    if path.exists():
        with path.open("rb") as fh:
            try:
                _merge(settings, tomllib.load(fh))
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{path}: {exc}") from exc
    elif "CIVICBOT_CONFIG" in os.environ:
        raise ConfigError(f"config file {path} does not exist")
    _apply_environment(settings, os.environ if environ is None else environ)
    if overrides:
        _merge(settings, overrides)
    settings["root"] = str(path.parent)
    _resolve_paths(settings)
    _check(settings)
    return settings


def _merge(into: dict, extra: dict) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def _apply_environment(settings: dict, environ) -> None:
    """Override [section] key from CIVICBOT_SECTION_KEY, converted to the setting's type."""
    for section, values in settings.items():
        if not isinstance(values, dict):
            continue
        for key, current in list(values.items()):
            name = f"{ENV_PREFIX}{section}_{key}".upper()
            if name in environ:
                values[key] = _coerce(environ[name], current, name)


def _coerce(raw: str, current: Any, name: str) -> Any:
    try:
        if isinstance(current, bool):
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        if isinstance(current, int):
            return int(raw)
        if isinstance(current, float):
            return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not a {type(current).__name__}") from exc
    return raw


def _resolve_paths(settings: dict) -> None:
    """Make file paths and SQLite URLs relative to the config file's folder."""
    root = Path(settings["root"])
    for key, value in settings["data"].items():
        settings["data"][key] = str((root / value).resolve())
    settings["queue"]["path"] = str((root / settings["queue"]["path"]).resolve())
    settings["media"]["root"] = str((root / settings["media"]["root"]).resolve())
    for key in ("model", "corpus", "external"):
        settings["classifier"][key] = str((root / settings["classifier"][key]).resolve())
    url = settings["database"]["url"]
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        settings["database"]["url"] = prefix + str((root / url[len(prefix):]).resolve())
    settings["var_dir"] = str((root / "var").resolve())


def _check(settings: dict) -> None:
    wechat = settings["wechat"]
    if wechat["mode"] not in {"plain", "compat", "safe"}:
        raise ConfigError("wechat.mode must be plain, compat or safe")
    if wechat["mode"] != "plain":
        if len(wechat["encoding_aes_key"]) != 43:
            raise ConfigError("wechat.encoding_aes_key must be the 43 characters WeChat shows")
        if not wechat["app_id"]:
            raise ConfigError("wechat.app_id is required in compat and safe mode")
    if not wechat["token"]:
        raise ConfigError("wechat.token must not be empty")
    if settings["queue"]["backend"] not in {"sqlite", "redis", "immediate"}:
        raise ConfigError("queue.backend must be sqlite, redis or immediate")
