"""What the tests share besides fixtures: the test classifier, signed deliveries, a resident's whole report, a clerk
in the portal, and the `civicbot` command run in this process."""
from __future__ import annotations

import hashlib
import os
import re
import time
from functools import cache
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import func, select

from bot.config import Settings
from bot.web.webhook import signature_of

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "civicbot-dev-token"

# The test classifier ---------------------------------------------------------------------------------------------

CORPUS = ROOT / "data" / "corpus" / "messages.tsv"
# Every third message of the corpus's training split, in file order: every label and every author's part of the
# corpus in proportion. (From every fifth message, whether a plain report such as a missing manhole cover came
# out "surely a report" depended on which fifth was taken.)
TRAINING_SHARE = 3
# The candidate `civicbot train` picks on this corpus: the linear SVM, whose C=2 cross-validates best (macro-F1
# 0.942 on the training split, 5 folds; logistic regression C=16: 0.926). It also trains in a tenth of the time.
CANDIDATE = "linear-svm C=2.0"
FOLDS = 3
BUILT: dict = {}   # how the model at classifier_for_tests() came about in this run, for the report header


def training_set() -> list:
    """The fixed examples the test classifier learns from: a deterministic part of the training split."""
    from bot.understanding.training import read_examples, split
    return split(read_examples(CORPUS))[0][::TRAINING_SHARE]


def _fingerprint(examples: list) -> str:
    """Names the model: the examples, how it is trained, and the code that turns text into features."""
    from bot.understanding import features, training
    digest = hashlib.sha256(f"{CANDIDATE} folds={FOLDS}\n".encode())
    for example in examples:
        digest.update(f"{example.text}\t{example.label}\n".encode())
    for module in (features, training):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


@cache
def classifier_for_tests() -> Path | None:
    """The model file the tests' bot classifies with, trained on training_set() once and kept in var/ under a name
    that changes with the training set (or the feature and training code), so a change there rebuilds it.

    tests/conftest.py calls it at session start, outside pytest-timeout's per-test limit. None without the corpus."""
    if not CORPUS.exists():
        return None
    started = time.monotonic()
    examples = training_set()
    model_path = ROOT / "var" / f"test-classifier-{_fingerprint(examples)}.npz"
    if model_path.exists():
        BUILT.update(path=model_path, examples=len(examples), seconds=None)
        return model_path
    from bot.understanding.training import train_model
    model, _ = train_model(examples, only=CANDIDATE, folds=FOLDS)
    for stale in model_path.parent.glob("test-classifier*.npz"):
        stale.unlink(missing_ok=True)
    partial = model_path.with_name(f"{model_path.name}.{os.getpid()}.part")
    model.save(partial)
    partial.replace(model_path)   # whole or not at all, should two runs build it at once
    BUILT.update(path=model_path, examples=len(examples), seconds=time.monotonic() - started)
    return model_path


# Deliveries as WeChat signs them -----------------------------------------------------------------------------------

def signed(token: str = TOKEN, timestamp: str | None = None, nonce: str = "486452656") -> dict:
    """The query string WeChat adds to each delivery: timestamp, nonce and their signature with the token."""
    timestamp = timestamp or str(int(time.time()))
    return {"timestamp": timestamp, "nonce": nonce, "signature": signature_of(token, timestamp, nonce)}


