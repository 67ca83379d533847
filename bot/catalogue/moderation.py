"""The moderation lists (data/moderation.toml): reports that look like spam or abuse wait for HQ's review.

What a report is about never holds it: a flyer's trade (办证, 贷款, 代开发票 …) and its phone number are what a
违法小广告 report names, so trades are not spam phrases, and a spam phrase that a category's reports quote
([subjects], e.g. the flyer's 加微信) does not hold a report of that category. Repetition is flooding only across
reports and time — several near-identical reports from one resident within minutes (bot/cases/flooding.py reads
them) — never one excited message ("啊啊啊啊啊啊", "！！！！！！").
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from bot.understanding.features import normalise

LINK = re.compile(r"https?://|www\.|\.(?:com|cn|net|top|xyz)\b", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")


def _words(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(word for word in map(normalise, values) if word)


@dataclass(frozen=True)
class Flooding:
    """So many near-identical reports (similarity of their folded words, digits aside) within so many minutes."""

    reports: int = 3
    minutes: float = 30
    similarity: float = 0.85


@dataclass(frozen=True)
class Screen:
    """The moderation lists from data/moderation.toml."""

    abusive: tuple[str, ...] = ()
    spam: tuple[str, ...] = ()
    subjects: dict[str, tuple[str, ...]] = field(default_factory=dict)
    flooding: Flooding = field(default_factory=Flooding)

    @classmethod
    def from_setting(cls, value: dict) -> Screen:
        flood = value.get("flood", {})
        return cls(_words(value.get("abusive", [])), _words(value.get("spam", [])),
                   {code: _words(words) for code, words in value.get("subjects", {}).items()},
                   Flooding(int(flood.get("reports", 3)), float(flood.get("minutes", 30)),
                            float(flood.get("similarity", 0.85))))

    def reason_to_hold(self, text: str, category: str | None = None) -> str | None:
        """Why this report (of this category) should wait for HQ instead of being routed, or None."""
        folded = normalise(text)
        if any(word in folded for word in self.abusive):
            return "疑似辱骂"
        quoted = self.subjects.get(category or "", ())
        if LINK.search(text) or any(word in folded and word not in quoted for word in self.spam):
            return "疑似广告或垃圾信息"
        return None

    def floods(self, text: str, earlier: Iterable[str]) -> bool:
        """Whether this report, after the same resident's recent ones, makes too many near-identical reports."""
        rule = self.flooding
        mine = _DIGITS.sub("", normalise(text))
        alike = sum(SequenceMatcher(None, mine, _DIGITS.sub("", normalise(other))).ratio() >= rule.similarity
                    for other in earlier)
        return alike + 1 >= rule.reports
