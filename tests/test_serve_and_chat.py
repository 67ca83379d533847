"""`make run`'s server and `civicbot chat` together: a resident gets a routed ticket within four messages."""
from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest
import requests

from tests.conftest import HUATA_VILLAGE

pytestmark = pytest.mark.slow   # `civicbot serve` with its gunicorn workers and job worker


# `civicbot chat` stays a process of its own: it serves its stand-in WeChat API for as long as it runs.
def chat(served_bot, lines: str, *extra: str) -> str:
    result = subprocess.run([sys.executable, "-m", "bot", "--config", str(served_bot.config), "chat", *extra],
                            input=lines, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_three_messages_in_the_simulator_give_a_routed_ticket(served_bot):
    transcript = chat(served_bot, "晋祠镇花塔村路口有人摆摊占了半条路\n"
                                   f"/loc {HUATA_VILLAGE[0]} {HUATA_VILLAGE[1]} 晋源区晋祠镇花塔村\n提交\n")
    assert "【占道经营】" in transcript
    number = re.search(r"编号：(JY-\d{8}-\d{4})", transcript)
    assert number, transcript
    assert "承办部门：区城市管理局" in transcript and "属地：晋祠镇" in transcript

    status = chat(served_bot, f"查询 {number.group(1)}\n")
    assert "已派遣" in status
    stranger = chat(served_bot, f"查询 {number.group(1)}\n", "--user", "o-someone-else")
    assert "没有找到" in stranger


def test_the_simulator_sends_every_kind_of_input(served_bot, tmp_path):
    from tests import images
    photo = tmp_path / "river.jpg"
    photo.write_bytes(images.jpeg(latitude=37.70305, longitude=112.43402))
    transcript = chat(served_bot, "/subscribe\n/menu HELP\n/voice 河里漂着好多垃圾\n"
                                   f"/photo {photo}\n提交\n", "--linger", "0")
    assert "欢迎关注" in transcript and "反映问题只需几步" in transcript
    assert "【河道水体】" in transcript and "照片：1 张" in transcript


def test_the_simulator_hosts_photos_and_shows_what_the_bot_pushes_later(served_bot, tmp_path):
    from tests import images
    good, broken = tmp_path / "river.jpg", tmp_path / "broken.jpg"
    good.write_bytes(images.jpeg(latitude=37.70305, longitude=112.43402))
    broken.write_bytes(b"\xff\xd8\xff\xe0 not a whole photo")
    transcript = chat(served_bot, f"河里漂着好多垃圾\n/photo {good}\n/photo {broken}\n", "--linger", "6")
    assert "拍摄位置（晋祠镇）" in transcript      # the photo's GPS placed the report
    assert "不是可识别的图片" in transcript or "已损坏" in transcript


def test_the_server_answers_health_checks_and_refuses_unsigned_posts(served_bot):
    base = served_bot.url.rsplit("/wechat", 1)[0]
    assert requests.get(f"{base}/healthz", timeout=5).text == "ok"
    assert requests.post(served_bot.url, data=b"<xml/>", timeout=5).status_code == 403


def test_a_second_chat_attaches_to_the_stand_in_api_the_first_one_serves(served_bot, tmp_path):
    from bot.simulator.fake_wechat_api import is_stand_in
    from tests import images
    first = subprocess.Popen([sys.executable, "-m", "bot", "--config", str(served_bot.config), "chat",
                              "--user", "o-first-chat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not is_stand_in(f"http://127.0.0.1:{served_bot.api_port}"):   # the first one serves the port
            assert time.monotonic() < deadline and first.poll() is None, first.stderr.read() if first.stderr else ""
            time.sleep(0.2)
        photo = tmp_path / "river.jpg"
        photo.write_bytes(images.jpeg(latitude=37.70305, longitude=112.43402))
        second = chat(served_bot, f"河里漂着好多垃圾\n/photo {photo}\n", "--user", "o-second-chat", "--linger", "6")
        # It did not exit with "address in use": it sent its photo to the first one's stand-in, the bot fetched
        # it from there, and the push about the photo's place came back through it.
        assert "照片：1 张" in second and "拍摄位置（晋祠镇）" in second
    finally:
        out, err = first.communicate("/quit\n", timeout=30)
    assert first.returncode == 0, err
