"""Typed settings: defaults here, then config.toml, then CIVICBOT_<SECTION>_<KEY> variables, checked as they load."""
from __future__ import annotations

import logging
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

ENV_PREFIX = "CIVICBOT_"
# Settings that no longer do anything: dropped with a warning, so an older config.toml still loads.
RETIRED = {("conversation", "duplicate_wait_seconds")}
log = logging.getLogger(__name__)


class ConfigError(Exception):
    """The configuration is missing, unreadable or inconsistent."""


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ServerSettings(Section):
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(2, ge=1)                  # gunicorn worker processes
    max_body_bytes: int = 1024 * 1024              # larger webhook bodies are refused with 413
    public_url: str = "http://127.0.0.1:8000"      # how residents and staff reach this server; https: cookies Secure
    secret_key: str = ""                           # empty: generated once into var/secret_key
    # Reverse proxies in front of the server (nginx: 1) whose X-Forwarded-For/-Proto/-Host are believed; 0: none,
    # the peer's own address is the client's. More than there are lets a client forge its address.
    trusted_proxies: int = Field(0, ge=0, le=5)
    # Image hosts a page may load from besides this server (data: and blob: are always allowed), e.g. a map's tiles.
    img_sources: tuple[str, ...] = ()


class WeChatSettings(Section):
    token: str = Field("civicbot-dev-token", min_length=1)
    mode: Literal["plain", "compat", "safe"] = "plain"
    app_id: str = ""
    app_secret: str = ""
    encoding_aes_key: str = ""
    webhook_path: str = "/wechat"
    api_base_url: str = "https://api.weixin.qq.com/cgi-bin/"

    @model_validator(mode="after")
    def _safe_mode_needs_its_key(self) -> WeChatSettings:
        if self.mode != "plain":
            if len(self.encoding_aes_key) != 43:
                raise ValueError("wechat.encoding_aes_key must be the 43 characters WeChat shows")
            if not self.app_id:
                raise ValueError("wechat.app_id is required in compat and safe mode")
        return self


class DatabaseSettings(Section):
    url: str = "sqlite:///var/civicbot.db"
    busy_timeout_ms: int = Field(10000, ge=0)      # SQLite's busy timeout, PostgreSQL's lock_timeout


class QueueSettings(Section):
    backend: Literal["sqlite", "redis", "immediate"] = "sqlite"
    path: Path = Path("var/jobs.db")
    redis_url: str = ""
    workers: int = Field(2, ge=1)


class ConversationSettings(Section):
    draft_timeout_minutes: int = Field(30, ge=1)   # an unsent report is dropped after this much silence
    recent_tickets: int = Field(5, ge=1)           # how many tickets 我的 lists
    late_addition_minutes: int = Field(10, ge=0)   # a photo or words this soon after 提交 may join that ticket (0: off)


class MediaSettings(Section):
    root: Path = Path("var/media")
    max_bytes: int = 10 * 1024 * 1024              # WeChat allows 10 MB images
    max_pixels: int = 40_000_000                   # larger images are refused as possible decompression bombs
    fetch_attempts: int = Field(6, ge=1)           # then the photo is marked failed and the resident told
    retry_base_seconds: float = 10                 # 10, 20, 40, 80, 160 s between attempts
    link_hours: int = 72                           # how long a resident's photo link works
    # The media sweep removes files no photo references once they are this old (an upload in flight is younger).
    orphan_grace_hours: float = Field(24, gt=0)


class OcrSettings(Section):
    enabled: bool = True                           # read text in residents' photos (needs the `ocr` extra)
    threads: int = Field(1, ge=1)                  # onnxruntime threads per photo; × queue.workers ≤ the cores
    # The categories whose photos' phone numbers go into the number registry (违法小广告).
    number_categories: tuple[str, ...] = ("illegal_ads",)


class DeadlineSettings(Section):
    warn_hours: float = 4                          # tickets due within this long are flagged "due soon"
    check_minutes: int = Field(5, ge=1, le=59)     # how often the job worker checks deadlines


class WorkflowSettings(Section):
    return_window_hours: float = Field(24, gt=0)   # a department's 回退 within this long, accepted by HQ, is no fault
    verify_needs_photo: bool = False               # HQ's 核查 must carry an on-site photo
    # An after-photo whose EXIF GPS lies farther than this from the report's place is flagged for HQ's 核查.
    evidence_max_metres: float = Field(200, gt=0)


