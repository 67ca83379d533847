"""Photo figures: webhook reply time while the WeChat API takes 10 s, and images cleaned per second.

Run as `make bench-photos`. It starts a fake WeChat API on loopback and `civicbot serve`
(gunicorn + the job worker) on a temporary SQLite database, as `make run` would.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MESSAGES = 20
API_DELAY_SECONDS = 10


def main() -> None:
    import logging

    import requests

    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    from bot.simulator.chat import ChatSimulator
    from bot.simulator.fake_wechat_api import FakeWeChat
    from tests import images
    from tests.conftest import data_section, free_port

    fake = FakeWeChat()
    for n in range(MESSAGES):
        fake.add_media(f"bench-{n}", images.jpeg(images.scene(100 + n, (4032, 3024)),
                                                 latitude=37.70305, longitude=112.43402))
    folder = Path(tempfile.mkdtemp(prefix="civicbot-bench-"))
    port = free_port()
    config = folder / "config.toml"
    config.write_text(
        f'[server]\nport = {port}\n[database]\nurl = "sqlite:///{folder / "civicbot.db"}"\n'
        f'[queue]\npath = "{folder / "jobs.db"}"\n[media]\nroot = "{folder / "media"}"\n'
        f'[wechat]\napp_id = "{fake.app_id}"\napp_secret = "{fake.secret}"\napi_base_url = "{fake.base_url}"\n'
        + data_section(),
        encoding="utf-8")
    civicbot = [sys.executable, "-m", "bot", "--config", str(config)]
    subprocess.run(civicbot + ["migrate"], check=True, capture_output=True)
    subprocess.run(civicbot + ["load-defaults"], check=True, capture_output=True)
    log = (folder / "serve.log").open("wb")
    server = subprocess.Popen(civicbot + ["serve"], stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait(f"http://127.0.0.1:{port}/healthz", requests)
        fake.delay = API_DELAY_SECONDS
        wechat = {"token": "civicbot-dev-token"}
        latencies = []
        for n in range(MESSAGES):
            resident = ChatSimulator(f"http://127.0.0.1:{port}/wechat", wechat, openid=f"o-bench-{n % 5}")
            started = time.perf_counter()
            resident.send("image", f"<PicUrl><![CDATA[http://mmbiz.qpic.cn/{n}]]></PicUrl>"
                                   f"<MediaId><![CDATA[bench-{n}]]></MediaId>")
            latencies.append(time.perf_counter() - started)
        print(f"webhook reply time for {MESSAGES} image messages while the WeChat API takes "
              f"{API_DELAY_SECONDS} s: median {statistics.median(latencies) * 1000:.0f} ms, "
              f"max {max(latencies) * 1000:.0f} ms")
        fake.delay = 0
        started = time.perf_counter()
        done = _wait_for_photos(folder / "civicbot.db", MESSAGES, timeout=120 + API_DELAY_SECONDS * MESSAGES)
        print(f"the worker then stored {done}/{MESSAGES} photos (4032x3024 JPEG, fetched from the fake API) "
              f"{time.perf_counter() - started:.1f} s after the API recovered")
    finally:
        server.terminate()
        server.wait(timeout=30)
        fake.close()
    _clean_rate(images)


def _wait(url: str, requests) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit("civicbot serve did not start")


def _wait_for_photos(database: Path, expected: int, timeout: float) -> int:
    import sqlite3
    deadline = time.monotonic() + timeout
    stored = 0
    while time.monotonic() < deadline:
        with sqlite3.connect(database) as connection:
            stored = connection.execute("SELECT count(*) FROM photos WHERE status = 'stored'").fetchone()[0]
        if stored >= expected:
            break
        time.sleep(0.5)
    return stored


def _clean_rate(images) -> None:
    from bot.photos.cleaning import clean_image

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    for size, label in (((4032, 3024), "12 MP phone photo"), ((1280, 960), "1.2 MP WeChat-compressed photo")):
        photos = [images.jpeg(images.scene(200 + n, size), latitude=37.7, longitude=112.4, orientation=6)
                  for n in range(5)]
        count, started = 0, time.perf_counter()
        while time.perf_counter() - started < 8:
            clean_image(photos[count % len(photos)], max_bytes=10 << 20, max_pixels=40_000_000)
            count += 1
        elapsed = time.perf_counter() - started
        print(f"images cleaned per second on one core ({label}: verify, EXIF, orient, strip, 1600 px + "
              f"thumbnail, pHash): {count / elapsed:.1f}")


if __name__ == "__main__":
    main()
