"""Shared fixtures: a migrated SQLite database per test, the app, and residents that talk like WeChat."""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from bot.app import create_app
from bot.catalogue import do_load_catalogue, read_catalogue
from bot.chat import ChatSimulator
from bot.config import load_config
from bot.db import make_engine, make_sessionmaker, migrate, transaction

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "civicbot-dev-token"
# The vector wechatpy's own tests use for safe mode.
AES_TOKEN = "123456"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
APP_ID = "wx49f0ab532d5d035a"

# Places whose town the shipped polygons must settle (GCJ-02, as WeChat sends them).
HUATA_VILLAGE = (37.7050, 112.4310)   # 花塔村, 晋祠镇


CORPUS = ROOT / "data" / "corpus" / "messages.tsv"
MODEL = ROOT / "var" / "test-classifier.npz"


def classifier_for_tests() -> Path | None:
    """The classifier the bot really uses, trained once per test run on the corpus's training split."""
    if not CORPUS.exists():
        return None
    if not MODEL.exists() or MODEL.stat().st_mtime < CORPUS.stat().st_mtime:
        from bot.train import read_examples, split, train_model
        model, _ = train_model(split(read_examples(CORPUS))[0], only="logistic C=16.0", folds=3)
        model.save(MODEL)
    return MODEL


def make_settings(tmp_path: Path, database_file: Path, **overrides) -> dict:
    """Settings for a test: the repo's data files, a database file of its own, jobs run at once."""
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    model = classifier_for_tests()
    base = {"database": {"url": f"sqlite:///{database_file}"},
            "classifier": {"model": str(model) if model else str(tmp_path / "no-model.npz")},
            "queue": {"backend": "immediate"},
            # Never the real WeChat: a closed loopback port unless a test starts the fake API.
            "wechat": {"api_base_url": "http://127.0.0.1:9/cgi-bin/"},
            "data": {key: str(ROOT / "data" / Path(value).name)
                     for key, value in load_config(ROOT / "config.example.toml", environ={})["data"].items()}}
    for section, values in overrides.items():
        base.setdefault(section, {}).update(values)
    return load_config(config, overrides=base, environ={})


@pytest.fixture(scope="session")
def template_database(tmp_path_factory) -> Path:
    """Migrate and load the catalogue once; each test gets a copy of this file."""
    folder = tmp_path_factory.mktemp("template")
    database = folder / "template.db"
    settings = make_settings(folder, database)
    migrate(settings)
    engine = make_engine(settings)
    with transaction(make_sessionmaker(engine)) as session:
        do_load_catalogue(read_catalogue(settings), session=session)
    engine.dispose()  # the last connection closing checkpoints the WAL into the file we copy
    return database


@pytest.fixture
def database(tmp_path, template_database) -> Path:
    copy = tmp_path / "civicbot.db"
    shutil.copy(template_database, copy)
    return copy


@pytest.fixture
def settings(tmp_path, database) -> dict:
    return make_settings(tmp_path, database)


@pytest.fixture
def fake_wechat():
    from bot.simulator_api import FakeWeChat
    server = FakeWeChat()
    yield server
    server.close()


@pytest.fixture
def wechat_settings(tmp_path, database, fake_wechat) -> dict:
    """Settings whose WeChat API is the fake server on loopback."""
    return make_settings(tmp_path, database, wechat={"app_id": fake_wechat.app_id, "app_secret": fake_wechat.secret,
                                                     "api_base_url": fake_wechat.base_url})


@pytest.fixture
def app(settings):
    return create_app(settings)


@pytest.fixture
def sessions(app):
    return app.extensions["civicbot.sessions"]


class Resident(ChatSimulator):
    """A resident's phone, talking to the app through the real webhook with signed XML."""

    def __init__(self, app, openid: str, *, aes: bool = False):
        self.client = app.test_client()
        self.last_status = None
        super().__init__(app.config["WECHAT"]["webhook_path"], app.config["WECHAT"], openid=openid, aes=aes,
                         transport=self._through_app)

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


def data_section() -> str:
    """The [data] table of a config file pointing at the repository's data files."""
    files = load_config(ROOT / "config.example.toml", environ={})["data"]
    return "[data]\n" + "".join(f'{key} = "{ROOT / "data" / Path(value).name}"\n' for key, value in files.items())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RunningBot:
    """`civicbot serve` as `make run` starts it: gunicorn workers plus the job worker, on loopback."""

    def __init__(self, folder: Path, database: Path, workers: int = 2):
        self.port = free_port()
        self.api_port = free_port()
        self.config = folder / "config.toml"
        self.config.write_text(
            f'[server]\nport = {self.port}\nworkers = {workers}\n'
            f'[wechat]\napi_base_url = "http://127.0.0.1:{self.api_port}/cgi-bin/"\n'
            f'[media]\nroot = "{folder / "media"}"\n'
            f'[classifier]\nmodel = "{classifier_for_tests() or folder / "no-model.npz"}"\n'
            f'[database]\nurl = "sqlite:///{database}"\n'
            f'[queue]\npath = "{folder / "jobs.db"}"\n'
            + data_section(),
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
        self.log = open(self.log.name, "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "bot", "--config", str(self.config), "serve"],
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_until_up()


@pytest.fixture
def running_bot(tmp_path, database):
    bot = RunningBot(tmp_path, database)
    yield bot
    bot.stop()
