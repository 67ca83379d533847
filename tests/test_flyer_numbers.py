"""Numbers on illegal flyers: read in residents' photos by the photo job, filed in the number registry, shown on
the ticket ("该号码已被反映 N 次"), listed by `civicbot numbers` and the portal with the status staff set."""
from __future__ import annotations

import csv
import io
import sys

import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.photos import ocr
from bot.understanding.phone_numbers import find_numbers
from models import NumberSighting, Photo, PhotoReading
from tests import images
from tests.conftest import Resident, make_settings
from tests.support import add_staff, civicbot, config_file, count, fake_api, logged_in, send_photo, ticket_number

HUATA = (37.7050, 112.4310)      # 花塔村, 晋祠镇
JINSHENG = (37.7560, 112.4920)   # 金胜镇

needs_ocr = pytest.mark.skipif(not ocr.ocr_available(ocr.OcrSettings()),
                               reason="the ocr extra is not installed (make test installs it)")


@pytest.fixture
def app(reading_settings):
    return create_app(reading_settings)


@pytest.mark.parametrize(("lines", "expected"), [
    (["专业办证", "电话：138-1234-5678"], ["13812345678"]),
    (["开锁换锁 138 1234 5678"], ["13812345678"]),
    (["贷款 1381234 5678 张经理"], ["13812345678"]),
    (["手机：１３８１２３４５６７８"], ["13812345678"]),                  # full-width digits
    (["电话:l38 l234 5678"], ["13812345678"]),                         # OCR's l for 1
    (["招聘 电话 138", "1234 5678"], ["13812345678"]),                 # split across two lines
    (["热线：5175741", "2024年3月15日"], ["0351-5175741"]),             # a whole number is not joined to a date
    (["通下水道 0351-6012345"], ["0351-6012345"]),
    (["(0351)7654321 刻章"], ["0351-7654321"]),
    (["开锁 电话 6012345"], ["0351-6012345"]),                         # a local number after 电话
    (["全国热线 400-888-1234"], ["400-888-1234"]),
    (["800-820-8820"], ["800-820-8820"]),
    (["加微信：bz_8888 办证"], ["wechat:bz_8888"]),
    (["微信同号 15935101234"], ["15935101234"]),
    (["QQ：12345678 代开发票"], ["qq:12345678"]),
    (["电话13912345678 营业时间8:00-20:00 价格2000元"], ["13912345678"]),
    (["2023年12月5日 门牌 12号 ISO9001"], []),                          # dates, prices, house numbers: nothing
    (["☎ 813883152797"], ["13883152797"]),                             # the ☎ read as an 8
    (["B175-3237-6178"], ["17532376178"]),
    (["213812345678"], ["13812345678"]),
    (["138123456789"], []),                                           # a mobile and one more digit: no mobile
    (["1381234567"], []),                                             # ten neither
])
def test_numbers_are_found_as_flyers_print_them(lines, expected):
    assert [found.value for found in find_numbers(lines)] == expected


def _flyer(first: str, number: str, last: str = "微信同号") -> bytes:
    return images.jpeg(images.flyer([first, f"电话：{number}", last]))


