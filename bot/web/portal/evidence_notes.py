"""The ticket page's words about photos: their labels, and where and when each staff photo was taken (for 核查)."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.cases.evidence import PhotoEvidence
from models import PhotoKind

# Before and after side by side: the resident's photos, the department's after-photos, HQ's on-site check.
PHOTO_GROUPS = ((PhotoKind.REPORT, "市民拍摄"), (PhotoKind.AFTER, "处置后"), (PhotoKind.ON_SITE, "核查"))


@dataclass(frozen=True)
class Note:
    text: str
    flagged: bool = False


def distance_text(metres: float) -> str:
    return f"{metres / 1000:.1f} 公里" if metres >= 1000 else f"{metres:.0f} 米"


def photo_notes(evidence: PhotoEvidence, *, max_metres: float, local: Callable[[datetime], datetime],
                ticket_placed: bool) -> list[Note]:
    """What the page says under one staff photo: how far from the report's place, when taken, and any flag."""
    notes = []
    if evidence.metres is not None:
        where = f"距反映位置约 {distance_text(evidence.metres)}"
        notes.append(Note(f"{where}，超过 {distance_text(max_metres)}", True) if evidence.too_far else Note(where))
    elif not ticket_placed:
        notes.append(Note("反映未定位，无法比对拍摄地点"))
    else:
        notes.append(Note("照片未带拍摄位置"))
    if evidence.taken_at is None:
        notes.append(Note("照片未带拍摄时间"))
    else:
        taken = f"拍摄于 {local(evidence.taken_at):%m-%d %H:%M}"
        if evidence.before_dispatch and evidence.dispatched_at is not None:
            notes.append(Note(f"{taken}，早于派遣（{local(evidence.dispatched_at):%m-%d %H:%M}）", True))
        else:
            notes.append(Note(taken))
    return notes


def evidence_summary(evidence: Iterable[PhotoEvidence], *, max_metres: float) -> str:
    """One sentence for HQ when any after-photo is flagged; empty when none is."""
    items = list(evidence)
    far = sum(item.too_far for item in items)
    early = sum(item.before_dispatch for item in items)
    if not far and not early:
        return ""
    parts = []
    if far:
        parts.append(f"{far} 张处置后照片的拍摄地点距反映位置超过 {distance_text(max_metres)}")
    if early:
        parts.append(f"{early} 张处置后照片的拍摄时间早于派遣")
    return "现场照片存疑：" + "；".join(parts) + "。请核查后再办理核查通过。"
