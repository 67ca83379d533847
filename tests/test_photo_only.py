"""Photo-only reports: a flyer photo sent without words proposes 违法小广告, the resident confirms with one reply,
and a photo and a location make the whole report; a photo whose text says nothing clear proposes nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.photos import ocr
from models import Draft, Ticket
from tests import images
from tests.conftest import HUATA_VILLAGE
from tests.support import send_photo, ticket_number

pytestmark = pytest.mark.skipif(not ocr.ocr_available(ocr.OcrSettings()), reason="the ocr extra is not installed")


@pytest.fixture
def app(reading_settings):
    return create_app(reading_settings)


def pushed(fake_wechat) -> list[str]:
    return [m["text"]["content"] for m in fake_wechat.sent if m.get("msgtype") == "text"]


def test_a_flyer_photo_alone_is_confirmed_with_one_reply_and_filed(app, resident, sessions, fake_wechat):
    fake_wechat.add_media("m-only", images.jpeg(images.flyer(["无抵押贷款 当天放款", "电话：186-3510-2233"])))
    first = send_photo(resident, "m-only")
    assert "问题说明" in first   # the reply does not wait for the photo to be read
    [proposal] = pushed(fake_wechat)
    assert "【违法小广告】" in proposal and "186 3510 2233" in proposal and "贷款" in proposal
    assert "回复 1" in proposal

    confirmed = resident.says("1")
    assert "违法小广告" in confirmed and "问题说明" not in confirmed and "位置" in confirmed
    resident.location(*HUATA_VILLAGE, label="晋源区晋祠镇花塔村")
    number = ticket_number(resident.says("提交"))
    with sessions() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket.category_code == "illegal_ads" and ticket.lead_department_code == "urban_mgmt"
        assert ticket.description.startswith("（据照片）违法小广告：") and "186-3510-2233" in ticket.description


def test_two_says_it_is_something_else_and_words_are_asked_for(app, resident, sessions, fake_wechat):
    fake_wechat.add_media("m-not", images.jpeg(images.flyer(["开锁换锁", "电话：13912345678"])))
    send_photo(resident, "m-not")
    assert any("【违法小广告】" in text for text in pushed(fake_wechat))
    answer = resident.says("2")
    assert "问题说明" in answer
    with sessions() as session:
        assert session.scalar(select(Draft)).description == ""


def test_a_photo_whose_text_is_no_flyer_proposes_nothing(app, resident, sessions, fake_wechat):
    fake_wechat.add_media("m-sign", images.jpeg(images.flyer(["幸福超市", "营业时间 8:00-22:00"])))
    send_photo(resident, "m-sign")
    assert pushed(fake_wechat) == []
    with sessions() as session:
        draft = session.scalar(select(Draft))
        assert draft.step == "collecting" and draft.photo_proposal == "" and draft.category_code is None
