"""Read a resident's answer to 是否已解决？ — 1 满意, 2 基本满意, 3 不满意 — from a digit or their own words.

A lexicon, not the classifier: the answer follows a direct question, is short and formulaic, and its meaning turns
on negation (满意 / 不太满意 / 没解决) and on signs that the problem is back (又来了, 还在摆, 一点没变), which a
character n-gram model trained on reports would blur, and for which there is no labelled corpus to train on. The
lexicon is small enough to read, its phrases are tested (tests/test_ratings.py), and what it does not recognise
is asked about again rather than guessed.

Order matters: any sign that the problem is not fixed wins over polite words in the same message ("满意是满意，
可是又来了" is a 3), then 基本满意-like words, then plain satisfaction.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.understanding.features import normalise

SATISFIED, PARTLY, NOT_FIXED = 1, 2, 3

# Said out of politeness, not about the problem: removed before reading ("不好意思" is not "不好").
POLITE = re.compile(r"不好意思|麻烦(?:你们|您)?了|辛苦(?:你们|您)?了|谢谢(?:你们|您)?|感谢(?:你们|您)?|多谢|请问")
# The problem is back or was never dealt with: the words themselves say what is wrong.
BACK_AGAIN = (r"又(?:来|回来|出现|有|开始|摆|堆|占|停|倒|贴|乱|脏|坏|响|吵|冒|满)"
              r"|还(?:在|有人|照样|是老样子|是那样)|老样子|一点都?没变|一样没变|照旧|依旧|依然|没(?:有)?人(?:来|管|处理)")
NOT_FIXED_WORDS = re.compile(
    r"不(?:太|是很|怎么|大|很)?满意|一点都?不满意"
    r"|(?:没|没有|未|还没|根本没|并没)(?:解决|处理|弄好|修好|整改|清理|清走|人管|人来|人处理|效果|变化|什么变化|啥变化|变|改)"
    r"|不(?:行|好|怎么样|咋样|解决)|差评|很差|太差|差劲|敷衍|糊弄|走过场|没用|白反映|等于没"
    r"|还(?:是没|是不行|是有|没)|" + BACK_AGAIN)
PARTLY_WORDS = re.compile(
    r"基本(?:上)?(?:满意|解决|可以|好了|行)|还行|还可以|凑合|一般|马马虎虎|差不多|勉强|过得去|还好"
    r"|好(?:一些|一点|点了|多了)|有(?:所)?改善|改善了|部分解决|解决了一部分|还有(?:点|一点|些)")
SATISFIED_WORDS = re.compile(
    r"满意|解决了|已解决|处理(?:好|完|得好|的好)|弄好了|修好了|清理(?:干净|好|了)|干净了|搞定|好了|不错|挺好|很好|非常好"
    r"|太好了|真好|好评|点赞|给力|效率(?:高|真高)|速度(?:快|真快)|没问题|可以了|没毛病|满分")
# A whole answer to the question's "是否已解决？".
YES = {"是", "是的", "对", "对的", "嗯", "嗯嗯", "解决", "已经解决"}
NO = {"否", "不是", "没有", "没", "没呢", "还没有", "没有呢"}
# A leading 1, 2 or 3 standing alone ("3", "3，摊贩又回来了", "选2"), not the start of "2号楼".
DIGIT = re.compile(r"^\s*(?:选|回复|评|打)?\s*([123])\s*(?:分|星)?\s*(?:$|[，,。.、！!；;：:\s]|满意|基本满意|不满意)")
# Words that may stand beside the verdict without saying what is wrong.
FILLER = re.compile(r"[啊吧呢呀哦噢嗯了的吗么哈啦是我们你您很非常真太特别挺都也就这次还可但可是不过]")


@dataclass(frozen=True)
class Rating:
    """A rating read from the resident's words, with those words when a 3 already says what is wrong."""

    score: int
    reason: str = ""


def rating_in(words: str) -> Rating | None:
    """The rating a resident's answer gives, or None when the words do not say (then the bot asks again)."""
    digit = DIGIT.match(unicodedata.normalize("NFKC", words))
    if digit:
        score = int(digit.group(1))
        rest = re.sub(r"^(?:基本满意|不满意|满意)", "", normalise(words[digit.end(1):]))
        return Rating(score, _reason(words, rest) if score == NOT_FIXED else "")
    text = POLITE.sub("", normalise(words))
    if text in YES:
        return Rating(SATISFIED)
    if text in NO:
        return Rating(NOT_FIXED)
    for score, pattern in ((NOT_FIXED, NOT_FIXED_WORDS), (PARTLY, PARTLY_WORDS), (SATISFIED, SATISFIED_WORDS)):
        if pattern.search(text):
            return Rating(score, _reason(words, pattern.sub("", text)) if score == NOT_FIXED else "")
    return None


def _reason(words: str, rest: str) -> str:
    """The resident's words, when beyond the verdict they say what is wrong (then there is no need to ask why)."""
    if len(FILLER.sub("", rest)) >= 2 or re.search(BACK_AGAIN, normalise(words)):
        return " ".join(words.split())[:500]
    return ""
