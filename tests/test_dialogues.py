"""Whole conversations through the webhook, as a resident would have them."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import create_app
from models import Draft, DraftStatus, Photo, Ticket, TicketEvent, TicketStatus
from models import Resident as ResidentRow
from tests.conftest import HUATA_VILLAGE, Resident
from tests.support import classifier_for_tests, count, send_photo, ticket_number


def age_draft(sessions, *, minutes: int) -> None:
    """Pretend the resident has been silent for this long."""
    with sessions() as session, session.begin():
        draft = session.scalar(select(Draft).where(Draft.status == DraftStatus.OPEN))
        draft.updated_at -= timedelta(minutes=minutes)


def test_text_then_location_then_submit_opens_a_routed_ticket(resident, sessions):
    first = resident.says("晋祠镇花塔村路口有人摆摊占了半条路")
    assert "【占道经营】" in first
    assert "晋祠镇" in first
    assert "提交" in first  # a place in the text is enough to submit

    second = resident.location(*HUATA_VILLAGE, label="晋源区晋祠镇花塔村")
    assert "花塔村" in second

    done = resident.says("提交")
    number = ticket_number(done)
    assert "区城市管理局" in done and "晋祠镇" in done and "处理时限" in done

    with sessions() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket.category_code == "street_vending"
        assert ticket.lead_department_code == "urban_mgmt"
        assert ticket.town_code == "jinci"
        assert ticket.status == TicketStatus.DISPATCHED
        assert not ticket.needs_triage
        assert "区城市管理局" in ticket.route_reason and "晋祠镇" in ticket.route_reason
        steps = [(e.from_status, e.to_status) for e in session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id))]
        assert steps == [(None, TicketStatus.RECEIVED), (TicketStatus.RECEIVED, TicketStatus.REGISTERED),
                         (TicketStatus.REGISTERED, TicketStatus.DISPATCHED)]
        assert ticket.deadline_at > ticket.created_at


def test_submit_without_a_place_says_what_is_missing(resident, sessions):
    reply = resident.says("楼下又有人在摆摊卖水果")
    assert "【占道经营】" in reply and "位置" in reply
    refused = resident.says("提交")
    assert "还不能提交" in refused and "位置" in refused
    assert count(sessions, Ticket) == 0


def test_photo_first_then_location_then_description(resident, sessions):
    first = send_photo(resident, "media-123", pic_url="http://mmbiz.qpic.cn/abc")
    assert "照片：1 张" in first and "问题说明" in first
    second = resident.location(*HUATA_VILLAGE, label="花塔村")
    assert "问题说明" in second and "位置（" not in second
    third = resident.says("路边垃圾堆了好几天没人清理，味道很大")
    assert "【环境卫生】" in third and "信息已齐全" in third
    assert "照片：1 张" in second and "照片：1 张" in third  # the photo is still counted in later turns
    number = ticket_number(resident.says("提交"))
    with sessions() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        photo = session.scalar(select(Photo))
        assert photo.ticket_id == ticket.id and photo.media_id == "media-123"
        assert photo.pic_url == "http://mmbiz.qpic.cn/abc"
        assert ticket.lead_department_code == "sanitation_centre"


def test_location_first_settles_the_town_from_the_point(resident, sessions):
    first = resident.location(*HUATA_VILLAGE, label="")
    assert "晋祠镇" in first and "问题说明" in first
    second = resident.voice("这里的路灯坏了好几天，晚上一片漆黑")
    assert "【市政设施】" in second
    number = ticket_number(resident.says("提交"))
    with sessions() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket.town_code == "jinci"
        assert ticket.lead_department_code == "housing_construction"


def test_voice_without_recognition_is_answered_kindly(resident, sessions):
    reply = resident.voice("")
    assert "没能听清" in reply
    assert count(sessions, Draft) == 0


def test_cancel_drops_the_draft(resident, sessions):
    resident.says("电西社区门口小广告贴得到处都是")
    assert "已取消" in resident.says("取消")
    assert "没有正在填写" in resident.says("提交")
    with sessions() as session:
        assert session.scalar(select(Draft.status)) == DraftStatus.CANCELLED


def test_a_silent_draft_expires_and_the_resident_is_told(resident, sessions):
    resident.says("义井街道有工地晚上施工噪音很大")
    age_draft(sessions, minutes=31)
    reply = resident.says("提交")
    assert "已自动取消" in reply and "没有正在填写" in reply
    assert count(sessions, Ticket) == 0


def test_a_draft_younger_than_the_timeout_survives_a_restart(resident, settings, sessions):
    resident.says("金胜镇电西社区有人遛狗不牵绳")
    age_draft(sessions, minutes=29)
    restarted = Resident(create_app(settings), resident.openid)
    number = ticket_number(restarted.says("提交"))
    with sessions() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket.town_code == "jinsheng" and ticket.category_code == "uncivil_conduct"


def test_query_shows_status_only_to_the_reporter(resident, another_resident):
    resident.says("晋祠镇花塔村路口有人摆摊占了半条路")
    number = ticket_number(resident.says("提交"))
    own = resident.says(f"查询 {number}")
    assert number in own and "已派遣" in own and "区城市管理局" in own and "处理时限" in own
    other = another_resident.says(f"查询 {number}")
    assert "没有找到" in other and "区城市管理局" not in other
    assert "查询 编号" in resident.says("查询")


@pytest.mark.parametrize("typed", ["查询 {full_width}", "查询编号 {number}", "查询工单：{lower}", "查询 {em_dashes}",
                                   "查询 {spaced}"])
def test_query_understands_the_number_however_it_is_typed(resident, typed):
    resident.says("晋祠镇花塔村路口有人摆摊占了半条路")
    number = ticket_number(resident.says("提交"))
    day, serial = number.split("-")[1:]
    forms = {"number": number, "full_width": f"ＪＹ－{day}－{serial}", "lower": number.lower(),
             "em_dashes": f"JY—{day}—{serial}", "spaced": f"JY {day} {serial}"}
    answer = resident.says(typed.format(**forms))
    assert number in answer and "已派遣" in answer


def test_my_tickets_lists_recent_ones(resident):
    assert "还没有提交过" in resident.says("我的")
    resident.says("晋祠镇花塔村路口有人摆摊占了半条路")
    first = ticket_number(resident.says("提交"))
    resident.says("古唐苑小区门口的井盖丢了，很危险")
    second = ticket_number(resident.says("提交"))
    listing = resident.says("我的")
    assert listing.index(second) < listing.index(first)
    assert "【市政设施】" in listing and "【占道经营】" in listing


def test_ticket_numbers_count_up_within_a_day(resident, another_resident):
    resident.says("晋祠镇花塔村路口有人摆摊占了半条路")
    first = ticket_number(resident.says("提交"))
    another_resident.says("古唐苑小区门口垃圾没人清")
    second = ticket_number(another_resident.says("提交"))
    assert first[:11] == second[:11]
    assert int(second[-4:]) == int(first[-4:]) + 1


def test_unroutable_report_goes_to_hq_triage(resident, sessions):
    resident.says("我们村委会门口有个问题一直没人管，希望领导重视一下")
    assert "【其他】" in resident.says("改为 其他")
    resident.location(*HUATA_VILLAGE, label="花塔村")
    done = resident.says("提交")
    assert "区创城指挥部" in done and "分派中" in done
    with sessions() as session:
        ticket = session.scalar(select(Ticket))
        assert ticket.lead_department_code == "hq" and ticket.needs_triage
        assert ticket.status == TicketStatus.RECEIVED


def test_an_address_that_does_not_settle_the_town_leaves_it_to_hq(resident, sessions):
    resident.says("长风西大街上有人乱停车堵住了人行道")
    done = resident.says("提交")
    assert "待指挥部确认" in done and "公安交警晋源大队" in done
    with sessions() as session:
        ticket = session.scalar(select(Ticket))
        assert ticket.town_code is None and ticket.needs_triage
        assert ticket.lead_department_code == "traffic_police"


def test_greetings_open_nothing(resident, sessions):
    reply = resident.says("你好")
    assert "随手拍" in reply
    assert count(sessions, Draft) == 0
    assert count(sessions, ResidentRow) == 1


def test_thanks_are_answered_in_kind_and_open_nothing(resident, sessions):
    assert "不客气" in resident.says("谢谢你们")
    assert "不客气" in resident.says("辛苦了！")
    assert "不客气" not in resident.says("你好")
    assert count(sessions, Draft) == 0


def test_subscribe_welcomes_and_menu_keys_answer(resident, sessions):
    assert "欢迎关注" in resident.event("subscribe")
    assert "说明问题" in resident.event("CLICK", "REPORT")
    assert "还没有提交过" in resident.event("CLICK", "MY_TICKETS")
    assert "反映问题只需几步" in resident.event("CLICK", "HELP")
    assert resident.event("unsubscribe") == ""
    with sessions() as session:
        assert session.scalar(select(ResidentRow.subscribed)) is False


def test_location_events_are_ignored_politely(resident, sessions):
    reply = resident.send("event", "<Event><![CDATA[LOCATION]]></Event><Latitude>37.70</Latitude>"
                                   "<Longitude>112.43</Longitude><Precision>50</Precision>", with_msg_id=False)
    assert reply == "" and resident.last_status == 200
    assert count(sessions, Draft) == 0


def test_links_and_videos_get_a_request_for_text_photo_or_location(resident, sessions):
    link = resident.send("link", "<Title><![CDATA[看看]]></Title><Description><![CDATA[x]]></Description>"
                                 "<Url><![CDATA[http://example.com]]></Url>")
    video = resident.send("video", "<MediaId><![CDATA[v1]]></MediaId><ThumbMediaId><![CDATA[t1]]></ThumbMediaId>")
    for reply in (link, video):
        assert "请发送文字、照片或位置" in reply
    assert count(sessions, Draft) == 0


def test_a_location_outside_the_district_is_flagged_and_goes_to_hq(resident, sessions):
    reply = resident.location(39.9042, 116.4074, label="北京市东城区")
    assert "不在晋源区" in reply
    resident.says("路边垃圾堆了好几天")
    done = resident.says("提交")
    assert "待指挥部确认" in done
    with sessions() as session:
        ticket = session.scalar(select(Ticket))
        assert ticket.town_code is None and ticket.needs_triage
        assert "不在任何镇街范围内" in ticket.route_reason


def test_an_unsure_category_is_asked_with_a_numbered_menu(resident, sessions):
    from models import CategoryCorrection
    reply = resident.says("晋祠镇这边有个情况想反映一下")
    assert "这个问题属于哪一类？请回复数字" in reply and "其他" in reply
    menu = [line for line in reply.splitlines() if line[:2].rstrip(".").isdigit()]
    assert "请先选一下问题类别" in resident.says("提交")
    assert "请回复 1–" in resident.says("99")
    number, name = menu[0].split(". ", 1)
    chosen = resident.says(number)
    assert f"已按【{name}】处理" in chosen
    with sessions() as session:
        correction = session.scalar(select(CategoryCorrection))
        assert correction.text == "晋祠镇这边有个情况想反映一下" and correction.review == "pending"
    assert "JY-" in resident.says("提交")


def test_the_resident_can_correct_the_category_by_name_or_number(resident, sessions):
    resident.says("晋祠镇花塔村路口有人摆摊占了半条路")
    full = resident.says("改为")
    assert "请回复数字选择问题类别" in full and "14. 其他" in full
    assert "已按【门前三包】处理" in resident.says("改为 门前三包")
    assert "没有“火星人”这个类别" in resident.says("改为 火星人")
    assert "已按【违法小广告】处理" in resident.says("3")
    assert "违法小广告" in resident.says("提交")
    with sessions() as session:
        assert session.scalar(select(Ticket.category_code)) == "illegal_ads"
        assert session.scalar(select(Ticket.lead_department_code)) == "urban_mgmt"


def test_words_that_may_not_be_a_report_are_asked_about_and_can_be_dropped(tmp_path, database, sessions):
    from bot.understanding.classifier import ModelClassifier
    from tests.conftest import make_settings
    if classifier_for_tests() is None:
        pytest.skip("needs the corpus to train the classifier")
    cautious = ModelClassifier.load(classifier_for_tests())
    cautious.metadata["report_sure_above"] = 1.01  # above any probability: as if every report were doubtful
    path = tmp_path / "cautious.npz"
    ModelClassifier(cautious.classes, sorted(cautious._index, key=cautious._index.get), cautious._weights,
                    cautious._bias, cautious.temperature, cautious.metadata).save(path)
    resident = Resident(create_app(make_settings(tmp_path, database, classifier={"model": str(path)})), "o-unsure")
    reply = resident.says("晋祠镇花塔村路口有人摆摊占了半条路")
    assert "这个问题属于哪一类？请回复数字" in reply and "不是要反映问题？回复“取消”即可" in reply
    assert "已取消" in resident.says("取消")
    with sessions() as session:
        assert session.scalar(select(Ticket)) is None
