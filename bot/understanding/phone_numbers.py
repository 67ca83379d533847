"""Phone numbers, 微信 and QQ ids printed on flyers, found in lines of OCR text and written one way each.

Numbers are matched with Google's libphonenumber (`phonenumbers`), which knows China's mobile ranges, area codes
and 400/800 numbers, so a string of digits that is no real number is not taken. A number split across two lines
(or two boxes of one line) is found by reading each line with the next.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberMatcher, PhoneNumberType

MOBILE, LANDLINE, HOTLINE, WECHAT, QQ = "mobile", "landline", "hotline", "wechat", "qq"
KIND_NAMES = {MOBILE: "手机", LANDLINE: "固话", HOTLINE: "400/800", WECHAT: "微信", QQ: "QQ"}
HOME_AREA_CODE = "351"   # 太原: a bare 7-digit number after 电话 is a local landline

# What OCR reads for a digit in a run of digits: O for 0, l or I for 1, and so on.
_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "|": "1", "i": "1", "Z": "2",
                             "S": "5", "s": "5", "B": "8", "g": "9", "q": "9"})
_RUN = re.compile(r"[0-9OoDlIi|ZSsBgq]{3,}")
MAX_LOOKALIKES = 2   # in one run of digits; more, and the run is a word (ISO9001), not a misread number
# Separators printed between digit groups; OCR adds 一 (a long dash), ー, ~, 、 and dots.
_SEPARATORS = str.maketrans({"一": "-", "ー": "-", "—": "-", "–": "-", "~": "-", "、": " ", "·": " ", "•": " ",
                             "．": ".", "_": "-"})
# A ☎ or 📞 printed right before a mobile is often read as one more digit (8, 6, 0): twelve digits, of which the
# last eleven are a mobile. No Chinese number has twelve digits beginning so, so the mobile is taken.
_ICON_AND_MOBILE = re.compile(r"(?<![0-9])[0-9][ .\-]?(1[3-9][0-9](?:[ .\-]?[0-9]){8})(?![0-9])")
_WECHAT = re.compile(r"(?:微\s*信|威\s*信|薇\s*信|徽\s*信|[Vv]\s*信|[Vv][Xx]|[Ww][Xx]|加\s*[Vv])\s*(?:号)?\s*[：:]?\s*"
                     r"([A-Za-z][-_A-Za-z0-9]{5,19})")
_QQ = re.compile(r"(?:[Qq]{2}|扣扣|企鹅)\s*(?:号)?\s*[：:]?\s*([1-9][0-9]{4,10})(?![0-9])")
_LOCAL = re.compile(r"(?:电话|电|话|热线|[Tt][Ee][Ll]|☎|☏|📞|联系|咨询)\s*[：:]?\s*"
                    r"([2-8][0-9]{2}[- ]?[0-9]{4})(?![0-9])")


@dataclass(frozen=True)
class FoundNumber:
    """A number as it is filed (13812345678, 0351-6012345, 400-888-1234, wechat:abc123, qq:12345678), its kind,
    and the lines it was read from (two when it was split across them)."""

    value: str
    kind: str
    lines: tuple[int, ...]
    printed: str

    @property
    def shown(self) -> str:
        """How staff read it: 138 1234 5678, 微信 abc123, QQ 12345678."""
        return shown(self.value)


def shown(value: str) -> str:
    if value.startswith("wechat:"):
        return "微信 " + value.removeprefix("wechat:")
    if value.startswith("qq:"):
        return "QQ " + value.removeprefix("qq:")
    if len(value) == 11 and value.isdigit():
        return f"{value[:3]} {value[3:7]} {value[7:]}"
    return value


def _digits_read_right(run: re.Match[str]) -> str:
    text = run.group(0)
    digits = sum(char.isdigit() for char in text)
    return text.translate(_LOOKALIKES) if digits >= 2 and len(text) - digits <= MAX_LOOKALIKES else text


def phone_text(text: str) -> str:
    """A line as phone numbers are looked for in it: OCR's separators and look-alike letters in a run of digits
    made plain (l38 → 138). Each character stays in its place, so positions match the line's."""
    return _RUN.sub(_digits_read_right, text.translate(_SEPARATORS))


