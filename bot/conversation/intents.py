"""What a resident wants from a message, read before looking at their draft: commands, menu clicks, events, words."""
from __future__ import annotations

import enum
import re

from bot.catalogue.snapshot import CatalogueSnapshot
from bot.understanding.features import normalise
from bot.understanding.knowledge import Asked
from bot.wechat.inbound import Inbound


class Intent(enum.StrEnum):
    DESCRIBE = "describe"
    VOICE = "voice"
    EMPTY_VOICE = "empty_voice"
    PHOTO = "photo"
    LOCATION = "location"
    SMALL_TALK = "small_talk"
    CHOOSE = "choose"              # a bare number
    RECATEGORISE = "recategorise"  # 改为 3 / 改为 占道经营 / 改类别
    MY_DATA = "my_data"
    ERASE = "erase"
    ERASE_CONFIRM = "erase_confirm"
    RATE = "rate"                  # 1 / 满意 … while a resolved ticket awaits the resident's rating
    REASON = "reason"              # the words after 不满意
    SUBMIT = "submit"
    CANCEL = "cancel"
    HELP = "help"
    QUERY = "query"
    MINE = "mine"
    START_REPORT = "start_report"
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"
    IGNORE = "ignore"
    UNSUPPORTED = "unsupported"
    EMERGENCY = "emergency"        # fire, injury, crime, gas, people in danger: the numbers to call, at once
    QUESTION = "question"          # who handles what, contact, hours, how it works, status: answered, no draft
    TAKE_OFFER = "take_offer"      # 1 / 是 after the bot offered to file a question's problem or an emergency
    SPLIT_ANSWER = "split_answer"  # 1 / 好的 or 2 / 不用 while several problems wait to be filed (handlers/several.py)


QUERY_COMMAND = re.compile(r"^\s*查询\s*(?:工单|编号|单号|工单编号)?\s*[:：]?\s*(\S.*?)\s*$")
RECATEGORISE_COMMAND = re.compile(r"^\s*(?:改为|改成|类别改为|改类别|更改类别|换类别)\s*[:：]?\s*(.*?)\s*$")
CHOICE = re.compile(r"^\s*(\d{1,2})\s*[.。、]?\s*$")

# Exact words (after folding case, spaces and punctuation) that are commands.
COMMANDS = {
    "提交": Intent.SUBMIT, "提交反映": Intent.SUBMIT, "确认提交": Intent.SUBMIT, "submit": Intent.SUBMIT,
    "取消": Intent.CANCEL, "取消反映": Intent.CANCEL, "cancel": Intent.CANCEL,
    "帮助": Intent.HELP, "help": Intent.HELP, "使用说明": Intent.HELP,
    "我的": Intent.MINE, "我的工单": Intent.MINE, "我的反映": Intent.MINE,
    "查询": Intent.QUERY, "我要反映": Intent.START_REPORT, "反映问题": Intent.START_REPORT,
    "我的数据": Intent.MY_DATA, "删除我的数据": Intent.ERASE, "确认删除": Intent.ERASE_CONFIRM,
}
MENU_KEYS = {"REPORT": Intent.START_REPORT, "MY_TICKETS": Intent.MINE, "HELP": Intent.HELP}
EVENTS = {"subscribe": Intent.SUBSCRIBE, "subscribe_scan": Intent.SUBSCRIBE, "unsubscribe": Intent.UNSUBSCRIBE}


def intent_of(inbound: Inbound, catalogue: CatalogueSnapshot) -> Intent:
    """Say what the resident wants from this message, before looking at the draft."""
    if inbound.kind == "event":   # an event no resident typed: only the ones we act on get more than success
        if inbound.event == "click" and inbound.known:
            return MENU_KEYS.get(inbound.event_key.upper(), Intent.HELP)
        return EVENTS.get(inbound.event, Intent.IGNORE)
    if not inbound.known:
        return Intent.UNSUPPORTED
    if inbound.kind in {"text", "voice"}:
        if inbound.kind == "voice" and not inbound.content:
            return Intent.EMPTY_VOICE
        command = _command(inbound.content)
        if command:
            return command
        # Voice goes through the same checks as text: "你好。" said aloud is small talk, not a report.
        if catalogue.knowledge.emergencies_in(inbound.content):
            return Intent.EMERGENCY
        if question_in(inbound.content, catalogue):
            return Intent.QUESTION
        if catalogue.classify(inbound.content).is_report or catalogue.place_in(inbound.content):
            return Intent.VOICE if inbound.kind == "voice" else Intent.DESCRIBE
        return Intent.SMALL_TALK
    return {"image": Intent.PHOTO, "location": Intent.LOCATION}.get(inbound.kind, Intent.UNSUPPORTED)


def _command(content: str) -> Intent | None:
    if QUERY_COMMAND.match(content):
        return Intent.QUERY
    if RECATEGORISE_COMMAND.match(content):
        return Intent.RECATEGORISE
    if CHOICE.match(content):
        return Intent.CHOOSE
    return COMMANDS.get(normalise(content))


def question_in(content: str, catalogue: CatalogueSnapshot) -> Asked | None:
    """The question a message asks (data/knowledge.toml); a message the classifier takes for a report asks one
    only in so many words ("归谁管", "电话多少"), not by a question mark alone."""
    return catalogue.knowledge.question_in(content, is_report=catalogue.classify(content).is_report)