class NotificationSettings(Section):
    template_id: str = ""                          # a template message for residents outside the 48 h window
    staff_template_id: str = ""                    # the same for staff bound in WeChat (empty: wait for their message)


class StaffChatSettings(Section):
    """Staff in WeChat: binding an account with a one-time code, and 办结 by chat."""

    bind_code_minutes: int = Field(10, ge=1, le=60)       # how long a 绑定 code shown in the portal works
    bind_failures_per_hour: int = Field(5, ge=1)          # wrong codes one WeChat may send in an hour
    resolve_photo_minutes: int = Field(30, ge=1)          # after 办结, how long the bot waits for the after-photo


class WeComSettings(Section):
    """The 企业微信 application that messages department members (its secret belongs in CIVICBOT_WECOM_SECRET)."""

    corp_id: str = ""                                     # empty: no WeCom application messages
    agent_id: int = 0
    secret: str = ""
    api_base_url: str = "https://qyapi.weixin.qq.com/cgi-bin/"

    @property
    def enabled(self) -> bool:
        return bool(self.corp_id and self.agent_id and self.secret)


class FeedbackSettings(Section):
    answer_hours: float = 72                       # no rating within this long: the resolution counts as verified


class PortalSettings(Section):
    session_hours: float = Field(8, gt=0)          # a login ends this long after it began, however busy (absolute)
    idle_minutes: int = Field(30, ge=1)            # ... or after this long without a request (idle)
    # Where portal sessions and login delays live, shared by every web worker: the database, or Redis.
    session_store: Literal["database", "redis"] = "database"
    redis_url: str = ""                            # for session_store = "redis"; empty: queue.redis_url
    demo_accounts: bool = False
    photos_per_step: int = Field(3, ge=1)          # photos one step may carry, each up to media.max_bytes
    nearby_metres: float = Field(300, gt=0)        # the ticket page lists other tickets within this distance…
    nearby_days: int = Field(30, ge=0)             # …that are open, or were received within this many days

    @model_validator(mode="after")
    def _idle_within_lifetime(self) -> PortalSettings:
        if self.idle_minutes > self.session_hours * 60:
            raise ValueError("portal.idle_minutes cannot be longer than portal.session_hours")
        return self


class MapSettings(Section):
    """The portal's map. With no tile_url the map draws the town boundaries and tickets on a plain background."""

    # An XYZ tile template for Leaflet, e.g. 天地图's WMTS with a key (README: the map); empty: no tiles.
    tile_url: str = ""
    tile_attribution: str = ""                     # shown in the map's corner, as the provider's terms ask
    tile_subdomains: str = "abc"                   # the {s} in tile_url (天地图: "01234567")
    tile_max_zoom: int = Field(18, ge=1, le=22)
    # The datum the tiles are drawn in. Stored points are GCJ-02 (as WeChat sends them); with wgs84 tiles (天地图,
    # OpenStreetMap) the map shifts points and boundaries to WGS-84, or they sit a few hundred metres off.
    tile_datum: Literal["gcj02", "wgs84"] = "gcj02"
    max_points: int = Field(20_000, ge=1)          # the newest this many filtered tickets are drawn


class ClassifierSettings(Section):
    model: Path = Path("var/classifier.npz")
    ask_below: float = Field(0.5, ge=0, le=1)      # below this confidence the resident picks from a menu
    # A clause is a problem of its own (several problems in one message) only from this confidence up.
    split_above: float = Field(0.8, ge=0, le=1)
    corpus: Path = Path("data/corpus/messages.tsv")
    external: Path = Path("data/external/messages.tsv")


class DataSettings(Section):
    departments: Path = Path("data/departments.toml")
    towns: Path = Path("data/towns.toml")
    town_polygons: Path = Path("data/towns.geojson")
    gazetteer: Path = Path("data/gazetteer.csv")
    categories: Path = Path("data/categories.toml")
    calendar: Path = Path("data/calendar.toml")
    moderation: Path = Path("data/moderation.toml")
    knowledge: Path = Path("data/knowledge.toml")   # emergencies and residents' questions, with the answers


class LimitSettings(Section):
    reports_per_hour: int = Field(10, ge=1)


class DuplicateSettings(Section):
    radius_m: float = 100
    window_hours: float = 72
    photo_distance: int = 6


