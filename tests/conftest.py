"""Shared fixtures: a migrated database per test (SQLite, or PostgreSQL), the app, residents that talk like WeChat."""
from __future__ import annotations

import itertools
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from bot.app import create_app
from bot.catalogue.loading import do_load_catalogue, read_catalogue
from bot.config import load_config
from bot.infra.db import make_engine, make_sessionmaker, migrate, transaction
from bot.simulator.chat import ChatSimulator
from models import Base
from tests.support import (
    BUILT,
    PORTAL_DATABASES,
    ROOT,
    add_staff,
    civicbot,
    classifier_for_tests,
    data_section,
    enrol_totp,
    fake_api,
    logged_in,
    report,
    sessions_of,
    ticket_number,
)

# The vector wechatpy's own tests use for safe mode.
AES_TOKEN = "123456"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
APP_ID = "wx49f0ab532d5d035a"

# Places whose town the shipped polygons must settle (GCJ-02, as WeChat sends them).
HUATA_VILLAGE = (37.7050, 112.4310)   # 花塔村, 晋祠镇


# `make test-scale` sets these (tests/scale/services.sh): the whole suite then runs on PostgreSQL, and the
# real servers it starts keep their jobs, access token and rate limits in Redis. Unset: SQLite files.
POSTGRES_URL = os.environ.get("CIVICBOT_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("CIVICBOT_TEST_REDIS_URL", "")
ON_POSTGRES = POSTGRES_URL.startswith("postgresql")


def pytest_sessionstart(session):
    """Build the test classifier before the first test, outside pytest-timeout's per-test limit."""
    classifier_for_tests()


@pytest.fixture(scope="session", autouse=True)
def classifier_read_once():
    """Every app a test creates reads the model file (a tenth of a second or more): here a model file is read once per
    run, and each load gets a copy of that classifier with its own metadata (the weights and the feature index,
    which nothing changes, are shared). A file written again (a test's own training) is read again: the key holds
    its size and time."""
    import copy

    from bot.understanding.classifier import ModelClassifier
    load, loaded = ModelClassifier.load, {}

    def load_once(path):
        stat = os.stat(path)
        key = (str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)
        if key not in loaded:
            loaded[key] = load(path)
        classifier = copy.copy(loaded[key])
        classifier.metadata = copy.deepcopy(classifier.metadata)
        return classifier

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ModelClassifier, "load", staticmethod(load_once))
        yield


def pytest_report_header(config):
    if not BUILT:
        return "test classifier: none (no corpus): the bot runs without a trained model"
    how = "cached" if BUILT["seconds"] is None else f"built in {BUILT['seconds']:.1f} s"
    return f"test classifier: {BUILT['path'].relative_to(ROOT)} ({BUILT['examples']} examples, {how})"


def database_url(database: str | Path) -> str:
    """The URL of a test database: a SQLite file given by its path, or a URL as it is."""
    return database if isinstance(database, str) else f"sqlite:///{database}"


def make_settings(tmp_path: Path, own_database: str | Path, **overrides) -> dict:
    """Settings for a test: the repo's data files, a database of its own, jobs run at once."""
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    model = classifier_for_tests()
    base = {"database": {"url": database_url(own_database)},
            "classifier": {"model": str(model) if model else str(tmp_path / "no-model.npz")},
            "queue": {"backend": "immediate"},
            # Reading a photo's text costs up to a second a photo on 2 cores; the tests of what OCR does turn it
            # on (reading_settings), the rest of the suite does not wait for it.
            "ocr": {"enabled": False},
            # Never the real WeChat: a closed loopback port unless a test starts the fake API.
            "wechat": {"api_base_url": "http://127.0.0.1:9/cgi-bin/"},
            "data": {key: str(ROOT / "data" / Path(value).name)
                     for key, value in dict(load_config(ROOT / "config.example.toml", environ={}).data).items()}}
    for section, values in overrides.items():
        base.setdefault(section, {}).update(values)
    return load_config(config, overrides=base, environ={})