def text_message(openid: str, text: str, msg_id: int) -> bytes:
    """The XML body of one text message from a resident, sent now."""
    return (f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>").encode()


# A resident's actions ----------------------------------------------------------------------------------------------

STALL = "晋祠镇花塔村路口有人摆摊占了半条路"
TICKET_NUMBER = re.compile(r"JY-\d{8}-\d{4}")


def ticket_number(reply: str) -> str:
    """The ticket number a reply gives."""
    found = TICKET_NUMBER.search(reply)
    assert found, reply
    return found.group(0)


def send_photo(person, media_id: str, pic_url: str | None = None) -> str:
    """Send a photo the way WeChat delivers one: its media id (the file waits on WeChat's API) and its URL."""
    pic_url = pic_url or f"http://mmbiz.qpic.cn/{media_id}"
    return person.send("image", f"<PicUrl><![CDATA[{pic_url}]]></PicUrl><MediaId><![CDATA[{media_id}]]></MediaId>")


def report(person, words: str = STALL, *, category: str | None = None, at: tuple[float, float] | None = None,
           label: str = "", photo: str | None = None) -> str:
    """A whole report as a resident on the spot sends it: where they are (a shared location) and a photo when
    given, what is wrong, the category by name when given (改为 …), then 提交. Returns the answer to 提交."""
    if at:
        person.location(*at, label=label)
    if photo:
        send_photo(person, photo)
    person.text(words)
    if category:
        person.text(f"改为 {category}")
    return person.text("提交")


def count(sessions, model) -> int:
    """How many rows the table of this model holds."""
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


# Staff and the portal ---------------------------------------------------------------------------------------------

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class Clerk:
    """A browser session of one staff member."""

    def __init__(self, app, username: str):
        self.app = app
        self.client = app.test_client()
        self.username = username

    def csrf(self, path: str) -> str:
        return CSRF.search(self.client.get(path).get_data(as_text=True)).group(1)

    def login(self, password: str = PASSWORD):
        """Log in; when the portal asks for a TOTP code next (an HQ admin's), give it. The answer to the last step."""
        answer = self.client.post("/portal/login", data={"username": self.username, "password": password,
                                                         "csrf_token": self.csrf("/portal/login")})
        if answer.status_code == 302 and answer.headers["Location"].endswith("/portal/login/code"):
            answer = self.client.post("/portal/login/code", data={
                "code": fresh_code(self.app.extensions["civicbot"].sessions, self.username),
                "csrf_token": self.csrf("/portal/login/code")})
        return answer

    def page(self, path: str):
        return self.client.get(path)

    def act(self, number: str, action: str, note: str = "", photos=(), **fields):
        data = {"action": action, "note": note, "csrf_token": self.csrf(f"/portal/tickets/{number}"), **fields}
        if photos:
            data["photos"] = [(__import__("io").BytesIO(content), name) for name, content in photos]
        return self.client.post(f"/portal/tickets/{number}/act", data=data, content_type="multipart/form-data",
                                follow_redirects=True)

    def bulk(self, action: str, numbers, department: str = "", back: str = "/portal/tickets?tab=all", **fields):
        """Tick these tickets in the list at back, choose the action (and department or person) and submit."""
        data = {"action": action, "numbers": list(numbers), "department": department, "next": back,
                "csrf_token": self.csrf(back), **fields}
        return self.client.post("/portal/tickets/bulk", data=data, follow_redirects=True)


def logged_in(app, username: str) -> Clerk:
    """A clerk who has logged in to the portal with PASSWORD."""
    person = Clerk(app, username)
    assert person.login().status_code == 302
    return person


@cache
def password_hash(password: str) -> str:
    """The password hashed once for the whole run (scrypt takes a tenth of a second or more each time, and most
    tests set up several accounts): the accounts add_staff makes share it. Passwords the code under test sets —
    a reset, a change, a new account from the portal — are hashed as always."""
    from werkzeug.security import generate_password_hash
    return generate_password_hash(password)


def add_staff(sessions, *accounts: tuple[str, str, str]) -> None:
    """Portal accounts (username, department, role), all with PASSWORD; HQ admins with TOTP_SECRET enrolled, as
    they must be."""
    from unittest import mock

    from bot.cases import staff
    from bot.infra.db import transaction
    with transaction(sessions) as session, mock.patch.object(staff, "generate_password_hash", password_hash):
        for username, department, role in accounts:
            staff.do_add_staff(username, department, role, PASSWORD, session=session)
    for username, department, role in accounts:
        if department == "hq" and role == "admin":
            enrol_totp(sessions, username)


# Two-factor authentication: the test HQ admins' authenticator app ------------------------------------------------

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PORTAL_DATABASES: dict[str, str] = {}   # a running portal's base URL → its database, for its HQ admins' codes


def enrol_totp(sessions, username: str, secret: str = TOTP_SECRET) -> None:
    """The account enrols TOTP as the 账号安全 page does, with a code its app shows now."""
    import pyotp

    from bot.cases.totp import do_enable_totp
    from bot.infra.db import transaction
    from models import StaffAccount, utcnow
    with transaction(sessions) as session:
        account = session.scalar(select(StaffAccount).where(StaffAccount.username == username))
        do_enable_totp(account, secret, pyotp.TOTP(secret).now(), utcnow(), session=session)


def fresh_code(sessions, username: str, secret: str = TOTP_SECRET) -> str:
    """The code the app shows now, for a login. A code is accepted once per 30-second step, and a test logs the
    same person in more often than that: the step last used is forgotten first, as if the next step had come.
    (tests/test_accounts_totp.py proves the replay refusal itself.)"""
    import pyotp

    from bot.infra.db import transaction
    from models import StaffAccount
    with transaction(sessions) as session:
        session.scalar(select(StaffAccount).where(StaffAccount.username == username)).totp_last_step = None
    return pyotp.TOTP(secret).now()


def sessions_of(database_url: str):
    """A session factory on a test database that a running server uses (for TOTP codes in browser tests)."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker
    from sqlalchemy.pool import NullPool
    return sessionmaker(create_engine(database_url, poolclass=NullPool), expire_on_commit=False)


# Configuration and the command line ------------------------------------------------------------------------------

def fake_api(fake_wechat) -> dict:
    """The [wechat] settings that point the bot at the fake WeChat API on loopback."""
    return {"app_id": fake_wechat.app_id, "app_secret": fake_wechat.secret, "api_base_url": fake_wechat.base_url}


def data_section() -> str:
    """The [data] table of a config file pointing at the repository's data files."""
    from bot.config import load_config
    files = load_config(ROOT / "config.example.toml", environ={}).data
    return "[data]\n" + "".join(f'{key} = "{ROOT / "data" / Path(value).name}"\n' for key, value in files)


def config_file(path: Path, settings: Settings, tables: str = "") -> Path:
    """A config file for the `civicbot` command on this test's database, with the repository's data files and any
    further TOML tables."""
    path.write_text(f'[database]\nurl = "{settings.database.url}"\n' + tables + data_section(),
                    encoding="utf-8")
    return path


def civicbot(config: Path | str, *args: str, input: str | None = None) -> Result:
    """`civicbot --config CONFIG ARGS…` run in this process, with input as its standard input.

    The result has exit_code, stdout and stderr; an error the command does not handle is raised here."""
    from bot.cli import main
    # The command records its config in CIVICBOT_CONFIG; listing it here has the runner put it back afterwards.
    return CliRunner().invoke(main, ["--config", str(config), *args], input=input, env={"CIVICBOT_CONFIG": None},
                              catch_exceptions=False)


def status_of(sessions, number: str):
    """The ticket's status as stored now."""
    from models import Ticket
    with sessions() as session:
        return session.scalar(select(Ticket.status).where(Ticket.number == number))