@needs_ocr
def test_a_flyer_photo_files_its_number_with_the_ticket_and_in_the_registry(app, resident, another_resident,
                                                                           sessions, fake_wechat, tmp_path,
                                                                           reading_settings):
    add_staff(sessions, ("hq", "hq", "admin"), ("chen", "urban_mgmt", "staff"), ("liu", "water_affairs", "admin"))
    fake_wechat.add_media("m-flyer", _flyer("专业办证 刻章", "138-1234-5678"))
    send_photo(resident, "m-flyer")
    told = [m["text"]["content"] for m in fake_wechat.sent if m.get("msgtype") == "text"]
    assert any("138 1234 5678" in text for text in told), told

    resident.location(*HUATA, label="花塔村")
    first = ticket_number(resident.says("电线杆上贴满了办证小广告") and resident.says("提交"))
    with sessions() as session:
        [sighting] = session.scalars(select(NumberSighting)).all()
        photo = session.get(Photo, sighting.photo_id)
        left, top, right, bottom = map(int, sighting.box.split(","))
        assert photo.ticket_id is not None and sighting.printed.replace(" ", "") == "138-1234-5678"
        assert 0 <= left < right <= photo.width and 80 < top < bottom < 220   # the second line of the flyer

    hq = logged_in(app, "hq")
    page = hq.page(f"/portal/tickets/{first}").get_data(as_text=True)
    assert "138 1234 5678" in page and "首次发现" in page

    # Another resident, another wall, another flyer with the same number: its ticket says it is known.
    fake_wechat.add_media("m-flyer-2", _flyer("高价回收 开锁", "13812345678", "随叫随到"))
    send_photo(another_resident, "m-flyer-2")
    another_resident.location(*JINSHENG, label="金胜村")
    another_resident.says("墙上贴了开锁的小广告")
    second = ticket_number(another_resident.says("提交"))
    assert second != first
    page = hq.page(f"/portal/tickets/{second}").get_data(as_text=True)
    assert "该号码已被反映 1 次" in page and first in page

    config = config_file(tmp_path / "numbers.toml", reading_settings)
    listed = civicbot(config, "numbers").stdout
    assert "138 1234 5678" in listed and "反映 2 次" in listed and "晋祠镇" in listed and "金胜镇" in listed
    assert "没有符合条件的号码" in civicbot(config, "numbers", "--min-reports", "3").stdout

    # 区城市管理局 (the lead of 违法小广告) sets the status; the 停机 request lists it with both tickets.
    chen = logged_in(app, "chen")
    registry = chen.page("/portal/numbers").get_data(as_text=True)
    assert "138 1234 5678" in registry and "2 次" in registry
    with sessions() as session:
        number_id = session.scalars(select(NumberSighting.number_id)).first()
    answer = chen.client.post(f"/portal/numbers/{number_id}/status", follow_redirects=True, data={
        f"n{number_id}-status": "stop_requested", f"n{number_id}-note": "12月已报通信管理局",
        f"n{number_id}-back": "/portal/numbers", f"n{number_id}-csrf_token": chen.csrf("/portal/numbers")})
    assert "已更新" in answer.get_data(as_text=True)
    export = chen.page("/portal/numbers.csv")
    [header, row] = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert header[:5] == ["号码", "类型", "被反映次数", "照片张数", "首次发现"]
    assert row[0] == "13812345678" and row[2] == "2" and first in row[8] and second in row[8]
    assert row[9] == "已申请停机" and "通信管理局" in row[10]
    assert "stop_requested" not in civicbot(config, "numbers", "--status", "new").stdout
    assert "已申请停机" in civicbot(config, "numbers", "--status", "stop_requested").stdout

    # Other departments do not keep the registry.
    assert logged_in(app, "liu").page("/portal/numbers").status_code == 404


def test_without_ocr_photos_are_kept_and_the_bot_says_ocr_is_off(tmp_path, database, fake_wechat, monkeypatch):
    settings = make_settings(tmp_path, database, wechat=fake_api(fake_wechat), ocr={"enabled": False})
    app = create_app(settings)
    sessions = app.extensions["civicbot"].sessions
    resident = Resident(app, "o-resident-no-ocr")
    fake_wechat.add_media("m-off", _flyer("专业办证", "138-1234-5678"))
    send_photo(resident, "m-off")
    assert count(sessions, PhotoReading) == 0 and not fake_wechat.sent
    with sessions() as session:
        assert session.scalar(select(Photo)).status == "stored"
    config = config_file(tmp_path / "off.toml", settings, "[ocr]\nenabled = false\n")
    assert "OCR）未开启" in civicbot(config, "numbers").stderr

    # The extra not installed: the import fails, the photo is stored all the same, the registry page says so.
    monkeypatch.setattr(ocr, "_ENGINE", ocr._Engine())
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)
    on_but_missing = make_settings(tmp_path, database, wechat=fake_api(fake_wechat), ocr={"enabled": True})
    app = create_app(on_but_missing)
    fake_wechat.add_media("m-missing", _flyer("开锁", "139-1234-5678"))
    send_photo(Resident(app, "o-resident-no-ocr"), "m-missing")
    with sessions() as session:
        assert [p.status for p in session.scalars(select(Photo).order_by(Photo.id))] == ["stored", "stored"]
    assert count(sessions, PhotoReading) == 0
    add_staff(sessions, ("hq", "hq", "admin"))
    assert "OCR）未开启" in logged_in(app, "hq").page("/portal/numbers").get_data(as_text=True)
