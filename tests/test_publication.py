"""What leaves for the public: private persons' details masked, a shop's or a street's name kept."""
import pytest

from bot.cases.publication import MASK, masked, public_status
from models import TicketStatus


@pytest.mark.parametrize("text, gone, kept", [
    ("晋源街12号门口有人占道卖水果，我的电话13812345678", ["13812345678"], ["晋源街12号门口", "占道卖水果"]),
    ("联系我 138 1234 5678 或 0351-6012345", ["1234", "6012345"], ["联系我"]),
    ("我叫王建国，住金胜小区3号楼2单元501室，楼下有人焚烧垃圾", ["王建国", "501"], ["金胜小区", "焚烧垃圾"]),
    ("晋A·12345 这辆车天天停在盲道上", ["12345"], ["停在盲道上"]),
    ("有事加微信 abc_12345 或QQ：12345678，邮箱 x.y@example.com", ["abc_12345", "12345678", "example.com"], ["有事加"]),
    ("身份证 14010519900101123X 的人在此摆摊", ["19900101"], ["在此摆摊"]),
])
def test_what_could_reach_a_person_is_masked(text, gone, kept):
    public = masked(text)
    assert MASK in public
    for words in gone:
        assert words not in public, public
    for words in kept:
        assert words in public, public


def test_ordinary_words_numbers_and_dates_stay():
    text = "2024年5月3日晚上8点，义井街与新晋祠路口路灯坏了3盏"
    assert masked(text) == text


def test_open_and_closed_follow_the_workflow():
    assert public_status(TicketStatus.DISPATCHED) == "open" and public_status(TicketStatus.REOPENED) == "open"
    assert public_status(TicketStatus.RESOLVED) == "closed" and public_status(TicketStatus.MERGED) == "closed"


def test_full_width_digits_are_masked_and_chinese_punctuation_kept():
    assert masked("电话：１３８１２３４５６７８，谢谢") == f"电话：{MASK}，谢谢"
