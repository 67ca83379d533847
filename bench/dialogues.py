"""Replay the labelled resident dialogues (tests/dialogues/labelled.jsonl) through the real webhook and say how many
end as their authors expected: tickets (category, town, department), answers, emergency numbers, small talk.

Run as `make bench-dialogues` (a minute or two). Each dialogue is a new resident on a fresh bot; every figure is
counted from what the resident was told and what the database holds afterwards, never from the bot's internals.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DIALOGUES = ROOT / "tests" / "dialogues" / "labelled.jsonl"
EMERGENCY_NUMBERS = {"119": "119", "110": "110", "120": "120", "gas": "燃气"}


@dataclass
class Outcome:
    """What one replayed dialogue came to."""

    dialogue: dict
    replies: list[str]
    tickets: list[tuple[str, str | None, str]]       # (category, town, department) of each ticket opened
    drafts_opened: int
    held: int                                        # tickets held for HQ's review as spam or abuse
    placeless: int                                   # tickets with neither a pin nor a known town
    problems: list[str] = field(default_factory=list)

    @property
    def expected(self) -> dict:
        return self.dialogue["expect"]

    @property
    def as_expected(self) -> bool:
        return not self.problems


def replay(dialogue: dict, app, sessions, index: int) -> Outcome:
    from sqlalchemy import func, select

    from bot.cases.reporters import reported_by
    from models import Draft, Resident, Ticket
    from tests.conftest import Resident as Phone

    phone = Phone(app, f"o-dialogue-{index:04d}")
    replies = []
    for turn in dialogue["turns"]:
        if "text" in turn:
            replies.append(phone.says(turn["text"]))
        elif "voice" in turn:
            replies.append(phone.voice(turn["voice"]))
        elif "location" in turn:
            replies.append(phone.location(*turn["location"], label=turn.get("label", "")))
        elif turn.get("image"):
            replies.append(phone.send("image", f"<PicUrl><![CDATA[http://mmbiz.qpic.cn/d{index}]]></PicUrl>"
                                               f"<MediaId><![CDATA[dialogue-{index}-{len(replies)}]]></MediaId>"))
    with sessions() as session:
        resident_id = session.scalar(select(Resident.id).where(Resident.openid == phone.openid))
        tickets = list(session.scalars(select(Ticket).where(reported_by(resident_id)).order_by(Ticket.id))) \
            if resident_id else []
        drafts = session.scalar(select(func.count()).select_from(Draft).where(Draft.resident_id == resident_id)) \
            if resident_id else 0
    outcome = Outcome(dialogue, replies, [(t.category_code, t.town_code, t.lead_department_code) for t in tickets],
                      drafts or 0, sum(t.held for t in tickets),
                      sum(t.town_code is None and t.latitude is None for t in tickets))
    judge(outcome)
    return outcome


def judge(outcome: Outcome) -> None:
    """Name every way the outcome differs from what the dialogue's author expected."""
    expect, said = outcome.expected, "\n".join(outcome.replies)
    kind = expect["kind"]
    if kind == "tickets":
        wanted = Counter((t["category"], t["town"], t["department"]) for t in expect["tickets"])
        got = Counter(outcome.tickets)
        if wanted != got:
            outcome.problems.append(f"tickets {sorted(got.elements())} ≠ expected {sorted(wanted.elements())}")
        if outcome.held:
            outcome.problems.append("held for review as spam")
    else:
        if outcome.tickets:
            outcome.problems.append(f"opened tickets {outcome.tickets}")
        if kind == "emergency" and EMERGENCY_NUMBERS[expect["service"]] not in said:
            outcome.problems.append(f"no word of {EMERGENCY_NUMBERS[expect['service']]}")
        if kind in ("answer", "small_talk", "emergency") and outcome.drafts_opened:
            outcome.problems.append("opened a draft")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--show", type=int, default=15, help="print this many dialogues that went wrong")
    parser.add_argument("--only", default="", help="replay only the dialogues whose id starts with this")
    options = parser.parse_args()
    import logging

    from bot.app import create_app
    from bot.catalogue.loading import do_load_catalogue, read_catalogue
    from bot.infra.db import make_engine, make_sessionmaker, migrate, transaction
    from tests.conftest import make_settings

    logging.disable(logging.WARNING)
    folder = Path(tempfile.mkdtemp(prefix="civicbot-dialogues-"))
    # No per-hour report limit: every dialogue is a resident of their own anyway.
    settings = make_settings(folder, folder / "civicbot.db")
    migrate(settings)
    sessions = make_sessionmaker(make_engine(settings))
    with transaction(sessions) as session:
        do_load_catalogue(read_catalogue(settings), session=session)
    app = create_app(settings)
    dialogues = [json.loads(line) for line in DIALOGUES.read_text(encoding="utf-8").splitlines() if line.strip()]
    dialogues = [d for d in dialogues if d["id"].startswith(options.only)]
    outcomes = [replay(dialogue, app, sessions, index) for index, dialogue in enumerate(dialogues)]
    report(outcomes, options.show)


def report(outcomes: list[Outcome], show: int) -> None:
    def share(part: int, whole: int) -> str:
        return f"{part}/{whole} ({100 * part / whole:.1f} %)" if whole else "0/0"

    reports = [o for o in outcomes if o.expected["kind"] == "tickets"]
    non_reports = [o for o in outcomes if o.expected["kind"] in ("answer", "small_talk", "emergency")]
    vague = [o for o in outcomes if o.expected["kind"] == "no_ticket"]
    kinds = Counter(o.expected["kind"] for o in outcomes)
    print(f"dialogues: {len(outcomes)} ({', '.join(f'{kind} {count}' for kind, count in kinds.items())})")
    print(f"ended as expected: {share(sum(o.as_expected for o in outcomes), len(outcomes))}")
    for kind in ("tickets", "answer", "emergency", "small_talk", "no_ticket"):
        group = [o for o in outcomes if o.expected["kind"] == kind]
        print(f"  {kind:10} {share(sum(o.as_expected for o in group), len(group))}")
    print("by group:")
    for name in sorted({o.dialogue.get("group", "") for o in outcomes}):
        group = [o for o in outcomes if o.dialogue.get("group", "") == name]
        print(f"  {name:15} {share(sum(o.as_expected for o in group), len(group))}")
    print(f"tickets without a real place (no pin, no town): {sum(o.placeless for o in outcomes)} "
          f"(of which from never-placed dialogues: {sum(bool(o.tickets) for o in vague)})")
    print(f"non-reports that opened a draft: {share(sum(o.drafts_opened > 0 for o in non_reports), len(non_reports))}")
    print(f"genuine reports held by moderation: {sum(o.held for o in reports)}")
    messages = [len(o.dialogue["turns"]) / max(1, len(o.tickets)) for o in reports if o.tickets]
    print(f"median messages per ticket: {statistics.median(messages):.1f}" if messages else "no tickets")
    for outcome in [o for o in outcomes if not o.as_expected][:show]:
        print(f"\n{outcome.dialogue['id']} ({outcome.dialogue.get('group', '')}): {'; '.join(outcome.problems)}")
        for turn, reply in zip(outcome.dialogue["turns"], outcome.replies, strict=False):
            print(f"  > {json.dumps(turn, ensure_ascii=False)}\n  < {reply[:140]!r}")


if __name__ == "__main__":
    main()
