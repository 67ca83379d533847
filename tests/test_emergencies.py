"""Emergencies get the numbers to call at once, in every step of the conversation, before anything else, and then
an offer to file a report; look-alikes (a hotpot restaurant's fumes, a "跳楼价" sale) are reports as before."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot import texts
from bot.catalogue.loading import CatalogueError, read_catalogue
from models import Draft, DraftStatus, Resident, Step
from tests.conftest import make_settings
from tests.support import count, ticket_number

URGENT = "【紧急】"

EMERGENCIES = [
    ("河边那个废品仓库着火了，黑烟一直往上冒", "119"),
    ("超市门口有两个人拿着刀在打架，快来", "110"),
    ("公交站有个大爷突然晕倒了，叫他也没反应", "120"),
    ("单元门口一股很冲的煤气味，不知道谁家的", "燃气"),
    ("有个小孩掉进河里了", "110"),
]

LOOK_ALIKES = [
    "小区门口那家火锅店油烟太大了，熏得人睡不着",
    "夜市的烧烤摊把人行道全占了，火苗窜得老高",
    "电线杆上贴满了小广告，写着限时抢购",
    "商场门口大喇叭一直喊跳楼价甩卖，吵死了",
    "这个路口经常出车祸，能不能装个红绿灯",
    "楼道里堆满杂物，万一着火跑都跑不出去",
    "有人在路边偷倒建筑垃圾",
]


def the_draft(sessions) -> Draft | None:
    with sessions() as session:
        return session.scalar(select(Draft).where(Draft.status == DraftStatus.OPEN))


@pytest.mark.parametrize(("words", "number"), EMERGENCIES)
def test_an_emergency_gets_the_number_first_and_no_draft(resident, sessions, words, number):
    reply = resident.says(words)
    first = reply.splitlines()[0]
    assert first.startswith(URGENT) and number in first
    assert "· 问题：" not in reply and "请回复数字" not in reply
    assert "回复 1" in reply  # the offer to file it afterwards
    assert count(sessions, Draft) == 0


def test_a_spoken_emergency_is_answered_the_same(resident, sessions):
    reply = resident.voice("楼下有辆电动车在充电的时候烧起来了。")
    assert reply.startswith(URGENT) and "119" in reply.splitlines()[0]
    assert count(sessions, Draft) == 0


def test_a_fire_with_injured_people_names_both_numbers(resident):
    first = resident.says("厨房着火了，有人受伤了在流血").splitlines()[0]
    assert "119" in first and "120" in first


def test_after_an_emergency_1_files_it_as_a_report(resident, sessions):
    resident.says("金胜村口的变压器着火了")
    started = resident.says("1")
    assert "金胜村" in started and "· 问题：" in started
    draft = the_draft(sessions)
    assert draft is not None and "变压器" in draft.description


def test_an_emergency_while_collecting_answers_first_and_keeps_the_draft(resident, sessions):
    resident.says("义井村路口的井盖没了")
    reply = resident.says("路口有人被车撞了，躺地上起不来")
    assert reply.startswith(URGENT) and "120" in reply.splitlines()[0]
    assert texts.DRAFT_KEPT in reply
    draft = the_draft(sessions)
    assert draft.description == "义井村路口的井盖没了" and draft.step == Step.COLLECTING
    ticket_number(resident.says("提交"))


def test_an_emergency_while_a_menu_waits_leaves_the_menu_waiting(resident, sessions):
    menu = resident.says("古唐苑小区门口的公共车位有人私装地锁")
    assert "请回复数字" in menu
    reply = resident.says("楼上有人在抢劫！")
    assert reply.startswith(URGENT) and "110" in reply.splitlines()[0]
    assert texts.DRAFT_KEPT_CHOOSING in reply
    picked = resident.says("1")  # the menu's first category, not an offer
    assert "好的，已按【" in picked
    assert the_draft(sessions).step == Step.COLLECTING


def test_an_emergency_comes_before_the_notice_of_an_expired_draft(resident, sessions):
    resident.says("义井村路口的井盖没了")
    with sessions() as session, session.begin():
        draft = session.scalar(select(Draft).where(Draft.status == DraftStatus.OPEN))
        draft.updated_at -= timedelta(hours=2)
    reply = resident.says("隔壁楼冒浓烟，好像失火了")
    assert reply.startswith(URGENT)
    assert "已自动取消" in reply


def test_a_blocked_resident_still_gets_the_numbers(resident, sessions):
    resident.says("你好")
    with sessions() as session, session.begin():
        session.execute(update(Resident).values(blocked=True))
    assert resident.says("你好") == texts.BLOCKED
    assert "110" in resident.says("有人持刀抢劫")


@pytest.mark.parametrize("words", LOOK_ALIKES)
def test_look_alikes_are_not_emergencies(resident, sessions, words):
    reply = resident.says(words)
    assert URGENT not in reply and "119" not in reply and "110" not in reply and "120" not in reply
    assert "· 问题：" in reply  # a report, as it was
    assert the_draft(sessions) is not None


def test_the_knowledge_file_must_name_real_departments(tmp_path):
    bad = tmp_path / "knowledge.toml"
    bad.write_text('[[contact]]\nnames = ["城管"]\ndepartment = "no_such_department"\n', encoding="utf-8")
    settings = make_settings(tmp_path, tmp_path / "unused.db", data={"knowledge": str(bad)})
    with pytest.raises(CatalogueError, match="no_such_department"):
        read_catalogue(settings)