def _filed(number: phonenumbers.PhoneNumber) -> tuple[str, str] | None:
    """The filed form and kind of a valid Chinese number; None for other countries' or unknown kinds."""
    if number.country_code != 86:
        return None
    national = phonenumbers.national_significant_number(number)
    kind = phonenumbers.number_type(number)
    if kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE) and national.startswith("1"):
        return national, MOBILE
    if national[:3] in ("400", "800"):
        return f"{national[:3]}-{national[3:6]}-{national[6:]}", HOTLINE
    if kind in (PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE):
        area = phonenumbers.length_of_geographical_area_code(number) or 3
        return f"0{national[:area]}-{national[area:]}", LANDLINE
    if kind in (PhoneNumberType.TOLL_FREE, PhoneNumberType.SHARED_COST):
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL).replace(" ", "-"), HOTLINE
    return None


def _phones(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, value, kind) of each valid number in one piece of text."""
    found = []
    for match in PhoneNumberMatcher(text, "CN", leniency=phonenumbers.Leniency.VALID):
        filed = _filed(match.number)
        if filed:
            found.append((match.start, match.end, *filed))
    for icon in _ICON_AND_MOBILE.finditer(text):
        digits = re.sub(r"\D", "", icon.group(1))
        if not any(s < icon.end(1) and icon.start(1) < e for s, e, _, _ in found) \
                and phonenumbers.is_valid_number(phonenumbers.parse(digits, "CN")):
            found.append((icon.start(1), icon.end(1), digits, MOBILE))
    for cue in _LOCAL.finditer(text):
        digits = re.sub(r"\D", "", cue.group(1))
        local = phonenumbers.parse("0" + HOME_AREA_CODE + digits, "CN")
        if phonenumbers.is_valid_number(local) and not any(s <= cue.start(1) < e for s, e, _, _ in found):
            found.append((cue.start(1), cue.end(1), f"0{HOME_AREA_CODE}-{digits}", LANDLINE))
    return found


def _ids(text: str) -> list[tuple[int, int, str, str]]:
    found = [(m.start(1), m.end(1), "qq:" + m.group(1), QQ) for m in _QQ.finditer(text)]
    found += [(m.start(1), m.end(1), "wechat:" + m.group(1).lower(), WECHAT) for m in _WECHAT.finditer(text)]
    return found


def find_numbers(lines: Sequence[str]) -> list[FoundNumber]:
    """Every number and id in lines of text (in reading order), each value once, with the line(s) it came from."""
    folded = [unicodedata.normalize("NFKC", line) for line in lines]   # full-width forms made plain
    plain = [phone_text(line) for line in folded]
    found: dict[str, FoundNumber] = {}

    def keep(value: str, kind: str, where: tuple[int, ...], printed: str) -> None:
        if value not in found:
            found[value] = FoundNumber(value, kind, where, printed.strip())

    for index, text in enumerate(plain):
        ids = _ids(folded[index])
        for start, end, value, kind in ids:
            keep(value, kind, (index,), folded[index][start:end])
        for start, end, value, kind in _phones(text):
            if not any(s <= start < e for s, e, _, k in ids if k == QQ):  # a QQ number is not a landline
                keep(value, kind, (index,), text[start:end])
    # A number broken over two lines: read each line's end with the next one's start. Digits that already made a
    # whole number on their own line (热线：5175741 above 2024年…) are not joined to more.
    for index in range(len(plain) - 1):
        first, second = plain[index].rstrip(), plain[index + 1].lstrip()
        if not (first[-1:].isdigit() and second[:1].isdigit()):
            continue
        taken = [(s, e) for s, e, _, _ in _phones(first)]
        taken += [(s + len(first), e + len(first)) for s, e, _, _ in _phones(second)]
        joined = first + second
        for start, end, value, kind in _phones(joined):
            if start < len(first) < end and not any(s < end and start < e for s, e in taken):
                keep(value, kind, (index, index + 1), joined[start:end])
    return list(found.values())
