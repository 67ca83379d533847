"""Residents' questions get answers from data/knowledge.toml, not drafts or menus; a question that tells of a problem
is offered to be filed; voice goes through the same checks as text."""
from __future__ import annotations

import re

from sqlalchemy import select

from bot import texts
from models import Draft, DraftStatus, Ticket
from tests.conftest import HUATA_VILLAGE
from tests.support import count, report, ticket_number

MENU = "请回复数字"
OFFER = "回复 1"
# The only telephone numbers the bot may give: national service numbers, never made-up local ones.
KNOWN_NUMBERS = {"110", "119", "120", "122", "12345", "12122"}


def open_drafts(sessions) -> list[Draft]:
    with sessions() as session:
        return list(session.scalars(select(Draft).where(Draft.status == DraftStatus.OPEN)))


def numbers_in(reply: str) -> set[str]:
    return set(re.findall(r"(?<![\d-])\d{3,}(?![\d-])", reply))


def test_who_handles_a_category_names_its_lead_department(resident, sessions):
    reply = resident.says("请问路边乱贴小广告的事归哪个部门管？")
    assert "违法小广告" in reply and "区城市管理局" in reply
    assert MENU not in reply and "· 问题：" not in reply
    assert OFFER not in reply  # "……的事" asks about a kind of problem, not one seen
    assert count(sessions, Draft) == 0


def test_a_spoken_question_is_answered_like_a_typed_one(resident, sessions):
    reply = resident.voice("建筑工地半夜打桩这种情况找哪个部门。")
    assert "区住房和城乡建设局" in reply and "建筑工地" in reply
    assert count(sessions, Draft) == 0


def test_what_we_do_not_handle_points_to_the_hotline_without_an_offer(resident, sessions):
    reply = resident.says("家里暖气一直不热，找谁？")
    assert "12345" in reply and "供暖" in reply
    assert OFFER not in reply
    assert count(sessions, Draft) == 0


def test_traffic_offences_name_the_traffic_police_and_their_hotline(resident, sessions):
    reply = resident.says("交通违法一般归谁管")
    assert "公安交警晋源大队" in reply and "12122" in reply
    assert count(sessions, Draft) == 0


def test_a_town_office_number_is_never_made_up(resident, sessions):
    reply = resident.says("姚村镇政府的电话是多少？")
    assert "姚村镇人民政府" in reply and "12345" in reply
    assert numbers_in(reply) <= KNOWN_NUMBERS
    assert count(sessions, Draft) == 0


def test_a_department_with_a_public_number_gets_it(resident):
    reply = resident.says("交警大队的联系电话给一个")
    assert "12122" in reply and numbers_in(reply) <= KNOWN_NUMBERS


def test_asking_for_a_person_explains_there_is_none_and_gives_the_hotline(resident, sessions):
    reply = resident.says("有没有人工客服啊")
    assert "人工" in reply and "12345" in reply
    assert count(sessions, Draft) == 0


def test_hours_come_from_the_working_calendar(resident, sessions):
    reply = resident.says("礼拜天你们上班吗？")
    assert "24 小时" in reply and "周一至周五" in reply and "8:30" in reply
    assert count(sessions, Draft) == 0


def test_how_it_works_answers_about_names_and_deadlines(resident, sessions):
    assert "不用留真名" in resident.says("反映问题是不是要实名？")
    deadlines = resident.says("一般提交了几天能处理好")
    assert "4 个工作小时" in deadlines and "5 个工作日" in deadlines
    assert count(sessions, Draft) == 0


def test_status_without_a_ticket_says_how_to_look_it_up(resident, sessions):
    reply = resident.says("我上个月反映的那个事情有结果了吗")
    assert "查询" in reply and "我的" in reply and texts.NO_TICKETS in reply
    assert count(sessions, Draft) == 0


def test_status_names_the_residents_latest_ticket(resident, sessions):
    number = ticket_number(report(resident, "晋祠镇花塔村路口有人摆摊占了半条路"))
    reply = resident.says("前几天我反映的事处理得怎么样了？")
    assert number in reply and "【占道经营】" in reply and "已派遣" in reply
    assert count(sessions, Draft) == 1  # the one that became the ticket


def test_a_question_about_a_problem_seen_offers_to_file_it_and_1_does(resident, sessions):
    reply = resident.says("小区门口天天有人支摊卖烤红薯，这个你们管吗？")
    assert "占道经营" in reply and "区城市管理局" in reply and OFFER in reply
    assert count(sessions, Draft) == 0
    started = resident.says("1")
    assert "【占道经营】" in started and "烤红薯" in started
    resident.location(*HUATA_VILLAGE, label="晋源区晋祠镇花塔村")
    number = ticket_number(resident.says("提交"))
    with sessions() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket.category_code == "street_vending" and ticket.town_code == "jinci"


def test_a_location_after_the_offer_takes_it_up(resident, sessions):
    resident.voice("楼下垃圾桶满了好几天这个归谁管。")
    placed = resident.location(*HUATA_VILLAGE, label="晋源区晋祠镇花塔村")
    assert "【环境卫生】" in placed and "垃圾桶" in placed and "信息已齐全" in placed
    assert len(open_drafts(sessions)) == 1


def test_the_offer_stands_for_the_next_message_only(resident, sessions):
    assert OFFER in resident.says("村口的路灯不亮了，这个归谁管？")
    assert resident.says("谢谢") == texts.THANKS_ANSWERED
    resident.says("1")
    assert count(sessions, Draft) == 0


def test_a_question_without_a_problem_offers_nothing(resident):
    assert OFFER not in resident.says("你们几点上班")


def test_a_question_while_a_draft_is_open_answers_and_keeps_the_draft(resident, sessions):
    resident.says("义井村路口的井盖没了")
    reply = resident.says("这个归你们管吗？")
    assert "区住房和城乡建设局" in reply and texts.DRAFT_KEPT in reply
    (draft,) = open_drafts(sessions)
    assert draft.description == "义井村路口的井盖没了"
    ticket_number(resident.says("提交"))


def test_an_angry_report_with_question_marks_is_still_a_report(resident, sessions):
    reply = resident.says("晋祠镇花塔村的路灯坏了一个礼拜了，到底有没有人管？？？")
    assert "【市政设施】" in reply and OFFER not in reply
    assert len(open_drafts(sessions)) == 1


def test_spoken_hello_is_small_talk_as_typed_hello_is(app, resident, another_resident, sessions):
    assert resident.says("你好") == texts.GREETING
    assert another_resident.voice("你好。") == texts.GREETING
    assert another_resident.voice("喂喂，听得见吗。") == texts.GREETING
    assert count(sessions, Draft) == 0


def test_a_spoken_report_and_a_spoken_command_still_work(resident, sessions):
    assert "【环境卫生】" in resident.voice("晋祠镇花塔村路边垃圾堆了好几天没人清理。")
    ticket_number(resident.voice("提交。"))
