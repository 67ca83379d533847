"""Several problems in one report: the bot lists them, offers to file them separately, and files one ticket each."""
from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from bot.app import create_app
from models import Draft, DraftStatus, Photo, Ticket, TicketEvent
from tests import images
from tests.conftest import HUATA_VILLAGE, Resident, make_settings
from tests.support import count, report, send_photo, ticket_number

THREE = "路口摆摊、垃圾没人清、电线杆上全是小广告"
TWO = "索村广场上有人遛狗不拴绳，公厕也脏得没法进"


def tickets(sessions) -> list[Ticket]:
    with sessions() as session:
        return list(session.scalars(select(Ticket).order_by(Ticket.id)))


def test_a_three_problem_message_is_filed_as_three_tickets_after_one_reply(resident, sessions):
    offer = resident.says(THREE)
    assert "3 个不同类别的问题" in offer
    assert "【占道经营】路口摆摊" in offer and "【环境卫生】垃圾没人清" in offer
    assert "【违法小广告】电线杆上全是小广告" in offer
    assert "回复 1 分开提交" in offer and "位置" in offer
    resident.location(*HUATA_VILLAGE, label="晋源区晋祠镇花塔村")
    agreed = resident.says("好的")
    assert "将分开提交为 3 张工单" in agreed and "信息已齐全" in agreed
    assert count(sessions, Ticket) == 0  # nothing is filed before 提交

    done = resident.says("提交")
    assert "3 个问题已分别生成工单" in done
    assert "区城市管理局" in done and "区环境卫生服务中心" in done and "属地：晋祠镇" in done
    filed = tickets(sessions)
    assert [(t.category_code, t.lead_department_code, t.town_code) for t in filed] == [
        ("street_vending", "urban_mgmt", "jinci"), ("sanitation", "sanitation_centre", "jinci"),
        ("illegal_ads", "urban_mgmt", "jinci")]
    assert all(t.number in done for t in filed)
    assert filed[1].description.startswith("垃圾没人清") and THREE in filed[1].description
    assert all(t.latitude == HUATA_VILLAGE[0] and not t.held for t in filed)
    with sessions() as session:
        notes = session.scalars(select(TicketEvent.reason).where(TicketEvent.ticket_id == filed[0].id)).all()
        assert any(filed[1].number in note and filed[2].number in note for note in notes)
        assert session.scalar(select(Draft).where(Draft.status == DraftStatus.OPEN)) is None
    assert "没有正在填写的反映" in resident.says("提交")  # nothing is left to file twice


@pytest.mark.parametrize("yes", ["1", "分开提交", "可以，分两个吧"])
def test_any_usual_yes_files_them_separately(resident, sessions, yes):
    resident.says("晋祠镇" + TWO)
    resident.says(yes)
    resident.says("提交")
    assert [t.category_code for t in tickets(sessions)] == ["uncivil_conduct", "public_toilet"]


@pytest.mark.parametrize("no", ["2", "不用", "一起提交吧"])
def test_declining_files_one_ticket_as_before(resident, sessions, no):
    resident.says("晋祠镇" + TWO)
    answer = resident.says(no)
    assert "作为一条反映提交" in answer and "分开" not in answer.split("\n", 1)[1]
    ticket_number(resident.says("提交"))
    [ticket] = tickets(sessions)
    assert ticket.description == "晋祠镇" + TWO and ticket.town_code == "jinci"


def test_submit_while_the_offer_waits_asks_for_the_answer_first(resident, sessions):
    resident.says("晋祠镇" + TWO)
    again = resident.says("提交")
    assert "请先回复 1 或 2" in again and count(sessions, Ticket) == 0
    resident.says("2")
    ticket_number(resident.says("提交"))


def test_a_second_message_with_another_problem_is_offered_too(resident, sessions):
    first = resident.says("东院村路边垃圾堆了好几天没人清")
    assert "【环境卫生】" in first and "不同类别" not in first
    second = resident.says("旁边的路灯也坏了一排，晚上黑乎乎的")
    assert "2 个不同类别的问题" in second and "【市政设施】" in second
    resident.says("1")
    resident.says("提交")
    assert [t.category_code for t in tickets(sessions)] == ["sanitation", "public_facility"]


@pytest.mark.parametrize("words", [
    "东院村路边垃圾堆了好几天，臭得要命，苍蝇到处飞",
    "王郭村那个工地晚上还在施工，声音特别大，吵得人睡不着",
    "张村有户人家在楼顶加盖了一层，钢架子都搭好了",
])
def test_a_single_problem_with_commas_is_not_split(resident, sessions, words):
    reply = resident.says(words)
    assert "不同类别" not in reply and "分开提交" not in reply
    ticket_number(resident.says("提交"))
    assert count(sessions, Ticket) == 1