class PostgresDatabases:
    """Test databases on the server CIVICBOT_TEST_DATABASE_URL names: its database becomes the migrated template,
    and each test gets a database of its own made from it (CREATE DATABASE … TEMPLATE …, a file copy)."""

    def __init__(self, url: str):
        self.url = make_url(url)
        self.template = self.url.database
        # CREATE and DROP DATABASE cannot run in a transaction, nor connected to the database they name.
        self._admin = create_engine(self.url.set(database="postgres"), isolation_level="AUTOCOMMIT",
                                    poolclass=NullPool)
        self._names = (f"{self.template}_{os.getpid()}_{n}" for n in itertools.count(1))

    def url_of(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def create(self, name: str, template: str | None = None) -> str:
        self.drop(name)
        with self._admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url_of(name)

    def copy_of_template(self) -> str:
        return self.create(next(self._names), template=self.template)

    def drop(self, name: str) -> None:
        # FORCE: connections an app left in its pool (or a killed server left behind) must not keep it alive.
        with self._admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


POSTGRES = PostgresDatabases(POSTGRES_URL) if ON_POSTGRES else None


def copy_database(template: str, folder: Path) -> str:
    """A database of one's own with the template's content: its URL."""
    if POSTGRES:
        return POSTGRES.copy_of_template()
    copy = folder / "civicbot.db"
    shutil.copy(make_url(template).database, copy)
    return database_url(copy)


def drop_database(url: str) -> None:
    """Remove a database copy_database made (SQLite files go with the test's folder)."""
    if url.startswith("postgresql"):
        POSTGRES.drop(make_url(url).database)


def take_database_away(url: str) -> None:
    """Make the database impossible to open, as when its server or disk is gone."""
    if url.startswith("postgresql"):
        POSTGRES.drop(make_url(url).database)
        return
    path = Path(make_url(url).database)
    path.unlink()
    path.mkdir()  # the path now is a folder: SQLite cannot open it


class DatabaseLock:
    """Another connection holding the whole database until released: SQLite's BEGIN EXCLUSIVE, or on PostgreSQL
    an ACCESS EXCLUSIVE lock on every table (nobody may read or write them). With only_writers, readers may
    still read, as they may on SQLite in WAL mode: PostgreSQL's EXCLUSIVE mode."""

    def __init__(self, url: str, only_writers: bool = False):
        if url.startswith("sqlite"):
            self._connection = sqlite3.connect(make_url(url).database, isolation_level=None, check_same_thread=False)
            self._connection.execute("BEGIN EXCLUSIVE")
            return
        self._engine = create_engine(url, poolclass=NullPool)
        self._connection = self._engine.connect()
        tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
        mode = "EXCLUSIVE" if only_writers else "ACCESS EXCLUSIVE"
        self._connection.execute(text(f"LOCK TABLE {tables} IN {mode} MODE"))

    def release(self) -> None:
        self._connection.rollback()

    def close(self) -> None:
        self._connection.close()


_redis_databases = itertools.count(1)


def fresh_redis_url() -> str:
    """An empty Redis database for one test (services.sh gives the server 256; 0 is the benchmark's)."""
    from redis import Redis
    url = f"{REDIS_URL.rstrip('/')}/{next(_redis_databases) % 255 + 1}"
    with Redis.from_url(url) as client:
        client.flushdb()
    return url


def job_queue(folder: Path) -> dict:
    """A real job queue for a test that looks at what is queued: on Redis when the suite runs on it, else SQLite."""
    if REDIS_URL:
        return {"backend": "redis", "redis_url": fresh_redis_url()}
    return {"backend": "sqlite", "path": str(folder / "jobs.db")}


def queue_section(settings: dict) -> str:
    """The [queue] table of a config file for the same queue as these settings."""
    queue = settings.queue
    return f'[queue]\nbackend = "{queue.backend}"\npath = "{queue.path}"\nredis_url = "{queue.redis_url}"\n'


@pytest.fixture(scope="session")
def template_database(tmp_path_factory) -> str:
    """Migrate and load the catalogue once; each test gets a copy of this database."""
    folder = tmp_path_factory.mktemp("template")
    url = POSTGRES.create(POSTGRES.template) if POSTGRES else database_url(folder / "template.db")
    settings = make_settings(folder, url)
    migrate(settings)
    engine = make_engine(settings)
    with transaction(make_sessionmaker(engine)) as session:
        do_load_catalogue(read_catalogue(settings), session=session)
    # SQLite: the last connection closing checkpoints the WAL into the file we copy; PostgreSQL copies a
    # template only when nobody is connected to it.
    engine.dispose()
    return url


@pytest.fixture
def database(tmp_path, template_database) -> str:
    """This test's own database, a copy of the template: its URL."""
    url = copy_database(template_database, tmp_path)
    yield url
    drop_database(url)


@pytest.fixture
def settings(tmp_path, database) -> dict:
    return make_settings(tmp_path, database)


@pytest.fixture
def fake_wechat():
    from bot.simulator.fake_wechat_api import FakeWeChat
    server = FakeWeChat()
    yield server
    server.close()


@pytest.fixture
def wechat_settings(tmp_path, database, fake_wechat) -> dict:
    """Settings whose WeChat API is the fake server on loopback."""
    return make_settings(tmp_path, database, wechat=fake_api(fake_wechat))


@pytest.fixture
def reading_settings(tmp_path, database, fake_wechat) -> dict:
    """The fake WeChat API, and photos' text read by OCR as in production."""
    return make_settings(tmp_path, database, wechat=fake_api(fake_wechat), ocr={"enabled": True})


@pytest.fixture
def app(settings):
    return create_app(settings)


@pytest.fixture
def sessions(app):
    return app.extensions["civicbot"].sessions


class Resident(ChatSimulator):
    """A resident's phone, talking to the app through the real webhook with signed XML."""

    def __init__(self, app, openid: str, *, aes: bool = False):
        self.client = app.test_client()
        self.last_status = None
        wechat = app.extensions["civicbot"].settings.wechat
        super().__init__(wechat.webhook_path, wechat, openid=openid, aes=aes, transport=self._through_app)

    def _through_app(self, url: str, params: dict, body: bytes) -> tuple[int, str]:
        response = self.client.post(url, query_string=params, data=body, content_type="text/xml")
        self.last_status = response.status_code
        return response.status_code, response.get_data(as_text=True)

    def says(self, text: str) -> str:
        return self.text(text)


@pytest.fixture
def resident(app):
    return Resident(app, "o-resident-wang")


@pytest.fixture
def another_resident(app):
    return Resident(app, "o-resident-li")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RunningBot:
    """`civicbot serve` as `make run` starts it: gunicorn workers plus the job worker, on loopback."""

    def __init__(self, folder: Path, database: str | Path, workers: int = 2, server_keys: str = ""):
        self.database = database
        self.port = free_port()
        self.api_port = free_port()
        self.config = folder / "config.toml"
        self.jobs = folder / "jobs.db"
        self.media = folder / "media"
        self.redis_url = fresh_redis_url() if REDIS_URL else ""
        queue = (f'[queue]\nbackend = "redis"\nredis_url = "{self.redis_url}"\n' if REDIS_URL
                 else f'[queue]\npath = "{self.jobs}"\n')
        self.config.write_text(
            f'[server]\nport = {self.port}\nworkers = {workers}\n{server_keys}'
            f'[wechat]\napi_base_url = "http://127.0.0.1:{self.api_port}/cgi-bin/"\n'
            f'[media]\nroot = "{self.media}"\n'
            f'[classifier]\nmodel = "{classifier_for_tests() or folder / "no-model.npz"}"\n'
            f'[database]\nurl = "{database_url(database)}"\n'
            + queue + data_section(),
            encoding="utf-8")
        self.url = f"http://127.0.0.1:{self.port}/wechat"
        self.log = (folder / "serve.log").open("wb")
        # Its own process group, so a test can kill the server with all its workers at once.
        self.process = subprocess.Popen([sys.executable, "-m", "bot", "--config", str(self.config), "serve"],
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=5).ok:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("civicbot serve did not start: " + Path(self.log.name).read_text(errors="replace"))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.log.close()

    def kill(self) -> None:
        """SIGKILL the server, its gunicorn workers and its job worker: no chance to clean up."""
        import os
        import signal
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def restart(self) -> None:
        self.log = open(self.log.name, "ab")  # noqa: SIM115  (held open while the server runs; stop() closes it)
        self.process = subprocess.Popen([sys.executable, "-m", "bot", "--config", str(self.config), "serve"],
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_until_up()


@pytest.fixture
def running_bot(tmp_path, database):
    """A `civicbot serve` of this test's own on its `database`: for a test that kills or restarts it."""
    bot = RunningBot(tmp_path, database)
    yield bot
    bot.stop()


class SharedBot(RunningBot):
    """One `civicbot serve` for the whole run (starting one takes seconds: gunicorn's workers and the job worker each
    load the app). reset() gives the next test what a server of its own would have: the template's database, an
    empty job queue, no photos, no shared state (portal sessions, login delays)."""

    def reset(self, template: str) -> None:
        if self.process.poll() is not None:
            log = Path(self.log.name).read_text(errors="replace")
            raise RuntimeError(f"the shared civicbot serve has stopped: {log}")
        self.__dict__.pop("fake_wechat", None)   # a test's fake WeChat API (tests/test_browser_phone.py) is closed
        # Jobs first: a photo fetch or a push still waiting from the last test would act on this test's rows.
        if REDIS_URL:
            from redis import Redis
            with Redis.from_url(self.redis_url) as client:
                client.flushdb()
        elif self.jobs.exists():
            with sqlite3.connect(self.jobs, timeout=30) as queue:
                queue.execute("DELETE FROM task")
                queue.execute("DELETE FROM schedule")
            queue.close()
        if POSTGRES:
            # FORCE ends the workers' connections; their pools ping before use (pool_pre_ping) and reconnect.
            POSTGRES.create(make_url(self.database).database, template=POSTGRES.template)
        else:
            # SQLite's backup API writes the template into the live file under the database's own locks, so the
            # workers' open connections see the new content at once (a file copy under them would corrupt it).
            _sqlite_backup(make_url(template).database, make_url(self.database).database)
        shutil.rmtree(self.media, ignore_errors=True)
        self.media.mkdir()

    def snapshot(self, name: str) -> str | None:
        """A template of the database as it is now, for reset(): its URL. None on PostgreSQL, which copies a
        database only while nobody is connected to it."""
        if POSTGRES:
            return None
        copy = Path(make_url(self.database).database).with_name(name)
        _sqlite_backup(make_url(self.database).database, str(copy))
        return database_url(copy)


def _sqlite_backup(source_path: str, target_path: str) -> None:
    source = sqlite3.connect(source_path, timeout=30)
    target = sqlite3.connect(target_path, timeout=30)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


@pytest.fixture(scope="session")
def shared_bot(tmp_path_factory, template_database):
    folder = tmp_path_factory.mktemp("served")
    database = copy_database(template_database, folder)
    bot = SharedBot(folder, database)
    yield bot
    bot.stop()
    drop_database(database)


@pytest.fixture
def served_bot(shared_bot, template_database):
    """`civicbot serve` as running_bot gives it, with a database fresh from the template, but started once for every
    test that takes it. Its database is served_bot.database (not the `database` fixture's); it cannot be killed."""
    shared_bot.reset(template_database)
    return shared_bot


# The portal's people and a ticket to work ------------------------------------------------------------------------

@pytest.fixture
def accounts(sessions):
    """Staff of 城管 (chen, boss), 水务 (liu), two town offices (zhao, he) and HQ (hq), all with PASSWORD."""
    add_staff(sessions, ("chen", "urban_mgmt", "staff"), ("boss", "urban_mgmt", "admin"),
              ("liu", "water_affairs", "admin"), ("zhao", "jinci_office", "staff"),
              ("he", "yijing_office", "staff"), ("hq", "hq", "admin"))


@pytest.fixture
def clerk(app, accounts):
    return lambda username: logged_in(app, username)


@pytest.fixture
def vending_ticket(resident) -> str:
    return ticket_number(report(resident, photo="m-1"))


# The portal in headless Chromium (tests/test_browser*.py) -------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = ROOT / "var" / "screenshots"
BROWSER_PASSWORD = "browser-test-password"


@pytest.fixture(scope="module")
def chromium():
    """Headless Chromium, started once for a test module (Playwright's driver and the browser take seconds). Only
    for the module's length: while Playwright's sync API runs, nothing else in the process may start an asyncio
    loop, nor another sync_playwright()."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield launched
        launched.close()


@pytest.fixture
def browser(chromium):
    """The module's Chromium; each page a test opens (browser.new_page, browser.new_context) has a context of its
    own — cookies, storage, cache — closed when the test ends."""
    yield chromium
    for context in chromium.contexts:
        context.close()


@pytest.fixture
def portal(served_portal):
    """`civicbot serve` with staff of 城管 (chen, boss), 水务 (liu) and HQ (hq), all with BROWSER_PASSWORD: the
    shared server, its database fresh from the staffed template for each test (a test that must stop or restart
    its server takes running_bot and with_portal_staff instead)."""
    return served_portal


@pytest.fixture
def served_portal(shared_bot, template_database):
    """portal on the shared server (served_bot), its database fresh for each test: the template with the same staff
    (added once, then kept as a template of its own where the database allows)."""
    staffed = getattr(shared_bot, "staffed_template", None)
    shared_bot.reset(staffed or template_database)
    if staffed:
        return portal_ready(shared_bot)
    with_portal_staff(shared_bot)
    shared_bot.staffed_template = shared_bot.snapshot("staffed-template.db")
    return shared_bot


def with_portal_staff(running_bot: RunningBot) -> RunningBot:
    for username, department, role in [("chen", "urban_mgmt", "staff"), ("boss", "urban_mgmt", "admin"),
                                       ("liu", "water_affairs", "admin"), ("hq", "hq", "admin")]:
        added = civicbot(running_bot.config, "staff", "add", username, "--department", department, "--role", role,
                         "--password", BROWSER_PASSWORD)
        assert added.exit_code == 0, added.stderr
    # An HQ admin must have TOTP: hq's app holds TOTP_SECRET, and log_in (tests/test_browser.py) types its code.
    enrol_totp(sessions_of(database_url(running_bot.database)), "hq")
    return portal_ready(running_bot)


def portal_ready(running_bot: RunningBot) -> RunningBot:
    """Where log_in finds hq's codes, and the folder for screenshots."""
    PORTAL_DATABASES[f"http://127.0.0.1:{running_bot.port}"] = database_url(running_bot.database)
    SHOTS.mkdir(parents=True, exist_ok=True)
    return running_bot
