"""An image message without a MediaId is taken by its PicUrl, fetched only from WeChat's image hosts; one with
neither gets a kind answer, never an HTTP error."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.photos.pic_url import UnsafePicUrl, check_pic_url
from models import Draft, Photo
from tests import images
from tests.conftest import make_settings
from tests.support import fake_api

API_BASE = "http://127.0.0.1:8001/cgi-bin/"


def image_message(resident, pic_url: str = "", media_id: str = "") -> str:
    fields = (f"<PicUrl><![CDATA[{pic_url}]]></PicUrl>" if pic_url else "") + \
             (f"<MediaId><![CDATA[{media_id}]]></MediaId>" if media_id else "")
    return resident.send("image", fields)


def photos(sessions) -> list[Photo]:
    with sessions() as session:
        return list(session.scalars(select(Photo).order_by(Photo.id)))


class Canary:
    """A server on loopback that no photo fetch may ever reach."""

    def __init__(self):
        self.hits = 0
        canary = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                canary.hits += 1
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"secret")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def canary():
    server = Canary()
    yield server
    server.close()


@pytest.mark.parametrize("url", [
    "http://mmbiz.qpic.cn/mmbiz_jpg/abc/0", "https://mmbiz.qpic.cn/mmbiz_jpg/abc/0?wx_fmt=jpeg",
    "http://mmsns.qpic.cn/abc/0", "http://127.0.0.1:8001/simulator/pic/m-1.jpg",
])
def test_wechats_image_hosts_and_the_configured_api_host_are_allowed(url):
    assert check_pic_url(url, API_BASE) == url


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:6379/", "http://localhost:8001/simulator/pic/x.jpg",
    "http://mmbiz.qpic.cn.evil.example/x", "http://evil.example/mmbiz.qpic.cn/x", "http://qpic.cn.evil.example/",
    "https://user@mmbiz.qpic.cn/x", "http://evil.example\\@mmbiz.qpic.cn/x", "http://mmbiz.qpic.cn:8080/x",
    "file:///etc/passwd", "ftp://mmbiz.qpic.cn/x", "gopher://mmbiz.qpic.cn/x", "//mmbiz.qpic.cn/x",
    "http://mmbiz.qpic.cn /x", "", "this is a url",
])
def test_any_other_url_is_never_fetched(url):
    with pytest.raises(UnsafePicUrl):
        check_pic_url(url, API_BASE)


@pytest.fixture
def app(tmp_path, database, fake_wechat):
    return create_app(make_settings(tmp_path, database, wechat=fake_api(fake_wechat), media={"max_bytes": 200_000}))


def test_an_image_with_only_a_pic_url_is_fetched_from_it(app, resident, sessions, fake_wechat):
    fake_wechat.add_media("m-nomedia", images.jpeg(images.scene(3)))
    url = fake_wechat.base_url.replace("/cgi-bin/", "/simulator/pic/m-nomedia.jpg")
    reply = image_message(resident, pic_url=url)
    assert resident.last_status == 200 and "照片：1 张" in reply
    [photo] = photos(sessions)
    assert photo.status == "stored" and photo.pic_url == url and photo.width > 0


def test_two_photos_without_media_ids_are_two_photos_and_a_repeat_is_one(app, resident, sessions, fake_wechat):
    for name in ("m-a", "m-b"):
        fake_wechat.add_media(name, images.jpeg(images.scene(5)))
    base = fake_wechat.base_url.replace("/cgi-bin/", "/simulator/pic/")
    image_message(resident, pic_url=base + "m-a.jpg")
    image_message(resident, pic_url=base + "m-b.jpg")
    assert "照片：2 张" in image_message(resident, pic_url=base + "m-a.jpg")
    assert [p.status for p in photos(sessions)] == ["stored", "stored"]


def test_a_pic_url_elsewhere_is_never_requested_and_the_resident_is_told(app, resident, sessions, fake_wechat, canary):
    reply = image_message(resident, pic_url=f"http://127.0.0.1:{canary.port}/admin/secret.jpg")
    assert "照片：1 张" in reply                    # the message is taken, the report goes on
    [photo] = photos(sessions)
    assert photo.status == "failed" and "PicUrl" in photo.note and canary.hits == 0
    assert any("照片" in m["text"]["content"] for m in fake_wechat.sent if m["touser"] == resident.openid)


def test_a_picture_too_large_is_refused_after_at_most_the_limit(app, resident, sessions, fake_wechat):
    fake_wechat.add_media("m-huge", images.jpeg(images.scene(7)) + b"\0" * 400_000)
    image_message(resident, pic_url=fake_wechat.base_url.replace("/cgi-bin/", "/simulator/pic/m-huge.jpg"))
    [photo] = photos(sessions)
    assert photo.status == "failed" and "refused" in photo.note


def test_an_image_with_neither_media_id_nor_pic_url_gets_a_kind_answer(app, resident, sessions):
    reply = image_message(resident)
    assert resident.last_status == 200 and "没有收到" in reply and "重新发送" in reply
    with sessions() as session:
        assert session.scalar(select(Draft)) is None
    assert photos(sessions) == []
