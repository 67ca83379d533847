"""The chat simulator's stand-in WeChat API: a second `civicbot chat` uses the one the first serves, and a port held
by another program leaves the chat running without one, never ending the process."""
from __future__ import annotations

import socket

import requests

from bot.simulator.fake_wechat_api import FakeWeChat, is_stand_in, serve_for_chat


def test_a_second_simulator_attaches_to_the_stand_in_already_serving_the_port():
    first = FakeWeChat(app_id=None)
    try:
        root = serve_for_chat(first.base_url)          # the port is taken: by a stand-in
        assert root == first.base_url.removesuffix("/cgi-bin/")
        first.add_media("m-shared", b"\xff\xd8 a photo")
        assert requests.get(f"{root}/simulator/pic/m-shared.jpg", timeout=5).content == b"\xff\xd8 a photo"
    finally:
        first.close()


def test_a_port_held_by_another_program_leaves_the_chat_without_a_stand_in(capsys):
    with socket.create_server(("127.0.0.1", 0)) as other:
        port = other.getsockname()[1]
        assert not is_stand_in(f"http://127.0.0.1:{port}")
        assert serve_for_chat(f"http://127.0.0.1:{port}/cgi-bin/") is None   # no SystemExit
    assert "已被其他程序占用" in capsys.readouterr().err


def test_the_api_not_on_this_machine_needs_no_stand_in():
    assert serve_for_chat("https://api.weixin.qq.com/cgi-bin/") is None