class LoggingSettings(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class MetricsSettings(Section):
    token: str = ""                                # empty: /metrics answers loopback only


class Settings(Section):
    """Every setting, with file paths resolved against the config file's folder (`root`)."""

    root: Path
    server: ServerSettings = ServerSettings()
    wechat: WeChatSettings = WeChatSettings()
    database: DatabaseSettings = DatabaseSettings()
    queue: QueueSettings = QueueSettings()
    conversation: ConversationSettings = ConversationSettings()
    media: MediaSettings = MediaSettings()
    ocr: OcrSettings = OcrSettings()
    deadlines: DeadlineSettings = DeadlineSettings()
    workflow: WorkflowSettings = WorkflowSettings()
    notifications: NotificationSettings = NotificationSettings()
    staff_chat: StaffChatSettings = StaffChatSettings()
    wecom: WeComSettings = WeComSettings()
    feedback: FeedbackSettings = FeedbackSettings()
    portal: PortalSettings = PortalSettings()
    map: MapSettings = MapSettings()
    classifier: ClassifierSettings = ClassifierSettings()
    data: DataSettings = DataSettings()
    limits: LimitSettings = LimitSettings()
    duplicates: DuplicateSettings = DuplicateSettings()
    logging: LoggingSettings = LoggingSettings()
    metrics: MetricsSettings = MetricsSettings()

    @property
    def var_dir(self) -> Path:
        return self.root / "var"


SECTIONS = {name: info.annotation for name, info in Settings.model_fields.items()
            if isinstance(info.annotation, type) and issubclass(info.annotation, Section)}  # all but root


def config_path() -> Path:
    """Return the config file in use: $CIVICBOT_CONFIG, else ./config.toml."""
    return Path(os.environ.get("CIVICBOT_CONFIG", "config.toml")).resolve()


def load_config(path: Path | str | None = None, overrides: dict[str, dict[str, Any]] | None = None,
                environ: dict[str, str] | None = None) -> Settings:
    """Read the TOML file, then CIVICBOT_* variables, then explicit overrides, over the defaults above."""
    path = Path(path).resolve() if path else config_path()
    raw: dict[str, Any] = {}
    if path.exists():
        with path.open("rb") as fh:
            try:
                raw = tomllib.load(fh)
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{path}: {exc}") from exc
    elif "CIVICBOT_CONFIG" in os.environ:
        raise ConfigError(f"config file {path} does not exist")
    for section, key in RETIRED:
        if key in raw.get(section, {}):
            log.warning("setting %s.%s no longer does anything; remove it from %s", section, key, path)
            del raw[section][key]
    from_environment = _environment(os.environ if environ is None else environ)
    for section, values in [*from_environment.items(), *(overrides or {}).items()]:
        raw.setdefault(section, {}).update(values)
    raw["root"] = path.parent
    return _validated(raw, from_environment)


def _environment(environ: dict[str, str] | os._Environ[str]) -> dict[str, dict[str, str]]:
    """CIVICBOT_SECTION_KEY → {section: {key: text}}; pydantic converts the text to the setting's type."""
    found: dict[str, dict[str, str]] = {}
    for section, model in SECTIONS.items():
        for key in model.model_fields:
            name = f"{ENV_PREFIX}{section}_{key}".upper()
            if name in environ:
                found.setdefault(section, {})[key] = environ[name]
    return found


def _validated(raw: dict[str, Any], from_environment: dict[str, dict[str, str]]) -> Settings:
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"])
            section, key = (list(error["loc"]) + ["", ""])[:2]
            variable = f"{ENV_PREFIX}{section}_{key}".upper()
            source = f" (from {variable})" if key in from_environment.get(str(section), {}) else ""
            problems.append(f"{where}{source}: {error['msg']}")
        raise ConfigError("; ".join(problems)) from exc
    return _resolved(settings)


def _resolved(settings: Settings) -> Settings:
    """Make file paths and SQLite URLs absolute, relative to the config file's folder."""
    root = settings.root

    def absolute(section: BaseModel) -> dict[str, Any]:
        return {key: (root / value).resolve() for key, value in section if isinstance(value, Path)}

    url = settings.database.url
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        url = prefix + str((root / url[len(prefix):]).resolve())
    return settings.model_copy(update={
        "data": settings.data.model_copy(update=absolute(settings.data)),
        "classifier": settings.classifier.model_copy(update=absolute(settings.classifier)),
        "queue": settings.queue.model_copy(update=absolute(settings.queue)),
        "media": settings.media.model_copy(update=absolute(settings.media)),
        "database": settings.database.model_copy(update={"url": url}),
    })
