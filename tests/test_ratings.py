"""Every rating heard: free words, one more question when unclear, and every resident attached to a ticket answers for
themselves; one rule closes or reopens the ticket, and each resident hears the outcome once."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.app import create_app
from bot.understanding.ratings import rating_in
from models import Ticket, TicketRating, utcnow
from tests import images
from tests.conftest import Resident, make_settings
from tests.support import add_staff, fake_api, logged_in, report, ticket_number

HUATA, NEARBY = (37.7050, 112.4310), (37.7053, 112.4312)   # about 40 m apart: the second report joins the first


# The words ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("words, score", [
    ("1", 1), ("２", 2), ("3", 3), ("选2", 2), ("1。", 1),
    ("满意", 1), ("非常满意，谢谢你们！", 1), ("很满意，处理得真快", 1), ("问题解决了，点赞", 1), ("挺好", 1),
    ("已经处理好了", 1), ("是的", 1), ("不错不错", 1), ("不好意思才看到，满意", 1),
    ("还行", 2), ("基本满意", 2), ("还可以吧", 2), ("凑合", 2), ("比以前好多了", 2), ("基本上解决了", 2),
    ("一般般", 2), ("还有点垃圾没清", 2),
    ("不满意", 3), ("不太满意", 3), ("不是很满意", 3), ("没解决", 3), ("没有解决", 3), ("又来了", 3),
    ("还在摆", 3), ("一点没变", 3), ("还是老样子", 3), ("根本没人来过", 3), ("满意是满意，可是下午又来了", 3),
    ("没有", 3), ("还没弄好", 3), ("晚上照旧有人摆", 3),
])
def test_ratings_are_read_from_the_residents_own_words(words, score):
    rating = rating_in(words)
    assert rating is not None and rating.score == score, words


@pytest.mark.parametrize("words", ["谢谢", "你好", "好", "2号楼门口也有垃圾", "请问什么时候来处理", "10"])
def test_words_that_give_no_rating_are_not_guessed(words):
    assert rating_in(words) is None


def test_a_not_fixed_answer_that_says_what_is_wrong_needs_no_second_question():
    assert rating_in("3，摊贩下午又回来了").reason == "3，摊贩下午又回来了"
    assert rating_in("还在摆").reason == "还在摆"
    assert rating_in("没解决").reason == "" and rating_in("不满意").reason == ""


# The chat ---------------------------------------------------------------------------------------------------------

@pytest.fixture
def app(tmp_path, database, fake_wechat):
    app = create_app(make_settings(tmp_path, database, wechat=fake_api(fake_wechat)))
    add_staff(app.extensions["civicbot"].sessions, ("chen", "urban_mgmt", "staff"), ("hq", "hq", "admin"))
    return app


def first_report(app, openid: str) -> str:
    return ticket_number(report(Resident(app, openid), "路口有人摆摊占了半条路", category="占道经营", at=HUATA,
                                label="花塔村"))


def joined_report(app, openid: str, number: str) -> None:
    answer = report(Resident(app, openid), "花塔村那儿又摆上摊了", category="占道经营", at=NEARBY, label="花塔村")
    assert number in answer and "人反映" in answer


def resolve(app, number: str, *, accept: bool = True) -> None:
    chen = logged_in(app, "chen")
    if accept:
        chen.act(number, "accept")
    chen.act(number, "resolve", note="已劝离摊贩", photos=[("after.jpg", images.jpeg())])


def ticket(app, number: str) -> Ticket:
    with app.extensions["civicbot"].sessions() as session:
        return session.scalar(select(Ticket).where(Ticket.number == number))


def answers(app, number: str) -> dict[str, tuple[int | None, str]]:
    from models import Resident as Row
    with app.extensions["civicbot"].sessions() as session:
        rows = session.execute(select(Row.openid, TicketRating.rating, TicketRating.reason)
                               .join(Row, Row.id == TicketRating.resident_id)
                               .join(Ticket, Ticket.id == TicketRating.ticket_id).where(Ticket.number == number))
        return {openid: (rating, reason) for openid, rating, reason in rows}


def answer_window_ends(app) -> None:
    """Move the resolution's question back past [feedback] answer_hours and run the job worker's sweep."""
    asked = utcnow() - timedelta(hours=73)
    with app.extensions["civicbot"].sessions() as session, session.begin():
        session.execute(update(Ticket).values(feedback_requested_at=asked))
        session.execute(update(TicketRating).values(asked_at=asked))
    app.extensions["civicbot"].jobs.check_deadlines()


def pushed(fake_wechat, openid: str, words: str) -> list[str]:
    return [m["text"]["content"] for m in fake_wechat.sent
            if m["touser"] == openid and m["msgtype"] == "text" and words in m["text"]["content"]]


def test_thanks_with_satisfaction_closes_the_ticket_instead_of_a_youre_welcome(app, fake_wechat):
    resident = Resident(app, "o-glad")
    number = first_report(app, "o-glad")
    resolve(app, number)
    answer = resident.says("太满意了，谢谢你们这么快就处理！")
    assert "感谢您的评价" in answer and "已办结" in answer and "不客气" not in answer
    assert ticket(app, number).status.value == "closed" and ticket(app, number).rating == 1
    assert not pushed(fake_wechat, "o-glad", "已办结")   # told in the reply, not twice


def test_an_unclear_answer_is_asked_about_once_then_left_to_the_answer_window(app, fake_wechat):
    resident = Resident(app, "o-unsure")
    number = first_report(app, "o-unsure")
    resolve(app, number)
    again = resident.says("你们好")
    assert number in again and "解决了吗" in again and "1 满意" in again
    assert "解决了吗" not in resident.says("在吗")         # asked once only
    assert ticket(app, number).status.value == "resolved"
    assert "感谢您的评价" in resident.says("基本满意吧")   # a clear answer is still heard afterwards
    assert ticket(app, number).rating == 2 and ticket(app, number).status.value == "closed"


def test_thanks_alone_gets_a_kind_word_and_the_question_again(app):
    resident = Resident(app, "o-polite")
    number = first_report(app, "o-polite")
    resolve(app, number)
    answer = resident.says("谢谢你们")
    assert answer.startswith("不客气") and "解决了吗" in answer
    assert ticket(app, number).rating is None


def test_a_not_fixed_answer_that_says_why_reopens_at_once(app):
    resident = Resident(app, "o-back")
    number = first_report(app, "o-back")
    resolve(app, number)
    assert "重新交办" in resident.says("下午又摆出来了")
    reopened = ticket(app, number)
    assert reopened.status.value == "reopened" and reopened.rating == 3 and "又摆出来了" in reopened.rating_reason


def test_every_resident_attached_is_asked_and_heard_and_any_not_fixed_reopens(app, fake_wechat):
    number = first_report(app, "o-first")
    joined_report(app, "o-joined", number)
    resolve(app, number)
    assert pushed(fake_wechat, "o-first", "是否已解决") and pushed(fake_wechat, "o-joined", "是否已解决")
    first, joined = Resident(app, "o-first"), Resident(app, "o-joined")
    waiting = first.says("满意")
    assert "其他市民" in waiting and ticket(app, number).status.value == "resolved"   # the joined one is still asked
    assert "哪里还不满意" in joined.says("不太满意")
    assert "重新交办" in joined.says("早上又有人在路口摆摊")
    assert ticket(app, number).status.value == "reopened" and "早上又有人" in ticket(app, number).rating_reason
    assert answers(app, number) == {"o-first": (1, ""), "o-joined": (3, "早上又有人在路口摆摊")}
    # Each hears the outcome once: the first reporter in a notice, the joined one in the reply.
    assert len(pushed(fake_wechat, "o-first", "重新交办")) == 1 and not pushed(fake_wechat, "o-joined", "重新交办")


def test_the_ticket_closes_when_everyone_attached_is_satisfied_with_the_lowest_satisfaction(app, fake_wechat):
    number = first_report(app, "o-first")
    joined_report(app, "o-joined", number)
    resolve(app, number)
    assert "其他市民" in Resident(app, "o-joined").says("还行吧")
    closed = Resident(app, "o-first").says("1")
    assert "已办结" in closed and ticket(app, number).status.value == "closed"
    assert ticket(app, number).rating == 2     # the ticket's verdict: the lowest satisfaction given
    assert len(pushed(fake_wechat, "o-joined", "已办结")) == 1 and not pushed(fake_wechat, "o-first", "已办结")
    history = logged_in(app, "hq").page(f"/portal/tickets/{number}").get_data(as_text=True)
    assert "满意 1 人" in history and "基本满意 1 人" in history


def test_a_second_not_fixed_goes_to_hqs_review_and_the_others_are_told(app, fake_wechat):
    number = first_report(app, "o-first")
    joined_report(app, "o-joined", number)
    resolve(app, number)
    Resident(app, "o-first").says("还在摆")                     # reopened, once
    logged_in(app, "hq").act(number, "dispatch", department="urban_mgmt", note="请再次处置")
    resolve(app, number)
    assert "复核" in Resident(app, "o-joined").says("一点没变，还是那些摊")
    again = ticket(app, number)
    assert again.status.value == "resolved" and again.needs_triage and again.reopen_count == 1
    assert pushed(fake_wechat, "o-first", "复核") and not pushed(fake_wechat, "o-joined", "复核")
    assert "感谢您的评价" not in Resident(app, "o-first").says("1")   # decided: no rating waits any more


def test_when_the_answer_window_ends_a_not_fixed_without_its_reason_still_reopens(app):
    number = first_report(app, "o-first")
    joined_report(app, "o-joined", number)
    resolve(app, number)
    Resident(app, "o-first").says("满意")
    assert "哪里还不满意" in Resident(app, "o-joined").says("3")
    answer_window_ends(app)
    assert ticket(app, number).status.value == "reopened" and "未说明原因" in ticket(app, number).rating_reason
    # The reason that comes afterwards joins the ticket's history.
    assert "已记入工单" in Resident(app, "o-joined").says("摊子晚上又摆出来")
    history = logged_in(app, "hq").page(f"/portal/tickets/{number}").get_data(as_text=True)
    assert "摊子晚上又摆出来" in history


def test_when_the_answer_window_ends_the_answers_given_close_the_ticket(app, fake_wechat):
    number = first_report(app, "o-first")
    joined_report(app, "o-joined", number)
    resolve(app, number)
    Resident(app, "o-joined").says("挺好的")
    answer_window_ends(app)
    closed = ticket(app, number)
    assert closed.status.value == "closed" and closed.rating == 1
    assert pushed(fake_wechat, "o-first", "已办结") and pushed(fake_wechat, "o-joined", "已办结")


def test_a_long_new_report_is_not_taken_for_a_rating(app):
    resident = Resident(app, "o-busy")
    number = first_report(app, "o-busy")
    resolve(app, number)
    answer = resident.says("金胜村村口的垃圾桶又满了，好几天了味道很大，赶紧派人来清理")   # "又满" reads as not fixed
    assert "【环境卫生】" in answer and ticket(app, number).rating is None