def test_each_part_meets_the_same_rules_a_part_of_an_open_problem_joins_it(app, resident, another_resident,
                                                                              sessions):
    earlier = ticket_number(report(another_resident, "路口有人摆摊卖水果", category="占道经营", at=HUATA_VILLAGE))
    resident.location(*HUATA_VILLAGE, label="花塔村")
    resident.says(THREE)
    resident.says("分开")
    done = resident.says("提交")
    assert f"{earlier}：该问题已有 2 人反映" in done
    assert [t.category_code for t in tickets(sessions)] == ["street_vending", "sanitation", "illegal_ads"]


def test_the_hourly_limit_counts_every_part_and_files_none_over_it(tmp_path, database):
    app = create_app(make_settings(tmp_path, database, limits={"reports_per_hour": 3}))
    person = Resident(app, "o-busy-several")
    ticket_number(report(person, "晋祠镇花塔村路口有人摆摊", category="占道经营"))
    person.says("晋祠镇花塔村" + THREE)
    person.says("1")
    refused = person.says("提交")
    assert "还能提交 2 条" in refused and "3 个问题" in refused
    with app.extensions["civicbot"].sessions() as session:
        assert len(session.scalars(select(Ticket)).all()) == 1
    assert "JY-" in person.says("2") + person.says("提交")  # as one report it still fits


class TestPhotos:
    """Every ticket of a report filed separately shows the resident's photos: the same stored files."""

    @pytest.fixture
    def app(self, wechat_settings):
        return create_app(wechat_settings)

    def test_stored_photos_go_with_every_ticket(self, app, resident, sessions, fake_wechat):
        fake_wechat.add_media("m-street", images.jpeg(images.scene(3)))
        send_photo(resident, "m-street")
        resident.says("晋祠镇花塔村" + TWO)
        resident.says("1")
        resident.says("提交")
        filed = {t.id for t in tickets(sessions)}
        with sessions() as session:
            photos = session.scalars(select(Photo).order_by(Photo.id)).all()
            assert len(photos) == 2 and {p.ticket_id for p in photos} == filed
            assert {p.status for p in photos} == {"stored"} and len({p.display_key for p in photos}) == 1

    def test_a_photo_still_being_fetched_reaches_every_ticket_when_stored(self, app, resident, sessions,
                                                                           fake_wechat):
        fake_wechat.add_media("m-slow", images.jpeg(images.scene(5)))
        fake_wechat.failing = True
        send_photo(resident, "m-slow")
        resident.says("晋祠镇花塔村" + TWO)
        resident.says("1")
        resident.says("提交")
        with sessions() as session:
            original, copy = session.scalars(select(Photo).order_by(Photo.id)).all()
            assert (original.status, copy.status) == ("recorded", "copying")
        fake_wechat.failing = False
        queue = app.extensions["civicbot"].jobs
        assert queue.run_now("fetch_photo", original.id) == "stored"
        with sessions() as session:
            original, copy = session.scalars(select(Photo).order_by(Photo.id)).all()
            assert copy.status == "stored" and copy.display_key == original.display_key
            assert copy.ticket_id != original.ticket_id


def test_naming_one_category_while_the_offer_waits_makes_it_one_report(resident, sessions):
    resident.says("晋祠镇" + TWO)
    assert "请回复 1–" in resident.says("改为 99")  # a number off the list is asked again, the words kept
    assert "已按【不文明行为】处理" in resident.says("改为 不文明行为")
    ticket_number(resident.says("提交"))
    [ticket] = tickets(sessions)
    assert ticket.category_code == "uncivil_conduct" and ticket.description == "晋祠镇" + TWO


def test_whatever_follows_the_offer_is_answered(app):
    """Every pair of next messages after the offer gets a proper answer (no step the table forbids, no failure)."""
    moves = {"yes": lambda p: p.says("好的"), "no": lambda p: p.says("不用"), "three": lambda p: p.says("3"),
             "submit": lambda p: p.says("提交"), "photo": lambda p: send_photo(p, "m-any"),
             "pin": lambda p: p.location(*HUATA_VILLAGE, label="花塔村"), "more": lambda p: p.says("路灯也坏了一排"),
             "hello": lambda p: p.says("你好"), "recategorise": lambda p: p.says("改为 99")}
    for n, (first, second) in enumerate(itertools.product(moves, repeat=2)):
        person = Resident(app, f"o-offer-{n}")
        assert "不同类别的问题" in person.says(TWO)
        for move in (first, second):
            reply = moves[move](person)
            assert person.last_status == 200 and reply and "出了点问题" not in reply, (first, second, reply)
