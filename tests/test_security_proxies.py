"""Security, point 3: trusted proxies. With `[server] trusted_proxies = N` the client's address is the one the N
proxies in front report (werkzeug's ProxyFix); with 0 (the default) forwarded headers are ignored, so a client
cannot claim another address. /metrics and the login delays use that address. Tested directly and behind a real
nginx (Debian's package; `make test` installs it as root) that this test starts on a free loopback port."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter

from bot.app import create_app
from bot.cases.login_delays import ADDRESS_FREE
from tests.conftest import RunningBot, free_port, make_settings
from tests.support import CSRF

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)


def metrics_answer(app, peer: str, forwarded_for: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return app.test_client().get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": peer}).status_code


def test_without_trusted_proxies_a_forwarded_address_is_ignored(tmp_path, database):
    app = create_app(make_settings(tmp_path, database))            # trusted_proxies = 0
    assert metrics_answer(app, "203.0.113.9", forwarded_for="127.0.0.1") == 404
    assert metrics_answer(app, "127.0.0.1", forwarded_for="203.0.113.9") == 200


def test_with_one_trusted_proxy_its_forwarded_address_is_the_clients(tmp_path, database):
    app = create_app(make_settings(tmp_path, database, server={"trusted_proxies": 1}))
    assert metrics_answer(app, "127.0.0.1", forwarded_for="203.0.113.9") == 404
    assert metrics_answer(app, "127.0.0.1", forwarded_for="127.0.0.1") == 200
    # A client's own header comes first; the proxy appends the address it saw, and only that one is believed.
    assert metrics_answer(app, "127.0.0.1", forwarded_for="127.0.0.1, 203.0.113.9") == 404


def test_the_login_delay_counts_the_real_address_not_a_forged_header(tmp_path, database):
    app = create_app(make_settings(tmp_path, database))            # nothing trusted: the peer's address counts
    client = app.test_client()
    statuses = []
    for n in range(ADDRESS_FREE + 2):
        page = client.get("/portal/login", environ_base={"REMOTE_ADDR": "203.0.113.20"}).get_data(as_text=True)
        statuses.append(client.post("/portal/login", environ_base={"REMOTE_ADDR": "203.0.113.20"},
                                    headers={"X-Forwarded-For": f"198.51.100.{n}"},   # a new address each time
                                    data={"username": f"nobody-{n}", "password": "guess",
                                          "csrf_token": CSRF.search(page).group(1)}).status_code)
    assert statuses[-1] == 429


# Behind a real nginx ----------------------------------------------------------------------------------------------

class Nginx:
    """Debian's nginx on a free loopback port, proxying to a running `civicbot serve` as the README's setup does."""

    def __init__(self, folder: Path, upstream_port: int):
        self.port = free_port()
        folder.mkdir(parents=True, exist_ok=True)
        user = "user root;\n" if os.geteuid() == 0 else ""   # as root its workers would otherwise become nobody
        temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
        config = folder / "nginx.conf"
        config.write_text(
            f"{user}worker_processes 1;\ndaemon off;\npid {folder / 'nginx.pid'};\n"
            f"error_log {folder / 'error.log'} warn;\nevents {{ worker_connections 64; }}\n"
            "http {\n"
            f"  access_log {folder / 'access.log'};\n"
            f"  client_body_temp_path {temp['body']};\n  proxy_temp_path {temp['proxy']};\n"
            f"  fastcgi_temp_path {temp['fastcgi']};\n  uwsgi_temp_path {temp['uwsgi']};\n"
            f"  scgi_temp_path {temp['scgi']};\n"
            "  client_max_body_size 1m;\n"
            f"  server {{\n    listen 127.0.0.1:{self.port};\n"
            "    location / {\n"
            f"      proxy_pass http://127.0.0.1:{upstream_port};\n"
            "      proxy_set_header Host $host;\n"
            "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
            "      proxy_set_header X-Forwarded-Proto $scheme;\n"
            "      proxy_read_timeout 5s;\n    }\n  }\n}\n", encoding="utf-8")
        self.log = folder / "error.log"
        self.process = subprocess.Popen([NGINX, "-c", str(config), "-p", str(folder)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("nginx did not start: " + (self.log.read_text() if self.log.exists() else ""))

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)


class FromAddress(HTTPAdapter):
    """Connections from one loopback address (127.0.0.0/8 is all this machine): a client other than nginx's own."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def client_at(address: str) -> requests.Session:
    browser = requests.Session()
    browser.mount("http://", FromAddress(address))
    return browser


@pytest.fixture
def nginx_in_front():
    """Start nginx in front of a `civicbot serve` started with the given server keys; stop both afterwards."""
    if NGINX is None:
        if os.environ.get("CI"):
            pytest.fail("nginx is missing in CI: `make test` installs Debian's nginx when run as root")
        pytest.skip("Debian's nginx is not installed (make test installs it when run as root; "
                    "otherwise: sudo apt-get install nginx)")
    started: list = []

    def start(folder: Path, database, server_keys: str) -> tuple[RunningBot, Nginx]:
        bot = RunningBot(folder, database, server_keys=server_keys)
        started.append(bot)
        proxy = Nginx(folder / "nginx", bot.port)
        started.append(proxy)
        return bot, proxy

    yield start
    for thing in reversed(started):
        thing.stop()


@pytest.mark.slow
def test_behind_nginx_metrics_and_login_delays_see_each_clients_own_address(tmp_path, database, nginx_in_front):
    bot, proxy = nginx_in_front(tmp_path, database, "trusted_proxies = 1\n")
    base = f"http://127.0.0.1:{proxy.port}"
    assert client_at("127.0.0.1").get(f"{base}/metrics", timeout=10).status_code == 200   # this machine
    outsider = client_at("127.0.0.5")
    assert outsider.get(f"{base}/metrics", timeout=10).status_code == 404
    # Forging the header does not help: nginx appends the address it saw, and that is the one believed.
    assert outsider.get(f"{base}/metrics", headers={"X-Forwarded-For": "127.0.0.1"}, timeout=10).status_code == 404

    statuses = [_guess(outsider, base, n) for n in range(ADDRESS_FREE + 2)]
    assert statuses[-1] == 429 and "登录尝试过于频繁" in outsider.last_page
    colleague = client_at("127.0.0.6")   # through the same nginx at the same moment: not slowed down
    assert _guess(colleague, base, 0) == 200


@pytest.mark.slow
def test_behind_nginx_without_the_setting_every_client_looks_like_the_proxy(tmp_path, database, nginx_in_front):
    """What the setting prevents: with trusted_proxies = 0 behind nginx, /metrics is open to everyone."""
    bot, proxy = nginx_in_front(tmp_path, database, "")
    assert client_at("127.0.0.5").get(f"http://127.0.0.1:{proxy.port}/metrics", timeout=10).status_code == 200


def _guess(browser: requests.Session, base: str, n: int) -> int:
    token = CSRF.search(browser.get(f"{base}/portal/login", timeout=10).text).group(1)
    answer = browser.post(f"{base}/portal/login", timeout=10,
                          data={"username": f"nobody-{n}", "password": "guess", "csrf_token": token})
    browser.last_page = answer.text
    return answer.status_code
