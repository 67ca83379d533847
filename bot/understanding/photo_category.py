"""A category proposed from the text in a photo sent alone, only where the text says so clearly: a flyer — a phone
number, 微信 or QQ next to the trades that flyers sell (办证, 开锁, 贷款, 招聘 …) — is a 违法小广告.

Other text in photos (shop signs, notices, plates) proposes nothing: the resident is asked what the problem is, as
for any photo.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.understanding.phone_numbers import FoundNumber

FLYER_CATEGORY = "illegal_ads"
# What illegal flyers in Chinese cities sell, as printed on them (not how residents describe them: that is
# data/categories.toml's keywords).
TRADE_WORDS = ("办证", "刻章", "证件", "开锁", "换锁", "贷款", "放款", "借款", "信用卡", "套现", "招聘", "高薪", "日结",
               "兼职", "疏通", "下水道", "管道", "抽粪", "搬家", "回收", "发票", "代开", "维修", "上门", "出租", "租房",
               "代办", "急用钱", "无抵押", "打孔", "防水", "家政", "保洁", "私家侦探", "讨债")


@dataclass(frozen=True)
class Proposal:
    """The category a photo's text proposes, why (for the resident), and the description it gives the draft."""

    category: str
    trades: tuple[str, ...]
    numbers: tuple[str, ...]


def propose(text: str, numbers: Sequence[FoundNumber]) -> Proposal | None:
    """The category a photo sent without words proposes, or None when its text does not say so clearly."""
    if not numbers:
        return None
    flat = "".join(text.split())
    trades = tuple(word for word in TRADE_WORDS if word in flat)
    if not trades:
        return None
    return Proposal(FLYER_CATEGORY, trades[:3], tuple(number.shown for number in numbers))
